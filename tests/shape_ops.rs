// `s![a..-b]` counts from the end, which clippy mistakes for an empty Rust range.
#![allow(clippy::reversed_empty_ranges)]
//! reshape, transpose, permute and slice on both devices, and ops over the strided views they
//! make.
mod common;

use proptest::prelude::*;
use tensorgears::{s, Device, Error, Result, Tensor};

fn chapter_reshape(dev: &Device) -> Result<()> {
    let x = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[3, 2], dev)?;
    let a = x.reshape(&[6, 1])?;
    assert_eq!(a.shape(), &[6, 1]);
    assert_eq!(a.to_vec()?, vec![0., 1., 2., 3., 4., 5.]);
    let b = x.reshape(&[2, 3])?;
    assert_eq!(b.to_vec()?, vec![0., 1., 2., 3., 4., 5.]);
    match x.reshape(&[3, 4]) {
        Err(e @ Error::Reshape { .. }) => {
            assert!(
                e.to_string()
                    .contains("cannot reshape 6 elements into [3, 4]"),
                "{e}"
            )
        }
        other => panic!("expected a reshape error, got {other:?}"),
    }
    assert_eq!(Tensor::zeros(&[300, 20], dev)?.t()?.shape(), &[20, 300]);
    // A transposed view reshaped keeps the transposed order.
    let tt = x.t()?;
    assert_eq!(tt.to_vec()?, vec![0., 2., 4., 1., 3., 5.]);
    assert_eq!(tt.reshape(&[6])?.to_vec()?, vec![0., 2., 4., 1., 3., 5.]);
    assert!(tt.reshape(&[4]).is_err());
    Ok(())
}
test_device!(reshape_and_transpose_match_the_chapter, chapter_reshape);

fn chapter_slices(dev: &Device) -> Result<()> {
    // 60000 f32 images are 188 MB, more than one storage binding holds on small adapters
    // (lavapipe: 128 MiB); the GPU run slices a third of them.
    let count = if dev.is_gpu() { 20000 } else { 60000 };
    let images = Tensor::zeros(&[count, 28, 28], dev)?;
    assert_eq!(images.slice(s![10..100])?.shape(), &[90, 28, 28]);
    assert_eq!(images.slice(s![10..100, .., ..])?.shape(), &[90, 28, 28]);
    assert_eq!(images.slice(s![.., 14.., 14..])?.shape(), &[count, 14, 14]);
    assert_eq!(
        images.slice(s![.., 7..-7, 7..-7])?.shape(),
        &[count, 14, 14]
    );
    let n = 3;
    assert_eq!(
        images.slice(s![128 * n..128 * (n + 1)])?.shape(),
        &[128, 28, 28]
    );
    assert_eq!(
        images.batch(count / 128, 128)?.shape(),
        &[count % 128, 28, 28]
    );
    let rows = Tensor::from_vec((0..300 * 2).map(|v| v as f32).collect(), &[300, 2], dev)?;
    let last = rows.slice(s![256..384])?;
    assert_eq!(last.shape(), &[44, 2]);
    assert_eq!(last.to_vec()?[0], 512.);
    assert_eq!(rows.slice(s![300..])?.shape(), &[0, 2]);
    assert_eq!(rows.slice(s![310..400])?.shape(), &[0, 2]);
    assert!(matches!(
        rows.slice(s![..;0, ..]),
        Err(Error::InvalidArgument { op: "slice", .. })
    ));
    assert!(rows.slice(s![.., .., ..]).is_err());
    assert!(rows.slice(s![300, ..]).is_err());
    Ok(())
}
test_device!(slices_match_the_chapter, chapter_slices);

fn slice_values(dev: &Device) -> Result<()> {
    let x = Tensor::from_vec((0..24).map(|v| v as f32).collect(), &[2, 3, 4], dev)?;
    assert_eq!(x.slice(s![1, .., -1])?.to_vec()?, vec![15., 19., 23.]);
    assert_eq!(
        x.slice(s![.., 1..;2, ..;3])?.to_vec()?,
        vec![4., 7., 16., 19.]
    );
    assert_eq!(x.slice(s![0, 0, ..;-1])?.to_vec()?, vec![3., 2., 1., 0.]);
    assert_eq!(x.slice(s![0, 0, 1..3;-1])?.to_vec()?, vec![2., 1.]);
    let p = x.permute(&[2, 0, 1])?;
    assert_eq!(p.shape(), &[4, 2, 3]);
    assert_eq!(p.slice(s![1, 1, ..])?.to_vec()?, vec![13., 17., 21.]);
    assert!(x.permute(&[0, 0, 1]).is_err());
    assert!(x.permute(&[0, 1]).is_err());
    // Ops on views: relu of a slice, a sum of a transposed view with a broadcast vector.
    let v = x.slice(s![.., 1, ..])?.add_scalar(-14.0)?.relu()?;
    assert_eq!(v.to_vec()?, vec![0., 0., 0., 0., 2., 3., 4., 5.]);
    let col = Tensor::from_vec(vec![100., 200.], &[2], dev)?;
    let tsum = x.slice(s![.., 0, ..])?.t()?.add(&col)?;
    assert_eq!(
        tsum.to_vec()?,
        vec![100., 212., 101., 213., 102., 214., 103., 215.]
    );
    Ok(())
}
test_device!(slice_and_permute_values, slice_values);

fn u32_views(dev: &Device) -> Result<()> {
    let labels = Tensor::from_vec_u32((0..10).collect(), &[10], dev)?;
    assert_eq!(labels.slice(s![2..5])?.to_vec_u32()?, vec![2, 3, 4]);
    assert_eq!(
        labels.reshape(&[2, 5])?.t()?.to_vec_u32()?,
        vec![0, 5, 1, 6, 2, 7, 3, 8, 4, 9]
    );
    Ok(())
}
test_device!(u32_views_read_back, u32_views);

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    /// Random slices of a random 3-D tensor, then an op on the view: the same on both devices.
    #[test]
    fn sliced_views_match(d0 in 1usize..9, d1 in 1usize..9, d2 in 1usize..9,
                          a in -10isize..10, b in -10isize..10, step in prop_oneof![Just(1isize), Just(2), Just(-1), Just(3)],
                          seed in any::<u64>()) {
        let x = Tensor::rand_uniform(&[d0, d1, d2], -2., 2., seed, &Device::cpu()).unwrap();
        common::parity(&[&x], "slice", |t| t[0].slice(s![a..b;step, .., ..])?.relu()).unwrap();
        common::parity(&[&x], "slice 2", |t| t[0].slice(s![.., a.., ..b;step])?.exp()).unwrap();
        common::parity(&[&x], "permute", |t| t[0].permute(&[2, 0, 1])?.mul_scalar(3.0)).unwrap();
        common::parity(&[&x], "t contiguous", |t| t[0].t()?.contiguous()).unwrap();
    }
}
