//! The texture kernel (shaders/matmul_texture.wgsl): for CPU-emulated adapters, A and B first
//! go into rgba32float textures (by a buffer copy where their storage allows, else by a pack
//! kernel) and are read as storage textures, 16x32 blocks of C per 8-lane subgroup. One matrix
//! per product.

use super::family::{Family, Operands};
use super::kernel::MatmulKernel;
use super::operands::{a_by_rows, copy_shape};
use super::pack;
use super::plan::{Operand, Problem};
use crate::gpu::kernels;
use crate::gpu::profile::AdapterProfile;
use crate::gpu::runtime::{Kernel, PooledTexture, Resource};
use crate::gpu::storage::GpuStorage;
use crate::ops::MatmulDims;
use crate::Result;

pub(crate) struct Texture;

/// A matrix X as the kernel reads it: X[r, 4i .. 4i + 4] is texel `r * pitch + i` of
/// `texture`, counting along its rows, which are `1 << shift` texels wide.
struct TextureOperand<'a> {
    texture: PooledTexture<'a>,
    pitch: u32,
    shift: u32,
}

/// The (rows x cols) matrix at `offset` in `x`, read through `strides`, in a texture: copied
/// where its rows are contiguous and start on whole texels, else packed.
fn operand<'a>(
    x: &'a GpuStorage,
    offset: usize,
    (rows, cols): (usize, usize),
    strides: (isize, isize),
) -> Result<TextureOperand<'a>> {
    let runtime = &x.ctx.runtime;
    let side = x.ctx.profile.max_texture_side;
    match copy_shape(side, x.buffer().size(), offset, (rows, cols), strides) {
        Some(shape) => {
            let texture = runtime.alloc_texture("matmul", shape.width, shape.height)?;
            runtime.copy_to_texture(x.buffer(), offset as u64 * 4, &texture, shape.texels);
            Ok(TextureOperand {
                texture,
                pitch: shape.pitch,
                shift: shape.width.trailing_zeros(),
            })
        }
        None => {
            let (texture, shift) = pack::into_texture(x, offset, (rows, cols), strides)?;
            Ok(TextureOperand {
                texture,
                pitch: 1 << shift,
                shift,
            })
        }
    }
}

impl Family for Texture {
    /// One matrix whose packed operands fit the adapter's textures: a pack kernel's texture is
    /// K rows of a power of two of texels (of 4 columns).
    fn supports(&self, profile: &AdapterProfile, problem: &Problem) -> bool {
        let MatmulDims { batch, m, n, k } = problem.dims;
        let side = profile.max_texture_side;
        batch == 1
            && k > 0
            && k <= side
            && m.div_ceil(4).max(n.div_ceil(4)).next_power_of_two() <= side
    }

    fn fallback(&self) -> MatmulKernel {
        MatmulKernel::Subgroup
    }

    fn tile(&self) -> (usize, usize) {
        (16, 32)
    }

    fn kernels(&self) -> Vec<Kernel> {
        vec![
            kernels::MATMUL_TEXTURE,
            kernels::MATMUL_TEXTURE_ROWS,
            kernels::PACK_OPERAND,
            kernels::PACK_ROWS4,
            kernels::PACK_COLUMNS4,
        ]
    }

    fn launch(&self, problem: &Problem, ops: &Operands) -> Result<()> {
        let launch = problem.launch(self.tile(), false);
        let (m, n, k) = (launch.rows, launch.cols, launch.k);
        let runtime = &ops.out.ctx.runtime;
        let side = ops.out.ctx.profile.max_texture_side;
        // A goes in by columns (as A^T), or by rows where only those can be copied; B by rows.
        let a: &Operand = &launch.first;
        let strides = (a.row_stride, a.col_stride);
        let (a_matrix, kernel) = if a_by_rows(side, a.buffer_bytes, a.offset(), (m, k), strides) {
            (((m, k), strides), kernels::MATMUL_TEXTURE_ROWS)
        } else {
            (((k, m), (strides.1, strides.0)), kernels::MATMUL_TEXTURE)
        };
        let at = operand(ops.a, a.offset(), a_matrix.0, a_matrix.1)?;
        let b = &launch.second;
        let bt = operand(ops.b, b.offset(), (k, n), (b.row_stride, b.col_stride))?;
        let mut params = launch.params(0, 1)?;
        params.a_pitch = at.pitch;
        params.a_shift = at.shift;
        params.b_pitch = bt.pitch;
        params.b_shift = bt.shift;
        let bias = ops.bias.map_or(runtime.placeholder(), |b| b.buffer());
        let resources = [
            (3, ops.out.bind()),
            (4, Resource::Buffer(bias)),
            (5, Resource::Texture(&at.texture)),
            (6, Resource::Texture(&bt.texture)),
        ];
        let [gx, gy] = launch.grid(self.tile());
        runtime.dispatch(kernel, &params, &resources, [gx as u32, gy as u32, 1])
    }
}
