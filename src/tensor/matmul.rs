//! `matmul` (NumPy's matmul) and `dot` (NumPy's dot), on one batched kernel.

use crate::autograd::Op;
use crate::layout::{broadcast_shapes, element_count};
use crate::ops::{Epilogue, MatmulDims};
use crate::{DType, Error, Layout, Result, Tensor};

impl Tensor {
    pub(super) fn check_f32_pair(&self, op: &'static str, rhs: &Tensor) -> Result<()> {
        self.check_same_device(op, rhs)?;
        for t in [self, rhs] {
            if t.dtype() != DType::F32 {
                return Err(t.dtype_error(op, DType::F32));
            }
        }
        Ok(())
    }

    /// The matrix product with NumPy's `matmul` rules: the last two axes are matrices, leading
    /// axes are batches that broadcast; a 1-D operand is a row (left) or column (right) vector
    /// whose axis is removed from the result.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let a = Tensor::ones(&[5, 1, 2, 3], &dev)?;
    /// let b = Tensor::ones(&[4, 3, 7], &dev)?;
    /// assert_eq!(a.matmul(&b)?.shape(), &[5, 4, 2, 7]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        const OP: &str = "matmul";
        self.check_f32_pair(OP, rhs)?;
        if self.ndim() == 0 || rhs.ndim() == 0 {
            return Err(Error::InvalidArgument {
                op: OP,
                msg: "matmul needs operands of rank 1 or more; use mul for scalars".into(),
            });
        }
        let mismatch = || Error::ShapeMismatch {
            op: OP,
            lhs: self.shape().to_vec(),
            rhs: rhs.shape().to_vec(),
        };
        let a = if self.ndim() == 1 {
            self.reshape(&[1, self.len()])?
        } else {
            self.clone()
        };
        let b = if rhs.ndim() == 1 {
            rhs.reshape(&[rhs.len(), 1])?
        } else {
            rhs.clone()
        };
        let (ra, rb) = (a.ndim(), b.ndim());
        let (m, k) = (a.shape()[ra - 2], a.shape()[ra - 1]);
        let (k2, n) = (b.shape()[rb - 2], b.shape()[rb - 1]);
        if k != k2 {
            return Err(mismatch());
        }
        let batch = broadcast_shapes(OP, &a.shape()[..ra - 2], &b.shape()[..rb - 2])
            .map_err(|_| mismatch())?;
        let with = |tail: [usize; 2]| -> Vec<usize> { batch.iter().copied().chain(tail).collect() };
        // The result's element count must not wrap (batch axes of 2^31 x 2^31, say).
        for shape in [with([m, n]), with([m, k]), with([k, n])] {
            element_count(OP, &shape)?;
        }
        let la = a.layout().broadcast_to(OP, &with([m, k]))?;
        let lb = b.layout().broadcast_to(OP, &with([k, n]))?;
        let dims = MatmulDims {
            batch: batch.iter().product(),
            m,
            n,
            k,
        };
        let storage = a.storage().matmul(&la, b.storage(), &lb, dims, None)?;
        let full = with([m, n]);
        let product = Tensor::from_storage(
            storage,
            Layout::contiguous(&full),
            DType::F32,
            self.device().clone(),
        )
        .record(&[&a, &b], || Op::Matmul(a.clone(), b.clone()));
        let mut shape = full;
        if rhs.ndim() == 1 {
            shape.pop();
        }
        if self.ndim() == 1 {
            let at = shape.len() - if rhs.ndim() == 1 { 1 } else { 2 };
            shape.remove(at);
        }
        if shape.len() == product.ndim() {
            Ok(product)
        } else {
            product.reshape(&shape)
        }
    }

    /// NumPy's `dot`: 1-D·1-D is the inner product (a 0-d tensor); 2-D·2-D the matrix product;
    /// N-D·1-D sums over the last axis, `(a,b,c,d)·(d,) -> (a,b,c)`; N-D·M-D sums over the
    /// last axis of `self` and the second-to-last of `rhs`, `(a,b,c,d)·(d,e) -> (a,b,c,e)`.
    /// A 0-d operand multiplies element-wise.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 2., 3., 4., 5.], &[5], &dev)?;
    /// let y = Tensor::from_vec(vec![6., 7., 8., 9., 10.], &[5], &dev)?;
    /// assert_eq!(x.dot(&y)?.to_vec()?, vec![130.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn dot(&self, rhs: &Tensor) -> Result<Tensor> {
        const OP: &str = "dot";
        self.check_f32_pair(OP, rhs)?;
        let (ra, rb) = (self.ndim(), rhs.ndim());
        if ra == 0 || rb == 0 {
            return self.mul(rhs);
        }
        let k = self.shape()[ra - 1];
        let kb = if rb == 1 {
            rhs.shape()[0]
        } else {
            rhs.shape()[rb - 2]
        };
        if k != kb {
            return Err(Error::ShapeMismatch {
                op: OP,
                lhs: self.shape().to_vec(),
                rhs: rhs.shape().to_vec(),
            });
        }
        if ra <= 2 && rb <= 2 {
            return self.matmul(rhs);
        }
        // Fold every leading axis of `self` into the rows of one matrix product.
        let lead = &self.shape()[..ra - 1];
        let rows: usize = lead.iter().product();
        let a = self.reshape(&[rows, k])?;
        if rb == 1 {
            return a.matmul(rhs)?.reshape(lead);
        }
        // rhs (b0.., k, e): bring k to the front and flatten the rest into columns.
        let mut perm: Vec<usize> = vec![rb - 2];
        perm.extend(0..rb - 2);
        perm.push(rb - 1);
        let b = rhs.permute(&perm)?;
        let cols = rhs.len() / k.max(1);
        let b = if k == 0 {
            Tensor::zeros(&[0, cols], self.device())?
        } else {
            b.reshape(&[k, cols])?
        };
        let mut shape = lead.to_vec();
        shape.extend_from_slice(&rhs.shape()[..rb - 2]);
        shape.push(rhs.shape()[rb - 1]);
        a.matmul(&b)?.reshape(&shape)
    }

    /// `self · w + b` in one kernel, for `self` of shape (batch, inputs), `w` (inputs, outputs)
    /// and `b` (outputs,): Dense's forward without an activation. The bias is added as each
    /// element of the product is stored, so it costs no pass of its own.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 2.], &[1, 2], &dev)?;
    /// let w = Tensor::from_vec(vec![1., -1., 1., -3.], &[2, 2], &dev)?;
    /// let b = Tensor::from_vec(vec![0.5, 1.], &[2], &dev)?;
    /// assert_eq!(x.linear(&w, &b)?.to_vec()?, vec![3.5, -6.]); // [3, -7] + b
    /// assert!(x.linear(&w, &Tensor::zeros(&[3], &dev)?).is_err()); // 3 biases, 2 outputs
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn linear(&self, w: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.fused_linear(w, b, Epilogue::Bias)
    }

    /// `relu(self · w + b)` in one kernel: Dense's forward with a relu, the bias and the
    /// activation applied as each element of the product is stored. Shapes as [`Tensor::linear`].
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::from_vec(vec![1., 2.], &[1, 2], &dev)?;
    /// let w = Tensor::from_vec(vec![1., -1., 1., -3.], &[2, 2], &dev)?;
    /// let b = Tensor::from_vec(vec![0.5, 1.], &[2], &dev)?;
    /// assert_eq!(x.linear_relu(&w, &b)?.to_vec()?, vec![3.5, 0.]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn linear_relu(&self, w: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.fused_linear(w, b, Epilogue::BiasRelu)
    }

    fn fused_linear(&self, w: &Tensor, b: &Tensor, epilogue: Epilogue) -> Result<Tensor> {
        const OP: &str = "linear";
        self.check_f32_pair(OP, w)?;
        self.check_f32_pair(OP, b)?;
        if self.ndim() != 2 || w.ndim() != 2 || self.shape()[1] != w.shape()[0] {
            return Err(Error::ShapeMismatch {
                op: OP,
                lhs: self.shape().to_vec(),
                rhs: w.shape().to_vec(),
            });
        }
        let (m, k, n) = (self.shape()[0], self.shape()[1], w.shape()[1]);
        if b.shape() != [n] {
            return Err(Error::ShapeMismatch {
                op: OP,
                lhs: vec![m, n],
                rhs: b.shape().to_vec(),
            });
        }
        let dims = MatmulDims { batch: 1, m, n, k };
        let storage = self.storage().matmul(
            self.layout(),
            w.storage(),
            w.layout(),
            dims,
            Some((epilogue, b.storage(), b.layout())),
        )?;
        let out = Tensor::from_storage(
            storage,
            Layout::contiguous(&[m, n]),
            DType::F32,
            self.device().clone(),
        );
        let value = out.clone();
        Ok(out.record(&[self, w, b], || {
            Op::Linear(epilogue, self.clone(), w.clone(), b.clone(), value)
        }))
    }
}
