//! The convolution and pooling layers.

use super::Activation;
use crate::window::{Padding, Window};
use crate::{Device, Error, Result, Tensor, Var};

/// A 2-D convolution layer, Keras' `Conv2D`: `activation(conv2d(x, filters) + bias)` over
/// NHWC images, with filters (kernel height, kernel width, in channels, out channels).
///
/// ```
/// use tensorgears::nn::{Activation, Conv2D};
/// use tensorgears::{Device, Padding, Tensor};
/// # let dev = Device::cpu();
/// let conv = Conv2D::new(1, 32, [3, 3], Activation::Relu, 0, &dev)?;
/// let y = conv.forward(&Tensor::zeros(&[8, 28, 28, 1], &dev)?)?;
/// assert_eq!(y.shape(), &[8, 26, 26, 32]);
/// let same = conv.with_padding(Padding::Same).with_strides([2, 2]);
/// assert_eq!(same.forward(&Tensor::zeros(&[8, 28, 28, 1], &dev)?)?.shape(), &[8, 14, 14, 32]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug)]
pub struct Conv2D {
    pub(super) filters: Var,
    pub(super) bias: Var,
    pub(super) strides: [usize; 2],
    pub(super) padding: Padding,
    pub(super) activation: Activation,
}

impl Conv2D {
    /// Keras' defaults: strides 1, `Valid` padding, filters glorot-uniform (uniform in
    /// `±sqrt(6 / (fan_in + fan_out))`, the fans counting the window) drawn from `seed`, bias
    /// zeros.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        activation: Activation,
        seed: u64,
        device: &Device,
    ) -> Result<Conv2D> {
        let window = kernel[0] * kernel[1];
        let fans = window * (in_channels + out_channels);
        let limit = (6.0 / fans.max(1) as f32).sqrt();
        let shape = [kernel[0], kernel[1], in_channels, out_channels];
        let filters = Tensor::rand_uniform(&shape, -limit, limit, seed, device)?;
        Conv2D::from_tensors(filters, Tensor::zeros(&[out_channels], device)?, activation)
    }

    /// A layer with the given filters (HWIO) and bias (out channels,), strides 1 and `Valid`
    /// padding.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Conv2D};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let f = Tensor::ones(&[3, 3, 2, 4], &dev)?;
    /// assert!(Conv2D::from_tensors(f.clone(), Tensor::zeros(&[4], &dev)?, Activation::Relu).is_ok());
    /// assert!(Conv2D::from_tensors(f, Tensor::zeros(&[2], &dev)?, Activation::Relu).is_err());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn from_tensors(filters: Tensor, bias: Tensor, activation: Activation) -> Result<Conv2D> {
        if filters.ndim() != 4 || bias.shape() != [filters.shape()[3]] || filters.is_empty() {
            return Err(Error::ShapeMismatch {
                op: "Conv2D",
                lhs: filters.shape().to_vec(),
                rhs: bias.shape().to_vec(),
            });
        }
        Ok(Conv2D {
            filters: Var::new(filters),
            bias: Var::new(bias),
            strides: [1, 1],
            padding: Padding::Valid,
            activation,
        })
    }

    /// The same layer moving its window by `strides`.
    pub fn with_strides(mut self, strides: [usize; 2]) -> Conv2D {
        self.strides = strides;
        self
    }

    /// The same layer with `padding`.
    pub fn with_padding(mut self, padding: Padding) -> Conv2D {
        self.padding = padding;
        self
    }

    /// The layer's output for NHWC images `x`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.apply(x, self.activation)
    }

    /// The layer with `activation` in place of its own.
    pub(super) fn apply(&self, x: &Tensor, activation: Activation) -> Result<Tensor> {
        let (f, b) = (self.filters.as_tensor(), self.bias.as_tensor());
        match activation {
            Activation::Relu => x.conv2d_bias_relu(f, b, self.strides, self.padding),
            Activation::None => x.conv2d(f, self.strides, self.padding)?.add(b),
            Activation::Softmax => x.conv2d(f, self.strides, self.padding)?.add(b)?.softmax(),
        }
    }

    /// The filters and the bias.
    pub fn weights(&self) -> Vec<&Var> {
        vec![&self.filters, &self.bias]
    }

    /// The activation applied to the convolution plus bias.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The strides and padding.
    pub fn sweep(&self) -> ([usize; 2], Padding) {
        (self.strides, self.padding)
    }

    /// The output's (height, width, channels) for one image of `input`.
    pub(super) fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let [kh, kw, cin, cout] = *self.filters.as_tensor().shape() else {
            return Err(shape_error("Conv2D", input, "filters of rank 4"));
        };
        let [h, w, c] = *input else {
            return Err(shape_error("Conv2D", input, "(height, width, channels)"));
        };
        if c != cin {
            return Err(shape_error("Conv2D", input, &format!("{cin} channels")));
        }
        let win = Window::new("Conv2D", [h, w], [kh, kw], self.strides, self.padding)?;
        Ok(vec![win.out_h, win.out_w, cout])
    }
}

/// Keras' `MaxPooling2D`: the largest value of each window, per channel.
///
/// ```
/// use tensorgears::nn::MaxPooling2D;
/// use tensorgears::{Device, Padding, Tensor};
/// # let dev = Device::cpu();
/// let pool = MaxPooling2D::new([2, 2]); // strides = pool size, Valid: 13 -> 6
/// assert_eq!(pool.forward(&Tensor::zeros(&[1, 13, 13, 4], &dev)?)?.shape(), &[1, 6, 6, 4]);
/// let same = pool.with_padding(Padding::Same); // 13 -> 7
/// assert_eq!(same.forward(&Tensor::zeros(&[1, 13, 13, 4], &dev)?)?.shape(), &[1, 7, 7, 4]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPooling2D {
    pub(super) pool: [usize; 2],
    pub(super) strides: [usize; 2],
    pub(super) padding: Padding,
}

impl MaxPooling2D {
    /// Windows of `pool`, moved by their own size, `Valid` padding: Keras' defaults.
    pub fn new(pool: [usize; 2]) -> MaxPooling2D {
        MaxPooling2D {
            pool,
            strides: pool,
            padding: Padding::Valid,
        }
    }

    /// The same pooling moving its window by `strides`.
    pub fn with_strides(mut self, strides: [usize; 2]) -> MaxPooling2D {
        self.strides = strides;
        self
    }

    /// The same pooling with `padding`.
    pub fn with_padding(mut self, padding: Padding) -> MaxPooling2D {
        self.padding = padding;
        self
    }

    /// The pooled NHWC images.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.max_pool2d(self.pool, self.strides, self.padding)
    }

    /// The window, strides and padding.
    pub fn sweep(&self) -> ([usize; 2], [usize; 2], Padding) {
        (self.pool, self.strides, self.padding)
    }

    pub(super) fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let [h, w, c] = *input else {
            return Err(shape_error(
                "MaxPooling2D",
                input,
                "(height, width, channels)",
            ));
        };
        let win = Window::new(
            "MaxPooling2D",
            [h, w],
            self.pool,
            self.strides,
            self.padding,
        )?;
        Ok(vec![win.out_h, win.out_w, c])
    }
}

/// A layer that cannot take one sample of shape `input`.
pub(super) fn shape_error(op: &'static str, input: &[usize], wants: &str) -> Error {
    Error::InvalidArgument {
        op,
        msg: format!("a sample of shape {input:?} does not fit; the layer takes {wants}"),
    }
}
