//! The model API beyond Dense: the convnet's summary against the book's Keras summary, save
//! and load of every layer kind, forged architecture metadata, dropout's training-only
//! masks, and Adam training the convnet alike on both devices.
mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tensorgears::data::Dataset;
use tensorgears::nn::{
    models, Activation, Conv2D, Dense, Dropout, Flatten, Layer, MaxPooling2D, Progress, Reshape,
    Sequential,
};
use tensorgears::optim::{Adam, Optimizer, Sgd};
use tensorgears::{loss, Device, Error, Padding, Result, Tensor};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tensorgears-layers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// The shapes and parameter counts Keras prints for listing 8.1 of the book.
#[test]
fn the_convnet_summary_matches_keras() -> Result<()> {
    let model = models::mnist_convnet(0, &Device::cpu())?;
    let summary = model.summary(&[784])?;
    for (name, shape, params) in [
        ("conv2d (Conv2D)", "(None, 26, 26, 32)", "320"),
        ("max_pooling2d (MaxPooling2D)", "(None, 13, 13, 32)", "0"),
        ("conv2d_1 (Conv2D)", "(None, 11, 11, 64)", "18,496"),
        ("max_pooling2d_1 (MaxPooling2D)", "(None, 5, 5, 64)", "0"),
        ("conv2d_2 (Conv2D)", "(None, 3, 3, 128)", "73,856"),
        ("flatten (Flatten)", "(None, 1152)", "0"),
        ("dense (Dense)", "(None, 10)", "11,530"),
    ] {
        let line = summary
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in\n{summary}"));
        let cells: Vec<&str> = line
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(cells, vec![name, shape, params], "{line}");
    }
    assert!(summary.contains("Total params: 104,202"), "{summary}");
    // A sample the model cannot take is an error naming the layer.
    let e = model.summary(&[785]).unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { op: "Reshape", .. }),
        "{e:?}"
    );
    Ok(())
}

/// A model with every layer kind and both paddings.
fn every_kind(dev: &Device) -> Result<Sequential> {
    Ok(Sequential::new(vec![
        Layer::from(Reshape::new(&[10, 10, 1])),
        Conv2D::new(1, 4, [3, 3], Activation::Relu, 1, dev)?
            .with_padding(Padding::Same)
            .into(),
        MaxPooling2D::new([2, 2]).into(),
        Conv2D::new(4, 6, [2, 3], Activation::None, 2, dev)?
            .with_strides([2, 1])
            .into(),
        MaxPooling2D::new([3, 3])
            .with_strides([1, 1])
            .with_padding(Padding::Same)
            .into(),
        Dropout::new(0.25, 9)?.into(),
        Flatten.into(),
        Dense::new(2 * 3 * 6, 5, Activation::Softmax, 3, dev)?.into(),
    ]))
}

fn round_trip(dev: &Device) -> Result<()> {
    let model = every_kind(dev)?;
    assert_eq!(model.output_shape(&[100])?, vec![5]);
    let path = temp(&format!("every-kind-{}.safetensors", dev.is_gpu()));
    model.save(&path)?;
    let back = Sequential::load(&path, dev)?;
    assert_eq!(back.summary(&[100])?, model.summary(&[100])?);
    let x = Tensor::rand_uniform(&[3, 100], 0.0, 1.0, 4, dev)?;
    assert_eq!(back.forward(&x)?.to_vec()?, model.forward(&x)?.to_vec()?);
    // The file loads on the other device too, with the same outputs.
    let other = if dev.is_gpu() {
        Device::cpu()
    } else {
        match common::gpu() {
            Some(gpu) => gpu,
            None => return Ok(()),
        }
    };
    let there = Sequential::load(&path, &other)?;
    common::assert_close(
        &there.forward(&x.to_device(&other)?)?,
        &model.forward(&x)?,
        "loaded elsewhere",
    )?;
    Ok(())
}
test_device!(every_layer_kind_survives_save_and_load, round_trip);

/// Writes a model file with `meta` as its metadata and `tensors` (name, shape) of zeros.
fn forged(name: &str, meta: &[(&str, &str)], tensors: &[(&str, Vec<usize>)]) -> PathBuf {
    let data: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, s)| {
            (
                n.to_string(),
                s.clone(),
                vec![0u8; 4 * s.iter().product::<usize>()],
            )
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = data
        .iter()
        .map(|(n, s, b)| {
            let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b);
            (n.clone(), view.expect("view"))
        })
        .collect();
    let meta: HashMap<String, String> = meta
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let path = temp(name);
    safetensors::serialize_to_file(views, Some(meta), &path).expect("write");
    path
}

fn load_error(path: &Path) -> String {
    match Sequential::load(path, &Device::cpu()) {
        Ok(m) => panic!("{} loaded: {m:?}", path.display()),
        Err(e @ Error::Data { .. }) | Err(e @ Error::ShapeMismatch { .. }) => e.to_string(),
        Err(e) => panic!("{}: not a data error: {e:?}", path.display()),
    }
}

