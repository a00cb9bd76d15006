//! Typed kernel parameters. Each kernel family's parameter block is a `#[repr(C)]` Rust struct
//! declared with [`params!`], mirrored field for field by a WGSL struct of the same name at
//! binding 0 of its shaders; `tests.rs` checks every struct's size and field offsets against
//! what naga reads from the WGSL, and every dispatch checks the size.
//!
//! WGSL lays out a uniform struct by its own rules (a vec4's 16-byte alignment, array strides of
//! 16 bytes), so the Rust structs spell out padding (`_pad` fields) and pack arrays of u32 as
//! the WGSL's arrays of vec4.

use crate::layout::Layout;
use crate::{Error, Result};

#[cfg(test)]
mod tests;

/// The most axes a strided view has in a kernel's parameters, after `Layout::merged` has
/// dropped axes of length 1 and merged contiguous ones (`dims` and `strides` in
/// shaders/strided.wgsl hold 4 vec4s).
pub(crate) const MAX_RANK: usize = 16;

/// A field of a parameter struct, as the layout test compares it with the WGSL.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) offset: usize,
    pub(crate) size: usize,
}

/// A parameter struct and the WGSL struct it mirrors.
#[cfg(test)]
pub(crate) trait Params: bytemuck::Pod {
    /// The WGSL struct's name (the Rust struct's).
    const WGSL_NAME: &'static str;
    fn fields() -> Vec<Field>;
}

/// Declares a parameter struct: `#[repr(C)]`, `Pod`, with its field list for the layout test.
macro_rules! params {
    ($(#[$meta:meta])* $vis:vis struct $name:ident {
        $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)?
    }) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
        $vis struct $name {
            $($(#[$fmeta])* pub(crate) $field: $ty),*
        }

        #[cfg(test)]
        impl $crate::gpu::params::Params for $name {
            const WGSL_NAME: &'static str = stringify!($name);
            fn fields() -> Vec<$crate::gpu::params::Field> {
                vec![$($crate::gpu::params::Field {
                    name: stringify!($field),
                    offset: std::mem::offset_of!($name, $field),
                    size: std::mem::size_of::<$ty>(),
                }),*]
            }
        }
    };
}
pub(crate) use params;

params! {
    /// A shape of at most `MAX_RANK` axes, and its element count.
    pub(crate) struct Shape {
        rank: u32,
        len: u32,
        _pad0: u32,
        _pad1: u32,
        dims: [u32; MAX_RANK],
    }
}

params! {
    /// Where a view's elements sit in its buffer, in 32-bit elements.
    pub(crate) struct View {
        offset: u32,
        contiguous: u32,
        _pad0: u32,
        _pad1: u32,
        strides: [i32; MAX_RANK],
    }
}

params! {
    /// Two views walked in one shape: the element-wise kernels' inputs, or a copy's source and
    /// destination (shaders/strided.wgsl).
    pub(crate) struct StridedParams {
        shape: Shape,
        views: [View; 2],
        scalar: f32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

/// `value` as a u32 parameter, or an error naming what did not fit (`what` says in what
/// unit).
pub(crate) fn word(op: &'static str, what: &'static str, value: usize) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::LimitExceeded {
        op,
        what,
        requested: value as u64,
        limit: u64::from(u32::MAX),
        unit: "",
    })
}

/// `value` as an i32 parameter (a stride), or an error.
pub(crate) fn signed(op: &'static str, what: &'static str, value: isize) -> Result<i32> {
    i32::try_from(value).map_err(|_| Error::LimitExceeded {
        op,
        what,
        requested: value.unsigned_abs() as u64,
        limit: i32::MAX as u64,
        unit: "",
    })
}

impl Shape {
    fn new(op: &'static str, shape: &[usize]) -> Result<Shape> {
        if shape.len() > MAX_RANK {
            return Err(Error::LimitExceeded {
                op,
                what: "a view's rank after merging its axes",
                requested: shape.len() as u64,
                limit: MAX_RANK as u64,
                unit: "axes",
            });
        }
        let mut dims = [0; MAX_RANK];
        for (d, &n) in dims.iter_mut().zip(shape) {
            *d = word(op, "an axis", n)?;
        }
        Ok(Shape {
            rank: shape.len() as u32,
            len: word(op, "elements of a view", shape.iter().product())?,
            _pad0: 0,
            _pad1: 0,
            dims,
        })
    }
}

impl View {
    /// The view `layout`, whose rank the caller has checked.
    fn new(op: &'static str, layout: &Layout) -> Result<View> {
        let mut strides = [0; MAX_RANK];
        for (s, &n) in strides.iter_mut().zip(layout.strides()) {
            *s = signed(op, "a stride", n)?;
        }
        Ok(View {
            offset: word(op, "a view's offset", layout.offset())?,
            contiguous: u32::from(layout.is_contiguous()),
            _pad0: 0,
            _pad1: 0,
            strides,
        })
    }
}

/// The shape and views of layouts of one shape walked together (at most two), merged first so
/// that only axes that cannot merge count against `MAX_RANK`.
pub(crate) fn walk(op: &'static str, layouts: &[&Layout]) -> Result<(Shape, Vec<View>)> {
    let merged = Layout::merged(layouts);
    let shape = match merged.first() {
        Some(l) => Shape::new(op, l.shape())?,
        None => Shape::new(op, &[])?,
    };
    let views = merged
        .iter()
        .map(|l| View::new(op, l))
        .collect::<Result<Vec<View>>>()?;
    Ok((shape, views))
}

impl StridedParams {
    /// The parameters of an element-wise or copy kernel over `layouts` (one or two views of one
    /// shape), with `scalar`.
    pub(crate) fn new(op: &'static str, layouts: &[&Layout], scalar: f32) -> Result<Self> {
        let (shape, views) = walk(op, layouts)?;
        let mut both = [bytemuck::Zeroable::zeroed(); 2];
        for (slot, v) in both.iter_mut().zip(views) {
            *slot = v;
        }
        Ok(StridedParams {
            shape,
            views: both,
            scalar,
            _pad0: 0,
            _pad1: 0,
            _pad2: 0,
        })
    }
}
