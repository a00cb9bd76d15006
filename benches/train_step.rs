//! One training step of each of the book's MNIST models, forward, fused loss, backward and
//! RMSprop, in samples per second: the chapter's network, Dense(784→512, relu) →
//! Dense(512→10), at batch 128, and the convnet at batch 64.
//!
//! `cargo bench --bench train_step`. Each GPU iteration ends with `synchronize`; nothing is
//! read back, as in `Sequential::train_epoch` between progress updates.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tensorgears::nn::models;
use tensorgears::optim::{Optimizer, RmsProp};
use tensorgears::{loss, Tensor};

mod common;

fn bench(c: &mut Criterion) {
    let mut group = common::group(c, "train_step");
    for (name, dev) in common::devices() {
        let cases = [
            (
                "mnist-mlp-batch128",
                128,
                models::mnist_mlp(0, &dev).expect("model"),
            ),
            (
                "mnist-convnet-batch64",
                64,
                models::mnist_convnet(0, &dev).expect("model"),
            ),
        ];
        for (id, batch, model) in cases {
            let x = Tensor::rand_uniform(&[batch, 784], 0., 1., 2, &dev).expect("x");
            let y: Vec<u32> = (0..batch).map(|i| (i % 10) as u32).collect();
            let y = Tensor::from_vec_u32(y, &[batch], &dev).expect("y");
            let mut opt = RmsProp::new(1e-3);
            let weights = model.weights();
            let mut step = || {
                let logits = model.logits(&x).expect("forward");
                let l = loss::sparse_softmax_cross_entropy_unchecked(&logits, &y).expect("loss");
                opt.step(&weights, &l.backward().expect("backward"))
                    .expect("rmsprop");
                dev.synchronize().expect("sync");
            };
            step();
            // The step's shape classes are measured in the background; not while timed.
            dev.matmul_kernel().expect("tuning settled");
            step();
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_function(BenchmarkId::new(name.as_str(), id), |bch| {
                bch.iter(&mut step)
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
