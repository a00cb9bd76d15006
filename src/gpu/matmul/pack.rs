//! Packing an operand where a buffer copy cannot put it where its kernel reads it
//! (shaders/matmul_pack.wgsl): into a texture for the texture kernel, or row-major into the
//! narrow kernel's block.

use crate::gpu::kernels;
use crate::gpu::params::{params, signed, word};
use crate::gpu::runtime::{Kernel, PooledTexture, Resource};
use crate::gpu::storage::GpuStorage;
use crate::Result;

params! {
    /// A (rows x cols) matrix at `offset`, read through its strides.
    pub(crate) struct PackParams {
        rows: u32,
        cols: u32,
        offset: u32,
        row_stride: i32,
        col_stride: i32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

impl PackParams {
    fn new(offset: usize, (rows, cols): (usize, usize), (rs, cs): (isize, isize)) -> Result<Self> {
        let op = "matmul";
        Ok(PackParams {
            rows: word(op, "rows of an operand", rows)?,
            cols: word(op, "columns of an operand", cols)?,
            offset: word(op, "an operand's offset", offset)?,
            row_stride: signed(op, "a stride", rs)?,
            col_stride: signed(op, "a stride", cs)?,
            _pad0: 0,
            _pad1: 0,
            _pad2: 0,
        })
    }
}

/// A pack kernel for the texture kernel, the binding it reads the matrix from, and the rows of
/// the matrix each invocation packs.
pub(crate) struct TexturePack {
    pub(crate) kernel: Kernel,
    binding: u32,
    rows_per_invocation: usize,
}

/// The texture pack kernel for a matrix at `offset` with `strides` in a buffer of `bytes`: one
/// of the two that load four floats at once where the layout allows, else `pack_operand`. A
/// buffer under 16 bytes cannot be bound as vec4s.
pub(crate) fn texture_pack(bytes: u64, offset: usize, (rs, cs): (isize, isize)) -> TexturePack {
    let quads = bytes >= 16 && offset.is_multiple_of(4);
    let quad_stride = |s: isize| s > 0 && (s as usize).is_multiple_of(4);
    let (kernel, binding, rows_per_invocation) = if quads && cs == 1 && quad_stride(rs) {
        (kernels::PACK_ROWS4, 2, 1)
    } else if quads && rs == 1 && quad_stride(cs) {
        (kernels::PACK_COLUMNS4, 2, 4)
    } else {
        (kernels::PACK_OPERAND, 1, 1)
    };
    TexturePack {
        kernel,
        binding,
        rows_per_invocation,
    }
}

/// The (rows x cols) matrix at `offset` in `x` packed into a texture one power of two of
/// texels wide, row r of the matrix in texture row r: texel (i, r) holds X[r, 4i .. 4i + 4].
/// Returns the texture and its width's log2.
pub(crate) fn into_texture<'a>(
    x: &'a GpuStorage,
    offset: usize,
    (rows, cols): (usize, usize),
    strides: (isize, isize),
) -> Result<(PooledTexture<'a>, u32)> {
    let runtime = &x.ctx.runtime;
    let texels = cols.div_ceil(4);
    let width = texels.next_power_of_two();
    let texture = runtime.alloc_texture("matmul", width as u32, rows as u32)?;
    let pack = texture_pack(x.buffer().size(), offset, strides);
    let per_group = runtime.pipeline(pack.kernel)?.interface.workgroup_size[0] as usize;
    let workgroups = [
        texels.div_ceil(per_group) as u32,
        rows.div_ceil(pack.rows_per_invocation) as u32,
        1,
    ];
    runtime.dispatch(
        pack.kernel,
        &PackParams::new(offset, (rows, cols), strides)?,
        &[(pack.binding, x.bind()), (3, Resource::Texture(&texture))],
        workgroups,
    )?;
    Ok((texture, width.trailing_zeros()))
}

/// The (rows x cols) matrix at `offset` in `x` written row-major into `block`.
pub(crate) fn into_block(
    x: &GpuStorage,
    offset: usize,
    (rows, cols): (usize, usize),
    strides: (isize, isize),
    block: &GpuStorage,
) -> Result<()> {
    x.ctx.runtime.dispatch_items(
        kernels::PACK_NARROW,
        &PackParams::new(offset, (rows, cols), strides)?,
        &[(1, x.bind()), (4, block.bind())],
        rows * cols,
    )
}
