//! Data sets and batches.
//!
//! A [`Dataset`] holds u8 feature rows and their labels on one device: on the GPU the whole
//! set is uploaded once (packed bytes, four to a word: MNIST's 60,000 images are 47 MB, where
//! f32 would not fit one 128 MiB binding) and each batch is gathered and scaled to [0, 1] by a
//! kernel, so training uploads nothing per step.
//!
//! ```
//! use tensorgears::data::Dataset;
//! # use tensorgears::Device;
//! let ds = Dataset::new(&[0, 255, 255, 0, 255, 255], &[1, 0, 2], 2, &Device::cpu())?;
//! let mut rows = 0;
//! for batch in ds.batches(2, Some(0))? {
//!     let (x, y) = batch?; // (rows, 2) f32 in [0, 1], (rows,) u32
//!     assert_eq!(x.shape(), &[y.len(), 2]);
//!     rows += y.len();
//! }
//! assert_eq!(rows, 3);
//! # Ok::<(), tensorgears::Error>(())
//! ```

mod idx;
pub mod mnist;

use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::{DType, Device, Error, Layout, Result, Tensor};

/// Labelled rows of u8 features on a device.
///
/// ```
/// use tensorgears::data::Dataset;
/// # use tensorgears::Device;
/// # let dev = Device::cpu();
/// let ds = Dataset::new(&[0, 255, 255, 0], &[1, 0], 2, &dev)?; // two rows of two bytes
/// assert_eq!((ds.len(), ds.features()), (2, 2));
/// let (x, y) = ds.batches(2, None)?.next().unwrap()?;
/// assert_eq!(x.to_vec()?, vec![0., 1., 1., 0.]); // scaled to [0, 1]
/// assert_eq!(y.to_vec_u32()?, vec![1, 0]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug)]
pub struct Dataset {
    /// The features, packed four bytes to a u32 word.
    words: Tensor,
    labels: Tensor,
    count: usize,
    features: usize,
}

impl Dataset {
    /// A data set of `labels.len()` rows of `features` bytes each, on `device`.
    ///
    /// ```
    /// use tensorgears::data::Dataset;
    /// use tensorgears::Device;
    /// # fn main() -> tensorgears::Result<()> {
    /// let pixels: Vec<u8> = (0..=255).collect();
    /// let ds = Dataset::new(&pixels, &[3, 1, 4, 1], 64, &Device::cpu())?;
    /// let (x, y) = ds.batches(3, None)?.next().unwrap()?;
    /// assert_eq!(x.shape(), &[3, 64]);
    /// assert_eq!(y.to_vec_u32()?, vec![3, 1, 4]);
    /// assert_eq!(x.to_vec()?[1], 1.0 / 255.0);
    /// # Ok(()) }
    /// ```
    pub fn new(pixels: &[u8], labels: &[u8], features: usize, device: &Device) -> Result<Dataset> {
        let count = labels.len();
        if features == 0 || count.checked_mul(features) != Some(pixels.len()) {
            return Err(Error::InvalidArgument {
                op: "Dataset::new",
                msg: format!(
                    "{} bytes are not {count} rows of {features} features",
                    pixels.len()
                ),
            });
        }
        let mut padded = pixels.to_vec();
        padded.resize(pixels.len().next_multiple_of(4), 0);
        let words: Vec<u32> = bytemuck::pod_collect_to_vec(&padded);
        let n = words.len();
        Ok(Dataset {
            words: Tensor::from_vec_u32(words, &[n], device)?,
            labels: Tensor::from_vec_u32(
                labels.iter().map(|&l| l as u32).collect(),
                &[count],
                device,
            )?,
            count,
            features,
        })
    }

    /// The first `limit` (or all) images of `images` with their labels, flattened to rows.
    ///
    /// ```
    /// use tensorgears::data::{mnist::Images, Dataset};
    /// # use tensorgears::Device;
    /// let images = Images { pixels: vec![0, 255, 255, 0, 9, 9], count: 3, rows: 1, cols: 2 };
    /// let ds = Dataset::from_images(&images, &[4, 2, 7], Some(2), &Device::cpu())?;
    /// assert_eq!((ds.len(), ds.features()), (2, 2));
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn from_images(
        images: &mnist::Images,
        labels: &[u8],
        limit: Option<usize>,
        device: &Device,
    ) -> Result<Dataset> {
        let n = limit
            .unwrap_or(images.count)
            .min(images.count)
            .min(labels.len());
        let features = images.rows * images.cols;
        Dataset::new(
            &images.pixels[..n * features],
            &labels[..n],
            features,
            device,
        )
    }

