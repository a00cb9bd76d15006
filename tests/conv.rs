//! Convolution and max-pooling: both devices against a direct reference written here from
//! TensorFlow's definitions (not from the crate's window arithmetic), gradients against finite
//! differences and across devices, and the errors bad arguments give.
mod common;

use proptest::prelude::*;
use tensorgears::{Device, Error, Padding, Result, Tensor, Var};

/// TensorFlow's output size and padding before, along one axis: `VALID` keeps the window
/// inside; `SAME` gives `ceil(in / s)` outputs and puts the odd padding after.
fn tf_axis(input: usize, k: usize, s: usize, padding: Padding) -> Option<(usize, usize)> {
    match padding {
        Padding::Valid => (k <= input).then(|| ((input - k) / s + 1, 0)),
        Padding::Same => {
            let out = input.div_ceil(s);
            let total = ((out - 1) * s + k).saturating_sub(input);
            Some((out, total / 2))
        }
    }
}

/// A case: NHWC images, the window (and filters' output channels), strides and padding.
#[derive(Debug, Clone)]
struct Case {
    x: [usize; 4],
    k: [usize; 2],
    cout: usize,
    s: [usize; 2],
    padding: Padding,
}

impl Case {
    /// (out_h, pad_top, out_w, pad_left), or `None` when TensorFlow refuses the case.
    fn sweep(&self) -> Option<(usize, usize, usize, usize)> {
        let (oh, pt) = tf_axis(self.x[1], self.k[0], self.s[0], self.padding)?;
        let (ow, pl) = tf_axis(self.x[2], self.k[1], self.s[1], self.padding)?;
        Some((oh, pt, ow, pl))
    }

    /// The image element a window position reads, or `None` in the padding.
    fn at(&self, img: usize, oh: usize, ow: usize, kh: usize, kw: usize) -> Option<usize> {
        let (_, pt, _, pl) = self.sweep()?;
        let h = (oh * self.s[0] + kh).checked_sub(pt)?;
        let w = (ow * self.s[1] + kw).checked_sub(pl)?;
        (h < self.x[1] && w < self.x[2])
            .then_some(((img * self.x[1] + h) * self.x[2] + w) * self.x[3])
    }
}

/// The direct convolution: every output a sum over the window and the input channels.
fn reference_conv(case: &Case, x: &[f32], f: &[f32]) -> Vec<f32> {
    let (oh_n, _, ow_n, _) = case.sweep().unwrap();
    let ([n, _, _, c], [kh_n, kw_n], cout) = (case.x, case.k, case.cout);
    let mut out = vec![0.0f32; n * oh_n * ow_n * cout];
    for img in 0..n {
        for oh in 0..oh_n {
            for ow in 0..ow_n {
                for o in 0..cout {
                    let mut sum = 0.0f64;
                    for kh in 0..kh_n {
                        for kw in 0..kw_n {
                            let Some(base) = case.at(img, oh, ow, kh, kw) else {
                                continue;
                            };
                            for i in 0..c {
                                let w = f[((kh * kw_n + kw) * c + i) * cout + o];
                                sum += f64::from(x[base + i]) * f64::from(w);
                            }
                        }
                    }
                    out[((img * oh_n + oh) * ow_n + ow) * cout + o] = sum as f32;
                }
            }
        }
    }
    out
}

/// Max-pooling by definition: the largest value the window covers inside the image, NaN
/// winning.
fn reference_pool(case: &Case, x: &[f32]) -> Vec<f32> {
    let (oh_n, _, ow_n, _) = case.sweep().unwrap();
    let [n, _, _, c] = case.x;
    let mut out = Vec::new();
    for img in 0..n {
        for oh in 0..oh_n {
            for ow in 0..ow_n {
                for ch in 0..c {
                    let covered = (0..case.k[0])
                        .flat_map(|kh| (0..case.k[1]).map(move |kw| (kh, kw)))
                        .filter_map(|(kh, kw)| case.at(img, oh, ow, kh, kw))
                        .map(|base| x[base + ch]);
                    out.push(covered.fold(f32::NEG_INFINITY, |m, v| {
                        if m.is_nan() || v.is_nan() {
                            f32::NAN
                        } else {
                            m.max(v)
                        }
                    }));
                }
            }
        }
    }
    out
}

