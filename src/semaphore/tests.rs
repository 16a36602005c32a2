//! Unit tests of the semaphore that count what its waits cost (the loom models are in
//! `loom_tests.rs`, the std tests of its API in tests/semaphore.rs).

use super::Semaphore;
use crate::wait::WaitPolicy;
use crate::{futex, testing};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::Duration;

/// Waits (yielding) until `done` holds; fails after a minute rather than hang the suite.
fn until(what: &str, done: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(60), "stuck: {what}");
        thread::yield_now();
    }
}

/// README: "a release wakes at most as many sleepers as its permits can serve"; design.md: a
/// release of `k` makes at most `k` wakes, the wakes its woken pass on included (issue 22). 32
/// waiters for one permit, all asleep, fed by `release_many(4)` and then `(8)` batches, each
/// batch taken before the next: counted per thread, their futex sleeps add up to one a permit
/// (before the fix, 53 for 32: each of the first `k - 1` woken passed a wake on to a sleeper
/// who found the permits gone). A wake that lands before its sleeper is in the kernel may add a
/// sleep on a loaded machine: one is allowed.
#[test]
fn a_release_of_k_permits_wakes_at_most_k_sleepers() {
    const WAITERS: u32 = 32;
    let _cores = testing::exclusive();
    for batch in [4, 8] {
        for policy in [WaitPolicy::Adaptive, WaitPolicy::Passive] {
            let semaphore = Semaphore::new(0).with_wait_policy(policy);
            let singles = semaphore.singles.address();
            let (sleeps, done) = (AtomicU64::new(0), AtomicU32::new(0));
            testing::record(|| {
                thread::scope(|s| {
                    for _ in 0..WAITERS {
                        s.spawn(|| {
                            let before = futex::sleeps();
                            semaphore.acquire();
                            sleeps.fetch_add(futex::sleeps() - before, Relaxed);
                            done.fetch_add(1, Relaxed);
                        });
                    }
                    for round in 1..=WAITERS / batch {
                        let waiting = WAITERS - (round - 1) * batch;
                        until("the waiters fall asleep", || {
                            testing::asleep(singles) == u64::from(waiting)
                        });
                        // Counted asleep just before the futex call: let them reach the kernel.
                        thread::sleep(Duration::from_millis(2));
                        semaphore.release_many(batch);
                        until("a batch is taken", || done.load(Relaxed) == round * batch);
                    }
                });
            });
            let sleeps = sleeps.load(Relaxed);
            println!("release_many({batch}), {policy:?}: {sleeps} sleeps for {WAITERS} permits");
            assert!(
                sleeps <= u64::from(WAITERS) + 1,
                "release_many({batch}), {policy:?}: {sleeps} sleeps for {WAITERS} permits"
            );
            assert_eq!(semaphore.available_permits(), 0);
        }
    }
}
