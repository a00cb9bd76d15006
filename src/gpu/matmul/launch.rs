//! From a kernel's name to its family, and running a product on a named kernel (or on the one
//! it hands the product to, where it cannot take it).

use super::basic::{REGISTER, TILED};
use super::family::{Family, Operands};
use super::gemm::{GEMM128, GEMM64};
use super::kernel::MatmulKernel;
use super::narrow::Narrow;
use super::plan::Problem;
use super::subgroup::SUBGROUP;
use super::texture::Texture;
use crate::gpu::profile::AdapterProfile;
use crate::gpu::storage::{check_span, GpuStorage};
use crate::layout::Layout;
use crate::ops::{Epilogue, MatmulDims};
use crate::Result;

/// A bias of length n along the result's last axis (its shape is checked by `Tensor::linear`),
/// and what to do with it.
pub(crate) type Bias<'a> = (Epilogue, &'a GpuStorage, &'a Layout);

/// The family that implements `kernel`.
pub(crate) fn family(kernel: MatmulKernel) -> &'static dyn Family {
    match kernel {
        MatmulKernel::Register => &REGISTER,
        MatmulKernel::Tiled => &TILED,
        MatmulKernel::Subgroup => &SUBGROUP,
        MatmulKernel::Texture => &Texture,
        MatmulKernel::Narrow => &Narrow,
        MatmulKernel::Gemm128 => &GEMM128,
        MatmulKernel::Gemm64 => &GEMM64,
    }
}

/// The kernel that runs `problem` when `kernel` is asked for: `kernel`, or where it cannot
/// take the product, the kernel it hands such products to (the register kernel takes all).
pub(crate) fn runnable(
    profile: &AdapterProfile,
    kernel: MatmulKernel,
    problem: &Problem,
) -> MatmulKernel {
    let mut k = kernel;
    for _ in 0..MatmulKernel::ALL.len() {
        let f = family(k);
        if f.supports(profile, problem) {
            return k;
        }
        k = f.fallback();
    }
    MatmulKernel::Register
}

/// The product of the views, checked to lie inside their buffers, as a `Problem`.
pub(crate) fn problem(
    a: &GpuStorage,
    la: &Layout,
    b: &GpuStorage,
    lb: &Layout,
    dims: MatmulDims,
    bias: Option<Bias>,
) -> Result<Problem> {
    check_span("matmul", a, la)?;
    check_span("matmul", b, lb)?;
    if let Some((_, bias, lbias)) = bias {
        check_span("matmul", bias, lbias)?;
    }
    Problem::new(
        (la, a.buffer().size()),
        (lb, b.buffer().size()),
        dims,
        bias.map(|(e, _, l)| (e, l)),
    )
}

/// Runs `problem` (over `a`, `b` and the bias) on `kernel`, or on what it hands the product
/// to; C is contiguous (batch, m, n).
pub(crate) fn run(
    kernel: MatmulKernel,
    problem: &Problem,
    a: &GpuStorage,
    b: &GpuStorage,
    bias: Option<&GpuStorage>,
) -> Result<GpuStorage> {
    let ctx = &a.ctx;
    let kernel = runnable(&ctx.profile, kernel, problem);
    let MatmulDims { batch, m, n, .. } = problem.dims;
    let out = GpuStorage::new(ctx, "matmul", batch * m * n)?;
    if batch * m * n > 0 {
        let operands = Operands {
            a,
            b,
            bias,
            out: &out,
        };
        family(kernel).launch(problem, &operands)?;
    }
    Ok(out)
}

/// `run` from views: the tests' and the measurement's way to force a kernel.
pub(crate) fn run_views(
    kernel: MatmulKernel,
    (a, la): (&GpuStorage, &Layout),
    (b, lb): (&GpuStorage, &Layout),
    dims: MatmulDims,
    bias: Option<Bias>,
) -> Result<GpuStorage> {
    let p = problem(a, la, b, lb, dims, bias)?;
    run(kernel, &p, a, b, bias.map(|(_, s, _)| s))
}
