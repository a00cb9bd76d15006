//! Matrix products on the GPU, split by concern:
//! - plan.rs: a product as asked, and as a kernel launches it (its parameter block);
//! - select.rs: which kernel runs a product, from the adapter's profile (no device needed);
//! - tuning.rs: the kernel for a product: forced, measured for its shape class (classes.rs),
//!   or the adapter's default while its class is measured (measure.rs; tune.rs keeps the
//!   state and the disk cache);
//! - family.rs: what each kernel family says of itself, and one file per family behind it:
//!   basic.rs (register and tiled), gemm.rs (for GPU hardware), subgroup.rs, texture.rs (with
//!   operands.rs), narrow.rs, and pack.rs for the operands a copy cannot move;
//! - launch.rs: running a product on a named kernel.

mod basic;
mod classes;
mod family;
mod gemm;
pub(crate) mod kernel;
mod launch;
mod measure;
mod narrow;
mod operands;
pub(crate) mod pack;
pub(crate) mod plan;
mod select;
mod subgroup;
mod texture;
pub(crate) mod tune;
mod tuning;

#[cfg(test)]
mod gemm_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub(crate) use kernel::MatmulKernel;
pub(crate) use launch::Bias;

use super::context::GpuContext;
use super::storage::GpuStorage;
use crate::layout::Layout;
use crate::ops::MatmulDims;
use crate::Result;

/// `A · B` for layouts already broadcast to (batch.., m, k) and (batch.., k, n), then the
/// epilogue, if any, as each element is stored.
pub(crate) fn matmul(
    a: &GpuStorage,
    la: &Layout,
    b: &GpuStorage,
    lb: &Layout,
    dims: MatmulDims,
    bias: Option<Bias>,
) -> Result<GpuStorage> {
    // An empty product runs nothing, however many batches of empty matrices it has.
    let len = dims
        .batch
        .checked_mul(dims.m)
        .and_then(|x| x.checked_mul(dims.n));
    if len == Some(0) {
        return GpuStorage::new(&a.ctx, "matmul", 0);
    }
    let problem = launch::problem(a, la, b, lb, dims, bias)?;
    let kernel = tuning::kernel_for(&a.ctx, &problem)?;
    launch::run(kernel, &problem, a, b, bias.map(|(_, s, _)| s))
}

/// The device's default kernel, the one a product runs until its shape class is measured:
/// `TENSORGEARS_MATMUL`'s, else on a CPU-emulated adapter the measured adapter-wide choice,
/// else the gemm kernel. Waits for the measurements in progress, the default's and the shape
/// classes', so that work timed afterwards runs alone.
pub(crate) fn default_kernel(ctx: &Arc<GpuContext>) -> Result<MatmulKernel> {
    let k = match measure::forced(ctx)? {
        Some(k) => k,
        None if ctx.profile.emulated => measure::choice(ctx)?,
        None => MatmulKernel::Gemm128,
    };
    ctx.matmul.classes.wait_idle();
    Ok(k)
}

/// The kernel that runs a contiguous (m x k) · (k x n) product now: the forced one, its shape
/// class's measured choice, or the default while the class is measured.
pub(crate) fn kernel_for_shape(
    ctx: &Arc<GpuContext>,
    (m, k, n): (usize, usize, usize),
) -> Result<MatmulKernel> {
    let la = Layout::contiguous(&[1, m, k]);
    let lb = Layout::contiguous(&[1, k, n]);
    let bytes = |len: usize| (len as u64).saturating_mul(4);
    let dims = MatmulDims { batch: 1, m, n, k };
    let problem = plan::Problem::new((&la, bytes(m * k)), (&lb, bytes(k * n)), dims, None)?;
    let kernel = tuning::kernel_for(ctx, &problem)?;
    Ok(launch::runnable(&ctx.profile, kernel, &problem))
}
