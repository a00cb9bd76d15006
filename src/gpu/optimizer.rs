//! Launching the fused optimizer update (shaders/optimizer.wgsl).

use super::context::GpuContext;
use super::kernels;
use super::params::{params, word};
use super::runtime::{PooledTexture, Resource};
use super::storage::GpuStorage;
use crate::ops::OptimizerStep;
use crate::Result;

params! {
    /// One update of `len` elements.
    pub(crate) struct OptimizerParams {
        len: u32,
        lr: f32,
        decay: f32,
        epsilon: f32,
        width: u32,
        decay2: f32,
        _pad1: u32,
        _pad2: u32,
    }
}

/// Texels per texture row: 1024 elements, so that each row of the copy starts at a multiple
/// of 256 bytes as buffer-to-texture copies require.
const TEXTURE_WIDTH: usize = 256;

/// Updates the first `len` elements of `w` and its state `s` in place from the gradient `g`.
pub(crate) fn step(
    w: &GpuStorage,
    g: &GpuStorage,
    s: &GpuStorage,
    step: OptimizerStep,
    len: usize,
) -> Result<()> {
    let profile = &w.ctx.profile;
    let via_textures = profile.texture_reads_pay && len >= profile.optimizer_texture_min_elements;
    step_with(w, g, s, step, len, via_textures)
}

/// `step`, through textures when `via_textures` and `texture_rows` allows it.
fn step_with(
    w: &GpuStorage,
    g: &GpuStorage,
    s: &GpuStorage,
    step: OptimizerStep,
    len: usize,
    via_textures: bool,
) -> Result<()> {
    // The same update, read from storage buffers or from textures (Adam from buffers only:
    // its state holds m in its first `len` elements and v in the next).
    let (buffers_kernel, textures_kernel, lr, decay, decay2, epsilon) = match step {
        OptimizerStep::Adam {
            lr,
            beta1,
            beta2,
            epsilon,
        } => (kernels::ADAM, None, lr, beta1, beta2, epsilon),
        OptimizerStep::Sgd { lr, momentum } => (
            kernels::SGD,
            Some(kernels::SGD_TEXTURES),
            lr,
            momentum,
            0.0,
            0.0,
        ),
        OptimizerStep::RmsProp { lr, rho, epsilon } => (
            kernels::RMSPROP,
            Some(kernels::RMSPROP_TEXTURES),
            lr,
            rho,
            0.0,
            epsilon,
        ),
    };
    let params = OptimizerParams {
        len: word("optimizer step", "a parameter's elements", len)?,
        lr,
        decay,
        epsilon,
        width: TEXTURE_WIDTH as u32,
        decay2,
        _pad1: 0,
        _pad2: 0,
    };
    // The kernels index the state up to state_len (Adam's v at len + i).
    word("optimizer step", "a parameter's state", step.state_len(len))?;
    let ctx = &w.ctx;
    let runtime = &ctx.runtime;
    let textures = textures_kernel.filter(|_| via_textures);
    if let Some((textures_kernel, rows)) =
        textures.and_then(|k| texture_rows(ctx, len).map(|rows| (k, rows)))
    {
        let wt = to_texture(w, len, rows)?;
        let gt = to_texture(g, len, rows)?;
        let st = to_texture(s, len, rows)?;
        let per_group = runtime.pipeline(textures_kernel)?.interface.workgroup_size[0];
        return runtime.dispatch(
            textures_kernel,
            &params,
            &[
                (4, w.bind()),
                (5, s.bind()),
                (6, Resource::Texture(&wt)),
                (7, Resource::Texture(&gt)),
                (8, Resource::Texture(&st)),
            ],
            [(TEXTURE_WIDTH as u32).div_ceil(per_group), rows as u32, 1],
        );
    }
    runtime.dispatch_items(
        buffers_kernel,
        &params,
        &[(1, w.bind()), (2, g.bind()), (3, s.bind())],
        len,
    )
}

/// The texture rows `len` elements fill, where the texture path can take them: a whole
/// number of texels, and no more rows than a texture may have.
fn texture_rows(ctx: &GpuContext, len: usize) -> Option<usize> {
    let rows = (len / 4).div_ceil(TEXTURE_WIDTH);
    (len.is_multiple_of(4) && rows > 0 && rows <= ctx.profile.max_texture_side).then_some(rows)
}

/// A pooled texture of `rows` rows holding the first `len` elements of `x`.
fn to_texture(x: &GpuStorage, len: usize, rows: usize) -> Result<PooledTexture<'_>> {
    let runtime = &x.ctx.runtime;
    let texture = runtime.alloc_texture("optimizer", TEXTURE_WIDTH as u32, rows as u32)?;
    runtime.copy_to_texture(x.buffer(), 0, &texture, (len / 4) as u32);
    Ok(texture)
}

