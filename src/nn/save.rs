//! Saving and loading a [`Sequential`] model in safetensors: the weights as tensors
//! (`layers.{i}.weight`, `layers.{i}.bias`) and the architecture in the metadata
//! (`layers.{i}.kind` and each kind's settings), so a file alone rebuilds the model.

use std::collections::HashMap;
use std::path::Path;

use super::{
    Activation, Conv2D, Dense, Dropout, Flatten, Layer, MaxPooling2D, Reshape, Sequential,
};
use crate::{Device, Error, Padding, Result, Tensor};

/// The most axes a saved `Reshape` may name.
const MAX_RANK: usize = 8;

fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::Relu => "relu",
        Activation::Softmax => "softmax",
        Activation::None => "none",
    }
}

fn padding_name(p: Padding) -> &'static str {
    match p {
        Padding::Valid => "valid",
        Padding::Same => "same",
    }
}

fn list(values: &[usize]) -> String {
    values
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl Sequential {
    /// Writes the model to a safetensors file.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![Dense::new(4, 3, Activation::Relu, 7, &dev)?]);
    /// let path = std::env::temp_dir().join("tensorgears-doc-save.safetensors");
    /// model.save(&path)?;
    /// let back = Sequential::load(&path, &dev)?;
    /// assert_eq!(back.weights()[0].as_tensor().to_vec()?, model.weights()[0].as_tensor().to_vec()?);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |msg: String| Error::Data {
            file: path.display().to_string(),
            msg,
        };
        let mut tensors = Vec::new();
        let mut meta = HashMap::new();
        for (i, layer) in self.layers.iter().enumerate() {
            let mut set =
                |key: &str, value: String| meta.insert(format!("layers.{i}.{key}"), value);
            set("kind", layer.snake_kind().to_string());
            match layer {
                Layer::Dense(d) => {
                    set("activation", activation_name(d.activation).to_string());
                }
                Layer::Conv2D(c) => {
                    set("activation", activation_name(c.activation).to_string());
                    set("strides", list(&c.strides));
                    set("padding", padding_name(c.padding).to_string());
                }
                Layer::MaxPooling2D(p) => {
                    set("pool", list(&p.pool));
                    set("strides", list(&p.strides));
                    set("padding", padding_name(p.padding).to_string());
                }
                Layer::Reshape(r) => {
                    set("shape", list(&r.shape));
                }
                Layer::Dropout(d) => {
                    set("rate", d.rate.to_string());
                    set("seed", d.seed.to_string());
                }
                Layer::Flatten(_) => {}
            }
            for (name, var) in ["weight", "bias"].into_iter().zip(layer.weights()) {
                let t = var.as_tensor();
                let bytes: Vec<u8> = t.to_vec()?.iter().flat_map(|v| v.to_le_bytes()).collect();
                tensors.push((format!("layers.{i}.{name}"), t.shape().to_vec(), bytes));
            }
        }
        meta.insert("layers".to_string(), self.layers.len().to_string());
        let views = tensors
            .iter()
            .map(|(name, shape, bytes)| {
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                    .map(|v| (name.clone(), v))
                    .map_err(|e| io(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        safetensors::serialize_to_file(views, Some(meta), path).map_err(|e| io(e.to_string()))
    }

    /// Reads a model written by [`Sequential::save`] onto `device`: any of its layer kinds,
    /// and the dense-only files written before kinds were recorded.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Conv2D, Dense, Flatten, Layer, MaxPooling2D, Sequential};
    /// use tensorgears::{Device, Padding, Tensor};
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![
    ///     Layer::from(Conv2D::new(1, 4, [3, 3], Activation::Relu, 0, &dev)?.with_padding(Padding::Same)),
    ///     MaxPooling2D::new([2, 2]).into(),
    ///     Flatten.into(),
    ///     Dense::new(4 * 4 * 4, 3, Activation::Softmax, 1, &dev)?.into(),
    /// ]);
    /// let path = std::env::temp_dir().join("tensorgears-doc-load.safetensors");
    /// model.save(&path)?;
    /// let back = Sequential::load(&path, &dev)?;
    /// assert_eq!(back.summary(&[8, 8, 1])?, model.summary(&[8, 8, 1])?);
    /// let x = Tensor::rand_uniform(&[2, 8, 8, 1], 0.0, 1.0, 2, &dev)?;
    /// assert_eq!(back.forward(&x)?.to_vec()?, model.forward(&x)?.to_vec()?);
    /// assert!(Sequential::load(std::path::Path::new("no-such-model.safetensors"), &dev).is_err());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn load(path: &Path, device: &Device) -> Result<Sequential> {
        let bad = |msg: String| Error::Data {
            file: path.display().to_string(),
            msg,
        };
        let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
        let (_, meta) =
            safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| bad(e.to_string()))?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
        let info = meta.metadata().clone().unwrap_or_default();
        let count: usize = info
            .get("layers")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad("no layer count in the metadata: not a tensorgears model".into()))?;
        // Each layer has at least one metadata entry: a count beyond that is a forged or
        // broken header, and must not size an allocation.
        if count == 0 || count > info.len() {
            return Err(bad(format!(
                "the metadata announces {count} layers in {} entries",
                info.len()
            )));
        }
        let file = SavedLayers {
            st: &st,
            info: &info,
            device,
            bad: &bad,
        };
        let layers = (0..count)
            .map(|i| file.layer(i))
            .collect::<Result<Vec<_>>>()?;
        Ok(Sequential::new(layers))
    }
}

/// A model file being read, layer by layer.
struct SavedLayers<'a> {
    st: &'a safetensors::SafeTensors<'a>,
    info: &'a HashMap<String, String>,
    device: &'a Device,
    bad: &'a dyn Fn(String) -> Error,
}

