// The parameter block every kernel reads: shapes, strides, offsets, op codes, scalars, as 256
// u32 words (INFO_WORDS in src/gpu/context.rs). The launchers put this file in front of each
// kernel file (`shader!` in src/gpu/mod.rs), so a compile error's line numbers count from here.
//
// A uniform block rather than a storage buffer: on CPU-emulated adapters a uniform load at a
// constant index is one scalar load, where a storage load costs a loop over the SIMD lanes.
@group(0) @binding(0) var<uniform> info_words: array<vec4<u32>, 64>;

fn info(i: u32) -> u32 {
    return info_words[i >> 2u][i & 3u];
}
