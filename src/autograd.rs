//! Reverse-mode automatic differentiation: the chapter's GradientTape.
//!
//! A [`Var`] is a trainable tensor. Every operation whose inputs include a tracked tensor (a
//! `Var`'s, or one computed from it) records a [`Node`] on its result: the operation and the
//! inputs its derivative needs. [`Tensor::backward`] walks that graph from the output back to
//! the `Var`s, applying the chain rule; operations on plain tensors record nothing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ndarray::SliceInfoElem;

use crate::ops::{BinaryOp, Epilogue, UnaryOp};
use crate::{DType, Error, Layout, Result, Tensor};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// One recorded operation: what produced a tracked tensor.
pub(crate) struct Node {
    id: u64,
    op: Op,
}

/// The operations with a derivative, and the tensors (with their own nodes) each one needs.
pub(crate) enum Op {
    Leaf(u64),
    Binary(BinaryOp, Tensor, Tensor),
    Unary(UnaryOp, Tensor, Tensor),
    Matmul(Tensor, Tensor),
    /// `x · w + b` with an epilogue: x, w, b and the result.
    Linear(Epilogue, Tensor, Tensor, Tensor, Tensor),
    Reshape(Tensor),
    Permute(Tensor, Vec<usize>),
    Slice(Tensor, Vec<SliceInfoElem>),
    SumAxis(Tensor, usize),
    Softmax(Tensor, Tensor),
    CrossEntropy(Tensor, Tensor),
    Contiguous(Tensor),
}

impl Op {
    fn inputs(&self) -> Vec<&Tensor> {
        match self {
            Op::Leaf(_) => vec![],
            Op::Binary(_, a, b) | Op::Matmul(a, b) | Op::CrossEntropy(a, b) => vec![a, b],
            Op::Linear(_, x, w, b, _) => vec![x, w, b],
            Op::Unary(_, x, _)
            | Op::Reshape(x)
            | Op::Permute(x, _)
            | Op::Slice(x, _)
            | Op::SumAxis(x, _)
            | Op::Softmax(x, _)
            | Op::Contiguous(x) => vec![x],
        }
    }
}

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
    fn backward(&self, g: &Tensor) -> Result<Vec<(usize, Tensor)>> {
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

/// A trainable tensor: operations on [`Var::as_tensor`] are recorded, and
/// [`Tensor::backward`] returns the gradient with respect to it.
///
/// Cloning a `Var` gives another handle to the same variable.
///
/// ```
/// use tensorgears::{Device, Tensor, Var};
/// # fn main() -> tensorgears::Result<()> {
/// let dev = Device::cpu();
/// let x = Var::new(Tensor::scalar(0.0, &dev)?);
/// let y = x.as_tensor().mul_scalar(2.0)?.add_scalar(3.0)?; // y = 2x + 3
/// let grads = y.backward()?;
/// assert_eq!(grads.get(&x).unwrap().to_vec()?, vec![2.0]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Var {
    id: u64,
    tensor: Tensor,
}

