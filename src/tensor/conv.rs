//! Convolution and max-pooling over NHWC images, TensorFlow's `tf.nn.conv2d` and
//! `tf.nn.max_pool2d`: the convolution multiplies the images' patches (im2col) by the filters
//! on the matmul kernels, so it inherits their tuning, and its gradients are products too.

use crate::autograd::Op;
use crate::window::{Padding, Window};
use crate::{DType, Error, Layout, Result, Tensor};

impl Tensor {
    /// The 2-D convolution (cross-correlation, as every deep-learning library computes it) of
    /// NHWC images `(batch, height, width, in_channels)` with filters `(kernel_height,
    /// kernel_width, in_channels, out_channels)`: `(batch, out_height, out_width,
    /// out_channels)`. The gradient reaches both the images and the filters.
    ///
    /// ```
    /// use tensorgears::{Device, Padding, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec((1..=9).map(|v| v as f32).collect(), &[1, 3, 3, 1], &dev)?;
    /// let w = Tensor::ones(&[2, 2, 1, 1], &dev)?; // sums of 2x2 windows
    /// assert_eq!(x.conv2d(&w, [1, 1], Padding::Valid)?.to_vec()?, vec![12., 16., 24., 28.]);
    /// // SAME pads the odd column and row at the right and bottom.
    /// let same = x.conv2d(&w, [1, 1], Padding::Same)?;
    /// assert_eq!(same.to_vec()?, vec![12., 16., 9., 24., 28., 15., 15., 17., 9.]);
    /// assert!(x.conv2d(&Tensor::ones(&[2, 2, 3, 1], &dev)?, [1, 1], Padding::Valid).is_err());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn conv2d(
        &self,
        filters: &Tensor,
        strides: [usize; 2],
        padding: Padding,
    ) -> Result<Tensor> {
        self.conv_product(filters, strides, padding, |patches, w| patches.matmul(w))
    }

    /// `relu(conv2d(self, filters) + bias)` with the bias and relu applied as the product is
    /// stored: a Conv2D layer's forward in one matmul kernel after the patches.
    ///
    /// ```
    /// use tensorgears::{Device, Padding, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., -2., 3., -4.], &[1, 2, 2, 1], &dev)?;
    /// let w = Tensor::from_vec(vec![1., -1.], &[1, 1, 1, 2], &dev)?;
    /// let b = Tensor::from_vec(vec![0., 1.], &[2], &dev)?;
    /// let y = x.conv2d_bias_relu(&w, &b, [1, 1], Padding::Valid)?;
    /// assert_eq!(y.to_vec()?, vec![1., 0., 0., 3., 3., 0., 0., 5.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn conv2d_bias_relu(
        &self,
        filters: &Tensor,
        bias: &Tensor,
        strides: [usize; 2],
        padding: Padding,
    ) -> Result<Tensor> {
        self.conv_product(filters, strides, padding, |patches, w| {
            patches.linear_relu(w, bias)
        })
    }

    /// The convolution as `product(patches, filters as a matrix)`, back in NHWC.
    fn conv_product(
        &self,
        filters: &Tensor,
        strides: [usize; 2],
        padding: Padding,
        product: impl FnOnce(&Tensor, &Tensor) -> Result<Tensor>,
    ) -> Result<Tensor> {
        const OP: &str = "conv2d";
        let (n, window, cin) = self.conv_window(OP, filters, strides, padding)?;
        let cout = filters.shape()[3];
        let w = filters.reshape(&[window.k_h * window.k_w * cin, cout])?;
        product(&self.patches(OP, n, cin, &window)?, &w)?.reshape(&[
            n,
            window.out_h,
            window.out_w,
            cout,
        ])
    }

    /// Max-pooling of NHWC images with TensorFlow's `tf.nn.max_pool2d` arithmetic: padding
    /// (under `Same`) never wins. NaN wins over every number; among equal values the first in
    /// row-major order does, and it alone receives the window's gradient.
    ///
    /// ```
    /// use tensorgears::{Device, Padding, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec((1..=9).map(|v| v as f32).collect(), &[1, 3, 3, 1], &dev)?;
    /// assert_eq!(x.max_pool2d([2, 2], [2, 2], Padding::Valid)?.to_vec()?, vec![5.]);
    /// assert_eq!(x.max_pool2d([2, 2], [2, 2], Padding::Same)?.to_vec()?, vec![5., 6., 8., 9.]);
    /// assert!(x.max_pool2d([4, 4], [1, 1], Padding::Valid).is_err());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn max_pool2d(
        &self,
        window: [usize; 2],
        strides: [usize; 2],
        padding: Padding,
    ) -> Result<Tensor> {
        const OP: &str = "max_pool2d";
        let [n, h, w, c] = self.images_shape(OP)?;
        let window = Window::new(OP, [h, w], window, strides, padding)
            .map_err(|e| naming_shape(e, format!("images {:?}", self.shape())))?;
        let (values, at) = self.storage().max_pool(self.layout(), n, c, &window)?;
        let device = self.device().clone();
        let shape = [n, window.out_h, window.out_w, c];
        let at = Tensor::from_storage(at, Layout::contiguous(&shape), DType::U32, device.clone());
        let out = Tensor::from_storage(values, Layout::contiguous(&shape), DType::F32, device);
        Ok(out.record(&[self], || Op::MaxPool(self.clone(), at, window)))
    }

    /// The gradient of max-pooling images of `shape`, this tensor being the output's.
    pub(crate) fn max_pool_backward(
        &self,
        at: &Tensor,
        shape: &[usize],
        window: &Window,
    ) -> Result<Tensor> {
        let (n, c) = (shape[0], shape[3]);
        let storage =
            self.storage()
                .max_pool_backward(self.layout(), at.storage(), n, c, window)?;
        let out = Layout::contiguous(shape);
        Ok(Tensor::from_storage(
            storage,
            out,
            DType::F32,
            self.device().clone(),
        ))
    }

    /// The images' gradient from their patches' gradient (this tensor): what `patches` copied
    /// each element to, summed back.
    pub(crate) fn col2im(&self, shape: &[usize], window: &Window) -> Result<Tensor> {
        let (n, c) = (shape[0], shape[3]);
        let storage = self.storage().col2im(self.layout(), n, c, window)?;
        let out = Layout::contiguous(shape);
        Ok(Tensor::from_storage(
            storage,
            out,
            DType::F32,
            self.device().clone(),
        ))
    }

    /// The patches of `n` images of `c` channels: a row per output position, the window's
    /// values in (row, column, channel) order.
    fn patches(&self, op: &'static str, n: usize, c: usize, window: &Window) -> Result<Tensor> {
        let rows = n * window.out_h * window.out_w;
        let cols = window.k_h * window.k_w * c;
        crate::layout::element_count(op, &[rows, cols])?;
        let storage = self.storage().im2col(self.layout(), n, c, window)?;
        let out = Tensor::from_storage(
            storage,
            Layout::contiguous(&[rows, cols]),
            DType::F32,
            self.device().clone(),
        );
        Ok(out.record(&[self], || Op::Im2Col(self.clone(), *window)))
    }

    /// The NHWC dimensions of f32 images, or an error naming `op`.
    fn images_shape(&self, op: &'static str) -> Result<[usize; 4]> {
        if self.dtype() != DType::F32 {
            return Err(self.dtype_error(op, DType::F32));
        }
        match *self.shape() {
            [n, h, w, c] => Ok([n, h, w, c]),
            _ => Err(Error::InvalidArgument {
                op,
                msg: format!(
                    "images must be NHWC (batch, height, width, channels); got shape {:?}",
                    self.shape()
                ),
            }),
        }
    }

    /// Checks images and HWIO filters against each other: the batch, the sweep and the input
    /// channels.
    fn conv_window(
        &self,
        op: &'static str,
        filters: &Tensor,
        strides: [usize; 2],
        padding: Padding,
    ) -> Result<(usize, Window, usize)> {
        let [n, h, w, c] = self.images_shape(op)?;
        self.check_f32_pair(op, filters)?;
        let [kh, kw, cin, _] = *filters.shape() else {
            return Err(Error::InvalidArgument {
                op,
                msg: format!(
                    "filters must be (height, width, in_channels, out_channels); got shape {:?}",
                    filters.shape()
                ),
            });
        };
        if cin != c {
            return Err(Error::ShapeMismatch {
                op,
                lhs: self.shape().to_vec(),
                rhs: filters.shape().to_vec(),
            });
        }
        let window = Window::new(op, [h, w], [kh, kw], strides, padding).map_err(|e| {
            let shapes = format!("images {:?}, filters {:?}", self.shape(), filters.shape());
            naming_shape(e, shapes)
        })?;
        Ok((n, window, c))
    }
}

/// A window error with the operands' shapes added to its message.
fn naming_shape(e: Error, shapes: String) -> Error {
    match e {
        Error::InvalidArgument { op, msg } => Error::InvalidArgument {
            op,
            msg: format!("{msg}; {shapes}"),
        },
        e => e,
    }
}
