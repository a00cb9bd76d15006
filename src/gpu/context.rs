//! All wgpu setup and readback: adapter and device, the pipeline cache, a buffer pool and the
//! command encoder that ops record into until somebody needs a result.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::ThreadId;

use super::matmul::{self, MatmulVariant};
use super::profiler::{KernelTime, Profiler};
use crate::{Error, Result};

/// Dispatches recorded before the pending encoder is submitted on its own, so that a long
/// chain of ops with no readback still keeps the device busy.
const MAX_PENDING_DISPATCHES: usize = 256;

/// Size of every kernel's parameter block (`info` in shaders/prelude.wgsl, a uniform
/// `array<vec4<u32>, 64>`): a uniform array has a fixed length.
pub(crate) const INFO_WORDS: usize = 256;

/// Bind groups kept before the cache is emptied: far more than a training loop cycles through,
/// few enough that a program touching ever new buffers does not grow without bound.
const MAX_CACHED_BIND_GROUPS: usize = 4096;

/// Bytes of one parameter block; a multiple of every adapter's uniform offset alignment (the
/// WebGPU maximum is 256).
const INFO_BYTES: u64 = (INFO_WORDS * 4) as u64;

/// One opened wgpu device with everything the kernels share.
pub(crate) struct GpuContext {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    pub(crate) info: wgpu::AdapterInfo,
    pub(crate) limits: wgpu::Limits,
    /// Whether kernels may read rgba32float textures bound as read-only storage textures.
    pub(crate) storage_texture_reads: bool,
    modules: Mutex<HashMap<&'static str, wgpu::ShaderModule>>,
    pipelines: Mutex<HashMap<(&'static str, &'static str), Arc<Pipeline>>>,
    pool: Mutex<HashMap<u64, Vec<wgpu::Buffer>>>,
    /// Free rgba32float textures by (width, height) in texels: where matmul operands are packed.
    textures: Mutex<HashMap<(u32, u32), Vec<wgpu::TextureView>>>,
    /// One bind group per kernel and set of buffers; the parameter slot is a dynamic offset.
    bind_groups: Mutex<HashMap<BindKey, wgpu::BindGroup>>,
    pending: Mutex<Pending>,
    /// One parameter block per dispatch the pending encoder can hold: dispatch `i` of an
    /// encoder reads block `i`. A block is rewritten only after the encoder that read it was
    /// submitted, and queue writes land in queue order, so no dispatch creates a buffer.
    params: wgpu::Buffer,
    errors: Arc<Mutex<Vec<String>>>,
    matmul_variant: OnceLock<MatmulVariant>,
    /// The matmul measurement when it runs on a background thread (see `matmul_variant_now`).
    matmul_choice: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// What serves products until that measurement lands, once compiled (`serve_meanwhile`).
    matmul_interim: Mutex<Option<MatmulVariant>>,
    /// Whether that thread only compiles a choice read from the cache, rather than measuring.
    matmul_choice_cached: std::sync::atomic::AtomicBool,
    /// The thread timing the matmul kernels, while it does (`exclusive`); dispatches from any
    /// other thread wait on `timed_done`, so that none of their work lands in a timed window.
    timing: Mutex<Option<ThreadId>>,
    timed_done: Condvar,
    counters: Counters,
    /// Set while kernels are being timed (`Device::profile_kernels`).
    profiler: Mutex<Option<Profiler>>,
}

/// What the context has done since it was opened; see `crate::GpuCounters`.
#[derive(Default)]
struct Counters {
    dispatches: AtomicU64,
    submits: AtomicU64,
    readbacks: AtomicU64,
    buffers_created: AtomicU64,
    pipelines_compiled: AtomicU64,
    bind_groups_created: AtomicU64,
    textures_created: AtomicU64,
}

/// A texture from `GpuContext::alloc_texture`, back in the pool when dropped. As with
/// `release`, work recorded before then that uses it stays correct: any later writer is
/// recorded after it.
pub(crate) struct PooledTexture<'a> {
    ctx: &'a GpuContext,
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
        lock(&self.ctx.textures)
            .entry((t.width(), t.height()))
            .or_default()
            .push(self.view.clone());
    }
}

/// A kernel (file, entry) and what is bound at each binding after 0.
type BindKey = (&'static str, &'static str, Vec<(u32, Bound)>);

