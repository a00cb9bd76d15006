//! `Sequential::summary`, Keras' `model.summary()`.

use std::collections::HashMap;
use std::fmt::Write;

use super::{Layer, Sequential};
use crate::Result;

impl Layer {
    /// The kind in Keras' snake case, as layer names and saved files spell it.
    pub(super) fn snake_kind(&self) -> &'static str {
        match self {
            Layer::Dense(_) => "dense",
            Layer::Conv2D(_) => "conv2d",
            Layer::MaxPooling2D(_) => "max_pooling2d",
            Layer::Flatten(_) => "flatten",
            Layer::Reshape(_) => "reshape",
            Layer::Dropout(_) => "dropout",
        }
    }
}

/// `n` with thousands separated by commas, as Keras prints parameter counts.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Sequential {
    /// The shape of one sample's output for one of `input`, checking that every layer can
    /// take what the one before gives.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::Device;
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![Dense::new(784, 10, Activation::Softmax, 0, &dev)?]);
    /// assert_eq!(model.output_shape(&[784])?, vec![10]);
    /// assert_eq!(model.output_shape(&[5, 784])?, vec![5, 10]); // Dense maps the last axis
    /// assert!(model.output_shape(&[100]).is_err());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        self.layers
            .iter()
            .try_fold(input.to_vec(), |shape, layer| layer.output_shape(&shape))
    }

    /// Keras' `model.summary()` for samples of shape `input`: each layer's name, kind, output
    /// shape (`None` for the batch) and parameter count, and the totals. An error when a
    /// layer cannot take what the one before gives.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::Device;
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![
    ///     Dense::new(784, 512, Activation::Relu, 0, &dev)?,
    ///     Dense::new(512, 10, Activation::Softmax, 1, &dev)?,
    /// ]);
    /// let s = model.summary(&[784])?;
    /// assert!(s.contains(" dense_1 (Dense)             (None, 10)                5,130"));
    /// assert!(s.contains("Total params: 407,050"));
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn summary(&self, input: &[usize]) -> Result<String> {
        let mut rows = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut shape = input.to_vec();
        let mut total = 0;
        for layer in &self.layers {
            shape = layer.output_shape(&shape)?;
            let kind = layer.snake_kind();
            let count = seen.entry(kind).or_insert(0);
            let name = match *count {
                0 => kind.to_string(),
                n => format!("{kind}_{n}"),
            };
            *count += 1;
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            total += layer.params();
            rows.push([
                format!("{name} ({})", layer.kind()),
                format!("(None, {})", dims.join(", ")),
                grouped(layer.params()),
            ]);
        }
        let header = ["Layer (type)", "Output Shape", "Param #"].map(String::from);
        let wide = |i: usize, least: usize| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].len() + 1)
                .fold(least, usize::max)
        };
        let (w0, w1) = (wide(0, 27), wide(1, 25));
        let line = |r: &[String; 3]| format!(" {:<w0$} {:<w1$} {}\n", r[0], r[1], r[2]);
        let rule = |c: char| c.to_string().repeat((w0 + w1 + 13).max(65));
        let mut out = format!("Model: \"sequential\"\n{}\n", rule('_'));
        out += &line(&header);
        out += &format!("{}\n", rule('='));
        for r in &rows {
            out += &line(r);
        }
        let _ = write!(
            out,
            "{}\nTotal params: {t}\nTrainable params: {t}\nNon-trainable params: 0\n{}\n",
            rule('='),
            rule('_'),
            t = grouped(total)
        );
        Ok(out)
    }
}
