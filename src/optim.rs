//! Gradient descent: SGD (with optional momentum) and RMSprop, updating [`Var`]s in place.
//!
//! Each parameter's update is one fused kernel on the GPU (`shaders/optimizer.wgsl`); the state
//! (velocity, mean square) lives on the parameter's device.
//!
//! ```
//! use tensorgears::optim::{Optimizer, Sgd};
//! # use tensorgears::{Device, Tensor, Var};
//! // Minimise (w - 3)^2 from w = 0.
//! let w = Var::new(Tensor::scalar(0.0, &Device::cpu())?);
//! let mut opt = Sgd::new(0.1);
//! for _ in 0..100 {
//!     let grads = w.as_tensor().add_scalar(-3.0)?.powf(2.0)?.backward()?;
//!     opt.step(&[&w], &grads)?;
//! }
//! assert!((w.as_tensor().to_scalar()? - 3.0).abs() < 1e-4);
//! # Ok::<(), tensorgears::Error>(())
//! ```

use std::collections::HashMap;

use crate::ops::OptimizerStep;
use crate::{Error, Gradients, Result, Tensor, Var};

/// Something that updates variables from their gradients.
///
/// ```
/// use tensorgears::optim::{Optimizer, Sgd};
/// # use tensorgears::{Device, Tensor, Var};
/// # let dev = Device::cpu();
/// fn descend(opt: &mut dyn Optimizer, w: &Var) -> tensorgears::Result<()> {
///     let grads = w.as_tensor().sum()?.backward()?; // d/dw sum(w) = 1
///     opt.step(&[w], &grads)
/// }
/// let w = Var::new(Tensor::from_vec(vec![1., 2.], &[2], &dev)?);
/// descend(&mut Sgd::new(0.5), &w)?;
/// assert_eq!(w.as_tensor().to_vec()?, vec![0.5, 1.5]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
pub trait Optimizer {
    /// Updates every variable in `params` that has a gradient in `grads`, in place.
    fn step(&mut self, params: &[&Var], grads: &Gradients) -> Result<()>;
}

/// Applies `step` to each parameter, with state tensors kept per variable.
fn update(
    state: &mut HashMap<u64, Tensor>,
    params: &[&Var],
    grads: &Gradients,
    step: OptimizerStep,
) -> Result<()> {
    for var in params {
        let Some(g) = grads.get(var) else { continue };
        let w = var.as_tensor();
        if g.shape() != w.shape() {
            return Err(Error::ShapeMismatch {
                op: "optimizer step",
                lhs: w.shape().to_vec(),
                rhs: g.shape().to_vec(),
            });
        }
        w.check_same_device("optimizer step", g)?;
        if !(w.layout().is_contiguous() && w.layout().offset() == 0) {
            return Err(Error::InvalidArgument {
                op: "optimizer step",
                msg: "the variable is a strided view; create it from a contiguous tensor".into(),
            });
        }
        let g = g.contiguous()?;
        let s = match state.get(&var.id()) {
            Some(s) => s.clone(),
            None => {
                let s = Tensor::zeros(w.shape(), w.device())?;
                state.insert(var.id(), s.clone());
                s
            }
        };
        w.storage()
            .optimizer_step(g.storage(), s.storage(), step, w.len())?;
    }
    Ok(())
}

/// Stochastic gradient descent: `v = momentum * v - lr * g; w += v` (plain `w -= lr * g` with
/// momentum 0).
///
/// ```
/// use tensorgears::optim::{Optimizer, Sgd};
/// use tensorgears::{Device, Tensor, Var};
/// # fn main() -> tensorgears::Result<()> {
/// let w = Var::new(Tensor::from_vec(vec![1.0, 2.0], &[2], &Device::cpu())?);
/// let grads = w.as_tensor().powf(2.0)?.backward()?; // d/dw sum(w^2) = 2w
/// Sgd::new(0.1).step(&[&w], &grads)?;
/// assert_eq!(w.as_tensor().to_vec()?, vec![0.8, 1.6]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Sgd {
    /// Learning rate.
    pub lr: f32,
    /// Momentum (0 for plain SGD).
    pub momentum: f32,
    velocity: HashMap<u64, Tensor>,
}

