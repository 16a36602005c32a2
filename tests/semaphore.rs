//! std-thread tests of `Semaphore`.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};
use syncpoint::{AcquireTimeoutError, Semaphore, TryAcquireError};

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
                    let _permit = sem.permit().unwrap();
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
                    sem.acquire().unwrap();
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
                    sem.acquire_many(want).unwrap();
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
        assert!(sem.try_acquire_for(timeout).is_err());
        assert!(
            start.elapsed() >= timeout,
            "returned after {:?}",
            start.elapsed()
        );
        let deadline = Instant::now() + timeout;
        assert!(sem.try_acquire_until(deadline).is_err());
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
        assert!(sem.try_acquire_for(Duration::from_secs(60)).is_ok());
    });
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(10));
            sem.release();
        });
        assert!(sem
            .try_acquire_until(Instant::now() + Duration::from_secs(60))
            .is_ok());
    });
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn zero_or_past_deadline_behaves_as_try() {
    let sem = Semaphore::new(1);
    assert!(sem.try_acquire_for(Duration::ZERO).is_ok());
    assert!(sem.try_acquire_for(Duration::ZERO).is_err());
    sem.release();
    let past = Instant::now() - Duration::from_millis(5);
    assert!(sem.try_acquire_until(past).is_ok());
    assert!(sem.try_acquire_until(past).is_err());
}

#[test]
fn duration_max_does_not_overflow() {
    let sem = Semaphore::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(10));
            sem.release();
        });
        assert!(sem.try_acquire_for(Duration::MAX).is_ok());
    });
}

#[test]
fn failed_try_has_no_side_effect() {
    let sem = Semaphore::new(2);
    assert!(sem.try_acquire_many(3).is_err());
    assert_eq!(sem.available_permits(), 2);
    assert!(sem.try_acquire_many(2).is_ok());
    assert!(sem.try_acquire().is_err());
    assert!(sem.try_acquire_for(Duration::from_millis(1)).is_err());
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
    Semaphore::new(0)
        .acquire_many(Semaphore::MAX_PERMITS + 1)
        .unwrap();
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
        let _permit = sem.permit().unwrap();
        panic!("task failed");
    });
    assert!(result.is_err());
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn acquire_zero_and_release_zero_are_no_ops() {
    let sem = Semaphore::new(0);
    sem.acquire_many(0).unwrap();
    sem.release_many(0);
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(format!("{sem:?}"), "Semaphore { available_permits: 0, .. }");
}

/// A pool of waiters of mixed sizes (1 to 4 permits) on a semaphore of 4: each takes its number,
/// holds it briefly and gives it back, again and again. A rule that strands a waiter (asleep while
/// the permits it needs are free) hangs the test.
#[test]
fn a_herd_of_mixed_sizes_all_finish() {
    let sem = Semaphore::new(4);
    let rounds = 2_000;
    let done = AtomicUsize::new(0);
    thread::scope(|s| {
        for t in 0..16u32 {
            let (sem, done) = (&sem, &done);
            s.spawn(move || {
                let n = t % 4 + 1;
                for i in 0..rounds {
                    let permits = sem.permit_many(n).unwrap();
                    assert!(sem.available_permits() <= 4 - n);
                    if i % 16 == 0 {
                        thread::yield_now();
                    }
                    drop(permits);
                }
                done.fetch_add(1, Relaxed);
            });
        }
    });
    assert_eq!(done.into_inner(), 16);
    assert_eq!(sem.available_permits(), 4);
}

/// Twelve threads loop on one or two permits, a third of their acquires timed and short: a
/// woken waiter on its way (`WAKING`) may time out, take, or find its permit gone, and a release
/// meanwhile leaves its wake to it. Every thread must finish all its rounds (a wake left to a
/// waiter that never passed it on would strand the others), and every permit must come back.
#[test]
fn waiters_for_one_with_timeouts_pass_their_wakes_on() {
    for permits in [1u32, 2] {
        let sem = Semaphore::new(permits);
        let taken = AtomicUsize::new(0);
        thread::scope(|s| {
            for t in 0..12u64 {
                let (sem, taken) = (&sem, &taken);
                s.spawn(move || {
                    for i in 0..1_500u64 {
                        let got = if (i + t) % 3 == 0 {
                            sem.try_acquire_for(Duration::from_micros(20 + 7 * t))
                                .is_ok()
                        } else {
                            sem.acquire().unwrap();
                            true
                        };
                        if got {
                            taken.fetch_add(1, Relaxed);
                            if i % 32 == 0 {
                                thread::yield_now();
                            }
                            sem.release();
                        }
                    }
                });
            }
        });
        assert!(
            taken.into_inner() >= 12 * 1_000,
            "every untimed acquire got through"
        );
        assert_eq!(sem.available_permits(), permits);
    }
}

