//! Choosing the adapter and opening the device on it.

use std::sync::{Arc, Mutex};

use super::sync::lock;
use crate::{Error, Result};

/// What the adapter says of itself, read once when the device opens.
#[derive(Debug, Clone)]
pub(crate) struct AdapterFacts {
    pub(crate) info: wgpu::AdapterInfo,
    /// The adapter's own limits, which the device is opened with.
    pub(crate) limits: wgpu::Limits,
    /// The features the device was opened with (those of `WANTED_FEATURES` the adapter has).
    pub(crate) features: wgpu::Features,
    /// Whether kernels may read rgba32float textures bound as read-only storage textures.
    pub(crate) storage_texture_reads: bool,
}

/// What the GPU adapter is and allows, from [`Device::gpu_info`](crate::Device::gpu_info).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuInfo {
    /// The adapter's name.
    pub name: String,
    /// Vulkan, Metal, DX12, ...
    pub backend: String,
    /// DiscreteGpu, IntegratedGpu, Cpu (emulated), ...
    pub device_type: String,
    /// The driver and its version.
    pub driver: String,
    /// Lanes in a subgroup, least and most, where the device has subgroup operations.
    pub subgroup_sizes: Option<(u32, u32)>,
    /// Whether kernels can be timed with timestamp queries.
    pub timestamps: bool,
    /// The largest storage buffer binding, in bytes.
    pub max_storage_binding: u64,
    /// Workgroup memory a kernel may use, in bytes.
    pub max_workgroup_memory: u32,
    /// Invocations in one workgroup.
    pub max_invocations: u32,
    /// Workgroups along one dimension of a dispatch.
    pub max_workgroups_per_dimension: u32,
}

impl AdapterFacts {
    pub(crate) fn report(&self) -> GpuInfo {
        let info = &self.info;
        let limits = &self.limits;
        GpuInfo {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: format!("{} {}", info.driver, info.driver_info)
                .trim()
                .to_string(),
            subgroup_sizes: self
                .features
                .contains(wgpu::Features::SUBGROUP)
                .then_some((info.subgroup_min_size, info.subgroup_max_size)),
            timestamps: self.features.contains(wgpu::Features::TIMESTAMP_QUERY),
            max_storage_binding: limits
                .max_storage_buffer_binding_size
                .min(limits.max_buffer_size),
            max_workgroup_memory: limits.max_compute_workgroup_storage_size,
            max_invocations: limits.max_compute_invocations_per_workgroup,
            max_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        }
    }
}

/// Each only where the adapter has it: subgroup operations for the kernels that use them, and
/// timestamp queries for kernel profiling.
const WANTED_FEATURES: wgpu::Features =
    wgpu::Features::SUBGROUP.union(wgpu::Features::TIMESTAMP_QUERY);

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

/// Opens the device on the chosen adapter with the adapter's own limits (a real GPU binds far
/// more than WebGPU's default 128 MiB).
pub(crate) async fn open() -> Result<(wgpu::Device, wgpu::Queue, AdapterFacts)> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = choose_adapter(&instance).await?;
    let info = adapter.get_info();
    let limits = adapter.limits();
    let features = adapter.features() & WANTED_FEATURES;
    let storage_texture_reads = adapter
        .get_texture_format_features(wgpu::TextureFormat::Rgba32Float)
        .flags
        .contains(wgpu::TextureFormatFeatureFlags::STORAGE_READ_ONLY);
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("tensorgears"),
            required_limits: limits.clone(),
            required_features: features,
            ..Default::default()
        })
        .await
        .map_err(|e| Error::DeviceRequest {
            adapter: info.name.clone(),
            reason: e.to_string(),
        })?;
    let facts = AdapterFacts {
        info,
        limits,
        features,
        storage_texture_reads,
    };
    Ok((device, queue, facts))
}

/// Device errors outside an error scope, kept to be reported at the next sync point: wgpu's
/// default handler panics.
#[derive(Clone, Default)]
pub(crate) struct ErrorSink(Arc<Mutex<Vec<String>>>);

impl ErrorSink {
    pub(crate) fn install(device: &wgpu::Device) -> ErrorSink {
        let sink = ErrorSink::default();
        let errors = sink.0.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut v) = errors.lock() {
                v.push(e.to_string());
            }
        }));
        sink
    }

    pub(crate) fn push(&self, message: String) {
        lock(&self.0).push(message);
    }

    /// The errors since the last call, as one `Error::Gpu`.
    pub(crate) fn take(&self) -> Result<()> {
        let mut errors = lock(&self.0);
        if errors.is_empty() {
            return Ok(());
        }
        let msg = errors.join("; ");
        errors.clear();
        Err(Error::Gpu(msg))
    }
}
