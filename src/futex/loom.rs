//! The model of the futex, for loom and for shuttle (`--cfg shuttle`, `primitive::model`).
//!
//! Each futex carries the model checker's `Mutex<()>` and `Condvar`. `wait` locks the mutex,
//! checks the value and sleeps on the condvar; a wake locks the same mutex before notifying. This
//! keeps the kernel's guarantee (the value check and the sleep are atomic with respect to a wake)
//! and nothing more, so a missing or misplaced wake leaves a thread asleep for ever, which loom
//! (or shuttle) reports as a deadlock. A timed wait is modelled as one whose timeout expires at
//! once.

use crate::primitive::model::sync::{Condvar, Mutex};
use crate::primitive::{model, AtomicU32, Ordering};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

/// The kernel's wait queue for one word: the mutex makes "check the value, then sleep" atomic
/// with respect to a wake, exactly as the futex hash-bucket lock does.
pub(super) struct Queue {
    lock: Mutex<()>,
    sleepers: Condvar,
    /// Threads asleep on the condvar, and the wakes that found one asleep: what a model counts
    /// (a wake that finds nobody costs a system call, not a sleeper's trip). Plain counters
    /// changed under `lock`, outside loom's model: bookkeeping, not part of the protocol.
    asleep: std::sync::atomic::AtomicU32,
    woken: std::sync::atomic::AtomicU32,
}

impl Queue {
    pub(super) fn new() -> Queue {
        Queue {
            lock: Mutex::new(()),
            sleepers: Condvar::new(),
            asleep: Default::default(),
            woken: Default::default(),
        }
    }

    pub(super) fn wait(&self, word: &AtomicU32, expected: u32) {
        let guard = self.lock.lock().unwrap();
        // Relaxed: a waker changes the word before it takes the lock to notify, so either this
        // load runs after that notification's critical section (and, through the mutex, sees the
        // change) or the notification finds this thread asleep.
        if word.load(Ordering::Relaxed) == expected {
            self.asleep.fetch_add(1, Relaxed);
            drop(self.sleepers.wait(guard).unwrap());
        }
    }

    /// The timeout expires at once (returns that the deadline has passed): loom has no clock,
    /// and an immediate expiry is the case that races a timed waiter's last look against the
    /// waker.
    pub(super) fn wait_until(&self, _word: &AtomicU32, _expected: u32, _deadline: Instant) -> bool {
        model::thread::yield_now();
        true
    }

    pub(super) fn wake_all(&self, _word: &AtomicU32) {
        let _guard = self.lock.lock().unwrap();
        self.woken.fetch_add(self.asleep.swap(0, Relaxed), Relaxed);
        self.sleepers.notify_all();
    }

    /// Wakes up to `n` sleepers, and no more: a rule that wakes too few is a deadlock here.
    pub(super) fn wake(&self, _word: &AtomicU32, n: u32) {
        let _guard = self.lock.lock().unwrap();
        let found = n.min(self.asleep.load(Relaxed));
        self.asleep.fetch_sub(found, Relaxed);
        self.woken.fetch_add(found, Relaxed);
        for _ in 0..n {
            self.sleepers.notify_one();
        }
    }

    /// Threads asleep now, and sleepers woken so far.
    #[cfg(test)]
    pub(super) fn counts(&self) -> (u32, u32) {
        (self.asleep.load(Relaxed), self.woken.load(Relaxed))
    }
}