impl Var {
    /// Makes `value` trainable. Its storage is updated in place by [`Var::set`] and the
    /// optimizers; a strided view is first copied into a tensor of its own.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor, Var};
    /// # let dev = Device::cpu();
    /// let w = Var::new(Tensor::zeros(&[3, 2], &dev)?);
    /// assert!(w.as_tensor().is_tracked());
    /// assert_eq!(w.as_tensor().shape(), &[3, 2]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn new(value: Tensor) -> Var {
        let id = next_id();
        let owned = if value.layout().is_contiguous() && value.layout().offset() == 0 {
            value
        } else {
            // A view's storage is shared with its base; a failed copy keeps the view, which
            // still computes correctly (the optimizers then report it).
            value.contiguous().unwrap_or(value)
        };
        let tensor = owned.detach().with_node(Node {
            id: next_id(),
            op: Op::Leaf(id),
        });
        Var { id, tensor }
    }

    /// The variable's current value, tracked: operations on it record the graph.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor, Var};
    /// # let dev = Device::cpu();
    /// let w = Var::new(Tensor::from_vec(vec![1., 2.], &[2], &dev)?);
    /// let x = Tensor::from_vec(vec![3., 4.], &[2], &dev)?;
    /// let y = w.as_tensor().mul(&x)?.sum()?; // 1*3 + 2*4
    /// assert_eq!(y.to_scalar()?, 11.0);
    /// assert_eq!(y.backward()?.get(&w).unwrap().to_vec()?, vec![3., 4.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn as_tensor(&self) -> &Tensor {
        &self.tensor
    }

    /// Overwrites the value in place with `value` (same shape, dtype and device).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor, Var};
    /// # let dev = Device::cpu();
    /// let w = Var::new(Tensor::zeros(&[2], &dev)?);
    /// w.set(&Tensor::from_vec(vec![1., 2.], &[2], &dev)?)?;
    /// assert_eq!(w.as_tensor().to_vec()?, vec![1., 2.]);
    /// assert!(w.set(&Tensor::zeros(&[3], &dev)?).is_err()); // the shape is fixed
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn set(&self, value: &Tensor) -> Result<()> {
        let t = &self.tensor;
        t.check_same_device("Var::set", value)?;
        if value.dtype() != t.dtype() {
            return Err(value.dtype_error("Var::set", t.dtype()));
        }
        if value.shape() != t.shape() {
            return Err(Error::ShapeMismatch {
                op: "Var::set",
                lhs: t.shape().to_vec(),
                rhs: value.shape().to_vec(),
            });
        }
        t.storage()
            .assign(t.layout(), value.storage(), value.layout())
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

/// The gradients computed by [`Tensor::backward`], one per [`Var`] the output depends on.
///
/// ```
/// # use tensorgears::{Device, Tensor, Var};
/// # let dev = Device::cpu();
/// let (a, b) = (Var::new(Tensor::scalar(2.0, &dev)?), Var::new(Tensor::scalar(5.0, &dev)?));
/// let grads = a.as_tensor().mul_scalar(3.0)?.backward()?; // b plays no part
/// assert_eq!(grads.len(), 1);
/// assert_eq!(grads.get(&a).unwrap().to_scalar()?, 3.0);
/// assert!(grads.get(&b).is_none());
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug)]
pub struct Gradients {
    grads: HashMap<u64, Tensor>,
}

impl Gradients {
    /// The gradient with respect to `var`, or `None` when the output does not depend on it.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor, Var};
    /// # let dev = Device::cpu();
    /// let (a, b) = (Var::new(Tensor::scalar(2.0, &dev)?), Var::new(Tensor::scalar(5.0, &dev)?));
    /// let grads = a.as_tensor().mul(b.as_tensor())?.backward()?; // d(ab)/da = b, d(ab)/db = a
    /// assert_eq!(grads.get(&a).unwrap().to_scalar()?, 5.0);
    /// assert_eq!(grads.get(&b).unwrap().to_scalar()?, 2.0);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn get(&self, var: &Var) -> Option<&Tensor> {
        self.grads.get(&var.id)
    }

    /// How many variables have a gradient.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor, Var};
    /// # let dev = Device::cpu();
    /// let (a, b) = (Var::new(Tensor::scalar(2.0, &dev)?), Var::new(Tensor::scalar(5.0, &dev)?));
    /// assert_eq!(a.as_tensor().add(b.as_tensor())?.backward()?.len(), 2);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.grads.len()
    }

    /// True when no variable has a gradient.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor, Var};
    /// # let dev = Device::cpu();
    /// let a = Var::new(Tensor::scalar(2.0, &dev)?);
    /// // backward needs a Var to differentiate by, so its gradients are never empty.
    /// assert!(!a.as_tensor().exp()?.backward()?.is_empty());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.grads.is_empty()
    }
}

