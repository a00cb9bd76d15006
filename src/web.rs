//! What the page in `web/` calls (feature `web`, wasm32 only): opening WebGPU, the parity
//! cases, and a trainer that runs a few steps at a time so that the page keeps drawing between
//! them. Everything that waits for the GPU returns a promise; nothing blocks the page.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::data::{mnist, Dataset};
use crate::nn::{models, Progress, Sequential};
use crate::optim::{Adam, Optimizer, RmsProp};
use crate::{parity, Device, Error, Tensor};

fn js(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// Opens the GPU through WebGPU and returns its adapter's description. Call it (and await it)
/// before anything else: the synchronous `Device::gpu()` the rest uses finds it open then.
#[wasm_bindgen(js_name = openGpu)]
pub async fn open_gpu() -> Result<String, JsError> {
    let gpu = Device::gpu_async().await.map_err(js)?;
    Ok(gpu
        .gpu_info()
        .map(|i| {
            // Browsers may keep the adapter's name to themselves.
            let name = if i.name.is_empty() {
                "unnamed adapter"
            } else {
                &i.name
            };
            format!("{name} ({}, {})", i.backend, i.device_type)
        })
        .unwrap_or_default())
}

/// How many parity cases there are.
#[wasm_bindgen(js_name = parityCaseCount)]
pub fn parity_case_count() -> usize {
    parity::cases().len()
}

/// Runs parity case `index` on the CPU and the GPU and resolves to
/// `{family, name, passed, maxError, failure}`.
#[wasm_bindgen(js_name = parityCase)]
pub fn parity_case(index: usize) -> Promise {
    future_to_promise(async move {
        let case = *parity::cases()
            .get(index)
            .ok_or_else(|| JsValue::from_str(&format!("no parity case {index}")))?;
        let gpu = Device::gpu().map_err(|e| JsValue::from_str(&e.to_string()))?;
        let o = parity::run_async(&case, &gpu).await;
        Ok(object(&[
            ("family", o.family.into()),
            ("name", o.name.into()),
            ("passed", o.passed().into()),
            ("maxError", o.max_error.into()),
            ("failure", o.failure.unwrap_or_default().into()),
        ]))
    })
}

/// The epoch in progress: its number, its order of rows (made once per epoch), and where it
/// stands, its running sums on the device until read.
struct Epoch {
    number: u64,
    order: Tensor,
    progress: Progress,
}

struct State {
    model: Sequential,
    train: Dataset,
    test: Dataset,
    batch: usize,
    /// The test set's batch: the convnet's patches at 1,000 images would pass a 128 MiB
    /// binding (its second layer's are 1000·11·11·288 floats).
    eval_batch: usize,
    seed: u64,
    optimizer: RefCell<Box<dyn Optimizer>>,
    epoch: RefCell<Epoch>,
}

/// A model training on MNIST on the GPU, driven a few steps at a time by the page.
#[wasm_bindgen]
pub struct Trainer {
    state: Rc<State>,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("train", &self.state.train.len())
            .field("test", &self.state.test.len())
            .field("batch", &self.state.batch)
            .finish_non_exhaustive()
    }
}

/// Epoch `number` of training on `train` in batches of `batch`: its shuffle, made once.
fn start_epoch(train: &Dataset, batch: usize, seed: u64, number: u64) -> Result<Epoch, JsError> {
    Ok(Epoch {
        number,
        order: train
            .shuffled_order(seed.wrapping_add(number))
            .map_err(js)?,
        progress: Progress::new(train.len().div_ceil(batch), train.device()).map_err(js)?,
    })
}

fn busy() -> JsError {
    JsError::new("the trainer is busy: await the previous call")
}

