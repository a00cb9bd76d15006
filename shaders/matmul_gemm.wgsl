// matmul_gemm: C = A · B for GPU hardware, one source for a family of tiles (BM x BN of C per
// workgroup, fixed when the launcher builds the pipeline: 128x128 and 64x64).
//
// Each workgroup of (BN/8) x (BM/8) invocations stages A and B through workgroup memory, BK = 8
// steps of K at a time, A stored K-major (As[k] holds the tile's BM rows at step k, as vec4s)
// and B row-major (Bs[k] its BN columns), so that every read in the inner loop is a vec4.
// Invocation (tx, ty) keeps 8x8 results in registers: rows 4ty..4ty+4 and BM/2 + 4ty.., columns
// 4tx..4tx+4 and BN/2 + 4tx..; per step along K it reads 4 vec4s (A's 8 rows, B's 8 columns) for
// 64 multiply-adds. Spacing an invocation's two column groups BN/2 apart makes neighbouring
// invocations read neighbouring vec4s of Bs, and the invocations of a row of the workgroup read
// one vec4 of As together (a broadcast): no bank conflicts, so As needs no padding.
//
// Global loads: each invocation loads its share of the next tile into registers while it
// computes on the current one (register prefetch), then stores them after a barrier. Where an
// operand's layout allows (the launcher checks: the axis contiguous, its length, row stride and
// offsets multiples of 4), a load is one vec4 along the contiguous axis (A_VEC, B_VEC): along K
// for A stored row-major, along M for A stored transposed (x^T in a weight gradient), along N for
// B row-major, along K for B transposed (W^T in dy · W^T). Otherwise four scalar loads through
// the strides. Loads past the edges read zeros, which add nothing.
//
// Split-K (SPLIT_K, p.splits slices), for products whose tiles cannot fill the device:
// workgroup z = slice x batch sums K's slice only, into `partial`, and `matmul_split_sum` adds
// the slices in order and stores C through the epilogue. Its results may differ from one pass's in
// the last bits: each slice's sum is rounded before the slices are added.
//
// Without split-K every element of C is one accumulator stepping along K in order with fma, as
// in every matmul kernel, so all give the same bits.
//
// The parameter block, a, b, c, bias, the epilogue and store4: shaders/matmul_common.wgsl.

override BM: u32 = 128u;
override BN: u32 = 128u;
// 0: scalar loads through the strides; 1: vec4s along A's rows (K); 2: along its columns (M).
override A_VEC: u32 = 0u;
// 0: scalar loads; 1: vec4s along B's rows (N); 2: along its columns (K).
override B_VEC: u32 = 0u;
// 1: this launch is one of split-K (p.splits slices).
override SPLIT_K: u32 = 0u;
const BK: u32 = 8u;

@group(0) @binding(7) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> partial: array<f32>;

// The tiles, sized for the largest tile: a 64x64 workgroup uses the first half.
var<workgroup> As: array<vec4<f32>, 256>; // BK x 128 floats, As[k * BM/4 + m/4][m % 4]
var<workgroup> Bs: array<vec4<f32>, 256>; // BK x 128 floats, Bs[k * BN/4 + n/4][n % 4]

// The operands' loads of one tile: each invocation loads chunk `lid + j * threads` of A's and
// of B's BM*BK/4 (BN*BK/4) chunks of 4 values, j < BM*BK/4/threads = 512/BN (512/BM).
struct Loads {
    a0: vec4<f32>,
    a1: vec4<f32>,
    b0: vec4<f32>,
    b1: vec4<f32>,
}

fn a_at(ao: i32, m: u32, k: u32) -> f32 {
    if (m < p.m && k < p.k) {
        return a[ao + i32(m) * p.a_row_stride + i32(k) * p.a_col_stride];
    }
    return 0.0;
}

fn b_at(bo: i32, k: u32, n: u32) -> f32 {
    if (k < p.k && n < p.n) {
        return b[bo + i32(k) * p.b_row_stride + i32(n) * p.b_col_stride];
    }
    return 0.0;
}

// Chunk i of A's tile at (row0, k0): 4 values along K (A_VEC 0 or 1) or along M (A_VEC 2).
fn load_a(ao: i32, row0: u32, k0: u32, i: u32) -> vec4<f32> {
    if (A_VEC == 2u) {
        let k = k0 + i / (BM / 4u);
        let m = row0 + (i % (BM / 4u)) * 4u;
        if (k < p.k && m < p.m) {
            return a4[(ao + i32(m) + i32(k) * p.a_col_stride) / 4];
        }
        return vec4<f32>(0.0);
    }
    let m = row0 + i / (BK / 4u);
    let k = k0 + (i % (BK / 4u)) * 4u;
    if (A_VEC == 1u) {
        if (m < p.m && k < p.k) {
            return a4[(ao + i32(m) * p.a_row_stride + i32(k)) / 4];
        }
        return vec4<f32>(0.0);
    }
    return vec4<f32>(a_at(ao, m, k), a_at(ao, m, k + 1u), a_at(ao, m, k + 2u), a_at(ao, m, k + 3u));
}