impl Sgd {
    /// Plain SGD with learning rate `lr`.
    ///
    /// ```
    /// use tensorgears::optim::{Optimizer, Sgd};
    /// # use tensorgears::{Device, Tensor, Var};
    /// # let dev = Device::cpu();
    /// let w = Var::new(Tensor::scalar(1.0, &dev)?);
    /// Sgd::new(0.25).step(&[&w], &w.as_tensor().mul_scalar(2.0)?.backward()?)?; // gradient 2
    /// assert_eq!(w.as_tensor().to_scalar()?, 0.5);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn new(lr: f32) -> Sgd {
        Sgd::with_momentum(lr, 0.0)
    }

    /// SGD with momentum.
    ///
    /// ```
    /// use tensorgears::optim::{Optimizer, Sgd};
    /// # use tensorgears::{Device, Tensor, Var};
    /// # let dev = Device::cpu();
    /// let w = Var::new(Tensor::scalar(1.0, &dev)?);
    /// let mut opt = Sgd::with_momentum(0.5, 0.5);
    /// for _ in 0..2 {
    ///     opt.step(&[&w], &w.as_tensor().sum()?.backward()?)?; // gradient 1
    /// }
    /// assert_eq!(w.as_tensor().to_scalar()?, -0.25); // a step of 0.5, then of 0.5 * 0.5 + 0.5
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn with_momentum(lr: f32, momentum: f32) -> Sgd {
        Sgd {
            lr,
            momentum,
            velocity: HashMap::new(),
        }
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &[&Var], grads: &Gradients) -> Result<()> {
        let step = OptimizerStep::Sgd {
            lr: self.lr,
            momentum: self.momentum,
        };
        update(&mut self.velocity, params, grads, step)
    }
}

/// RMSprop with Keras' defaults (`lr` 1e-3, `rho` 0.9, `epsilon` 1e-7), exactly:
/// `v = rho * v + (1 - rho) * g^2; w -= lr * g / (sqrt(v) + epsilon)`, with `v` starting at 0.
///
/// ```
/// use tensorgears::optim::{Optimizer, RmsProp};
/// # use tensorgears::{Device, Tensor, Var};
/// # let dev = Device::cpu();
/// let w = Var::new(Tensor::zeros(&[2], &dev)?);
/// let scale = Tensor::from_vec(vec![1., 100.], &[2], &dev)?;
/// let grads = w.as_tensor().mul(&scale)?.sum()?.backward()?; // gradients 1 and 100
/// RmsProp::new(0.01).step(&[&w], &grads)?;
/// // The first step is lr / sqrt(1 - rho), whatever the gradient's scale.
/// let w = w.as_tensor().to_vec()?;
/// assert!(w.iter().all(|v| (v + 0.01 / 0.1f32.sqrt()).abs() < 1e-6));
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug)]
pub struct RmsProp {
    /// Learning rate.
    pub lr: f32,
    /// Decay of the running mean square.
    pub rho: f32,
    /// Added to the root mean square to keep the division finite.
    pub epsilon: f32,
    mean_square: HashMap<u64, Tensor>,
}

impl RmsProp {
    /// RMSprop with learning rate `lr` and Keras' `rho` and `epsilon`.
    ///
    /// ```
    /// use tensorgears::optim::RmsProp;
    /// # use tensorgears::{Device, Tensor, Var};
    /// # let dev = Device::cpu();
    /// let opt = RmsProp::new(1e-3);
    /// assert_eq!((opt.lr, opt.rho, opt.epsilon), (1e-3, 0.9, 1e-7));
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn new(lr: f32) -> RmsProp {
        RmsProp {
            lr,
            rho: 0.9,
            epsilon: 1e-7,
            mean_square: HashMap::new(),
        }
    }
}

impl Default for RmsProp {
    fn default() -> Self {
        RmsProp::new(1e-3)
    }
}

impl Optimizer for RmsProp {
    fn step(&mut self, params: &[&Var], grads: &Gradients) -> Result<()> {
        let step = OptimizerStep::RmsProp {
            lr: self.lr,
            rho: self.rho,
            epsilon: self.epsilon,
        };
        update(&mut self.mean_square, params, grads, step)
    }
}
