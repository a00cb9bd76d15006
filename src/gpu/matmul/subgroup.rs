//! The subgroup kernel (shaders/matmul_subgroup.wgsl): 64x64 blocks of C per 8-lane subgroup,
//! each A value loaded once and broadcast to the lanes, for CPU-emulated adapters whose
//! subgroups are 8 lanes wide. It launches as the register and tiled kernels do, but is never
//! swapped: it reads each column's bias once per lane (`column_bias4`).

use super::basic::Direct;
use crate::gpu::kernels;

pub(crate) const SUBGROUP: Direct = Direct {
    kernel: kernels::MATMUL_SUBGROUP,
    tile: (64, 64),
    swappable: false,
};
