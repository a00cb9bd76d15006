//! The GPU backend: the runtime (src/gpu/runtime/, which knows no op), the adapter's profile,
//! the table of kernels, their typed parameters, and one launcher per kernel family.

mod context;
mod copy;
pub(crate) mod data;
mod elementwise;
mod kernels;
pub(crate) mod loss;
pub(crate) mod matmul;
pub(crate) mod optimizer;
mod params;
#[cfg(test)]
mod portability;
mod profile;
pub(crate) mod random;
pub(crate) mod reduce;
mod runtime;
mod storage;
pub(crate) mod window;

pub(crate) use context::GpuContext;
pub(crate) use copy::{assign, contiguous};
pub(crate) use elementwise::{binary, fill, unary};
pub use runtime::{GpuCounters, GpuInfo, KernelTime};
pub(crate) use storage::GpuStorage;
