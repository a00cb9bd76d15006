//! A tensor's memory: host memory or a GPU buffer. Each operation matches on the pair and
//! calls the backend, so adding an op means one CPU function and one kernel launcher.

use crate::cpu::{self, CpuStorage};
use crate::gpu::{self, GpuStorage};
use crate::layout::Layout;
use crate::ops::{BinaryOp, UnaryOp};
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
}
