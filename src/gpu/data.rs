//! Launching the batch gather kernel (shaders/gather.wgsl).

use super::kernels;
use super::params::{params, word};
use super::storage::GpuStorage;
use crate::Result;

params! {
    /// Which rows of the data set make the batch.
    pub(crate) struct GatherParams {
        start: u32,
        rows: u32,
        features: u32,
        shuffled: u32,
    }
}

/// Rows `start..start + rows` (through `order` when given) of a packed u8 data set, as f32
/// features in [0, 1] and u32 labels.
pub(crate) fn gather(
    words: &GpuStorage,
    labels: &GpuStorage,
    order: Option<&GpuStorage>,
    start: usize,
    rows: usize,
    features: usize,
) -> Result<(GpuStorage, GpuStorage)> {
    let x = GpuStorage::new(&words.ctx, "batch", rows * features)?;
    let y = GpuStorage::new(&words.ctx, "batch", rows)?;
    let params = GatherParams {
        start: word("batch", "a sample index", start)?,
        rows: word("batch", "a batch", rows)?,
        features: word("batch", "features", features)?,
        shuffled: u32::from(order.is_some()),
    };
    let order = order.unwrap_or(labels);
    // Four features to an invocation where they share a word.
    let (gather, threads) = if features.is_multiple_of(4) {
        (kernels::GATHER4, rows * features / 4)
    } else {
        (kernels::GATHER, rows * features)
    };
    words.ctx.runtime.dispatch_items(
        gather,
        &params,
        &[
            (1, words.bind()),
            (2, labels.bind()),
            (3, order.bind()),
            (4, x.bind()),
            (5, y.bind()),
        ],
        threads,
    )?;
    Ok((x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both entry points against the batch built on the host, shuffled and not.
    #[test]
    fn batches_match_the_host() {
        let Some(ctx) = crate::gpu::storage::test_context() else {
            return;
        };
        let samples = 37;
        for features in [784, 12, 6, 1] {
            let pixels: Vec<u8> = (0..samples * features)
                .map(|i| (i * 31 % 256) as u8)
                .collect();
            let mut bytes = pixels.clone();
            bytes.resize(pixels.len().next_multiple_of(4), 0);
            let words = GpuStorage::upload(&ctx, "test", &bytes).unwrap();
            let labels: Vec<u32> = (0..samples as u32).map(|i| i % 10).collect();
            let labels_gpu =
                GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(&labels)).unwrap();
            let order: Vec<u32> = (0..samples as u32).rev().collect();
            let order_gpu = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(&order)).unwrap();
            for shuffled in [false, true] {
                let (start, rows) = (3, 30);
                let o = shuffled.then_some(&order_gpu);
                let (x, y) = gather(&words, &labels_gpu, o, start, rows, features).unwrap();
                let x: Vec<f32> =
                    bytemuck::cast_slice(&x.read_bytes(rows * features).unwrap()).to_vec();
                let y: Vec<u32> = bytemuck::cast_slice(&y.read_bytes(rows).unwrap()).to_vec();
                for r in 0..rows {
                    let s = if shuffled {
                        order[start + r] as usize
                    } else {
                        start + r
                    };
                    let want: Vec<f32> = pixels[s * features..(s + 1) * features]
                        .iter()
                        .map(|&p| p as f32 / 255.0)
                        .collect();
                    assert_eq!(
                        &x[r * features..(r + 1) * features],
                        &want[..],
                        "{features} features, row {r}, shuffled {shuffled}"
                    );
                    assert_eq!(y[r], labels[s]);
                }
            }
        }
    }
}
