//! How far a CPU-emulated adapter's code is from the machine's arithmetic peak, measured three
//! ways in one run:
//! - the host's own multiply-add peak: AVX2 FMA on 12 independent accumulators, one thread
//!   and one thread per core (x86-64 with AVX2 and FMA only);
//! - the K loop of `matmul_texture` (shaders/matmul_texture.wgsl: a 16x32 block per 8-lane
//!   workgroup, operands in rgba32float storage textures) for a 512x512x512 product, as it is
//!   and with its B reads, or its A reads and broadcasts, replaced by values from registers;
//!   and at K = 128 (the shape of x^T·dy), with and without storing C;
//! - kernels that do nothing but chains of multiply-adds in registers: a stand-in for the most
//!   a kernel doing this much arithmetic gets out of the adapter's compiler.
//!
//! Rounds interleave the kernels, so that the machine's changing speed falls on all alike;
//! each time is one submit waited on, after warm-up. BENCHMARKS.md ("What limits lavapipe")
//! holds its figures.
//!
//! cargo run --release --example lavapipe_ceiling [-- ROUNDS]
use std::error::Error;
use std::time::Instant;

/// Rows of C per workgroup in the product kernels; 32 columns, 4 per lane.
const ROWS: usize = 16;

const TEXTURE_SHADER: &str = include_str!("../shaders/matmul_texture.wgsl");

/// The K loop's helpers as shaders/matmul_texture.wgsl defines them: from the comment before
/// `struct Steps` up to the by-rows broadcasts, so that the probe times the library's code.
fn kernel_helpers() -> Result<&'static str, Box<dyn Error>> {
    let start = TEXTURE_SHADER.find("// The A values of one row");
    let end = TEXTURE_SHADER.find("// A stored by rows");
    match (start, end) {
        (Some(a), Some(b)) if a < b => Ok(&TEXTURE_SHADER[a..b]),
        _ => Err(
            "shaders/matmul_texture.wgsl no longer has the helpers this probe times \
                  (`struct Steps` .. `from_lanes`)"
                .into(),
        ),
    }
}

/// The product kernel: `k` steps along K for a 512-column C, both operands in textures 128
/// texels wide. `a_read`/`b_read` name the functions that give A's and B's texels, `spread`
/// how A values reach every lane; `store` is the epilogue.
fn product(
    helpers: &str,
    k: usize,
    (a_read, b_read, spread): (&str, &str, &str),
    store: Store,
) -> String {
    let mut s = String::from(PRODUCT_PRELUDE) + helpers;
    s += "@compute @workgroup_size(8, 1, 1)\n";
    s += "fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {\n";
    s += "    let lane = lid.x;\n    let row0 = wg.y * 16u;\n    let col = wg.x * 32u + 4u * lane;\n";
    for j in 0..ROWS / 4 {
        s += &format!("    var ai{j} = lane * 128u + row0 / 4u + {j}u;\n");
    }
    s += "    var bi = col / 4u;\n";
    for r in 0..ROWS {
        s += &format!("    var c{r} = vec4<f32>(0.0);\n");
    }
    s += &format!("    for (var kb = 0u; kb < {k}u; kb = kb + 8u) {{\n");
    for j in 0..ROWS / 4 {
        s += &format!("        let a{j} = {a_read}(ai{j});\n        ai{j} = ai{j} + 1024u;\n");
    }
    let b: Vec<String> = (0..8)
        .map(|i| format!("{b_read}(bi + {}u)", i * 128))
        .collect();
    s += &format!(
        "        let b = B8({});\n        bi = bi + 1024u;\n",
        b.join(", ")
    );
    for r in 0..ROWS {
        let c = ["x", "y", "z", "w"][r % 4];
        s += &format!(
            "        c{r} = steps8(c{r}, {spread}(a{}.{c}), b);\n",
            r / 4
        );
    }
    s += "    }\n";
    match store {
        Store::Vec4 => {
            for r in 0..ROWS {
                s += &format!("    out[((row0 + {r}u) * 512u + col) / 4u] = c{r};\n");
            }
        }
        // As store4 in shaders/matmul_common.wgsl does: one checked float at a time.
        Store::Floats => {
            for r in 0..ROWS {
                s += &format!(
                    "    for (var j = 0u; j < 4u; j = j + 1u) {{ if (col + j < 512u) {{ \
                     outf[(row0 + {r}u) * 512u + col + j] = c{r}[j]; }} }}\n"
                );
            }
        }
        Store::Nothing => {
            let sum: Vec<String> = (0..ROWS).map(|r| format!("c{r}")).collect();
            s += &format!(
                "    let t = {};\n    if (t.x == 12345.0) {{ out[0] = t; }}\n",
                sum.join(" + ")
            );
        }
    }
    // Every kernel binds the same four resources, whichever it reads.
    s += "    if (c0.x == 12345.0) {\n        out[1] = textureLoad(at, vec2<u32>(0u)) + textureLoad(bt, vec2<u32>(0u));\n        outf[1] = c0.y;\n    }\n}\n";
    s
}