/// What a dispatch binds, besides its parameter block.
#[derive(Clone, Copy)]
pub(crate) enum Resource<'a> {
    Buffer(&'a wgpu::Buffer),
    Texture(&'a wgpu::TextureView),
}

/// A `Resource` held by the bind group cache.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Bound {
    Buffer(wgpu::Buffer),
    Texture(wgpu::TextureView),
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

pub(crate) struct Pipeline {
    pub(crate) pipeline: wgpu::ComputePipeline,
    pub(crate) layout: wgpu::BindGroupLayout,
}

#[derive(Default)]
struct Pending {
    encoder: Option<wgpu::CommandEncoder>,
    dispatches: usize,
}

impl Pending {
    /// The encoder that records the next work, opened on first use.
    fn encoder(&mut self, device: &wgpu::Device) -> &mut wgpu::CommandEncoder {
        self.encoder.get_or_insert_with(|| {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
        })
    }
}

/// A WGSL source file and one of its entry points.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Kernel {
    pub(crate) file: &'static str,
    pub(crate) source: &'static str,
    pub(crate) entry: &'static str,
}

/// Chooses the adapter: `WGPU_ADAPTER_NAME` (a case-insensitive substring) when set, else
/// wgpu's default request, both restricted to `WGPU_BACKEND` when that is set.
async fn choose_adapter(instance: &wgpu::Instance) -> Result<wgpu::Adapter> {
    if let Ok(wanted) = std::env::var("WGPU_ADAPTER_NAME") {
        let wanted = wanted.to_lowercase();
        let adapters = instance
            .enumerate_adapters(wgpu::Backends::all().with_env())
            .await;
        let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
        return adapters
            .into_iter()
            .find(|a| a.get_info().name.to_lowercase().contains(&wanted))
            .ok_or_else(|| Error::NoAdapter {
                reason: format!(
                    "WGPU_ADAPTER_NAME={wanted:?} matches none of the adapters found: {names:?}"
                ),
            });
    }
    let options = wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::from_env()
            .unwrap_or(wgpu::PowerPreference::HighPerformance),
        ..Default::default()
    };
    instance
        .request_adapter(&options)
        .await
        .map_err(|e| Error::NoAdapter {
            reason: e.to_string(),
        })
}

