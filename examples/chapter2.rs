// `s![a..-b]` counts from the end, which clippy mistakes for an empty Rust range.
#![allow(clippy::reversed_empty_ranges)]
//! A guided tour of "The mathematical building blocks of neural networks" (chapter 2 of
//! *Deep Learning with Python*), section by section, on the GPU (or `--device cpu`).
//!
//! cargo run --release --example chapter2 [-- --device cpu] [--data DIR]
//!
//! Values are printed the way NumPy's `print` shows them. Lines starting with `//` are the
//! code that runs, or figures that depend on the machine (timings, training); every other
//! line is what the chapter's NumPy code prints for the same cell, which
//! `examples/chapter2_numpy.py` reproduces with NumPy for comparison:
//!
//! diff <(cargo run --release --example chapter2 | grep -v '^//') <(python3 examples/chapter2_numpy.py)
use std::f64::consts::PI;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

#[path = "common/device.rs"]
mod device;
#[path = "common/numpy.rs"]
mod numpy;
use device::DeviceArg;
use tensorgears::data::{mnist, Dataset};
use tensorgears::nn::{Activation, Dense, Sequential};
use tensorgears::optim::RmsProp;
use tensorgears::{s, Device, Error, Result, Tensor, Var};

/// Run the chapter's cells in order and print what NumPy would.
#[derive(Parser, Debug)]
struct Args {
    #[arg(long, value_enum, default_value = "gpu")]
    device: DeviceArg,
    /// Directory of the four IDX files (default: $MNIST_DIR, else the cache, downloading).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Train the closing example on the first N images only, for a quick run.
    #[arg(long)]
    limit: Option<usize>,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn title(t: &str) {
    println!("\n## {t}");
}

/// A line of code, shown as a comment before what it prints.
fn code(c: &str) {
    println!("// {c}");
}

/// A figure that depends on the machine, as a comment so it is not compared with NumPy's.
fn note(text: &str) {
    for line in text.lines() {
        println!("// {line}");
    }
}

/// `name = value`, on the next lines when the value is an array.
fn show(name: &str, value: &str) {
    if value.starts_with('[') {
        println!("{name} =\n{value}");
    } else {
        println!("{name} = {value}");
    }
}

fn array(t: &Tensor) -> Result<String> {
    Ok(match t.dtype() {
        tensorgears::DType::F32 => numpy::f32s(t.shape(), &t.to_vec()?),
        tensorgears::DType::U32 => numpy::u32s(t.shape(), &t.to_vec_u32()?),
    })
}

fn run(args: Args) -> Result<()> {
    let dev = match device::pick(args.device) {
        Ok(d) => d,
        Err(e) => {
            println!("// {e}\n// running on the CPU instead");
            Device::cpu()
        }
    };
    println!("// device: {dev}");
    data_representations(&dev, &args)?;
    tensor_operations(&dev)?;
    gradient_tape(&dev)?;
    first_example(&dev, &args)
}

fn data_representations(dev: &Device, args: &Args) -> Result<()> {
    title("2.2.1 Scalars (rank-0 tensors)");
    code("let x = Tensor::scalar(12.0, &dev)?;");
    let x = Tensor::scalar(12.0, dev)?;
    show("x", &array(&x)?);
    show("x.ndim", &x.ndim().to_string());

    title("2.2.2 Vectors (rank-1 tensors)");
    code("let x = Tensor::from_vec(vec![12., 3., 6., 14., 7.], &[5], &dev)?;");
    let x = Tensor::from_vec(vec![12., 3., 6., 14., 7.], &[5], dev)?;
    show("x", &array(&x)?);
    show("x.ndim", &x.ndim().to_string());

    title("2.2.3 Matrices (rank-2 tensors)");
    let rows = [
        [5., 78., 2., 34., 0.],
        [6., 79., 3., 35., 1.],
        [7., 80., 4., 36., 2.],
    ];
    code("let x = Tensor::from_array(&ndarray::arr2(&[[5., 78., 2., 34., 0.], ...]), &dev)?;");
    let x = Tensor::from_array(&ndarray::arr2(&rows), dev)?;
    show("x", &array(&x)?);
    show("x.ndim", &x.ndim().to_string());

    title("2.2.4 Rank-3 and higher-rank tensors");
    code("let x = Tensor::from_array(&ndarray::arr3(&[rows, rows, rows]), &dev)?;");
    let x = Tensor::from_array(&ndarray::arr3(&[rows, rows, rows]), dev)?;
    show("x", &array(&x)?);
    show("x.ndim", &x.ndim().to_string());
    code("let x = Tensor::from_vec((0..12).map(|i| i as f32).collect(), &[2, 1, 3, 1, 2], &dev)?;");
    let x = Tensor::from_vec((0..12).map(|i| i as f32).collect(), &[2, 1, 3, 1, 2], dev)?;
    show("x", &array(&x)?);
    show("x.ndim", &x.ndim().to_string());
    show("x.dtype", &x.dtype().to_string());

    title("2.2.5 Key attributes");
    code("let data = mnist::load(None)?;");
    let data = mnist::load(args.data.as_deref())?;
    let images = &data.train_images;
    show("train_images.ndim", &images.shape().len().to_string());
    show("train_images.shape", &numpy::shape(&images.shape()));
    show("train_images.dtype", "uint8");
    show("train_labels[4]", &data.train_labels[4].to_string());
    let pixels: Vec<f32> = images.pixels.iter().map(|&p| p as f32).collect();
    code("let train_images = Tensor::from_vec(pixels_as_f32, &[60000, 28, 28], &dev)?;");
    let train_images = match Tensor::from_vec(pixels.clone(), &images.shape(), dev) {
        Err(e @ Error::LimitExceeded { .. }) => {
            println!("// {e}: this part runs on the CPU");
            Tensor::from_vec(pixels, &images.shape(), &Device::cpu())?
        }
        other => other?,
    };
    show("train_images.dtype", &train_images.dtype().to_string());
    code("the fourth digit, every fourth pixel: train_images.slice(s![4, ..;4, ..;4])");
    show(
        "train_images[4, ::4, ::4]",
        &array(&train_images.slice(s![4, ..;4, ..;4])?)?,
    );

    title("2.2.6 Manipulating tensors in NumPy");
    let my_slice = train_images.slice(s![10..100])?;
    code("train_images.slice(s![10..100])?");
    show("my_slice.shape", &numpy::shape(my_slice.shape()));
    let same = train_images.slice(s![10..100, .., ..])?;
    show(
        "train_images[10:100, :, :].shape",
        &numpy::shape(same.shape()),
    );
    let same = train_images.slice(s![10..100, 0..28, 0..28])?;
    show(
        "train_images[10:100, 0:28, 0:28].shape",
        &numpy::shape(same.shape()),
    );
    code("train_images.slice(s![.., 14.., 14..])?");
    let my_slice = train_images.slice(s![.., 14.., 14..])?;
    show("my_slice.shape", &numpy::shape(my_slice.shape()));
    code("train_images.slice(s![.., 7..-7, 7..-7])?");
    let my_slice = train_images.slice(s![.., 7..-7, 7..-7])?;
    show("my_slice.shape", &numpy::shape(my_slice.shape()));
    show(
        "my_slice[4, 2:8, 2:8]",
        &array(&my_slice.slice(s![4, 2..8, 2..8])?)?,
    );

    title("2.2.7 The notion of data batches");
    code("train_images.slice(s![..128])?");
    show(
        "batch.shape",
        &numpy::shape(train_images.slice(s![..128])?.shape()),
    );
    show(
        "train_images[128:256].shape",
        &numpy::shape(train_images.slice(s![128..256])?.shape()),
    );
    code("let n = 3; train_images.batch(n, 128)?");
    let batch = train_images.batch(3, 128)?;
    show("batch.shape", &numpy::shape(batch.shape()));
    show(
        "batch[0, 14, 8:16]",
        &array(&batch.slice(s![0, 14, 8..16])?)?,
    );
    code("the last batch is short: 60000 = 468 * 128 + 96");
    let last = train_images.batch(468, 128)?;
    show(
        "train_images[128 * 468:128 * 469].shape",
        &numpy::shape(last.shape()),
    );
    Ok(())
}

fn naive_relu(x: &[f32]) -> Vec<f32> {
    let mut out = x.to_vec();
    for v in &mut out {
        *v = v.max(0.0);
    }
    out
}

fn naive_add(x: &[f32], y: &[f32]) -> Vec<f32> {
    x.iter().zip(y).map(|(a, b)| a + b).collect()
}

/// Both ways of computing relu(x + y) `iters` times on `shape`, timed; the GPU's only once
/// its queue has finished, and after a warm-up call that compiles the kernels.
fn time_add_relu(dev: &Device, shape: &[usize], iters: usize) -> Result<()> {
    let n: usize = shape.iter().product();
    let x: Vec<f32> = (0..n).map(|i| (i % 17) as f32 / 8.0 - 1.0).collect();
    let y: Vec<f32> = (0..n).map(|i| (i % 13) as f32 / 6.0 - 1.0).collect();
    let start = Instant::now();
    let mut z = Vec::new();
    for _ in 0..iters {
        z = naive_relu(&naive_add(&x, &y));
    }
    let naive = start.elapsed().as_secs_f64();
    let (xt, yt) = (
        Tensor::from_vec(x, shape, dev)?,
        Tensor::from_vec(y, shape, dev)?,
    );
    xt.add(&yt)?.relu()?.to_vec()?;
    let start = Instant::now();
    let mut zt = xt.clone();
    for _ in 0..iters {
        zt = xt.add(&yt)?.relu()?;
    }
    dev.synchronize()?;
    let kernel = start.elapsed().as_secs_f64();
    let agree = zt.to_vec()? == z;
    println!(
        "// {iters} x relu(x + y) at {}: per-element loop on the CPU {:.4} s, tensor ops on {} {:.4} s (same values: {agree})",
        numpy::shape(shape),
        naive,
        dev.name(),
        kernel
    );
    Ok(())
}

/// Deterministic test data that NumPy can rebuild: small integers, exact in float32.
fn pattern(shape: &[usize], a: usize, m: usize, dev: &Device) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let v = (0..n)
        .map(|i| ((i * a) % m) as f32 - (m / 2) as f32)
        .collect();
    Tensor::from_vec(v, shape, dev)
}

