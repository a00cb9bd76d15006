//! Reverse-mode automatic differentiation: the chapter's GradientTape.
//!
//! A [`Var`] is a trainable tensor. Every operation whose inputs include a tracked tensor (a
//! `Var`'s, or one computed from it) records a [`Node`] on its result: the operation and the
//! inputs its derivative needs. [`Tensor::backward`] walks that graph from the output back to
//! the `Var`s, applying the chain rule; operations on plain tensors record nothing.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ndarray::SliceInfoElem;

use crate::ops::{BinaryOp, Epilogue, UnaryOp};
use crate::window::Window;
use crate::{DType, Error, Result, Tensor};

mod rules;

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
    /// A convolution's patches of the images x (contiguous NHWC after the copy).
    Im2Col(Tensor, Window),
    /// Max-pooling of x, with where each maximum is (u32, untracked).
    MaxPool(Tensor, Tensor, Window),
}

impl Op {
    pub(super) fn inputs(&self) -> Vec<&Tensor> {
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
            | Op::Contiguous(x)
            | Op::Im2Col(x, _)
            | Op::MaxPool(x, _, _) => vec![x],
        }
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
    // Ordered maps: dropping them releases GPU buffers in the same order every step, so the
    // pool hands the next step the same buffers and its bind groups stay cached.
    grads: BTreeMap<u64, Tensor>,
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
        let mut pending: BTreeMap<u64, Tensor> = BTreeMap::new();
        pending.insert(root.id, Tensor::ones(self.shape(), self.device())?);
        let mut grads = BTreeMap::new();
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
