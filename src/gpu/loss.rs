//! Launching the fused softmax-cross-entropy kernels.

use super::context::Kernel;
use super::{kernel, launch_groups, GpuStorage};
use crate::Result;

const SOURCE: &str = shader!("loss.wgsl");
const FORWARD: Kernel = kernel("loss.wgsl", SOURCE, "forward");
const BACKWARD: Kernel = kernel("loss.wgsl", SOURCE, "backward");

/// The mean loss of contiguous (batch, classes) logits, as a one-element buffer.
pub(crate) fn cross_entropy(
    logits: &GpuStorage,
    labels: &GpuStorage,
    batch: usize,
    classes: usize,
) -> Result<GpuStorage> {
    let out = GpuStorage::new(&logits.ctx, "sparse_softmax_cross_entropy", 1)?;
    let info = [batch as u32, classes as u32];
    launch_groups(
        &logits.ctx,
        FORWARD,
        &info,
        &[
            (1, logits.buffer()),
            (2, labels.buffer()),
            (3, out.buffer()),
        ],
        1,
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
    let out = GpuStorage::new(&logits.ctx, "sparse_softmax_cross_entropy", batch * classes)?;
    let info = [batch as u32, classes as u32];
    launch_groups(
        &logits.ctx,
        BACKWARD,
        &info,
        &[
            (1, logits.buffer()),
            (2, labels.buffer()),
            (3, out.buffer()),
            (4, grad.buffer()),
        ],
        batch.div_ceil(64),
    )?;
    Ok(out)
}

const CORRECT: Kernel = kernel("loss.wgsl", SOURCE, "correct");

/// The number of rows whose first maximal logit is at the label, as a one-element f32 buffer.
pub(crate) fn count_correct(
    logits: &GpuStorage,
    labels: &GpuStorage,
    batch: usize,
    classes: usize,
) -> Result<GpuStorage> {
    let out = GpuStorage::new(&logits.ctx, "count_correct", 1)?;
    let info = [batch as u32, classes as u32];
    launch_groups(
        &logits.ctx,
        CORRECT,
        &info,
        &[
            (1, logits.buffer()),
            (2, labels.buffer()),
            (3, out.buffer()),
        ],
        1,
    )?;
    Ok(out)
}
