mod common;

use tensorgears::{DType, Device, Error, Result, Tensor};

fn chapter_relu(dev: &Device) -> Result<()> {
    let x = Tensor::from_vec(vec![1., -2., 3., -4., 5., 6., -7., 8.], &[2, 4], dev)?;
    assert_eq!(x.relu()?.to_vec()?, vec![1., 0., 3., 0., 5., 6., 0., 8.]);
    Ok(())
}
test_device!(naive_relu_matches_the_chapter, chapter_relu);

fn chapter_add(dev: &Device) -> Result<()> {
    let x = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3], dev)?;
    let y = Tensor::from_vec(vec![1., 2., 3., 1., 2., 3.], &[2, 3], dev)?;
    let z = x.add(&y)?;
    assert_eq!(z.shape(), &[2, 3]);
    assert_eq!(z.to_vec()?, vec![2., 4., 6., 5., 7., 9.]);
    Ok(())
}
test_device!(naive_add_matches_the_chapter, chapter_add);

fn chapter_maximum(dev: &Device) -> Result<()> {
    let x = Tensor::from_vec((1..=12).map(|v| v as f32).collect(), &[2, 2, 3], dev)?;
    let y = Tensor::from_vec(vec![3., 9., 13.], &[3], dev)?;
    let z = x.maximum(&y)?;
    assert_eq!(z.shape(), &[2, 2, 3]);
    assert_eq!(
        z.to_vec()?,
        vec![3., 9., 13., 4., 9., 13., 7., 9., 13., 10., 11., 13.]
    );
    Ok(())
}
test_device!(broadcast_maximum_matches_the_chapter, chapter_maximum);

fn broadcast_cases(dev: &Device) -> Result<()> {
    let cases: [(&[usize], &[usize], &[usize]); 6] = [
        (&[64, 3, 32, 10], &[32, 10], &[64, 3, 32, 10]),
        (&[2, 2, 3], &[3], &[2, 2, 3]),
        (&[32, 10], &[10], &[32, 10]),
        (&[3, 1], &[1, 4], &[3, 4]),
        (&[], &[4, 5], &[4, 5]),
        (&[2, 3], &[], &[2, 3]),
    ];
    for (i, (l, r, want)) in cases.into_iter().enumerate() {
        let a = Tensor::rand_uniform(l, -1.0, 1.0, i as u64, dev)?;
        let b = Tensor::rand_uniform(r, -1.0, 1.0, 100 + i as u64, dev)?;
        for z in [a.add(&b)?, b.add(&a)?] {
            assert_eq!(z.shape(), want);
        }
        // Against the same sum formed on the host from the broadcast definition.
        let (av, bv) = (a.to_array()?, b.to_array()?);
        let want_vals = (&av + &bv).iter().copied().collect::<Vec<f32>>();
        common::assert_close_slices(&a.add(&b)?.to_vec()?, &want_vals, 0.0, 0.0, "broadcast add");
    }
    Ok(())
}
test_device!(numpy_broadcasting_cases, broadcast_cases);

fn every_rank(dev: &Device) -> Result<()> {
    for rank in 0..=7 {
        let shape: Vec<usize> = (0..rank).map(|i| 1 + (i % 3)).collect();
        let n: usize = shape.iter().product();
        let x = Tensor::from_vec((0..n).map(|v| v as f32 - 3.0).collect(), &shape, dev)?;
        assert_eq!(x.ndim(), rank);
        assert_eq!(x.len(), n);
        let y = x.mul_scalar(2.0)?.add_scalar(1.0)?.relu()?;
        let want: Vec<f32> = (0..n)
            .map(|v| ((v as f32 - 3.0) * 2.0 + 1.0).max(0.0))
            .collect();
        assert_eq!(y.to_vec()?, want, "rank {rank}");
        assert_eq!(y.shape(), &shape[..]);
    }
    Ok(())
}
test_device!(ranks_zero_to_seven, every_rank);

// Axes of length 1 drop and contiguous axes merge before a kernel sees a layout, so a kernel's
// fixed parameter block (16 axes) holds a tensor of rank 70, and a broadcast of rank 100.
fn very_high_rank(dev: &Device) -> Result<()> {
    let mut shape = vec![1; 70];
    shape[3] = 2;
    shape[40] = 3;
    let x = Tensor::from_vec((0..6).map(|i| i as f32).collect(), &shape, dev)?;
    assert_eq!(x.add(&x)?.to_vec()?, vec![0., 2., 4., 6., 8., 10.]);
    assert_eq!(x.sum_axis(40)?.to_vec()?, vec![3., 12.]);
    let order: Vec<usize> = (0..70).rev().collect();
    let t = x.permute(&order)?;
    assert_eq!(t.reshape(&[3, 2])?.to_vec()?, vec![0., 3., 1., 4., 2., 5.]);
    // (2, 1, ..., 1, 3) + (3,) at rank 100.
    let mut shape = vec![1; 100];
    shape[0] = 2;
    shape[99] = 3;
    let x = Tensor::from_vec((0..6).map(|i| i as f32).collect(), &shape, dev)?;
    let b = Tensor::from_vec(vec![10., 20., 30.], &[3], dev)?;
    let y = x.add(&b)?;
    assert_eq!(y.shape(), &shape[..]);
    assert_eq!(y.to_vec()?, vec![10., 21., 32., 13., 24., 35.]);
    Ok(())
}
test_device!(rank_seventy, very_high_rank);

