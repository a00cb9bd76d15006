//! Device memory: pools of buffers and textures that freed tensors and operands return to, so
//! that a steady-state training step allocates nothing, bounded so that a program whose shapes
//! keep changing does not grow without end.
//!
//! Buffers are allocated in size classes (quarter steps between powers of two, so at most a
//! quarter is slack) and pooled by class, so that similar shapes share buffers. The pool keeps at
//! most `limit` bytes idle: releasing past it frees the buffers idle longest. An allocation the
//! device cannot make frees every idle buffer and tries once more before it fails.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
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

/// The bytes a request of `bytes` is allocated as: 256 at least, else the next of 2^k times
/// 5/4, 6/4, 7/4 or 8/4 (1280, 1536, 1792, 2048, 2560, ...), at most `max` (the binding limit,
/// which the caller has checked `bytes` against).
pub(crate) fn size_class(bytes: u64, max: u64) -> u64 {
    if bytes <= 256 {
        return 256.min(max).max(bytes);
    }
    let pow = 1u64 << (63 - (bytes - 1).leading_zeros()); // the largest power of two < bytes
    let step = pow / 4;
    (bytes.div_ceil(step) * step).min(max).max(bytes)
}

/// Where a pooled resource is kept: buffers by usage and size class, textures by size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Slot {
    Buffer(u32, u64),
    Texture(u32, u32),
}

enum Idle {
    Buffer(wgpu::Buffer),
    Texture(wgpu::TextureView),
}

#[derive(Default)]
struct Pool {
    /// Idle resources per slot, each with its release number, oldest first.
    idle: HashMap<Slot, Vec<(u64, Idle)>>,
    /// Every idle resource's release number and slot: the oldest is freed first.
    order: BTreeMap<u64, Slot>,
    next: u64,
    idle_bytes: u64,
    live_bytes: u64,
}

impl Pool {
    /// Takes the most recently released resource of `slot`.
    fn take(&mut self, slot: Slot, bytes: u64) -> Option<Idle> {
        let (seq, r) = self.idle.get_mut(&slot)?.pop()?;
        self.order.remove(&seq);
        self.idle_bytes -= bytes;
        self.live_bytes += bytes;
        Some(r)
    }

    fn put(&mut self, slot: Slot, bytes: u64, r: Idle) {
        let seq = self.next;
        self.next += 1;
        self.idle.entry(slot).or_default().push((seq, r));
        self.order.insert(seq, slot);
        self.idle_bytes += bytes;
        self.live_bytes = self.live_bytes.saturating_sub(bytes);
    }

    /// Frees idle resources, oldest first, until at most `keep` bytes are idle. The resources
    /// are dropped after the pool's lock is released, by the caller.
    fn shrink(&mut self, keep: u64) -> Vec<Idle> {
        let mut freed = Vec::new();
        while self.idle_bytes > keep {
            let Some((seq, slot)) = self.order.pop_first() else {
                break;
            };
            let list = self.idle.entry(slot).or_default();
            if let Some(at) = list.iter().position(|(s, _)| *s == seq) {
                let (_, r) = list.remove(at);
                self.idle_bytes -= slot_bytes(slot);
                freed.push(r);
            }
        }
        self.idle.retain(|_, v| !v.is_empty());
        freed
    }
}

fn slot_bytes(slot: Slot) -> u64 {
    match slot {
        Slot::Buffer(_, bytes) => bytes,
        Slot::Texture(w, h) => u64::from(w) * u64::from(h) * 16,
    }
}

/// Pooled device memory with a bound on what it keeps idle.
pub(crate) struct Memory {
    pool: Mutex<Pool>,
    limit: AtomicU64,
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
        let slot = Slot::Texture(t.width(), t.height());
        self.memory.put(slot, Idle::Texture(self.view.clone()));
    }
}

/// What `create` makes, or `Error::OutOfMemory` (for `bytes`) where the device runs out.
/// In a browser an error scope's answer arrives only through the event loop, which this
/// synchronous call cannot wait for: there an allocation failure reaches the device's error
/// sink instead, and surfaces as an error at the next read.
fn create_or_oom<T>(device: &wgpu::Device, bytes: u64, create: impl FnOnce() -> T) -> Result<T> {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = (device, bytes);
        Ok(create())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let scope = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let made = create();
        if pollster::block_on(scope.pop()).is_some() {
            return Err(Error::OutOfMemory {
                bytes,
                device: "the GPU".into(),
            });
        }
        Ok(made)
    }
}

