//! Which kernel runs a product: `TENSORGEARS_MATMUL` when set; else the kernel measured for its
//! shape class (classes.rs); else, while the class is being measured on a background thread
//! (or where measuring does not pay), the adapter's default. The measurement runs the class's
//! first product's shape on every kernel that can take it, times them with timestamp queries
//! (or, without them, on the wall clock around whole submits), and keeps the least median.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use web_time::Instant;

use super::classes::{append_cache, fastest_median, read_cache, Lookup, ShapeClass};
use super::kernel::MatmulKernel;
use super::launch::{self, run, runnable};
use super::measure::{choice_now, forced};
use super::plan::Problem;
use super::select::{available, contenders, select};
use super::tune::{cache_file, CacheKey};
use crate::gpu::context::GpuContext;
use crate::gpu::kernels;
use crate::gpu::profile::AdapterProfile;
use crate::gpu::storage::GpuStorage;
use crate::layout::Layout;
use crate::ops::{Epilogue, MatmulDims};
use crate::Result;

/// Rounds of the measurement, each running every candidate `REPS` times.
const ROUNDS: usize = 5;
const REPS: u32 = 2;

/// The kernel for `problem`.
pub(crate) fn kernel_for(ctx: &Arc<GpuContext>, problem: &Problem) -> Result<MatmulKernel> {
    let profile = &ctx.profile;
    if let Some(k) = forced(ctx)? {
        return Ok(select(profile, k, problem));
    }
    let default = default_kernel(ctx, problem)?;
    if !worth_tuning(profile, problem) {
        return Ok(default);
    }
    let class = ShapeClass::of(problem);
    match ctx.matmul.classes.lookup(class, || cached(ctx)) {
        Lookup::Chosen(k) => Ok(k),
        Lookup::Measuring => Ok(default),
        Lookup::New => {
            if ctx.matmul.classes.enqueue(class, problem.clone()) {
                let worker = ctx.clone();
                std::thread::spawn(move || work(&worker));
            }
            Ok(default)
        }
    }
}

/// What serves a product whose class is not measured. On a CPU-emulated adapter the measured
/// adapter-wide choice (measure.rs), sent through the selection's rules; on GPU hardware the
/// gemm kernel, with 128x128 tiles where C has at least 128 rows and columns and 64x64 ones
/// below (a smaller tile launches four times the workgroups).
pub(crate) fn default_kernel(ctx: &Arc<GpuContext>, problem: &Problem) -> Result<MatmulKernel> {
    if ctx.profile.emulated {
        return Ok(select(&ctx.profile, choice_now(ctx)?, problem));
    }
    Ok(if problem.dims.m >= 128 && problem.dims.n >= 128 {
        MatmulKernel::Gemm128
    } else {
        MatmulKernel::Gemm64
    })
}

/// Whether a product's class is worth measuring: where anything is measured (the profile's
/// `measures`), not tiny (the default's cost is lost in the launch), and on a CPU-emulated
/// adapter not so large that timing it would stall the device for seconds (`tune_flops`).
fn worth_tuning(profile: &AdapterProfile, p: &Problem) -> bool {
    let MatmulDims { batch, m, n, k } = p.dims;
    let flops = (batch as u64)
        .saturating_mul(m as u64)
        .saturating_mul(n as u64)
        .saturating_mul(k as u64);
    let (least, most) = profile.tune_flops;
    profile.measures && (least..=most).contains(&flops)
}

fn cache_path(ctx: &GpuContext) -> Option<std::path::PathBuf> {
    let measured = contenders(&ctx.profile);
    cache_file(&CacheKey {
        prefix: "matmul-classes",
        info: &ctx.runtime.adapter.info,
        contenders: &measured,
        sources: &[
            kernels::MATMUL_WGSL.source,
            kernels::MATMUL_SUBGROUP_WGSL.source,
            kernels::MATMUL_TEXTURE_WGSL.source,
            kernels::MATMUL_NARROW_WGSL.source,
            kernels::MATMUL_GEMM_WGSL.source,
            kernels::MATMUL_PACK_WGSL.source,
        ],
    })
}

fn cached(ctx: &GpuContext) -> HashMap<ShapeClass, MatmulKernel> {
    cache_path(ctx).map(|p| read_cache(&p)).unwrap_or_default()
}

/// The background thread: measures queued classes until none are left.
fn work(ctx: &Arc<GpuContext>) {
    while let Some((class, problem)) = ctx.matmul.classes.next_job() {
        let chosen = match measure_class(ctx, &problem) {
            Ok(k) => {
                if let Some(path) = cache_path(ctx) {
                    append_cache(&path, class, k);
                }
                k
            }
            // A class that cannot be measured (out of memory, say) keeps the default, and is
            // measured again by the next process.
            Err(_) => default_kernel(ctx, &problem).unwrap_or(MatmulKernel::Register),
        };
        ctx.matmul.classes.record(class, chosen);
    }
}