impl Tensor {
    /// True when the tensor was computed from a [`Var`] (operations on it are recorded).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor, Var};
    /// # let dev = Device::cpu();
    /// let x = Tensor::ones(&[2], &dev)?;
    /// let w = Var::new(Tensor::ones(&[2], &dev)?);
    /// assert!(!x.mul_scalar(2.0)?.is_tracked());
    /// assert!(x.add(w.as_tensor())?.is_tracked());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn is_tracked(&self) -> bool {
        self.node().is_some()
    }

    /// The result of an operation on `inputs`: tracked, with the node `op()` builds, when one
    /// of them is tracked; untouched (and `op` never called) otherwise.
    pub(crate) fn record(self, inputs: &[&Tensor], op: impl FnOnce() -> Op) -> Tensor {
        if inputs.iter().any(|t| t.is_tracked()) {
            self.with_node(Node {
                id: next_id(),
                op: op(),
            })
        } else {
            self
        }
    }

    /// The gradient of this tensor (of its sum, when it has more than one element) with
    /// respect to every [`Var`] it depends on, by the chain rule over the recorded graph.
    /// The returned [`Gradients`] hold only the variables' gradients, not the graph.
    ///
    /// ```
    /// use tensorgears::{Device, Tensor, Var};
    /// # fn main() -> tensorgears::Result<()> {
    /// let dev = Device::cpu();
    /// let x = Var::new(Tensor::scalar(2.0, &dev)?);
    /// let y = Var::new(Tensor::scalar(1.0, &dev)?);
    /// let (xt, yt) = (x.as_tensor(), y.as_tensor());
    /// // f = x^2 y + x y + 3 y
    /// let f = xt.powf(2.0)?.mul(yt)?.add(&xt.mul(yt)?)?.add(&yt.mul_scalar(3.0)?)?;
    /// let g = f.backward()?;
    /// assert_eq!(g.get(&x).unwrap().to_vec()?, vec![5.0]);
    /// assert_eq!(g.get(&y).unwrap().to_vec()?, vec![9.0]);
    /// # Ok(()) }
    /// ```
    pub fn backward(&self) -> Result<Gradients> {
        let Some(root) = self.node().cloned() else {
            return Err(Error::InvalidArgument {
                op: "backward",
                msg: "the tensor does not depend on any Var".into(),
            });
        };
        if self.dtype() != DType::F32 {
            return Err(self.dtype_error("backward", DType::F32));
        }
        let order = topological_order(&root);
        let mut pending: HashMap<u64, Tensor> = HashMap::new();
        pending.insert(root.id, Tensor::ones(self.shape(), self.device())?);
        let mut grads = HashMap::new();
        for node in order.iter().rev() {
            let Some(g) = pending.remove(&node.id) else {
                continue;
            };
            if let Op::Leaf(var) = node.op {
                let total = match grads.remove(&var) {
                    Some(prev) => g.add(&prev)?,
                    None => g,
                };
                grads.insert(var, total);
                continue;
            }
            let inputs = node.op.inputs();
            for (i, gi) in node.backward(&g)? {
                let Some(child) = inputs[i].node() else {
                    continue;
                };
                let total = match pending.remove(&child.id) {
                    Some(prev) => prev.add(&gi)?,
                    None => gi,
                };
                pending.insert(child.id, total);
            }
        }
        Ok(Gradients { grads })
    }
}

/// Nodes reachable from `root`, each after all of its inputs.
fn topological_order(root: &Arc<Node>) -> Vec<Arc<Node>> {
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    // Iterative depth-first search: a deep graph must not overflow the stack.
    let mut stack = vec![(root.clone(), false)];
    while let Some((node, expanded)) = stack.pop() {
        if expanded {
            order.push(node);
            continue;
        }
        if !seen.insert(node.id) {
            continue;
        }
        stack.push((node.clone(), true));
        for input in node.op.inputs() {
            if let Some(child) = input.node() {
                if !seen.contains(&child.id) {
                    stack.push((child.clone(), false));
                }
            }
        }
    }
    order
}
