//! Gradients: the chapter's GradientTape cells, finite-difference checks of every backward
//! rule, CPU-vs-GPU parity of gradients, the fused loss against its composed form, and one
//! optimizer step against hand-computed values.
#![allow(clippy::reversed_empty_ranges)]
mod common;

use tensorgears::loss::sparse_softmax_cross_entropy;
use tensorgears::nn::{Activation, Dense, Sequential};
use tensorgears::optim::{Adam, Optimizer, RmsProp, Sgd};
use tensorgears::{s, Device, Error, Result, Tensor, Var};

fn t(v: &[f32], shape: &[usize], dev: &Device) -> Result<Tensor> {
    Tensor::from_vec(v.to_vec(), shape, dev)
}

fn chapter_cells(dev: &Device) -> Result<()> {
    // y = 2x + 3 at x = 0
    let x = Var::new(Tensor::scalar(0.0, dev)?);
    let y = x.as_tensor().mul_scalar(2.0)?.add_scalar(3.0)?;
    assert_eq!(y.backward()?.get(&x).unwrap().to_vec()?, vec![2.0]);
    // the same for a 2x2 x
    let x = Var::new(Tensor::zeros(&[2, 2], dev)?);
    let y = x.as_tensor().mul_scalar(2.0)?.add_scalar(3.0)?;
    let g = y.backward()?;
    assert_eq!(g.get(&x).unwrap().shape(), &[2, 2]);
    assert_eq!(g.get(&x).unwrap().to_vec()?, vec![2.0; 4]);
    // y = x·W + b
    let xin = t(&[1., 4., 3.], &[1, 3], dev)?;
    let w = Var::new(Tensor::rand_uniform(&[3, 2], 0.0, 1.0, 7, dev)?);
    let b = Var::new(Tensor::zeros(&[2], dev)?);
    let y = xin.matmul(w.as_tensor())?.add(b.as_tensor())?;
    let g = y.backward()?;
    assert_eq!(g.len(), 2);
    assert_eq!(g.get(&w).unwrap().to_vec()?, vec![1., 1., 4., 4., 3., 3.]);
    assert_eq!(g.get(&b).unwrap().to_vec()?, vec![1., 1.]);
    // f = x^2 y + x y + 3 y at x = 2, y = 1
    let (x, yv) = (
        Var::new(Tensor::scalar(2.0, dev)?),
        Var::new(Tensor::scalar(1.0, dev)?),
    );
    let (xt, yt) = (x.as_tensor(), yv.as_tensor());
    let f = xt
        .powf(2.0)?
        .mul(yt)?
        .add(&xt.mul(yt)?)?
        .add(&yt.mul_scalar(3.0)?)?;
    let g = f.backward()?;
    assert_eq!(g.get(&x).unwrap().to_vec()?, vec![5.0]);
    assert_eq!(g.get(&yv).unwrap().to_vec()?, vec![9.0]);
    // pow(x·W + b, 3) against its analytic gradient: dW = x^T (3 z^2), db = sum_rows 3 z^2.
    let xin = Tensor::rand_uniform(&[4, 3], -1.0, 1.0, 8, dev)?;
    let b = Var::new(Tensor::rand_uniform(&[2], -1.0, 1.0, 9, dev)?);
    let z = xin.matmul(w.as_tensor())?.add(b.as_tensor())?;
    let g = z.powf(3.0)?.backward()?;
    let (xs, zs) = (xin.to_vec()?, z.to_vec()?);
    let mut dw = vec![0f32; 6];
    let mut db = vec![0f32; 2];
    for r in 0..4 {
        for j in 0..2 {
            let d = 3.0 * zs[r * 2 + j] * zs[r * 2 + j];
            db[j] += d;
            for i in 0..3 {
                dw[i * 2 + j] += xs[r * 3 + i] * d;
            }
        }
    }
    common::assert_close_slices(
        &g.get(&w).unwrap().to_vec()?,
        &dw,
        1e-5,
        1e-4,
        "dW of (xW+b)^3",
    );
    common::assert_close_slices(
        &g.get(&b).unwrap().to_vec()?,
        &db,
        1e-5,
        1e-4,
        "db of (xW+b)^3",
    );
    Ok(())
}
test_device!(gradient_tape_cells, chapter_cells);

