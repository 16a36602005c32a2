//! The spin before a sleep, as the [`WaitPolicy`] says (docs/design.md, "Waiting").

use super::policy::WaitPolicy;
use crate::futex;
use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The longest adaptive spin: about one futex sleep and wake-up on the machines measured
/// (docs/benchmarks.md), beyond which sleeping is cheaper than spinning on.
const ADAPTIVE_SPIN_MAX_NS: u32 = 16_000;
/// The shortest adaptive spin, after repeated failures: still enough for a partner that is
/// running on another core to arrive.
const ADAPTIVE_SPIN_MIN_NS: u32 = 1_000;
/// The active spin.
const ACTIVE_SPIN_NS: u32 = 1_000_000;
/// How long after a wake (made or received by this thread) an adaptive wait keeps spinning: the
/// threads it waits for may be the ones that wake was for, on their way back from the kernel,
/// and a futex wake-up took 7 µs (median) to 170-220 µs (99th percentile) on this machine class,
/// 25-50 µs (median) on another (docs/design.md, "Waiting").
const WAKING_SPIN: Duration = Duration::from_micros(100);
/// Spins before any bookkeeping: about 1.5 µs of `spin_loop` hints on this machine class
/// (24 ns each), enough for a partner running on another core.
const FREE_SPINS: u32 = 64;
/// Yields before sleeping when the waiters alone fill the cores.
const YIELDS: u32 = 8;
/// The longest a yield was seen to last here: a scheduler tick (strace). A timed wait yields only
/// while its deadline is further away than this, so that no yield carries it past the deadline.
const YIELD_MAX: Duration = Duration::from_millis(4);
/// How long a thread trusts what it read of the machine's runnable threads (`no_core_idle`).
const NO_CORE_IDLE_FOR: Duration = Duration::from_millis(1);
/// Spin-loop hints between two readings of the clock.
const SPINS_PER_CLOCK_CHECK: u32 = 16;

/// Threads spinning in any syncpoint primitive now. Relaxed throughout: a heuristic that orders
/// nothing. (std's atomics, not the shim's: the spin is not compiled under loom.)
static SPINNERS: AtomicUsize = AtomicUsize::new(0);
/// The number of cores, read once; 0 until then. Relaxed: a cache of a constant.
static CORES: AtomicU32 = AtomicU32::new(0);

thread_local! {
    /// This thread's adaptive spin budget in ns: halved after a spin that ended in a sleep,
    /// doubled after one that succeeded.
    static BUDGET_NS: Cell<u32> = const { Cell::new(ADAPTIVE_SPIN_MAX_NS) };
}

/// Sets this thread's adaptive spin budget (tests only: to drive a wait into sleeping).
#[cfg(test)]
pub(crate) fn set_budget(ns: u32) {
    BUDGET_NS.with(|budget| budget.set(ns));
}

/// The cores the process's threads may run on, counted once (at the first wait that asks).
fn cores() -> usize {
    match CORES.load(Ordering::Relaxed) {
        0 => {
            let cores = u32::try_from(count_cores()).unwrap_or(u32::MAX);
            CORES.store(cores, Ordering::Relaxed);
            cores as usize
        }
        cores => cores as usize,
    }
}

/// std's `available_parallelism` counts the calling thread's CPU set (and the cgroup's CPU
/// quota): a thread pinned to one core, as HPC threads are, would count one core for the whole
/// process, and every adaptive wait would then yield instead of spinning. So, on Linux, the
/// process's CPU set (its first thread's) counts, unless the quota binds below the calling
/// thread's own set, which then tells the quota.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn count_cores() -> usize {
    use rustix::thread::sched_getaffinity;
    let available = std::thread::available_parallelism().map_or(1, |n| n.get());
    let count = |set: rustix::io::Result<rustix::thread::CpuSet>| {
        set.map_or(available, |set| set.count() as usize)
    };
    let thread = count(sched_getaffinity(None));
    if available < thread {
        return available; // the quota binds
    }
    count(sched_getaffinity(Some(rustix::process::getpid()))).max(available)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn count_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Whether the calling thread may run on one CPU only (it is pinned). Asked once per spin, and
