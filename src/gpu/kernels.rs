//! Every WGSL program and kernel the launchers run, in one table: a program is a file of
//! shaders/ (with the files it includes), a kernel one of its entry points with its override
//! constants. Launchers name kernels from here; nothing else builds a `Kernel`.

use super::runtime::{Kernel, Program};
use crate::ops::{BinaryOp, UnaryOp};

/// The WGSL source of `shaders/$file` (several files are joined in order) with
/// `shaders/prelude.wgsl` in front: WGSL has no includes, and shared code is declared once.
macro_rules! shader {
    ($($file:literal),+) => {
        concat!(
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/prelude.wgsl")),
            $(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $file))),+
        )
    };
}

/// A program named after its own file, `shaders/$file`, after the files it includes.
macro_rules! program {
    ($name:ident = [$($include:literal),*] $file:literal) => {
        pub(crate) static $name: Program = Program {
            name: $file,
            source: shader!($($include,)* $file),
        };
    };
}

program!(ELEMENTWISE_WGSL = ["strided.wgsl"] "elementwise.wgsl");
program!(COPY_WGSL = ["strided.wgsl"] "copy.wgsl");
program!(REDUCE_WGSL = ["strided.wgsl"] "reduce.wgsl");
program!(LOSS_WGSL = [] "loss.wgsl");
program!(OPTIMIZER_WGSL = [] "optimizer.wgsl");
program!(GATHER_WGSL = [] "gather.wgsl");
program!(MATMUL_WGSL = ["matmul_common.wgsl"] "matmul.wgsl");
program!(MATMUL_SUBGROUP_WGSL = ["matmul_common.wgsl"] "matmul_subgroup.wgsl");
program!(MATMUL_TEXTURE_WGSL = ["matmul_common.wgsl"] "matmul_texture.wgsl");
program!(MATMUL_NARROW_WGSL = ["matmul_common.wgsl"] "matmul_narrow.wgsl");
program!(MATMUL_GEMM_WGSL = ["matmul_common.wgsl"] "matmul_gemm.wgsl");
program!(MATMUL_PACK_WGSL = [] "matmul_pack.wgsl");
program!(WINDOW_WGSL = [] "window.wgsl");
program!(RANDOM_WGSL = [] "random.wgsl");

/// Every program, for the tests that compile or translate them all.
#[cfg(test)]
pub(crate) const PROGRAMS: [&Program; 14] = [
    &ELEMENTWISE_WGSL,
    &COPY_WGSL,
    &REDUCE_WGSL,
    &LOSS_WGSL,
    &OPTIMIZER_WGSL,
    &GATHER_WGSL,
    &MATMUL_WGSL,
    &MATMUL_SUBGROUP_WGSL,
    &MATMUL_TEXTURE_WGSL,
    &MATMUL_NARROW_WGSL,
    &MATMUL_GEMM_WGSL,
    &MATMUL_PACK_WGSL,
    &WINDOW_WGSL,
    &RANDOM_WGSL,
];

/// An element-wise kernel with its op fixed (`OP` in shaders/elementwise.wgsl).
pub(crate) fn unary(op: UnaryOp) -> Kernel {
    Kernel::new(&ELEMENTWISE_WGSL, "unary").with("OP", op.code())
}

/// `op` on two strided inputs, one element per invocation.
pub(crate) fn binary(op: BinaryOp) -> Kernel {
    Kernel::new(&ELEMENTWISE_WGSL, "binary").with("OP", op.code())
}

/// `op` on two contiguous inputs, four elements per invocation.
pub(crate) fn binary4(op: BinaryOp) -> Kernel {
    Kernel::new(&ELEMENTWISE_WGSL, "binary4").with("OP", op.code())
}

pub(crate) const FILL: Kernel = Kernel::new(&ELEMENTWISE_WGSL, "fill");
pub(crate) const STRIDED_COPY: Kernel = Kernel::new(&COPY_WGSL, "strided_copy");

/// Elements each invocation of `REDUCE` folds before its workgroup's tree (`PER`).
pub(crate) const REDUCE_PER_INVOCATION: u32 = 16;
pub(crate) const REDUCE: Kernel =
    Kernel::new(&REDUCE_WGSL, "reduce").with("PER", REDUCE_PER_INVOCATION);
pub(crate) const REDUCE_ROWS: Kernel = Kernel::new(&REDUCE_WGSL, "reduce_rows");
pub(crate) const SOFTMAX: Kernel = Kernel::new(&REDUCE_WGSL, "softmax");
pub(crate) const SOFTMAX_ROWS: Kernel = Kernel::new(&REDUCE_WGSL, "softmax_rows");

