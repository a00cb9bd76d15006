//! What the launchers may assume about the adapter, decided once when the device opens: its
//! limits and features, and every rule that depends on the kind of adapter, each with the
//! reason it holds. Launchers and the matmul selection ask the profile; none of them infers a
//! property of the hardware from anything else.

use super::runtime::AdapterFacts;

/// The adapter as the kernels see it.
#[derive(Debug, Clone)]
pub(crate) struct AdapterProfile {
    /// An adapter that runs on the CPU (lavapipe, SwiftShader, WARP: wgpu's `DeviceType::Cpu`).
    pub(crate) emulated: bool,
    /// Workgroups per dispatch dimension.
    pub(crate) max_workgroups: u32,
    /// Texels along a texture's side.
    pub(crate) max_texture_side: usize,
    /// Kernels may read rgba32float textures as read-only storage textures.
    pub(crate) storage_texture_reads: bool,
    /// The kernels written for lavapipe's 8-lane subgroups, which share values by broadcast
    /// instead of workgroup memory (matmul_subgroup, matmul_texture), are candidates here: a
    /// CPU-emulated adapter whose subgroups are exactly 8 lanes. On lavapipe on 256-bit SIMD
    /// every storage load is a loop over the lanes and a broadcast one register move
    /// (BENCHMARKS.md); on a real GPU those kernels would only waste its hardware.
    pub(crate) eight_lane_kernels: bool,
    /// A load from a storage texture costs far less than one from a storage buffer, so
    /// load-bound kernels (the optimizer's update) read their operands through textures
    /// filled by copies. True on CPU-emulated adapters with storage-texture reads: on lavapipe
    /// (Mesa 22.3.6) a buffer load compiles to a loop over the SIMD lanes and a storage-texture
    /// load to a few instructions per lane; a 784x512 RMSprop update took 5.5 ms from buffers
    /// against 1.3-1.5 ms plus 0.3 ms of copies through textures. On a real GPU both are cache
    /// loads and the copies would only add traffic.
    pub(crate) texture_reads_pay: bool,
    /// Where `texture_reads_pay`, the optimizer reads parameters of at least this many elements
    /// through textures: below it the copies' fixed cost is a larger share and the gain too
    /// small to matter (the MNIST biases stay on buffers, the 784x512 weights go).
    pub(crate) optimizer_texture_min_elements: usize,
    /// The texture matmul kernel takes a product whose operand must go through a pack kernel
    /// (rather than a buffer copy) only from `m n / (m + n)` of this on: on lavapipe a pack
    /// dispatch costs about 0.1 ms however small the matrix, and 32x10x32 and 20x30x40 with A
    /// packed ran 0.1 ms slower than on the subgroup kernel (BENCHMARKS.md).
    pub(crate) texture_pack_pays_from: usize,
    /// The narrow matmul kernel takes products of at most this many columns: its lanes keep 16
    /// columns of four rows (shaders/matmul_narrow.wgsl), where the 64- and 32-column block
    /// kernels would compute mostly columns that do not exist (the 10-class layer).
    pub(crate) narrow_max_columns: usize,
    /// Bytes of the narrow kernel's uniform block of B (`bn` in shaders/matmul_narrow.wgsl):
    /// 64 KiB, the most a uniform binding may hold on every WebGPU adapter.
    pub(crate) narrow_block_bytes: u64,
    /// Workgroups a product should launch to keep the device busy: where the gemm kernel's
    /// tiles fall short, it splits K (shaders/matmul_gemm.wgsl). wgpu does not report compute
    /// units; 256 is two workgroups per unit on the largest cards (an H100 has 132). 0 on
    /// CPU-emulated adapters, whose few cores any product fills.
    pub(crate) fill_workgroups: usize,
    /// Row-wise kernels (softmax, the fused loss, the accuracy count, reductions along a
    /// contiguous axis) run a workgroup per row, its invocations reading neighbouring elements
    /// and folding as trees: on GPU hardware an invocation per row leaves the device idle for
    /// few rows and reads rows of neighbours far apart. Not on a CPU-emulated adapter, where a
    /// workgroup's barriers cost more than its lanes save (a bias gradient, 512 rows of 128,
    /// took 15 ms that way on lavapipe against well under 1 ms an invocation per row).
    pub(crate) parallel_rows: bool,
    /// The products (in multiply-adds) whose shape class the tuner measures: from 2^18 (below,
    /// a kernel's launch costs more than the choice saves); on a CPU-emulated adapter at most
    /// 2^28 (about 10 ms a run on lavapipe: larger ones would hold the device for seconds while
    /// a dozen runs are timed), on GPU hardware any.
    pub(crate) tune_flops: (u64, u64),
    /// Kernel choices may be measured (the matmul tuner). Not in a browser, whose page can
    /// neither block while kernels are timed nor start the thread that times them: there the
    /// defaults serve, gemm on GPU hardware and on a CPU-emulated adapter the register kernel,
    /// which every adapter runs.
    pub(crate) measures: bool,
    /// Bytes of workgroup memory a kernel may use: the gemm kernel needs 8 KiB.
    pub(crate) workgroup_memory: u32,
    /// Invocations per workgroup: the 128x128 gemm tile needs 256.
    pub(crate) max_invocations: u32,
}

