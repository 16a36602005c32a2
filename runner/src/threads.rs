//! Threads for a measurement: spawned, optionally pinned, started together; and what the
//! process used meanwhile (CPU time, context switches).

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Set when the OS refused to pin a thread (macOS has no hard affinity): the reports say so.
static PIN_REFUSED: AtomicBool = AtomicBool::new(false);

/// Whether the OS refused any pin so far.
pub fn pin_refused() -> bool {
    PIN_REFUSED.load(Relaxed)
}

/// Where a measurement's threads run: thread `i` on core `i % k` of the first `k` cores, or
/// wherever the OS puts it.
#[derive(Clone, Debug, Default)]
pub struct Pinning {
    cores: Option<Vec<core_affinity::CoreId>>,
}

impl Pinning {
    /// No pinning: the OS places the threads.
    pub fn none() -> Pinning {
        Pinning { cores: None }
    }

    /// Round-robin onto the first `k` cores the OS lists (logical CPUs, in the OS's order).
    /// `None` when the OS does not give this process `k` cores to pin to (the reports say so).
    pub fn first(k: usize) -> Option<Pinning> {
        let mut ids = core_affinity::get_core_ids().unwrap_or_default();
        ids.sort_by_key(|c| c.id);
        let pinning = (k >= 1 && ids.len() >= k).then(|| Pinning {
            cores: Some(ids[..k].to_vec()),
        });
        if pinning.is_none() {
            PIN_REFUSED.store(true, Relaxed);
        }
        pinning
    }

    /// The number of cores pinned to, `None` when not pinned.
    pub fn cores(&self) -> Option<usize> {
        self.cores.as_ref().map(Vec::len)
    }

    /// Pins the calling thread, the measurement's thread `index`. Call it on spawned threads
    /// only: a pinned thread stays pinned.
    pub fn pin(&self, index: usize) {
        if let Some(cores) = &self.cores {
            // A refused pin leaves the thread where it was: the run is still valid, only not
            // pinned, and the machine description says so (`pin_refused`).
            if !core_affinity::set_for_current(cores[index % cores.len()]) {
                PIN_REFUSED.store(true, Relaxed);
            }
        }
    }
}

/// Runs `body(i)` for `i` in `0..n`, each on its own spawned thread pinned by `pinning`, all
/// started together; returns thread 0's time from the common start to its return. The calling
/// thread only waits, so it is never pinned.
pub fn run_on_threads(n: usize, pinning: &Pinning, body: impl Fn(usize) + Sync) -> Duration {
    let start = std::sync::Barrier::new(n);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..n)
            .map(|me| {
                let (start, body) = (&start, &body);
                s.spawn(move || {
                    pinning.pin(me);
                    start.wait();
                    let began = Instant::now();
                    body(me);
                    began.elapsed()
                })
            })
            .collect();
        let mut times = workers
            .into_iter()
            .map(|w| w.join().expect("a measured thread panicked"));
        let first = times.next().unwrap_or_default();
        times.for_each(drop);
        first
    })
}

/// Runs `f` while `hogs` threads that only compute run beside it, pinned by `pinning` (hog `i`
/// as thread `i`): another job's load on the same cores. They stop when `f` returns.
pub fn with_hogs<T>(hogs: usize, pinning: &Pinning, f: impl FnOnce() -> T) -> T {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for me in 0..hogs {
            let stop = &stop;
            s.spawn(move || {
                pinning.pin(me);
                let mut x = 0u64;
                while !stop.load(Relaxed) {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            });
        }
        let result = f();
        stop.store(true, Relaxed);
        result
    })
}

/// Runs `f` on a spawned thread and returns its result: what a measurement pins stays on that
/// thread.
pub fn on_fresh_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("a measurement panicked"))
}

/// What the process has used so far: CPU time (user + system, all threads) and context switches
/// (voluntary + involuntary). `None` where getrusage is not available (off Unix).
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    /// User + system time of every thread of the process.
    pub cpu: Duration,
    /// Voluntary and involuntary context switches of every thread of the process.
    pub context_switches: u64,
}

