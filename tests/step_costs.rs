//! What a steady-state training step costs on the GPU, counted: no readbacks, and no storage
//! buffers, textures, pipelines or bind groups created; the optimizer one kernel per parameter
//! (tests/fused_forward.rs checks that Dense's forward is one product kernel). This binary
//! holds one test so that no other test's GPU work shares the process-wide counters.
mod common;

use tensorgears::data::Dataset;
use tensorgears::nn::{models, Sequential};
use tensorgears::optim::{Adam, Optimizer, RmsProp};
use tensorgears::{Device, Result, Tensor};

#[test]
fn a_training_step_reads_nothing_back_and_allocates_nothing() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    let pixels: Vec<u8> = (0..1280 * 784).map(|i| (i * 7 % 256) as u8).collect();
    let labels: Vec<u8> = (0..1280).map(|i| (i % 10) as u8).collect();
    let data = Dataset::new(&pixels, &labels, 784, &gpu)?;
    let mlp = models::mnist_mlp(0, &gpu)?;
    optimizer_kernels(&gpu, &mlp)?;
    steady_state(&gpu, &mlp, &data, 128, &mut RmsProp::new(1e-3))?;
    // The convnet, with Adam: its patches, pooling indices and two moments come from the pool
    // as well.
    let convnet = models::mnist_convnet(0, &gpu)?;
    let data = Dataset::new(&pixels[..640 * 784], &labels[..640], 784, &gpu)?;
    steady_state(&gpu, &convnet, &data, 64, &mut Adam::new(1e-3))
}

fn optimizer_kernels(gpu: &Device, model: &Sequential) -> Result<()> {
    let mut opt = RmsProp::new(1e-3);
    {
        // The optimizer: one kernel per parameter, state included.
        let x = Tensor::rand_uniform(&[128, 784], 0.0, 1.0, 3, gpu)?;
        let logits = model.logits(&x)?;
        let loss = tensorgears::loss::sparse_softmax_cross_entropy(
            &logits,
            &Tensor::from_vec_u32(vec![1; 128], &[128], gpu)?,
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
    Ok(())
}

/// Ten steps of `model` after two warm-up epochs: nothing read back or created.
fn steady_state(
    gpu: &Device,
    model: &Sequential,
    data: &Dataset,
    batch: usize,
    opt: &mut dyn Optimizer,
) -> Result<()> {
    // Warm-up: compiles the pipelines, fills the buffer pool, creates the optimizer state.
    model.train_epoch(data, batch, opt, Some(0), |_| Ok(()))?;
    // The shape classes the first epoch met are measured on a background thread; a choice
    // landing after the second epoch would make the measured epoch the first to bind its
    // kernel. Wait for them, so that the second epoch runs the kernels the third runs.
    gpu.matmul_kernel()?;
    // The first epoch draws every buffer fresh; later ones take them back from the pool in an
    // order that settles within an epoch or two (the convnet's took two more on lavapipe),
    // after which the bind groups they need exist. Warm up until an epoch creates none: the
    // measured epoch must then create none either.
    let mut settled = false;
    for seed in 2..6 {
        let before = gpu.gpu_counters().expect("counters");
        model.train_epoch(data, batch, opt, Some(seed), |_| Ok(()))?;
        let cost = gpu.gpu_counters().expect("counters").since(&before);
        if cost.bind_groups_created == 0 && cost.buffers_created == 0 {
            settled = true;
            break;
        }
    }
    assert!(
        settled,
        "four epochs after the first still created bind groups or buffers"
    );
    // The shape classes the warm-up met may still be measured on a background thread, whose
    // work would count against the steps.
    gpu.matmul_kernel()?;
    let before = gpu.gpu_counters().expect("a GPU device has counters");
    let mut readbacks_during_steps = 0;
    let mut dispatches_after_step = Vec::new();
    let stats = model.train_epoch(data, batch, opt, Some(1), |p| {
        let now = gpu.gpu_counters().expect("counters");
        readbacks_during_steps = now.since(&before).readbacks;
        dispatches_after_step.push(now.since(&before).dispatches);
        assert!(p.step <= 10);
        Ok(())
    })?;
    let cost = gpu.gpu_counters().expect("counters").since(&before);
    assert_eq!(stats.samples, data.len());
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
    // Each step runs the same kernels: as many dispatches every step.
    let per_step: Vec<u64> = std::iter::once(0)
        .chain(dispatches_after_step.iter().copied())
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| w[1] - w[0])
        .collect();
    assert_eq!(per_step.len(), 10, "{per_step:?}");
    assert!(
        per_step[0] > 0 && per_step.iter().all(|&d| d == per_step[0]),
        "{per_step:?}"
    );
    Ok(())
}
