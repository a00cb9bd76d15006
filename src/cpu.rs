//! The CPU backend: the reference implementation every GPU kernel is compared against.

use crate::layout::Layout;
use crate::ops::{BinaryOp, UnaryOp};

/// Host memory of a tensor.
#[derive(Debug, Clone)]
pub(crate) enum CpuStorage {
    F32(Vec<f32>),
    U32(Vec<u32>),
}

/// The elements of the view `layout` of `data`, in row-major order.
pub(crate) fn gather<T: Copy>(data: &[T], layout: &Layout) -> Vec<T> {
    if layout.is_contiguous() {
        let start = layout.offset();
        data[start..start + layout.len()].to_vec()
    } else {
        layout.offsets().map(|o| data[o]).collect()
    }
}

pub(crate) fn unary(op: UnaryOp, data: &[f32], layout: &Layout) -> Vec<f32> {
    if layout.is_contiguous() {
        let start = layout.offset();
        data[start..start + layout.len()]
            .iter()
            .map(|&x| op.apply(x))
            .collect()
    } else {
        layout.offsets().map(|o| op.apply(data[o])).collect()
    }
}

/// `lhs op rhs` where both layouts are already broadcast to the output shape.
pub(crate) fn binary(op: BinaryOp, lhs: &[f32], ll: &Layout, rhs: &[f32], rl: &Layout) -> Vec<f32> {
    let n = ll.len();
    match (ll.is_contiguous(), rl.is_contiguous()) {
        (true, true) => {
            let a = &lhs[ll.offset()..ll.offset() + n];
            let b = &rhs[rl.offset()..rl.offset() + n];
            a.iter().zip(b).map(|(&x, &y)| op.apply(x, y)).collect()
        }
        _ => ll
            .offsets()
            .zip(rl.offsets())
            .map(|(i, j)| op.apply(lhs[i], rhs[j]))
            .collect(),
    }
}
