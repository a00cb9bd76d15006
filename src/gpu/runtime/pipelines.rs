//! Compiled kernels: a `Kernel` becomes one compute pipeline, compiled on first use and cached.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::bindings::{self, Interface};
use super::counters::{bump, Counters};
use super::kernel::Kernel;
use super::sync::lock;
use crate::Result;

/// A compiled kernel with what its launchers need to know of its WGSL.
pub(crate) struct Pipeline {
    /// Unique per pipeline: the bind group cache's key.
    pub(crate) id: u64,
    pub(crate) kernel: Kernel,
    pub(crate) pipeline: wgpu::ComputePipeline,
    pub(crate) layout: wgpu::BindGroupLayout,
    pub(crate) interface: Interface,
}

static NEXT_PIPELINE: AtomicU64 = AtomicU64::new(1);

/// The pipeline cache.
#[derive(Default)]
pub(crate) struct Pipelines {
    modules: Mutex<HashMap<usize, wgpu::ShaderModule>>,
    cache: Mutex<HashMap<Kernel, Arc<Pipeline>>>,
}

impl Pipelines {
    /// The compiled pipeline for `kernel`, compiled on first use. A shader that fails to
    /// compile is an error here, before anything is recorded, so one bad kernel cannot
    /// invalidate the shared encoder.
    pub(crate) fn get(
        &self,
        device: &wgpu::Device,
        kernel: Kernel,
        counters: &Counters,
    ) -> Result<Arc<Pipeline>> {
        if let Some(p) = lock(&self.cache).get(&kernel) {
            return Ok(p.clone());
        }
        // Read before the error scope opens, so that an error here leaves no scope behind.
        let interface = bindings::interface(kernel)?;
        // In a browser a scope's answer arrives only through the event loop, which this call
        // cannot wait for: there a kernel that fails to compile reaches the device's error
        // sink, and the error surfaces at the next read.
        #[cfg(not(target_arch = "wasm32"))]
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = lock(&self.modules)
            .entry(kernel.program_id())
            .or_insert_with(|| {
                device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(kernel.program.name),
                    source: wgpu::ShaderSource::Wgsl(kernel.program.source.into()),
                })
            })
            .clone();
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(kernel.entry),
            entries: &interface.entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(kernel.entry),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let constants = kernel.constants.pairs();
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(kernel.entry),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some(kernel.entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &constants,
                ..Default::default()
            },
            cache: None,
        });
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(e) = pollster::block_on(scope.pop()) {
            lock(&self.modules).remove(&kernel.program_id());
            return Err(crate::Error::Gpu(format!(
                "kernel {} of {:?} does not compile: {e}",
                kernel.entry, kernel.program
            )));
        }
        bump(&counters.pipelines_compiled);
        let compiled = Arc::new(Pipeline {
            id: NEXT_PIPELINE.fetch_add(1, Ordering::Relaxed),
            kernel,
            pipeline,
            layout,
            interface,
        });
        Ok(lock(&self.cache).entry(kernel).or_insert(compiled).clone())
    }
}
