// Fused sparse softmax-cross-entropy over contiguous (batch, classes) logits and u32 labels.
// Each row is shifted by its maximum before exp, so logits of ±1e4 stay finite. A label not
// below `classes` makes its row NaN (the caller validates labels where that is cheap).
//
// folded_index: shaders/prelude.wgsl.

struct LossParams {
    batch: u32,
    classes: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: LossParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> grad: array<f32>;

const NAN_BITS: u32 = 0x7fc00000u;
const WG: u32 = 256u;
const ROWS_WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

// Row maximum and log of the shifted sum of exponentials.
fn row_stats(r: u32) -> vec2<f32> {
    let classes = p.classes;
    let base = r * classes;
    var m = logits[base];
    for (var j = 1u; j < classes; j = j + 1u) {
        m = max_nan(m, logits[base + j]);
    }
    var s = 0.0;
    for (var j = 0u; j < classes; j = j + 1u) {
        s = s + exp(logits[base + j] - m);
    }
    return vec2<f32>(m, log(s));
}

// The mean loss, in one workgroup: rows are strided over the invocations, then folded as a tree.
@compute @workgroup_size(WG)
fn forward(@builtin(local_invocation_index) lid: u32) {
    let batch = p.batch;
    let classes = p.classes;
    var acc = 0.0;
    for (var r = lid; r < batch; r = r + WG) {
        let label = labels[r];
        if (label >= classes) {
            acc = acc + bitcast<f32>(NAN_BITS);
        } else {
            let st = row_stats(r);
            acc = acc + st.x + st.y - logits[r * classes + label];
        }
    }
    partial[lid] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
            partial[lid] = partial[lid] + partial[lid + s];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        out[0] = partial[0] / f32(batch);
    }
}

// d(loss)/d(logits) = grad * (softmax - onehot) / batch, one invocation per row.
@compute @workgroup_size(ROWS_WG)
fn backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
    let r = folded_index(wg, nwg, lid, ROWS_WG);
    let batch = p.batch;
    let classes = p.classes;
    if (r >= batch) {
        return;
    }
    let label = labels[r];
    let scale = grad[0] / f32(batch);
    let st = row_stats(r);
    let base = r * classes;
    for (var j = 0u; j < classes; j = j + 1u) {
        var v = (exp(logits[base + j] - st.x - st.y) - select(0.0, 1.0, j == label)) * scale;
        if (label >= classes) {
            v = bitcast<f32>(NAN_BITS);
        }
        out[base + j] = v;
    }
}

// How many rows have their largest logit (the first, among ties; a NaN above every number, as
// argmax ranks them) at the label, in one workgroup: the accuracy counter of a training loop,
// read back only when it is shown.
@compute @workgroup_size(WG)
fn correct(@builtin(local_invocation_index) lid: u32) {
    let batch = p.batch;
    let classes = p.classes;
    var acc = 0.0;
    for (var r = lid; r < batch; r = r + WG) {
        let base = r * classes;
        var best = 0u;
        for (var j = 1u; j < classes; j = j + 1u) {
            let v = logits[base + j];
            let b = logits[base + best];
            if ((is_nan(v) && !is_nan(b)) || v > b) {
                best = j;
            }
        }
        acc = acc + select(0.0, 1.0, best == labels[r]);
    }
    partial[lid] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
            partial[lid] = partial[lid] + partial[lid + s];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        out[0] = partial[0];
    }
}
