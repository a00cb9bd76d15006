// `s![a..-b]` counts from the end, which clippy mistakes for an empty Rust range.
#![allow(clippy::reversed_empty_ranges)]
//! dot and matmul through the public API: the chapter's numbers, NumPy's shape rules, batched
//! and non-contiguous operands, CPU-vs-GPU parity. (Each GPU kernel is tested on the named
//! edge cases in src/gpu/matmul/tests.rs.)
mod common;

use proptest::prelude::*;
use tensorgears::{s, Device, Error, Result, Tensor};

fn t(v: &[f32], shape: &[usize], dev: &Device) -> Result<Tensor> {
    Tensor::from_vec(v.to_vec(), shape, dev)
}

fn chapter_dots(dev: &Device) -> Result<()> {
    let x = t(&[1., 2., 3., 4., 5.], &[5], dev)?;
    let y = t(&[6., 7., 8., 9., 10.], &[5], dev)?;
    let z = x.dot(&y)?;
    assert_eq!(z.shape(), &[] as &[usize]);
    assert_eq!(z.to_vec()?, vec![130.]);
    let m = t(&[1., 2., 3., 4., 5., 6.], &[2, 3], dev)?;
    let v = t(&[6., 7., 8.], &[3], dev)?;
    assert_eq!(m.dot(&v)?.to_vec()?, vec![44., 107.]);
    assert_eq!(m.dot(&v)?.shape(), &[2]);
    let w = t(&[6., 7., 8., 9., 10., 11.], &[3, 2], dev)?;
    let mw = m.dot(&w)?;
    assert_eq!(mw.shape(), &[2, 2]);
    assert_eq!(mw.to_vec()?, vec![52., 58., 124., 139.]);
    // The rotation, and why the order matters.
    let r = t(&[0., -1., 1., 0.], &[2, 2], dev)?;
    let p = t(&[2., 0.], &[2], dev)?;
    assert_eq!(r.dot(&p)?.to_vec()?, vec![0., 2.]);
    assert_eq!(p.dot(&r)?.to_vec()?, vec![0., -2.]);
    Ok(())
}
test_device!(dot_matches_the_chapter, chapter_dots);

fn dot_shapes(dev: &Device) -> Result<()> {
    let a = Tensor::rand_uniform(&[2, 3, 4, 5], -1., 1., 1, dev)?;
    assert_eq!(a.dot(&Tensor::ones(&[5], dev)?)?.shape(), &[2, 3, 4]);
    let b = Tensor::rand_uniform(&[5, 6], -1., 1., 2, dev)?;
    let ab = a.dot(&b)?;
    assert_eq!(ab.shape(), &[2, 3, 4, 6]);
    // (a,b,c,d)·(d,e) is the matrix product of the rows of a.
    let flat = a.reshape(&[24, 5])?.matmul(&b)?;
    common::assert_close(&ab.reshape(&[24, 6])?, &flat, "N-D dot 2-D")?;
    // N-D · M-D: the last axis of a with the second-to-last of c.
    let c = Tensor::rand_uniform(&[7, 5, 3], -1., 1., 3, dev)?;
    let ac = a.dot(&c)?;
    assert_eq!(ac.shape(), &[2, 3, 4, 7, 3]);
    let want = a.reshape(&[24, 5])?.matmul(&c.slice(s![2, .., ..])?)?;
    common::assert_close(
        &ac.slice(s![.., .., .., 2, ..])?.reshape(&[24, 3])?,
        &want,
        "N-D dot M-D",
    )?;
    let scaled = a.dot(&Tensor::scalar(2.0, dev)?)?;
    common::assert_close(&scaled, &a.mul_scalar(2.0)?, "dot with a scalar")?;
    match a.dot(&Tensor::ones(&[4, 6], dev)?) {
        Err(Error::ShapeMismatch {
            op: "dot",
            lhs,
            rhs,
        }) => {
            assert_eq!((lhs, rhs), (vec![2, 3, 4, 5], vec![4, 6]))
        }
        other => panic!("expected a shape mismatch, got {other:?}"),
    }
    Ok(())
}
test_device!(dot_follows_numpy_shapes, dot_shapes);

