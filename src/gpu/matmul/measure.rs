//! The adapter's default matmul kernel on a CPU-emulated adapter, the one a shape class runs
//! until it is measured (tuning.rs): `TENSORGEARS_MATMUL` when set, else the choice cached for
//! this adapter, else a measurement of a 256³ product, on a background thread where compiling
//! the contenders would hold the first product up. The tuner's state is in tune.rs.

use std::sync::Arc;
use web_time::Instant;

use super::kernel::MatmulKernel;
use super::launch::{family, run_views};
use super::select::{available, contenders};
use super::tune::{self, CacheKey, Start};
use crate::gpu::context::GpuContext;
use crate::gpu::kernels;
use crate::gpu::profile::AdapterProfile;
use crate::gpu::storage::GpuStorage;
use crate::layout::Layout;
use crate::ops::MatmulDims;
use crate::{Error, Result};

/// The kernel for this adapter, waiting for a choice being made in the background, or making
/// it here.
pub(crate) fn choice(ctx: &Arc<GpuContext>) -> Result<MatmulKernel> {
    if let Some(k) = ctx.matmul.chosen() {
        return Ok(k);
    }
    ctx.matmul.join();
    if let Some(k) = ctx.matmul.chosen() {
        return Ok(k);
    }
    let k = choose(ctx)?;
    Ok(ctx.matmul.set(k))
}

/// The kernel for the next product. Compiling the subgroup kernel takes about a second on
/// lavapipe, and measuring the choice about 1.4-1.5 s, longer than a first call should wait,
/// so where it is a contender the choice runs on a background thread and the register kernel
/// serves the first product. Later products wait for a choice read from the cache, which only
/// compiles; while a choice is measured they run on the register kernel, or on the subgroup
/// kernel once the measurement has compiled it. All kernels add along K in the same order, so
/// the switches do not change results (the edge-case tests in tests.rs compare them exactly).
pub(crate) fn choice_now(ctx: &Arc<GpuContext>) -> Result<MatmulKernel> {
    if let Some(k) = ctx.matmul.chosen() {
        return Ok(k);
    }
    if forced(ctx)?.is_some() || !contenders(&ctx.profile).contains(&MatmulKernel::Subgroup) {
        return choice(ctx);
    }
    let from_cache = cached(ctx).is_some();
    let background = ctx.clone();
    let started = ctx.matmul.start(from_cache, move || {
        if let Ok(k) = choose(&background) {
            background.matmul.set(k);
            // Off this thread, so that waiting for the choice does not wait for it. A kernel
            // that fails to compile here fails again, with its error, on use.
            std::thread::spawn(move || compile_fallback(&background, k));
        }
    });
    match started {
        // Only compiling (on lavapipe about a second for the subgroup kernel, under 0.1 s for the
        // texture kernel): waiting costs less than serving on the register kernel, whose work
        // would slow the compilation down (it once ran 65 products, 3.8 s, in the first epoch
        // of train_mnist).
        Start::Running { from_cache: true } => choice(ctx),
        Start::Started | Start::Running { from_cache: false } => Ok(ctx.matmul.interim()),
    }
}

/// The kernel `TENSORGEARS_MATMUL` forces, if set: an error when the adapter cannot run it.
pub(crate) fn forced(ctx: &GpuContext) -> Result<Option<MatmulKernel>> {
    match MatmulKernel::forced()? {
        Some(k) => runs_here(&ctx.profile, &ctx.runtime.adapter.info.name, k).map(Some),
        None => Ok(None),
    }
}

/// `kernel`, or an error where the adapter cannot run it.
fn runs_here(
    profile: &AdapterProfile,
    adapter: &str,
    kernel: MatmulKernel,
) -> Result<MatmulKernel> {
    if available(profile).contains(&kernel) {
        return Ok(kernel);
    }
    Err(Error::Unsupported {
        op: "TENSORGEARS_MATMUL",
        reason: format!(
            "the {} kernel cannot run on {adapter}: it is written for CPU-emulated adapters \
             with 8-lane subgroups{}",
            kernel.name(),
            if kernel == MatmulKernel::Texture {
                " and rgba32float storage-texture reads"
            } else {
                ""
            }
        ),
    })
}

/// `TENSORGEARS_MATMUL` when set, else the cached choice (compiled), else a measured one
/// (compiled and cached).
fn choose(ctx: &Arc<GpuContext>) -> Result<MatmulKernel> {
    if let Some(k) = forced(ctx)? {
        return Ok(k);
    }
    if let Some(k) = cached(ctx) {
        compile(ctx, k)?;
        return Ok(k);
    }
    let k = measure(ctx)?;
    compile(ctx, k)?;
    if let Some(path) = cache_path(ctx) {
        tune::write_cached(&path, k);
    }
    Ok(k)
}

