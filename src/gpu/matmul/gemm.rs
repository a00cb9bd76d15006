//! The gemm kernel for GPU hardware (shaders/matmul_gemm.wgsl): 128x128 or 64x64 tiles of C
//! staged through workgroup memory, 8x8 results per invocation, vec4 loads where an operand's
//! layout allows, and split-K where the tiles cannot fill the device.

use super::family::{Family, Operands};
use super::kernel::MatmulKernel;
use super::plan::{Launch, Operand, Problem, MAX_BATCHES};
use crate::gpu::kernels;
use crate::gpu::profile::AdapterProfile;
use crate::gpu::runtime::{Kernel, Resource};
use crate::gpu::storage::GpuStorage;
use crate::Result;

/// Steps of K per tile (`BK` in the WGSL).
const BK: usize = 8;

/// The gemm kernel with square tiles of `side` rows and columns.
pub(crate) struct Gemm {
    pub(crate) side: usize,
}

pub(crate) const GEMM128: Gemm = Gemm { side: 128 };
pub(crate) const GEMM64: Gemm = Gemm { side: 64 };

/// How an operand's tile chunks are loaded: 0 scalar, 1 vec4 along its rows (its column
/// stride is 1), 2 vec4 along its columns (its row stride is 1). A vec4 needs the axis's length,
/// the other stride and every offset to be multiples of 4.
pub(crate) fn vec_mode(op: &Operand, (rows, cols): (usize, usize)) -> u32 {
    let quad = |s: isize| s % 4 == 0;
    let offsets = op.offsets.iter().all(|o| o % 4 == 0);
    if offsets && op.col_stride == 1 && cols % 4 == 0 && quad(op.row_stride) {
        1
    } else if offsets && op.row_stride == 1 && rows % 4 == 0 && quad(op.col_stride) {
        2
    } else {
        0
    }
}

/// K's slices for a product whose `tiles` workgroups fall short of `fill`: enough to fill the
/// device, each of at least 256 steps, a whole number of tiles of K. 1 where no split pays.
pub(crate) fn splits(fill: usize, tiles: usize, k: usize) -> (usize, usize) {
    if fill == 0 || tiles >= fill || k < 512 {
        return (1, k);
    }
    let want = fill.div_ceil(tiles).min(k / 256).max(1);
    let per = k.div_ceil(want).next_multiple_of(BK);
    (k.div_ceil(per), per)
}

impl Gemm {
    fn kernel(&self, a_vec: u32, b_vec: u32, split: bool) -> Kernel {
        let side = self.side as u32;
        kernels::matmul_gemm((side, side), a_vec, b_vec, split)
    }

    /// Launches `launch` with K cut into `splits` slices of `per` steps (1 slice: one pass).
    pub(crate) fn launch_split(
        &self,
        launch: &Launch,
        ops: &Operands,
        (splits, per): (usize, usize),
    ) -> Result<()> {
        let ctx = &ops.out.ctx;
        let runtime = &ctx.runtime;
        let (m, n, k) = (launch.rows, launch.cols, launch.k);
        let a_vec = vec_mode(&launch.first, (m, k));
        let b_vec = vec_mode(&launch.second, (k, n));
        let split = splits > 1;
        let kernel = self.kernel(a_vec, b_vec, split);
        // One scratch float where there is no split: the binding must name a writable buffer.
        let partial_len = if split {
            splits * launch.batch * m * n
        } else {
            1
        };
        let partial = GpuStorage::new(ctx, "matmul", partial_len)?;
        let bias = ops.bias.map_or(runtime.placeholder(), |b| b.buffer());
        let resources = [
            (1, ops.a.bind()),
            (2, ops.b.bind()),
            (3, ops.out.bind()),
            (4, Resource::Buffer(bias)),
            (7, ops.a.bind()),
            (8, ops.b.bind()),
            (9, partial.bind()),
        ];
        let [gx, gy] = launch.grid(self.tile());
        let per_dispatch = (ctx.profile.max_workgroups as usize / splits).min(MAX_BATCHES);
        for first in (0..launch.batch).step_by(per_dispatch.max(1)) {
            let count = (launch.batch - first).min(per_dispatch);
            let mut params = launch.params(first, count)?;
            params.splits = splits as u32;
            params.k_per_split = per as u32;
            runtime.dispatch(
                kernel,
                &params,
                &resources,
                [gx as u32, gy as u32, (count * splits) as u32],
            )?;
            if split {
                let sum = [
                    (3, ops.out.bind()),
                    (4, Resource::Buffer(bias)),
                    (9, partial.bind()),
                ];
                runtime.dispatch_items(kernels::MATMUL_SPLIT_SUM, &params, &sum, count * m * n)?;
            }
        }
        Ok(())
    }
}

