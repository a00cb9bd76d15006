//! Layers and models: the chapter's `NaiveDense` and `NaiveSequential`, made real.
//!
//! ```
//! use tensorgears::nn::{Activation, Dense, Sequential};
//! # use tensorgears::{Device, Tensor};
//! # let dev = Device::cpu();
//! let model = Sequential::new(vec![
//!     Dense::new(4, 8, Activation::Relu, 0, &dev)?,
//!     Dense::new(8, 3, Activation::Softmax, 1, &dev)?,
//! ]);
//! let x = Tensor::rand_uniform(&[5, 4], 0.0, 1.0, 2, &dev)?;
//! assert_eq!(model.forward(&x)?.shape(), &[5, 3]); // class probabilities
//! assert_eq!(model.predict(&x)?.shape(), &[5]); // class indices
//! # Ok::<(), tensorgears::Error>(())
//! ```

use std::collections::HashMap;
use std::path::Path;

use crate::data::Dataset;
use crate::optim::Optimizer;
use crate::{loss, Device, Error, Result, Tensor, Var};

/// What a [`Dense`] layer applies to `x · W + b`.
///
/// ```
/// use tensorgears::nn::{Activation, Dense};
/// # use tensorgears::{Device, Tensor};
/// # let dev = Device::cpu();
/// let (w, b) = (Tensor::ones(&[1, 2], &dev)?, Tensor::from_vec(vec![-2., 1.], &[2], &dev)?);
/// let x = Tensor::ones(&[1, 1], &dev)?; // x · W + b = [-1, 2]
/// let relu = Dense::from_tensors(w.clone(), b.clone(), Activation::Relu)?;
/// assert_eq!(relu.forward(&x)?.to_vec()?, vec![0., 2.]);
/// assert_eq!(Dense::from_tensors(w, b, Activation::None)?.forward(&x)?.to_vec()?, vec![-1., 2.]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// Softmax over the last axis.
    Softmax,
    /// Nothing: the layer outputs `x · W + b` (logits, for a fused loss).
    None,
}

/// A fully connected layer: `activation(x · W + b)` with `W` of shape (inputs, outputs).
///
/// ```
/// use tensorgears::nn::{Activation, Dense};
/// use tensorgears::{Device, Tensor};
/// # fn main() -> tensorgears::Result<()> {
/// let dev = Device::cpu();
/// let layer = Dense::new(784, 512, Activation::Relu, 42, &dev)?;
/// let y = layer.forward(&Tensor::zeros(&[128, 784], &dev)?)?;
/// assert_eq!(y.shape(), &[128, 512]);
/// # Ok(()) }
/// ```
pub struct Dense {
    w: Var,
    b: Var,
    activation: Activation,
}

