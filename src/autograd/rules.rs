//! The chain rule for each recorded operation: the gradients of its inputs from its output's.

use super::{Node, Op};
use crate::ops::{BinaryOp, Epilogue, UnaryOp};
use crate::{Layout, Result, Tensor};

/// Sums a gradient over the axes that broadcasting added or stretched, back to `shape`.
fn sum_to(g: Tensor, shape: &[usize]) -> Result<Tensor> {
    if g.shape() == shape {
        return Ok(g);
    }
    let mut t = g;
    while t.ndim() > shape.len() {
        t = t.sum_axis(0)?;
    }
    for (axis, &d) in shape.iter().enumerate() {
        if d == 1 && t.shape()[axis] != 1 {
            t = t.sum_axis(axis)?.reshape(&keep_axis(t.shape(), axis))?;
        }
    }
    Ok(t)
}

/// `shape` with `axis` set to 1 (the shape of a reduction with the axis kept).
fn keep_axis(shape: &[usize], axis: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    s[axis] = 1;
    s
}

/// The last two axes swapped.
fn swap_last(t: &Tensor) -> Result<Tensor> {
    let n = t.ndim();
    let mut axes: Vec<usize> = (0..n).collect();
    axes.swap(n - 2, n - 1);
    t.permute(&axes)
}

impl Node {
    /// The gradients of this node's inputs (by their index in `Op::inputs`), given the
    /// gradient `g` of its output. Inputs that are not tracked get none.
    pub(super) fn backward(&self, g: &Tensor) -> Result<Vec<(usize, Tensor)>> {
        let inputs = self.op.inputs();
        let tracked = |i: usize| inputs[i].is_tracked();
        let mut out = Vec::new();
        match &self.op {
            Op::Leaf(_) => {}
            Op::Binary(op, l, r) => {
                let (lv, rv) = (l.detach(), r.detach());
                let (gl, gr) = match op {
                    BinaryOp::Add => (Some(g.clone()), Some(g.clone())),
                    BinaryOp::Sub => (Some(g.clone()), Some(g.mul_scalar(-1.0)?)),
                    BinaryOp::Mul => (
                        tracked(0).then(|| g.mul(&rv)).transpose()?,
                        tracked(1).then(|| g.mul(&lv)).transpose()?,
                    ),
                    BinaryOp::Div => (
                        tracked(0).then(|| g.div(&rv)).transpose()?,
                        tracked(1)
                            .then(|| g.mul(&lv)?.div(&rv.mul(&rv)?)?.mul_scalar(-1.0))
                            .transpose()?,
                    ),
                    BinaryOp::Maximum | BinaryOp::Minimum => {
                        // Ties go to the left operand, as `x >= y` (`y >= x`) picks it.
                        let mask = if *op == BinaryOp::Maximum {
                            lv.binary(&rv, BinaryOp::GreaterEqual)?
                        } else {
                            rv.binary(&lv, BinaryOp::GreaterEqual)?
                        };
                        let rest = mask.mul_scalar(-1.0)?.add_scalar(1.0)?;
                        (Some(g.mul(&mask)?), Some(g.mul(&rest)?))
                    }
                    BinaryOp::GreaterEqual => (None, None),
                    BinaryOp::ReluGrad => (Some(g.binary(&rv, BinaryOp::ReluGrad)?), None),
                };
                for (i, (gi, t)) in [(gl, l), (gr, r)].into_iter().enumerate() {
                    if let (Some(gi), true) = (gi, tracked(i)) {
                        out.push((i, sum_to(gi, t.shape())?));
                    }
                }
            }
            Op::Unary(op, x, y) => {
                let (xv, yv) = (x.detach(), y.detach());
                let gi = match op {
                    UnaryOp::Relu => g.binary(&xv, BinaryOp::ReluGrad)?,
                    UnaryOp::AddScalar(_) => g.clone(),
                    UnaryOp::MulScalar(s) => g.mul_scalar(*s)?,
                    UnaryOp::Powf(p) => g.mul(&xv.powf(p - 1.0)?.mul_scalar(*p)?)?,
                    UnaryOp::Exp => g.mul(&yv)?,
                    UnaryOp::Ln => g.div(&xv)?,
                    // y (1 - y) and 1 - y^2, from the result.
                    UnaryOp::Sigmoid => g.mul(&yv.mul(&yv.mul_scalar(-1.0)?.add_scalar(1.0)?)?)?,
                    UnaryOp::Tanh => g.mul(&yv.mul(&yv)?.mul_scalar(-1.0)?.add_scalar(1.0)?)?,
                };
                out.push((0, gi));
            }
            Op::Matmul(a, b) => {
                let (av, bv) = (a.detach(), b.detach());
                if tracked(0) {
                    out.push((0, sum_to(g.matmul(&swap_last(&bv)?)?, a.shape())?));
                }
                if tracked(1) {
                    out.push((1, sum_to(swap_last(&av)?.matmul(g)?, b.shape())?));
                }
            }
            Op::Linear(epilogue, x, w, _, y) => {
                // relu(z) > 0 exactly where z > 0, so the result gives relu's derivative.
                let dz = match epilogue {
                    Epilogue::Bias => g.clone(),
                    Epilogue::BiasRelu => g.binary(&y.detach(), BinaryOp::ReluGrad)?,
                };
                if tracked(0) {
                    out.push((0, dz.matmul(&w.detach().t()?)?));
                }
                if tracked(1) {
                    out.push((1, x.detach().t()?.matmul(&dz)?));
                }
                if tracked(2) {
                    out.push((2, dz.sum_axis(0)?));
                }
            }
            Op::Reshape(x) | Op::Contiguous(x) => out.push((0, g.reshape(x.shape())?)),
            Op::Permute(_, axes) => {
                let mut inverse = vec![0; axes.len()];
                for (i, &a) in axes.iter().enumerate() {
                    inverse[a] = i;
                }
                out.push((0, g.permute(&inverse)?));
            }
            Op::Slice(x, elems) => {
                let full = Tensor::zeros(x.shape(), x.device())?;
                let view = Layout::contiguous(x.shape()).slice(elems)?;
                full.storage().assign(&view, g.storage(), g.layout())?;
                out.push((0, full));
            }
            Op::SumAxis(x, axis) => {
                out.push((
                    0,
                    g.reshape(&keep_axis(x.shape(), *axis))?
                        .broadcast_as(x.shape())?,
                ));
            }
            Op::Softmax(_, y) => {
                // d(input) = y * (g - sum(g * y)) along the last axis.
                let yv = y.detach();
                let last = yv.ndim() - 1;
                let dot = g
                    .mul(&yv)?
                    .sum_axis(last)?
                    .reshape(&keep_axis(yv.shape(), last))?;
                out.push((0, g.sub(&dot)?.mul(&yv)?));
            }
            Op::Im2Col(x, window) => out.push((0, g.col2im(x.shape(), window)?)),
            Op::MaxPool(x, at, window) => {
                out.push((0, g.max_pool_backward(at, x.shape(), window)?))
            }
            Op::CrossEntropy(logits, labels) => {
                out.push((
                    0,
                    logits
                        .detach()
                        .cross_entropy_backward(&labels.detach(), g)?,
                ));
            }
        }
        Ok(out)
    }
}
