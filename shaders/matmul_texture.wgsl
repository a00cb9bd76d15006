// matmul_texture: for CPU-emulated adapters, with both operands first put into rgba32float
// textures and read as read-only storage textures. On lavapipe (Mesa 22.3) a storage-buffer
// load compiles to a loop over the 8 SIMD lanes and a sampled `textureLoad` to a call of a
// fetch function, around which every vector register is saved and restored; an image load of
// a storage texture is inline, a few instructions per lane. So before each product A and B go
// into textures, and the product reads nothing else.
//
// An operand texture holds a matrix X as texels of 4 floats along its rows: X[r, 4i .. 4i+4]
// is texel r * pitch + i, counting along the texture's rows, which are a power of two of
// texels wide (so finding a texel takes a mask and a shift). That lets the launcher fill it
// with a plain buffer copy of X's storage (pitch = X's row stride / 4) wherever X's rows are
// contiguous and start on whole texels, which costs a small fraction of a pack kernel's
// texture stores; elsewhere a pack kernel below writes row r of X to texture row r.
//   B: X = B, rows along K: texel (k, i) holds B[k, 4i .. 4i+4].
//   A, matmul_texture: X = A^T ("by columns"), texel (k, i) holds A[4i .. 4i+4, k].
//   A, matmul_texture_rows: X = A ("by rows"), texel (m, i) holds A[m, 4i .. 4i+4]; the
//   launcher takes it where A's rows, not its columns, can be copied.
// An 8-lane workgroup owns a 16 x 32 block of C, each lane 16 rows x 4 columns: 16 vec4
// accumulators, few enough that the compiler keeps most of them in registers. Per 8 steps
// along K each lane reads four A texels and the eight B texels of its columns, and the A
// values reach the other lanes by subgroupBroadcast. Each accumulator sums along K in order,
// as every matmul kernel does, so all give the same bits.
//
// The parameter block (m, n, k, a_pitch, a_shift, b_pitch, b_shift, C's strides and the
// epilogue), c, the epilogue and store4: shaders/matmul_common.wgsl. One matrix per dispatch:
// the launcher sends batches to the subgroup kernel. The pack kernels that fill the textures
// where a copy cannot: shaders/matmul_pack.wgsl.

@group(0) @binding(5) var at: texture_storage_2d<rgba32float, read>;
@group(0) @binding(6) var bt: texture_storage_2d<rgba32float, read>;

// The A values of one row of the block at 8 successive steps along K, the same in every lane.
struct Steps {
    s0: f32, s1: f32, s2: f32, s3: f32, s4: f32, s5: f32, s6: f32, s7: f32,
}

// The B texels of a lane's 4 columns at 8 successive steps along K.
struct B8 {
    b0: vec4<f32>, b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32>,
    b4: vec4<f32>, b5: vec4<f32>, b6: vec4<f32>, b7: vec4<f32>,
}

// Eight steps along K for one accumulator.
fn steps8(acc: vec4<f32>, a: Steps, b: B8) -> vec4<f32> {
    var s = fma(vec4<f32>(a.s0), b.b0, acc);
    s = fma(vec4<f32>(a.s1), b.b1, s);
    s = fma(vec4<f32>(a.s2), b.b2, s);
    s = fma(vec4<f32>(a.s3), b.b3, s);
    s = fma(vec4<f32>(a.s4), b.b4, s);
    s = fma(vec4<f32>(a.s5), b.b5, s);
    s = fma(vec4<f32>(a.s6), b.b6, s);
    return fma(vec4<f32>(a.s7), b.b7, s);
}

// A stored by columns: lane u holds the row's value at step u.
fn from_lanes(x: f32) -> Steps {
    return Steps(subgroupBroadcast(x, 0u), subgroupBroadcast(x, 1u), subgroupBroadcast(x, 2u),
        subgroupBroadcast(x, 3u), subgroupBroadcast(x, 4u), subgroupBroadcast(x, 5u),
        subgroupBroadcast(x, 6u), subgroupBroadcast(x, 7u));
}

