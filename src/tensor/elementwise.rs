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
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2], &dev)?;
    /// let row = Tensor::from_vec(vec![1., 2.], &[2], &dev)?;
    /// assert_eq!(x.sub(&row)?.to_vec()?, vec![0., 0., 2., 2.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn sub(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Sub)
    }

    /// `self * rhs` element by element, broadcasting either side.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2], &dev)?;
    /// let col = Tensor::from_vec(vec![10., 100.], &[2, 1], &dev)?; // one factor per row
    /// assert_eq!(x.mul(&col)?.to_vec()?, vec![10., 20., 300., 400.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn mul(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Mul)
    }

    /// `self / rhs` element by element, broadcasting either side.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 2., 3.], &[3], &dev)?;
    /// assert_eq!(x.div(&Tensor::scalar(2.0, &dev)?)?.to_vec()?, vec![0.5, 1., 1.5]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn div(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Div)
    }

    /// The larger of `self` and `rhs` element by element, broadcasting; NaN where either is
    /// NaN, as NumPy's `maximum`.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![-1., 2., -3., f32::NAN], &[4], &dev)?;
    /// let y = x.maximum(&Tensor::scalar(1.0, &dev)?)?.to_vec()?;
    /// assert_eq!(&y[..3], &[1., 2., 1.]);
    /// assert!(y[3].is_nan());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn maximum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Maximum)
    }

    /// The smaller of `self` and `rhs` element by element, broadcasting; NaN where either is
    /// NaN, as NumPy's `minimum`.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![-1., 2., f32::NAN], &[3], &dev)?;
    /// let y = x.minimum(&Tensor::scalar(1.0, &dev)?)?.to_vec()?;
    /// assert_eq!(&y[..2], &[-1., 1.]);
    /// assert!(y[2].is_nan());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn minimum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Minimum)
    }

    /// `max(x, 0)`; NaN stays NaN (as NumPy's `maximum(x, 0)`, PyTorch's and TensorFlow's
    /// relu), so a diverging run shows.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![-1., 0.5, 2., f32::NAN], &[4], &dev)?;
    /// let y = x.relu()?.to_vec()?;
    /// assert_eq!(&y[..3], &[0., 0.5, 2.]);
    /// assert!(y[3].is_nan());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn relu(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Relu)
    }

    /// `x + s`.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 2.], &[2], &dev)?;
    /// assert_eq!(x.add_scalar(0.5)?.to_vec()?, vec![1.5, 2.5]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn add_scalar(&self, s: f32) -> Result<Tensor> {
        self.unary(UnaryOp::AddScalar(s))
    }

    /// `x * s`.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., -2.], &[2], &dev)?;
    /// assert_eq!(x.mul_scalar(3.0)?.to_vec()?, vec![3., -6.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn mul_scalar(&self, s: f32) -> Result<Tensor> {
        self.unary(UnaryOp::MulScalar(s))
    }

    /// `x^p` with NumPy's rules: a negative base with an integral exponent is fine, with a
    /// fractional one it gives NaN.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![-2., 3.], &[2], &dev)?;
    /// assert_eq!(x.powf(2.0)?.to_vec()?, vec![4., 9.]);
    /// assert!(x.powf(0.5)?.to_vec()?[0].is_nan());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn powf(&self, p: f32) -> Result<Tensor> {
        self.unary(UnaryOp::Powf(p))
    }

    /// `e^x`.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![0., 1.], &[2], &dev)?;
    /// let y = x.exp()?.to_vec()?;
    /// assert_eq!(y[0], 1.0);
    /// assert!((y[1] - std::f32::consts::E).abs() < 1e-6);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn exp(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Exp)
    }

    /// The natural logarithm (NaN below zero, -inf at zero).
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 0., -1.], &[3], &dev)?;
    /// let y = x.ln()?.to_vec()?;
    /// assert_eq!(&y[..2], &[0., f32::NEG_INFINITY]);
    /// assert!(y[2].is_nan());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn ln(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Ln)
    }

    /// The logistic function `1 / (1 + e^-x)`.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![0., 2., -100.], &[3], &dev)?;
    /// let y = x.sigmoid()?.to_vec()?;
    /// assert_eq!((y[0], y[2]), (0.5, 0.0));
    /// assert!((y[1] - 0.880797).abs() < 1e-6);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn sigmoid(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sigmoid)
    }

    /// The hyperbolic tangent.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![0., 0.5, -100.], &[3], &dev)?;
    /// let y = x.tanh()?.to_vec()?;
    /// assert_eq!((y[0], y[2]), (0.0, -1.0));
    /// assert!((y[1] - 0.462117).abs() < 1e-6);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn tanh(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Tanh)
    }
}
