//! The element-wise operations, each defined once: a code shared with the WGSL kernels and a
//! scalar function that is the CPU path and the reference for parity tests.

/// `max(x, 0)`, NaN for NaN as in NumPy's `maximum(x, 0)` (Rust's `f32::max` would give 0).
#[inline]
pub(crate) fn relu(x: f32) -> f32 {
    if x.is_nan() || x > 0.0 {
        x
    } else {
        0.0
    }
}

/// `f(x, y)`, or NaN when either is NaN, as NumPy's `maximum` and `minimum` propagate it (Rust's
/// `f32::max` and `f32::min` return the other operand).
#[inline]
fn nan_or(x: f32, y: f32, f: fn(f32, f32) -> f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        f32::NAN
    } else {
        f(x, y)
    }
}

/// The larger of two values, NaN if either is (NumPy's `maximum`): what every max reduction
/// folds with.
#[inline]
pub(crate) fn max_nan(x: f32, y: f32) -> f32 {
    nan_or(x, y, f32::max)
}

/// Binary element-wise operations (operands broadcast with NumPy's rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    /// 1 where `x >= y`, else 0: the mask that routes the gradient of `maximum`.
    GreaterEqual,
    /// `x` where `y > 0`, else 0: relu's backward, the gradient `x` masked by relu's input or
    /// output `y`, in one pass instead of a mask kernel and a product.
    ReluGrad,
    Minimum,
}

impl BinaryOp {
    /// Every op, in the order of their codes.
    pub(crate) const ALL: [BinaryOp; 8] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Maximum,
        BinaryOp::GreaterEqual,
        BinaryOp::ReluGrad,
        BinaryOp::Minimum,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Maximum => "maximum",
            BinaryOp::GreaterEqual => "greater_equal",
            BinaryOp::ReluGrad => "relu_grad",
            BinaryOp::Minimum => "minimum",
        }
    }

    /// The op's code in `apply_binary` of `shaders/elementwise.wgsl` (from 1: the kernel's
    /// default, 0, is no op).
    pub(crate) const fn code(self) -> u32 {
        match self {
            BinaryOp::Add => 1,
            BinaryOp::Sub => 2,
            BinaryOp::Mul => 3,
            BinaryOp::Div => 4,
            BinaryOp::Maximum => 5,
            BinaryOp::GreaterEqual => 6,
            BinaryOp::ReluGrad => 7,
            BinaryOp::Minimum => 8,
        }
    }

    #[inline]
    pub(crate) fn apply(self, x: f32, y: f32) -> f32 {
        match self {
            BinaryOp::Add => x + y,
            BinaryOp::Sub => x - y,
            BinaryOp::Mul => x * y,
            BinaryOp::Div => x / y,
            BinaryOp::Maximum => nan_or(x, y, f32::max),
            BinaryOp::Minimum => nan_or(x, y, f32::min),
            BinaryOp::GreaterEqual => f32::from(u8::from(x >= y)),
            BinaryOp::ReluGrad => {
                if y > 0.0 {
                    x
                } else {
                    0.0
                }
            }
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
    /// `1 / (1 + e^-x)`, the logistic function.
    Sigmoid,
    Tanh,
}

impl UnaryOp {
    /// Every op, in the order of their codes, those with a scalar given a sample one.
    pub(crate) const ALL: [UnaryOp; 8] = [
        UnaryOp::Relu,
        UnaryOp::AddScalar(0.5),
        UnaryOp::MulScalar(-1.5),
        UnaryOp::Powf(3.0),
        UnaryOp::Exp,
        UnaryOp::Ln,
        UnaryOp::Sigmoid,
        UnaryOp::Tanh,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            UnaryOp::Relu => "relu",
            UnaryOp::AddScalar(_) => "add_scalar",
            UnaryOp::MulScalar(_) => "mul_scalar",
            UnaryOp::Powf(_) => "powf",
            UnaryOp::Exp => "exp",
            UnaryOp::Ln => "ln",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Tanh => "tanh",
        }
    }

    /// The op's code in `apply_unary` of `shaders/elementwise.wgsl` (from 1: the kernel's
    /// default, 0, is no op).
    pub(crate) const fn code(self) -> u32 {
        match self {
            UnaryOp::Relu => 1,
            UnaryOp::AddScalar(_) => 2,
            UnaryOp::MulScalar(_) => 3,
            UnaryOp::Powf(_) => 4,
            UnaryOp::Exp => 5,
            UnaryOp::Ln => 6,
            UnaryOp::Sigmoid => 7,
            UnaryOp::Tanh => 8,
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
            UnaryOp::Relu => relu(x),
            UnaryOp::AddScalar(s) => x + s,
            UnaryOp::MulScalar(s) => x * s,
            UnaryOp::Powf(s) => x.powf(s),
            UnaryOp::Exp => x.exp(),
            UnaryOp::Ln => x.ln(),
            UnaryOp::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            UnaryOp::Tanh => x.tanh(),
        }
    }
}

// `ALL` lists each op once, in code order: the every-op parity test walks it.
const _: () = {
    let mut i = 0;
    while i < UnaryOp::ALL.len() {
        assert!(UnaryOp::ALL[i].code() as usize == i + 1);
        i += 1;
    }
    let mut i = 0;
    while i < BinaryOp::ALL.len() {
        assert!(BinaryOp::ALL[i].code() as usize == i + 1);
        i += 1;
    }
};

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

/// What a matrix product applies to each element of its result as it stores it: `Dense`'s
/// bias (along the last axis) and activation, fused into the product so that they cost no
/// pass of their own over the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Epilogue {
    Bias,
    BiasRelu,
}

impl Epilogue {
    /// The mode word of `epilogue` in `shaders/matmul_common.wgsl` (0 is none).
    pub(crate) fn code(self) -> u32 {
        match self {
            Epilogue::Bias => 1,
            Epilogue::BiasRelu => 2,
        }
    }

    #[inline]
    pub(crate) fn apply(self, product: f32, bias: f32) -> f32 {
        match self {
            Epilogue::Bias => product + bias,
            Epilogue::BiasRelu => relu(product + bias),
        }
    }
}

/// One in-place optimizer update: `w`, its gradient `g` and its state `s`, element by element.
/// The formulas, shared by `shaders/optimizer.wgsl` and the CPU:
/// - `Sgd`: `s = momentum * s - lr * g; w += s` (with momentum 0 this is `w -= lr * g`);
/// - `RmsProp`: `s = rho * s + (1 - rho) * g^2; w -= lr * g / (sqrt(s) + epsilon)`;
/// - `Adam`, with the state `[m; v]` (two elements per weight) and `lr` already bias-corrected
///   for the step: `m += (g - m) * (1 - beta1); v += (g^2 - v) * (1 - beta2);
///   w -= lr * m / (sqrt(v) + epsilon)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum OptimizerStep {
    Sgd {
        lr: f32,
        momentum: f32,
    },
    RmsProp {
        lr: f32,
        rho: f32,
        epsilon: f32,
    },
    Adam {
        lr: f32,
        beta1: f32,
        beta2: f32,
        epsilon: f32,
    },
}

impl OptimizerStep {
    /// The state's elements for a parameter of `len`.
    pub(crate) fn state_len(self, len: usize) -> usize {
        match self {
            OptimizerStep::Adam { .. } => 2 * len,
            _ => len,
        }
    }
}