    /// Number of rows.
    ///
    /// ```
    /// use tensorgears::data::Dataset;
    /// # use tensorgears::Device;
    /// # let dev = Device::cpu();
    /// assert_eq!(Dataset::new(&[0; 12], &[1, 2, 3], 4, &dev)?.len(), 3);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when there are no rows.
    ///
    /// ```
    /// use tensorgears::data::Dataset;
    /// # use tensorgears::Device;
    /// # let dev = Device::cpu();
    /// assert!(Dataset::new(&[], &[], 4, &dev)?.is_empty());
    /// assert!(!Dataset::new(&[0; 4], &[1], 4, &dev)?.is_empty());
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Features per row.
    ///
    /// ```
    /// use tensorgears::data::Dataset;
    /// # use tensorgears::Device;
    /// # let dev = Device::cpu();
    /// assert_eq!(Dataset::new(&[0; 12], &[1, 2, 3], 4, &dev)?.features(), 4);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn features(&self) -> usize {
        self.features
    }

    /// The device holding the data.
    ///
    /// ```
    /// use tensorgears::data::Dataset;
    /// # use tensorgears::Device;
    /// # let dev = Device::cpu();
    /// let ds = Dataset::new(&[0; 4], &[1], 4, &dev)?;
    /// assert!(ds.device().is_cpu());
    /// let (x, _) = ds.batches(1, None)?.next().unwrap()?;
    /// assert_eq!(x.device(), ds.device()); // batches are gathered where the data lives
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn device(&self) -> &Device {
        self.words.device()
    }

    /// The batches of one epoch, `batch_size` rows each and the last one shorter (60,000 rows
    /// in batches of 128 give 468 full batches and one of 96). With a seed, the rows are
    /// shuffled (the same seed gives the same order on every device); without, they are in
    /// order.
    ///
    /// ```
    /// use tensorgears::data::Dataset;
    /// # use tensorgears::Device;
    /// # let dev = Device::cpu();
    /// let ds = Dataset::new(&[0; 10], &[0, 1, 2, 3, 4], 2, &dev)?;
    /// let mut labels = Vec::new();
    /// for batch in ds.batches(2, Some(7))? {
    ///     labels.extend(batch?.1.to_vec_u32()?);
    /// }
    /// labels.sort();
    /// assert_eq!(labels, vec![0, 1, 2, 3, 4]); // shuffled, but every row once
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn batches(&self, batch_size: usize, shuffle_seed: Option<u64>) -> Result<Batches<'_>> {
        let order = shuffle_seed.map(|s| self.shuffled_order(s)).transpose()?;
        self.batches_in(batch_size, order.as_ref())
    }

    /// The order of rows `batches` takes with `seed`, on the device: made once, it serves a
    /// loop that resumes an epoch part way through [`Dataset::batches_in`] (a page that trains
    /// a few steps per call) without shuffling and uploading it again each time.
    ///
    /// ```
    /// use tensorgears::data::Dataset;
    /// # use tensorgears::Device;
    /// # let dev = Device::cpu();
    /// let ds = Dataset::new(&[0; 10], &[0, 1, 2, 3, 4], 2, &dev)?;
    /// let order = ds.shuffled_order(7)?;
    /// let labels = |b: tensorgears::data::Batches| -> tensorgears::Result<Vec<u32>> {
    ///     let mut l = Vec::new();
    ///     for batch in b {
    ///         l.extend(batch?.1.to_vec_u32()?);
    ///     }
    ///     Ok(l)
    /// };
    /// assert_eq!(labels(ds.batches_in(2, Some(&order))?)?, labels(ds.batches(2, Some(7))?)?);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn shuffled_order(&self, seed: u64) -> Result<Tensor> {
        let mut o: Vec<u32> = (0..self.count as u32).collect();
        o.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        Tensor::from_vec_u32(o, &[self.count], self.device())
    }

    /// The batches of one epoch in `order` (from [`Dataset::shuffled_order`]), or in row order.
    pub fn batches_in(&self, batch_size: usize, order: Option<&Tensor>) -> Result<Batches<'_>> {
        if batch_size == 0 {
            return Err(Error::InvalidArgument {
                op: "batches",
                msg: "the batch size must be at least 1".into(),
            });
        }
        if let Some(o) = order {
            if o.shape() != [self.count]
                || o.dtype() != DType::U32
                || !o.device().same(self.device())
            {
                return Err(Error::InvalidArgument {
                    op: "batches",
                    msg: format!(
                        "an order is a u32 tensor of shape [{}] on the data set's device; got \
                         {:?} {:?}",
                        self.count,
                        o.dtype(),
                        o.shape()
                    ),
                });
            }
        }
        Ok(Batches {
            data: self,
            order: order.map(|o| o.contiguous()).transpose()?,
            batch_size,
            next: 0,
        })
    }
}

