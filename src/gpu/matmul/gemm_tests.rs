//! The gemm kernel on what the edge cases in tests.rs do not reach: batches, a broadcast and
//! a transposed operand, vec4 and scalar loads, and split-K, which no device here is large
//! enough to choose.

use super::family::{Family, Operands};
use super::gemm::{GEMM128, GEMM64};
use super::launch::problem;
use crate::gpu::storage::{test_context, GpuStorage};
use crate::layout::Layout;
use crate::ops::{Epilogue, MatmulDims};

/// Batched products with broadcast and transposed operands, in one pass and with K split
/// into slices (forced, as no device here is large enough to split), against an f64
/// reference. Split-K adds each slice's rounded sum, so it agrees with one pass to a few
/// ulp of the sum of |a||b| along K rather than bit for bit.
#[test]
fn batches_transposes_and_split_k() {
    let Some(ctx) = test_context() else {
        return;
    };
    let (batch, m, k, n) = (3, 36, 1000, 20);
    let values = |len: usize, seed: usize| -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 7919 + seed * 104_729) % 2001) as f32 / 1000.0 - 1.0)
            .collect()
    };
    // A: three (m x k) matrices stored transposed; B: one (k x n) broadcast over the batch;
    // the bias a strided view.
    let (a, b, bias) = (values(batch * m * k, 1), values(k * n, 2), values(2 * n, 3));
    let la = Layout::new(vec![batch, m, k], vec![(m * k) as isize, 1, m as isize], 0);
    let lb = Layout::new(vec![batch, k, n], vec![0, n as isize, 1], 0);
    let lbias = Layout::new(vec![n], vec![2], 1);
    let at = |z: usize, i: usize, p: usize| a[z * m * k + p * m + i] as f64;
    let upload = |v: &[f32]| GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(v));
    let (ga, gb, gbias) = (
        upload(&a).unwrap(),
        upload(&b).unwrap(),
        upload(&bias).unwrap(),
    );
    let dims = MatmulDims { batch, m, n, k };
    let bias_arg = Some((Epilogue::BiasRelu, &gbias, &lbias));
    let problem = problem(&ga, &la, &gb, &lb, dims, bias_arg).unwrap();
    for gemm in [GEMM64, GEMM128] {
        let launch = problem.launch(gemm.tile(), false);
        let mut results = vec![];
        for split in [(1, k), (3, 336), (8, 128)] {
            let out = GpuStorage::new(&ctx, "test", batch * m * n).unwrap();
            let ops = Operands {
                a: &ga,
                b: &gb,
                bias: Some(&gbias),
                out: &out,
            };
            gemm.launch_split(&launch, &ops, split).unwrap();
            let got: Vec<f32> =
                bytemuck::pod_collect_to_vec(&out.read_bytes(batch * m * n).unwrap());
            for z in 0..batch {
                for i in 0..m {
                    for j in 0..n {
                        let (dot, mag) = (0..k).fold((0.0, 0.0), |(d, g), p| {
                            let x = at(z, i, p) * b[p * n + j] as f64;
                            (d + x, g + x.abs())
                        });
                        let want = (dot + bias[1 + 2 * j] as f64).max(0.0);
                        let g = got[(z * m + i) * n + j] as f64;
                        assert!(
                            (g - want).abs() <= 1e-6 * mag + 1e-6,
                            "{}x{} split {split:?}: C[{z},{i},{j}] {g} vs {want}",
                            gemm.side,
                            gemm.side
                        );
                    }
                }
            }
            results.push(got);
        }
        let worst = results[1..]
            .iter()
            .flat_map(|r| r.iter().zip(&results[0]).map(|(x, y)| (x - y).abs()))
            .fold(0f32, f32::max);
        assert!(worst < 1e-4, "split-K moved a result by {worst}");
    }
}
