//! What a kernel's WGSL says of its interface, read with naga: the bind group layout, the
//! workgroup size and the size of the parameter block. An explicit layout lets the parameter
//! block (binding 0) take a dynamic offset, so one bind group serves every dispatch of a kernel
//! over the same buffers, whichever parameter slot it reads.

use super::kernel::Kernel;
use crate::{Error, Result};

/// A kernel's interface, as its WGSL declares it.
#[derive(Debug, Clone)]
pub(crate) struct Interface {
    /// The layout entries of the bindings the entry point uses (binding 0 always).
    pub(crate) entries: Vec<wgpu::BindGroupLayoutEntry>,
    /// `@workgroup_size` of the entry point: declared once, in the WGSL.
    pub(crate) workgroup_size: [u32; 3],
    /// Bytes of the parameter block at binding 0, which the launcher's Rust struct must match.
    pub(crate) params_bytes: u64,
}

/// The interface of `kernel`'s entry point. Binding 0, the parameter block, is a uniform buffer
/// with a dynamic offset; the other bindings the entry point uses are storage buffers, read-only
/// where the shader only reads them (what wgpu's automatic layout would derive), or storage
/// textures.
pub(crate) fn interface(kernel: Kernel) -> Result<Interface> {
    let fail = |msg: String| {
        Error::Gpu(format!(
            "kernel {} of {:?}: {msg}",
            kernel.entry, kernel.program
        ))
    };
    let source = kernel.program.source;
    let module =
        naga::front::wgsl::parse_str(source).map_err(|e| fail(e.emit_to_string(source)))?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .map_err(|e| fail(e.emit_to_string(source)))?;
    let index = module
        .entry_points
        .iter()
        .position(|e| e.name == kernel.entry)
        .ok_or_else(|| fail("no such entry point".into()))?;
    let uses = info.get_entry_point(index);
    let mut entries = Vec::new();
    let mut params_bytes = None;
    for (handle, var) in module.global_variables.iter() {
        let Some(binding) = &var.binding else {
            continue;
        };
        if binding.binding == 0 {
            params_bytes = Some(u64::from(module.types[var.ty].inner.size(module.to_ctx())));
        } else if uses[handle].is_empty() {
            continue;
        }
        if binding.group != 0 {
            return Err(fail(format!("binding in group {}", binding.group)));
        }
        let ty = match var.space {
            naga::AddressSpace::Uniform => buffer(wgpu::BufferBindingType::Uniform, binding),
            naga::AddressSpace::Storage { access } => buffer(
                wgpu::BufferBindingType::Storage {
                    read_only: !access.contains(naga::StorageAccess::STORE),
                },
                binding,
            ),
            naga::AddressSpace::Handle => {
                texture(&module.types[var.ty].inner).ok_or_else(|| {
                    fail(format!(
                        "binding {} is not a 2-D rgba32float storage texture",
                        binding.binding
                    ))
                })?
            }
            other => return Err(fail(format!("unexpected binding space {other:?}"))),
        };
        entries.push(wgpu::BindGroupLayoutEntry {
            binding: binding.binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty,
            count: None,
        });
    }
    let params_bytes =
        params_bytes.ok_or_else(|| fail("no parameter block at binding 0".into()))?;
    Ok(Interface {
        entries,
        workgroup_size: module.entry_points[index].workgroup_size,
        params_bytes,
    })
}

fn buffer(ty: wgpu::BufferBindingType, binding: &naga::ResourceBinding) -> wgpu::BindingType {
    wgpu::BindingType::Buffer {
        ty,
        has_dynamic_offset: binding.binding == 0,
        min_binding_size: None,
    }
}

