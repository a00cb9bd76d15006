//! Dropout: a seeded mask drawn on the tensor's device, the same on every device.

use crate::cpu::random::DropoutMask;
use crate::storage::Storage;
use crate::{DType, Error, Layout, Result, Tensor};

impl Tensor {
    /// Inverted dropout, as Keras' `Dropout` applies it in training: each element is zeroed
    /// with probability `rate` and the rest are scaled by `1 / (1 - rate)`, so the expected
    /// value is unchanged. The mask is a hash of (`seed`, element index): the same seed drops
    /// the same elements on the CPU and on a GPU. The gradient passes through the kept
    /// elements with the same scale.
    ///
    /// ```
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let x = Tensor::ones(&[1000], &dev)?;
    /// let y = x.dropout(0.5, 42)?.to_vec()?;
    /// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
    /// let kept = y.iter().filter(|&&v| v != 0.0).count();
    /// assert!((400..600).contains(&kept));
    /// assert_eq!(x.dropout(0.5, 42)?.to_vec()?, y); // the seed decides
    /// assert!(x.dropout(1.0, 42).is_err());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn dropout(&self, rate: f32, seed: u64) -> Result<Tensor> {
        const OP: &str = "dropout";
        if !(0.0..1.0).contains(&rate) {
            return Err(Error::InvalidArgument {
                op: OP,
                msg: format!("the rate must be in [0, 1); got {rate}"),
            });
        }
        if self.dtype() != DType::F32 {
            return Err(self.dtype_error(OP, DType::F32));
        }
        if rate == 0.0 {
            return Ok(self.clone());
        }
        let storage =
            Storage::dropout_mask(self.device(), self.len(), &DropoutMask::new(rate, seed))?;
        let mask = Tensor::from_storage(
            storage,
            Layout::contiguous(self.shape()),
            DType::F32,
            self.device().clone(),
        );
        self.mul(&mask)
    }
}
