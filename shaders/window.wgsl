// Windows over contiguous NHWC images: the patches a convolution multiplies (im2col), their
// gradient gathered back onto the image (col2im), and max-pooling with its gradient. Every
// kernel gathers: an invocation per element it writes, so no two invocations write one place
// (WGSL has no float atomics). Sums run in the order of src/cpu/window.rs, which scatters:
// increasing output position.
//
// WindowParams mirrors src/gpu/window.rs: n images of in_h x in_w x c, a k_h x k_w window moved
// by s_h, s_w, out_h x out_w positions, pad_top rows and pad_left columns of padding before.

struct WindowParams {
    n: u32,
    c: u32,
    in_h: u32,
    in_w: u32,
    k_h: u32,
    k_w: u32,
    s_h: u32,
    s_w: u32,
    out_h: u32,
    out_w: u32,
    pad_top: u32,
    pad_left: u32,
}

@group(0) @binding(0) var<uniform> p: WindowParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> src_at: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst_at: array<u32>;

const WG: u32 = 256u;

// The input row of output row `o` at window row `k`, or 0xffffffff past the edge.
fn in_row(o: u32, k: u32) -> u32 {
    let r = o * p.s_h + k;
    if (r < p.pad_top || r - p.pad_top >= p.in_h) {
        return 0xffffffffu;
    }
    return r - p.pad_top;
}

fn in_col(o: u32, k: u32) -> u32 {
    let r = o * p.s_w + k;
    if (r < p.pad_left || r - p.pad_left >= p.in_w) {
        return 0xffffffffu;
    }
    return r - p.pad_left;
}

// The outputs [x, y) along one axis whose window covers input position `at`: those with
// o * stride <= at + pad < o * stride + k. Two divisions instead of a test per window position.
fn rows_covering(at: u32, pad: u32, k: u32, stride: u32, out: u32) -> vec2<u32> {
    let padded = at + pad;
    var first = 0u;
    if (padded >= k) {
        first = (padded - k) / stride + 1u;
    }
    let last = min(padded / stride + 1u, out);
    return vec2<u32>(first, max(first, last));
}

// Patch entry i: row (img, oh, ow), column (kh, kw, ch).
@compute @workgroup_size(WG)
fn im2col(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    let row_len = p.k_h * p.k_w * p.c;
    if (i >= p.n * p.out_h * p.out_w * row_len) {
        return;
    }
    let col = i % row_len;
    let row = i / row_len;
    let ch = col % p.c;
    let kw = (col / p.c) % p.k_w;
    let kh = col / (p.c * p.k_w);
    let ow = row % p.out_w;
    let oh = (row / p.out_w) % p.out_h;
    let img = row / (p.out_w * p.out_h);
    let ih = in_row(oh, kh);
    let iw = in_col(ow, kw);
    var v = 0.0;
    if (ih != 0xffffffffu && iw != 0xffffffffu) {
        v = src[((img * p.in_h + ih) * p.in_w + iw) * p.c + ch];
    }
    dst[i] = v;
}

// Image element i gathers the patch entries it was copied to (src: the patches' gradient).
@compute @workgroup_size(WG)
fn col2im(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.n * p.in_h * p.in_w * p.c) {
        return;
    }
    let ch = i % p.c;
    let x = (i / p.c) % p.in_w;
    let h = (i / (p.c * p.in_w)) % p.in_h;
    let img = i / (p.c * p.in_w * p.in_h);
    let row_len = p.k_h * p.k_w * p.c;
    var sum = 0.0;
    let hr = rows_covering(h, p.pad_top, p.k_h, p.s_h, p.out_h);
    let wr = rows_covering(x, p.pad_left, p.k_w, p.s_w, p.out_w);
    for (var oh = hr.x; oh < hr.y; oh = oh + 1u) {
        let kh = h + p.pad_top - oh * p.s_h;
        for (var ow = wr.x; ow < wr.y; ow = ow + 1u) {
            let kw = x + p.pad_left - ow * p.s_w;
            sum = sum + src[((img * p.out_h + oh) * p.out_w + ow) * row_len + (kh * p.k_w + kw) * p.c + ch];
        }
    }
    dst[i] = sum;
}

// Output element i of max-pooling: the window's largest value (NaN above every number, the
// first among equals) and where it is in its image (row * in_w + column). Padding is ignored.
@compute @workgroup_size(WG)
fn max_pool(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.n * p.out_h * p.out_w * p.c) {
        return;
    }
    let ch = i % p.c;
    let ow = (i / p.c) % p.out_w;
    let oh = (i / (p.c * p.out_w)) % p.out_h;
    let img = i / (p.c * p.out_w * p.out_h);
    var best = neg_inf_f32();
    var best_at = 0xffffffffu;
    for (var kh = 0u; kh < p.k_h; kh = kh + 1u) {
        let ih = in_row(oh, kh);
        if (ih == 0xffffffffu) {
            continue;
        }
        for (var kw = 0u; kw < p.k_w; kw = kw + 1u) {
            let iw = in_col(ow, kw);
            if (iw == 0xffffffffu) {
                continue;
            }
            let v = src[((img * p.in_h + ih) * p.in_w + iw) * p.c + ch];
            let take = best_at == 0xffffffffu || (!is_nan(best) && (is_nan(v) || v > best));
            if (take) {
                best = v;
                best_at = ih * p.in_w + iw;
            }
        }
    }
    dst[i] = best;
    dst_at[i] = select(best_at, 0u, best_at == 0xffffffffu);
}

// Image element i gathers the output gradients (src) of the windows whose maximum (src_at) it
// was.
@compute @workgroup_size(WG)
fn max_pool_backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.n * p.in_h * p.in_w * p.c) {
        return;
    }
    let ch = i % p.c;
    let x = (i / p.c) % p.in_w;
    let h = (i / (p.c * p.in_w)) % p.in_h;
    let img = i / (p.c * p.in_w * p.in_h);
    let here = h * p.in_w + x;
    var sum = 0.0;
    let hr = rows_covering(h, p.pad_top, p.k_h, p.s_h, p.out_h);
    let wr = rows_covering(x, p.pad_left, p.k_w, p.s_w, p.out_w);
    for (var oh = hr.x; oh < hr.y; oh = oh + 1u) {
        for (var ow = wr.x; ow < wr.y; ow = ow + 1u) {
            let o = ((img * p.out_h + oh) * p.out_w + ow) * p.c + ch;
            if (src_at[o] == here) {
                sum = sum + src[o];
            }
        }
    }
    dst[i] = sum;
}
