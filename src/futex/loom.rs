//! The loom model of the futex.
//!
//! Each futex carries a loom `Mutex<()>` and `Condvar`. `wait` locks the mutex, checks the value
//! and sleeps on the condvar; a wake locks the same mutex before notifying. This keeps the
//! kernel's guarantee (the value check and the sleep are atomic with respect to a wake) and
//! nothing more, so a missing or misplaced wake leaves a thread asleep for ever, which loom reports
//! as a deadlock. A timed wait is modelled as one whose timeout expires at once.

use crate::primitive::{AtomicU32, Ordering};
use loom::sync::{Condvar, Mutex};
use std::time::Instant;

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
        // load runs after that notification's critical section (and, through the mutex, sees the
        // change) or the notification finds this thread asleep.
        if word.load(Ordering::Relaxed) == expected {
            drop(self.sleepers.wait(guard).unwrap());
        }
    }

    /// The timeout expires at once (returns that the deadline has passed): loom has no clock,
    /// and an immediate expiry is the case that races a timed waiter's last look against the
    /// waker.
    pub(super) fn wait_until(&self, _word: &AtomicU32, _expected: u32, _deadline: Instant) -> bool {
        loom::thread::yield_now();
        true
    }

    pub(super) fn wake_all(&self, _word: &AtomicU32) {
        let _guard = self.lock.lock().unwrap();
        self.sleepers.notify_all();
    }

    /// Wakes up to `n` sleepers, and no more: a rule that wakes too few is a deadlock here.
    pub(super) fn wake(&self, _word: &AtomicU32, n: u32) {
        let _guard = self.lock.lock().unwrap();
        for _ in 0..n {
            self.sleepers.notify_one();
        }
    }
}
