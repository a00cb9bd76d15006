//! Element types.

use std::fmt;

/// The element type of a [`Tensor`](crate::Tensor): `F32` for computation, `U32` for labels and
/// indices.
///
/// ```
/// use tensorgears::{DType, Device, Tensor};
/// let labels = Tensor::from_vec_u32(vec![1, 2], &[2], &Device::cpu())?;
/// assert_eq!(labels.dtype(), DType::U32);
/// assert_eq!(DType::F32.to_string(), "float32"); // NumPy's name
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit float.
    F32,
    /// 32-bit unsigned integer.
    U32,
}

impl DType {
    /// Bytes per element (both dtypes are four bytes wide).
    ///
    /// ```
    /// use tensorgears::DType;
    /// assert_eq!(DType::F32.size_in_bytes(), 4);
    /// assert_eq!(DType::U32.size_in_bytes(), 4);
    /// ```
    pub fn size_in_bytes(self) -> usize {
        4
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DType::F32 => "float32",
            DType::U32 => "uint32",
        })
    }
}