fn cache_path(ctx: &GpuContext) -> Option<std::path::PathBuf> {
    let measured = contenders(&ctx.profile);
    tune::cache_file(&CacheKey {
        prefix: "matmul-variant",
        info: &ctx.runtime.adapter.info,
        contenders: &measured,
        sources: &[
            kernels::MATMUL_WGSL.source,
            kernels::MATMUL_SUBGROUP_WGSL.source,
            kernels::MATMUL_TEXTURE_WGSL.source,
        ],
    })
}

/// The choice cached for this adapter, if any.
fn cached(ctx: &GpuContext) -> Option<MatmulKernel> {
    cache_path(ctx).as_deref().and_then(tune::read_cached)
}

/// Compiles what a choice of `kernel` runs, so that it is ready when the choice lands (on
/// lavapipe about 1.1-1.3 s for the subgroup kernel, under 0.1 s for the texture kernel and its
/// pack kernels): the kernel's own pipelines, then the narrow kernel's, to which the subgroup
/// and texture kernels leave narrow products. The texture kernel's other fallback, the
/// subgroup kernel for batched and small products, is compiled after the choice has landed
/// (`compile_fallback`).
fn compile(ctx: &GpuContext, kernel: MatmulKernel) -> Result<()> {
    let mut pipelines = family(kernel).kernels();
    if matches!(kernel, MatmulKernel::Subgroup | MatmulKernel::Texture) {
        pipelines.extend(family(MatmulKernel::Narrow).kernels());
    }
    for k in pipelines {
        ctx.runtime.pipeline(k)?;
    }
    Ok(())
}

/// Compiles the kernel that `kernel` hands the products it does not take to, where that is
/// not itself: the subgroup kernel behind `texture`.
fn compile_fallback(ctx: &GpuContext, kernel: MatmulKernel) -> Result<()> {
    let fallback = family(kernel).fallback();
    if kernel == MatmulKernel::Texture {
        for k in family(fallback).kernels() {
            ctx.runtime.pipeline(k)?;
        }
    }
    Ok(())
}

/// Times warmed-up 256³ products with each contender: three rounds, each kernel once per
/// round, with other threads' work held back; the fastest best round wins (`tune::fastest`).
fn measure(ctx: &Arc<GpuContext>) -> Result<MatmulKernel> {
    const S: usize = 256;
    const ROUNDS: usize = 3;
    let data: Vec<f32> = (0..S * S).map(|i| (i % 17) as f32 * 0.1).collect();
    let a = GpuStorage::upload(ctx, "calibrate", bytemuck::cast_slice(&data))?;
    let l = Layout::contiguous(&[1, S, S]);
    let dims = MatmulDims {
        batch: 1,
        m: S,
        n: S,
        k: S,
    };
    let kernels = contenders(&ctx.profile);
    let product = |k| run_views(k, (&a, &l), (&a, &l), dims, None).map(drop);
    // Compiling happens here, outside the exclusive section, so other threads wait only for
    // the timed runs. The subgroup kernel goes first: a training loop waiting on the choice
    // runs on the register kernel until then, 4-5x slower on lavapipe (BENCHMARKS.md).
    let mut order = kernels.clone();
    order.sort_by_key(|&k| k != MatmulKernel::Subgroup);
    for k in order {
        product(k)?;
        if k == MatmulKernel::Subgroup {
            ctx.matmul.serve_meanwhile(k);
        }
    }
    ctx.runtime.synchronize()?;
    let mut timings = Vec::with_capacity(ROUNDS * kernels.len());
    ctx.runtime.exclusive(|| -> Result<()> {
        // Whatever other threads recorded before the gate closed runs now, untimed.
        ctx.runtime.synchronize()?;
        for _ in 0..ROUNDS {
            for &k in &kernels {
                let start = Instant::now();
                product(k)?;
                ctx.runtime.synchronize()?;
                timings.push((k, start.elapsed()));
            }
        }
        Ok(())
    })?;
    Ok(tune::fastest(&timings).unwrap_or(MatmulKernel::Register))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Forcing a kernel the adapter cannot run is an error that says why.
    #[test]
    fn a_kernel_the_adapter_cannot_run_is_refused() {
        let gpu = AdapterProfile::discrete();
        for k in [MatmulKernel::Subgroup, MatmulKernel::Texture] {
            let err = runs_here(&gpu, "a GPU", k).unwrap_err().to_string();
            assert!(
                err.contains("cannot run on a GPU") && err.contains("8-lane"),
                "{err}"
            );
        }
        assert!(runs_here(&gpu, "a GPU", MatmulKernel::Gemm128).is_ok());
        assert!(runs_here(
            &AdapterProfile::lavapipe(),
            "lavapipe",
            MatmulKernel::Texture
        )
        .is_ok());
    }
}