/// For each k in 1..=4: waiters for 1..=k permits each, fed by `release_many(k)` (the last release
/// smaller, so the permits add up exactly). Each release may serve several waiters at once; every
/// waiter must get all its rounds, and nothing may be left over.
#[test]
fn release_many_storms_feed_waiters_of_every_size() {
    let rounds = 500u32;
    for k in 1..=4u32 {
        let sem = Semaphore::new(0);
        let needed: u32 = (1..=k).map(|n| n * rounds).sum();
        thread::scope(|s| {
            for n in 1..=k {
                let sem = &sem;
                s.spawn(move || {
                    for _ in 0..rounds {
                        sem.acquire_many(n).unwrap();
                    }
                });
            }
            let mut left = needed;
            let mut i = 0u32;
            while left > 0 {
                let chunk = k.min(left);
                sem.release_many(chunk);
                left -= chunk;
                i += 1;
                if i % 32 == 0 {
                    thread::yield_now(); // let the waiters fall asleep now and then
                }
            }
        });
        assert_eq!(sem.available_permits(), 0, "k = {k}");
    }
}

/// A timed acquire of several permits times out no sooner than asked, holding none of them, and
/// leaves the permits there were for others.
#[test]
fn a_timed_acquire_of_several_times_out_holding_none() {
    let sem = Semaphore::new(2);
    let timeout = Duration::from_millis(20);
    let start = Instant::now();
    assert!(sem.try_acquire_many_for(3, timeout).is_err());
    assert!(start.elapsed() >= timeout, "after {:?}", start.elapsed());
    let deadline = Instant::now() + timeout;
    assert!(sem.try_acquire_many_until(3, deadline).is_err());
    assert!(Instant::now() >= deadline);
    assert_eq!(sem.available_permits(), 2);
    assert!(
        sem.try_acquire_many(2).is_ok(),
        "the timed-out waiter kept nothing back"
    );
}

/// A timed acquire of several succeeds when the missing permits come in time, and a zero timeout
/// or a past deadline behaves as `try_acquire_many`.
#[test]
fn a_timed_acquire_of_several_succeeds_when_the_permits_come() {
    let sem = Semaphore::new(1);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(10));
            sem.release_many(2);
        });
        assert!(sem.try_acquire_many_for(3, Duration::from_secs(60)).is_ok());
    });
    assert_eq!(sem.available_permits(), 0);
    sem.release_many(2);
    assert!(sem.try_acquire_many_for(3, Duration::ZERO).is_err());
    let past = Instant::now() - Duration::from_millis(5);
    assert!(sem.try_acquire_many_until(3, past).is_err());
    assert!(sem.try_acquire_many_until(2, past).is_ok());
    assert_eq!(sem.available_permits(), 0);
}

/// A waiter for several that times out while the permits are kept for it (a handoff) must hand
/// them on: a waiter for one, asleep meanwhile, gets the permit released during the handoff.
#[test]
fn a_head_that_times_out_hands_the_permits_on() {
    let sem = Semaphore::new(0);
    thread::scope(|s| {
        let head = s.spawn(|| sem.try_acquire_many_for(5, Duration::from_millis(40)));
        thread::sleep(Duration::from_millis(10)); // the head has waited past its handoff time
        let single = s.spawn(|| sem.acquire().unwrap());
        thread::sleep(Duration::from_millis(5));
        sem.release();
        assert!(head.join().unwrap().is_err(), "5 permits out of 1");
        single.join().unwrap();
    });
    assert_eq!(sem.available_permits(), 0);
}

