//! Layers and models: the chapter's `NaiveDense` and `NaiveSequential`, made real.

use crate::{Device, Result, Tensor, Var};

/// What a [`Dense`] layer applies to `x · W + b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// Softmax over the last axis.
    Softmax,
    /// Nothing: the layer outputs `x · W + b` (logits, for a fused loss).
    None,
}

/// A fully connected layer: `activation(x · W + b)` with `W` of shape (inputs, outputs).
///
/// ```
/// use tensorgears::nn::{Activation, Dense};
/// use tensorgears::{Device, Tensor};
/// # fn main() -> tensorgears::Result<()> {
/// let dev = Device::cpu();
/// let layer = Dense::new(784, 512, Activation::Relu, 42, &dev)?;
/// let y = layer.forward(&Tensor::zeros(&[128, 784], &dev)?)?;
/// assert_eq!(y.shape(), &[128, 512]);
/// # Ok(()) }
/// ```
pub struct Dense {
    w: Var,
    b: Var,
    activation: Activation,
}

impl Dense {
    /// Keras' default initialisation: `W` glorot-uniform, uniform in `±sqrt(6 / (in + out))`,
    /// drawn from `seed`; `b` zeros.
    pub fn new(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        seed: u64,
        device: &Device,
    ) -> Result<Dense> {
        let limit = (6.0 / (inputs + outputs).max(1) as f32).sqrt();
        let w = Tensor::rand_uniform(&[inputs, outputs], -limit, limit, seed, device)?;
        Dense::from_tensors(w, Tensor::zeros(&[outputs], device)?, activation)
    }

    /// The chapter's `NaiveDense` initialisation: `W` uniform in `[0, 0.1)`, `b` zeros.
    pub fn naive(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        seed: u64,
        device: &Device,
    ) -> Result<Dense> {
        let w = Tensor::rand_uniform(&[inputs, outputs], 0.0, 0.1, seed, device)?;
        Dense::from_tensors(w, Tensor::zeros(&[outputs], device)?, activation)
    }

    /// A layer with the given weights (inputs, outputs) and bias (outputs,).
    pub fn from_tensors(w: Tensor, b: Tensor, activation: Activation) -> Result<Dense> {
        if w.ndim() != 2 || b.shape() != [w.shape()[1]] {
            return Err(crate::Error::ShapeMismatch {
                op: "Dense",
                lhs: w.shape().to_vec(),
                rhs: b.shape().to_vec(),
            });
        }
        Ok(Dense {
            w: Var::new(w),
            b: Var::new(b),
            activation,
        })
    }

    /// `activation(x · W + b)` for `x` of shape (batch, inputs).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let z = x.matmul(self.w.as_tensor())?.add(self.b.as_tensor())?;
        match self.activation {
            Activation::Relu => z.relu(),
            Activation::Softmax => z.softmax(),
            Activation::None => Ok(z),
        }
    }

    /// The weights `[W, b]`.
    pub fn weights(&self) -> Vec<&Var> {
        vec![&self.w, &self.b]
    }

    /// The activation applied after `x · W + b`.
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

/// Layers applied one after another.
///
/// ```
/// use tensorgears::nn::{Activation, Dense, Sequential};
/// use tensorgears::{Device, Tensor};
/// # fn main() -> tensorgears::Result<()> {
/// let dev = Device::cpu();
/// let model = Sequential::new(vec![
///     Dense::new(784, 512, Activation::Relu, 1, &dev)?,
///     Dense::new(512, 10, Activation::Softmax, 2, &dev)?,
/// ]);
/// assert_eq!(model.weights().len(), 4);
/// let p = model.forward(&Tensor::zeros(&[2, 784], &dev)?)?;
/// assert_eq!(p.shape(), &[2, 10]);
/// # Ok(()) }
/// ```
pub struct Sequential {
    layers: Vec<Dense>,
}

impl Sequential {
    /// A model of `layers`, applied in order.
    pub fn new(layers: Vec<Dense>) -> Sequential {
        Sequential { layers }
    }

    /// The output of the last layer for input `x`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for layer in &self.layers {
            h = layer.forward(&h)?;
        }
        Ok(h)
    }

    /// Every layer's weights, in order.
    pub fn weights(&self) -> Vec<&Var> {
        self.layers.iter().flat_map(Dense::weights).collect()
    }

    /// The layers.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }
}