#[derive(Clone, Copy)]
enum Store {
    Vec4,
    Floats,
    Nothing,
}

/// The bindings and operand reads of the product kernels. The K loop's own helpers (`Steps`,
/// `B8`, `steps8`, `from_lanes`) are the library's, taken from its shader (`kernel_helpers`).
const PRODUCT_PRELUDE: &str = r#"
@group(0) @binding(0) var at: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var bt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> outf: array<f32>;
fn in_lane(x: f32) -> Steps {
    return Steps(x, x + 1.0, x + 2.0, x + 3.0, x + 4.0, x + 5.0, x + 6.0, x + 7.0);
}
fn a_texel(i: u32) -> vec4<f32> { return textureLoad(at, vec2<u32>(i & 127u, i >> 7u)); }
fn b_texel(i: u32) -> vec4<f32> { return textureLoad(bt, vec2<u32>(i & 127u, i >> 7u)); }
fn a_register(i: u32) -> vec4<f32> { return vec4<f32>(f32(i), 1.0, 2.0, 3.0); }
fn b_register(i: u32) -> vec4<f32> { return vec4<f32>(f32(i), 0.5, 0.25, 0.125); }
"#;

/// `acc` vec4 accumulators a lane, each taking 8 chained multiply-adds `c = c * x + y` per
/// iteration (the multiply depends on the accumulator, so nothing can be hoisted), as many in
/// all as the 512³ product's, on the same grid. A product's multiply does not depend on its
/// accumulator; but with `c += x * k` the shader compiler hoists or factors the products, so
/// these chains are the closest register-only stand-in found.
fn chains(helpers: &str, acc: usize) -> String {
    let iters = 512 * ROWS * 4 / (4 * acc * 8);
    let mut body = String::new();
    for i in 0..acc {
        body += &format!("        var s{i} = fma(c{i}, x, y);\n");
        for _ in 0..6 {
            body += &format!("        s{i} = fma(s{i}, x, y);\n");
        }
        body += &format!("        c{i} = fma(s{i}, x, y);\n");
    }
    let init: String = (0..acc)
        .map(|i| format!("    var c{i} = vec4<f32>({}.0 * 0.1);\n", i))
        .collect();
    let sum: Vec<String> = (0..acc).map(|i| format!("c{i}")).collect();
    format!(
        "{PRODUCT_PRELUDE}{helpers}
@compute @workgroup_size(8, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {{
    let x = vec4<f32>(0.999, 0.998, 0.997, 0.996) + vec4<f32>(f32(lid.x) * 1e-6);
    let y = vec4<f32>(f32(wg.x) * 1e-6, 1e-3, 2e-3, 3e-3);
{init}    for (var i = 0u; i < {iters}u; i = i + 1u) {{
{body}    }}
    let t = {};
    if (t.x == 12345.0) {{
        out[0] = t + textureLoad(at, vec2<u32>(0u)) + textureLoad(bt, vec2<u32>(0u));
        outf[0] = t.y;
    }}
}}
",
        sum.join(" + ")
    )
}

struct Kernel {
    name: String,
    flops: f64,
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    workgroups: (u32, u32),
    times: Vec<f64>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let rounds: usize = match std::env::args().nth(1) {
        Some(r) => r
            .parse()
            .map_err(|_| format!("ROUNDS must be a number, got {r:?}"))?,
        None => 15,
    };
    host_peak();
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&Default::default()))
        .map_err(|e| format!("no adapter: {e}"))?;
    let info = adapter.get_info();
    println!(
        "adapter: {} ({:?}, {})",
        info.name, info.device_type, info.driver_info
    );
    if !adapter.features().contains(wgpu::Features::SUBGROUP) {
        return Err(format!("{} has no subgroup operations", info.name).into());
    }
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        required_features: wgpu::Features::SUBGROUP,
        ..Default::default()
    }))?;
    let texture = || {
        device
            .create_texture(&wgpu::TextureDescriptor {
                label: None,
                size: wgpu::Extent3d {
                    width: 128,
                    height: 512,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba32Float,
                usage: wgpu::TextureUsages::STORAGE_BINDING,
                view_formats: &[],
            })
            .create_view(&Default::default())
    };
    let (a, b) = (texture(), texture());
    let buffer = || {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: 512 * 512 * 4,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        })
    };
    let (out, outf) = (buffer(), buffer());
    let product_flops = |k: usize| 2.0 * 512.0 * 512.0 * k as f64;
    let grid = (512 / 32, 512 / ROWS as u32);
    let helpers = kernel_helpers()?;
    let as_is = ("a_texel", "b_texel", "from_lanes");
    let products = [
        (
            "texture kernel's K loop, 512x512x512",
            512,
            as_is,
            Store::Vec4,
        ),
        (
            "  B from registers, not textures",
            512,
            ("a_texel", "b_register", "from_lanes"),
            Store::Vec4,
        ),
        (
            "  A from registers, no broadcasts",
            512,
            ("a_register", "b_texel", "in_lane"),
            Store::Vec4,
        ),
        (
            "texture kernel, 512x128x512, C as store4 stores it",
            128,
            as_is,
            Store::Floats,
        ),
        (
            "  the same, C stored a vec4 at a time",
            128,
            as_is,
            Store::Vec4,
        ),
        ("  the same, C not stored", 128, as_is, Store::Nothing),
    ];
    let sources: Vec<(String, f64, String)> = products
        .into_iter()
        .map(|(name, k, reads, store)| {
            let source = product(helpers, k, reads, store);
            (name.to_string(), product_flops(k), source)
        })
        .chain([2, 4, 6].map(|acc| {
            (
                format!("multiply-add chains only, {acc} vec4 accumulators"),
                product_flops(512),
                chains(helpers, acc),
            )
        }))
        .collect();
    let mut kernels: Vec<Kernel> = sources
        .into_iter()
        .map(|(name, flops, source)| {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(&name),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&name),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &pipeline.get_bind_group_layout(0),
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(&a),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::TextureView(&b),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: out.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 3,
                        resource: outf.as_entire_binding(),
                    },
                ],
            });
            Kernel {
                name,
                flops,
                pipeline,
                bind_group,
                workgroups: grid,
                times: Vec::new(),
            }
        })
        .collect();
    // Round 0 is warm-up: it compiles each kernel's code.
    for round in 0..=rounds {
        for k in kernels.iter_mut() {
            for _ in 0..3 {
                let start = Instant::now();
                let mut encoder = device.create_command_encoder(&Default::default());
                {
                    let mut pass = encoder.begin_compute_pass(&Default::default());
                    pass.set_pipeline(&k.pipeline);
                    pass.set_bind_group(0, &k.bind_group, &[]);
                    pass.dispatch_workgroups(k.workgroups.0, k.workgroups.1, 1);
                }
                queue.submit([encoder.finish()]);
                device.poll(wgpu::PollType::wait_indefinitely())?;
                if round > 0 {
                    k.times.push(start.elapsed().as_secs_f64());
                }
            }
        }
    }
    println!("{rounds} rounds of 3 submits each, GFLOP/s (median, best):");
    for k in &mut kernels {
        k.times.sort_by(f64::total_cmp);
        let median = k.times[k.times.len() / 2];
        println!(
            "  {:52} {:6.1} {:6.1}   ({:.3} ms median)",
            k.name,
            k.flops / median / 1e9,
            k.flops / k.times[0] / 1e9,
            median * 1e3
        );
    }
    Ok(())
}

