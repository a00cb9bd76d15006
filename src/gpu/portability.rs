//! Every entry point of every program, translated by naga's backends as wgpu would for each
//! platform: MSL for Metal, HLSL for DX12, SPIR-V for Vulkan. A kernel one of them cannot
//! express fails here, on a machine with none of those drivers. The element-wise kernels are
//! translated for every op code (their `OP` override), the others with their overrides'
//! defaults.

use super::kernels::PROGRAMS;
use super::runtime::Program;
use crate::ops::{BinaryOp, UnaryOp};

/// The module of `program` and what naga's validator reads from it.
fn parse(program: &Program) -> (naga::Module, naga::valid::ModuleInfo) {
    let module = naga::front::wgsl::parse_str(program.source)
        .unwrap_or_else(|e| panic!("{program:?}: {}", e.emit_to_string(program.source)));
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{program:?}: {}", e.emit_to_string(program.source)));
    (module, info)
}

/// Translates `entry` of `program`, with `constants`, to the three backends.
fn translate(program: &Program, entry: &str, constants: &[(&str, f64)]) {
    let (module, info) = parse(program);
    let mut values = naga::back::PipelineConstants::default();
    for &(name, v) in constants {
        values.insert(name.to_string(), v);
    }
    let stage = naga::ShaderStage::Compute;
    let what = format!("{program:?} {entry} {constants:?}");
    let (module, info) = naga::back::pipeline_constants::process_overrides(
        &module,
        &info,
        Some((stage, entry)),
        &values,
    )
    .unwrap_or_else(|e| panic!("{what}: overrides: {e}"));

    let msl = naga::back::msl::Options {
        lang_version: (2, 4),
        ..Default::default()
    };
    let msl_pipeline = naga::back::msl::PipelineOptions {
        entry_point: Some((stage, entry.to_string())),
        ..Default::default()
    };
    naga::back::msl::write_string(&module, &info, &msl, &msl_pipeline)
        .unwrap_or_else(|e| panic!("{what}: MSL: {e}"));

    let hlsl = naga::back::hlsl::Options {
        shader_model: naga::back::hlsl::ShaderModel::V6_0,
        fake_missing_bindings: true,
        ..Default::default()
    };
    let hlsl_pipeline = naga::back::hlsl::PipelineOptions {
        entry_point: Some((stage, entry.to_string())),
    };
    let mut out = String::new();
    naga::back::hlsl::Writer::new(&mut out, &hlsl, &hlsl_pipeline)
        .write(&module, &info, None)
        .unwrap_or_else(|e| panic!("{what}: HLSL: {e}"));

    let spv_pipeline = naga::back::spv::PipelineOptions {
        shader_stage: stage,
        entry_point: entry.to_string(),
    };
    let words = naga::back::spv::write_vec(
        &module,
        &info,
        &naga::back::spv::Options::default(),
        Some(&spv_pipeline),
    )
    .unwrap_or_else(|e| panic!("{what}: SPIR-V: {e}"));
    assert_eq!(words.first(), Some(&0x0723_0203), "{what}: not SPIR-V");
}

#[test]
fn every_kernel_translates_to_metal_dx12_and_vulkan() {
    let mut translated = 0;
    for program in PROGRAMS {
        let (module, _) = parse(program);
        for entry in &module.entry_points {
            let name = entry.name.as_str();
            if program.name == "elementwise.wgsl" && name != "fill" {
                let codes: Vec<u32> = if name == "unary" {
                    UnaryOp::ALL.iter().map(|op| op.code()).collect()
                } else {
                    BinaryOp::ALL.iter().map(|op| op.code()).collect()
                };
                for code in codes {
                    translate(program, name, &[("OP", f64::from(code))]);
                    translated += 1;
                }
            } else {
                translate(program, name, &[]);
                translated += 1;
            }
        }
    }
    assert!(translated > 40, "only {translated} kernels");
}
