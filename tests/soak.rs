//! A soak test: 2,000 training steps on the GPU with the batch size cycling through 1 to 257,
//! and evaluation at other batch sizes in between, as a program with changing shapes runs.
//! Live plus pooled GPU memory stays under the pool's limit the whole run, the loss stays
//! finite, and the weights end where the same steps on the CPU end. One test in this binary:
//! the counters are process-wide.
mod common;

use std::path::{Path, PathBuf};

use tensorgears::data::{mnist, Dataset};
use tensorgears::nn::{Activation, Dense, Sequential};
use tensorgears::optim::{Optimizer, Sgd};
use tensorgears::{loss, Device, Result, Tensor};

const STEPS: usize = 2000;
/// Bytes the GPU may hold, live and idle together, through the run.
const LIMIT: u64 = 32 << 20;

fn mnist_dir() -> PathBuf {
    std::env::var_os("MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/mnist"))
}

struct Run {
    weights: Vec<Vec<f32>>,
    evaluations: Vec<(f32, f32)>,
    /// The most live plus pooled bytes seen on the GPU (0 on the CPU), and the most pooled.
    peak: (u64, u64),
}

fn train(dev: &Device, m: &mnist::Mnist) -> Result<Run> {
    let train = Dataset::from_images(&m.train_images, &m.train_labels, Some(3000), dev)?;
    let test = Dataset::from_images(&m.test_images, &m.test_labels, None, dev)?;
    let model = Sequential::new(vec![
        Dense::new(784, 32, Activation::Relu, 5, dev)?,
        Dense::new(32, 10, Activation::None, 6, dev)?,
    ]);
    let weights = model.weights();
    let mut opt = Sgd::new(0.02);
    let mut loss_sum = Tensor::scalar(0.0, dev)?;
    let mut evaluations = Vec::new();
    let mut peak = (0, 0);
    for step in 0..STEPS {
        let batch_size = 1 + step % 257;
        let (x, y) = train
            .batches(batch_size, Some(step as u64))?
            .next()
            .expect("a non-empty data set has a first batch")?;
        let logits = model.logits(&x)?;
        let l = loss::sparse_softmax_cross_entropy(&logits, &y)?;
        opt.step(&weights, &l.backward()?)?;
        loss_sum = loss_sum.add(&l.detach())?;
        if let Some(c) = dev.gpu_counters() {
            let held = c.live_bytes + c.pooled_bytes;
            peak = (peak.0.max(held), peak.1.max(c.pooled_bytes));
            assert!(held <= LIMIT, "step {step}: {held} bytes held ({c:?})");
        }
        if step % 250 == 249 {
            // Every step's loss went into the sum: one NaN or infinity anywhere shows here.
            let sum = loss_sum.to_scalar()?;
            assert!(sum.is_finite(), "step {step}: the loss sum is {sum}");
            evaluations.push(model.evaluate(&test, 61 + step % 400)?);
        }
    }
    let weights = weights
        .iter()
        .map(|w| w.as_tensor().to_vec())
        .collect::<Result<_>>()?;
    Ok(Run {
        weights,
        evaluations,
        peak,
    })
}

#[test]
fn two_thousand_steps_of_changing_shapes() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    let m = mnist::load(Some(&mnist_dir()))?;
    gpu.set_pool_limit(LIMIT / 2);
    let on_gpu = train(&gpu, &m)?;
    let on_cpu = train(&Device::cpu(), &m)?;
    eprintln!(
        "GPU held at most {} KiB live and pooled, {} KiB pooled; evaluations {:?}",
        on_gpu.peak.0 >> 10,
        on_gpu.peak.1 >> 10,
        on_gpu.evaluations
    );
    assert!(on_gpu.peak.1 <= LIMIT / 2);
    // It learned: the last evaluation is well above chance on both devices.
    for run in [&on_gpu, &on_cpu] {
        let (_, accuracy) = *run.evaluations.last().expect("evaluated");
        assert!(accuracy > 0.8, "{:?}", run.evaluations);
    }
    // The same steps give the same weights: summation order differs between the devices, and
    // 2,000 steps carry the difference along (on lavapipe, by at most 1e-6 of the largest
    // weight), so the tolerance is 2e-5 of the largest weight.
    for (i, (g, c)) in on_gpu.weights.iter().zip(&on_cpu.weights).enumerate() {
        let scale = c.iter().fold(0f32, |m, v| m.max(v.abs()));
        let worst = g.iter().zip(c).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        eprintln!("weights {i}: worst difference {worst:e}, largest weight {scale}");
        assert!(
            worst <= 2e-5 * scale,
            "weights {i}: differ by {worst} (largest {scale})"
        );
    }
    Ok(())
}
