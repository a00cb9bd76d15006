//! What the device has done since it was opened: the costs tests assert (tests/step_costs.rs).

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts of GPU work, from [`Device::gpu_counters`](crate::Device::gpu_counters).
///
/// ```
/// # use tensorgears::{Device, Tensor};
/// // Counters exist only for a GPU; without one there is nothing to count.
/// if let Ok(gpu) = Device::gpu() {
///     let before = gpu.gpu_counters().unwrap();
///     let y = Tensor::ones(&[4], &gpu)?.mul_scalar(2.0)?;
///     let spent = gpu.gpu_counters().unwrap().since(&before);
///     assert_eq!(spent.readbacks, 0); // nothing has been read back yet
///     assert_eq!(y.to_vec()?, vec![2.0; 4]);
/// }
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GpuCounters {
    /// Kernel dispatches recorded.
    pub dispatches: u64,
    /// Command buffers submitted to the queue.
    pub submits: u64,
    /// Buffers read back to the host (each waits for the device).
    pub readbacks: u64,
    /// Storage buffers allocated (not counting those reused from the pool).
    pub buffers_created: u64,
    /// Compute pipelines compiled.
    pub pipelines_compiled: u64,
    /// Bind groups created (one per kernel and set of buffers; dispatches reuse them).
    pub bind_groups_created: u64,
    /// Textures allocated (not counting those reused from the pool); the texture matmul
    /// kernel packs its operands into them.
    pub textures_created: u64,
    /// Bytes of buffers and textures in use now (a level, not a count: `since` keeps the later
    /// reading's).
    pub live_bytes: u64,
    /// Bytes of buffers and textures idle in the pools now, at most the pool limit
    /// ([`Device::set_pool_limit`](crate::Device::set_pool_limit)); a level, like `live_bytes`.
    pub pooled_bytes: u64,
}

impl GpuCounters {
    /// The counts from `earlier` to `self` (the byte levels are `self`'s).
    ///
    /// ```
    /// use tensorgears::GpuCounters;
    /// let earlier = GpuCounters { dispatches: 10, submits: 2, ..Default::default() };
    /// let now = GpuCounters { dispatches: 15, submits: 3, ..earlier };
    /// let spent = now.since(&earlier);
    /// assert_eq!((spent.dispatches, spent.submits, spent.readbacks), (5, 1, 0));
    /// ```
    pub fn since(&self, earlier: &GpuCounters) -> GpuCounters {
        GpuCounters {
            dispatches: self.dispatches - earlier.dispatches,
            submits: self.submits - earlier.submits,
            readbacks: self.readbacks - earlier.readbacks,
            buffers_created: self.buffers_created - earlier.buffers_created,
            pipelines_compiled: self.pipelines_compiled - earlier.pipelines_compiled,
            bind_groups_created: self.bind_groups_created - earlier.bind_groups_created,
            textures_created: self.textures_created - earlier.textures_created,
            live_bytes: self.live_bytes,
            pooled_bytes: self.pooled_bytes,
        }
    }
}

/// The live counts behind [`GpuCounters`], bumped by the runtime's parts.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) dispatches: AtomicU64,
    pub(crate) submits: AtomicU64,
    pub(crate) readbacks: AtomicU64,
    pub(crate) buffers_created: AtomicU64,
    pub(crate) pipelines_compiled: AtomicU64,
    pub(crate) bind_groups_created: AtomicU64,
    pub(crate) textures_created: AtomicU64,
}

/// Adds one to a counter.
pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> GpuCounters {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        GpuCounters {
            dispatches: get(&self.dispatches),
            submits: get(&self.submits),
            readbacks: get(&self.readbacks),
            buffers_created: get(&self.buffers_created),
            pipelines_compiled: get(&self.pipelines_compiled),
            bind_groups_created: get(&self.bind_groups_created),
            textures_created: get(&self.textures_created),
            live_bytes: 0,
            pooled_bytes: 0,
        }
    }
}
