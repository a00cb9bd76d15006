//! The MNIST digits in their original IDX files: parsing with every header checked, finding
//! the files, and downloading them (verified, atomically) when they are missing.
//!
//! ```
//! use std::path::Path;
//! use tensorgears::data::{mnist, Dataset};
//! # use tensorgears::Device;
//! // One 1x2 image and its label as the IDX files hold them: magic number, sizes, bytes.
//! let image_file = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255];
//! let images = mnist::parse_images(Path::new("images"), &image_file)?;
//! let labels = mnist::parse_labels(Path::new("labels"), &[0, 0, 8, 1, 0, 0, 0, 1, 7])?;
//! let ds = Dataset::from_images(&images, &labels, None, &Device::cpu())?;
//! assert_eq!((ds.len(), ds.features()), (1, 2));
//! # Ok::<(), tensorgears::Error>(())
//! ```

use std::path::{Path, PathBuf};

pub use super::idx::read_idx_bytes;
use super::idx::{check_payload, data_error, decompress, header};
use crate::{Error, Result};

/// The four files, with the SHA-256 of their decompressed content.
///
/// ```
/// use tensorgears::data::mnist;
/// assert_eq!(mnist::FILES[0].0, "train-images-idx3-ubyte");
/// assert!(mnist::FILES.iter().all(|(_, sha)| sha.len() == 64));
/// ```
pub const FILES: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    (
        "train-labels-idx1-ubyte",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    (
        "t10k-images-idx3-ubyte",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    (
        "t10k-labels-idx1-ubyte",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
];

/// Where missing files are fetched from, unless `TENSORGEARS_MNIST_MIRROR` names another base
/// address (files are fetched as `{base}/{name}.gz`).
///
/// ```
/// use tensorgears::data::mnist;
/// let url = format!("{}/{}.gz", mnist::DEFAULT_MIRROR, mnist::FILES[1].0);
/// assert!(url.starts_with("https://") && url.ends_with("/mnist/train-labels-idx1-ubyte.gz"));
/// ```
pub const DEFAULT_MIRROR: &str = "https://storage.googleapis.com/cvdf-datasets/mnist";

/// The most a download may bring: the largest MNIST file is under 10 MB gzip-compressed (47 MB
/// not), so a server sending more is not sending MNIST.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
const MAX_DOWNLOAD_BYTES: u64 = 64 << 20;

const IMAGES_MAGIC: u32 = 2051;
const LABELS_MAGIC: u32 = 2049;

/// `count` grey-scale images of `rows` x `cols` bytes, row-major, one after another.
///
/// ```
/// use tensorgears::data::mnist::Images;
/// let images = Images { pixels: (0..12).collect(), count: 3, rows: 2, cols: 2 };
/// assert_eq!(images.shape(), [3, 2, 2]);
/// assert_eq!(images.image(1), Some(&[4, 5, 6, 7][..]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    /// The pixels, `count * rows * cols` bytes.
    pub pixels: Vec<u8>,
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
}

impl Images {
    /// The shape NumPy would show: `(count, rows, cols)`.
    ///
    /// ```
    /// use tensorgears::data::mnist::Images;
    /// let images = Images { pixels: vec![0; 24], count: 2, rows: 3, cols: 4 };
    /// assert_eq!(images.shape(), [2, 3, 4]);
    /// ```
    pub fn shape(&self) -> [usize; 3] {
        [self.count, self.rows, self.cols]
    }

    /// The pixels of image `i`.
    ///
    /// ```
    /// use tensorgears::data::mnist::Images;
    /// let images = Images { pixels: vec![1, 2, 3, 4, 5, 6], count: 2, rows: 1, cols: 3 };
    /// assert_eq!(images.image(1), Some(&[4, 5, 6][..]));
    /// assert_eq!(images.image(2), None);
    /// ```
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        let n = self.rows * self.cols;
        self.pixels.get(i * n..(i + 1) * n)
    }
}

