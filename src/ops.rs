//! The element-wise operations, each defined once: a code shared with the WGSL kernels and a
//! scalar function that is the CPU path and the reference for parity tests.

/// Binary element-wise operations (operands broadcast with NumPy's rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
}

impl BinaryOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Maximum => "maximum",
        }
    }

    /// The op's code in `apply_binary` of `shaders/elementwise.wgsl`.
    pub(crate) fn code(self) -> u32 {
        self as u32
    }

    #[inline]
    pub(crate) fn apply(self, x: f32, y: f32) -> f32 {
        match self {
            BinaryOp::Add => x + y,
            BinaryOp::Sub => x - y,
            BinaryOp::Mul => x * y,
            BinaryOp::Div => x / y,
            BinaryOp::Maximum => x.max(y),
        }
    }
}

/// Unary element-wise operations, some with a scalar parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum UnaryOp {
    Relu,
    AddScalar(f32),
    MulScalar(f32),
    Powf(f32),
    Exp,
    Ln,
}

impl UnaryOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            UnaryOp::Relu => "relu",
            UnaryOp::AddScalar(_) => "add_scalar",
            UnaryOp::MulScalar(_) => "mul_scalar",
            UnaryOp::Powf(_) => "powf",
            UnaryOp::Exp => "exp",
            UnaryOp::Ln => "ln",
        }
    }

    /// The op's code in `apply_unary` of `shaders/elementwise.wgsl` (0 is the identity).
    pub(crate) fn code(self) -> u32 {
        match self {
            UnaryOp::Relu => 1,
            UnaryOp::AddScalar(_) => 2,
            UnaryOp::MulScalar(_) => 3,
            UnaryOp::Powf(_) => 4,
            UnaryOp::Exp => 5,
            UnaryOp::Ln => 6,
        }
    }

    pub(crate) fn scalar(self) -> f32 {
        match self {
            UnaryOp::AddScalar(s) | UnaryOp::MulScalar(s) | UnaryOp::Powf(s) => s,
            _ => 0.0,
        }
    }

    #[inline]
    pub(crate) fn apply(self, x: f32) -> f32 {
        match self {
            UnaryOp::Relu => x.max(0.0),
            UnaryOp::AddScalar(s) => x + s,
            UnaryOp::MulScalar(s) => x * s,
            UnaryOp::Powf(s) => x.powf(s),
            UnaryOp::Exp => x.exp(),
            UnaryOp::Ln => x.ln(),
        }
    }
}

/// Reductions along one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReduceOp {
    Sum,
    Max,
    ArgMax,
}

impl ReduceOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum_axis",
            ReduceOp::Max => "max_axis",
            ReduceOp::ArgMax => "argmax_axis",
        }
    }

    /// The op's code in `shaders/reduce.wgsl`.
    pub(crate) fn code(self) -> u32 {
        self as u32
    }
}

/// The sizes of a batched matrix product: `batch` products of (m, k) by (k, n).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatmulDims {
    pub(crate) batch: usize,
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) k: usize,
}
