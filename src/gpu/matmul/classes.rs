//! The tuner's choices per shape class: products alike in size (M, N and K rounded up to powers
//! of two), in layout (which operands are stored transposed, batched or not) and in epilogue
//! run the same kernel, measured on the first product of the class that is seen and kept on
//! disk. This file holds the table, the queue of classes to measure and the choice from
//! timings; measure.rs runs the measurements.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::kernel::MatmulKernel;
use super::plan::{Operand, Problem};
use crate::gpu::runtime::lock;

/// A class of products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ShapeClass {
    /// log2 of M, N and K rounded up.
    pub(crate) m: u8,
    pub(crate) n: u8,
    pub(crate) k: u8,
    pub(crate) batched: bool,
    /// Whether A (B) is stored transposed: its columns, not its rows, are contiguous.
    pub(crate) a_t: bool,
    pub(crate) b_t: bool,
    pub(crate) bias: bool,
}

/// log2 of `x` rounded up (0 for 0 and 1).
fn bucket(x: usize) -> u8 {
    (usize::BITS - x.saturating_sub(1).leading_zeros()) as u8
}

fn transposed(op: &Operand) -> bool {
    op.row_stride == 1 && op.col_stride != 1
}

impl ShapeClass {
    pub(crate) fn of(p: &Problem) -> ShapeClass {
        ShapeClass {
            m: bucket(p.dims.m),
            n: bucket(p.dims.n),
            k: bucket(p.dims.k),
            batched: p.dims.batch > 1,
            a_t: transposed(&p.a),
            b_t: transposed(&p.b),
            bias: p.bias.is_some(),
        }
    }

    /// How the class is written in the cache file.
    fn name(&self) -> String {
        let b = |x: bool| u8::from(x);
        format!(
            "m{}-n{}-k{}-batch{}-at{}-bt{}-bias{}",
            self.m,
            self.n,
            self.k,
            b(self.batched),
            b(self.a_t),
            b(self.b_t),
            b(self.bias)
        )
    }

    fn parse(s: &str) -> Option<ShapeClass> {
        let mut v = [0u8; 7];
        let parts: Vec<&str> = s.split('-').collect();
        let names = ["m", "n", "k", "batch", "at", "bt", "bias"];
        if parts.len() != 7 {
            return None;
        }
        for ((slot, part), name) in v.iter_mut().zip(&parts).zip(names) {
            *slot = part.strip_prefix(name)?.parse().ok()?;
        }
        let flag = |x: u8| (x <= 1).then_some(x == 1);
        Some(ShapeClass {
            m: v[0],
            n: v[1],
            k: v[2],
            batched: flag(v[3])?,
            a_t: flag(v[4])?,
            b_t: flag(v[5])?,
            bias: flag(v[6])?,
        })
    }
}

/// Where a class stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Measured (now or in an earlier process): this kernel runs the class.
    Chosen(MatmulKernel),
    /// Being measured; the default serves meanwhile.
    Measuring,
    /// Not seen before: now marked as being measured, and the caller queues it.
    New,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<(ShapeClass, Problem)>,
    /// Whether a thread is working through the jobs.
    working: bool,
}

/// The table and the queue of one device.
#[derive(Default)]
pub(crate) struct Classes {
    /// `None` until the cache has been read.
    table: Mutex<Option<HashMap<ShapeClass, Lookup>>>,
    queue: Mutex<Queue>,
    idle: Condvar,
}

impl std::fmt::Debug for Classes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Classes")
    }
}

impl Classes {
    /// Where `class` stands, the table first read from `cached` (the cache file's choices).
    pub(crate) fn lookup(
        &self,
        class: ShapeClass,
        cached: impl FnOnce() -> HashMap<ShapeClass, MatmulKernel>,
    ) -> Lookup {
        let mut table = lock(&self.table);
        let table = table.get_or_insert_with(|| {
            cached()
                .into_iter()
                .map(|(c, k)| (c, Lookup::Chosen(k)))
                .collect()
        });
        match table.get(&class) {
            Some(&l) => l,
            None => {
                table.insert(class, Lookup::Measuring);
                Lookup::New
            }
        }
    }

    /// Records the choice for `class`.
    pub(crate) fn record(&self, class: ShapeClass, kernel: MatmulKernel) {
        lock(&self.table)
            .get_or_insert_with(HashMap::new)
            .insert(class, Lookup::Chosen(kernel));
    }

    /// Queues `class` to be measured on `problem`; true when no thread works on the queue, so
    /// that the caller starts one (which takes jobs with `next_job` until none are left).
    pub(crate) fn enqueue(&self, class: ShapeClass, problem: Problem) -> bool {
        let mut q = lock(&self.queue);
        q.jobs.push_back((class, problem));
        let start = !q.working;
        q.working = true;
        start
    }

    /// The next job for the working thread, or `None`, after which the thread stops.
    pub(crate) fn next_job(&self) -> Option<(ShapeClass, Problem)> {
        let mut q = lock(&self.queue);
        let job = q.jobs.pop_front();
        if job.is_none() {
            q.working = false;
            self.idle.notify_all();
        }
        job
    }

