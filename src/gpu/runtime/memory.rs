//! Device memory: pools of buffers and textures that freed tensors and operands return to, so
//! that a steady-state training step allocates nothing.

use std::collections::HashMap;
use std::sync::Mutex;

use super::counters::{bump, Counters};
use super::sync::lock;
use crate::{Error, Result};

/// What a buffer is used as, which fixes its wgpu usage flags: the pool keeps each kind apart,
/// so that no buffer carries a usage only another kernel needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BufferKind {
    /// A tensor's elements: read and written by kernels, copied to and from.
    Storage,
    /// A block a kernel reads as a uniform buffer after a copy or a kernel has filled it.
    UniformBlock,
}

impl BufferKind {
    fn usage(self) -> wgpu::BufferUsages {
        let storage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST;
        match self {
            BufferKind::Storage => storage,
            BufferKind::UniformBlock => storage | wgpu::BufferUsages::UNIFORM,
        }
    }
}

/// Free buffers and textures, by exact size.
#[derive(Default)]
pub(crate) struct Memory {
    buffers: Mutex<HashMap<(wgpu::BufferUsages, u64), Vec<wgpu::Buffer>>>,
    /// Free rgba32float textures by (width, height) in texels.
    textures: Mutex<HashMap<(u32, u32), Vec<wgpu::TextureView>>>,
}

/// A texture from `Memory::texture`, back in the pool when dropped. Work recorded before then
/// that uses it stays correct: any later writer is recorded after it.
pub(crate) struct PooledTexture<'a> {
    memory: &'a Memory,
    view: wgpu::TextureView,
}

impl std::ops::Deref for PooledTexture<'_> {
    type Target = wgpu::TextureView;

    fn deref(&self) -> &wgpu::TextureView {
        &self.view
    }
}

impl Drop for PooledTexture<'_> {
    fn drop(&mut self) {
        let t = self.view.texture();
        lock(&self.memory.textures)
            .entry((t.width(), t.height()))
            .or_default()
            .push(self.view.clone());
    }
}

/// What `create` makes, or `Error::OutOfMemory` (for `bytes`) where the device runs out.
fn create_or_oom<T>(device: &wgpu::Device, bytes: u64, create: impl FnOnce() -> T) -> Result<T> {
    let scope = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let made = create();
    if pollster::block_on(scope.pop()).is_some() {
        return Err(Error::OutOfMemory { bytes });
    }
    Ok(made)
}

impl Memory {
    /// A buffer of `bytes` bytes (a multiple of 4, checked against the binding limit by the
    /// caller) of `kind`, recycled from the pool when one of that size was freed. Its
    /// contents are undefined.
    pub(crate) fn buffer(
        &self,
        device: &wgpu::Device,
        counters: &Counters,
        label: &'static str,
        bytes: u64,
        kind: BufferKind,
    ) -> Result<wgpu::Buffer> {
        let usage = kind.usage();
        if let Some(b) = lock(&self.buffers)
            .get_mut(&(usage, bytes))
            .and_then(Vec::pop)
        {
            return Ok(b);
        }
        let buffer = create_or_oom(device, bytes, || {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes,
                usage,
                mapped_at_creation: false,
            })
        })?;
        bump(&counters.buffers_created);
        Ok(buffer)
    }

    /// Returns a buffer to the pool. Work already recorded that reads it stays correct: any
    /// later writer is recorded after it, and uploads submit pending work before writing.
    pub(crate) fn release(&self, buffer: wgpu::Buffer) {
        lock(&self.buffers)
            .entry((buffer.usage(), buffer.size()))
            .or_default()
            .push(buffer);
    }

    /// An rgba32float texture of `width` x `height` texels (both at least 1, at most the
    /// adapter's side, checked by the caller) that kernels read as a storage texture and that
    /// copies or kernels fill, recycled from the pool when one of that size was freed. Its
    /// contents are undefined.
    pub(crate) fn texture(
        &self,
        device: &wgpu::Device,
        counters: &Counters,
        label: &'static str,
        (width, height): (u32, u32),
    ) -> Result<PooledTexture<'_>> {
        let pooled = |view| PooledTexture { memory: self, view };
        if let Some(view) = lock(&self.textures)
            .get_mut(&(width, height))
            .and_then(Vec::pop)
        {
            return Ok(pooled(view));
        }
        let bytes = u64::from(width) * u64::from(height) * 16;
        let texture = create_or_oom(device, bytes, || {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d {
                    width,
                    height,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba32Float,
                usage: wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            })
        })?;
        bump(&counters.textures_created);
        Ok(pooled(
            texture.create_view(&wgpu::TextureViewDescriptor::default()),
        ))
    }
}
