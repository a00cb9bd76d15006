//! CPU-vs-GPU parity cases, one table for every kernel family, run in one call per case:
//! natively by `tests/parity_cases.rs`, and in a browser by the page's parity mode
//! (`web/`), where the GPU is WebGPU and every kernel is compiled by the browser's own WGSL
//! compiler. A case builds its inputs on the CPU from a seed, moves them to the device and
//! returns its outputs (forward values and gradients); the runner reads both devices' outputs
//! back and compares them element by element.
//!
//! Not a stable interface: it exists so that the same cases run everywhere the crate runs.

mod cases;

pub use cases::cases;

use crate::{DType, Device, Result, Tensor};

/// Absolute and relative tolerance of a comparison: the GPU may add in another order (row
/// reductions by tree, products by tile) and its `exp`/`ln` may differ in the last bits.
pub const ABS_TOLERANCE: f32 = 1e-5;
/// See [`ABS_TOLERANCE`].
pub const REL_TOLERANCE: f32 = 1e-4;

/// One parity case.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// The kernel family it exercises: the WGSL file under `shaders/` whose kernels run.
    pub family: &'static str,
    /// What it computes.
    pub name: &'static str,
    /// Builds the inputs on `device` and returns the outputs to compare.
    pub run: fn(&Device) -> Result<Vec<Tensor>>,
}

/// What one case gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The case's family.
    pub family: &'static str,
    /// The case's name.
    pub name: &'static str,
    /// The largest absolute difference between the devices' outputs (0 when they failed).
    pub max_error: f32,
    /// Why it failed, if it did.
    pub failure: Option<String>,
}

impl Outcome {
    /// Whether both devices answered and agreed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// A tensor's values as read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// `f32` elements.
    F32(Vec<f32>),
    /// `u32` elements.
    U32(Vec<u32>),
}

async fn read_async(t: &Tensor) -> Result<Values> {
    Ok(match t.dtype() {
        DType::F32 => Values::F32(t.to_vec_async().await?),
        DType::U32 => Values::U32(t.to_vec_u32_async().await?),
    })
}

/// Runs `case` on the CPU and on `gpu` and compares their outputs. The reads are awaited, as a
/// browser needs; natively `pollster::block_on(run_async(..))` runs it.
pub async fn run_async(case: &Case, gpu: &Device) -> Outcome {
    // An error left on the device by an earlier case would surface at this case's first read:
    // wait for the device and drop it, so that each case answers for its own kernels only.
    let _ = gpu.synchronize_async().await;
    let outputs = async {
        let want = outputs(case, &Device::cpu()).await?;
        let got = outputs(case, gpu).await?;
        Ok::<_, crate::Error>((want, got))
    }
    .await;
    outcome(case, outputs)
}

type Outputs = Vec<(Vec<usize>, Values)>;

async fn outputs(case: &Case, device: &Device) -> Result<Outputs> {
    let tensors = (case.run)(device)?;
    let mut read = Vec::with_capacity(tensors.len());
    for t in &tensors {
        read.push((t.shape().to_vec(), read_async(t).await?));
    }
    Ok(read)
}

fn outcome(case: &Case, outputs: Result<(Outputs, Outputs)>) -> Outcome {
    let compared = outputs
        .map_err(|e| format!("error: {e}"))
        .and_then(|(want, got)| compare(&want, &got));
    let (max_error, failure) = match compared {
        Ok(e) => (e, None),
        Err(why) => (0.0, Some(why)),
    };
    Outcome {
        family: case.family,
        name: case.name,
        max_error,
        failure,
    }
}

/// Whether `got` matches `want` within `atol + rtol * |want|`; NaN matches only NaN, and an
/// infinity only the same infinity. The rule of every CPU-vs-GPU comparison.
pub fn within(got: f32, want: f32, atol: f32, rtol: f32) -> bool {
    if got.is_nan() || want.is_nan() {
        return got.is_nan() && want.is_nan();
    }
    if got.is_infinite() || want.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= atol + rtol * want.abs()
}

/// The largest absolute difference between two runs' outputs, or why they disagree: a shape,
/// a count, an integer, or an element outside `ABS_TOLERANCE + REL_TOLERANCE * |want|`.
/// NaN matches only NaN, and an infinity only the same infinity.
pub fn compare(
    want: &[(Vec<usize>, Values)],
    got: &[(Vec<usize>, Values)],
) -> std::result::Result<f32, String> {
    if want.len() != got.len() {
        return Err(format!("{} outputs, expected {}", got.len(), want.len()));
    }
    let mut worst = 0f32;
    for (i, ((ws, wv), (gs, gv))) in want.iter().zip(got).enumerate() {
        if ws != gs {
            return Err(format!("output {i}: shape {gs:?}, expected {ws:?}"));
        }
        match (wv, gv) {
            (Values::U32(w), Values::U32(g)) => {
                if let Some(j) = (0..w.len()).find(|&j| w.get(j) != g.get(j)) {
                    return Err(format!(
                        "output {i}[{j}]: {:?}, expected {:?}",
                        g.get(j),
                        w.get(j)
                    ));
                }
            }
            (Values::F32(w), Values::F32(g)) if w.len() == g.len() => {
                for (j, (&a, &b)) in w.iter().zip(g).enumerate() {
                    if !within(b, a, ABS_TOLERANCE, REL_TOLERANCE) {
                        return Err(format!("output {i}[{j}]: {b}, expected {a}"));
                    }
                    if a.is_finite() {
                        worst = worst.max((a - b).abs());
                    }
                }
            }
            _ => return Err(format!("output {i}: another dtype or length than expected")),
        }
    }
    Ok(worst)
}
