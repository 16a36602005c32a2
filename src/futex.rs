//! The one door to atomics and the OS.
//!
//! Every atomic type, every fence, every futex wait and wake, and the spin policy that precedes a
//! sleep live here; the primitives import them from this module and from nowhere else. Under
//! `--cfg loom` the same names resolve to loom's types and to a model of the futex (below), so the
//! loom models in `loom-tests/` check the very code that ships.
//!
//! # The sleep protocol shared by every primitive
//!
//! Each primitive keeps its state in one 32-bit [`Futex`] word whose top bit, [`SLEEPERS`], means
//! "a thread may be asleep on this word". A thread that must wait calls [`Futex::sleep`] with the
//! value it observed: `sleep` sets `SLEEPERS` with a compare-exchange on exactly that value and
//! sleeps only while the word still holds it. A thread that makes waiting threads able to proceed
//! clears `SLEEPERS` in the same read-modify-write that changes the state, and calls
//! [`Futex::wake_all_if_sleepers`] with the value it replaced. Because the bit and the state are one
//! word, the modification order of that word decides every race: either the waker's
//! read-modify-write comes first (the sleeper's compare-exchange or the kernel's value check fails,
//! and it re-reads) or the sleeper's comes first (the waker sees the bit and wakes it). No ordering
//! stronger than Relaxed is needed for the bit itself; see docs/design.md.
//!
//! # The loom model of the futex
//!
//! Under loom each `Futex` carries a loom `Mutex<()>` and `Condvar`. `wait` locks the mutex, checks
//! the value and sleeps on the condvar; `wake_*` lock the same mutex before notifying. This keeps the
//! kernel's guarantee (the value check and the sleep are atomic with respect to a wake) and nothing
//! more, so a missing or misplaced wake leaves a thread asleep forever, which loom reports as a
//! deadlock. A timed wait is modelled as one whose timeout expires at once.

use core::ops::Deref;
#[cfg(not(loom))]
use std::cell::Cell;
use std::time::Instant;

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

/// Bit 31 of every futex word: a thread may be asleep on this word (or about to sleep on it).
///
/// Set only by [`Futex::sleep`]; cleared only by a read-modify-write that lets the sleepers
/// proceed, which must then call [`Futex::wake_all_if_sleepers`].
pub(crate) const SLEEPERS: u32 = 1 << 31;

/// Defines `$vis const fn` normally and a plain `$vis fn` under loom, whose atomics and futex model
/// cannot be built in a const context. One body, two signatures.
macro_rules! const_fn_unless_loom {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($self:tt, $($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$attr])*
        #[cfg(not(loom))]
        $vis const fn $name($self, $($arg: $ty),*) -> $ret $body

        $(#[$attr])*
        #[cfg(loom)]
        $vis fn $name($self, $($arg: $ty),*) -> $ret $body
    };
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$attr])*
        #[cfg(not(loom))]
        $vis const fn $name($($arg: $ty),*) -> $ret $body

        $(#[$attr])*
        #[cfg(loom)]
        $vis fn $name($($arg: $ty),*) -> $ret $body
    };
}
pub(crate) use const_fn_unless_loom;

/// A 32-bit atomic word that threads can sleep on.
///
/// Dereferences to its [`AtomicU32`] for the state transitions; adds the sleep and wake halves of
/// the protocol described in the module docs.
pub(crate) struct Futex {
    word: AtomicU32,
    #[cfg(loom)]
    model: model::Queue,
}

impl Deref for Futex {
    type Target = AtomicU32;

    #[inline]
    fn deref(&self) -> &AtomicU32 {
        &self.word
    }
}

/// What ended a [`Futex::sleep`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Woken {
    /// A wake, a change of the word, or a spurious return: re-read the state.
    Recheck,
    /// The deadline has passed (no sooner than it, by [`Instant::now`]).
    TimedOut,
}

impl Futex {
    const_fn_unless_loom! {
        pub(crate) fn new(value: u32) -> Futex {
            Futex {
                word: AtomicU32::new(value),
                #[cfg(loom)]
                model: model::Queue::new(),
            }
        }
    }

