//! Launching the fused softmax-cross-entropy kernels (shaders/loss.wgsl).

use super::kernels;
use super::params::{params, word};
use super::storage::GpuStorage;
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
    let op = "sparse_softmax_cross_entropy";
    let out = GpuStorage::new(&logits.ctx, op, 1)?;
    // One workgroup folds the whole batch.
    logits.ctx.runtime.dispatch(
        kernels::CROSS_ENTROPY,
        &LossParams::new(op, batch, classes)?,
        &[(1, logits.bind()), (2, labels.bind()), (3, out.bind())],
        [1, 1, 1],
    )?;
    Ok(out)
}

/// `grad * (softmax - onehot) / batch`, contiguous (batch, classes).
pub(crate) fn cross_entropy_backward(
    logits: &GpuStorage,
    labels: &GpuStorage,
    grad: &GpuStorage,
    batch: usize,
    classes: usize,
) -> Result<GpuStorage> {
    let op = "sparse_softmax_cross_entropy";
    let out = GpuStorage::new(&logits.ctx, op, batch * classes)?;
    logits.ctx.runtime.dispatch_items(
        kernels::CROSS_ENTROPY_BACKWARD,
        &LossParams::new(op, batch, classes)?,
        &[
            (1, logits.bind()),
            (2, labels.bind()),
            (3, out.bind()),
            (4, grad.bind()),
        ],
        batch,
    )?;
    Ok(out)
}

/// The number of rows whose first maximal logit is at the label, as a one-element f32 buffer.
pub(crate) fn count_correct(
    logits: &GpuStorage,
    labels: &GpuStorage,
    batch: usize,
    classes: usize,
) -> Result<GpuStorage> {
    let op = "count_correct";
    let out = GpuStorage::new(&logits.ctx, op, 1)?;
    logits.ctx.runtime.dispatch(
        kernels::COUNT_CORRECT,
        &LossParams::new(op, batch, classes)?,
        &[(1, logits.bind()), (2, labels.bind()), (3, out.bind())],
        [1, 1, 1],
    )?;
    Ok(out)
}