fn tensor_operations(dev: &Device) -> Result<()> {
    title("2.3.1 Element-wise operations");
    let x = Tensor::from_vec(vec![1., -2., 3., -4., 5., -6.], &[2, 3], dev)?;
    let y = Tensor::from_vec(vec![0.5, 0.25, -1., 2., -0.5, 6.], &[2, 3], dev)?;
    show("x", &array(&x)?);
    show("y", &array(&y)?);
    code("x.relu()?");
    show("np.maximum(x, 0.)", &array(&x.relu()?)?);
    code("x.add(&y)?");
    show("x + y", &array(&x.add(&y)?)?);
    let naive = naive_relu(&naive_add(&x.to_vec()?, &y.to_vec()?));
    show("naive_relu(naive_add(x, y))", &numpy::f32s(&[2, 3], &naive));
    time_add_relu(dev, &[20, 100], 1000)?;
    time_add_relu(dev, &[2048, 2048], 10)?;

    title("2.3.2 Broadcasting");
    let big = pattern(&[32, 10], 7, 13, dev)?;
    let small = pattern(&[10], 5, 11, dev)?;
    code("let X = (32, 10), y = (10,); X.add(&y)?");
    let sum = big.add(&small)?;
    show("(X + y).shape", &numpy::shape(sum.shape()));
    show("(X + y)[:2]", &array(&sum.slice(s![..2])?)?);
    code("y.reshape(&[1, 10])?: np.expand_dims(y, axis=0)");
    show("y.shape", &numpy::shape(small.reshape(&[1, 10])?.shape()));
    code("let x = (64, 3, 32, 10), y = (32, 10); x.maximum(&y)?");
    let x = pattern(&[64, 3, 32, 10], 7, 13, dev)?;
    let y = pattern(&[32, 10], 5, 11, dev)?;
    let z = x.maximum(&y)?;
    show("z.shape", &numpy::shape(z.shape()));
    show("z[0, 0, :2]", &array(&z.slice(s![0, 0, ..2])?)?);
    show("z.sum()", &array(&z.sum()?)?);

    title("2.3.3 Tensor product");
    let x = pattern(&[32], 1, 5, dev)?;
    let y = pattern(&[32], 2, 7, dev)?;
    code("x.dot(&y)? of two (32,) vectors");
    let z = x.dot(&y)?;
    show("z.shape", &numpy::shape(z.shape()));
    show("z", &array(&z)?);
    let m = pattern(&[3, 4], 3, 7, dev)?;
    let v = pattern(&[4], 1, 5, dev)?;
    show("x", &array(&m)?);
    show("y", &array(&v)?);
    code("matrix-vector: x.dot(&y)?");
    show("np.dot(x, y)", &array(&m.dot(&v)?)?);
    let w = pattern(&[4, 2], 5, 9, dev)?;
    show("w", &array(&w)?);
    code("matrix-matrix: x.dot(&w)?");
    show("np.dot(x, w)", &array(&m.dot(&w)?)?);
    code("(a, b, c, d) . (d, e) -> (a, b, c, e): x.dot(&y)? with x (2, 3, 4, 5), y (5, 6)");
    let x = pattern(&[2, 3, 4, 5], 3, 11, dev)?;
    let y = pattern(&[5, 6], 2, 7, dev)?;
    let z = x.dot(&y)?;
    show("np.dot(x, y).shape", &numpy::shape(z.shape()));
    show("np.dot(x, y)[1, 2]", &array(&z.slice(s![1, 2])?)?);

    title("2.3.4 Tensor reshaping");
    let x = Tensor::from_vec(vec![0., 1., 2., 3., 4., 5.], &[3, 2], dev)?;
    show("x.shape", &numpy::shape(x.shape()));
    code("x.reshape(&[6, 1])?");
    show("x.reshape((6, 1))", &array(&x.reshape(&[6, 1])?)?);
    code("x.reshape(&[2, 3])?");
    show("x.reshape((2, 3))", &array(&x.reshape(&[2, 3])?)?);
    match x.reshape(&[3, 4]) {
        Err(e) => println!("// x.reshape(&[3, 4]) fails: {e}"),
        Ok(t) => println!("// x.reshape(&[3, 4]) unexpectedly gave {:?}", t.shape()),
    }
    code("Tensor::zeros(&[300, 20], &dev)?.t()?");
    let x = Tensor::zeros(&[300, 20], dev)?;
    show("np.transpose(x).shape", &numpy::shape(x.t()?.shape()));
    let x = Tensor::from_vec(vec![0., 1., 2., 3., 4., 5.], &[3, 2], dev)?;
    show(
        "np.array([[0., 1.], [2., 3.], [4., 5.]]).T",
        &array(&x.t()?)?,
    );

    title("2.3.5 Geometric interpretation of tensor operations");
    let a = Tensor::from_vec(vec![0.5, 1.0], &[2], dev)?;
    let b = Tensor::from_vec(vec![1.0, 0.25], &[2], dev)?;
    show("A + B", &array(&a.add(&b)?)?);
    let rotation = |degrees: f64| -> Result<Tensor> {
        let t = degrees * PI / 180.0;
        let (c, s) = (t.cos() as f32, t.sin() as f32);
        Tensor::from_vec(vec![c, -s, s, c], &[2, 2], dev)
    };
    let r = rotation(30.0)?;
    code("the rotation by 30 degrees, [[cos, -sin], [sin, cos]], applied as R.dot(&A)?");
    show("R", &array(&r)?);
    show("np.dot(R, A)", &array(&r.dot(&a)?)?);
    code("rotating then translating differs from translating then rotating");
    show("np.dot(R, A) + B", &array(&r.dot(&a)?.add(&b)?)?);
    show("np.dot(R, A + B)", &array(&r.dot(&a.add(&b)?)?)?);
    let scale = Tensor::from_vec(vec![2.0, 0.0, 0.0, 0.5], &[2, 2], dev)?;
    code(
        "and composed transforms do not commute: scale after rotation is not rotation after scale",
    );
    show("np.dot(S, R)", &array(&scale.dot(&r)?)?);
    show("np.dot(R, S)", &array(&r.dot(&scale)?)?);
    Ok(())
}

