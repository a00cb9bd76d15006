// Batched matrix products C[z] = A[z] · B[z] over strided operands (a transposed or sliced
// operand is read in place, never copied). C is contiguous (batch, M, N).
//
// The parameter block, the operands and the epilogue: shaders/matmul_common.wgsl.
//
// Two variants with the same contract:
//   matmul_register: each invocation keeps an 8x8 block of C in registers and reads A and B
//     straight from memory; no workgroup memory and no barriers. For CPU-emulated adapters
//     (lavapipe), where every load from a storage buffer or from workgroup memory costs about
//     the same (~90 cycles per 8-lane SIMD group and component, measured), so the kernel's
//     speed is set by loads per FMA: 16 per 64 here.
//   matmul_tiled: 64x64 tiles of C per workgroup, A and B staged through workgroup memory in
//     slices of 16 along K; each invocation keeps a 4x4 block. For real GPUs, where global
//     memory traffic dominates and workgroup memory is cheap.

// Rows come from the workgroup id alone, so every invocation of a workgroup reads the same
// A elements; invocation i owns columns i, i + 64, ..., i + 448 of an 8 x 512 block, so
// neighbouring invocations read neighbouring elements of B.
const RM: u32 = 8u;
const RN: u32 = 512u;

@compute @workgroup_size(64, 1, 1)
fn matmul_register(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = p.m;
    let n = p.n;
    let k = p.k;
    let z = wg.z;
    let a_rs = p.a_row_stride;
    let a_cs = p.a_col_stride;
    let b_rs = p.b_row_stride;
    let b_cs = p.b_col_stride;
    let row = wg.y * RM;
    let col = wg.x * RN + lid.x;
    // Out-of-range rows and columns read a valid element and are never written, so the K loop
    // needs no bounds checks.
    let ao = a_offset(z);
    var ar: array<i32, 8>;
    for (var i = 0u; i < RM; i = i + 1u) {
        ar[i] = ao + i32(min(row + i, m - 1u)) * a_rs;
    }
    let bo = b_offset(z);
    var bc: array<i32, 8>;
    for (var j = 0u; j < 8u; j = j + 1u) {
        bc[j] = bo + i32(min(col + 64u * j, n - 1u)) * b_cs;
    }
    var lo: array<vec4<f32>, 8>; // columns col, col + 64, col + 128, col + 192
    var hi: array<vec4<f32>, 8>; // columns col + 256, ..., col + 448
    var ka = 0;
    var kb = 0;
    for (var kk = 0u; kk < k; kk = kk + 1u) {
        let b_lo = vec4<f32>(b[bc[0] + kb], b[bc[1] + kb], b[bc[2] + kb], b[bc[3] + kb]);
        let b_hi = vec4<f32>(b[bc[4] + kb], b[bc[5] + kb], b[bc[6] + kb], b[bc[7] + kb]);
        for (var i = 0u; i < RM; i = i + 1u) {
            let av = vec4<f32>(a[ar[i] + ka]);
            lo[i] = fma(av, b_lo, lo[i]);
            hi[i] = fma(av, b_hi, hi[i]);
        }
        ka = ka + a_cs;
        kb = kb + b_rs;
    }
    let base = (p.first_batch + z) * m * n;
    for (var i = 0u; i < RM; i = i + 1u) {
        if (row + i < m) {
            store_row(base, row + i, col, n, lo[i], 64u);
            store_row(base, row + i, col + 256u, n, hi[i], 64u);
        }
    }
}

fn store_row(base: u32, r: u32, col: u32, n: u32, v: vec4<f32>, step: u32) {
    let c_rs = p.c_row_stride;
    let c_cs = p.c_col_stride;
    for (var j = 0u; j < 4u; j = j + 1u) {
        let cc = col + j * step;
        if (cc < n) {
            c[base + r * c_rs + cc * c_cs] = epilogue(v[j], r, cc);
        }
    }
}

fn store_block(base: u32, row: u32, col: u32, m: u32, n: u32,
               v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>, step: u32) {
    if (row < m) { store_row(base, row, col, n, v0, step); }
    if (row + step < m) { store_row(base, row + step, col, n, v1, step); }
    if (row + 2u * step < m) { store_row(base, row + 2u * step, col, n, v2, step); }
    if (row + 3u * step < m) { store_row(base, row + 3u * step, col, n, v3, step); }
}

const TILE: u32 = 64u;
const BK: u32 = 16u;
var<workgroup> a_tile: array<f32, 1024>; // [BK][TILE]: a_tile[kk * TILE + r]
var<workgroup> b_tile: array<f32, 1024>; // [BK][TILE]: b_tile[kk * TILE + c]

@compute @workgroup_size(16, 16, 1)
fn matmul_tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = p.m;
    let n = p.n;
    let k = p.k;
    let z = wg.z;
    let a_rs = p.a_row_stride;
    let a_cs = p.a_col_stride;
    let b_rs = p.b_row_stride;
    let b_cs = p.b_col_stride;
    let ao = a_offset(z);
    let bo = b_offset(z);
    let row0 = wg.y * TILE;
    let col0 = wg.x * TILE;
    let tid = lid.y * 16u + lid.x;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k0 = 0u; k0 < k; k0 = k0 + BK) {
        for (var l = 0u; l < 4u; l = l + 1u) {
            let e = tid + l * 256u;
            // A: consecutive invocations walk K first, the usual row-major layout.
            let ar = e / BK;
            let ak = e % BK;
            let gr = row0 + ar;
            let gk = k0 + ak;
            var av = 0.0;
            if (gr < m && gk < k) {
                av = a[ao + i32(gr) * a_rs + i32(gk) * a_cs];
            }
            a_tile[ak * TILE + ar] = av;
            let bk = e / TILE;
            let bc = e % TILE;
            let gk2 = k0 + bk;
            let gc = col0 + bc;
            var bv = 0.0;
            if (gk2 < k && gc < n) {
                bv = b[bo + i32(gk2) * b_rs + i32(gc) * b_cs];
            }
            b_tile[bk * TILE + bc] = bv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk = kk + 1u) {
            let bv = vec4<f32>(b_tile[kk * TILE + lid.x], b_tile[kk * TILE + lid.x + 16u],
                               b_tile[kk * TILE + lid.x + 32u], b_tile[kk * TILE + lid.x + 48u]);
            acc0 = fma(vec4<f32>(a_tile[kk * TILE + lid.y]), bv, acc0);
            acc1 = fma(vec4<f32>(a_tile[kk * TILE + lid.y + 16u]), bv, acc1);
            acc2 = fma(vec4<f32>(a_tile[kk * TILE + lid.y + 32u]), bv, acc2);
            acc3 = fma(vec4<f32>(a_tile[kk * TILE + lid.y + 48u]), bv, acc3);
        }
        workgroupBarrier();
    }
    let base = (p.first_batch + z) * m * n;
    store_block(base, row0 + lid.y, col0 + lid.x, m, n, acc0, acc1, acc2, acc3, 16u);
}
