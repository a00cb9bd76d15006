//! What a training loop reports.

use crate::{Result, Tensor};

/// Where an epoch of [`Sequential::train_epoch`] stands.
///
/// ```
/// use tensorgears::data::Dataset;
/// use tensorgears::nn::{Activation, Dense, Sequential};
/// use tensorgears::optim::Sgd;
/// # use tensorgears::{Device, Tensor};
/// # let dev = Device::cpu();
/// let ds = Dataset::new(&[0; 10], &[0, 1, 0, 1, 0], 2, &dev)?;
/// let model = Sequential::new(vec![Dense::new(2, 2, Activation::Softmax, 0, &dev)?]);
/// let mut seen = Vec::new();
/// model.train_epoch(&ds, 2, &mut Sgd::new(0.1), None, |p| {
///     seen.push((p.step, p.steps, p.seen));
///     Ok(())
/// })?;
/// assert_eq!(seen, vec![(1, 3, 2), (2, 3, 4), (3, 3, 5)]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug)]
pub struct Progress {
    /// Steps done.
    pub step: usize,
    /// Steps in the epoch.
    pub steps: usize,
    /// Samples seen.
    pub seen: usize,
    pub(super) loss_sum: Tensor,
    pub(super) correct: Tensor,
}

impl Progress {
    /// The start of an epoch of `steps` steps on `device`: nothing seen, sums of zero. For a
    /// loop that drives [`Sequential::train_step`](super::Sequential::train_step) itself.
    pub fn new(steps: usize, device: &crate::Device) -> Result<Progress> {
        Ok(Progress {
            step: 0,
            steps,
            seen: 0,
            loss_sum: Tensor::scalar(0.0, device)?,
            correct: Tensor::scalar(0.0, device)?,
        })
    }

    /// Mean loss and accuracy so far. Reads two numbers back from the device, so it waits for
    /// the steps recorded so far to finish.
    ///
    /// ```
    /// use tensorgears::data::Dataset;
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// use tensorgears::optim::Sgd;
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let (w, b) = (Tensor::zeros(&[2, 2], &dev)?, Tensor::zeros(&[2], &dev)?);
    /// let model = Sequential::new(vec![Dense::from_tensors(w, b, Activation::Softmax)?]);
    /// let ds = Dataset::new(&[0; 4], &[0, 0], 2, &dev)?;
    /// model.train_epoch(&ds, 2, &mut Sgd::new(0.1), None, |p| {
    ///     let (loss, accuracy) = p.running()?; // equal logits: ln 2, and ties go to class 0
    ///     assert!((loss - std::f32::consts::LN_2).abs() < 1e-6 && accuracy == 1.0);
    ///     Ok(())
    /// })?;
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn running(&self) -> Result<(f32, f32)> {
        let n = self.seen.max(1) as f32;
        Ok((
            self.loss_sum.to_scalar()? / n,
            self.correct.to_scalar()? / n,
        ))
    }

    /// `running` without blocking (the way in a browser).
    pub async fn running_async(&self) -> Result<(f32, f32)> {
        let n = self.seen.max(1) as f32;
        Ok((
            self.loss_sum.to_scalar_async().await? / n,
            self.correct.to_scalar_async().await? / n,
        ))
    }
}

/// The outcome of one epoch of training.
///
/// ```
/// use tensorgears::data::Dataset;
/// use tensorgears::nn::{Activation, Dense, Sequential};
/// use tensorgears::optim::Sgd;
/// # use tensorgears::{Device, Tensor};
/// # let dev = Device::cpu();
/// let (w, b) = (Tensor::zeros(&[2, 2], &dev)?, Tensor::zeros(&[2], &dev)?);
/// let model = Sequential::new(vec![Dense::from_tensors(w, b, Activation::Softmax)?]);
/// let ds = Dataset::new(&[0; 4], &[0, 0], 2, &dev)?;
/// let stats = model.train_epoch(&ds, 2, &mut Sgd::new(0.1), None, |_| Ok(()))?;
/// assert_eq!((stats.samples, stats.accuracy), (2, 1.0));
/// assert!((stats.loss - std::f32::consts::LN_2).abs() < 1e-6);
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochStats {
    /// Mean training loss over the epoch.
    pub loss: f32,
    /// Training accuracy over the epoch.
    pub accuracy: f32,
    /// Samples trained on.
    pub samples: usize,
}
