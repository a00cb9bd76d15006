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
// info (binding 0), u32:
//   [0] R  [1] L  [2] chunks per row  [3] op (0 sum, 1 max, 2 argmax)  [4] axis stride (i32)
//   [5] 1 when src_idx holds indices from an earlier pass   [6..8) unused
//   [8] rank of the row layout, [9 .. 9+rank) its shape, then its offset and strides (i32)

// info(i), the parameter block at binding 0, and folded_index: shaders/prelude.wgsl.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> src_idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst_idx: array<u32>;

const WG: u32 = 256u;
const PER: u32 = 16u;
const NO_INDEX: u32 = 0xffffffffu;

var<workgroup> vals: array<f32, 256>;
var<workgroup> idxs: array<u32, 256>;

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

// Argmax keeps the first index among equal maxima, as NumPy does.
fn better(v: f32, i: u32, w: f32, j: u32) -> bool {
    return w > v || (w == v && j < i);
}

@compute @workgroup_size(256)
fn reduce(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let rows = info(0);
    let len = info(1);
    let chunks = info(2);
    let op = info(3);
    let id = wg.y * nwg.x + wg.x;
    let row = id / chunks;
    let chunk = id % chunks;
    if (row >= rows) {
        return; // uniform for the whole workgroup
    }
    let base = row_offset(row);
    let stride = bitcast<i32>(info(4));
    var acc = 0.0;
    if (op != 0u) {
        acc = bitcast<f32>(0xff800000u); // -inf, the identity of max
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
                acc = max(acc, v);
            } else {
                var i = j;
                if (info(5) == 1u) {
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
                vals[lid] = max(vals[lid], w);
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
@compute @workgroup_size(64)
fn reduce_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
    let row = folded_index(wg, nwg, lid, 64u);
    if (row >= info(0)) {
        return;
    }
    let len = info(1);
    let op = info(3);
    let stride = bitcast<i32>(info(4));
    var at = row_offset(row);
    var acc = 0.0;
    var acc_i = NO_INDEX;
    if (op == 0u) {
        for (var j = 0u; j < len; j = j + 1u) {
            acc = acc + src[at];
            at = at + stride;
        }
    } else if (op == 1u) {
        acc = bitcast<f32>(0xff800000u);
        for (var j = 0u; j < len; j = j + 1u) {
            acc = max(acc, src[at]);
            at = at + stride;
        }
    } else {
        acc = bitcast<f32>(0xff800000u);
        let indexed = info(5) == 1u;
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

// Softmax over the last axis, one invocation per row, stable: exp(x - max) / sum. Uses words
// [0], [1], [4] and the row layout; the result is contiguous (R, L) in dst.
@compute @workgroup_size(64)
fn softmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let row = folded_index(wg, nwg, lid, 64u);
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