impl Dense {
    /// Keras' default initialisation: `W` glorot-uniform, uniform in `±sqrt(6 / (in + out))`,
    /// drawn from `seed`; `b` zeros.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let layer = Dense::new(10, 6, Activation::Relu, 42, &dev)?;
    /// let limit = (6.0f32 / (10.0 + 6.0)).sqrt();
    /// assert!(layer.weights()[0].as_tensor().to_vec()?.iter().all(|w| w.abs() <= limit));
    /// assert_eq!(layer.weights()[1].as_tensor().to_vec()?, vec![0.; 6]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn new(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        seed: u64,
        device: &Device,
    ) -> Result<Dense> {
        let limit = (6.0 / (inputs + outputs).max(1) as f32).sqrt();
        let w = Tensor::rand_uniform(&[inputs, outputs], -limit, limit, seed, device)?;
        Dense::from_tensors(w, Tensor::zeros(&[outputs], device)?, activation)
    }

    /// The chapter's `NaiveDense` initialisation: `W` uniform in `[0, 0.1)`, `b` zeros.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let layer = Dense::naive(10, 6, Activation::Relu, 42, &dev)?;
    /// assert!(layer.weights()[0].as_tensor().to_vec()?.iter().all(|w| (0.0..0.1).contains(w)));
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn naive(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        seed: u64,
        device: &Device,
    ) -> Result<Dense> {
        let w = Tensor::rand_uniform(&[inputs, outputs], 0.0, 0.1, seed, device)?;
        Dense::from_tensors(w, Tensor::zeros(&[outputs], device)?, activation)
    }

    /// A layer with the given weights (inputs, outputs) and bias (outputs,).
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let w = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2], &dev)?;
    /// let b = Tensor::from_vec(vec![10., 20.], &[2], &dev)?;
    /// let layer = Dense::from_tensors(w, b, Activation::None)?;
    /// let x = Tensor::from_vec(vec![1., 1.], &[1, 2], &dev)?;
    /// assert_eq!(layer.forward(&x)?.to_vec()?, vec![14., 26.]); // [1, 1] · W = [4, 6]
    /// let (w, b) = (Tensor::zeros(&[2, 2], &dev)?, Tensor::zeros(&[3], &dev)?);
    /// assert!(Dense::from_tensors(w, b, Activation::None).is_err()); // 3 biases for 2 outputs
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn from_tensors(w: Tensor, b: Tensor, activation: Activation) -> Result<Dense> {
        if w.ndim() != 2 || b.shape() != [w.shape()[1]] {
            return Err(crate::Error::ShapeMismatch {
                op: "Dense",
                lhs: w.shape().to_vec(),
                rhs: b.shape().to_vec(),
            });
        }
        Ok(Dense {
            w: Var::new(w),
            b: Var::new(b),
            activation,
        })
    }

    /// `activation(x · W + b)` for `x` of shape (batch, inputs), with the product, bias and relu
    /// in one kernel ([`Tensor::linear_relu`]); other ranks are batches along their leading axes.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let (w, b) = (Tensor::zeros(&[3, 4], &dev)?, Tensor::zeros(&[4], &dev)?);
    /// let layer = Dense::from_tensors(w, b, Activation::Softmax)?;
    /// let p = layer.forward(&Tensor::ones(&[2, 3], &dev)?)?; // equal logits: equal probabilities
    /// assert_eq!(p.to_vec()?, vec![0.25; 8]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        // The product, bias and relu run as one kernel on (rows, inputs); other ranks fold
        // their leading axes into rows, as matmul would broadcast them.
        if x.ndim() != 2 && x.ndim() > 0 {
            let lead = &x.shape()[..x.ndim() - 1];
            let rows = x.reshape(&[lead.iter().product(), x.shape()[x.ndim() - 1]])?;
            let mut shape = lead.to_vec();
            shape.push(self.b.as_tensor().len());
            return self.forward(&rows)?.reshape(&shape);
        }
        let (w, b) = (self.w.as_tensor(), self.b.as_tensor());
        match self.activation {
            Activation::Relu => x.linear_relu(w, b),
            Activation::Softmax => x.linear(w, b)?.softmax(),
            Activation::None => x.linear(w, b),
        }
    }

    /// The weights `[W, b]`.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let layer = Dense::new(784, 10, Activation::None, 0, &dev)?;
    /// let shapes: Vec<&[usize]> = layer.weights().iter().map(|v| v.as_tensor().shape()).collect();
    /// assert_eq!(shapes, vec![&[784, 10][..], &[10][..]]);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn weights(&self) -> Vec<&Var> {
        vec![&self.w, &self.b]
    }

    /// The activation applied after `x · W + b`.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let layer = Dense::new(784, 10, Activation::Softmax, 0, &dev)?;
    /// assert_eq!(layer.activation(), Activation::Softmax);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

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
pub struct Sequential {
    layers: Vec<Dense>,
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
    pub fn new(layers: Vec<Dense>) -> Sequential {
        Sequential { layers }
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
            h = layer.forward(&h)?;
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
        self.layers.iter().flat_map(Dense::weights).collect()
    }

