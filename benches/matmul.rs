//! Matrix-product throughput on each device, in FLOP/s (criterion's "elements" are 2·m·n·k).
//!
//! `cargo bench --bench matmul` measures the CPU and the GPU with the kernels tuned for the
//! adapter; `TENSORGEARS_MATMUL=<kernel> cargo bench --bench matmul` forces one GPU kernel
//! (gemm128, gemm64, tiled, register, subgroup, texture). Each GPU iteration ends with `synchronize`, so the time covers the kernel, not
//! just its recording. `BENCH_SIZES=mnist` limits the run to the MNIST shapes;
//! `BENCH_SIZES=full` adds 2048^3 (minutes on a CPU-emulated adapter).
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tensorgears::Tensor;

mod common;

/// The devices, the GPU named with the kernel chosen for it (`gpu-subgroup`, ...).
fn devices() -> Vec<(String, tensorgears::Device)> {
    common::devices()
        .into_iter()
        .map(|(name, dev)| {
            if dev.is_gpu() {
                let kernel = dev.matmul_kernel().expect("matmul kernel");
                (format!("{name}-{kernel}"), dev)
            } else {
                (name, dev)
            }
        })
        .collect()
}

/// (name, m, k, n, transpose the left operand's storage)
fn shapes() -> Vec<(&'static str, usize, usize, usize, bool)> {
    let mut s = vec![
        ("128x784.784x512", 128, 784, 512, false),
        ("128x512.512x10", 128, 512, 10, false),
        ("784x128.128x512(lhs^T)", 784, 128, 512, true),
        ("128x10.10x512", 128, 10, 512, false),
    ];
    if std::env::var("BENCH_SIZES").as_deref() != Ok("mnist") {
        s.extend([
            ("256^3", 256, 256, 256, false),
            ("512^3", 512, 512, 512, false),
            ("1024^3", 1024, 1024, 1024, false),
        ]);
    }
    if common::full() {
        s.push(("2048^3", 2048, 2048, 2048, false));
    }
    s
}

fn bench(c: &mut Criterion) {
    let mut group = common::group(c, "matmul");
    for (name, dev) in devices() {
        for &(shape, m, k, n, lhs_t) in &shapes() {
            let a = if lhs_t {
                Tensor::rand_uniform(&[k, m], -1., 1., 1, &dev).and_then(|t| t.t())
            } else {
                Tensor::rand_uniform(&[m, k], -1., 1., 1, &dev)
            }
            .expect("lhs");
            let b = Tensor::rand_uniform(&[k, n], -1., 1., 2, &dev).expect("rhs");
            // Warm-up outside the timing: the first call compiles the pipeline and queues the
            // shape's class for measurement, which matmul_kernel waits for.
            a.matmul(&b).expect("matmul");
            dev.synchronize().expect("sync");
            dev.matmul_kernel().expect("tuning settled");
            group.throughput(Throughput::Elements((2 * m * n * k) as u64));
            group.bench_function(BenchmarkId::new(name.as_str(), shape), |bch| {
                bch.iter(|| {
                    let c = a.matmul(&b).expect("matmul");
                    dev.synchronize().expect("sync");
                    c
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
