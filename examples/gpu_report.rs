//! What this machine's GPU does with tensorgears, as one Markdown report: the adapter and its
//! limits, the matmul kernel the tuner chose per shape, matmul GFLOP/s from the MNIST shapes to
//! 4096³ (and the share of a peak, given one), element-wise GB/s, softmax-cross-entropy rows/s,
//! and one epoch of each of the book's MNIST models (the chapter's network and the convnet).
//!
//! cargo run --release --example gpu_report -- [--quick] [--peak-tflops 67] [--data DIR]
//!
//! Every time is taken after a warm-up (which compiles, and queues the shape's tuning), after
//! the tuning has landed, and around whole submits waited for: a GPU timing is only a timing
//! once the queue has finished. `--quick` shrinks the shapes for a CPU-emulated adapter.
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use tensorgears::data::{mnist, Dataset};
use tensorgears::nn::models;
use tensorgears::optim::RmsProp;
use tensorgears::{loss, Device, Padding, Result, Tensor, Var};

#[derive(Parser, Debug)]
struct Args {
    /// Smaller shapes and a shorter epoch, for a CPU-emulated adapter.
    #[arg(long)]
    quick: bool,
    /// The card's FP32 peak in TFLOP/s, to give each product's share of it.
    #[arg(long)]
    peak_tflops: Option<f64>,
    /// Directory of the MNIST files (default: $MNIST_DIR, else the cache).
    #[arg(long)]
    data: Option<PathBuf>,
}

