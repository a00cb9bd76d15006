// matmul_narrow: C = A · B for products of at most 16 columns whose B (K x N) fits a 64 KiB
// uniform block, one matrix per dispatch: a Dense layer with 10 outputs and its weight
// gradient. The 64x64 block kernels spend most of their work there on columns that do not
// exist. Here each lane computes four whole rows of C. It loads its A values from storage
// through A's strides, and reads B from the uniform block `bn`, into which the launcher first
// copies it row-major (by a buffer copy, or by `pack_narrow` where B is strided). On
// CPU-emulated adapters a uniform read compiles to a branchless gather where a storage load
// costs a loop over the SIMD lanes, and each B row read serves four rows. It sums along K in
// the same order as the other kernels, so all give the same bits.
//
// The parameter block (m, n, k, A's strides and its offset for batch 0, C's strides and the
// epilogue), a, c, the epilogue and store4: shaders/matmul_common.wgsl. The kernel that packs a
// strided B into the block: shaders/matmul_pack.wgsl.

@group(0) @binding(5) var<uniform> bn: array<vec4<f32>, 4096>;

fn b_at(i: u32) -> f32 {
    return bn[i >> 2u][i & 3u];
}

// B[row, j .. j+4], the columns past the last read as the last (they are never stored).
fn b4(row: u32, j: u32, n: u32) -> vec4<f32> {
    let last = n - 1u;
    let r = row * n;
    return vec4<f32>(b_at(r + min(j, last)), b_at(r + min(j + 1u, last)),
                     b_at(r + min(j + 2u, last)), b_at(r + min(j + 3u, last)));
}

@compute @workgroup_size(8, 1, 1)
fn matmul_narrow(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = p.m;
    let n = p.n;
    let k = p.k;
    // Lane l owns rows l, l + 8, l + 16 and l + 24 of the workgroup's 32, so that each B row
    // it loads serves four rows of C. Rows past the edge read the last row's A and store
    // nothing.
    let row = wg.y * 32u + lid.x;
    let a0 = a_offset(0u);
    let a_rs = p.a_row_stride;
    let a_cs = p.a_col_stride;
    let a_row0 = a0 + i32(min(row + 0u, m - 1u)) * a_rs;
    let a_row1 = a0 + i32(min(row + 8u, m - 1u)) * a_rs;
    let a_row2 = a0 + i32(min(row + 16u, m - 1u)) * a_rs;
    let a_row3 = a0 + i32(min(row + 24u, m - 1u)) * a_rs;
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < k; kk = kk + 1u) {
        let b0 = b4(kk, 0u, n);
        let b1 = b4(kk, 4u, n);
        let b2 = b4(kk, 8u, n);
        let b3 = b4(kk, 12u, n);
        let ap = i32(kk) * a_cs;
        let s0 = vec4<f32>(a[a_row0 + ap]);
        acc[0] = fma(s0, b0, acc[0]);
        acc[1] = fma(s0, b1, acc[1]);
        acc[2] = fma(s0, b2, acc[2]);
        acc[3] = fma(s0, b3, acc[3]);
        let s1 = vec4<f32>(a[a_row1 + ap]);
        acc[4] = fma(s1, b0, acc[4]);
        acc[5] = fma(s1, b1, acc[5]);
        acc[6] = fma(s1, b2, acc[6]);
        acc[7] = fma(s1, b3, acc[7]);
        let s2 = vec4<f32>(a[a_row2 + ap]);
        acc[8] = fma(s2, b0, acc[8]);
        acc[9] = fma(s2, b1, acc[9]);
        acc[10] = fma(s2, b2, acc[10]);
        acc[11] = fma(s2, b3, acc[11]);
        let s3 = vec4<f32>(a[a_row3 + ap]);
        acc[12] = fma(s3, b0, acc[12]);
        acc[13] = fma(s3, b1, acc[13]);
        acc[14] = fma(s3, b2, acc[14]);
        acc[15] = fma(s3, b3, acc[15]);
    }
    let bias0 = column_bias4(0u);
    let bias1 = column_bias4(4u);
    let bias2 = column_bias4(8u);
    let bias3 = column_bias4(12u);
    store4(0u, row + 0u, 0u, acc[0], bias0);
    store4(0u, row + 0u, 4u, acc[1], bias1);
    store4(0u, row + 0u, 8u, acc[2], bias2);
    store4(0u, row + 0u, 12u, acc[3], bias3);
    store4(0u, row + 8u, 0u, acc[4], bias0);
    store4(0u, row + 8u, 4u, acc[5], bias1);
    store4(0u, row + 8u, 8u, acc[6], bias2);
    store4(0u, row + 8u, 12u, acc[7], bias3);
    store4(0u, row + 16u, 0u, acc[8], bias0);
    store4(0u, row + 16u, 4u, acc[9], bias1);
    store4(0u, row + 16u, 8u, acc[10], bias2);
    store4(0u, row + 16u, 12u, acc[11], bias3);
    store4(0u, row + 24u, 0u, acc[12], bias0);
    store4(0u, row + 24u, 4u, acc[13], bias1);
    store4(0u, row + 24u, 8u, acc[14], bias2);
    store4(0u, row + 24u, 12u, acc[15], bias3);
}