    /// The layers.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![
    ///     Dense::new(784, 512, Activation::Relu, 1, &dev)?,
    ///     Dense::new(512, 10, Activation::Softmax, 2, &dev)?,
    /// ]);
    /// assert_eq!(model.layers()[1].activation(), Activation::Softmax);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn layers(&self) -> &[Dense] {
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
        let mut h = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            let last = i + 1 == self.layers.len();
            h = if last && layer.activation == Activation::Softmax {
                h.matmul(layer.w.as_tensor())?.add(layer.b.as_tensor())?
            } else {
                layer.forward(&h)?
            };
        }
        Ok(h)
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
        let mut p = Progress {
            step: 0,
            steps,
            seen: 0,
            loss_sum: Tensor::scalar(0.0, data.device())?,
            correct: Tensor::scalar(0.0, data.device())?,
        };
        for batch in batches {
            let (x, y) = batch?;
            let logits = self.logits(&x)?;
            let loss = loss::sparse_softmax_cross_entropy_unchecked(&logits, &y)?;
            optimizer.step(&weights, &loss.backward()?)?;
            p.loss_sum = p.loss_sum.add(&loss.detach().mul_scalar(y.len() as f32)?)?;
            p.correct = p.correct.add(&loss::count_correct(&logits.detach(), &y)?)?;
            p.seen += y.len();
            p.step += 1;
            progress(&p)?;
        }
        let (loss, accuracy) = p.running()?;
        Ok(EpochStats {
            loss,
            accuracy,
            samples: p.seen,
        })
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
        let n = data.len() as f32;
        Ok((loss_sum.to_scalar()? / n, correct.to_scalar()? / n))
    }

    /// Writes the weights to a safetensors file: `layers.{i}.weight` (inputs, outputs) and
    /// `layers.{i}.bias`, with each layer's activation in the metadata.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![Dense::new(4, 3, Activation::Relu, 7, &dev)?]);
    /// let path = std::env::temp_dir().join("tensorgears-doc-save.safetensors");
    /// model.save(&path)?;
    /// let back = Sequential::load(&path, &dev)?;
    /// assert_eq!(back.weights()[0].as_tensor().to_vec()?, model.weights()[0].as_tensor().to_vec()?);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |msg: String| Error::Data {
            file: path.display().to_string(),
            msg,
        };
        let mut tensors = Vec::new();
        let mut meta = HashMap::new();
        for (i, layer) in self.layers.iter().enumerate() {
            for (name, var) in [("weight", &layer.w), ("bias", &layer.b)] {
                let t = var.as_tensor();
                let bytes: Vec<u8> = t.to_vec()?.iter().flat_map(|v| v.to_le_bytes()).collect();
                tensors.push((format!("layers.{i}.{name}"), t.shape().to_vec(), bytes));
            }
            let act = match layer.activation {
                Activation::Relu => "relu",
                Activation::Softmax => "softmax",
                Activation::None => "none",
            };
            meta.insert(format!("layers.{i}.activation"), act.to_string());
        }
        meta.insert("layers".to_string(), self.layers.len().to_string());
        let views = tensors
            .iter()
            .map(|(name, shape, bytes)| {
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                    .map(|v| (name.clone(), v))
                    .map_err(|e| io(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        safetensors::serialize_to_file(views, Some(meta), path).map_err(|e| io(e.to_string()))
    }

    /// Reads a model written by [`Sequential::save`] onto `device`.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![Dense::new(4, 3, Activation::Softmax, 7, &dev)?]);
    /// let path = std::env::temp_dir().join("tensorgears-doc-load.safetensors");
    /// model.save(&path)?;
    /// let back = Sequential::load(&path, &dev)?;
    /// assert_eq!(back.layers()[0].activation(), Activation::Softmax);
    /// assert!(Sequential::load(std::path::Path::new("no-such-model.safetensors"), &dev).is_err());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn load(path: &Path, device: &Device) -> Result<Sequential> {
        let bad = |msg: String| Error::Data {
            file: path.display().to_string(),
            msg,
        };
        let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
        let (_, meta) =
            safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| bad(e.to_string()))?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
        let info = meta.metadata().clone().unwrap_or_default();
        let count: usize = info
            .get("layers")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad("no layer count in the metadata: not a tensorgears model".into()))?;
        let tensor = |name: String| -> Result<Tensor> {
            let v = st.tensor(&name).map_err(|e| bad(format!("{name}: {e}")))?;
            if v.dtype() != safetensors::Dtype::F32 {
                return Err(bad(format!("{name} is {:?}, not F32", v.dtype())));
            }
            let data: Vec<f32> = v
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Tensor::from_vec(data, v.shape(), device)
        };
        let mut layers = Vec::with_capacity(count);
        for i in 0..count {
            let activation = match info
                .get(&format!("layers.{i}.activation"))
                .map(String::as_str)
            {
                Some("relu") => Activation::Relu,
                Some("softmax") => Activation::Softmax,
                Some("none") => Activation::None,
                other => return Err(bad(format!("layer {i} has activation {other:?}"))),
            };
            let w = tensor(format!("layers.{i}.weight"))?;
            let b = tensor(format!("layers.{i}.bias"))?;
            layers.push(Dense::from_tensors(w, b, activation)?);
        }
        Ok(Sequential::new(layers))
    }
}

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
pub struct Progress {
    /// Steps done.
    pub step: usize,
    /// Steps in the epoch.
    pub steps: usize,
    /// Samples seen.
    pub seen: usize,
    loss_sum: Tensor,
    correct: Tensor,
}

impl Progress {
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
