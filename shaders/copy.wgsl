// Copies a strided view into another strided view of the same shape, 32-bit word by word, so
// it serves every dtype: a contiguous copy of a transposed or sliced tensor, and writes into a
// view (Var::set, the gradient of a slice). p.views[0] is the source and p.views[1] the
// destination, both walked in p.shape (shaders/strided.wgsl).

@group(0) @binding(0) var<uniform> p: StridedParams;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

const WG: u32 = 256u;

@compute @workgroup_size(WG)
fn strided_copy(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.shape.len) {
        return;
    }
    dst[strided_index(1u, i)] = src[strided_index(0u, i)];
}
