// Packs a matmul operand where a buffer copy cannot put it where its kernel reads it:
//   into an rgba32float texture for the texture kernel (shaders/matmul_texture.wgsl, which says
//   how it reads them): pack_operand, pack_rows4, pack_columns4;
//   into a row-major block for the narrow kernel's uniform block (shaders/matmul_narrow.wgsl):
//   pack_narrow.
// The matrix X (rows x cols) is read through its offset and strides (PackParams in
// src/gpu/matmul/pack.rs mirrors the struct).

struct PackParams {
    rows: u32,
    cols: u32,
    offset: u32,
    row_stride: i32,
    col_stride: i32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: PackParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> src4: array<vec4<f32>>;
@group(0) @binding(3) var packed: texture_storage_2d<rgba32float, write>;
@group(0) @binding(4) var<storage, read_write> block: array<f32>;

// Invocations per workgroup along the texture's x axis; 2-D launches.
const TEXEL_WG: u32 = 64u;
const WG: u32 = 256u;

// Texel (x, r) of `packed` holds X[r, 4x .. 4x+4], zeros past the last column. Texels past the
// last one of a row are left as they are: the product reads none of them.
@compute @workgroup_size(TEXEL_WG, 1, 1)
fn pack_operand(@builtin(global_invocation_id) id: vec3<u32>) {
    let cols = p.cols;
    let x = id.x;
    let r = id.y;
    if (x * 4u >= cols || r >= p.rows) {
        return;
    }
    let base = i32(p.offset) + i32(r) * p.row_stride;
    let cs = p.col_stride;
    var t = vec4<f32>(0.0);
    for (var j = 0u; j < 4u; j = j + 1u) {
        let col = x * 4u + j;
        if (col < cols) {
            t[j] = src[base + i32(col) * cs];
        }
    }
    textureStore(packed, vec2<u32>(x, r), t);
}

// pack_operand with one 4-float storage load per texel rather than four 1-float ones, for the
// layouts that allow it (the launcher checks; a storage load is the pack's whole cost on
// lavapipe). The offset and the strides used are multiples of 4 and not negative.
//   pack_rows4: X's rows are contiguous (column stride 1); one load per texel.
//   pack_columns4: X's columns are contiguous (row stride 1); each invocation loads four
//   columns of four rows and writes the four texels of those rows.
// The components of a texel past X's last column, and past its last row in a column load,
// hold whatever follows in the buffer (past its end, whatever the bounds checks give):
// matmul_texture stores nothing they feed.
@compute @workgroup_size(TEXEL_WG, 1, 1)
fn pack_rows4(@builtin(global_invocation_id) id: vec3<u32>) {
    let x = id.x;
    let r = id.y;
    if (x * 4u >= p.cols || r >= p.rows) {
        return;
    }
    textureStore(packed, vec2<u32>(x, r), src4[(p.offset + r * u32(p.row_stride)) / 4u + x]);
}

@compute @workgroup_size(TEXEL_WG, 1, 1)
fn pack_columns4(@builtin(global_invocation_id) id: vec3<u32>) {
    let x = id.x;
    let r = id.y * 4u;
    let rows = p.rows;
    if (x * 4u >= p.cols || r >= rows) {
        return;
    }
    let cs = u32(p.col_stride) / 4u;
    let at = (p.offset + r) / 4u + 4u * x * cs;
    let c0 = src4[at];
    let c1 = src4[at + cs];
    let c2 = src4[at + 2u * cs];
    let c3 = src4[at + 3u * cs];
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

// X row-major into `block`, one invocation per element.
@compute @workgroup_size(WG, 1, 1)
fn pack_narrow(@builtin(global_invocation_id) id: vec3<u32>) {
    let n = p.cols;
    if (id.x >= p.rows * n) {
        return;
    }
    let r = id.x / n;
    let j = id.x % n;
    block[id.x] = src[i32(p.offset) + i32(r) * p.row_stride + i32(j) * p.col_stride];
}