// A stored by rows: lanes 2p and 2p + 1 hold the row's steps 0-3 and 4-7 as one texel each.
// (subgroupBroadcast takes a constant lane, hence one function per pair.)
fn from_pair0(t: vec4<f32>) -> Steps {
    return Steps(subgroupBroadcast(t.x, 0u), subgroupBroadcast(t.y, 0u), subgroupBroadcast(t.z, 0u),
        subgroupBroadcast(t.w, 0u), subgroupBroadcast(t.x, 1u), subgroupBroadcast(t.y, 1u),
        subgroupBroadcast(t.z, 1u), subgroupBroadcast(t.w, 1u));
}

fn from_pair1(t: vec4<f32>) -> Steps {
    return Steps(subgroupBroadcast(t.x, 2u), subgroupBroadcast(t.y, 2u), subgroupBroadcast(t.z, 2u),
        subgroupBroadcast(t.w, 2u), subgroupBroadcast(t.x, 3u), subgroupBroadcast(t.y, 3u),
        subgroupBroadcast(t.z, 3u), subgroupBroadcast(t.w, 3u));
}

fn from_pair2(t: vec4<f32>) -> Steps {
    return Steps(subgroupBroadcast(t.x, 4u), subgroupBroadcast(t.y, 4u), subgroupBroadcast(t.z, 4u),
        subgroupBroadcast(t.w, 4u), subgroupBroadcast(t.x, 5u), subgroupBroadcast(t.y, 5u),
        subgroupBroadcast(t.z, 5u), subgroupBroadcast(t.w, 5u));
}

fn from_pair3(t: vec4<f32>) -> Steps {
    return Steps(subgroupBroadcast(t.x, 6u), subgroupBroadcast(t.y, 6u), subgroupBroadcast(t.z, 6u),
        subgroupBroadcast(t.w, 6u), subgroupBroadcast(t.x, 7u), subgroupBroadcast(t.y, 7u),
        subgroupBroadcast(t.z, 7u), subgroupBroadcast(t.w, 7u));
}

// Texel i of an operand, counting along the texture's rows, which are 2^a_shift (A) or
// 2^b_shift (B) texels wide.
fn a_texel(i: u32) -> vec4<f32> {
    let shift = p.a_shift;
    return textureLoad(at, vec2<u32>(i & ((1u << shift) - 1u), i >> shift));
}

fn b_texel(i: u32) -> vec4<f32> {
    let shift = p.b_shift;
    return textureLoad(bt, vec2<u32>(i & ((1u << shift) - 1u), i >> shift));
}

@compute @workgroup_size(8, 1, 1)
fn matmul_texture(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    block(false, wg, lid.x);
}

@compute @workgroup_size(8, 1, 1)
fn matmul_texture_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    block(true, wg, lid.x);
}

