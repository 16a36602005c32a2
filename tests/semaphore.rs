//! std-thread tests of `Semaphore`.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};
use syncpoint::Semaphore;

/// A one-permit semaphore as a mutex around a non-atomic read-modify-write.
#[test]
fn as_mutex_loses_no_update() {
    let sem = Semaphore::new(1);
    let counter = AtomicUsize::new(0);
    let (threads, rounds) = (8, 5_000);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..rounds {
                    let _permit = sem.permit();
                    let value = counter.load(Relaxed);
                    counter.store(value + 1, Relaxed);
                }
            });
        }
    });
    assert_eq!(counter.into_inner(), threads * rounds);
    assert_eq!(sem.available_permits(), 1);
}

/// Many acquirers, one releaser releasing one permit at a time: every release must reach an
/// acquirer, or the acquirers hang and the test times out.
#[test]
fn lost_wake_up_storm() {
    let sem = Semaphore::new(0);
    let (acquirers, rounds) = (8, 3_000);
    let acquired = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..acquirers {
            s.spawn(|| {
                for _ in 0..rounds {
                    sem.acquire();
                    acquired.fetch_add(1, Relaxed);
                }
            });
        }
        for i in 0..acquirers * rounds {
            sem.release();
            if i % 64 == 0 {
                thread::yield_now(); // let acquirers fall asleep now and then
            }
        }
    });
    assert_eq!(acquired.into_inner(), acquirers * rounds);
    assert_eq!(sem.available_permits(), 0);
}

/// Waiters for different numbers of permits, fed one permit at a time.
#[test]
fn acquire_many_storm() {
    let sem = Semaphore::new(0);
    let rounds = 1_000;
    thread::scope(|s| {
        for want in 1..=3u32 {
            let sem = &sem;
            s.spawn(move || {
                for _ in 0..rounds {
                    sem.acquire_many(want);
                }
            });
        }
        for _ in 0..rounds * (1 + 2 + 3) {
            sem.release();
        }
    });
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn timed_acquire_times_out_no_sooner_than_asked() {
    let sem = Semaphore::new(0);
    for timeout in [Duration::from_millis(1), Duration::from_millis(20)] {
        let start = Instant::now();
        assert!(!sem.try_acquire_for(timeout));
        assert!(
            start.elapsed() >= timeout,
            "returned after {:?}",
            start.elapsed()
        );
        let deadline = Instant::now() + timeout;
        assert!(!sem.try_acquire_until(deadline));
        assert!(Instant::now() >= deadline);
    }
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn timed_acquire_succeeds_when_release_comes_in_time() {
    let sem = Semaphore::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(10));
            sem.release();
        });
        assert!(sem.try_acquire_for(Duration::from_secs(60)));
    });
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(10));
            sem.release();
        });
        assert!(sem.try_acquire_until(Instant::now() + Duration::from_secs(60)));
    });
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn zero_or_past_deadline_behaves_as_try() {
    let sem = Semaphore::new(1);
    assert!(sem.try_acquire_for(Duration::ZERO));
    assert!(!sem.try_acquire_for(Duration::ZERO));
    sem.release();
    let past = Instant::now() - Duration::from_millis(5);
    assert!(sem.try_acquire_until(past));
    assert!(!sem.try_acquire_until(past));
}

#[test]
fn duration_max_does_not_overflow() {
    let sem = Semaphore::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(10));
            sem.release();
        });
        assert!(sem.try_acquire_for(Duration::MAX));
    });
}

#[test]
fn failed_try_has_no_side_effect() {
    let sem = Semaphore::new(2);
    assert!(!sem.try_acquire_many(3));
    assert_eq!(sem.available_permits(), 2);
    assert!(sem.try_acquire_many(2));
    assert!(!sem.try_acquire());
    assert!(!sem.try_acquire_for(Duration::from_millis(1)));
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn release_past_max_panics_and_leaves_count() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS - 1);
    sem.release();
    let err = std::panic::catch_unwind(|| sem.release()).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("would exceed Semaphore::MAX_PERMITS"), "{msg}");
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
    let err = std::panic::catch_unwind(|| sem.release_many(u32::MAX)).unwrap_err();
    assert!(err.downcast_ref::<String>().is_some());
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
}

#[test]
#[should_panic(expected = "more than Semaphore::MAX_PERMITS")]
fn acquire_many_beyond_max_panics_at_once() {
    Semaphore::new(0).acquire_many(Semaphore::MAX_PERMITS + 1);
}

#[test]
#[should_panic(expected = "Semaphore::new: permits exceed Semaphore::MAX_PERMITS")]
fn new_beyond_max_panics() {
    let _ = Semaphore::new(u32::MAX);
}

#[test]
fn permit_is_released_on_unwind() {
    let sem = Semaphore::new(1);
    let result = std::panic::catch_unwind(|| {
        let _permit = sem.permit();
        panic!("task failed");
    });
    assert!(result.is_err());
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn acquire_zero_and_release_zero_are_no_ops() {
    let sem = Semaphore::new(0);
    sem.acquire_many(0);
    sem.release_many(0);
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(format!("{sem:?}"), "Semaphore { available_permits: 0, .. }");
}
