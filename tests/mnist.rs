//! MNIST end to end: the IDX files of ../shared/mnist, malformed files, batches, the download
//! path against a local HTTP server, short training runs of both models on each device, saved
//! weights.
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tensorgears::data::mnist::{self, FILES};
use tensorgears::data::Dataset;
use tensorgears::nn::{Activation, Dense, Sequential};
use tensorgears::optim::RmsProp;
use tensorgears::{Device, Error, Result};

/// `$MNIST_DIR`, else `../shared/mnist` beside the repository.
fn mnist_dir() -> PathBuf {
    std::env::var_os("MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/mnist"))
}

fn data() -> mnist::Mnist {
    mnist::load(Some(&mnist_dir())).expect("MNIST in $MNIST_DIR or ../shared/mnist")
}

/// A fresh empty directory under the system's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tensorgears-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn the_shared_files_parse_with_the_published_shapes_labels_and_checksums() {
    let m = data();
    assert_eq!(m.train_images.shape(), [60000, 28, 28]);
    assert_eq!(m.test_images.shape(), [10000, 28, 28]);
    assert_eq!(&m.train_labels[..5], &[5, 0, 4, 1, 9]);
    assert_eq!(&m.test_labels[..5], &[7, 2, 1, 0, 4]);
    for (name, sha) in FILES {
        let bytes = mnist::read_idx_bytes(&mnist_dir().join(format!("{name}.gz"))).unwrap();
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, sha, "{name}");
    }
}

fn idx_images(count: u32, rows: u32, cols: u32, payload: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for x in [2051u32, count, rows, cols] {
        v.extend(x.to_be_bytes());
    }
    v.extend(std::iter::repeat_n(7u8, payload));
    v
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(2049u32.to_be_bytes());
    v.extend((labels.len() as u32).to_be_bytes());
    v.extend(labels);
    v
}

fn expect_data_error(r: Result<impl std::fmt::Debug>, file: &str, words: &str) {
    match r {
        Err(Error::Data { file: f, msg }) => {
            assert!(f.contains(file), "error names {f}, expected {file}");
            assert!(msg.contains(words), "{msg:?} should say {words:?}");
        }
        other => panic!("expected a data error about {file}, got {other:?}"),
    }
}

