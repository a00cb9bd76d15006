//! The tuner's state: the kernel chosen for this adapter, the background thread choosing it,
//! the kernel that serves products meanwhile, and the choice kept on disk per adapter, driver
//! and kernel source. The measurement itself is in measure.rs; this file needs no device.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use super::classes::Classes;
use super::kernel::MatmulKernel;
use crate::gpu::profile::AdapterProfile;
use crate::gpu::runtime::lock;

/// The matmul choices for one device: the adapter's default kernel, once made, and the choices
/// per shape class (classes.rs).
#[derive(Debug, Default)]
pub(crate) struct Tuner {
    pub(crate) classes: Classes,
    choice: OnceLock<MatmulKernel>,
    /// The thread making the choice, while it runs (see `measure::choice_now`).
    background: Mutex<Option<JoinHandle<()>>>,
    /// Whether that thread only compiles a choice read from the cache, rather than measuring.
    from_cache: AtomicBool,
    /// What serves products until the choice lands, once compiled.
    interim: Mutex<Option<MatmulKernel>>,
}

/// What `Tuner::start` found.
pub(crate) enum Start {
    /// It started the work on a background thread.
    Started,
    /// A thread already runs it; `from_cache` when it only compiles a cached choice.
    Running { from_cache: bool },
}

impl Tuner {
    /// The tuner for an adapter of `profile`. Where nothing may be measured, the adapter-wide
    /// choice a CPU-emulated adapter would measure (measure.rs) is made here: the register
    /// kernel, which every adapter runs.
    pub(crate) fn new(profile: &AdapterProfile) -> Tuner {
        let tuner = Tuner::default();
        if !profile.measures {
            tuner.set(MatmulKernel::Register);
        }
        tuner
    }

    /// The choice, if made.
    pub(crate) fn chosen(&self) -> Option<MatmulKernel> {
        self.choice.get().copied()
    }

    /// Records the choice (the first one made stands) and returns it.
    pub(crate) fn set(&self, kernel: MatmulKernel) -> MatmulKernel {
        *self.choice.get_or_init(|| kernel)
    }

    /// Waits for the background thread, if one runs.
    pub(crate) fn join(&self) {
        if let Some(handle) = lock(&self.background).take() {
            // A panicked measurement is measured again by the caller, where its error surfaces.
            let _ = handle.join();
        }
    }

    /// Runs `work` on a background thread, unless one already runs.
    pub(crate) fn start(&self, from_cache: bool, work: impl FnOnce() + Send + 'static) -> Start {
        let mut background = lock(&self.background);
        if background.is_some() {
            return Start::Running {
                from_cache: self.from_cache.load(Ordering::Relaxed),
            };
        }
        self.from_cache.store(from_cache, Ordering::Relaxed);
        *background = Some(std::thread::spawn(work));
        Start::Started
    }

    /// Has `kernel`, already compiled, serve products while the choice is still measured.
    pub(crate) fn serve_meanwhile(&self, kernel: MatmulKernel) {
        *lock(&self.interim) = Some(kernel);
    }

    /// What serves products while the choice is measured: the register kernel, which every
    /// adapter runs, until something faster is compiled.
    pub(crate) fn interim(&self) -> MatmulKernel {
        lock(&self.interim).unwrap_or(MatmulKernel::Register)
    }
}

/// The fastest of the measured kernels: each kernel's best time over its rounds (a busy host,
/// or another thread's work, can only add time to a run), then the least of those; ties go to
/// the kernel listed first. `None` for no timings.
pub(crate) fn fastest(timings: &[(MatmulKernel, Duration)]) -> Option<MatmulKernel> {
    let mut best: Vec<(MatmulKernel, Duration)> = Vec::new();
    for &(k, t) in timings {
        match best.iter_mut().find(|(b, _)| *b == k) {
            Some((_, d)) => *d = (*d).min(t),
            None => best.push((k, t)),
        }
    }
    best.iter()
        .enumerate()
        .min_by_key(|&(i, &(_, d))| (d, i))
        .map(|(_, &(k, _))| k)
}

