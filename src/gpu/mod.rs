//! The GPU backend: buffers on a wgpu device and the launchers of the WGSL kernels.

/// The WGSL source of `shaders/$file` (several files are joined in order) with
/// `shaders/prelude.wgsl` (the parameter block and the folded invocation index every kernel
/// uses) in front: WGSL has no includes, and shared code is declared once.
macro_rules! shader {
    ($($file:literal),+) => {
        concat!(
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/prelude.wgsl")),
            $(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $file))),+
        )
    };
}

mod bindings;
mod context;
pub(crate) mod data;
pub(crate) mod loss;
pub(crate) mod matmul;
pub(crate) mod optimizer;
pub mod profiler;
pub(crate) mod reduce;

use std::sync::Arc;

pub(crate) use context::GpuContext;
use context::{fold_workgroups, Kernel};

use crate::layout::Layout;
use crate::ops::{BinaryOp, UnaryOp};
use crate::{Error, Result};

const ELEMENTWISE: &str = shader!("elementwise.wgsl");
const COPY: &str = shader!("copy.wgsl");

const fn kernel(file: &'static str, source: &'static str, entry: &'static str) -> Kernel {
    Kernel {
        file,
        source,
        entry,
    }
}

const UNARY: Kernel = kernel("elementwise.wgsl", ELEMENTWISE, "unary");
const BINARY: Kernel = kernel("elementwise.wgsl", ELEMENTWISE, "binary");
const BINARY4: Kernel = kernel("elementwise.wgsl", ELEMENTWISE, "binary4");
const FILL: Kernel = kernel("elementwise.wgsl", ELEMENTWISE, "fill");
const STRIDED_COPY: Kernel = kernel("copy.wgsl", COPY, "strided_copy");

/// Threads per workgroup of the element-wise kernels (`WG` in their WGSL).
const WG: u32 = 256;

/// A buffer of `len` 32-bit elements on one device. Dropping it returns the buffer to the
/// device's pool.
pub(crate) struct GpuStorage {
    ctx: Arc<GpuContext>,
    buffer: Option<wgpu::Buffer>,
    len: usize,
}

impl Drop for GpuStorage {
    fn drop(&mut self) {
        if let Some(b) = self.buffer.take() {
            self.ctx.release(b);
        }
    }
}

impl GpuStorage {
    fn new(ctx: &Arc<GpuContext>, op: &'static str, len: usize) -> Result<Self> {
        let buffer = ctx.alloc(op, bytes_of(op, len)?)?;
        Ok(GpuStorage {
            ctx: ctx.clone(),
            buffer: Some(buffer),
            len,
        })
    }

    pub(crate) fn upload(ctx: &Arc<GpuContext>, op: &'static str, words: &[u8]) -> Result<Self> {
        Ok(GpuStorage {
            ctx: ctx.clone(),
            buffer: Some(ctx.upload(op, words)?),
            len: words.len() / 4,
        })
    }

