//! Every primitive under every `WaitPolicy`, with more threads than cores: the policy changes how
//! a thread waits, never what it waits for.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use syncpoint::{Barrier, Latch, Semaphore, WaitPolicy};

const POLICIES: [WaitPolicy; 3] = [
    WaitPolicy::Adaptive,
    WaitPolicy::Active,
    WaitPolicy::Passive,
];

#[test]
fn barrier_under_every_policy() {
    for policy in POLICIES {
        for threads in [2, 6] {
            let barrier = Barrier::new(threads).with_wait_policy(policy);
            assert_eq!(barrier.wait_policy(), policy);
            let arrived: Vec<AtomicUsize> = (0..200).map(|_| AtomicUsize::new(0)).collect();
            thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| {
                        for arrived in &arrived {
                            arrived.fetch_add(1, Relaxed);
                            barrier.wait();
                            assert_eq!(arrived.load(Relaxed), threads, "{policy:?}");
                        }
                    });
                }
            });
        }
    }
}

#[test]
fn semaphore_under_every_policy() {
    for policy in POLICIES {
        let sem = Semaphore::new(1).with_wait_policy(policy);
        assert_eq!(sem.wait_policy(), policy);
        let counter = AtomicUsize::new(0);
        thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    for _ in 0..500 {
                        let _permit = sem.permit().unwrap();
                        counter.store(counter.load(Relaxed) + 1, Relaxed);
                    }
                });
            }
        });
        assert_eq!(counter.into_inner(), 3_000, "{policy:?}");
    }
}

#[test]
fn latch_under_every_policy() {
    for policy in POLICIES {
        let latch = Latch::new(6).with_wait_policy(policy);
        assert_eq!(latch.wait_policy(), policy);
        let arrived = AtomicUsize::new(0);
        thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    arrived.fetch_add(1, Relaxed);
                    latch.arrive_and_wait();
                    assert_eq!(arrived.load(Relaxed), 6, "{policy:?}");
                });
            }
        });
    }
}

/// A timed wait never spins past its own deadline, even under `Active` (which otherwise spins up
/// to 1 ms): 300 zero-timeout waits, 100 on each primitive, took about 0.8 ms here, and 390 ms
/// when they spun the full millisecond. The suite's one upper bound on time: 15 ms sits 20x
/// below the failure it catches and 20x above the expected time.
#[test]
fn timed_waits_do_not_spin_past_their_deadline() {
    use std::time::{Duration, Instant};
    let barrier = Barrier::new(2).with_wait_policy(WaitPolicy::Active);
    let sem = Semaphore::new(0).with_wait_policy(WaitPolicy::Active);
    let latch = Latch::new(1).with_wait_policy(WaitPolicy::Active);
    let start = Instant::now();
    for _ in 0..100 {
        assert!(barrier.wait_timeout(Duration::ZERO).is_err());
        assert!(sem.try_acquire_for(Duration::ZERO).is_err());
        assert!(!latch.wait_timeout(Duration::ZERO));
    }
    let elapsed = start.elapsed();
    assert!(
        elapsed < Duration::from_millis(15),
        "300 zero-timeout waits took {elapsed:?}: a timed wait spun past its deadline"
    );
}

/// A timed wait whose deadline is near does not yield when the waiters fill the cores (where an
/// untimed adaptive wait, or one with a far deadline, yields up to 8 times first): a yield can
/// last a scheduler tick (4 ms seen here), and 8 of them
/// carried a zero timeout 12 to 17 ms past its deadline. 20 zero-timeout waits on a barrier of
/// cores + 1 (so the waiters fill the cores) took about 2 ms here, and 240 ms or more with the
/// yields: the 50 ms bound sits 25x from each.
#[test]
fn timed_waits_do_not_yield_past_their_deadline() {
    use std::time::{Duration, Instant};
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let barrier = Barrier::new(cores + 1);
    let start = Instant::now();
    for _ in 0..20 {
        assert!(barrier.wait_timeout(Duration::ZERO).is_err());
    }
    let elapsed = start.elapsed();
    assert!(
        elapsed < Duration::from_millis(50),
        "20 zero-timeout waits took {elapsed:?}: a timed wait yielded past its deadline"
    );
}