/// only of a spin that runs past its budget.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn pinned_to_one_cpu() -> bool {
    rustix::thread::sched_getaffinity(None).is_ok_and(|set| set.count() == 1)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn pinned_to_one_cpu() -> bool {
    false
}

/// Whether no core is idle at `now`: more threads are runnable on the machine than the process
/// has cores. Linux counts them for /proc/loadavg; read at most once a millisecond per thread (a
/// read costs about 7 µs here), and only by a spin that runs past its budget.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn no_core_idle(now: Instant) -> bool {
    use std::io::Read;
    thread_local! {
        static SEEN: Cell<Option<(Instant, bool)>> = const { Cell::new(None) };
    }
    if let Some((at, busy)) = SEEN.get() {
        if now.saturating_duration_since(at) < NO_CORE_IDLE_FOR {
            return busy;
        }
    }
    let mut line = [0u8; 128];
    let runnable = std::fs::File::open("/proc/loadavg")
        .and_then(|mut file| file.read(&mut line))
        .ok()
        .and_then(|len| std::str::from_utf8(&line[..len]).ok())
        .and_then(runnable_threads);
    let busy = runnable.is_some_and(|runnable| runnable > cores());
    SEEN.set(Some((now, busy)));
    busy
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn no_core_idle(_now: Instant) -> bool {
    false
}

/// The runnable threads in a line of /proc/loadavg: "0.17 0.76 1.31 2/83 6974" has 2 (of 83).
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
fn runnable_threads(loadavg: &str) -> Option<usize> {
    let (runnable, _all) = loadavg.split_whitespace().nth(3)?.split_once('/')?;
    runnable.parse().ok()
}

/// The spin before a sleep: a waiter calls [`spin`](Spin::spin) between two looks at its
/// condition until it returns `false`, then sleeps.
pub(crate) struct Spin {
    state: SpinState,
    /// The caller's own deadline, if any: a timed wait never spins past it.
    until: Option<Instant>,
}

enum SpinState {
    /// Not started: the policy and the number of threads that may wait together.
    Idle(WaitPolicy, usize),
    /// The first spins, `left` more: no bookkeeping and no clock. Most waits for a thread that is
    /// running on another core end here.
    Free { policy: WaitPolicy, left: u32 },
    /// Spinning, counted in `SPINNERS`, until `deadline`. Past `yield_from` (the end of the
    /// budget, where only a recent wake keeps the spin going), a thread pinned to one CPU, or
    /// one whose recent wake it made itself, yields at each clock check (`None`: it does not),
    /// and once it has (`yielded`), a success is not the spin's: the budget does not grow for it.
    Spinning {
        adaptive: bool,
        deadline: Instant,
        yield_from: Option<Instant>,
        yielded: bool,
        spins: u32,
    },
    /// The waiters fill the cores: give the core to a thread yet to arrive, `left` times more.
    Yielding { left: u32 },
    /// Done spinning: sleep from now on.
    Spent,
}

impl Spin {
    /// A spin for a thread waiting under `policy` among up to `waiters` threads that may wait on
    /// the same primitive at once (pass 1 when unknown), until `until` at the latest (the timed
    /// wait's deadline; `None` for an untimed wait).
    #[inline]
    pub(crate) fn new(policy: WaitPolicy, waiters: usize, until: Option<Instant>) -> Spin {
        Spin {
            state: SpinState::Idle(policy, waiters),
            until,
        }
    }