fn matmul_batches(dev: &Device) -> Result<()> {
    let a = Tensor::rand_uniform(&[3, 1, 4, 5], -1., 1., 4, dev)?;
    let b = Tensor::rand_uniform(&[2, 5, 6], -1., 1., 5, dev)?;
    let c = a.matmul(&b)?;
    assert_eq!(c.shape(), &[3, 2, 4, 6]);
    for i in 0..3 {
        for j in 0..2 {
            let want = a
                .slice(s![i, 0, .., ..])?
                .matmul(&b.slice(s![j, .., ..])?)?;
            common::assert_close(&c.slice(s![i, j, .., ..])?, &want, "broadcast batch")?;
        }
    }
    assert_eq!(
        Tensor::ones(&[4], dev)?
            .matmul(&Tensor::ones(&[3, 4, 2], dev)?)?
            .shape(),
        &[3, 2]
    );
    assert_eq!(
        Tensor::ones(&[3, 2, 4], dev)?
            .matmul(&Tensor::ones(&[4], dev)?)?
            .shape(),
        &[3, 2]
    );
    assert!(matches!(
        Tensor::ones(&[2, 3], dev)?.matmul(&Tensor::ones(&[2, 3], dev)?),
        Err(Error::ShapeMismatch { op: "matmul", .. })
    ));
    assert!(Tensor::ones(&[2, 3, 4], dev)?
        .matmul(&Tensor::ones(&[3, 4, 2], dev)?)
        .is_err());
    assert!(Tensor::scalar(1.0, dev)?
        .matmul(&Tensor::ones(&[2], dev)?)
        .is_err());
    Ok(())
}
test_device!(matmul_broadcasts_batches, matmul_batches);

// 300 batches do not fit one kernel's parameter block, so the GPU splits them over dispatches.
fn matmul_many_batches(dev: &Device) -> Result<()> {
    let a = Tensor::rand_uniform(&[300, 3, 5], -1., 1., 6, dev)?;
    let b = Tensor::rand_uniform(&[300, 5, 2], -1., 1., 7, dev)?;
    let c = a.matmul(&b)?;
    let want = a
        .to_device(&Device::cpu())?
        .matmul(&b.to_device(&Device::cpu())?)?;
    common::assert_close(&c, &want, "300 batches")?;
    for i in [0, 119, 120, 299] {
        let one = a.slice(s![i, .., ..])?.matmul(&b.slice(s![i, .., ..])?)?;
        common::assert_close(&c.slice(s![i, .., ..])?, &one, &format!("batch {i}"))?;
    }
    Ok(())
}
test_device!(matmul_splits_long_batches, matmul_many_batches);

/// Transposed and sliced operands give the product of their values.
fn strided_operands(dev: &Device) -> Result<()> {
    let x = Tensor::rand_uniform(&[128, 784], -1., 1., 6, dev)?;
    let dy = Tensor::rand_uniform(&[128, 512], -1., 1., 7, dev)?;
    let got = x.t()?.matmul(&dy)?;
    let want = x.t()?.contiguous()?.matmul(&dy)?;
    assert_eq!(got.shape(), &[784, 512]);
    common::assert_close(&got, &want, "transposed lhs")?;
    let w = Tensor::rand_uniform(&[40, 30], -1., 1., 8, dev)?;
    let sliced = w.slice(s![5..-5;2, 3..20])?; // (15, 17), strided rows
    let rhs = Tensor::rand_uniform(&[17, 9], -1., 1., 9, dev)?;
    common::assert_close(
        &sliced.matmul(&rhs)?,
        &sliced.contiguous()?.matmul(&rhs)?,
        "sliced lhs",
    )?;
    let rev = rhs.slice(s![..;-1, ..])?;
    common::assert_close(
        &sliced.matmul(&rev)?,
        &sliced.matmul(&rev.contiguous()?)?,
        "reversed rhs",
    )?;
    Ok(())
}
test_device!(matmul_reads_strided_operands, strided_operands);

/// A product against a plain triple loop in f64 (an independent reference for both devices).
fn naive(dev: &Device) -> Result<()> {
    let (m, k, n) = (37, 129, 70);
    let a = Tensor::rand_uniform(&[m, k], -1., 1., 10, dev)?;
    let b = Tensor::rand_uniform(&[k, n], -1., 1., 11, dev)?;
    let (av, bv) = (a.to_vec()?, b.to_vec()?);
    let mut want = vec![0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            want[i * n + j] = (0..k)
                .map(|p| av[i * k + p] as f64 * bv[p * n + j] as f64)
                .sum::<f64>() as f32;
        }
    }
    common::assert_close_slices(
        &a.matmul(&b)?.to_vec()?,
        &want,
        1e-4,
        1e-4,
        "vs triple loop",
    );
    Ok(())
}
test_device!(matmul_matches_a_triple_loop, naive);

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn matmul_parity(m in 1usize..70, k in 1usize..70, n in 1usize..70, batch in 1usize..4,
                     ta in any::<bool>(), seed in any::<u64>()) {
        let cpu = Device::cpu();
        let a = if ta {
            Tensor::rand_uniform(&[batch, k, m], -1., 1., seed, &cpu).unwrap().permute(&[0, 2, 1]).unwrap()
        } else {
            Tensor::rand_uniform(&[batch, m, k], -1., 1., seed, &cpu).unwrap()
        };
        let b = Tensor::rand_uniform(&[k, n], -1., 1., seed ^ 5, &cpu).unwrap();
        common::parity(&[&a, &b], "matmul", |t| t[0].matmul(&t[1])).unwrap();
        common::parity(&[&a, &b], "dot", |t| t[0].dot(&t[1])).unwrap();
    }
}