impl Usage {
    /// The process's use so far: every thread's CPU time, exact for the calling thread and
    /// for threads that are not running (the kernel adds a running thread's time at its ticks,
    /// so take it when the others sleep or have ended). `None` off Unix.
    #[cfg(unix)]
    pub fn now() -> Option<Usage> {
        use nix::sys::resource::{getrusage, UsageWho};
        Self::of(
            rustix::time::ClockId::ProcessCPUTime,
            getrusage(UsageWho::RUSAGE_SELF).ok()?,
        )
    }

    /// The process's use so far: not measured here.
    #[cfg(not(unix))]
    pub fn now() -> Option<Usage> {
        None
    }

    /// The calling thread's use so far, exact. `None` off Linux.
    #[cfg(target_os = "linux")]
    pub fn thread_now() -> Option<Usage> {
        use nix::sys::resource::{getrusage, UsageWho};
        Self::of(
            rustix::time::ClockId::ThreadCPUTime,
            getrusage(UsageWho::RUSAGE_THREAD).ok()?,
        )
    }

    /// The calling thread's use so far: not measured here.
    #[cfg(not(target_os = "linux"))]
    pub fn thread_now() -> Option<Usage> {
        None
    }

    /// CPU time from `clock`, context switches from `usage`.
    #[cfg(unix)]
    fn of(clock: rustix::time::ClockId, usage: nix::sys::resource::Usage) -> Option<Usage> {
        let cpu = rustix::time::clock_gettime(clock);
        Some(Usage {
            cpu: Duration::new(cpu.tv_sec as u64, cpu.tv_nsec as u32),
            context_switches: (usage.voluntary_context_switches()
                + usage.involuntary_context_switches()) as u64,
        })
    }

    /// The sum of several threads' uses; `None` if any is unknown.
    pub fn total(uses: impl IntoIterator<Item = Option<Usage>>) -> Option<Usage> {
        uses.into_iter().try_fold(
            Usage {
                cpu: Duration::ZERO,
                context_switches: 0,
            },
            |sum, u| {
                let u = u?;
                Some(Usage {
                    cpu: sum.cpu + u.cpu,
                    context_switches: sum.context_switches + u.context_switches,
                })
            },
        )
    }

    /// What was used between `earlier` and `self`.
    pub fn since(self, earlier: Usage) -> Usage {
        Usage {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            context_switches: self
                .context_switches
                .saturating_sub(earlier.context_switches),
        }
    }
}

/// The median of `values` (sorted here); `None` when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// The machine's logical CPUs as the OS offers them to this process.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Thread counts for the criterion benches: 1, 2, ..., cores, then 2x, 4x, 8x, 16x and 32x cores.
pub fn thread_counts() -> Vec<usize> {
    let cores = cores();
    let mut counts: Vec<usize> = (1..=cores).collect();
    counts.extend([2, 4, 8, 16, 32].map(|k| k * cores));
    counts
}

/// The cache-line round trip between the first two threads of `pinning` (cores 0 and 1 when
/// pinned): two threads hand one cache line back and forth `rounds` times, each waiting for the
/// other's store, then storing. Returns the time of one round trip, two line transfers; the
/// barrier models count in halves of it (docs/design.md, "The tree").
pub fn round_trip(pinning: &Pinning, rounds: u64) -> Duration {
    use std::sync::atomic::{AtomicU64, Ordering::Acquire, Ordering::Release};
    let line = crossbeam_utils::CachePadded::new(AtomicU64::new(0));
    let elapsed = run_on_threads(2, pinning, |me| {
        for i in 0..rounds {
            // Thread 0 writes the odd values, thread 1 the even ones.
            let mine = 2 * i + me as u64;
            while line.load(Acquire) != mine {
                std::hint::spin_loop();
            }
            line.store(mine + 1, Release);
        }
    });
    elapsed / rounds.max(1) as u32
}
