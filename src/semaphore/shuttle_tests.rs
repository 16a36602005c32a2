//! shuttle models of `Semaphore` (`cfg(all(shuttle, test))`; src/shuttle_models.rs says what
//! they add to the loom models beside them): the herd, the head and the queue, timeouts and a
//! close, the queue's order, with 5 to 8 waiters.

use super::Semaphore;
use crate::primitive::{AtomicU32, Ordering::Relaxed};
use crate::shuttle_models::check;
use shuttle::thread;
use std::sync::Arc;
use std::time::Duration;

/// Eight waiters for one permit, fed by a release of four and four releases of one: every waiter
/// gets its permit, and the sleepers woken add up to at most the permits plus the four woken by
/// the release of four. That is the bound the code keeps, not README's "at most `k` wakes a
/// release": this model found 9 and 10 wakes for 8 permits. A release of one marks `WAKING` while
/// woken of the release of four are on their way, and the look that clears the mark passes a wake
/// on because permits are left: the permits those woken came for, so each of them may find its
/// permit gone and sleep again, a wake too many each (docs/design.md, "Whom a release wakes").
/// An exact count (releases counting the wakes they leave to the mark) lost the single-permit
/// herd its economy (three times the context switches, 7-10% more CPU an item, in the runner);
/// it is not built.
#[test]
fn a_herd_fed_in_batches_wakes_one_sleeper_a_permit() {
    check(|| {
        let sem = Arc::new(Semaphore::new(0));
        let waiters: Vec<_> = (0..8)
            .map(|_| {
                let sem = sem.clone();
                thread::spawn(move || sem.acquire().unwrap())
            })
            .collect();
        sem.release_many(4);
        for _ in 0..4 {
            sem.release();
        }
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert_eq!(sem.available_permits(), 0);
        let (_, woken) = sem.singles.sleepers_and_woken();
        assert!(woken <= 8 + 4, "8 permits woke {woken} sleepers");
    });
}

/// Three waiters for two permits and three for one, fed by releases of 1, 2, 3 and 3 (nine, as
/// many as they need): each gets its permits, none is left asleep. The head, the queue behind it
/// and the handoff (whose millisecond the model's timed sleep lets pass at once) all take part.
#[test]
fn waiters_for_one_and_for_several_all_get_their_permits() {
    check(|| {
        let sem = Arc::new(Semaphore::new(0));
        let waiters: Vec<_> = [2, 2, 2, 1, 1, 1]
            .into_iter()
            .map(|n| {
                let sem = sem.clone();
                thread::spawn(move || sem.acquire_many(n).unwrap())
            })
            .collect();
        for k in [1, 2, 3, 3] {
            sem.release_many(k);
        }
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert_eq!(sem.available_permits(), 0);
    });
}

/// Waiters for two and for one, half of them timed (the model's timeouts expire at once, racing
/// every release), while this thread releases five permits and then closes the semaphore: every
/// waiter returns, with its permits or with an error, and the permits add up.
#[test]
fn timed_waiters_and_a_close_leave_the_permits_adding_up() {
    check(|| {
        let sem = Arc::new(Semaphore::new(0));
        let taken = Arc::new(AtomicU32::new(0));
        let waiters: Vec<_> = [(2, true), (2, false), (2, false), (1, true), (1, false)]
            .into_iter()
            .map(|(n, timed)| {
                let (sem, taken) = (sem.clone(), taken.clone());
                thread::spawn(move || {
                    let got = if timed {
                        sem.try_acquire_many_for(n, Duration::from_millis(1))
                            .is_ok()
                    } else {
                        sem.acquire_many(n).is_ok()
                    };
                    if got {
                        taken.fetch_add(n, Relaxed);
                    }
                })
            })
            .collect();
        sem.release_many(2);
        sem.release_many(3);
        sem.close();
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert_eq!(taken.load(Relaxed) + sem.available_permits(), 5);
    });
}

/// Six waiters for two arrive one after another (each once the one before has drawn its
/// ticket), every other one timed (its timeout races the permits); one release of two starts a
/// chain in which each waiter served releases its two permits for the next. Whoever is served is
/// served in arrival order, the timed-out waiters' tickets skipped (issue 22: a waiter for
/// several never overtakes one already queued).
#[test]
fn waiters_for_several_are_served_in_arrival_order() {
    check(|| {
        let sem = Arc::new(Semaphore::new(0));
        // 1 + the arrival index of the waiter served last.
        let last = Arc::new(AtomicU32::new(0));
        let waiters: Vec<_> = (0..6u8)
            .map(|i| {
                let (waiting, last) = (sem.clone(), last.clone());
                let waiter = thread::spawn(move || {
                    let sem = waiting;
                    let got = if i % 2 == 1 {
                        sem.try_acquire_many_for(2, Duration::from_millis(1))
                            .is_ok()
                    } else {
                        sem.acquire_many(2).is_ok()
                    };
                    if got {
                        let before = last.swap(u32::from(i) + 1, Relaxed);
                        assert!(before <= u32::from(i), "{i} served after {}", before - 1);
                        sem.release_many(2);
                    }
                });
                while sem.tickets.load(Relaxed).out() <= i {
                    thread::yield_now();
                }
                waiter
            })
            .collect();
        sem.release_many(2);
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert!(
            last.load(Relaxed) >= 5,
            "the last untimed waiter is served last, or after it the timed one"
        );
        assert_eq!(sem.available_permits(), 2);
    });
}
