//! The fused sparse softmax-cross-entropy, forward and backward, in rows per second.
//!
//! `cargo bench --bench loss`. The unchecked variant is measured: the checked one reads the
//! labels back to validate them, which is a readback, not the kernel. Each GPU iteration ends
//! with `synchronize`.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tensorgears::{loss, Tensor, Var};

mod common;

fn bench(c: &mut Criterion) {
    let mut group = common::group(c, "softmax_cross_entropy");
    for (name, dev) in common::devices() {
        for &(rows, classes) in &[(128usize, 10usize), (4096, 1000)] {
            let logits =
                Var::new(Tensor::rand_uniform(&[rows, classes], -3., 3., 1, &dev).expect("logits"));
            let labels: Vec<u32> = (0..rows).map(|i| ((i * 7919) % classes) as u32).collect();
            let labels = Tensor::from_vec_u32(labels, &[rows], &dev).expect("labels");
            let step = || {
                let l = loss::sparse_softmax_cross_entropy_unchecked(logits.as_tensor(), &labels)
                    .expect("loss");
                let g = l.backward().expect("backward");
                dev.synchronize().expect("sync");
                (l, g)
            };
            step();
            group.throughput(Throughput::Elements(rows as u64));
            group.bench_function(
                BenchmarkId::new(
                    format!("{name}/forward+backward"),
                    format!("{rows}x{classes}"),
                ),
                |bch| bch.iter(step),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
