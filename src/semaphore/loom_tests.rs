//! loom models of `Semaphore` (`cfg(all(loom, test))`).

use crate::loom_models::{check, message_passing};
use crate::Semaphore;
use loom::sync::atomic::{AtomicU32, Ordering::Relaxed};
use loom::sync::Arc;
use loom::thread;
use std::time::Duration;

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
                    let _permit = sem.permit().unwrap();
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
            sem.acquire().unwrap();
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
                thread::spawn(move || sem.acquire().unwrap())
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
        sem.acquire_many(2).unwrap();
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
            sem.try_acquire_for(Duration::from_secs(3600)).is_ok()
        });
        assert_eq!(sem.available_permits(), if got { 0 } else { 1 });
    });
}

/// A timed waiter for one permit gets the first release; once it has returned, another thread
/// acquires twice from two more. The release may mark its wake for the timed waiter after the
/// waiter's last look, just as it leaves (under loom its wait times out at its first sleep):
/// leaving, the waiter must take the mark back, or the mark outlives everyone it stood for and
/// the second thread sleeps through the releases that leave their wakes to it. Whatever the timed
/// waiter gets, the second thread gets through. (The yields let the other thread run first
/// without spending a preemption: the window, between the timed waiter's last look and its
/// leaving, then takes one, where it took four.)
#[test]
fn a_waiter_that_times_out_takes_its_mark_back() {
    check(2, || {
        let sem = Arc::new(Semaphore::new(0));
        let timed = {
            let sem = sem.clone();
            thread::spawn(move || sem.try_acquire_for(Duration::from_secs(1)).is_ok())
        };
        thread::yield_now();
        thread::yield_now();
        sem.release();
        let got = timed.join().unwrap();
        let second = {
            let sem = sem.clone();
            thread::spawn(move || {
                sem.acquire().unwrap();
                sem.acquire().unwrap();
            })
        };
        thread::yield_now();
        sem.release();
        sem.release();
        second.join().unwrap();
        assert_eq!(sem.available_permits(), if got { 0 } else { 1 });
    });
}

/// Runs `acquire(n)` for each `n` on its own thread while this thread releases `releases` (each
/// a `release_many` of that size); every acquirer must get through (a stranded one is a loom
/// deadlock), and the permits must add up.
fn mixed_waiters(sizes: &'static [u32], releases: &'static [u32], preemptions: usize) {
    check(preemptions, move || {
        let sem = Arc::new(Semaphore::new(0));
        let acquirers: Vec<_> = sizes
            .iter()
            .map(|&n| {
                let sem = sem.clone();
                thread::spawn(move || sem.acquire_many(n).unwrap())
            })
            .collect();
        for &k in releases {
            sem.release_many(k);
        }
        for acquirer in acquirers {
            acquirer.join().unwrap();
        }
        let released: u32 = releases.iter().sum();
        let acquired: u32 = sizes.iter().sum();
        assert_eq!(sem.available_permits(), released - acquired);
    });
}

/// A waiter for two and a waiter for one, fed by one release of three: the head is signalled and
/// the single woken, and both get their permits.
#[test]
fn a_waiter_for_two_and_one_for_one_share_a_release() {
    mixed_waiters(&[2, 1], &[3], 3);
}

/// A head under a handoff (under loom its timer expires at once) takes two of three permits and
/// leaves one beside a waiter for one that counted itself in during the handoff; a newcomer for
/// two becomes the head before the first head's leaving wakes anyone, and a release of one brings
/// the permits to its need. That release marks `WAKING` for the waiter for one but gives its wake
/// to the new head, so it must take the mark back (passing a wake on): else the new head takes
/// the permits, the first head's leaving finds none to wake for, and the last release leaves its
/// wake to a mark that stands for nobody. Everyone gets through. (The yields let each thread run
/// first without spending a preemption.)
///
/// Ignored: it explores for longer than CI affords. It found the lost wake of issue 19 (a
/// take-back that set again the mark it cleared made no exchange and woke nobody: a deadlock in
/// about 4 minutes, the waiter for one left asleep); with the fix it ran 14 minutes without a
/// failure, and the variant without the take-back deadlocks in 2.5. In CI the unit test
/// `semaphore::tests::a_release_that_gives_its_wake_to_the_head_passes_a_wake_on` checks that
/// moment. Run it by hand: `RUSTFLAGS="--cfg loom" cargo test --release -p syncpoint --lib --
/// --ignored semaphore::loom_tests`.
#[test]
#[ignore = "minutes of exploration; run by hand (docs/testing.md)"]
fn a_release_that_gives_its_wake_to_the_head_takes_its_mark_back() {
    check(2, || {
        let sem = Arc::new(Semaphore::new(0));
        let first_head = {
            let sem = sem.clone();
            thread::spawn(move || sem.acquire_many(2).unwrap())
        };
        let single = {
            let sem = sem.clone();
            thread::spawn(move || sem.acquire().unwrap())
        };
        thread::yield_now();
        thread::yield_now();
        sem.release_many(3);
        let second_head = {
            let sem = sem.clone();
            thread::spawn(move || sem.acquire_many(2).unwrap())
        };
        thread::yield_now();
        sem.release();
        thread::yield_now();
        sem.release();
        first_head.join().unwrap();
        single.join().unwrap();
        second_head.join().unwrap();
        assert_eq!(sem.available_permits(), 0);
    });
}