#[wasm_bindgen]
impl Trainer {
    /// A trainer on the GPU (opened with `openGpu`) for MNIST's four files as served (gzip or
    /// not), parsed by the crate's own reader. `model` is `"mlp"` (the chapter's network,
    /// RMSprop at 1e-3, batch 128) or `"convnet"` (Adam at 1e-3, batch 64); `train_limit` and
    /// `test_limit` keep the first rows only (0: all).
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        train_images: Vec<u8>,
        train_labels: Vec<u8>,
        test_images: Vec<u8>,
        test_labels: Vec<u8>,
        model: &str,
        train_limit: usize,
        test_limit: usize,
        seed: u64,
    ) -> Result<Trainer, JsError> {
        let gpu = Device::gpu().map_err(js)?;
        let m = mnist::from_bytes([train_images, train_labels, test_images, test_labels])
            .map_err(js)?;
        let limit = |n: usize| (n > 0).then_some(n);
        let train =
            Dataset::from_images(&m.train_images, &m.train_labels, limit(train_limit), &gpu)
                .map_err(js)?;
        let test = Dataset::from_images(&m.test_images, &m.test_labels, limit(test_limit), &gpu)
            .map_err(js)?;
        let (model, optimizer, batch, eval_batch): (_, Box<dyn Optimizer>, _, _) = match model {
            "mlp" => (
                models::mnist_mlp(seed, &gpu),
                Box::new(RmsProp::new(1e-3)),
                128,
                1000,
            ),
            "convnet" => (
                models::mnist_convnet(seed, &gpu),
                Box::new(Adam::new(1e-3)),
                64,
                250,
            ),
            other => {
                return Err(JsError::new(&format!(
                    "unknown model {other:?}: \"mlp\" or \"convnet\""
                )))
            }
        };
        let epoch = start_epoch(&train, batch, seed, 0)?;
        let state = State {
            model: model.map_err(js)?,
            train,
            test,
            batch,
            eval_batch,
            seed,
            optimizer: RefCell::new(optimizer),
            epoch: RefCell::new(epoch),
        };
        Ok(Trainer {
            state: Rc::new(state),
        })
    }

    /// Training steps in one epoch.
    #[wasm_bindgen(js_name = stepsPerEpoch)]
    pub fn steps_per_epoch(&self) -> usize {
        self.state.train.len().div_ceil(self.state.batch)
    }

    /// Records up to `count` steps of the epoch in progress (they run on the GPU while the
    /// page goes on) and returns how many it recorded: fewer at the epoch's end, then 0 until
    /// `nextEpoch`.
    #[wasm_bindgen(js_name = trainSteps)]
    pub fn train_steps(&self, count: usize) -> Result<usize, JsError> {
        let s = &self.state;
        let (mut epoch, mut optimizer) =
            match (s.epoch.try_borrow_mut(), s.optimizer.try_borrow_mut()) {
                (Ok(e), Ok(o)) => (e, o),
                _ => return Err(busy()),
            };
        let Epoch {
            order, progress, ..
        } = &mut *epoch;
        let mut batches = s.train.batches_in(s.batch, Some(order)).map_err(js)?;
        // The epoch resumes where the last call stopped: `nth` skips without gathering.
        let first = batches.nth(progress.step);
        let before = progress.step;
        for batch in first.into_iter().chain(batches).take(count) {
            let (x, y) = batch.map_err(js)?;
            s.model
                .train_step(&x, &y, optimizer.as_mut(), progress)
                .map_err(js)?;
        }
        Ok(progress.step - before)
    }

    /// Resolves, once the recorded steps have run, to `{epoch, step, steps, loss, accuracy}`:
    /// the epoch's running mean loss and accuracy so far.
    pub fn progress(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let e = state
                .epoch
                .try_borrow()
                .map_err(|_| JsValue::from_str("the trainer is busy"))?;
            let (loss, accuracy) = e
                .progress
                .running_async()
                .await
                .map_err(|e| JsValue::from_str(&e.to_string()))?;
            Ok(object(&[
                ("epoch", (e.number as f64).into()),
                ("step", (e.progress.step as f64).into()),
                ("steps", (e.progress.steps as f64).into()),
                ("loss", loss.into()),
                ("accuracy", accuracy.into()),
            ]))
        })
    }

    /// Starts the next epoch (a new shuffle, fresh running sums).
    #[wasm_bindgen(js_name = nextEpoch)]
    pub fn next_epoch(&self) -> Result<(), JsError> {
        let s = &self.state;
        let mut epoch = s.epoch.try_borrow_mut().map_err(|_| busy())?;
        *epoch = start_epoch(&s.train, s.batch, s.seed, epoch.number + 1)?;
        Ok(())
    }

    /// Resolves to `[loss, accuracy]` over the test set.
    pub fn evaluate(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (loss, accuracy) = state
                .model
                .evaluate_async(&state.test, state.eval_batch)
                .await
                .map_err(|e| JsValue::from_str(&e.to_string()))?;
            Ok(js_sys::Float32Array::from(&[loss, accuracy][..]).into())
        })
    }

    /// Resolves to the ten class probabilities for one 28x28 image of `pixels` (0 to 255 by
    /// row, white digit on black as in MNIST).
    pub fn classify(&self, pixels: Vec<u8>) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let fail = |e: Error| JsValue::from_str(&e.to_string());
            if pixels.len() != 784 {
                return Err(JsValue::from_str(&format!(
                    "classify takes 784 pixels (28x28), got {}",
                    pixels.len()
                )));
            }
            let device = state.train.device();
            let x: Vec<f32> = pixels.iter().map(|&p| f32::from(p) / 255.0).collect();
            let x = Tensor::from_vec(x, &[1, 784], device).map_err(fail)?;
            let p = state
                .model
                .logits(&x)
                .and_then(|z| z.softmax())
                .map_err(fail)?;
            let p = p.to_vec_async().await.map_err(fail)?;
            Ok(js_sys::Float32Array::from(&p[..]).into())
        })
    }
}
