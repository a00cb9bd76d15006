// Reductions along one axis: sum, max and argmax, as a tree (`reduce`) or one row per
// invocation (`reduce_rows`); and softmax over rows (`softmax`), which walks rows the same way.
//
// The input is R rows of length L: row r starts at the strided offset of index r in the "row
// layout" (the tensor's layout without the reduced axis), and its elements are `axis stride`
// apart. One workgroup reduces one chunk of 4096 elements of one row: each invocation folds 16
// elements, then the workgroup folds its 256 partials pairwise. With several chunks per row the
// host runs the kernel again on the (R, chunks) partials, so a sum of 2^25 elements never runs
// through one long serial accumulator.
//
// The row layout is p.shape (R rows) and p.views[0], walked by strided_index
// (shaders/strided.wgsl); the rest of the parameter block is ReduceParams below.

struct ReduceParams {
    shape: Shape,
    views: array<View, 1>,
    // Elements per row, and workgroups per row (`reduce`).
    len: u32,
    chunks: u32,
    // 0 sum, 1 max, 2 argmax: ReduceOp::code in src/ops.rs.
    op: u32,
    // Elements between neighbours along the reduced axis.
    axis_stride: i32,
    // 1 when src_idx holds indices from an earlier pass.
    indexed: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: ReduceParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> src_idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst_idx: array<u32>;

const WG: u32 = 256u;
const ROWS_WG: u32 = 64u;
// Elements each invocation of `reduce` folds before the tree: set by the launcher, which
// counts a workgroup's chunk of a row as WG * PER.
override PER: u32 = 16u;
const NO_INDEX: u32 = 0xffffffffu;

var<workgroup> vals: array<f32, 256>;
var<workgroup> idxs: array<u32, 256>;

fn row_offset(r: u32) -> i32 {
    return i32(strided_index(0u, r));
}

// Whether (w, j) beats (v, i) for argmax, as NumPy's argmax ranks them: NaN above every number
// (the first NaN wins), then the larger value, then among equals the first index.
fn better(v: f32, i: u32, w: f32, j: u32) -> bool {
    let vn = is_nan(v);
    let wn = is_nan(w);
    if (vn || wn) {
        return wn && (!vn || j < i);
    }
    return w > v || (w == v && j < i);
}

@compute @workgroup_size(WG)
fn reduce(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let rows = p.shape.len;
    let len = p.len;
    let chunks = p.chunks;
    let op = p.op;
    let id = wg.y * nwg.x + wg.x;
    let row = id / chunks;
    let chunk = id % chunks;
    if (row >= rows) {
        return; // uniform for the whole workgroup
    }
    let base = row_offset(row);
    let stride = p.axis_stride;
    var acc = 0.0;
    if (op != 0u) {
        acc = neg_inf_f32(); // -inf, the identity of max
    }
    var acc_i = NO_INDEX;
    let start = chunk * WG * PER;
    for (var t = 0u; t < PER; t = t + 1u) {
        let j = start + t * WG + lid;
        if (j < len) {
            let at = base + i32(j) * stride;
            let v = src[at];
            if (op == 0u) {
                acc = acc + v;
            } else if (op == 1u) {
                acc = max_nan(acc, v);
            } else {
                var i = j;
                if (p.indexed == 1u) {
                    i = src_idx[at];
                }
                if (better(acc, acc_i, v, i)) {
                    acc = v;
                    acc_i = i;
                }
            }
        }
    }
    vals[lid] = acc;
    idxs[lid] = acc_i;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
            let w = vals[lid + s];
            if (op == 0u) {
                vals[lid] = vals[lid] + w;
            } else if (op == 1u) {
                vals[lid] = max_nan(vals[lid], w);
            } else if (better(vals[lid], idxs[lid], w, idxs[lid + s])) {
                vals[lid] = w;
                idxs[lid] = idxs[lid + s];
            }
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        dst[row * chunks + chunk] = vals[0];
        dst_idx[row * chunks + chunk] = idxs[0];
    }
}

// One invocation per row, folding it serially: for short rows, or many of them, where a
// workgroup per row leaves most of its 256 invocations idle and waits at eight barriers (a
// bias gradient, 512 rows of 128, took 15 ms that way on lavapipe). Neighbouring invocations
// read neighbouring rows, which for a sum over axis 0 are neighbouring elements. The op is
// tested once, outside the loop: a branch inside it would run every arm, masked, per element.
@compute @workgroup_size(ROWS_WG)
fn reduce_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
    let row = folded_index(wg, nwg, lid, ROWS_WG);
    if (row >= p.shape.len) {
        return;
    }
    let len = p.len;
    let op = p.op;
    let stride = p.axis_stride;
    var at = row_offset(row);
    var acc = 0.0;
    var acc_i = NO_INDEX;
    if (op == 0u) {
        for (var j = 0u; j < len; j = j + 1u) {
            acc = acc + src[at];
            at = at + stride;
        }
    } else if (op == 1u) {
        acc = neg_inf_f32();
        for (var j = 0u; j < len; j = j + 1u) {
            acc = max_nan(acc, src[at]);
            at = at + stride;
        }
    } else {
        acc = neg_inf_f32();
        let indexed = p.indexed == 1u;
        for (var j = 0u; j < len; j = j + 1u) {
            let v = src[at];
            var i = j;
            if (indexed) {
                i = src_idx[at];
            }
            if (better(acc, acc_i, v, i)) {
                acc = v;
                acc_i = i;
            }
            at = at + stride;
        }
    }
    dst[row] = acc;
    dst_idx[row] = acc_i;
}

// Softmax over the last axis, one invocation per row, stable: exp(x - max) / sum. Uses the row
// layout, len and axis_stride; the result is contiguous (R, L) in dst.
@compute @workgroup_size(ROWS_WG)
fn softmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let row = folded_index(wg, nwg, lid, ROWS_WG);
    if (row >= p.shape.len) {
        return;
    }
    let len = p.len;
    let base = row_offset(row);
    let stride = p.axis_stride;
    var m = src[base];
    for (var j = 1u; j < len; j = j + 1u) {
        m = max_nan(m, src[base + i32(j) * stride]);
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

// Softmax over the last axis for GPU hardware: one workgroup per row, its invocations reading
// neighbouring elements of the row (coalesced where the row is contiguous) and folding the
// maximum and the sum as trees in workgroup memory. Same result layout as `softmax`.
@compute @workgroup_size(ROWS_WG)
fn softmax_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let row = wg.y * nwg.x + wg.x;
    if (row >= p.shape.len) {
        return; // the same for the whole workgroup
    }
    let len = p.len;
    let base = row_offset(row);
    let stride = p.axis_stride;
    var m = neg_inf_f32();
    for (var j = lid; j < len; j = j + ROWS_WG) {
        m = max_nan(m, src[base + i32(j) * stride]);
    }
    vals[lid] = m;
    workgroupBarrier();
    for (var s = ROWS_WG / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
            vals[lid] = max_nan(vals[lid], vals[lid + s]);
        }
        workgroupBarrier();
    }
    m = vals[0];
    workgroupBarrier();
    var total = 0.0;
    for (var j = lid; j < len; j = j + ROWS_WG) {
        total = total + exp(src[base + i32(j) * stride] - m);
    }
    vals[lid] = total;
    workgroupBarrier();
    for (var s = ROWS_WG / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
            vals[lid] = vals[lid] + vals[lid + s];
        }
        workgroupBarrier();
    }
    total = vals[0];
    let out = row * len;
    for (var j = lid; j < len; j = j + ROWS_WG) {
        dst[out + j] = exp(src[base + i32(j) * stride] - m) / total;
    }
}
