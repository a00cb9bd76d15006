//! The CPU backend: the reference implementation every GPU kernel is compared against.
//!
//! Every buffer whose size a shape or a file decides is reserved fallibly first
//! (`collect_n`, `filled`): a broadcast of two small tensors, or a forged header, can ask for
//! more than the host has, and that must be an `Error::OutOfMemory`, never an abort.

pub(crate) mod random;
mod rows;
pub(crate) mod window;

pub(crate) use rows::{count_correct, cross_entropy, cross_entropy_backward, reduce, softmax};

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::layout::Layout;
use crate::ops::{BinaryOp, Epilogue, MatmulDims, OptimizerStep, UnaryOp};
use crate::{Error, Result};

/// An empty vector with room for `n` elements, or `Error::OutOfMemory`.
pub(crate) fn reserve<T>(n: usize) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::OutOfMemory {
        bytes: (n as u64).saturating_mul(std::mem::size_of::<T>() as u64),
        device: "the CPU".into(),
    })?;
    Ok(v)
}

/// The `n` items of `items` in a vector reserved fallibly first.
pub(crate) fn collect_n<T>(n: usize, items: impl Iterator<Item = T>) -> Result<Vec<T>> {
    let mut v = reserve(n)?;
    v.extend(items.take(n));
    Ok(v)
}

/// The `n` items of `items` in a vector reserved fallibly first, computed on every core when
/// there are enough of them to pay for the threads.
fn par_map<T: Send>(n: usize, items: impl IndexedParallelIterator<Item = T>) -> Result<Vec<T>> {
    const MIN_PARALLEL: usize = 1 << 16;
    let mut v = reserve(n)?;
    // Below MIN_PARALLEL rayon does not split, and runs it on this thread.
    v.par_extend(items.take(n).with_min_len(MIN_PARALLEL));
    Ok(v)
}

/// `n` elements written by `fill`, without zeroing them first: for outputs a kernel writes
/// whole, where a zero fill would be a second pass over memory.
///
/// # Safety
/// `fill` must write every element of the slice it is given.
pub(crate) unsafe fn written_by<T>(
    n: usize,
    fill: impl FnOnce(&mut [MaybeUninit<T>]) -> Result<()>,
) -> Result<Vec<T>> {
    let mut v = reserve(n)?;
    fill(&mut v.spare_capacity_mut()[..n])?;
    // SAFETY: `fill` wrote all n elements (the caller's promise); had it failed or panicked,
    // `v` would be dropped with length 0.
    unsafe { v.set_len(n) };
    Ok(v)
}

/// `n` copies of `value`, reserved fallibly first.
pub(crate) fn filled<T: Clone>(n: usize, value: T) -> Result<Vec<T>> {
    let mut v = reserve(n)?;
    v.resize(n, value);
    Ok(v)
}

/// Host memory of a tensor.
#[derive(Debug, Clone)]
pub(crate) enum CpuStorage {
    F32(Vec<f32>),
    U32(Vec<u32>),
}

/// The elements of the view `layout` of `data`, in row-major order.
pub(crate) fn gather<T: Copy>(data: &[T], layout: &Layout) -> Result<Vec<T>> {
    let n = layout.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    if layout.is_contiguous() {
        let start = layout.offset();
        collect_n(n, data[start..start + n].iter().copied())
    } else {
        collect_n(n, layout.offsets().map(|o| data[o]))
    }
}

pub(crate) fn unary(op: UnaryOp, data: &[f32], layout: &Layout) -> Result<Vec<f32>> {
    let n = layout.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    if layout.is_contiguous() {
        let start = layout.offset();
        par_map(n, data[start..start + n].par_iter().map(|&x| op.apply(x)))
    } else {
        collect_n(n, layout.offsets().map(|o| op.apply(data[o])))
    }
}

/// `lhs op rhs` where both layouts are already broadcast to the output shape.
pub(crate) fn binary(
    op: BinaryOp,
    lhs: &[f32],
    ll: &Layout,
    rhs: &[f32],
    rl: &Layout,
) -> Result<Vec<f32>> {
    let n = ll.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    match (ll.is_contiguous(), rl.is_contiguous()) {
        (true, true) => {
            let a = &lhs[ll.offset()..ll.offset() + n];
            let b = &rhs[rl.offset()..rl.offset() + n];
            par_map(n, a.par_iter().zip(b).map(|(&x, &y)| op.apply(x, y)))
        }
        _ => collect_n(
            n,
            ll.offsets()
                .zip(rl.offsets())
                .map(|(i, j)| op.apply(lhs[i], rhs[j])),
        ),
    }
}

