//! What a steady-state training step costs on the GPU, counted: no readbacks, and no storage
//! buffers, pipelines or bind groups created. This binary holds one test so
//! that no other test's GPU work shares the process-wide counters.
mod common;

use tensorgears::data::Dataset;
use tensorgears::nn::{Activation, Dense, Sequential};
use tensorgears::optim::RmsProp;
use tensorgears::Result;

#[test]
fn a_training_step_reads_nothing_back_and_allocates_nothing() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    let pixels: Vec<u8> = (0..1280 * 784).map(|i| (i * 7 % 256) as u8).collect();
    let labels: Vec<u8> = (0..1280).map(|i| (i % 10) as u8).collect();
    let data = Dataset::new(&pixels, &labels, 784, &gpu)?;
    let model = Sequential::new(vec![
        Dense::new(784, 512, Activation::Relu, 0, &gpu)?,
        Dense::new(512, 10, Activation::None, 1, &gpu)?,
    ]);
    let mut opt = RmsProp::new(1e-3);
    // Warm-up: compiles the pipelines, fills the buffer pool, creates the optimizer state, and
    // waits for the matmul kernel choice, which may run in the background.
    gpu.matmul_kernel()?;
    model.train_epoch(&data, 128, &mut opt, Some(0), |_| Ok(()))?;
    // The first epoch draws every buffer fresh; from the second on they come back from the
    // pool in a fixed order, so a second warm-up epoch makes the bind groups they need.
    model.train_epoch(&data, 128, &mut opt, Some(2), |_| Ok(()))?;
    let before = gpu.gpu_counters().expect("a GPU device has counters");
    let mut readbacks_during_steps = 0;
    let stats = model.train_epoch(&data, 128, &mut opt, Some(1), |p| {
        let now = gpu.gpu_counters().expect("counters");
        readbacks_during_steps = now.since(&before).readbacks;
        assert!(p.step <= 10);
        Ok(())
    })?;
    let cost = gpu.gpu_counters().expect("counters").since(&before);
    assert_eq!(stats.samples, 1280);
    assert_eq!(
        readbacks_during_steps, 0,
        "a step read back from the device"
    );
    assert_eq!(
        cost.readbacks, 2,
        "the epoch's end reads the loss and accuracy sums only"
    );
    assert_eq!(
        cost.pipelines_compiled, 0,
        "a pipeline was compiled in the steady state"
    );
    assert_eq!(
        cost.buffers_created, 0,
        "a storage buffer was created in the steady state"
    );
    assert_eq!(
        cost.bind_groups_created, 0,
        "a bind group was created in the steady state"
    );
    // Every step is recorded, not waited on: far fewer submits than steps.
    assert!(cost.submits <= 3, "{cost:?}");
    eprintln!("10 steps: {cost:?}");
    Ok(())
}
