//! What every matmul kernel family says of itself: which products it takes, the tile of C one
//! workgroup covers, the pipelines it runs, and how it launches a product.

use super::kernel::MatmulKernel;
use super::plan::Problem;
use crate::gpu::profile::AdapterProfile;
use crate::gpu::runtime::Kernel;
use crate::gpu::storage::GpuStorage;
use crate::Result;

/// The storage a launch reads and writes: A, B, the bias if there is an epilogue, and C
/// (contiguous, batch x m x n, allocated by the caller).
pub(crate) struct Operands<'a> {
    pub(crate) a: &'a GpuStorage,
    pub(crate) b: &'a GpuStorage,
    pub(crate) bias: Option<&'a GpuStorage>,
    pub(crate) out: &'a GpuStorage,
}

/// One family of matmul kernels, in a file of its own under src/gpu/matmul/.
pub(crate) trait Family: Sync {
    /// Whether this family can run `problem` on this adapter at all (whether it should is the
    /// selection's business, src/gpu/matmul/select.rs).
    fn supports(&self, profile: &AdapterProfile, problem: &Problem) -> bool;

    /// The kernel that takes the products this one does not support.
    fn fallback(&self) -> MatmulKernel;

    /// Rows and columns of C that one workgroup covers.
    fn tile(&self) -> (usize, usize);

    /// The pipelines a launch may run, for compiling them before they are needed.
    fn kernels(&self) -> Vec<Kernel>;

    /// Records the product (`problem`, which it supports) into `operands.out`.
    fn launch(&self, problem: &Problem, operands: &Operands) -> Result<()>;
}
