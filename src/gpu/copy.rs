//! Launching the strided copy (shaders/copy.wgsl): contiguous copies of views, and writes into
//! views.

use super::kernels;
use super::params::StridedParams;
use super::storage::{check_span, GpuStorage};
use crate::layout::Layout;
use crate::Result;

/// A contiguous copy of the view `layout` of `x`, for any 32-bit dtype.
pub(crate) fn contiguous(x: &GpuStorage, layout: &Layout) -> Result<GpuStorage> {
    check_span("contiguous", x, layout)?;
    let n = layout.len();
    let out = GpuStorage::new(&x.ctx, "contiguous", n)?;
    let dst = Layout::contiguous(layout.shape());
    let params = StridedParams::new("contiguous", &[layout, &dst], 0.0)?;
    x.ctx.runtime.dispatch_items(
        kernels::STRIDED_COPY,
        &params,
        &[(1, x.bind()), (2, out.bind())],
        n,
    )?;
    Ok(out)
}

/// Writes the view `src_layout` of `src` into the view `dst_layout` of `dst`, in place.
pub(crate) fn assign(
    dst: &GpuStorage,
    dst_layout: &Layout,
    src: &GpuStorage,
    src_layout: &Layout,
) -> Result<()> {
    check_span("assign", dst, dst_layout)?;
    check_span("assign", src, src_layout)?;
    if std::ptr::eq(dst, src) {
        // One buffer cannot be bound for reading and writing in one dispatch.
        let copy = contiguous(src, src_layout)?;
        return assign(
            dst,
            dst_layout,
            &copy,
            &Layout::contiguous(src_layout.shape()),
        );
    }
    let params = StridedParams::new("assign", &[src_layout, dst_layout], 0.0)?;
    dst.ctx.runtime.dispatch_items(
        kernels::STRIDED_COPY,
        &params,
        &[(1, src.bind()), (2, dst.bind())],
        src_layout.len(),
    )
}