/// The same waiters fed one permit at a time: whichever order the releases and the wakes come in,
/// nobody is left asleep while the permits it needs are there.
#[test]
fn single_releases_feed_mixed_waiters() {
    mixed_waiters(&[2, 1], &[1, 1, 1], 2);
}

/// A waiter for two and a waiter for one, fed two permits and then one: a release that brings the
/// permits to the head's need signals the head rather than a single, and a second signal may
/// come while the first is pending; the head must see both releases' permits. (Checked: a release
/// that gives up when a signal is already pending deadlocks this model.)
#[test]
fn a_signalled_head_that_loses_its_permits_passes_them_on() {
    mixed_waiters(&[2, 1], &[2, 1], 3);
}

/// Two waiters for two: one heads, the other queues behind it and takes over when it leaves, even
/// if a release signals the head just as it leaves. (Checked: a signal set with `fetch_or`, which
/// can land on the vacant head word and read as a head for ever, deadlocks this model; so does a
/// Relaxed bump of the queue word, which three preemptions are needed to reach: the queued waiter
/// sees the bump without the vacancy, and sleeps after the wake.)
#[test]
fn waiters_for_several_queue_behind_the_head() {
    mixed_waiters(&[2, 2], &[2, 2], 3);
}

/// Three waiters for two, one release of six: the head leaves and wakes one queued waiter, which
/// holds the queue's turn; it must pass the turn on when it leaves, or the third sleeps in the
/// queue behind a head that no longer exists. (Checked: a woken waiter that takes its permits
/// without going through the head deadlocks this model.)
#[test]
fn the_queue_s_turn_passes_from_waiter_to_waiter() {
    mixed_waiters(&[2, 2, 2], &[6], 1);
}

/// issue 22: a waiter for two and a newcomer for two, and a release of two that the waiter
/// served first passes on. A newcomer that finds the other holding a ticket when it comes is
/// served second, in every interleaving: also while the holder, in its turn, is on its way to
/// the head word, the state in which a leaving head leaves the next (the race issue 22 found,
/// with the newcomer first in 53-58 of 60 rounds). (Checked: a newcomer for several that takes
/// the permits while tickets are out is served first in some interleaving.)
#[test]
fn a_newcomer_for_several_is_served_after_those_queued() {
    check(2, || {
        let sem = Arc::new(Semaphore::new(0));
        let served = Arc::new(AtomicU32::new(0));
        let waiter = |newcomer: bool| {
            let (sem, served) = (sem.clone(), served.clone());
            thread::spawn(move || {
                let behind = newcomer && sem.tickets.load(Relaxed).out() == 1;
                sem.acquire_many(2).unwrap();
                let place = served.fetch_add(1, Relaxed);
                sem.release_many(2);
                assert!(!behind || place == 1, "the newcomer overtook the queue");
            })
        };
        let waiters = [waiter(false), waiter(true)];
        sem.release_many(2);
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert_eq!(sem.available_permits(), 2);
    });
}

/// A waiter for two fed by two senders' single releases sees both senders' writes, whichever way
/// it takes its permits: at once, as the head that finds them on arrival, or as the signalled
/// head.
#[test]
fn a_waiter_for_two_sees_both_releasers_writes() {
    check(3, || {
        let (got, _) = message_passing(Semaphore::new(0), 2, Semaphore::release, |sem| {
            sem.acquire_many(2).unwrap();
            true
        });
        assert!(got);
    });
}

