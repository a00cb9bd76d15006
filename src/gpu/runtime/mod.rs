//! The GPU runtime: an opened device, compiled kernels, memory, recording and readback. It
//! knows no op: a launcher names a [`Kernel`], passes its parameter struct and its resources,
//! and says how many workgroups to run. Nothing here imports a launcher.

mod bindings;
mod counters;
mod device;
mod kernel;
mod memory;
mod pipelines;
pub(crate) mod profiler;
mod readback;
mod recorder;
mod sync;
pub(crate) use sync::lock;

use std::sync::Arc;
use std::time::Duration;

pub use counters::GpuCounters;
use counters::{bump, Counters};
pub(crate) use device::AdapterFacts;
use device::ErrorSink;
pub use device::GpuInfo;
pub(crate) use kernel::{Kernel, Program};
use memory::{size_class, Memory};
pub(crate) use memory::{BufferKind, PooledTexture};
pub(crate) use pipelines::Pipeline;
use pipelines::Pipelines;
pub use profiler::KernelTime;
use readback::Readback;
use recorder::{fold_workgroups, Recorder};
pub(crate) use recorder::{Resource, PARAMS_BYTES};

use crate::{Error, Result};

/// One opened wgpu device with everything kernels share.
pub(crate) struct Runtime {
    pub(crate) device: wgpu::Device,
    pub(crate) adapter: AdapterFacts,
    pipelines: Pipelines,
    memory: Memory,
    recorder: Recorder,
    readback: Readback,
    errors: ErrorSink,
    counters: Counters,
    /// Bound where a kernel declares a buffer that a launch does not use (a product without a
    /// bias): a binding must name some buffer.
    placeholder: wgpu::Buffer,
}

impl Runtime {
    pub(crate) async fn open() -> Result<Runtime> {
        let (device, queue, adapter) = device::open().await?;
        let errors = ErrorSink::install(&device);
        let placeholder = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("placeholder"),
            size: 16,
            // COPY_SRC: `synchronize_async` reads a word of it to learn when the queue is done.
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let memory = Memory::new(default_pool_limit(&adapter.limits));
        Ok(Runtime {
            recorder: Recorder::new(&device, &queue, errors.clone()),
            device,
            adapter,
            pipelines: Pipelines::default(),
            memory,
            readback: Readback::default(),
            errors,
            counters: Counters::default(),
            placeholder,
        })
    }

    pub(crate) fn counters(&self) -> GpuCounters {
        let (live, pooled) = self.memory.levels();
        GpuCounters {
            live_bytes: live,
            pooled_bytes: pooled,
            ..self.counters.snapshot()
        }
    }

    /// The most bytes the pools keep idle.
    pub(crate) fn pool_limit(&self) -> u64 {
        self.memory.limit()
    }

    /// Keeps at most `bytes` idle in the pools from now on.
    pub(crate) fn set_pool_limit(&self, bytes: u64) {
        self.memory.set_limit(bytes);
    }

    /// Frees every idle buffer and texture, and the readback staging buffer.
    pub(crate) fn trim(&self) {
        self.memory.trim();
        self.readback.trim();
    }