/// Views with more axes that cannot merge than the kernels walk are an error that says so in
/// axes; the CPU answers them.
#[test]
fn unmergeable_rank_is_a_clear_error_on_the_gpu() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    // 20 axes of 2, reversed: no two neighbours merge.
    let shape = vec![2; 20];
    let order: Vec<usize> = (0..20).rev().collect();
    let cpu = Tensor::zeros(&shape, &Device::cpu())?.permute(&order)?;
    assert_eq!(cpu.relu()?.len(), 1 << 20);
    let x = Tensor::zeros(&shape, &gpu)?.permute(&order)?;
    match x.relu() {
        Err(e @ Error::LimitExceeded { unit: "axes", .. }) => {
            assert!(
                e.to_string()
                    .contains("20 axes exceeds the limit of 16 axes"),
                "{e}"
            );
        }
        other => panic!("expected a rank limit, got {other:?}"),
    }
    Ok(())
}

/// A shape or a broadcast larger than the host can hold is an error on the CPU, not an abort.
#[test]
fn cpu_reports_allocations_it_cannot_make() -> Result<()> {
    let cpu = Device::cpu();
    match Tensor::zeros(&[1 << 20, 1 << 20, 1 << 10], &cpu) {
        Err(Error::OutOfMemory { bytes, .. }) => assert_eq!(bytes, 1 << 52),
        other => panic!("expected out of memory, got {other:?}"),
    }
    let a = Tensor::zeros(&[1 << 22, 1], &cpu)?;
    let b = Tensor::zeros(&[1, 1 << 22], &cpu)?;
    assert!(matches!(a.add(&b), Err(Error::OutOfMemory { .. })));
    assert!(matches!(
        Tensor::rand_uniform(&[1 << 30, 1 << 30], 0.0, 1.0, 0, &cpu),
        Err(Error::OutOfMemory { .. })
    ));
    Ok(())
}

fn unary_values(dev: &Device) -> Result<()> {
    let x = Tensor::from_vec(vec![-2., -1., 0., 0.5, 2.], &[5], dev)?;
    let close = |got: Vec<f32>, want: Vec<f32>, what| {
        common::assert_close_slices(&got, &want, 1e-6, 1e-5, what)
    };
    close(
        x.powf(3.0)?.to_vec()?,
        vec![-8., -1., 0., 0.125, 8.],
        "powf 3",
    );
    close(x.powf(2.0)?.to_vec()?, vec![4., 1., 0., 0.25, 4.], "powf 2");
    close(x.powf(0.0)?.to_vec()?, vec![1.; 5], "powf 0");
    let half = x.powf(0.5)?.to_vec()?;
    assert!(
        half[0].is_nan() && half[1].is_nan(),
        "negative base, fractional power: {half:?}"
    );
    close(
        half[2..].to_vec(),
        vec![0., 0.5f32.sqrt(), 2f32.sqrt()],
        "powf 0.5",
    );
    close(
        x.exp()?.to_vec()?,
        [-2f32, -1., 0., 0.5, 2.].map(f32::exp).to_vec(),
        "exp",
    );
    let ln = x.ln()?.to_vec()?;
    assert!(
        ln[0].is_nan() && ln[1].is_nan() && ln[2] == f32::NEG_INFINITY,
        "ln: {ln:?}"
    );
    close(ln[3..].to_vec(), vec![0.5f32.ln(), 2f32.ln()], "ln");
    let y = Tensor::from_vec(vec![4., 2., 1., 1., -4.], &[5], dev)?;
    close(x.sub(&y)?.to_vec()?, vec![-6., -3., -1., -0.5, 6.], "sub");
    close(x.div(&y)?.to_vec()?, vec![-0.5, -0.5, 0., 0.5, -0.5], "div");
    close(x.mul(&y)?.to_vec()?, vec![-8., -2., 0., 0.5, -8.], "mul");
    Ok(())
}
test_device!(unary_and_binary_values, unary_values);

