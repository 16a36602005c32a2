//! Linux and Android: the timed wait (the futex itself, with a relative timeout) and the wake of
//! `n` sleepers, through rustix's safe wrapper.

use crate::primitive::AtomicU32;
use rustix::thread::futex;
use std::time::Duration;

/// Sleeps while `word` holds `expected`, for at most about `timeout`; may return sooner.
pub(super) fn wait_for(word: &AtomicU32, expected: u32, timeout: Duration) {
    // Saturate rather than overflow: a wait of i64::MAX seconds never ends in practice.
    let timeout = futex::Timespec {
        tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: timeout.subsec_nanos().into(),
    };
    // Every outcome (woken, value changed, interrupted, timed out) is decided by the caller's look
    // at the state and the clock, so the error value carries nothing it needs.
    let _ = futex::wait(word, futex::Flags::PRIVATE, expected, Some(&timeout));
}

/// Wakes up to `n` threads asleep on `word`, in one system call.
pub(super) fn wake(word: &AtomicU32, n: u32) {
    // The number woken is not needed: a wake that finds fewer sleepers wakes fewer.
    let _ = futex::wake(word, futex::Flags::PRIVATE, n);
}