/// The host's multiply-add peak, single precision, from AVX2 FMA on 12 independent
/// accumulators: one thread, then one per core.
fn host_peak() {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            for t in [1, threads] {
                let best = (0..5)
                    .map(|_| {
                        let start = Instant::now();
                        let flops: f64 = std::thread::scope(|s| {
                            let workers: Vec<_> = (0..t).map(|_| s.spawn(fma_loop)).collect();
                            workers.into_iter().map(|w| w.join().unwrap_or(0.0)).sum()
                        });
                        flops / start.elapsed().as_secs_f64() / 1e9
                    })
                    .fold(0.0, f64::max);
                println!("host: {best:.1} GFLOP/s of AVX2 FMA on {t} thread(s) (best of 5)");
            }
            return;
        }
    }
    println!("host: peak not measured (needs x86-64 with AVX2 and FMA)");
}

/// Runs the FMA loop; returns the floating-point operations it did.
#[cfg(target_arch = "x86_64")]
fn fma_loop() -> f64 {
    const ITERS: usize = 20_000_000;
    // SAFETY: host_peak calls this only where AVX2 and FMA were detected.
    let sum = unsafe { fma_kernel(ITERS) };
    std::hint::black_box(sum);
    (ITERS * 12 * 8 * 2) as f64
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_kernel(iters: usize) -> f32 {
    use std::arch::x86_64::*;
    let x = _mm256_set1_ps(0.999);
    let y = _mm256_set1_ps(1e-4);
    let mut c = [_mm256_setzero_ps(); 12];
    for (i, ci) in c.iter_mut().enumerate() {
        *ci = _mm256_set1_ps(i as f32 * 0.1);
    }
    for _ in 0..iters {
        for ci in c.iter_mut() {
            *ci = _mm256_fmadd_ps(*ci, x, y);
        }
    }
    let mut s = c[0];
    for ci in &c[1..] {
        s = _mm256_add_ps(s, *ci);
    }
    let mut out = [0f32; 8];
    _mm256_storeu_ps(out.as_mut_ptr(), s);
    out.iter().sum()
}
