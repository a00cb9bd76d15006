//! Every kernel the adapter runs on the named edge cases, against a plain f64 triple loop.

use super::launch::{problem, run_views, runnable};
use super::operands::{a_by_rows, copies};
use super::pack::texture_pack;
use super::select::available;
use super::*;
use crate::gpu::storage::test_context;
use crate::ops::Epilogue;

fn values(n: usize, seed: u32) -> Vec<f32> {
    (0..n as u32)
        .map(|i| {
            ((i.wrapping_mul(2654435761).wrapping_add(seed * 97)) % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// The dimensions of one (m x k) · (k x n) product.
fn one(m: usize, k: usize, n: usize) -> MatmulDims {
    MatmulDims { batch: 1, m, n, k }
}

/// The layout of one (rows x cols) matrix, stored row-major or, `transposed`, as the
/// row-major storage of its transpose.
fn matrix(rows: usize, cols: usize, transposed: bool) -> Layout {
    if transposed {
        Layout::new(vec![1, rows, cols], vec![0, 1, rows as isize], 0)
    } else {
        Layout::contiguous(&[1, rows, cols])
    }
}

/// A · B in f64 by a plain triple loop over the matrices' storage, read through the last
/// two strides and the offset of each layout: C row-major.
fn reference(
    a: &[f32],
    la: &Layout,
    b: &[f32],
    lb: &Layout,
    (m, k, n): (usize, usize, usize),
) -> Vec<f64> {
    let element = |x: &[f32], l: &Layout, i: usize, j: usize| {
        let s = &l.strides()[l.strides().len() - 2..];
        x[(l.offset() as isize + i as isize * s[0] + j as isize * s[1]) as usize] as f64
    };
    let mut c = Vec::with_capacity(m * n);
    for i in 0..m {
        for j in 0..n {
            c.push(
                (0..k)
                    .map(|p| element(a, la, i, p) * element(b, lb, p, j))
                    .sum(),
            );
        }
    }
    c
}

/// `a` is (m, k) and `b` is (k, n), each given with its strides, so transposed storage
/// is exercised too.
fn check(m: usize, k: usize, n: usize, a_t: bool, b_t: bool) {
    check_with(m, k, n, a_t, b_t, None);
}

/// `check` with an epilogue whose bias is a reversed, strided view:
/// `bias[j] = long[2n - 2j]`, offset 2n, stride -2.
fn check_with(m: usize, k: usize, n: usize, a_t: bool, b_t: bool, e: Option<Epilogue>) {
    let Some(ctx) = test_context() else {
        return;
    };
    let (a, b) = (values(m * k, 1), values(k * n, 2));
    let long = values(2 * n + 1, 5);
    let lbias = Layout::new(vec![n], vec![-2], 2 * n);
    let gbias = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(&long)).unwrap();
    let la = matrix(m, k, a_t);
    let lb = matrix(k, n, b_t);
    let products = reference(&a, &la, &b, &lb, (m, k, n));
    let ga = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(&a)).unwrap();
    let gb = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(&b)).unwrap();
    let dims = one(m, k, n);
    let mut first: Option<(MatmulKernel, Vec<f32>)> = None;
    // Each kernel that takes this product itself; a variant that would hand it to another
    // would only repeat that one's run under its own name.
    for variant in available(&ctx.profile) {
        let bias = e.map(|e| (e, &gbias, &lbias));
        let p = problem(&ga, &la, &gb, &lb, dims, bias).unwrap();
        if runnable(&ctx.profile, variant, &p) != variant {
            continue;
        }
        let out = run_views(variant, (&ga, &la), (&gb, &lb), dims, bias).unwrap();
        let got: Vec<f32> = bytemuck::pod_collect_to_vec(&out.read_bytes(m * n).unwrap());
        // Every variant sums along K in the same order with fma, so switching variants
        // (as the background choice does) cannot change a result.
        match &first {
            Some((v0, want)) => assert!(
                got == *want,
                "{variant:?} and {v0:?} disagree on {m}x{k}x{n} (a_t={a_t}, b_t={b_t})"
            ),
            None => first = Some((variant, got.clone())),
        }
        for i in 0..m {
            for j in 0..n {
                let dot = products[i * n + j];
                let z = dot + long[2 * n - 2 * j] as f64;
                let want = match e {
                    None => dot,
                    Some(Epilogue::Bias) => z,
                    Some(Epilogue::BiasRelu) => z.max(0.0),
                };
                let g = got[i * n + j] as f64;
                assert!(
                    (g - want).abs() <= 1e-4 * (1.0 + (k as f64).sqrt()) + 1e-5 * want.abs(),
                    "{variant:?} {e:?} {m}x{k}x{n} (a_t={a_t}, b_t={b_t}) at ({i},{j}): got {g}, want {want}"
                );
            }
        }
    }
}

#[test]
fn one_by_one() {
    check(1, 1, 1, false, false);
}

#[test]
fn smaller_than_a_tile() {
    check(3, 5, 2, false, false);
}

#[test]
fn seven_cubed() {
    check(7, 7, 7, false, false);
}

#[test]
fn uneven_tiles() {
    check(130, 257, 65, false, false);
}

#[test]
fn large_k() {
    check(1, 4096, 1, false, false);
}

#[test]
fn mnist_forward_shapes() {
    check(128, 784, 512, false, false);
    check(128, 512, 10, false, false);
}

/// The dispatches `f` records, with other threads' dispatches held back (`exclusive`).
fn dispatches_of(ctx: &GpuContext, f: impl FnOnce()) -> u64 {
    ctx.runtime.exclusive(|| {
        let before = ctx.runtime.counters().dispatches;
        f();
        ctx.runtime.counters().dispatches - before
    })
}

/// Which operands reach the texture kernel by a copy: those whose rows (A's rows or its
/// columns) are contiguous and start on whole texels, with the storage the copy reads
/// inside the buffer. The others go through a pack kernel: one more dispatch.
#[test]
fn texture_operands_copied_or_packed() {
    // A by columns (its transposed storage), A by rows, B packed, A packed (rows of 10).
    check(128, 40, 192, true, false);
    check(128, 40, 192, false, false);
    check(128, 40, 192, false, true);
    check(128, 10, 192, false, false);
    let Some(ctx) = test_context() else {
        return;
    };
    if !available(&ctx.profile).contains(&MatmulKernel::Texture) {
        eprintln!(
            "COPIES NOT CHECKED: no texture kernel on {}",
            ctx.runtime.adapter.info.name
        );
        return;
    }
    let kb = 1 << 20;
    let side = ctx.profile.max_texture_side;
    // A (m x k) by rows only where its columns cannot be copied.
    assert!(!a_by_rows(side, kb, 0, (128, 40), (1, 128)));
    assert!(a_by_rows(side, kb, 0, (128, 40), (40, 1)));
    assert!(!a_by_rows(side, kb, 0, (128, 10), (10, 1)));
    // Exactly what a copy reads, 4 + 4 * 40 + 38 floats rounded up to 204, fits; a float
    // less does not. An offset or a row stride off whole texels, rows that are not
    // contiguous, or a span over twice the matrix, are packed; one row is copied whatever
    // its stride.
    let copies5 = |bytes, offset, strides| copies(side, bytes, offset, (5, 38), strides);
    assert!(copies5(204 * 4, 4, (40, 1)));
    assert!(!copies5(203 * 4, 4, (40, 1)));
    assert!(!copies5(kb, 2, (40, 1)));
    assert!(!copies5(kb, 4, (42, 1)));
    assert!(!copies5(kb, 4, (1, 5)));
    assert!(!copies5(kb, 0, (400, 1)));
    assert!(copies(side, kb, 0, (1, 38), (3, 1)));
    let data = GpuStorage::upload(&ctx, "test", &[0; 4 * 128 * 40]).unwrap();
    let (a_rows, a_cols) = (matrix(128, 40, false), matrix(128, 40, true));
    let (b_rows, b_cols) = (matrix(40, 128, false), matrix(40, 128, true));
    let (a10, b10) = (matrix(128, 10, false), matrix(10, 128, false));
    // One product, plus one pack kernel per operand that is not copied; counted with other
    // threads' dispatches held back.
    for (la, lb, k, want) in [
        (&a_cols, &b_rows, 40, 1),
        (&a_rows, &b_rows, 40, 1),
        (&a_rows, &b_cols, 40, 2),
        (&a10, &b10, 10, 2),
    ] {
        let spent = dispatches_of(&ctx, || {
            let dims = one(128, k, 128);
            run_views(MatmulKernel::Texture, (&data, la), (&data, lb), dims, None).unwrap();
        });
        assert_eq!(spent, want, "{:?} {:?}", la.strides(), lb.strides());
    }
}

/// One (m x k) · (k x n) product of matrices stored at any offsets and strides, on the
/// register and texture kernels, against an f64 reference and against each other, bit for
/// bit.
fn check_stored(dims: MatmulDims, (a, la): (&[f32], Layout), (b, lb): (&[f32], Layout)) {
    let Some(ctx) = test_context() else {
        return;
    };
    let MatmulDims { m, n, k, .. } = dims;
    let products = reference(a, &la, b, &lb, (m, k, n));
    let ga = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(a)).unwrap();
    let gb = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(b)).unwrap();
    let mut results = vec![];
    for variant in [MatmulKernel::Register, MatmulKernel::Texture] {
        if !available(&ctx.profile).contains(&variant) {
            eprintln!(
                "NOT CHECKED: no {variant:?} kernel on {}",
                ctx.runtime.adapter.info.name
            );
            continue;
        }
        let out = run_views(variant, (&ga, &la), (&gb, &lb), dims, None).unwrap();
        let got: Vec<f32> = bytemuck::pod_collect_to_vec(&out.read_bytes(m * n).unwrap());
        for i in 0..m {
            for j in 0..n {
                let want = products[i * n + j];
                let g = got[i * n + j] as f64;
                assert!(
                    (g - want).abs() < 1e-4,
                    "{variant:?} C[{i},{j}] {g} vs {want}"
                );
            }
        }
        results.push(got);
    }
    if let [r, t] = &results[..] {
        assert!(r == t, "Register and Texture disagree");
    }
}