#[test]
fn malformed_files_are_errors_that_name_the_file() {
    let p = Path::new("f.idx");
    expect_data_error(
        mnist::parse_images(p, &idx_images(2, 28, 28, 2 * 784 - 1)),
        "f.idx",
        "truncated",
    );
    expect_data_error(
        mnist::parse_images(p, &idx_images(2, 28, 28, 2 * 784 + 5)),
        "f.idx",
        "trailing",
    );
    expect_data_error(
        mnist::parse_images(p, &idx_images(2, 28, 28, 0)[..10]),
        "f.idx",
        "header",
    );
    expect_data_error(
        mnist::parse_images(p, &idx_labels(&[1, 2])),
        "f.idx",
        "magic",
    );
    expect_data_error(
        mnist::parse_labels(p, &idx_images(1, 1, 1, 1)),
        "f.idx",
        "magic",
    );
    expect_data_error(
        mnist::parse_labels(p, &idx_labels(&[1, 12])),
        "f.idx",
        "not a digit",
    );
    assert_eq!(
        mnist::parse_images(p, &idx_images(2, 3, 4, 24))
            .unwrap()
            .shape(),
        [2, 3, 4]
    );

    // Whole directories: wrong sizes, counts that disagree, corrupted gzip, a missing file.
    let write =
        |dir: &Path, name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
    let dir = temp_dir("malformed");
    write(
        &dir,
        "train-images-idx3-ubyte",
        &idx_images(3, 28, 28, 3 * 784),
    );
    write(&dir, "train-labels-idx1-ubyte", &idx_labels(&[1, 2]));
    write(&dir, "t10k-images-idx3-ubyte", &idx_images(1, 28, 28, 784));
    write(&dir, "t10k-labels-idx1-ubyte", &idx_labels(&[3]));
    expect_data_error(
        mnist::load_dir(&dir),
        "train-labels",
        "2 labels for 3 images",
    );
    write(&dir, "train-labels-idx1-ubyte", &idx_labels(&[1, 2, 3]));
    assert!(mnist::load_dir(&dir).is_ok());
    write(&dir, "t10k-images-idx3-ubyte", &idx_images(1, 20, 20, 400));
    expect_data_error(mnist::load_dir(&dir), "t10k-images", "28x28");
    std::fs::remove_file(dir.join("t10k-images-idx3-ubyte")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&idx_images(1, 28, 28, 784)).unwrap();
    let gz = gz.finish().unwrap();
    write(&dir, "t10k-images-idx3-ubyte.gz", &gz[..gz.len() / 2]);
    expect_data_error(mnist::load_dir(&dir), "t10k-images", "gzip");
    std::fs::remove_file(dir.join("t10k-images-idx3-ubyte.gz")).unwrap();
    expect_data_error(
        mnist::load_dir(&dir),
        "malformed",
        "t10k-images-idx3-ubyte(.gz) is missing",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn batches(dev: &Device) -> Result<()> {
    let m = data();
    let train = Dataset::from_images(&m.train_images, &m.train_labels, None, dev)?;
    let all = train.batches(128, None)?;
    assert_eq!(all.num_batches(), 469);
    let sizes: Vec<usize> = all
        .map(|b| b.map(|(x, _)| x.shape()[0]))
        .collect::<Result<_>>()?;
    assert_eq!(sizes.len(), 469);
    assert!(sizes[..468].iter().all(|&s| s == 128));
    assert_eq!(sizes[468], 96);
    let (x, y) = train.batches(128, None)?.next().unwrap()?;
    assert_eq!(x.shape(), &[128, 784]);
    assert_eq!(&y.to_vec_u32()?[..5], &[5, 0, 4, 1, 9]);
    let xv = x.to_vec()?;
    assert!(xv.iter().all(|v| (0.0..=1.0).contains(v)));
    let want: Vec<f32> = m
        .train_images
        .image(0)
        .unwrap()
        .iter()
        .map(|&p| p as f32 / 255.0)
        .collect();
    assert_eq!(&xv[..784], &want[..]);
    // Shuffled: the same seed gives the same order on every device, and each label once.
    let first = |d: &Device| -> Result<Vec<u32>> {
        let ds = Dataset::from_images(&m.train_images, &m.train_labels, Some(1000), d)?;
        let mut labels = Vec::new();
        for b in ds.batches(300, Some(7))? {
            labels.extend(b?.1.to_vec_u32()?);
        }
        Ok(labels)
    };
    let shuffled = first(dev)?;
    assert_eq!(shuffled, first(&Device::cpu())?);
    assert_ne!(
        &shuffled[..],
        &m.train_labels[..1000]
            .iter()
            .map(|&l| l as u32)
            .collect::<Vec<_>>()[..]
    );
    let mut a = shuffled.clone();
    let mut b: Vec<u32> = m.train_labels[..1000].iter().map(|&l| l as u32).collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
    assert!(train.batches(0, None).is_err());
    Ok(())
}
test_device!(batches_cover_the_set_with_a_short_last_batch, batches);

/// Serves `../shared/mnist` on 127.0.0.1 under four prefixes: `good/`, `corrupt/` (one byte
/// flipped), `truncated/` (the first half) and `error/` (HTTP 500). Stops when dropped.
struct Server {
    base: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = server.server_addr().to_ip().expect("ip address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Ok(Some(req)) = server.recv_timeout(std::time::Duration::from_millis(50))
                else {
                    continue;
                };
                let url = req.url().trim_start_matches('/').to_string();
                let (mode, name) = url.split_once('/').unwrap_or(("", ""));
                let body = std::fs::read(mnist_dir().join(name));
                let response = match (mode, body) {
                    ("good", Ok(b)) => tiny_http::Response::from_data(b),
                    ("corrupt", Ok(mut b)) => {
                        let mid = b.len() / 2;
                        b[mid] ^= 0xff;
                        tiny_http::Response::from_data(b)
                    }
                    ("truncated", Ok(b)) => {
                        tiny_http::Response::from_data(b[..b.len() / 2].to_vec())
                    }
                    _ => tiny_http::Response::from_data(b"no".to_vec()).with_status_code(500),
                };
                let _ = req.respond(response);
            }
        });
        Server {
            base: format!("http://127.0.0.1:{port}"),
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn downloads_are_verified_and_atomic() {
    let server = Server::start();
    let no_files = |dir: &Path| std::fs::read_dir(dir).unwrap().count() == 0;
    for (mode, words) in [("corrupt", ""), ("truncated", ""), ("error", "500")] {
        let dir = temp_dir(mode);
        match mnist::download_missing(&format!("{}/{mode}", server.base), &dir) {
            Err(Error::Download { url, msg }) => {
                assert!(url.contains(mode) && url.ends_with(".gz"), "{url}");
                assert!(msg.contains(words), "{mode}: {msg}");
                // And how to go on without the network.
                for way in ["--data DIR", "MNIST_DIR", "t10k-labels-idx1-ubyte.gz"] {
                    assert!(msg.contains(way), "{mode}: {msg}");
                }
            }
            other => panic!("{mode}: expected a download error, got {other:?}"),
        }
        assert!(
            no_files(&dir),
            "{mode}: a failed download left a file behind"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    let dir = temp_dir("good");
    mnist::download_missing(&format!("{}/good", server.base), &dir).expect("download");
    let m = mnist::load_dir(&dir).expect("downloaded files load");
    assert_eq!(&m.test_labels[..5], &[7, 2, 1, 0, 4]);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        4,
        "only the four files, no temporaries"
    );
    // Nothing missing: nothing fetched, even from a failing server.
    mnist::download_missing(&format!("{}/error", server.base), &dir).expect("no download needed");
    let _ = std::fs::remove_dir_all(&dir);
}

/// One epoch on the first 6,000 images reaches well above chance, on each device.
fn smoke(dev: &Device) -> Result<()> {
    let m = data();
    let train = Dataset::from_images(&m.train_images, &m.train_labels, Some(6000), dev)?;
    let test = Dataset::from_images(&m.test_images, &m.test_labels, None, dev)?;
    let model = Sequential::new(vec![
        Dense::new(784, 512, Activation::Relu, 0, dev)?,
        Dense::new(512, 10, Activation::None, 1, dev)?,
    ]);
    let mut steps = 0;
    let stats = model.train_epoch(&train, 128, &mut RmsProp::new(1e-3), Some(1), |p| {
        steps = p.step;
        Ok(())
    })?;
    assert_eq!((steps, stats.samples), (47, 6000));
    let (loss, acc) = model.evaluate(&test, 1000)?;
    assert!(
        acc > 0.85,
        "test accuracy {acc} after one short epoch (loss {loss})"
    );
    assert!(stats.accuracy > 0.7 && stats.loss.is_finite(), "{stats:?}");
    // The weights survive a round trip through safetensors.
    let path = temp_dir("weights").join("model.safetensors");
    model.save(&path)?;
    let loaded = Sequential::load(&path, dev)?;
    let (x, _) = test.batches(64, None)?.next().unwrap()?;
    assert_eq!(
        loaded.predict(&x)?.to_vec_u32()?,
        model.predict(&x)?.to_vec_u32()?
    );
    assert!(Sequential::load(Path::new("/nonexistent/model.safetensors"), dev).is_err());
    Ok(())
}
test_device!(one_short_epoch_learns_the_digits, smoke);

/// The convnet learns too: 1,280 training images, one epoch at the book's batch of 64, judged
/// on the first 1,000 test images; and it survives a round trip through safetensors.
fn convnet_smoke(dev: &Device) -> Result<()> {
    let m = data();
    let train = Dataset::from_images(&m.train_images, &m.train_labels, Some(1280), dev)?;
    let test = Dataset::from_images(&m.test_images, &m.test_labels, Some(1000), dev)?;
    let model = tensorgears::nn::models::mnist_convnet(0, dev)?;
    let stats = model.train_epoch(&train, 64, &mut RmsProp::new(1e-3), Some(1), |_| Ok(()))?;
    let (loss, acc) = model.evaluate(&test, 250)?;
    assert!(
        acc > 0.6,
        "test accuracy {acc} (loss {loss}) after 20 steps; training {stats:?}"
    );
    let path = temp_dir("convnet").join("model.safetensors");
    model.save(&path)?;
    let loaded = Sequential::load(&path, dev)?;
    let (x, _) = test.batches(50, None)?.next().unwrap()?;
    assert_eq!(
        loaded.predict(&x)?.to_vec_u32()?,
        model.predict(&x)?.to_vec_u32()?
    );
    Ok(())
}
test_device!(
    one_short_epoch_of_the_convnet_learns_the_digits,
    convnet_smoke
);
