//! Unit tests of the semaphore that count what its waits cost (the loom models are in
//! `loom_tests.rs`, the std tests of its API in tests/semaphore.rs).

use super::state::State;
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
                            semaphore.acquire().unwrap();
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

/// A release that marks `WAKING` for a waiter for one but gives its wake to the head, whose need
/// it reached, takes the mark back (design.md, "Why no sleeper is stranded"); with a permit left
/// beside a counted sleeper it passes the wake on: the mark stays, now for the sleeper it
/// wakes, and the singles word takes one wake call. Issue 19's typed word lost this: the
/// take-back cleared the mark and set it again, found nothing changed, and woke nobody, so a
/// sleeper slept beside the permit and the releases after it left their wakes to a mark that
/// stood for nobody (the deadlock that the ignored loom model
/// `a_release_that_gives_its_wake_to_the_head_takes_its_mark_back` found). The words are set by
/// hand to the moment of that model: a head for two, one permit, sleepers counted.
#[test]
fn a_release_that_gives_its_wake_to_the_head_passes_a_wake_on() {
    for sleepers in [1, 2] {
        let semaphore = Semaphore::new(0);
        let mut state = State::new(1).with_head();
        for _ in 0..sleepers {
            state = state.with_sleeper().expect("room for the sleepers");
        }
        semaphore.state.store(state, Relaxed);
        semaphore.head.store(2, Relaxed);
        let singles = semaphore.singles.address();
        let ((), counts) = testing::record(|| semaphore.release());
        let after = semaphore.state.load(Relaxed);
        assert_eq!(after.permits(), 2, "the release counts its permit");
        assert!(
            after.is_waking(),
            "{sleepers} sleepers: the mark stands for the woken"
        );
        assert_eq!(
            counts.get(&singles).map_or(0, |c| c.wake_calls),
            1,
            "{sleepers} sleepers: wake calls on the singles word"
        );
    }
}

/// issue 23: "a close with 64 sleepers wakes each exactly once". 64 waiters for one permit, all
/// asleep (Passive, counted asleep on the singles word); one `close`: one wake call on the
/// singles word, which found all 64 asleep, and each waiter slept once and returned
/// `AcquireError` (none slept again after the wake).
#[test]
fn a_close_wakes_each_of_64_sleepers_once() {
    const WAITERS: u64 = 64;
    let _cores = testing::exclusive();
    let semaphore = Semaphore::new(0).with_wait_policy(WaitPolicy::Passive);
    let singles = semaphore.singles.address();
    let (closed, sleeps) = (AtomicU32::new(0), AtomicU64::new(0));
    let ((), counts) = testing::record(|| {
        thread::scope(|s| {
            for _ in 0..WAITERS {
                s.spawn(|| {
                    let before = futex::sleeps();
                    if semaphore.acquire().is_err() {
                        closed.fetch_add(1, Relaxed);
                    }
                    sleeps.fetch_add(futex::sleeps() - before, Relaxed);
                });
            }
            until("the waiters fall asleep", || {
                testing::asleep(singles) == WAITERS
            });
            thread::sleep(Duration::from_millis(2)); // into the kernel
            semaphore.close();
        });
    });
    let counts = counts.get(&singles).copied().unwrap_or_default();
    assert_eq!(
        closed.load(Relaxed),
        WAITERS as u32,
        "every waiter got the error"
    );
    assert_eq!(sleeps.load(Relaxed), WAITERS, "each slept once");
    assert_eq!(
        (counts.wake_calls, counts.most_woken),
        (1, WAITERS),
        "one wake call found all 64 asleep"
    );
}

/// Waiters for two, each arriving after the one before drew its ticket, some timed out before
/// any permit comes: fed two permits at a time, the others are served in the order they came
/// (issue 22; README: "waiters for several are served in the order they arrive"). Those that
/// timed out leave gaps the turn skips, the first while a head waits, the last at the end of the
/// queue.
#[test]
fn waiters_for_several_are_served_in_arrival_order_past_those_that_left() {
    const WAITERS: usize = 8;
    let leaves = |i: usize| i == 2 || i == 3 || i == WAITERS - 1;
    let sem = Semaphore::new(0);
    let served = std::sync::Mutex::new(Vec::new());
    let left = AtomicU32::new(0);
    thread::scope(|s| {
        for i in 0..WAITERS {
            let (sem, served, left) = (&sem, &served, &left);
            s.spawn(move || {
                if leaves(i) {
                    let got = sem.try_acquire_many_for(2, Duration::from_millis(20));
                    assert!(got.is_err(), "waiter {i} got permits nobody released");
                    left.fetch_add(1, Relaxed);
                } else {
                    sem.acquire_many(2).unwrap();
                    served.lock().unwrap().push(i);
                }
            });
            until("the waiter draws its ticket", || {
                usize::from(sem.tickets.load(Relaxed).out()) == i + 1
            });
        }
        until("the timed waiters leave", || left.load(Relaxed) == 3);
        for fed in 1..=WAITERS - 3 {
            sem.release_many(2);
            until("a waiter is served", || served.lock().unwrap().len() == fed);
        }
    });
    assert_eq!(*served.lock().unwrap(), [0, 1, 4, 5, 6]);
    assert!(!sem.tickets.load(Relaxed).has_holders());
    assert_eq!(sem.state.load(Relaxed), State::new(0));
}

