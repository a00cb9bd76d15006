//! Random masks drawn on the device that holds them.

use super::Storage;
use crate::cpu::random::{self, DropoutMask};
use crate::{gpu, Device, Result};

impl Storage {
    /// `len` elements of a dropout mask, the same values on every device.
    pub(crate) fn dropout_mask(device: &Device, len: usize, mask: &DropoutMask) -> Result<Storage> {
        Ok(match device.gpu_context() {
            None => Storage::cpu_f32(random::dropout_mask(len, mask)?),
            Some(ctx) => Storage::Gpu(gpu::random::dropout_mask(ctx, len, mask)?),
        })
    }
}
