// One fused, in-place optimizer update per parameter: w, its gradient g and its state s.
//   sgd, with momentum:  s = momentum * s - lr * g;  w = w + s
//   rmsprop:             s = rho * s + (1 - rho) * g^2;  w = w - lr * g / (sqrt(s) + epsilon)
// info: [0] elements  [1] lr  [2] momentum or rho  [3] epsilon   (floats as bits)
//
// One entry point per optimizer rather than a branch on the kind: CPU-emulated adapters run
// both arms of a branch, masked, and there every load and store costs a loop over the lanes.

// info(i), the parameter block at binding 0, and folded_index: shaders/prelude.wgsl.
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> s: array<f32>;

@compute @workgroup_size(256)
fn sgd(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
       @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, 256u);
    if (i >= info(0)) {
        return;
    }
    let v = bitcast<f32>(info(2)) * s[i] - bitcast<f32>(info(1)) * g[i];
    s[i] = v;
    w[i] = w[i] + v;
}

@compute @workgroup_size(256)
fn rmsprop(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let i = folded_index(wg, nwg, lid, 256u);
    if (i >= info(0)) {
        return;
    }
    let rho = bitcast<f32>(info(2));
    let gi = g[i];
    let v = rho * s[i] + (1.0 - rho) * gi * gi;
    s[i] = v;
    w[i] = w[i] - bitcast<f32>(info(1)) * gi / (sqrt(v) + bitcast<f32>(info(3)));
}
