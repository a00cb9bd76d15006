//! Element-wise operations, with NumPy broadcasting for the binary ones.

use crate::autograd::Op;
use crate::layout::broadcast_shapes;
use crate::ops::{BinaryOp, UnaryOp};
use crate::{DType, Layout, Result, Tensor};

impl Tensor {
    pub(crate) fn binary(&self, rhs: &Tensor, op: BinaryOp) -> Result<Tensor> {
        let name = op.name();
        self.check_same_device(name, rhs)?;
        for t in [self, rhs] {
            if t.dtype() != DType::F32 {
                return Err(t.dtype_error(name, DType::F32));
            }
        }
        let shape = broadcast_shapes(name, self.shape(), rhs.shape())?;
        let ll = self.layout().broadcast_to(name, &shape)?;
        let rl = rhs.layout().broadcast_to(name, &shape)?;
        let storage = self.storage().binary(op, &ll, rhs.storage(), &rl)?;
        let out = Tensor::from_storage(
            storage,
            Layout::contiguous(&shape),
            DType::F32,
            self.device().clone(),
        );
        Ok(out.record(&[self, rhs], || Op::Binary(op, self.clone(), rhs.clone())))
    }

    pub(crate) fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        if self.dtype() != DType::F32 {
            return Err(self.dtype_error(op.name(), DType::F32));
        }
        let storage = self.storage().unary(op, self.layout())?;
        let out = Tensor::from_storage(
            storage,
            Layout::contiguous(self.shape()),
            DType::F32,
            self.device().clone(),
        );
        let value = out.clone();
        Ok(out.record(&[self], || Op::Unary(op, self.clone(), value)))
    }

    /// `self + rhs`, broadcasting either side.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::zeros(&[32, 10], &dev)?;
    /// let y = Tensor::ones(&[10], &dev)?;
    /// assert_eq!(x.add(&y)?.shape(), &[32, 10]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn add(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Add)
    }

    /// `self - rhs`, broadcasting either side.
    pub fn sub(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Sub)
    }

    /// `self * rhs` element by element, broadcasting either side.
    pub fn mul(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Mul)
    }

    /// `self / rhs` element by element, broadcasting either side.
    pub fn div(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Div)
    }

    /// The larger of `self` and `rhs` element by element (NumPy's `maximum`), broadcasting.
    pub fn maximum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Maximum)
    }

    /// `max(x, 0)`.
    pub fn relu(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Relu)
    }

    /// `x + s`.
    pub fn add_scalar(&self, s: f32) -> Result<Tensor> {
        self.unary(UnaryOp::AddScalar(s))
    }

    /// `x * s`.
    pub fn mul_scalar(&self, s: f32) -> Result<Tensor> {
        self.unary(UnaryOp::MulScalar(s))
    }

    /// `x^p` with NumPy's rules: a negative base with an integral exponent is fine, with a
    /// fractional one it gives NaN.
    pub fn powf(&self, p: f32) -> Result<Tensor> {
        self.unary(UnaryOp::Powf(p))
    }

    /// `e^x`.
    pub fn exp(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Exp)
    }

    /// The natural logarithm (NaN below zero, -inf at zero).
    pub fn ln(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Ln)
    }
}
