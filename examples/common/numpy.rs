//! Printing arrays the way NumPy's `print(array)` does, so the guided tour's output can be
//! read next to the chapter's and compared with NumPy's line for line: the same float style
//! (`1.`, `0.25`, `1.5e-05`), the same column padding, wrapping at 75 characters and
//! summarising arrays of more than 1000 elements with `...`.
#![allow(dead_code)] // each example uses some of these

/// A shape as a Python tuple: `()`, `(5,)`, `(60000, 28, 28)`.
pub fn shape(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A float32 array as `print(a)` shows it; rank 0 as `print(np.float32(x))` does.
pub fn f32s(shape: &[usize], data: &[f32]) -> String {
    if shape.is_empty() {
        return data.first().map(|&x| scalar(x)).unwrap_or_default();
    }
    let shown = shown_elements(shape);
    let fmt = FloatFormat::new(shown.iter().map(|&i| data[i]));
    layout(shape, &|i| fmt.format(data[i]))
}

/// An integer array as `print(a)` shows it.
pub fn u32s(shape: &[usize], data: &[u32]) -> String {
    if shape.is_empty() {
        return data.first().map(|x| x.to_string()).unwrap_or_default();
    }
    let shown = shown_elements(shape);
    let width = shown
        .iter()
        .map(|&i| data[i].to_string().len())
        .max()
        .unwrap_or(1);
    layout(shape, &|i| format!("{:>width$}", data[i]))
}

/// `str(np.float32(x))`: the shortest digits that read back as the same float32, with `.0`
/// on integral values.
pub fn scalar(x: f32) -> String {
    if !x.is_finite() {
        return nonfinite(x).to_string();
    }
    let (digits, exp) = shortest(x);
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if (-5..16).contains(&exp) {
        let (int, frac) = positional(&digits, exp);
        let frac = if frac.is_empty() { "0".into() } else { frac };
        format!("{sign}{int}.{frac}")
    } else {
        let frac = &digits[1..];
        let dot = if frac.is_empty() { "" } else { "." };
        format!(
            "{sign}{}{dot}{frac}e{}{:02}",
            &digits[..1],
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    }
}

const THRESHOLD: usize = 1000;
const EDGE_ITEMS: usize = 3;
const LINE_WIDTH: usize = 75;
const PRECISION: usize = 8;

fn nonfinite(x: f32) -> &'static str {
    if x.is_nan() {
        "nan"
    } else if x > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

/// The indices shown along one axis of length `n`, with `None` where `...` goes.
fn axis_items(n: usize, summarise: bool) -> Vec<Option<usize>> {
    if summarise && n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGE_ITEMS..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    }
}

fn summarise(shape: &[usize]) -> bool {
    shape.iter().product::<usize>() > THRESHOLD
}

/// The flat indices of the elements that will be printed; NumPy sizes its columns from
/// these alone.
fn shown_elements(shape: &[usize]) -> Vec<usize> {
    let sum = summarise(shape);
    let mut flat = vec![0usize];
    for &n in shape {
        let items: Vec<usize> = axis_items(n, sum).into_iter().flatten().collect();
        flat = flat
            .iter()
            .flat_map(|&f| items.iter().map(move |&i| f * n + i))
            .collect();
    }
    flat
}

/// NumPy's `_formatArray`: nested brackets, rows wrapped at the line width with a hanging
/// indent, blank lines between blocks of rank 3 and up.
fn layout(shape: &[usize], word: &dyn Fn(usize) -> String) -> String {
    let sum = summarise(shape);
    let strides: Vec<usize> = (0..shape.len())
        .map(|a| shape[a + 1..].iter().product())
        .collect();
    recurse(shape, &strides, sum, word, 0, 0, " ", LINE_WIDTH)
}

#[allow(clippy::too_many_arguments)]
fn recurse(
    shape: &[usize],
    strides: &[usize],
    sum: bool,
    word: &dyn Fn(usize) -> String,
    axis: usize,
    offset: usize,
    hanging: &str,
    width: usize,
) -> String {
    if axis == shape.len() {
        return word(offset);
    }
    let next_hanging = format!("{hanging} ");
    let next_width = width - 1;
    let items = axis_items(shape[axis], sum);
    let left = shape.len() - axis;
    // Each item of this axis as text ("..." for the summarised middle).
    let rendered: Vec<String> = items
        .iter()
        .map(|item| match item {
            Some(i) => recurse(
                shape,
                strides,
                sum,
                word,
                axis + 1,
                offset + i * strides[axis],
                &next_hanging,
                next_width,
            ),
            None => "...".to_string(),
        })
        .collect();
    let mut s = String::new();
    if left == 1 {
        let elem_width = width - 1;
        let mut line = hanging.to_string();
        let last = items.len().saturating_sub(1);
        for (k, w) in rendered.iter().enumerate() {
            if line.len() + w.len() > elem_width && line.len() > hanging.len() {
                s.push_str(line.trim_end());
                s.push('\n');
                line = hanging.to_string();
            }
            line.push_str(w);
            if k != last {
                line.push(' ');
            }
        }
        s.push_str(&line);
    } else {
        let sep = "\n".repeat(left - 1);
        for (k, nested) in rendered.iter().enumerate() {
            s.push_str(hanging);
            s.push_str(nested);
            if k + 1 != items.len() {
                s.push_str(&sep);
            }
        }
    }
    format!("[{}]", &s[hanging.len()..])
}

/// The shortest decimal digits that identify `x` as a float32, and the decimal exponent of
/// the first digit (`x = d.ddd × 10^exp`).
fn shortest(x: f32) -> (String, i32) {
    let e = format!("{:e}", x.abs());
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    (mantissa.replace('.', ""), exp.parse().unwrap_or(0))
}

/// Integer and fraction digits of `digits × 10^(exp + 1 - len)`.
fn positional(digits: &str, exp: i32) -> (String, String) {
    let n = digits.len() as i32;
    if exp < 0 {
        (
            "0".into(),
            format!("{}{digits}", "0".repeat((-exp - 1) as usize)),
        )
    } else if exp + 1 >= n {
        (
            format!("{digits}{}", "0".repeat((exp + 1 - n) as usize)),
            String::new(),
        )
    } else {
        let (i, f) = digits.split_at((exp + 1) as usize);
        (i.into(), f.into())
    }
}

/// NumPy's `FloatingFormat` in its default `maxprec` mode.
struct FloatFormat {
    exp_format: bool,
    pad_left: usize,
    pad_right: usize,
    /// Scientific mode: fraction digits of every mantissa, and exponent digits.
    precision: usize,
    exp_size: usize,
}

impl FloatFormat {
    fn new(values: impl Iterator<Item = f32>) -> FloatFormat {
        let finite: Vec<f32> = values.filter(|x| x.is_finite()).collect();
        let nonzero = finite.iter().filter(|&&x| x != 0.0).map(|x| x.abs());
        let (min, max) = nonzero.fold((f32::INFINITY, 0f32), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let exp_format = max > 0.0 && (max >= 1e8 || min < 1e-4 || max / min > 1e3);
        let mut f = FloatFormat {
            exp_format,
            pad_left: 0,
            pad_right: 0,
            precision: 0,
            exp_size: 0,
        };
        for &x in &finite {
            if exp_format {
                let (int, frac, exp) = f.scientific_parts(x);
                f.pad_left = f.pad_left.max(int.len());
                f.precision = f.precision.max(frac.len());
                f.exp_size = f.exp_size.max(exp.len() - 1);
            } else {
                let (int, frac) = Self::positional_parts(x);
                f.pad_left = f.pad_left.max(int.len());
                f.pad_right = f.pad_right.max(frac.len());
            }
        }
        if exp_format {
            f.pad_right = f.exp_size + 2 + f.precision;
        }
        f
    }

    /// Unique digits, at most eight after the point, rounded from the exact value beyond.
    fn positional_parts(x: f32) -> (String, String) {
        let (digits, exp) = shortest(x);
        let (int, mut frac) = positional(&digits, exp);
        if frac.len() > PRECISION {
            let rounded = format!("{:.*}", PRECISION, x.abs() as f64);
            let (i, f) = rounded.split_once('.').unwrap_or((&rounded, ""));
            let f = f.trim_end_matches('0').to_string();
            return (sign(x) + i, f);
        }
        if frac.chars().all(|c| c == '0') {
            frac.clear();
        }
        (sign(x) + &int, frac)
    }

    fn scientific_parts(&self, x: f32) -> (String, String, String) {
        let (digits, mut exp) = shortest(x);
        let mut frac = digits[1..].to_string();
        let mut lead = digits[..1].to_string();
        if frac.len() > PRECISION {
            let rounded = format!("{:.*e}", PRECISION, x.abs() as f64);
            let (m, e) = rounded.split_once('e').unwrap_or((&rounded, "0"));
            let (l, f) = m.split_once('.').unwrap_or((m, ""));
            lead = l.into();
            frac = f.trim_end_matches('0').into();
            exp = e.parse().unwrap_or(exp);
        }
        let exp_str = format!("{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
        (sign(x) + &lead, frac, exp_str)
    }

    fn format(&self, x: f32) -> String {
        if !x.is_finite() {
            let w = self.pad_left + self.pad_right + 1;
            return format!("{:>w$}", nonfinite(x));
        }
        if self.exp_format {
            let (int, frac, exp) = self.scientific_parts(x);
            let frac = format!("{frac:0<width$}", width = self.precision);
            let digits = exp.len() - 1;
            let exp = format!(
                "{}{:0>w$}",
                &exp[..1],
                &exp[1..],
                w = self.exp_size.max(digits)
            );
            format!("{int:>pl$}.{frac}e{exp}", pl = self.pad_left)
        } else {
            let (int, frac) = Self::positional_parts(x);
            format!(
                "{int:>pl$}.{frac:<pr$}",
                pl = self.pad_left,
                pr = self.pad_right
            )
        }
    }
}

fn sign(x: f32) -> String {
    // NumPy keeps the sign of negative zero: `-0.`.
    if x.is_sign_negative() {
        "-".into()
    } else {
        String::new()
    }
}
