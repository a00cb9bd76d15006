//! Kernel time from timestamp queries. Every dispatch is recorded in its own compute pass, so
//! the two timestamps written around a pass time that kernel alone, on the device's clock.
//! Profiling reads the timestamps back at every submit, so it is for finding where the time
//! goes, not for production runs.

use std::collections::HashMap;
use std::time::Duration;

use crate::Result;

/// The time one kernel took on the device, summed over its dispatches, from
/// [`Device::take_kernel_times`](crate::Device::take_kernel_times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelTime {
    /// The kernel's entry point in `shaders/` (`matmul_subgroup`, `binary`, `rmsprop`, ...).
    pub kernel: &'static str,
    /// How many times it ran.
    pub dispatches: u64,
    /// Its time on the device, from the start to the end of each dispatch.
    pub time: Duration,
}

pub(crate) struct Profiler {
    query_set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    staging: wgpu::Buffer,
    /// The kernel of each timed pass in the encoder not yet submitted, in order: pass `i`
    /// writes queries `2i` and `2i + 1`.
    recorded: Vec<&'static str>,
    totals: HashMap<&'static str, (u64, u64)>,
    period_ns: f64,
}

impl Profiler {
    /// A profiler for encoders of at most `passes` dispatches.
    pub(crate) fn new(device: &wgpu::Device, queue: &wgpu::Queue, passes: usize) -> Profiler {
        let queries = 2 * passes as u32;
        let bytes = u64::from(queries) * u64::from(wgpu::QUERY_SIZE);
        let buffer = |label, usage| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes,
                usage,
                mapped_at_creation: false,
            })
        };
        Profiler {
            query_set: device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("kernel timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: queries,
            }),
            resolve: buffer(
                "timestamp resolve",
                wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            ),
            staging: buffer(
                "timestamp readback",
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            ),
            recorded: Vec::with_capacity(passes),
            totals: HashMap::new(),
            period_ns: f64::from(queue.get_timestamp_period()),
        }
    }

    /// The timestamp writes for the next pass, which runs `kernel`.
    pub(crate) fn writes(&mut self, kernel: &'static str) -> wgpu::ComputePassTimestampWrites<'_> {
        let i = self.recorded.len() as u32;
        self.recorded.push(kernel);
        wgpu::ComputePassTimestampWrites {
            query_set: &self.query_set,
            beginning_of_pass_write_index: Some(2 * i),
            end_of_pass_write_index: Some(2 * i + 1),
        }
    }

    /// Whether the encoder about to be submitted holds timed passes; if so it also records
    /// copying their timestamps to the host-visible buffer, to be read by `collect`.
    pub(crate) fn resolve(&mut self, encoder: &mut wgpu::CommandEncoder) -> bool {
        if self.recorded.is_empty() {
            return false;
        }
        let queries = 2 * self.recorded.len() as u32;
        encoder.resolve_query_set(&self.query_set, 0..queries, &self.resolve, 0);
        let bytes = u64::from(queries) * u64::from(wgpu::QUERY_SIZE);
        encoder.copy_buffer_to_buffer(&self.resolve, 0, &self.staging, 0, bytes);
        true
    }

    /// After the encoder `resolve` prepared was submitted: waits for it and adds each pass's
    /// time to its kernel's total.
    pub(crate) fn collect(&mut self, device: &wgpu::Device) -> Result<()> {
        let kernels = std::mem::take(&mut self.recorded);
        let bytes = (2 * kernels.len() * wgpu::QUERY_SIZE as usize) as u64;
        let ticks: Vec<u64> = bytemuck::pod_collect_to_vec(&super::readback::map_read_blocking(
            device,
            &self.staging,
            bytes,
        )?);
        for (kernel, pair) in kernels.iter().zip(ticks.chunks_exact(2)) {
            let ns = (pair[1].saturating_sub(pair[0]) as f64 * self.period_ns) as u64;
            let total = self.totals.entry(kernel).or_default();
            total.0 += 1;
            total.1 += ns;
        }
        Ok(())
    }

    /// The totals so far, longest first, and a fresh start.
    pub(crate) fn take(&mut self) -> Vec<KernelTime> {
        let mut times: Vec<KernelTime> = self
            .totals
            .drain()
            .map(|(kernel, (dispatches, ns))| KernelTime {
                kernel,
                dispatches,
                time: Duration::from_nanos(ns),
            })
            .collect();
        times.sort_by(|a, b| b.time.cmp(&a.time).then(a.kernel.cmp(b.kernel)));
        times
    }
}
