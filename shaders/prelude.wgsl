// What every kernel shares; the launchers put this file in front of each kernel file
// (`shader!` in src/gpu/kernels.rs), so a compile error's line numbers count from here.
//
// Each kernel family declares its parameter block at binding 0 as a uniform struct mirrored by
// a #[repr(C)] Rust struct (src/gpu/params.rs checks the two against each other). A uniform
// block rather than a storage buffer: on CPU-emulated adapters a uniform load at a constant
// offset is one scalar load, where a storage load costs a loop over the SIMD lanes.

// The index of an invocation in a one-dimensional launch of workgroups of `size`, which the
// host folds over x and y when they exceed one dimension's limit (`fold_workgroups` in
// src/gpu/runtime/recorder.rs).
fn folded_index(wg: vec3<u32>, nwg: vec3<u32>, lid: u32, size: u32) -> u32 {
    return (wg.y * nwg.x + wg.x) * size + lid;
}

// NaN tested on its bits: WGSL lets a compiler assume that no float is NaN, so `x != x` may
// fold to false, where an integer test cannot.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn is_nan4(x: vec4<f32>) -> vec4<bool> {
    return (bitcast<vec4<u32>>(x) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u);
}

// NumPy's maximum and minimum: NaN when either operand is NaN (WGSL's max and min may return
// the other operand).
fn max_nan(a: f32, b: f32) -> f32 {
    if (is_nan(a)) {
        return a;
    }
    if (is_nan(b)) {
        return b;
    }
    return max(a, b);
}

fn min_nan(a: f32, b: f32) -> f32 {
    if (is_nan(a)) {
        return a;
    }
    if (is_nan(b)) {
        return b;
    }
    return min(a, b);
}

// relu that keeps NaN, as NumPy's maximum(x, 0), PyTorch and TensorFlow do.
fn relu(x: f32) -> f32 {
    return select(max(x, 0.0), x, is_nan(x));
}

fn relu4(x: vec4<f32>) -> vec4<f32> {
    return select(max(x, vec4<f32>(0.0)), x, is_nan4(x));
}

// NaN and the infinities. WGSL makes a constant expression whose value is not finite an error,
// and browsers' compilers enforce it (`bitcast<f32>(0x7fc00000u)` is rejected as "value nan
// cannot be represented as 'f32'"), so their bits come from a private variable, read at run
// time.
var<private> NON_FINITE_BITS: vec3<u32> = vec3<u32>(0x7fc00000u, 0x7f800000u, 0xff800000u);

fn nan_f32() -> f32 {
    return bitcast<f32>(NON_FINITE_BITS.x);
}

fn inf_f32() -> f32 {
    return bitcast<f32>(NON_FINITE_BITS.y);
}

fn neg_inf_f32() -> f32 {
    return bitcast<f32>(NON_FINITE_BITS.z);
}
