//! Reading results back to the host through staging buffers, reused from read to read.

use std::sync::Mutex;

use super::sync::lock;
use crate::{Error, Result};

/// Staging buffers up to this size are kept for later reads; a larger read gets one of its
/// own, so that one big readback does not hold its size in host-visible memory for good.
const KEEP_BYTES: u64 = 16 << 20;

/// Staging buffers kept at most: one per thread reading at once, for a few threads.
const KEEP: usize = 4;

/// The pool of staging buffers. A read takes one out for its duration, so reads from several
/// threads (or waiting on several mappings at once) need no lock around the read itself.
#[derive(Default)]
pub(crate) struct Readback {
    staging: Mutex<Vec<wgpu::Buffer>>,
}

impl Readback {
    /// Runs `read` with a `MAP_READ` staging buffer of at least `bytes` bytes: the smallest kept
    /// one that is large enough, else a new one, kept afterwards when it is not too large.
    pub(crate) fn with_staging<T>(
        &self,
        device: &wgpu::Device,
        bytes: u64,
        read: impl FnOnce(&wgpu::Buffer) -> Result<T>,
    ) -> Result<T> {
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
        let staging = kept.unwrap_or_else(|| {
            let size = bytes.next_power_of_two().max(256);
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("readback"),
                size: if size <= KEEP_BYTES { size } else { bytes },
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        });
        let out = read(&staging);
        // A failed read may leave the buffer mapped or its mapping pending: not kept.
        if out.is_ok() && staging.size() <= KEEP_BYTES {
            let mut pool = lock(&self.staging);
            pool.push(staging);
            if pool.len() > KEEP {
                // The smallest goes: the others serve it too.
                if let Some(i) = (0..pool.len()).min_by_key(|&i| pool[i].size()) {
                    pool.swap_remove(i);
                }
            }
        }
        out
    }

    /// Frees the kept staging buffers.
    pub(crate) fn trim(&self) {
        lock(&self.staging).clear();
    }
}

/// The first `bytes` bytes of a `MAP_READ` buffer, once the device has finished the work that
/// writes it: maps it, waits, copies it out and unmaps it.
pub(crate) fn map_read(
    device: &wgpu::Device,
    staging: &wgpu::Buffer,
    bytes: u64,
) -> Result<Vec<u8>> {
    let (sender, receiver) = futures_intrusive::channel::shared::oneshot_channel();
    staging.map_async(wgpu::MapMode::Read, ..bytes, move |r| {
        // The receiver outlives this callback: it is awaited below.
        let _ = sender.send(r);
    });
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::Gpu(e.to_string()))?;
    match pollster::block_on(receiver.receive()) {
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
