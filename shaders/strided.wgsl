// The one walk from an element's row-major index to its place in a strided view, shared by the
// element-wise, copy and reduction kernels (their launchers put this file before theirs).
//
// The including file declares its parameter block as `p`, with a `shape: Shape` and a
// `views: array<View, N>`. A shape has at most 16 axes (MAX_RANK in src/gpu/params.rs): the
// launchers first drop axes of length 1 and merge axes that are contiguous with each other in
// every view (`Layout::merged`), so only axes that cannot merge count.

struct Shape {
    rank: u32,
    len: u32,
    _pad0: u32,
    _pad1: u32,
    dims: array<vec4<u32>, 4>,
}

// Where a view's elements sit: element i of a contiguous view (`contiguous` 1) is at
// offset + i; otherwise at offset + sum over axes of index * stride. Broadcast axes have
// stride 0, so one walk serves every op.
struct View {
    offset: u32,
    contiguous: u32,
    _pad0: u32,
    _pad1: u32,
    strides: array<vec4<i32>, 4>,
}

// A view and the shape it is walked in, together: the parameter block of the element-wise and
// copy kernels (shaders/elementwise.wgsl, shaders/copy.wgsl).
struct StridedParams {
    shape: Shape,
    views: array<View, 2>,
    scalar: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// The storage index of element i (row-major in p.shape) of view k.
fn strided_index(k: u32, i: u32) -> u32 {
    if (p.views[k].contiguous == 1u) {
        return p.views[k].offset + i;
    }
    var rem = i;
    var o = i32(p.views[k].offset);
    for (var d = p.shape.rank; d > 0u; d = d - 1u) {
        let a = d - 1u;
        let dim = p.shape.dims[a >> 2u][a & 3u];
        o = o + i32(rem % dim) * p.views[k].strides[a >> 2u][a & 3u];
        rem = rem / dim;
    }
    return u32(o);
}