fn grad(g: &tensorgears::Gradients, v: &Var) -> Result<String> {
    match g.get(v) {
        Some(t) => array(t),
        None => Err(Error::InvalidArgument {
            op: "chapter2",
            msg: "no gradient recorded for a variable".into(),
        }),
    }
}

fn gradient_tape(dev: &Device) -> Result<()> {
    title("2.4.4 The gradient tape in TensorFlow");
    code("let x = Var::new(Tensor::scalar(0.0, &dev)?); let y = 2x + 3; y.backward()?");
    let x = Var::new(Tensor::scalar(0.0, dev)?);
    let g = x.as_tensor().mul_scalar(2.0)?.add_scalar(3.0)?.backward()?;
    show("grad_of_y_wrt_x", &grad(&g, &x)?);
    code("the same with x a random (2, 2) tensor");
    let x = Var::new(Tensor::rand_uniform(&[2, 2], 0.0, 1.0, 0, dev)?);
    let g = x.as_tensor().mul_scalar(2.0)?.add_scalar(3.0)?.backward()?;
    show("grad_of_y_wrt_x", &grad(&g, &x)?);
    code("y = x.matmul(W) + b with W random (2, 2), b zeros (2,), x = [[1, 2], [3, 4]]");
    let w = Var::new(Tensor::rand_uniform(&[2, 2], 0.0, 1.0, 1, dev)?);
    let b = Var::new(Tensor::zeros(&[2], dev)?);
    let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2], dev)?;
    let g = x.matmul(w.as_tensor())?.add(b.as_tensor())?.backward()?;
    show("grad_of_y_wrt_W", &grad(&g, &w)?);
    show("grad_of_y_wrt_b", &grad(&g, &b)?);
    Ok(())
}