fn store_a(i: u32, v: vec4<f32>) {
    if (A_VEC == 2u) {
        As[(i / (BM / 4u)) * (BM / 4u) + i % (BM / 4u)] = v;
        return;
    }
    let m = i / (BK / 4u);
    let k = (i % (BK / 4u)) * 4u;
    As[k * (BM / 4u) + m / 4u][m % 4u] = v.x;
    As[(k + 1u) * (BM / 4u) + m / 4u][m % 4u] = v.y;
    As[(k + 2u) * (BM / 4u) + m / 4u][m % 4u] = v.z;
    As[(k + 3u) * (BM / 4u) + m / 4u][m % 4u] = v.w;
}

// Chunk i of B's tile at (k0, col0): 4 values along N (B_VEC 0 or 1) or along K (B_VEC 2).
fn load_b(bo: i32, k0: u32, col0: u32, i: u32) -> vec4<f32> {
    if (B_VEC == 2u) {
        let n = col0 + i / (BK / 4u);
        let k = k0 + (i % (BK / 4u)) * 4u;
        if (k < p.k && n < p.n) {
            return b4[(bo + i32(k) + i32(n) * p.b_col_stride) / 4];
        }
        return vec4<f32>(0.0);
    }
    let k = k0 + i / (BN / 4u);
    let n = col0 + (i % (BN / 4u)) * 4u;
    if (B_VEC == 1u) {
        if (k < p.k && n < p.n) {
            return b4[(bo + i32(k) * p.b_row_stride + i32(n)) / 4];
        }
        return vec4<f32>(0.0);
    }
    return vec4<f32>(b_at(bo, k, n), b_at(bo, k, n + 1u), b_at(bo, k, n + 2u), b_at(bo, k, n + 3u));
}

fn store_b(i: u32, v: vec4<f32>) {
    if (B_VEC == 2u) {
        let n = i / (BK / 4u);
        let k = (i % (BK / 4u)) * 4u;
        Bs[k * (BN / 4u) + n / 4u][n % 4u] = v.x;
        Bs[(k + 1u) * (BN / 4u) + n / 4u][n % 4u] = v.y;
        Bs[(k + 2u) * (BN / 4u) + n / 4u][n % 4u] = v.z;
        Bs[(k + 3u) * (BN / 4u) + n / 4u][n % 4u] = v.w;
        return;
    }
    Bs[i] = v;
}

fn load(ao: i32, bo: i32, row0: u32, col0: u32, k0: u32, lid: u32) -> Loads {
    let threads = (BM / 8u) * (BN / 8u);
    var l: Loads;
    l.a0 = load_a(ao, row0, k0, lid);
    l.b0 = load_b(bo, k0, col0, lid);
    // A 64-row or 64-column tile has twice as many chunks per invocation.
    if (BN == 64u) {
        l.a1 = load_a(ao, row0, k0, lid + threads);
    }
    if (BM == 64u) {
        l.b1 = load_b(bo, k0, col0, lid + threads);
    }
    return l;
}

fn store(l: Loads, lid: u32) {
    let threads = (BM / 8u) * (BN / 8u);
    store_a(lid, l.a0);
    store_b(lid, l.b0);
    if (BN == 64u) {
        store_a(lid + threads, l.a1);
    }
    if (BM == 64u) {
        store_b(lid + threads, l.b1);
    }
}

