//! The fully connected layer.

use super::Activation;
use crate::{Device, Result, Tensor, Var};

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
#[derive(Debug)]
pub struct Dense {
    pub(super) w: Var,
    pub(super) b: Var,
    pub(super) activation: Activation,
}

impl Dense {
    /// Keras' default initialisation: `W` glorot-uniform, uniform in `±sqrt(6 / (in + out))`,
    /// drawn from `seed`; `b` zeros.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let layer = Dense::new(10, 6, Activation::Relu, 42, &dev)?;
    /// let limit = (6.0f32 / (10.0 + 6.0)).sqrt();
    /// assert!(layer.weights()[0].as_tensor().to_vec()?.iter().all(|w| w.abs() <= limit));
    /// assert_eq!(layer.weights()[1].as_tensor().to_vec()?, vec![0.; 6]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
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
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let layer = Dense::naive(10, 6, Activation::Relu, 42, &dev)?;
    /// assert!(layer.weights()[0].as_tensor().to_vec()?.iter().all(|w| (0.0..0.1).contains(w)));
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
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
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let w = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2], &dev)?;
    /// let b = Tensor::from_vec(vec![10., 20.], &[2], &dev)?;
    /// let layer = Dense::from_tensors(w, b, Activation::None)?;
    /// let x = Tensor::from_vec(vec![1., 1.], &[1, 2], &dev)?;
    /// assert_eq!(layer.forward(&x)?.to_vec()?, vec![14., 26.]); // [1, 1] · W = [4, 6]
    /// let (w, b) = (Tensor::zeros(&[2, 2], &dev)?, Tensor::zeros(&[3], &dev)?);
    /// assert!(Dense::from_tensors(w, b, Activation::None).is_err()); // 3 biases for 2 outputs
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
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

    /// `activation(x · W + b)` for `x` of shape (batch, inputs), with the product, bias and relu
    /// in one kernel ([`Tensor::linear_relu`]); other ranks are batches along their leading axes.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let (w, b) = (Tensor::zeros(&[3, 4], &dev)?, Tensor::zeros(&[4], &dev)?);
    /// let layer = Dense::from_tensors(w, b, Activation::Softmax)?;
    /// let p = layer.forward(&Tensor::ones(&[2, 3], &dev)?)?; // equal logits: equal probabilities
    /// assert_eq!(p.to_vec()?, vec![0.25; 8]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.apply(x, self.activation)
    }

    /// The layer with `activation` in place of its own.
    pub(super) fn apply(&self, x: &Tensor, activation: Activation) -> Result<Tensor> {
        // The product, bias and relu run as one kernel on (rows, inputs); other ranks fold
        // their leading axes into rows, as matmul would broadcast them.
        if x.ndim() != 2 && x.ndim() > 0 {
            let lead = &x.shape()[..x.ndim() - 1];
            let rows = x.reshape(&[lead.iter().product(), x.shape()[x.ndim() - 1]])?;
            let mut shape = lead.to_vec();
            shape.push(self.b.as_tensor().len());
            return self.apply(&rows, activation)?.reshape(&shape);
        }
        let (w, b) = (self.w.as_tensor(), self.b.as_tensor());
        match activation {
            Activation::Relu => x.linear_relu(w, b),
            Activation::Softmax => x.linear(w, b)?.softmax(),
            Activation::None => x.linear(w, b),
        }
    }

    /// The weights `[W, b]`.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let layer = Dense::new(784, 10, Activation::None, 0, &dev)?;
    /// let shapes: Vec<&[usize]> = layer.weights().iter().map(|v| v.as_tensor().shape()).collect();
    /// assert_eq!(shapes, vec![&[784, 10][..], &[10][..]]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn weights(&self) -> Vec<&Var> {
        vec![&self.w, &self.b]
    }

    /// The activation applied after `x · W + b`.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let layer = Dense::new(784, 10, Activation::Softmax, 0, &dev)?;
    /// assert_eq!(layer.activation(), Activation::Softmax);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The number of inputs each sample has.
    pub fn inputs(&self) -> usize {
        self.w.as_tensor().shape()[0]
    }

    /// The number of outputs.
    pub fn outputs(&self) -> usize {
        self.b.as_tensor().len()
    }
}