    /// Spends one step of the spin and returns `true`, or returns `false` once the caller should
    /// sleep. A caller that gets `true` looks at its condition again and calls again.
    #[inline]
    pub(crate) fn spin(&mut self) -> bool {
        match &mut self.state {
            SpinState::Spinning {
                deadline,
                yield_from,
                yielded,
                spins,
                ..
            } => {
                *spins += 1;
                if *spins % SPINS_PER_CLOCK_CHECK != 0 {
                    core::hint::spin_loop();
                    return true;
                }
                let now = Instant::now();
                if now >= *deadline {
                    self.finish(false);
                    return false;
                }
                if yield_from.is_some_and(|from| now >= from) {
                    if *yielded
                        || futex::made_last_wake()
                        || pinned_to_one_cpu()
                        || no_core_idle(now)
                    {
                        // Spinning on through a wake-up that the partner may be waiting out
                        // on this very CPU, which it gets only if this thread gives it up: a
                        // thread pinned to one CPU (threads pinned together); the thread that
                        // made the wake (the scheduler may place the woken thread on the
                        // waker's CPU: on the virtual machine measured, the woken partner waited
                        // out the whole spin); and any thread while no core is idle (a CPU hog:
                        // the partner queued here cannot be moved to an idle core, so it runs
                        // only when this thread gives way). Alone on the CPU, a yield returns at
                        // once. (A woken thread with an idle core about does not yield: the
                        // scheduler moves a partner queued behind it there, and yields would
                        // keep the two taking turns on one CPU; docs/design.md, "Waiting".)
                        *yielded = true;
                        std::thread::yield_now();
                        return true;
                    }
                    *yield_from = None;
                }
                core::hint::spin_loop();
                true
            }
            SpinState::Free { left: 0, policy } => {
                let policy = *policy;
                self.register(policy)
            }
            SpinState::Free { left, .. } => {
                *left -= 1;
                core::hint::spin_loop();
                true
            }
            SpinState::Idle(..) => self.start(),
            SpinState::Yielding { left: 0 } => false,
            SpinState::Yielding { left } => {
                if self
                    .until
                    .is_some_and(|until| until <= Instant::now() + YIELD_MAX)
                {
                    self.state = SpinState::Spent;
                    return false;
                }
                *left -= 1;
                std::thread::yield_now();
                true
            }
            SpinState::Spent => false,
        }
    }

    /// Chooses between spinning, yielding and sleeping at once.
    #[cold]
    fn start(&mut self) -> bool {
        let SpinState::Idle(policy, waiters) = self.state else {
            unreachable!("start is called on an idle spin only")
        };
        self.state = match policy {
            WaitPolicy::Passive => SpinState::Spent,
            // Spinning pays only while the thread being waited for can run. When the waiters
            // alone fill the cores, the core is better given to a thread still to arrive: a few
            // yields, measured 5 to 15 times cheaper than sleeping at once (docs/benchmarks.md).
            // A timed wait yields only while its deadline is more than `YIELD_MAX` away.
            WaitPolicy::Adaptive if waiters >= cores() => SpinState::Yielding { left: YIELDS },
            WaitPolicy::Adaptive | WaitPolicy::Active => SpinState::Free {
                policy,
                left: FREE_SPINS,
            },
        };
        self.spin()
    }

    /// After the free spins: register as a spinner and spin on against the clock, or sleep.
    #[cold]
    fn register(&mut self, policy: WaitPolicy) -> bool {
        let spinners = SPINNERS.fetch_add(1, Ordering::Relaxed) + 1;
        let budget_ns = match policy {
            WaitPolicy::Active => ACTIVE_SPIN_NS,
            // Leave at least one core to the threads being waited for.
            _ if spinners >= cores() => {
                SPINNERS.fetch_sub(1, Ordering::Relaxed);
                self.state = SpinState::Spent;
                return false;
            }
            _ => BUDGET_NS.with(Cell::get),
        };
        let budget_end = Instant::now() + Duration::from_nanos(budget_ns.into());
        let mut end = budget_end;
        if policy == WaitPolicy::Adaptive {
            // Spin through the wake-up of the threads a recent wake was for: sleeping now would
            // make them wait a wake-up of this thread's in turn, and so on (a convoy).
            if let Some(woke) = futex::last_wake() {
                end = end.max(woke + WAKING_SPIN);
            }
        }
        self.state = SpinState::Spinning {
            adaptive: policy == WaitPolicy::Adaptive,
            deadline: self.until.map_or(end, |until| until.min(end)),
            yield_from: (budget_end < end).then_some(budget_end),
            yielded: false,
            spins: 0,
        };
        core::hint::spin_loop();
        true
    }

