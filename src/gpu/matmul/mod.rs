//! Launching the matmul kernels, and choosing between the variants per adapter.

use std::time::{Duration, Instant};

use super::context::{GpuContext, Kernel, Resource, INFO_WORDS};
use super::{kernel, GpuStorage};
use crate::layout::Layout;
use crate::ops::{Epilogue, MatmulDims};
use crate::{Error, Result};

const SOURCE: &str = shader!("matmul_common.wgsl", "matmul.wgsl");
const SUBGROUP_SOURCE: &str = shader!("matmul_common.wgsl", "matmul_subgroup.wgsl");
const TEXTURE_SOURCE: &str = shader!("matmul_common.wgsl", "matmul_texture.wgsl");
const NARROW_SOURCE: &str = shader!("matmul_common.wgsl", "matmul_narrow.wgsl");

const NARROW_PACK: Kernel = kernel("matmul_narrow.wgsl", NARROW_SOURCE, "pack_narrow");
/// The texture kernel for A stored by rows (`MatmulVariant::Texture`'s own is A by columns).
const TEXTURE_ROWS: Kernel = kernel("matmul_texture.wgsl", TEXTURE_SOURCE, "matmul_texture_rows");

mod texture;

/// The matmul kernels: two in `shaders/matmul.wgsl`, one each in `shaders/matmul_subgroup.wgsl`,
/// `shaders/matmul_texture.wgsl` and `shaders/matmul_narrow.wgsl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MatmulVariant {
    /// Register blocking only, no workgroup memory: for CPU-emulated adapters.
    Register,
    /// Workgroup-memory tiles: for real GPUs.
    Tiled,
    /// Register blocking with A shared across 8-lane subgroups: for CPU-emulated adapters
    /// whose subgroups are 8 lanes wide.
    Subgroup,
    /// Both operands first packed into textures and read as storage textures, 16x32 blocks of
    /// C per 8-lane subgroup: for CPU-emulated adapters, where such a read costs far less than
    /// a storage-buffer read. One matrix per product: batched products run on `Subgroup`.
    Texture,
    /// One lane per row of C, B read from a uniform block: only for products of at most 16
    /// columns (`narrow_fits`), which `matmul` sends to it in place of the block kernels. Not
    /// a contender in the timed choice.
    Narrow,
}

impl MatmulVariant {
    /// The name used by `TENSORGEARS_MATMUL`, the cache and `Device::matmul_kernel`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            MatmulVariant::Register => "register",
            MatmulVariant::Tiled => "tiled",
            MatmulVariant::Subgroup => "subgroup",
            MatmulVariant::Texture => "texture",
            MatmulVariant::Narrow => "narrow",
        }
    }

    /// The variant `TENSORGEARS_MATMUL` names, if it names one.
    pub(crate) fn forced() -> Option<MatmulVariant> {
        MatmulVariant::parse(&std::env::var("TENSORGEARS_MATMUL").ok()?)
    }

    fn parse(s: &str) -> Option<MatmulVariant> {
        match s {
            "register" => Some(MatmulVariant::Register),
            "tiled" => Some(MatmulVariant::Tiled),
            "subgroup" => Some(MatmulVariant::Subgroup),
            "texture" => Some(MatmulVariant::Texture),
            _ => None,
        }
    }

    fn kernel(self) -> Kernel {
        let (file, source, entry) = match self {
            MatmulVariant::Register => ("matmul.wgsl", SOURCE, "matmul_register"),
            MatmulVariant::Tiled => ("matmul.wgsl", SOURCE, "matmul_tiled"),
            MatmulVariant::Subgroup => ("matmul_subgroup.wgsl", SUBGROUP_SOURCE, "matmul_subgroup"),
            MatmulVariant::Texture => ("matmul_texture.wgsl", TEXTURE_SOURCE, "matmul_texture"),
            MatmulVariant::Narrow => ("matmul_narrow.wgsl", NARROW_SOURCE, "matmul_narrow"),
        };
        kernel(file, source, entry)
    }

    /// The variants this device can run: the subgroup and texture kernels assume subgroups of
    /// exactly 8 lanes, and need the device to have been opened with subgroup support; the
    /// texture kernel also reads rgba32float storage textures.
    pub(crate) fn available(ctx: &GpuContext) -> Vec<MatmulVariant> {
        let mut v = vec![
            MatmulVariant::Register,
            MatmulVariant::Tiled,
            MatmulVariant::Narrow,
        ];
        if ctx.device.features().contains(wgpu::Features::SUBGROUP)
            && ctx.info.subgroup_min_size == 8
            && ctx.info.subgroup_max_size == 8
        {
            v.push(MatmulVariant::Subgroup);
            if ctx.storage_texture_reads {
                v.push(MatmulVariant::Texture);
            }
        }
        v
    }

    /// The variants the timed choice picks from: all the adapter runs but `Narrow`, which
    /// takes only the products `matmul` sends it.
    fn contenders(ctx: &GpuContext) -> Vec<MatmulVariant> {
        let mut v = MatmulVariant::available(ctx);
        v.retain(|&v| v != MatmulVariant::Narrow);
        v
    }

    /// The variant that runs a product `self` is asked for: `self`, or where `self` cannot take
    /// it, the one it leaves such products to. The texture kernel takes one matrix whose
    /// packed operands fit the adapter's textures, the narrow kernel the products
    /// `narrow_fits` allows.
    fn runnable(self, ctx: &GpuContext, dims: MatmulDims) -> MatmulVariant {
        let MatmulDims { batch, m, n, k } = dims;
        let side = ctx.limits.max_texture_dimension_2d as usize;
        match self {
            // A pack kernel's texture is K rows of a power of two of texels (of 4 columns).
            MatmulVariant::Texture
                if batch != 1
                    || k == 0
                    || k > side
                    || m.div_ceil(4).max(n.div_ceil(4)).next_power_of_two() > side =>
            {
                MatmulVariant::Subgroup
            }
            MatmulVariant::Narrow if !narrow_fits(dims) => MatmulVariant::Register,
            v => v,
        }
    }

    /// Rows and columns of C that one workgroup covers.
    fn tile(self) -> (usize, usize) {
        match self {
            MatmulVariant::Register => (8, 512),
            MatmulVariant::Tiled => (64, 64),
            MatmulVariant::Subgroup => (64, 64),
            MatmulVariant::Texture => (16, 32),
            MatmulVariant::Narrow => (32, 16),
        }
    }
}