/// `A · B` for layouts already broadcast to (batch.., m, k) and (batch.., k, n), through
/// the `gemm` crate's strided product on every core (transposed and sliced operands are read
/// in place).
pub(crate) fn matmul(
    a: &[f32],
    la: &Layout,
    b: &[f32],
    lb: &Layout,
    dims: MatmulDims,
) -> Result<Vec<f32>> {
    let MatmulDims { batch, m, n, k } = dims;
    if m == 0 || n == 0 || k == 0 {
        return filled(batch * m * n, 0.0f32);
    }
    let nb = la.shape().len() - 2;
    let (ra, ca) = (la.strides()[nb], la.strides()[nb + 1]);
    let (rb, cb) = (lb.strides()[nb], lb.strides()[nb + 1]);
    // Every element a view reaches lies inside its storage, so the pointers below stay in
    // bounds for all (i, p) < (m, k) and (p, j) < (k, n).
    assert!(
        la.span().1 <= a.len() && lb.span().1 <= b.len(),
        "matmul view outside its storage"
    );
    let offsets: Vec<(usize, usize)> = la
        .batch_offsets()?
        .into_iter()
        .zip(lb.batch_offsets()?)
        .collect();
    if offsets.len() != batch {
        return Err(Error::InvalidArgument {
            op: "matmul",
            msg: format!("{} batch offsets for {batch} products", offsets.len()),
        });
    }
    // SAFETY: gemm without `read_dst` writes every element of each m x n block of C without
    // reading it, and the blocks cover the output.
    unsafe {
        written_by(batch * m * n, |out| {
            for (&(oa, ob), c) in offsets.iter().zip(out.chunks_mut(m * n)) {
                // SAFETY: see above; `c` is an exclusive, contiguous m x n block.
                gemm::gemm(
                    m,
                    n,
                    k,
                    c.as_mut_ptr().cast::<f32>(),
                    1,
                    n as isize,
                    false,
                    a.as_ptr().add(oa),
                    ca,
                    ra,
                    b.as_ptr().add(ob),
                    cb,
                    rb,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::Rayon(0),
                );
            }
            Ok(())
        })
    }
}

/// Applies `epilogue` to every element of the row-major `out`, with `bias[j]` for column `j`.
pub(crate) fn epilogue(out: &mut [f32], epilogue: Epilogue, bias: &[f32]) {
    if bias.is_empty() {
        return;
    }
    for row in out.chunks_mut(bias.len()) {
        for (v, &b) in row.iter_mut().zip(bias) {
            *v = epilogue.apply(*v, b);
        }
    }
}

/// Writes `values` (row-major) into the view `layout` of `data`.
pub(crate) fn scatter<T: Copy>(data: &mut [T], layout: &Layout, values: &[T]) {
    if layout.is_contiguous() {
        let start = layout.offset();
        data[start..start + values.len()].copy_from_slice(values);
    } else {
        for (o, &v) in layout.offsets().zip(values) {
            data[o] = v;
        }
    }
}

/// One update of `w` in place (the formulas of `OptimizerStep`); `s` holds the state,
/// `step.state_len(w.len())` elements.
pub(crate) fn optimizer_step(w: &mut [f32], g: &[f32], s: &mut [f32], step: OptimizerStep) {
    let each = w.iter_mut().zip(g);
    match step {
        OptimizerStep::Sgd { lr, momentum } => {
            for ((w, &g), s) in each.zip(s) {
                *s = momentum * *s - lr * g;
                *w += *s;
            }
        }
        OptimizerStep::RmsProp { lr, rho, epsilon } => {
            for ((w, &g), s) in each.zip(s) {
                *s = rho * *s + (1.0 - rho) * g * g;
                *w -= lr * g / (s.sqrt() + epsilon);
            }
        }
        OptimizerStep::Adam {
            lr,
            beta1,
            beta2,
            epsilon,
        } => {
            let (m, v) = s.split_at_mut(s.len() / 2);
            for (((w, &g), m), v) in each.zip(m).zip(v) {
                *m += (g - *m) * (1.0 - beta1);
                *v += (g * g - *v) * (1.0 - beta2);
                *w -= lr * *m / (v.sqrt() + epsilon);
            }
        }
    }
}

impl CpuStorage {
    pub(crate) fn len(&self) -> usize {
        match self {
            CpuStorage::F32(v) => v.len(),
            CpuStorage::U32(v) => v.len(),
        }
    }
}

/// The rows `samples` of packed u8 `pixels` as f32 in [0, 1], with their labels.
pub(crate) fn gather_batch(
    pixels: &[u8],
    labels: &[u32],
    samples: &[usize],
    features: usize,
) -> Result<(Vec<f32>, Vec<u32>)> {
    let mut x = reserve(samples.len() * features)?;
    for &s in samples {
        x.extend(
            pixels[s * features..(s + 1) * features]
                .iter()
                .map(|&p| p as f32 / 255.0),
        );
    }
    Ok((x, samples.iter().map(|&s| labels[s]).collect()))
}
