//! The narrow kernel (shaders/matmul_narrow.wgsl): one lane per four rows of C, for products of
//! at most a few columns (the 10-class layer and its weight gradient), B read from a uniform
//! block at addresses all lanes share.

use super::family::{Family, Operands};
use super::kernel::MatmulKernel;
use super::pack;
use super::plan::Problem;
use crate::gpu::kernels;
use crate::gpu::profile::AdapterProfile;
use crate::gpu::runtime::{BufferKind, Kernel, Resource};
use crate::gpu::storage::GpuStorage;
use crate::ops::MatmulDims;
use crate::Result;

pub(crate) struct Narrow;

/// Whether the narrow kernel takes a product: one matrix of at most the profile's columns,
/// whose B fits the uniform block.
pub(crate) fn fits(profile: &AdapterProfile, MatmulDims { batch, n, k, .. }: MatmulDims) -> bool {
    batch == 1
        && (1..=profile.narrow_max_columns).contains(&n)
        && k > 0
        && (k * n * 4) as u64 <= profile.narrow_block_bytes
}

impl Family for Narrow {
    fn supports(&self, profile: &AdapterProfile, problem: &Problem) -> bool {
        fits(profile, problem.dims)
    }

    fn fallback(&self) -> MatmulKernel {
        MatmulKernel::Register
    }

    fn tile(&self) -> (usize, usize) {
        (32, 16)
    }

    fn kernels(&self) -> Vec<Kernel> {
        vec![kernels::MATMUL_NARROW, kernels::PACK_NARROW]
    }

    fn launch(&self, problem: &Problem, ops: &Operands) -> Result<()> {
        let ctx = &ops.out.ctx;
        let launch = problem.launch(self.tile(), false);
        let (k, cols) = (launch.k, launch.cols);
        // B goes row-major into the uniform block, a buffer of the pool's uniform kind.
        let words = ctx.profile.narrow_block_bytes as usize / 4;
        let block = GpuStorage::of_kind(ctx, "matmul", words, BufferKind::UniformBlock)?;
        let b = &launch.second;
        if b.col_stride == 1 && (b.row_stride == cols as isize || k == 1) {
            let bytes = (k * cols * 4) as u64;
            ctx.runtime
                .copy_buffer(ops.b.buffer(), b.offset() as u64 * 4, block.buffer(), bytes);
        } else {
            pack::into_block(
                ops.b,
                b.offset(),
                (k, cols),
                (b.row_stride, b.col_stride),
                &block,
            )?;
        }
        let bias = ops.bias.map_or(ctx.runtime.placeholder(), |b| b.buffer());
        let resources = [
            (1, ops.a.bind()),
            (3, ops.out.bind()),
            (4, Resource::Buffer(bias)),
            (5, block.bind()),
        ];
        let [gx, gy] = launch.grid(self.tile());
        ctx.runtime.dispatch(
            kernels::MATMUL_NARROW,
            &launch.params(0, 1)?,
            &resources,
            [gx as u32, gy as u32, 1],
        )
    }
}