impl Family for Gemm {
    /// Every product, on an adapter with the workgroup memory and invocations the tile needs.
    fn supports(&self, profile: &AdapterProfile, _: &Problem) -> bool {
        let threads = (self.side / 8) * (self.side / 8);
        profile.workgroup_memory >= 8 << 10 && profile.max_invocations as usize >= threads
    }

    fn fallback(&self) -> MatmulKernel {
        MatmulKernel::Tiled
    }

    fn tile(&self) -> (usize, usize) {
        (self.side, self.side)
    }

    fn kernels(&self) -> Vec<Kernel> {
        let mut v = Vec::new();
        for a in 0..3 {
            for b in 0..3 {
                v.push(self.kernel(a, b, false));
            }
        }
        v
    }

    fn launch(&self, problem: &Problem, ops: &Operands) -> Result<()> {
        let launch = problem.launch(self.tile(), false);
        let [gx, gy] = launch.grid(self.tile());
        let fill = ops.out.ctx.profile.fill_workgroups;
        let split = splits(fill, gx * gy * launch.batch, launch.k);
        self.launch_split(&launch, ops, split)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_k_only_where_the_tiles_cannot_fill_the_device() {
        // 4096^3 in 128x128 tiles: 1024 workgroups, no split.
        assert_eq!(splits(256, 1024, 4096), (1, 4096));
        // 128x784 . 784x512 in 128x128 tiles: 4 workgroups, K of 784 in 3 slices of 264.
        assert_eq!(splits(256, 4, 784), (3, 264));
        // 64x64 . 64x4096 . 4096x64: one tile, K cut into 16 slices of 256.
        assert_eq!(splits(256, 1, 4096), (16, 256));
        // Short K never splits; neither does an emulated adapter (fill 0).
        assert_eq!(splits(256, 1, 300), (1, 300));
        assert_eq!(splits(0, 1, 4096), (1, 4096));
        for (fill, tiles, k) in [(256, 3, 1000), (256, 7, 4100), (100, 1, 9999)] {
            let (s, per) = splits(fill, tiles, k);
            assert!(
                per % BK == 0 && s * per >= k && (s - 1) * per < k,
                "{k}: {s} x {per}"
            );
        }
    }

    #[test]
    fn vec4_loads_only_where_the_layout_allows() {
        let op = |offsets: Vec<usize>, rs, cs| Operand {
            offsets,
            row_stride: rs,
            col_stride: cs,
            buffer_bytes: 1 << 20,
        };
        // Row-major, rows of 784: along the rows.
        assert_eq!(vec_mode(&op(vec![0], 784, 1), (128, 784)), 1);
        // Stored transposed (x^T): along the columns.
        assert_eq!(vec_mode(&op(vec![0], 1, 128), (784, 128)), 2);
        // Rows of 10, an offset of 2, a stride of 6: scalar.
        assert_eq!(vec_mode(&op(vec![0], 10, 1), (128, 10)), 0);
        assert_eq!(vec_mode(&op(vec![0, 2], 8, 1), (4, 8)), 0);
        assert_eq!(vec_mode(&op(vec![0], 6, 1), (4, 8)), 0);
    }
}
