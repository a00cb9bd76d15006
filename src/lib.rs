//! # tensorgears
//!
//! One [`Tensor`] type that runs on the GPU through wgpu (Vulkan, Metal, DX12) and on the CPU,
//! with the same answers on both.
//!
//! ```
//! use tensorgears::{Device, Tensor};
//! # fn main() -> tensorgears::Result<()> {
//! let dev = Device::auto(); // the GPU if there is one, else the CPU
//! let x = Tensor::from_vec(vec![1., -2., 3., -4.], &[2, 2], &dev)?;
//! let b = Tensor::from_vec(vec![10., 20.], &[2], &dev)?;
//! let y = x.relu()?.add(&b)?; // b broadcasts over the rows
//! assert_eq!(y.to_vec()?, vec![11., 20., 13., 20.]);
//! # Ok(()) }
//! ```
//!
//! ## The public surface in one place
//!
//! Tensors, element-wise ops with NumPy broadcasting, and reading values back:
//!
//! ```
//! use tensorgears::{s, DType, Device, Error, Result, Tensor};
//! # fn main() -> Result<()> {
//! let gpu = Device::gpu()?; // Error::NoAdapter, saying what to install, when there is none
//! let x = Tensor::from_vec(vec![1., -2., 3., -4., 5., 6., -7., 8.], &[2, 4], &gpu)?; // f32, row-major
//! let l = Tensor::from_vec_u32(vec![5, 0, 4], &[3], &gpu)?;                         // u32
//! let a = Tensor::from_array(&ndarray::arr2(&[[1f32, 2.], [3., 4.]]), &gpu)?;        // any f32 ndarray or view
//! let z = Tensor::zeros(&[2, 3], &gpu)?;   // also ones, full, and seeded random uniform
//! let y = Tensor::rand_uniform(&[4], 0.0, 1.0, 42, &gpu)?;
//! let _ = (x.shape(), x.ndim(), x.len(), x.dtype() == DType::F32, x.device());
//! let _: Vec<f32> = x.to_vec()?; let _: Vec<u32> = l.to_vec_u32()?;
//! let _: ndarray::ArrayD<f32> = x.to_array()?; let _ = x.to_device(&Device::cpu())?;
//! x.add(&y)?; x.sub(&y)?; x.mul(&y)?; x.div(&y)?; x.maximum(&y)?;   // NumPy broadcasting, either side
//! x.relu()?; x.add_scalar(1.0)?; x.mul_scalar(2.0)?; x.powf(3.0)?; x.exp()?; x.ln()?;
//! x.sigmoid()?; x.tanh()?;
//! assert!(matches!(x.add(&z), Err(Error::ShapeMismatch { op: "add", .. })));
//! # let _ = a;
//! # Ok(()) }
//! ```
//!
//! Products, views, reductions:
//!
//! ```
//! # use tensorgears::{s, Device, Result, Tensor};
//! # fn main() -> Result<()> {
//! # let dev = Device::cpu();
//! let x = Tensor::rand_uniform(&[300, 28, 28], 0.0, 1.0, 0, &dev)?;
//! let w = Tensor::rand_uniform(&[28, 10], 0.0, 1.0, 1, &dev)?;
//! assert_eq!(x.dot(&w)?.shape(), &[300, 28, 10]);                  // numpy.dot
//! assert_eq!(x.matmul(&w)?.shape(), &[300, 28, 10]);               // numpy.matmul
//! assert_eq!(x.reshape(&[300, 784])?.shape(), &[300, 784]);
//! assert_eq!(x.t()?.shape(), &[28, 28, 300]);
//! assert_eq!(x.permute(&[1, 0, 2])?.shape(), &[28, 300, 28]);
//! assert_eq!(x.slice(s![10..100, .., 7..-7])?.shape(), &[90, 28, 14]);
//! let _ = (x.sum()?, x.sum_axis(1)?, x.mean_axis(0)?, x.max_axis(1)?, x.argmax_axis(1)?);
//! assert_eq!(x.softmax()?.shape(), &[300, 28, 28]);
//! # Ok(()) }
//! ```
//!
//! Images (NHWC, as TensorFlow lays them out), filters (HWIO), pooling and dropout:
//!
//! ```
//! # use tensorgears::{Device, Padding, Result, Tensor};
//! # fn main() -> Result<()> {
//! # let dev = Device::cpu();
//! let images = Tensor::rand_uniform(&[8, 28, 28, 1], 0.0, 1.0, 0, &dev)?;
//! let filters = Tensor::rand_uniform(&[3, 3, 1, 32], -0.1, 0.1, 1, &dev)?;
//! let y = images.conv2d(&filters, [1, 1], Padding::Valid)?;          // tf.nn.conv2d
//! assert_eq!(y.shape(), &[8, 26, 26, 32]);
//! let p = y.max_pool2d([2, 2], [2, 2], Padding::Valid)?;             // tf.nn.max_pool2d
//! assert_eq!(p.shape(), &[8, 13, 13, 32]);
//! assert_eq!(p.dropout(0.5, 42)?.shape(), p.shape());                 // seeded, inverted
//! # Ok(()) }
//! ```
//!
//! Gradients and an update in place:
//!
//! ```
//! use tensorgears::{Device, Tensor, Var};
//! # fn main() -> tensorgears::Result<()> {
//! # let (dev, seed, lr) = (Device::cpu(), 0, 0.1);
//! # let x = Tensor::ones(&[4, 3], &dev)?;
//! let w = Var::new(Tensor::rand_uniform(&[3, 2], 0.0, 1.0, seed, &dev)?);  // a trainable tensor
//! let b = Var::new(Tensor::zeros(&[2], &dev)?);
//! let y = x.matmul(w.as_tensor())?.add(b.as_tensor())?;   // ordinary ops record the graph when a Var is involved
//! let grads: tensorgears::Gradients = y.backward()?;      // gradient of y; for a non-scalar y, of y.sum()
//! let gw: &Tensor = grads.get(&w).unwrap();
//! w.set(&w.as_tensor().sub(&gw.mul_scalar(lr)?)?)?;        // update in place
//! # Ok(()) }
//! ```
//!
//! ## Map
//! - [`Tensor`]: the one tensor type and its operations (`src/tensor/`); [`Device`] says where
//!   it lives; [`Error`] is every failure; [`DType`] its element type.
//! - `layout`: shapes, strides and broadcasting, walked the same way by both devices.
//! - `cpu`: the reference backend; `gpu`: the wgpu backend (`src/gpu/runtime/` holds all wgpu
//!   setup, memory and readback and knows no op), with one WGSL file per kernel family under
//!   `shaders/` and a launcher for each (docs/ARCHITECTURE.md).
//! - [`Var`] and [`Gradients`]: reverse-mode autodiff (`src/autograd/`).
//! - [`loss`], [`optim`]: the fused cross-entropy; SGD, RMSprop and Adam.
//! - [`nn`]: layers (dense, convolution, pooling, dropout) in a `Sequential` model with a
//!   Keras-style summary and safetensors files; [`nn::models`], the book's MNIST models.
//! - [`data`]: data sets, batches gathered on the device, MNIST.
#![warn(missing_docs, missing_debug_implementations)]

mod autograd;
mod cpu;
pub mod data;
mod device;
mod dtype;
mod error;
mod gpu;
mod layout;
pub mod loss;
pub mod nn;
mod ops;
pub mod optim;
#[doc(hidden)]
pub mod parity;
mod storage;
mod tensor;
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub mod web;
mod window;

pub use autograd::{Gradients, Var};
pub use device::Device;
pub use dtype::DType;
pub use error::{Error, Result};
pub use gpu::{GpuCounters, GpuInfo, KernelTime};
pub use ndarray::s;
pub use tensor::Tensor;
pub use window::Padding;

pub(crate) use layout::Layout;
