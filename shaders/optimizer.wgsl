// One fused, in-place optimizer update per parameter: w, its gradient g and its state s.
//   kind 0, SGD with momentum:  s = momentum * s - lr * g;  w = w + s
//   kind 1, RMSprop:            s = rho * s + (1 - rho) * g^2;  w = w - lr * g / (sqrt(s) + epsilon)
// info: [0] elements  [1] kind  [2] lr  [3] momentum or rho  [4] epsilon   (floats as bits)

// info(i), the parameter block at binding 0: shaders/info.wgsl.
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> s: array<f32>;

@compute @workgroup_size(256)
fn step(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = (wg.y * nwg.x + wg.x) * 256u + lid;
    if (i >= info(0)) {
        return;
    }
    let lr = bitcast<f32>(info(2));
    let p = bitcast<f32>(info(3));
    let gi = g[i];
    if (info(1) == 0u) {
        let v = p * s[i] - lr * gi;
        s[i] = v;
        w[i] = w[i] + v;
    } else {
        let v = p * s[i] + (1.0 - p) * gi * gi;
        s[i] = v;
        w[i] = w[i] - lr * gi / (sqrt(v) + bitcast<f32>(info(4)));
    }
}