fn case() -> impl Strategy<Value = Case> {
    (
        (1usize..3, 1usize..10, 1usize..10, 1usize..5),
        (1usize..5, 1usize..5, 1usize..6),
        (1usize..4, 1usize..4),
        prop_oneof![Just(Padding::Valid), Just(Padding::Same)],
    )
        .prop_map(|((n, h, w, c), (kh, kw, cout), (sh, sw), padding)| Case {
            x: [n, h, w, c],
            k: [kh, kw],
            cout,
            s: [sh, sw],
            padding,
        })
}

fn rand(shape: &[usize], seed: u64, dev: &Device) -> Tensor {
    Tensor::rand_uniform(shape, -1.0, 1.0, seed, dev).unwrap()
}

/// Forward values on one device against the references, and the gradients against the CPU's.
fn check_case(case: &Case, seed: u64, dev: &Device) -> Result<()> {
    let x = rand(&case.x, seed, dev);
    let f = rand(&[case.k[0], case.k[1], case.x[3], case.cout], seed ^ 7, dev);
    let (conv, pool) = (
        x.conv2d(&f, case.s, case.padding),
        x.max_pool2d(case.k, case.s, case.padding),
    );
    let Some((oh, _, ow, _)) = case.sweep() else {
        assert!(
            matches!(conv, Err(Error::InvalidArgument { op: "conv2d", .. })),
            "{conv:?}"
        );
        assert!(
            matches!(
                pool,
                Err(Error::InvalidArgument {
                    op: "max_pool2d",
                    ..
                })
            ),
            "{pool:?}"
        );
        return Ok(());
    };
    let (conv, pool) = (conv?, pool?);
    assert_eq!(conv.shape(), &[case.x[0], oh, ow, case.cout]);
    assert_eq!(pool.shape(), &[case.x[0], oh, ow, case.x[3]]);
    let (xs, fs) = (x.to_vec()?, f.to_vec()?);
    common::assert_close_slices(
        &conv.to_vec()?,
        &reference_conv(case, &xs, &fs),
        1e-5,
        1e-4,
        "conv2d",
    );
    assert_eq!(
        pool.to_vec()?,
        reference_pool(case, &xs),
        "max_pool2d {case:?}"
    );
    Ok(())
}

/// The gradients of one graph through both ops, on the CPU and the GPU.
fn gradients(case: &Case, seed: u64, dev: &Device) -> Result<Option<Vec<Vec<f32>>>> {
    if case.sweep().is_none() {
        return Ok(None);
    }
    let x = Var::new(rand(&case.x, seed, dev));
    let f = Var::new(rand(
        &[case.k[0], case.k[1], case.x[3], case.cout],
        seed ^ 7,
        dev,
    ));
    let y = x.as_tensor().conv2d(f.as_tensor(), case.s, case.padding)?;
    let p = x.as_tensor().max_pool2d(case.k, case.s, case.padding)?;
    let loss = common::weighted(&y, 3)?.add(&common::weighted(&p, 4)?)?;
    let g = loss.backward()?;
    Ok(Some(vec![
        g.get(&x).unwrap().to_vec()?,
        g.get(&f).unwrap().to_vec()?,
    ]))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn both_devices_match_the_reference(case in case(), seed in any::<u64>()) {
        check_case(&case, seed, &Device::cpu()).unwrap();
        if let Some(gpu) = common::gpu() {
            check_case(&case, seed, &gpu).unwrap();
            let (want, got) = (gradients(&case, seed, &Device::cpu()).unwrap(), gradients(&case, seed, &gpu).unwrap());
            if let (Some(want), Some(got)) = (want, got) {
                common::assert_close_slices(&got[0], &want[0], 1e-5, 1e-4, "input gradient");
                common::assert_close_slices(&got[1], &want[1], 1e-5, 1e-4, "filter gradient");
            }
        }
    }
}