impl Memory {
    /// A pool that keeps at most `limit` bytes idle.
    pub(crate) fn new(limit: u64) -> Memory {
        Memory {
            pool: Mutex::default(),
            limit: AtomicU64::new(limit),
        }
    }

    /// Bytes held by live buffers and textures, and bytes idle in the pool.
    pub(crate) fn levels(&self) -> (u64, u64) {
        let pool = lock(&self.pool);
        (pool.live_bytes, pool.idle_bytes)
    }

    pub(crate) fn limit(&self) -> u64 {
        self.limit.load(Ordering::Relaxed)
    }

    /// Keeps at most `limit` bytes idle from now on, freeing what is over it now.
    pub(crate) fn set_limit(&self, limit: u64) {
        self.limit.store(limit, Ordering::Relaxed);
        let freed = lock(&self.pool).shrink(limit);
        drop(freed);
    }

    /// Frees every idle buffer and texture.
    pub(crate) fn trim(&self) {
        let freed = lock(&self.pool).shrink(0);
        drop(freed);
    }

    fn put(&self, slot: Slot, r: Idle) {
        let limit = self.limit();
        let freed = {
            let mut pool = lock(&self.pool);
            pool.put(slot, slot_bytes(slot), r);
            pool.shrink(limit)
        };
        drop(freed);
    }

    /// Runs `create` for `bytes`; where the device is out of memory, frees every idle resource
    /// and runs it once more.
    fn create<T>(&self, device: &wgpu::Device, bytes: u64, create: impl Fn() -> T) -> Result<T> {
        let made = match create_or_oom(device, bytes, &create) {
            Err(Error::OutOfMemory { .. }) => {
                self.trim();
                create_or_oom(device, bytes, &create)?
            }
            other => other?,
        };
        lock(&self.pool).live_bytes += bytes;
        Ok(made)
    }

    /// A buffer of `bytes` bytes (a size class, `size_class`) of `kind`, from the pool when one
    /// of that class is idle. Its contents are undefined.
    pub(crate) fn buffer(
        &self,
        device: &wgpu::Device,
        counters: &Counters,
        label: &'static str,
        bytes: u64,
        kind: BufferKind,
    ) -> Result<wgpu::Buffer> {
        let usage = kind.usage();
        let slot = Slot::Buffer(usage.bits(), bytes);
        if let Some(Idle::Buffer(b)) = lock(&self.pool).take(slot, bytes) {
            return Ok(b);
        }
        let buffer = self.create(device, bytes, || {
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
        let slot = Slot::Buffer(buffer.usage().bits(), buffer.size());
        self.put(slot, Idle::Buffer(buffer));
    }

    /// An rgba32float texture of `width` x `height` texels (both at least 1, at most the
    /// adapter's side, checked by the caller) that kernels read as a storage texture and that
    /// copies or kernels fill, from the pool when one of that size is idle. Its contents are
    /// undefined.
    pub(crate) fn texture(
        &self,
        device: &wgpu::Device,
        counters: &Counters,
        label: &'static str,
        (width, height): (u32, u32),
    ) -> Result<PooledTexture<'_>> {
        let slot = Slot::Texture(width, height);
        let bytes = slot_bytes(slot);
        let pooled = |view| PooledTexture { memory: self, view };
        if let Some(Idle::Texture(view)) = lock(&self.pool).take(slot, bytes) {
            return Ok(pooled(view));
        }
        let texture = self.create(device, bytes, || {
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

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_waste_at_most_a_quarter() {
        let max = 1 << 27;
        assert_eq!(size_class(4, max), 256);
        assert_eq!(size_class(256, max), 256);
        assert_eq!(size_class(257, max), 320);
        assert_eq!(size_class(1024, max), 1024);
        assert_eq!(size_class(1025, max), 1280);
        assert_eq!(size_class(3136 * 128, max), 458_752); // a 128x784 batch's 401,408 bytes
        for bytes in (1..5000u64).chain([401_409, 1 << 20, (1 << 20) + 4, max - 4, max]) {
            let c = size_class(bytes, max);
            assert!(c >= bytes && c <= max, "{bytes} -> {c}");
            assert!(bytes <= 256 || c - bytes <= bytes / 4, "{bytes} -> {c}");
            assert_eq!(size_class(c, max), c, "{bytes} -> {c} is not a class");
        }
        // A limit that is not a class caps the class.
        assert_eq!(size_class(1000, 1100), 1024);
        assert_eq!(size_class(1090, 1100), 1100);
    }
}
