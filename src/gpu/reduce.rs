//! Launching the reduction and softmax kernels.

use super::context::Kernel;
use super::{kernel, launch_groups, GpuStorage};
use crate::layout::Layout;
use crate::ops::ReduceOp;
use crate::Result;

const SOURCE: &str = shader!("reduce.wgsl");
const REDUCE: Kernel = kernel("reduce.wgsl", SOURCE, "reduce");
const REDUCE_ROWS: Kernel = kernel("reduce.wgsl", SOURCE, "reduce_rows");
const SOFTMAX: Kernel = kernel("reduce.wgsl", SOURCE, "softmax");

/// Elements one workgroup of `reduce.wgsl` folds (WG * PER there).
const CHUNK: usize = 4096;

/// Invocations per workgroup of `reduce_rows` and `softmax`.
const ROWS_WG: usize = 64;

/// Whether `reduce_rows` (an invocation per row) suits `rows` rows of `len`: rows no longer
/// than a workgroup of `reduce`, or enough rows to fill the device with one invocation each.
/// Otherwise a workgroup per chunk of a row keeps a few long rows parallel.
fn row_per_invocation(rows: usize, len: usize) -> bool {
    len <= 256 || (rows >= 1024 && len <= CHUNK)
}

/// The info words of every kernel in `reduce.wgsl`.
fn row_info(
    rows: &Layout,
    len: usize,
    chunks: usize,
    op: u32,
    stride: isize,
    indexed: bool,
) -> Vec<u32> {
    let mut info = vec![
        rows.len() as u32,
        len as u32,
        chunks as u32,
        op,
        stride as i32 as u32,
        u32::from(indexed),
        0,
        0,
        rows.shape().len() as u32,
    ];
    info.extend(rows.shape().iter().map(|&d| d as u32));
    info.push(rows.offset() as u32);
    info.extend(rows.strides().iter().map(|&s| s as i32 as u32));
    info
}

/// Reduces `axis` of the view `layout` of `x`. Returns the values and, for argmax, the indices
/// (as f32 storage holding u32 bits), both contiguous in the shape without `axis`.
pub(crate) fn reduce(
    op: ReduceOp,
    x: &GpuStorage,
    layout: &Layout,
    axis: usize,
) -> Result<GpuStorage> {
    super::check_span(op.name(), x, layout)?;
    let ctx = &x.ctx;
    let mut rows = layout.remove_axis(axis);
    let mut len = layout.shape()[axis];
    let mut stride = layout.strides()[axis];
    let r = rows.len();
    let mut src: Option<(GpuStorage, GpuStorage)> = None;
    loop {
        // One pass: an invocation per row, or a workgroup per chunk of each row.
        let (kernel, chunks, groups) = if row_per_invocation(r, len) {
            (REDUCE_ROWS, 1, r.div_ceil(ROWS_WG))
        } else {
            let chunks = len.div_ceil(CHUNK).max(1);
            (REDUCE, chunks, r * chunks)
        };
        let vals = GpuStorage::new(ctx, op.name(), r * chunks)?;
        let idxs = GpuStorage::new(ctx, op.name(), r * chunks)?;
        let info = row_info(&rows, len, chunks, op.code(), stride, src.is_some());
        let (sv, si) = match &src {
            Some((v, i)) => (v.buffer(), i.buffer()),
            None => (x.buffer(), x.buffer()),
        };
        launch_groups(
            ctx,
            kernel,
            &info,
            &[(1, sv), (2, si), (3, vals.buffer()), (4, idxs.buffer())],
            groups,
        )?;
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
    super::check_span("softmax", x, layout)?;
    let axis = layout.shape().len() - 1;
    let rows = layout.remove_axis(axis);
    let out = GpuStorage::new(&x.ctx, "softmax", layout.len())?;
    if layout.len() == 0 {
        return Ok(out);
    }
    let info = row_info(
        &rows,
        layout.shape()[axis],
        1,
        0,
        layout.strides()[axis],
        false,
    );
    launch_groups(
        &x.ctx,
        SOFTMAX,
        &info,
        &[(1, x.buffer()), (3, out.buffer())],
        rows.len().div_ceil(ROWS_WG),
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::row_per_invocation;

    /// The shapes tests/reduce.rs uses to cover both strategies must stay on their sides.
    #[test]
    fn strategy_switch() {
        assert!(!row_per_invocation(3, 5000)); // (3, 5000) along axis 1
        assert!(!row_per_invocation(10, 300)); // (10, 300) along axis 1
        assert!(row_per_invocation(2000, 300)); // (2000, 300) along 1, (300, 2000) along 0
        assert!(row_per_invocation(512, 128)); // (128, 512) along axis 0
    }
}
