//! The parity table the browser's parity mode runs (`tensorgears::parity`), run natively: every
//! case agrees between the CPU and this machine's GPU, the comparison catches a wrong answer,
//! and every kernel family under `shaders/` has a case.
mod common;

use std::collections::BTreeSet;

use tensorgears::parity::{self, compare, Values};
use tensorgears::DType;

#[test]
fn every_case_agrees_on_the_gpu() {
    let Some(gpu) = common::gpu() else { return };
    let failed: Vec<String> = parity::cases()
        .iter()
        .map(|c| pollster::block_on(parity::run_async(c, &gpu)))
        .filter(|o| !o.passed())
        .map(|o| {
            format!(
                "{} / {}: {}",
                o.family,
                o.name,
                o.failure.unwrap_or_default()
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "GPU differs from CPU:\n{}",
        failed.join("\n")
    );
}

/// The runner reads the GPU's outputs without blocking: those reads give what the blocking
/// ones give, for f32 and u32 outputs alike.
#[test]
fn async_reads_match_blocking_reads() {
    let Some(gpu) = common::gpu() else { return };
    for case in parity::cases()
        .iter()
        .filter(|c| c.family == "loss" || c.family == "gather")
    {
        for t in (case.run)(&gpu).expect("case runs") {
            match t.dtype() {
                DType::F32 => assert_eq!(
                    pollster::block_on(t.to_vec_async()).expect("async"),
                    t.to_vec().expect("blocking"),
                    "{}",
                    case.name
                ),
                DType::U32 => assert_eq!(
                    pollster::block_on(t.to_vec_u32_async()).expect("async"),
                    t.to_vec_u32().expect("blocking"),
                    "{}",
                    case.name
                ),
            }
        }
    }
}

#[test]
fn the_comparison_catches_wrong_answers() {
    let want = vec![(vec![3], Values::F32(vec![1.0, f32::NAN, -2.0]))];
    assert_eq!(compare(&want, &want), Ok(0.0));
    let off = |v: Vec<f32>| vec![(vec![3], Values::F32(v))];
    assert!(compare(&want, &off(vec![1.0, f32::NAN, -2.001])).is_err());
    assert!(compare(&want, &off(vec![1.0, 0.0, -2.0])).is_err()); // NaN hidden
    assert!(compare(&want, &off(vec![1.0, f32::NAN, f32::NEG_INFINITY])).is_err());
    assert!(compare(
        &want,
        &[(vec![1, 3], Values::F32(vec![1.0, f32::NAN, -2.0]))]
    )
    .is_err());
    assert!(compare(&want, &[]).is_err());
    let ints = vec![(vec![2], Values::U32(vec![4, 5]))];
    assert!(compare(&ints, &[(vec![2], Values::U32(vec![4, 6]))]).is_err());
    // Within tolerance: 1e-5 absolute plus 1e-4 relative.
    assert!(compare(&want, &off(vec![1.00005, f32::NAN, -2.0])).is_ok());
}

/// Every WGSL file that holds a family's kernels has a case; files that only hold pieces
/// included by others, or kernels the matmul selection picks per adapter, are named here.
#[test]
fn every_kernel_family_has_a_case() {
    let covered: BTreeSet<&str> = parity::cases().iter().map(|c| c.family).collect();
    let shared = [
        "prelude", // functions included by every file
        "strided", // index helpers included by elementwise and copy
        "matmul_common",
        // Matmul kernels chosen by adapter and shape; the "matmul" cases run whichever the
        // device picks, and tests/matmul.rs forces each one.
        "matmul_gemm",
        "matmul_narrow",
        "matmul_pack",
        "matmul_subgroup",
        "matmul_texture",
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("shaders/") {
        let path = entry.expect("entry").path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        if !covered.contains(stem.as_str()) && !shared.contains(&stem.as_str()) {
            missing.push(stem);
        }
    }
    assert!(missing.is_empty(), "no parity case for {missing:?}");
    for family in &covered {
        assert!(
            dir.join(format!("{family}.wgsl")).exists(),
            "{family} names no shader file"
        );
    }
}
