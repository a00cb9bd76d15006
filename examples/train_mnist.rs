//! The book's MNIST models, sparse softmax-cross-entropy, RMSprop, 5 epochs: the chapter-2
//! network (`--model mlp`, batch 128) or the small convnet (`--model convnet`, batch 64).
//!
//! cargo run --release --example train_mnist -- [--model mlp|convnet] [--device auto|gpu|cpu] ...
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};

#[path = "common/device.rs"]
mod device;
#[path = "common/paths.rs"]
mod paths;
#[path = "common/plots.rs"]
mod plots;
use device::DeviceArg;
use indicatif::{ProgressBar, ProgressStyle};
use tensorgears::data::{mnist, Dataset};
use tensorgears::nn::models;
use tensorgears::optim::{Adam, Optimizer, RmsProp, Sgd};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OptimizerArg {
    Rmsprop,
    Sgd,
    Adam,
}

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum ModelArg {
    /// Dense(512, relu) -> Dense(10).
    Mlp,
    /// Three 3x3 convolutions (32, 64, 128 filters) with 2x2 max-pooling between, then Dense(10).
    Convnet,
}

/// Train one of the book's MNIST models and report the test accuracy.
#[derive(Parser, Debug)]
struct Args {
    #[arg(long, value_enum, default_value = "mlp")]
    model: ModelArg,
    #[arg(long, value_enum, default_value = "auto")]
    device: DeviceArg,
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Samples per step (default: 128 for the mlp, 64 for the convnet, as the book trains them).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f32,
    #[arg(long, value_enum, default_value = "rmsprop")]
    optimizer: OptimizerArg,
    /// Seed of the initial weights and of the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Directory of the four IDX files (default: $MNIST_DIR, else the cache, downloading).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Train on the first N images only, for a quick run.
    #[arg(long)]
    limit: Option<usize>,
    /// Write the trained weights to this safetensors file.
    #[arg(long)]
    save: Option<PathBuf>,
    /// Draw the loss and accuracy per epoch into this PNG file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Draw the confusion matrix of the test set into this PNG file.
    #[arg(long)]
    confusion: Option<PathBuf>,
    /// Steps between progress updates (each reads the running loss back once).
    #[arg(long, default_value_t = 20)]
    report_every: usize,
    /// Time every kernel with timestamp queries and print, per epoch, where the time went.
    /// Waits for the device at each submit, so the epoch is slower than without.
    #[arg(long)]
    profile: bool,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> tensorgears::Result<()> {
    for (what, path) in [
        ("weights", &args.save),
        ("training curves", &args.plot),
        ("confusion matrix", &args.confusion),
    ] {
        if let Some(p) = path {
            paths::check_writable(what, p)?;
        }
    }
    let dev = device::pick(args.device)?;
    println!("device: {dev}");
    let data = mnist::load(args.data.as_deref())?;
    let train = Dataset::from_images(&data.train_images, &data.train_labels, args.limit, &dev)?;
    let test = Dataset::from_images(&data.test_images, &data.test_labels, None, &dev)?;
    println!("train: {} images, test: {} images", train.len(), test.len());

    let (model, batch_size, eval_batch) = match args.model {
        ModelArg::Mlp => (models::mnist_mlp(args.seed, &dev)?, 128, 1000),
        // The convnet's patches grow with the batch: 250 test images keep each under the
        // 128 MiB a storage binding may hold on small adapters.
        ModelArg::Convnet => (models::mnist_convnet(args.seed, &dev)?, 64, 250),
    };
    let batch_size = args.batch_size.unwrap_or(batch_size);
    if batch_size == 0 {
        return Err(tensorgears::Error::InvalidArgument {
            op: "train_mnist",
            msg: "--batch-size must be at least 1".into(),
        });
    }
    print!("{}", model.summary(&[784])?);
    let mut optimizer: Box<dyn Optimizer> = match args.optimizer {
        OptimizerArg::Rmsprop => Box::new(RmsProp::new(args.lr)),
        OptimizerArg::Sgd => Box::new(Sgd::new(args.lr)),
        OptimizerArg::Adam => Box::new(Adam::new(args.lr)),
    };
    let style = ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");

    if args.profile {
        dev.profile_kernels()?;
    }
    let counters_before = dev.gpu_counters();
    let (mut losses, mut accuracies) = (Vec::new(), Vec::new());
    let mut steps_done = 0usize;
    for epoch in 1..=args.epochs {
        let start = Instant::now();
        let steps = train.len().div_ceil(batch_size);
        let bar = ProgressBar::new(steps as u64).with_style(style.clone());
        bar.set_prefix(format!("{epoch}/{}", args.epochs));
        let seed = args.seed.wrapping_mul(1000).wrapping_add(epoch as u64);
        let stats = model.train_epoch(&train, batch_size, optimizer.as_mut(), Some(seed), |p| {
            bar.inc(1);
            // Reading the running loss waits for the device: only every few steps.
            if p.step % args.report_every.max(1) == 0 {
                let (loss, acc) = p.running()?;
                bar.set_message(format!("loss {loss:.4} accuracy {acc:.4}"));
            }
            Ok(())
        })?;
        let (loss, acc, seen) = (stats.loss, stats.accuracy, stats.samples);
        steps_done += steps;
        losses.push(loss);
        accuracies.push(acc);
        let secs = start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        println!(
            "epoch {epoch}/{}: loss {loss:.4}, accuracy {acc:.4}, {secs:.1} s, {:.0} samples/s",
            args.epochs,
            seen as f64 / secs
        );
        if args.profile {
            print_profile(&dev.take_kernel_times()?, secs);
        }
    }
    if let (Some(before), Some(after)) = (counters_before, dev.gpu_counters()) {
        let c = after.since(&before);
        let per = |n: u64| n as f64 / steps_done.max(1) as f64;
        println!(
            "GPU work per step: {:.1} dispatches, {:.2} submits, {:.2} readbacks (progress updates), {:.2} new buffers",
            per(c.dispatches),
            per(c.submits),
            per(c.readbacks),
            per(c.buffers_created)
        );
    }
    let start = Instant::now();
    let (test_loss, test_acc) = model.evaluate(&test, eval_batch)?;
    println!(
        "test loss: {test_loss:.4} ({:.1} s)",
        start.elapsed().as_secs_f64()
    );
    println!("test accuracy: {test_acc:.4}");
    if let Some(path) = &args.plot {
        plots::curves(path, &losses, &accuracies).map_err(|msg| plots::error(path, msg))?;
        println!("training curves drawn in {}", path.display());
    }
    if let Some(path) = &args.confusion {
        let mut counts = [[0u32; 10]; 10];
        for batch in test.batches(eval_batch, None)? {
            let (x, y) = batch?;
            let predicted = model.predict(&x)?.to_vec_u32()?;
            for (t, p) in y.to_vec_u32()?.into_iter().zip(predicted) {
                counts[t as usize % 10][p as usize % 10] += 1;
            }
        }
        plots::confusion(path, &counts).map_err(|msg| plots::error(path, msg))?;
        println!("confusion matrix drawn in {}", path.display());
    }
    if let Some(path) = &args.save {
        model.save(path)?;
        println!("weights saved to {}", path.display());
    }
    Ok(())
}

/// Kernel time against the epoch's wall time, the kernels that took most first.
fn print_profile(times: &[tensorgears::KernelTime], wall: f64) {
    let total: f64 = times.iter().map(|t| t.time.as_secs_f64()).sum();
    println!(
        "  kernels: {total:.2} s of {wall:.2} s wall ({:.0}%); the rest is the host recording \
         work, waiting and reading back",
        100.0 * total / wall
    );
    println!(
        "  {:<20} {:>10} {:>9} {:>7} {:>11}",
        "kernel", "dispatches", "time (s)", "share", "per call"
    );
    for t in times {
        let secs = t.time.as_secs_f64();
        println!(
            "  {:<20} {:>10} {:>9.3} {:>6.1}% {:>8.1} us",
            t.kernel,
            t.dispatches,
            secs,
            100.0 * secs / total.max(f64::MIN_POSITIVE),
            1e6 * secs / t.dispatches.max(1) as f64
        );
    }
}
