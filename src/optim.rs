//! Gradient descent: SGD (with optional momentum), RMSprop and Adam, updating [`Var`]s in place.
//!
//! Each parameter's update is one fused kernel on the GPU (`shaders/optimizer.wgsl`); the state
//! (velocity, mean square, moments) lives on the parameter's device.
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
                let s = Tensor::zeros(&[step.state_len(w.len())], w.device())?;
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

/// Adam with Keras' defaults (`lr` 1e-3, `beta_1` 0.9, `beta_2` 0.999, `epsilon` 1e-7) and
/// Keras' formulation: at step `t` (from 1), `m += (g - m)(1 - beta_1)`,
/// `v += (g^2 - v)(1 - beta_2)` and `w -= alpha_t m / (sqrt(v) + epsilon)` with
/// `alpha_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)`. Each parameter's update is one kernel;
/// its two moments share one state buffer.
///
/// ```
/// use tensorgears::optim::{Adam, Optimizer};
/// # use tensorgears::{Device, Tensor, Var};
/// # let dev = Device::cpu();
/// let w = Var::new(Tensor::zeros(&[2], &dev)?);
/// let scale = Tensor::from_vec(vec![1., 100.], &[2], &dev)?;
/// let grads = w.as_tensor().mul(&scale)?.sum()?.backward()?; // gradients 1 and 100
/// let mut adam = Adam::default();
/// adam.step(&[&w], &grads)?;
/// // The first step is lr (to within epsilon) whatever the gradient's scale.
/// assert!(w.as_tensor().to_vec()?.iter().all(|v| (v + 1e-3).abs() < 1e-6));
/// assert_eq!(adam.iterations(), 1);
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug)]
pub struct Adam {
    /// The learning rate.
    pub lr: f32,
    /// Decay of the first moment (the mean of the gradients).
    pub beta_1: f32,
    /// Decay of the second moment (the mean of their squares).
    pub beta_2: f32,
    /// Added to the second moment's root to keep the division finite.
    pub epsilon: f32,
    iterations: u64,
    moments: HashMap<u64, Tensor>,
}

impl Adam {
    /// Adam with learning rate `lr` and Keras' other defaults.
    ///
    /// ```
    /// use tensorgears::optim::Adam;
    /// let opt = Adam::new(1e-3);
    /// assert_eq!((opt.lr, opt.beta_1, opt.beta_2, opt.epsilon), (1e-3, 0.9, 0.999, 1e-7));
    /// ```
    pub fn new(lr: f32) -> Adam {
        Adam {
            lr,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            iterations: 0,
            moments: HashMap::new(),
        }
    }

    /// The steps taken so far, which set the bias correction.
    ///
    /// ```
    /// assert_eq!(tensorgears::optim::Adam::default().iterations(), 0);
    /// ```
    pub fn iterations(&self) -> u64 {
        self.iterations
    }
}

impl Default for Adam {
    fn default() -> Self {
        Adam::new(1e-3)
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &[&Var], grads: &Gradients) -> Result<()> {
        if !((0.0..1.0).contains(&self.beta_1) && (0.0..1.0).contains(&self.beta_2)) {
            return Err(Error::InvalidArgument {
                op: "Adam",
                msg: format!(
                    "beta_1 and beta_2 must be in [0, 1); got {} and {}",
                    self.beta_1, self.beta_2
                ),
            });
        }
        self.iterations += 1;
        let t = self.iterations.min(i32::MAX as u64) as i32;
        let correction =
            (1.0 - f64::from(self.beta_2).powi(t)).sqrt() / (1.0 - f64::from(self.beta_1).powi(t));
        let step = OptimizerStep::Adam {
            lr: (f64::from(self.lr) * correction) as f32,
            beta1: self.beta_1,
            beta2: self.beta_2,
            epsilon: self.epsilon,
        };
        update(&mut self.moments, params, grads, step)
    }
}
