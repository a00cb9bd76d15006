//! Views: reshape, transpose, permute and slice. Transpose and slice only change the layout;
//! every op accepts such strided views.

use ndarray::SliceInfoElem;

use crate::autograd::Op;
use crate::{Result, Tensor};

impl Tensor {
    /// The same elements in row-major order under a new shape. Free for a contiguous tensor;
    /// a strided view is copied first.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[3, 2], &Device::cpu())?;
    /// assert_eq!(x.reshape(&[6, 1])?.shape(), &[6, 1]);
    /// let err = x.reshape(&[3, 4]).unwrap_err();
    /// assert!(err.to_string().contains("cannot reshape 6 elements into [3, 4]"));
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        let base = if self.layout().is_contiguous() {
            self.clone()
        } else {
            // Check the size before paying for a copy.
            self.layout()
                .clone()
                .into_contiguous_shape()
                .reshape(shape)?;
            self.contiguous()?
        };
        let layout = base.layout().reshape(shape)?;
        Ok(base
            .with_layout(layout)
            .record(&[self], || Op::Reshape(self.clone())))
    }

    /// The axes reversed, like NumPy's `.T` (a view; no copy).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::zeros(&[300, 20], &Device::cpu())?;
    /// assert_eq!(x.t()?.shape(), &[20, 300]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn t(&self) -> Result<Tensor> {
        let axes: Vec<usize> = (0..self.ndim()).rev().collect();
        self.permute(&axes)
    }

    /// Same as [`t`](Tensor::t).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3], &dev)?;
    /// assert_eq!(x.transpose()?.shape(), &[3, 2]);
    /// assert_eq!(x.transpose()?.to_vec()?, vec![0., 3., 1., 4., 2., 5.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn transpose(&self) -> Result<Tensor> {
        self.t()
    }

    /// The axes in the order `axes` (axis `i` of the result is axis `axes[i]`); a view.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::zeros(&[2, 3, 4], &dev)?;
    /// assert_eq!(x.permute(&[2, 0, 1])?.shape(), &[4, 2, 3]);
    /// assert!(x.permute(&[0, 0, 1]).is_err()); // not a permutation
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn permute(&self, axes: &[usize]) -> Result<Tensor> {
        let layout = self.layout().permute(axes)?;
        Ok(self
            .with_layout(layout)
            .record(&[self], || Op::Permute(self.clone(), axes.to_vec())))
    }

    /// A view selected with ndarray's [`s!`](crate::s) macro, with NumPy's bounds: negative
    /// indices count from the end, an end past the axis is clamped (`s![256..384]` of 300 rows
    /// gives 44), a start at or past the end gives an empty axis, a step of 0 is an error. A
    /// negative step reverses the selected range (ndarray's rule).
    ///
    /// ```
    /// use tensorgears::{s, Device, Tensor};
    /// let images = Tensor::zeros(&[300, 28, 28], &Device::cpu())?;
    /// assert_eq!(images.slice(s![10..100])?.shape(), &[90, 28, 28]);
    /// assert_eq!(images.slice(s![.., 7..-7, 7..-7])?.shape(), &[300, 14, 14]);
    /// assert_eq!(images.slice(s![256..384])?.shape(), &[44, 28, 28]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn slice<S: AsRef<[SliceInfoElem]>>(&self, info: S) -> Result<Tensor> {
        let elems = info.as_ref();
        let layout = self.layout().slice(elems)?;
        Ok(self
            .with_layout(layout)
            .record(&[self], || Op::Slice(self.clone(), elems.to_vec())))
    }

    /// Rows `start..start + size` of axis 0, the last batch shorter when the axis runs out.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec((0..10).map(|v| v as f32).collect(), &[5, 2], &dev)?;
    /// assert_eq!(x.batch(1, 2)?.to_vec()?, vec![4., 5., 6., 7.]); // rows 2 and 3
    /// assert_eq!(x.batch(2, 2)?.shape(), &[1, 2]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn batch(&self, index: usize, size: usize) -> Result<Tensor> {
        let start = index.saturating_mul(size).min(isize::MAX as usize) as isize;
        let end = start.saturating_add(size as isize);
        self.slice([SliceInfoElem::Slice {
            start,
            end: Some(end),
            step: 1,
        }])
    }
}