/// Waiters for several queue behind the head; one that times out in the queue leaves, and those
/// behind it still get their turn.
#[test]
fn waiters_for_several_leave_the_queue_on_timeout() {
    let sem = Semaphore::new(0);
    thread::scope(|s| {
        let first = s.spawn(|| sem.acquire_many(3).unwrap());
        thread::sleep(Duration::from_millis(5));
        let impatient = s.spawn(|| sem.try_acquire_many_for(2, Duration::from_millis(20)));
        thread::sleep(Duration::from_millis(5));
        let patient = s.spawn(|| sem.acquire_many(2).unwrap());
        assert!(impatient.join().unwrap().is_err());
        sem.release_many(5);
        first.join().unwrap();
        patient.join().unwrap();
    });
    assert_eq!(sem.available_permits(), 0);
}

/// Once a waiter for several has waited a while, the permits are kept for it: a `try_acquire`
/// fails although a permit is free, and the waiter gets its number when the rest come.
#[test]
fn permits_kept_for_a_waiter_for_several_refuse_try_acquire() {
    let sem = Semaphore::new(1);
    thread::scope(|s| {
        let big = s.spawn(|| sem.acquire_many(2).unwrap());
        let start = Instant::now();
        let mut refused = false;
        while start.elapsed() < Duration::from_secs(10) {
            if sem.try_acquire().is_err() {
                refused = true;
                break;
            }
            sem.release();
            thread::sleep(Duration::from_millis(1));
        }
        assert!(
            refused,
            "a free permit was never kept for the waiter for two"
        );
        assert_eq!(sem.available_permits(), 1, "the refusal changed nothing");
        sem.release();
        big.join().unwrap();
    });
    assert_eq!(sem.available_permits(), 0);
}

/// A waiter for several is not starved by a stream of single acquirers: it gets its permits,
/// again and again, while four threads keep taking and returning one permit each. Without a
/// handoff it could wait for ever (the loopers stop only once it is done).
#[test]
fn a_waiter_for_several_is_not_starved_by_single_acquirers() {
    let sem = Semaphore::new(2);
    let big_rounds = 50;
    let done = std::sync::atomic::AtomicBool::new(false);
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while !done.load(Relaxed) {
                    let _permit = sem.permit().unwrap();
                    std::hint::spin_loop();
                }
            });
        }
        for _ in 0..big_rounds {
            let _both = sem.permit_many(2).unwrap();
        }
        done.store(true, Relaxed);
    });
    assert_eq!(sem.available_permits(), 2);
}

/// Owned permits move into spawned threads and are released there; they keep the semaphore alive.
#[test]
fn owned_permits_cross_threads() {
    let sem = std::sync::Arc::new(Semaphore::new(2));
    let mut workers = Vec::new();
    for i in 0..8 {
        let permit = sem.acquire_owned().unwrap();
        assert_eq!(permit.num_permits(), 1);
        assert!(std::sync::Arc::ptr_eq(permit.semaphore(), &sem));
        workers.push(thread::spawn(move || {
            thread::sleep(Duration::from_millis(i % 3));
            drop(permit);
        }));
    }
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(sem.available_permits(), 2);
    let held = sem.try_acquire_owned().expect("free");
    let weak = std::sync::Arc::downgrade(&sem);
    drop(sem);
    assert!(weak.upgrade().is_some(), "the permit keeps the semaphore");
    drop(held);
    assert!(weak.upgrade().is_none());
}

/// `forget` drops a guard without returning its permits; a failed `try_permit` changes nothing.
#[test]
fn forgotten_permits_leave_the_semaphore() {
    let sem = std::sync::Arc::new(Semaphore::new(5));
    sem.permit_many(2).unwrap().forget();
    assert_eq!(sem.available_permits(), 3);
    sem.acquire_owned().unwrap().forget();
    assert_eq!(sem.available_permits(), 2);
    assert!(sem.try_permit_many(3).is_err());
    assert_eq!(sem.available_permits(), 2);
    let two = sem.try_permit_many(2).expect("two are free");
    assert!(sem.try_permit().is_err() && sem.try_acquire_owned().is_err());
    drop(two);
    assert_eq!(sem.available_permits(), 2);
}

