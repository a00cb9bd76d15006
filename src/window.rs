//! Where a window slides over an image: TensorFlow's arithmetic for convolutions and pooling,
//! shared by both devices and the autodiff.

use crate::{Error, Result};

/// How a window meets the image's edges, as TensorFlow names it.
///
/// ```
/// use tensorgears::{Device, Padding, Tensor};
/// # let dev = Device::cpu();
/// let x = Tensor::ones(&[1, 5, 5, 1], &dev)?; // NHWC
/// let w = Tensor::ones(&[3, 3, 1, 1], &dev)?; // HWIO
/// assert_eq!(x.conv2d(&w, [1, 1], Padding::Valid)?.shape(), &[1, 3, 3, 1]);
/// assert_eq!(x.conv2d(&w, [1, 1], Padding::Same)?.shape(), &[1, 5, 5, 1]);
/// assert_eq!(x.conv2d(&w, [2, 2], Padding::Same)?.shape(), &[1, 3, 3, 1]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Padding {
    /// No padding: the window stays inside the image; `floor((in - k) / s) + 1` outputs.
    Valid,
    /// Zero padding (ignored by pooling) so that there are `ceil(in / s)` outputs; the odd
    /// padding row or column goes at the bottom and right.
    Same,
}

/// One window's sweep over an image: the sizes in and out, the strides, and the padding before
/// the first row and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) in_h: usize,
    pub(crate) in_w: usize,
    pub(crate) k_h: usize,
    pub(crate) k_w: usize,
    pub(crate) s_h: usize,
    pub(crate) s_w: usize,
    pub(crate) out_h: usize,
    pub(crate) out_w: usize,
    pub(crate) pad_top: usize,
    pub(crate) pad_left: usize,
}

/// Outputs and padding before, along one axis.
fn axis(
    op: &'static str,
    input: usize,
    k: usize,
    s: usize,
    padding: Padding,
) -> Result<(usize, usize)> {
    match padding {
        Padding::Valid => {
            if k > input {
                return Err(Error::InvalidArgument {
                    op,
                    msg: format!("a window of {k} is larger than the input's {input} (Valid)"),
                });
            }
            Ok(((input - k) / s + 1, 0))
        }
        Padding::Same => {
            let out = input.div_ceil(s);
            let total = ((out.max(1) - 1) * s + k).saturating_sub(input);
            Ok((out, total / 2))
        }
    }
}

impl Window {
    /// The sweep of a `kernel` window with `strides` over images of `input` (height, width).
    pub(crate) fn new(
        op: &'static str,
        input: [usize; 2],
        kernel: [usize; 2],
        strides: [usize; 2],
        padding: Padding,
    ) -> Result<Window> {
        if strides.contains(&0) || kernel.contains(&0) {
            return Err(Error::InvalidArgument {
                op,
                msg: format!("strides {strides:?} and window {kernel:?} must be positive"),
            });
        }
        let (out_h, pad_top) = axis(op, input[0], kernel[0], strides[0], padding)?;
        let (out_w, pad_left) = axis(op, input[1], kernel[1], strides[1], padding)?;
        Ok(Window {
            in_h: input[0],
            in_w: input[1],
            k_h: kernel[0],
            k_w: kernel[1],
            s_h: strides[0],
            s_w: strides[1],
            out_h,
            out_w,
            pad_top,
            pad_left,
        })
    }

    /// The input row of output row `oh` at window row `kh`, if it is inside the image.
    #[inline]
    pub(crate) fn in_row(&self, oh: usize, kh: usize) -> Option<usize> {
        (oh * self.s_h + kh)
            .checked_sub(self.pad_top)
            .filter(|&r| r < self.in_h)
    }

    /// The input column of output column `ow` at window column `kw`, if inside the image.
    #[inline]
    pub(crate) fn in_col(&self, ow: usize, kw: usize) -> Option<usize> {
        (ow * self.s_w + kw)
            .checked_sub(self.pad_left)
            .filter(|&c| c < self.in_w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TensorFlow's output sizes and padding, the odd padding at the bottom and right.
    #[test]
    fn tensorflow_arithmetic() {
        let w = |i: usize, k: usize, s: usize, p| Window::new("t", [i, i], [k, k], [s, s], p);
        let v = w(28, 3, 1, Padding::Valid).unwrap();
        assert_eq!((v.out_h, v.pad_top), (26, 0));
        let v = w(13, 2, 2, Padding::Valid).unwrap(); // pooling 13 -> 6, the last row dropped
        assert_eq!(v.out_h, 6);
        let s = w(5, 3, 2, Padding::Same).unwrap(); // 3 outputs, 2 padding rows: 1 above
        assert_eq!((s.out_h, s.pad_top), (3, 1));
        let s = w(6, 3, 2, Padding::Same).unwrap(); // 3 outputs, 1 padding row: below
        assert_eq!((s.out_h, s.pad_top), (3, 0));
        let s = w(4, 4, 1, Padding::Same).unwrap(); // 3 padding rows: 1 above, 2 below
        assert_eq!((s.out_h, s.pad_top), (4, 1));
        assert!(w(2, 3, 1, Padding::Valid).is_err());
        assert!(Window::new("t", [5, 5], [3, 3], [0, 1], Padding::Same).is_err());
    }
}