/// The race issue 22 found: a newcomer for two arrives just as the head leaves and passes the
/// turn to a waiter queued behind it. In every round the queued waiter is served first (before
/// the tickets, the newcomer claimed the vacant head word first in 53-58 of 60 rounds).
#[test]
fn a_newcomer_for_several_never_overtakes_a_queued_waiter() {
    for round in 0..60 {
        let sem = Semaphore::new(0);
        let served = std::sync::Mutex::new(Vec::new());
        thread::scope(|s| {
            let waiter = |name: &'static str| {
                let (sem, served) = (&sem, &served);
                move || {
                    sem.acquire_many(2).unwrap();
                    served.lock().unwrap().push(name);
                }
            };
            s.spawn(waiter("head"));
            until("the head waits", || sem.state.load(Relaxed).has_head());
            s.spawn(waiter("queued"));
            until("a waiter queues", || sem.tickets.load(Relaxed).out() == 2);
            sem.release_many(2);
            s.spawn(waiter("newcomer"));
            until("the head is served", || served.lock().unwrap().len() == 1);
            sem.release_many(2);
            until("two are served", || served.lock().unwrap().len() == 2);
            sem.release_many(2);
        });
        assert_eq!(
            *served.lock().unwrap(),
            ["head", "queued", "newcomer"],
            "round {round}"
        );
    }
}

/// The queue's wakes (design.md, "The queue of waiters for several" and "Closing"): a head and
/// seven waiters for two queued behind it, all asleep (Passive), each on the word of its
/// ticket's slot. A release of two: the head takes, and the turn's passing wakes the holder of
/// the next ticket alone (one wake call, which found one asleep), which becomes the head; the
/// six others sleep on. Then a close: each of them slept once, woken by the close alone.
#[test]
fn a_turn_wakes_its_holder_alone_and_a_close_wakes_each_waiter_once() {
    const QUEUED: usize = 7;
    let _cores = testing::exclusive();
    let semaphore = Semaphore::new(0).with_wait_policy(WaitPolicy::Passive);
    let head = semaphore.head.address();
    let slots: Vec<usize> = semaphore.queue.iter().map(|word| word.address()).collect();
    let queued = || slots.iter().map(|&word| testing::asleep(word)).sum::<u64>();
    let results = std::sync::Mutex::new(Vec::new());
    let (wakes_at_the_turn, counts) = testing::record(|| {
        thread::scope(|s| {
            for i in 0..=QUEUED {
                let (semaphore, results) = (&semaphore, &results);
                s.spawn(move || {
                    let before = futex::sleeps();
                    let got = semaphore.acquire_many(2).is_ok();
                    results
                        .lock()
                        .unwrap()
                        .push((i, got, futex::sleeps() - before));
                });
                until("the waiter draws its ticket", || {
                    usize::from(semaphore.tickets.load(Relaxed).out()) == i + 1
                });
            }
            until("all asleep", || {
                testing::asleep(head) == 1 && queued() == QUEUED as u64
            });
            thread::sleep(Duration::from_millis(2)); // into the kernel
            semaphore.release_many(2);
            until("the turn passes", || {
                results.lock().unwrap().len() == 1
                    && testing::asleep(head) == 1
                    && queued() == QUEUED as u64 - 1
            });
            thread::sleep(Duration::from_millis(2));
            let wakes = testing::snapshot(slots[1]);
            semaphore.close();
            wakes
        })
    });
    let mut results = results.into_inner().unwrap();
    results.sort_unstable();
    assert_eq!(results.len(), QUEUED + 1);
    for &(i, got, slept) in &results {
        assert_eq!(got, i == 0, "only the first head gets permits: {results:?}");
        if i >= 2 {
            assert_eq!(
                slept, 1,
                "waiter {i}: woken by the close alone: {results:?}"
            );
        }
    }
    assert_eq!(
        (wakes_at_the_turn.wake_calls, wakes_at_the_turn.most_woken),
        (1, 1),
        "the turn woke the holder of ticket 1 on its slot's word"
    );
    for (slot, &word) in slots.iter().enumerate() {
        let word = counts.get(&word).copied().unwrap_or_default();
        assert!(word.most_woken <= 1, "slot {slot}: {word:?}");
    }
}