fn first_example(dev: &Device, args: &Args) -> Result<()> {
    title("2.5 Looking back at our first example");
    code("Dense(512, relu) -> Dense(10), RMSprop, batch 128, one epoch");
    let data = mnist::load(args.data.as_deref())?;
    let train = Dataset::from_images(&data.train_images, &data.train_labels, args.limit, dev)?;
    let test = Dataset::from_images(&data.test_images, &data.test_labels, None, dev)?;
    let model = Sequential::new(vec![
        Dense::new(784, 512, Activation::Relu, 0, dev)?,
        Dense::new(512, 10, Activation::None, 1, dev)?,
    ]);
    let mut optimizer = RmsProp::new(1e-3);
    let start = Instant::now();
    let batches = train.batches(128, Some(1))?.num_batches();
    let bar = ProgressBar::new(batches as u64).with_style(
        ProgressStyle::with_template("// [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let stats = model.train_epoch(&train, 128, &mut optimizer, Some(1), |p| {
        bar.inc(1);
        if p.step % 50 == 0 {
            let (loss, acc) = p.running()?;
            bar.set_message(format!("loss {loss:.4} accuracy {acc:.4}"));
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    println!(
        "// epoch 1/1 on {} images: loss {:.4}, accuracy {:.4}, {:.1} s",
        stats.samples,
        stats.loss,
        stats.accuracy,
        start.elapsed().as_secs_f64()
    );
    let (first, _) = test
        .batches(10, None)?
        .next()
        .ok_or_else(|| Error::InvalidArgument {
            op: "chapter2",
            msg: "the test set is empty".into(),
        })??;
    let probabilities = model.forward(&first)?.softmax()?;
    note(&format!(
        "predictions[0] =\n{}",
        array(&probabilities.slice(s![0])?)?
    ));
    println!(
        "// predictions[0].argmax() = {}, test_labels[0] = {}",
        array(&model.predict(&first)?.slice(s![0])?)?,
        data.test_labels[0]
    );
    let (_, acc) = model.evaluate(&test, 1000)?;
    println!("// test_acc: {acc:.4}");
    Ok(())
}
