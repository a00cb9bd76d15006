//! Dense's forward is one product kernel with the bias and the activation fused into its
//! stores, for either activation and whichever kernel the tuner chose: no element-wise kernel
//! runs after it (a pack kernel may put an operand where the chosen kernel reads it). Its own
//! binary: kernel profiling stays on for the process once started.
mod common;

use tensorgears::nn::{Activation, Dense};
use tensorgears::{Result, Tensor};

#[test]
fn dense_forward_fuses_bias_and_activation() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    let hidden = Dense::new(784, 512, Activation::Relu, 0, &gpu)?;
    let out = Dense::new(512, 10, Activation::None, 1, &gpu)?;
    let x = Tensor::rand_uniform(&[128, 784], 0.0, 1.0, 3, &gpu)?;
    // Compiles, and queues the products' shape classes for tuning; matmul_kernel waits for it
    // so that the measured forward runs on the tuned kernels.
    out.forward(&hidden.forward(&x)?)?;
    gpu.matmul_kernel()?;
    if let Err(e) = gpu.profile_kernels() {
        // Kernel names come from timestamp queries: without them the check cannot run, and
        // says so by failing, unless GPU checks are let off as a whole.
        assert!(
            std::env::var("TENSORGEARS_ALLOW_NO_GPU").as_deref() == Ok("1"),
            "fusion cannot be checked without kernel profiling: {e}"
        );
        eprintln!("FUSION NOT CHECKED (TENSORGEARS_ALLOW_NO_GPU=1): {e}");
        return Ok(());
    }
    let _ = gpu.take_kernel_times()?;
    out.forward(&hidden.forward(&x)?)?;
    let times = gpu.take_kernel_times()?;
    // Split-K's second pass (matmul_split_sum) stores through the epilogue too: part of the
    // product, not a kernel after it.
    let products: u64 = times
        .iter()
        .filter(|t| t.kernel.starts_with("matmul_") && t.kernel != "matmul_split_sum")
        .map(|t| t.dispatches)
        .sum();
    assert_eq!(products, 2, "one product kernel per layer: {times:?}");
    let others: Vec<&str> = times
        .iter()
        .filter(|t| !t.kernel.starts_with("matmul_") && !t.kernel.starts_with("pack_"))
        .map(|t| t.kernel)
        .collect();
    assert!(
        others.is_empty(),
        "kernels besides the products: {others:?}"
    );
    Ok(())
}
