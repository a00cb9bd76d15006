//! Hostile files: the real MNIST test files and a saved model, truncated, with bytes flipped and
//! with forged header counts, on every run. Reading them gives a value or an error, never a
//! panic, and never allocates more than the file can hold: this binary's allocator records the
//! largest single request, which must stay under a bound far below what a forged header claims.
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use tensorgears::data::mnist;
use tensorgears::nn::{Activation, Dense, Sequential};
use tensorgears::Device;

/// The system allocator, recording the largest request.
struct Recording;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Recording = Recording;

/// No single allocation while reading any of these files may pass this: the real test images
/// are 7.8 MB decompressed, and a forged header claims up to 2^32 images of 2^32 pixels.
const MOST_BYTES: usize = 64 << 20;

fn mnist_dir() -> PathBuf {
    std::env::var_os("MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/mnist"))
}

fn raw(name: &str) -> Vec<u8> {
    let path = mnist_dir().join(format!("{name}.gz"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (set MNIST_DIR)", path.display()))
}

fn unzipped(gz: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .expect("the real file decompresses");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).expect("in memory");
    gz.finish().expect("in memory")
}

/// A file in a directory of its own for this case.
fn write_temp(tag: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tensorgears-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{tag}-{:?}", std::thread::current().id()));
    std::fs::write(&path, bytes).expect("write");
    path
}

/// What a test does to a file's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(f64),
    Flip(Vec<(f64, u8)>),
    /// The big-endian u32 at this header offset set to this value (a count, rows, columns).
    Forge(usize, u32),
}

fn mutation(header_words: usize) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0.0..1.0f64).prop_map(Mutation::Truncate),
        prop::collection::vec((0.0..1.0f64, 1..=255u8), 1..8).prop_map(Mutation::Flip),
        (
            1..=header_words,
            prop_oneof![
                Just(u32::MAX),
                Just(1 << 31),
                Just(0),
                Just(60_001),
                any::<u32>()
            ]
        )
            .prop_map(|(w, v)| Mutation::Forge(4 * w, v)),
    ]
}

fn mutate(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut b = bytes.to_vec();
    match m {
        Mutation::Truncate(f) => b.truncate((b.len() as f64 * f) as usize),
        Mutation::Flip(flips) => {
            for &(at, x) in flips {
                let i = ((b.len() as f64 * at) as usize).min(b.len() - 1);
                b[i] ^= x;
            }
        }
        Mutation::Forge(at, v) => b[*at..*at + 4].copy_from_slice(&v.to_be_bytes()),
    }
    b
}

/// Runs `read` and checks that no allocation on the way passed `MOST_BYTES`.
fn bounded<T>(what: &str, read: impl FnOnce() -> T) -> T {
    // The tests run on several threads: one read at a time, so that none resets the largest
    // request while another's is being measured.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    LARGEST.store(0, Ordering::Relaxed);
    let out = read();
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest <= MOST_BYTES,
        "{what}: an allocation of {largest} bytes"
    );
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, .. ProptestConfig::default() })]

    /// The label file, mutated as IDX bytes, read from disk raw and recompressed.
    #[test]
    fn mutated_label_files_are_errors_or_labels(m in mutation(1)) {
        let bytes = mutate(&unzipped(&raw("t10k-labels-idx1-ubyte")), &m);
        for (tag, file) in [("raw", bytes.clone()), ("gz", gzip(&bytes))] {
            let path = write_temp(tag, &file);
            let labels = bounded("labels", || {
                mnist::read_idx_bytes(&path).and_then(|b| mnist::parse_labels(&path, &b))
            });
            if let Ok(l) = labels {
                prop_assert!(l.iter().all(|&d| d < 10));
            }
        }
    }

    /// The image file, mutated as IDX bytes, and as gzip bytes.
    #[test]
    fn mutated_image_files_are_errors_or_images(m in mutation(3), gz in any::<bool>()) {
        let real = raw("t10k-images-idx3-ubyte");
        let file = if gz {
            mutate(&real, &m)
        } else {
            mutate(&unzipped(&real), &m)
        };
        let path = write_temp("images", &file);
        let images = bounded("images", || {
            mnist::read_idx_bytes(&path).and_then(|b| mnist::parse_images(&path, &b))
        });
        if let Ok(i) = images {
            prop_assert_eq!(i.pixels.len(), i.count * i.rows * i.cols);
        }
    }

    /// A saved model, truncated or with bytes flipped (its JSON header included).
    #[test]
    fn mutated_model_files_are_errors_or_models(m in prop_oneof![
        (0.0..1.0f64).prop_map(Mutation::Truncate),
        prop::collection::vec((0.0..0.6f64, 1..=255u8), 1..4).prop_map(Mutation::Flip),
    ]) {
        let dev = Device::cpu();
        let model = Sequential::new(vec![
            Dense::new(6, 4, Activation::Relu, 1, &dev).expect("dense"),
            Dense::new(4, 3, Activation::Softmax, 2, &dev).expect("dense"),
        ]);
        let path = write_temp("model", b"");
        model.save(&path).expect("save");
        let bytes = mutate(&std::fs::read(&path).expect("read"), &m);
        std::fs::write(&path, bytes).expect("write");
        let loaded = bounded("model", || Sequential::load(&path, &dev));
        if let Ok(back) = loaded {
            let x = tensorgears::Tensor::ones(&[2, 6], &dev).expect("x");
            // A loaded model either runs or says why not.
            let _ = back.forward(&x);
        }
    }
}

/// Forged counts of up to 2^32 images are refused before anything is allocated for them.
#[test]
fn forged_counts_fail_without_allocating_for_them() {
    let real = unzipped(&raw("t10k-images-idx3-ubyte"));
    for (word, value) in [(1, u32::MAX), (2, 1 << 16), (3, 1 << 20)] {
        let forged = mutate(&real, &Mutation::Forge(4 * word, value));
        for (tag, file) in [("raw", forged.clone()), ("gz", gzip(&forged))] {
            let path = write_temp(tag, &file);
            let r = bounded("forged", || mnist::read_idx_bytes(&path));
            let err = r
                .and_then(|b| mnist::parse_images(&path, &b))
                .expect_err("a forged count");
            assert!(err.to_string().contains("header announces"), "{err}");
        }
    }
}
