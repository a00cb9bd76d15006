//! Launching the fused optimizer update.

use super::context::Kernel;
use super::{launch, GpuStorage};
use crate::ops::OptimizerStep;
use crate::Result;

const SOURCE: &str = shader!("optimizer.wgsl");
const SGD: Kernel = Kernel {
    file: "optimizer.wgsl",
    source: SOURCE,
    entry: "sgd",
};
const RMSPROP: Kernel = Kernel {
    file: "optimizer.wgsl",
    source: SOURCE,
    entry: "rmsprop",
};

/// Updates the first `len` elements of `w` and its state `s` in place from the gradient `g`.
pub(crate) fn step(
    w: &GpuStorage,
    g: &GpuStorage,
    s: &GpuStorage,
    step: OptimizerStep,
    len: usize,
) -> Result<()> {
    let (kernel, lr, p, eps) = match step {
        OptimizerStep::Sgd { lr, momentum } => (SGD, lr, momentum, 0.0),
        OptimizerStep::RmsProp { lr, rho, epsilon } => (RMSPROP, lr, rho, epsilon),
    };
    let info = [len as u32, lr.to_bits(), p.to_bits(), eps.to_bits()];
    launch(
        &w.ctx,
        kernel,
        &info,
        &[(1, w.buffer()), (2, g.buffer()), (3, s.buffer())],
        len,
    )
}
