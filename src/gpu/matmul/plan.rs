//! A product as asked (sizes, operand layouts, epilogue) and as a kernel launches it, down to
//! the parameter block every matmul kernel reads (shaders/matmul_common.wgsl).

use crate::gpu::params::{params, signed, word};
use crate::layout::Layout;
use crate::ops::{Epilogue, MatmulDims};
use crate::Result;

/// Batches one dispatch can carry: their offsets fill the rest of the parameter block.
pub(crate) const MAX_BATCHES: usize = 108;

params! {
    /// The bias and relu applied as C is stored. The bias runs along C's columns, or along its
    /// rows when the product is computed as C^T: one of the strides is 0.
    pub(crate) struct EpilogueParams {
        mode: u32,
        offset: i32,
        row_stride: i32,
        col_stride: i32,
    }
}

params! {
    /// C[z] = A[z] · B[z] for the batches of one dispatch (shaders/matmul_common.wgsl).
    pub(crate) struct MatmulParams {
        m: u32,
        n: u32,
        k: u32,
        batches: u32,
        a_row_stride: i32,
        a_col_stride: i32,
        b_row_stride: i32,
        b_col_stride: i32,
        first_batch: u32,
        c_row_stride: u32,
        c_col_stride: u32,
        _pad0: u32,
        epilogue: EpilogueParams,
        a_pitch: u32,
        a_shift: u32,
        b_pitch: u32,
        b_shift: u32,
        splits: u32,
        k_per_split: u32,
        batches_total: u32,
        _pad1: u32,
        a_offsets: [u32; MAX_BATCHES],
        b_offsets: [u32; MAX_BATCHES],
    }
}

/// One operand as the kernels read it: the offset of each batch's matrix, and the strides
/// between its rows and between its columns, in elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operand {
    pub(crate) offsets: Vec<usize>,
    pub(crate) row_stride: isize,
    pub(crate) col_stride: isize,
    /// Bytes of the buffer it is stored in.
    pub(crate) buffer_bytes: u64,
}

impl Operand {
    /// The matrices of a (batch.., rows, cols) layout in a buffer of `buffer_bytes`.
    pub(crate) fn of(layout: &Layout, buffer_bytes: u64) -> Result<Operand> {
        let s = layout.strides();
        let nb = s.len() - 2;
        Ok(Operand {
            offsets: layout.batch_offsets()?,
            row_stride: s[nb],
            col_stride: s[nb + 1],
            buffer_bytes,
        })
    }

    /// The same storage read as the transposed matrices.
    pub(crate) fn transposed(&self) -> Operand {
        Operand {
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self.clone()
        }
    }

    /// The first matrix's offset.
    pub(crate) fn offset(&self) -> usize {
        self.offsets.first().copied().unwrap_or(0)
    }
}

/// The epilogue as asked: what to apply, and where the bias's elements are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BiasView {
    pub(crate) epilogue: Epilogue,
    pub(crate) offset: usize,
    pub(crate) stride: isize,
}

/// A product as asked, before any kernel is chosen: `dims.batch` products of A (m x k) and
/// B (k x n), and the epilogue.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub(crate) dims: MatmulDims,
    pub(crate) a: Operand,
    pub(crate) b: Operand,
    pub(crate) bias: Option<BiasView>,
}

/// The product as one kernel computes it: C (rows x cols) = first · second, stored through
/// `c_strides`; with `swapped`, C^T = B^T · A^T, so that first is B^T and C's strides are
/// swapped.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) k: usize,
    pub(crate) batch: usize,
    pub(crate) first: Operand,
    pub(crate) second: Operand,
    pub(crate) c_strides: (usize, usize),
    pub(crate) swapped: bool,
    pub(crate) bias: Option<BiasView>,
}