@compute @workgroup_size(BN / 8u, BM / 8u, 1)
fn matmul_gemm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
    let tx = lid3.x;
    let ty = lid3.y;
    let lid = ty * (BN / 8u) + tx;
    // z runs over the batches of this dispatch, and over K's slices when split.
    let z = wg.z % p.batches;
    let slice = wg.z / p.batches;
    let ao = a_offset(z);
    let bo = b_offset(z);
    let row0 = wg.y * BM;
    let col0 = wg.x * BN;
    let k_begin = slice * p.k_per_split;
    let k_end = min(p.k, k_begin + p.k_per_split);
    // c<r><h>: row r of the invocation's 8 (rows 4ty + r, then BM/2 + 4ty + r - 4), columns
    // 4tx.. (h = 0) or BN/2 + 4tx.. (h = 1). Named, not an array: an array indexed in a loop may
    // live in memory on some compilers.
    var c00 = vec4<f32>(0.0); var c01 = vec4<f32>(0.0);
    var c10 = vec4<f32>(0.0); var c11 = vec4<f32>(0.0);
    var c20 = vec4<f32>(0.0); var c21 = vec4<f32>(0.0);
    var c30 = vec4<f32>(0.0); var c31 = vec4<f32>(0.0);
    var c40 = vec4<f32>(0.0); var c41 = vec4<f32>(0.0);
    var c50 = vec4<f32>(0.0); var c51 = vec4<f32>(0.0);
    var c60 = vec4<f32>(0.0); var c61 = vec4<f32>(0.0);
    var c70 = vec4<f32>(0.0); var c71 = vec4<f32>(0.0);
    var next = load(ao, bo, row0, col0, k_begin, lid);
    for (var k0 = k_begin; k0 < k_end; k0 = k0 + BK) {
        workgroupBarrier();
        store(next, lid);
        workgroupBarrier();
        if (k0 + BK < k_end) {
            next = load(ao, bo, row0, col0, k0 + BK, lid);
        }
        // The last tile of a slice may reach into the next slice's K: those steps are cut off
        // here (past K itself the tile holds zeros).
        let steps = min(BK, k_end - k0);
        for (var k = 0u; k < steps; k = k + 1u) {
            let a0 = As[k * (BM / 4u) + ty];
            let a1 = As[k * (BM / 4u) + BM / 8u + ty];
            let b0 = Bs[k * (BN / 4u) + tx];
            let b1 = Bs[k * (BN / 4u) + BN / 8u + tx];
            c00 = fma(vec4<f32>(a0.x), b0, c00); c01 = fma(vec4<f32>(a0.x), b1, c01);
            c10 = fma(vec4<f32>(a0.y), b0, c10); c11 = fma(vec4<f32>(a0.y), b1, c11);
            c20 = fma(vec4<f32>(a0.z), b0, c20); c21 = fma(vec4<f32>(a0.z), b1, c21);
            c30 = fma(vec4<f32>(a0.w), b0, c30); c31 = fma(vec4<f32>(a0.w), b1, c31);
            c40 = fma(vec4<f32>(a1.x), b0, c40); c41 = fma(vec4<f32>(a1.x), b1, c41);
            c50 = fma(vec4<f32>(a1.y), b0, c50); c51 = fma(vec4<f32>(a1.y), b1, c51);
            c60 = fma(vec4<f32>(a1.z), b0, c60); c61 = fma(vec4<f32>(a1.z), b1, c61);
            c70 = fma(vec4<f32>(a1.w), b0, c70); c71 = fma(vec4<f32>(a1.w), b1, c71);
        }
    }
    let r0 = row0 + 4u * ty;
    let r1 = row0 + BM / 2u + 4u * ty;
    let col = col0 + 4u * tx;
    let col1 = col0 + BN / 2u + 4u * tx;
    let batch = p.first_batch + z;
    if (SPLIT_K == 1u) {
        // This slice's sums, row-major per (slice, batch).
        let base = (slice * p.batches_total + batch) * p.m * p.n;
        store_partial(base, r0, col, c00); store_partial(base, r0, col1, c01);
        store_partial(base, r0 + 1u, col, c10); store_partial(base, r0 + 1u, col1, c11);
        store_partial(base, r0 + 2u, col, c20); store_partial(base, r0 + 2u, col1, c21);
        store_partial(base, r0 + 3u, col, c30); store_partial(base, r0 + 3u, col1, c31);
        store_partial(base, r1, col, c40); store_partial(base, r1, col1, c41);
        store_partial(base, r1 + 1u, col, c50); store_partial(base, r1 + 1u, col1, c51);
        store_partial(base, r1 + 2u, col, c60); store_partial(base, r1 + 2u, col1, c61);
        store_partial(base, r1 + 3u, col, c70); store_partial(base, r1 + 3u, col1, c71);
        return;
    }
    let base = batch * p.m * p.n;
    let bias0 = column_bias4(col);
    let bias1 = column_bias4(col1);
    store4(base, r0, col, c00, bias0); store4(base, r0, col1, c01, bias1);
    store4(base, r0 + 1u, col, c10, bias0); store4(base, r0 + 1u, col1, c11, bias1);
    store4(base, r0 + 2u, col, c20, bias0); store4(base, r0 + 2u, col1, c21, bias1);
    store4(base, r0 + 3u, col, c30, bias0); store4(base, r0 + 3u, col1, c31, bias1);
    store4(base, r1, col, c40, bias0); store4(base, r1, col1, c41, bias1);
    store4(base, r1 + 1u, col, c50, bias0); store4(base, r1 + 1u, col1, c51, bias1);
    store4(base, r1 + 2u, col, c60, bias0); store4(base, r1 + 2u, col1, c61, bias1);
    store4(base, r1 + 3u, col, c70, bias0); store4(base, r1 + 3u, col1, c71, bias1);
}

fn store_partial(base: u32, r: u32, col: u32, v: vec4<f32>) {
    if (r >= p.m) {
        return;
    }
    for (var j = 0u; j < 4u; j = j + 1u) {
        if (col + j < p.n) {
            partial[base + r * p.n + col + j] = v[j];
        }
    }
}

const SUM_WG: u32 = 256u;

// Adds the slices of each element of C in order and stores it through the epilogue: one
// invocation per element of the dispatch's batches.
@compute @workgroup_size(SUM_WG)
fn matmul_split_sum(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, SUM_WG);
    let per = p.m * p.n;
    if (i >= per * p.batches) {
        return;
    }
    let batch = p.first_batch + i / per;
    let e = i % per;
    var s = 0.0;
    for (var slice = 0u; slice < p.splits; slice = slice + 1u) {
        s = s + partial[(slice * p.batches_total + batch) * per + e];
    }
    let r = e / p.n;
    let col = e % p.n;
    c[batch * per + r * p.c_row_stride + col * p.c_col_stride] = epilogue(s, r, col);
}