impl AdapterProfile {
    pub(crate) fn new(facts: &AdapterFacts) -> AdapterProfile {
        let subgroups = facts
            .features
            .contains(wgpu::Features::SUBGROUP)
            .then_some((facts.info.subgroup_min_size, facts.info.subgroup_max_size));
        let emulated = facts.info.device_type == wgpu::DeviceType::Cpu;
        AdapterProfile {
            emulated,
            max_workgroups: facts.limits.max_compute_workgroups_per_dimension,
            max_texture_side: facts.limits.max_texture_dimension_2d as usize,
            storage_texture_reads: facts.storage_texture_reads,
            eight_lane_kernels: emulated && subgroups == Some((8, 8)),
            texture_reads_pay: emulated && facts.storage_texture_reads,
            optimizer_texture_min_elements: 1 << 16,
            texture_pack_pays_from: 64,
            narrow_max_columns: 16,
            narrow_block_bytes: 64 << 10,
            fill_workgroups: if emulated { 0 } else { 256 },
            tune_flops: (1 << 18, if emulated { 1 << 28 } else { u64::MAX }),
            parallel_rows: !emulated,
            measures: !cfg!(target_arch = "wasm32"),
            workgroup_memory: facts.limits.max_compute_workgroup_storage_size,
            max_invocations: facts.limits.max_compute_invocations_per_workgroup,
        }
    }

    /// lavapipe on a 256-bit SIMD host, as it reports itself: for tests of the policies that
    /// need no device.
    #[cfg(test)]
    pub(crate) fn lavapipe() -> AdapterProfile {
        AdapterProfile::new(&AdapterFacts {
            info: wgpu::AdapterInfo {
                name: "llvmpipe (LLVM 15.0.6, 256 bits)".into(),
                device_type: wgpu::DeviceType::Cpu,
                subgroup_min_size: 8,
                subgroup_max_size: 8,
                ..test_info()
            },
            limits: wgpu::Limits {
                max_texture_dimension_2d: 16384,
                ..wgpu::Limits::default()
            },
            features: wgpu::Features::SUBGROUP | wgpu::Features::TIMESTAMP_QUERY,
            storage_texture_reads: true,
        })
    }

    /// A discrete GPU with 32-lane subgroups (the kind of an NVIDIA card).
    #[cfg(test)]
    pub(crate) fn discrete() -> AdapterProfile {
        AdapterProfile::discrete_with_subgroups(32)
    }

    /// A discrete GPU with subgroups of `lanes` lanes.
    #[cfg(test)]
    pub(crate) fn discrete_with_subgroups(lanes: u32) -> AdapterProfile {
        AdapterProfile::new(&AdapterFacts {
            info: wgpu::AdapterInfo {
                name: "discrete".into(),
                device_type: wgpu::DeviceType::DiscreteGpu,
                subgroup_min_size: lanes,
                subgroup_max_size: lanes,
                ..test_info()
            },
            limits: wgpu::Limits {
                max_texture_dimension_2d: 32768,
                ..wgpu::Limits::default()
            },
            features: wgpu::Features::SUBGROUP | wgpu::Features::TIMESTAMP_QUERY,
            storage_texture_reads: true,
        })
    }
}

#[cfg(test)]
fn test_info() -> wgpu::AdapterInfo {
    wgpu::AdapterInfo::new(wgpu::DeviceType::Other, wgpu::Backend::Vulkan)
}

#[cfg(test)]
mod tests {
    use super::AdapterProfile;

    /// The rules that tell emulated adapters from GPU hardware.
    #[test]
    fn emulator_rules_hold_on_emulators_only() {
        let lavapipe = AdapterProfile::lavapipe();
        assert!(lavapipe.eight_lane_kernels && lavapipe.texture_reads_pay);
        assert_eq!(lavapipe.fill_workgroups, 0);
        assert!(!lavapipe.parallel_rows);
        for lanes in [8, 32] {
            let gpu = AdapterProfile::discrete_with_subgroups(lanes);
            assert!(
                !gpu.eight_lane_kernels && !gpu.texture_reads_pay,
                "{lanes} lanes"
            );
            assert!(gpu.fill_workgroups > 0 && gpu.parallel_rows);
        }
    }
}
