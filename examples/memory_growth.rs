//! How the process's memory grows over 400 tensors of distinct sizes on the GPU (10k to 410k
//! elements, one alive at a time, each through `add_scalar` and `sum`): the pattern of a
//! program whose shapes keep changing. Prints the resident set size before, after, and after
//! `Device::trim`, with the pool's live and idle bytes.
//!
//! cargo run --release --example memory_growth
use tensorgears::{Device, Tensor};

/// The resident set size of this process in MiB, from /proc (Linux only).
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn main() -> tensorgears::Result<()> {
    let gpu = Device::gpu()?;
    println!("device: {gpu}, pool limit {} MiB", gpu.pool_limit() >> 20);
    // Warm-up: compiles the kernels and opens the staging buffer.
    Tensor::ones(&[10], &gpu)?
        .add_scalar(1.0)?
        .sum()?
        .to_scalar()?;
    let start = rss_mib();
    let mut peak_pooled = 0;
    for i in 0..400usize {
        let n = 10_000 + i * 1_000;
        let x = Tensor::full(&[n], 0.5, &gpu)?;
        let s = x.add_scalar(1.0)?.sum()?.to_scalar()?;
        assert!((s - 1.5 * n as f32).abs() <= 1e-3 * n as f32, "{n}: {s}");
        if let Some(c) = gpu.gpu_counters() {
            peak_pooled = peak_pooled.max(c.pooled_bytes);
        }
    }
    let end = rss_mib();
    let c = gpu.gpu_counters().expect("a GPU has counters");
    gpu.trim();
    let trimmed = rss_mib();
    let mib = |v: Option<f64>| v.map_or("?".to_string(), |v| format!("{v:.0} MiB"));
    println!(
        "resident: {} before, {} after 400 sizes, {} after trim",
        mib(start),
        mib(end),
        mib(trimmed)
    );
    if let (Some(a), Some(b)) = (start, end) {
        println!("growth: {:.0} MiB", b - a);
    }
    println!(
        "pool: {} MiB live, {} MiB idle at the end, {} MiB idle at most; {} buffers created",
        c.live_bytes >> 20,
        c.pooled_bytes >> 20,
        peak_pooled >> 20,
        c.buffers_created
    );
    Ok(())
}
