//! loom models of `Semaphore`.
#![cfg(loom)]

use loom::sync::atomic::{AtomicU32, Ordering::Relaxed};
use loom::sync::Arc;
use loom::thread;
use loom_tests::{check, message_passing};
use std::time::Duration;
use syncpoint::Semaphore;

/// A semaphore of one permit is a mutex: a non-atomic increment (Relaxed load, then store) under
/// it loses no update. Catches an acquire or release weakened to Relaxed (the second thread may
/// read a stale count) and a lost wake-up (the second thread sleeps for ever).
#[test]
fn mutual_exclusion() {
    check(3, || {
        let sem = Arc::new(Semaphore::new(1));
        let counter = Arc::new(AtomicU32::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (sem, counter) = (sem.clone(), counter.clone());
                thread::spawn(move || {
                    let _permit = sem.permit();
                    let value = counter.load(Relaxed);
                    counter.store(value + 1, Relaxed);
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(counter.load(Relaxed), 2);
        assert_eq!(sem.available_permits(), 1);
    });
}

/// An acquirer that finds no permit sleeps; one release must wake it, and it must see what the
/// releaser wrote before releasing.
#[test]
fn release_wakes_sleeper_and_publishes() {
    check(3, || {
        let (_, sem) = message_passing(Semaphore::new(0), 1, Semaphore::release, |sem| {
            sem.acquire();
            true
        });
        assert_eq!(sem.available_permits(), 0);
    });
}

/// Two sleepers, two single releases: both sleepers must get through (no release may be spent
/// on a wake that nobody acts on).
#[test]
fn two_sleepers_two_releases() {
    check(2, || {
        let sem = Arc::new(Semaphore::new(0));
        let acquirers: Vec<_> = (0..2)
            .map(|_| {
                let sem = sem.clone();
                thread::spawn(move || sem.acquire())
            })
            .collect();
        sem.release();
        sem.release();
        for acquirer in acquirers {
            acquirer.join().unwrap();
        }
        assert_eq!(sem.available_permits(), 0);
    });
}

/// `acquire_many(2)` must wait for both single releases and take both permits.
#[test]
fn acquire_many_waits_for_all_permits() {
    check(3, || {
        let sem = Arc::new(Semaphore::new(0));
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || {
                sem.release();
                sem.release();
            })
        };
        sem.acquire_many(2);
        assert_eq!(sem.available_permits(), 0);
        releaser.join().unwrap();
    });
}

/// A timed acquire racing a release: it either takes the permit, and then sees what the releaser
/// wrote, or leaves it; never both and never neither. (Under loom the timeout expires at the first
/// sleep, so this explores the last look after a timeout.)
#[test]
fn timed_acquire_racing_release() {
    check(3, || {
        let (got, sem) = message_passing(Semaphore::new(0), 1, Semaphore::release, |sem| {
            sem.try_acquire_for(Duration::from_secs(3600))
        });
        assert_eq!(sem.available_permits(), if got { 0 } else { 1 });
    });
}
