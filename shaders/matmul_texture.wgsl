// matmul_texture: for CPU-emulated adapters, with both operands first packed into rgba32float
// textures and read as read-only storage textures. On lavapipe (Mesa 22.3) a storage-buffer
// load compiles to a loop over the 8 SIMD lanes and a sampled `textureLoad` to a call of a
// fetch function, around which every vector register is saved and restored; an image load of
// a storage texture is inline, a few instructions per lane. So before each product A^T and B
// go into textures, by a buffer copy or one of the pack kernels below, and the product reads
// nothing else.
//
// Texture layouts, one texel = 4 floats along the texture's x:
//   at: texel (x, k) = (A[4x, k], A[4x+1, k], A[4x+2, k], A[4x+3, k])   width ceil(M/4), height K
//   bt: texel (x, k) = (B[k, 4x], B[k, 4x+1], B[k, 4x+2], B[k, 4x+3])   width ceil(N/4), height K
// An 8-lane workgroup owns a 16 x 32 block of C, each lane 16 rows x 4 columns: 16 vec4
// accumulators, few enough that the compiler keeps most of them in registers. Per 8 steps
// along K, lane l reads the four A texels of the block's rows at step 8j + l, and every lane
// reads its B texel at each of the 8 steps; the A values reach the other lanes by
// subgroupBroadcast. Each accumulator sums along K in order, as every matmul kernel does, so
// all give the same bits.
//
// matmul_texture reads info words [0] M [1] N [2] K [9] C row stride [10] C column stride and
// the epilogue's [11..15) (shaders/matmul.wgsl lists them); one matrix per dispatch, the
// launcher sends batches to the subgroup kernel. pack_operand's words are below.
// info(i): shaders/prelude.wgsl. c, the epilogue and store4: shaders/matmul_common.wgsl.

@group(0) @binding(5) var at: texture_storage_2d<rgba32float, read>;
@group(0) @binding(6) var bt: texture_storage_2d<rgba32float, read>;
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

// pack_operand with one 4-float storage load per texel rather than four 1-float ones, for the
// layouts that allow it (the launcher checks; a storage load is the pack's whole cost on
// lavapipe). Same info words; offset and the strides used are multiples of 4 and not negative.
//   pack_rows4: X's rows are contiguous (column stride 1); one load per texel.
//   pack_columns4: X's columns are contiguous (row stride 1); each invocation loads four
//   columns of four rows and writes the four texels of those rows.
// The components of a texel past X's last column, and past its last row in a column load,
// hold whatever follows in the buffer (past its end, whatever the bounds checks give):
// matmul_texture stores nothing they feed.
@group(0) @binding(8) var<storage, read> a4: array<vec4<f32>>;

@compute @workgroup_size(64, 1, 1)
fn pack_rows4(@builtin(global_invocation_id) id: vec3<u32>) {
    let x = id.x;
    let r = id.y;
    if (x * 4u >= info(0u) || r >= info(1u)) {
        return;
    }
    textureStore(packed, vec2<u32>(x, r), a4[(info(2u) + r * info(3u)) / 4u + x]);
}

@compute @workgroup_size(64, 1, 1)
fn pack_columns4(@builtin(global_invocation_id) id: vec3<u32>) {
    let x = id.x;
    let r = id.y * 4u;
    let rows = info(1u);
    if (x * 4u >= info(0u) || r >= rows) {
        return;
    }
    let cs = info(4u) / 4u;
    let at = (info(2u) + r) / 4u + 4u * x * cs;
    let c0 = a4[at];
    let c1 = a4[at + cs];
    let c2 = a4[at + 2u * cs];
    let c3 = a4[at + 3u * cs];
    textureStore(packed, vec2<u32>(x, r), vec4<f32>(c0.x, c1.x, c2.x, c3.x));
    if (r + 1u < rows) {
        textureStore(packed, vec2<u32>(x, r + 1u), vec4<f32>(c0.y, c1.y, c2.y, c3.y));
    }
    if (r + 2u < rows) {
        textureStore(packed, vec2<u32>(x, r + 2u), vec4<f32>(c0.z, c1.z, c2.z, c3.z));
    }
    if (r + 3u < rows) {
        textureStore(packed, vec2<u32>(x, r + 3u), vec4<f32>(c0.w, c1.w, c2.w, c3.w));
    }
}

// Eight steps along K for one accumulator: lane u holds the block row's A value at step u.
fn steps8(acc: vec4<f32>, a: f32, b0: vec4<f32>, b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32>,
          b4: vec4<f32>, b5: vec4<f32>, b6: vec4<f32>, b7: vec4<f32>) -> vec4<f32> {
    var s = fma(vec4<f32>(subgroupBroadcast(a, 0u)), b0, acc);
    s = fma(vec4<f32>(subgroupBroadcast(a, 1u)), b1, s);
    s = fma(vec4<f32>(subgroupBroadcast(a, 2u)), b2, s);
    s = fma(vec4<f32>(subgroupBroadcast(a, 3u)), b3, s);
    s = fma(vec4<f32>(subgroupBroadcast(a, 4u)), b4, s);
    s = fma(vec4<f32>(subgroupBroadcast(a, 5u)), b5, s);
    s = fma(vec4<f32>(subgroupBroadcast(a, 6u)), b6, s);
    return fma(vec4<f32>(subgroupBroadcast(a, 7u)), b7, s);
}

