//! Where tensors live: the CPU, or a GPU opened through wgpu.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::gpu::{self, GpuContext};
use crate::{Error, GpuCounters, GpuInfo, KernelTime, Result};

/// A device that holds tensors and runs their operations.
///
/// `Device::cpu()` is the reference path; `Device::gpu()` runs the WGSL kernels through wgpu.
/// Every `Device::gpu()` in a process shares one wgpu device, so pipelines compile once.
///
/// ```
/// use tensorgears::Device;
/// let dev = Device::auto();
/// assert!(dev.is_cpu() || dev.is_gpu());
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
    ///
    /// ```
    /// use tensorgears::Device;
    /// let dev = Device::cpu();
    /// assert!(dev.is_cpu() && !dev.is_gpu());
    /// assert_eq!(dev, Device::cpu());
    /// ```
    pub fn cpu() -> Device {
        Device(Inner::Cpu)
    }

    /// The GPU: the adapter named by `WGPU_ADAPTER_NAME` if set, else wgpu's choice with high
    /// performance preferred, on the backends in `WGPU_BACKEND` if set. The device is opened
    /// once per process with the adapter's own limits.
    ///
    /// Errors with [`Error::NoAdapter`] (saying what to install) when there is no adapter.
    ///
    /// ```
    /// use tensorgears::{Device, Error};
    /// match Device::gpu() {
    ///     Ok(dev) => assert!(dev.is_gpu()),
    ///     Err(e) => assert!(matches!(e, Error::NoAdapter { .. } | Error::DeviceRequest { .. })),
    /// }
    /// ```
    pub fn gpu() -> Result<Device> {
        #[cfg(not(target_arch = "wasm32"))]
        let opened = GPU.get_or_init(|| pollster::block_on(GpuContext::open()).map(Arc::new));
        #[cfg(target_arch = "wasm32")]
        let opened = GPU.get().ok_or_else(|| {
            Error::Gpu(
                "in a browser the GPU opens without blocking: await Device::gpu_async()".into(),
            )
        })?;
        opened.clone().map(|ctx| Device(Inner::Gpu(ctx)))
    }

    /// The GPU, opened without blocking the thread: the way in a browser (WebGPU), where
    /// nothing may block; natively the same device as [`Device::gpu`].
    ///
    /// ```
    /// use tensorgears::Device;
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// if let Ok(gpu) = pollster::block_on(Device::gpu_async()) {
    ///     assert_eq!(gpu, Device::gpu()?);
    /// }
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub async fn gpu_async() -> Result<Device> {
        if let Some(opened) = GPU.get() {
            return opened.clone().map(|ctx| Device(Inner::Gpu(ctx)));
        }
        let opened = GpuContext::open().await.map(Arc::new);
        // Another caller may have opened it meanwhile: the first one stands.
        GPU.get_or_init(|| opened)
            .clone()
            .map(|ctx| Device(Inner::Gpu(ctx)))
    }

    /// The GPU when there is a real one, otherwise the CPU. An adapter that emulates a GPU on
    /// the CPU (lavapipe, SwiftShader, WARP: wgpu's `DeviceType::Cpu`) is not chosen: on the
    /// same cores the CPU path is far faster (see `benches/`); `Device::gpu()` still opens it.
    ///
    /// ```
    /// use tensorgears::Device;
    /// let dev = Device::auto();
    /// assert!(dev.is_cpu() || (dev.is_gpu() && !dev.is_emulated()));
    /// ```
    pub fn auto() -> Device {
        match Device::gpu() {
            Ok(d) if !d.is_emulated() => d,
            _ => Device::cpu(),
        }
    }

    /// True for a GPU adapter that runs on the CPU (lavapipe, SwiftShader, WARP).
    ///
    /// ```
    /// use tensorgears::Device;
    /// assert!(!Device::cpu().is_emulated());
    /// if let Ok(gpu) = Device::gpu() {
    ///     assert_eq!(gpu.is_emulated(), Device::auto().is_cpu()); // auto passes over an emulated GPU
    /// }
    /// ```
    pub fn is_emulated(&self) -> bool {
        match &self.0 {
            Inner::Cpu => false,
            Inner::Gpu(ctx) => ctx.profile.emulated,
        }
    }

    /// True for a GPU device.
    ///
    /// ```
    /// use tensorgears::Device;
    /// assert!(!Device::cpu().is_gpu());
    /// if let Ok(gpu) = Device::gpu() {
    ///     assert!(gpu.is_gpu());
    /// }
    /// ```
    pub fn is_gpu(&self) -> bool {
        matches!(self.0, Inner::Gpu(_))
    }

    /// True for the CPU device.
    ///
    /// ```
    /// use tensorgears::Device;
    /// assert!(Device::cpu().is_cpu());
    /// assert_eq!(Device::auto().is_cpu(), !Device::auto().is_gpu());
    /// ```
    pub fn is_cpu(&self) -> bool {
        matches!(self.0, Inner::Cpu)
    }

    /// The adapter's name, backend, type and driver for a GPU ("llvmpipe (LLVM 15.0.6, 256
    /// bits) (Vulkan, Cpu, Mesa 22.3.6 (LLVM 15.0.6))"), `"cpu"` for the CPU.
    ///
    /// ```
    /// use tensorgears::Device;
    /// assert_eq!(Device::cpu().name(), "cpu");
    /// assert_eq!(Device::cpu().name(), Device::cpu().to_string());
    /// ```
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// Waits until all work submitted to the device has finished (a no-op on the CPU). Use it
    /// before reading a clock when timing GPU work.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// let dev = Device::cpu();
    /// let start = std::time::Instant::now();
    /// let y = Tensor::ones(&[64, 64], &dev)?.matmul(&Tensor::ones(&[64, 64], &dev)?)?;
    /// dev.synchronize()?; // on a GPU the product may still be running until this returns
    /// let _elapsed = start.elapsed();
    /// assert_eq!(y.to_vec()?[0], 64.0);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn synchronize(&self) -> Result<()> {
        match &self.0 {
            Inner::Cpu => Ok(()),
            Inner::Gpu(ctx) => ctx.runtime.synchronize(),
        }
    }

    /// `synchronize` without blocking: the way in a browser, where `synchronize` returns an
    /// error because the page's thread may not block.
    pub async fn synchronize_async(&self) -> Result<()> {
        match &self.0 {
            Inner::Cpu => Ok(()),
            Inner::Gpu(ctx) => ctx.runtime.synchronize_async().await,
        }
    }

    /// The matrix-product kernel a product runs on this device before its shape class is
    /// tuned: `"cpu-gemm"` on the CPU (the `gemm` crate, on every core); on a GPU `"gemm128"` for GPU hardware, and on a
    /// CPU-emulated adapter the fastest of `"register"`, `"tiled"`, `"subgroup"` and
    /// `"texture"` at 256³, timed on first use (see docs/ARCHITECTURE.md). Products whose class
    /// is worth it are then measured on every kernel that can take them, in the background, and
    /// the choice kept per adapter in the user's cache directory (`TENSORGEARS_CACHE_DIR`
    /// moves it, set empty to turn it off). `TENSORGEARS_MATMUL=<kernel>` forces one kernel.
    /// Waits for every measurement in progress, so that work timed afterwards runs alone.
    ///
    /// ```
    /// use tensorgears::Device;
    /// assert_eq!(Device::cpu().matmul_kernel()?, "cpu-gemm");
    /// if let Ok(gpu) = Device::gpu() {
    ///     let kernels = ["register", "tiled", "subgroup", "texture", "gemm128", "gemm64"];
    ///     assert!(kernels.contains(&gpu.matmul_kernel()?));
    /// }
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn matmul_kernel(&self) -> Result<&'static str> {
        match &self.0 {
            Inner::Cpu => Ok("cpu-gemm"),
            Inner::Gpu(ctx) => Ok(gpu::matmul::default_kernel(ctx)?.name()),
        }
    }

    /// The kernel that runs a contiguous (m x k) · (k x n) product on this device now (its
    /// shape class's tuned choice, once measured): `"cpu-gemm"` on the CPU.
    ///
    /// ```
    /// use tensorgears::Device;
    /// assert_eq!(Device::cpu().matmul_kernel_for(128, 784, 512)?, "cpu-gemm");
    /// if let Ok(gpu) = Device::gpu() {
    ///     assert!(!gpu.matmul_kernel_for(128, 512, 10)?.is_empty());
    /// }
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn matmul_kernel_for(&self, m: usize, k: usize, n: usize) -> Result<&'static str> {
        match &self.0 {
            Inner::Cpu => Ok("cpu-gemm"),
            Inner::Gpu(ctx) => Ok(gpu::matmul::kernel_for_shape(ctx, (m, k, n))?.name()),
        }
    }

    /// The GPU adapter's name, backend, driver and the limits the kernels meet (`None` on the
    /// CPU).
    ///
    /// ```
    /// use tensorgears::Device;
    /// assert!(Device::cpu().gpu_info().is_none());
    /// if let Ok(gpu) = Device::gpu() {
    ///     let info = gpu.gpu_info().unwrap();
    ///     assert!(info.max_invocations >= 64 && !info.name.is_empty());
    /// }
    /// ```
    pub fn gpu_info(&self) -> Option<GpuInfo> {
        self.gpu_context().map(|c| c.runtime.adapter.report())
    }

    /// What this GPU device has done since it was opened (`None` on the CPU): kernel
    /// dispatches, queue submits, readbacks, storage buffers and textures created (pools reuse
    /// freed ones), pipelines compiled and bind groups created; and the bytes in use and idle in
    /// the pools now. Counters are process-wide for the shared device; compare two readings to
    /// see what a piece of code costs.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// assert_eq!(Device::cpu().gpu_counters(), None);
    /// if let Ok(gpu) = Device::gpu() {
    ///     let before = gpu.gpu_counters().unwrap();
    ///     Tensor::ones(&[4], &gpu)?.add_scalar(1.0)?.to_vec()?;
    ///     let spent = gpu.gpu_counters().unwrap().since(&before);
    ///     assert!(spent.dispatches >= 1 && spent.readbacks >= 1);
    /// }
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn gpu_counters(&self) -> Option<GpuCounters> {
        self.gpu_context().map(|c| c.runtime.counters())
    }

    /// Hands back to the driver every buffer and texture the GPU's pools hold idle (a no-op on
    /// the CPU). Pooled memory is what freed tensors leave for the next ones of similar size;
    /// the pools keep at most [`pool_limit`](Device::pool_limit) bytes idle in any case, so
    /// this is for a program that is done with a large working set.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// if let Ok(gpu) = Device::gpu() {
    ///     drop(Tensor::zeros(&[1 << 16], &gpu)?); // its buffer goes back to the pool
    ///     gpu.trim();
    ///     assert_eq!(gpu.gpu_counters().unwrap().pooled_bytes, 0);
    /// }
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn trim(&self) {
        if let Inner::Gpu(ctx) = &self.0 {
            ctx.runtime.trim();
        }
    }

    /// The most bytes the GPU's pools keep idle (0 on the CPU, which pools nothing): by
    /// default twice the adapter's largest storage binding, between 64 MiB and 1 GiB, or
    /// `TENSORGEARS_POOL_LIMIT` (bytes).
    ///
    /// ```
    /// # use tensorgears::Device;
    /// assert_eq!(Device::cpu().pool_limit(), 0);
    /// if let Ok(gpu) = Device::gpu() {
    ///     assert!(gpu.pool_limit() > 0);
    /// }
    /// ```
    pub fn pool_limit(&self) -> u64 {
        match &self.0 {
            Inner::Cpu => 0,
            Inner::Gpu(ctx) => ctx.runtime.pool_limit(),
        }
    }

    /// Keeps at most `bytes` idle in the GPU's pools from now on, freeing what is over it now
    /// (a no-op on the CPU). Every `Device::gpu()` shares one device and so one limit.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// if let Ok(gpu) = Device::gpu() {
    ///     let before = gpu.pool_limit();
    ///     gpu.set_pool_limit(1 << 20);
    ///     drop(Tensor::zeros(&[1 << 20], &gpu)?); // 4 MiB: over the limit, freed at once
    ///     assert!(gpu.gpu_counters().unwrap().pooled_bytes <= 1 << 20);
    ///     gpu.set_pool_limit(before);
    /// }
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn set_pool_limit(&self, bytes: u64) {
        if let Inner::Gpu(ctx) = &self.0 {
            ctx.runtime.set_pool_limit(bytes);
        }
    }

    /// Starts timing every kernel this device runs, with the adapter's timestamp queries;
    /// [`take_kernel_times`](Device::take_kernel_times) reports the totals. Each submit then
    /// waits for the device to read the timestamps back, so a profiled run is slower than a
    /// plain one; the kernel times themselves are the device's own. An error on the CPU and
    /// on adapters without timestamp queries.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// assert!(Device::cpu().profile_kernels().is_err());
    /// if let Ok(gpu) = Device::gpu() {
    ///     if gpu.profile_kernels().is_ok() {
    ///         let x = Tensor::ones(&[256, 256], &gpu)?;
    ///         x.matmul(&x)?.relu()?.to_vec()?;
    ///         let times = gpu.take_kernel_times()?;
    ///         assert!(times.iter().any(|t| t.kernel == "unary" && t.dispatches == 1));
    ///     }
    /// }
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn profile_kernels(&self) -> Result<()> {
        match &self.0 {
            Inner::Cpu => Err(Error::Unsupported {
                op: "profile_kernels",
                reason: "the CPU device runs no kernels to time".into(),
            }),
            Inner::Gpu(ctx) => ctx.runtime.profile_kernels(),
        }
    }

    /// The time each kernel took on the device since [`profile_kernels`](Device::profile_kernels)
    /// or the previous call, longest first; waits for recorded work to finish first.
    pub fn take_kernel_times(&self) -> Result<Vec<KernelTime>> {
        match &self.0 {
            Inner::Cpu => Err(Error::Unsupported {
                op: "take_kernel_times",
                reason: "the CPU device runs no kernels to time".into(),
            }),
            Inner::Gpu(ctx) => ctx.runtime.take_kernel_times(),
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
            // The driver version matters as much as the adapter on CPU-emulated devices:
            // lavapipe's speed differs severalfold between Mesa releases.
            Inner::Gpu(ctx) => {
                let info = &ctx.runtime.adapter.info;
                write!(
                    f,
                    "{} ({:?}, {:?}",
                    info.name, info.backend, info.device_type
                )?;
                if !info.driver_info.is_empty() {
                    write!(f, ", {}", info.driver_info)?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Device({self})")
    }
}
