//! Launching the fused softmax-cross-entropy kernels (shaders/loss.wgsl).

use super::kernels;
use super::params::{params, word};
use super::reduce::reduce;
use super::runtime::{Kernel, Resource};
use super::storage::GpuStorage;
use crate::layout::Layout;
use crate::ops::ReduceOp;
use crate::Result;

params! {
    /// Contiguous (batch, classes) logits.
    pub(crate) struct LossParams {
        batch: u32,
        classes: u32,
        _pad0: u32,
        _pad1: u32,
    }
}

impl LossParams {
    fn new(op: &'static str, batch: usize, classes: usize) -> Result<LossParams> {
        Ok(LossParams {
            batch: word(op, "a batch", batch)?,
            classes: word(op, "classes", classes)?,
            _pad0: 0,
            _pad1: 0,
        })
    }
}

/// The mean loss of contiguous (batch, classes) logits, as a one-element buffer.
pub(crate) fn cross_entropy(
    logits: &GpuStorage,
    labels: &GpuStorage,
    batch: usize,
    classes: usize,
) -> Result<GpuStorage> {
    let parallel = logits.ctx.profile.parallel_rows;
    cross_entropy_with(logits, labels, batch, classes, parallel)
}

/// Where the profile has row kernels in parallel: one workgroup per row, then a sum of the rows'
/// terms (a workgroup tree). Else one workgroup for the whole batch.
fn cross_entropy_with(
    logits: &GpuStorage,
    labels: &GpuStorage,
    batch: usize,
    classes: usize,
    parallel: bool,
) -> Result<GpuStorage> {
    let kernels = (kernels::CROSS_ENTROPY_ROWS, kernels::CROSS_ENTROPY);
    let op = "sparse_softmax_cross_entropy";
    batch_sum(op, kernels, logits, labels, batch, classes, parallel)
}

/// A batch's sum of per-row terms: `per_row` (`kernels.0`) in a workgroup per row then a sum
/// of the rows (`parallel`), or the whole batch in one workgroup (`kernels.1`).
fn batch_sum(
    op: &'static str,
    (per_row_kernel, whole): (Kernel, Kernel),
    logits: &GpuStorage,
    labels: &GpuStorage,
    batch: usize,
    classes: usize,
    parallel: bool,
) -> Result<GpuStorage> {
    let params = LossParams::new(op, batch, classes)?;
    let resources = |out| bound(logits, labels, out);
    if parallel {
        let rows = GpuStorage::new(&logits.ctx, op, batch)?;
        per_row(per_row_kernel, &params, &resources(&rows), batch, logits)?;
        return reduce(ReduceOp::Sum, &rows, &Layout::contiguous(&[batch]), 0);
    }
    let out = GpuStorage::new(&logits.ctx, op, 1)?;
    logits
        .ctx
        .runtime
        .dispatch(whole, &params, &resources(&out), [1, 1, 1])?;
    Ok(out)
}

