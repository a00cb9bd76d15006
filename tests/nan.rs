//! NumPy's NaN rules on both devices: NaN propagates through relu (as an op and as Dense's fused
//! epilogue), maximum and minimum, max_axis, softmax and the fused cross-entropy; argmax_axis
//! points at the first NaN; the accuracy count ranks a NaN above every number, as argmax does.
mod common;

use tensorgears::{loss, Device, Result, Tensor};

const NAN: f32 = f32::NAN;

fn t(v: &[f32], shape: &[usize], dev: &Device) -> Result<Tensor> {
    Tensor::from_vec(v.to_vec(), shape, dev)
}

/// NaN where `want` is NaN, equal elsewhere.
fn same(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-6 * w.abs().max(1.0),
            "{what}[{i}]: got {g}, want {w}"
        );
    }
}

fn elementwise(dev: &Device) -> Result<()> {
    // Eight elements, so that the four-wide kernels run too.
    let x = t(&[NAN, -1.0, 0.0, 2.0, 3.0, NAN, -5.0, 1.0], &[8], dev)?;
    let y = t(&[1.0, NAN, -2.0, 5.0, NAN, NAN, 0.0, 1.0], &[8], dev)?;
    same(
        &x.relu()?.to_vec()?,
        &[NAN, 0., 0., 2., 3., NAN, 0., 1.],
        "relu",
    );
    let max = [NAN, NAN, 0., 5., NAN, NAN, 0., 1.];
    same(&x.maximum(&y)?.to_vec()?, &max, "maximum");
    same(&y.maximum(&x)?.to_vec()?, &max, "maximum, swapped");
    let min = [NAN, NAN, -2., 2., NAN, NAN, -5., 1.];
    same(&x.minimum(&y)?.to_vec()?, &min, "minimum");
    same(&y.minimum(&x)?.to_vec()?, &min, "minimum, swapped");
    // A strided view takes the one-element kernel.
    let xs = x.reshape(&[4, 2])?.t()?;
    let ys = y.reshape(&[4, 2])?.t()?;
    let want: Vec<f32> = [0, 2, 4, 6, 1, 3, 5, 7].iter().map(|&i| max[i]).collect();
    same(&xs.maximum(&ys)?.to_vec()?, &want, "maximum of views");
    // Dense's product, bias and relu in one kernel.
    let w = t(&[1.0, 0.0, 0.0, 1.0], &[2, 2], dev)?;
    let b = t(&[0.0, -1.0], &[2], dev)?;
    let h = t(&[NAN, 3.0, 2.0, -4.0], &[2, 2], dev)?.linear_relu(&w, &b)?;
    same(&h.to_vec()?, &[NAN, NAN, 2., 0.], "linear_relu"); // NaN · 0 is NaN
    Ok(())
}
test_device!(elementwise_ops_propagate_nan, elementwise);

fn rows(dev: &Device) -> Result<()> {
    // Rows: a NaN in the middle, NaN twice, no NaN, NaN first.
    let x = t(
        &[
            1.0, NAN, 7.0, 2.0, //
            NAN, 9.0, NAN, 1.0, //
            3.0, 8.0, 8.0, 1.0, //
            NAN, -1.0, -2.0, -3.0,
        ],
        &[4, 4],
        dev,
    )?;
    same(&x.max_axis(1)?.to_vec()?, &[NAN, NAN, 8.0, NAN], "max_axis");
    assert_eq!(x.argmax_axis(1)?.to_vec_u32()?, vec![1, 0, 1, 0]);
    // Along axis 0: columns 0 and 1 and 2 hold a NaN.
    assert_eq!(x.argmax_axis(0)?.to_vec_u32()?, vec![1, 0, 1, 0]);
    same(
        &x.max_axis(0)?.to_vec()?,
        &[NAN, NAN, NAN, 2.0],
        "max_axis 0",
    );
    let p = x.softmax()?.to_vec()?;
    assert!(p[..8].iter().all(|v| v.is_nan()), "rows with NaN: {p:?}");
    assert!(p[12..].iter().all(|v| v.is_nan()), "{p:?}");
    let clean: f32 = p[8..12].iter().sum();
    assert!((clean - 1.0).abs() < 1e-6, "the row without NaN: {p:?}");
    // A long row, reduced by the chunked tree: NaN near its end.
    let mut long = vec![0.5f32; 10_000];
    long[9_000] = NAN;
    long[9_500] = NAN;
    long[100] = 7.0;
    let l = t(&long, &[1, 10_000], dev)?;
    assert!(l.max_axis(1)?.to_vec()?[0].is_nan());
    assert_eq!(l.argmax_axis(1)?.to_vec_u32()?, vec![9_000]);
    Ok(())
}
test_device!(reductions_follow_numpy, rows);

fn losses(dev: &Device) -> Result<()> {
    let logits = t(&[0.0, 1.0, NAN, 0.5, 2.0, 1.0], &[2, 3], dev)?;
    let labels = Tensor::from_vec_u32(vec![1, 0], &[2], dev)?;
    let l = loss::sparse_softmax_cross_entropy(&logits, &labels)?;
    assert!(
        l.to_scalar()?.is_nan(),
        "a NaN logit makes the mean loss NaN"
    );
    // The first row's argmax is its NaN (index 2), not its label 1; the second's is 1, not 0.
    assert_eq!(loss::count_correct(&logits, &labels)?.to_scalar()?, 0.0);
    let labels = Tensor::from_vec_u32(vec![2, 1], &[2], dev)?;
    assert_eq!(loss::count_correct(&logits, &labels)?.to_scalar()?, 2.0);
    Ok(())
}
test_device!(losses_show_nan, losses);