#[test]
fn conv2d_gradients_match_finite_differences() {
    let dev = Device::cpu();
    for (x, k, s, padding) in [
        ([2, 5, 6, 2], [3, 3], [1, 1], Padding::Valid),
        ([1, 5, 4, 3], [3, 2], [2, 1], Padding::Same),
        ([1, 6, 6, 1], [4, 4], [2, 3], Padding::Same),
    ] {
        let f = rand(&[k[0], k[1], x[3], 2], 11, &dev);
        common::check_grad("conv2d", &[rand(&x, 10, &dev), f], |t| {
            t[0].conv2d(&t[1], s, padding)
        });
    }
    // The layer's fused form: bias and relu applied as the product is stored.
    let (x, f, b) = (
        rand(&[2, 4, 4, 2], 12, &dev),
        rand(&[2, 2, 2, 3], 13, &dev),
        rand(&[3], 14, &dev),
    );
    common::check_grad("conv2d_bias_relu", &[x, f, b], |t| {
        t[0].conv2d_bias_relu(&t[1], &t[2], [1, 1], Padding::Same)
    });
}

#[test]
fn max_pool_gradient_matches_finite_differences() {
    // Distinct values 0.1 apart: the finite differences' steps never change a window's winner.
    let dev = Device::cpu();
    let n = 2 * 5 * 5 * 2;
    let mut v: Vec<f32> = (0..n).map(|i| (i * 37 % n) as f32 * 0.1).collect();
    v.reverse();
    let x = Tensor::from_vec(v, &[2, 5, 5, 2], &dev).unwrap();
    for (k, s, padding) in [
        ([2, 2], [2, 2], Padding::Valid),
        ([3, 3], [1, 2], Padding::Same),
    ] {
        common::check_grad("max_pool2d", std::slice::from_ref(&x), |t| {
            t[0].max_pool2d(k, s, padding)
        });
    }
}

fn pool_rules(dev: &Device) -> Result<()> {
    let nan = f32::NAN;
    let x = Tensor::from_vec(vec![1., nan, 3., 7., 0., 7., 7., 2.], &[1, 2, 4, 1], dev)?;
    let y = x.max_pool2d([2, 2], [2, 2], Padding::Valid)?;
    let v = y.to_vec()?;
    assert!(v[0].is_nan(), "NaN wins its window: {v:?}");
    assert_eq!(v[1], 7.0);
    // The first of equal maxima (row-major) takes the whole gradient.
    let xv = Var::new(x.clone());
    let g = xv
        .as_tensor()
        .max_pool2d([2, 2], [2, 2], Padding::Valid)?
        .backward()?;
    assert_eq!(
        g.get(&xv).unwrap().to_vec()?,
        vec![0., 1., 0., 1., 0., 0., 0., 0.]
    );
    // Overlapping windows add their gradients on a shared maximum.
    let x = Var::new(Tensor::from_vec(
        vec![0., 1., 9., 1., 0.],
        &[1, 1, 5, 1],
        dev,
    )?);
    let g = x
        .as_tensor()
        .max_pool2d([1, 3], [1, 1], Padding::Valid)?
        .backward()?;
    assert_eq!(g.get(&x).unwrap().to_vec()?, vec![0., 0., 3., 0., 0.]);
    Ok(())
}
test_device!(max_pool_nan_ties_and_overlaps, pool_rules);