/// The logits, labels and result, at the bindings every loss kernel uses.
fn bound<'a>(
    logits: &'a GpuStorage,
    labels: &'a GpuStorage,
    out: &'a GpuStorage,
) -> [(u32, Resource<'a>); 3] {
    [(1, logits.bind()), (2, labels.bind()), (3, out.bind())]
}

/// Dispatches `kernel` with one workgroup per row of `batch`.
fn per_row(
    kernel: Kernel,
    params: &LossParams,
    resources: &[(u32, Resource)],
    batch: usize,
    logits: &GpuStorage,
) -> Result<()> {
    let runtime = &logits.ctx.runtime;
    let per_group = runtime.pipeline(kernel)?.interface.workgroup_size[0] as usize;
    runtime.dispatch_items(kernel, params, resources, batch * per_group)
}

/// `grad * (softmax - onehot) / batch`, contiguous (batch, classes).
pub(crate) fn cross_entropy_backward(
    logits: &GpuStorage,
    labels: &GpuStorage,
    grad: &GpuStorage,
    batch: usize,
    classes: usize,
) -> Result<GpuStorage> {
    let parallel = logits.ctx.profile.parallel_rows;
    cross_entropy_backward_with(logits, labels, grad, (batch, classes), parallel)
}

/// A workgroup per row (`parallel`) or an invocation per row.
fn cross_entropy_backward_with(
    logits: &GpuStorage,
    labels: &GpuStorage,
    grad: &GpuStorage,
    (batch, classes): (usize, usize),
    parallel: bool,
) -> Result<GpuStorage> {
    let op = "sparse_softmax_cross_entropy";
    let out = GpuStorage::new(&logits.ctx, op, batch * classes)?;
    let params = LossParams::new(op, batch, classes)?;
    let resources = [
        (1, logits.bind()),
        (2, labels.bind()),
        (3, out.bind()),
        (4, grad.bind()),
    ];
    if parallel {
        per_row(
            kernels::CROSS_ENTROPY_BACKWARD_ROWS,
            &params,
            &resources,
            batch,
            logits,
        )?;
    } else {
        logits.ctx.runtime.dispatch_items(
            kernels::CROSS_ENTROPY_BACKWARD,
            &params,
            &resources,
            batch,
        )?;
    }
    Ok(out)
}

/// The number of rows whose first maximal logit is at the label, as a one-element f32 buffer.
pub(crate) fn count_correct(
    logits: &GpuStorage,
    labels: &GpuStorage,
    batch: usize,
    classes: usize,
) -> Result<GpuStorage> {
    let parallel = logits.ctx.profile.parallel_rows;
    count_correct_with(logits, labels, batch, classes, parallel)
}

/// A workgroup per row and a sum of the rows' 0s and 1s (`parallel`), or one workgroup.
fn count_correct_with(
    logits: &GpuStorage,
    labels: &GpuStorage,
    batch: usize,
    classes: usize,
    parallel: bool,
) -> Result<GpuStorage> {
    let kernels = (kernels::CORRECT_ROWS, kernels::COUNT_CORRECT);
    batch_sum(
        "count_correct",
        kernels,
        logits,
        labels,
        batch,
        classes,
        parallel,
    )
}

#[cfg(test)]
mod tests {
    //! Both strategies against each other and the CPU: on a CPU-emulated adapter the
    //! workgroup-per-row kernels run only here.
    use super::*;
    use crate::cpu;
    use crate::gpu::storage::test_context;

    #[test]
    fn row_kernels_agree_with_the_cpu() {
        let Some(ctx) = test_context() else {
            return;
        };
        // 300 classes exercise the workgroups' strided loops; 10 leave most lanes idle; a NaN
        // and a tie test argmax's order; one label out of range makes its row NaN.
        for classes in [10usize, 300] {
            let batch = 70;
            let mut x: Vec<f32> = (0..batch * classes)
                .map(|i| ((i * 7919) % 1013) as f32 * 0.01 - 5.0)
                .collect();
            x[3 * classes + 2] = f32::NAN;
            x[5 * classes + 1] = 100.0;
            x[5 * classes + 4] = 100.0;
            let mut labels: Vec<u32> = (0..batch as u32).map(|i| i % classes as u32).collect();
            labels[5] = 1;
            let upload = |b: &[u8]| GpuStorage::upload(&ctx, "test", b).unwrap();
            let (gx, gl) = (
                upload(bytemuck::cast_slice(&x)),
                upload(bytemuck::cast_slice(&labels)),
            );
            let g = upload(bytemuck::cast_slice(&[2.0f32]));
            let read = |s: &GpuStorage, n: usize| -> Vec<f32> {
                bytemuck::pod_collect_to_vec(&s.read_bytes(n).unwrap())
            };
            let want_correct = cpu::count_correct(&x, &labels, classes);
            let want_grad = cpu::cross_entropy_backward(&x, &labels, 2.0, classes).unwrap();
            for parallel in [false, true] {
                let loss = read(
                    &cross_entropy_with(&gx, &gl, batch, classes, parallel).unwrap(),
                    1,
                );
                assert!(
                    loss[0].is_nan(),
                    "a NaN logit makes the loss NaN ({parallel})"
                );
                let correct = read(
                    &count_correct_with(&gx, &gl, batch, classes, parallel).unwrap(),
                    1,
                );
                assert_eq!(
                    correct[0], want_correct,
                    "{classes} classes, parallel {parallel}"
                );
                let dims = (batch, classes);
                let grad = read(
                    &cross_entropy_backward_with(&gx, &gl, &g, dims, parallel).unwrap(),
                    batch * classes,
                );
                for (i, (a, b)) in grad.iter().zip(&want_grad).enumerate() {
                    assert!(
                        (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-6 + 1e-4 * b.abs(),
                        "{classes} classes, parallel {parallel}, [{i}]: {a} vs {b}"
                    );
                }
            }
            // Without the NaN row, the two strategies' losses agree with the CPU's.
            x[3 * classes + 2] = 0.5;
            let gx = upload(bytemuck::cast_slice(&x));
            let want = cpu::cross_entropy(&x, &labels, classes).unwrap();
            for parallel in [false, true] {
                let loss = read(
                    &cross_entropy_with(&gx, &gl, batch, classes, parallel).unwrap(),
                    1,
                );
                assert!(
                    (loss[0] - want).abs() <= 1e-5 * want.abs(),
                    "{loss:?} vs {want}"
                );
            }
        }
    }
}
