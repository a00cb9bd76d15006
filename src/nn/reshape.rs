//! Layers that only change a sample's shape, and dropout.

use super::conv::shape_error;
use crate::cpu::random::lowbias32;
use crate::layout::element_count;
use crate::{Error, Result, Tensor};

/// Keras' `Flatten`: each sample becomes a vector, `(batch, ...) -> (batch, product)`.
///
/// ```
/// use tensorgears::nn::Flatten;
/// # use tensorgears::{Device, Tensor};
/// let y = Flatten.forward(&Tensor::zeros(&[8, 3, 3, 128], &Device::cpu())?)?;
/// assert_eq!(y.shape(), &[8, 1152]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flatten;

impl Flatten {
    /// The samples as vectors.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let Some((&batch, rest)) = x.shape().split_first() else {
            return Err(shape_error("Flatten", x.shape(), "a batch axis"));
        };
        x.reshape(&[batch, rest.iter().product()])
    }
}

/// Keras' `Reshape`: each sample to `shape`, the batch axis kept; the way from a data set's
/// rows of pixels to the images a convolution takes.
///
/// ```
/// use tensorgears::nn::Reshape;
/// # use tensorgears::{Device, Tensor};
/// let images = Reshape::new(&[28, 28, 1]);
/// assert_eq!(images.forward(&Tensor::zeros(&[64, 784], &Device::cpu())?)?.shape(), &[64, 28, 28, 1]);
/// assert!(images.forward(&Tensor::zeros(&[64, 785], &Device::cpu())?).is_err());
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reshape {
    pub(super) shape: Vec<usize>,
}

impl Reshape {
    /// Samples reshaped to `shape`.
    pub fn new(shape: &[usize]) -> Reshape {
        Reshape {
            shape: shape.to_vec(),
        }
    }

    /// Each sample of `x` reshaped.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let Some(&batch) = x.shape().first() else {
            return Err(shape_error("Reshape", x.shape(), "a batch axis"));
        };
        let mut shape = vec![batch];
        shape.extend(&self.shape);
        x.reshape(&shape)
    }

    /// The shape each sample takes.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub(super) fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let count = |shape: &[usize]| element_count("Reshape", shape);
        if count(input)? != count(&self.shape)? {
            return Err(shape_error(
                "Reshape",
                input,
                &format!("the elements of {:?}", self.shape),
            ));
        }
        Ok(self.shape.clone())
    }
}

/// Keras' `Dropout`: in training, each element is zeroed with probability `rate` and the rest
/// scaled by `1 / (1 - rate)`; in inference (`forward`, `predict`, `evaluate`), nothing. The
/// mask of each training step is drawn from the layer's seed and the step's number, so a run
/// repeats exactly.
///
/// ```
/// use tensorgears::nn::Dropout;
/// # use tensorgears::{Device, Tensor};
/// let x = Tensor::ones(&[4, 100], &Device::cpu())?;
/// let layer = Dropout::new(0.5, 7)?;
/// assert_eq!(layer.forward(&x)?.to_vec()?, x.to_vec()?); // inference: the identity
/// assert!(Dropout::new(1.0, 7).is_err());
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dropout {
    pub(super) rate: f32,
    pub(super) seed: u64,
}

impl Dropout {
    /// Dropout of `rate` (in [0, 1)), its masks drawn from `seed`.
    pub fn new(rate: f32, seed: u64) -> Result<Dropout> {
        if !(0.0..1.0).contains(&rate) {
            return Err(Error::InvalidArgument {
                op: "Dropout",
                msg: format!("the rate must be in [0, 1); got {rate}"),
            });
        }
        Ok(Dropout { rate, seed })
    }

    /// Inference: `x` unchanged.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.clone())
    }

    /// Training step `step`'s output: `x` with this step's mask.
    pub fn forward_training(&self, x: &Tensor, step: u64) -> Result<Tensor> {
        let mixed = (u64::from(lowbias32(step as u32 ^ lowbias32((step >> 32) as u32))) << 32)
            | u64::from(lowbias32(step as u32));
        x.dropout(self.rate, self.seed ^ mixed)
    }

    /// The fraction of elements dropped in training.
    pub fn rate(&self) -> f32 {
        self.rate
    }
}