    /// Sleeps because the caller observed `observed` in this word and cannot proceed on it.
    ///
    /// Marks the word with [`SLEEPERS`] (a compare-exchange on exactly `observed`), then sleeps
    /// while the word holds `observed | SLEEPERS`, until woken or until `deadline` (`None`: no
    /// deadline). May return spuriously; the caller re-reads the state and loops.
    #[cold]
    pub(crate) fn sleep(&self, observed: u32, deadline: Option<Instant>) -> Woken {
        let expected = observed | SLEEPERS;
        if observed & SLEEPERS == 0 {
            // Relaxed: the bit is read only by the waker's read-modify-write on this same word,
            // which sees it or makes this exchange fail (one modification order); the caller's
            // own ordering comes from its Acquire re-read after waking.
            if self
                .word
                .compare_exchange(observed, expected, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
            {
                return Woken::Recheck;
            }
        }
        match deadline {
            None => {
                self.wait(expected);
                Woken::Recheck
            }
            Some(deadline) => self.wait_until(expected, deadline),
        }
    }

    /// Wakes every sleeper if `previous`, the value a read-modify-write just replaced, had
    /// [`SLEEPERS`] set. The caller's read-modify-write must have cleared the bit.
    #[inline]
    pub(crate) fn wake_all_if_sleepers(&self, previous: u32) {
        if previous & SLEEPERS != 0 {
            self.wake_all();
        }
    }
}

#[cfg(not(loom))]
impl Futex {
    #[inline]
    fn wait(&self, expected: u32) {
        atomic_wait::wait(&self.word, expected);
    }

    #[cold]
    fn wake_all(&self) {
        atomic_wait::wake_all(&self.word);
    }

    /// Linux: the futex itself, with a relative timeout, through rustix's safe wrapper.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn wait_until(&self, expected: u32, deadline: Instant) -> Woken {
        use rustix::thread::futex;
        let Some(remaining) = deadline.checked_duration_since(Instant::now()) else {
            return Woken::TimedOut;
        };
        // Saturate rather than overflow: a wait of i64::MAX seconds never ends in practice.
        let timeout = futex::Timespec {
            tv_sec: i64::try_from(remaining.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: remaining.subsec_nanos().into(),
        };
        // Every outcome (woken, value changed, interrupted, timed out) is decided by the caller's
        // re-read of the state and the clock below, so the error value carries nothing we need.
        let _ = futex::wait(&self.word, futex::Flags::PRIVATE, expected, Some(&timeout));
        timed_out(deadline)
    }

    /// Elsewhere atomic-wait offers no timed wait, so poll: re-check the word, sleeping between
    /// checks with a back-off from 50 µs doubling to 1 ms (and never past the deadline).
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn wait_until(&self, expected: u32, deadline: Instant) -> Woken {
        let mut nap = std::time::Duration::from_micros(50);
        while self.word.load(Ordering::Relaxed) == expected {
            let Some(remaining) = deadline.checked_duration_since(Instant::now()) else {
                return Woken::TimedOut;
            };
            std::thread::sleep(nap.min(remaining));
            nap = (nap * 2).min(std::time::Duration::from_millis(1));
        }
        timed_out(deadline)
    }
}

#[cfg(not(loom))]
fn timed_out(deadline: Instant) -> Woken {
    if Instant::now() >= deadline {
        Woken::TimedOut
    } else {
        Woken::Recheck
    }
}

#[cfg(loom)]
impl Futex {
    fn wait(&self, expected: u32) {
        self.model.wait(&self.word, expected);
    }

    fn wake_all(&self) {
        self.model.wake_all();
    }

    /// The timeout expires at once: loom has no clock, and an immediate expiry is the case that
    /// races a timed waiter's withdrawal against the waker.
    fn wait_until(&self, _expected: u32, _deadline: Instant) -> Woken {
        loom::thread::yield_now();
        Woken::TimedOut
    }
}

#[cfg(loom)]
mod model {
    use super::{AtomicU32, Ordering};
    use loom::sync::{Condvar, Mutex};

    /// The kernel's wait queue for one word: the mutex makes "check the value, then sleep" atomic
    /// with respect to a wake, exactly as the futex hash-bucket lock does.
    pub(super) struct Queue {
        lock: Mutex<()>,
        sleepers: Condvar,
    }

    impl Queue {
        pub(super) fn new() -> Queue {
            Queue {
                lock: Mutex::new(()),
                sleepers: Condvar::new(),
            }
        }

