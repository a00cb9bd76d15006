//! Gradient descent: SGD (with optional momentum) and RMSprop, updating [`Var`]s in place.
//!
//! Each parameter's update is one fused kernel on the GPU (`shaders/optimizer.wgsl`); the state
//! (velocity, mean square) lives on the parameter's device.

use std::collections::HashMap;

use crate::ops::OptimizerStep;
use crate::{Error, Gradients, Result, Tensor, Var};

/// Something that updates variables from their gradients.
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
pub struct Sgd {
    /// Learning rate.
    pub lr: f32,
    /// Momentum (0 for plain SGD).
    pub momentum: f32,
    velocity: HashMap<u64, Tensor>,
}

impl Sgd {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f32) -> Sgd {
        Sgd::with_momentum(lr, 0.0)
    }

    /// SGD with momentum.
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
