//! The one error type of the crate.

use crate::DType;

/// Everything that can go wrong in tensorgears. Nothing a caller passes in panics: it comes back
/// as one of these variants, each carrying the values needed to see what was wrong.
///
/// ```
/// use tensorgears::{Device, Error, Tensor};
/// let dev = Device::cpu();
/// let err = Tensor::zeros(&[2, 3], &dev)?.add(&Tensor::zeros(&[4], &dev)?).unwrap_err();
/// assert_eq!(err, Error::ShapeMismatch { op: "add", lhs: vec![2, 3], rhs: vec![4] });
/// assert_eq!(err.to_string(), "add: shapes [2, 3] and [4] are not compatible");
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Two shapes that the operation cannot combine (NumPy's broadcasting rules, or a matrix
    /// product whose inner dimensions differ).
    #[error("{op}: shapes {lhs:?} and {rhs:?} are not compatible")]
    ShapeMismatch {
        /// The operation that failed.
        op: &'static str,
        /// Shape of the left operand.
        lhs: Vec<usize>,
        /// Shape of the right operand.
        rhs: Vec<usize>,
    },
    /// The operands live on different devices; tensorgears never copies silently.
    #[error("{op}: operands are on different devices ({lhs} and {rhs}); move one with to_device")]
    DeviceMismatch {
        /// The operation that failed.
        op: &'static str,
        /// Device of the left operand.
        lhs: String,
        /// Device of the right operand.
        rhs: String,
    },
    /// An operand has the wrong element type.
    #[error("{op}: expected a {expected} tensor, got {got}")]
    DTypeMismatch {
        /// The operation that failed.
        op: &'static str,
        /// The dtype the operation needs.
        expected: DType,
        /// The dtype it was given.
        got: DType,
    },
    /// The number of elements given does not match the shape.
    #[error("{op}: {got} elements given, but shape {shape:?} holds {expected}")]
    ElementCount {
        /// The constructor that failed.
        op: &'static str,
        /// The requested shape.
        shape: Vec<usize>,
        /// Elements the shape holds.
        expected: usize,
        /// Elements that were given.
        got: usize,
    },
    /// A reshape to a shape with a different number of elements.
    #[error("cannot reshape {len} elements into {shape:?} (from {from:?})")]
    Reshape {
        /// The tensor's current shape.
        from: Vec<usize>,
        /// Its number of elements.
        len: usize,
        /// The requested shape.
        shape: Vec<usize>,
    },
    /// An axis index that is not below the tensor's rank.
    #[error("{op}: axis {axis} is out of range for a tensor of rank {ndim}")]
    AxisOutOfRange {
        /// The operation that failed.
        op: &'static str,
        /// The axis asked for.
        axis: usize,
        /// The tensor's rank.
        ndim: usize,
    },
    /// Any other argument the operation cannot accept.
    #[error("{op}: {msg}")]
    InvalidArgument {
        /// The operation that failed.
        op: &'static str,
        /// What was wrong with it.
        msg: String,
    },
    /// No GPU adapter could be opened.
    #[error(
        "no GPU adapter found ({reason}). Install a GPU driver with Vulkan, Metal or DX12 support; \
         on headless Linux a software Vulkan driver works: `apt-get install mesa-vulkan-drivers` (lavapipe)"
    )]
    NoAdapter {
        /// What wgpu reported.
        reason: String,
    },
    /// The adapter exists but a device could not be created on it.
    #[error("cannot open a device on GPU adapter {adapter}: {reason}")]
    DeviceRequest {
        /// The adapter's name.
        adapter: String,
        /// What wgpu reported.
        reason: String,
    },
    /// A device ran out of memory (for the GPU, after freeing everything its pool held idle).
    #[error("out of memory on {device} while allocating {bytes} bytes")]
    OutOfMemory {
        /// The size of the allocation that failed.
        bytes: u64,
        /// Which device: "the CPU" or "the GPU".
        device: String,
    },
    /// A size beyond what the device or the kernels allow: a buffer past the binding limit, a
    /// dispatch past the workgroup limit, a view with more axes than kernels walk.
    #[error("{op}: {what} of {requested}{u} exceeds the limit of {limit}{u}", u = spaced(unit))]
    LimitExceeded {
        /// The operation that failed.
        op: &'static str,
        /// Which limit was hit.
        what: &'static str,
        /// The size requested.
        requested: u64,
        /// The limit.
        limit: u64,
        /// What both count: "bytes", "workgroups", "axes", "texels"; empty for a plain number.
        unit: &'static str,
    },
    /// A data file is missing, unreadable, malformed or fails its checksum.
    #[error("{file}: {msg}")]
    Data {
        /// The file (or directory) concerned.
        file: String,
        /// What is wrong with it.
        msg: String,
    },
    /// A download failed.
    #[error("downloading {url}: {msg}")]
    Download {
        /// The address.
        url: String,
        /// What went wrong.
        msg: String,
    },
    /// The device cannot do what was asked (profiling kernels without timestamp queries, ...).
    #[error("{op}: {reason}")]
    Unsupported {
        /// The operation that failed.
        op: &'static str,
        /// What the device lacks.
        reason: String,
    },
    /// The GPU reported an error (validation, lost device, failed mapping).
    #[error("GPU error: {0}")]
    Gpu(String),
}

/// A unit after its number, or nothing.
fn spaced(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

/// `Result` with the crate's [`Error`].
///
/// ```
/// use tensorgears::{Device, Result, Tensor};
/// fn double(x: &Tensor) -> Result<Vec<f32>> {
///     x.mul_scalar(2.0)?.to_vec()
/// }
/// assert_eq!(double(&Tensor::ones(&[2], &Device::cpu())?)?, vec![2., 2.]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
pub type Result<T> = std::result::Result<T, Error>;
