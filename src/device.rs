//! Where tensors live: the CPU, or a GPU opened through wgpu.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::gpu::GpuContext;
use crate::{Error, Result};

/// A device that holds tensors and runs their operations.
///
/// `Device::cpu()` is the reference path; `Device::gpu()` runs the WGSL kernels through wgpu.
/// Every `Device::gpu()` in a process shares one wgpu device, so pipelines compile once.
///
/// ```
/// use tensorgears::Device;
/// let dev = Device::auto();
/// println!("running on {dev}");
/// ```
#[derive(Clone)]
pub struct Device(Inner);

#[derive(Clone)]
enum Inner {
    Cpu,
    Gpu(Arc<GpuContext>),
}

static GPU: OnceLock<std::result::Result<Arc<GpuContext>, Error>> = OnceLock::new();

impl Device {
    /// The CPU device (ndarray and plain loops).
    pub fn cpu() -> Device {
        Device(Inner::Cpu)
    }

    /// The GPU: the adapter named by `WGPU_ADAPTER_NAME` if set, else wgpu's choice with high
    /// performance preferred, on the backends in `WGPU_BACKEND` if set. The device is opened
    /// once per process with the adapter's own limits.
    ///
    /// Errors with [`Error::NoAdapter`] (saying what to install) when there is no adapter.
    pub fn gpu() -> Result<Device> {
        GPU.get_or_init(|| GpuContext::open().map(Arc::new))
            .clone()
            .map(|ctx| Device(Inner::Gpu(ctx)))
    }

    /// The GPU when there is one, otherwise the CPU.
    pub fn auto() -> Device {
        Device::gpu().unwrap_or_else(|_| Device::cpu())
    }

    /// True for a GPU device.
    pub fn is_gpu(&self) -> bool {
        matches!(self.0, Inner::Gpu(_))
    }

    /// True for the CPU device.
    pub fn is_cpu(&self) -> bool {
        matches!(self.0, Inner::Cpu)
    }

    /// The adapter's name and backend for a GPU ("llvmpipe (LLVM 15.0.6, 256 bits) on Vulkan"),
    /// `"cpu"` for the CPU.
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// Waits until all work submitted to the device has finished (a no-op on the CPU). Use it
    /// before reading a clock when timing GPU work.
    pub fn synchronize(&self) -> Result<()> {
        match &self.0 {
            Inner::Cpu => Ok(()),
            Inner::Gpu(ctx) => ctx.synchronize(),
        }
    }

    pub(crate) fn gpu_context(&self) -> Option<&Arc<GpuContext>> {
        match &self.0 {
            Inner::Cpu => None,
            Inner::Gpu(ctx) => Some(ctx),
        }
    }

    pub(crate) fn same(&self, other: &Device) -> bool {
        match (&self.0, &other.0) {
            (Inner::Cpu, Inner::Cpu) => true,
            (Inner::Gpu(a), Inner::Gpu(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl PartialEq for Device {
    fn eq(&self, other: &Self) -> bool {
        self.same(other)
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Cpu => f.write_str("cpu"),
            Inner::Gpu(ctx) => write!(
                f,
                "{} ({:?}, {:?})",
                ctx.info.name, ctx.info.backend, ctx.info.device_type
            ),
        }
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Device({self})")
    }
}