// One 16 x 32 block of C. `a_rows` (a constant in each entry point, so the compiler drops the
// other branch): A is stored by rows, else by columns.
fn block(a_rows: bool, wg: vec3<u32>, lane: u32) {
    let m = p.m;
    let n = p.n;
    let k = p.k;
    let a_pitch = p.a_pitch;
    let b_pitch = p.b_pitch;
    let row0 = wg.y * 16u;
    let col = wg.x * 32u + 4u * lane;
    // Rows and columns past the edge are clamped to the last one: they are read but never
    // stored, so the K loop has no bounds checks. ai0 .. ai3 are the lane's A texels at step 0,
    // and a_step how far they move per 8 steps: by columns, texel (4 rows from row0 + 4j, step
    // `lane`); by rows, texel (steps 4h .. 4h + 4, row row0 + 4p + j) for lane 2p + h.
    var ai0: u32;
    var ai1: u32;
    var ai2: u32;
    var ai3: u32;
    var a_step: u32;
    if (a_rows) {
        let first = row0 + 4u * (lane / 2u);
        let h = lane % 2u;
        ai0 = h + min(first, m - 1u) * a_pitch;
        ai1 = h + min(first + 1u, m - 1u) * a_pitch;
        ai2 = h + min(first + 2u, m - 1u) * a_pitch;
        ai3 = h + min(first + 3u, m - 1u) * a_pitch;
        a_step = 2u;
    } else {
        let a_last = (m + 3u) / 4u - 1u;
        let h = lane * a_pitch;
        ai0 = h + min(row0 / 4u, a_last);
        ai1 = h + min(row0 / 4u + 1u, a_last);
        ai2 = h + min(row0 / 4u + 2u, a_last);
        ai3 = h + min(row0 / 4u + 3u, a_last);
        a_step = 8u * a_pitch;
    }
    var bi = min(col / 4u, (n + 3u) / 4u - 1u);
    // The accumulators are named, not an array: gallivm keeps an array indexed in a loop in
    // memory, with a masked store per lane.
    var c0 = vec4<f32>(0.0);
    var c1 = vec4<f32>(0.0);
    var c2 = vec4<f32>(0.0);
    var c3 = vec4<f32>(0.0);
    var c4 = vec4<f32>(0.0);
    var c5 = vec4<f32>(0.0);
    var c6 = vec4<f32>(0.0);
    var c7 = vec4<f32>(0.0);
    var c8 = vec4<f32>(0.0);
    var c9 = vec4<f32>(0.0);
    var c10 = vec4<f32>(0.0);
    var c11 = vec4<f32>(0.0);
    var c12 = vec4<f32>(0.0);
    var c13 = vec4<f32>(0.0);
    var c14 = vec4<f32>(0.0);
    var c15 = vec4<f32>(0.0);
    // The reads of each 8 steps come first and the multiply-adds after them, one accumulator
    // at a time, so that each accumulator is loaded and stored once per 8 steps where
    // registers run out.
    let k8 = k - k % 8u;
    for (var kb = 0u; kb < k8; kb = kb + 8u) {
        let a0 = a_texel(ai0);
        let a1 = a_texel(ai1);
        let a2 = a_texel(ai2);
        let a3 = a_texel(ai3);
        ai0 = ai0 + a_step;
        ai1 = ai1 + a_step;
        ai2 = ai2 + a_step;
        ai3 = ai3 + a_step;
        let b = B8(b_texel(bi), b_texel(bi + b_pitch), b_texel(bi + 2u * b_pitch),
            b_texel(bi + 3u * b_pitch), b_texel(bi + 4u * b_pitch), b_texel(bi + 5u * b_pitch),
            b_texel(bi + 6u * b_pitch), b_texel(bi + 7u * b_pitch));
        bi = bi + 8u * b_pitch;
        if (a_rows) {
            c0 = steps8(c0, from_pair0(a0), b);
            c1 = steps8(c1, from_pair0(a1), b);
            c2 = steps8(c2, from_pair0(a2), b);
            c3 = steps8(c3, from_pair0(a3), b);
            c4 = steps8(c4, from_pair1(a0), b);
            c5 = steps8(c5, from_pair1(a1), b);
            c6 = steps8(c6, from_pair1(a2), b);
            c7 = steps8(c7, from_pair1(a3), b);
            c8 = steps8(c8, from_pair2(a0), b);
            c9 = steps8(c9, from_pair2(a1), b);
            c10 = steps8(c10, from_pair2(a2), b);
            c11 = steps8(c11, from_pair2(a3), b);
            c12 = steps8(c12, from_pair3(a0), b);
            c13 = steps8(c13, from_pair3(a1), b);
            c14 = steps8(c14, from_pair3(a2), b);
            c15 = steps8(c15, from_pair3(a3), b);
        } else {
            c0 = steps8(c0, from_lanes(a0.x), b);
            c1 = steps8(c1, from_lanes(a0.y), b);
            c2 = steps8(c2, from_lanes(a0.z), b);
            c3 = steps8(c3, from_lanes(a0.w), b);
            c4 = steps8(c4, from_lanes(a1.x), b);
            c5 = steps8(c5, from_lanes(a1.y), b);
            c6 = steps8(c6, from_lanes(a1.z), b);
            c7 = steps8(c7, from_lanes(a1.w), b);
            c8 = steps8(c8, from_lanes(a2.x), b);
            c9 = steps8(c9, from_lanes(a2.y), b);
            c10 = steps8(c10, from_lanes(a2.z), b);
            c11 = steps8(c11, from_lanes(a2.w), b);
            c12 = steps8(c12, from_lanes(a3.x), b);
            c13 = steps8(c13, from_lanes(a3.y), b);
            c14 = steps8(c14, from_lanes(a3.z), b);
            c15 = steps8(c15, from_lanes(a3.w), b);
        }
    }
    // The last K % 8 steps, one at a time, every lane reading the same A values: 16 of them
    // (one texel per row) by rows, four texels by columns.
    for (var kk = k8; kk < k; kk = kk + 1u) {
        var a: array<f32, 16>;
        if (a_rows) {
            for (var r = 0u; r < 16u; r = r + 1u) {
                a[r] = a_texel(min(row0 + r, m - 1u) * a_pitch + kk / 4u)[kk % 4u];
            }
        } else {
            let a_last = (m + 3u) / 4u - 1u;
            for (var j = 0u; j < 4u; j = j + 1u) {
                let t = a_texel(kk * a_pitch + min(row0 / 4u + j, a_last));
                a[4u * j] = t.x;
                a[4u * j + 1u] = t.y;
                a[4u * j + 2u] = t.z;
                a[4u * j + 3u] = t.w;
            }
        }
        let b = b_texel(bi);
        bi = bi + b_pitch;
        c0 = fma(vec4<f32>(a[0]), b, c0);
        c1 = fma(vec4<f32>(a[1]), b, c1);
        c2 = fma(vec4<f32>(a[2]), b, c2);
        c3 = fma(vec4<f32>(a[3]), b, c3);
        c4 = fma(vec4<f32>(a[4]), b, c4);
        c5 = fma(vec4<f32>(a[5]), b, c5);
        c6 = fma(vec4<f32>(a[6]), b, c6);
        c7 = fma(vec4<f32>(a[7]), b, c7);
        c8 = fma(vec4<f32>(a[8]), b, c8);
        c9 = fma(vec4<f32>(a[9]), b, c9);
        c10 = fma(vec4<f32>(a[10]), b, c10);
        c11 = fma(vec4<f32>(a[11]), b, c11);
        c12 = fma(vec4<f32>(a[12]), b, c12);
        c13 = fma(vec4<f32>(a[13]), b, c13);
        c14 = fma(vec4<f32>(a[14]), b, c14);
        c15 = fma(vec4<f32>(a[15]), b, c15);
    }
    let col_bias = column_bias4(col);
    store4(0u, row0 + 0u, col, c0, col_bias);
    store4(0u, row0 + 1u, col, c1, col_bias);
    store4(0u, row0 + 2u, col, c2, col_bias);
    store4(0u, row0 + 3u, col, c3, col_bias);
    store4(0u, row0 + 4u, col, c4, col_bias);
    store4(0u, row0 + 5u, col, c5, col_bias);
    store4(0u, row0 + 6u, col, c6, col_bias);
    store4(0u, row0 + 7u, col, c7, col_bias);
    store4(0u, row0 + 8u, col, c8, col_bias);
    store4(0u, row0 + 9u, col, c9, col_bias);
    store4(0u, row0 + 10u, col, c10, col_bias);
    store4(0u, row0 + 11u, col, c11, col_bias);
    store4(0u, row0 + 12u, col, c12, col_bias);
    store4(0u, row0 + 13u, col, c13, col_bias);
    store4(0u, row0 + 14u, col, c14, col_bias);
    store4(0u, row0 + 15u, col, c15, col_bias);
}