    pub(crate) fn buffer(&self) -> &wgpu::Buffer {
        // Only `drop` takes the buffer out.
        self.buffer
            .as_ref()
            .expect("GpuStorage buffer present until drop")
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The first `len` elements, as raw bytes, after all recorded work has run.
    pub(crate) fn read_bytes(&self, len: usize) -> Result<Vec<u8>> {
        self.ctx.read(self.buffer(), (len * 4) as u64)
    }
}

fn bytes_of(op: &'static str, len: usize) -> Result<u64> {
    (len as u64).checked_mul(4).ok_or(Error::LimitExceeded {
        op,
        what: "a buffer",
        requested: u64::MAX,
        limit: u64::MAX,
    })
}

/// The info words of `shaders/elementwise.wgsl` and `shaders/copy.wgsl`.
fn strided_info(op: u32, scalar: f32, shape: &[usize], inputs: &[&Layout]) -> Vec<u32> {
    let n: usize = shape.iter().product();
    let mut info = vec![
        n as u32,
        shape.len() as u32,
        op,
        scalar.to_bits(),
        0,
        0,
        0,
        0,
    ];
    info.extend(shape.iter().map(|&d| d as u32));
    for l in inputs {
        info.push(l.offset() as u32);
        info.push(u32::from(l.is_contiguous()));
        info.extend(l.strides().iter().map(|&s| s as i32 as u32));
    }
    info
}

pub(crate) fn check_span(op: &'static str, storage: &GpuStorage, layout: &Layout) -> Result<()> {
    let (_, end) = layout.span();
    if end > storage.len().max(1) && layout.len() > 0 {
        return Err(Error::InvalidArgument {
            op,
            msg: format!(
                "view reaches element {end} of a buffer of {}",
                storage.len()
            ),
        });
    }
    Ok(())
}

/// Dispatches `kernel` over `n` elements, one invocation each.
fn launch(
    ctx: &GpuContext,
    kernel: Kernel,
    info: &[u32],
    buffers: &[(u32, &wgpu::Buffer)],
    n: usize,
) -> Result<()> {
    launch_groups(ctx, kernel, info, buffers, n.div_ceil(WG as usize))
}

/// Dispatches `groups` workgroups, folded into two dimensions when one would exceed the limit.
fn launch_groups(
    ctx: &GpuContext,
    kernel: Kernel,
    info: &[u32],
    buffers: &[(u32, &wgpu::Buffer)],
    groups: usize,
) -> Result<()> {
    if groups == 0 {
        return Ok(());
    }
    let max = ctx.limits.max_compute_workgroups_per_dimension as u64;
    if groups as u64 > max * max {
        return Err(Error::LimitExceeded {
            op: kernel.entry,
            what: "a dispatch (in workgroups)",
            requested: groups as u64,
            limit: max * max,
        });
    }
    ctx.dispatch(
        kernel,
        info,
        buffers,
        fold_workgroups(groups as u32, max as u32),
    )
}

pub(crate) fn unary(op: UnaryOp, x: &GpuStorage, layout: &Layout) -> Result<GpuStorage> {
    check_span(op.name(), x, layout)?;
    let n = layout.len();
    let out = GpuStorage::new(&x.ctx, op.name(), n)?;
    let info = strided_info(op.code(), op.scalar(), layout.shape(), &[layout]);
    launch(
        &x.ctx,
        UNARY,
        &info,
        &[(1, x.buffer()), (3, out.buffer())],
        n,
    )?;
    Ok(out)
}

/// `lhs op rhs` where both layouts are already broadcast to the output shape.
pub(crate) fn binary(
    op: BinaryOp,
    lhs: &GpuStorage,
    lhs_layout: &Layout,
    rhs: &GpuStorage,
    rhs_layout: &Layout,
) -> Result<GpuStorage> {
    check_span(op.name(), lhs, lhs_layout)?;
    check_span(op.name(), rhs, rhs_layout)?;
    let n = lhs_layout.len();
    let out = GpuStorage::new(&lhs.ctx, op.name(), n)?;
    let info = strided_info(
        op.code(),
        0.0,
        lhs_layout.shape(),
        &[lhs_layout, rhs_layout],
    );
    let quads = |l: &Layout| l.is_contiguous() && l.offset().is_multiple_of(4);
    if n.is_multiple_of(4) && quads(lhs_layout) && quads(rhs_layout) {
        let buffers = [(4, lhs.buffer()), (5, rhs.buffer()), (6, out.buffer())];
        launch(&lhs.ctx, BINARY4, &info, &buffers, n / 4)?;
    } else {
        let buffers = [(1, lhs.buffer()), (2, rhs.buffer()), (3, out.buffer())];
        launch(&lhs.ctx, BINARY, &info, &buffers, n)?;
    }
    Ok(out)
}

pub(crate) fn fill(ctx: &Arc<GpuContext>, len: usize, value: f32) -> Result<GpuStorage> {
    let out = GpuStorage::new(ctx, "fill", len)?;
    let info = strided_info(0, value, &[len], &[]);
    launch(ctx, FILL, &info, &[(3, out.buffer())], len)?;
    Ok(out)
}

/// A contiguous copy of the view `layout` of `x`, for any 32-bit dtype.
pub(crate) fn contiguous(x: &GpuStorage, layout: &Layout) -> Result<GpuStorage> {
    check_span("contiguous", x, layout)?;
    let n = layout.len();
    let out = GpuStorage::new(&x.ctx, "contiguous", n)?;
    let dst = Layout::contiguous(layout.shape());
    let info = strided_info(0, 0.0, layout.shape(), &[layout, &dst]);
    launch(
        &x.ctx,
        STRIDED_COPY,
        &info,
        &[(1, x.buffer()), (2, out.buffer())],
        n,
    )?;
    Ok(out)
}

/// Writes the view `src_layout` of `src` into the view `dst_layout` of `dst`, in place.
pub(crate) fn assign(
    dst: &GpuStorage,
    dst_layout: &Layout,
    src: &GpuStorage,
    src_layout: &Layout,
) -> Result<()> {
    check_span("assign", dst, dst_layout)?;
    check_span("assign", src, src_layout)?;
    if std::ptr::eq(dst, src) {
        // One buffer cannot be bound for reading and writing in one dispatch.
        let copy = contiguous(src, src_layout)?;
        return assign(
            dst,
            dst_layout,
            &copy,
            &Layout::contiguous(src_layout.shape()),
        );
    }
    let info = strided_info(0, 0.0, src_layout.shape(), &[src_layout, dst_layout]);
    launch(
        &dst.ctx,
        STRIDED_COPY,
        &info,
        &[(1, src.buffer()), (2, dst.buffer())],
        src_layout.len(),
    )
}

/// The GPU context for unit tests, or `None` (with a line saying so) where
/// `TENSORGEARS_ALLOW_NO_GPU=1` and no adapter exists; without it, a missing adapter fails.
#[cfg(test)]
pub(crate) fn test_context() -> Option<Arc<GpuContext>> {
    match crate::Device::gpu() {
        Ok(d) => d.gpu_context().cloned(),
        Err(e) if std::env::var("TENSORGEARS_ALLOW_NO_GPU").as_deref() == Ok("1") => {
            eprintln!("GPU TEST NOT RUN (TENSORGEARS_ALLOW_NO_GPU=1): {e}");
            None
        }
        Err(e) => panic!("no GPU adapter for the GPU tests: {e}"),
    }
}
