//! Launching the fused optimizer update.

use super::context::Kernel;
use super::{launch, GpuStorage};
use crate::ops::OptimizerStep;
use crate::Result;

const STEP: Kernel = Kernel {
    file: "optimizer.wgsl",
    source: shader!("optimizer.wgsl"),
    entry: "step",
};

/// Updates the first `len` elements of `w` and its state `s` in place from the gradient `g`.
pub(crate) fn step(
    w: &GpuStorage,
    g: &GpuStorage,
    s: &GpuStorage,
    step: OptimizerStep,
    len: usize,
) -> Result<()> {
    let (kind, lr, p, eps) = match step {
        OptimizerStep::Sgd { lr, momentum } => (0, lr, momentum, 0.0),
        OptimizerStep::RmsProp { lr, rho, epsilon } => (1, lr, rho, epsilon),
    };
    let info = [
        len as u32,
        kind,
        lr.to_bits(),
        p.to_bits(),
        f32::to_bits(eps),
    ];
    launch(
        &w.ctx,
        STEP,
        &info,
        &[(1, w.buffer()), (2, g.buffer()), (3, s.buffer())],
        len,
    )
}
