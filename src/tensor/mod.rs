//! The [`Tensor`] type: construction, attributes and reading values back.

mod conv;
mod dropout;
mod elementwise;
mod matmul;
mod readback;
mod reduce;
mod shape;

use std::fmt;
use std::sync::Arc;

use rand::{Rng, SeedableRng};

use crate::autograd::{Node, Op};
use crate::cpu::CpuStorage;
use crate::gpu::{self, GpuStorage};
use crate::layout::{element_count, Layout};
use crate::storage::Storage;
use crate::{DType, Device, Error, Result};

/// An n-dimensional array of `f32` or `u32` on the CPU or a GPU.
///
/// Cloning a tensor is cheap: clones share storage. Operations never modify their inputs.
///
/// ```
/// use tensorgears::{DType, Device, Tensor};
/// # fn main() -> tensorgears::Result<()> {
/// let dev = Device::cpu();
/// let x = Tensor::from_vec(vec![1., -2., 3., -4., 5., 6., -7., 8.], &[2, 4], &dev)?;
/// assert_eq!(x.shape(), &[2, 4]);
/// assert_eq!(x.dtype(), DType::F32);
/// assert_eq!(x.relu()?.to_vec()?, vec![1., 0., 3., 0., 5., 6., 0., 8.]);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Tensor {
    storage: Arc<Storage>,
    layout: Layout,
    dtype: DType,
    device: Device,
    /// How this tensor was computed from a `Var`; `None` for plain tensors.
    node: Option<Arc<Node>>,
}

/// Number of elements of `shape`, or an error when it overflows.
impl Tensor {
    pub(crate) fn from_storage(
        storage: Storage,
        layout: Layout,
        dtype: DType,
        device: Device,
    ) -> Tensor {
        Tensor {
            storage: Arc::new(storage),
            layout,
            dtype,
            device,
            node: None,
        }
    }

    pub(crate) fn from_host(data: CpuStorage, shape: &[usize], device: &Device) -> Result<Tensor> {
        let (dtype, len, bytes): (DType, usize, &[u8]) = match &data {
            CpuStorage::F32(v) => (DType::F32, v.len(), bytemuck::cast_slice(v)),
            CpuStorage::U32(v) => (DType::U32, v.len(), bytemuck::cast_slice(v)),
        };
        let expected = element_count("from_vec", shape)?;
        if expected != len {
            return Err(Error::ElementCount {
                op: "from_vec",
                shape: shape.to_vec(),
                expected,
                got: len,
            });
        }
        let storage = match device.gpu_context() {
            None => Storage::cpu(data),
            Some(ctx) => Storage::Gpu(GpuStorage::upload(ctx, "from_vec", bytes)?),
        };
        Ok(Tensor::from_storage(
            storage,
            Layout::contiguous(shape),
            dtype,
            device.clone(),
        ))
    }

    /// An `f32` tensor of `shape` from row-major `data`.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3], &Device::cpu())?;
    /// assert_eq!(x.shape(), &[2, 3]);
    /// assert!(Tensor::from_vec(vec![1., 2.], &[3], &Device::cpu()).is_err()); // 2 values for 3 places
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn from_vec(data: Vec<f32>, shape: &[usize], device: &Device) -> Result<Tensor> {
        Tensor::from_host(CpuStorage::F32(data), shape, device)
    }

