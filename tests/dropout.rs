//! Dropout: the same mask on both devices, bit for bit; its rate, scale and gradient.
mod common;

use tensorgears::{Device, Error, Result, Tensor, Var};

#[test]
fn both_devices_drop_the_same_elements() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    for (len, rate, seed) in [
        (1, 0.5, 0),
        (1023, 0.1, 7),
        (70_001, 0.5, u64::MAX),
        (4096, 0.9, 3),
    ] {
        let x = Tensor::rand_uniform(&[len], 1.0, 2.0, seed, &Device::cpu())?;
        let cpu = x.dropout(rate, seed)?.to_vec()?;
        let on_gpu = x.to_device(&gpu)?.dropout(rate, seed)?;
        assert!(on_gpu.device().is_gpu());
        assert_eq!(on_gpu.to_vec()?, cpu, "{len} elements at rate {rate}");
    }
    Ok(())
}

fn rate_scale_and_gradient(dev: &Device) -> Result<()> {
    let n = 200_000;
    let x = Var::new(Tensor::ones(&[n / 100, 100], dev)?);
    let y = x.as_tensor().dropout(0.3, 11)?;
    let values = y.to_vec()?;
    let kept = values.iter().filter(|&&v| v != 0.0).count() as f64 / n as f64;
    assert!((kept - 0.7).abs() < 0.005, "kept {kept}");
    let scale = (1.0 / 0.7f64) as f32;
    assert!(values.iter().all(|&v| v == 0.0 || v == scale));
    // The mean is kept: what Keras' inverted dropout promises.
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
    assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
    // The gradient is the mask.
    let g = y.backward()?;
    assert_eq!(g.get(&x).unwrap().to_vec()?, values);
    // Another seed, another mask; rate 0 is the identity; bad rates are errors.
    assert_ne!(x.as_tensor().dropout(0.3, 12)?.to_vec()?, values);
    let plain = Tensor::from_vec(vec![1., 2., 3.], &[3], dev)?;
    assert_eq!(plain.dropout(0.0, 1)?.to_vec()?, vec![1., 2., 3.]);
    for rate in [-0.1, 1.0, f32::NAN] {
        assert!(matches!(
            plain.dropout(rate, 1),
            Err(Error::InvalidArgument { op: "dropout", .. })
        ));
    }
    Ok(())
}
test_device!(dropout_rate_scale_and_gradient, rate_scale_and_gradient);
