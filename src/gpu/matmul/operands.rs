//! Where the texture kernel finds its operands (shaders/matmul_texture.wgsl says how it reads
//! them): which matrices reach a texture by a buffer copy, and the texture's shape. Pure
//! arithmetic on layouts, shared by the selection (a copy is cheap, a pack kernel is not) and
//! the launch.

/// What a copy of a matrix takes: `texels` texels of storage from its first texel to its last,
/// into a texture of `width` x `height` texels; row r of the matrix starts `pitch` texels after
/// row r - 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CopyShape {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) pitch: u32,
    pub(crate) texels: u32,
}

/// How the (rows x cols) matrix at `offset` in a buffer of `bytes`, read through `strides`, is
/// copied: the span of storage from its first texel to its last one, cut into rows of a power
/// of two of texels (at least 16, a copy's 256-byte row alignment). `None` where the matrix's
/// rows are not contiguous or do not start on whole texels, where the span runs past the
/// buffer's end (whose last texel a copy could not take), where the span is over twice the
/// matrix (a slice of a much larger one: packing reads less), or where no texture of at most
/// `max_side` texels a side holds it.
pub(crate) fn copy_shape(
    max_side: usize,
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
    let texels = ((rows.checked_sub(1)?) * pitch + cols).div_ceil(4);
    if (offset + 4 * texels) as u64 * 4 > bytes || texels > 2 * rows * cols.div_ceil(4) + 16 {
        return None;
    }
    let mut width = 16usize;
    while texels.div_ceil(width) > max_side {
        width *= 2;
    }
    if width > max_side {
        return None;
    }
    Some(CopyShape {
        width: width as u32,
        height: texels.div_ceil(width) as u32,
        pitch: (pitch / 4) as u32,
        texels: u32::try_from(texels).ok()?,
    })
}

/// Whether the matrix reaches its texture by a copy rather than a pack kernel.
pub(crate) fn copies(
    max_side: usize,
    bytes: u64,
    offset: usize,
    matrix: (usize, usize),
    strides: (isize, isize),
) -> bool {
    copy_shape(max_side, bytes, offset, matrix, strides).is_some()
}

/// Whether A (m x k, `strides`) goes into its texture by rows rather than by columns (as A^T):
/// only where its rows can be copied and its columns cannot.
pub(crate) fn a_by_rows(
    max_side: usize,
    bytes: u64,
    offset: usize,
    (m, k): (usize, usize),
    (rs, cs): (isize, isize),
) -> bool {
    !copies(max_side, bytes, offset, (k, m), (cs, rs))
        && copies(max_side, bytes, offset, (m, k), (rs, cs))
}