#[cfg(test)]
mod tests {
    //! The texture path against the storage-buffer path, bit for bit, and both against the
    //! update evaluated in f64.
    use super::*;

    fn run(len: usize, step: OptimizerStep, via_textures: bool) -> (Vec<f32>, Vec<f32>) {
        let ctx = crate::gpu::storage::test_context().expect("checked by the caller");
        let values = |seed: usize| -> Vec<u8> {
            (0..len)
                .flat_map(|i| ((((i * 7919 + seed) % 1000) as f32 - 500.0) * 1e-3).to_le_bytes())
                .collect()
        };
        let w = GpuStorage::upload(&ctx, "test", &values(1)).unwrap();
        let g = GpuStorage::upload(&ctx, "test", &values(2)).unwrap();
        let s = GpuStorage::upload(&ctx, "test", &vec![0; 4 * step.state_len(len)]).unwrap();
        for _ in 0..2 {
            step_with(&w, &g, &s, step, len, via_textures).unwrap();
        }
        let floats = |x: &GpuStorage| -> Vec<f32> {
            bytemuck::cast_slice(&x.read_bytes(len).unwrap()).to_vec()
        };
        (floats(&w), floats(&s))
    }

    /// Two steps of `step` on w_i, s_i = 0 and a fixed g_i, in f64.
    fn reference(len: usize, step: OptimizerStep) -> Vec<f32> {
        let value = |i: usize, seed: usize| (((i * 7919 + seed) % 1000) as f64 - 500.0) * 1e-3;
        (0..len)
            .map(|i| {
                let (mut w, g, mut s, mut v) = (value(i, 1), value(i, 2), 0.0, 0.0);
                for _ in 0..2 {
                    match step {
                        OptimizerStep::Adam {
                            lr,
                            beta1,
                            beta2,
                            epsilon,
                        } => {
                            s += (g - s) * (1.0 - beta1 as f64);
                            v += (g * g - v) * (1.0 - beta2 as f64);
                            w -= lr as f64 * s / (v.sqrt() + epsilon as f64);
                        }
                        OptimizerStep::Sgd { lr, momentum } => {
                            s = momentum as f64 * s - lr as f64 * g;
                            w += s;
                        }
                        OptimizerStep::RmsProp { lr, rho, epsilon } => {
                            s = rho as f64 * s + (1.0 - rho as f64) * g * g;
                            w -= lr as f64 * g / (s.sqrt() + epsilon as f64);
                        }
                    }
                }
                w as f32
            })
            .collect()
    }

    #[test]
    fn texture_path_matches_buffer_path() {
        let Some(ctx) = crate::gpu::storage::test_context() else {
            return;
        };
        let steps = [
            OptimizerStep::Sgd {
                lr: 0.1,
                momentum: 0.9,
            },
            OptimizerStep::RmsProp {
                lr: 1e-3,
                rho: 0.9,
                epsilon: 1e-7,
            },
        ];
        // Whole texture rows; a part row of one texel; the MNIST hidden layer's weights.
        for len in [3 * 1024, 4100, 784 * 512] {
            assert!(texture_rows(&ctx, len).is_some(), "{len} elements");
            for step in steps {
                let (w_tex, s_tex) = run(len, step, true);
                let (w_buf, s_buf) = run(len, step, false);
                assert!(w_tex == w_buf && s_tex == s_buf, "{step:?}, {len} elements");
                for (i, (&got, want)) in w_tex.iter().zip(reference(len, step)).enumerate() {
                    let tol = 1e-6 * (1.0 + want.abs());
                    assert!(
                        (got - want).abs() <= tol,
                        "{step:?} w[{i}]: {got} vs {want}"
                    );
                }
            }
        }
    }

    /// Adam has no texture path: its buffers against the update in f64.
    #[test]
    fn adam_matches_reference() {
        if crate::gpu::storage::test_context().is_none() {
            return;
        }
        let step = OptimizerStep::Adam {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
        };
        let len = 5000;
        let (w, _) = run(len, step, false);
        for (i, (&got, want)) in w.iter().zip(reference(len, step)).enumerate() {
            assert!(
                (got - want).abs() <= 1e-6 * (1.0 + want.abs()),
                "w[{i}]: {got} vs {want}"
            );
        }
    }

    #[test]
    fn texture_rows_need_whole_texels() {
        let Some(ctx) = crate::gpu::storage::test_context() else {
            return;
        };
        assert_eq!(texture_rows(&ctx, 1024), Some(1));
        assert_eq!(texture_rows(&ctx, 1028), Some(2));
        assert_eq!(texture_rows(&ctx, 1026), None);
        assert_eq!(texture_rows(&ctx, 0), None);
        let too_many = 4 * TEXTURE_WIDTH * (ctx.profile.max_texture_side + 1);
        assert_eq!(texture_rows(&ctx, too_many), None);
    }
}