/// The texture kinds the kernels use (shaders/matmul_texture.wgsl, shaders/optimizer.wgsl):
/// read-only and write-only rgba32float storage textures. Sampled textures are not among them:
/// on lavapipe their loads are calls (BENCHMARKS.md).
fn texture(ty: &naga::TypeInner) -> Option<wgpu::BindingType> {
    let naga::TypeInner::Image {
        dim: naga::ImageDimension::D2,
        arrayed: false,
        class,
    } = ty
    else {
        return None;
    };
    match *class {
        naga::ImageClass::Storage {
            format: naga::StorageFormat::Rgba32Float,
            access,
        } if access == naga::StorageAccess::STORE || access == naga::StorageAccess::LOAD => {
            Some(wgpu::BindingType::StorageTexture {
                access: if access == naga::StorageAccess::LOAD {
                    wgpu::StorageTextureAccess::ReadOnly
                } else {
                    wgpu::StorageTextureAccess::WriteOnly
                },
                format: wgpu::TextureFormat::Rgba32Float,
                view_dimension: wgpu::TextureViewDimension::D2,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::runtime::kernel::Program;

    static TEST: Program = Program {
        name: "test.wgsl",
        source: SOURCE,
    };

    fn entries(
        entry: &'static str,
        program: &'static Program,
    ) -> Result<Vec<wgpu::BindGroupLayoutEntry>> {
        interface(Kernel::new(program, entry)).map(|i| i.entries)
    }

    const SOURCE: &str = "
        @group(0) @binding(0) var<uniform> p: vec4<u32>;
        @group(0) @binding(1) var<storage, read> x: array<f32>;
        @group(0) @binding(2) var<storage, read> unused: array<f32>;
        @group(0) @binding(3) var<storage, read_write> y: array<f32>;
        @compute @workgroup_size(2, 3) fn main() { y[0] = x[0]; }
    ";

    #[test]
    fn layout_lists_only_what_the_entry_point_uses() {
        let got: Vec<(u32, bool, Option<bool>)> = entries("main", &TEST)
            .unwrap()
            .iter()
            .map(|e| match e.ty {
                wgpu::BindingType::Buffer {
                    ty,
                    has_dynamic_offset,
                    ..
                } => (
                    e.binding,
                    has_dynamic_offset,
                    match ty {
                        wgpu::BufferBindingType::Storage { read_only } => Some(read_only),
                        _ => None,
                    },
                ),
                _ => panic!("not a buffer binding"),
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (0, true, None),
                (1, false, Some(true)),
                (3, false, Some(false))
            ]
        );
        assert!(entries("nope", &TEST).is_err());
        // Binding 0 is in every layout, used or not, with its size and the workgroup size.
        let i = interface(Kernel::new(&TEST, "main")).unwrap();
        assert_eq!((i.workgroup_size, i.params_bytes), ([2, 3, 1], 16));
    }

    #[test]
    fn textures_get_texture_layouts_and_other_kinds_an_error() {
        static TEXTURES: Program = Program {
            name: "textures.wgsl",
            source: "
            @group(0) @binding(0) var<uniform> p: vec4<u32>;
            @group(0) @binding(1) var t: texture_2d<f32>;
            @group(0) @binding(2) var s: texture_storage_2d<rgba32float, write>;
            @group(0) @binding(3) var d: texture_3d<f32>;
            @group(0) @binding(4) var r: texture_storage_2d<rgba32float, read>;
            @compute @workgroup_size(1) fn main() {
                textureStore(s, vec2<u32>(0u), textureLoad(r, vec2<u32>(p.y)));
            }
            @compute @workgroup_size(1) fn volume() {
                textureStore(s, vec2<u32>(0u), textureLoad(d, vec3<u32>(p.x), 0));
            }
            @compute @workgroup_size(1) fn sampled() {
                textureStore(s, vec2<u32>(0u), textureLoad(t, vec2<u32>(p.x), 0));
            }
        ",
        };
        let got: Vec<(u32, wgpu::BindingType)> = entries("main", &TEXTURES)
            .unwrap()
            .into_iter()
            .map(|e| (e.binding, e.ty))
            .collect();
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[1],
            (
                2,
                wgpu::BindingType::StorageTexture {
                    access: wgpu::StorageTextureAccess::WriteOnly,
                    format: wgpu::TextureFormat::Rgba32Float,
                    view_dimension: wgpu::TextureViewDimension::D2,
                }
            )
        );
        assert_eq!(
            got[2],
            (
                4,
                wgpu::BindingType::StorageTexture {
                    access: wgpu::StorageTextureAccess::ReadOnly,
                    format: wgpu::TextureFormat::Rgba32Float,
                    view_dimension: wgpu::TextureViewDimension::D2,
                }
            )
        );
        for (entry, binding) in [("volume", 3), ("sampled", 1)] {
            let err = entries(entry, &TEXTURES).unwrap_err();
            let want = format!("binding {binding} is not a 2-D rgba32float storage texture");
            assert!(err.to_string().contains(&want), "{err}");
        }
    }
}