#[test]
fn forged_architectures_are_errors() {
    let conv = |strides: &str, padding: &str| {
        vec![
            ("layers", "1".to_string()),
            ("layers.0.kind", "conv2d".to_string()),
            ("layers.0.activation", "relu".to_string()),
            ("layers.0.strides", strides.to_string()),
            ("layers.0.padding", padding.to_string()),
        ]
    };
    let filters = vec![
        ("layers.0.weight", vec![3, 3, 1, 2]),
        ("layers.0.bias", vec![2]),
    ];
    type Meta = Vec<(&'static str, String)>;
    type Tensors = Vec<(&'static str, Vec<usize>)>;
    let cases: Vec<(&str, Meta, Tensors, &str)> = vec![
        (
            "zero-stride",
            conv("0,1", "valid"),
            filters.clone(),
            "strides",
        ),
        (
            "three-strides",
            conv("1,1,1", "valid"),
            filters.clone(),
            "strides",
        ),
        (
            "word-stride",
            conv("one,1", "valid"),
            filters.clone(),
            "strides",
        ),
        ("padding", conv("1,1", "full"), filters.clone(), "padding"),
        (
            "no-filters",
            conv("1,1", "valid"),
            vec![],
            "layers.0.weight",
        ),
        (
            "flat-filters",
            conv("1,1", "valid"),
            vec![("layers.0.weight", vec![9, 2]), ("layers.0.bias", vec![2])],
            "Conv2D",
        ),
        (
            "kind",
            vec![("layers", "1".into()), ("layers.0.kind", "lstm".into())],
            vec![],
            "lstm",
        ),
        (
            "deep-reshape",
            vec![
                ("layers", "1".into()),
                ("layers.0.kind", "reshape".into()),
                ("layers.0.shape", "1,1,1,1,1,1,1,1,1".into()),
            ],
            vec![],
            "shape",
        ),
        (
            "rate",
            vec![
                ("layers", "1".into()),
                ("layers.0.kind", "dropout".into()),
                ("layers.0.rate", "1.5".into()),
                ("layers.0.seed", "1".into()),
            ],
            vec![],
            "rate",
        ),
        (
            "count",
            vec![
                ("layers", "1000000000".into()),
                ("layers.0.kind", "flatten".into()),
            ],
            vec![],
            "1000000000 layers",
        ),
    ];
    for (name, meta, tensors, words) in cases {
        let meta: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let path = forged(&format!("{name}.safetensors"), &meta, &tensors);
        let msg = if name == "rate" {
            // A rate out of range is Dropout's own argument error.
            match Sequential::load(&path, &Device::cpu()) {
                Err(e @ Error::InvalidArgument { op: "Dropout", .. }) => e.to_string(),
                other => panic!("{name}: {other:?}"),
            }
        } else {
            load_error(&path)
        };
        assert!(msg.contains(words), "{name}: {msg}");
    }
}

/// Dropout is active in `train_epoch` only: with a learning rate of 0 the weights stay put,
/// so the training loss differs from the evaluated one only by the masks.
fn dropout_trains_only(dev: &Device) -> Result<()> {
    let pixels: Vec<u8> = (0..256 * 16).map(|i| (i * 37 % 256) as u8).collect();
    let labels: Vec<u8> = (0..256).map(|i| (i % 4) as u8).collect();
    let data = Dataset::new(&pixels, &labels, 16, dev)?;
    let model = Sequential::new(vec![
        Layer::from(Dense::new(16, 32, Activation::Relu, 1, dev)?),
        Dropout::new(0.5, 3)?.into(),
        Dense::new(32, 4, Activation::None, 2, dev)?.into(),
    ]);
    let (eval_loss, _) = model.evaluate(&data, 64)?;
    assert_eq!(
        model.evaluate(&data, 64)?.0,
        eval_loss,
        "inference is deterministic"
    );
    let mut frozen = Sgd::new(0.0);
    let first = model.train_epoch(&data, 64, &mut frozen, None, |_| Ok(()))?;
    let second = model.train_epoch(&data, 64, &mut frozen, None, |_| Ok(()))?;
    assert_ne!(first.loss, eval_loss, "training drops units");
    assert_ne!(first.loss, second.loss, "each step draws its own mask");
    assert_eq!(
        model.evaluate(&data, 64)?.0,
        eval_loss,
        "the weights did not move"
    );
    Ok(())
}
test_device!(dropout_is_active_in_training_only, dropout_trains_only);

/// Three Adam steps of the convnet on the CPU and on the GPU end with the same weights.
#[test]
fn adam_trains_the_convnet_alike_on_both_devices() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    let run = |dev: &Device| -> Result<(Vec<Vec<f32>>, Vec<f32>)> {
        let model = models::mnist_convnet(5, dev)?;
        let x = Tensor::rand_uniform(&[16, 784], 0.0, 1.0, 6, dev)?;
        let y = Tensor::from_vec_u32((0..16).map(|i| i % 10).collect(), &[16], dev)?;
        let mut adam = Adam::default();
        let mut losses = vec![];
        for _ in 0..3 {
            let l = loss::sparse_softmax_cross_entropy(&model.logits(&x)?, &y)?;
            losses.push(l.to_scalar()?);
            adam.step(&model.weights(), &l.backward()?)?;
        }
        let w = model
            .weights()
            .iter()
            .map(|v| v.as_tensor().to_vec())
            .collect::<Result<_>>()?;
        Ok((w, losses))
    };
    let (cpu, cpu_losses) = run(&Device::cpu())?;
    let (on_gpu, gpu_losses) = run(&gpu)?;
    common::assert_close_slices(&gpu_losses, &cpu_losses, 1e-5, 1e-4, "losses");
    assert!(cpu_losses[2] < cpu_losses[0], "{cpu_losses:?}");
    for (i, (g, c)) in on_gpu.iter().zip(&cpu).enumerate() {
        // Adam's first steps move each weight by about lr (1e-3) whatever its gradient, so a
        // gradient near zero, rounded differently on the two devices, moves its weight by a
        // visibly different amount: a tenth of lr is the tolerance.
        common::assert_close_slices(g, c, 1e-4, 1e-4, &format!("weight {i}"));
    }
    Ok(())
}

#[test]
fn bad_layers_and_inputs_are_errors() -> Result<()> {
    let dev = Device::cpu();
    let f = Tensor::ones(&[3, 3, 1, 2], &dev)?;
    assert!(Conv2D::from_tensors(f.clone(), Tensor::zeros(&[3], &dev)?, Activation::Relu).is_err());
    assert!(Conv2D::from_tensors(
        Tensor::ones(&[9, 2], &dev)?,
        Tensor::zeros(&[2], &dev)?,
        Activation::Relu
    )
    .is_err());
    assert!(Dropout::new(-0.1, 0).is_err() && Dropout::new(f32::NAN, 0).is_err());
    let model = models::mnist_convnet(0, &dev)?;
    // Wrong widths reach the layer that cannot take them, as errors.
    for bad in [[2, 783], [2, 28]] {
        let e = model.forward(&Tensor::zeros(&bad, &dev)?).unwrap_err();
        assert!(e.to_string().contains("reshape"), "{e}");
    }
    let conv = Conv2D::new(3, 4, [3, 3], Activation::Relu, 0, &dev)?;
    let e = conv
        .forward(&Tensor::zeros(&[1, 8, 8, 1], &dev)?)
        .unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { op: "conv2d", .. }),
        "{e:?}"
    );
    let e = MaxPooling2D::new([4, 4])
        .forward(&Tensor::zeros(&[1, 3, 3, 1], &dev)?)
        .unwrap_err();
    assert!(e.to_string().contains("max_pool2d"), "{e}");
    Ok(())
}

