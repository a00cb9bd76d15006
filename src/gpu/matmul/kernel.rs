//! The matmul kernels by name: what the tuner chooses, the disk cache records and
//! `TENSORGEARS_MATMUL` forces.

use crate::{Error, Result};

/// A matmul kernel (one entry point, or a pair sharing one launch; src/gpu/matmul/ has a file
/// per kernel family).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum MatmulKernel {
    /// Register blocking only, no workgroup memory (shaders/matmul.wgsl).
    Register,
    /// Workgroup-memory tiles (shaders/matmul.wgsl).
    Tiled,
    /// Register blocking with A shared across 8-lane subgroups by broadcast
    /// (shaders/matmul_subgroup.wgsl).
    Subgroup,
    /// Both operands first put into textures and read as storage textures, 16x32 blocks of C
    /// per 8-lane subgroup (shaders/matmul_texture.wgsl). One matrix per product.
    Texture,
    /// One lane per four rows of C, B read from a uniform block: products of at most 16
    /// columns (shaders/matmul_narrow.wgsl). Not a contender in the timed choice.
    Narrow,
    /// For GPU hardware: 128x128 tiles staged through workgroup memory, 8x8 results per
    /// invocation, vec4 loads, split-K where the tiles cannot fill the device
    /// (shaders/matmul_gemm.wgsl).
    Gemm128,
    /// The same kernel with 64x64 tiles, for products too small to fill a device with 128x128
    /// ones.
    Gemm64,
}

impl MatmulKernel {
    /// Every kernel, in the order the tuner lists them.
    pub(crate) const ALL: [MatmulKernel; 7] = [
        MatmulKernel::Register,
        MatmulKernel::Tiled,
        MatmulKernel::Subgroup,
        MatmulKernel::Texture,
        MatmulKernel::Narrow,
        MatmulKernel::Gemm128,
        MatmulKernel::Gemm64,
    ];

    /// The name used by `TENSORGEARS_MATMUL`, the cache and `Device::matmul_kernel`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            MatmulKernel::Register => "register",
            MatmulKernel::Tiled => "tiled",
            MatmulKernel::Subgroup => "subgroup",
            MatmulKernel::Texture => "texture",
            MatmulKernel::Narrow => "narrow",
            MatmulKernel::Gemm128 => "gemm128",
            MatmulKernel::Gemm64 => "gemm64",
        }
    }

    /// The contender `s` names, if it names one (`narrow` is not one).
    pub(crate) fn parse(s: &str) -> Option<MatmulKernel> {
        MatmulKernel::ALL
            .into_iter()
            .find(|k| k.name() == s && *k != MatmulKernel::Narrow)
    }

    /// The kernel `TENSORGEARS_MATMUL` names, if it is set; an error when it names none.
    pub(crate) fn forced() -> Result<Option<MatmulKernel>> {
        // Read once: every product asks, and reading the environment takes a process-wide
        // lock and allocates.
        static FORCED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        match FORCED.get_or_init(|| std::env::var("TENSORGEARS_MATMUL").ok()) {
            Some(name) => MatmulKernel::named(name).map(Some),
            None => Ok(None),
        }
    }

    /// The kernel `name` names, as `TENSORGEARS_MATMUL` gives it; an error listing the names.
    pub(crate) fn named(name: &str) -> Result<MatmulKernel> {
        MatmulKernel::parse(name.trim()).ok_or_else(|| {
            let names: Vec<&str> = MatmulKernel::ALL
                .iter()
                .filter(|&&k| k != MatmulKernel::Narrow)
                .map(|k| k.name())
                .collect();
            Error::InvalidArgument {
                op: "TENSORGEARS_MATMUL",
                msg: format!(
                    "{name:?} names no matmul kernel; the kernels are {}",
                    names.join(", ")
                ),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forcing_names_a_kernel_or_fails_saying_which_exist() {
        assert_eq!(
            MatmulKernel::named(" gemm64\n").ok(),
            Some(MatmulKernel::Gemm64)
        );
        for bad in ["fastest", "narrow", ""] {
            let err = MatmulKernel::named(bad).unwrap_err().to_string();
            assert!(err.contains("gemm128") && err.contains("texture"), "{err}");
        }
    }
}
