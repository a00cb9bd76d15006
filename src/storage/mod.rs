//! A tensor's memory: host memory or a GPU buffer. Each operation matches on the storage and
//! calls the backend, so adding an op means one CPU function and one kernel launcher.
//!
//! Host memory sits behind a lock because a few operations write in place: `Var::set` and the
//! optimizers' updates. GPU buffers are written by kernels, in queue order.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::cpu::{self, CpuStorage};
use crate::gpu::{self, GpuStorage};
use crate::layout::Layout;
use crate::ops::{BinaryOp, Epilogue, MatmulDims, OptimizerStep, ReduceOp, UnaryOp};
use crate::{DType, Error, Result};

mod random;
mod window;

pub(crate) enum Storage {
    Cpu(RwLock<CpuStorage>),
    Gpu(GpuStorage),
}

/// A poisoned lock means a panic elsewhere mid-write of plain numbers; the data is still
/// memory-safe to read, so carry on rather than cascade the panic.
fn read(c: &RwLock<CpuStorage>) -> RwLockReadGuard<'_, CpuStorage> {
    c.read().unwrap_or_else(|p| p.into_inner())
}

fn write(c: &RwLock<CpuStorage>) -> RwLockWriteGuard<'_, CpuStorage> {
    c.write().unwrap_or_else(|p| p.into_inner())
}

fn f32_error(op: &'static str) -> Error {
    Error::DTypeMismatch {
        op,
        expected: DType::F32,
        got: DType::U32,
    }
}

fn pair_error(op: &'static str) -> Error {
    Error::InvalidArgument {
        op,
        msg: "operands must be f32 tensors on one device".into(),
    }
}

