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
//! ## Map
//! - [`tensor`](Tensor): the `Tensor` type and its operations (`src/tensor/`).
//! - `layout`: shapes, strides and broadcasting, walked the same way by both devices.
//! - `cpu`: the reference backend; `gpu`: the wgpu backend (`src/gpu/context.rs` holds all wgpu
//!   setup and readback), with one WGSL file per kernel family under `shaders/`.
//! - [`Device`], [`Error`], [`DType`].
#![warn(missing_docs)]

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
mod storage;
mod tensor;

pub use autograd::{Gradients, Var};
pub use device::Device;
pub use dtype::DType;
pub use error::{Error, Result};
pub use ndarray::s;
pub use tensor::Tensor;

pub(crate) use layout::Layout;
