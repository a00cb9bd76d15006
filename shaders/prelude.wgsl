// What every kernel shares; the launchers put this file in front of each kernel file
// (`shader!` in src/gpu/mod.rs), so a compile error's line numbers count from here.
//
// The parameter block: shapes, strides, offsets, op codes, scalars, as 256 u32 words
// (INFO_WORDS in src/gpu/context.rs), read through info(i). A uniform block rather than a
// storage buffer: on CPU-emulated adapters a uniform load at a constant index is one scalar
// load, where a storage load costs a loop over the SIMD lanes.
@group(0) @binding(0) var<uniform> info_words: array<vec4<u32>, 64>;

fn info(i: u32) -> u32 {
    return info_words[i >> 2u][i & 3u];
}

// The index of an invocation in a one-dimensional launch of workgroups of `size`, which the
// host folds over x and y when they exceed one dimension's limit (`fold_workgroups` in
// src/gpu/context.rs).
fn folded_index(wg: vec3<u32>, nwg: vec3<u32>, lid: u32, size: u32) -> u32 {
    return (wg.y * nwg.x + wg.x) * size + lid;
}