fn bad_arguments(dev: &Device) -> Result<()> {
    let x = Tensor::ones(&[1, 4, 4, 2], dev)?;
    let f = Tensor::ones(&[3, 3, 2, 1], dev)?;
    let message = |e: Error| e.to_string();
    // Rank other than 4.
    let e = Tensor::ones(&[4, 4, 2], dev)?
        .conv2d(&f, [1, 1], Padding::Valid)
        .unwrap_err();
    assert!(message(e.clone()).contains("conv2d") && message(e).contains("[4, 4, 2]"));
    let e = x
        .conv2d(&Tensor::ones(&[3, 3, 2], dev)?, [1, 1], Padding::Valid)
        .unwrap_err();
    assert!(message(e).contains("[3, 3, 2]"));
    let e = Tensor::ones(&[4, 4], dev)?
        .max_pool2d([2, 2], [2, 2], Padding::Valid)
        .unwrap_err();
    assert!(message(e.clone()).contains("max_pool2d") && message(e).contains("[4, 4]"));
    // Channels that do not match.
    let e = x
        .conv2d(&Tensor::ones(&[3, 3, 3, 1], dev)?, [1, 1], Padding::Valid)
        .unwrap_err();
    assert_eq!(
        e,
        Error::ShapeMismatch {
            op: "conv2d",
            lhs: vec![1, 4, 4, 2],
            rhs: vec![3, 3, 3, 1]
        }
    );
    // Zero strides, a zero window.
    let e = x.conv2d(&f, [0, 1], Padding::Same).unwrap_err();
    assert!(message(e.clone()).contains("conv2d") && message(e).contains("[1, 4, 4, 2]"));
    assert!(x.max_pool2d([2, 2], [1, 0], Padding::Same).is_err());
    assert!(x.max_pool2d([0, 2], [1, 1], Padding::Same).is_err());
    // A window larger than the input under VALID (SAME pads it).
    let big = Tensor::ones(&[5, 5, 2, 1], dev)?;
    let e = x.conv2d(&big, [1, 1], Padding::Valid).unwrap_err();
    let m = message(e);
    assert!(
        m.contains("conv2d") && m.contains("[1, 4, 4, 2]") && m.contains("[5, 5, 2, 1]"),
        "{m}"
    );
    assert_eq!(
        x.conv2d(&big, [1, 1], Padding::Same)?.shape(),
        &[1, 4, 4, 1]
    );
    assert!(x.max_pool2d([5, 1], [1, 1], Padding::Valid).is_err());
    // u32 images.
    let u = Tensor::from_vec_u32(vec![0; 16], &[1, 4, 4, 1], dev)?;
    assert!(matches!(
        u.max_pool2d([2, 2], [2, 2], Padding::Valid),
        Err(Error::DTypeMismatch { .. })
    ));
    // Empty batches are empty results, not errors.
    let empty = Tensor::zeros(&[0, 4, 4, 2], dev)?;
    assert_eq!(
        empty.conv2d(&f, [1, 1], Padding::Valid)?.shape(),
        &[0, 2, 2, 1]
    );
    assert_eq!(
        empty.max_pool2d([2, 2], [2, 2], Padding::Valid)?.shape(),
        &[0, 2, 2, 2]
    );
    Ok(())
}
test_device!(bad_arguments_are_errors_naming_op_and_shapes, bad_arguments);

/// Strided views are read as their values, not their storage.
fn views(dev: &Device) -> Result<()> {
    let base = rand(&[2, 6, 5, 3], 21, dev);
    let view = base
        .permute(&[0, 2, 1, 3])?
        .slice(tensorgears::s![.., 1.., .., ..])?;
    let copy = view.contiguous()?;
    let f = rand(&[2, 2, 3, 4], 22, dev);
    common::assert_close(
        &view.conv2d(&f, [1, 2], Padding::Same)?,
        &copy.conv2d(&f, [1, 2], Padding::Same)?,
        "conv2d of a view",
    )?;
    common::assert_close(
        &view.max_pool2d([2, 2], [1, 1], Padding::Valid)?,
        &copy.max_pool2d([2, 2], [1, 1], Padding::Valid)?,
        "max_pool2d of a view",
    )
}
test_device!(strided_views, views);
