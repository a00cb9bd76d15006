//! Every public op fed what a careless or hostile caller would: random shapes (empty ones
//! included), views (transposed, reversed, broadcast, out-of-range slices), NaN and infinities,
//! wrong dtypes, operands on different devices. On each device the answer is an error or the
//! CPU's answer, and nothing panics. Thousands of cases per run.
mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use ndarray::SliceInfoElem;
use proptest::prelude::*;
use tensorgears::{loss, DType, Device, Error, Result, Tensor};

/// Values from a pool that reaches the ops' edges.
const POOL: [f32; 12] = [
    0.0,
    -0.0,
    1.0,
    -1.5,
    2.5,
    -7.0,
    9.0,
    0.125,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    3.0,
];

/// How an input reaches the op: as built, or as a view of a larger tensor.
#[derive(Debug, Clone, Copy)]
enum View {
    Plain,
    /// Axes reversed (a transpose of a matrix).
    Reversed,
    /// The first axis walked backwards.
    Backwards,
    /// A u32 tensor (labels, indices): f32 ops must refuse it.
    U32,
}

#[derive(Debug, Clone)]
struct Input {
    shape: Vec<usize>,
    picks: Vec<usize>,
    view: View,
}

fn input() -> impl Strategy<Value = Input> {
    (
        prop::collection::vec(prop_oneof![1 => Just(0usize), 8 => 1usize..5], 0..=4),
        prop::collection::vec(0..POOL.len(), 64),
        prop_oneof![
            4 => Just(View::Plain),
            2 => Just(View::Reversed),
            2 => Just(View::Backwards),
            1 => Just(View::U32),
        ],
    )
        .prop_map(|(shape, picks, view)| Input { shape, picks, view })
}

impl Input {
    /// The tensor on `dev`: its values drawn from the pool, then viewed.
    fn on(&self, dev: &Device) -> Result<Tensor> {
        let n: usize = self.shape.iter().product();
        if let View::U32 = self.view {
            let v = (0..n as u32).map(|i| i % 5).collect();
            return Tensor::from_vec_u32(v, &self.shape, dev);
        }
        let v = (0..n)
            .map(|i| POOL[self.picks[i % self.picks.len()]])
            .collect();
        let t = Tensor::from_vec(v, &self.shape, dev)?;
        match self.view {
            View::Reversed => {
                let axes: Vec<usize> = (0..t.ndim()).rev().collect();
                t.permute(&axes)
            }
            View::Backwards if t.ndim() > 0 => {
                let mut s = vec![SliceInfoElem::Slice {
                    start: 0,
                    end: None,
                    step: -1,
                }];
                s.extend((1..t.ndim()).map(|_| SliceInfoElem::Slice {
                    start: 0,
                    end: None,
                    step: 1,
                }));
                t.slice(s)
            }
            _ => Ok(t),
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Unary(u8, f32),
    Binary(u8, Input),
    Reduce(u8, usize),
    Softmax,
    Reshape(Vec<usize>),
    Permute(Vec<usize>),
    Slice(Vec<(isize, Option<isize>, isize)>),
    Matmul(Input),
    Dot(Input),
    Linear(Input, Input, bool),
    Loss(Vec<u32>),
    Contiguous,
    /// The other operand on the other device.
    CrossDevice(Input),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..8u8, prop_oneof![Just(2.0f32), Just(3.0), Just(0.5), Just(-1.0), Just(0.0)])
            .prop_map(|(k, s)| Op::Unary(k, s)),
        3 => (0..6u8, input()).prop_map(|(k, i)| Op::Binary(k, i)),
        2 => (0..5u8, 0..5usize).prop_map(|(k, a)| Op::Reduce(k, a)),
        1 => Just(Op::Softmax),
        1 => prop::collection::vec(0..7usize, 0..4).prop_map(Op::Reshape),
        1 => prop::collection::vec(0..5usize, 0..5).prop_map(Op::Permute),
        1 => prop::collection::vec(
            (-6..6isize, prop::option::of(-6..6isize), prop_oneof![Just(1isize), Just(-1), Just(2), Just(0)]),
            0..4,
        )
        .prop_map(Op::Slice),
        2 => input().prop_map(Op::Matmul),
        1 => input().prop_map(Op::Dot),
        1 => (input(), input(), any::<bool>()).prop_map(|(w, b, r)| Op::Linear(w, b, r)),
        1 => prop::collection::vec(0..12u32, 0..6).prop_map(Op::Loss),
        1 => Just(Op::Contiguous),
        1 => input().prop_map(Op::CrossDevice),
    ]
}