        pub(super) fn wait(&self, word: &AtomicU32, expected: u32) {
            let guard = self.lock.lock().unwrap();
            // Relaxed: a waker changes the word before it takes the lock to notify, so either this
            // load runs after that notification's critical section (and, through the mutex,
            // sees the change) or the notification finds this thread asleep.
            if word.load(Ordering::Relaxed) == expected {
                drop(self.sleepers.wait(guard).unwrap());
            }
        }

        pub(super) fn wake_all(&self) {
            let _guard = self.lock.lock().unwrap();
            self.sleepers.notify_all();
        }
    }
}

/// How a thread waits when it cannot proceed at once: spin first, sleep at once, or decide.
///
/// Like OpenMP's `OMP_WAIT_POLICY`. Every primitive takes one (`with_wait_policy`); the default
/// is [`Adaptive`](WaitPolicy::Adaptive).
///
/// | policy | spins before sleeping | pick it when |
/// |---|---|---|
/// | `Adaptive` | up to about the cost of a sleep and wake-up (16 µs), less after spins that failed; when the waiters alone fill the cores, it yields the core up to 8 times instead, to the threads still to arrive | you do not know what else runs on the machine (the default) |
/// | `Active` | up to 1 ms, whatever the machine | the threads own their cores (pinned HPC ranks, no oversubscription) and latency is all that matters |
/// | `Passive` | never | the machine is shared or oversubscribed, or waits are long and CPU time matters |
///
/// # Examples
///
/// ```
/// use syncpoint::{Barrier, WaitPolicy};
///
/// // An HPC loop whose threads are pinned one per core.
/// let barrier = Barrier::new(2).with_wait_policy(WaitPolicy::Active);
/// assert_eq!(barrier.wait_policy(), WaitPolicy::Active);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WaitPolicy {
    /// Spin only while spinning can pay, then sleep. The default.
    #[default]
    Adaptive,
    /// Spin for up to a millisecond before sleeping.
    Active,
    /// Sleep on the futex at once.
    Passive,
}

#[cfg(not(loom))]
mod spinning {
    use super::{AtomicU32, Ordering};
    /// The longest adaptive spin: about one futex sleep and wake-up on the machines measured
    /// (docs/benchmarks.md), beyond which sleeping is cheaper than spinning on.
    pub(super) const ADAPTIVE_SPIN_MAX_NS: u32 = 16_000;
    /// The shortest adaptive spin, after repeated failures: still enough for a partner that is
    /// running on another core to arrive.
    pub(super) const ADAPTIVE_SPIN_MIN_NS: u32 = 1_000;
    /// The active spin.
    pub(super) const ACTIVE_SPIN_NS: u32 = 1_000_000;
    /// Spins before any bookkeeping: about 1.5 µs of `spin_loop` hints on this machine class
    /// (24 ns each), enough for a partner running on another core.
    pub(super) const FREE_SPINS: u32 = 64;
    /// Yields before sleeping when the waiters alone fill the cores.
    pub(super) const YIELDS: u32 = 8;
    /// Spin-loop hints between two readings of the clock.
    pub(super) const SPINS_PER_CLOCK_CHECK: u32 = 16;

    use std::cell::Cell;
    use std::sync::atomic::AtomicUsize;

    /// Threads spinning in any syncpoint primitive now. Relaxed throughout: a heuristic that
    /// orders nothing.
    pub(super) static SPINNERS: AtomicUsize = AtomicUsize::new(0);
    /// The number of cores, read once; 0 until then.
    static CORES: AtomicU32 = AtomicU32::new(0);

    thread_local! {
        /// This thread's adaptive spin budget in ns: halved after a spin that ended in a sleep,
        /// doubled after one that succeeded.
        pub(super) static BUDGET_NS: Cell<u32> = const { Cell::new(ADAPTIVE_SPIN_MAX_NS) };
    }

    pub(super) fn cores() -> usize {
        match CORES.load(Ordering::Relaxed) {
            0 => {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                let cores = u32::try_from(cores).unwrap_or(u32::MAX);
                CORES.store(cores, Ordering::Relaxed);
                cores as usize
            }
            cores => cores as usize,
        }
    }
}

/// The spin before a sleep, as the [`WaitPolicy`] says. Never spins under loom, where a spin only
/// multiplies the interleavings and could hide a missing wake behind a lucky re-read.
pub(crate) struct Spin {
    #[cfg(not(loom))]
    state: SpinState,
    /// The caller's own deadline, if any: a timed wait never spins past it.
    #[cfg(not(loom))]
    until: Option<Instant>,
}

