// What the matmul files share (shaders/matmul.wgsl, matmul_subgroup.wgsl, matmul_texture.wgsl
// and matmul_narrow.wgsl; the launcher puts this file between the prelude and each of them):
// the buffers (matmul_texture reads its operands from textures instead, and `a` only in its
// pack kernel; matmul_narrow reads B from a uniform block), and the epilogue that every store
// goes through.
//
// The epilogue is Dense's bias and relu, applied as each element of C is stored so that they
// cost no pass of their own over C. info words, beside the matmul's own:
//   [11] 0: store the product, 1: add the bias, 2: add the bias, then relu
//   [12] bias offset  [13] bias stride per row of C  [14] per column of C   (i32 bits)
//   (one of the two strides is 0: the bias runs along C's columns, or along its rows when the
//   launcher computes C^T)
// With no epilogue the launcher binds A as the bias; it is never read.

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn epilogue(v: f32, r: u32, col: u32) -> f32 {
    let mode = info(11u);
    if (mode == 0u) {
        return v;
    }
    let i = bitcast<i32>(info(12u)) + i32(r) * bitcast<i32>(info(13u))
        + i32(col) * bitcast<i32>(info(14u));
    let x = v + bias[i];
    if (mode == 2u) {
        return max(x, 0.0);
    }
    return x;
}

// The bias of columns col .. col + 4 of C (zeros past column N, and without a bias), for the
// kernels below, whose launcher never swaps A and B, so that the bias runs along C's columns
// (info [13] is 0). They read it once per lane and column, not once per element: on
// CPU-emulated adapters the masked-off branch of a per-element bias read still pays for the
// storage load.
fn column_bias4(col: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    if (info(11u) != 0u) {
        let n = info(1u);
        let at = bitcast<i32>(info(12u));
        let step = bitcast<i32>(info(14u));
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
    let m = info(0u);
    let n = info(1u);
    let mode = info(11u);
    var x = select(v, v + b, mode != 0u);
    x = select(x, max(x, vec4<f32>(0.0)), mode == 2u);
    if (r < m) {
        let c_rs = info(9u);
        let c_cs = info(10u);
        for (var j = 0u; j < 4u; j = j + 1u) {
            if (col + j < n) {
                c[base + r * c_rs + (col + j) * c_cs] = x[j];
            }
        }
    }
}