/// A bias of length n along the result's last axis (its shape is checked by `Tensor::linear`),
/// and what to do with it.
pub(crate) type Bias<'a> = (Epilogue, &'a GpuStorage, &'a Layout);

/// `A · B` for layouts already broadcast to (batch.., m, k) and (batch.., k, n), then the
/// epilogue, if any, as each element is stored.
pub(crate) fn matmul(
    a: &GpuStorage,
    la: &Layout,
    b: &GpuStorage,
    lb: &Layout,
    dims: MatmulDims,
    bias: Option<Bias>,
) -> Result<GpuStorage> {
    let variant = match a.ctx.matmul_variant_now()? {
        // The block kernels (64 and 32 columns) would waste most of their work on a narrow
        // product.
        MatmulVariant::Subgroup | MatmulVariant::Texture if narrow_fits(dims) => {
            MatmulVariant::Narrow
        }
        MatmulVariant::Texture if !texture_pays(a, la, b, lb, dims) => MatmulVariant::Subgroup,
        v => v,
    };
    matmul_with(variant, a, la, b, lb, dims, bias)
}

pub(crate) fn matmul_with(
    variant: MatmulVariant,
    a: &GpuStorage,
    la: &Layout,
    b: &GpuStorage,
    lb: &Layout,
    dims: MatmulDims,
    bias: Option<Bias>,
) -> Result<GpuStorage> {
    super::check_span("matmul", a, la)?;
    super::check_span("matmul", b, lb)?;
    if let Some((_, bias, lbias)) = bias {
        super::check_span("matmul", bias, lbias)?;
    }
    let MatmulDims { batch, m, n, k } = dims;
    let variant = variant.runnable(&a.ctx, dims);
    let len = batch * m * n;
    let out = GpuStorage::new(&a.ctx, "matmul", len)?;
    if len == 0 {
        return Ok(out);
    }
    let nb = la.shape().len() - 2;
    let mut a_side = (la.batch_offsets(), la.strides()[nb], la.strides()[nb + 1]);
    let mut b_side = (lb.batch_offsets(), lb.strides()[nb], lb.strides()[nb + 1]);
    let (mut rows, mut cols) = (m, n);
    let mut c_strides = (n, 1);
    let mut swapped = false;
    let (tm, tn) = variant.tile();
    // A tile much wider than C wastes most invocations (128x10 on an 8x512 tile); then compute
    // C^T = B^T · A^T instead, writing through transposed C strides: no copy either way. Only
    // the kernels that apply the bias per element take a swapped product (see below).
    let swappable = matches!(variant, MatmulVariant::Register | MatmulVariant::Tiled);
    if swappable && tn > tm && cols < tn / 4 && rows > cols {
        std::mem::swap(&mut a_side, &mut b_side);
        a_side = (a_side.0, a_side.2, a_side.1);
        b_side = (b_side.0, b_side.2, b_side.1);
        (rows, cols) = (n, m);
        c_strides = (1, n);
        swapped = true;
    }
    // The bias runs along C's columns, which are the computed matrix's rows when swapped. The
    // block and narrow kernels are never swapped (`swappable`): they read the bias once per
    // column (`column_bias4` in shaders/matmul_common.wgsl).
    let (mode, bias_buffer, bias_offset, bias_step) = match bias {
        Some((e, storage, l)) => (e.code(), storage.buffer(), l.offset(), l.strides()[0]),
        None => (0, a.buffer(), 0, 0),
    };
    let bias_strides = if swapped {
        (bias_step, 0)
    } else {
        (0, bias_step)
    };
    let (first_operand, second_operand) = if swapped { (b, a) } else { (a, b) };
    let buffers = [
        (1, first_operand.buffer()),
        (2, second_operand.buffer()),
        (3, out.buffer()),
        (4, bias_buffer),
    ];
    let ctx = &a.ctx;
    let max = ctx.limits.max_compute_workgroups_per_dimension as usize;
    let (gx, gy) = (cols.div_ceil(tn), rows.div_ceil(tm));
    if gx > max || gy > max {
        return Err(Error::LimitExceeded {
            op: "matmul",
            what: "a result matrix side (in workgroup tiles)",
            requested: gx.max(gy) as u64,
            limit: max as u64,
        });
    }
    // The words every dispatch shares, then each batch's A and B offsets.
    let info = |first: usize, count: usize| {
        let mut words = vec![
            rows as u32,
            cols as u32,
            k as u32,
            count as u32,
            a_side.1 as i32 as u32,
            a_side.2 as i32 as u32,
            b_side.1 as i32 as u32,
            b_side.2 as i32 as u32,
            first as u32,
            c_strides.0 as u32,
            c_strides.1 as u32,
            mode,
            bias_offset as u32,
            bias_strides.0 as i32 as u32,
            bias_strides.1 as i32 as u32,
            0,
        ];
        words.extend(a_side.0[first..first + count].iter().map(|&o| o as u32));
        words.extend(b_side.0[first..first + count].iter().map(|&o| o as u32));
        words
    };
    if variant == MatmulVariant::Texture {
        // A goes into a texture by columns (as A^T), or by rows where only those can be
        // copied; B by rows.
        let a_strides = (a_side.1, a_side.2);
        let a_bytes = first_operand.buffer().size();
        let (a_matrix, kernel) =
            if texture::a_by_rows(ctx, a_bytes, a_side.0[0], (rows, k), a_strides) {
                (((rows, k), a_strides), TEXTURE_ROWS)
            } else {
                (((k, rows), (a_side.2, a_side.1)), variant.kernel())
            };
        let a_op = texture::operand(first_operand, a_side.0[0], a_matrix.0, a_matrix.1)?;
        let b_op = texture::operand(second_operand, b_side.0[0], (k, cols), (b_side.1, b_side.2))?;
        let mut words = info(0, 1);
        words[3..7].copy_from_slice(&[a_op.pitch, a_op.shift, b_op.pitch, b_op.shift]);
        let resources = [
            (3, Resource::Buffer(out.buffer())),
            (4, Resource::Buffer(bias_buffer)),
            (5, Resource::Texture(&a_op.texture)),
            (6, Resource::Texture(&b_op.texture)),
        ];
        ctx.dispatch_with(kernel, &words, &resources, (gx as u32, gy as u32, 1))?;
        return Ok(out);
    }
    if variant == MatmulVariant::Narrow {
        // B goes row-major into a uniform block, a buffer of the pool.
        let block = GpuStorage::new(ctx, "matmul", NARROW_BLOCK_BYTES as usize / 4)?;
        let (offset, rs, cs) = (b_side.0[0], b_side.1, b_side.2);
        if cs == 1 && (rs == cols as isize || k == 1) {
            let bytes = (k * cols * 4) as u64;
            ctx.copy_buffer(
                second_operand.buffer(),
                offset as u64 * 4,
                block.buffer(),
                bytes,
            );
        } else {
            let info = [
                k as u32,
                cols as u32,
                offset as u32,
                rs as i32 as u32,
                cs as i32 as u32,
            ];
            let buffers = [(2, second_operand.buffer()), (6, block.buffer())];
            super::launch(ctx, NARROW_PACK, &info, &buffers, k * cols)?;
        }
        let resources = [
            (1, Resource::Buffer(first_operand.buffer())),
            (3, Resource::Buffer(out.buffer())),
            (4, Resource::Buffer(bias_buffer)),
            (5, Resource::Buffer(block.buffer())),
        ];
        ctx.dispatch_with(
            variant.kernel(),
            &info(0, 1),
            &resources,
            (gx as u32, gy as u32, 1),
        )?;
        return Ok(out);
    }
    // Each batch takes two words of the parameter block (its A and B offsets), so a long batch
    // goes in several dispatches.
    let per_dispatch = max.min((INFO_WORDS - 16) / 2);
    for first in (0..batch).step_by(per_dispatch) {
        let count = (batch - first).min(per_dispatch);
        ctx.dispatch(
            variant.kernel(),
            &info(first, count),
            &buffers,
            (gx as u32, gy as u32, count as u32),
        )?;
    }
    Ok(out)
}