    /// The largest buffer one storage binding may cover, in bytes.
    pub(crate) fn max_binding(&self) -> u64 {
        let limits = &self.adapter.limits;
        limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size)
    }

    /// The compiled pipeline for `kernel` (compiled on first use).
    pub(crate) fn pipeline(&self, kernel: Kernel) -> Result<Arc<Pipeline>> {
        self.pipelines.get(&self.device, kernel, &self.counters)
    }

    /// Records one dispatch of `kernel` over `workgroups`, with `params` as its parameter block
    /// at binding 0 and each resource at its binding. `params` must be the struct the kernel's
    /// WGSL declares at binding 0 (src/gpu/params.rs); its size is checked against the WGSL's.
    pub(crate) fn dispatch<P: bytemuck::Pod>(
        &self,
        kernel: Kernel,
        params: &P,
        resources: &[(u32, Resource)],
        workgroups: [u32; 3],
    ) -> Result<()> {
        let pipeline = self.pipeline(kernel)?;
        let bytes = bytemuck::bytes_of(params);
        if bytes.len() as u64 != pipeline.interface.params_bytes
            || bytes.len() as u64 > PARAMS_BYTES
        {
            return Err(Error::Gpu(format!(
                "kernel {} of {:?}: a parameter block of {} bytes where its WGSL declares {} \
                 (at most {PARAMS_BYTES})",
                kernel.entry,
                kernel.program,
                bytes.len(),
                pipeline.interface.params_bytes
            )));
        }
        let max = self.adapter.limits.max_compute_workgroups_per_dimension;
        if workgroups.iter().any(|&g| g > max) {
            return Err(Error::LimitExceeded {
                op: kernel.entry,
                what: "a dispatch along one dimension",
                requested: u64::from(workgroups.into_iter().max().unwrap_or(0)),
                limit: u64::from(max),
                unit: "workgroups",
            });
        }
        if workgroups.contains(&0) {
            return Ok(());
        }
        self.recorder
            .dispatch(&pipeline, bytes, resources, workgroups, &self.counters);
        Ok(())
    }

    /// Dispatches `kernel` with one invocation per item of `items`, in workgroups of its WGSL's
    /// `@workgroup_size` (x only), folded into two dimensions when one would exceed the limit.
    pub(crate) fn dispatch_items<P: bytemuck::Pod>(
        &self,
        kernel: Kernel,
        params: &P,
        resources: &[(u32, Resource)],
        items: usize,
    ) -> Result<()> {
        let per_group = self.pipeline(kernel)?.interface.workgroup_size[0].max(1) as usize;
        let groups = items.div_ceil(per_group);
        let max = self.adapter.limits.max_compute_workgroups_per_dimension;
        let most = u64::from(max) * u64::from(max);
        if groups as u64 > most {
            return Err(Error::LimitExceeded {
                op: kernel.entry,
                what: "a dispatch",
                requested: groups as u64,
                limit: most,
                unit: "workgroups",
            });
        }
        self.dispatch(
            kernel,
            params,
            resources,
            fold_workgroups(groups as u32, max),
        )
    }

    /// A buffer of at least `bytes` bytes of `kind` (its size class), from the pool when one of
    /// that class is idle. Its contents are undefined.
    pub(crate) fn alloc(
        &self,
        op: &'static str,
        bytes: u64,
        kind: BufferKind,
    ) -> Result<wgpu::Buffer> {
        let bytes = bytes.max(4).next_multiple_of(4);
        if bytes > self.max_binding() {
            return Err(Error::LimitExceeded {
                op,
                what: "a storage buffer",
                requested: bytes,
                limit: self.max_binding(),
                unit: "bytes",
            });
        }
        let class = size_class(bytes, self.max_binding());
        self.memory
            .buffer(&self.device, &self.counters, op, class, kind)
    }

    /// Returns a buffer to the pool (see `Memory::release`).
    pub(crate) fn release(&self, buffer: wgpu::Buffer) {
        self.memory.release(buffer);
    }

    /// A buffer for bindings a launch does not read.
    pub(crate) fn placeholder(&self) -> &wgpu::Buffer {
        &self.placeholder
    }

    /// An rgba32float texture of `width` x `height` texels from the pool, returned on drop.
    pub(crate) fn alloc_texture(
        &self,
        op: &'static str,
        width: u32,
        height: u32,
    ) -> Result<PooledTexture<'_>> {
        let limit = self.adapter.limits.max_texture_dimension_2d;
        if width.max(height) > limit {
            return Err(Error::LimitExceeded {
                op,
                what: "a texture side",
                requested: u64::from(width.max(height)),
                limit: u64::from(limit),
                unit: "texels",
            });
        }
        self.memory.texture(
            &self.device,
            &self.counters,
            op,
            (width.max(1), height.max(1)),
        )
    }

    /// A storage buffer holding `data`. The data goes through a staging buffer and a copy
    /// recorded after the work already recorded: a buffer recycled from the pool may still be
    /// read by that work, and a queue write would land before it, so this needs no submit.
    pub(crate) fn upload(&self, op: &'static str, data: &[u8]) -> Result<wgpu::Buffer> {
        let buffer = self.alloc(op, data.len() as u64, BufferKind::Storage)?;
        if data.is_empty() {
            return Ok(buffer);
        }
        let bytes = (data.len() as u64).next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("upload"),
            size: bytes,
            usage: wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: true,
        });
        {
            let mut view = staging
                .slice(..)
                .get_mapped_range_mut()
                .map_err(|e| Error::Gpu(format!("mapping an upload buffer: {e}")))?;
            view.slice(..data.len()).copy_from_slice(data);
        }
        staging.unmap();
        self.recorder.record(
            bytes,
            |e| e.copy_buffer_to_buffer(&staging, 0, &buffer, 0, bytes),
            &self.counters,
        );
        Ok(buffer)
    }

    /// Records a copy of `bytes` bytes from `source`, from byte `offset` on, to the start of
    /// `target`.
    pub(crate) fn copy_buffer(
        &self,
        source: &wgpu::Buffer,
        offset: u64,
        target: &wgpu::Buffer,
        bytes: u64,
    ) {
        self.recorder.record(
            0,
            |e| e.copy_buffer_to_buffer(source, offset, target, 0, bytes),
            &self.counters,
        );
    }

    /// Records a copy of `texels` texels (16 bytes each) from `buffer`, from byte `offset` on (a
    /// multiple of 16), into `texture` texel after texel along its rows, whose width must be a
    /// multiple of 16 texels (a copy's rows start on 256-byte boundaries): the whole rows in
    /// one copy, then the part of the last row in another, since the buffer may end before a
    /// whole last row would.
    pub(crate) fn copy_to_texture(
        &self,
        buffer: &wgpu::Buffer,
        offset: u64,
        texture: &wgpu::TextureView,
        texels: u32,
    ) {
        let width = texture.texture().width();
        let (whole, rest) = (texels / width, texels % width);
        self.recorder.record(
            0,
            |encoder| {
                let mut copy = |offset: u64, first_row: u32, (cols, rows): (u32, u32)| {
                    encoder.copy_buffer_to_texture(
                        wgpu::TexelCopyBufferInfo {
                            buffer,
                            layout: wgpu::TexelCopyBufferLayout {
                                offset,
                                bytes_per_row: Some(width * 16),
                                rows_per_image: None,
                            },
                        },
                        wgpu::TexelCopyTextureInfo {
                            texture: texture.texture(),
                            mip_level: 0,
                            origin: wgpu::Origin3d {
                                x: 0,
                                y: first_row,
                                z: 0,
                            },
                            aspect: wgpu::TextureAspect::All,
                        },
                        wgpu::Extent3d {
                            width: cols,
                            height: rows,
                            depth_or_array_layers: 1,
                        },
                    );
                };
                if whole > 0 {
                    copy(offset, 0, (width, whole));
                }
                if rest > 0 {
                    copy(
                        offset + u64::from(whole) * u64::from(width) * 16,
                        whole,
                        (rest, 1),
                    );
                }
            },
            &self.counters,
        );
    }

    /// Runs `f` with every other thread's dispatches, copies and readbacks held back.
    pub(crate) fn exclusive<R>(&self, f: impl FnOnce() -> R) -> R {
        self.recorder.exclusive(f)
    }

    /// Submits everything recorded so far.
    pub(crate) fn flush(&self) {
        self.recorder.flush(&self.counters);
    }

    /// Submits everything recorded and waits until the device has finished it (natively; in a
    /// browser, where nothing may block, an error: `synchronize_async` waits there).
    pub(crate) fn synchronize(&self) -> Result<()> {
        self.flush();
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(e.to_string()))?;
        #[cfg(target_arch = "wasm32")]
        return Err(readback::cannot_block("Device::synchronize"));
        #[cfg(not(target_arch = "wasm32"))]
        self.errors.take()
    }

    /// Submits everything recorded and waits, without blocking, until the device has finished
    /// it: a one-word read, which completes only after all earlier work.
    pub(crate) async fn synchronize_async(&self) -> Result<()> {
        self.read_async(&self.placeholder, 4).await.map(|_| ())
    }

    /// Copies `bytes` bytes from the start of `buffer` back to the host, after all recorded
    /// work, blocking until they arrive (natively; in a browser an error: see `read_async`).
    pub(crate) fn read(&self, buffer: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
        #[cfg(not(target_arch = "wasm32"))]
        return pollster::block_on(self.read_async(buffer, bytes));
        #[cfg(target_arch = "wasm32")]
        {
            let _ = (buffer, bytes);
            Err(readback::cannot_block("reading a tensor back"))
        }
    }

    /// `read` without blocking: the way in a browser, where the mapping completes only while
    /// the page's event loop runs.
    pub(crate) async fn read_async(&self, buffer: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
        if bytes == 0 {
            return Ok(Vec::new());
        }
        bump(&self.counters.readbacks);
        let staging = self.readback.take(&self.device, bytes);
        self.recorder.record_and_submit(
            |e| e.copy_buffer_to_buffer(buffer, 0, &staging, 0, bytes),
            &self.counters,
        );
        let data = readback::map_read(&self.device, &staging, bytes).await;
        // A device error explains a failed mapping better than the mapping's own error.
        self.errors.take()?;
        let data = data?;
        self.readback.put(staging);
        Ok(data)
    }

    /// Starts timing every kernel; an error where the adapter has no timestamp queries.
    pub(crate) fn profile_kernels(&self) -> Result<()> {
        if !self
            .adapter
            .features
            .contains(wgpu::Features::TIMESTAMP_QUERY)
        {
            return Err(Error::Unsupported {
                op: "profile_kernels",
                reason: format!(
                    "adapter {} has no timestamp queries",
                    self.adapter.info.name
                ),
            });
        }
        self.recorder.start_profiling(&self.counters);
        Ok(())
    }

    /// The device time of the dispatches `f` records, from timestamp queries (`None` where the
    /// adapter has none). Call it inside `exclusive`, so that no other thread's dispatch is
    /// among them; a profile started with `profile_kernels` skips them.
    pub(crate) fn gpu_time(&self, f: impl FnOnce() -> Result<()>) -> Result<Option<Duration>> {
        if !self
            .adapter
            .features
            .contains(wgpu::Features::TIMESTAMP_QUERY)
        {
            f()?;
            return Ok(None);
        }
        self.flush();
        let previous = self
            .recorder
            .swap_profiler(Some(self.recorder.new_profiler()));
        let ran = f();
        self.flush();
        let mut mine = self.recorder.swap_profiler(previous);
        ran?;
        self.errors.take()?;
        let total = mine
            .as_mut()
            .map(|p| p.take().iter().map(|t| t.time).sum())
            .unwrap_or_default();
        Ok(Some(total))
    }

    /// The kernel times since profiling started or since the last call, longest first.
    pub(crate) fn take_kernel_times(&self) -> Result<Vec<KernelTime>> {
        self.synchronize()?;
        self.recorder
            .profile_totals()
            .ok_or_else(|| Error::Unsupported {
                op: "take_kernel_times",
                reason: "kernel profiling was not started (Device::profile_kernels)".into(),
            })
    }
}

/// The idle bytes the pools keep unless told otherwise (`TENSORGEARS_POOL_LIMIT`, in bytes, or
/// `Device::set_pool_limit`): twice the largest storage binding, between 64 MiB and 1 GiB, so
/// that a step's buffers stay pooled, and so that memory changing shapes left behind is freed
/// while it is a fraction of what the device holds (on lavapipe 256 MiB).
fn default_pool_limit(limits: &wgpu::Limits) -> u64 {
    if let Some(bytes) = std::env::var("TENSORGEARS_POOL_LIMIT")
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        return bytes;
    }
    let binding = limits
        .max_storage_buffer_binding_size
        .min(limits.max_buffer_size);
    (2 * binding).clamp(64 << 20, 1 << 30)
}
