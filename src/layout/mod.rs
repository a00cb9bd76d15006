//! Shapes, strides and broadcasting: how a tensor's elements sit in its buffer.
//!
//! Both devices walk the same [`Layout`], so a broadcast, a transpose or a slice means the same
//! thing on the CPU and in the WGSL kernels: broadcasting is a stride of zero, a transpose is a
//! permutation of strides, a slice is an offset plus (possibly negative) strides.

use ndarray::SliceInfoElem;

use crate::{Error, Result};

/// Shape, element strides and starting offset of a tensor view into its storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: usize,
}

/// Row-major strides for `shape`.
pub(crate) fn contiguous_strides(shape: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc *= d.max(1) as isize;
    }
    strides
}

/// The number of elements of `shape`, or an error where it does not fit a `usize` (a shape
/// can name more elements than any memory holds; counting them must not wrap).
pub(crate) fn element_count(op: &'static str, shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::InvalidArgument {
            op,
            msg: format!("shape {shape:?} has more elements than fit in memory"),
        })
}

/// NumPy's broadcasting rule: align from the trailing axis; an axis broadcasts when it is 1 or
/// missing. The result's element count must fit a `usize`.
pub(crate) fn broadcast_shapes(
    op: &'static str,
    lhs: &[usize],
    rhs: &[usize],
) -> Result<Vec<usize>> {
    let rank = lhs.len().max(rhs.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let l = if i < lhs.len() {
            lhs[lhs.len() - 1 - i]
        } else {
            1
        };
        let r = if i < rhs.len() {
            rhs[rhs.len() - 1 - i]
        } else {
            1
        };
        out[rank - 1 - i] = match (l, r) {
            (a, b) if a == b => a,
            (1, b) => b,
            (a, 1) => a,
            _ => {
                return Err(Error::ShapeMismatch {
                    op,
                    lhs: lhs.to_vec(),
                    rhs: rhs.to_vec(),
                })
            }
        };
    }
    element_count(op, &out)?;
    Ok(out)
}

impl Layout {
    pub(crate) fn contiguous(shape: &[usize]) -> Self {
        Layout {
            strides: contiguous_strides(shape),
            shape: shape.to_vec(),
            offset: 0,
        }
    }

    pub(crate) fn new(shape: Vec<usize>, strides: Vec<isize>, offset: usize) -> Self {
        debug_assert_eq!(shape.len(), strides.len());
        Layout {
            shape,
            strides,
            offset,
        }
    }

