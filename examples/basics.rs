//! A first look: a tensor on the GPU (or the CPU when there is none), an element-wise op with
//! broadcasting, and the same computation on the CPU for comparison.
use tensorgears::{Device, Tensor};

fn main() -> tensorgears::Result<()> {
    let dev = match Device::gpu() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}\nfalling back to the CPU");
            Device::cpu()
        }
    };
    println!("device: {dev}");
    let x = Tensor::from_vec(vec![1., -2., 3., -4., 5., 6., -7., 8.], &[2, 4], &dev)?;
    let b = Tensor::from_vec(vec![0.5, 0.5, 0.5, 0.5], &[4], &dev)?;
    let y = x.relu()?.add(&b)?;
    println!("relu(x) + b, shape {:?}:\n{}", y.shape(), y.to_array()?);
    let on_cpu = x
        .to_device(&Device::cpu())?
        .relu()?
        .add(&b.to_device(&Device::cpu())?)?;
    println!("same on the CPU: {}", on_cpu.to_vec()? == y.to_vec()?);
    Ok(())
}
