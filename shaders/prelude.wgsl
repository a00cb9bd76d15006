// What every kernel shares; the launchers put this file in front of each kernel file
// (`shader!` in src/gpu/kernels.rs), so a compile error's line numbers count from here.
//
// Each kernel family declares its parameter block at binding 0 as a uniform struct mirrored by
// a #[repr(C)] Rust struct (src/gpu/params.rs checks the two against each other). A uniform
// block rather than a storage buffer: on CPU-emulated adapters a uniform load at a constant
// offset is one scalar load, where a storage load costs a loop over the SIMD lanes.

// The index of an invocation in a one-dimensional launch of workgroups of `size`, which the
// host folds over x and y when they exceed one dimension's limit (`fold_workgroups` in
// src/gpu/runtime/recorder.rs).
fn folded_index(wg: vec3<u32>, nwg: vec3<u32>, lid: u32, size: u32) -> u32 {
    return (wg.y * nwg.x + wg.x) * size + lid;
}