impl GpuContext {
    pub(crate) fn open() -> Result<Self> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(choose_adapter(&instance))?;
        let info = adapter.get_info();
        // The adapter's own limits, not WebGPU's defaults: a real GPU binds far more than 128 MiB.
        let limits = adapter.limits();
        let storage_texture_reads = adapter
            .get_texture_format_features(wgpu::TextureFormat::Rgba32Float)
            .flags
            .contains(wgpu::TextureFormatFeatureFlags::STORAGE_READ_ONLY);
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("tensorgears"),
            required_limits: limits.clone(),
            // Each only where the adapter has it: the subgroup matmul, and kernel profiling.
            required_features: adapter.features()
                & (wgpu::Features::SUBGROUP | wgpu::Features::TIMESTAMP_QUERY),
            ..Default::default()
        }))
        .map_err(|e| Error::DeviceRequest {
            adapter: info.name.clone(),
            reason: e.to_string(),
        })?;
        // wgpu's default handler panics; keep the message and report it from the next sync point.
        let errors: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut v) = sink.lock() {
                v.push(e.to_string());
            }
        }));
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("parameter blocks"),
            size: INFO_BYTES * MAX_PENDING_DISPATCHES as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(GpuContext {
            device,
            queue,
            info,
            limits,
            storage_texture_reads,
            modules: Mutex::default(),
            pipelines: Mutex::default(),
            pool: Mutex::default(),
            textures: Mutex::default(),
            bind_groups: Mutex::default(),
            pending: Mutex::default(),
            params,
            errors,
            matmul_variant: OnceLock::new(),
            matmul_choice: Mutex::default(),
            matmul_interim: Mutex::default(),
            matmul_choice_cached: Default::default(),
            timing: Mutex::default(),
            timed_done: Condvar::new(),
            counters: Counters::default(),
            profiler: Mutex::default(),
        })
    }

    /// The matmul kernel for this adapter, measured on first use; waits for a measurement
    /// running in the background.
    pub(crate) fn matmul_variant(self: &Arc<Self>) -> Result<MatmulVariant> {
        if let Some(v) = self.matmul_variant.get() {
            return Ok(*v);
        }
        if let Some(handle) = lock(&self.matmul_choice).take() {
            // A panicked measurement is measured again below, where its error surfaces.
            let _ = handle.join();
        }
        if let Some(v) = self.matmul_variant.get() {
            return Ok(*v);
        }
        let v = matmul::choose_variant(self)?;
        Ok(*self.matmul_variant.get_or_init(|| v))
    }

    /// The kernel for the next product. Compiling the subgroup kernel takes about a second on
    /// lavapipe, and measuring the choice about 1.4–1.5 s, longer than a first call should
    /// wait, so where they are candidates the choice runs on a background thread and the
    /// register kernel serves the first product. Later products wait for a choice read
    /// from the cache, which only compiles; while a choice is measured they run on the
    /// register kernel, or on the subgroup kernel once the measurement has compiled it
    /// (`serve_meanwhile`). All variants add along K in the same order, so the switches do
    /// not change results (the edge-case tests in src/gpu/matmul/mod.rs compare them exactly).
    pub(crate) fn matmul_variant_now(self: &Arc<Self>) -> Result<MatmulVariant> {
        if let Some(v) = self.matmul_variant.get() {
            return Ok(*v);
        }
        if MatmulVariant::forced().is_some()
            || !MatmulVariant::available(self).contains(&MatmulVariant::Subgroup)
        {
            return self.matmul_variant();
        }
        let mut choice = lock(&self.matmul_choice);
        if choice.is_some() {
            if self.matmul_choice_cached.load(Ordering::Relaxed) {
                // Only compiling (on lavapipe about a second for the subgroup kernel, under
                // 0.1 s for the texture kernel): waiting costs less than serving on the register
                // kernel, whose work would slow the compilation down (it once ran 65 products,
                // 3.8 s, in the first epoch of train_mnist).
                drop(choice);
                return self.matmul_variant();
            }
        } else {
            self.matmul_choice_cached
                .store(matmul::cached_choice(self).is_some(), Ordering::Relaxed);
            let ctx = self.clone();
            *choice = Some(std::thread::spawn(move || {
                if let Ok(v) = matmul::choose_variant(&ctx) {
                    let _ = ctx.matmul_variant.set(v);
                    // Off this thread, so that waiting for the choice does not wait for it. A
                    // kernel that fails to compile here fails again, with its error, on use.
                    std::thread::spawn(move || matmul::compile_fallback(&ctx, v));
                }
            }));
        }
        Ok(lock(&self.matmul_interim).unwrap_or(MatmulVariant::Register))
    }

    /// Whether the timed matmul choice picked the texture kernel: the sign that on this adapter
    /// a storage-texture load is much cheaper than a storage-buffer load (lavapipe), which other
    /// load-bound kernels use too. False while the choice is still being measured.
    pub(crate) fn texture_reads_pay(&self) -> bool {
        self.matmul_variant.get() == Some(&MatmulVariant::Texture)
    }

    /// Has `variant`, already compiled, serve products while the choice is still measured.
    pub(crate) fn serve_meanwhile(&self, variant: MatmulVariant) {
        *lock(&self.matmul_interim) = Some(variant);
    }

    pub(crate) fn counters(&self) -> crate::GpuCounters {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        crate::GpuCounters {
            dispatches: get(&c.dispatches),
            submits: get(&c.submits),
            readbacks: get(&c.readbacks),
            buffers_created: get(&c.buffers_created),
            pipelines_compiled: get(&c.pipelines_compiled),
            bind_groups_created: get(&c.bind_groups_created),
            textures_created: get(&c.textures_created),
        }
    }

    /// The largest buffer one storage binding may cover, in bytes.
    pub(crate) fn max_binding(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }

    /// The compiled pipeline for `kernel`, compiled on first use and cached by file and entry.
    /// A shader that fails to compile is an error here, before anything is recorded, so one
    /// bad kernel cannot invalidate the shared encoder.
    pub(crate) fn pipeline(&self, kernel: Kernel) -> Result<Arc<Pipeline>> {
        let key = (kernel.file, kernel.entry);
        if let Some(p) = lock(&self.pipelines).get(&key) {
            return Ok(p.clone());
        }
        // Read before the error scope opens, so that an error here leaves no scope behind.
        let entries = super::bindings::layout_entries(kernel)?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = {
            let mut modules = lock(&self.modules);
            modules
                .entry(kernel.file)
                .or_insert_with(|| {
                    self.device
                        .create_shader_module(wgpu::ShaderModuleDescriptor {
                            label: Some(kernel.file),
                            source: wgpu::ShaderSource::Wgsl(kernel.source.into()),
                        })
                })
                .clone()
        };
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(kernel.entry),
                entries: &entries,
            });
        let pipeline_layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(kernel.entry),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(kernel.entry),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(kernel.entry),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            lock(&self.modules).remove(kernel.file);
            return Err(Error::Gpu(format!(
                "kernel {} of shaders/{} does not compile: {e}",
                kernel.entry, kernel.file
            )));
        }
        bump(&self.counters.pipelines_compiled);
        let p = Arc::new(Pipeline { pipeline, layout });
        lock(&self.pipelines).insert(key, p.clone());
        Ok(p)
    }

    /// A storage buffer of at least `bytes` bytes, recycled from the pool when one of that size
    /// was freed. Its contents are undefined.
    pub(crate) fn alloc(&self, op: &'static str, bytes: u64) -> Result<wgpu::Buffer> {
        let bytes = bytes.max(4).next_multiple_of(4);
        if bytes > self.max_binding() {
            return Err(Error::LimitExceeded {
                op,
                what: "a storage buffer",
                requested: bytes,
                limit: self.max_binding(),
            });
        }
        if let Some(b) = lock(&self.pool).get_mut(&bytes).and_then(Vec::pop) {
            return Ok(b);
        }
        let buffer = self.create_or_oom(bytes, || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(op),
                size: bytes,
                // Uniform too, for the narrow matmul kernel's block of B.
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::UNIFORM
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        bump(&self.counters.buffers_created);
        Ok(buffer)
    }

    /// Returns a buffer to the pool. Work already recorded that reads it stays correct: any later
    /// writer is recorded after it, and `upload` submits pending work before writing.
    pub(crate) fn release(&self, buffer: wgpu::Buffer) {
        lock(&self.pool)
            .entry(buffer.size())
            .or_default()
            .push(buffer);
    }

    /// An rgba32float texture of `width` x `height` texels (both at least 1) that kernels write
    /// and read as a storage texture, recycled from the pool when one of that
    /// size was freed. Its contents are undefined.
    pub(crate) fn alloc_texture(
        &self,
        op: &'static str,
        width: u32,
        height: u32,
    ) -> Result<PooledTexture<'_>> {
        let limit = self.limits.max_texture_dimension_2d;
        if width.max(height) > limit {
            return Err(Error::LimitExceeded {
                op,
                what: "a texture side (in texels)",
                requested: width.max(height) as u64,
                limit: limit as u64,
            });
        }
        let pooled = |view| PooledTexture { ctx: self, view };
        if let Some(view) = lock(&self.textures)
            .get_mut(&(width, height))
            .and_then(Vec::pop)
        {
            return Ok(pooled(view));
        }
        let bytes = width as u64 * height as u64 * 16;
        let texture = self.create_or_oom(bytes, || {
            self.device.create_texture(&wgpu::TextureDescriptor {
                label: Some(op),
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
        bump(&self.counters.textures_created);
        Ok(pooled(
            texture.create_view(&wgpu::TextureViewDescriptor::default()),
        ))
    }

    /// What `create` makes, or `Error::OutOfMemory` (for `bytes`) where the device runs out.
    fn create_or_oom<T>(&self, bytes: u64, create: impl FnOnce() -> T) -> Result<T> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let made = create();
        if pollster::block_on(scope.pop()).is_some() {
            return Err(Error::OutOfMemory { bytes });
        }
        Ok(made)
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
        let mut pending = self.pending_when_not_timing();
        let encoder = pending.encoder(&self.device);
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
            copy(offset + whole as u64 * width as u64 * 16, whole, (rest, 1));
        }
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
        let mut pending = self.pending_when_not_timing();
        pending
            .encoder(&self.device)
            .copy_buffer_to_buffer(source, offset, target, 0, bytes);
    }

    /// A buffer holding `data`.
    pub(crate) fn upload(&self, op: &'static str, data: &[u8]) -> Result<wgpu::Buffer> {
        let buffer = self.alloc(op, data.len() as u64)?;
        if !data.is_empty() {
            // A recycled buffer may still be read by recorded work; queue writes land before the
            // next submit, so that work must be submitted first.
            self.flush();
            self.queue.write_buffer(&buffer, 0, data);
        }
        Ok(buffer)
    }

    /// Runs `f` with dispatches, copies and readbacks from every other thread held back:
    /// `choose_variant` times kernels this way while a training loop may be recording on another
    /// thread. The flag is set and checked under the pending lock, so no other thread's work is
    /// recorded while `f` runs.
    pub(crate) fn exclusive<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Release<'a>(&'a GpuContext);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                *lock(&self.0.timing) = None;
                self.0.timed_done.notify_all();
            }
        }
        {
            let _pending = lock(&self.pending);
            *lock(&self.timing) = Some(std::thread::current().id());
        }
        let _release = Release(self);
        f()
    }

    /// The pending encoder, once no other thread is timing kernels (`exclusive`).
    fn pending_when_not_timing(&self) -> MutexGuard<'_, Pending> {
        let me = std::thread::current().id();
        loop {
            let pending = lock(&self.pending);
            let timing = lock(&self.timing);
            if !timing.is_some_and(|id| id != me) {
                return pending;
            }
            drop(pending);
            drop(
                self.timed_done
                    .wait(timing)
                    .unwrap_or_else(|p| p.into_inner()),
            );
        }
    }

    /// Records one dispatch of `kernel` with `info` (at most [`INFO_WORDS`] words) as its
    /// parameter block at binding 0, and each `(binding, buffer)`.
    pub(crate) fn dispatch(
        &self,
        kernel: Kernel,
        info: &[u32],
        buffers: &[(u32, &wgpu::Buffer)],
        workgroups: (u32, u32, u32),
    ) -> Result<()> {
        let resources: Vec<(u32, Resource)> = buffers
            .iter()
            .map(|&(i, b)| (i, Resource::Buffer(b)))
            .collect();
        self.dispatch_with(kernel, info, &resources, workgroups)
    }

    /// `dispatch` with textures among the bindings.
    pub(crate) fn dispatch_with(
        &self,
        kernel: Kernel,
        info: &[u32],
        resources: &[(u32, Resource)],
        workgroups: (u32, u32, u32),
    ) -> Result<()> {
        if info.len() > INFO_WORDS {
            return Err(Error::LimitExceeded {
                op: kernel.entry,
                what: "kernel parameters in 32-bit words (the tensors' rank is too high)",
                requested: info.len() as u64,
                limit: INFO_WORDS as u64,
            });
        }
        let pipeline = self.pipeline(kernel)?;
        let mut words = [0u32; INFO_WORDS];
        words[..info.len()].copy_from_slice(info);
        // The pending lock is held from choosing the block to recording the dispatch, so no
        // other dispatch can take the same block before this encoder is submitted.
        let mut pending = self.pending_when_not_timing();
        let offset = pending.dispatches as u64 * INFO_BYTES;
        self.queue
            .write_buffer(&self.params, offset, bytemuck::cast_slice(&words));
        let bind_group = self.bind_group(kernel, &pipeline, resources);
        let encoder = pending.encoder(&self.device);
        {
            let mut profiler = lock(&self.profiler);
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(kernel.entry),
                timestamp_writes: profiler.as_mut().map(|p| p.writes(kernel.entry)),
            });
            pass.set_pipeline(&pipeline.pipeline);
            pass.set_bind_group(0, &bind_group, &[offset as u32]);
            pass.dispatch_workgroups(workgroups.0, workgroups.1, workgroups.2);
        }
        pending.dispatches += 1;
        bump(&self.counters.dispatches);
        if pending.dispatches >= MAX_PENDING_DISPATCHES {
            self.submit(&mut pending);
        }
        Ok(())
    }

    /// The bind group of `kernel` over `resources`, made on first use. Binding 0 covers the
    /// first parameter slot; each dispatch moves it to its own slot with a dynamic offset.
    fn bind_group(
        &self,
        kernel: Kernel,
        pipeline: &Pipeline,
        resources: &[(u32, Resource)],
    ) -> wgpu::BindGroup {
        let key: BindKey = (
            kernel.file,
            kernel.entry,
            resources
                .iter()
                .map(|&(i, r)| match r {
                    Resource::Buffer(b) => (i, Bound::Buffer(b.clone())),
                    Resource::Texture(t) => (i, Bound::Texture(t.clone())),
                })
                .collect(),
        );
        let mut cache = lock(&self.bind_groups);
        if let Some(bg) = cache.get(&key) {
            return bg.clone();
        }
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &self.params,
                offset: 0,
                size: wgpu::BufferSize::new(INFO_BYTES),
            }),
        }];
        for &(binding, r) in resources {
            entries.push(wgpu::BindGroupEntry {
                binding,
                resource: match r {
                    Resource::Buffer(b) => b.as_entire_binding(),
                    Resource::Texture(t) => wgpu::BindingResource::TextureView(t),
                },
            });
        }
        let bg = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(kernel.entry),
            layout: &pipeline.layout,
            entries: &entries,
        });
        bump(&self.counters.bind_groups_created);
        if cache.len() >= MAX_CACHED_BIND_GROUPS {
            cache.clear();
        }
        cache.insert(key, bg.clone());
        bg
    }

    fn submit(&self, pending: &mut MutexGuard<'_, Pending>) {
        if let Some(mut encoder) = pending.encoder.take() {
            let mut profiler = lock(&self.profiler);
            let timed = profiler.as_mut().is_some_and(|p| p.resolve(&mut encoder));
            self.queue.submit([encoder.finish()]);
            bump(&self.counters.submits);
            if let (true, Some(p)) = (timed, profiler.as_mut()) {
                if let Err(e) = p.collect(&self.device) {
                    lock(&self.errors).push(e.to_string());
                }
            }
        }
        pending.dispatches = 0;
    }

    /// Starts timing every kernel; an error where the adapter has no timestamp queries.
    pub(crate) fn profile_kernels(&self) -> Result<()> {
        if !self
            .device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
        {
            return Err(Error::Unsupported {
                op: "profile_kernels",
                reason: format!("adapter {} has no timestamp queries", self.info.name),
            });
        }
        // Dispatches already recorded carry no timestamps; submit them untimed.
        self.flush();
        let mut profiler = lock(&self.profiler);
        if profiler.is_none() {
            *profiler = Some(Profiler::new(
                &self.device,
                &self.queue,
                MAX_PENDING_DISPATCHES,
            ));
        }
        Ok(())
    }

    /// The kernel times since profiling started or since the last call, longest first.
    pub(crate) fn take_kernel_times(&self) -> Result<Vec<KernelTime>> {
        self.synchronize()?;
        match lock(&self.profiler).as_mut() {
            Some(p) => Ok(p.take()),
            None => Err(Error::Unsupported {
                op: "take_kernel_times",
                reason: "kernel profiling was not started (Device::profile_kernels)".into(),
            }),
        }
    }

    /// Submits everything recorded so far.
    pub(crate) fn flush(&self) {
        let mut pending = lock(&self.pending);
        self.submit(&mut pending);
    }

    /// Submits everything recorded and waits until the device has finished it.
    pub(crate) fn synchronize(&self) -> Result<()> {
        self.flush();
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(e.to_string()))?;
        self.take_error()
    }

    fn take_error(&self) -> Result<()> {
        let mut errors = lock(&self.errors);
        if errors.is_empty() {
            Ok(())
        } else {
            let msg = errors.join("; ");
            errors.clear();
            Err(Error::Gpu(msg))
        }
    }

    /// Copies `bytes` bytes from the start of `buffer` back to the host, after all recorded work.
    pub(crate) fn read(&self, buffer: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
        if bytes == 0 {
            return Ok(Vec::new());
        }
        bump(&self.counters.readbacks);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        {
            // Held back like a dispatch while another thread times kernels (`exclusive`).
            let mut pending = self.pending_when_not_timing();
            pending
                .encoder(&self.device)
                .copy_buffer_to_buffer(buffer, 0, &staging, 0, bytes);
            self.submit(&mut pending);
        }
        let data = map_read(&self.device, &staging, bytes);
        // A device error explains a failed mapping better than the mapping's own error.
        self.take_error()?;
        data
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

/// Splits `groups` workgroups over x and y so that neither exceeds the per-dimension limit;
/// kernels rebuild the linear index from `num_workgroups`.
pub(crate) fn fold_workgroups(groups: u32, max_per_dim: u32) -> (u32, u32, u32) {
    if groups <= max_per_dim {
        (groups, 1, 1)
    } else {
        let y = groups.div_ceil(max_per_dim);
        (groups.div_ceil(y), y, 1)
    }
}

/// A poisoned lock only means another thread panicked while holding it; the maps it guards are
/// still consistent, so carry on rather than cascade the panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::fold_workgroups;

    #[test]
    fn folding_keeps_every_dimension_under_the_limit() {
        assert_eq!(fold_workgroups(10, 65535), (10, 1, 1));
        for n in [65535u32, 65536, 200_000, 4_000_000] {
            let (x, y, _) = fold_workgroups(n, 65535);
            assert!(x <= 65535 && y <= 65535);
            assert!(x * y >= n, "{n}: {x}x{y}");
        }
    }
}
