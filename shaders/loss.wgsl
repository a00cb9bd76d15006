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
            acc = acc + nan_f32();
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
            v = nan_f32();
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

// For GPU hardware, one workgroup per row, its invocations reading neighbouring logits and
// folding as trees in workgroup memory: `forward_rows` writes each row's loss divided by the
// batch (the launcher sums them in a second pass), `backward_rows` the row's gradient,
// `correct_rows` 1 where the row's argmax is its label.
var<workgroup> best_at: array<u32, ROWS_WG>;

// The row's maximum and the log of its shifted sum of exponentials, folded by the workgroup;
// every invocation gets them.
fn row_stats_wg(r: u32, lid: u32) -> vec2<f32> {
    let classes = p.classes;
    let base = r * classes;
    var m = neg_inf_f32();
    for (var j = lid; j < classes; j = j + ROWS_WG) {
        m = max_nan(m, logits[base + j]);
    }
    partial[lid] = m;
    workgroupBarrier();
    for (var s = ROWS_WG / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
            partial[lid] = max_nan(partial[lid], partial[lid + s]);
        }
        workgroupBarrier();
    }
    m = partial[0];
    workgroupBarrier();
    var total = 0.0;
    for (var j = lid; j < classes; j = j + ROWS_WG) {
        total = total + exp(logits[base + j] - m);
    }
    partial[lid] = total;
    workgroupBarrier();
    for (var s = ROWS_WG / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
            partial[lid] = partial[lid] + partial[lid + s];
        }
        workgroupBarrier();
    }
    total = partial[0];
    workgroupBarrier();
    return vec2<f32>(m, log(total));
}

@compute @workgroup_size(ROWS_WG)
fn forward_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let r = wg.y * nwg.x + wg.x;
    if (r >= p.batch) {
        return; // the same for the whole workgroup
    }
    let st = row_stats_wg(r, lid);
    if (lid == 0u) {
        let label = labels[r];
        var loss = nan_f32();
        if (label < p.classes) {
            loss = st.x + st.y - logits[r * p.classes + label];
        }
        out[r] = loss / f32(p.batch);
    }
}

@compute @workgroup_size(ROWS_WG)
fn backward_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
    let r = wg.y * nwg.x + wg.x;
    if (r >= p.batch) {
        return;
    }
    let st = row_stats_wg(r, lid);
    let label = labels[r];
    let scale = grad[0] / f32(p.batch);
    let base = r * p.classes;
    for (var j = lid; j < p.classes; j = j + ROWS_WG) {
        var v = (exp(logits[base + j] - st.x - st.y) - select(0.0, 1.0, j == label)) * scale;
        if (label >= p.classes) {
            v = nan_f32();
        }
        out[base + j] = v;
    }
}

@compute @workgroup_size(ROWS_WG)
fn correct_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let r = wg.y * nwg.x + wg.x;
    if (r >= p.batch) {
        return;
    }
    let base = r * p.classes;
    // Each invocation's first best (NaN above every number), then a tree that keeps the
    // first among equals.
    var best = 0xffffffffu;
    var value = neg_inf_f32();
    for (var j = lid; j < p.classes; j = j + ROWS_WG) {
        let v = logits[base + j];
        if (best == 0xffffffffu || (is_nan(v) && !is_nan(value)) || v > value) {
            best = j;
            value = v;
        }
    }
    partial[lid] = value;
    best_at[lid] = best;
    workgroupBarrier();
    for (var s = ROWS_WG / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
            let v = partial[lid];
            let w = partial[lid + s];
            let i = best_at[lid];
            let j = best_at[lid + s];
            var take = false;
            if (j != 0xffffffffu) {
                if (i == 0xffffffffu) {
                    take = true;
                } else if (is_nan(v) || is_nan(w)) {
                    take = is_nan(w) && (!is_nan(v) || j < i);
                } else {
                    take = w > v || (w == v && j < i);
                }
            }
            if (take) {
                partial[lid] = w;
                best_at[lid] = j;
            }
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        out[r] = select(0.0, 1.0, best_at[0] == labels[r]);
    }
}
