//! The peers syncpoint is measured against, shared by the benches: a Mutex+Condvar semaphore and
//! latch, glibc's `sem_t` (Linux), and a pure-spin sense-reversing barrier (the cache-line floor).
#![allow(dead_code, missing_debug_implementations)] // each bench uses some; none is API

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// A counting semaphore the textbook way.
pub(crate) struct MutexSemaphore {
    permits: Mutex<u32>,
    available: Condvar,
}

impl MutexSemaphore {
    pub(crate) fn new(permits: u32) -> Self {
        MutexSemaphore {
            permits: Mutex::new(permits),
            available: Condvar::new(),
        }
    }
    pub(crate) fn acquire(&self) {
        let mut permits = self.permits.lock().unwrap();
        while *permits == 0 {
            permits = self.available.wait(permits).unwrap();
        }
        *permits -= 1;
    }
    pub(crate) fn release(&self) {
        *self.permits.lock().unwrap() += 1;
        self.available.notify_one();
    }
}

/// A latch the textbook way.
pub(crate) struct MutexLatch {
    count: Mutex<u32>,
    opened: Condvar,
}

impl MutexLatch {
    pub(crate) fn new(count: u32) -> Self {
        MutexLatch {
            count: Mutex::new(count),
            opened: Condvar::new(),
        }
    }
    pub(crate) fn arrive_and_wait(&self) {
        let mut count = self.count.lock().unwrap();
        *count -= 1;
        if *count == 0 {
            self.opened.notify_all();
        }
        while *count != 0 {
            count = self.opened.wait(count).unwrap();
        }
    }
}

/// glibc's POSIX semaphore.
#[cfg(target_os = "linux")]
pub(crate) struct PosixSemaphore {
    sem: Box<std::cell::UnsafeCell<libc::sem_t>>,
}

// SAFETY: a sem_t is designed to be shared between threads; every access goes through the
// sem_* functions, which synchronize internally.
#[cfg(target_os = "linux")]
unsafe impl Sync for PosixSemaphore {}

#[cfg(target_os = "linux")]
impl PosixSemaphore {
    pub(crate) fn new(permits: u32) -> Self {
        // SAFETY: sem_t is plain data that sem_init fully initializes below.
        let sem = Box::new(std::cell::UnsafeCell::new(unsafe { std::mem::zeroed() }));
        // SAFETY: the pointer is valid and unique; pshared = 0 (threads of this process).
        let rc = unsafe { libc::sem_init(sem.get(), 0, permits) };
        assert_eq!(rc, 0, "sem_init failed");
        PosixSemaphore { sem }
    }
    pub(crate) fn acquire(&self) {
        // SAFETY: the semaphore was initialized by sem_init and lives as long as self; EINTR
        // is retried.
        while unsafe { libc::sem_wait(self.sem.get()) } != 0 {}
    }
    pub(crate) fn release(&self) {
        // SAFETY: as in `acquire`.
        let rc = unsafe { libc::sem_post(self.sem.get()) };
        assert_eq!(rc, 0, "sem_post failed");
    }
}

#[cfg(target_os = "linux")]
impl Drop for PosixSemaphore {
    fn drop(&mut self) {
        // SAFETY: initialized, and no thread can be waiting on it any more.
        unsafe { libc::sem_destroy(self.sem.get()) };
    }
}

/// The floor: a centralized sense-reversing barrier that only spins. Every thread keeps its own
/// sense. Collapses once threads outnumber cores; run it only where they do not.
pub(crate) struct SpinBarrier {
    count: crossbeam_utils::CachePadded<AtomicUsize>,
    sense: crossbeam_utils::CachePadded<AtomicBool>,
    n: usize,
}

impl SpinBarrier {
    pub(crate) fn new(n: usize) -> Self {
        SpinBarrier {
            count: Default::default(),
            sense: Default::default(),
            n,
        }
    }
    /// `local_sense` is this thread's own sense, flipped at every episode.
    pub(crate) fn wait(&self, local_sense: &mut bool) {
        *local_sense = !*local_sense;
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            self.sense.store(*local_sense, Ordering::Release);
        } else {
            while self.sense.load(Ordering::Acquire) != *local_sense {
                std::hint::spin_loop();
            }
        }
    }
}

/// Thread counts to measure: 1, 2, ..., cores, then 2x, 4x, 8x, 16x and 32x cores.
pub(crate) fn thread_counts() -> Vec<usize> {
    let cores = cores();
    let mut counts: Vec<usize> = (1..=cores).collect();
    counts.extend([2, 4, 8, 16, 32].map(|k| k * cores));
    counts
}

pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `body(thread index)` on `n` threads at once and returns thread 0's elapsed time, timed
/// from a common start.
pub(crate) fn run_on_threads(n: usize, body: impl Fn(usize) + Sync) -> std::time::Duration {
    let start = std::sync::Barrier::new(n);
    std::thread::scope(|s| {
        for me in 1..n {
            let (start, body) = (&start, &body);
            s.spawn(move || {
                start.wait();
                body(me);
            });
        }
        start.wait();
        let t = std::time::Instant::now();
        body(0);
        t.elapsed()
    })
}

/// What the process has used so far: CPU time (user + system, all threads) and context switches
/// (voluntary + involuntary). `None` where getrusage is not wired up (off Linux).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Usage {
    pub(crate) cpu: std::time::Duration,
    pub(crate) context_switches: u64,
}

impl Usage {
    #[cfg(target_os = "linux")]
    pub(crate) fn now() -> Option<Usage> {
        use nix::sys::resource::{getrusage, UsageWho};
        let usage = getrusage(UsageWho::RUSAGE_SELF).ok()?;
        let micros = |t: nix::sys::time::TimeVal| {
            std::time::Duration::new(t.tv_sec() as u64, t.tv_usec() as u32 * 1000)
        };
        Some(Usage {
            cpu: micros(usage.user_time()) + micros(usage.system_time()),
            context_switches: (usage.voluntary_context_switches()
                + usage.involuntary_context_switches()) as u64,
        })
    }

    #[cfg(not(target_os = "linux"))]
    pub(crate) fn now() -> Option<Usage> {
        None
    }

    /// What was used between `earlier` and `self`.
    pub(crate) fn since(self, earlier: Usage) -> Usage {
        Usage {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            context_switches: self
                .context_switches
                .saturating_sub(earlier.context_switches),
        }
    }
}

/// The median of `values` (sorted here); `None` when empty.
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}
