//! Recording work: one pending command encoder that dispatches and copies go into until somebody
//! needs a result, the ring of parameter blocks they read, the bind group cache, and the
//! exclusive section that holds other threads' work back while one thread times kernels.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;

use super::counters::{bump, Counters};
use super::device::ErrorSink;
use super::pipelines::Pipeline;
use super::profiler::Profiler;
use super::sync::lock;

/// Dispatches recorded before the pending encoder is submitted on its own, so that a long
/// chain of ops with no readback still keeps the device busy.
pub(crate) const MAX_PENDING_DISPATCHES: usize = 256;

/// Bytes of one parameter block slot: the most any kernel's parameter struct may take, and a
/// multiple of every adapter's uniform offset alignment (the WebGPU maximum is 256).
pub(crate) const PARAMS_BYTES: u64 = 1024;

/// Upload staging bytes the pending encoder may hold before it is submitted: uploads need no
/// submit of their own, but each holds a host-visible copy of its data until one comes, and a
/// program that uploads a whole data set before any kernel would hold all of it twice.
const MAX_STAGED_BYTES: u64 = 64 << 20;

/// Bind groups kept before the cache is emptied: far more than a training loop cycles through,
/// few enough that a program touching ever new buffers does not grow without bound.
const MAX_CACHED_BIND_GROUPS: usize = 4096;

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

/// A pipeline and what is bound at each binding after 0.
type BindKey = (u64, Vec<(u32, Bound)>);

#[derive(Default)]
struct Pending {
    encoder: Option<wgpu::CommandEncoder>,
    /// The compute pass consecutive dispatches share, while one is open: it locks the encoder,
    /// so it ends before anything else is recorded or the encoder submitted.
    pass: Option<wgpu::ComputePass<'static>>,
    dispatches: usize,
    /// Bytes of upload staging buffers the pending copies hold alive until submitted.
    staged: u64,
}

impl Pending {
    /// The encoder that records the next work, opened on first use, with no pass open.
    fn encoder(&mut self, device: &wgpu::Device) -> &mut wgpu::CommandEncoder {
        self.pass = None;
        self.encoder.get_or_insert_with(|| {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
        })
    }

    /// The open compute pass, begun on first use.
    fn pass(&mut self, device: &wgpu::Device) -> &mut wgpu::ComputePass<'static> {
        if self.pass.is_none() {
            let pass = self
                .encoder(device)
                .begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("dispatches"),
                    timestamp_writes: None,
                })
                .forget_lifetime();
            self.pass = Some(pass);
        }
        self.pass.as_mut().expect("a pass was just begun")
    }
}

pub(crate) struct Recorder {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pending: Mutex<Pending>,
    /// One parameter block per dispatch the pending encoder can hold: dispatch `i` of an
    /// encoder reads block `i`. A block is rewritten only after the encoder that read it was
    /// submitted, and queue writes land in queue order, so no dispatch creates a buffer.
    params: wgpu::Buffer,
    /// One bind group per pipeline and set of resources; the parameter slot is a dynamic offset.
    bind_groups: Mutex<HashMap<BindKey, wgpu::BindGroup>>,
    /// The thread running `exclusive`, while one does; other threads' work waits on
    /// `exclusive_done`.
    exclusive: Mutex<Option<ThreadId>>,
    exclusive_done: Condvar,
    /// Set while kernels are being timed (`Device::profile_kernels`).
    profiler: Mutex<Option<Profiler>>,
    /// Where a failed timestamp readback is reported.
    errors: ErrorSink,
    /// Whether consecutive dispatches share a compute pass (wgpu orders their accesses within
    /// it), or each has one of its own (`TENSORGEARS_PASS_PER_DISPATCH=1`, for measuring).
    shared_passes: bool,
}

impl Recorder {
    pub(crate) fn new(device: &wgpu::Device, queue: &wgpu::Queue, errors: ErrorSink) -> Recorder {
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("parameter blocks"),
            size: PARAMS_BYTES * MAX_PENDING_DISPATCHES as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Recorder {
            device: device.clone(),
            queue: queue.clone(),
            pending: Mutex::default(),
            params,
            bind_groups: Mutex::default(),
            exclusive: Mutex::default(),
            exclusive_done: Condvar::new(),
            profiler: Mutex::default(),
            errors,
            shared_passes: std::env::var("TENSORGEARS_PASS_PER_DISPATCH").as_deref() != Ok("1"),
        }
    }

