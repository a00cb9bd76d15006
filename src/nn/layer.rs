//! The layers a [`Sequential`](super::Sequential) holds, as one enum: a model is data that
//! can be listed, summarised and saved, and a layer kind missing from a `match` is a compile
//! error.

use super::conv::shape_error;
use super::{Activation, Conv2D, Dense, Dropout, Flatten, MaxPooling2D, Reshape};
use crate::{Result, Tensor, Var};

/// One layer of a [`Sequential`](super::Sequential) model.
///
/// ```
/// use tensorgears::nn::{Activation, Conv2D, Dense, Flatten, Layer, MaxPooling2D, Reshape};
/// # use tensorgears::{Device, Tensor};
/// # let dev = Device::cpu();
/// let layers: Vec<Layer> = vec![
///     Reshape::new(&[28, 28, 1]).into(),
///     Conv2D::new(1, 8, [3, 3], Activation::Relu, 0, &dev)?.into(),
///     MaxPooling2D::new([2, 2]).into(),
///     Flatten.into(),
///     Dense::new(13 * 13 * 8, 10, Activation::Softmax, 1, &dev)?.into(),
/// ];
/// assert_eq!(layers[1].kind(), "Conv2D");
/// assert_eq!(layers[1].output_shape(&[28, 28, 1])?, vec![26, 26, 8]);
/// assert_eq!(layers[1].params(), 3 * 3 * 8 + 8);
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug)]
pub enum Layer {
    /// A fully connected layer.
    Dense(Dense),
    /// A 2-D convolution.
    Conv2D(Conv2D),
    /// Max-pooling.
    MaxPooling2D(MaxPooling2D),
    /// Samples flattened to vectors.
    Flatten(Flatten),
    /// Samples reshaped.
    Reshape(Reshape),
    /// Dropout, active in training only.
    Dropout(Dropout),
}

/// Whether a forward pass trains (dropout active, with the step's mask) or infers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Inference,
    Training { step: u64 },
}

impl Layer {
    /// The layer's output in inference.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_mode(x, Mode::Inference)
    }

    pub(crate) fn forward_mode(&self, x: &Tensor, mode: Mode) -> Result<Tensor> {
        match (self, mode) {
            (Layer::Dense(l), _) => l.forward(x),
            (Layer::Conv2D(l), _) => l.forward(x),
            (Layer::MaxPooling2D(l), _) => l.forward(x),
            (Layer::Flatten(l), _) => l.forward(x),
            (Layer::Reshape(l), _) => l.forward(x),
            (Layer::Dropout(l), Mode::Training { step }) => l.forward_training(x, step),
            (Layer::Dropout(l), Mode::Inference) => l.forward(x),
        }
    }

    /// The output of a layer whose softmax the fused cross-entropy takes over: the
    /// pre-activation of a softmax layer, the output of any other.
    pub(crate) fn logits_mode(&self, x: &Tensor, mode: Mode) -> Result<Tensor> {
        match self {
            Layer::Dense(d) if d.activation == Activation::Softmax => d.apply(x, Activation::None),
            Layer::Conv2D(c) if c.activation == Activation::Softmax => c.apply(x, Activation::None),
            _ => self.forward_mode(x, mode),
        }
    }

    /// The layer's kind, as Keras names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Dense(_) => "Dense",
            Layer::Conv2D(_) => "Conv2D",
            Layer::MaxPooling2D(_) => "MaxPooling2D",
            Layer::Flatten(_) => "Flatten",
            Layer::Reshape(_) => "Reshape",
            Layer::Dropout(_) => "Dropout",
        }
    }

    /// The trainable variables.
    pub fn weights(&self) -> Vec<&Var> {
        match self {
            Layer::Dense(l) => l.weights(),
            Layer::Conv2D(l) => l.weights(),
            _ => vec![],
        }
    }

    /// How many numbers the layer trains.
    pub fn params(&self) -> usize {
        self.weights().iter().map(|v| v.as_tensor().len()).sum()
    }

    /// The shape of one sample after this layer, for one of `input`; an error when the layer
    /// cannot take it.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        match self {
            Layer::Dense(l) => {
                let Some((&last, lead)) = input.split_last() else {
                    return Err(shape_error("Dense", input, "at least one axis"));
                };
                if last != l.inputs() {
                    return Err(shape_error(
                        "Dense",
                        input,
                        &format!("{} inputs", l.inputs()),
                    ));
                }
                Ok(lead.iter().copied().chain([l.outputs()]).collect())
            }
            Layer::Conv2D(l) => l.output_shape(input),
            Layer::MaxPooling2D(l) => l.output_shape(input),
            Layer::Flatten(_) => Ok(vec![crate::layout::element_count("Flatten", input)?]),
            Layer::Reshape(l) => l.output_shape(input),
            Layer::Dropout(_) => Ok(input.to_vec()),
        }
    }
}

macro_rules! layer_from {
    ($($kind:ident),*) => {
        $(impl From<$kind> for Layer {
            fn from(l: $kind) -> Layer {
                Layer::$kind(l)
            }
        })*
    };
}
layer_from!(Dense, Conv2D, MaxPooling2D, Flatten, Reshape, Dropout);
