//! The window operations' storage: convolution patches and max-pooling, over contiguous NHWC
//! images, on either device.

use std::sync::RwLock;

use super::{host_f32, pair_error, read, Storage};
use crate::cpu::{self, CpuStorage};
use crate::gpu::{self, GpuStorage};
use crate::layout::Layout;
use crate::window::Window;
use crate::Result;

/// `f` on the view's elements in row-major order: the host's own memory when the view is
/// contiguous, a gathered copy otherwise.
fn on_host<R>(
    op: &'static str,
    c: &RwLock<CpuStorage>,
    layout: &Layout,
    f: impl FnOnce(&[f32]) -> Result<R>,
) -> Result<R> {
    let guard = read(c);
    let data = host_f32(op, &guard)?;
    if layout.is_contiguous() {
        let span = data.get(layout.offset()..layout.offset() + layout.len());
        let span = span.ok_or_else(|| pair_error(op))?;
        f(span)
    } else {
        f(&cpu::gather(data, layout)?)
    }
}

/// `f` on a GPU buffer holding the view from element 0: the buffer itself, or a copy.
fn on_gpu<R>(
    g: &GpuStorage,
    layout: &Layout,
    f: impl FnOnce(&GpuStorage) -> Result<R>,
) -> Result<R> {
    let copy = super::strided_copy(g, layout)?;
    f(copy.as_ref().unwrap_or(g))
}

impl Storage {
    /// The patches of `n` images of `c` channels: (n * out_h * out_w, k_h * k_w * c).
    pub(crate) fn im2col(
        &self,
        layout: &Layout,
        n: usize,
        c: usize,
        w: &Window,
    ) -> Result<Storage> {
        const OP: &str = "conv2d";
        match self {
            Storage::Cpu(s) => on_host(OP, s, layout, |x| {
                Ok(Storage::cpu_f32(cpu::window::im2col(x, n, c, w)?))
            }),
            Storage::Gpu(g) => on_gpu(g, layout, |x| {
                Ok(Storage::Gpu(gpu::window::im2col(x, n, c, w)?))
            }),
        }
    }

    /// The images' gradient from the patches' gradient (this storage, viewed by `layout`).
    pub(crate) fn col2im(
        &self,
        layout: &Layout,
        n: usize,
        c: usize,
        w: &Window,
    ) -> Result<Storage> {
        const OP: &str = "conv2d";
        match self {
            Storage::Cpu(s) => on_host(OP, s, layout, |dp| {
                Ok(Storage::cpu_f32(cpu::window::col2im(dp, n, c, w)?))
            }),
            Storage::Gpu(g) => on_gpu(g, layout, |dp| {
                Ok(Storage::Gpu(gpu::window::col2im(dp, n, c, w)?))
            }),
        }
    }

    /// Max-pooling: the values and, as u32, where each maximum is in its image.
    pub(crate) fn max_pool(
        &self,
        layout: &Layout,
        n: usize,
        c: usize,
        w: &Window,
    ) -> Result<(Storage, Storage)> {
        const OP: &str = "max_pool2d";
        match self {
            Storage::Cpu(s) => on_host(OP, s, layout, |x| {
                let (values, at) = cpu::window::max_pool(x, n, c, w)?;
                Ok((Storage::cpu_f32(values), Storage::cpu(CpuStorage::U32(at))))
            }),
            Storage::Gpu(g) => on_gpu(g, layout, |x| {
                let (values, at) = gpu::window::max_pool(x, n, c, w)?;
                Ok((Storage::Gpu(values), Storage::Gpu(at)))
            }),
        }
    }

    /// The images' gradient of max-pooling from the output gradient (this storage) and the
    /// maxima's places `at` (contiguous, as `max_pool` made them).
    pub(crate) fn max_pool_backward(
        &self,
        layout: &Layout,
        at: &Storage,
        n: usize,
        c: usize,
        w: &Window,
    ) -> Result<Storage> {
        const OP: &str = "max_pool2d";
        match (self, at) {
            (Storage::Cpu(s), Storage::Cpu(at)) => {
                let at = read(at);
                let CpuStorage::U32(at) = &*at else {
                    return Err(pair_error(OP));
                };
                on_host(OP, s, layout, |dy| {
                    let dx = cpu::window::max_pool_backward(dy, at, n, c, w)?;
                    Ok(Storage::cpu_f32(dx))
                })
            }
            (Storage::Gpu(g), Storage::Gpu(at)) => on_gpu(g, layout, |dy| {
                Ok(Storage::Gpu(gpu::window::max_pool_backward(
                    dy, at, n, c, w,
                )?))
            }),
            _ => Err(pair_error(OP)),
        }
    }
}
