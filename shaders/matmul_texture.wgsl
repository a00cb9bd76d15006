// matmul_texture: the subgroup kernel's scheme (shaders/matmul_subgroup.wgsl) with both
// operands read from rgba32float textures, for CPU-emulated adapters. There a storage-buffer
// load compiles to a loop over the 8 SIMD lanes, while textureLoad compiles to one gather: on
// lavapipe (Mesa 22.3) a float costs about 0.6 ns per lane from such a texture against 3.9 ns
// from a storage buffer. So before each product `pack_operand` copies A^T and B into textures,
// and the product reads nothing else.
//
// Texture layouts, one texel = 4 floats along the texture's x:
//   at: texel (x, k) = (A[4x, k], A[4x+1, k], A[4x+2, k], A[4x+3, k])   width ceil(M/4), height K
//   bt: texel (x, k) = (B[k, 4x], B[k, 4x+1], B[k, 4x+2], B[k, 4x+3])   width ceil(N/4), height K
// Lane l of the subgroup reads the two A texels of rows 8l .. 8l+7 of its 64-row block and the
// two B texels of its 8 columns, and each A value is broadcast to all lanes, as in the
// subgroup kernel; the sums along K run in the same order, so both give the same bits.
//
// matmul_texture reads info words [0] M [1] N [2] K [9] C row stride [10] C column stride and
// the epilogue's [11..15) (shaders/matmul.wgsl lists them); one matrix per dispatch, the
// launcher sends batches to the subgroup kernel. pack_operand's words are below.
// info(i): shaders/prelude.wgsl. c, the epilogue and store4: shaders/matmul_common.wgsl.

@group(0) @binding(5) var at: texture_2d<f32>;
@group(0) @binding(6) var bt: texture_2d<f32>;
@group(0) @binding(7) var packed: texture_storage_2d<rgba32float, write>;

// Packs a (rows x cols) matrix X read from `a` (binding 1) into `packed`: texel (x, r) holds
// X[r, 4x .. 4x+4], zeros past the last column.
// info: [0] cols  [1] rows  [2] offset  [3] row stride  [4] column stride   (i32 bits)
@compute @workgroup_size(64, 1, 1)
fn pack_operand(@builtin(global_invocation_id) id: vec3<u32>) {
    let cols = info(0u);
    let x = id.x;
    let r = id.y;
    if (x * 4u >= cols || r >= info(1u)) {
        return;
    }
    let base = bitcast<i32>(info(2u)) + i32(r) * bitcast<i32>(info(3u));
    let cs = bitcast<i32>(info(4u));
    var t = vec4<f32>(0.0);
    for (var j = 0u; j < 4u; j = j + 1u) {
        let col = x * 4u + j;
        if (col < cols) {
            t[j] = a[base + i32(col) * cs];
        }
    }
    textureStore(packed, vec2<u32>(x, r), t);
}