/// Copied operands at their edges: slices at an offset whose rows are longer than the
/// matrix's (A by rows, 13 x 12 in a 16-float pitch; B 12 x 37 in a 40-float pitch, the
/// copy ending at the buffer's last texel), spans that end part-way along a texture row,
/// and K = 12 (a K % 8 tail of 4).
#[test]
fn texture_copies_at_their_edges() {
    let (m, k, n) = (13, 12, 37);
    let a = values(8 + m * 16, 3);
    let b = values(4 + k * 40, 4);
    if let Some(ctx) = test_context() {
        let side = ctx.profile.max_texture_side;
        let bytes = |x: &[f32]| (x.len() * 4) as u64;
        assert!(a_by_rows(side, bytes(&a), 8, (m, k), (16, 1)));
        assert!(copies(side, bytes(&b), 4, (k, n), (40, 1)));
    }
    let la = Layout::new(vec![m, k], vec![16, 1], 8);
    let lb = Layout::new(vec![k, n], vec![40, 1], 4);
    check_stored(one(m, k, n), (&a, la), (&b, lb));
}

/// The four-float pack kernels, at the edges they leave garbage in: a last texel part past
/// the matrix, and (for column loads) a last group of fewer than four rows.
#[test]
fn quad_packs_at_their_edges() {
    let entry = |bytes, offset, strides| texture_pack(bytes, offset, strides).kernel.entry;
    assert_eq!(entry(4096, 0, (784, 1)), "pack_rows4");
    assert_eq!(entry(4096, 8, (1, 784)), "pack_columns4");
    assert_eq!(entry(4096, 2, (784, 1)), "pack_operand");
    assert_eq!(entry(4096, 0, (10, 1)), "pack_operand");
    assert_eq!(entry(4096, 0, (-4, 1)), "pack_operand");
    assert_eq!(entry(12, 0, (4, 1)), "pack_operand");
    // B stored transposed, by column loads, N % 4 != 0.
    check(130, 20, 66, false, true);
    check(132, 24, 66, true, true);
    // A, 37 x 5, whose columns are 400 floats apart from offset 4: too sparse to copy, so
    // A^T packs by row loads with 3 floats of each row's last texel past the matrix. B,
    // 5 x 13, stored transposed with rows 8 floats apart from offset 8: column loads,
    // with a last group of one row.
    let (m, k, n) = (37, 5, 13);
    let a = values(4 + k * 400, 3);
    let b = values(8 + n * 8, 4);
    if let Some(ctx) = test_context() {
        let side = ctx.profile.max_texture_side;
        let bytes = |x: &[f32]| (x.len() * 4) as u64;
        assert!(!copies(side, bytes(&a), 4, (k, m), (400, 1)));
        assert!(!a_by_rows(side, bytes(&a), 4, (m, k), (1, 400)));
        assert!(!copies(side, bytes(&b), 8, (k, n), (1, 8)));
    }
    assert_eq!(entry(4096, 4, (400, 1)), "pack_rows4");
    assert_eq!(entry(4096, 8, (1, 8)), "pack_columns4");
    let la = Layout::new(vec![m, k], vec![1, 400], 4);
    let lb = Layout::new(vec![k, n], vec![1, 8], 8);
    check_stored(one(m, k, n), (&a, la), (&b, lb));
}