fn r(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    Tensor::rand_uniform(shape, lo, hi, seed, &Device::cpu()).unwrap()
}

#[test]
fn elementwise_rules_match_finite_differences() {
    let (a, b) = (r(&[3, 4], -2.0, 2.0, 1), r(&[4], 0.5, 2.0, 2));
    common::check_grad("add", &[a.clone(), b.clone()], |t| t[0].add(&t[1]));
    common::check_grad("sub", &[b.clone(), a.clone()], |t| t[0].sub(&t[1]));
    common::check_grad("mul", &[a.clone(), b.clone()], |t| t[0].mul(&t[1]));
    common::check_grad("div", &[a.clone(), b.clone()], |t| t[0].div(&t[1]));
    common::check_grad("maximum", &[a.clone(), r(&[3, 1], -2.0, 2.0, 3)], |t| {
        t[0].maximum(&t[1])
    });
    common::check_grad("minimum", &[a.clone(), r(&[3, 1], -2.0, 2.0, 3)], |t| {
        t[0].minimum(&t[1])
    });
    common::check_grad("relu", std::slice::from_ref(&a), |t| t[0].relu());
    common::check_grad("add_scalar", std::slice::from_ref(&a), |t| {
        t[0].add_scalar(3.0)
    });
    common::check_grad("mul_scalar", std::slice::from_ref(&a), |t| {
        t[0].mul_scalar(-1.5)
    });
    common::check_grad("powf", std::slice::from_ref(&b), |t| t[0].powf(2.5));
    common::check_grad("powf int", std::slice::from_ref(&a), |t| t[0].powf(3.0));
    common::check_grad("exp", std::slice::from_ref(&a), |t| t[0].exp());
    common::check_grad("ln", std::slice::from_ref(&b), |t| t[0].ln());
    common::check_grad("sigmoid", std::slice::from_ref(&a), |t| t[0].sigmoid());
    common::check_grad("tanh", std::slice::from_ref(&a), |t| t[0].tanh());
    common::check_grad("scalar broadcast", &[a.clone(), r(&[], 0.5, 1.0, 4)], |t| {
        t[0].mul(&t[1])
    });
}