    /// Runs `f` with dispatches, copies and readbacks from every other thread held back, so that
    /// a measurement times only its own work while a training loop records on another thread.
    /// The flag is set under the pending lock, so no other thread's work is recorded while `f`
    /// runs.
    pub(crate) fn exclusive<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Release<'a>(&'a Recorder);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                *lock(&self.0.exclusive) = None;
                self.0.exclusive_done.notify_all();
            }
        }
        {
            let _pending = lock(&self.pending);
            *lock(&self.exclusive) = Some(std::thread::current().id());
        }
        let _release = Release(self);
        f()
    }

    /// The pending encoder, once no other thread is in `exclusive`.
    fn pending(&self) -> MutexGuard<'_, Pending> {
        let me = std::thread::current().id();
        loop {
            let pending = lock(&self.pending);
            let exclusive = lock(&self.exclusive);
            if !exclusive.is_some_and(|id| id != me) {
                return pending;
            }
            drop(pending);
            drop(
                self.exclusive_done
                    .wait(exclusive)
                    .unwrap_or_else(|p| p.into_inner()),
            );
        }
    }

    /// Records one dispatch of `pipeline` with `params` (at most `PARAMS_BYTES`, checked by the
    /// caller) as its parameter block at binding 0, and each resource at its binding.
    pub(crate) fn dispatch(
        &self,
        pipeline: &Pipeline,
        params: &[u8],
        resources: &[(u32, Resource)],
        workgroups: [u32; 3],
        counters: &Counters,
    ) {
        // The pending lock is held from choosing the block to recording the dispatch, so no
        // other dispatch can take the same block before this encoder is submitted.
        let mut pending = self.pending();
        let offset = pending.dispatches as u64 * PARAMS_BYTES;
        self.queue.write_buffer(&self.params, offset, params);
        let bind_group = self.bind_group(pipeline, resources, counters);
        let mut profiler = lock(&self.profiler);
        let label = pipeline.kernel.entry;
        let record = |pass: &mut wgpu::ComputePass<'_>| {
            pass.set_pipeline(&pipeline.pipeline);
            pass.set_bind_group(0, &bind_group, &[offset as u32]);
            pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
        };
        match profiler.as_mut() {
            // A timed dispatch has a pass of its own, whose timestamps time it alone.
            Some(p) => record(&mut pending.encoder(&self.device).begin_compute_pass(
                &wgpu::ComputePassDescriptor {
                    label: Some(label),
                    timestamp_writes: Some(p.writes(label)),
                },
            )),
            None if self.shared_passes => record(pending.pass(&self.device)),
            None => record(&mut pending.encoder(&self.device).begin_compute_pass(
                &wgpu::ComputePassDescriptor {
                    label: Some(label),
                    timestamp_writes: None,
                },
            )),
        }
        drop(profiler);
        pending.dispatches += 1;
        bump(&counters.dispatches);
        if pending.dispatches >= MAX_PENDING_DISPATCHES {
            self.submit(&mut pending, counters);
        }
    }

    /// The bind group of `pipeline` over `resources`, made on first use. Binding 0 covers the
    /// first parameter slot; each dispatch moves it to its own slot with a dynamic offset.
    fn bind_group(
        &self,
        pipeline: &Pipeline,
        resources: &[(u32, Resource)],
        counters: &Counters,
    ) -> wgpu::BindGroup {
        let key: BindKey = (
            pipeline.id,
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
                size: wgpu::BufferSize::new(PARAMS_BYTES),
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
            label: Some(pipeline.kernel.entry),
            layout: &pipeline.layout,
            entries: &entries,
        });
        bump(&counters.bind_groups_created);
        if cache.len() >= MAX_CACHED_BIND_GROUPS {
            cache.clear();
        }
        cache.insert(key, bg.clone());
        bg
    }

    /// Records `f`'s commands (copies) into the pending encoder. `staged` counts the bytes of
    /// upload staging buffers they keep alive: past `MAX_STAGED_BYTES` the encoder is
    /// submitted, which frees them.
    pub(crate) fn record(
        &self,
        staged: u64,
        f: impl FnOnce(&mut wgpu::CommandEncoder),
        counters: &Counters,
    ) {
        let mut pending = self.pending();
        f(pending.encoder(&self.device));
        pending.staged += staged;
        if pending.staged > MAX_STAGED_BYTES {
            self.submit(&mut pending, counters);
        }
    }

    /// Records `f`'s commands and submits everything recorded so far.
    pub(crate) fn record_and_submit(
        &self,
        f: impl FnOnce(&mut wgpu::CommandEncoder),
        counters: &Counters,
    ) {
        let mut pending = self.pending();
        f(pending.encoder(&self.device));
        self.submit(&mut pending, counters);
    }

    /// Submits everything recorded so far. Not held back by `exclusive`: work recorded before
    /// the section opened may be submitted inside it.
    pub(crate) fn flush(&self, counters: &Counters) {
        let mut pending = lock(&self.pending);
        self.submit(&mut pending, counters);
    }

    /// Submits the pending encoder. When kernels are profiled, the encoder also resolves its
    /// timestamps, which are read back at once: the next encoder's passes reuse the queries.
    fn submit(&self, pending: &mut MutexGuard<'_, Pending>, counters: &Counters) {
        pending.pass = None;
        if let Some(mut encoder) = pending.encoder.take() {
            let mut profiler = lock(&self.profiler);
            let timed = profiler.as_mut().is_some_and(|p| p.resolve(&mut encoder));
            self.queue.submit([encoder.finish()]);
            bump(&counters.submits);
            if let (true, Some(p)) = (timed, profiler.as_mut()) {
                if let Err(e) = p.collect(&self.device) {
                    self.errors.push(e.to_string());
                }
            }
        }
        pending.dispatches = 0;
        pending.staged = 0;
    }

    /// Starts timing every dispatch with timestamp queries (the caller checks the feature).
    pub(crate) fn start_profiling(&self, counters: &Counters) {
        // Dispatches already recorded carry no timestamps; submit them untimed.
        self.flush(counters);
        let mut profiler = lock(&self.profiler);
        if profiler.is_none() {
            *profiler = Some(Profiler::new(
                &self.device,
                &self.queue,
                MAX_PENDING_DISPATCHES,
            ));
        }
    }

    /// Puts `profiler` in place of the one timing dispatches now (if any), returning that one.
    /// The caller flushes first, so that no recorded pass is left to the wrong profiler.
    pub(crate) fn swap_profiler(&self, profiler: Option<Profiler>) -> Option<Profiler> {
        std::mem::replace(&mut *lock(&self.profiler), profiler)
    }

    /// A profiler for this recorder's encoders.
    pub(crate) fn new_profiler(&self) -> Profiler {
        Profiler::new(&self.device, &self.queue, MAX_PENDING_DISPATCHES)
    }

    /// The profiler's totals so far, if profiling.
    pub(crate) fn profile_totals(&self) -> Option<Vec<super::profiler::KernelTime>> {
        lock(&self.profiler).as_mut().map(Profiler::take)
    }
}

/// Splits `groups` workgroups over x and y so that neither exceeds the per-dimension limit;
/// kernels rebuild the linear index from `num_workgroups` (`folded_index` in
/// shaders/prelude.wgsl).
pub(crate) fn fold_workgroups(groups: u32, max_per_dim: u32) -> [u32; 3] {
    if groups <= max_per_dim {
        [groups, 1, 1]
    } else {
        let y = groups.div_ceil(max_per_dim);
        [groups.div_ceil(y), y, 1]
    }
}

#[cfg(test)]
mod tests {
    use super::fold_workgroups;

    #[test]
    fn folding_keeps_every_dimension_under_the_limit() {
        assert_eq!(fold_workgroups(10, 65535), [10, 1, 1]);
        for n in [65535u32, 65536, 200_000, 4_000_000] {
            let [x, y, _] = fold_workgroups(n, 65535);
            assert!(x <= 65535 && y <= 65535);
            assert!(x * y >= n, "{n}: {x}x{y}");
        }
    }
}
