//! macOS, iOS and the other Apple targets: every wait and wake goes through wait_on_address, which
//! calls `os_sync_wait_on_address` (with a timeout for timed waits) and `os_sync_wake_by_address_*`
//! on macOS 14.4, iOS 17.4 and later, resolved when first used, and its own table of condition
//! variables before those versions. A wake of `n` is `n` wakes of one.

use crate::primitive::AtomicU32;
use std::time::Duration;
use wait_on_address::AtomicWait;

/// Sleeps while `word` holds `expected`, until woken; may return spuriously.
#[inline]
pub(super) fn wait(word: &AtomicU32, expected: u32) {
    AtomicWait::wait(word, expected);
}

/// Sleeps while `word` holds `expected`, for at most about `timeout`; may return sooner.
pub(super) fn wait_for(word: &AtomicU32, expected: u32, timeout: Duration) {
    word.wait_timeout(expected, timeout);
}

pub(super) fn wake_one(word: &AtomicU32) {
    word.notify_one();
}

pub(super) fn wake_all(word: &AtomicU32) {
    word.notify_all();
}

/// Wakes up to `n` threads asleep on `word`, one wake each.
pub(super) fn wake(word: &AtomicU32, n: u32) {
    for _ in 0..n {
        word.notify_one();
    }
}