/// issue 23: a close reaches every kind of waiter, asleep or spinning: waiters for one, the
/// head and the queued waiter for several, and timed waiters of both kinds; each returns the
/// closed error promptly, holding nothing. Later acquires of every form fail at once, even
/// with permits available; releases still count.
#[test]
fn a_close_returns_every_waiter_with_the_closed_error() {
    let sem = Semaphore::new(0);
    thread::scope(|s| {
        let singles: Vec<_> = (0..4).map(|_| s.spawn(|| sem.acquire())).collect();
        let several: Vec<_> = (0..2).map(|_| s.spawn(|| sem.acquire_many(2))).collect();
        let timed_one = s.spawn(|| sem.try_acquire_for(Duration::from_secs(600)));
        let timed_two = s.spawn(|| sem.try_acquire_many_for(3, Duration::from_secs(600)));
        thread::sleep(Duration::from_millis(50)); // every waiter waits: asleep, spinning or queued
        let closing = Instant::now();
        sem.close();
        for waiter in singles.into_iter().chain(several) {
            assert!(
                waiter.join().unwrap().is_err(),
                "an untimed waiter got permits"
            );
        }
        assert_eq!(timed_one.join().unwrap(), Err(AcquireTimeoutError::Closed));
        assert_eq!(timed_two.join().unwrap(), Err(AcquireTimeoutError::Closed));
        assert!(
            closing.elapsed() < Duration::from_secs(60),
            "the waiters returned by the close, not by their deadlines"
        );
    });
    assert!(sem.is_closed());
    sem.release_many(3);
    assert_eq!(sem.available_permits(), 3, "releases still count");
    assert_eq!(sem.try_acquire(), Err(TryAcquireError::Closed));
    assert_eq!(sem.try_acquire_many(0), Err(TryAcquireError::Closed));
    assert!(sem.acquire().is_err() && sem.permit_many(2).is_err());
    assert_eq!(
        sem.try_acquire_for(Duration::from_secs(600)),
        Err(AcquireTimeoutError::Closed),
        "at once, not after the timeout"
    );
    assert_eq!(
        sem.available_permits(),
        3,
        "a refused acquire takes nothing"
    );
    sem.close(); // twice: nothing changes
    assert_eq!(sem.available_permits(), 3);
}

/// Permits held when the semaphore closes go back cleanly, guards included; forget_permits
/// takes at most the permits there are.
#[test]
fn held_permits_return_after_a_close_and_forget_permits_takes_what_is_there() {
    let sem = Semaphore::new(5);
    let held = sem.permit_many(2).unwrap();
    assert_eq!(sem.forget_permits(1), 1);
    sem.close();
    drop(held);
    assert_eq!(sem.available_permits(), 4);
    assert_eq!(sem.forget_permits(10), 4, "only those available");
    assert_eq!(sem.forget_permits(1), 0);
    assert_eq!(sem.available_permits(), 0);
}

/// A close racing a storm of acquires and releases (waiters for one and for two, timed and
/// untimed): every thread ends its loop on the closed error, and the permits add up.
#[test]
fn a_close_racing_acquires_and_releases_strands_no_one() {
    for round in 0..20 {
        let sem = Semaphore::new(2);
        let taken = AtomicUsize::new(0);
        thread::scope(|s| {
            for t in 0..6usize {
                let (sem, taken) = (&sem, &taken);
                s.spawn(move || loop {
                    let n = 1 + (t % 2) as u32;
                    let got = if t % 3 == 0 {
                        match sem.try_acquire_many_for(n, Duration::from_micros(50)) {
                            Ok(()) => true,
                            Err(AcquireTimeoutError::TimedOut) => false,
                            Err(_) => break,
                        }
                    } else {
                        match sem.acquire_many(n) {
                            Ok(()) => true,
                            Err(_) => break,
                        }
                    };
                    if got {
                        taken.fetch_add(1, Relaxed);
                        sem.release_many(n);
                    }
                });
            }
            thread::sleep(Duration::from_millis(5 + round % 7));
            sem.close();
        });
        assert_eq!(
            sem.available_permits(),
            2,
            "round {round}: the permits add up"
        );
    }
}