#[test]
fn mnist_backprop_transposed_operands() {
    // x^T · dy: (784 x 128) read from (128 x 784) storage.
    check(784, 128, 512, true, false);
    // dy · W^T: (128 x 10) · (10 x 512) with W stored (512 x 10).
    check(128, 10, 512, false, true);
    // h^T · dy for the 10-class layer, on the narrow kernel: (512 x 128) · (128 x 10).
    check(512, 128, 10, true, false);
}

/// A row-major B reaches the narrow kernel's uniform block by a copy, a strided one
/// through the pack kernel.
#[test]
fn narrow_b_copied_or_packed() {
    check(130, 70, 10, false, true);
    check(130, 70, 10, true, true);
    check_with(37, 9, 3, false, true, Some(Epilogue::BiasRelu));
    let Some(ctx) = test_context() else {
        return;
    };
    let data = GpuStorage::upload(&ctx, "test", &[0; 4 * 130 * 70]).unwrap();
    let a = matrix(130, 70, false);
    let (b_rows, b_cols) = (matrix(70, 10, false), matrix(70, 10, true));
    let dims = one(130, 70, 10);
    for (lb, want) in [(&b_rows, 1), (&b_cols, 2)] {
        let spent = dispatches_of(&ctx, || {
            run_views(MatmulKernel::Narrow, (&data, &a), (&data, lb), dims, None).unwrap();
        });
        assert_eq!(spent, want, "{:?}", lb.strides());
    }
}

