//! Compiled kernels: a WGSL program, one of its entry points and its override constants become
//! one compute pipeline, compiled on first use and cached.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::bindings::{self, Interface};
use super::counters::{bump, Counters};
use super::sync::lock;
use crate::{Error, Result};

/// One WGSL program: a file of shaders/ with the files it includes. Declared as a `static`
/// (src/gpu/kernels.rs), so its address identifies it: no name has to be kept unique by hand.
pub(crate) struct Program {
    /// The file's name under shaders/, for error messages.
    pub(crate) name: &'static str,
    pub(crate) source: &'static str,
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shaders/{}", self.name)
    }
}

/// Values of a program's `override` constants, fixed when its pipeline is built: an element-wise
/// op, say, so that the kernel holds no switch over every op.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Constants([Option<(&'static str, u32)>; Constants::MAX]);

impl Constants {
    const MAX: usize = 4;

    pub(crate) const NONE: Constants = Constants([None; Constants::MAX]);

    /// These constants with `name` set to `value`.
    ///
    /// # Panics
    /// When `MAX` are already set: a fixed table of kernels (src/gpu/kernels.rs) names them, so
    /// that is a mistake in that table, caught by its first use in any test.
    pub(crate) const fn with(mut self, name: &'static str, value: u32) -> Constants {
        let mut i = 0;
        while i < Constants::MAX {
            if self.0[i].is_none() {
                self.0[i] = Some((name, value));
                return self;
            }
            i += 1;
        }
        panic!("more override constants than Constants::MAX");
    }

    fn pairs(&self) -> Vec<(&'static str, f64)> {
        self.0
            .iter()
            .flatten()
            .map(|&(n, v)| (n, f64::from(v)))
            .collect()
    }
}

/// A kernel: an entry point of a program, with its override constants.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Kernel {
    pub(crate) program: &'static Program,
    pub(crate) entry: &'static str,
    pub(crate) constants: Constants,
}

impl Kernel {
    pub(crate) const fn new(program: &'static Program, entry: &'static str) -> Kernel {
        Kernel {
            program,
            entry,
            constants: Constants::NONE,
        }
    }

    /// This kernel with the override constant `name` set to `value`.
    pub(crate) const fn with(self, name: &'static str, value: u32) -> Kernel {
        Kernel {
            constants: self.constants.with(name, value),
            ..self
        }
    }

    fn program_id(&self) -> usize {
        self.program as *const Program as usize
    }
}

impl PartialEq for Kernel {
    fn eq(&self, other: &Kernel) -> bool {
        self.program_id() == other.program_id()
            && self.entry == other.entry
            && self.constants == other.constants
    }
}

impl Eq for Kernel {}

impl Hash for Kernel {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.program_id().hash(state);
        self.entry.hash(state);
        self.constants.hash(state);
    }
}

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
        if let Some(e) = pollster::block_on(scope.pop()) {
            lock(&self.modules).remove(&kernel.program_id());
            return Err(Error::Gpu(format!(
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