@compute @workgroup_size(8, 1, 1)
fn matmul_texture(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = info(0u);
    let n = info(1u);
    let k = i32(info(2u));
    let lane = lid.x;
    let row0 = wg.y * 16u;
    let col = wg.x * 32u + 4u * lane;
    // Texels past the edge are clamped to the last one: they are read but never stored, so
    // the K loop has no bounds checks.
    let a_last = (m + 3u) / 4u - 1u;
    let ax0 = i32(min(row0 / 4u, a_last));
    let ax1 = i32(min(row0 / 4u + 1u, a_last));
    let ax2 = i32(min(row0 / 4u + 2u, a_last));
    let ax3 = i32(min(row0 / 4u + 3u, a_last));
    let bx = i32(min(col / 4u, (n + 3u) / 4u - 1u));
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
    let k8 = k - k % 8;
    for (var kb = 0; kb < k8; kb = kb + 8) {
        let ka = kb + i32(lane);
        let a0 = textureLoad(at, vec2<i32>(ax0, ka));
        let a1 = textureLoad(at, vec2<i32>(ax1, ka));
        let a2 = textureLoad(at, vec2<i32>(ax2, ka));
        let a3 = textureLoad(at, vec2<i32>(ax3, ka));
        let b0 = textureLoad(bt, vec2<i32>(bx, kb + 0));
        let b1 = textureLoad(bt, vec2<i32>(bx, kb + 1));
        let b2 = textureLoad(bt, vec2<i32>(bx, kb + 2));
        let b3 = textureLoad(bt, vec2<i32>(bx, kb + 3));
        let b4 = textureLoad(bt, vec2<i32>(bx, kb + 4));
        let b5 = textureLoad(bt, vec2<i32>(bx, kb + 5));
        let b6 = textureLoad(bt, vec2<i32>(bx, kb + 6));
        let b7 = textureLoad(bt, vec2<i32>(bx, kb + 7));
        c0 = steps8(c0, a0.x, b0, b1, b2, b3, b4, b5, b6, b7);
        c1 = steps8(c1, a0.y, b0, b1, b2, b3, b4, b5, b6, b7);
        c2 = steps8(c2, a0.z, b0, b1, b2, b3, b4, b5, b6, b7);
        c3 = steps8(c3, a0.w, b0, b1, b2, b3, b4, b5, b6, b7);
        c4 = steps8(c4, a1.x, b0, b1, b2, b3, b4, b5, b6, b7);
        c5 = steps8(c5, a1.y, b0, b1, b2, b3, b4, b5, b6, b7);
        c6 = steps8(c6, a1.z, b0, b1, b2, b3, b4, b5, b6, b7);
        c7 = steps8(c7, a1.w, b0, b1, b2, b3, b4, b5, b6, b7);
        c8 = steps8(c8, a2.x, b0, b1, b2, b3, b4, b5, b6, b7);
        c9 = steps8(c9, a2.y, b0, b1, b2, b3, b4, b5, b6, b7);
        c10 = steps8(c10, a2.z, b0, b1, b2, b3, b4, b5, b6, b7);
        c11 = steps8(c11, a2.w, b0, b1, b2, b3, b4, b5, b6, b7);
        c12 = steps8(c12, a3.x, b0, b1, b2, b3, b4, b5, b6, b7);
        c13 = steps8(c13, a3.y, b0, b1, b2, b3, b4, b5, b6, b7);
        c14 = steps8(c14, a3.z, b0, b1, b2, b3, b4, b5, b6, b7);
        c15 = steps8(c15, a3.w, b0, b1, b2, b3, b4, b5, b6, b7);
    }
    // The last K % 8 steps, one at a time; every lane reads the same A texels.
    for (var kk = k8; kk < k; kk = kk + 1) {
        let a0 = textureLoad(at, vec2<i32>(ax0, kk));
        let a1 = textureLoad(at, vec2<i32>(ax1, kk));
        let a2 = textureLoad(at, vec2<i32>(ax2, kk));
        let a3 = textureLoad(at, vec2<i32>(ax3, kk));
        let b = textureLoad(bt, vec2<i32>(bx, kk));
        c0 = fma(vec4<f32>(a0.x), b, c0);
        c1 = fma(vec4<f32>(a0.y), b, c1);
        c2 = fma(vec4<f32>(a0.z), b, c2);
        c3 = fma(vec4<f32>(a0.w), b, c3);
        c4 = fma(vec4<f32>(a1.x), b, c4);
        c5 = fma(vec4<f32>(a1.y), b, c5);
        c6 = fma(vec4<f32>(a1.z), b, c6);
        c7 = fma(vec4<f32>(a1.w), b, c7);
        c8 = fma(vec4<f32>(a2.x), b, c8);
        c9 = fma(vec4<f32>(a2.y), b, c9);
        c10 = fma(vec4<f32>(a2.z), b, c10);
        c11 = fma(vec4<f32>(a2.w), b, c11);
        c12 = fma(vec4<f32>(a3.x), b, c12);
        c13 = fma(vec4<f32>(a3.y), b, c13);
        c14 = fma(vec4<f32>(a3.z), b, c14);
        c15 = fma(vec4<f32>(a3.w), b, c15);
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
