//! Shapes, strides and broadcasting: how a tensor's elements sit in its buffer.
//!
//! Both devices walk the same [`Layout`], so a broadcast, a transpose or a slice means the same
//! thing on the CPU and in the WGSL kernels: broadcasting is a stride of zero, a transpose is a
//! permutation of strides, a slice is an offset plus (possibly negative) strides.

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

/// NumPy's broadcasting rule: align from the trailing axis; an axis broadcasts when it is 1 or
/// missing.
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

    #[cfg_attr(not(test), allow(dead_code))]
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
mod tests {
    use super::*;

    #[test]
    fn numpy_broadcasting_cases() {
        let b = |l: &[usize], r: &[usize]| broadcast_shapes("t", l, r);
        assert_eq!(b(&[64, 3, 32, 10], &[32, 10]).unwrap(), vec![64, 3, 32, 10]);
        assert_eq!(b(&[2, 2, 3], &[3]).unwrap(), vec![2, 2, 3]);
        assert_eq!(b(&[32, 10], &[10]).unwrap(), vec![32, 10]);
        assert_eq!(b(&[3, 1], &[1, 4]).unwrap(), vec![3, 4]);
        assert_eq!(b(&[], &[5, 2]).unwrap(), vec![5, 2]);
        assert_eq!(b(&[4, 0], &[1]).unwrap(), vec![4, 0]);
        assert!(matches!(
            b(&[3, 2], &[3]),
            Err(Error::ShapeMismatch { op: "t", .. })
        ));
    }

    #[test]
    fn broadcast_offsets_repeat_rows() {
        let l = Layout::contiguous(&[3]).broadcast_to("t", &[2, 3]).unwrap();
        assert_eq!(l.offsets().collect::<Vec<_>>(), vec![0, 1, 2, 0, 1, 2]);
        assert!(!l.is_contiguous());
    }

    #[test]
    fn transposed_offsets() {
        let l = Layout::new(vec![3, 2], vec![1, 3], 0);
        assert_eq!(l.offsets().collect::<Vec<_>>(), vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(l.span(), (0, 6));
    }

    #[test]
    fn scalar_layout_has_one_offset() {
        let l = Layout::new(vec![], vec![], 7);
        assert_eq!(l.offsets().collect::<Vec<_>>(), vec![7]);
        assert!(l.is_contiguous());
    }
}
