//! The chapter's GradientTape cells, on the GPU (or the CPU with `--device cpu`).
//!
//! cargo run --release --example gradient_tape [-- --device cpu]
use tensorgears::{Device, Tensor, Var};

fn device() -> tensorgears::Result<Device> {
    let args: Vec<String> = std::env::args().collect();
    match args
        .iter()
        .position(|a| a == "--device")
        .and_then(|i| args.get(i + 1))
    {
        Some(d) if d == "cpu" => Ok(Device::cpu()),
        Some(d) if d == "gpu" => Device::gpu(),
        None => Device::gpu().or_else(|e| {
            eprintln!("{e}\nusing the CPU instead");
            Ok(Device::cpu())
        }),
        Some(other) => Err(tensorgears::Error::InvalidArgument {
            op: "gradient_tape",
            msg: format!("--device takes gpu or cpu, not {other:?}"),
        }),
    }
}

fn main() -> tensorgears::Result<()> {
    let dev = device()?;
    println!("device: {dev}\n");

    let x = Var::new(Tensor::scalar(0.0, &dev)?);
    let y = x.as_tensor().mul_scalar(2.0)?.add_scalar(3.0)?;
    let g = y.backward()?;
    println!(
        "y = 2x + 3 at x = 0: dy/dx = {}",
        g.get(&x).unwrap().to_array()?
    );

    let x = Var::new(Tensor::zeros(&[2, 2], &dev)?);
    let y = x.as_tensor().mul_scalar(2.0)?.add_scalar(3.0)?;
    let g = y.backward()?;
    println!("the same for a 2x2 x:\n{}", g.get(&x).unwrap().to_array()?);

    let xin = Tensor::from_vec(vec![1., 4., 3.], &[1, 3], &dev)?;
    let w = Var::new(Tensor::rand_uniform(&[3, 2], 0.0, 1.0, 0, &dev)?);
    let b = Var::new(Tensor::zeros(&[2], &dev)?);
    let y = xin.matmul(w.as_tensor())?.add(b.as_tensor())?;
    let g = y.backward()?;
    println!("y = x·W + b with x = [[1, 4, 3]]:");
    println!("  dy/dW =\n{}", g.get(&w).unwrap().to_array()?);
    println!("  dy/db = {}", g.get(&b).unwrap().to_array()?);

    let (x, yv) = (
        Var::new(Tensor::scalar(2.0, &dev)?),
        Var::new(Tensor::scalar(1.0, &dev)?),
    );
    let (xt, yt) = (x.as_tensor(), yv.as_tensor());
    let f = xt
        .powf(2.0)?
        .mul(yt)?
        .add(&xt.mul(yt)?)?
        .add(&yt.mul_scalar(3.0)?)?;
    let g = f.backward()?;
    println!(
        "f = x^2 y + x y + 3 y at x = 2, y = 1: df/dx = {}, df/dy = {}",
        g.get(&x).unwrap().to_scalar()?,
        g.get(&yv).unwrap().to_scalar()?
    );

    let z = xin.matmul(w.as_tensor())?.add(b.as_tensor())?;
    let g = z.powf(3.0)?.backward()?;
    let analytic = xin.t()?.matmul(&z.detach().powf(2.0)?.mul_scalar(3.0)?)?;
    println!(
        "pow(x·W + b, 3): dW =\n{}\n  analytic x^T · 3 (x·W + b)^2 =\n{}",
        g.get(&w).unwrap().to_array()?,
        analytic.to_array()?
    );
    Ok(())
}