@compute @workgroup_size(8, 1, 1)
fn matmul_texture(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = info(0u);
    let n = info(1u);
    let k = i32(info(2u));
    let lane = lid.x;
    let row0 = wg.y * 64u;
    let col = wg.x * 64u + 8u * lane;
    // Texels past the edge are clamped to the last one: they are read but never stored, so
    // the K loop has no bounds checks.
    let a_last = (m + 3u) / 4u - 1u;
    let b_last = (n + 3u) / 4u - 1u;
    let ax0 = i32(min(row0 / 4u + 2u * lane, a_last));
    let ax1 = i32(min(row0 / 4u + 2u * lane + 1u, a_last));
    let bx0 = i32(min(col / 4u, b_last));
    let bx1 = i32(min(col / 4u + 1u, b_last));
    var acc: array<vec4<f32>, 64>;
    var acc2: array<vec4<f32>, 64>;
    for (var kk = 0; kk < k; kk = kk + 1) {
        let bv = textureLoad(bt, vec2<i32>(bx0, kk), 0);
        let bw = textureLoad(bt, vec2<i32>(bx1, kk), 0);
        let alo = textureLoad(at, vec2<i32>(ax0, kk), 0);
        let ahi = textureLoad(at, vec2<i32>(ax1, kk), 0);
        // subgroupBroadcast takes a constant lane, and acc a constant index (see
        // shaders/matmul_subgroup.wgsl), so the rows are written out.
        let s0 = vec4<f32>(subgroupBroadcast(alo[0], 0u));
        acc[0] = fma(s0, bv, acc[0]);
        acc2[0] = fma(s0, bw, acc2[0]);
        let s1 = vec4<f32>(subgroupBroadcast(alo[1], 0u));
        acc[1] = fma(s1, bv, acc[1]);
        acc2[1] = fma(s1, bw, acc2[1]);
        let s2 = vec4<f32>(subgroupBroadcast(alo[2], 0u));
        acc[2] = fma(s2, bv, acc[2]);
        acc2[2] = fma(s2, bw, acc2[2]);
        let s3 = vec4<f32>(subgroupBroadcast(alo[3], 0u));
        acc[3] = fma(s3, bv, acc[3]);
        acc2[3] = fma(s3, bw, acc2[3]);
        let s4 = vec4<f32>(subgroupBroadcast(ahi[0], 0u));
        acc[4] = fma(s4, bv, acc[4]);
        acc2[4] = fma(s4, bw, acc2[4]);
        let s5 = vec4<f32>(subgroupBroadcast(ahi[1], 0u));
        acc[5] = fma(s5, bv, acc[5]);
        acc2[5] = fma(s5, bw, acc2[5]);
        let s6 = vec4<f32>(subgroupBroadcast(ahi[2], 0u));
        acc[6] = fma(s6, bv, acc[6]);
        acc2[6] = fma(s6, bw, acc2[6]);
        let s7 = vec4<f32>(subgroupBroadcast(ahi[3], 0u));
        acc[7] = fma(s7, bv, acc[7]);
        acc2[7] = fma(s7, bw, acc2[7]);
        let s8 = vec4<f32>(subgroupBroadcast(alo[0], 1u));
        acc[8] = fma(s8, bv, acc[8]);
        acc2[8] = fma(s8, bw, acc2[8]);
        let s9 = vec4<f32>(subgroupBroadcast(alo[1], 1u));
        acc[9] = fma(s9, bv, acc[9]);
        acc2[9] = fma(s9, bw, acc2[9]);
        let s10 = vec4<f32>(subgroupBroadcast(alo[2], 1u));
        acc[10] = fma(s10, bv, acc[10]);
        acc2[10] = fma(s10, bw, acc2[10]);
        let s11 = vec4<f32>(subgroupBroadcast(alo[3], 1u));
        acc[11] = fma(s11, bv, acc[11]);
        acc2[11] = fma(s11, bw, acc2[11]);
        let s12 = vec4<f32>(subgroupBroadcast(ahi[0], 1u));
        acc[12] = fma(s12, bv, acc[12]);
        acc2[12] = fma(s12, bw, acc2[12]);
        let s13 = vec4<f32>(subgroupBroadcast(ahi[1], 1u));
        acc[13] = fma(s13, bv, acc[13]);
        acc2[13] = fma(s13, bw, acc2[13]);
        let s14 = vec4<f32>(subgroupBroadcast(ahi[2], 1u));
        acc[14] = fma(s14, bv, acc[14]);
        acc2[14] = fma(s14, bw, acc2[14]);
        let s15 = vec4<f32>(subgroupBroadcast(ahi[3], 1u));
        acc[15] = fma(s15, bv, acc[15]);
        acc2[15] = fma(s15, bw, acc2[15]);
        let s16 = vec4<f32>(subgroupBroadcast(alo[0], 2u));
        acc[16] = fma(s16, bv, acc[16]);
        acc2[16] = fma(s16, bw, acc2[16]);
        let s17 = vec4<f32>(subgroupBroadcast(alo[1], 2u));
        acc[17] = fma(s17, bv, acc[17]);
        acc2[17] = fma(s17, bw, acc2[17]);
        let s18 = vec4<f32>(subgroupBroadcast(alo[2], 2u));
        acc[18] = fma(s18, bv, acc[18]);
        acc2[18] = fma(s18, bw, acc2[18]);
        let s19 = vec4<f32>(subgroupBroadcast(alo[3], 2u));
        acc[19] = fma(s19, bv, acc[19]);
        acc2[19] = fma(s19, bw, acc2[19]);
        let s20 = vec4<f32>(subgroupBroadcast(ahi[0], 2u));
        acc[20] = fma(s20, bv, acc[20]);
        acc2[20] = fma(s20, bw, acc2[20]);
        let s21 = vec4<f32>(subgroupBroadcast(ahi[1], 2u));
        acc[21] = fma(s21, bv, acc[21]);
        acc2[21] = fma(s21, bw, acc2[21]);
        let s22 = vec4<f32>(subgroupBroadcast(ahi[2], 2u));
        acc[22] = fma(s22, bv, acc[22]);
        acc2[22] = fma(s22, bw, acc2[22]);
        let s23 = vec4<f32>(subgroupBroadcast(ahi[3], 2u));
        acc[23] = fma(s23, bv, acc[23]);
        acc2[23] = fma(s23, bw, acc2[23]);
        let s24 = vec4<f32>(subgroupBroadcast(alo[0], 3u));
        acc[24] = fma(s24, bv, acc[24]);
        acc2[24] = fma(s24, bw, acc2[24]);
        let s25 = vec4<f32>(subgroupBroadcast(alo[1], 3u));
        acc[25] = fma(s25, bv, acc[25]);
        acc2[25] = fma(s25, bw, acc2[25]);
        let s26 = vec4<f32>(subgroupBroadcast(alo[2], 3u));
        acc[26] = fma(s26, bv, acc[26]);
        acc2[26] = fma(s26, bw, acc2[26]);
        let s27 = vec4<f32>(subgroupBroadcast(alo[3], 3u));
        acc[27] = fma(s27, bv, acc[27]);
        acc2[27] = fma(s27, bw, acc2[27]);
        let s28 = vec4<f32>(subgroupBroadcast(ahi[0], 3u));
        acc[28] = fma(s28, bv, acc[28]);
        acc2[28] = fma(s28, bw, acc2[28]);
        let s29 = vec4<f32>(subgroupBroadcast(ahi[1], 3u));
        acc[29] = fma(s29, bv, acc[29]);
        acc2[29] = fma(s29, bw, acc2[29]);
        let s30 = vec4<f32>(subgroupBroadcast(ahi[2], 3u));
        acc[30] = fma(s30, bv, acc[30]);
        acc2[30] = fma(s30, bw, acc2[30]);
        let s31 = vec4<f32>(subgroupBroadcast(ahi[3], 3u));
        acc[31] = fma(s31, bv, acc[31]);
        acc2[31] = fma(s31, bw, acc2[31]);
        let s32 = vec4<f32>(subgroupBroadcast(alo[0], 4u));
        acc[32] = fma(s32, bv, acc[32]);
        acc2[32] = fma(s32, bw, acc2[32]);
        let s33 = vec4<f32>(subgroupBroadcast(alo[1], 4u));
        acc[33] = fma(s33, bv, acc[33]);
        acc2[33] = fma(s33, bw, acc2[33]);
        let s34 = vec4<f32>(subgroupBroadcast(alo[2], 4u));
        acc[34] = fma(s34, bv, acc[34]);
        acc2[34] = fma(s34, bw, acc2[34]);
        let s35 = vec4<f32>(subgroupBroadcast(alo[3], 4u));
        acc[35] = fma(s35, bv, acc[35]);
        acc2[35] = fma(s35, bw, acc2[35]);
        let s36 = vec4<f32>(subgroupBroadcast(ahi[0], 4u));
        acc[36] = fma(s36, bv, acc[36]);
        acc2[36] = fma(s36, bw, acc2[36]);
        let s37 = vec4<f32>(subgroupBroadcast(ahi[1], 4u));
        acc[37] = fma(s37, bv, acc[37]);
        acc2[37] = fma(s37, bw, acc2[37]);
        let s38 = vec4<f32>(subgroupBroadcast(ahi[2], 4u));
        acc[38] = fma(s38, bv, acc[38]);
        acc2[38] = fma(s38, bw, acc2[38]);
        let s39 = vec4<f32>(subgroupBroadcast(ahi[3], 4u));
        acc[39] = fma(s39, bv, acc[39]);
        acc2[39] = fma(s39, bw, acc2[39]);
        let s40 = vec4<f32>(subgroupBroadcast(alo[0], 5u));
        acc[40] = fma(s40, bv, acc[40]);
        acc2[40] = fma(s40, bw, acc2[40]);
        let s41 = vec4<f32>(subgroupBroadcast(alo[1], 5u));
        acc[41] = fma(s41, bv, acc[41]);
        acc2[41] = fma(s41, bw, acc2[41]);
        let s42 = vec4<f32>(subgroupBroadcast(alo[2], 5u));
        acc[42] = fma(s42, bv, acc[42]);
        acc2[42] = fma(s42, bw, acc2[42]);
        let s43 = vec4<f32>(subgroupBroadcast(alo[3], 5u));
        acc[43] = fma(s43, bv, acc[43]);
        acc2[43] = fma(s43, bw, acc2[43]);
        let s44 = vec4<f32>(subgroupBroadcast(ahi[0], 5u));
        acc[44] = fma(s44, bv, acc[44]);
        acc2[44] = fma(s44, bw, acc2[44]);
        let s45 = vec4<f32>(subgroupBroadcast(ahi[1], 5u));
        acc[45] = fma(s45, bv, acc[45]);
        acc2[45] = fma(s45, bw, acc2[45]);
        let s46 = vec4<f32>(subgroupBroadcast(ahi[2], 5u));
        acc[46] = fma(s46, bv, acc[46]);
        acc2[46] = fma(s46, bw, acc2[46]);
        let s47 = vec4<f32>(subgroupBroadcast(ahi[3], 5u));
        acc[47] = fma(s47, bv, acc[47]);
        acc2[47] = fma(s47, bw, acc2[47]);
        let s48 = vec4<f32>(subgroupBroadcast(alo[0], 6u));
        acc[48] = fma(s48, bv, acc[48]);
        acc2[48] = fma(s48, bw, acc2[48]);
        let s49 = vec4<f32>(subgroupBroadcast(alo[1], 6u));
        acc[49] = fma(s49, bv, acc[49]);
        acc2[49] = fma(s49, bw, acc2[49]);
        let s50 = vec4<f32>(subgroupBroadcast(alo[2], 6u));
        acc[50] = fma(s50, bv, acc[50]);
        acc2[50] = fma(s50, bw, acc2[50]);
        let s51 = vec4<f32>(subgroupBroadcast(alo[3], 6u));
        acc[51] = fma(s51, bv, acc[51]);
        acc2[51] = fma(s51, bw, acc2[51]);
        let s52 = vec4<f32>(subgroupBroadcast(ahi[0], 6u));
        acc[52] = fma(s52, bv, acc[52]);
        acc2[52] = fma(s52, bw, acc2[52]);
        let s53 = vec4<f32>(subgroupBroadcast(ahi[1], 6u));
        acc[53] = fma(s53, bv, acc[53]);
        acc2[53] = fma(s53, bw, acc2[53]);
        let s54 = vec4<f32>(subgroupBroadcast(ahi[2], 6u));
        acc[54] = fma(s54, bv, acc[54]);
        acc2[54] = fma(s54, bw, acc2[54]);
        let s55 = vec4<f32>(subgroupBroadcast(ahi[3], 6u));
        acc[55] = fma(s55, bv, acc[55]);
        acc2[55] = fma(s55, bw, acc2[55]);
        let s56 = vec4<f32>(subgroupBroadcast(alo[0], 7u));
        acc[56] = fma(s56, bv, acc[56]);
        acc2[56] = fma(s56, bw, acc2[56]);
        let s57 = vec4<f32>(subgroupBroadcast(alo[1], 7u));
        acc[57] = fma(s57, bv, acc[57]);
        acc2[57] = fma(s57, bw, acc2[57]);
        let s58 = vec4<f32>(subgroupBroadcast(alo[2], 7u));
        acc[58] = fma(s58, bv, acc[58]);
        acc2[58] = fma(s58, bw, acc2[58]);
        let s59 = vec4<f32>(subgroupBroadcast(alo[3], 7u));
        acc[59] = fma(s59, bv, acc[59]);
        acc2[59] = fma(s59, bw, acc2[59]);
        let s60 = vec4<f32>(subgroupBroadcast(ahi[0], 7u));
        acc[60] = fma(s60, bv, acc[60]);
        acc2[60] = fma(s60, bw, acc2[60]);
        let s61 = vec4<f32>(subgroupBroadcast(ahi[1], 7u));
        acc[61] = fma(s61, bv, acc[61]);
        acc2[61] = fma(s61, bw, acc2[61]);
        let s62 = vec4<f32>(subgroupBroadcast(ahi[2], 7u));
        acc[62] = fma(s62, bv, acc[62]);
        acc2[62] = fma(s62, bw, acc2[62]);
        let s63 = vec4<f32>(subgroupBroadcast(ahi[3], 7u));
        acc[63] = fma(s63, bv, acc[63]);
        acc2[63] = fma(s63, bw, acc2[63]);
    }
    let bias_lo = column_bias4(col);
    let bias_hi = column_bias4(col + 4u);
    store4(0u, row0 + 0u, col, acc[0], bias_lo);
    store4(0u, row0 + 0u, col + 4u, acc2[0], bias_hi);
    store4(0u, row0 + 1u, col, acc[1], bias_lo);
    store4(0u, row0 + 1u, col + 4u, acc2[1], bias_hi);
    store4(0u, row0 + 2u, col, acc[2], bias_lo);
    store4(0u, row0 + 2u, col + 4u, acc2[2], bias_hi);
    store4(0u, row0 + 3u, col, acc[3], bias_lo);
    store4(0u, row0 + 3u, col + 4u, acc2[3], bias_hi);
    store4(0u, row0 + 4u, col, acc[4], bias_lo);
    store4(0u, row0 + 4u, col + 4u, acc2[4], bias_hi);
    store4(0u, row0 + 5u, col, acc[5], bias_lo);
    store4(0u, row0 + 5u, col + 4u, acc2[5], bias_hi);
    store4(0u, row0 + 6u, col, acc[6], bias_lo);
    store4(0u, row0 + 6u, col + 4u, acc2[6], bias_hi);
    store4(0u, row0 + 7u, col, acc[7], bias_lo);
    store4(0u, row0 + 7u, col + 4u, acc2[7], bias_hi);
    store4(0u, row0 + 8u, col, acc[8], bias_lo);
    store4(0u, row0 + 8u, col + 4u, acc2[8], bias_hi);
    store4(0u, row0 + 9u, col, acc[9], bias_lo);
    store4(0u, row0 + 9u, col + 4u, acc2[9], bias_hi);
    store4(0u, row0 + 10u, col, acc[10], bias_lo);
    store4(0u, row0 + 10u, col + 4u, acc2[10], bias_hi);
    store4(0u, row0 + 11u, col, acc[11], bias_lo);
    store4(0u, row0 + 11u, col + 4u, acc2[11], bias_hi);
    store4(0u, row0 + 12u, col, acc[12], bias_lo);
    store4(0u, row0 + 12u, col + 4u, acc2[12], bias_hi);
    store4(0u, row0 + 13u, col, acc[13], bias_lo);
    store4(0u, row0 + 13u, col + 4u, acc2[13], bias_hi);
    store4(0u, row0 + 14u, col, acc[14], bias_lo);
    store4(0u, row0 + 14u, col + 4u, acc2[14], bias_hi);
    store4(0u, row0 + 15u, col, acc[15], bias_lo);
    store4(0u, row0 + 15u, col + 4u, acc2[15], bias_hi);
    store4(0u, row0 + 16u, col, acc[16], bias_lo);
    store4(0u, row0 + 16u, col + 4u, acc2[16], bias_hi);
    store4(0u, row0 + 17u, col, acc[17], bias_lo);
    store4(0u, row0 + 17u, col + 4u, acc2[17], bias_hi);
    store4(0u, row0 + 18u, col, acc[18], bias_lo);
    store4(0u, row0 + 18u, col + 4u, acc2[18], bias_hi);
    store4(0u, row0 + 19u, col, acc[19], bias_lo);
    store4(0u, row0 + 19u, col + 4u, acc2[19], bias_hi);
    store4(0u, row0 + 20u, col, acc[20], bias_lo);
    store4(0u, row0 + 20u, col + 4u, acc2[20], bias_hi);
    store4(0u, row0 + 21u, col, acc[21], bias_lo);
    store4(0u, row0 + 21u, col + 4u, acc2[21], bias_hi);
    store4(0u, row0 + 22u, col, acc[22], bias_lo);
    store4(0u, row0 + 22u, col + 4u, acc2[22], bias_hi);
    store4(0u, row0 + 23u, col, acc[23], bias_lo);
    store4(0u, row0 + 23u, col + 4u, acc2[23], bias_hi);
    store4(0u, row0 + 24u, col, acc[24], bias_lo);
    store4(0u, row0 + 24u, col + 4u, acc2[24], bias_hi);
    store4(0u, row0 + 25u, col, acc[25], bias_lo);
    store4(0u, row0 + 25u, col + 4u, acc2[25], bias_hi);
    store4(0u, row0 + 26u, col, acc[26], bias_lo);
    store4(0u, row0 + 26u, col + 4u, acc2[26], bias_hi);
    store4(0u, row0 + 27u, col, acc[27], bias_lo);
    store4(0u, row0 + 27u, col + 4u, acc2[27], bias_hi);
    store4(0u, row0 + 28u, col, acc[28], bias_lo);
    store4(0u, row0 + 28u, col + 4u, acc2[28], bias_hi);
    store4(0u, row0 + 29u, col, acc[29], bias_lo);
    store4(0u, row0 + 29u, col + 4u, acc2[29], bias_hi);
    store4(0u, row0 + 30u, col, acc[30], bias_lo);
    store4(0u, row0 + 30u, col + 4u, acc2[30], bias_hi);
    store4(0u, row0 + 31u, col, acc[31], bias_lo);
    store4(0u, row0 + 31u, col + 4u, acc2[31], bias_hi);
    store4(0u, row0 + 32u, col, acc[32], bias_lo);
    store4(0u, row0 + 32u, col + 4u, acc2[32], bias_hi);
    store4(0u, row0 + 33u, col, acc[33], bias_lo);
    store4(0u, row0 + 33u, col + 4u, acc2[33], bias_hi);
    store4(0u, row0 + 34u, col, acc[34], bias_lo);
    store4(0u, row0 + 34u, col + 4u, acc2[34], bias_hi);
    store4(0u, row0 + 35u, col, acc[35], bias_lo);
    store4(0u, row0 + 35u, col + 4u, acc2[35], bias_hi);
    store4(0u, row0 + 36u, col, acc[36], bias_lo);
    store4(0u, row0 + 36u, col + 4u, acc2[36], bias_hi);
    store4(0u, row0 + 37u, col, acc[37], bias_lo);
    store4(0u, row0 + 37u, col + 4u, acc2[37], bias_hi);
    store4(0u, row0 + 38u, col, acc[38], bias_lo);
    store4(0u, row0 + 38u, col + 4u, acc2[38], bias_hi);
    store4(0u, row0 + 39u, col, acc[39], bias_lo);
    store4(0u, row0 + 39u, col + 4u, acc2[39], bias_hi);
    store4(0u, row0 + 40u, col, acc[40], bias_lo);
    store4(0u, row0 + 40u, col + 4u, acc2[40], bias_hi);
    store4(0u, row0 + 41u, col, acc[41], bias_lo);
    store4(0u, row0 + 41u, col + 4u, acc2[41], bias_hi);
    store4(0u, row0 + 42u, col, acc[42], bias_lo);
    store4(0u, row0 + 42u, col + 4u, acc2[42], bias_hi);
    store4(0u, row0 + 43u, col, acc[43], bias_lo);
    store4(0u, row0 + 43u, col + 4u, acc2[43], bias_hi);
    store4(0u, row0 + 44u, col, acc[44], bias_lo);
    store4(0u, row0 + 44u, col + 4u, acc2[44], bias_hi);
    store4(0u, row0 + 45u, col, acc[45], bias_lo);
    store4(0u, row0 + 45u, col + 4u, acc2[45], bias_hi);
    store4(0u, row0 + 46u, col, acc[46], bias_lo);
    store4(0u, row0 + 46u, col + 4u, acc2[46], bias_hi);
    store4(0u, row0 + 47u, col, acc[47], bias_lo);
    store4(0u, row0 + 47u, col + 4u, acc2[47], bias_hi);
    store4(0u, row0 + 48u, col, acc[48], bias_lo);
    store4(0u, row0 + 48u, col + 4u, acc2[48], bias_hi);
    store4(0u, row0 + 49u, col, acc[49], bias_lo);
    store4(0u, row0 + 49u, col + 4u, acc2[49], bias_hi);
    store4(0u, row0 + 50u, col, acc[50], bias_lo);
    store4(0u, row0 + 50u, col + 4u, acc2[50], bias_hi);
    store4(0u, row0 + 51u, col, acc[51], bias_lo);
    store4(0u, row0 + 51u, col + 4u, acc2[51], bias_hi);
    store4(0u, row0 + 52u, col, acc[52], bias_lo);
    store4(0u, row0 + 52u, col + 4u, acc2[52], bias_hi);
    store4(0u, row0 + 53u, col, acc[53], bias_lo);
    store4(0u, row0 + 53u, col + 4u, acc2[53], bias_hi);
    store4(0u, row0 + 54u, col, acc[54], bias_lo);
    store4(0u, row0 + 54u, col + 4u, acc2[54], bias_hi);
    store4(0u, row0 + 55u, col, acc[55], bias_lo);
    store4(0u, row0 + 55u, col + 4u, acc2[55], bias_hi);
    store4(0u, row0 + 56u, col, acc[56], bias_lo);
    store4(0u, row0 + 56u, col + 4u, acc2[56], bias_hi);
    store4(0u, row0 + 57u, col, acc[57], bias_lo);
    store4(0u, row0 + 57u, col + 4u, acc2[57], bias_hi);
    store4(0u, row0 + 58u, col, acc[58], bias_lo);
    store4(0u, row0 + 58u, col + 4u, acc2[58], bias_hi);
    store4(0u, row0 + 59u, col, acc[59], bias_lo);
    store4(0u, row0 + 59u, col + 4u, acc2[59], bias_hi);
    store4(0u, row0 + 60u, col, acc[60], bias_lo);
    store4(0u, row0 + 60u, col + 4u, acc2[60], bias_hi);
    store4(0u, row0 + 61u, col, acc[61], bias_lo);
    store4(0u, row0 + 61u, col + 4u, acc2[61], bias_hi);
    store4(0u, row0 + 62u, col, acc[62], bias_lo);
    store4(0u, row0 + 62u, col + 4u, acc2[62], bias_hi);
    store4(0u, row0 + 63u, col, acc[63], bias_lo);
    store4(0u, row0 + 63u, col + 4u, acc2[63], bias_hi);
}