fn construction(dev: &Device) -> Result<()> {
    let l = Tensor::from_vec_u32(vec![5, 0, 4], &[3], dev)?;
    assert_eq!(l.dtype(), DType::U32);
    assert_eq!(l.to_vec_u32()?, vec![5, 0, 4]);
    assert!(matches!(l.to_vec(), Err(Error::DTypeMismatch { .. })));
    assert!(matches!(
        l.relu(),
        Err(Error::DTypeMismatch { op: "relu", .. })
    ));
    let a = ndarray::arr2(&[[1f32, 2., 3.], [4., 5., 6.]]);
    let t = Tensor::from_array(&a.t(), dev)?; // a transposed view
    assert_eq!(t.shape(), &[3, 2]);
    assert_eq!(t.to_vec()?, vec![1., 4., 2., 5., 3., 6.]);
    assert_eq!(t.to_array()?, a.t().into_dyn());
    assert_eq!(Tensor::zeros(&[2, 3], dev)?.to_vec()?, vec![0.; 6]);
    assert_eq!(Tensor::ones(&[0, 3], dev)?.to_vec()?, Vec::<f32>::new());
    assert_eq!(Tensor::full(&[], 7.5, dev)?.to_vec()?, vec![7.5]);
    assert_eq!(Tensor::scalar(2.0, dev)?.shape(), &[] as &[usize]);
    let r = Tensor::rand_uniform(&[1000], -0.5, 0.5, 7, dev)?.to_vec()?;
    assert!(r.iter().all(|v| (-0.5..0.5).contains(v)));
    assert_eq!(
        r,
        Tensor::rand_uniform(&[1000], -0.5, 0.5, 7, &Device::cpu())?.to_vec()?
    );
    assert_ne!(
        r,
        Tensor::rand_uniform(&[1000], -0.5, 0.5, 8, dev)?.to_vec()?
    );
    assert!(matches!(
        Tensor::from_vec(vec![1., 2., 3.], &[2, 2], dev),
        Err(Error::ElementCount {
            expected: 4,
            got: 3,
            ..
        })
    ));
    assert!(Tensor::rand_uniform(&[2], 1.0, 1.0, 0, dev).is_err());
    assert!(Tensor::zeros(&[usize::MAX, 4], dev).is_err());
    Ok(())
}
test_device!(construction_and_readback, construction);

fn errors(dev: &Device) -> Result<()> {
    let a = Tensor::zeros(&[3, 2], dev)?;
    let b = Tensor::zeros(&[3], dev)?;
    match a.add(&b) {
        Err(e @ Error::ShapeMismatch { op: "add", .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("add") && msg.contains("[3, 2]") && msg.contains("[3]"),
                "{msg}"
            );
        }
        other => panic!("expected a shape mismatch, got {other:?}"),
    }
    let other = if dev.is_gpu() {
        Device::cpu()
    } else {
        common::gpu().unwrap_or(Device::cpu())
    };
    if other != *dev {
        let c = Tensor::zeros(&[3, 2], &other)?;
        assert!(matches!(
            a.add(&c),
            Err(Error::DeviceMismatch { op: "add", .. })
        ));
    }
    Ok(())
}
test_device!(clear_errors, errors);

fn transfers(dev: &Device) -> Result<()> {
    let x = Tensor::rand_uniform(&[4, 5], 0.0, 1.0, 3, dev)?;
    let y = x.to_device(&Device::cpu())?;
    assert!(y.device().is_cpu());
    assert_eq!(x.to_vec()?, y.to_vec()?);
    if let Some(g) = common::gpu() {
        let z = y.to_device(&g)?;
        assert!(z.device().is_gpu());
        assert_eq!(z.to_vec()?, x.to_vec()?);
    }
    Ok(())
}
test_device!(to_device_round_trip, transfers);

/// More elements than 65535 workgroups of 256 cover in one dimension: the dispatch must fold.
#[test]
fn gpu_folds_large_dispatches() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    let n = 65535 * 256 + 1000;
    let x = Tensor::full(&[n], 1.5, &gpu)?;
    let y = Tensor::from_vec(vec![2.0], &[1], &gpu)?;
    let z = x.mul(&y)?.to_vec()?;
    assert_eq!(z.len(), n);
    assert!(z.iter().all(|&v| v == 3.0), "an element was not written");
    Ok(())
}

/// A tensor larger than one storage binding is an error, not a wgpu validation panic.
#[test]
fn gpu_reports_tensors_over_the_binding_limit() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    match Tensor::zeros(&[1 << 30, 4], &gpu) {
        Err(Error::LimitExceeded { unit: "bytes", .. }) | Err(Error::OutOfMemory { .. }) => Ok(()),
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn gpu_device_names_its_adapter() {
    let Some(gpu) = common::gpu() else { return };
    let name = gpu.to_string();
    assert!(!name.is_empty() && name != "cpu", "{name}");
    assert_eq!(Device::cpu().to_string(), "cpu");
}
