// One fused, in-place optimizer update per parameter: w, its gradient g and its state s.
//   sgd, with momentum:  s = momentum * s - lr * g;  w = w + s
//   rmsprop:             s = rho * s + (1 - rho) * g^2;  w = w - lr * g / (sqrt(s) + epsilon)
//   adam, s = [m; v]:    m += (g - m) * (1 - beta1);  v += (g^2 - v) * (1 - beta2);
//                        w = w - lr * m / (sqrt(v) + epsilon), lr bias-corrected by the host
//
// One entry point per optimizer rather than a branch on the kind: CPU-emulated adapters run
// both arms of a branch, masked, and there every load and store costs a loop over the lanes.

// folded_index: shaders/prelude.wgsl.

struct OptimizerParams {
    len: u32,
    lr: f32,
    // SGD's momentum, RMSprop's rho, or Adam's beta1.
    decay: f32,
    epsilon: f32,
    // The textures' width in texels (the *_textures entry points).
    width: u32,
    // Adam's beta2.
    decay2: f32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: OptimizerParams;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> s: array<f32>;

const WG: u32 = 256u;
const TEXTURE_WG: u32 = 64u;

@compute @workgroup_size(WG)
fn sgd(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
       @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.len) {
        return;
    }
    let v = p.decay * s[i] - p.lr * g[i];
    s[i] = v;
    w[i] = w[i] + v;
}

@compute @workgroup_size(WG)
fn rmsprop(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.len) {
        return;
    }
    let rho = p.decay;
    let gi = g[i];
    let v = rho * s[i] + (1.0 - rho) * gi * gi;
    s[i] = v;
    w[i] = w[i] - p.lr * gi / (sqrt(v) + p.epsilon);
}

@compute @workgroup_size(WG)
fn adam(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, WG);
    if (i >= p.len) {
        return;
    }
    let gi = g[i];
    let m = s[i] + (gi - s[i]) * (1.0 - p.decay);
    let v = s[p.len + i] + (gi * gi - s[p.len + i]) * (1.0 - p.decay2);
    s[i] = m;
    s[p.len + i] = v;
    w[i] = w[i] - p.lr * m / (sqrt(v) + p.epsilon);
}

// The same two updates, reading w, g and s from rgba32float storage textures and writing w and
// s four elements at a time, for adapters where such a load is far cheaper than a storage-buffer
// load: on lavapipe a buffer load compiles to a loop over the SIMD lanes and a storage-texture
// load to a few instructions per lane (a sampled texture's load is a call), while buffer stores
// cost less than texture stores. The launcher copies the three buffers into the textures
// first (src/gpu/optimizer.rs). Texel (x, y) holds elements 4 (y width + x) .. + 4;
// the element count is a multiple of 4.
@group(0) @binding(4) var<storage, read_write> w4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> s4: array<vec4<f32>>;
@group(0) @binding(6) var wt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(7) var gt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(8) var st: texture_storage_2d<rgba32float, read>;

@compute @workgroup_size(TEXTURE_WG)
fn sgd_textures(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.y * p.width + id.x;
    if (i >= p.len / 4u) {
        return;
    }
    let c = vec2<i32>(id.xy);
    let v = p.decay * textureLoad(st, c) - p.lr * textureLoad(gt, c);
    s4[i] = v;
    w4[i] = textureLoad(wt, c) + v;
}

@compute @workgroup_size(TEXTURE_WG)
fn rmsprop_textures(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.y * p.width + id.x;
    if (i >= p.len / 4u) {
        return;
    }
    let c = vec2<i32>(id.xy);
    let rho = p.decay;
    let gi = textureLoad(gt, c);
    let v = rho * textureLoad(st, c) + (1.0 - rho) * gi * gi;
    s4[i] = v;
    w4[i] = textureLoad(wt, c) - p.lr * gi / (sqrt(v) + p.epsilon);
}