    /// A `u32` tensor (labels, indices) of `shape` from row-major `data`.
    ///
    /// ```
    /// # use tensorgears::{DType, Device, Tensor};
    /// let labels = Tensor::from_vec_u32(vec![5, 0, 4], &[3], &Device::cpu())?;
    /// assert_eq!(labels.dtype(), DType::U32);
    /// assert_eq!(labels.to_vec_u32()?, vec![5, 0, 4]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn from_vec_u32(data: Vec<u32>, shape: &[usize], device: &Device) -> Result<Tensor> {
        Tensor::from_host(CpuStorage::U32(data), shape, device)
    }

    /// An `f32` tensor from any ndarray array or view, in its logical (row-major) order.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let a = Tensor::from_array(&ndarray::arr2(&[[1f32, 2.], [3., 4.]]), &Device::cpu())?;
    /// assert_eq!(a.shape(), &[2, 2]);
    /// assert_eq!(a.to_vec()?, vec![1., 2., 3., 4.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn from_array<S, D>(array: &ndarray::ArrayBase<S, D>, device: &Device) -> Result<Tensor>
    where
        S: ndarray::Data<Elem = f32>,
        D: ndarray::Dimension,
    {
        let data: Vec<f32> = array.iter().copied().collect();
        Tensor::from_vec(data, array.shape(), device)
    }

    /// A rank-0 tensor holding `value`.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let s = Tensor::scalar(2.5, &Device::cpu())?;
    /// assert_eq!(s.ndim(), 0);
    /// assert_eq!(s.to_scalar()?, 2.5);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn scalar(value: f32, device: &Device) -> Result<Tensor> {
        Tensor::from_vec(vec![value], &[], device)
    }

    /// A tensor of `shape` with every element `value`.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::full(&[2, 2], 7.0, &Device::cpu())?;
    /// assert_eq!(x.to_vec()?, vec![7.0; 4]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn full(shape: &[usize], value: f32, device: &Device) -> Result<Tensor> {
        let len = element_count("full", shape)?;
        let storage = match device.gpu_context() {
            None => Storage::cpu(CpuStorage::F32(crate::cpu::filled(len, value)?)),
            Some(ctx) => Storage::Gpu(gpu::fill(ctx, len, value)?),
        };
        Ok(Tensor::from_storage(
            storage,
            Layout::contiguous(shape),
            DType::F32,
            device.clone(),
        ))
    }

    /// A tensor of zeros.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::zeros(&[2, 3], &Device::cpu())?;
    /// assert_eq!(x.to_vec()?, vec![0.0; 6]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn zeros(shape: &[usize], device: &Device) -> Result<Tensor> {
        Tensor::full(shape, 0.0, device)
    }

    /// A tensor of ones.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::ones(&[2, 3], &Device::cpu())?;
    /// assert_eq!(x.sum()?.to_scalar()?, 6.0);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn ones(shape: &[usize], device: &Device) -> Result<Tensor> {
        Tensor::full(shape, 1.0, device)
    }

    /// Uniform random values in `[low, high)`, the same for a given `seed` on every device
    /// (they are drawn on the host with ChaCha8 and uploaded).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let dev = Device::cpu();
    /// let a = Tensor::rand_uniform(&[1000], -1.0, 1.0, 7, &dev)?.to_vec()?;
    /// assert!(a.iter().all(|v| (-1.0..1.0).contains(v)));
    /// assert_eq!(a, Tensor::rand_uniform(&[1000], -1.0, 1.0, 7, &dev)?.to_vec()?);
    /// assert!(Tensor::rand_uniform(&[3], 1.0, 0.0, 7, &dev).is_err()); // low must be below high
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn rand_uniform(
        shape: &[usize],
        low: f32,
        high: f32,
        seed: u64,
        device: &Device,
    ) -> Result<Tensor> {
        if !(low.is_finite() && high.is_finite() && low < high) {
            return Err(Error::InvalidArgument {
                op: "rand_uniform",
                msg: format!("needs finite low < high, got [{low}, {high})"),
            });
        }
        let len = element_count("rand_uniform", shape)?;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let data = crate::cpu::collect_n(len, (0..len).map(|_| rng.random_range(low..high)))?;
        Tensor::from_vec(data, shape, device)
    }

    /// The size of each axis.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::zeros(&[2, 3, 4], &Device::cpu())?;
    /// assert_eq!(x.shape(), &[2, 3, 4]);
    /// assert_eq!(x.sum_axis(1)?.shape(), &[2, 4]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// The number of axes (0 for a scalar).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let dev = Device::cpu();
    /// assert_eq!(Tensor::zeros(&[2, 3, 4], &dev)?.ndim(), 3);
    /// assert_eq!(Tensor::scalar(1.0, &dev)?.ndim(), 0);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The number of elements.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let dev = Device::cpu();
    /// assert_eq!(Tensor::zeros(&[2, 3, 4], &dev)?.len(), 24);
    /// assert_eq!(Tensor::scalar(1.0, &dev)?.len(), 1);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.layout.len()
    }

    /// True when the tensor holds no element.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let dev = Device::cpu();
    /// assert!(Tensor::zeros(&[3, 0], &dev)?.is_empty());
    /// assert!(!Tensor::scalar(0.0, &dev)?.is_empty());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type.
    ///
    /// ```
    /// # use tensorgears::{DType, Device, Tensor};
    /// let dev = Device::cpu();
    /// assert_eq!(Tensor::zeros(&[2], &dev)?.dtype(), DType::F32);
    /// assert_eq!(Tensor::from_vec_u32(vec![1, 2], &[2], &dev)?.dtype(), DType::U32);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The device holding the tensor.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::zeros(&[2], &Device::cpu())?;
    /// assert!(x.device().is_cpu());
    /// assert_eq!(x.relu()?.device(), &Device::cpu()); // results stay where their inputs are
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The same storage seen through another layout (a view), untracked: the caller records.
    pub(crate) fn with_layout(&self, layout: Layout) -> Tensor {
        Tensor {
            storage: self.storage.clone(),
            layout,
            dtype: self.dtype,
            device: self.device.clone(),
            node: None,
        }
    }

    pub(crate) fn with_node(mut self, node: Node) -> Tensor {
        self.node = Some(Arc::new(node));
        self
    }

    pub(crate) fn node(&self) -> Option<&Arc<Node>> {
        self.node.as_ref()
    }

    /// The same values, no longer tracked: operations on the result record nothing.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor, Var};
    /// let w = Var::new(Tensor::ones(&[2], &Device::cpu())?);
    /// let y = w.as_tensor().mul_scalar(3.0)?;
    /// assert!(y.is_tracked());
    /// assert!(!y.detach().is_tracked());
    /// assert_eq!(y.detach().to_vec()?, vec![3.0, 3.0]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn detach(&self) -> Tensor {
        self.with_layout(self.layout.clone())
    }

    /// A read-only view of this (untracked) tensor broadcast to `shape`, with zero strides.
    pub(crate) fn broadcast_as(&self, shape: &[usize]) -> Result<Tensor> {
        debug_assert!(!self.is_tracked(), "broadcast_as records no gradient");
        Ok(self.with_layout(self.layout.broadcast_to("broadcast", shape)?))
    }

    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    pub(crate) fn storage(&self) -> &Storage {
        &self.storage
    }

    /// A contiguous copy when the tensor is a strided view, else a cheap clone.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2], &Device::cpu())?;
    /// let c = x.t()?.contiguous()?; // the transposed view, copied into row-major order
    /// assert_eq!(c.to_vec()?, vec![1., 3., 2., 4.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.layout.is_contiguous() {
            return Ok(self.clone());
        }
        let storage = self.storage.contiguous(&self.layout)?;
        let out = Tensor::from_storage(
            storage,
            Layout::contiguous(self.shape()),
            self.dtype,
            self.device.clone(),
        );
        Ok(out.record(&[self], || Op::Contiguous(self.clone())))
    }

    pub(crate) fn dtype_error(&self, op: &'static str, expected: DType) -> Error {
        Error::DTypeMismatch {
            op,
            expected,
            got: self.dtype,
        }
    }

    pub(crate) fn check_same_device(&self, op: &'static str, other: &Tensor) -> Result<()> {
        if self.device.same(&other.device) {
            Ok(())
        } else {
            Err(Error::DeviceMismatch {
                op,
                lhs: self.device.to_string(),
                rhs: other.device.to_string(),
            })
        }
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Tensor(shape={:?}, dtype={}, device={})",
            self.shape(),
            self.dtype,
            self.device
        )
    }
}
