// Builds one batch on the device from a data set uploaded once: rows of u8 features packed
// four to a u32 word, and u32 labels. Row r of the batch is sample `start + r`, or
// `order[start + r]` when the epoch is shuffled; its features become f32 in [0, 1].
//
// folded_index: shaders/prelude.wgsl.

struct GatherParams {
    start: u32,
    rows: u32,
    features: u32,
    // 1 when the epoch is shuffled (`order` is read).
    shuffled: u32,
}

@group(0) @binding(0) var<uniform> p: GatherParams;
@group(0) @binding(1) var<storage, read> words: array<u32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;
@group(0) @binding(4) var<storage, read_write> out_x: array<f32>;
@group(0) @binding(5) var<storage, read_write> out_y: array<u32>;

const WG: u32 = 256u;

@compute @workgroup_size(WG)
fn gather(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    let features = p.features;
    if (i >= p.rows * features) {
        return;
    }
    let r = i / features;
    let j = i % features;
    var sample = p.start + r;
    if (p.shuffled == 1u) {
        sample = order[sample];
    }
    let byte = sample * features + j;
    let v = (words[byte / 4u] >> ((byte % 4u) * 8u)) & 0xffu;
    out_x[i] = f32(v) / 255.0;
    if (j == 0u) {
        out_y[r] = labels[sample];
    }
}

// `gather` for rows of a multiple of 4 features, four features per invocation: they share one
// word, so each invocation loads one word and one order entry where `gather` loads both once
// per feature (on lavapipe every storage load costs a loop over the SIMD lanes).
@compute @workgroup_size(WG)
fn gather4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    let row_words = p.features / 4u;
    if (i >= p.rows * row_words) {
        return;
    }
    let r = i / row_words;
    let w = i % row_words;
    var sample = p.start + r;
    if (p.shuffled == 1u) {
        sample = order[sample];
    }
    let word = words[sample * row_words + w];
    let o = i * 4u;
    out_x[o] = f32(word & 0xffu) / 255.0;
    out_x[o + 1u] = f32((word >> 8u) & 0xffu) / 255.0;
    out_x[o + 2u] = f32((word >> 16u) & 0xffu) / 255.0;
    out_x[o + 3u] = f32(word >> 24u) / 255.0;
    if (w == 0u) {
        out_y[r] = labels[sample];
    }
}
