// What the matmul files share (shaders/matmul.wgsl, matmul_subgroup.wgsl, matmul_texture.wgsl
// and matmul_narrow.wgsl; the launcher puts this file between the prelude and each of them):
// the buffers (matmul_texture reads its operands from textures instead, and `a` only in its
// pack kernel; matmul_narrow reads B from a uniform block), and the epilogue that every store
// goes through.
//
// The parameter block, one struct for every matmul kernel (MatmulParams in
// src/gpu/matmul/plan.rs mirrors it): C[z] = A[z] · B[z] for the batches z of this dispatch,
// with A (M x K) and B (K x N) read through their strides and per-batch offsets (a transposed
// or sliced operand is read in place), C written through its strides (the launcher may compute
// C^T = B^T · A^T into C's buffer by swapping them).
//
// The epilogue is Dense's bias and relu, applied as each element of C is stored so that they
// cost no pass of their own over C. The bias runs along C's columns, or along its rows when
// the launcher computes C^T: one of its two strides is 0. Without an epilogue the launcher
// binds a placeholder as the bias; it is never read.

struct EpilogueParams {
    // 0: store the product, 1: add the bias, 2: add the bias, then relu.
    mode: u32,
    offset: i32,
    row_stride: i32,
    col_stride: i32,
}

struct MatmulParams {
    m: u32,
    n: u32,
    k: u32,
    batches: u32,
    a_row_stride: i32,
    a_col_stride: i32,
    b_row_stride: i32,
    b_col_stride: i32,
    first_batch: u32,
    c_row_stride: u32,
    c_col_stride: u32,
    _pad0: u32,
    epilogue: EpilogueParams,
    // Where the texture kernel finds its operands (shaders/matmul_texture.wgsl).
    a_pitch: u32,
    a_shift: u32,
    b_pitch: u32,
    b_shift: u32,
    // Split-K (shaders/matmul_gemm.wgsl): the slices of K, the steps each takes, and the
    // batches of the whole product (the partial sums are laid out per slice and batch).
    splits: u32,
    k_per_split: u32,
    batches_total: u32,
    _pad1: u32,
    // A's and B's offset for each batch of the dispatch (MAX_BATCHES in plan.rs).
    a_offsets: array<vec4<u32>, 27>,
    b_offsets: array<vec4<u32>, 27>,
}

@group(0) @binding(0) var<uniform> p: MatmulParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn a_offset(z: u32) -> i32 {
    return i32(p.a_offsets[z >> 2u][z & 3u]);
}

fn b_offset(z: u32) -> i32 {
    return i32(p.b_offsets[z >> 2u][z & 3u]);
}

fn epilogue(v: f32, r: u32, col: u32) -> f32 {
    let mode = p.epilogue.mode;
    if (mode == 0u) {
        return v;
    }
    let i = p.epilogue.offset + i32(r) * p.epilogue.row_stride + i32(col) * p.epilogue.col_stride;
    let x = v + bias[i];
    if (mode == 2u) {
        return relu(x);
    }
    return x;
}

// The bias of columns col .. col + 4 of C (zeros past column N, and without a bias), for the
// kernels below, whose launcher never swaps A and B, so that the bias runs along C's columns
// (its row stride is 0). They read it once per lane and column, not once per element: on
// CPU-emulated adapters the masked-off branch of a per-element bias read still pays for the
// storage load.
fn column_bias4(col: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    if (p.epilogue.mode != 0u) {
        let n = p.n;
        let at = p.epilogue.offset;
        let step = p.epilogue.col_stride;
        for (var j = 0u; j < 4u; j = j + 1u) {
            if (col + j < n) {
                v[j] = bias[at + i32(col + j) * step];
            }
        }
    }
    return v;
}

// Stores 4 columns of row r of C from `col` on, those inside C, after the epilogue with the
// columns' bias `b` (column_bias4), as `epilogue` would (the 64 x 64 block kernels,
// matmul_subgroup and matmul_texture, and matmul_narrow).
fn store4(base: u32, r: u32, col: u32, v: vec4<f32>, b: vec4<f32>) {
    let m = p.m;
    let n = p.n;
    let mode = p.epilogue.mode;
    var x = select(v, v + b, mode != 0u);
    x = select(x, relu4(x), mode == 2u);
    if (r < m) {
        let c_rs = p.c_row_stride;
        let c_cs = p.c_col_stride;
        for (var j = 0u; j < 4u; j = j + 1u) {
            if (col + j < n) {
                c[base + r * c_rs + (col + j) * c_cs] = x[j];
            }
        }
    }
}