/// The MNIST training and test sets.
///
/// ```no_run
/// use tensorgears::data::{mnist, Dataset};
/// use tensorgears::Device;
/// // Needs the MNIST files (or the network to download them).
/// let m = mnist::load(None)?;
/// let test = Dataset::from_images(&m.test_images, &m.test_labels, None, &Device::auto())?;
/// assert_eq!((test.len(), test.features()), (10_000, 784));
/// # Ok::<(), tensorgears::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Mnist {
    /// 60,000 training images.
    pub train_images: Images,
    /// Their labels, 0 to 9.
    pub train_labels: Vec<u8>,
    /// 10,000 test images.
    pub test_images: Images,
    /// Their labels, 0 to 9.
    pub test_labels: Vec<u8>,
}

/// Parses an IDX image file (magic 2051, dimensions count x rows x cols).
///
/// ```
/// use std::path::Path;
/// use tensorgears::data::mnist;
/// let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3]; // 2051; 2 images of 1x3
/// bytes.extend([0, 128, 255, 1, 2, 3]);
/// let images = mnist::parse_images(Path::new("images"), &bytes)?;
/// assert_eq!((images.shape(), images.image(1)), ([2, 1, 3], Some(&[1, 2, 3][..])));
/// assert!(mnist::parse_images(Path::new("images"), &bytes[..20]).is_err()); // truncated
/// # Ok::<(), tensorgears::Error>(())
/// ```
pub fn parse_images(path: &Path, bytes: &[u8]) -> Result<Images> {
    let d = header(path, bytes, IMAGES_MAGIC, 3)?;
    let (count, rows, cols) = (d[0], d[1], d[2]);
    if rows == 0 || cols == 0 {
        return Err(data_error(path, format!("images of {rows}x{cols} pixels")));
    }
    let len = count
        .checked_mul(rows * cols)
        .ok_or_else(|| data_error(path, "dimensions overflow"))?;
    check_payload(path, bytes, 16, len)?;
    Ok(Images {
        pixels: bytes[16..].to_vec(),
        count,
        rows,
        cols,
    })
}

/// Parses an IDX label file (magic 2049, one dimension); every label must be a digit.
///
/// ```
/// use std::path::Path;
/// use tensorgears::data::mnist;
/// let bytes = [0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]; // magic 2049, 3 labels
/// assert_eq!(mnist::parse_labels(Path::new("labels"), &bytes)?, vec![7, 2, 1]);
/// let err = mnist::parse_labels(Path::new("labels"), &[0, 0, 8, 1, 0, 0, 0, 1, 10]).unwrap_err();
/// assert_eq!(err.to_string(), "labels: label 10 at index 0 is not a digit");
/// # Ok::<(), tensorgears::Error>(())
/// ```
pub fn parse_labels(path: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    let count = header(path, bytes, LABELS_MAGIC, 1)?[0];
    check_payload(path, bytes, 8, count)?;
    let labels = bytes[8..].to_vec();
    if let Some((i, l)) = labels.iter().enumerate().find(|(_, &l)| l > 9) {
        return Err(data_error(
            path,
            format!("label {l} at index {i} is not a digit"),
        ));
    }
    Ok(labels)
}

/// The path of `name` in `dir`, gzip-compressed or not, if either exists.
fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    [format!("{name}.gz"), name.to_string()]
        .into_iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

/// Loads the four files from `dir`, checking each and that images and labels agree.
///
/// ```no_run
/// use std::path::Path;
/// use tensorgears::data::mnist;
/// // Needs the four MNIST files in `data/mnist`.
/// let m = mnist::load_dir(Path::new("data/mnist"))?;
/// assert_eq!(m.train_labels.len(), m.train_images.count);
/// # Ok::<(), tensorgears::Error>(())
/// ```
pub fn load_dir(dir: &Path) -> Result<Mnist> {
    let read = |name: &str| -> Result<(PathBuf, Vec<u8>)> {
        let p =
            find(dir, name).ok_or_else(|| data_error(dir, format!("{name}(.gz) is missing")))?;
        let bytes = read_idx_bytes(&p)?;
        Ok((p, bytes))
    };
    assemble([
        read(FILES[0].0)?,
        read(FILES[1].0)?,
        read(FILES[2].0)?,
        read(FILES[3].0)?,
    ])
}

