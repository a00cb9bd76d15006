//! The parity cases: every kernel family, with the shapes, views and epilogues that choose
//! between its kernels. Inputs come from seeds on the CPU, so both devices see the same values.

use super::Case;
use crate::data::Dataset;
use crate::loss::{count_correct, sparse_softmax_cross_entropy_unchecked};
use crate::optim::{Adam, Optimizer, RmsProp, Sgd};
use crate::{s, Device, Padding, Result, Tensor, Var};

/// Uniform values in `[lo, hi)` from `seed`, made on the CPU and moved to `dev`.
fn input(shape: &[usize], seed: u64, lo: f32, hi: f32, dev: &Device) -> Result<Tensor> {
    Tensor::rand_uniform(shape, lo, hi, seed, &Device::cpu())?.to_device(dev)
}

fn labels(values: &[u32], dev: &Device) -> Result<Tensor> {
    Tensor::from_vec_u32(values.to_vec(), &[values.len()], dev)
}

macro_rules! case {
    ($family:literal, $name:literal, |$dev:ident| $body:expr) => {
        Case {
            family: $family,
            name: $name,
            run: |$dev: &Device| -> Result<Vec<Tensor>> { $body },
        }
    };
}

/// Every case, grouped by family.
pub fn cases() -> Vec<Case> {
    let mut all = elementwise();
    all.extend(layout_and_reduce());
    all.extend(products());
    all.extend(training());
    all.extend(windows());
    all
}

fn elementwise() -> Vec<Case> {
    vec![
        case!(
            "elementwise",
            "add, sub, mul, div broadcast (3,1,5) with (4,5)",
            |d| {
                let a = input(&[3, 1, 5], 1, -3.0, 3.0, d)?;
                let b = input(&[4, 5], 2, 0.5, 3.0, d)?;
                Ok(vec![a.add(&b)?, a.sub(&b)?, a.mul(&b)?, a.div(&b)?])
            }
        ),
        case!("elementwise", "maximum, minimum with NaN", |d| {
            let a = Tensor::from_vec(vec![1.0, f32::NAN, -2.0, 0.0, 5.0, -1.0, 3.0, 2.0], &[8], d)?;
            let b = input(&[8], 3, -3.0, 3.0, d)?;
            Ok(vec![a.maximum(&b)?, a.minimum(&b)?, a.relu()?])
        }),
        case!(
            "elementwise",
            "vec4 kernel: 4,096 elements, add and relu",
            |d| {
                let a = input(&[64, 64], 4, -3.0, 3.0, d)?;
                let b = input(&[64, 64], 5, -3.0, 3.0, d)?;
                Ok(vec![a.add(&b)?.relu()?])
            }
        ),
        case!("elementwise", "unary ops", |d| {
            let x = input(&[7, 13], 6, -3.0, 3.0, d)?;
            let p = input(&[7, 13], 7, 0.1, 3.0, d)?;
            Ok(vec![
                x.relu()?,
                x.add_scalar(1.5)?,
                x.mul_scalar(-0.25)?,
                x.exp()?,
                x.sigmoid()?,
                x.tanh()?,
                p.ln()?,
                p.powf(1.7)?,
                x.powf(3.0)?,
            ])
        }),
        case!(
            "elementwise",
            "strided operands: a transposed view plus a slice",
            |d| {
                let a = input(&[6, 9], 8, -3.0, 3.0, d)?.t()?;
                let b = input(&[12, 6], 9, -3.0, 3.0, d)?.slice(s![1..10, ..])?;
                Ok(vec![a.mul(&b)?])
            }
        ),
    ]
}

