// Counter-based random numbers: element i's value is a hash of (seed, i), so a mask needs no
// state, any invocation order gives the same bits, and src/cpu/random.rs reproduces them
// exactly (integer arithmetic only).
//
// RandomParams mirrors src/gpu/random.rs.

struct RandomParams {
    len: u32,
    // Keep element i when the top 24 bits of its hash are at least `threshold`.
    threshold: u32,
    key0: u32,
    key1: u32,
    // What a kept element becomes: 1 / (1 - rate), inverted dropout's scale.
    scale: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: RandomParams;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

const WG: u32 = 256u;

// Chris Wellons' lowbias32: a full-avalanche 32-bit integer hash.
fn lowbias32(v: u32) -> u32 {
    var x = v;
    x = x ^ (x >> 16u);
    x = x * 0x7feb352du;
    x = x ^ (x >> 15u);
    x = x * 0x846ca68bu;
    x = x ^ (x >> 16u);
    return x;
}

@compute @workgroup_size(WG)
fn dropout_mask(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.len) {
        return;
    }
    let bits = lowbias32(lowbias32(i ^ p.key0) + p.key1) >> 8u;
    dst[i] = select(0.0, p.scale, bits >= p.threshold);
}