    pub(crate) fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub(crate) fn strides(&self) -> &[isize] {
        &self.strides
    }

    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the elements are stored row-major without gaps, so element `i` of the view is
    /// element `offset + i` of the storage. Axes of size 1 may carry any stride.
    pub(crate) fn is_contiguous(&self) -> bool {
        let mut expected = 1isize;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d == 0 {
                return true;
            }
            if d != 1 && s != expected {
                return false;
            }
            expected *= d as isize;
        }
        true
    }

    /// The view of this layout broadcast to `shape`: missing and size-1 axes get stride 0.
    pub(crate) fn broadcast_to(&self, op: &'static str, shape: &[usize]) -> Result<Layout> {
        let mismatch = || Error::ShapeMismatch {
            op,
            lhs: self.shape.clone(),
            rhs: shape.to_vec(),
        };
        if shape.len() < self.shape.len() {
            return Err(mismatch());
        }
        let lead = shape.len() - self.shape.len();
        let mut strides = vec![0isize; shape.len()];
        for (i, &d) in shape.iter().enumerate().skip(lead) {
            let own = self.shape[i - lead];
            strides[i] = if own == d {
                self.strides[i - lead]
            } else if own == 1 {
                0
            } else {
                return Err(mismatch());
            };
        }
        Ok(Layout {
            shape: shape.to_vec(),
            strides,
            offset: self.offset,
        })
    }

    /// Storage offsets of every element, in row-major order of the view.
    pub(crate) fn offsets(&self) -> Offsets<'_> {
        Offsets {
            layout: self,
            index: vec![0; self.shape.len()],
            next: self.offset as isize,
            remaining: self.len(),
        }
    }

    /// The smallest and one-past-largest storage offsets this view touches (for bounds checks).
    pub(crate) fn span(&self) -> (usize, usize) {
        if self.len() == 0 {
            return (self.offset, self.offset);
        }
        let (mut lo, mut hi) = (self.offset as isize, self.offset as isize);
        for (&d, &s) in self.shape.iter().zip(&self.strides) {
            let reach = (d as isize - 1) * s;
            if reach < 0 {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        (lo as usize, hi as usize + 1)
    }
}

impl Layout {
    /// The same elements under a new shape; only for contiguous layouts (callers copy first).
    pub(crate) fn reshape(&self, shape: &[usize]) -> Result<Layout> {
        let len: Option<usize> = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if len != Some(self.len()) {
            return Err(Error::Reshape {
                from: self.shape.clone(),
                len: self.len(),
                shape: shape.to_vec(),
            });
        }
        debug_assert!(self.is_contiguous());
        Ok(Layout {
            shape: shape.to_vec(),
            strides: contiguous_strides(shape),
            offset: self.offset,
        })
    }

    /// Axes reordered: axis `i` of the result is axis `axes[i]` of `self`.
    pub(crate) fn permute(&self, axes: &[usize]) -> Result<Layout> {
        let mut seen = vec![false; self.shape.len()];
        let valid = axes.len() == self.shape.len()
            && axes
                .iter()
                .all(|&a| a < seen.len() && !std::mem::replace(&mut seen[a], true));
        if !valid {
            return Err(Error::InvalidArgument {
                op: "permute",
                msg: format!(
                    "{axes:?} is not a permutation of the {} axes of shape {:?}",
                    self.shape.len(),
                    self.shape
                ),
            });
        }
        Ok(Layout {
            shape: axes.iter().map(|&a| self.shape[a]).collect(),
            strides: axes.iter().map(|&a| self.strides[a]).collect(),
            offset: self.offset,
        })
    }

    /// The view selected by ndarray's `s![..]` elements, with NumPy's bounds: negative indices
    /// count from the end, an end past the axis is clamped, a start at or past the end gives an
    /// empty axis. A negative step walks the selected range backwards from its end (ndarray's
    /// rule: `s![a..b;-1]` is `[a, b)` reversed). Axes not named are kept whole.
    pub(crate) fn slice(&self, elems: &[SliceInfoElem]) -> Result<Layout> {
        let named = elems
            .iter()
            .filter(|e| !matches!(e, SliceInfoElem::NewAxis))
            .count();
        let err = |msg: String| Error::InvalidArgument { op: "slice", msg };
        if named > self.shape.len() {
            return Err(err(format!(
                "{named} indices given for a tensor of shape {:?}",
                self.shape
            )));
        }
        let (mut shape, mut strides) = (Vec::new(), Vec::new());
        let mut offset = self.offset as isize;
        let mut axis = 0;
        for e in elems {
            match *e {
                SliceInfoElem::NewAxis => {
                    shape.push(1);
                    strides.push(0);
                }
                SliceInfoElem::Index(i) => {
                    let d = self.shape[axis] as isize;
                    let j = if i < 0 { i + d } else { i };
                    if j < 0 || j >= d {
                        return Err(err(format!(
                            "index {i} is out of bounds for axis {axis} of size {d}"
                        )));
                    }
                    offset += j * self.strides[axis];
                    axis += 1;
                }
                SliceInfoElem::Slice { start, end, step } => {
                    if step == 0 {
                        return Err(err(format!("step 0 on axis {axis}")));
                    }
                    let d = self.shape[axis] as isize;
                    let clamp = |i: isize| if i < 0 { (i + d).max(0) } else { i.min(d) };
                    let lo = clamp(start);
                    let hi = end.map_or(d, clamp).max(lo);
                    let n = (hi - lo + step.abs() - 1) / step.abs();
                    let first = if step > 0 { lo } else { hi - 1 };
                    if n > 0 {
                        offset += first * self.strides[axis];
                    }
                    shape.push(n as usize);
                    strides.push(self.strides[axis] * step);
                    axis += 1;
                }
            }
        }
        shape.extend_from_slice(&self.shape[axis..]);
        strides.extend_from_slice(&self.strides[axis..]);
        // An empty view reads nothing; its offset stays where the tensor's was, since the
        // steps above may have moved it past the end of an empty buffer.
        let offset = if shape.contains(&0) {
            self.offset
        } else {
            offset as usize
        };
        Ok(Layout {
            shape,
            strides,
            offset,
        })
    }

    /// A contiguous layout of the same shape (what a copy of this view would have).
    pub(crate) fn into_contiguous_shape(self) -> Layout {
        Layout::contiguous(&self.shape)
    }

    /// Storage offsets of each matrix of a (batch.., rows, cols) layout, in row-major order; an
    /// error where the batch axes multiply to more offsets than the host can hold.
    pub(crate) fn batch_offsets(&self) -> Result<Vec<usize>> {
        let nb = self.shape.len() - 2;
        let batches = Layout::new(
            self.shape[..nb].to_vec(),
            self.strides[..nb].to_vec(),
            self.offset,
        );
        let mut out = Vec::new();
        out.try_reserve_exact(batches.len())
            .map_err(|_| Error::OutOfMemory {
                bytes: (batches.len() as u64).saturating_mul(8),
                device: "the CPU".into(),
            })?;
        out.extend(batches.offsets());
        Ok(out)
    }

    /// The same element walk with as few axes as it allows, for layouts of one shape walked
    /// together (an op's inputs and output): axes of length 1 dropped, and each axis merged
    /// into the one before it where every layout steps over the pair as over one axis
    /// (`stride[i] == stride[i + 1] * shape[i + 1]`). Row-major order is unchanged, so each
    /// merged layout addresses the same elements in the same order as before. An empty shape
    /// becomes `[0]`.
    pub(crate) fn merged(layouts: &[&Layout]) -> Vec<Layout> {
        let Some(first) = layouts.first() else {
            return Vec::new();
        };
        let mut out: Vec<Layout> = layouts
            .iter()
            .map(|l| Layout::new(Vec::new(), Vec::new(), l.offset))
            .collect();
        if first.len() == 0 {
            for l in &mut out {
                l.shape.push(0);
                l.strides.push(1);
            }
            return out;
        }
        for (axis, &d) in first.shape.iter().enumerate() {
            if d == 1 {
                continue;
            }
            let joins = !out[0].shape.is_empty()
                && layouts
                    .iter()
                    .zip(&out)
                    .all(|(l, o)| o.strides.last() == Some(&(l.strides[axis] * d as isize)));
            for (l, o) in layouts.iter().zip(&mut out) {
                if joins {
                    let last = o.shape.len() - 1;
                    o.shape[last] *= d;
                    o.strides[last] = l.strides[axis];
                } else {
                    o.shape.push(d);
                    o.strides.push(l.strides[axis]);
                }
            }
        }
        out
    }

    /// The view with `axis` removed, for walking the other axes of a reduction.
    pub(crate) fn remove_axis(&self, axis: usize) -> Layout {
        let mut l = self.clone();
        l.shape.remove(axis);
        l.strides.remove(axis);
        l
    }
}

/// Iterator over storage offsets of a layout, an odometer over the multi-index.
pub(crate) struct Offsets<'a> {
    layout: &'a Layout,
    index: Vec<usize>,
    next: isize,
    remaining: usize,
}

impl Iterator for Offsets<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let current = self.next as usize;
        for axis in (0..self.index.len()).rev() {
            self.index[axis] += 1;
            self.next += self.layout.strides[axis];
            if self.index[axis] < self.layout.shape[axis] {
                break;
            }
            self.next -= self.layout.strides[axis] * self.layout.shape[axis] as isize;
            self.index[axis] = 0;
        }
        Some(current)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Offsets<'_> {}

#[cfg(test)]
mod tests;