/// The f32 data of host storage, or a dtype error.
fn host_f32<'a>(op: &'static str, c: &'a CpuStorage) -> Result<&'a [f32]> {
    match c {
        CpuStorage::F32(v) => Ok(v),
        CpuStorage::U32(_) => Err(f32_error(op)),
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

impl Storage {
    pub(crate) fn cpu(data: CpuStorage) -> Storage {
        Storage::Cpu(RwLock::new(data))
    }

    pub(crate) fn cpu_f32(data: Vec<f32>) -> Storage {
        Storage::cpu(CpuStorage::F32(data))
    }

    pub(crate) fn unary(&self, op: UnaryOp, layout: &Layout) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(c) => {
                Storage::cpu_f32(cpu::unary(op, host_f32(op.name(), &read(c))?, layout)?)
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
            (Storage::Cpu(a), Storage::Cpu(b)) => {
                let (a, b) = (read(a), read(b));
                let (a, b) = (host_f32(op.name(), &a)?, host_f32(op.name(), &b)?);
                Storage::cpu_f32(cpu::binary(op, a, ll, b, rl)?)
            }
            (Storage::Gpu(a), Storage::Gpu(b)) => Storage::Gpu(gpu::binary(op, a, ll, b, rl)?),
            _ => return Err(pair_error(op.name())),
        })
    }

    /// A contiguous copy of the view.
    pub(crate) fn contiguous(&self, layout: &Layout) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(c) => Storage::cpu(match &*read(c) {
                CpuStorage::F32(x) => CpuStorage::F32(cpu::gather(x, layout)?),
                CpuStorage::U32(x) => CpuStorage::U32(cpu::gather(x, layout)?),
            }),
            Storage::Gpu(x) => Storage::Gpu(gpu::contiguous(x, layout)?),
        })
    }

    /// The elements of the view in row-major order, on the host.
    pub(crate) fn to_host(&self, layout: &Layout, dtype: DType) -> Result<CpuStorage> {
        match self {
            Storage::Cpu(c) => Ok(match &*read(c) {
                CpuStorage::F32(x) => CpuStorage::F32(cpu::gather(x, layout)?),
                CpuStorage::U32(x) => CpuStorage::U32(cpu::gather(x, layout)?),
            }),
            Storage::Gpu(g) => {
                let copy = strided_copy(g, layout)?;
                let bytes = copy.as_ref().unwrap_or(g).read_bytes(layout.len())?;
                Ok(host_of(dtype, &bytes))
            }
        }
    }

    /// `to_host` without blocking: the GPU's read is awaited (the way in a browser).
    pub(crate) async fn to_host_async(&self, layout: &Layout, dtype: DType) -> Result<CpuStorage> {
        let Storage::Gpu(g) = self else {
            return self.to_host(layout, dtype);
        };
        let copy = strided_copy(g, layout)?;
        let bytes = copy
            .as_ref()
            .unwrap_or(g)
            .read_bytes_async(layout.len())
            .await?;
        Ok(host_of(dtype, &bytes))
    }

    /// Writes the elements of `src` (viewed through `src_layout`) into the view `dst_layout`
    /// of this storage, in place. Both views have the same shape; dtypes are the caller's.
    pub(crate) fn assign(
        &self,
        dst_layout: &Layout,
        src: &Storage,
        src_layout: &Layout,
    ) -> Result<()> {
        match (self, src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => {
                // Read the source first: it may be this very storage.
                let values = match &*read(s) {
                    CpuStorage::F32(x) => CpuStorage::F32(cpu::gather(x, src_layout)?),
                    CpuStorage::U32(x) => CpuStorage::U32(cpu::gather(x, src_layout)?),
                };
                let mut d = write(d);
                check_host_span("assign", d.len(), dst_layout)?;
                match (&mut *d, values) {
                    (CpuStorage::F32(d), CpuStorage::F32(v)) => cpu::scatter(d, dst_layout, &v),
                    (CpuStorage::U32(d), CpuStorage::U32(v)) => cpu::scatter(d, dst_layout, &v),
                    _ => return Err(pair_error("assign")),
                }
                Ok(())
            }
            (Storage::Gpu(d), Storage::Gpu(s)) => gpu::assign(d, dst_layout, s, src_layout),
            _ => Err(pair_error("assign")),
        }
    }

    /// `A · B`, then `epilogue` with a bias along the result's last axis when one is given.
    pub(crate) fn matmul(
        &self,
        la: &Layout,
        rhs: &Storage,
        lb: &Layout,
        dims: MatmulDims,
        epilogue: Option<(Epilogue, &Storage, &Layout)>,
    ) -> Result<Storage> {
        Ok(match (self, rhs, epilogue) {
            (Storage::Cpu(a), Storage::Cpu(b), epilogue) => {
                let (a, b) = (read(a), read(b));
                let (a, b) = (host_f32("matmul", &a)?, host_f32("matmul", &b)?);
                check_host_span("matmul", a.len(), la)?;
                check_host_span("matmul", b.len(), lb)?;
                let mut out = cpu::matmul(a, la, b, lb, dims)?;
                match epilogue {
                    None => {}
                    Some((e, Storage::Cpu(bias), lbias)) => {
                        let bias = read(bias);
                        let bias = host_f32("matmul", &bias)?;
                        check_host_span("matmul", bias.len(), lbias)?;
                        cpu::epilogue(&mut out, e, &cpu::gather(bias, lbias)?);
                    }
                    Some(_) => return Err(pair_error("matmul")),
                }
                Storage::cpu_f32(out)
            }
            (Storage::Gpu(a), Storage::Gpu(b), None) => {
                Storage::Gpu(gpu::matmul::matmul(a, la, b, lb, dims, None)?)
            }
            (Storage::Gpu(a), Storage::Gpu(b), Some((e, Storage::Gpu(bias), lbias))) => {
                Storage::Gpu(gpu::matmul::matmul(
                    a,
                    la,
                    b,
                    lb,
                    dims,
                    Some((e, bias, lbias)),
                )?)
            }
            _ => return Err(pair_error("matmul")),
        })
    }

    /// Reduces `axis`; the result is contiguous (indices for argmax).
    pub(crate) fn reduce(&self, op: ReduceOp, layout: &Layout, axis: usize) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(c) => Storage::cpu(cpu::reduce(
                op,
                host_f32(op.name(), &read(c))?,
                layout,
                axis,
            )?),
            Storage::Gpu(x) => Storage::Gpu(gpu::reduce::reduce(op, x, layout, axis)?),
        })
    }

    pub(crate) fn softmax(&self, layout: &Layout) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(c) => {
                Storage::cpu_f32(cpu::softmax(host_f32("softmax", &read(c))?, layout)?)
            }
            Storage::Gpu(x) => Storage::Gpu(gpu::reduce::softmax(x, layout)?),
        })
    }

    /// Mean sparse softmax-cross-entropy of contiguous (batch, classes) logits and (batch,)
    /// labels; a label out of range gives NaN (the caller validates).
    pub(crate) fn cross_entropy(
        &self,
        labels: &Storage,
        batch: usize,
        classes: usize,
    ) -> Result<Storage> {
        Ok(match (self, labels) {
            (Storage::Cpu(x), Storage::Cpu(l)) => {
                let (x, l) = (read(x), read(l));
                let CpuStorage::U32(l) = &*l else {
                    return Err(pair_error("sparse_softmax_cross_entropy"));
                };
                Storage::cpu_f32(vec![cpu::cross_entropy(
                    host_f32("sparse_softmax_cross_entropy", &x)?,
                    l,
                    classes,
                )?])
            }
            (Storage::Gpu(x), Storage::Gpu(l)) => {
                Storage::Gpu(gpu::loss::cross_entropy(x, l, batch, classes)?)
            }
            _ => return Err(pair_error("sparse_softmax_cross_entropy")),
        })
    }

    /// How many rows of contiguous (batch, classes) logits have their first maximum at the
    /// label, as a one-element f32 storage.
    pub(crate) fn count_correct(
        &self,
        labels: &Storage,
        batch: usize,
        classes: usize,
    ) -> Result<Storage> {
        Ok(match (self, labels) {
            (Storage::Cpu(x), Storage::Cpu(l)) => {
                let (x, l) = (read(x), read(l));
                let CpuStorage::U32(l) = &*l else {
                    return Err(pair_error("count_correct"));
                };
                Storage::cpu_f32(vec![cpu::count_correct(
                    host_f32("count_correct", &x)?,
                    l,
                    classes,
                )])
            }
            (Storage::Gpu(x), Storage::Gpu(l)) => {
                Storage::Gpu(gpu::loss::count_correct(x, l, batch, classes)?)
            }
            _ => return Err(pair_error("count_correct")),
        })
    }

    /// `grad * (softmax(logits) - onehot(labels)) / batch`, `grad` a one-element storage.
    pub(crate) fn cross_entropy_backward(
        &self,
        labels: &Storage,
        grad: &Storage,
        batch: usize,
        classes: usize,
    ) -> Result<Storage> {
        let op = "sparse_softmax_cross_entropy";
        Ok(match (self, labels, grad) {
            (Storage::Cpu(x), Storage::Cpu(l), Storage::Cpu(g)) => {
                let (x, l, g) = (read(x), read(l), read(g));
                let CpuStorage::U32(l) = &*l else {
                    return Err(pair_error(op));
                };
                let g = host_f32(op, &g)?.first().copied().unwrap_or(0.0);
                Storage::cpu_f32(cpu::cross_entropy_backward(
                    host_f32(op, &x)?,
                    l,
                    g,
                    classes,
                )?)
            }
            (Storage::Gpu(x), Storage::Gpu(l), Storage::Gpu(g)) => {
                Storage::Gpu(gpu::loss::cross_entropy_backward(x, l, g, batch, classes)?)
            }
            _ => return Err(pair_error(op)),
        })
    }

    /// Rows `start..start + rows` (through `order` when given) of a data set of packed u8
    /// rows (`self`) and u32 `labels`: f32 features in [0, 1] and u32 labels.
    pub(crate) fn gather_batch(
        &self,
        labels: &Storage,
        order: Option<&Storage>,
        start: usize,
        rows: usize,
        features: usize,
    ) -> Result<(Storage, Storage)> {
        let op = "batch";
        match (self, labels, order) {
            (Storage::Cpu(w), Storage::Cpu(l), order) => {
                let (w, l) = (read(w), read(l));
                let (CpuStorage::U32(w), CpuStorage::U32(l)) = (&*w, &*l) else {
                    return Err(pair_error(op));
                };
                let order = match order {
                    Some(Storage::Cpu(o)) => match &*read(o) {
                        CpuStorage::U32(o) => Some(o[start..start + rows].to_vec()),
                        CpuStorage::F32(_) => return Err(pair_error(op)),
                    },
                    Some(Storage::Gpu(_)) => return Err(pair_error(op)),
                    None => None,
                };
                let samples: Vec<usize> = match order {
                    Some(o) => o.iter().map(|&s| s as usize).collect(),
                    None => (start..start + rows).collect(),
                };
                let (x, y) = cpu::gather_batch(bytemuck::cast_slice(w), l, &samples, features)?;
                Ok((Storage::cpu_f32(x), Storage::cpu(CpuStorage::U32(y))))
            }
            (Storage::Gpu(w), Storage::Gpu(l), order) => {
                let order = match order {
                    Some(Storage::Gpu(o)) => Some(o),
                    Some(Storage::Cpu(_)) => return Err(pair_error(op)),
                    None => None,
                };
                let (x, y) = gpu::data::gather(w, l, order, start, rows, features)?;
                Ok((Storage::Gpu(x), Storage::Gpu(y)))
            }
            _ => Err(pair_error(op)),
        }
    }

    /// One optimizer update of this (contiguous) parameter storage in place, with its gradient,
    /// both of `len` elements, and its state (velocity, mean square, or Adam's two moments) of
    /// `step.state_len(len)`.
    pub(crate) fn optimizer_step(
        &self,
        grad: &Storage,
        state: &Storage,
        step: OptimizerStep,
        len: usize,
    ) -> Result<()> {
        let op = "optimizer step";
        match (self, grad, state) {
            (Storage::Cpu(w), Storage::Cpu(g), Storage::Cpu(s)) => {
                let g = read(g);
                let g = host_f32(op, &g)?;
                let (mut w, mut s) = (write(w), write(s));
                let (CpuStorage::F32(w), CpuStorage::F32(s)) = (&mut *w, &mut *s) else {
                    return Err(f32_error(op));
                };
                let short = || Error::InvalidArgument {
                    op,
                    msg: format!("a parameter of {len} elements has a shorter buffer or state"),
                };
                let w = w.get_mut(..len).ok_or_else(short)?;
                let g = g.get(..len).ok_or_else(short)?;
                let s = s.get_mut(..step.state_len(len)).ok_or_else(short)?;
                cpu::optimizer_step(w, g, s, step);
                Ok(())
            }
            (Storage::Gpu(w), Storage::Gpu(g), Storage::Gpu(s)) => {
                gpu::optimizer::step(w, g, s, step, len)
            }
            _ => Err(pair_error(op)),
        }
    }
}

/// A contiguous copy of the view, unless it already is the start of its buffer in order: a
/// readback copies a buffer's first bytes.
fn strided_copy(g: &GpuStorage, layout: &Layout) -> Result<Option<GpuStorage>> {
    if layout.is_contiguous() && layout.offset() == 0 {
        Ok(None)
    } else {
        gpu::contiguous(g, layout).map(Some)
    }
}

/// Bytes read back from the GPU as host elements of `dtype`.
fn host_of(dtype: DType, bytes: &[u8]) -> CpuStorage {
    match dtype {
        DType::F32 => CpuStorage::F32(bytemuck::pod_collect_to_vec(bytes)),
        DType::U32 => CpuStorage::U32(bytemuck::pod_collect_to_vec(bytes)),
    }
}