    /// Ends a spin that `succeeded` (the condition came true) or failed (the caller will sleep),
    /// adapting this thread's budget.
    fn finish(&mut self, succeeded: bool) {
        if let SpinState::Spinning { adaptive, .. } = self.state {
            SPINNERS.fetch_sub(1, Ordering::Relaxed);
            if adaptive {
                BUDGET_NS.with(|budget| {
                    let next = if succeeded {
                        budget.get().saturating_mul(2).min(ADAPTIVE_SPIN_MAX_NS)
                    } else {
                        (budget.get() / 2).max(ADAPTIVE_SPIN_MIN_NS)
                    };
                    budget.set(next);
                });
            }
        }
        self.state = SpinState::Spent;
    }
}

impl Drop for Spin {
    /// A spin dropped while spinning ended because the condition came true: by spinning, or,
    /// once it has yielded, because it gave its core away (which halves the budget, as a
    /// failure does: with the partner on this core, spinning cannot succeed).
    #[inline]
    fn drop(&mut self) {
        if let SpinState::Spinning { yielded, .. } = self.state {
            self.finish(!yielded);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{cores, runnable_threads, Spin, YIELDS, YIELD_MAX};
    use crate::WaitPolicy;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    #[test]
    fn the_runnable_threads_are_read_from_a_line_of_loadavg() {
        assert_eq!(runnable_threads("0.17 0.76 1.31 2/83 6974\n"), Some(2));
        assert_eq!(
            runnable_threads("12.00 9.50 8.25 130/4211 99999"),
            Some(130)
        );
        assert_eq!(runnable_threads("0.17 0.76 1.31"), None);
        assert_eq!(runnable_threads("0.17 0.76 1.31 x/83 6974"), None);
    }

    /// With a spinning thread for every core and one more, a thread sees no idle core (a thread
    /// of its own: the reading is kept a millisecond per thread). Where the OS does not count
    /// runnable threads, the answer is always "some core is idle".
    #[test]
    fn threads_that_fill_the_cores_leave_no_core_idle() {
        let stop = AtomicBool::new(false);
        let busy = std::thread::scope(|s| {
            for _ in 0..=cores() {
                s.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                });
            }
            let busy = s
                .spawn(|| super::no_core_idle(Instant::now()))
                .join()
                .unwrap();
            stop.store(true, Ordering::Relaxed);
            busy
        });
        assert_eq!(busy, cfg!(any(target_os = "linux", target_os = "android")));
    }

    /// How many steps a spin takes before it says "sleep" (bounded, so a broken spin fails).
    fn steps(mut spin: Spin) -> u32 {
        (0..1_000_000).take_while(|_| spin.spin()).count() as u32
    }

    /// When the waiters fill the cores, an adaptive wait yields before it sleeps, a timed one
    /// too while its deadline is far, but not when a yield could carry it past its deadline.
    #[test]
    fn waiters_that_fill_the_cores_yield_unless_the_deadline_is_near() {
        let far = Instant::now() + Duration::from_secs(60);
        let near = Instant::now() + YIELD_MAX / 2;
        assert_eq!(
            steps(Spin::new(WaitPolicy::Adaptive, cores(), None)),
            YIELDS
        );
        assert_eq!(
            steps(Spin::new(WaitPolicy::Adaptive, cores(), Some(far))),
            YIELDS
        );
        assert_eq!(
            steps(Spin::new(WaitPolicy::Adaptive, cores(), Some(near))),
            0
        );
        assert_eq!(steps(Spin::new(WaitPolicy::Passive, cores(), Some(far))), 0);
    }
}
