//! The CPU backend: the reference implementation every GPU kernel is compared against.

use crate::layout::Layout;
use crate::ops::{BinaryOp, Epilogue, MatmulDims, OptimizerStep, ReduceOp, UnaryOp};

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

/// Sum by halves: the rounding error grows with log(n), not n.
pub(crate) fn pairwise_sum(v: &[f32]) -> f32 {
    if v.len() <= 64 {
        v.iter().sum()
    } else {
        let (a, b) = v.split_at(v.len() / 2);
        pairwise_sum(a) + pairwise_sum(b)
    }
}

/// Reduces `axis` of the view; for argmax the result holds indices.
pub(crate) fn reduce(op: ReduceOp, data: &[f32], layout: &Layout, axis: usize) -> CpuStorage {
    let rows = layout.remove_axis(axis);
    let (len, stride) = (layout.shape()[axis], layout.strides()[axis]);
    let row =
        |base: usize| (0..len).map(move |j| data[(base as isize + j as isize * stride) as usize]);
    match op {
        ReduceOp::Sum => CpuStorage::F32(
            rows.offsets()
                .map(|b| pairwise_sum(&row(b).collect::<Vec<_>>()))
                .collect(),
        ),
        ReduceOp::Max => CpuStorage::F32(
            rows.offsets()
                .map(|b| row(b).fold(f32::NEG_INFINITY, f32::max))
                .collect(),
        ),
        ReduceOp::ArgMax => CpuStorage::U32(
            rows.offsets()
                .map(|b| {
                    let mut best = (f32::NEG_INFINITY, 0u32);
                    for (j, v) in row(b).enumerate() {
                        if v > best.0 {
                            best = (v, j as u32);
                        }
                    }
                    best.1
                })
                .collect(),
        ),
    }
}

/// Softmax over the last axis of the view, stable: exp(x - max) / sum.
pub(crate) fn softmax(data: &[f32], layout: &Layout) -> Vec<f32> {
    let axis = layout.shape().len() - 1;
    let (len, stride) = (layout.shape()[axis], layout.strides()[axis]);
    let mut out = Vec::with_capacity(layout.len());
    for base in layout.remove_axis(axis).offsets() {
        let row: Vec<f32> = (0..len)
            .map(|j| data[(base as isize + j as isize * stride) as usize])
            .collect();
        let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = row.iter().map(|&x| (x - m).exp()).collect();
        let s: f32 = e.iter().sum();
        out.extend(e.iter().map(|&x| x / s));
    }
    out
}

/// `A · B` for layouts already broadcast to (batch.., m, k) and (batch.., k, n), through
/// matrixmultiply's strided sgemm (transposed and sliced operands are read in place).
pub(crate) fn matmul(a: &[f32], la: &Layout, b: &[f32], lb: &Layout, dims: MatmulDims) -> Vec<f32> {
    let MatmulDims { batch, m, n, k } = dims;
    let mut out = vec![0.0f32; batch * m * n];
    if m == 0 || n == 0 || k == 0 {
        return out;
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
    for ((oa, ob), c) in la
        .batch_offsets()
        .into_iter()
        .zip(lb.batch_offsets())
        .zip(out.chunks_mut(m * n))
    {
        // SAFETY: see above; `c` is an exclusive, contiguous m x n block.
        unsafe {
            matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr().add(oa),
                ra,
                ca,
                b.as_ptr().add(ob),
                rb,
                cb,
                0.0,
                c.as_mut_ptr(),
                n as isize,
                1,
            );
        }
    }
    out
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

/// Log-sum-exp of one row, shifted by its maximum so that ±1e4 logits stay finite.
fn log_sum_exp(row: &[f32]) -> (f32, f32) {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let s: f32 = row.iter().map(|&x| (x - m).exp()).sum();
    (m, s.ln())
}

/// Mean of `logsumexp(row) - row[label]` over contiguous (batch, classes) logits.
pub(crate) fn cross_entropy(logits: &[f32], labels: &[u32], classes: usize) -> f32 {
    let losses: Vec<f32> = logits
        .chunks(classes.max(1))
        .zip(labels)
        .map(|(row, &l)| match row.get(l as usize) {
            Some(&x) => {
                let (m, lse) = log_sum_exp(row);
                m + lse - x
            }
            None => f32::NAN,
        })
        .collect();
    pairwise_sum(&losses) / labels.len() as f32
}

/// `grad * (softmax(row) - onehot(label)) / batch` for each row.
pub(crate) fn cross_entropy_backward(
    logits: &[f32],
    labels: &[u32],
    grad: f32,
    classes: usize,
) -> Vec<f32> {
    let scale = grad / labels.len() as f32;
    let mut out = Vec::with_capacity(logits.len());
    for (row, &l) in logits.chunks(classes.max(1)).zip(labels) {
        let (m, lse) = log_sum_exp(row);
        for (j, &x) in row.iter().enumerate() {
            let p = (x - m - lse).exp();
            let onehot = if j == l as usize { 1.0 } else { 0.0 };
            out.push(if (l as usize) < classes {
                (p - onehot) * scale
            } else {
                f32::NAN
            });
        }
    }
    out
}

pub(crate) fn optimizer_step(w: &mut [f32], g: &[f32], s: &mut [f32], step: OptimizerStep) {
    for ((w, &g), s) in w.iter_mut().zip(g).zip(s.iter_mut()) {
        step.apply(w, g, s);
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

/// How many rows have their first maximal logit at the label.
pub(crate) fn count_correct(logits: &[f32], labels: &[u32], classes: usize) -> f32 {
    logits
        .chunks(classes.max(1))
        .zip(labels)
        .filter(|(row, &l)| {
            let best = row
                .iter()
                .enumerate()
                .fold(0, |b, (j, &v)| if v > row[b] { j } else { b });
            best == l as usize
        })
        .count() as f32
}

/// The rows `samples` of packed u8 `pixels` as f32 in [0, 1], with their labels.
pub(crate) fn gather_batch(
    pixels: &[u8],
    labels: &[u32],
    samples: &[usize],
    features: usize,
) -> (Vec<f32>, Vec<u32>) {
    let mut x = Vec::with_capacity(samples.len() * features);
    for &s in samples {
        x.extend(
            pixels[s * features..(s + 1) * features]
                .iter()
                .map(|&p| p as f32 / 255.0),
        );
    }
    (x, samples.iter().map(|&s| labels[s]).collect())
}
