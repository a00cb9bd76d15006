//! One opened GPU: the runtime, the adapter's profile, and the matmul kernel choice.

use super::matmul::tune::Tuner;
use super::profile::AdapterProfile;
use super::runtime::Runtime;
use crate::Result;

/// What every launcher is given: the runtime to dispatch on, the profile its policies ask, and
/// the matmul tuner (the only state a launcher keeps between calls).
pub(crate) struct GpuContext {
    pub(crate) runtime: Runtime,
    pub(crate) profile: AdapterProfile,
    pub(crate) matmul: Tuner,
}

impl GpuContext {
    /// Opens the GPU, waiting for the adapter and the device (natively by blocking; in a
    /// browser, where nothing may block, through `Device::gpu_async`).
    pub(crate) async fn open() -> Result<GpuContext> {
        let runtime = Runtime::open().await?;
        let profile = AdapterProfile::new(&runtime.adapter);
        let matmul = Tuner::new(&profile);
        Ok(GpuContext {
            runtime,
            profile,
            matmul,
        })
    }
}
