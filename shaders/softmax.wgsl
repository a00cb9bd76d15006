// Softmax over the last axis, one invocation per row, stable: exp(x - max) / sum.
// info: the layout of reduce.wgsl (rows, row length, ..., axis stride at [4], row layout at [8..]).

// info(i), the parameter block at binding 0: shaders/info.wgsl.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn row_offset(r: u32) -> i32 {
    let rank = info(8);
    let strides = 9u + rank + 1u;
    var rem = r;
    var o = i32(info(9u + rank));
    for (var d = i32(rank) - 1; d >= 0; d = d - 1) {
        let dim = info(9u + u32(d));
        o = o + i32(rem % dim) * bitcast<i32>(info(strides + u32(d)));
        rem = rem / dim;
    }
    return o;
}

@compute @workgroup_size(64)
fn softmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let row = (wg.y * nwg.x + wg.x) * 64u + lid;
    if (row >= info(0)) {
        return;
    }
    let len = info(1);
    let base = row_offset(row);
    let stride = bitcast<i32>(info(4));
    var m = src[base];
    for (var j = 1u; j < len; j = j + 1u) {
        m = max(m, src[base + i32(j) * stride]);
    }
    var s = 0.0;
    for (var j = 0u; j < len; j = j + 1u) {
        s = s + exp(src[base + i32(j) * stride] - m);
    }
    let out = row * len;
    for (var j = 0u; j < len; j = j + 1u) {
        dst[out + j] = exp(src[base + i32(j) * stride] - m) / s;
    }
}
