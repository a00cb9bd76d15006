//! Classifies MNIST test images with a model saved by `train_mnist --save` (either
//! `--model`), printing each digit
//! as ASCII art beside the prediction.
//!
//! cargo run --release --example train_mnist -- --save model.safetensors
//! cargo run --release --example predict -- --model model.safetensors 0 1 2
use std::path::PathBuf;

use clap::Parser;

#[path = "common/device.rs"]
mod device;
#[path = "common/plots.rs"]
mod plots;
use device::DeviceArg;
use tensorgears::data::mnist;
use tensorgears::nn::Sequential;
use tensorgears::Tensor;

/// Classify MNIST test images by index.
#[derive(Parser, Debug)]
struct Args {
    /// Weights written by `train_mnist --save`.
    #[arg(long, default_value = "model.safetensors")]
    model: PathBuf,
    /// Directory of the IDX files (default: $MNIST_DIR, else the cache, downloading).
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "auto")]
    device: DeviceArg,
    /// Also draw the first classified digit into this PNG file (dark on light).
    #[arg(long)]
    png: Option<PathBuf>,
    /// Indices into the 10,000 test images.
    #[arg(default_values_t = [0usize, 1, 2])]
    indices: Vec<usize>,
}

/// The image as text, darker pixels as denser characters.
fn ascii(pixels: &[u8], cols: usize) -> Vec<String> {
    const RAMP: &[u8] = b" .:-=+*#%@";
    pixels
        .chunks(cols)
        .map(|row| {
            row.iter()
                .map(|&p| RAMP[p as usize * (RAMP.len() - 1) / 255] as char)
                .collect()
        })
        .collect()
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> tensorgears::Result<()> {
    let dev = device::pick(args.device)?;
    let model = Sequential::load(&args.model, &dev)?;
    // Either of train_mnist's models; a model for other inputs is refused before any image.
    let output = model.output_shape(&[28 * 28])?;
    if output != [10] {
        return Err(tensorgears::Error::InvalidArgument {
            op: "predict",
            msg: format!(
                "{} gives {output:?} per image, not 10 classes",
                args.model.display()
            ),
        });
    }
    let data = mnist::load(args.data.as_deref())?;
    let images = &data.test_images;
    for &i in &args.indices {
        let Some(pixels) = images.image(i) else {
            eprintln!(
                "index {i} is out of range: there are {} test images",
                images.count
            );
            continue;
        };
        let x: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
        let x = Tensor::from_vec(x, &[1, pixels.len()], &dev)?;
        let probs = model.logits(&x)?.softmax()?.to_vec()?;
        let predicted = model.predict(&x)?.to_vec_u32()?[0] as usize;
        let art = ascii(pixels, images.cols);
        let notes = [
            format!("test image {i}"),
            format!("predicted: {predicted} (p = {:.3})", probs[predicted]),
            format!("label:     {}", data.test_labels[i]),
        ];
        for (r, line) in art.iter().enumerate() {
            println!(
                "{line}  {}",
                notes.get(r.wrapping_sub(12)).map_or("", String::as_str)
            );
        }
        println!();
    }
    if let Some(path) = &args.png {
        let Some(pixels) = args.indices.first().and_then(|&i| images.image(i)) else {
            return Err(tensorgears::Error::InvalidArgument {
                op: "predict",
                msg: "--png needs a valid image index".into(),
            });
        };
        plots::digit(path, pixels, images.rows, images.cols, 10)
            .map_err(|msg| plots::error(path, msg))?;
        println!("digit drawn in {}", path.display());
    }
    Ok(())
}
