//! Windows over NHWC images on the CPU: the patches a convolution multiplies (im2col), their
//! gradient added back onto the image (col2im), and max-pooling with its gradient. The
//! reference for the kernels of shaders/window.wgsl, summing in the same order: each image
//! element takes its terms in increasing output position. Images are independent, so each
//! op runs over them in parallel, the channels innermost and contiguous.

use rayon::prelude::*;

use std::mem::MaybeUninit;

use super::{filled, written_by};
use crate::window::Window;
use crate::Result;

/// The patches of `x` (n images of `w.in_h` x `w.in_w` x `c`, contiguous): row (n, oh, ow) holds
/// the window's `k_h * k_w * c` values in (kh, kw, c) order, zeros past the image's edges.
pub(crate) fn im2col(x: &[f32], n: usize, c: usize, w: &Window) -> Result<Vec<f32>> {
    let row = w.k_h * w.k_w * c;
    let per_image = w.out_h * w.out_w * row;
    let image = w.in_h * w.in_w * c;
    if per_image == 0 || x.len() < n * image {
        return filled(n * per_image, 0.0f32);
    }
    let fill = |out: &mut [MaybeUninit<f32>]| {
        out.par_chunks_mut(per_image)
            .zip(x.par_chunks(image.max(1)))
            .for_each(|(dst, src)| {
                for (o, patch) in dst.chunks_mut(row).enumerate() {
                    let (oh, ow) = (o / w.out_w, o % w.out_w);
                    for (kh, patch) in patch.chunks_mut(w.k_w * c).enumerate() {
                        let ih = w.in_row(oh, kh);
                        for (kw, dst) in patch.chunks_mut(c).enumerate() {
                            match (ih, w.in_col(ow, kw)) {
                                (Some(ih), Some(iw)) => {
                                    let at = (ih * w.in_w + iw) * c;
                                    for (d, &s) in dst.iter_mut().zip(&src[at..at + c]) {
                                        d.write(s);
                                    }
                                }
                                _ => dst.fill(MaybeUninit::new(0.0)),
                            }
                        }
                    }
                }
            });
        Ok(())
    };
    // SAFETY: the n image chunks (x holds n whole images) are split into rows of k_h * k_w
    // windows of c elements, and each window is written whole: copied or zeroed.
    unsafe { written_by(n * per_image, fill) }
}

/// The gradient of `im2col` for the patches' gradient `dp`: each patch entry added back to
/// the image element it was copied from.
pub(crate) fn col2im(dp: &[f32], n: usize, c: usize, w: &Window) -> Result<Vec<f32>> {
    let row = w.k_h * w.k_w * c;
    let image = w.in_h * w.in_w * c;
    let mut out = filled(n * image, 0.0f32)?;
    if image == 0 {
        return Ok(out);
    }
    let per_image = (w.out_h * w.out_w * row).max(1);
    out.par_chunks_mut(image)
        .zip(dp.par_chunks(per_image))
        .for_each(|(dst, src)| {
            for (o, patch) in src.chunks(row).enumerate() {
                let (oh, ow) = (o / w.out_w, o % w.out_w);
                for kh in 0..w.k_h {
                    let Some(ih) = w.in_row(oh, kh) else { continue };
                    for kw in 0..w.k_w {
                        let Some(iw) = w.in_col(ow, kw) else { continue };
                        let at = (ih * w.in_w + iw) * c;
                        let from = (kh * w.k_w + kw) * c;
                        for (d, s) in dst[at..at + c].iter_mut().zip(&patch[from..from + c]) {
                            *d += s;
                        }
                    }
                }
            }
        });
    Ok(out)
}

/// Max-pooling of `x`: each window's largest value (NaN above every number, the first among
/// equals in (row, column) order) and where it is (row * width + column in its image), for
/// the gradient. Padding is ignored, as TensorFlow's pooling ignores it.
pub(crate) fn max_pool(x: &[f32], n: usize, c: usize, w: &Window) -> Result<(Vec<f32>, Vec<u32>)> {
    let per_image = w.out_h * w.out_w * c;
    let mut values = filled(n * per_image, f32::NEG_INFINITY)?;
    let mut at = filled(n * per_image, 0u32)?;
    if per_image == 0 {
        return Ok((values, at));
    }
    let image = (w.in_h * w.in_w * c).max(1);
    values
        .par_chunks_mut(per_image)
        .zip(at.par_chunks_mut(per_image))
        .zip(x.par_chunks(image))
        .for_each(|((values, at), src)| {
            for (o, (best, place)) in values.chunks_mut(c).zip(at.chunks_mut(c)).enumerate() {
                let (oh, ow) = (o / w.out_w, o % w.out_w);
                let mut first = true;
                for kh in 0..w.k_h {
                    let Some(ih) = w.in_row(oh, kh) else { continue };
                    for kw in 0..w.k_w {
                        let Some(iw) = w.in_col(ow, kw) else { continue };
                        let here = ih * w.in_w + iw;
                        let v = &src[here * c..here * c + c];
                        if first {
                            best.copy_from_slice(v);
                            place.fill(here as u32);
                            first = false;
                            continue;
                        }
                        // Selected by bit masks, so that it vectorises: which value wins is
                        // data, and a branch (or a conditional store) on it mispredicts.
                        for ((b, p), &v) in best.iter_mut().zip(place.iter_mut()).zip(v) {
                            let take = !b.is_nan() & (v.is_nan() | (v > *b));
                            let mask = u32::from(take).wrapping_neg();
                            *b = f32::from_bits((v.to_bits() & mask) | (b.to_bits() & !mask));
                            *p = (here as u32 & mask) | (*p & !mask);
                        }
                    }
                }
            }
        });
    Ok((values, at))
}

/// The gradient of `max_pool`: each output's gradient added to the image element that was
/// its maximum.
pub(crate) fn max_pool_backward(
    dy: &[f32],
    at: &[u32],
    n: usize,
    c: usize,
    w: &Window,
) -> Result<Vec<f32>> {
    let image = w.in_h * w.in_w * c;
    let mut out = filled(n * image, 0.0f32)?;
    let per_image = (w.out_h * w.out_w * c).max(1);
    if image == 0 {
        return Ok(out);
    }
    out.par_chunks_mut(image)
        .zip(dy.par_chunks(per_image).zip(at.par_chunks(per_image)))
        .for_each(|(dst, (dy, at))| {
            for (dy, at) in dy.chunks(c).zip(at.chunks(c)) {
                for (ch, (g, &place)) in dy.iter().zip(at).enumerate() {
                    if let Some(d) = dst.get_mut(place as usize * c + ch) {
                        *d += g;
                    }
                }
            }
        });
    Ok(out)
}