pub(crate) const CROSS_ENTROPY: Kernel = Kernel::new(&LOSS_WGSL, "forward");
pub(crate) const CROSS_ENTROPY_BACKWARD: Kernel = Kernel::new(&LOSS_WGSL, "backward");
pub(crate) const COUNT_CORRECT: Kernel = Kernel::new(&LOSS_WGSL, "correct");
pub(crate) const CROSS_ENTROPY_ROWS: Kernel = Kernel::new(&LOSS_WGSL, "forward_rows");
pub(crate) const CROSS_ENTROPY_BACKWARD_ROWS: Kernel = Kernel::new(&LOSS_WGSL, "backward_rows");
pub(crate) const CORRECT_ROWS: Kernel = Kernel::new(&LOSS_WGSL, "correct_rows");

pub(crate) const SGD: Kernel = Kernel::new(&OPTIMIZER_WGSL, "sgd");
pub(crate) const RMSPROP: Kernel = Kernel::new(&OPTIMIZER_WGSL, "rmsprop");
pub(crate) const ADAM: Kernel = Kernel::new(&OPTIMIZER_WGSL, "adam");
pub(crate) const SGD_TEXTURES: Kernel = Kernel::new(&OPTIMIZER_WGSL, "sgd_textures");
pub(crate) const RMSPROP_TEXTURES: Kernel = Kernel::new(&OPTIMIZER_WGSL, "rmsprop_textures");

pub(crate) const GATHER: Kernel = Kernel::new(&GATHER_WGSL, "gather");
pub(crate) const GATHER4: Kernel = Kernel::new(&GATHER_WGSL, "gather4");

pub(crate) const MATMUL_REGISTER: Kernel = Kernel::new(&MATMUL_WGSL, "matmul_register");
pub(crate) const MATMUL_TILED: Kernel = Kernel::new(&MATMUL_WGSL, "matmul_tiled");
pub(crate) const MATMUL_SUBGROUP: Kernel = Kernel::new(&MATMUL_SUBGROUP_WGSL, "matmul_subgroup");
/// The texture kernel with A stored by columns (as A^T), and by rows.
pub(crate) const MATMUL_TEXTURE: Kernel = Kernel::new(&MATMUL_TEXTURE_WGSL, "matmul_texture");
pub(crate) const MATMUL_TEXTURE_ROWS: Kernel =
    Kernel::new(&MATMUL_TEXTURE_WGSL, "matmul_texture_rows");
pub(crate) const MATMUL_NARROW: Kernel = Kernel::new(&MATMUL_NARROW_WGSL, "matmul_narrow");

/// The GPU-hardware matmul with a `tile` of (rows, columns) of C per workgroup, its operands'
/// load modes (`A_VEC`, `B_VEC` in shaders/matmul_gemm.wgsl) and whether it computes a slice
/// of split-K.
pub(crate) fn matmul_gemm(tile: (u32, u32), a_vec: u32, b_vec: u32, split_k: bool) -> Kernel {
    Kernel::new(&MATMUL_GEMM_WGSL, "matmul_gemm")
        .with("BM", tile.0)
        .with("BN", tile.1)
        .with("A_VEC", a_vec)
        .with("B_VEC", b_vec)
        .with("SPLIT_K", u32::from(split_k))
}

/// Adds split-K's slices and stores C through the epilogue.
pub(crate) const MATMUL_SPLIT_SUM: Kernel = Kernel::new(&MATMUL_GEMM_WGSL, "matmul_split_sum");

pub(crate) const PACK_OPERAND: Kernel = Kernel::new(&MATMUL_PACK_WGSL, "pack_operand");
pub(crate) const PACK_ROWS4: Kernel = Kernel::new(&MATMUL_PACK_WGSL, "pack_rows4");
pub(crate) const PACK_COLUMNS4: Kernel = Kernel::new(&MATMUL_PACK_WGSL, "pack_columns4");
pub(crate) const PACK_NARROW: Kernel = Kernel::new(&MATMUL_PACK_WGSL, "pack_narrow");

pub(crate) const IM2COL: Kernel = Kernel::new(&WINDOW_WGSL, "im2col");
pub(crate) const COL2IM: Kernel = Kernel::new(&WINDOW_WGSL, "col2im");
pub(crate) const MAX_POOL: Kernel = Kernel::new(&WINDOW_WGSL, "max_pool");
pub(crate) const MAX_POOL_BACKWARD: Kernel = Kernel::new(&WINDOW_WGSL, "max_pool_backward");

pub(crate) const DROPOUT_MASK: Kernel = Kernel::new(&RANDOM_WGSL, "dropout_mask");
