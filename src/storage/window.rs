//! The window operations' storage: convolution patches and max-pooling, over contiguous NHWC
//! images, on either device.

use super::{host_f32, pair_error, read, Storage};
use crate::cpu::{self, CpuStorage};
use crate::gpu;
use crate::layout::Layout;
use crate::window::Window;
use crate::Result;

/// The `n` images of the view: the host's elements, or a GPU buffer that starts at them.
enum Images<'a> {
    Host(Vec<f32>),
    Gpu(GpuImages<'a>),
}

enum GpuImages<'a> {
    Borrowed(&'a gpu::GpuStorage),
    Copied(gpu::GpuStorage),
}

impl std::ops::Deref for GpuImages<'_> {
    type Target = gpu::GpuStorage;

    fn deref(&self) -> &gpu::GpuStorage {
        match self {
            GpuImages::Borrowed(g) => g,
            GpuImages::Copied(g) => g,
        }
    }
}

impl Storage {
    /// The view's elements in a form the window kernels read: contiguous from element 0.
    fn images(&self, op: &'static str, layout: &Layout) -> Result<Images<'_>> {
        Ok(match self {
            Storage::Cpu(c) => Images::Host(cpu::gather(host_f32(op, &read(c))?, layout)?),
            Storage::Gpu(g) if layout.is_contiguous() && layout.offset() == 0 => {
                Images::Gpu(GpuImages::Borrowed(g))
            }
            Storage::Gpu(g) => Images::Gpu(GpuImages::Copied(gpu::contiguous(g, layout)?)),
        })
    }

    /// The patches of `n` images of `c` channels: (n * out_h * out_w, k_h * k_w * c).
    pub(crate) fn im2col(
        &self,
        layout: &Layout,
        n: usize,
        c: usize,
        w: &Window,
    ) -> Result<Storage> {
        Ok(match self.images("conv2d", layout)? {
            Images::Host(x) => Storage::cpu_f32(cpu::window::im2col(&x, n, c, w)?),
            Images::Gpu(x) => Storage::Gpu(gpu::window::im2col(&x, n, c, w)?),
        })
    }

    /// The images' gradient from the patches' gradient (this storage, viewed by `layout`).
    pub(crate) fn col2im(
        &self,
        layout: &Layout,
        n: usize,
        c: usize,
        w: &Window,
    ) -> Result<Storage> {
        Ok(match self.images("conv2d", layout)? {
            Images::Host(dp) => Storage::cpu_f32(cpu::window::col2im(&dp, n, c, w)?),
            Images::Gpu(dp) => Storage::Gpu(gpu::window::col2im(&dp, n, c, w)?),
        })
    }

    /// Max-pooling: the values and, as u32, where each maximum is in its image.
    pub(crate) fn max_pool(
        &self,
        layout: &Layout,
        n: usize,
        c: usize,
        w: &Window,
    ) -> Result<(Storage, Storage)> {
        Ok(match self.images("max_pool2d", layout)? {
            Images::Host(x) => {
                let (values, at) = cpu::window::max_pool(&x, n, c, w)?;
                (Storage::cpu_f32(values), Storage::cpu(CpuStorage::U32(at)))
            }
            Images::Gpu(x) => {
                let (values, at) = gpu::window::max_pool(&x, n, c, w)?;
                (Storage::Gpu(values), Storage::Gpu(at))
            }
        })
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
        Ok(match (self.images(OP, layout)?, at) {
            (Images::Host(dy), Storage::Cpu(at)) => {
                let at = read(at);
                let CpuStorage::U32(at) = &*at else {
                    return Err(pair_error(OP));
                };
                Storage::cpu_f32(cpu::window::max_pool_backward(&dy, at, n, c, w)?)
            }
            (Images::Gpu(dy), Storage::Gpu(at)) => {
                Storage::Gpu(gpu::window::max_pool_backward(&dy, at, n, c, w)?)
            }
            _ => return Err(pair_error(OP)),
        })
    }
}
