//! Every element-wise op on the GPU against the CPU reference: each `UnaryOp` and `BinaryOp`,
//! over values that reach the ops' edges (negatives, zero, large magnitudes), on the one-element
//! and the four-element kernels. And an op code the kernel has no case for gives NaN, never its
//! input.

use super::*;
use crate::cpu;
use crate::gpu::runtime::Kernel;
use crate::gpu::storage::test_context;

/// Both NaN, the same infinity, or within a few ulp of WGSL's exp, log and pow.
fn same(got: f32, want: f32) -> bool {
    crate::parity::within(
        got,
        want,
        crate::parity::ABS_TOLERANCE,
        crate::parity::REL_TOLERANCE,
    )
}

fn upload(ctx: &Arc<GpuContext>, v: &[f32]) -> GpuStorage {
    GpuStorage::upload(ctx, "test", bytemuck::cast_slice(v)).expect("upload")
}

fn read(x: &GpuStorage, n: usize) -> Vec<f32> {
    bytemuck::pod_collect_to_vec(&x.read_bytes(n).expect("read"))
}

const EDGES: [f32; 12] = [
    -3.5, -1.0, -0.25, 0.0, 0.25, 1.0, 2.0, 3.5, -80.0, 80.0, 1e-3, 7.0,
];

#[test]
fn every_unary_op_matches_the_cpu() {
    let Some(ctx) = test_context() else {
        return;
    };
    // A (3, 4) matrix read through its transpose, so the strided walk is used too.
    let x = upload(&ctx, &EDGES);
    for layout in [
        Layout::contiguous(&[12]),
        Layout::new(vec![4, 3], vec![1, 4], 0),
    ] {
        for op in UnaryOp::ALL {
            let got = read(&unary(op, &x, &layout).expect("unary"), 12);
            let want = cpu::unary(op, &EDGES, &layout).expect("cpu");
            for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    same(g, w),
                    "{op:?} at {i} ({:?}): GPU {g}, CPU {w}",
                    layout.strides()
                );
            }
        }
    }
}

#[test]
fn every_binary_op_matches_the_cpu() {
    let Some(ctx) = test_context() else {
        return;
    };
    let y: Vec<f32> = EDGES.iter().rev().map(|v| v * 0.5 + 0.75).collect();
    let (gx, gy) = (upload(&ctx, &EDGES), upload(&ctx, &y));
    // Contiguous (the four-element kernel), and a transposed lhs against a broadcast row.
    let cases = [
        (Layout::contiguous(&[12]), Layout::contiguous(&[12])),
        (
            Layout::new(vec![4, 3], vec![1, 4], 0),
            Layout::new(vec![4, 3], vec![0, 1], 2),
        ),
    ];
    for (lx, ly) in cases {
        for op in BinaryOp::ALL {
            let got = read(&binary(op, &gx, &lx, &gy, &ly).expect("binary"), 12);
            let want = cpu::binary(op, &EDGES, &lx, &y, &ly).expect("cpu");
            for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    same(g, w),
                    "{op:?} at {i} ({:?}): GPU {g}, CPU {w}",
                    lx.strides()
                );
            }
        }
    }
}

/// Code 0 and a code past the last op have no case: the result is NaN, so an op whose case is
/// missing from the WGSL cannot pass for the identity.
#[test]
fn an_op_without_a_case_gives_nan() {
    let Some(ctx) = test_context() else {
        return;
    };
    let x = upload(&ctx, &EDGES);
    let layout = Layout::contiguous(&[12]);
    let params = StridedParams::new("test", &[&layout], 1.0).expect("params");
    for (entry, code) in [
        ("unary", 0),
        ("unary", UnaryOp::ALL.len() as u32 + 1),
        ("binary", 0),
        ("binary", BinaryOp::ALL.len() as u32 + 1),
    ] {
        let out = GpuStorage::new(&ctx, "test", 12).expect("alloc");
        let kernel = Kernel::new(&kernels::ELEMENTWISE_WGSL, entry).with("OP", code);
        let mut resources = vec![(1, x.bind()), (3, out.bind())];
        if entry == "binary" {
            resources.push((2, x.bind()));
        }
        ctx.runtime
            .dispatch_items(kernel, &params, &resources, 12)
            .expect("dispatch");
        assert!(
            read(&out, 12).iter().all(|v| v.is_nan()),
            "{entry} code {code}"
        );
    }
}