#[test]
fn shape_and_product_rules_match_finite_differences() {
    let a = r(&[2, 3, 4], -1.0, 1.0, 5);
    common::check_grad(
        "matmul batched",
        &[a.clone(), r(&[4, 5], -1.0, 1.0, 6)],
        |t| t[0].matmul(&t[1]),
    );
    common::check_grad(
        "matmul broadcast batch",
        &[r(&[2, 1, 3, 4], -1.0, 1.0, 7), r(&[3, 4, 2], -1.0, 1.0, 8)],
        |t| t[0].matmul(&t[1]),
    );
    common::check_grad(
        "dot vec",
        &[r(&[5], -1.0, 1.0, 9), r(&[5], -1.0, 1.0, 10)],
        |t| t[0].dot(&t[1]),
    );
    common::check_grad("dot N-D", &[a.clone(), r(&[4, 2], -1.0, 1.0, 11)], |t| {
        t[0].dot(&t[1])
    });
    let (x, w, b) = (
        r(&[5, 4], -1.0, 1.0, 20),
        r(&[4, 3], -1.0, 1.0, 21),
        r(&[3], -0.5, 0.5, 22),
    );
    common::check_grad("linear", &[x.clone(), w.clone(), b.clone()], |t| {
        t[0].linear(&t[1], &t[2])
    });
    common::check_grad("linear_relu", &[x, w, b], |t| {
        t[0].linear_relu(&t[1], &t[2])
    });
    common::check_grad("reshape", std::slice::from_ref(&a), |t| {
        t[0].reshape(&[6, 4])?.exp()
    });
    common::check_grad("transpose", std::slice::from_ref(&a), |t| {
        t[0].t()?.mul(&Tensor::rand_uniform(
            &[4, 3, 2],
            0.0,
            1.0,
            3,
            &Device::cpu(),
        )?)
    });
    common::check_grad("permute", std::slice::from_ref(&a), |t| {
        t[0].permute(&[1, 2, 0])?.powf(2.0)
    });
    common::check_grad("slice", std::slice::from_ref(&a), |t| {
        t[0].slice(s![.., 1.., ..;2])?.exp()
    });
    common::check_grad("slice reversed", std::slice::from_ref(&a), |t| {
        t[0].slice(s![1, ..;-1, 1..-1])?.powf(2.0)
    });
    common::check_grad("sum", std::slice::from_ref(&a), |t| t[0].powf(2.0)?.sum());
    common::check_grad("sum_axis", std::slice::from_ref(&a), |t| {
        t[0].sum_axis(1)?.powf(2.0)
    });
    common::check_grad("mean_axis", std::slice::from_ref(&a), |t| {
        t[0].mean_axis(2)?.powf(2.0)
    });
    common::check_grad("softmax", std::slice::from_ref(&a), |t| t[0].softmax());
    common::check_grad("contiguous", std::slice::from_ref(&a), |t| {
        t[0].t()?.contiguous()?.exp()
    });
}

#[test]
fn fused_loss_matches_finite_differences() {
    let labels = Tensor::from_vec_u32(vec![2, 0, 4, 1], &[4], &Device::cpu()).unwrap();
    common::check_grad("cross entropy", &[r(&[4, 5], -3.0, 3.0, 12)], |t| {
        sparse_softmax_cross_entropy(&t[0], &labels)
    });
}

/// One graph with every rule, differentiated on both devices.
#[test]
fn gradients_agree_between_devices() -> Result<()> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    let run = |dev: &Device| -> Result<Vec<Vec<f32>>> {
        let x = Tensor::rand_uniform(&[6, 8], -1.0, 1.0, 1, dev)?;
        let w1 = Var::new(Tensor::rand_uniform(&[8, 16], -0.5, 0.5, 2, dev)?);
        let b1 = Var::new(Tensor::rand_uniform(&[16], -0.1, 0.1, 3, dev)?);
        let w2 = Var::new(Tensor::rand_uniform(&[16, 5], -0.5, 0.5, 4, dev)?);
        let h = x.linear_relu(w1.as_tensor(), b1.as_tensor())?;
        let h = h.add(&x.matmul(w1.as_tensor())?.add(b1.as_tensor())?.relu()?)?;
        let h = h
            .maximum(&h.mul_scalar(0.1)?)?
            .exp()?
            .add_scalar(1.0)?
            .ln()?
            .powf(1.5)?;
        let h = h.add(&h.tanh()?.mul(&h.sigmoid()?)?)?;
        let z = h
            .slice(s![1.., ..])?
            .t()?
            .permute(&[1, 0])?
            .matmul(w2.as_tensor())?;
        let p = z.softmax()?.div(&z.exp()?.sum_axis(1)?.reshape(&[5, 1])?)?;
        let labels = Tensor::from_vec_u32(vec![0, 1, 2, 3, 4], &[5], dev)?;
        let loss = sparse_softmax_cross_entropy(&z, &labels)?.add(&p.mean_axis(0)?.sum()?)?;
        let g = loss.backward()?;
        [&w1, &b1, &w2]
            .iter()
            .map(|v| g.get(v).unwrap().to_vec())
            .collect()
    };
    let (cpu, on_gpu) = (run(&Device::cpu())?, run(&gpu)?);
    for (i, (c, g)) in cpu.iter().zip(&on_gpu).enumerate() {
        common::assert_close_slices(g, c, 1e-5, 1e-3, &format!("gradient {i}"));
    }
    Ok(())
}

