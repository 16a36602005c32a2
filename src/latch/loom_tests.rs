//! loom models of `Latch` (`cfg(all(loom, test))`).

use crate::loom_models::{check, message_passing};
use crate::Latch;
use loom::sync::atomic::{AtomicU32, Ordering::Relaxed};
use loom::sync::Arc;
use loom::thread;
use std::time::Duration;

/// Two workers write and count down; the waiter must see both writes once `wait` returns.
/// Catches a Relaxed count-down or wait (stale reads) and a missing wake (a sleeper left
/// asleep).
#[test]
fn wait_sees_every_count_down() {
    check(3, || {
        message_passing(Latch::new(2), 2, Latch::count_down, |latch| {
            latch.wait();
            true
        });
    });
}

/// Two threads `arrive_and_wait` on a latch of two: both get out, each seeing the other's write.
#[test]
fn arrive_and_wait_pair() {
    check(3, || {
        let latch = Arc::new(Latch::new(2));
        let other_wrote = Arc::new(AtomicU32::new(0));
        let other = {
            let (latch, other_wrote) = (latch.clone(), other_wrote.clone());
            thread::spawn(move || {
                other_wrote.store(1, Relaxed);
                latch.arrive_and_wait();
            })
        };
        latch.arrive_and_wait();
        assert_eq!(other_wrote.load(Relaxed), 1);
        other.join().unwrap();
    });
}

/// A timed wait racing the final count-down: `true` only if the count is zero, and then the
/// counter's write is visible.
#[test]
fn timed_wait_racing_count_down() {
    check(3, || {
        let (opened, latch) = message_passing(Latch::new(1), 1, Latch::count_down, |latch| {
            latch.wait_timeout(Duration::from_secs(3600))
        });
        if opened {
            assert_eq!(latch.count(), 0);
        }
        assert!(latch.try_wait());
    });
}
