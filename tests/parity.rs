//! CPU-vs-GPU parity of every element-wise op over random shapes, broadcasting pairs and
//! strided views.
mod common;

use proptest::prelude::*;
use tensorgears::{Device, Tensor};

/// A shape of rank 0..=6 with small axes, including 1s and sizes that divide no workgroup.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(
        prop_oneof![Just(1usize), 1usize..6, Just(7), Just(13)],
        0..=6,
    )
}

/// A shape and a second shape broadcastable with it: a suffix with some axes set to 1.
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, bool)> {
    shape()
        .prop_flat_map(|s| {
            let n = s.len();
            (
                Just(s),
                0..=n,
                prop::collection::vec(any::<bool>(), n),
                any::<bool>(),
            )
        })
        .prop_map(|(s, keep, ones, swap)| {
            let r: Vec<usize> = s[s.len() - keep..]
                .iter()
                .zip(&ones)
                .map(|(&d, &one)| if one { 1 } else { d })
                .collect();
            (s, r, swap)
        })
}

fn data(shape: &[usize], seed: u64, positive: bool) -> Tensor {
    let (lo, hi) = if positive { (0.1, 3.0) } else { (-3.0, 3.0) };
    Tensor::rand_uniform(shape, lo, hi, seed, &Device::cpu()).expect("cpu tensor")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn binary_ops_match((l, r, swap) in broadcast_pair(), seed in any::<u64>()) {
        let (l, r) = if swap { (r, l) } else { (l, r) };
        let a = data(&l, seed, false);
        let b = data(&r, seed ^ 1, true); // positive: div stays finite
        common::parity(&[&a, &b], "add", |t| t[0].add(&t[1])).unwrap();
        common::parity(&[&a, &b], "sub", |t| t[0].sub(&t[1])).unwrap();
        common::parity(&[&a, &b], "mul", |t| t[0].mul(&t[1])).unwrap();
        common::parity(&[&a, &b], "div", |t| t[0].div(&t[1])).unwrap();
        common::parity(&[&a, &b], "maximum", |t| t[0].maximum(&t[1])).unwrap();
        common::parity(&[&a, &b], "minimum", |t| t[0].minimum(&t[1])).unwrap();
    }

    #[test]
    fn unary_ops_match(s in shape(), seed in any::<u64>(), p in prop_oneof![Just(2.0f32), Just(3.0), -1.5f32..2.5]) {
        let x = data(&s, seed, false);
        let pos = data(&s, seed, true);
        common::parity(&[&x], "relu", |t| t[0].relu()).unwrap();
        common::parity(&[&x], "add_scalar", |t| t[0].add_scalar(p)).unwrap();
        common::parity(&[&x], "mul_scalar", |t| t[0].mul_scalar(p)).unwrap();
        common::parity(&[&x], "exp", |t| t[0].exp()).unwrap();
        common::parity(&[&x], "sigmoid", |t| t[0].sigmoid()).unwrap();
        common::parity(&[&x], "tanh", |t| t[0].tanh()).unwrap();
        common::parity(&[&pos], "ln", |t| t[0].ln()).unwrap();
        common::parity(&[&pos], "powf", |t| t[0].powf(p)).unwrap();
        common::parity(&[&x], "powf int", |t| t[0].powf(3.0)).unwrap();
    }
}

/// Same-shape contiguous operands take a kernel that works four elements at a time where both
/// start on whole vec4s and the length is a multiple of 4, and the one-element kernel
/// elsewhere: views at offsets 4 and 8 (rows of 4 and 8), at offsets 2 and 6 (rows of 2 and
/// 6), and lengths 4, 6 and 12. ReLU's gradient, which training runs this way, included.
#[test]
fn binary_ops_at_vec4_edges() {
    use tensorgears::s;
    let a = data(&[3, 12], 7, false);
    let b = data(&[3, 12], 8, true);
    type View = fn(&Tensor) -> tensorgears::Result<Tensor>;
    let cases: [(&str, View); 6] = [
        ("whole", |t| Ok(t.clone())),
        ("rows 1..3", |t| t.slice(s![1..3, ..])),
        ("offset 4", |t| t.reshape(&[9, 4])?.slice(s![1..4, ..])),
        ("offset 2", |t| t.reshape(&[18, 2])?.slice(s![1..7, ..])),
        ("offset 6, six", |t| t.reshape(&[6, 6])?.slice(s![1..2, ..])),
        ("four", |t| t.reshape(&[9, 4])?.slice(s![8..9, ..])),
    ];
    for (what, view) in cases {
        let on = |t: &[Tensor]| -> tensorgears::Result<(Tensor, Tensor)> {
            Ok((view(&t[0])?, view(&t[1])?))
        };
        common::parity(&[&a, &b], what, |t| {
            let (x, y) = on(t)?;
            x.add(&y)?.mul(&y)?.div(&y)?.sub(&x)?.maximum(&x)
        })
        .unwrap();
        // d relu(x) / dx at x, through autograd: the incoming gradient where x > 0.
        common::parity(&[&a, &b], &format!("{what} relu'"), |t| {
            let (x, y) = on(t)?;
            let w = tensorgears::Var::new(x);
            let grads = w.as_tensor().relu()?.mul(&y)?.sum()?.backward()?;
            Ok(grads.get(&w).expect("a gradient for w").clone())
        })
        .unwrap();
    }
}
