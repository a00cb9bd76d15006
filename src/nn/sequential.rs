//! A model of layers applied one after another, and its training and evaluation loops.

use std::sync::atomic::{AtomicU64, Ordering};

use super::layer::{Layer, Mode};
use super::progress::{EpochStats, Progress};
use crate::data::Dataset;
use crate::optim::Optimizer;
use crate::{loss, Error, Result, Tensor, Var};

/// Layers applied one after another.
///
/// ```
/// use tensorgears::nn::{Activation, Dense, Sequential};
/// use tensorgears::{Device, Tensor};
/// # fn main() -> tensorgears::Result<()> {
/// let dev = Device::cpu();
/// let model = Sequential::new(vec![
///     Dense::new(784, 512, Activation::Relu, 1, &dev)?,
///     Dense::new(512, 10, Activation::Softmax, 2, &dev)?,
/// ]);
/// assert_eq!(model.weights().len(), 4);
/// let p = model.forward(&Tensor::zeros(&[2, 784], &dev)?)?;
/// assert_eq!(p.shape(), &[2, 10]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Sequential {
    pub(super) layers: Vec<Layer>,
    /// Training steps taken: each step's dropout masks are drawn from its number.
    steps: AtomicU64,
}

impl Sequential {
    /// A model of `layers`, applied in order.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![
    ///     Dense::new(784, 512, Activation::Relu, 1, &dev)?,
    ///     Dense::new(512, 10, Activation::Softmax, 2, &dev)?,
    /// ]);
    /// assert_eq!(model.layers().len(), 2);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    ///
    /// Layers of several kinds go in as [`Layer`]s:
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Conv2D, Dense, Flatten, Layer, Reshape, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![
    ///     Layer::from(Reshape::new(&[4, 4, 1])),
    ///     Conv2D::new(1, 2, [3, 3], Activation::Relu, 0, &dev)?.into(),
    ///     Flatten.into(),
    ///     Dense::new(8, 3, Activation::Softmax, 1, &dev)?.into(),
    /// ]);
    /// assert_eq!(model.forward(&Tensor::zeros(&[5, 16], &dev)?)?.shape(), &[5, 3]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn new<L: Into<Layer>>(layers: Vec<L>) -> Sequential {
        Sequential {
            layers: layers.into_iter().map(Into::into).collect(),
            steps: AtomicU64::new(0),
        }
    }

