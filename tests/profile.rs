//! Kernel profiling on the GPU. Its own binary: profiling stays on for the process-wide device
//! once started, and would slow every other test sharing it.
mod common;

use tensorgears::{Device, Error, Result, Tensor};

#[test]
fn kernel_times_count_each_dispatch() -> Result<()> {
    assert!(matches!(
        Device::cpu().profile_kernels(),
        Err(Error::Unsupported { .. })
    ));
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    if let Err(e) = gpu.profile_kernels() {
        // Only an adapter without timestamp queries may refuse, and it must say so.
        assert!(matches!(e, Error::Unsupported { .. }), "{e}");
        assert!(gpu.take_kernel_times().is_err());
        return Ok(());
    }
    let x = Tensor::rand_uniform(&[64, 300], -1., 1., 0, &gpu)?;
    x.relu()?.sum_axis(0)?.to_vec()?;
    x.relu()?.to_vec()?;
    let times = gpu.take_kernel_times()?;
    let of = |k: &str| times.iter().find(|t| t.kernel == k);
    let unary = of("unary").expect("relu ran the unary kernel");
    assert_eq!(unary.dispatches, 2);
    assert_eq!(of("reduce_rows").expect("sum_axis(0)").dispatches, 1);
    assert!(
        times.iter().all(|t| t.time > std::time::Duration::ZERO),
        "{times:?}"
    );
    assert!(
        times.windows(2).all(|w| w[0].time >= w[1].time),
        "longest first"
    );
    // Taking the times starts a fresh count.
    assert!(gpu.take_kernel_times()?.is_empty());
    Ok(())
}