/// MNIST from the four files' bytes as served or downloaded (gzip or not), in the order of
/// [`FILES`], with `load_dir`'s checks: the way in a browser, where the page fetches them.
///
/// ```
/// use tensorgears::data::mnist;
/// let image_file = |count: u8| {
///     let mut f = vec![0, 0, 8, 3, 0, 0, 0, count, 0, 0, 0, 28, 0, 0, 0, 28];
///     f.resize(16 + 784 * count as usize, 0);
///     f
/// };
/// let labels = |l: &[u8]| [&[0, 0, 8, 1, 0, 0, 0, l.len() as u8][..], l].concat();
/// let m = mnist::from_bytes([image_file(2), labels(&[3, 4]), image_file(1), labels(&[5])])?;
/// assert_eq!((m.train_images.count, m.test_labels.clone()), (2, vec![5]));
/// // Labels that do not match the images are an error, as from files.
/// assert!(mnist::from_bytes([image_file(2), labels(&[3]), image_file(1), labels(&[5])]).is_err());
/// # Ok::<(), tensorgears::Error>(())
/// ```
pub fn from_bytes(files: [Vec<u8>; 4]) -> Result<Mnist> {
    let [a, b, c, d] = files;
    let named = |i: usize, raw: Vec<u8>| -> Result<(PathBuf, Vec<u8>)> {
        let p = PathBuf::from(format!("{}.gz", FILES[i].0));
        let bytes = decompress(&p, raw)?;
        Ok((p, bytes))
    };
    assemble([named(0, a)?, named(1, b)?, named(2, c)?, named(3, d)?])
}

/// Parses the four files' contents (train images, train labels, test images, test labels),
/// checking that the images are 28x28 and that each label file matches its images.
fn assemble(files: [(PathBuf, Vec<u8>); 4]) -> Result<Mnist> {
    let [train_images, train_labels, test_images, test_labels] = files;
    let images = |(p, bytes): (PathBuf, Vec<u8>)| -> Result<Images> {
        let img = parse_images(&p, &bytes)?;
        if (img.rows, img.cols) != (28, 28) {
            return Err(data_error(
                &p,
                format!("images are {}x{}, MNIST's are 28x28", img.rows, img.cols),
            ));
        }
        Ok(img)
    };
    let labels = |(p, bytes): (PathBuf, Vec<u8>), count: usize| -> Result<Vec<u8>> {
        let l = parse_labels(&p, &bytes)?;
        if l.len() != count {
            return Err(data_error(
                &p,
                format!("{} labels for {count} images", l.len()),
            ));
        }
        Ok(l)
    };
    let train_images = images(train_images)?;
    let train_labels = labels(train_labels, train_images.count)?;
    let test_images = images(test_images)?;
    let test_labels = labels(test_labels, test_images.count)?;
    Ok(Mnist {
        train_images,
        train_labels,
        test_images,
        test_labels,
    })
}

/// The per-user cache directory for the data set (`~/.cache/tensorgears/mnist` on Linux).
///
/// ```
/// use tensorgears::data::mnist;
/// if let Some(dir) = mnist::cache_dir() {
///     assert!(dir.ends_with("tensorgears/mnist"));
/// }
/// ```
pub fn cache_dir() -> Option<PathBuf> {
    #[cfg(not(target_arch = "wasm32"))]
    return dirs::cache_dir().map(|d| d.join("tensorgears").join("mnist"));
    // A page has no file system: it fetches the files and hands them to `from_bytes`.
    #[cfg(target_arch = "wasm32")]
    None
}

/// Loads MNIST from `dir` if given, else from `$MNIST_DIR`, else from the cache directory,
/// downloading into the cache whatever is missing there.
///
/// ```no_run
/// use tensorgears::data::mnist;
/// // Needs the MNIST files or the network: the first call downloads about 12 MB.
/// let m = mnist::load(None)?;
/// assert_eq!(m.train_images.shape(), [60_000, 28, 28]);
/// # Ok::<(), tensorgears::Error>(())
/// ```
pub fn load(dir: Option<&Path>) -> Result<Mnist> {
    if let Some(d) = dir {
        return load_dir(d);
    }
    if let Some(d) = std::env::var_os("MNIST_DIR") {
        return load_dir(Path::new(&d));
    }
    let cache = cache_dir().ok_or_else(|| Error::Data {
        file: "MNIST".into(),
        msg: "no directory given, MNIST_DIR unset and no per-user cache directory".into(),
    })?;
    let mirror =
        std::env::var("TENSORGEARS_MNIST_MIRROR").unwrap_or_else(|_| DEFAULT_MIRROR.to_string());
    download_missing(&mirror, &cache)?;
    load_dir(&cache)
}

