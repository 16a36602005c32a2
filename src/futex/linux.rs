//! Linux and Android: the kernel's futex.

use super::Platform;
use crate::primitive::AtomicU32;
use rustix::thread::futex;
use std::time::Duration;

pub(super) struct Os;

impl Platform for Os {
    #[inline]
    fn wait(word: &AtomicU32, expected: u32) {
        atomic_wait::wait(word, expected);
    }

    fn wait_for(word: &AtomicU32, expected: u32, timeout: Duration) {
        // Saturate rather than overflow: a wait of i64::MAX seconds never ends in practice.
        let timeout = futex::Timespec {
            tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: timeout.subsec_nanos().into(),
        };
        // Every outcome (woken, value changed, interrupted, timed out) is decided by the
        // caller's look at the state and the clock, so the error value carries nothing it needs.
        let _ = futex::wait(word, futex::Flags::PRIVATE, expected, Some(&timeout));
    }

    fn wake_one(word: &AtomicU32) {
        atomic_wait::wake_one(word);
    }

    /// One system call, with the count.
    fn wake_many(word: &AtomicU32, n: u32) {
        // The number woken is not needed: a wake that finds fewer sleepers wakes fewer.
        let _ = futex::wake(word, futex::Flags::PRIVATE, n);
    }

    fn wake_all(word: &AtomicU32) {
        atomic_wait::wake_all(word);
    }
}
