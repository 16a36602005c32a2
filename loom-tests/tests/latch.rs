//! loom models of `Latch`.
#![cfg(loom)]

use loom::sync::atomic::{AtomicU32, Ordering::Relaxed};
use loom::sync::Arc;
use loom::thread;
use loom_tests::check;
use std::time::Duration;
use syncpoint::Latch;

/// Two workers write and count down; the waiter must see both writes once `wait` returns.
/// Catches a Relaxed count-down or wait (stale reads) and a missing wake (a sleeper left
/// asleep).
#[test]
fn wait_sees_every_count_down() {
    check(3, || {
        let latch = Arc::new(Latch::new(2));
        let slots = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
        let workers: Vec<_> = (0..2)
            .map(|i| {
                let (latch, slots) = (latch.clone(), slots.clone());
                thread::spawn(move || {
                    slots[i].store(1, Relaxed);
                    latch.count_down();
                })
            })
            .collect();
        latch.wait();
        assert_eq!(slots[0].load(Relaxed) + slots[1].load(Relaxed), 2);
        for worker in workers {
            worker.join().unwrap();
        }
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
        let latch = Arc::new(Latch::new(1));
        let data = Arc::new(AtomicU32::new(0));
        let counter = {
            let (latch, data) = (latch.clone(), data.clone());
            thread::spawn(move || {
                data.store(42, Relaxed);
                latch.count_down();
            })
        };
        if latch.wait_timeout(Duration::from_secs(3600)) {
            assert_eq!(latch.count(), 0);
            assert_eq!(data.load(Relaxed), 42);
        }
        counter.join().unwrap();
        assert!(latch.try_wait());
    });
}