/// How to supply the files without the network, `dir` being where they were to go.
fn offline_help(dir: &Path) -> String {
    let names: Vec<String> = FILES.iter().map(|(n, _)| format!("{n}.gz")).collect();
    format!(
        "Without the network, put the four files ({}) in a directory and pass it to \
         mnist::load (train_mnist: --data DIR) or name it in MNIST_DIR, or copy them into {}",
        names.join(", "),
        dir.display()
    )
}

/// Fetches each file missing from `dir` as `{base}/{name}.gz`, verifies the SHA-256 of its
/// decompressed content and only then moves it into place (a temporary file and a rename, so
/// an interrupted download leaves nothing half-written). Shows a progress bar on a terminal.
///
/// ```no_run
/// use tensorgears::data::mnist;
/// // Needs the network unless all four files are already in `dir`.
/// let dir = mnist::cache_dir().expect("a per-user cache directory");
/// mnist::download_missing(mnist::DEFAULT_MIRROR, &dir)?;
/// assert_eq!(mnist::load_dir(&dir)?.test_images.count, 10_000);
/// # Ok::<(), tensorgears::Error>(())
/// ```
pub fn download_missing(base: &str, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| data_error(dir, format!("cannot create: {e}")))?;
    for (name, sha) in FILES {
        if find(dir, name).is_none() {
            let url = format!("{}/{name}.gz", base.trim_end_matches('/'));
            download_one(&url, dir, name, sha).map_err(|e| match e {
                Error::Download { url, msg } => Error::Download {
                    url,
                    msg: format!("{msg}. {}", offline_help(dir)),
                },
                other => other,
            })?;
        }
    }
    Ok(())
}

#[cfg(target_arch = "wasm32")]
fn download_one(url: &str, _dir: &Path, _name: &str, _sha256: &str) -> Result<()> {
    Err(Error::Download {
        url: url.to_string(),
        msg: "a browser build downloads nothing itself: fetch the files in the page and pass \
              their bytes to mnist::from_bytes"
            .into(),
    })
}

#[cfg(not(target_arch = "wasm32"))]
fn download_one(url: &str, dir: &Path, name: &str, sha256: &str) -> Result<()> {
    use sha2::{Digest, Sha256};
    use std::io::{Read, Write};
    let fail = |msg: String| Error::Download {
        url: url.to_string(),
        msg,
    };
    let response = ureq::get(url).call().map_err(|e| fail(e.to_string()))?;
    let total = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    bar.set_message(name.to_string());
    if total.is_some_and(|n| n > MAX_DOWNLOAD_BYTES) {
        return Err(fail(format!(
            "the server announces {} bytes, more than any MNIST file ({MAX_DOWNLOAD_BYTES} at most)",
            total.unwrap_or(0)
        )));
    }
    let mut raw = Vec::new();
    bar.wrap_read(response.into_body().into_reader())
        .take(MAX_DOWNLOAD_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| fail(format!("the connection broke off: {e}")))?;
    bar.finish_and_clear();
    if raw.len() as u64 > MAX_DOWNLOAD_BYTES {
        return Err(fail(format!(
            "the server sent more than any MNIST file ({MAX_DOWNLOAD_BYTES} bytes at most)"
        )));
    }
    let target = dir.join(format!("{name}.gz"));
    let content = decompress(&target, raw.clone()).map_err(|e| fail(e.to_string()))?;
    let digest: String = Sha256::digest(&content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if digest != sha256 {
        return Err(fail(format!(
            "checksum mismatch: SHA-256 {digest}, expected {sha256}"
        )));
    }
    let partial = dir.join(format!(".{name}.gz.partial"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&partial)?;
        f.write_all(&raw)?;
        f.sync_all()?;
        std::fs::rename(&partial, &target)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        data_error(&target, format!("cannot write: {e}"))
    })
}
