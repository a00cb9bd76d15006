// What the matmul files share (shaders/matmul.wgsl, matmul_subgroup.wgsl and
// matmul_texture.wgsl; the launcher puts this file between the prelude and each of them): the
// buffers (matmul_texture reads its operands from textures instead, and `a` only in its pack
// kernel), and the epilogue that every store goes through.
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

// Stores 4 columns of row r of C from `col` on, those inside C, through the epilogue (the
// 64 x 64 block kernels: matmul_subgroup and matmul_texture).
fn store4(base: u32, r: u32, col: u32, v: vec4<f32>) {
    let m = info(0u);
    let n = info(1u);
    if (r < m) {
        let c_rs = info(9u);
        let c_cs = info(10u);
        for (var j = 0u; j < 4u; j = j + 1u) {
            if (col + j < n) {
                c[base + r * c_rs + (col + j) * c_cs] = epilogue(v[j], r, col + j);
            }
        }
    }
}
