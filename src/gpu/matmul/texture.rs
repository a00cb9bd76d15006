//! The texture kernel's operands: A and B go into rgba32float textures before the product,
//! by a buffer copy where their storage allows, else by a pack kernel
//! (shaders/matmul_texture.wgsl says why textures, and how the kernel reads them).

use super::super::context::{GpuContext, Kernel, PooledTexture, Resource};
use super::super::{kernel, GpuStorage};
use super::TEXTURE_SOURCE;
use crate::Result;

pub(super) const PACK: Kernel = kernel("matmul_texture.wgsl", TEXTURE_SOURCE, "pack_operand");
pub(super) const PACK_ROWS4: Kernel = kernel("matmul_texture.wgsl", TEXTURE_SOURCE, "pack_rows4");
pub(super) const PACK_COLUMNS4: Kernel =
    kernel("matmul_texture.wgsl", TEXTURE_SOURCE, "pack_columns4");

/// A matrix X as the texture kernel reads it: X[r, 4i .. 4i + 4] is texel `r * pitch + i` of
/// `texture`, counting along its rows, which are `1 << shift` texels wide.
pub(super) struct Operand<'a> {
    pub(super) texture: PooledTexture<'a>,
    pub(super) pitch: u32,
    pub(super) shift: u32,
}

/// The (rows x cols) matrix at `offset` in `x`, read through `strides`, as an `Operand`:
/// copied where its rows are contiguous and start on whole texels, else packed.
pub(super) fn operand(
    x: &GpuStorage,
    offset: usize,
    (rows, cols): (usize, usize),
    strides: (isize, isize),
) -> Result<Operand<'_>> {
    match copied(x, offset, (rows, cols), strides)? {
        Some(op) => Ok(op),
        None => pack(x, offset, (rows, cols), strides),
    }
}

/// Whether A (m x k, `strides`) goes into its texture by rows rather than by columns (as A^T):
/// only where its rows can be copied and its columns cannot.
pub(super) fn a_by_rows(
    ctx: &GpuContext,
    bytes: u64,
    offset: usize,
    (m, k): (usize, usize),
    (rs, cs): (isize, isize),
) -> bool {
    !copies(ctx, bytes, offset, (k, m), (cs, rs)) && copies(ctx, bytes, offset, (m, k), (rs, cs))
}

/// Whether `operand` copies the matrix rather than packing it.
pub(super) fn copies(
    ctx: &GpuContext,
    bytes: u64,
    offset: usize,
    (rows, cols): (usize, usize),
    strides: (isize, isize),
) -> bool {
    copy_shape(ctx, bytes, offset, (rows, cols), strides).is_some()
}

/// What a copy of a matrix takes: `texels` texels of storage from its first texel to its
/// last, into a texture of `width` x `height` texels; row r of the matrix starts `pitch`
/// texels after row r - 1.
struct CopyShape {
    width: u32,
    height: u32,
    pitch: u32,
    texels: u32,
}

/// How the matrix is copied: the span of storage from its first texel to its last one, cut
/// into rows of a power of two of texels (at least 16, a copy's 256-byte row alignment).
/// `None` where the matrix's rows are not contiguous or do not start on whole texels, where
/// the span runs past the buffer's end (whose last texel a copy could not take), where the
/// span is over twice the matrix (a slice of a much larger one: packing reads less), or where
/// no texture the adapter allows holds it.
fn copy_shape(
    ctx: &GpuContext,
    bytes: u64,
    offset: usize,
    (rows, cols): (usize, usize),
    (rs, cs): (isize, isize),
) -> Option<CopyShape> {
    let pitch = if rows == 1 {
        0
    } else {
        usize::try_from(rs).ok()?
    };
    if (cs != 1 && cols > 1) || !offset.is_multiple_of(4) || !pitch.is_multiple_of(4) {
        return None;
    }
    let texels = ((rows - 1) * pitch + cols).div_ceil(4);
    if (offset + 4 * texels) as u64 * 4 > bytes || texels > 2 * rows * cols.div_ceil(4) + 16 {
        return None;
    }
    let side = ctx.limits.max_texture_dimension_2d as usize;
    let mut width = 16usize;
    while texels.div_ceil(width) > side {
        width *= 2;
    }
    if width > side {
        return None;
    }
    Some(CopyShape {
        width: width as u32,
        height: texels.div_ceil(width) as u32,
        pitch: (pitch / 4) as u32,
        texels: u32::try_from(texels).ok()?,
    })
}

fn copied<'a>(
    x: &'a GpuStorage,
    offset: usize,
    (rows, cols): (usize, usize),
    strides: (isize, isize),
) -> Result<Option<Operand<'a>>> {
    let ctx = &x.ctx;
    let Some(shape) = copy_shape(ctx, x.buffer().size(), offset, (rows, cols), strides) else {
        return Ok(None);
    };
    let texture = ctx.alloc_texture("matmul", shape.width, shape.height)?;
    ctx.copy_to_texture(x.buffer(), offset as u64 * 4, &texture, shape.texels);
    Ok(Some(Operand {
        texture,
        pitch: shape.pitch,
        shift: shape.width.trailing_zeros(),
    }))
}

/// Packs the matrix into a texture one power of two of texels wide, row r of X in texture row
/// r: texel (i, r) holds X[r, 4i .. 4i + 4].
fn pack<'a>(
    x: &'a GpuStorage,
    offset: usize,
    (rows, cols): (usize, usize),
    strides: (isize, isize),
) -> Result<Operand<'a>> {
    let ctx = &x.ctx;
    let texels = cols.div_ceil(4);
    let width = texels.next_power_of_two();
    let texture = ctx.alloc_texture("matmul", width as u32, rows as u32)?;
    let info = [
        cols as u32,
        rows as u32,
        offset as u32,
        strides.0 as i32 as u32,
        strides.1 as i32 as u32,
    ];
    let pack = pack_kernel(x.buffer().size(), offset, strides);
    let resources = [
        (pack.binding, Resource::Buffer(x.buffer())),
        (7, Resource::Texture(&texture)),
    ];
    let groups_y = rows.div_ceil(pack.rows_per_invocation);
    let workgroups = (texels.div_ceil(64) as u32, groups_y as u32, 1);
    ctx.dispatch_with(pack.kernel, &info, &resources, workgroups)?;
    Ok(Operand {
        texture,
        pitch: width as u32,
        shift: width.trailing_zeros(),
    })
}

/// A pack kernel, the binding it reads the matrix from, and the rows of the matrix each
/// invocation packs.
pub(super) struct Pack {
    pub(super) kernel: Kernel,
    binding: u32,
    rows_per_invocation: usize,
}

/// The pack kernel for a matrix at `offset` with `strides` in a buffer of `bytes`: one of the
/// two that load four floats at once where the layout allows (shaders/matmul_texture.wgsl),
/// else `pack_operand`. A buffer under 16 bytes cannot be bound as vec4s.
pub(super) fn pack_kernel(bytes: u64, offset: usize, (rs, cs): (isize, isize)) -> Pack {
    let quads = bytes >= 16 && offset.is_multiple_of(4);
    let quad_stride = |s: isize| s > 0 && (s as usize).is_multiple_of(4);
    let (kernel, binding, rows_per_invocation) = if quads && cs == 1 && quad_stride(rs) {
        (PACK_ROWS4, 8, 1)
    } else if quads && rs == 1 && quad_stride(cs) {
        (PACK_COLUMNS4, 8, 4)
    } else {
        (PACK, 1, 1)
    };
    Pack {
        kernel,
        binding,
        rows_per_invocation,
    }
}
