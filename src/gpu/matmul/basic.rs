//! The register and tiled kernels of shaders/matmul.wgsl, and the launch they share with the
//! subgroup kernel: A and B read in place from their buffers through their strides, batches
//! along z, every product supported.

use super::family::{Family, Operands};
use super::kernel::MatmulKernel;
use super::plan::{Problem, MAX_BATCHES};
use crate::gpu::kernels;
use crate::gpu::profile::AdapterProfile;
use crate::gpu::runtime::Kernel;
use crate::Result;

/// A kernel that reads its operands straight from their buffers.
pub(crate) struct Direct {
    pub(crate) kernel: Kernel,
    pub(crate) tile: (usize, usize),
    /// Whether it may compute C^T = B^T · A^T for products much narrower than its tile: only
    /// kernels that apply the bias per element through both of its strides.
    pub(crate) swappable: bool,
}

/// 8x512 tiles, 8x8 per invocation in registers, no workgroup memory: for CPU-emulated adapters
/// (lavapipe), where workgroup memory is no cheaper than global.
pub(crate) const REGISTER: Direct = Direct {
    kernel: kernels::MATMUL_REGISTER,
    tile: (8, 512),
    swappable: true,
};

/// 64x64 tiles staged through workgroup memory.
pub(crate) const TILED: Direct = Direct {
    kernel: kernels::MATMUL_TILED,
    tile: (64, 64),
    swappable: true,
};

impl Family for Direct {
    fn supports(&self, _: &AdapterProfile, _: &Problem) -> bool {
        true
    }

    fn fallback(&self) -> MatmulKernel {
        MatmulKernel::Register
    }

    fn tile(&self) -> (usize, usize) {
        self.tile
    }

    fn kernels(&self) -> Vec<Kernel> {
        vec![self.kernel]
    }

    fn launch(&self, problem: &Problem, ops: &Operands) -> Result<()> {
        let launch = problem.launch(self.tile, self.swappable);
        let (first, second) = if launch.swapped {
            (ops.b, ops.a)
        } else {
            (ops.a, ops.b)
        };
        let runtime = &ops.out.ctx.runtime;
        let bias = ops.bias.map_or(runtime.placeholder(), |b| b.buffer());
        let resources = [
            (1, first.bind()),
            (2, second.bind()),
            (3, ops.out.bind()),
            (4, crate::gpu::runtime::Resource::Buffer(bias)),
        ];
        let [gx, gy] = launch.grid(self.tile);
        // Each batch takes two offsets of the parameter block, so a long batch goes in several
        // dispatches.
        let per_dispatch = (ops.out.ctx.profile.max_workgroups as usize).min(MAX_BATCHES);
        for first_batch in (0..launch.batch).step_by(per_dispatch) {
            let count = (launch.batch - first_batch).min(per_dispatch);
            runtime.dispatch(
                self.kernel,
                &launch.params(first_batch, count)?,
                &resources,
                [gx as u32, gy as u32, count as u32],
            )?;
        }
        Ok(())
    }
}
