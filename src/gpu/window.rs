//! Launching the window kernels (shaders/window.wgsl): im2col and col2im for convolutions,
//! max-pooling and its gradient, over contiguous NHWC images.

use super::kernels;
use super::params::{params, word};
use super::runtime::Kernel;
use super::storage::GpuStorage;
use crate::window::Window;
use crate::Result;

params! {
    /// Images, window and sweep.
    pub(crate) struct WindowParams {
        n: u32,
        c: u32,
        in_h: u32,
        in_w: u32,
        k_h: u32,
        k_w: u32,
        s_h: u32,
        s_w: u32,
        out_h: u32,
        out_w: u32,
        pad_top: u32,
        pad_left: u32,
    }
}

impl WindowParams {
    fn new(op: &'static str, n: usize, c: usize, w: &Window) -> Result<WindowParams> {
        let u = |what, v| word(op, what, v);
        Ok(WindowParams {
            n: u("images", n)?,
            c: u("channels", c)?,
            in_h: u("rows", w.in_h)?,
            in_w: u("columns", w.in_w)?,
            k_h: u("a window", w.k_h)?,
            k_w: u("a window", w.k_w)?,
            s_h: u("a stride", w.s_h)?,
            s_w: u("a stride", w.s_w)?,
            out_h: u("rows", w.out_h)?,
            out_w: u("columns", w.out_w)?,
            pad_top: u("padding", w.pad_top)?,
            pad_left: u("padding", w.pad_left)?,
        })
    }
}

/// Runs `kernel` with one invocation per element of `outputs` (their first binding is the
/// result) and `inputs` (`src`, `src_at`) bound.
fn launch(
    op: &'static str,
    kernel: Kernel,
    params: &WindowParams,
    inputs: &[(u32, &GpuStorage)],
    outputs: &[(u32, &GpuStorage)],
    items: usize,
) -> Result<()> {
    let Some((_, first)) = inputs.first() else {
        return Ok(());
    };
    // The kernels index every buffer with u32 arithmetic.
    for (_, s) in inputs.iter().chain(outputs) {
        word(op, "elements", s.len())?;
    }
    if items == 0 {
        return Ok(());
    }
    let resources: Vec<_> = inputs
        .iter()
        .chain(outputs)
        .map(|&(b, s)| (b, s.bind()))
        .collect();
    first
        .ctx
        .runtime
        .dispatch_items(kernel, params, &resources, items)
}

/// The patches of `x` (n contiguous images, `c` channels): (n * out_h * out_w, k_h * k_w * c).
pub(crate) fn im2col(x: &GpuStorage, n: usize, c: usize, w: &Window) -> Result<GpuStorage> {
    let len = n * w.out_h * w.out_w * w.k_h * w.k_w * c;
    let out = GpuStorage::new(&x.ctx, "conv2d", len)?;
    let params = WindowParams::new("conv2d", n, c, w)?;
    launch(
        "conv2d",
        kernels::IM2COL,
        &params,
        &[(1, x)],
        &[(3, &out)],
        len,
    )?;
    Ok(out)
}

/// The image gradient of `im2col` from the patches' gradient `dp`.
pub(crate) fn col2im(dp: &GpuStorage, n: usize, c: usize, w: &Window) -> Result<GpuStorage> {
    let len = n * w.in_h * w.in_w * c;
    let out = GpuStorage::new(&dp.ctx, "conv2d", len)?;
    let params = WindowParams::new("conv2d", n, c, w)?;
    launch(
        "conv2d",
        kernels::COL2IM,
        &params,
        &[(1, dp)],
        &[(3, &out)],
        len,
    )?;
    Ok(out)
}

/// Max-pooling of `x`: the values and, as u32, where each maximum is in its image.
pub(crate) fn max_pool(
    x: &GpuStorage,
    n: usize,
    c: usize,
    w: &Window,
) -> Result<(GpuStorage, GpuStorage)> {
    let len = n * w.out_h * w.out_w * c;
    let values = GpuStorage::new(&x.ctx, "max_pool2d", len)?;
    let at = GpuStorage::new(&x.ctx, "max_pool2d", len)?;
    let params = WindowParams::new("max_pool2d", n, c, w)?;
    let outputs = [(3, &values), (4, &at)];
    launch(
        "max_pool2d",
        kernels::MAX_POOL,
        &params,
        &[(1, x)],
        &outputs,
        len,
    )?;
    Ok((values, at))
}

/// The image gradient of `max_pool` from the output gradient `dy` and the maxima's places.
pub(crate) fn max_pool_backward(
    dy: &GpuStorage,
    at: &GpuStorage,
    n: usize,
    c: usize,
    w: &Window,
) -> Result<GpuStorage> {
    let len = n * w.in_h * w.in_w * c;
    let out = GpuStorage::new(&dy.ctx, "max_pool2d", len)?;
    let params = WindowParams::new("max_pool2d", n, c, w)?;
    let inputs = [(1, dy), (2, at)];
    launch(
        "max_pool2d",
        kernels::MAX_POOL_BACKWARD,
        &params,
        &inputs,
        &[(3, &out)],
        len,
    )?;
    Ok(out)
}