/// The batches of one epoch, as `(features (rows, features) f32, labels (rows,) u32)`.
///
/// ```
/// use tensorgears::data::Dataset;
/// # use tensorgears::Device;
/// # let dev = Device::cpu();
/// let ds = Dataset::new(&[0; 10], &[0, 1, 2, 3, 4], 2, &dev)?;
/// let shapes: Vec<Vec<usize>> = ds
///     .batches(2, None)?
///     .map(|b| b.map(|(x, _)| x.shape().to_vec()))
///     .collect::<tensorgears::Result<_>>()?;
/// assert_eq!(shapes, vec![vec![2, 2], vec![2, 2], vec![1, 2]]);
/// // Skipping batches gathers nothing: nth(2) is the third batch, the last one.
/// let mut batches = ds.batches(2, None)?;
/// assert_eq!(batches.nth(2).unwrap()?.1.to_vec_u32()?, vec![4]);
/// assert!(batches.next().is_none() && ds.batches(2, None)?.nth(usize::MAX).is_none());
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug)]
pub struct Batches<'a> {
    data: &'a Dataset,
    order: Option<Tensor>,
    batch_size: usize,
    next: usize,
}

impl Batches<'_> {
    /// How many batches the epoch has in all.
    ///
    /// ```
    /// use tensorgears::data::Dataset;
    /// # use tensorgears::Device;
    /// # let dev = Device::cpu();
    /// let ds = Dataset::new(&[0; 10], &[0, 1, 2, 3, 4], 2, &dev)?;
    /// assert_eq!(ds.batches(2, None)?.num_batches(), 3);
    /// # Ok::<(), tensorgears::Error>(())
    /// ```
    pub fn num_batches(&self) -> usize {
        self.data.count.div_ceil(self.batch_size)
    }

    fn batch(&self, start: usize, rows: usize) -> Result<(Tensor, Tensor)> {
        let d = self.data;
        let (x, y) = d.words.storage().gather_batch(
            d.labels.storage(),
            self.order.as_ref().map(Tensor::storage),
            start,
            rows,
            d.features,
        )?;
        let dev = d.device().clone();
        Ok((
            Tensor::from_storage(
                x,
                Layout::contiguous(&[rows, d.features]),
                DType::F32,
                dev.clone(),
            ),
            Tensor::from_storage(y, Layout::contiguous(&[rows]), DType::U32, dev),
        ))
    }
}

impl Iterator for Batches<'_> {
    type Item = Result<(Tensor, Tensor)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.data.count {
            return None;
        }
        let start = self.next;
        let rows = self.batch_size.min(self.data.count - start);
        self.next += rows;
        Some(self.batch(start, rows))
    }

    /// Skips `n` batches without gathering them, so that a loop resuming an epoch part way
    /// (a page that trains a few steps between frames) costs nothing for the steps it skips.
    fn nth(&mut self, n: usize) -> Option<Self::Item> {
        self.next = n
            .checked_mul(self.batch_size)
            .and_then(|skip| skip.checked_add(self.next))
            .map_or(self.data.count, |next| next.min(self.data.count));
        self.next()
    }
}
