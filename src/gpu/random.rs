//! Launching the counter-based random kernels (shaders/random.wgsl).

use std::sync::Arc;

use super::context::GpuContext;
use super::kernels;
use super::params::{params, word};
use super::storage::GpuStorage;
use crate::cpu::random::DropoutMask;
use crate::Result;

params! {
    /// A mask of `len` elements.
    pub(crate) struct RandomParams {
        len: u32,
        threshold: u32,
        key0: u32,
        key1: u32,
        scale: f32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

/// `len` elements of `mask`, the same bits as the CPU draws.
pub(crate) fn dropout_mask(
    ctx: &Arc<GpuContext>,
    len: usize,
    mask: &DropoutMask,
) -> Result<GpuStorage> {
    let out = GpuStorage::new(ctx, "dropout", len)?;
    let params = RandomParams {
        len: word("dropout", "elements", len)?,
        threshold: mask.threshold,
        key0: mask.key0,
        key1: mask.key1,
        scale: mask.scale,
        _pad0: 0,
        _pad1: 0,
        _pad2: 0,
    };
    ctx.runtime
        .dispatch_items(kernels::DROPOUT_MASK, &params, &[(1, out.bind())], len)?;
    Ok(out)
}
