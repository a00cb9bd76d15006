//! Saving and loading a [`Sequential`] model in safetensors.

use std::collections::HashMap;
use std::path::Path;

use super::{Activation, Dense, Sequential};
use crate::{Device, Error, Result, Tensor};

impl Sequential {
    /// Writes the weights to a safetensors file: `layers.{i}.weight` (inputs, outputs) and
    /// `layers.{i}.bias`, with each layer's activation in the metadata.
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
            for (name, var) in [("weight", &layer.w), ("bias", &layer.b)] {
                let t = var.as_tensor();
                let bytes: Vec<u8> = t.to_vec()?.iter().flat_map(|v| v.to_le_bytes()).collect();
                tensors.push((format!("layers.{i}.{name}"), t.shape().to_vec(), bytes));
            }
            let act = match layer.activation {
                Activation::Relu => "relu",
                Activation::Softmax => "softmax",
                Activation::None => "none",
            };
            meta.insert(format!("layers.{i}.activation"), act.to_string());
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

    /// Reads a model written by [`Sequential::save`] onto `device`.
    ///
    /// ```
    /// use tensorgears::nn::{Activation, Dense, Sequential};
    /// # use tensorgears::{Device, Tensor};
    /// # let dev = Device::cpu();
    /// let model = Sequential::new(vec![Dense::new(4, 3, Activation::Softmax, 7, &dev)?]);
    /// let path = std::env::temp_dir().join("tensorgears-doc-load.safetensors");
    /// model.save(&path)?;
    /// let back = Sequential::load(&path, &dev)?;
    /// assert_eq!(back.layers()[0].activation(), Activation::Softmax);
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
        let tensor = |name: String| -> Result<Tensor> {
            let v = st.tensor(&name).map_err(|e| bad(format!("{name}: {e}")))?;
            if v.dtype() != safetensors::Dtype::F32 {
                return Err(bad(format!("{name} is {:?}, not F32", v.dtype())));
            }
            let data: Vec<f32> = v
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Tensor::from_vec(data, v.shape(), device)
        };
        // Each layer has two tensors: a count beyond that is a forged or broken header, and
        // must not size an allocation.
        if count == 0 || count > st.len() / 2 {
            return Err(bad(format!(
                "the metadata announces {count} layers, the file holds {} tensors",
                st.len()
            )));
        }
        let mut layers = Vec::with_capacity(count);
        for i in 0..count {
            let activation = match info
                .get(&format!("layers.{i}.activation"))
                .map(String::as_str)
            {
                Some("relu") => Activation::Relu,
                Some("softmax") => Activation::Softmax,
                Some("none") => Activation::None,
                other => return Err(bad(format!("layer {i} has activation {other:?}"))),
            };
            let w = tensor(format!("layers.{i}.weight"))?;
            let b = tensor(format!("layers.{i}.bias"))?;
            layers.push(Dense::from_tensors(w, b, activation)?);
        }
        Ok(Sequential::new(layers))
    }
}
