//! The convnet's kernels at its own shapes (batch 64, 3x3 filters, 2x2 pooling), on both
//! devices. conv2d: the forward (patches, product, bias and relu), then forward and backward
//! together (the filters' gradient, and the images' from the second layer on, as in training),
//! counted in FLOPs of their products (criterion's "elem/s" are FLOP/s). Max-pooling: forward,
//! then forward and backward, in bytes of the images and indices read and written.
//!
//! `cargo bench --bench conv`. Each GPU iteration ends with `synchronize`.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tensorgears::{Padding, Tensor, Var};

mod common;

const BATCH: usize = 64;

/// (input side, in channels, out channels) of the three convolutions.
const CONVS: [(usize, usize, usize); 3] = [(28, 1, 32), (13, 32, 64), (5, 64, 128)];

fn conv(c: &mut Criterion) {
    let mut group = common::group(c, "conv2d");
    for (name, dev) in common::devices() {
        for (side, cin, cout) in CONVS {
            let out = side - 2;
            let flops = 2 * BATCH * out * out * 9 * cin * cout;
            let x = Tensor::rand_uniform(&[BATCH, side, side, cin], 0., 1., 1, &dev).expect("x");
            let f =
                Var::new(Tensor::rand_uniform(&[3, 3, cin, cout], -0.1, 0.1, 2, &dev).expect("f"));
            let b = Var::new(Tensor::zeros(&[cout], &dev).expect("b"));
            let id = format!("{side}x{side}x{cin}-{cout}");
            let forward = || {
                let y = x.detach().conv2d_bias_relu(
                    f.as_tensor(),
                    b.as_tensor(),
                    [1, 1],
                    Padding::Valid,
                );
                y.expect("conv2d")
            };
            let mut run = || {
                let _ = forward().detach();
                dev.synchronize().expect("sync");
            };
            run();
            dev.matmul_kernel().expect("tuning settled");
            group.throughput(Throughput::Elements(flops as u64));
            group.bench_function(BenchmarkId::new(format!("{name}-forward"), &id), |bch| {
                bch.iter(&mut run)
            });
            // The first layer's images are data: no gradient for them, as in training.
            let xv = Var::new(x.clone());
            let images = if cin > 1 {
                xv.as_tensor().clone()
            } else {
                x.clone()
            };
            let mut both = || {
                let y = images
                    .conv2d_bias_relu(f.as_tensor(), b.as_tensor(), [1, 1], Padding::Valid)
                    .expect("conv2d");
                let _ = y.backward().expect("backward");
                dev.synchronize().expect("sync");
            };
            both();
            dev.matmul_kernel().expect("tuning settled");
            let products = if cin > 1 { 3 } else { 2 };
            group.throughput(Throughput::Elements((products * flops) as u64));
            group.bench_function(
                BenchmarkId::new(format!("{name}-forward+backward"), &id),
                |bch| bch.iter(&mut both),
            );
        }
    }
    group.finish();
}

fn pool(c: &mut Criterion) {
    let mut group = common::group(c, "max_pool2d");
    for (name, dev) in common::devices() {
        for (side, ch) in [(26, 32), (11, 64)] {
            let out = side / 2;
            let bytes = 4 * BATCH * ch * (side * side + 2 * out * out);
            let x = Var::new(
                Tensor::rand_uniform(&[BATCH, side, side, ch], 0., 1., 3, &dev).expect("x"),
            );
            let id = format!("{side}x{side}x{ch}");
            let mut forward = || {
                let _ = x
                    .as_tensor()
                    .detach()
                    .max_pool2d([2, 2], [2, 2], Padding::Valid)
                    .expect("pool");
                dev.synchronize().expect("sync");
            };
            forward();
            group.throughput(Throughput::Bytes(bytes as u64));
            group.bench_function(BenchmarkId::new(format!("{name}-forward"), &id), |bch| {
                bch.iter(&mut forward)
            });
            let mut both = || {
                let y = x
                    .as_tensor()
                    .max_pool2d([2, 2], [2, 2], Padding::Valid)
                    .expect("pool");
                let _ = y.backward().expect("backward");
                dev.synchronize().expect("sync");
            };
            both();
            group.throughput(Throughput::Bytes((2 * bytes) as u64));
            group.bench_function(
                BenchmarkId::new(format!("{name}-forward+backward"), &id),
                |bch| bch.iter(&mut both),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, conv, pool);
criterion_main!(benches);
