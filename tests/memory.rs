//! The GPU pool stays bounded while shapes keep changing, reuses buffers across similar sizes,
//! and hands memory back on request. One test in this binary: the counters are process-wide.
mod common;

use tensorgears::{Result, Tensor};

#[test]
fn the_pool_stays_under_its_limit_as_shapes_change() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    let limit = 8 << 20;
    gpu.set_pool_limit(limit);
    assert_eq!(gpu.pool_limit(), limit);
    let before = gpu.gpu_counters().expect("counters");
    // 200 sizes from 40 KB to 1.6 MB, one tensor (and its temporaries) alive at a time.
    for i in 0..200usize {
        let n = 10_000 + i * 2_000;
        let s = Tensor::full(&[n], 0.5, &gpu)?
            .add_scalar(1.0)?
            .sum()?
            .to_scalar()?;
        assert!((s - 1.5 * n as f32).abs() <= 1e-3 * n as f32, "{n}: {s}");
        let c = gpu.gpu_counters().expect("counters");
        assert!(
            c.pooled_bytes <= limit,
            "{} idle bytes at size {n}",
            c.pooled_bytes
        );
    }
    let spent = gpu.gpu_counters().expect("counters").since(&before);
    // Quarter-step size classes: similar sizes share buffers, so far fewer than the 600
    // buffers three per size would take.
    assert!(spent.buffers_created < 150, "{spent:?}");
    // Nothing is left alive but the pool's idle buffers, which trim hands back.
    assert!(spent.live_bytes < 1 << 20, "{spent:?}");
    gpu.trim();
    assert_eq!(gpu.gpu_counters().expect("counters").pooled_bytes, 0);
    // A lower limit frees at once what is over it.
    let kept: Vec<Tensor> = (0..4)
        .map(|i| Tensor::full(&[250_000 + i], 1.0, &gpu))
        .collect::<Result<_>>()?;
    drop(kept);
    assert!(gpu.gpu_counters().expect("counters").pooled_bytes >= 4 << 20);
    gpu.set_pool_limit(1 << 20);
    assert!(gpu.gpu_counters().expect("counters").pooled_bytes <= 1 << 20);
    Ok(())
}
