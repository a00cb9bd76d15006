//! Layers and models: the chapter's `NaiveDense` and `NaiveSequential` made real, and the
//! convnet's layers beside them.
//!
//! ```
//! use tensorgears::nn::{Activation, Dense, Sequential};
//! # use tensorgears::{Device, Tensor};
//! # let dev = Device::cpu();
//! let model = Sequential::new(vec![
//!     Dense::new(4, 8, Activation::Relu, 0, &dev)?,
//!     Dense::new(8, 3, Activation::Softmax, 1, &dev)?,
//! ]);
//! let x = Tensor::rand_uniform(&[5, 4], 0.0, 1.0, 2, &dev)?;
//! assert_eq!(model.forward(&x)?.shape(), &[5, 3]); // class probabilities
//! assert_eq!(model.predict(&x)?.shape(), &[5]); // class indices
//! # Ok::<(), tensorgears::Error>(())
//! ```

mod conv;
mod dense;
mod layer;
pub mod models;
mod progress;
mod reshape;
mod save;
mod sequential;
mod summary;

pub use conv::{Conv2D, MaxPooling2D};
pub use dense::Dense;
pub use layer::Layer;
pub use progress::{EpochStats, Progress};
pub use reshape::{Dropout, Flatten, Reshape};
pub use sequential::Sequential;

/// What a [`Dense`] or [`Conv2D`] layer applies to its product plus bias.
///
/// ```
/// use tensorgears::nn::{Activation, Dense};
/// # use tensorgears::{Device, Tensor};
/// # let dev = Device::cpu();
/// let (w, b) = (Tensor::ones(&[1, 2], &dev)?, Tensor::from_vec(vec![-2., 1.], &[2], &dev)?);
/// let x = Tensor::ones(&[1, 1], &dev)?; // x · W + b = [-1, 2]
/// let relu = Dense::from_tensors(w.clone(), b.clone(), Activation::Relu)?;
/// assert_eq!(relu.forward(&x)?.to_vec()?, vec![0., 2.]);
/// assert_eq!(Dense::from_tensors(w, b, Activation::None)?.forward(&x)?.to_vec()?, vec![-1., 2.]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// Softmax over the last axis.
    Softmax,
    /// Nothing: the layer outputs `x · W + b` (logits, for a fused loss).
    None,
}