/// Whether putting the operands into textures pays, on lavapipe, against the subgroup kernel:
/// always where both are copied (the texture kernel was as fast or faster from 8x8x8 to
/// 1x784x512, measured in BENCHMARKS.md), and where a pack kernel runs, from m n / (m + n) =
/// 64: a pack dispatch costs about 0.1 ms however small the matrix (32x10x32 and 20x30x40
/// with A packed ran 0.1 ms slower than on the subgroup kernel).
fn texture_pays(
    a: &GpuStorage,
    la: &Layout,
    b: &GpuStorage,
    lb: &Layout,
    dims: MatmulDims,
) -> bool {
    let MatmulDims { batch, m, n, k } = dims;
    if m * n >= 64 * (m + n) {
        return true;
    }
    let nb = la.shape().len() - 2;
    let (sa, sb) = (la.strides(), lb.strides());
    let copies = |x: &GpuStorage, offset, matrix, strides| {
        texture::copies(&a.ctx, x.buffer().size(), offset, matrix, strides)
    };
    // A goes in by columns (as A^T) or by rows, whichever copies; B by rows.
    batch == 1
        && (copies(a, la.offset(), (k, m), (sa[nb + 1], sa[nb]))
            || copies(a, la.offset(), (m, k), (sa[nb], sa[nb + 1])))
        && copies(b, lb.offset(), (k, n), (sb[nb], sb[nb + 1]))
}

/// Bytes of the narrow kernel's uniform block (`bn` in shaders/matmul_narrow.wgsl), the most
/// a uniform binding may hold on every adapter.
const NARROW_BLOCK_BYTES: u64 = 64 << 10;

