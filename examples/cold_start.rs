//! How long the first call of each op takes on a fresh device, pipeline compilation (and the
//! matmul kernel choice) included, next to a second, warm call. Each time is taken after the
//! result is read back, so it covers the whole round trip.
//!
//! cargo run --release --example cold_start [-- --device cpu]
use std::time::Instant;

use clap::Parser;

#[path = "common/device.rs"]
mod device;
use device::DeviceArg;
use tensorgears::{loss, Device, Result, Tensor, Var};

/// Time the first and second call of each op.
#[derive(Parser, Debug)]
struct Args {
    #[arg(long, value_enum, default_value = "gpu")]
    device: DeviceArg,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

type Op<'a> = (&'a str, Box<dyn Fn() -> Result<Tensor> + 'a>);

fn run(args: Args) -> Result<()> {
    let start = Instant::now();
    let dev: Device = device::pick(args.device)?;
    println!("opening {dev}: {:.3} s", start.elapsed().as_secs_f64());
    let x = Tensor::rand_uniform(&[128, 784], 0., 1., 0, &dev)?;
    let w = Tensor::rand_uniform(&[784, 512], -0.1, 0.1, 1, &dev)?;
    let b = Tensor::zeros(&[512], &dev)?;
    let labels = Tensor::from_vec_u32((0..128).map(|i| i % 10).collect(), &[128], &dev)?;
    let v = Var::new(Tensor::rand_uniform(&[128, 10], -1., 1., 2, &dev)?);
    let ops: Vec<Op> = vec![
        (
            "add (broadcast)",
            Box::new(|| x.slice(tensorgears::s![.., ..512])?.add(&b)),
        ),
        ("relu", Box::new(|| x.relu())),
        ("exp", Box::new(|| x.exp())),
        ("matmul 128x784.784x512", Box::new(|| x.matmul(&w))),
        ("sum_axis", Box::new(|| x.sum_axis(1))),
        ("max_axis", Box::new(|| x.max_axis(1))),
        ("argmax_axis", Box::new(|| x.argmax_axis(1))),
        ("softmax", Box::new(|| x.softmax())),
        ("transpose copy", Box::new(|| x.t()?.contiguous())),
        (
            "cross-entropy + backward",
            Box::new(|| {
                let l = loss::sparse_softmax_cross_entropy_unchecked(v.as_tensor(), &labels)?;
                let g = l.backward()?;
                g.get(&v)
                    .cloned()
                    .ok_or(tensorgears::Error::InvalidArgument {
                        op: "cold_start",
                        msg: "no gradient".into(),
                    })
            }),
        ),
    ];
    println!("{:<26} {:>10} {:>10}", "op", "first (s)", "second (s)");
    for (name, op) in &ops {
        let mut times = [0f64; 2];
        for t in &mut times {
            let start = Instant::now();
            let out = op()?;
            match out.dtype() {
                tensorgears::DType::F32 => drop(out.to_vec()?),
                tensorgears::DType::U32 => drop(out.to_vec_u32()?),
            }
            *t = start.elapsed().as_secs_f64();
        }
        println!("{name:<26} {:>10.4} {:>10.4}", times[0], times[1]);
    }
    Ok(())
}
