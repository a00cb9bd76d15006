// Element-wise kernels over strided, broadcast inputs.
//
// info (binding 0) layout, all u32:
//   [0] n output elements   [1] rank   [2] op code   [3] scalar (f32 bits)
//   [4..8) unused
//   [8 .. 8+rank)          output shape
//   then per input k:      offset, contiguous flag, strides[rank] (i32 bits)
// Broadcast axes have stride 0, so one walk serves every op. The output is contiguous.

// info(i), the parameter block at binding 0, and folded_index: shaders/prelude.wgsl.
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const HDR: u32 = 8u;
const WG: u32 = 256u;

fn input_index(k: u32, idx: u32) -> u32 {
    let rank = info(1);
    let base = HDR + rank + k * (rank + 2u);
    let off = info(base);
    if (info(base + 1u) == 1u) {
        return off + idx;
    }
    var rem = idx;
    var o = i32(off);
    for (var d = i32(rank) - 1; d >= 0; d = d - 1) {
        let dim = info(HDR + u32(d));
        let c = rem % dim;
        rem = rem / dim;
        o = o + i32(c) * bitcast<i32>(info(base + 2u + u32(d)));
    }
    return u32(o);
}

// NumPy's power: a negative base with an integral exponent keeps its sign rule; x^0 is 1.
fn power(x: f32, y: f32) -> f32 {
    if (y == 0.0) {
        return 1.0;
    }
    if (x >= 0.0) {
        return pow(x, y);
    }
    if (y != floor(y)) {
        return bitcast<f32>(0x7fc00000u); // NaN, as for a negative base in NumPy
    }
    let m = pow(-x, y);
    if (abs(y % 2.0) == 1.0) {
        return -m;
    }
    return m;
}

fn apply_unary(op: u32, x: f32, s: f32) -> f32 {
    switch op {
        case 0u: { return x; }
        case 1u: { return max(x, 0.0); }
        case 2u: { return x + s; }
        case 3u: { return x * s; }
        case 4u: { return power(x, s); }
        case 5u: { return exp(x); }
        case 6u: {
            if (x < 0.0) { return bitcast<f32>(0x7fc00000u); }
            if (x == 0.0) { return bitcast<f32>(0xff800000u); }
            return log(x);
        }
        default: { return x; }
    }
}

fn apply_binary(op: u32, x: f32, y: f32) -> f32 {
    switch op {
        case 0u: { return x + y; }
        case 1u: { return x - y; }
        case 2u: { return x * y; }
        case 3u: { return x / y; }
        case 4u: { return max(x, y); }
        case 5u: { return select(0.0, 1.0, x >= y); }
        case 6u: { return select(0.0, x, y > 0.0); }
        default: { return x; }
    }
}

@compute @workgroup_size(256)
fn unary(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= info(0)) {
        return;
    }
    out[i] = apply_unary(info(2), a[input_index(0u, i)], bitcast<f32>(info(3)));
}

@compute @workgroup_size(256)
fn binary(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= info(0)) {
        return;
    }
    out[i] = apply_binary(info(2), a[input_index(0u, i)], b[input_index(1u, i)]);
}

// `binary` four elements at a time, for inputs that are both contiguous, start on whole
// vec4s, and have a multiple of 4 elements (the launcher checks): on CPU-emulated adapters
// every storage access is a loop over the SIMD lanes, so one 16-byte access costs about what
// a 4-byte one does. The inputs' offsets are info words as for `binary`, in floats.
@group(0) @binding(4) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4<f32>>;

@compute @workgroup_size(256)
fn binary4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= info(0) / 4u) {
        return;
    }
    let rank = info(1);
    let op = info(2);
    let x = a4[info(HDR + rank) / 4u + i];
    let y = b4[info(HDR + rank + rank + 2u) / 4u + i];
    out4[i] = vec4<f32>(apply_binary(op, x.x, y.x), apply_binary(op, x.y, y.y),
                        apply_binary(op, x.z, y.z), apply_binary(op, x.w, y.w));
}

@compute @workgroup_size(256)
fn fill(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= info(0)) {
        return;
    }
    out[i] = bitcast<f32>(info(3));
}