fn layout_and_reduce() -> Vec<Case> {
    vec![
        case!(
            "copy",
            "contiguous copies of permuted and reversed views",
            |d| {
                let x = input(&[3, 4, 5], 10, -3.0, 3.0, d)?;
                Ok(vec![
                    x.permute(&[2, 0, 1])?.contiguous()?,
                    x.slice(s![..;-1, 1..3, ..;2])?.contiguous()?,
                ])
            }
        ),
        case!(
            "reduce",
            "sum, sums and means along axes, max and argmax",
            |d| {
                let x = input(&[37, 70], 11, -3.0, 3.0, d)?;
                Ok(vec![
                    x.sum()?,
                    x.sum_axis(0)?,
                    x.sum_axis(1)?,
                    x.mean_axis(0)?,
                    x.max_axis(1)?,
                    x.argmax_axis(1)?,
                    x.argmax_axis(0)?,
                ])
            }
        ),
        case!("reduce", "a sum of 100,000 elements", |d| {
            Ok(vec![input(&[100_000], 12, -1.0, 1.0, d)?.sum()?])
        }),
        case!(
            "loss",
            "softmax rows, cross-entropy and its gradient, the accuracy count",
            |d| {
                let z = Var::new(input(&[33, 10], 13, -4.0, 4.0, d)?);
                let y = labels(&(0..33).map(|i| (i * 7) % 10).collect::<Vec<u32>>(), d)?;
                let loss = sparse_softmax_cross_entropy_unchecked(z.as_tensor(), &y)?;
                let grads = loss.backward()?;
                let dz = grads.get(&z).cloned().ok_or_else(|| missing("logits"))?;
                Ok(vec![
                    z.as_tensor().softmax()?,
                    loss.detach(),
                    dz,
                    count_correct(z.as_tensor(), &y)?,
                ])
            }
        ),
        case!("gather", "a shuffled batch of a data set", |d| {
            let pixels: Vec<u8> = (0..60u32).map(|i| (i * 37 % 256) as u8).collect();
            let ds = Dataset::new(&pixels, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 6, d)?;
            let (x, y) = ds
                .batches(4, Some(3))?
                .next()
                .ok_or_else(|| missing("batch"))??;
            Ok(vec![x, y])
        }),
    ]
}

fn products() -> Vec<Case> {
    vec![
        case!("matmul", "(33x70)·(70x29) and its transposed forms", |d| {
            let a = input(&[33, 70], 14, -1.0, 1.0, d)?;
            let b = input(&[70, 29], 15, -1.0, 1.0, d)?;
            let at = input(&[70, 33], 16, -1.0, 1.0, d)?;
            let bt = input(&[29, 70], 17, -1.0, 1.0, d)?;
            Ok(vec![
                a.matmul(&b)?,
                at.t()?.matmul(&b)?,
                a.matmul(&bt.t()?)?,
            ])
        }),
        case!(
            "matmul",
            "the chapter's layers: (128x784)·(784x64)+b, relu, and 10 columns",
            |d| {
                let x = input(&[128, 784], 18, 0.0, 1.0, d)?;
                let w = input(&[784, 64], 19, -0.1, 0.1, d)?;
                let b = input(&[64], 20, -0.1, 0.1, d)?;
                let w2 = input(&[64, 10], 21, -0.3, 0.3, d)?;
                let b2 = input(&[10], 22, -0.1, 0.1, d)?;
                let h = x.linear_relu(&w, &b)?;
                Ok(vec![h.clone(), h.linear(&w2, &b2)?, x.matmul(&w)?])
            }
        ),
        case!(
            "matmul",
            "batched (3x5x7)·(3x7x4), a vector dot, (256x256)·(256x256)",
            |d| {
                let a = input(&[3, 5, 7], 23, -1.0, 1.0, d)?;
                let b = input(&[3, 7, 4], 24, -1.0, 1.0, d)?;
                let u = input(&[50], 25, -1.0, 1.0, d)?;
                let v = input(&[50], 26, -1.0, 1.0, d)?;
                let p = input(&[256, 256], 27, -1.0, 1.0, d)?;
                let q = input(&[256, 256], 28, -1.0, 1.0, d)?;
                Ok(vec![a.matmul(&b)?, u.dot(&v)?, p.matmul(&q)?])
            }
        ),
        case!("matmul", "gradients of sum(relu(x·W + b))", |d| {
            let x = input(&[16, 30], 29, -1.0, 1.0, d)?;
            let w = Var::new(input(&[30, 12], 30, -0.5, 0.5, d)?);
            let b = Var::new(input(&[12], 31, -0.5, 0.5, d)?);
            let g = x
                .linear_relu(w.as_tensor(), b.as_tensor())?
                .sum()?
                .backward()?;
            Ok(vec![
                g.get(&w).cloned().ok_or_else(|| missing("dW"))?,
                g.get(&b).cloned().ok_or_else(|| missing("db"))?,
            ])
        }),
    ]
}

