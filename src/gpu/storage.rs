//! A tensor's buffer on a GPU, and the checks every launcher makes of a view into one.

use std::sync::Arc;

use super::context::GpuContext;
use super::runtime::{BufferKind, Resource};
use crate::layout::Layout;
use crate::{Error, Result};

/// A buffer of `len` 32-bit elements on one device. Dropping it returns the buffer to the
/// device's pool.
pub(crate) struct GpuStorage {
    pub(crate) ctx: Arc<GpuContext>,
    buffer: Option<wgpu::Buffer>,
    len: usize,
}

impl Drop for GpuStorage {
    fn drop(&mut self) {
        if let Some(b) = self.buffer.take() {
            self.ctx.runtime.release(b);
        }
    }
}

impl GpuStorage {
    /// `len` elements of undefined value.
    pub(crate) fn new(ctx: &Arc<GpuContext>, op: &'static str, len: usize) -> Result<Self> {
        GpuStorage::of_kind(ctx, op, len, BufferKind::Storage)
    }

    /// `len` elements in a buffer of `kind`.
    pub(crate) fn of_kind(
        ctx: &Arc<GpuContext>,
        op: &'static str,
        len: usize,
        kind: BufferKind,
    ) -> Result<Self> {
        let buffer = ctx.runtime.alloc(op, bytes_of(op, len)?, kind)?;
        Ok(GpuStorage {
            ctx: ctx.clone(),
            buffer: Some(buffer),
            len,
        })
    }

    pub(crate) fn upload(ctx: &Arc<GpuContext>, op: &'static str, words: &[u8]) -> Result<Self> {
        Ok(GpuStorage {
            ctx: ctx.clone(),
            buffer: Some(ctx.runtime.upload(op, words)?),
            len: words.len() / 4,
        })
    }

    pub(crate) fn buffer(&self) -> &wgpu::Buffer {
        // Only `drop` takes the buffer out.
        self.buffer
            .as_ref()
            .expect("GpuStorage buffer present until drop")
    }

    /// The buffer as a kernel binding.
    pub(crate) fn bind(&self) -> Resource<'_> {
        Resource::Buffer(self.buffer())
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The first `len` elements, as raw bytes, after all recorded work has run.
    pub(crate) fn read_bytes(&self, len: usize) -> Result<Vec<u8>> {
        self.ctx.runtime.read(self.buffer(), (len * 4) as u64)
    }

    /// `read_bytes` without blocking (the way in a browser).
    pub(crate) async fn read_bytes_async(&self, len: usize) -> Result<Vec<u8>> {
        self.ctx
            .runtime
            .read_async(self.buffer(), (len * 4) as u64)
            .await
    }
}

fn bytes_of(op: &'static str, len: usize) -> Result<u64> {
    (len as u64).checked_mul(4).ok_or(Error::LimitExceeded {
        op,
        what: "a buffer",
        requested: u64::MAX,
        limit: u64::MAX,
        unit: "bytes",
    })
}

/// An error unless the view `layout` stays inside `storage`.
pub(crate) fn check_span(op: &'static str, storage: &GpuStorage, layout: &Layout) -> Result<()> {
    let (_, end) = layout.span();
    if end > storage.len().max(1) && layout.len() > 0 {
        return Err(Error::InvalidArgument {
            op,
            msg: format!(
                "view reaches element {end} of a buffer of {}",
                storage.len()
            ),
        });
    }
    Ok(())
}

/// The GPU context for unit tests, or `None` (with a line saying so) where
/// `TENSORGEARS_ALLOW_NO_GPU=1` and no adapter exists; without it, a missing adapter fails.
#[cfg(test)]
pub(crate) fn test_context() -> Option<Arc<GpuContext>> {
    match crate::Device::gpu() {
        Ok(d) => d.gpu_context().cloned(),
        Err(e) if std::env::var("TENSORGEARS_ALLOW_NO_GPU").as_deref() == Ok("1") => {
            eprintln!("GPU TEST NOT RUN (TENSORGEARS_ALLOW_NO_GPU=1): {e}");
            None
        }
        Err(e) => panic!("no GPU adapter for the GPU tests: {e}"),
    }
}
