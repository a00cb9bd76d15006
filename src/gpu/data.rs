//! Launching the batch gather kernel.

use super::context::Kernel;
use super::{launch, GpuStorage};
use crate::Result;

const GATHER: Kernel = Kernel {
    file: "gather.wgsl",
    source: shader!("gather.wgsl"),
    entry: "gather",
};

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
    let info = [
        start as u32,
        rows as u32,
        features as u32,
        u32::from(order.is_some()),
    ];
    let order = order.unwrap_or(labels);
    launch(
        &words.ctx,
        GATHER,
        &info,
        &[
            (1, words.buffer()),
            (2, labels.buffer()),
            (3, order.buffer()),
            (4, x.buffer()),
            (5, y.buffer()),
        ],
        rows * features,
    )?;
    Ok((x, y))
}