/// A head whose wait times out (under loom, at once, after its handoff timer, also at once, kept
/// the permits from everyone else) must leave the permits to the waiter for one: a release made
/// while the handoff held woke nobody.
#[test]
fn a_head_that_times_out_passes_its_permits_on() {
    check(3, || {
        let sem = Arc::new(Semaphore::new(0));
        let head = {
            let sem = sem.clone();
            thread::spawn(move || sem.try_acquire_many_for(2, Duration::from_secs(1)))
        };
        let single = {
            let sem = sem.clone();
            thread::spawn(move || sem.acquire().unwrap())
        };
        sem.release();
        assert!(
            head.join().unwrap().is_err(),
            "the head got two permits out of one"
        );
        single.join().unwrap();
        assert_eq!(sem.available_permits(), 0);
    });
}

/// One release of two to three sleepers makes two wakes, not three: the woken take their
/// permits and pass nothing on (README: a release wakes at most as many sleepers as its permits
/// can serve; design.md, "Whom a release wakes"). Three threads acquire one permit each; once all
/// three sleep, `release_many(2)`; once two have their permits, the loom futex has found two
/// sleepers to wake, and after one more release, three.
#[test]
fn a_release_of_two_to_three_sleepers_wakes_two() {
    check(0, || {
        let sem = Arc::new(Semaphore::new(0));
        let done = Arc::new(AtomicU32::new(0));
        let acquirers: Vec<_> = (0..3)
            .map(|_| {
                let (sem, done) = (sem.clone(), done.clone());
                thread::spawn(move || {
                    sem.acquire().unwrap();
                    done.fetch_add(1, Relaxed);
                })
            })
            .collect();
        let counts = || sem.singles.sleepers_and_woken();
        while counts().0 < 3 {
            thread::yield_now();
        }
        sem.release_many(2);
        while done.load(Relaxed) < 2 {
            thread::yield_now();
        }
        assert_eq!(counts().1, 2, "a release of two woke a third sleeper");
        sem.release();
        for acquirer in acquirers {
            acquirer.join().unwrap();
        }
        assert_eq!(counts().1, 3);
    });
}

/// issue 23: a close racing a release, a head and a waiter for one. A waiter for two and a
/// waiter for one wait; this thread releases one permit and closes. Every waiter returns, with
/// its permits (the waiter for one may get the released one) or with the closed error, and the
/// permits add up. (A close that does not signal the head, or wakes no waiter for one, leaves
/// it asleep: a deadlock here.)
#[test]
fn a_close_racing_a_release_reaches_the_head_and_a_single() {
    check(2, || {
        let sem = Arc::new(Semaphore::new(0));
        let head = {
            let sem = sem.clone();
            thread::spawn(move || sem.acquire_many(2).is_ok())
        };
        let single = {
            let sem = sem.clone();
            thread::spawn(move || sem.acquire().is_ok())
        };
        thread::yield_now();
        thread::yield_now();
        sem.release();
        sem.close();
        assert!(!head.join().unwrap(), "two permits out of one");
        let got = single.join().unwrap();
        assert_eq!(sem.available_permits(), if got { 0 } else { 1 });
    });
}

/// Runs `waiters` waiters for two on a semaphore of none, lets them wait, and closes it: every
/// waiter must return the closed error (one left asleep is a loom deadlock).
fn close_with_waiters_for_two(waiters: usize, preemptions: usize) {
    check(preemptions, move || {
        let sem = Arc::new(Semaphore::new(0));
        let waiting: Vec<_> = (0..waiters)
            .map(|_| {
                let sem = sem.clone();
                thread::spawn(move || sem.acquire_many(2))
            })
            .collect();
        thread::yield_now();
        thread::yield_now();
        sem.close();
        for waiter in waiting {
            assert!(waiter.join().unwrap().is_err());
        }
    });
}

/// issue 23: a close reaches a waiter queued behind the head, whatever the interleaving of the
/// queueing, the head's claim and the close: two waiters for two, both return the closed error.
#[test]
fn a_close_reaches_a_waiter_queued_behind_the_head() {
    close_with_waiters_for_two(2, 2);
}

/// issue 23: a close reaches the waiters queued behind the head. Three waiters for two (one
/// heads, the others queue behind it): all return the closed error. The close signals the
/// head; the head's leaving wakes the first queued waiter, which passes the turn on as it
/// leaves. (A queued waiter that leaves a closed semaphore without passing the turn on leaves
/// the last asleep in the queue: a deadlock here. Without preemptions: every thread runs to its
/// sleep before the close, the case that needs the turn passed on; with one, the exploration
/// takes more than ten minutes.)
#[test]
fn a_close_reaches_the_waiters_queued_behind_the_head() {
    close_with_waiters_for_two(3, 0);
}
