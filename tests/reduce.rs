// `s![a..-b]` counts from the end, which clippy mistakes for an empty Rust range.
#![allow(clippy::reversed_empty_ranges)]
//! Reductions and softmax on both devices.
mod common;

use proptest::prelude::*;
use tensorgears::{s, DType, Device, Error, Result, Tensor};

fn values(dev: &Device) -> Result<()> {
    let x = Tensor::from_vec(vec![1., 9., 3., 7., 2., 7.], &[2, 3], dev)?;
    assert_eq!(x.sum()?.shape(), &[] as &[usize]);
    assert_eq!(x.sum()?.to_vec()?, vec![29.]);
    assert_eq!(x.sum_axis(0)?.to_vec()?, vec![8., 11., 10.]);
    assert_eq!(x.sum_axis(1)?.to_vec()?, vec![13., 16.]);
    assert_eq!(x.mean_axis(0)?.to_vec()?, vec![4., 5.5, 5.]);
    assert_eq!(x.max_axis(1)?.to_vec()?, vec![9., 7.]);
    let am = x.argmax_axis(1)?;
    assert_eq!(am.dtype(), DType::U32);
    assert_eq!(am.to_vec_u32()?, vec![1, 0]);
    assert_eq!(x.argmax_axis(0)?.to_vec_u32()?, vec![1, 0, 1]);
    // Axes of size 1, a strided view, rank 4.
    let y = Tensor::from_vec((0..24).map(|v| v as f32).collect(), &[2, 1, 3, 4], dev)?;
    assert_eq!(y.sum_axis(1)?.shape(), &[2, 3, 4]);
    assert_eq!(y.sum_axis(1)?.to_vec()?, y.reshape(&[2, 3, 4])?.to_vec()?);
    assert_eq!(y.sum_axis(3)?.to_vec()?, vec![6., 22., 38., 54., 70., 86.]);
    assert_eq!(
        y.t()?.max_axis(0)?.to_vec()?,
        y.slice(s![.., .., .., 3])?.t()?.contiguous()?.to_vec()?
    );
    assert_eq!(
        Tensor::zeros(&[3, 0], dev)?.sum_axis(1)?.to_vec()?,
        vec![0., 0., 0.]
    );
    assert!(matches!(
        x.sum_axis(2),
        Err(Error::AxisOutOfRange {
            axis: 2,
            ndim: 2,
            ..
        })
    ));
    assert!(Tensor::zeros(&[3, 0], dev)?.max_axis(1).is_err());
    assert!(Tensor::from_vec_u32(vec![1], &[1], dev)?.sum().is_err());
    Ok(())
}
test_device!(reduction_values, values);

/// 2^24 + 3 ones: one serial f32 accumulator would stop counting at 2^24.
fn long_sum(dev: &Device) -> Result<()> {
    let n = (1usize << 24) + 3;
    let x = Tensor::ones(&[n], dev)?;
    assert_eq!(x.sum()?.to_vec()?, vec![n as f32]);
    // 0.1 does not add up exactly in f32; a tree keeps the relative error near one ulp.
    let y = Tensor::full(&[4, 1 << 23], 0.1, dev)?;
    let s = y.sum()?.to_scalar()? as f64;
    let want = 0.1f32 as f64 * (1u64 << 25) as f64;
    assert!(((s - want) / want).abs() < 1e-5, "sum {s} vs {want}");
    Ok(())
}
test_device!(sum_of_more_than_2_pow_24_elements, long_sum);

fn softmax_values(dev: &Device) -> Result<()> {
    let x = Tensor::from_vec(vec![1., 2., 3., 1000., 1000., -1000.], &[2, 3], dev)?;
    let p = x.softmax()?.to_vec()?;
    let e = [1f32.exp(), 2f32.exp(), 3f32.exp()];
    let z: f32 = e.iter().sum();
    common::assert_close_slices(
        &p,
        &[e[0] / z, e[1] / z, e[2] / z, 0.5, 0.5, 0.0],
        1e-6,
        1e-5,
        "softmax",
    );
    let rows = x.softmax()?.sum_axis(1)?.to_vec()?;
    common::assert_close_slices(&rows, &[1., 1.], 1e-6, 0.0, "rows sum to 1");
    assert!(Tensor::scalar(1.0, dev)?.softmax().is_err());
    Ok(())
}
test_device!(softmax_is_stable, softmax_values);

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    #[test]
    fn reductions_match(shape in prop::collection::vec(prop_oneof![Just(1usize), 1usize..7, Just(13)], 1..=5),
                        axis_pick in any::<prop::sample::Index>(), transpose in any::<bool>(), seed in any::<u64>()) {
        let x = Tensor::rand_uniform(&shape, -3., 3., seed, &Device::cpu()).unwrap();
        let x = if transpose { x.t().unwrap() } else { x };
        let axis = axis_pick.index(shape.len());
        common::parity(&[&x], "sum_axis", |t| t[0].sum_axis(axis)).unwrap();
        common::parity(&[&x], "mean_axis", |t| t[0].mean_axis(axis)).unwrap();
        common::parity(&[&x], "max_axis", |t| t[0].max_axis(axis)).unwrap();
        common::parity(&[&x], "sum", |t| t[0].sum()).unwrap();
        common::parity(&[&x], "softmax", |t| t[0].softmax()).unwrap();
        if let Some(gpu) = common::gpu() {
            let want = x.argmax_axis(axis).unwrap().to_vec_u32().unwrap();
            let got = x.to_device(&gpu).unwrap().argmax_axis(axis).unwrap().to_vec_u32().unwrap();
            prop_assert_eq!(got, want);
        }
    }
}

/// Long rows go through a workgroup per chunk, short or numerous rows through an invocation
/// per row (src/gpu/reduce.rs): shapes on both sides of the switch, along either axis.
#[test]
fn both_reduction_strategies_match_the_cpu() {
    let Some(gpu) = common::gpu() else { return };
    for (shape, axis) in [
        ([3, 5000], 1),   // few long rows: chunked tree, two passes
        ([10, 300], 1),   // few rows just over a workgroup: tree
        ([2000, 300], 1), // many rows: one invocation each
        ([300, 2000], 0), // a column sum: 2000 rows of 300, strided
        ([128, 512], 0),  // a bias gradient
    ] {
        let x = Tensor::rand_uniform(&shape, -3., 3., 7, &Device::cpu()).unwrap();
        common::parity(&[&x], "sum_axis", |t| t[0].sum_axis(axis)).unwrap();
        common::parity(&[&x], "max_axis", |t| t[0].max_axis(axis)).unwrap();
        let want = x.argmax_axis(axis).unwrap().to_vec_u32().unwrap();
        let got = x.to_device(&gpu).unwrap().argmax_axis(axis).unwrap();
        assert_eq!(
            got.to_vec_u32().unwrap(),
            want,
            "argmax {shape:?} axis {axis}"
        );
    }
}