impl Problem {
    /// The layouts already broadcast to (batch.., m, k) and (batch.., k, n), and a bias of
    /// length n (shape checked by `Tensor::linear`).
    pub(crate) fn new(
        (la, a_bytes): (&Layout, u64),
        (lb, b_bytes): (&Layout, u64),
        dims: MatmulDims,
        bias: Option<(Epilogue, &Layout)>,
    ) -> Result<Problem> {
        Ok(Problem {
            dims,
            a: Operand::of(la, a_bytes)?,
            b: Operand::of(lb, b_bytes)?,
            bias: bias.map(|(epilogue, l)| BiasView {
                epilogue,
                offset: l.offset(),
                stride: l.strides()[0],
            }),
        })
    }

    /// How a kernel whose workgroups cover `tile` (rows, columns) of C computes the product. A
    /// tile much wider than C wastes most invocations (128x10 on an 8x512 tile); a kernel that
    /// is `swappable` (it applies the bias per element through both strides) then computes
    /// C^T = B^T · A^T instead, writing through transposed C strides: no copy either way.
    pub(crate) fn launch(&self, (tm, tn): (usize, usize), swappable: bool) -> Launch {
        let MatmulDims { batch, m, n, k } = self.dims;
        let swapped = swappable && tn > tm && n < tn / 4 && m > n;
        if swapped {
            Launch {
                rows: n,
                cols: m,
                k,
                batch,
                first: self.b.transposed(),
                second: self.a.transposed(),
                c_strides: (1, n),
                swapped,
                bias: self.bias,
            }
        } else {
            Launch {
                rows: m,
                cols: n,
                k,
                batch,
                first: self.a.clone(),
                second: self.b.clone(),
                c_strides: (n, 1),
                swapped,
                bias: self.bias,
            }
        }
    }
}

impl Launch {
    /// Workgroups along x (columns of C) and y (rows) for tiles of (rows, columns).
    pub(crate) fn grid(&self, (tm, tn): (usize, usize)) -> [usize; 2] {
        [self.cols.div_ceil(tn), self.rows.div_ceil(tm)]
    }

    /// The parameter block of a dispatch of `count` batches from `first_batch` on (the
    /// texture kernel's fields left 0).
    pub(crate) fn params(&self, first_batch: usize, count: usize) -> Result<MatmulParams> {
        let op = "matmul";
        let u = |what, v| word(op, what, v);
        let i = |v| signed(op, "a stride", v);
        // The bias runs along C's columns: the computed matrix's rows when swapped.
        let epilogue = match self.bias {
            Some(b) => {
                let step = i(b.stride)?;
                let (row_stride, col_stride) = if self.swapped { (step, 0) } else { (0, step) };
                EpilogueParams {
                    mode: b.epilogue.code(),
                    offset: signed(op, "a bias offset", b.offset as isize)?,
                    row_stride,
                    col_stride,
                }
            }
            None => EpilogueParams {
                mode: 0,
                offset: 0,
                row_stride: 0,
                col_stride: 0,
            },
        };
        let mut params = MatmulParams {
            m: u("rows of a product", self.rows)?,
            n: u("columns of a product", self.cols)?,
            k: u("an inner dimension", self.k)?,
            batches: u("batches", count)?,
            a_row_stride: i(self.first.row_stride)?,
            a_col_stride: i(self.first.col_stride)?,
            b_row_stride: i(self.second.row_stride)?,
            b_col_stride: i(self.second.col_stride)?,
            first_batch: u("batches", first_batch)?,
            c_row_stride: u("a stride", self.c_strides.0)?,
            c_col_stride: u("a stride", self.c_strides.1)?,
            _pad0: 0,
            epilogue,
            a_pitch: 0,
            a_shift: 0,
            b_pitch: 0,
            b_shift: 0,
            splits: 1,
            k_per_split: u("an inner dimension", self.k)?,
            batches_total: u("batches", self.batch)?,
            _pad1: 0,
            a_offsets: [0; MAX_BATCHES],
            b_offsets: [0; MAX_BATCHES],
        };
        let batches = first_batch..first_batch + count.min(MAX_BATCHES);
        for (z, b) in batches.enumerate() {
            params.a_offsets[z] = u("an operand's offset", self.first.offsets[b])?;
            params.b_offsets[z] = u("an operand's offset", self.second.offsets[b])?;
        }
        Ok(params)
    }
}