/// Runs `f` until about `budget` has passed (at least 3 times, after one warm-up) and gives the
/// median time of one run, each run waited for.
fn time(dev: &Device, budget: Duration, mut f: impl FnMut() -> Result<()>) -> Result<Duration> {
    f()?;
    dev.synchronize()?;
    let mut runs = Vec::new();
    let start = Instant::now();
    while runs.len() < 3 || (start.elapsed() < budget && runs.len() < 200) {
        let t = Instant::now();
        f()?;
        dev.synchronize()?;
        runs.push(t.elapsed());
    }
    runs.sort();
    Ok(runs[runs.len() / 2])
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let gpu = Device::gpu()?;
    let info = gpu
        .gpu_info()
        .ok_or_else(|| tensorgears::Error::Gpu("Device::gpu() is not a GPU".into()))?;
    println!("# tensorgears GPU report\n");
    println!("| adapter | {} |\n| --- | --- |", info.name);
    println!("| backend, type | {}, {} |", info.backend, info.device_type);
    println!("| driver | {} |", info.driver);
    let subgroups = info
        .subgroup_sizes
        .map_or("none".to_string(), |(a, b)| format!("{a} to {b} lanes"));
    println!("| subgroups | {subgroups} |");
    println!("| timestamp queries | {} |", info.timestamps);
    println!(
        "| limits | {} MiB per storage binding, {} KiB workgroup memory, {} invocations, {} workgroups per dimension |",
        info.max_storage_binding >> 20,
        info.max_workgroup_memory >> 10,
        info.max_invocations,
        info.max_workgroups_per_dimension
    );
    println!("| default matmul kernel | {} |\n", gpu.matmul_kernel()?);

    matmul(&gpu, &args)?;
    elementwise(&gpu, args.quick)?;
    losses(&gpu, args.quick)?;
    convolutions(&gpu, args.quick)?;
    epoch(&gpu, &args)?;
    println!("\nreport took {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn matmul(gpu: &Device, args: &Args) -> Result<()> {
    let mut shapes = vec![
        ("128x784 · 784x512", 128, 784, 512),
        ("128x512 · 512x10", 128, 512, 10),
        ("784x128 · 128x512", 784, 128, 512),
        ("128x10 · 10x512", 128, 10, 512),
        ("1024³", 1024, 1024, 1024),
    ];
    if !args.quick {
        shapes.push(("2048³", 2048, 2048, 2048));
        shapes.push(("4096³", 4096, 4096, 4096));
    }
    println!("## Matrix products\n");
    let peak = if args.peak_tflops.is_some() {
        " | share of peak"
    } else {
        ""
    };
    let rule = if args.peak_tflops.is_some() {
        " | ---"
    } else {
        ""
    };
    println!(
        "| product | kernel (tuned) | ms | GFLOP/s{peak} |\n| --- | --- | ---: | ---:{rule} |"
    );
    for (name, m, k, n) in shapes {
        let a = Tensor::rand_uniform(&[m, k], -1.0, 1.0, 1, gpu)?;
        let b = Tensor::rand_uniform(&[k, n], -1.0, 1.0, 2, gpu)?;
        // The first product queues the shape's class for tuning; matmul_kernel waits for it.
        a.matmul(&b)?;
        gpu.synchronize()?;
        gpu.matmul_kernel()?;
        let t = time(gpu, Duration::from_millis(300), || a.matmul(&b).map(drop))?;
        let gflops = 2.0 * (m * k * n) as f64 / t.as_secs_f64() / 1e9;
        let share = args.peak_tflops.map_or(String::new(), |p| {
            format!(" | {:.1}%", 100.0 * gflops / (p * 1e3))
        });
        println!(
            "| {name} | {} | {:.3} | {gflops:.1}{share} |",
            gpu.matmul_kernel_for(m, k, n)?,
            t.as_secs_f64() * 1e3
        );
    }
    println!();
    Ok(())
}

fn elementwise(gpu: &Device, quick: bool) -> Result<()> {
    let side = if quick { 1024 } else { 4096 };
    let n = side * side;
    let x = Tensor::rand_uniform(&[side, side], -1.0, 1.0, 3, gpu)?;
    let y = Tensor::rand_uniform(&[side, side], -1.0, 1.0, 4, gpu)?;
    println!("## Element-wise ({side}x{side})\n");
    println!("| op | bytes moved per element | ms | GB/s |\n| --- | ---: | ---: | ---: |");
    type Op<'a> = Box<dyn Fn() -> Result<Tensor> + 'a>;
    let ops: [(&str, usize, Op); 3] = [
        ("x + y", 12, Box::new(|| x.add(&y))),
        (
            "x * 2 (a copy with a multiply)",
            8,
            Box::new(|| x.mul_scalar(2.0)),
        ),
        (
            "transposed x, copied contiguous",
            8,
            Box::new(|| x.t()?.contiguous()),
        ),
    ];
    for (name, bytes, op) in ops {
        let t = time(gpu, Duration::from_millis(200), || op().map(drop))?;
        let gbs = (bytes * n) as f64 / t.as_secs_f64() / 1e9;
        println!(
            "| {name} | {bytes} | {:.3} | {gbs:.1} |",
            t.as_secs_f64() * 1e3
        );
    }
    println!();
    Ok(())
}

fn losses(gpu: &Device, quick: bool) -> Result<()> {
    let shapes: &[(usize, usize)] = if quick {
        &[(8192, 10), (1024, 1000)]
    } else {
        &[(65536, 10), (8192, 1000)]
    };
    println!("## Fused softmax-cross-entropy (forward and backward)\n");
    println!("| rows x classes | ms | rows/s |\n| --- | ---: | ---: |");
    for &(rows, classes) in shapes {
        let logits =
            tensorgears::Var::new(Tensor::rand_uniform(&[rows, classes], -3.0, 3.0, 5, gpu)?);
        let labels: Vec<u32> = (0..rows as u32).map(|i| i % classes as u32).collect();
        let labels = Tensor::from_vec_u32(labels, &[rows], gpu)?;
        let t = time(gpu, Duration::from_millis(200), || {
            let l = loss::sparse_softmax_cross_entropy_unchecked(logits.as_tensor(), &labels)?;
            l.backward().map(drop)
        })?;
        println!(
            "| {rows} x {classes} | {:.3} | {:.0} |",
            t.as_secs_f64() * 1e3,
            rows as f64 / t.as_secs_f64()
        );
    }
    println!();
    Ok(())
}

/// The convnet's three convolutions at batch 64 (8 with `quick`): forward, and forward with the
/// gradients a training step takes, in GFLOP/s of their products.
fn convolutions(gpu: &Device, quick: bool) -> Result<()> {
    println!(
        "## conv2d at the convnet's layers (3x3, relu, batch {})\n",
        if quick { 8 } else { 64 }
    );
    println!("| layer | forward (ms) | GFLOP/s | forward + backward (ms) | GFLOP/s |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let batch = if quick { 8 } else { 64 };
    let budget = Duration::from_secs(if quick { 1 } else { 2 });
    for (side, cin, cout) in [(28, 1, 32), (13, 32, 64), (5, 64, 128)] {
        let out = side - 2;
        let flops = (2 * batch * out * out * 9 * cin * cout) as f64;
        let x = Tensor::rand_uniform(&[batch, side, side, cin], 0.0, 1.0, 1, gpu)?;
        let f = Var::new(Tensor::rand_uniform(&[3, 3, cin, cout], -0.1, 0.1, 2, gpu)?);
        let b = Var::new(Tensor::zeros(&[cout], gpu)?);
        // The first layer's images are data, without a gradient, as in training.
        let xv = Var::new(x.clone());
        let images = if cin > 1 {
            xv.as_tensor().clone()
        } else {
            x.clone()
        };
        let forward =
            |t: &Tensor| t.conv2d_bias_relu(f.as_tensor(), b.as_tensor(), [1, 1], Padding::Valid);
        time(gpu, budget, || forward(&x.detach()).map(drop))?;
        gpu.matmul_kernel()?;
        let fwd = time(gpu, budget, || forward(&x.detach()).map(drop))?.as_secs_f64();
        time(gpu, budget, || forward(&images)?.backward().map(drop))?;
        gpu.matmul_kernel()?;
        let both = time(gpu, budget, || forward(&images)?.backward().map(drop))?.as_secs_f64();
        let products = if cin > 1 { 3.0 } else { 2.0 };
        println!(
            "| {side}x{side}x{cin} → {cout} | {:.3} | {:.1} | {:.3} | {:.1} |",
            1e3 * fwd,
            flops / fwd / 1e9,
            1e3 * both,
            products * flops / both / 1e9
        );
    }
    println!();
    Ok(())
}

fn epoch(gpu: &Device, args: &Args) -> Result<()> {
    let data = match mnist::load(args.data.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            println!("## Training epochs\n\nnot run: no MNIST ({e})");
            return Ok(());
        }
    };
    let test = Dataset::from_images(&data.test_images, &data.test_labels, None, gpu)?;
    let models = [
        (
            "the chapter's network (Dense 512 relu, Dense 10, RMSprop, batch 128)",
            models::mnist_mlp(0, gpu)?,
            128,
            6000,
        ),
        (
            "the convnet (three 3x3 convolutions, 2x2 max-pooling, Dense 10, RMSprop, batch 64)",
            models::mnist_convnet(0, gpu)?,
            64,
            1280,
        ),
    ];
    for (what, model, batch, quick_limit) in models {
        println!("## One epoch of {what}\n");
        let limit = args.quick.then_some(quick_limit);
        let train = Dataset::from_images(&data.train_images, &data.train_labels, limit, gpu)?;
        let mut opt = RmsProp::new(1e-3);
        // A first epoch compiles and tunes; the second is the one timed.
        model.train_epoch(&train, batch, &mut opt, Some(1), |_| Ok(()))?;
        gpu.matmul_kernel()?;
        let start = Instant::now();
        let stats = model.train_epoch(&train, batch, &mut opt, Some(2), |_| Ok(()))?;
        let secs = start.elapsed().as_secs_f64();
        // The convnet's patches grow with the batch: 250 images stay under small bindings.
        let (_, accuracy) = model.evaluate(&test, 250)?;
        println!("| samples | epoch (s) | samples/s | train loss | test accuracy after 2 epochs |");
        println!("| ---: | ---: | ---: | ---: | ---: |");
        println!(
            "| {} | {secs:.2} | {:.0} | {:.4} | {accuracy:.4} |\n",
            stats.samples,
            stats.samples as f64 / secs,
            stats.loss
        );
    }
    Ok(())
}