fn fused_vs_composed(dev: &Device) -> Result<()> {
    let labels = Tensor::from_vec_u32(vec![3, 0, 9, 5], &[4], dev)?;
    let onehot = {
        let mut v = vec![0f32; 40];
        for (r, l) in [3usize, 0, 9, 5].iter().enumerate() {
            v[r * 10 + l] = 1.0;
        }
        t(&v, &[4, 10], dev)?
    };
    let logits = Var::new(Tensor::rand_uniform(&[4, 10], -4.0, 4.0, 5, dev)?);
    let fused = sparse_softmax_cross_entropy(logits.as_tensor(), &labels)?;
    let composed = logits
        .as_tensor()
        .softmax()?
        .ln()?
        .mul(&onehot)?
        .sum()?
        .mul_scalar(-0.25)?;
    common::assert_close(&fused, &composed.detach(), "forward")?;
    let (gf, gc) = (fused.backward()?, composed.backward()?);
    common::assert_close(
        gf.get(&logits).unwrap(),
        gc.get(&logits).unwrap(),
        "backward",
    )?;
    // Extreme logits: the composed form overflows; the fused one stays exact. Row 0 puts 1e4
    // on the wrong class (loss 2e4), row 1 on the right one (loss 0).
    let mut v = vec![0f32; 20];
    v[0] = 1e4;
    v[1] = -1e4;
    v[10] = -1e4;
    v[11] = 1e4;
    let x = Var::new(t(&v, &[2, 10], dev)?);
    let l = Tensor::from_vec_u32(vec![1, 1], &[2], dev)?;
    let loss = sparse_softmax_cross_entropy(x.as_tensor(), &l)?;
    common::assert_close_slices(&loss.to_vec()?, &[1e4], 0.0, 1e-6, "extreme loss");
    let g = loss.backward()?.get(&x).unwrap().to_vec()?;
    assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
    common::assert_close_slices(&g[..2], &[0.5, -0.5], 1e-6, 1e-6, "extreme gradient");
    assert!(matches!(
        sparse_softmax_cross_entropy(
            x.as_tensor(),
            &Tensor::from_vec_u32(vec![1, 10], &[2], dev)?
        ),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(sparse_softmax_cross_entropy(
        x.as_tensor(),
        &Tensor::from_vec_u32(vec![1], &[1], dev)?
    )
    .is_err());
    Ok(())
}
test_device!(fused_loss_matches_composed_form, fused_vs_composed);

fn optimizer_steps(dev: &Device) -> Result<()> {
    // loss = sum(w * c): the gradient is c, whatever w is.
    let c = t(&[0.5, -1.0], &[2], dev)?;
    let grads_of = |w: &Var| w.as_tensor().mul(&c)?.sum()?.backward();
    // RMSprop, Keras defaults, two steps, against the formula evaluated in f64.
    let w = Var::new(t(&[1.0, -2.0], &[2], dev)?);
    let mut opt = RmsProp::default();
    let (mut wv, mut v) = ([1.0f64, -2.0], [0.0f64; 2]);
    for _ in 0..2 {
        opt.step(&[&w], &grads_of(&w)?)?;
        for (i, g) in [0.5f64, -1.0].into_iter().enumerate() {
            v[i] = 0.9 * v[i] + 0.1 * g * g;
            wv[i] -= 1e-3 * g / (v[i].sqrt() + 1e-7);
        }
        let want: Vec<f32> = wv.iter().map(|&x| x as f32).collect();
        common::assert_close_slices(&w.as_tensor().to_vec()?, &want, 1e-7, 1e-6, "rmsprop");
    }
    // The first step by hand: v = 0.1 g^2, so |step| = lr / sqrt(0.1) for either sign of g.
    assert!((1.0 - 1e-3 / 0.1f64.sqrt() - 0.996_837_722_3).abs() < 1e-9);
    // SGD with momentum 0.9, lr 0.1. g = 0.5: v1 = -0.05, w1 = 0.95; v2 = -0.095, w2 = 0.855.
    // g = -1: v1 = 0.1, w1 = 1.1; v2 = 0.19, w2 = 1.29.
    let w = Var::new(t(&[1.0, 1.0], &[2], dev)?);
    let mut sgd = Sgd::with_momentum(0.1, 0.9);
    sgd.step(&[&w], &grads_of(&w)?)?;
    common::assert_close_slices(
        &w.as_tensor().to_vec()?,
        &[0.95, 1.1],
        1e-6,
        0.0,
        "sgd step 1",
    );
    sgd.step(&[&w], &grads_of(&w)?)?;
    common::assert_close_slices(
        &w.as_tensor().to_vec()?,
        &[0.855, 1.29],
        1e-6,
        0.0,
        "sgd step 2",
    );
    // Plain SGD is w -= lr g.
    let w = Var::new(t(&[1.0, 1.0], &[2], dev)?);
    Sgd::new(0.5).step(&[&w], &grads_of(&w)?)?;
    assert_eq!(w.as_tensor().to_vec()?, vec![0.75, 1.5]);
    // Adam, Keras defaults, three steps, against Kingma and Ba's algorithm in f64 (bias-
    // corrected moments; with Keras' epsilon outside the correction, as here, the two agree
    // to within epsilon's scale).
    let w = Var::new(t(&[1.0, -2.0], &[2], dev)?);
    let mut adam = Adam::default();
    let (mut wv, mut m, mut v) = ([1.0f64, -2.0], [0.0f64; 2], [0.0f64; 2]);
    for step in 1..=3 {
        adam.step(&[&w], &grads_of(&w)?)?;
        for (i, g) in [0.5f64, -1.0].into_iter().enumerate() {
            m[i] = 0.9 * m[i] + 0.1 * g;
            v[i] = 0.999 * v[i] + 0.001 * g * g;
            let (mh, vh) = (
                m[i] / (1.0 - 0.9f64.powi(step)),
                v[i] / (1.0 - 0.999f64.powi(step)),
            );
            wv[i] -= 1e-3 * mh / (vh.sqrt() + 1e-7);
        }
        let want: Vec<f32> = wv.iter().map(|&x| x as f32).collect();
        common::assert_close_slices(&w.as_tensor().to_vec()?, &want, 1e-6, 1e-6, "adam");
    }
    // A constant gradient moves each weight by lr per step, whatever its scale.
    common::assert_close_slices(
        &w.as_tensor().to_vec()?,
        &[0.997, -1.997],
        1e-6,
        0.0,
        "adam",
    );
    adam.beta_1 = 1.0;
    assert!(adam.step(&[&w], &grads_of(&w)?).is_err());
    Ok(())
}
test_device!(optimizer_steps_match_hand_computed_values, optimizer_steps);

fn vars_and_tracking(dev: &Device) -> Result<()> {
    let a = Tensor::ones(&[2, 2], dev)?;
    assert!(!a.add(&a)?.is_tracked(), "plain tensors record nothing");
    let w = Var::new(Tensor::zeros(&[2, 2], dev)?);
    let alias = w.as_tensor().clone();
    w.set(&Tensor::full(&[2, 2], 3.0, dev)?)?;
    assert_eq!(alias.to_vec()?, vec![3.0; 4], "set writes in place");
    assert!(matches!(
        w.set(&Tensor::ones(&[4], dev)?),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(w
        .set(&Tensor::from_vec_u32(vec![1; 4], &[2, 2], dev)?)
        .is_err());
    assert!(a.backward().is_err(), "nothing to differentiate");
    // The contract's update: w -= lr * g.
    let x = t(&[1., 4., 3.], &[1, 3], dev)?;
    let w = Var::new(Tensor::ones(&[3, 2], dev)?);
    let y = x.matmul(w.as_tensor())?;
    let g = y.backward()?;
    let gw = g.get(&w).unwrap();
    w.set(&w.as_tensor().sub(&gw.mul_scalar(0.5)?)?)?;
    assert_eq!(
        w.as_tensor().to_vec()?,
        vec![0.5, 0.5, -1.0, -1.0, -0.5, -0.5]
    );
    // A Var used twice gets the sum of both paths.
    let v = Var::new(Tensor::scalar(3.0, dev)?);
    let y = v.as_tensor().mul(v.as_tensor())?.add(v.as_tensor())?;
    assert_eq!(y.backward()?.get(&v).unwrap().to_vec()?, vec![7.0]);
    // Max and argmax pass no gradient.
    assert!(!w.as_tensor().max_axis(0)?.is_tracked());
    Ok(())
}
test_device!(
    vars_update_in_place_and_plain_ops_record_nothing,
    vars_and_tracking
);

/// A tiny classifier learns: the loss falls by half in 30 steps on each device.
fn training(dev: &Device) -> Result<()> {
    let model = Sequential::new(vec![
        Dense::new(4, 16, Activation::Relu, 1, dev)?,
        Dense::new(16, 3, Activation::None, 2, dev)?,
    ]);
    let x = Tensor::rand_uniform(&[32, 4], -1.0, 1.0, 3, dev)?;
    let xv = x.to_vec()?;
    let labels: Vec<u32> = xv
        .chunks(4)
        .map(|r| {
            if r[0] > 0.3 {
                0
            } else if r[1] > 0.0 {
                1
            } else {
                2
            }
        })
        .collect();
    let labels = Tensor::from_vec_u32(labels, &[32], dev)?;
    let mut opt = RmsProp::new(1e-2);
    let mut losses = Vec::new();
    for _ in 0..30 {
        let loss = sparse_softmax_cross_entropy(&model.forward(&x)?, &labels)?;
        losses.push(loss.to_scalar()?);
        opt.step(&model.weights(), &loss.backward()?)?;
    }
    assert!(losses[29] < 0.5 * losses[0], "{losses:?}");
    let naive = Dense::naive(3, 2, Activation::Softmax, 4, dev)?;
    let w = naive.weights()[0].as_tensor().to_vec()?;
    assert!(w.iter().all(|v| (0.0..0.1).contains(v)));
    assert_eq!(
        naive
            .forward(&Tensor::ones(&[5, 3], dev)?)?
            .sum_axis(1)?
            .shape(),
        &[5]
    );
    Ok(())
}
test_device!(a_small_model_learns, training);

/// Dense runs on (rows, inputs); other ranks fold their leading axes into rows, as matmul
/// would, and give what the composed `relu(x · W + b)` gives.
fn dense_ranks(dev: &Device) -> Result<()> {
    let w = Tensor::rand_uniform(&[6, 4], -1.0, 1.0, 7, dev)?;
    let b = Tensor::rand_uniform(&[4], -0.5, 0.5, 8, dev)?;
    let layer = Dense::from_tensors(w.clone(), b.clone(), Activation::Relu)?;
    for shape in [&[5, 6][..], &[2, 3, 6], &[6]] {
        let x = Tensor::rand_uniform(shape, -1.0, 1.0, 9, dev)?;
        let want = x.matmul(&w)?.add(&b)?.relu()?;
        common::assert_close(&layer.forward(&x)?, &want, &format!("{shape:?}"))?;
    }
    assert!(layer.forward(&Tensor::scalar(1.0, dev)?).is_err());
    assert!(layer.forward(&Tensor::ones(&[2, 5], dev)?).is_err());
    Ok(())
}
test_device!(dense_takes_any_rank, dense_ranks);
