// Gathers a strided view into a contiguous buffer, 32-bit word by word, so it serves every
// dtype. Same info layout as elementwise.wgsl, with one input.

@group(0) @binding(0) var<storage, read> info: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

const HDR: u32 = 8u;
const WG: u32 = 256u;

@compute @workgroup_size(256)
fn strided_copy(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let i = (wg.y * nwg.x + wg.x) * WG + lid;
    if (i >= info[0]) {
        return;
    }
    let rank = info[1];
    let base = HDR + rank;
    var rem = i;
    var o = i32(info[base]);
    for (var d = i32(rank) - 1; d >= 0; d = d - 1) {
        let dim = info[HDR + u32(d)];
        let c = rem % dim;
        rem = rem / dim;
        o = o + i32(c) * bitcast<i32>(info[base + 2u + u32(d)]);
    }
    dst[i] = src[u32(o)];
}
