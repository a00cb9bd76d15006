//! Reductions along an axis, and softmax.

use crate::autograd::Op;
use crate::ops::ReduceOp;
use crate::{DType, Error, Layout, Result, Tensor};

impl Tensor {
    fn reduce(&self, op: ReduceOp, axis: usize) -> Result<Tensor> {
        if self.dtype() != DType::F32 {
            return Err(self.dtype_error(op.name(), DType::F32));
        }
        if axis >= self.ndim() {
            return Err(Error::AxisOutOfRange {
                op: op.name(),
                axis,
                ndim: self.ndim(),
            });
        }
        if op != ReduceOp::Sum && self.shape()[axis] == 0 {
            return Err(Error::InvalidArgument {
                op: op.name(),
                msg: format!(
                    "axis {axis} of shape {:?} is empty and has no maximum",
                    self.shape()
                ),
            });
        }
        let storage = self.storage().reduce(op, self.layout(), axis)?;
        let shape = self.layout().remove_axis(axis).shape().to_vec();
        let dtype = if op == ReduceOp::ArgMax {
            DType::U32
        } else {
            DType::F32
        };
        let out = Tensor::from_storage(
            storage,
            Layout::contiguous(&shape),
            dtype,
            self.device().clone(),
        );
        // Max and argmax pass no gradient (see their docs); a sum passes it to every element.
        Ok(match op {
            ReduceOp::Sum => out.record(&[self], || Op::SumAxis(self.clone(), axis)),
            ReduceOp::Max | ReduceOp::ArgMax => out,
        })
    }

    /// The sum of all elements, as a 0-d tensor (a tree sum: accurate for very long tensors).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::ones(&[3, 4], &Device::cpu())?;
    /// assert_eq!(x.sum()?.to_vec()?, vec![12.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn sum(&self) -> Result<Tensor> {
        self.reshape(&[self.len()])?.sum_axis(0)?.reshape(&[])
    }

    /// The sum along `axis`, which is removed from the shape.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3], &Device::cpu())?;
    /// assert_eq!(x.sum_axis(1)?.to_vec()?, vec![6., 15.]);
    /// assert_eq!(x.sum_axis(0)?.to_vec()?, vec![5., 7., 9.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn sum_axis(&self, axis: usize) -> Result<Tensor> {
        self.reduce(ReduceOp::Sum, axis)
    }

    /// The mean along `axis`, which is removed (NaN for an empty axis, as in NumPy).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3], &dev)?;
    /// assert_eq!(x.mean_axis(0)?.to_vec()?, vec![2.5, 3.5, 4.5]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn mean_axis(&self, axis: usize) -> Result<Tensor> {
        let n = self.shape().get(axis).copied().unwrap_or(1);
        self.sum_axis(axis)?.mul_scalar(1.0 / n as f32)
    }

    /// The mean of all elements, as a 0-d tensor.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2], &dev)?;
    /// assert_eq!(x.mean()?.to_scalar()?, 2.5);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn mean(&self) -> Result<Tensor> {
        self.sum()?.mul_scalar(1.0 / self.len() as f32)
    }

    /// The maximum along `axis`, which is removed. An empty axis is an error. It passes no
    /// gradient: its result is a plain tensor even when `self` is tracked.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 9., 3., 7., 2., 7.], &[2, 3], &dev)?;
    /// assert_eq!(x.max_axis(1)?.to_vec()?, vec![9., 7.]);
    /// assert_eq!(x.max_axis(0)?.to_vec()?, vec![7., 9., 7.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn max_axis(&self, axis: usize) -> Result<Tensor> {
        self.reduce(ReduceOp::Max, axis)
    }

    /// The index of the maximum along `axis` (the first one among ties), as a `u32` tensor
    /// (untracked).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::from_vec(vec![1., 9., 3., 7., 2., 7.], &[2, 3], &Device::cpu())?;
    /// assert_eq!(x.argmax_axis(1)?.to_vec_u32()?, vec![1, 0]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn argmax_axis(&self, axis: usize) -> Result<Tensor> {
        self.reduce(ReduceOp::ArgMax, axis)
    }

    /// Softmax over the last axis, computed stably as `exp(x - max) / sum(exp(x - max))`.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![5., 5., 1., 2.], &[2, 2], &dev)?;
    /// let p = x.softmax()?.to_vec()?;
    /// assert_eq!(&p[..2], &[0.5, 0.5]);
    /// assert!((p[2] + p[3] - 1.0).abs() < 1e-6 && p[3] > p[2]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn softmax(&self) -> Result<Tensor> {
        if self.dtype() != DType::F32 {
            return Err(self.dtype_error("softmax", DType::F32));
        }
        if self.ndim() == 0 {
            return Err(Error::InvalidArgument {
                op: "softmax",
                msg: "softmax needs at least one axis".into(),
            });
        }
        let storage = self.storage().softmax(self.layout())?;
        let out = Tensor::from_storage(
            storage,
            Layout::contiguous(self.shape()),
            DType::F32,
            self.device().clone(),
        );
        let value = out.clone();
        Ok(out.record(&[self], || Op::Softmax(self.clone(), value)))
    }
}
