//! The operating system's futex, one file per platform family:
//!
//! | file | platforms | untimed waits, wakes of one or all | timed wait | wake of `n` |
//! |---|---|---|---|---|
//! | `linux.rs` | Linux, Android | atomic-wait | rustix's futex | rustix's futex |
//! | `windows.rs` | Windows | atomic-wait (`WaitOnAddress`) | wait_on_address (`WaitOnAddress`) | `n` wakes of one |
//! | `apple.rs` | macOS, iOS, watchOS, tvOS, visionOS | wait_on_address | wait_on_address | `n` wakes of one |
//! | `poll.rs` | FreeBSD and the rest | atomic-wait | polling | `n` wakes of one |
//!
//! A word's sleepers and its wakers must use the same kernel mechanism. On Apple targets
//! atomic-wait goes through libc++'s wait table, which `os_sync_wait_on_address` sleepers do not
//! share, so there every wait and wake goes through wait_on_address. docs/design.md says why
//! FreeBSD polls.

use super::Woken;
use crate::primitive::AtomicU32;
use std::time::Instant;

#[cfg_attr(any(target_os = "linux", target_os = "android"), path = "linux.rs")]
#[cfg_attr(windows, path = "windows.rs")]
#[cfg_attr(target_vendor = "apple", path = "apple.rs")]
#[cfg_attr(
    not(any(
        target_os = "linux",
        target_os = "android",
        windows,
        target_vendor = "apple"
    )),
    path = "poll.rs"
)]
mod platform;

#[cfg(not(target_vendor = "apple"))]
use atomic_wait::{wait, wake_all, wake_one};
#[cfg(target_vendor = "apple")]
use platform::{wait, wake_all, wake_one};

/// The kernel keeps the queue of sleepers; there is nothing to keep here.
pub(super) struct Queue;

impl Queue {
    pub(super) const fn new() -> Queue {
        Queue
    }

    #[inline]
    pub(super) fn wait(&self, word: &AtomicU32, expected: u32) {
        wait(word, expected);
    }

    /// Sleeps while `word` holds `expected`, until woken or `deadline`. Reports a timeout only
    /// once [`Instant::now`] has reached the deadline, so no timed wait ends early.
    pub(super) fn wait_until(&self, word: &AtomicU32, expected: u32, deadline: Instant) -> Woken {
        let Some(remaining) = deadline.checked_duration_since(Instant::now()) else {
            return Woken::TimedOut;
        };
        platform::wait_for(word, expected, remaining);
        if Instant::now() >= deadline {
            Woken::TimedOut
        } else {
            Woken::Recheck
        }
    }

    #[cold]
    pub(super) fn wake_all(&self, word: &AtomicU32) {
        wake_all(word);
    }

    #[cold]
    pub(super) fn wake(&self, word: &AtomicU32, n: u32) {
        match n {
            0 => {}
            1 => wake_one(word),
            n => platform::wake(word, n),
        }
    }
}