/// The kernels that can take `problem` themselves: the tuner's contenders, and the narrow
/// kernel where the product is narrow.
fn candidates(profile: &AdapterProfile, problem: &Problem) -> Vec<MatmulKernel> {
    let mut v = contenders(profile);
    if available(profile).contains(&MatmulKernel::Narrow) {
        v.push(MatmulKernel::Narrow);
    }
    v.retain(|&k| runnable(profile, k, problem) == k);
    v
}

/// The storage of `count` values, and the layout of (batch, rows, cols) matrices in it: row
/// after row, or each matrix stored transposed.
fn operand(
    ctx: &Arc<GpuContext>,
    (batch, rows, cols): (usize, usize, usize),
    transposed: bool,
) -> Result<(GpuStorage, Layout)> {
    let values: Vec<f32> = (0..batch * rows * cols)
        .map(|i| (i % 13) as f32 * 0.125 - 0.75)
        .collect();
    let storage = GpuStorage::upload(ctx, "tune", bytemuck::cast_slice(&values))?;
    let per = (rows * cols) as isize;
    let layout = if transposed {
        Layout::new(vec![batch, rows, cols], vec![per, 1, rows as isize], 0)
    } else {
        Layout::contiguous(&[batch, rows, cols])
    };
    Ok((storage, layout))
}

/// Times every candidate on `problem`'s shape, layout and epilogue and returns the one with the
/// least median.
fn measure_class(ctx: &Arc<GpuContext>, problem: &Problem) -> Result<MatmulKernel> {
    let kernels = candidates(&ctx.profile, problem);
    if kernels.len() < 2 {
        return default_kernel(ctx, problem);
    }
    let dims = problem.dims;
    let MatmulDims { batch, m, n, k } = dims;
    let class = ShapeClass::of(problem);
    let (a, la) = operand(ctx, (batch, m, k), class.a_t)?;
    let (b, lb) = operand(ctx, (batch, k, n), class.b_t)?;
    let (bias, _) = operand(ctx, (1, 1, n), false)?;
    let lbias = Layout::contiguous(&[n]);
    let with_bias = class.bias.then_some((Epilogue::Bias, &bias, &lbias));
    let p = launch::problem(&a, &la, &b, &lb, dims, with_bias)?;
    let product = |kernel| run(kernel, &p, &a, &b, with_bias.map(|(_, s, _)| s)).map(drop);
    // Compiles each candidate's pipelines, outside the section that holds other threads back.
    for &kernel in &kernels {
        product(kernel)?;
    }
    ctx.runtime.synchronize()?;
    let mut timings: Vec<(MatmulKernel, Duration)> = Vec::with_capacity(ROUNDS * kernels.len());
    ctx.runtime.exclusive(|| -> Result<()> {
        ctx.runtime.synchronize()?;
        for _ in 0..ROUNDS {
            for &kernel in &kernels {
                let runs = || (0..REPS).try_for_each(|_| product(kernel));
                let start = Instant::now();
                let time = match ctx.runtime.gpu_time(runs)? {
                    Some(t) => t,
                    // No timestamps: the wall clock around the submit and its wait.
                    None => {
                        ctx.runtime.synchronize()?;
                        start.elapsed()
                    }
                };
                timings.push((kernel, time / REPS));
            }
        }
        Ok(())
    })?;
    Ok(fastest_median(&timings).unwrap_or(MatmulKernel::Register))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::storage::test_context;

    /// A product worth tuning has its class measured in the background, after which the class's
    /// choice, one of the kernels that can take it, runs it; the choice is kept on disk.
    #[test]
    fn a_class_is_measured_then_used() {
        let Some(ctx) = test_context() else {
            return;
        };
        if forced(&ctx).ok().flatten().is_some() {
            eprintln!("TUNING NOT CHECKED: TENSORGEARS_MATMUL forces a kernel");
            return;
        }
        // 96 x 200 x 48 with A stored transposed: a class no other test uses.
        let (m, k, n) = (96, 200, 48);
        let (a, la) = operand(&ctx, (1, m, k), true).expect("a");
        let (b, lb) = operand(&ctx, (1, k, n), false).expect("b");
        let dims = MatmulDims { batch: 1, m, n, k };
        let p = launch::problem(&a, &la, &b, &lb, dims, None).expect("problem");
        assert!(worth_tuning(&ctx.profile, &p));
        let class = ShapeClass::of(&p);
        let first = kernel_for(&ctx, &p).expect("kernel");
        ctx.matmul.classes.wait_idle();
        let chosen = match ctx.matmul.classes.lookup(class, HashMap::new) {
            Lookup::Chosen(k) => k,
            other => panic!("class not measured: {other:?}"),
        };
        assert!(candidates(&ctx.profile, &p).contains(&chosen) || chosen == first);
        assert_eq!(kernel_for(&ctx, &p).expect("kernel"), chosen);
        if let Some(path) = cache_path(&ctx) {
            assert_eq!(read_cache(&path).get(&class), Some(&chosen));
        }
    }
}
