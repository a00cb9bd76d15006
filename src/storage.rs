//! A tensor's memory: host memory or a GPU buffer. Each operation matches on the pair and
//! calls the backend, so adding an op means one CPU function and one kernel launcher.

use crate::cpu::{self, CpuStorage};
use crate::gpu::{self, GpuStorage};
use crate::layout::Layout;
use crate::ops::{BinaryOp, MatmulDims, ReduceOp, UnaryOp};
use crate::{DType, Error, Result};

pub(crate) enum Storage {
    Cpu(CpuStorage),
    Gpu(GpuStorage),
}

impl Storage {
    pub(crate) fn unary(&self, op: UnaryOp, layout: &Layout) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(CpuStorage::F32(x)) => {
                Storage::Cpu(CpuStorage::F32(cpu::unary(op, x, layout)))
            }
            Storage::Cpu(CpuStorage::U32(_)) => {
                return Err(Error::DTypeMismatch {
                    op: op.name(),
                    expected: DType::F32,
                    got: DType::U32,
                })
            }
            Storage::Gpu(x) => Storage::Gpu(gpu::unary(op, x, layout)?),
        })
    }

    pub(crate) fn binary(
        &self,
        op: BinaryOp,
        ll: &Layout,
        rhs: &Storage,
        rl: &Layout,
    ) -> Result<Storage> {
        Ok(match (self, rhs) {
            (Storage::Cpu(CpuStorage::F32(a)), Storage::Cpu(CpuStorage::F32(b))) => {
                Storage::Cpu(CpuStorage::F32(cpu::binary(op, a, ll, b, rl)))
            }
            (Storage::Gpu(a), Storage::Gpu(b)) => Storage::Gpu(gpu::binary(op, a, ll, b, rl)?),
            _ => {
                return Err(Error::InvalidArgument {
                    op: op.name(),
                    msg: "operands must be f32 tensors on one device".into(),
                })
            }
        })
    }

    /// A contiguous copy of the view.
    pub(crate) fn contiguous(&self, layout: &Layout) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(CpuStorage::F32(x)) => {
                Storage::Cpu(CpuStorage::F32(cpu::gather(x, layout)))
            }
            Storage::Cpu(CpuStorage::U32(x)) => {
                Storage::Cpu(CpuStorage::U32(cpu::gather(x, layout)))
            }
            Storage::Gpu(x) => Storage::Gpu(gpu::contiguous(x, layout)?),
        })
    }

    pub(crate) fn matmul(
        &self,
        la: &Layout,
        rhs: &Storage,
        lb: &Layout,
        dims: MatmulDims,
    ) -> Result<Storage> {
        Ok(match (self, rhs) {
            (Storage::Cpu(CpuStorage::F32(a)), Storage::Cpu(CpuStorage::F32(b))) => {
                check_host_span("matmul", a.len(), la)?;
                check_host_span("matmul", b.len(), lb)?;
                Storage::Cpu(CpuStorage::F32(cpu::matmul(a, la, b, lb, dims)))
            }
            (Storage::Gpu(a), Storage::Gpu(b)) => {
                Storage::Gpu(gpu::matmul::matmul(a, la, b, lb, dims)?)
            }
            _ => return Err(f32_pair_error("matmul")),
        })
    }

    /// Reduces `axis`; the result is contiguous (indices for argmax).
    pub(crate) fn reduce(&self, op: ReduceOp, layout: &Layout, axis: usize) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(CpuStorage::F32(x)) => Storage::Cpu(cpu::reduce(op, x, layout, axis)),
            Storage::Gpu(x) => Storage::Gpu(gpu::reduce::reduce(op, x, layout, axis)?),
            Storage::Cpu(CpuStorage::U32(_)) => return Err(f32_error(op.name())),
        })
    }

    pub(crate) fn softmax(&self, layout: &Layout) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(CpuStorage::F32(x)) => {
                Storage::Cpu(CpuStorage::F32(cpu::softmax(x, layout)))
            }
            Storage::Gpu(x) => Storage::Gpu(gpu::reduce::softmax(x, layout)?),
            Storage::Cpu(CpuStorage::U32(_)) => return Err(f32_error("softmax")),
        })
    }
}

fn f32_error(op: &'static str) -> Error {
    Error::DTypeMismatch {
        op,
        expected: DType::F32,
        got: DType::U32,
    }
}

fn f32_pair_error(op: &'static str) -> Error {
    Error::InvalidArgument {
        op,
        msg: "operands must be f32 tensors on one device".into(),
    }
}

/// A view must stay inside its host buffer; layouts are built to, this keeps it a checked fact.
fn check_host_span(op: &'static str, len: usize, layout: &Layout) -> Result<()> {
    if layout.len() > 0 && layout.span().1 > len {
        return Err(Error::InvalidArgument {
            op,
            msg: format!(
                "view reaches element {} of a buffer of {len}",
                layout.span().1
            ),
        });
    }
    Ok(())
}