/// The bias and relu on every variant, in both launch orientations (the register kernel
/// computes C^T for 128x10), with the bias a reversed, strided view.
#[test]
fn epilogue_on_every_variant() {
    for (m, k, n) in [(128, 64, 10), (130, 257, 65), (3, 5, 2)] {
        for e in [Epilogue::Bias, Epilogue::BiasRelu] {
            check_with(m, k, n, false, false, Some(e));
        }
    }
    check_with(784, 128, 512, true, false, Some(Epilogue::BiasRelu));
}

/// While one thread times kernels, another thread's dispatch waits for it to finish.
#[test]
fn timing_holds_back_other_threads() {
    let Some(ctx) = test_context() else {
        return;
    };
    let a = GpuStorage::upload(&ctx, "test", bytemuck::cast_slice(&[1f32; 64])).unwrap();
    let l = Layout::contiguous(&[1, 8, 8]);
    let dims = one(8, 8, 8);
    let run = || {
        run_views(MatmulKernel::Register, (&a, &l), (&a, &l), dims, None).unwrap();
    };
    let read_done = std::sync::atomic::AtomicBool::new(false);
    let read = || {
        let bytes = a.read_bytes(64).unwrap();
        read_done.store(true, std::sync::atomic::Ordering::SeqCst);
        bytes
    };
    let (other, reader) = std::thread::scope(|scope| {
        let (other, reader) = ctx.runtime.exclusive(|| {
            let before = ctx.runtime.counters().dispatches;
            let other = scope.spawn(run);
            let reader = scope.spawn(read);
            std::thread::sleep(std::time::Duration::from_millis(300));
            // The gate lifts only when this closure returns, so no other thread's dispatch
            // (this test's, or another test's in this process) or readback can have been
            // recorded.
            assert_eq!(ctx.runtime.counters().dispatches, before);
            assert!(!read_done.load(std::sync::atomic::Ordering::SeqCst));
            run(); // this thread is not held back
            assert_eq!(ctx.runtime.counters().dispatches, before + 1);
            (other, reader)
        });
        (other.join(), reader.join())
    });
    assert!(other.is_ok());
    let ones: Vec<f32> = bytemuck::pod_collect_to_vec(&reader.expect("the reader thread"));
    assert_eq!(ones, vec![1.0; 64]);
}

#[test]
fn empty_inner_dimension_gives_zeros() {
    let Some(ctx) = test_context() else {
        return;
    };
    let a = GpuStorage::new(&ctx, "test", 0).unwrap();
    let la = Layout::contiguous(&[1, 3, 0]);
    let lb = Layout::contiguous(&[1, 0, 2]);
    let dims = one(3, 0, 2);
    for variant in available(&ctx.profile) {
        let out = run_views(variant, (&a, &la), (&a, &lb), dims, None).unwrap();
        let got: Vec<f32> = bytemuck::pod_collect_to_vec(&out.read_bytes(6).unwrap());
        assert_eq!(got, vec![0.0; 6], "{variant:?}");
    }
}
