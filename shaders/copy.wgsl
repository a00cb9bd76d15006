// Copies a strided view into another strided view of the same shape, 32-bit word by word, so
// it serves every dtype: a contiguous copy of a transposed or sliced tensor, and writes into a
// view (Var::set, the gradient of a slice). Same info layout as elementwise.wgsl, with the
// source as input 0 and the destination as input 1.

// info(i), the parameter block at binding 0, and folded_index: shaders/prelude.wgsl.
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

const HDR: u32 = 8u;
const WG: u32 = 256u;

fn index_of(k: u32, idx: u32) -> u32 {
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
        o = o + i32(rem % dim) * bitcast<i32>(info(base + 2u + u32(d)));
        rem = rem / dim;
    }
    return u32(o);
}

@compute @workgroup_size(256)
fn strided_copy(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= info(0)) {
        return;
    }
    dst[index_of(1u, i)] = src[index_of(0u, i)];
}
