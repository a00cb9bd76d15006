//! Launching the element-wise kernels (shaders/elementwise.wgsl): unary and binary ops over
//! strided, broadcast views, and fill.

use std::sync::Arc;

use super::context::GpuContext;
use super::kernels;
use super::params::StridedParams;
use super::storage::{check_span, GpuStorage};
use crate::layout::Layout;
use crate::ops::{BinaryOp, UnaryOp};
use crate::Result;

#[cfg(test)]
mod tests;

pub(crate) fn unary(op: UnaryOp, x: &GpuStorage, layout: &Layout) -> Result<GpuStorage> {
    check_span(op.name(), x, layout)?;
    let n = layout.len();
    let out = GpuStorage::new(&x.ctx, op.name(), n)?;
    let params = StridedParams::new(op.name(), &[layout], op.scalar())?;
    x.ctx.runtime.dispatch_items(
        kernels::unary(op),
        &params,
        &[(1, x.bind()), (3, out.bind())],
        n,
    )?;
    Ok(out)
}

/// `lhs op rhs` where both layouts are already broadcast to the output shape.
pub(crate) fn binary(
    op: BinaryOp,
    lhs: &GpuStorage,
    lhs_layout: &Layout,
    rhs: &GpuStorage,
    rhs_layout: &Layout,
) -> Result<GpuStorage> {
    check_span(op.name(), lhs, lhs_layout)?;
    check_span(op.name(), rhs, rhs_layout)?;
    let n = lhs_layout.len();
    let out = GpuStorage::new(&lhs.ctx, op.name(), n)?;
    let params = StridedParams::new(op.name(), &[lhs_layout, rhs_layout], 0.0)?;
    let runtime = &lhs.ctx.runtime;
    let quads = |l: &Layout| l.is_contiguous() && l.offset().is_multiple_of(4);
    if n.is_multiple_of(4) && quads(lhs_layout) && quads(rhs_layout) {
        let resources = [(4, lhs.bind()), (5, rhs.bind()), (6, out.bind())];
        runtime.dispatch_items(kernels::binary4(op), &params, &resources, n / 4)?;
    } else {
        let resources = [(1, lhs.bind()), (2, rhs.bind()), (3, out.bind())];
        runtime.dispatch_items(kernels::binary(op), &params, &resources, n)?;
    }
    Ok(out)
}

pub(crate) fn fill(ctx: &Arc<GpuContext>, len: usize, value: f32) -> Result<GpuStorage> {
    let out = GpuStorage::new(ctx, "fill", len)?;
    let params = StridedParams::new("fill", &[&Layout::contiguous(&[len])], value)?;
    ctx.runtime
        .dispatch_items(kernels::FILL, &params, &[(3, out.bind())], len)?;
    Ok(out)
}
