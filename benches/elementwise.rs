//! Element-wise throughput with broadcasting, in bytes moved per second: `relu(x + b)` with
//! `b` broadcast over the rows (two kernels: the add reads `x` and `b` and writes a
//! temporary, the relu reads it and writes the result), next to two bandwidth yardsticks on the
//! same device: `plain-copy`, `x * 1.0` on a contiguous `x` (one load and one store per element,
//! no index arithmetic: the nearest the library has to a plain buffer-copy kernel), and
//! `strided-copy`, `contiguous()` of a column-sliced view (the copy kernel, whose source walk
//! divides the index by the shape).
//!
//! `cargo bench --bench elementwise`. Each GPU iteration ends with `synchronize`.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tensorgears::{s, Tensor};

mod common;

fn bench(c: &mut Criterion) {
    let mut group = common::group(c, "elementwise");
    for (name, dev) in common::devices() {
        for &(rows, cols) in &[(128usize, 512usize), (4096, 4096)] {
            let shape = format!("{rows}x{cols}+{cols}");
            let x = Tensor::rand_uniform(&[rows, cols], -1., 1., 1, &dev).expect("x");
            let b = Tensor::rand_uniform(&[cols], -1., 1., 2, &dev).expect("b");
            x.add(&b).and_then(|t| t.relu()).expect("warm-up");
            dev.synchronize().expect("sync");
            let n = (rows * cols * 4) as u64;
            group.throughput(Throughput::Bytes(4 * n + cols as u64 * 4));
            group.bench_function(
                BenchmarkId::new(format!("{name}/add+relu"), &shape),
                |bch| {
                    bch.iter(|| {
                        let y = x.add(&b).and_then(|t| t.relu()).expect("add+relu");
                        dev.synchronize().expect("sync");
                        y
                    })
                },
            );
            group.throughput(Throughput::Bytes(2 * n));
            group.bench_function(
                BenchmarkId::new(format!("{name}/plain-copy"), format!("{rows}x{cols}")),
                |bch| {
                    bch.iter(|| {
                        let y = x.mul_scalar(1.0).expect("x * 1");
                        dev.synchronize().expect("sync");
                        y
                    })
                },
            );
            // Dropping the last column makes the view non-contiguous, so `contiguous` runs
            // the copy kernel rather than sharing the buffer.
            let view = x.slice(s![.., ..cols as isize - 1]).expect("view");
            view.contiguous().expect("warm-up");
            dev.synchronize().expect("sync");
            group.throughput(Throughput::Bytes(2 * (rows * (cols - 1) * 4) as u64));
            group.bench_function(
                BenchmarkId::new(format!("{name}/strided-copy"), format!("{rows}x{cols}")),
                |bch| {
                    bch.iter(|| {
                        let y = view.contiguous().expect("copy");
                        dev.synchronize().expect("sync");
                        y
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
