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

/// Whether `reduce_rows` (an invocation per row) suits `rows` rows of `len`, `stride` apart
/// along the reduced axis; otherwise a workgroup per chunk of a row (`reduce`, whose
/// invocations read neighbouring elements of a row). With `parallel` (GPU hardware): only for
/// many rows whose elements are not neighbours along the axis, where neighbouring invocations
/// then read neighbouring rows. Else (CPU-emulated adapters): short rows, or enough rows to
/// fill the device with one invocation each when a row is at most one chunk.
fn row_per_invocation(
    parallel: bool,
    rows: usize,
    len: usize,
    stride: isize,
    chunk: usize,
) -> bool {
    if parallel {
        stride != 1 && rows >= 256 && len <= chunk
    } else {
        len <= 256 || (rows >= 1024 && len <= chunk)
    }
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
    reduce_with(op, x, layout, axis, x.ctx.profile.parallel_rows)
}

/// `reduce` with the strategy of `row_per_invocation` for `parallel`.
fn reduce_with(
    op: ReduceOp,
    x: &GpuStorage,
    layout: &Layout,
    axis: usize,
    parallel: bool,
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
        let (kernel, chunks, invocations) = if row_per_invocation(parallel, r, len, stride, chunk) {
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
    softmax_with(x, layout, x.ctx.profile.parallel_rows)
}

/// `softmax` with a workgroup per row (`parallel`) or an invocation per row.
fn softmax_with(x: &GpuStorage, layout: &Layout, parallel: bool) -> Result<GpuStorage> {
    check_span("softmax", x, layout)?;
    let axis = layout.shape().len() - 1;
    let rows = layout.remove_axis(axis);
    let out = GpuStorage::new(&x.ctx, "softmax", layout.len())?;
    if layout.len() == 0 {
        return Ok(out);
    }
    let (len, stride) = (layout.shape()[axis], layout.strides()[axis]);
    let params = ReduceParams::new(ReduceOp::Sum, &rows, len, 1, stride, false)?;
    let runtime = &x.ctx.runtime;
    let resources = [(1, x.bind()), (3, out.bind())];
    if parallel {
        let per_group = runtime
            .pipeline(kernels::SOFTMAX_ROWS)?
            .interface
            .workgroup_size[0];
        let items = rows.len() * per_group as usize;
        runtime.dispatch_items(kernels::SOFTMAX_ROWS, &params, &resources, items)?;
    } else {
        runtime.dispatch_items(kernels::SOFTMAX, &params, &resources, rows.len())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::storage::test_context;

    /// Both strategies of every kernel on both sides of their switch, against each other: on a
    /// CPU-emulated adapter the workgroup-per-row kernels run only here.
    #[test]
    fn row_kernels_agree_in_both_strategies() {
        let Some(ctx) = test_context() else {
            return;
        };
        let values: Vec<f32> = (0..3000)
            .map(|i| ((i * 37) % 101) as f32 * 0.1 - 5.0)
            .collect();
        let x = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(&values)).unwrap();
        let read = |s: &GpuStorage, n: usize| -> Vec<f32> {
            bytemuck::pod_collect_to_vec(&s.read_bytes(n).unwrap())
        };
        // (30, 100) along each axis, and its transpose's last axis (rows 30 apart).
        let l = Layout::contiguous(&[30, 100]);
        let t = Layout::new(vec![100, 30], vec![1, 100], 0);
        for op in [ReduceOp::Sum, ReduceOp::Max, ReduceOp::ArgMax] {
            for (layout, axis, n) in [(&l, 1, 30), (&l, 0, 100), (&t, 1, 100)] {
                let a = read(&reduce_with(op, &x, layout, axis, false).unwrap(), n);
                let b = read(&reduce_with(op, &x, layout, axis, true).unwrap(), n);
                for (i, (u, v)) in a.iter().zip(&b).enumerate() {
                    assert!(
                        (u - v).abs() <= 1e-4 * u.abs().max(1.0),
                        "{op:?} {i}: {u} {v}"
                    );
                }
            }
        }
        for layout in [&l, &t] {
            let a = read(&softmax_with(&x, layout, false).unwrap(), 3000);
            let b = read(&softmax_with(&x, layout, true).unwrap(), 3000);
            for (i, (u, v)) in a.iter().zip(&b).enumerate() {
                assert!(
                    (u - v).abs() <= 1e-6 + 1e-5 * u.abs(),
                    "softmax {i}: {u} {v}"
                );
            }
        }
    }

    /// The shapes tests/reduce.rs uses to cover both strategies must stay on their sides.
    #[test]
    fn strategy_switch() {
        let chunk = 4096;
        let serial = |r, len| row_per_invocation(false, r, len, 1, chunk);
        assert!(!serial(3, 5000)); // (3, 5000) along axis 1
        assert!(!serial(10, 300)); // (10, 300) along axis 1
        assert!(serial(2000, 300)); // (2000, 300) along 1, (300, 2000) along 0
        assert!(serial(512, 128)); // (128, 512) along axis 0
                                   // On GPU hardware: rows along a contiguous axis take a workgroup each; many strided
                                   // rows (a column sum) an invocation each.
        assert!(!row_per_invocation(true, 2000, 300, 1, chunk));
        assert!(row_per_invocation(true, 512, 128, 512, chunk));
        assert!(!row_per_invocation(true, 10, 128, 512, chunk));
    }
}