/// Whether the narrow kernel takes a product: one matrix of at most 16 columns, whose B fits
/// the uniform block.
fn narrow_fits(MatmulDims { batch, n, k, .. }: MatmulDims) -> bool {
    batch == 1 && (1..=16).contains(&n) && k > 0 && (k * n * 4) as u64 <= NARROW_BLOCK_BYTES
}

/// Picks the faster variant on this adapter: `TENSORGEARS_MATMUL` (a variant's name) when
/// set, else the choice cached for this adapter, else one timed 256x256x256 product with each
/// variant (after a warm-up run that compiles it). Measuring takes about 1.4–1.5 s on lavapipe,
/// most of it compiling the subgroup kernel, and far less on a real GPU.
pub(crate) fn choose_variant(ctx: &std::sync::Arc<GpuContext>) -> Result<MatmulVariant> {
    if let Some(v) = MatmulVariant::forced() {
        return Ok(v);
    }
    if let Some(v) = cached_choice(ctx) {
        compile(ctx, v)?;
        return Ok(v);
    }
    let cache = cache_file(ctx);
    let v = measure_variants(ctx)?;
    compile(ctx, v)?;
    if let Some(path) = cache {
        // A cache that cannot be written only costs the next process the measurement again.
        let _ = path
            .parent()
            .map(std::fs::create_dir_all)
            .map(|_| std::fs::write(&path, v.name()));
    }
    Ok(v)
}

/// Compiles the kernels a choice of `variant` runs, so that they are ready when the choice
/// lands (on lavapipe about 1.1–1.3 s for the subgroup kernel, under 0.1 s for the texture
/// kernel and its pack kernels): the
/// chosen kernel first, then the narrow kernel, which `subgroup` and `texture` leave narrow
/// products to. `texture`'s other fallback, the subgroup kernel for batched and small
/// products, is compiled after the choice has landed (`compile_fallback`).
fn compile(ctx: &GpuContext, variant: MatmulVariant) -> Result<()> {
    if variant == MatmulVariant::Texture {
        for pack in [texture::PACK, texture::PACK_ROWS4, texture::PACK_COLUMNS4] {
            ctx.pipeline(pack)?;
        }
        ctx.pipeline(TEXTURE_ROWS)?;
    }
    ctx.pipeline(variant.kernel())?;
    if matches!(variant, MatmulVariant::Subgroup | MatmulVariant::Texture) {
        ctx.pipeline(MatmulVariant::Narrow.kernel())?;
    }
    Ok(())
}

/// Compiles the kernel that `variant` hands the products it does not take to, where that is
/// not `variant` itself: the subgroup kernel behind `texture`.
pub(crate) fn compile_fallback(ctx: &GpuContext, variant: MatmulVariant) -> Result<()> {
    if variant == MatmulVariant::Texture {
        ctx.pipeline(MatmulVariant::Subgroup.kernel())?;
    }
    Ok(())
}

/// The choice cached for this adapter, if any.
pub(crate) fn cached_choice(ctx: &GpuContext) -> Option<MatmulVariant> {
    cache_file(ctx).as_deref().and_then(read_cached)
}

/// The variant a cache file names; `None` for a missing, unreadable or foreign file, which
/// is then measured and rewritten.
fn read_cached(path: &std::path::Path) -> Option<MatmulVariant> {
    MatmulVariant::parse(std::fs::read_to_string(path).ok()?.trim())
}

/// Where the choice for this adapter is kept: one small file per adapter, driver, crate
/// version, set of runnable variants and kernel text (a changed kernel is measured again),
/// under the user's cache directory.
/// `TENSORGEARS_CACHE_DIR` overrides the directory; `TENSORGEARS_CACHE_DIR=` (empty) turns the
/// cache off.
fn cache_file(ctx: &GpuContext) -> Option<std::path::PathBuf> {
    use std::hash::{Hash, Hasher};
    let info = &ctx.info;
    let dir = match std::env::var_os("TENSORGEARS_CACHE_DIR") {
        Some(d) if d.is_empty() => return None,
        Some(d) => std::path::PathBuf::from(d),
        None => dirs::cache_dir()?.join("tensorgears"),
    };
    let variants: Vec<&str> = MatmulVariant::contenders(ctx)
        .iter()
        .map(|v| v.name())
        .collect();
    let mut kernels = std::collections::hash_map::DefaultHasher::new();
    (SOURCE, SUBGROUP_SOURCE, TEXTURE_SOURCE).hash(&mut kernels);
    let key = format!(
        "{}-{:?}-{}-{}-{}-{}-{:016x}",
        info.name,
        info.backend,
        info.driver,
        info.driver_info,
        env!("CARGO_PKG_VERSION"),
        variants.join("+"),
        kernels.finish()
    );
    let key: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(dir.join(format!("matmul-variant-{key}")))
}

