//! Row-wise work on the CPU: reductions along an axis, softmax, and the fused cross-entropy,
//! with NumPy's NaN rules (a NaN in a row makes its max and softmax NaN, and argmax points at
//! the first NaN).

use super::{collect_n, reserve, CpuStorage};
use crate::layout::Layout;
use crate::ops::{max_nan, ReduceOp};
use crate::Result;

/// Sum by halves: the rounding error grows with log(n), not n.
pub(crate) fn pairwise_sum(v: &[f32]) -> f32 {
    if v.len() <= 64 {
        v.iter().sum()
    } else {
        let (a, b) = v.split_at(v.len() / 2);
        pairwise_sum(a) + pairwise_sum(b)
    }
}

/// Sums of the middle axis of contiguous (outer, len, inner) data, walking it in memory order:
/// a strided walk per output would touch a new cache line per term. Blocks of 64 rows are
/// added in order and the blocks' partial sums pairwise, so the rounding error grows with
/// log(len) as `pairwise_sum`'s does.
fn sum_outer_axis(
    data: &[f32],
    offset: usize,
    n: usize,
    len: usize,
    inner: usize,
) -> Result<Vec<f32>> {
    const BLOCK: usize = 64;
    let mut out = reserve(n)?;
    let blocks = len.div_ceil(BLOCK);
    let mut partials = reserve(blocks * inner)?;
    let mut column = reserve(blocks)?;
    for outer in 0..n / inner {
        let base = offset + outer * len * inner;
        partials.clear();
        for b in 0..blocks {
            let start = partials.len();
            partials.extend_from_slice(&data[base + b * BLOCK * inner..][..inner]);
            for j in b * BLOCK + 1..len.min((b + 1) * BLOCK) {
                let row = &data[base + j * inner..][..inner];
                for (p, x) in partials[start..].iter_mut().zip(row) {
                    *p += x;
                }
            }
        }
        for i in 0..inner {
            column.clear();
            column.extend((0..blocks).map(|b| partials[b * inner + i]));
            out.push(pairwise_sum(&column));
        }
    }
    Ok(out)
}

/// The index NumPy's argmax gives: the first NaN if there is one, else the first maximum
/// (0 for an empty row).
fn argmax(row: impl Iterator<Item = f32>) -> usize {
    let mut best: Option<(usize, f32)> = None;
    for (j, v) in row.enumerate() {
        match best {
            Some((_, b)) if b.is_nan() => break,
            Some((_, b)) if !(v.is_nan() || v > b) => {}
            _ => best = Some((j, v)),
        }
    }
    best.map_or(0, |(j, _)| j)
}

/// Reduces `axis` of the view; for argmax the result holds indices.
pub(crate) fn reduce(
    op: ReduceOp,
    data: &[f32],
    layout: &Layout,
    axis: usize,
) -> Result<CpuStorage> {
    let rows = layout.remove_axis(axis);
    let n = rows.len();
    let (len, stride) = (layout.shape()[axis], layout.strides()[axis]);
    if op == ReduceOp::Sum && layout.is_contiguous() && stride > 1 && n > 0 {
        return Ok(CpuStorage::F32(sum_outer_axis(
            data,
            layout.offset(),
            n,
            len,
            stride as usize,
        )?));
    }
    let row =
        |base: usize| (0..len).map(move |j| data[(base as isize + j as isize * stride) as usize]);
    Ok(match op {
        ReduceOp::Sum => {
            let mut scratch = reserve(len)?;
            CpuStorage::F32(collect_n(
                n,
                rows.offsets().map(|b| {
                    scratch.clear();
                    scratch.extend(row(b));
                    pairwise_sum(&scratch)
                }),
            )?)
        }
        ReduceOp::Max => CpuStorage::F32(collect_n(
            n,
            rows.offsets()
                .map(|b| row(b).fold(f32::NEG_INFINITY, max_nan)),
        )?),
        ReduceOp::ArgMax => {
            CpuStorage::U32(collect_n(n, rows.offsets().map(|b| argmax(row(b)) as u32))?)
        }
    })
}

/// Softmax over the last axis of the view, stable: exp(x - max) / sum.
pub(crate) fn softmax(data: &[f32], layout: &Layout) -> Result<Vec<f32>> {
    let axis = layout.shape().len() - 1;
    let (len, stride) = (layout.shape()[axis], layout.strides()[axis]);
    let mut out = reserve(layout.len())?;
    let mut e = reserve(len)?;
    for base in layout.remove_axis(axis).offsets() {
        let row = (0..len).map(|j| data[(base as isize + j as isize * stride) as usize]);
        let m = row.clone().fold(f32::NEG_INFINITY, max_nan);
        e.clear();
        e.extend(row.map(|x| (x - m).exp()));
        let s: f32 = e.iter().sum();
        out.extend(e.iter().map(|&x| x / s));
    }
    Ok(out)
}

/// Log-sum-exp of one row, shifted by its maximum so that ±1e4 logits stay finite.
fn log_sum_exp(row: &[f32]) -> (f32, f32) {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, max_nan);
    let s: f32 = row.iter().map(|&x| (x - m).exp()).sum();
    (m, s.ln())
}

/// Mean of `logsumexp(row) - row[label]` over contiguous (batch, classes) logits.
pub(crate) fn cross_entropy(logits: &[f32], labels: &[u32], classes: usize) -> Result<f32> {
    let losses = collect_n(
        labels.len(),
        logits
            .chunks(classes.max(1))
            .zip(labels)
            .map(|(row, &l)| match row.get(l as usize) {
                Some(&x) => {
                    let (m, lse) = log_sum_exp(row);
                    m + lse - x
                }
                None => f32::NAN,
            }),
    )?;
    Ok(pairwise_sum(&losses) / labels.len() as f32)
}

/// `grad * (softmax(row) - onehot(label)) / batch` for each row.
pub(crate) fn cross_entropy_backward(
    logits: &[f32],
    labels: &[u32],
    grad: f32,
    classes: usize,
) -> Result<Vec<f32>> {
    let scale = grad / labels.len() as f32;
    let mut out = reserve(logits.len())?;
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
    Ok(out)
}

/// How many rows have their argmax (as `argmax_axis` finds it) at the label.
pub(crate) fn count_correct(logits: &[f32], labels: &[u32], classes: usize) -> f32 {
    logits
        .chunks(classes.max(1))
        .zip(labels)
        .filter(|(row, &l)| argmax(row.iter().copied()) == l as usize)
        .count() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_ranks_as_numpy() {
        let nan = f32::NAN;
        let am = |v: &[f32]| argmax(v.iter().copied());
        assert_eq!(am(&[1.0, 3.0, 3.0, 2.0]), 1);
        assert_eq!(am(&[1.0, nan, 5.0, nan]), 1);
        assert_eq!(am(&[nan, 1.0]), 0);
        assert_eq!(am(&[f32::NEG_INFINITY, f32::NEG_INFINITY]), 0);
        assert_eq!(am(&[]), 0);
    }
}
