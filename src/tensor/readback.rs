//! Reading a tensor's values back to the host, or moving it to another device.

use crate::cpu::CpuStorage;
use crate::{DType, Device, Error, Result, Tensor};

impl Tensor {
    /// The elements in row-major order, copied to host memory.
    pub(crate) fn to_host(&self) -> Result<CpuStorage> {
        self.storage().to_host(self.layout(), self.dtype())
    }

    /// The `f32` elements in row-major order (waits for the GPU).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2], &dev)?;
    /// assert_eq!(x.t()?.to_vec()?, vec![1., 3., 2., 4.]); // a view reads back in its own order
    /// assert!(Tensor::from_vec_u32(vec![1], &[1], &dev)?.to_vec().is_err()); // u32 needs to_vec_u32
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn to_vec(&self) -> Result<Vec<f32>> {
        match self.to_host()? {
            CpuStorage::F32(v) => Ok(v),
            CpuStorage::U32(_) => Err(self.dtype_error("to_vec", DType::F32)),
        }
    }

    /// The `u32` elements in row-major order (waits for the GPU).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::from_vec(vec![0., 5., 3., 1.], &[2, 2], &Device::cpu())?;
    /// assert_eq!(x.argmax_axis(1)?.to_vec_u32()?, vec![1, 0]);
    /// assert!(x.to_vec_u32().is_err()); // f32 needs to_vec
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn to_vec_u32(&self) -> Result<Vec<u32>> {
        match self.to_host()? {
            CpuStorage::U32(v) => Ok(v),
            CpuStorage::F32(_) => Err(self.dtype_error("to_vec_u32", DType::U32)),
        }
    }

    /// The value of a one-element `f32` tensor.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::from_vec(vec![1., 2., 3.], &[3], &Device::cpu())?;
    /// assert_eq!(x.sum()?.to_scalar()?, 6.0);
    /// assert!(x.to_scalar().is_err());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn to_scalar(&self) -> Result<f32> {
        self.check_single("to_scalar")?;
        Ok(self.to_vec()?[0])
    }

    fn check_single(&self, op: &'static str) -> Result<()> {
        if self.len() != 1 {
            return Err(Error::InvalidArgument {
                op,
                msg: format!("tensor of shape {:?} is not a single value", self.shape()),
            });
        }
        Ok(())
    }

    /// `to_vec` without blocking: the way to read a GPU tensor in a browser, where the page's
    /// thread may not block and the synchronous reads return an error. Natively the same
    /// values as `to_vec` (the future is ready once the device has finished).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::from_vec(vec![1., 2., 3.], &[3], &Device::cpu())?;
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// assert_eq!(pollster::block_on(x.to_vec_async())?, vec![1., 2., 3.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub async fn to_vec_async(&self) -> Result<Vec<f32>> {
        match self.to_host_async().await? {
            CpuStorage::F32(v) => Ok(v),
            CpuStorage::U32(_) => Err(self.dtype_error("to_vec_async", DType::F32)),
        }
    }

    /// `to_vec_u32` without blocking (see [`Tensor::to_vec_async`]).
    pub async fn to_vec_u32_async(&self) -> Result<Vec<u32>> {
        match self.to_host_async().await? {
            CpuStorage::U32(v) => Ok(v),
            CpuStorage::F32(_) => Err(self.dtype_error("to_vec_u32_async", DType::U32)),
        }
    }

    /// `to_scalar` without blocking (see [`Tensor::to_vec_async`]).
    pub async fn to_scalar_async(&self) -> Result<f32> {
        self.check_single("to_scalar_async")?;
        Ok(self.to_vec_async().await?[0])
    }

    async fn to_host_async(&self) -> Result<CpuStorage> {
        self.storage()
            .to_host_async(self.layout(), self.dtype())
            .await
    }

    /// The `f32` elements as an ndarray array of the same shape.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2], &Device::cpu())?;
    /// assert_eq!(x.to_array()?, ndarray::arr2(&[[1., 2.], [3., 4.]]).into_dyn());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn to_array(&self) -> Result<ndarray::ArrayD<f32>> {
        let v = self.to_vec()?;
        ndarray::ArrayD::from_shape_vec(self.shape(), v).map_err(|e| Error::InvalidArgument {
            op: "to_array",
            msg: e.to_string(),
        })
    }

    /// A copy of the tensor on `device` (a cheap clone when it is already there).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::from_vec(vec![1., 2.], &[2], &Device::cpu())?;
    /// // Device::gpu() fails on a machine without one.
    /// if let Ok(gpu) = Device::gpu() {
    ///     let y = x.to_device(&gpu)?;
    ///     assert!(y.device().is_gpu());
    ///     assert_eq!(y.to_vec()?, vec![1., 2.]);
    /// }
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn to_device(&self, device: &Device) -> Result<Tensor> {
        if self.device().same(device) {
            return Ok(self.clone());
        }
        Tensor::from_host(self.to_host()?, self.shape(), device)
    }
}
