//! The futex: a 32-bit atomic word that threads sleep on, and the crate's sleep protocol.
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | [`Futex`] and the sleep protocol below |
//! | `os.rs` | the operating system's futex: the contract every platform file meets, and the selector |
//! | `linux.rs`, `windows.rs`, `apple.rs`, `poll.rs` | one platform family each (README, "Platforms") |
//! | `loom.rs` | the model of the futex, used under `--cfg loom` (loom's, or with `--cfg shuttle` too, shuttle's mutex and condvar) |
//!
//! # The sleep protocol
//!
//! Bit 31 of a futex word, [`SLEEPERS`], means "a thread may be asleep on this word". A thread
//! that must wait marks the word with [`Futex::mark_sleepers`], a compare-exchange on exactly the
//! value it observed, and sleeps only while the word still holds the marked value. A thread that
//! lets the sleepers proceed clears `SLEEPERS` in the same read-modify-write that changes the
//! state, and calls [`Futex::wake_all_if_sleepers`] with the value it replaced. Because the bit and
//! the state are one word, the word's modification order decides every race: either the waker's
//! read-modify-write comes first (the sleeper's compare-exchange or the kernel's value check fails,
//! and it looks again) or the sleeper's does (the waker sees the bit and wakes it). No ordering
//! stronger than Relaxed is needed for the bit itself; see docs/design.md.

use crate::primitive::{const_fn_unless_loom, AtomicU32, Ordering};
use crate::word::exchange_loop;
use core::ops::Deref;
use std::time::Instant;

cfg_if::cfg_if! {
    if #[cfg(loom)] {
        #[path = "loom.rs"]
        mod backend;
    } else {
        #[path = "os.rs"]
        mod backend;
    }
}

/// Bit 31 of a futex word: a thread may be asleep on this word (or about to sleep on it).
///
/// Set only by [`Futex::mark_sleepers`]; cleared only by a read-modify-write that lets the
/// sleepers proceed, which must then call [`Futex::wake_all_if_sleepers`].
pub(crate) const SLEEPERS: u32 = 1 << 31;

/// A 32-bit atomic word that threads can sleep on.
///
/// Dereferences to its [`AtomicU32`] for the state transitions; adds the sleep and wake halves of
/// the protocol described in the module docs.
pub(crate) struct Futex {
    word: AtomicU32,
    /// Where sleepers wait: the kernel's queue (nothing to keep here), or loom's model of it.
    queue: backend::Queue,
}

impl Deref for Futex {
    type Target = AtomicU32;

    #[inline]
    fn deref(&self) -> &AtomicU32 {
        &self.word
    }
}

/// When this thread last woke a sleeper on any futex word, or came back from a sleep that no
/// timeout ended (`None`: never). Not under loom, whose spin is compiled out.
#[cfg(not(loom))]
pub(crate) fn last_wake() -> Option<Instant> {
    backend::last_wake()
}

/// Whether this thread's last wake (see `last_wake`) was one it made. Not under loom.
#[cfg(not(loom))]
pub(crate) fn made_last_wake() -> bool {
    backend::made_last_wake()
}

/// How many futex sleeps this thread has begun: for the tests that count what a wait costs.
#[cfg(all(test, not(loom)))]
pub(crate) fn sleeps() -> u64 {
    backend::sleeps()
}

/// Counts a sleeper out when its sleep ends (tests only).
#[cfg(all(test, not(loom)))]
struct Awake(usize);

#[cfg(all(test, not(loom)))]
impl Drop for Awake {
    fn drop(&mut self) {
        crate::testing::sleeping(self.0, false);
    }
}

/// What ended a [`Futex::sleep`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Woken {
    /// A wake, a change of the word, or a spurious return: look at the state again.
    Recheck,
    /// The deadline has passed (no sooner than it, by [`Instant::now`]).
    TimedOut,
}

impl Futex {
    const_fn_unless_loom! {
        pub(crate) fn new(value: u32) -> Futex {
            Futex {
                word: AtomicU32::new(value),
                queue: backend::Queue::new(),
            }
        }
    }

    /// Marks the word with [`SLEEPERS`] because the caller observed `observed` and cannot proceed
    /// on it. Returns the value to sleep on, or `None` if the word changed (look again).
    #[inline]
    pub(crate) fn mark_sleepers(&self, observed: u32) -> Option<u32> {
        self.mark(observed, SLEEPERS)
    }

    /// Sets `flag` on the word if it still holds `observed`; returns the word with it, or `None`
    /// if the word changed (look again). A flag of the `SLEEPERS` kind: see `mark_sleepers`.
    #[inline]
    pub(crate) fn mark(&self, observed: u32, flag: u32) -> Option<u32> {
        let marked = observed | flag;
        if observed == marked {
            return Some(marked);
        }
        // Relaxed: the bit is read only by the waker's read-modify-write on this same word, which
        // sees it or makes this exchange fail (one modification order); the caller's own ordering
        // comes from its Acquire look after waking.
        let exchanged =
            self.word
                .compare_exchange(observed, marked, Ordering::Relaxed, Ordering::Relaxed);
        #[cfg(all(test, not(loom)))]
        if exchanged.is_ok() {
            crate::testing::rmw(self.address());
        }
        exchanged.ok().map(|_| marked)
    }

