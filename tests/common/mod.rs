//! The parity harness shared by the integration tests.
//!
//! `test_device!(name, body)` runs `body(&Device)` once on the CPU and once on the GPU. A
//! missing GPU adapter fails the GPU test, unless `TENSORGEARS_ALLOW_NO_GPU=1` is set, in which
//! case the GPU test says loudly on stderr that it did not run. It never falls back to the CPU.
//!
//! `assert_close` compares with the tolerance `|got - want| <= ATOL + RTOL * |want|` and names the
//! worst element on failure. Both NaN, or the same infinity, count as equal.
#![allow(dead_code)]

use tensorgears::{Device, Result, Tensor, Var};

/// Absolute tolerance of GPU-vs-CPU comparisons (the library's parity cases use the same).
pub const ATOL: f32 = tensorgears::parity::ABS_TOLERANCE;
/// Relative tolerance: WGSL's exp/log/pow may differ from the host's by a few ulp.
pub const RTOL: f32 = tensorgears::parity::REL_TOLERANCE;

/// The GPU device, or `None` (after a loud message) when there is none and that is allowed.
pub fn gpu() -> Option<Device> {
    match Device::gpu() {
        Ok(d) => {
            assert!(d.is_gpu(), "Device::gpu() returned a non-GPU device");
            Some(d)
        }
        Err(e) if std::env::var("TENSORGEARS_ALLOW_NO_GPU").as_deref() == Ok("1") => {
            eprintln!("GPU TEST NOT RUN (TENSORGEARS_ALLOW_NO_GPU=1): {e}");
            None
        }
        Err(e) => panic!("no GPU adapter for the GPU tests: {e}\n(set TENSORGEARS_ALLOW_NO_GPU=1 to run without one)"),
    }
}

#[macro_export]
macro_rules! test_device {
    ($name:ident, $body:ident) => {
        mod $name {
            #[test]
            fn cpu() {
                super::$body(&tensorgears::Device::cpu()).unwrap();
            }
            #[test]
            fn gpu() {
                if let Some(dev) = super::common::gpu() {
                    super::$body(&dev).unwrap();
                }
            }
        }
    };
}

/// Asserts `got` and `want` agree elementwise within `atol + rtol * |want|`.
pub fn assert_close_slices(got: &[f32], want: &[f32], atol: f32, rtol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    let mut worst: Option<(usize, f32)> = None;
    let mut bad = 0;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if !tensorgears::parity::within(g, w, atol, rtol) {
            bad += 1;
            let err = (g - w).abs();
            if worst.is_none_or(|(_, e)| err > e || err.is_nan()) {
                worst = Some((i, err));
            }
        }
    }
    if let Some((i, err)) = worst {
        panic!(
            "{what}: {bad} of {} elements differ; worst at index {i}: got {}, want {} (error {err}, tolerance {} + {} * |want|)",
            got.len(), got[i], want[i], atol, rtol
        );
    }
}

/// Asserts two tensors (on any devices) have the same shape and close values.
pub fn assert_close(got: &Tensor, want: &Tensor, what: &str) -> Result<()> {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    assert_close_slices(&got.to_vec()?, &want.to_vec()?, ATOL, RTOL, what);
    Ok(())
}

/// Runs `f` on the CPU and on the GPU copies of `inputs` and asserts the results agree.
pub fn parity(
    inputs: &[&Tensor],
    what: &str,
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
) -> Result<()> {
    let Some(gpu) = gpu() else { return Ok(()) };
    let cpu = Device::cpu();
    let on =
        |d: &Device| -> Result<Vec<Tensor>> { inputs.iter().map(|t| t.to_device(d)).collect() };
    let want = f(&on(&cpu)?)?;
    let got = f(&on(&gpu)?)?;
    assert!(
        got.device().is_gpu(),
        "{what}: the GPU result is not on the GPU"
    );
    assert_close(&got, &want, what)
}

/// The sum of `f(inputs)` weighted by fixed random numbers, so every output element matters.
pub fn weighted(out: &Tensor, seed: u64) -> Result<Tensor> {
    let r = Tensor::rand_uniform(out.shape(), 0.5, 1.5, seed, &out.device().clone())?;
    out.mul(&r)?.sum()
}

/// Central finite differences of `f` against `backward`, on the CPU, for every input element.
pub fn check_grad(what: &str, inputs: &[Tensor], f: impl Fn(&[Tensor]) -> Result<Tensor>) {
    let vars: Vec<Var> = inputs.iter().map(|x| Var::new(x.clone())).collect();
    let tracked: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let loss = weighted(&f(&tracked).unwrap(), 99).unwrap();
    let grads = loss.backward().unwrap();
    let eps = 1e-2f32;
    for (k, x) in inputs.iter().enumerate() {
        let analytic = grads.get(&vars[k]).unwrap().to_vec().unwrap();
        let base = x.to_vec().unwrap();
        let mut numeric = Vec::with_capacity(base.len());
        for i in 0..base.len() {
            let eval = |d: f32| -> f32 {
                let mut v = base.clone();
                v[i] += d;
                let mut args = inputs.to_vec();
                args[k] = Tensor::from_vec(v, x.shape(), &Device::cpu()).unwrap();
                weighted(&f(&args).unwrap(), 99)
                    .unwrap()
                    .to_scalar()
                    .unwrap()
            };
            numeric.push((eval(eps) - eval(-eps)) / (2.0 * eps));
        }
        assert_close_slices(
            &analytic,
            &numeric,
            2e-3,
            2e-2,
            &format!("{what}: input {k}"),
        );
    }
}