#[cfg(not(loom))]
enum SpinState {
    /// Not started: the policy and the number of threads that may wait together.
    Idle(WaitPolicy, usize),
    /// The first spins, `left` more: no bookkeeping and no clock. Most waits for a thread that is
    /// running on another core end here.
    Free { policy: WaitPolicy, left: u32 },
    /// Spinning, counted in `SPINNERS`, until `deadline`.
    Spinning {
        adaptive: bool,
        deadline: Instant,
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
        #[cfg(loom)]
        let _ = (policy, waiters, until);
        Spin {
            #[cfg(not(loom))]
            state: SpinState::Idle(policy, waiters),
            #[cfg(not(loom))]
            until,
        }
    }

    /// Spends one step of the spin and returns `true`, or returns `false` once the caller should
    /// sleep. A caller that gets `true` re-checks its condition and calls again.
    #[inline]
    pub(crate) fn spin(&mut self) -> bool {
        #[cfg(not(loom))]
        {
            match &mut self.state {
                SpinState::Spinning {
                    deadline, spins, ..
                } => {
                    *spins += 1;
                    if *spins % spinning::SPINS_PER_CLOCK_CHECK != 0 || Instant::now() < *deadline {
                        core::hint::spin_loop();
                        return true;
                    }
                    self.finish(false);
                    false
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
                    *left -= 1;
                    std::thread::yield_now();
                    true
                }
                SpinState::Spent => false,
            }
        }
        #[cfg(loom)]
        false
    }

    /// Chooses between spinning, yielding and sleeping at once.
    #[cfg(not(loom))]
    #[cold]
    fn start(&mut self) -> bool {
        use spinning::{cores, FREE_SPINS, YIELDS};
        let SpinState::Idle(policy, waiters) = self.state else {
            unreachable!("start is called on an idle spin only")
        };
        self.state = match policy {
            WaitPolicy::Passive => SpinState::Spent,
            // Spinning pays only while the thread being waited for can run. When the waiters
            // alone fill the cores, the core is better given to a thread still to arrive: a few
            // yields, measured 5 to 15 times cheaper than sleeping at once (docs/benchmarks.md).
            WaitPolicy::Adaptive if waiters >= cores() => SpinState::Yielding { left: YIELDS },
            WaitPolicy::Adaptive | WaitPolicy::Active => SpinState::Free {
                policy,
                left: FREE_SPINS,
            },
        };
        self.spin()
    }

    /// After the free spins: register as a spinner and spin on against the clock, or sleep.
    #[cfg(not(loom))]
    #[cold]
    fn register(&mut self, policy: WaitPolicy) -> bool {
        use spinning::{cores, ACTIVE_SPIN_NS, BUDGET_NS, SPINNERS};
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
        let end = Instant::now() + std::time::Duration::from_nanos(budget_ns.into());
        self.state = SpinState::Spinning {
            adaptive: policy == WaitPolicy::Adaptive,
            deadline: self.until.map_or(end, |until| until.min(end)),
            spins: 0,
        };
        core::hint::spin_loop();
        true
    }

    /// Ends a spin that `succeeded` (the condition came true) or failed (the caller will sleep),
    /// adapting this thread's budget.
    #[cfg(not(loom))]
    fn finish(&mut self, succeeded: bool) {
        if let SpinState::Spinning { adaptive, .. } = self.state {
            spinning::SPINNERS.fetch_sub(1, Ordering::Relaxed);
            if adaptive {
                spinning::BUDGET_NS.with(|budget| {
                    let next = if succeeded {
                        budget
                            .get()
                            .saturating_mul(2)
                            .min(spinning::ADAPTIVE_SPIN_MAX_NS)
                    } else {
                        (budget.get() / 2).max(spinning::ADAPTIVE_SPIN_MIN_NS)
                    };
                    budget.set(next);
                });
            }
        }
        self.state = SpinState::Spent;
    }
}

impl Drop for Spin {
    /// A spin dropped while spinning ended because the condition came true.
    #[inline]
    fn drop(&mut self) {
        #[cfg(not(loom))]
        if matches!(self.state, SpinState::Spinning { .. }) {
            self.finish(true);
        }
    }
}

/// Converts a timeout into a deadline; `None` (no deadline) where `now + timeout` overflows
/// `Instant`, so `Duration::MAX` means "wait for ever" rather than a panic.
#[inline]
pub(crate) fn deadline_after(timeout: std::time::Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}
