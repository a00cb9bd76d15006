// Element-wise kernels over strided, broadcast inputs: p.views[0] and p.views[1] are the
// inputs, walked in p.shape by strided_index (shaders/strided.wgsl); the output is contiguous.
// p.scalar is the scalar of add_scalar, mul_scalar and powf, and fill's value.
//
// The op is an override constant, fixed when the launcher builds the pipeline (one pipeline
// per op, src/gpu/elementwise.rs), so each kernel holds only its own op's code. An op code
// with no case here gives NaN, never its input: a missing case fails every parity test of
// that op (the every-op test in src/gpu/elementwise/tests.rs runs them all).

@group(0) @binding(0) var<uniform> p: StridedParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// The op's code: UnaryOp::code or BinaryOp::code (src/ops.rs).
override OP: u32 = 0u;

const WG: u32 = 256u;

// NumPy's power, which is C's pow: x^0 and 1^y are 1 (NaN included); otherwise NaN in gives
// NaN out; a zero or infinite base keeps its sign only under an odd integral exponent; a
// negative base with a fractional exponent gives NaN. WGSL's pow is defined only for positive
// bases, so every other case is decided here, on the bits where NaN or infinity matter.
fn power(x: f32, y: f32) -> f32 {
    if (y == 0.0 || x == 1.0) {
        return 1.0;
    }
    if (is_nan(x) || is_nan(y)) {
        return nan_f32();
    }
    let odd = y == floor(y) && abs(y % 2.0) == 1.0;
    let negative = (bitcast<u32>(x) & 0x80000000u) != 0u;
    let magnitude = bitcast<u32>(x) & 0x7fffffffu;
    if (magnitude == 0u || magnitude == 0x7f800000u) {
        // 0 or infinity: 0 or infinity as the exponent's sign and the base's say.
        let inf = inf_f32();
        var m = select(inf, 0.0, (y < 0.0) != (magnitude == 0u));
        if (negative && odd) {
            m = -m;
        }
        return m;
    }
    if (!negative) {
        return pow(x, y);
    }
    if (y != floor(y)) {
        return nan_f32();
    }
    let m = pow(-x, y);
    return select(m, -m, odd);
}

fn apply_unary(x: f32, s: f32) -> f32 {
    switch OP {
        case 1u: { return relu(x); }
        case 2u: { return x + s; }
        case 3u: { return x * s; }
        case 4u: { return power(x, s); }
        case 5u: { return exp(x); }
        case 6u: {
            if (x < 0.0) { return nan_f32(); }
            if (x == 0.0) { return neg_inf_f32(); }
            return log(x);
        }
        case 7u: { return 1.0 / (1.0 + exp(-x)); }
        case 8u: {
            // tanh is 1 to f32 precision from 9 on; some drivers compute it through exp, which
            // overflows to inf / inf for large |x|. NaN stays NaN.
            return select(tanh(clamp(x, -15.0, 15.0)), x, is_nan(x));
        }
        default: { return nan_f32(); }
    }
}

fn apply_binary(x: f32, y: f32) -> f32 {
    switch OP {
        case 1u: { return x + y; }
        case 2u: { return x - y; }
        case 3u: { return x * y; }
        case 4u: { return x / y; }
        case 5u: { return max_nan(x, y); }
        case 6u: { return select(0.0, 1.0, x >= y); }
        case 7u: { return select(0.0, x, y > 0.0); }
        case 8u: { return min_nan(x, y); }
        default: { return nan_f32(); }
    }
}

@compute @workgroup_size(WG)
fn unary(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.shape.len) {
        return;
    }
    out[i] = apply_unary(a[strided_index(0u, i)], p.scalar);
}

@compute @workgroup_size(WG)
fn binary(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.shape.len) {
        return;
    }
    out[i] = apply_binary(a[strided_index(0u, i)], b[strided_index(1u, i)]);
}

// `binary` four elements at a time, for inputs that are both contiguous, start on whole
// vec4s, and have a multiple of 4 elements (the launcher checks): on CPU-emulated adapters
// every storage access is a loop over the SIMD lanes, so one 16-byte access costs about what
// a 4-byte one does. The views' offsets are in floats, as for `binary`.
@group(0) @binding(4) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn binary4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.shape.len / 4u) {
        return;
    }
    let x = a4[p.views[0].offset / 4u + i];
    let y = b4[p.views[1].offset / 4u + i];
    out4[i] = vec4<f32>(apply_binary(x.x, y.x), apply_binary(x.y, y.y),
                        apply_binary(x.z, y.z), apply_binary(x.w, y.w));
}

@compute @workgroup_size(WG)
fn fill(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.shape.len) {
        return;
    }
    out[i] = p.scalar;
}