/// Times warmed-up 256³ products with each variant the adapter can run: three rounds, each
/// variant once per round, with other threads' dispatches held back, and the fastest of each
/// variant's three counts (a training loop recording alongside, or a busy host, can only add
/// time to a run).
fn measure_variants(ctx: &std::sync::Arc<GpuContext>) -> Result<MatmulVariant> {
    const S: usize = 256;
    const ROUNDS: usize = 3;
    let data: Vec<f32> = (0..S * S).map(|i| (i % 17) as f32 * 0.1).collect();
    let a = GpuStorage::upload(ctx, "calibrate", bytemuck::cast_slice(&data))?;
    let l = Layout::contiguous(&[1, S, S]);
    let dims = MatmulDims {
        batch: 1,
        m: S,
        n: S,
        k: S,
    };
    let variants = MatmulVariant::contenders(ctx);
    // Compiling happens here, outside the exclusive section, so other threads wait only for
    // the timed runs. The subgroup kernel goes first: a training loop waiting on the choice
    // runs on the register kernel until then, 4-5x slower on lavapipe (BENCHMARKS.md).
    let mut order = variants.clone();
    order.sort_by_key(|&v| v != MatmulVariant::Subgroup);
    for variant in order {
        drop(matmul_with(variant, &a, &l, &a, &l, dims, None)?);
        if variant == MatmulVariant::Subgroup {
            ctx.serve_meanwhile(variant);
        }
    }
    ctx.synchronize()?;
    let mut best = vec![Duration::MAX; variants.len()];
    ctx.exclusive(|| -> Result<()> {
        // Whatever other threads recorded before the gate closed runs now, untimed.
        ctx.synchronize()?;
        for _ in 0..ROUNDS {
            for (i, &variant) in variants.iter().enumerate() {
                let start = Instant::now();
                drop(matmul_with(variant, &a, &l, &a, &l, dims, None)?);
                ctx.synchronize()?;
                best[i] = best[i].min(start.elapsed());
            }
        }
        Ok(())
    })?;
    let fastest = (0..variants.len()).min_by_key(|&i| best[i]).unwrap_or(0);
    Ok(variants[fastest])
}

#[cfg(test)]
mod tests {
    //! Every variant the adapter runs on the named edge cases, against a plain f64 triple loop.
    use super::*;

