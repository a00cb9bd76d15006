//! Which kernel runs a product: a pure function of the adapter's profile, the kernel the tuner
//! chose for it, and the product. No device is needed to test it.

use super::kernel::MatmulKernel;
use super::narrow;
use super::operands::copies;
use super::plan::Problem;
use crate::gpu::profile::AdapterProfile;
use crate::ops::MatmulDims;

/// The kernels this adapter can run. The subgroup and texture kernels are for CPU-emulated
/// adapters with subgroups of exactly 8 lanes (the profile's `eight_lane_kernels`); the
/// texture kernel also reads rgba32float storage textures.
pub(crate) fn available(profile: &AdapterProfile) -> Vec<MatmulKernel> {
    let mut v = vec![
        MatmulKernel::Register,
        MatmulKernel::Tiled,
        MatmulKernel::Narrow,
        MatmulKernel::Gemm128,
        MatmulKernel::Gemm64,
    ];
    if profile.eight_lane_kernels {
        v.push(MatmulKernel::Subgroup);
        if profile.storage_texture_reads {
            v.push(MatmulKernel::Texture);
        }
    }
    v
}

/// The kernels the tuner measures: all the adapter runs but `Narrow`, which takes only the
/// products `select` sends it; on a CPU-emulated adapter not the gemm kernels either, which are
/// built for GPU hardware (workgroup memory and barriers cost there what they save on a GPU).
pub(crate) fn contenders(profile: &AdapterProfile) -> Vec<MatmulKernel> {
    let mut v = available(profile);
    v.retain(|&k| {
        k != MatmulKernel::Narrow
            && !(profile.emulated && matches!(k, MatmulKernel::Gemm128 | MatmulKernel::Gemm64))
    });
    v
}

/// The kernel for `problem` where the tuner chose `tuned`: the block kernels (64 and 32
/// columns) hand narrow products to the narrow kernel, whose lanes would otherwise compute
/// mostly columns that do not exist; the texture kernel hands the subgroup kernel the small
/// products whose operands would need a pack kernel.
pub(crate) fn select(
    profile: &AdapterProfile,
    tuned: MatmulKernel,
    problem: &Problem,
) -> MatmulKernel {
    match tuned {
        MatmulKernel::Subgroup | MatmulKernel::Texture if narrow::fits(profile, problem.dims) => {
            MatmulKernel::Narrow
        }
        MatmulKernel::Texture if !texture_pays(profile, problem) => MatmulKernel::Subgroup,
        k => k,
    }
}

