//! Reading results back to the host through staging buffers, reused from read to read.
//! A read takes a buffer out of the pool for its duration, so reads from several threads (or
//! several mappings awaited at once) need no lock around the read itself.

use std::sync::Mutex;

use super::sync::lock;
use crate::{Error, Result};

/// Staging buffers up to this size are kept for later reads; a larger read gets one of its
/// own, so that one big readback does not hold its size in host-visible memory for good.
const KEEP_BYTES: u64 = 16 << 20;

/// Staging buffers kept at most: one per thread reading at once, for a few threads.
const KEEP: usize = 4;

/// The pool of staging buffers.
#[derive(Default)]
pub(crate) struct Readback {
    staging: Mutex<Vec<wgpu::Buffer>>,
}

impl Readback {
    /// A `MAP_READ` staging buffer of at least `bytes` bytes: the smallest kept one that is
    /// large enough, else a new one. Hand it back with `put` once read.
    pub(crate) fn take(&self, device: &wgpu::Device, bytes: u64) -> wgpu::Buffer {
        let kept = {
            let mut pool = lock(&self.staging);
            let fit = pool
                .iter()
                .enumerate()
                .filter(|(_, b)| b.size() >= bytes)
                .min_by_key(|(_, b)| b.size())
                .map(|(i, _)| i);
            fit.map(|i| pool.swap_remove(i))
        };
        kept.unwrap_or_else(|| {
            let size = bytes.next_power_of_two().max(256);
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("readback"),
                size: if size <= KEEP_BYTES { size } else { bytes },
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })
    }

    /// Keeps a staging buffer from `take`, read and unmapped, for later reads, unless it is too
    /// large. (A buffer whose read failed may still be mapped or its mapping pending: drop it.)
    pub(crate) fn put(&self, staging: wgpu::Buffer) {
        if staging.size() > KEEP_BYTES {
            return;
        }
        let mut pool = lock(&self.staging);
        pool.push(staging);
        if pool.len() > KEEP {
            // The smallest goes: the others serve it too.
            if let Some(i) = (0..pool.len()).min_by_key(|&i| pool[i].size()) {
                pool.swap_remove(i);
            }
        }
    }

    /// Frees the kept staging buffers.
    pub(crate) fn trim(&self) {
        lock(&self.staging).clear();
    }
}

/// The first `bytes` bytes of a `MAP_READ` buffer, once the device has finished the work that
/// writes it: maps it, waits, copies it out and unmaps it. Natively the wait blocks on the
/// device's poll, so the future is ready when first polled; in a browser the page's event loop
/// completes the mapping, and only awaiting it (never blocking) lets that happen.
pub(crate) async fn map_read(
    device: &wgpu::Device,
    staging: &wgpu::Buffer,
    bytes: u64,
) -> Result<Vec<u8>> {
    let (sender, receiver) = futures_intrusive::channel::shared::oneshot_channel();
    staging.map_async(wgpu::MapMode::Read, ..bytes, move |r| {
        // The receiver outlives this callback: it is awaited below.
        let _ = sender.send(r);
    });
    #[cfg(not(target_arch = "wasm32"))]
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::Gpu(e.to_string()))?;
    #[cfg(target_arch = "wasm32")]
    let _ = device;
    match receiver.receive().await {
        Some(Ok(())) => {}
        Some(Err(e)) => return Err(Error::Gpu(format!("mapping a readback buffer: {e}"))),
        None => return Err(Error::Gpu("a readback mapping was dropped".into())),
    }
    let data = staging
        .get_mapped_range(..bytes)
        .map_err(|e| Error::Gpu(format!("reading a mapped buffer: {e}")))?
        .to_vec();
    staging.unmap();
    Ok(data)
}

/// `map_read`, blocking until it is done. In a browser, where the page's only thread may not
/// block, an error naming the way that waits without blocking.
pub(crate) fn map_read_blocking(
    device: &wgpu::Device,
    staging: &wgpu::Buffer,
    bytes: u64,
) -> Result<Vec<u8>> {
    #[cfg(not(target_arch = "wasm32"))]
    return pollster::block_on(map_read(device, staging, bytes));
    #[cfg(target_arch = "wasm32")]
    {
        let _ = (device, staging, bytes);
        Err(cannot_block("reading back from the GPU"))
    }
}

/// The error for a blocking wait asked for in a browser.
#[cfg(target_arch = "wasm32")]
pub(crate) fn cannot_block(op: &'static str) -> Error {
    Error::Unsupported {
        op,
        reason: "a browser's thread may not block on the GPU: await the async form \
                 (Device::gpu_async, Tensor::to_vec_async, Device::synchronize_async)"
            .into(),
    }
}