    #[test]
    fn cached_choice_is_read_back_and_junk_is_ignored() {
        let dir = std::env::temp_dir().join(format!("tensorgears-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("matmul-variant-test");
        for v in [
            MatmulVariant::Register,
            MatmulVariant::Tiled,
            MatmulVariant::Subgroup,
            MatmulVariant::Texture,
        ] {
            std::fs::write(&path, format!("{}\n", v.name())).expect("write");
            assert_eq!(read_cached(&path), Some(v));
        }
        std::fs::write(&path, "fastest").expect("write");
        assert_eq!(read_cached(&path), None);
        assert_eq!(read_cached(&dir.join("missing")), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n as u32)
            .map(|i| {
                ((i.wrapping_mul(2654435761).wrapping_add(seed * 97)) % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// The dimensions of one (m x k) · (k x n) product.
    fn one(m: usize, k: usize, n: usize) -> MatmulDims {
        MatmulDims { batch: 1, m, n, k }
    }

    /// The layout of one (rows x cols) matrix, stored row-major or, `transposed`, as the
    /// row-major storage of its transpose.
    fn matrix(rows: usize, cols: usize, transposed: bool) -> Layout {
        if transposed {
            Layout::new(vec![1, rows, cols], vec![0, 1, rows as isize], 0)
        } else {
            Layout::contiguous(&[1, rows, cols])
        }
    }

    /// A · B in f64 by a plain triple loop over the matrices' storage, read through the last
    /// two strides and the offset of each layout: C row-major.
    fn reference(
        a: &[f32],
        la: &Layout,
        b: &[f32],
        lb: &Layout,
        (m, k, n): (usize, usize, usize),
    ) -> Vec<f64> {
        let element = |x: &[f32], l: &Layout, i: usize, j: usize| {
            let s = &l.strides()[l.strides().len() - 2..];
            x[(l.offset() as isize + i as isize * s[0] + j as isize * s[1]) as usize] as f64
        };
        let mut c = Vec::with_capacity(m * n);
        for i in 0..m {
            for j in 0..n {
                c.push(
                    (0..k)
                        .map(|p| element(a, la, i, p) * element(b, lb, p, j))
                        .sum(),
                );
            }
        }
        c
    }

    /// `a` is (m, k) and `b` is (k, n), each given with its strides, so transposed storage
    /// is exercised too.
    fn check(m: usize, k: usize, n: usize, a_t: bool, b_t: bool) {
        check_with(m, k, n, a_t, b_t, None);
    }

    /// `check` with an epilogue whose bias is a reversed, strided view:
    /// `bias[j] = long[2n - 2j]`, offset 2n, stride -2.
    fn check_with(m: usize, k: usize, n: usize, a_t: bool, b_t: bool, e: Option<Epilogue>) {
        let Some(ctx) = crate::gpu::test_context() else {
            return;
        };
        let (a, b) = (values(m * k, 1), values(k * n, 2));
        let long = values(2 * n + 1, 5);
        let lbias = Layout::new(vec![n], vec![-2], 2 * n);
        let gbias = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(&long)).unwrap();
        let la = matrix(m, k, a_t);
        let lb = matrix(k, n, b_t);
        let products = reference(&a, &la, &b, &lb, (m, k, n));
        let ga = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(&a)).unwrap();
        let gb = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(&b)).unwrap();
        let dims = one(m, k, n);
        let mut first: Option<(MatmulVariant, Vec<f32>)> = None;
        // Each kernel that takes this product itself; a variant that would hand it to another
        // would only repeat that one's run under its own name.
        for variant in MatmulVariant::available(&ctx) {
            if variant.runnable(&ctx, dims) != variant {
                continue;
            }
            let bias = e.map(|e| (e, &gbias, &lbias));
            let out = matmul_with(variant, &ga, &la, &gb, &lb, dims, bias).unwrap();
            let got: Vec<f32> = bytemuck::pod_collect_to_vec(&out.read_bytes(m * n).unwrap());
            // Every variant sums along K in the same order with fma, so switching variants
            // (as the background choice does) cannot change a result.
            match &first {
                Some((v0, want)) => assert!(
                    got == *want,
                    "{variant:?} and {v0:?} disagree on {m}x{k}x{n} (a_t={a_t}, b_t={b_t})"
                ),
                None => first = Some((variant, got.clone())),
            }
            for i in 0..m {
                for j in 0..n {
                    let dot = products[i * n + j];
                    let z = dot + long[2 * n - 2 * j] as f64;
                    let want = match e {
                        None => dot,
                        Some(Epilogue::Bias) => z,
                        Some(Epilogue::BiasRelu) => z.max(0.0),
                    };
                    let g = got[i * n + j] as f64;
                    assert!(
                        (g - want).abs() <= 1e-4 * (1.0 + (k as f64).sqrt()) + 1e-5 * want.abs(),
                        "{variant:?} {e:?} {m}x{k}x{n} (a_t={a_t}, b_t={b_t}) at ({i},{j}): got {g}, want {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn one_by_one() {
        check(1, 1, 1, false, false);
    }

    #[test]
    fn smaller_than_a_tile() {
        check(3, 5, 2, false, false);
    }

    #[test]
    fn seven_cubed() {
        check(7, 7, 7, false, false);
    }

    #[test]
    fn uneven_tiles() {
        check(130, 257, 65, false, false);
    }

    #[test]
    fn large_k() {
        check(1, 4096, 1, false, false);
    }

    #[test]
    fn mnist_forward_shapes() {
        check(128, 784, 512, false, false);
        check(128, 512, 10, false, false);
    }

    /// The dispatches `f` records, with other threads' dispatches held back (`exclusive`).
    fn dispatches_of(ctx: &GpuContext, f: impl FnOnce()) -> u64 {
        ctx.exclusive(|| {
            let before = ctx.counters().dispatches;
            f();
            ctx.counters().dispatches - before
        })
    }

    /// Which operands reach the texture kernel by a copy: those whose rows (A's rows or its
    /// columns) are contiguous and start on whole texels, with the storage the copy reads
    /// inside the buffer. The others go through a pack kernel: one more dispatch.
    #[test]
    fn texture_operands_copied_or_packed() {
        // A by columns (its transposed storage), A by rows, B packed, A packed (rows of 10).
        check(128, 40, 192, true, false);
        check(128, 40, 192, false, false);
        check(128, 40, 192, false, true);
        check(128, 10, 192, false, false);
        let Some(ctx) = crate::gpu::test_context() else {
            return;
        };
        if !MatmulVariant::available(&ctx).contains(&MatmulVariant::Texture) {
            eprintln!("COPIES NOT CHECKED: no texture kernel on {}", ctx.info.name);
            return;
        }
        let kb = 1 << 20;
        // A (m x k) by rows only where its columns cannot be copied.
        assert!(!texture::a_by_rows(&ctx, kb, 0, (128, 40), (1, 128)));
        assert!(texture::a_by_rows(&ctx, kb, 0, (128, 40), (40, 1)));
        assert!(!texture::a_by_rows(&ctx, kb, 0, (128, 10), (10, 1)));
        // Exactly what a copy reads, 4 + 4 * 40 + 38 floats rounded up to 204, fits; a float
        // less does not. An offset or a row stride off whole texels, rows that are not
        // contiguous, or a span over twice the matrix, are packed; one row is copied whatever
        // its stride.
        let copies =
            |bytes, offset, strides| texture::copies(&ctx, bytes, offset, (5, 38), strides);
        assert!(copies(204 * 4, 4, (40, 1)));
        assert!(!copies(203 * 4, 4, (40, 1)));
        assert!(!copies(kb, 2, (40, 1)));
        assert!(!copies(kb, 4, (42, 1)));
        assert!(!copies(kb, 4, (1, 5)));
        assert!(!copies(kb, 0, (400, 1)));
        assert!(texture::copies(&ctx, kb, 0, (1, 38), (3, 1)));
        let data = GpuStorage::upload(&ctx, "test", &[0; 4 * 128 * 40]).unwrap();
        let (a_rows, a_cols) = (matrix(128, 40, false), matrix(128, 40, true));
        let (b_rows, b_cols) = (matrix(40, 128, false), matrix(40, 128, true));
        let (a10, b10) = (matrix(128, 10, false), matrix(10, 128, false));
        // One product, plus one pack kernel per operand that is not copied; counted with other
        // threads' dispatches held back.
        for (la, lb, k, want) in [
            (&a_cols, &b_rows, 40, 1),
            (&a_rows, &b_rows, 40, 1),
            (&a_rows, &b_cols, 40, 2),
            (&a10, &b10, 10, 2),
        ] {
            let spent = dispatches_of(&ctx, || {
                let dims = one(128, k, 128);
                matmul_with(MatmulVariant::Texture, &data, la, &data, lb, dims, None).unwrap();
            });
            assert_eq!(spent, want, "{:?} {:?}", la.strides(), lb.strides());
        }
    }

    /// One (m x k) · (k x n) product of matrices stored at any offsets and strides, on the
    /// register and texture kernels, against an f64 reference and against each other, bit for
    /// bit.
    fn check_stored(dims: MatmulDims, (a, la): (&[f32], Layout), (b, lb): (&[f32], Layout)) {
        let Some(ctx) = crate::gpu::test_context() else {
            return;
        };
        let MatmulDims { m, n, k, .. } = dims;
        let products = reference(a, &la, b, &lb, (m, k, n));
        let ga = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(a)).unwrap();
        let gb = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(b)).unwrap();
        let mut results = vec![];
        for variant in [MatmulVariant::Register, MatmulVariant::Texture] {
            if !MatmulVariant::available(&ctx).contains(&variant) {
                eprintln!("NOT CHECKED: no {variant:?} kernel on {}", ctx.info.name);
                continue;
            }
            let out = matmul_with(variant, &ga, &la, &gb, &lb, dims, None).unwrap();
            let got: Vec<f32> = bytemuck::pod_collect_to_vec(&out.read_bytes(m * n).unwrap());
            for i in 0..m {
                for j in 0..n {
                    let want = products[i * n + j];
                    let g = got[i * n + j] as f64;
                    assert!(
                        (g - want).abs() < 1e-4,
                        "{variant:?} C[{i},{j}] {g} vs {want}"
                    );
                }
            }
            results.push(got);
        }
        if let [r, t] = &results[..] {
            assert!(r == t, "Register and Texture disagree");
        }
    }

    /// Small products take the texture kernel only where neither operand needs a pack kernel.
    #[test]
    fn texture_pays_for_small_products_only_when_copied() {
        let Some(ctx) = crate::gpu::test_context() else {
            return;
        };
        let data = GpuStorage::upload(&ctx, "test", &[0; 4 * 784 * 512]).unwrap();
        let pays = |m, k, n, a_t, b_t| {
            texture_pays(
                &data,
                &matrix(m, k, a_t),
                &data,
                &matrix(k, n, b_t),
                one(m, k, n),
            )
        };
        assert!(pays(8, 8, 8, false, false));
        assert!(pays(1, 784, 512, false, false));
        assert!(pays(32, 32, 32, true, false));
        // A's rows of 10 and 30 floats, B's columns: packed.
        assert!(!pays(32, 10, 32, false, false));
        assert!(!pays(20, 30, 40, false, false));
        assert!(!pays(20, 32, 40, false, true));
        // Large enough to pay for its packs.
        assert!(pays(128, 10, 512, false, true));
    }

    /// Copied operands at their edges: slices at an offset whose rows are longer than the
    /// matrix's (A by rows, 13 x 12 in a 16-float pitch; B 12 x 37 in a 40-float pitch, the
    /// copy ending at the buffer's last texel), spans that end part-way along a texture row,
    /// and K = 12 (a K % 8 tail of 4).
    #[test]
    fn texture_copies_at_their_edges() {
        let (m, k, n) = (13, 12, 37);
        let a = values(8 + m * 16, 3);
        let b = values(4 + k * 40, 4);
        if let Some(ctx) = crate::gpu::test_context() {
            let bytes = |x: &[f32]| (x.len() * 4) as u64;
            assert!(texture::a_by_rows(&ctx, bytes(&a), 8, (m, k), (16, 1)));
            assert!(texture::copies(&ctx, bytes(&b), 4, (k, n), (40, 1)));
        }
        let la = Layout::new(vec![m, k], vec![16, 1], 8);
        let lb = Layout::new(vec![k, n], vec![40, 1], 4);
        check_stored(one(m, k, n), (&a, la), (&b, lb));
    }

    /// The four-float pack kernels, at the edges they leave garbage in: a last texel part past
    /// the matrix, and (for column loads) a last group of fewer than four rows.
    #[test]
    fn quad_packs_at_their_edges() {
        let entry =
            |bytes, offset, strides| texture::pack_kernel(bytes, offset, strides).kernel.entry;
        assert_eq!(entry(4096, 0, (784, 1)), "pack_rows4");
        assert_eq!(entry(4096, 8, (1, 784)), "pack_columns4");
        assert_eq!(entry(4096, 2, (784, 1)), "pack_operand");
        assert_eq!(entry(4096, 0, (10, 1)), "pack_operand");
        assert_eq!(entry(4096, 0, (-4, 1)), "pack_operand");
        assert_eq!(entry(12, 0, (4, 1)), "pack_operand");
        // B stored transposed, by column loads, N % 4 != 0.
        check(130, 20, 66, false, true);
        check(132, 24, 66, true, true);
        // A, 37 x 5, whose columns are 400 floats apart from offset 4: too sparse to copy, so
        // A^T packs by row loads with 3 floats of each row's last texel past the matrix. B,
        // 5 x 13, stored transposed with rows 8 floats apart from offset 8: column loads,
        // with a last group of one row.
        let (m, k, n) = (37, 5, 13);
        let a = values(4 + k * 400, 3);
        let b = values(8 + n * 8, 4);
        if let Some(ctx) = crate::gpu::test_context() {
            let bytes = |x: &[f32]| (x.len() * 4) as u64;
            assert!(!texture::copies(&ctx, bytes(&a), 4, (k, m), (400, 1)));
            assert!(!texture::a_by_rows(&ctx, bytes(&a), 4, (m, k), (1, 400)));
            assert!(!texture::copies(&ctx, bytes(&b), 8, (k, n), (1, 8)));
        }
        assert_eq!(entry(4096, 4, (400, 1)), "pack_rows4");
        assert_eq!(entry(4096, 8, (1, 8)), "pack_columns4");
        let la = Layout::new(vec![m, k], vec![1, 400], 4);
        let lb = Layout::new(vec![k, n], vec![1, 8], 8);
        check_stored(one(m, k, n), (&a, la), (&b, lb));
    }

    #[test]
    fn mnist_backprop_transposed_operands() {
        // x^T · dy: (784 x 128) read from (128 x 784) storage.
        check(784, 128, 512, true, false);
        // dy · W^T: (128 x 10) · (10 x 512) with W stored (512 x 10).
        check(128, 10, 512, false, true);
        // h^T · dy for the 10-class layer, on the narrow kernel: (512 x 128) · (128 x 10).
        check(512, 128, 10, true, false);
    }

    #[test]
    fn narrow_takes_only_narrow_products() {
        assert!(narrow_fits(one(128, 512, 10)));
        assert!(narrow_fits(one(512, 128, 10)));
        assert!(narrow_fits(one(1, 1024, 16)));
        assert!(narrow_fits(one(1, 16384, 1)));
        // Too wide; B larger than the uniform block; batched; K = 0.
        assert!(!narrow_fits(one(128, 10, 512)));
        assert!(!narrow_fits(one(128, 10, 17)));
        assert!(!narrow_fits(one(1, 1025, 16)));
        let batched = MatmulDims {
            batch: 2,
            ..one(8, 8, 8)
        };
        assert!(!narrow_fits(batched));
        assert!(!narrow_fits(one(3, 0, 2)));
    }

    /// A row-major B reaches the narrow kernel's uniform block by a copy, a strided one
    /// through the pack kernel.
    #[test]
    fn narrow_b_copied_or_packed() {
        check(130, 70, 10, false, true);
        check(130, 70, 10, true, true);
        check_with(37, 9, 3, false, true, Some(Epilogue::BiasRelu));
        let Some(ctx) = crate::gpu::test_context() else {
            return;
        };
        let data = GpuStorage::upload(&ctx, "test", &[0; 4 * 130 * 70]).unwrap();
        let a = matrix(130, 70, false);
        let (b_rows, b_cols) = (matrix(70, 10, false), matrix(70, 10, true));
        let dims = one(130, 70, 10);
        for (lb, want) in [(&b_rows, 1), (&b_cols, 2)] {
            let spent = dispatches_of(&ctx, || {
                matmul_with(MatmulVariant::Narrow, &data, &a, &data, lb, dims, None).unwrap();
            });
            assert_eq!(spent, want, "{:?}", lb.strides());
        }
    }

    /// The bias and relu on every variant, in both launch orientations (the register kernel
    /// computes C^T for 128x10), with the bias a reversed, strided view.
    #[test]
    fn epilogue_on_every_variant() {
        for (m, k, n) in [(128, 64, 10), (130, 257, 65), (3, 5, 2)] {
            for e in [Epilogue::Bias, Epilogue::BiasRelu] {
                check_with(m, k, n, false, false, Some(e));
            }
        }
        check_with(784, 128, 512, true, false, Some(Epilogue::BiasRelu));
    }

    /// While one thread times kernels, another thread's dispatch waits for it to finish.
    #[test]
    fn timing_holds_back_other_threads() {
        let Some(ctx) = crate::gpu::test_context() else {
            return;
        };
        let a = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(&[1f32; 64])).unwrap();
        let l = Layout::contiguous(&[1, 8, 8]);
        let dims = one(8, 8, 8);
        let run = || {
            matmul_with(MatmulVariant::Register, &a, &l, &a, &l, dims, None).unwrap();
        };
        let read_done = std::sync::atomic::AtomicBool::new(false);
        let read = || {
            let bytes = a.read_bytes(64).unwrap();
            read_done.store(true, std::sync::atomic::Ordering::SeqCst);
            bytes
        };
        let (other, reader) = std::thread::scope(|scope| {
            let (other, reader) = ctx.exclusive(|| {
                let before = ctx.counters().dispatches;
                let other = scope.spawn(run);
                let reader = scope.spawn(read);
                std::thread::sleep(std::time::Duration::from_millis(300));
                // The gate lifts only when this closure returns, so no other thread's dispatch
                // (this test's, or another test's in this process) or readback can have been
                // recorded.
                assert_eq!(ctx.counters().dispatches, before);
                assert!(!read_done.load(std::sync::atomic::Ordering::SeqCst));
                run(); // this thread is not held back
                assert_eq!(ctx.counters().dispatches, before + 1);
                (other, reader)
            });
            (other.join(), reader.join())
        });
        assert!(other.is_ok());
        let ones: Vec<f32> = bytemuck::pod_collect_to_vec(&reader.expect("the reader thread"));
        assert_eq!(ones, vec![1.0; 64]);
    }

    #[test]
    fn empty_inner_dimension_gives_zeros() {
        let Some(ctx) = crate::gpu::test_context() else {
            return;
        };
        let a = GpuStorage::new(&ctx, "test", 0).unwrap();
        let la = Layout::contiguous(&[1, 3, 0]);
        let lb = Layout::contiguous(&[1, 0, 2]);
        let dims = one(3, 0, 2);
        for variant in MatmulVariant::available(&ctx) {
            let out = matmul_with(variant, &a, &la, &a, &lb, dims, None).unwrap();
            let got: Vec<f32> = bytemuck::pod_collect_to_vec(&out.read_bytes(6).unwrap());
            assert_eq!(got, vec![0.0; 6], "{variant:?}");
        }
    }
}
