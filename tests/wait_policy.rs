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
                        let _permit = sem.permit();
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
