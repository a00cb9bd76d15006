//! Each parameter struct against the WGSL struct it mirrors, as naga lays it out: the same
//! fields, in order, at the same offsets and of the same sizes, and the same total size.

use super::{Params, Shape, StridedParams, View};
use crate::gpu::kernels::{self, PROGRAMS};
use crate::gpu::runtime::Program;

/// (name, offset, size) of each member of the WGSL struct `name` in `program`, and its size.
fn wgsl_struct(program: &Program, name: &str) -> (Vec<(String, usize, usize)>, usize) {
    let module = naga::front::wgsl::parse_str(program.source)
        .unwrap_or_else(|e| panic!("{program:?}: {}", e.emit_to_string(program.source)));
    let ty = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{program:?} declares no struct {name}"))
        .1;
    let naga::TypeInner::Struct { members, span } = &ty.inner else {
        panic!("{name} in {program:?} is not a struct");
    };
    let fields = members
        .iter()
        .map(|m| {
            let size = module.types[m.ty].inner.size(module.to_ctx()) as usize;
            (m.name.clone().unwrap_or_default(), m.offset as usize, size)
        })
        .collect();
    (fields, *span as usize)
}

fn check<P: Params>(program: &Program) {
    let (wgsl, span) = wgsl_struct(program, P::WGSL_NAME);
    let rust: Vec<(String, usize, usize)> = P::fields()
        .into_iter()
        .map(|f| (f.name.to_string(), f.offset, f.size))
        .collect();
    assert_eq!(rust, wgsl, "{} in Rust and in {program:?}", P::WGSL_NAME);
    assert_eq!(
        std::mem::size_of::<P>(),
        span,
        "size of {} in Rust and in {program:?}",
        P::WGSL_NAME
    );
}

/// The struct at binding 0 of `program`.
fn params_struct(program: &Program) -> String {
    let module = naga::front::wgsl::parse_str(program.source).expect("parses");
    let (_, var) = module
        .global_variables
        .iter()
        .find(|(_, v)| v.binding.as_ref().is_some_and(|b| b.binding == 0))
        .unwrap_or_else(|| panic!("{program:?} has no binding 0"));
    module.types[var.ty].name.clone().unwrap_or_default()
}

#[test]
fn every_parameter_struct_matches_its_wgsl() {
    use crate::gpu::data::GatherParams;
    use crate::gpu::loss::LossParams;
    use crate::gpu::matmul::pack::PackParams;
    use crate::gpu::matmul::plan::{EpilogueParams, MatmulParams};
    use crate::gpu::optimizer::OptimizerParams;
    use crate::gpu::random::RandomParams;
    use crate::gpu::reduce::ReduceParams;
    use crate::gpu::window::WindowParams;
    let mut checked = vec![];
    let mut note = |p: &'static Program, name: &str| checked.push((p.name, name.to_string()));
    for p in [&kernels::ELEMENTWISE_WGSL, &kernels::COPY_WGSL] {
        check::<StridedParams>(p);
        note(p, "StridedParams");
    }
    for p in [&kernels::ELEMENTWISE_WGSL, &kernels::REDUCE_WGSL] {
        check::<Shape>(p);
        check::<View>(p);
    }
    check::<ReduceParams>(&kernels::REDUCE_WGSL);
    note(&kernels::REDUCE_WGSL, "ReduceParams");
    check::<LossParams>(&kernels::LOSS_WGSL);
    note(&kernels::LOSS_WGSL, "LossParams");
    check::<OptimizerParams>(&kernels::OPTIMIZER_WGSL);
    note(&kernels::OPTIMIZER_WGSL, "OptimizerParams");
    check::<GatherParams>(&kernels::GATHER_WGSL);
    note(&kernels::GATHER_WGSL, "GatherParams");
    for p in [
        &kernels::MATMUL_WGSL,
        &kernels::MATMUL_SUBGROUP_WGSL,
        &kernels::MATMUL_TEXTURE_WGSL,
        &kernels::MATMUL_NARROW_WGSL,
        &kernels::MATMUL_GEMM_WGSL,
    ] {
        check::<MatmulParams>(p);
        check::<EpilogueParams>(p);
        note(p, "MatmulParams");
    }
    check::<PackParams>(&kernels::MATMUL_PACK_WGSL);
    note(&kernels::MATMUL_PACK_WGSL, "PackParams");
    check::<WindowParams>(&kernels::WINDOW_WGSL);
    note(&kernels::WINDOW_WGSL, "WindowParams");
    check::<RandomParams>(&kernels::RANDOM_WGSL);
    note(&kernels::RANDOM_WGSL, "RandomParams");
    // Every program's parameter block was among them: a new family needs its line above.
    for p in PROGRAMS {
        let want = (p.name, params_struct(p));
        assert!(checked.contains(&want), "{p:?}: {} is not checked", want.1);
    }
}

/// A field moved in Rust alone is caught.
#[test]
fn a_drifted_struct_is_caught() {
    crate::gpu::params::params! {
        struct LossParams {
            classes: u32,
            batch: u32,
            _pad0: u32,
            _pad1: u32,
        }
    }
    let caught = std::panic::catch_unwind(|| check::<LossParams>(&kernels::LOSS_WGSL));
    assert!(caught.is_err());
}