/// `linear` and `linear_relu` (one kernel) against the composed `matmul`, `add`, `relu`, on
/// shapes that take both orientations of the GPU launch, with strided operands and a bias that
/// is a strided view into a longer tensor.
fn fused_linear(dev: &Device) -> Result<()> {
    for (m, k, n) in [
        (1, 1, 1),
        (7, 7, 7),
        (128, 784, 512),
        (128, 512, 10),
        (3, 40, 70),
    ] {
        let x = Tensor::rand_uniform(&[m, k], -1., 1., 1, dev)?;
        let w = Tensor::rand_uniform(&[k, n], -1., 1., 2, dev)?;
        let b = Tensor::rand_uniform(&[n], -1., 1., 3, dev)?;
        let z = x.matmul(&w)?.add(&b)?;
        let what = format!("{m}x{k}x{n}");
        common::assert_close(&x.linear(&w, &b)?, &z, &format!("linear {what}"))?;
        let y = x.linear_relu(&w, &b)?;
        common::assert_close(&y, &z.relu()?, &format!("linear_relu {what}"))?;
        assert!(y.to_vec()?.iter().all(|&v| v >= 0.0));
    }
    // x^T and W^T read in place; the bias every other element of a longer tensor, from the end.
    let xt = Tensor::rand_uniform(&[33, 20], -1., 1., 4, dev)?.t()?;
    let wt = Tensor::rand_uniform(&[9, 33], -1., 1., 5, dev)?.t()?;
    let long = Tensor::rand_uniform(&[19], -1., 1., 6, dev)?;
    let b = long.slice(s![..;-2])?;
    assert_eq!(b.shape(), &[10]);
    let bias9 = b.slice(s![1..])?;
    let z = xt.matmul(&wt)?.add(&bias9)?;
    common::assert_close(&xt.linear(&wt, &bias9)?, &z, "strided linear")?;
    common::assert_close(&xt.linear_relu(&wt, &bias9)?, &z.relu()?, "strided relu")?;
    Ok(())
}
test_device!(linear_matches_matmul_add_relu, fused_linear);

fn linear_errors(dev: &Device) -> Result<()> {
    let x = Tensor::ones(&[4, 3], dev)?;
    let w = Tensor::ones(&[3, 2], dev)?;
    let b = Tensor::ones(&[2], dev)?;
    let shape_error =
        |r: Result<Tensor>| matches!(r, Err(Error::ShapeMismatch { op: "linear", .. }));
    assert!(shape_error(x.linear(&Tensor::ones(&[4, 2], dev)?, &b)));
    assert!(shape_error(x.linear(&w, &Tensor::ones(&[3], dev)?)));
    assert!(shape_error(x.linear(&w, &Tensor::ones(&[1, 2], dev)?)));
    assert!(shape_error(Tensor::ones(&[3], dev)?.linear(&w, &b)));
    assert!(shape_error(Tensor::ones(&[2, 4, 3], dev)?.linear(&w, &b)));
    let labels = Tensor::from_vec_u32(vec![0, 1], &[2], dev)?;
    assert!(matches!(
        x.linear_relu(&w, &labels),
        Err(Error::DTypeMismatch { .. })
    ));
    assert_eq!(
        Tensor::zeros(&[0, 3], dev)?.linear_relu(&w, &b)?.shape(),
        &[0, 2]
    );
    assert_eq!(
        Tensor::zeros(&[4, 0], dev)?
            .linear(&Tensor::zeros(&[0, 2], dev)?, &b)?
            .to_vec()?,
        vec![1.0; 8],
        "an empty product is zeros, plus the bias"
    );
    Ok(())
}
test_device!(linear_rejects_bad_shapes, linear_errors);

/// Batch axes of 2^31 x 2^31: where the result's (or a broadcast operand's) element count
/// overflows, an error; where it fits but memory does not, an error; never an abort or a
/// wrapped count, on both devices.
fn huge_batches(dev: &Device) -> Result<()> {
    let big = 1usize << 31;
    let a = Tensor::zeros(&[big, big, 0, 3], dev)?;
    let b = Tensor::zeros(&[3, 2], dev)?;
    match a.matmul(&b) {
        Err(Error::InvalidArgument { msg, .. }) => assert!(msg.contains("more elements"), "{msg}"),
        other => panic!("expected an element count error, got {other:?}"),
    }
    let a = Tensor::zeros(&[big, 1 << 20, 0, 1], dev)?;
    let b = Tensor::zeros(&[1, 1], dev)?;
    assert_eq!(a.matmul(&b)?.shape(), &[big, 1 << 20, 0, 1]);
    let a = Tensor::zeros(&[big, 1 << 10, 2, 0], dev)?;
    let b = Tensor::zeros(&[0, 2], dev)?;
    match a.matmul(&b) {
        Err(Error::OutOfMemory { .. } | Error::LimitExceeded { .. }) => {}
        other => panic!("expected a size error, got {other:?}"),
    }
    Ok(())
}
test_device!(huge_batches_are_empty_or_errors, huge_batches);
