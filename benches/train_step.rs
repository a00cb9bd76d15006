//! One training step of the chapter's network, Dense(784→512, relu) → Dense(512→10), at
//! batch 128: forward, fused loss, backward and RMSprop, in samples per second.
//!
//! `cargo bench --bench train_step`. Each GPU iteration ends with `synchronize`; nothing is
//! read back, as in `Sequential::train_epoch` between progress updates.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tensorgears::nn::{Activation, Dense, Sequential};
use tensorgears::optim::{Optimizer, RmsProp};
use tensorgears::{loss, Tensor};

mod common;

const BATCH: usize = 128;

fn bench(c: &mut Criterion) {
    let mut group = common::group(c, "train_step");
    for (name, dev) in common::devices() {
        let model = Sequential::new(vec![
            Dense::new(784, 512, Activation::Relu, 0, &dev).expect("dense"),
            Dense::new(512, 10, Activation::None, 1, &dev).expect("dense"),
        ]);
        let x = Tensor::rand_uniform(&[BATCH, 784], 0., 1., 2, &dev).expect("x");
        let y: Vec<u32> = (0..BATCH).map(|i| (i % 10) as u32).collect();
        let y = Tensor::from_vec_u32(y, &[BATCH], &dev).expect("y");
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
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function(
            BenchmarkId::new(name.as_str(), "mnist-mlp-batch128"),
            |bch| bch.iter(&mut step),
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
