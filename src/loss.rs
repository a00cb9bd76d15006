//! Loss functions.
//!
//! ```
//! use tensorgears::{loss, Device, Tensor, Var};
//! # let dev = Device::cpu();
//! let logits = Var::new(Tensor::zeros(&[1, 4], &dev)?);
//! let labels = Tensor::from_vec_u32(vec![2], &[1], &dev)?;
//! let l = loss::sparse_softmax_cross_entropy(logits.as_tensor(), &labels)?;
//! assert!((l.to_scalar()? - 4f32.ln()).abs() < 1e-6); // uniform over 4 classes
//! let g = l.backward()?.get(&logits).unwrap().to_vec()?;
//! assert_eq!(g, vec![0.25, 0.25, -0.75, 0.25]); // softmax - onehot
//! # Ok::<(), tensorgears::Error>(())
//! ```

use crate::autograd::Op;
use crate::{DType, Error, Layout, Result, Tensor};

fn check(logits: &Tensor, labels: &Tensor) -> Result<(usize, usize)> {
    const OP: &str = "sparse_softmax_cross_entropy";
    logits.check_same_device(OP, labels)?;
    if logits.dtype() != DType::F32 {
        return Err(logits.dtype_error(OP, DType::F32));
    }
    if labels.dtype() != DType::U32 {
        return Err(labels.dtype_error(OP, DType::U32));
    }
    let (batch, classes) = match (logits.shape(), labels.shape()) {
        (&[b, c], &[l]) if b == l && b > 0 && c > 0 => (b, c),
        _ => {
            return Err(Error::InvalidArgument {
                op: OP,
                msg: format!(
                    "needs (batch, classes) logits and (batch,) labels with batch, classes > 0; got {:?} and {:?}",
                    logits.shape(),
                    labels.shape()
                ),
            })
        }
    };
    Ok((batch, classes))
}

/// The mean over the batch of `-log(softmax(logits)[label])`, as a 0-d tensor, for
/// `(batch, classes)` logits and `(batch,)` `u32` labels, computed stably (logits of ±1e4 are
/// fine). On the GPU the forward pass is one kernel, and so is its gradient,
/// `(softmax - onehot) / batch`.
///
/// A label not below `classes` is an error. Checking it on the GPU reads the labels back,
/// which waits for the device; a training loop whose labels are known to be valid can use
/// [`sparse_softmax_cross_entropy_unchecked`].
///
/// ```
/// use tensorgears::{loss, Device, Tensor};
/// # fn main() -> tensorgears::Result<()> {
/// let dev = Device::cpu();
/// let logits = Tensor::from_vec(vec![0., 0., 10000., -10000.], &[2, 2], &dev)?;
/// let labels = Tensor::from_vec_u32(vec![1, 0], &[2], &dev)?;
/// let l = loss::sparse_softmax_cross_entropy(&logits, &labels)?.to_scalar()?;
/// assert!((l - std::f32::consts::LN_2 / 2.0).abs() < 1e-6);
/// assert!(loss::sparse_softmax_cross_entropy(&logits, &Tensor::from_vec_u32(vec![0, 2], &[2], &dev)?).is_err());
/// # Ok(()) }
/// ```
pub fn sparse_softmax_cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let (_, classes) = check(logits, labels)?;
    if let Some(&bad) = labels
        .to_vec_u32()?
        .iter()
        .find(|&&l| l as usize >= classes)
    {
        return Err(Error::InvalidArgument {
            op: "sparse_softmax_cross_entropy",
            msg: format!("label {bad} is out of range for {classes} classes"),
        });
    }
    sparse_softmax_cross_entropy_unchecked(logits, labels)
}

/// [`sparse_softmax_cross_entropy`] without the label check, so nothing waits for the GPU.
/// A label not below `classes` makes the loss and its gradient NaN.
///
/// ```
/// use tensorgears::{loss, Device, Tensor};
/// # let dev = Device::cpu();
/// let logits = Tensor::from_vec(vec![0., 0.], &[1, 2], &dev)?;
/// let label = Tensor::from_vec_u32(vec![1], &[1], &dev)?;
/// let l = loss::sparse_softmax_cross_entropy_unchecked(&logits, &label)?.to_scalar()?;
/// assert!((l - std::f32::consts::LN_2).abs() < 1e-6);
/// let bad = Tensor::from_vec_u32(vec![2], &[1], &dev)?; // only classes 0 and 1 exist
/// assert!(loss::sparse_softmax_cross_entropy_unchecked(&logits, &bad)?.to_scalar()?.is_nan());
/// # Ok::<(), tensorgears::Error>(())
/// ```
pub fn sparse_softmax_cross_entropy_unchecked(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let (batch, classes) = check(logits, labels)?;
    let (x, l) = (logits.contiguous()?.detach(), labels.contiguous()?);
    let storage = x.storage().cross_entropy(l.storage(), batch, classes)?;
    let out = Tensor::from_storage(
        storage,
        Layout::contiguous(&[]),
        DType::F32,
        logits.device().clone(),
    );
    Ok(out.record(&[logits], || {
        Op::CrossEntropy(logits.clone(), labels.clone())
    }))
}

impl Tensor {
    /// The gradient of the fused loss with respect to these logits, scaled by the upstream
    /// gradient `grad` (0-d): the backward rule of `Op::CrossEntropy`.
    pub(crate) fn cross_entropy_backward(&self, labels: &Tensor, grad: &Tensor) -> Result<Tensor> {
        let (batch, classes) = check(self, labels)?;
        let (x, l, g) = (self.contiguous()?, labels.contiguous()?, grad.contiguous()?);
        let storage =
            x.storage()
                .cross_entropy_backward(l.storage(), g.storage(), batch, classes)?;
        Ok(Tensor::from_storage(
            storage,
            Layout::contiguous(&[batch, classes]),
            DType::F32,
            self.device().clone(),
        ))
    }
}

/// How many rows of `(batch, classes)` logits have their largest value (the first, among
/// ties) at the label, as a 0-d f32 tensor that stays on the device: a training loop adds
/// these up and reads the total only when it shows it. Untracked.
///
/// ```
/// use tensorgears::{loss, Device, Tensor};
/// # fn main() -> tensorgears::Result<()> {
/// let dev = Device::cpu();
/// let logits = Tensor::from_vec(vec![0.1, 0.9, 0.8, 0.2, 0.5, 0.5], &[3, 2], &dev)?;
/// let labels = Tensor::from_vec_u32(vec![1, 1, 0], &[3], &dev)?;
/// assert_eq!(loss::count_correct(&logits, &labels)?.to_scalar()?, 2.0);
/// # Ok(()) }
/// ```
pub fn count_correct(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let (batch, classes) = check(logits, labels)?;
    let (x, l) = (logits.contiguous()?, labels.contiguous()?);
    let storage = x.storage().count_correct(l.storage(), batch, classes)?;
    Ok(Tensor::from_storage(
        storage,
        Layout::contiguous(&[]),
        DType::F32,
        logits.device().clone(),
    ))
}