impl SavedLayers<'_> {
    fn get(&self, i: usize, key: &str) -> Result<&str> {
        self.info
            .get(&format!("layers.{i}.{key}"))
            .map(String::as_str)
            .ok_or_else(|| (self.bad)(format!("layer {i} has no {key}")))
    }

    fn tensor(&self, i: usize, name: &str) -> Result<Tensor> {
        let name = format!("layers.{i}.{name}");
        let v = self
            .st
            .tensor(&name)
            .map_err(|e| (self.bad)(format!("{name}: {e}")))?;
        if v.dtype() != safetensors::Dtype::F32 {
            return Err((self.bad)(format!("{name} is {:?}, not F32", v.dtype())));
        }
        let data: Vec<f32> = v
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Tensor::from_vec(data, v.shape(), self.device)
    }

    fn activation(&self, i: usize) -> Result<Activation> {
        match self.get(i, "activation")? {
            "relu" => Ok(Activation::Relu),
            "softmax" => Ok(Activation::Softmax),
            "none" => Ok(Activation::None),
            other => Err((self.bad)(format!("layer {i} has activation {other:?}"))),
        }
    }

    fn padding(&self, i: usize) -> Result<Padding> {
        match self.get(i, "padding")? {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            other => Err((self.bad)(format!("layer {i} has padding {other:?}"))),
        }
    }

    /// A list of positive sizes, at most `MAX_RANK` of them.
    fn sizes(&self, i: usize, key: &str) -> Result<Vec<usize>> {
        let text = self.get(i, key)?;
        let values: Vec<usize> = text
            .split(',')
            .take(MAX_RANK + 1)
            .map(|v| v.trim().parse().ok().filter(|&n| n > 0))
            .collect::<Option<_>>()
            .ok_or_else(|| (self.bad)(format!("layer {i} has {key} {text:?}")))?;
        if values.len() > MAX_RANK {
            return Err((self.bad)(format!(
                "layer {i} has more than {MAX_RANK} {key}"
            )));
        }
        Ok(values)
    }

    fn pair(&self, i: usize, key: &str) -> Result<[usize; 2]> {
        match *self.sizes(i, key)? {
            [a, b] => Ok([a, b]),
            _ => Err((self.bad)(format!("layer {i}'s {key} is not two sizes"))),
        }
    }

    fn layer(&self, i: usize) -> Result<Layer> {
        // Files written before layer kinds were recorded hold dense layers only.
        let kind = self
            .info
            .get(&format!("layers.{i}.kind"))
            .map_or("dense", String::as_str);
        Ok(match kind {
            "dense" => {
                let (w, b) = (self.tensor(i, "weight")?, self.tensor(i, "bias")?);
                Dense::from_tensors(w, b, self.activation(i)?)?.into()
            }
            "conv2d" => {
                let (w, b) = (self.tensor(i, "weight")?, self.tensor(i, "bias")?);
                Conv2D::from_tensors(w, b, self.activation(i)?)?
                    .with_strides(self.pair(i, "strides")?)
                    .with_padding(self.padding(i)?)
                    .into()
            }
            "max_pooling2d" => MaxPooling2D::new(self.pair(i, "pool")?)
                .with_strides(self.pair(i, "strides")?)
                .with_padding(self.padding(i)?)
                .into(),
            "flatten" => Flatten.into(),
            "reshape" => Reshape::new(&self.sizes(i, "shape")?).into(),
            "dropout" => {
                let rate = self
                    .get(i, "rate")?
                    .parse()
                    .map_err(|_| (self.bad)(format!("layer {i}'s rate")))?;
                let seed = self
                    .get(i, "seed")?
                    .parse()
                    .map_err(|_| (self.bad)(format!("layer {i}'s seed")))?;
                Dropout::new(rate, seed)?.into()
            }
            other => {
                return Err((self.bad)(format!(
                    "layer {i} is of unknown kind {other:?}"
                )))
            }
        })
    }
}