/// The step-at-a-time API a page drives: `train_step` then `evaluate_async` give what
/// `train_epoch` then `evaluate` give, on each device.
fn stepwise_matches_epochs(dev: &Device) -> Result<()> {
    let pixels: Vec<u8> = (0..40u32 * 16).map(|i| (i * 53 % 256) as u8).collect();
    let labels: Vec<u8> = (0..40u8).map(|i| i % 3).collect();
    let ds = Dataset::new(&pixels, &labels, 16, dev)?;
    let model = |seed| -> Result<Sequential> {
        Ok(Sequential::new(vec![
            Dense::new(16, 8, Activation::Relu, seed, dev)?,
            Dense::new(8, 3, Activation::None, seed + 1, dev)?,
        ]))
    };
    let (a, b) = (model(3)?, model(3)?);
    let (mut oa, mut ob) = (Adam::new(0.01), Adam::new(0.01));
    let stats = a.train_epoch(&ds, 8, &mut oa, Some(5), |_| Ok(()))?;
    let mut progress = Progress::new(5, dev)?;
    // In two halves, the second resumed with nth as a page resumes an epoch, in the order
    // made once for the epoch.
    let order = ds.shuffled_order(5)?;
    for (skip, take) in [(0, 2), (2, 3)] {
        let mut batches = ds.batches_in(8, Some(&order))?;
        let first = batches.nth(skip);
        for batch in first.into_iter().chain(batches).take(take) {
            let (x, y) = batch?;
            b.train_step(&x, &y, &mut ob, &mut progress)?;
        }
    }
    assert_eq!((progress.step, progress.seen), (5, 40));
    let (loss, accuracy) = pollster::block_on(progress.running_async())?;
    assert!((loss - stats.loss).abs() < 1e-5, "{loss} vs {}", stats.loss);
    assert_eq!(accuracy, stats.accuracy);
    let (sync, asynchronous) = (
        a.evaluate(&ds, 7)?,
        pollster::block_on(b.evaluate_async(&ds, 7))?,
    );
    assert!((sync.0 - asynchronous.0).abs() < 1e-5 && sync.1 == asynchronous.1);
    Ok(())
}
test_device!(stepwise_training_matches_epochs, stepwise_matches_epochs);