/// What identifies a cached choice: the adapter and its driver, the crate's version, the
/// kernels measured and the hash of their source (a changed kernel is measured again).
pub(crate) struct CacheKey<'a> {
    /// What the file holds: the adapter's default kernel, or the choices per shape class.
    pub(crate) prefix: &'a str,
    pub(crate) info: &'a wgpu::AdapterInfo,
    pub(crate) contenders: &'a [MatmulKernel],
    pub(crate) sources: &'a [&'a str],
}

/// Where the choice for `key` is kept: one small file under the user's cache directory.
/// `TENSORGEARS_CACHE_DIR` overrides the directory; `TENSORGEARS_CACHE_DIR=` (empty) turns the
/// cache off.
pub(crate) fn cache_file(key: &CacheKey) -> Option<PathBuf> {
    use std::hash::{Hash, Hasher};
    let dir = match std::env::var_os("TENSORGEARS_CACHE_DIR") {
        Some(d) if d.is_empty() => return None,
        Some(d) => PathBuf::from(d),
        #[cfg(not(target_arch = "wasm32"))]
        None => dirs::cache_dir()?.join("tensorgears"),
        // A page has no file system, and nothing is measured there (tuning.rs).
        #[cfg(target_arch = "wasm32")]
        None => return None,
    };
    let names: Vec<&str> = key.contenders.iter().map(|k| k.name()).collect();
    let mut sources = std::collections::hash_map::DefaultHasher::new();
    key.sources.hash(&mut sources);
    let info = key.info;
    let raw = format!(
        "{}-{:?}-{}-{}-{}-{}-{:016x}",
        info.name,
        info.backend,
        info.driver,
        info.driver_info,
        env!("CARGO_PKG_VERSION"),
        names.join("+"),
        sources.finish()
    );
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(dir.join(format!("{}-{name}", key.prefix)))
}

/// The kernel a cache file names; `None` for a missing, unreadable or foreign file, which is
/// then measured and rewritten.
pub(crate) fn read_cached(path: &Path) -> Option<MatmulKernel> {
    MatmulKernel::parse(std::fs::read_to_string(path).ok()?.trim())
}

/// Keeps `kernel` in the cache file. A cache that cannot be written only costs the next
/// process the measurement again.
pub(crate) fn write_cached(path: &Path, kernel: MatmulKernel) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir).and_then(|_| std::fs::write(path, kernel.name()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MatmulKernel::*;

    #[test]
    fn cached_choice_is_read_back_and_junk_is_ignored() {
        let dir = std::env::temp_dir().join(format!("tensorgears-cache-{}", std::process::id()));
        let path = dir.join("matmul-variant-test");
        for k in [Register, Tiled, Subgroup, Texture] {
            write_cached(&path, k);
            assert_eq!(read_cached(&path), Some(k));
        }
        std::fs::write(&path, "fastest\n").expect("write");
        assert_eq!(read_cached(&path), None);
        std::fs::write(&path, "narrow").expect("write");
        assert_eq!(read_cached(&path), None, "narrow is not a contender");
        assert_eq!(read_cached(&dir.join("missing")), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Each kernel's best round counts, not its worst or its first.
    #[test]
    fn the_fastest_best_round_wins() {
        let ms = Duration::from_millis;
        let timings = [
            (Register, ms(9)),
            (Subgroup, ms(5)),
            (Register, ms(4)),
            (Subgroup, ms(6)),
            (Texture, ms(30)),
            (Texture, ms(4)),
        ];
        // Register and Texture both reach 4 ms: the one listed first wins the tie.
        assert_eq!(fastest(&timings), Some(Register));
        assert_eq!(fastest(&timings[1..]), Some(Register));
        assert_eq!(fastest(&[(Tiled, ms(2)), (Subgroup, ms(3))]), Some(Tiled));
        assert_eq!(fastest(&[]), None);
    }

    #[test]
    fn the_first_choice_stands() {
        let t = Tuner::default();
        assert_eq!(t.chosen(), None);
        assert_eq!(t.interim(), Register);
        t.serve_meanwhile(Subgroup);
        assert_eq!(t.interim(), Subgroup);
        assert_eq!(t.set(Texture), Texture);
        assert_eq!(t.set(Tiled), Texture);
        assert_eq!(t.chosen(), Some(Texture));
    }
}