    /// The output of the last layer for input `x`.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let (w1, b1) = (Tensor::from_vec(vec![1., -1.], &[1, 2], &dev)?, Tensor::zeros(&[2], &dev)?);
    /// let (w2, b2) = (Tensor::ones(&[2, 1], &dev)?, Tensor::from_vec(vec![0.5], &[1], &dev)?);
    /// let model = Sequential::new(vec![
    ///     Dense::from_tensors(w1, b1, Activation::Relu)?, // [relu(x), relu(-x)]
    ///     Dense::from_tensors(w2, b2, Activation::None)?, // their sum + 0.5
    /// ]);
    /// let x = Tensor::from_vec(vec![3., -2.], &[2, 1], &dev)?;
    /// assert_eq!(model.forward(&x)?.to_vec()?, vec![3.5, 2.5]); // |x| + 0.5
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for layer in &self.layers {
            h = layer.forward_mode(&h, Mode::Inference)?;
        }
        Ok(h)
    }

    /// Every layer's weights, in order.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![
    ///     Dense::new(784, 512, Activation::Relu, 1, &dev)?,
    ///     Dense::new(512, 10, Activation::Softmax, 2, &dev)?,
    /// ]);
    /// let shapes: Vec<&[usize]> = model.weights().iter().map(|v| v.as_tensor().shape()).collect();
    /// assert_eq!(shapes, vec![&[784, 512][..], &[512][..], &[512, 10][..], &[10][..]]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn weights(&self) -> Vec<&Var> {
        self.layers.iter().flat_map(Layer::weights).collect()
    }

    /// The layers.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Layer, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![
    ///     Dense::new(784, 512, Activation::Relu, 1, &dev)?,
    ///     Dense::new(512, 10, Activation::Softmax, 2, &dev)?,
    /// ]);
    /// assert!(matches!(&model.layers()[1], Layer::Dense(d) if d.activation() == Activation::Softmax));
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The output before a final softmax: what the fused cross-entropy takes. (Softmax keeps
    /// the order of its inputs, so the predicted class is the same.)
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let w = Tensor::from_vec(vec![1., 0., 0., 1.], &[2, 2], &dev)?;
    /// let layer = Dense::from_tensors(w, Tensor::zeros(&[2], &dev)?, Activation::Softmax)?;
    /// let model = Sequential::new(vec![layer]);
    /// let x = Tensor::from_vec(vec![2., 0.], &[1, 2], &dev)?;
    /// assert_eq!(model.logits(&x)?.to_vec()?, vec![2., 0.]); // before the softmax
    /// let p = model.forward(&x)?.to_vec()?;
    /// assert!((p[0] + p[1] - 1.0).abs() < 1e-6 && p[0] > p[1]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        self.logits_mode(x, Mode::Inference)
    }

    fn logits_mode(&self, x: &Tensor, mode: Mode) -> Result<Tensor> {
        let Some((last, body)) = self.layers.split_last() else {
            return Ok(x.clone());
        };
        let mut h = x.clone();
        for layer in body {
            h = layer.forward_mode(&h, mode)?;
        }
        last.logits_mode(&h, mode)
    }

    /// The predicted class of each row of `x`, as a `u32` tensor.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let w = Tensor::from_vec(vec![1., 0., 0., 1.], &[2, 2], &dev)?;
    /// let layer = Dense::from_tensors(w, Tensor::zeros(&[2], &dev)?, Activation::Softmax)?;
    /// let model = Sequential::new(vec![layer]);
    /// let x = Tensor::from_vec(vec![0.2, 0.9, 0.7, 0.1], &[2, 2], &dev)?;
    /// assert_eq!(model.predict(&x)?.to_vec_u32()?, vec![1, 0]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn predict(&self, x: &Tensor) -> Result<Tensor> {
        self.logits(&x.detach())?.argmax_axis(1)
    }

    /// One epoch of training on `data` with the fused sparse softmax-cross-entropy of
    /// [`Sequential::logits`]: forward, backward and `optimizer.step` for each batch (shuffled
    /// with `shuffle_seed` when given). The running loss and accuracy stay on the device;
    /// `progress` is called after every step and reads them only if it asks
    /// ([`Progress::running`]), so a loop that shows them every few steps waits for the device
    /// only then. The labels must be below the number of outputs (a [`Dataset`] of MNIST's
    /// are); an out-of-range one makes the loss NaN rather than stopping the device to check.
    ///
    /// ```
    /// use tensorgears::data::Dataset;
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// use tensorgears::optim::Sgd;
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// // Two classes of two-pixel images: the label is the lit pixel.
    /// let ds = Dataset::new(&[255, 0, 0, 255, 255, 0, 0, 255], &[0, 1, 0, 1], 2, &dev)?;
    /// let model = Sequential::new(vec![Dense::new(2, 2, Activation::Softmax, 0, &dev)?]);
    /// let mut opt = Sgd::new(0.5);
    /// for seed in 0..20 {
    ///     model.train_epoch(&ds, 2, &mut opt, Some(seed), |_| Ok(()))?;
    /// }
    /// let stats = model.train_epoch(&ds, 2, &mut opt, None, |_| Ok(()))?;
    /// assert_eq!((stats.samples, stats.accuracy), (4, 1.0));
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn train_epoch(
        &self,
        data: &Dataset,
        batch_size: usize,
        optimizer: &mut dyn Optimizer,
        shuffle_seed: Option<u64>,
        mut progress: impl FnMut(&Progress) -> Result<()>,
    ) -> Result<EpochStats> {
        let batches = data.batches(batch_size, shuffle_seed)?;
        let steps = batches.num_batches();
        let weights = self.weights();
        let mut p = Progress::new(steps, data.device())?;
        for batch in batches {
            let (x, y) = batch?;
            self.step_with(&x, &y, &weights, optimizer, &mut p)?;
            progress(&p)?;
        }
        let (loss, accuracy) = p.running()?;
        Ok(EpochStats {
            loss,
            accuracy,
            samples: p.seen,
        })
    }

    /// One training step on the batch `(x, y)`: forward, sparse softmax-cross-entropy,
    /// gradients and `optimizer`'s update, counted into `progress` (its running sums stay on
    /// the device). For a loop that drives the steps itself (a page that must yield to its
    /// event loop between steps, say); [`Sequential::train_epoch`] runs these steps.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Progress, Sequential};
    /// use tensorgears::optim::Sgd;
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let (w, b) = (Tensor::zeros(&[2, 2], &dev)?, Tensor::zeros(&[2], &dev)?);
    /// let model = Sequential::new(vec![Dense::from_tensors(w, b, Activation::Softmax)?]);
    /// let x = Tensor::from_vec(vec![1., 0., 0., 1.], &[2, 2], &dev)?;
    /// let y = Tensor::from_vec_u32(vec![0, 1], &[2], &dev)?;
    /// let mut progress = Progress::new(1, &dev)?;
    /// model.train_step(&x, &y, &mut Sgd::new(0.1), &mut progress)?;
    /// assert_eq!((progress.step, progress.seen), (1, 2));
    /// // Equal logits before the step: ln 2 per row, and ties go to class 0.
    /// let (loss, accuracy) = progress.running()?;
    /// assert!((loss - std::f32::consts::LN_2).abs() < 1e-6 && accuracy == 0.5);
    /// let w = model.weights()[0].as_tensor().to_vec()?;
    /// assert!(w.iter().any(|&v| v != 0.0)); // the step moved the weights
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn train_step(
        &self,
        x: &Tensor,
        y: &Tensor,
        optimizer: &mut dyn Optimizer,
        progress: &mut Progress,
    ) -> Result<()> {
        self.step_with(x, y, &self.weights(), optimizer, progress)
    }

    /// The step itself. The sums are added before the step's graph is dropped, so that its
    /// buffers return to the pool in the same order every step (tests/step_costs.rs).
    fn step_with(
        &self,
        x: &Tensor,
        y: &Tensor,
        weights: &[&Var],
        optimizer: &mut dyn Optimizer,
        p: &mut Progress,
    ) -> Result<()> {
        let step = self.steps.fetch_add(1, Ordering::Relaxed);
        let logits = self.logits_mode(x, Mode::Training { step })?;
        let loss = loss::sparse_softmax_cross_entropy_unchecked(&logits, y)?;
        optimizer.step(weights, &loss.backward()?)?;
        p.loss_sum = p.loss_sum.add(&loss.detach().mul_scalar(y.len() as f32)?)?;
        p.correct = p.correct.add(&loss::count_correct(&logits.detach(), y)?)?;
        p.seen += y.len();
        p.step += 1;
        Ok(())
    }

    /// Mean sparse softmax-cross-entropy and accuracy over `data`, in batches. The sums stay
    /// on the device until the end: one readback for the whole set.
    ///
    /// ```
    /// use tensorgears::data::Dataset;
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let w = Tensor::from_vec(vec![1., 0., 0., 1.], &[2, 2], &dev)?;
    /// let layer = Dense::from_tensors(w, Tensor::zeros(&[2], &dev)?, Activation::Softmax)?;
    /// let model = Sequential::new(vec![layer]);
    /// let ds = Dataset::new(&[255, 0, 0, 255], &[0, 1], 2, &dev)?;
    /// let (loss, accuracy) = model.evaluate(&ds, 1)?;
    /// assert_eq!(accuracy, 1.0);
    /// assert!((loss - (1.0 + (-1f32).exp()).ln()).abs() < 1e-6); // logits [1, 0], label 0
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn evaluate(&self, data: &Dataset, batch_size: usize) -> Result<(f32, f32)> {
        let (loss_sum, correct) = self.evaluation_sums(data, batch_size)?;
        let n = data.len() as f32;
        Ok((loss_sum.to_scalar()? / n, correct.to_scalar()? / n))
    }

    /// `evaluate` without blocking: the way in a browser, where the page's thread may not
    /// block on the GPU.
    pub async fn evaluate_async(&self, data: &Dataset, batch_size: usize) -> Result<(f32, f32)> {
        let (loss_sum, correct) = self.evaluation_sums(data, batch_size)?;
        let n = data.len() as f32;
        Ok((
            loss_sum.to_scalar_async().await? / n,
            correct.to_scalar_async().await? / n,
        ))
    }

    /// The summed loss and the count of correct predictions over `data`, on the device.
    fn evaluation_sums(&self, data: &Dataset, batch_size: usize) -> Result<(Tensor, Tensor)> {
        if data.is_empty() {
            return Err(Error::InvalidArgument {
                op: "evaluate",
                msg: "the data set is empty".into(),
            });
        }
        let mut loss_sum = Tensor::scalar(0.0, data.device())?;
        let mut correct = Tensor::scalar(0.0, data.device())?;
        for batch in data.batches(batch_size, None)? {
            let (x, y) = batch?;
            let z = self.logits(&x)?.detach();
            let rows = y.len() as f32;
            loss_sum = loss_sum
                .add(&loss::sparse_softmax_cross_entropy_unchecked(&z, &y)?.mul_scalar(rows)?)?;
            correct = correct.add(&loss::count_correct(&z, &y)?)?;
        }
        Ok((loss_sum, correct))
    }
}
