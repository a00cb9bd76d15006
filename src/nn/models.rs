//! The two MNIST models of *Deep Learning with Python*, ready built: the chapter-2 network and
//! the small convnet that follows it. Both output logits (their last layer has no softmax)
//! for the fused cross-entropy, and take rows of 784 pixels as a [`Dataset`] gives them.
//!
//! [`Dataset`]: crate::data::Dataset

use super::{Activation, Conv2D, Dense, Flatten, Layer, MaxPooling2D, Reshape, Sequential};
use crate::{Device, Result};

/// Dense(512, relu) -> Dense(10): 407,050 parameters, about 98% on MNIST after 5 epochs of
/// RMSprop at batch 128.
///
/// ```
/// # use tensorgears::Device;
/// let model = tensorgears::nn::models::mnist_mlp(0, &Device::cpu())?;
/// assert_eq!(model.output_shape(&[784])?, vec![10]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
pub fn mnist_mlp(seed: u64, device: &Device) -> Result<Sequential> {
    Ok(Sequential::new(vec![
        Dense::new(784, 512, Activation::Relu, seed, device)?,
        Dense::new(512, 10, Activation::None, seed.wrapping_add(1), device)?,
    ]))
}

/// Conv2D(32, 3x3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3x3, relu) -> MaxPooling2D(2) ->
/// Conv2D(128, 3x3, relu) -> Flatten -> Dense(10), after a Reshape of each row to a 28x28x1
/// image: 104,202 parameters, about 99% on MNIST after 5 epochs of RMSprop at batch 64.
///
/// ```
/// # use tensorgears::Device;
/// let model = tensorgears::nn::models::mnist_convnet(0, &Device::cpu())?;
/// assert_eq!(model.output_shape(&[784])?, vec![10]);
/// assert!(model.summary(&[784])?.contains("Total params: 104,202"));
/// # Ok::<(), tensorgears::Error>(())
/// ```
pub fn mnist_convnet(seed: u64, device: &Device) -> Result<Sequential> {
    let s = |i: u64| seed.wrapping_add(i);
    let relu = Activation::Relu;
    Ok(Sequential::new(vec![
        Layer::from(Reshape::new(&[28, 28, 1])),
        Conv2D::new(1, 32, [3, 3], relu, s(0), device)?.into(),
        MaxPooling2D::new([2, 2]).into(),
        Conv2D::new(32, 64, [3, 3], relu, s(1), device)?.into(),
        MaxPooling2D::new([2, 2]).into(),
        Conv2D::new(64, 128, [3, 3], relu, s(2), device)?.into(),
        Flatten.into(),
        Dense::new(3 * 3 * 128, 10, Activation::None, s(3), device)?.into(),
    ]))
}
