//! What a steady-state training step costs on the GPU, counted: no readbacks, and no storage
//! buffers, textures, pipelines or bind groups created; the optimizer one kernel per parameter
//! (tests/fused_forward.rs checks that Dense's forward is one product kernel). This binary
//! holds one test so that no other test's GPU work shares the process-wide counters.
mod common;

use tensorgears::data::Dataset;
use tensorgears::nn::{Activation, Dense, Sequential};
use tensorgears::optim::Optimizer;
use tensorgears::optim::RmsProp;
use tensorgears::{Result, Tensor};

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
    {
        // The optimizer: one kernel per parameter, state included.
        let x = Tensor::rand_uniform(&[128, 784], 0.0, 1.0, 3, &gpu)?;
        let logits = model.logits(&x)?;
        let loss = tensorgears::loss::sparse_softmax_cross_entropy(
            &logits,
            &Tensor::from_vec_u32(vec![1; 128], &[128], &gpu)?,
        )?;
        let grads = loss.backward()?;
        opt.step(&model.weights(), &grads)?; // creates the state
                                             // The products above queued their shape classes for tuning, whose measurement on a
                                             // background thread would count here: matmul_kernel waits for it.
        gpu.matmul_kernel()?;
        let dispatches = || gpu.gpu_counters().expect("counters").dispatches;
        let start = dispatches();
        opt.step(&model.weights(), &grads)?;
        assert_eq!(dispatches() - start, 4, "RMSprop over W1, b1, W2, b2");
    }
    // Warm-up: compiles the pipelines, fills the buffer pool, creates the optimizer state.
    model.train_epoch(&data, 128, &mut opt, Some(0), |_| Ok(()))?;
    // The first epoch draws every buffer fresh; from the second on they come back from the
    // pool in a fixed order, so a second warm-up epoch makes the bind groups they need.
    model.train_epoch(&data, 128, &mut opt, Some(2), |_| Ok(()))?;
    // The shape classes the warm-up met may still be measured on a background thread, whose
    // work would count against the steps.
    gpu.matmul_kernel()?;
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
        cost.textures_created, 0,
        "a texture was created in the steady state"
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
