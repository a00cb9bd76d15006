//! Launching the reduction and softmax kernels (shaders/reduce.wgsl).

use super::kernels;
use super::params::{params, signed, walk, word, Shape, View};
use super::storage::{check_span, GpuStorage};
use crate::layout::Layout;
use crate::ops::ReduceOp;
use crate::Result;

params! {
    /// The rows to reduce (a row layout walked by `strided_index`) and how.
    pub(crate) struct ReduceParams {
        shape: Shape,
        views: [View; 1],
        len: u32,
        chunks: u32,
        op: u32,
        axis_stride: i32,
        indexed: u32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

/// Whether `reduce_rows` (an invocation per row) suits `rows` rows of `len`: short rows, or
/// enough rows to fill the device with one invocation each when a row is at most one chunk
/// (the elements one workgroup of `reduce` folds). Otherwise a workgroup per chunk of a row
/// keeps a few long rows parallel.
fn row_per_invocation(rows: usize, len: usize, chunk: usize) -> bool {
    len <= 256 || (rows >= 1024 && len <= chunk)
}

impl ReduceParams {
    fn new(
        op: ReduceOp,
        rows: &Layout,
        len: usize,
        chunks: usize,
        axis_stride: isize,
        indexed: bool,
    ) -> Result<ReduceParams> {
        let name = op.name();
        let (shape, views) = walk(name, &[rows])?;
        Ok(ReduceParams {
            shape,
            views: [views[0]],
            len: word(name, "a reduced axis", len)?,
            chunks: word(name, "chunks of a row", chunks)?,
            op: op.code(),
            axis_stride: signed(name, "a stride", axis_stride)?,
            indexed: u32::from(indexed),
            _pad0: 0,
            _pad1: 0,
            _pad2: 0,
        })
    }
}

/// Reduces `axis` of the view `layout` of `x`. Returns the values and, for argmax, the indices
/// (as f32 storage holding u32 bits), both contiguous in the shape without `axis`.
pub(crate) fn reduce(
    op: ReduceOp,
    x: &GpuStorage,
    layout: &Layout,
    axis: usize,
) -> Result<GpuStorage> {
    check_span(op.name(), x, layout)?;
    let runtime = &x.ctx.runtime;
    // The elements one workgroup of `reduce` folds.
    let chunk = runtime.pipeline(kernels::REDUCE)?.interface.workgroup_size[0] as usize
        * kernels::REDUCE_PER_INVOCATION as usize;
    let mut rows = layout.remove_axis(axis);
    let mut len = layout.shape()[axis];
    let mut stride = layout.strides()[axis];
    let r = rows.len();
    let mut src: Option<(GpuStorage, GpuStorage)> = None;
    loop {
        // One pass: an invocation per row, or a workgroup per chunk of each row (which
        // `reduce` finds from its workgroup's folded index).
        let (kernel, chunks, invocations) = if row_per_invocation(r, len, chunk) {
            (kernels::REDUCE_ROWS, 1, r)
        } else {
            let chunks = len.div_ceil(chunk).max(1);
            let per_group = runtime.pipeline(kernels::REDUCE)?.interface.workgroup_size[0];
            (kernels::REDUCE, chunks, r * chunks * per_group as usize)
        };
        let vals = GpuStorage::new(&x.ctx, op.name(), r * chunks)?;
        let idxs = GpuStorage::new(&x.ctx, op.name(), r * chunks)?;
        let params = ReduceParams::new(op, &rows, len, chunks, stride, src.is_some())?;
        let (sv, si) = match &src {
            Some((v, i)) => (v.bind(), i.bind()),
            None => (x.bind(), x.bind()),
        };
        let resources = [(1, sv), (2, si), (3, vals.bind()), (4, idxs.bind())];
        runtime.dispatch_items(kernel, &params, &resources, invocations)?;
        if chunks == 1 {
            return Ok(if op == ReduceOp::ArgMax { idxs } else { vals });
        }
        // The partials are a contiguous (r, chunks) matrix: row i starts at i * chunks.
        rows = Layout::new(vec![r], vec![chunks as isize], 0);
        len = chunks;
        stride = 1;
        src = Some((vals, idxs));
    }
}

/// Softmax over the last axis of the view; the result is contiguous.
pub(crate) fn softmax(x: &GpuStorage, layout: &Layout) -> Result<GpuStorage> {
    check_span("softmax", x, layout)?;
    let axis = layout.shape().len() - 1;
    let rows = layout.remove_axis(axis);
    let out = GpuStorage::new(&x.ctx, "softmax", layout.len())?;
    if layout.len() == 0 {
        return Ok(out);
    }
    let (len, stride) = (layout.shape()[axis], layout.strides()[axis]);
    let params = ReduceParams::new(ReduceOp::Sum, &rows, len, 1, stride, false)?;
    x.ctx.runtime.dispatch_items(
        kernels::SOFTMAX,
        &params,
        &[(1, x.bind()), (3, out.bind())],
        rows.len(),
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::row_per_invocation;

    /// The shapes tests/reduce.rs uses to cover both strategies must stay on their sides.
    #[test]
    fn strategy_switch() {
        let chunk = 4096;
        assert!(!row_per_invocation(3, 5000, chunk)); // (3, 5000) along axis 1
        assert!(!row_per_invocation(10, 300, chunk)); // (10, 300) along axis 1
        assert!(row_per_invocation(2000, 300, chunk)); // (2000, 300) along 1, (300, 2000) along 0
        assert!(row_per_invocation(512, 128, chunk)); // (128, 512) along axis 0
    }
}