    /// Waits until every queued class has been measured.
    pub(crate) fn wait_idle(&self) {
        let mut q = lock(&self.queue);
        while q.working {
            q = self.idle.wait(q).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// The kernel whose median time is least (ties to the kernel listed first): the median, not
/// the best, so that one lucky or unlucky round decides nothing. `None` for no timings.
pub(crate) fn fastest_median(timings: &[(MatmulKernel, Duration)]) -> Option<MatmulKernel> {
    let mut per: Vec<(MatmulKernel, Vec<Duration>)> = Vec::new();
    for &(k, t) in timings {
        match per.iter_mut().find(|(p, _)| *p == k) {
            Some((_, v)) => v.push(t),
            None => per.push((k, vec![t])),
        }
    }
    per.iter_mut()
        .map(|(k, v)| {
            v.sort();
            (*k, v[v.len() / 2])
        })
        .enumerate()
        .min_by_key(|&(i, (_, median))| (median, i))
        .map(|(_, (k, _))| k)
}

/// The choices a cache file holds (unreadable lines and files are ignored: measured again).
pub(crate) fn read_cache(path: &Path) -> HashMap<ShapeClass, MatmulKernel> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let (class, kernel) = line.split_once(' ')?;
            let kernel = MatmulKernel::ALL
                .into_iter()
                .find(|k| k.name() == kernel.trim())?;
            Some((ShapeClass::parse(class)?, kernel))
        })
        .collect()
}

/// Adds a choice to the cache file (a cache that cannot be written only costs the next process
/// the measurement again).
pub(crate) fn append_cache(path: &Path, class: ShapeClass, kernel: MatmulKernel) {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{} {}", class.name(), kernel.name());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MatmulKernel::*;

    fn class(m: u8) -> ShapeClass {
        ShapeClass {
            m,
            n: 9,
            k: 10,
            batched: false,
            a_t: true,
            b_t: false,
            bias: true,
        }
    }

    /// The median decides: one fast round does not make a kernel the choice.
    #[test]
    fn the_least_median_wins() {
        let us = Duration::from_micros;
        let timings = [
            (Gemm128, us(100)),
            (Gemm64, us(90)),
            (Gemm128, us(20)), // one lucky round
            (Gemm64, us(95)),
            (Gemm128, us(110)),
            (Gemm64, us(92)),
        ];
        assert_eq!(fastest_median(&timings), Some(Gemm64));
        assert_eq!(
            fastest_median(&[(Tiled, us(5)), (Register, us(5))]),
            Some(Tiled),
            "a tie goes to the kernel listed first"
        );
        assert_eq!(fastest_median(&[]), None);
    }

    #[test]
    fn classes_round_up_to_powers_of_two() {
        assert_eq!([bucket(0), bucket(1), bucket(2), bucket(3)], [0, 0, 1, 2]);
        assert_eq!([bucket(512), bucket(513), bucket(784)], [9, 10, 10]);
        let c = class(7);
        assert_eq!(c.name(), "m7-n9-k10-batch0-at1-bt0-bias1");
        assert_eq!(ShapeClass::parse(&c.name()), Some(c));
        assert_eq!(ShapeClass::parse("m7-n9-k10-batch0-at2-bt0-bias1"), None);
        assert_eq!(ShapeClass::parse("m7-n9"), None);
    }

    #[test]
    fn a_class_is_measured_once_and_remembered() {
        let dir = std::env::temp_dir().join(format!("tensorgears-classes-{}", std::process::id()));
        let path = dir.join("matmul-classes-test");
        let _ = std::fs::remove_file(&path);
        append_cache(&path, class(3), Narrow);
        append_cache(&path, class(4), Gemm64);
        std::fs::write(
            &path,
            std::fs::read_to_string(&path).unwrap() + "junk line\n",
        )
        .unwrap();
        let classes = Classes::default();
        assert_eq!(
            classes.lookup(class(3), || read_cache(&path)),
            Lookup::Chosen(Narrow)
        );
        assert_eq!(
            classes.lookup(class(4), HashMap::new),
            Lookup::Chosen(Gemm64)
        );
        assert_eq!(classes.lookup(class(5), HashMap::new), Lookup::New);
        assert_eq!(classes.lookup(class(5), HashMap::new), Lookup::Measuring);
        classes.record(class(5), Tiled);
        assert_eq!(
            classes.lookup(class(5), HashMap::new),
            Lookup::Chosen(Tiled)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// One thread works through the queue; waiting returns once it has stopped.
    #[test]
    fn the_queue_has_one_worker_and_can_be_waited_for() {
        use crate::layout::Layout;
        use crate::ops::MatmulDims;
        let l = Layout::contiguous(&[1, 4, 4]);
        let dims = MatmulDims {
            batch: 1,
            m: 4,
            n: 4,
            k: 4,
        };
        let p = Problem::new((&l, 64), (&l, 64), dims, None).expect("small");
        let classes = std::sync::Arc::new(Classes::default());
        assert!(
            classes.enqueue(class(1), p.clone()),
            "the first job starts a worker"
        );
        assert!(
            !classes.enqueue(class(2), p.clone()),
            "one worker at a time"
        );
        let worker = classes.clone();
        let done = std::thread::spawn(move || {
            let mut seen = vec![];
            while let Some((c, _)) = worker.next_job() {
                seen.push(c.m);
            }
            seen
        });
        classes.wait_idle();
        assert_eq!(done.join().expect("worker"), vec![1, 2]);
        assert!(
            classes.enqueue(class(3), p),
            "a stopped worker is started again"
        );
    }
}