/// Whether putting the operands into textures pays against the subgroup kernel: always where
/// both are copied (the texture kernel was as fast or faster from 8x8x8 to 1x784x512,
/// BENCHMARKS.md), and where a pack kernel runs, from the profile's `texture_pack_pays_from`.
pub(crate) fn texture_pays(profile: &AdapterProfile, problem: &Problem) -> bool {
    let MatmulDims { batch, m, n, k } = problem.dims;
    if m * n >= profile.texture_pack_pays_from * (m + n) {
        return true;
    }
    let side = profile.max_texture_side;
    let (a, b) = (&problem.a, &problem.b);
    let (ars, acs) = (a.row_stride, a.col_stride);
    // A goes in by columns (as A^T) or by rows, whichever copies; B by rows.
    batch == 1
        && (copies(side, a.buffer_bytes, a.offset(), (k, m), (acs, ars))
            || copies(side, a.buffer_bytes, a.offset(), (m, k), (ars, acs)))
        && copies(
            side,
            b.buffer_bytes,
            b.offset(),
            (k, n),
            (b.row_stride, b.col_stride),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layout;

    /// The layout of one (rows x cols) matrix, stored row-major or, `transposed`, as the
    /// row-major storage of its transpose.
    fn matrix(rows: usize, cols: usize, transposed: bool) -> Layout {
        if transposed {
            Layout::new(vec![1, rows, cols], vec![0, 1, rows as isize], 0)
        } else {
            Layout::contiguous(&[1, rows, cols])
        }
    }

    fn problem(m: usize, k: usize, n: usize, a_t: bool, b_t: bool) -> Problem {
        let bytes = 4 * 784 * 512;
        let dims = MatmulDims { batch: 1, m, n, k };
        Problem::new(
            (&matrix(m, k, a_t), bytes),
            (&matrix(k, n, b_t), bytes),
            dims,
            None,
        )
        .expect("small")
    }

    #[test]
    fn candidates_follow_the_profile() {
        use MatmulKernel::*;
        let lavapipe = AdapterProfile::lavapipe();
        assert_eq!(
            available(&lavapipe),
            vec![Register, Tiled, Narrow, Gemm128, Gemm64, Subgroup, Texture]
        );
        assert_eq!(
            contenders(&lavapipe),
            vec![Register, Tiled, Subgroup, Texture]
        );
        // A real GPU never runs the kernels written for lavapipe's 8-lane subgroups
        // (profile.rs checks that even 8-lane subgroups do not make them candidates there).
        let gpu = AdapterProfile::discrete();
        assert_eq!(contenders(&gpu), vec![Register, Tiled, Gemm128, Gemm64]);
    }

    /// Narrow products leave the block kernels for the narrow kernel; others keep the choice.
    #[test]
    fn narrow_products_take_the_narrow_kernel() {
        use MatmulKernel::*;
        let p = AdapterProfile::lavapipe();
        let narrow = problem(128, 512, 10, false, false);
        let wide = problem(128, 784, 512, false, false);
        assert_eq!(select(&p, Texture, &narrow), Narrow);
        assert_eq!(select(&p, Subgroup, &narrow), Narrow);
        assert_eq!(select(&p, Register, &narrow), Register);
        assert_eq!(select(&p, Texture, &wide), Texture);
        assert_eq!(select(&p, Tiled, &wide), Tiled);
    }

    #[test]
    fn narrow_takes_only_narrow_products() {
        let p = AdapterProfile::lavapipe();
        let one = |m, k, n| MatmulDims { batch: 1, m, n, k };
        assert!(narrow::fits(&p, one(128, 512, 10)));
        assert!(narrow::fits(&p, one(512, 128, 10)));
        assert!(narrow::fits(&p, one(1, 1024, 16)));
        assert!(narrow::fits(&p, one(1, 16384, 1)));
        // Too wide; B larger than the uniform block; batched; K = 0.
        assert!(!narrow::fits(&p, one(128, 10, 512)));
        assert!(!narrow::fits(&p, one(128, 10, 17)));
        assert!(!narrow::fits(&p, one(1, 1025, 16)));
        let batched = MatmulDims {
            batch: 2,
            ..one(8, 8, 8)
        };
        assert!(!narrow::fits(&p, batched));
        assert!(!narrow::fits(&p, one(3, 0, 2)));
    }

    /// Small products take the texture kernel only where neither operand needs a pack kernel.
    #[test]
    fn texture_pays_for_small_products_only_when_copied() {
        let p = AdapterProfile::lavapipe();
        let pays = |m, k, n, a_t, b_t| texture_pays(&p, &problem(m, k, n, a_t, b_t));
        assert!(pays(8, 8, 8, false, false));
        assert!(pays(1, 784, 512, false, false));
        assert!(pays(32, 32, 32, true, false));
        // A's rows of 10 and 30 floats, B's columns: packed.
        assert!(!pays(32, 10, 32, false, false));
        assert!(!pays(20, 30, 40, false, false));
        assert!(!pays(20, 32, 40, false, true));
        // Large enough to pay for its packs.
        assert!(pays(128, 10, 512, false, true));
        assert_eq!(
            select(
                &p,
                MatmulKernel::Texture,
                &problem(32, 10, 32, false, false)
            ),
            MatmulKernel::Subgroup
        );
    }

    /// What a kernel cannot take goes where it says: the texture kernel's batched products to
    /// the subgroup kernel, the narrow kernel's wide ones to the register kernel.
    #[test]
    fn unsupported_products_fall_back() {
        use super::super::launch::runnable;
        use MatmulKernel::*;
        let p = AdapterProfile::lavapipe();
        let batched = Problem::new(
            (&Layout::contiguous(&[3, 8, 8]), 4096),
            (&Layout::contiguous(&[3, 8, 8]), 4096),
            MatmulDims {
                batch: 3,
                m: 8,
                n: 8,
                k: 8,
            },
            None,
        )
        .expect("small");
        assert_eq!(runnable(&p, Texture, &batched), Subgroup);
        assert_eq!(runnable(&p, Narrow, &batched), Register);
        assert_eq!(
            runnable(&p, Narrow, &problem(130, 70, 10, false, true)),
            Narrow
        );
        assert_eq!(runnable(&p, Tiled, &batched), Tiled);
        let empty_k = problem(3, 0, 2, false, false);
        assert_eq!(runnable(&p, Texture, &empty_k), Subgroup);
    }
}
