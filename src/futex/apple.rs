//! macOS, iOS and the other Apple targets: `os_sync_wait_on_address` and
//! `os_sync_wake_by_address_*` from macOS 14.4 and iOS 17.4 (resolved when first used), a table
//! of condition variables before. A word's sleepers and wakers must use the same mechanism, so
//! every call here goes through wait_on_address (atomic-wait's Apple backend is libc++'s own
//! wait table, which these sleepers do not share).

use super::Platform;
use crate::primitive::AtomicU32;
use std::time::Duration;
use wait_on_address::AtomicWait;

pub(super) struct Os;

impl Platform for Os {
    #[inline]
    fn wait(word: &AtomicU32, expected: u32) {
        AtomicWait::wait(word, expected);
    }

    fn wait_for(word: &AtomicU32, expected: u32, timeout: Duration) {
        word.wait_timeout(expected, timeout);
    }

    fn wake_one(word: &AtomicU32) {
        word.notify_one();
    }

    fn wake_all(word: &AtomicU32) {
        word.notify_all();
    }
}
