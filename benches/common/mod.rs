//! What every bench shares: the devices to measure and criterion's settings.
#![allow(dead_code)] // each bench uses some of these

use criterion::{BenchmarkGroup, Criterion};
use std::time::Duration;
use tensorgears::Device;

/// The CPU, then the GPU adapter wgpu finds (a CPU-emulated one included: its figures are
/// labelled with the adapter name in BENCHMARKS.md), each with the name used in bench ids.
pub fn devices() -> Vec<(String, Device)> {
    let mut out = vec![("cpu".to_string(), Device::cpu())];
    match Device::gpu() {
        Ok(gpu) => {
            // Settles the matmul kernel choice, which may still be running in the background,
            // so that no timed iteration uses the interim kernel.
            let kernel = gpu.matmul_kernel().expect("matmul kernel");
            eprintln!("GPU: {gpu}, matmul kernel: {kernel}");
            out.push(("gpu".to_string(), gpu));
        }
        Err(e) => eprintln!("no GPU, benchmarking the CPU only: {e}"),
    }
    out
}

/// Ten samples of a few seconds: enough for a stable median on a shared machine, short
/// enough that the whole suite runs in minutes on a CPU-emulated GPU.
pub fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g
}

/// Whether the larger shapes are wanted (`BENCH_SIZES=full`), which take minutes each on a
/// CPU-emulated adapter.
pub fn full() -> bool {
    std::env::var("BENCH_SIZES").as_deref() == Ok("full")
}