/// `op` applied to `x` (and its other operands) built on `dev`; `other` is where a
/// cross-device operand lives.
fn apply(op: &Op, x: &Input, dev: &Device, other: &Device) -> Result<Tensor> {
    let t = x.on(dev)?;
    match op {
        Op::Unary(k, s) => match k {
            0 => t.relu(),
            1 => t.add_scalar(*s),
            2 => t.mul_scalar(*s),
            3 => t.powf(*s),
            4 => t.exp(),
            5 => t.ln(),
            6 => t.sigmoid(),
            _ => t.tanh(),
        },
        Op::Binary(k, y) => {
            let y = y.on(dev)?;
            match k {
                0 => t.add(&y),
                1 => t.sub(&y),
                2 => t.mul(&y),
                3 => t.div(&y),
                4 => t.maximum(&y),
                _ => t.minimum(&y),
            }
        }
        Op::Reduce(k, axis) => match k {
            0 => t.sum(),
            1 => t.sum_axis(*axis),
            2 => t.mean_axis(*axis),
            3 => t.max_axis(*axis),
            _ => t.argmax_axis(*axis),
        },
        Op::Softmax => t.softmax(),
        Op::Reshape(shape) => t.reshape(shape),
        Op::Permute(axes) => t.permute(axes),
        Op::Slice(parts) => {
            let s: Vec<SliceInfoElem> = parts
                .iter()
                .map(|&(start, end, step)| SliceInfoElem::Slice { start, end, step })
                .collect();
            t.slice(s)
        }
        Op::Matmul(y) => t.matmul(&y.on(dev)?),
        Op::Dot(y) => t.dot(&y.on(dev)?),
        Op::Linear(w, b, relu) => {
            let (w, b) = (w.on(dev)?, b.on(dev)?);
            if *relu {
                t.linear_relu(&w, &b)
            } else {
                t.linear(&w, &b)
            }
        }
        Op::Loss(labels) => {
            let l = Tensor::from_vec_u32(labels.clone(), &[labels.len()], dev)?;
            loss::sparse_softmax_cross_entropy(&t, &l)?.add(&loss::count_correct(&t, &l)?)
        }
        Op::Contiguous => t.contiguous(),
        Op::CrossDevice(y) => t.add(&y.on(other)?),
    }
}

/// The op on `dev`, with a panic turned into a test failure that names the case.
fn run(op: &Op, x: &Input, dev: &Device, other: &Device) -> Result<(Vec<usize>, DType, Vec<f32>)> {
    let out = catch_unwind(AssertUnwindSafe(|| {
        let t = apply(op, x, dev, other)?;
        let values = match t.dtype() {
            DType::F32 => t.to_vec()?,
            DType::U32 => t.to_vec_u32()?.into_iter().map(|v| v as f32).collect(),
        };
        Ok((t.shape().to_vec(), t.dtype(), values))
    }));
    match out {
        Ok(r) => r,
        Err(_) => panic!("{op:?} on {x:?} panicked on {dev}"),
    }
}

/// The GPU's answer is the CPU's, or both are errors; the GPU alone may refuse what passes its
/// limits.
fn check(op: &Op, x: &Input, gpu: &Device) {
    let cpu = Device::cpu();
    let want = run(op, x, &cpu, gpu);
    let got = run(op, x, gpu, &cpu);
    match (&want, &got) {
        (Ok((ws, wd, wv)), Ok((gs, gd, gv))) => {
            assert_eq!((ws, wd), (gs, gd), "{op:?} on {x:?}");
            common::assert_close_slices(
                gv,
                wv,
                common::ATOL,
                common::RTOL,
                &format!("{op:?} on {x:?}"),
            );
        }
        (Err(_), Err(_)) => {}
        (Ok(_), Err(Error::LimitExceeded { .. } | Error::OutOfMemory { .. })) => {}
        _ => panic!("{op:?} on {x:?}: CPU {want:?}, GPU {got:?}"),
    }
    if let Op::CrossDevice(_) = op {
        assert!(
            matches!(want, Err(Error::DeviceMismatch { .. }))
                || matches!(want, Err(Error::DTypeMismatch { .. }))
                || matches!(want, Err(Error::ShapeMismatch { .. })),
            "{want:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn ops_answer_or_refuse_and_never_panic(x in input(), op in op()) {
        match common::gpu() {
            Some(gpu) => check(&op, &x, &gpu),
            // Without a GPU (allowed by TENSORGEARS_ALLOW_NO_GPU), the CPU still must not panic.
            None => {
                let _ = run(&op, &x, &Device::cpu(), &Device::cpu());
            }
        }
    }
}