/// Two steps of `opt` on a dense layer's weights from a cross-entropy's gradients.
fn two_steps(opt: &mut dyn Optimizer, d: &Device) -> Result<Vec<Tensor>> {
    let x = input(&[8, 6], 32, -1.0, 1.0, d)?;
    let w = Var::new(input(&[6, 4], 33, -0.5, 0.5, d)?);
    let b = Var::new(input(&[4], 34, -0.5, 0.5, d)?);
    let y = labels(&[0, 1, 2, 3, 3, 2, 1, 0], d)?;
    for _ in 0..2 {
        let z = x.linear(w.as_tensor(), b.as_tensor())?;
        let loss = sparse_softmax_cross_entropy_unchecked(&z, &y)?;
        opt.step(&[&w, &b], &loss.backward()?)?;
    }
    Ok(vec![w.as_tensor().clone(), b.as_tensor().clone()])
}

fn training() -> Vec<Case> {
    vec![
        case!("optimizer", "SGD, two steps", |d| two_steps(
            &mut Sgd::new(0.1),
            d
        )),
        case!("optimizer", "SGD with momentum, two steps", |d| {
            two_steps(&mut Sgd::with_momentum(0.1, 0.9), d)
        }),
        case!("optimizer", "RMSprop, two steps", |d| two_steps(
            &mut RmsProp::new(0.01),
            d
        )),
        case!("optimizer", "Adam, two steps", |d| two_steps(
            &mut Adam::new(0.01),
            d
        )),
        case!("random", "dropout masks, bit for bit", |d| {
            Ok(vec![input(&[5, 300], 35, 0.5, 1.5, d)?.dropout(0.4, 77)?])
        }),
    ]
}

fn windows() -> Vec<Case> {
    vec![
        case!(
            "window",
            "conv2d, SAME, strides 2x1, and its gradients",
            |d| {
                let x = Var::new(input(&[2, 9, 8, 3], 36, -1.0, 1.0, d)?);
                let f = Var::new(input(&[3, 2, 3, 5], 37, -0.5, 0.5, d)?);
                let y = x.as_tensor().conv2d(f.as_tensor(), [2, 1], Padding::Same)?;
                let g = y.mul(&y)?.sum()?.backward()?;
                Ok(vec![
                    y,
                    g.get(&x).cloned().ok_or_else(|| missing("dx"))?,
                    g.get(&f).cloned().ok_or_else(|| missing("df"))?,
                ])
            }
        ),
        case!(
            "window",
            "the convnet's first layer: conv2d with bias and relu, VALID",
            |d| {
                let x = input(&[4, 28, 28, 1], 38, 0.0, 1.0, d)?;
                let f = input(&[3, 3, 1, 32], 39, -0.5, 0.5, d)?;
                let b = input(&[32], 40, -0.1, 0.1, d)?;
                Ok(vec![x.conv2d_bias_relu(&f, &b, [1, 1], Padding::Valid)?])
            }
        ),
        case!(
            "window",
            "max_pool2d 2x2 and 3x3/2 SAME, and the gradient",
            |d| {
                let x = Var::new(input(&[2, 7, 6, 4], 41, -1.0, 1.0, d)?);
                let p = x.as_tensor().max_pool2d([2, 2], [2, 2], Padding::Valid)?;
                let q = x.as_tensor().max_pool2d([3, 3], [2, 2], Padding::Same)?;
                let g = p.sum()?.add(&q.mul(&q)?.sum()?)?.backward()?;
                Ok(vec![p, q, g.get(&x).cloned().ok_or_else(|| missing("dx"))?])
            }
        ),
    ]
}

fn missing(what: &str) -> crate::Error {
    crate::Error::InvalidArgument {
        op: "parity",
        msg: format!("the case produced no {what}"),
    }
}
