//! What the host does per op on the GPU: uploads are recorded in order with the work before
//! them, not submitted ahead of it, until their staging copies pass a bound. One test in this binary: the counters are process-wide.
mod common;

use tensorgears::{Result, Tensor};

#[test]
fn uploads_are_recorded_in_order_without_a_submit() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    let n = 1 << 12;
    let x = Tensor::from_vec(vec![1.0; n], &[n], &gpu)?;
    gpu.synchronize()?;
    let before = gpu.gpu_counters().expect("counters");
    // Recorded, not run: it reads x's buffer when the encoder is submitted.
    let y = x.add_scalar(1.0)?;
    drop(x); // x's buffer goes back to the pool...
    let z = Tensor::from_vec(vec![5.0; n], &[n], &gpu)?; // ...and this upload may take it.
    let spent = gpu.gpu_counters().expect("counters").since(&before);
    assert_eq!(
        spent.submits, 0,
        "an upload submitted the work before it: {spent:?}"
    );
    assert_eq!(
        spent.buffers_created, 1,
        "z reuses x's buffer (only y's is new): {spent:?}"
    );
    // Had the upload landed before the recorded add, y would be 6.
    assert!(y.to_vec()?.iter().all(|&v| v == 2.0));
    assert!(z.to_vec()?.iter().all(|&v| v == 5.0));
    // Each upload's host-visible staging copy lives until a submit: past 64 MiB of them the
    // pending work is submitted, so uploading a data set does not hold it twice.
    let big = 4 << 20; // 16 MiB of f32
    let before = gpu.gpu_counters().expect("counters");
    let kept: Vec<Tensor> = (0..5)
        .map(|i| Tensor::from_vec(vec![i as f32; big], &[big], &gpu))
        .collect::<Result<_>>()?;
    let spent = gpu.gpu_counters().expect("counters").since(&before);
    assert_eq!(
        spent.submits, 1,
        "80 MiB of uploads: one submit, after the fifth: {spent:?}"
    );
    for (i, t) in kept.iter().enumerate() {
        assert_eq!(t.sum()?.to_scalar()?, (i * big) as f32);
    }
    Ok(())
}
