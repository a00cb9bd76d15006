//! Windows over NHWC images on the CPU: the patches a convolution multiplies (im2col), their
//! gradient gathered back onto the image (col2im), and max-pooling with its gradient. The
//! reference for the kernels of shaders/window.wgsl, summing in the same order.

use super::{filled, reserve};
use crate::window::Window;
use crate::Result;

/// The patches of `x` (n images of `w.in_h` x `w.in_w` x `c`, contiguous): row (n, oh, ow) holds
/// the window's `k_h * k_w * c` values in (kh, kw, c) order, zeros past the image's edges.
pub(crate) fn im2col(x: &[f32], n: usize, c: usize, w: &Window) -> Result<Vec<f32>> {
    let row = w.k_h * w.k_w * c;
    let mut out = reserve(n * w.out_h * w.out_w * row)?;
    for img in 0..n {
        let base = img * w.in_h * w.in_w * c;
        for oh in 0..w.out_h {
            for ow in 0..w.out_w {
                for kh in 0..w.k_h {
                    for kw in 0..w.k_w {
                        match (w.in_row(oh, kh), w.in_col(ow, kw)) {
                            (Some(ih), Some(iw)) => {
                                let at = base + (ih * w.in_w + iw) * c;
                                out.extend_from_slice(&x[at..at + c]);
                            }
                            _ => out.extend(std::iter::repeat_n(0.0, c)),
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The gradient of `im2col` for the patches' gradient `dp`: each image element gathers the
/// patch entries it was copied to, window rows then columns in increasing order.
pub(crate) fn col2im(dp: &[f32], n: usize, c: usize, w: &Window) -> Result<Vec<f32>> {
    let row = w.k_h * w.k_w * c;
    let mut out = filled(n * w.in_h * w.in_w * c, 0.0f32)?;
    for img in 0..n {
        for h in 0..w.in_h {
            for x in 0..w.in_w {
                let at = ((img * w.in_h + h) * w.in_w + x) * c;
                for (oh, kh) in w.rows_covering(h) {
                    for (ow, kw) in w.cols_covering(x) {
                        let p = ((img * w.out_h + oh) * w.out_w + ow) * row + (kh * w.k_w + kw) * c;
                        for ch in 0..c {
                            out[at + ch] += dp[p + ch];
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Max-pooling of `x`: each window's largest value (NaN above every number, the first among
/// equals) and where it is (row * width + column in its image), for the gradient. Padding is
/// ignored, as TensorFlow's pooling ignores it.
pub(crate) fn max_pool(x: &[f32], n: usize, c: usize, w: &Window) -> Result<(Vec<f32>, Vec<u32>)> {
    let len = n * w.out_h * w.out_w * c;
    let (mut values, mut at) = (reserve(len)?, reserve(len)?);
    for img in 0..n {
        let base = img * w.in_h * w.in_w * c;
        for oh in 0..w.out_h {
            for ow in 0..w.out_w {
                for ch in 0..c {
                    let mut best: Option<(f32, u32)> = None;
                    for kh in 0..w.k_h {
                        let Some(ih) = w.in_row(oh, kh) else { continue };
                        for kw in 0..w.k_w {
                            let Some(iw) = w.in_col(ow, kw) else { continue };
                            let v = x[base + (ih * w.in_w + iw) * c + ch];
                            let better = match best {
                                None => true,
                                Some((b, _)) => !b.is_nan() && (v.is_nan() || v > b),
                            };
                            if better {
                                best = Some((v, (ih * w.in_w + iw) as u32));
                            }
                        }
                    }
                    let (v, i) = best.unwrap_or((f32::NEG_INFINITY, 0));
                    values.push(v);
                    at.push(i);
                }
            }
        }
    }
    Ok((values, at))
}

/// The gradient of `max_pool`: each image element gathers the output gradients of the windows
/// whose maximum it was, window rows then columns in increasing order.
pub(crate) fn max_pool_backward(
    dy: &[f32],
    at: &[u32],
    n: usize,
    c: usize,
    w: &Window,
) -> Result<Vec<f32>> {
    let mut out = filled(n * w.in_h * w.in_w * c, 0.0f32)?;
    for img in 0..n {
        for h in 0..w.in_h {
            for x in 0..w.in_w {
                let here = (h * w.in_w + x) as u32;
                for ch in 0..c {
                    let mut sum = 0.0;
                    for (oh, _) in w.rows_covering(h) {
                        for (ow, _) in w.cols_covering(x) {
                            let o = ((img * w.out_h + oh) * w.out_w + ow) * c + ch;
                            if at[o] == here {
                                sum += dy[o];
                            }
                        }
                    }
                    out[((img * w.in_h + h) * w.in_w + x) * c + ch] = sum;
                }
            }
        }
    }
    Ok(out)
}