    /// Sleeps while the word holds `expected`, until woken or until `deadline` (`None`: no
    /// deadline). May return spuriously; the caller looks at the state again.
    #[cold]
    pub(crate) fn sleep(&self, expected: u32, deadline: Option<Instant>) -> Woken {
        #[cfg(all(test, not(loom)))]
        crate::testing::sleeping(self.address(), true);
        #[cfg(all(test, not(loom)))]
        let _awake = Awake(self.address());
        match deadline {
            None => {
                self.queue.wait(&self.word, expected);
                Woken::Recheck
            }
            Some(deadline) => {
                if self.queue.wait_until(&self.word, expected, deadline) {
                    Woken::TimedOut
                } else {
                    Woken::Recheck
                }
            }
        }
    }

    /// Replaces the word's value `v` with `f(v)` until `f` says `None` or the exchange succeeds,
    /// starting from a fresh load (`fetch` ordering). Returns the value replaced, or the value
    /// `f` refused. The same loop as [`Word::try_update`](crate::word::Word::try_update).
    #[inline]
    pub(crate) fn try_update(
        &self,
        set: Ordering,
        fetch: Ordering,
        f: impl FnMut(u32) -> Option<u32>,
    ) -> Result<u32, u32> {
        self.try_update_from(self.word.load(fetch), set, fetch, f)
    }

    /// As [`try_update`](Futex::try_update), starting from `current`, a value the caller holds.
    #[inline]
    pub(crate) fn try_update_from(
        &self,
        current: u32,
        set: Ordering,
        fetch: Ordering,
        f: impl FnMut(u32) -> Option<u32>,
    ) -> Result<u32, u32> {
        exchange_loop(current, f, |current, next| {
            let exchanged = self.word.compare_exchange_weak(current, next, set, fetch);
            #[cfg(all(test, not(loom)))]
            if exchanged.is_ok() {
                crate::testing::rmw(self.address());
            }
            exchanged
        })
    }

    /// Wakes up to `n` threads asleep on this word: for words whose sleepers are counted
    /// elsewhere (the semaphore's), so that a release wakes only as many as it can serve.
    #[inline]
    pub(crate) fn wake(&self, n: u32) {
        #[cfg(all(test, not(loom)))]
        if n > 0 {
            crate::testing::wake(self.address());
        }
        self.queue.wake(&self.word, n);
    }

    /// Wakes every thread asleep on this word: for words whose sleepers each look whether the
    /// wake was for them (the semaphore's queue).
    #[inline]
    pub(crate) fn wake_all(&self) {
        #[cfg(all(test, not(loom)))]
        crate::testing::wake(self.address());
        self.queue.wake_all(&self.word);
    }

    /// Wakes every sleeper if `previous`, the value a read-modify-write just replaced, had
    /// [`SLEEPERS`] set. The caller's read-modify-write must have cleared the bit.
    #[inline]
    pub(crate) fn wake_all_if_sleepers(&self, previous: u32) {
        if previous & SLEEPERS != 0 {
            #[cfg(all(test, not(loom)))]
            crate::testing::wake(self.address());
            self.queue.wake_all(&self.word);
        }
    }

    /// Threads asleep on the word now, and the sleepers that wakes have found so far (loom's
    /// model of the futex counts them, for the models that count wakes).
    #[cfg(all(test, loom))]
    pub(crate) fn sleepers_and_woken(&self) -> (u32, u32) {
        self.queue.counts()
    }

    /// The word's address, which names it in the tests' counts.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn address(&self) -> usize {
        (&self.word as *const AtomicU32).addr()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Futex, Woken};
    use std::thread;
    use std::time::{Duration, Instant};

    /// A timed sleep woken before its deadline, with the word unchanged, says "look again", not
    /// "timed out": only the deadline's passing is a timeout.
    #[test]
    fn a_timed_sleep_woken_early_is_no_timeout() {
        let futex = Futex::new(7);
        let timeout = Duration::from_millis(500);
        let start = Instant::now();
        let woken = thread::scope(|s| {
            s.spawn(|| {
                thread::sleep(Duration::from_millis(20));
                futex.wake(1);
            });
            futex.sleep(7, Some(start + timeout))
        });
        // If the wake came before this thread slept, it slept to the deadline: a timeout then.
        if woken == Woken::TimedOut {
            assert!(
                start.elapsed() >= timeout,
                "timed out after {:?}",
                start.elapsed()
            );
        }
    }
}
