//! loom models of the `classic` constructions (`cfg(all(loom, test))`).

use super::{Rendezvous, TurnstileBarrier, TwoTurnstileBarrier};
use crate::loom_models::check;
use loom::sync::atomic::{AtomicU32, Ordering::Relaxed};
use loom::sync::Arc;
use loom::thread;

/// a1 happens before b2 and b1 before a2, over two rounds.
#[test]
fn rendezvous() {
    check(3, || {
        let meet = Arc::new(Rendezvous::new());
        let (a, b) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
        let thread_a = {
            let (meet, a, b) = (meet.clone(), a.clone(), b.clone());
            thread::spawn(move || {
                for round in 1..=2 {
                    a.store(round, Relaxed);
                    meet.wait_a();
                    assert!(b.load(Relaxed) >= round);
                }
            })
        };
        for round in 1..=2 {
            b.store(round, Relaxed);
            meet.wait_b();
            assert!(a.load(Relaxed) >= round);
        }
        thread_a.join().unwrap();
    });
}

/// The one-shot turnstile barrier with two and three threads.
#[test]
fn turnstile_barrier() {
    for (threads, preemptions) in [(2, 3), (3, 1)] {
        check(preemptions, move || {
            let barrier = Arc::new(TurnstileBarrier::new(threads));
            let arrived = Arc::new(AtomicU32::new(0));
            let leaders = Arc::new(AtomicU32::new(0));
            let run = {
                let (barrier, arrived, leaders) =
                    (barrier.clone(), arrived.clone(), leaders.clone());
                move || {
                    arrived.fetch_add(1, Relaxed);
                    if barrier.wait().is_leader() {
                        leaders.fetch_add(1, Relaxed);
                    }
                    assert_eq!(
                        arrived.load(Relaxed),
                        threads as u32,
                        "passed the barrier early"
                    );
                }
            };
            let others: Vec<_> = (1..threads)
                .map(|_| {
                    let run = run.clone();
                    thread::spawn(run)
                })
                .collect();
            run();
            for other in others {
                other.join().unwrap();
            }
            assert_eq!(leaders.load(Relaxed), 1);
        });
    }
}

/// The reusable two-turnstile barrier, two threads over two episodes: no thread laps another.
///
/// Eight semaphore operations per thread per episode make this the largest model; with no
/// preemptions beyond the blocking points it takes about 165 s on two cores (docs/testing.md),
/// and the same bound still finds both of the book's non-solutions (see `non_solutions.rs`),
/// whose failures need no preemption either.
#[test]
fn two_turnstile_barrier() {
    check(0, || {
        let barrier = Arc::new(TwoTurnstileBarrier::new(2));
        let slots = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
        let leaders = Arc::new(AtomicU32::new(0));
        let run = {
            let (barrier, slots, leaders) = (barrier.clone(), slots.clone(), leaders.clone());
            move |me: usize| {
                for episode in 1..=2 {
                    slots[me].store(episode, Relaxed);
                    if barrier.wait().is_leader() {
                        leaders.fetch_add(1, Relaxed);
                    }
                    assert!(
                        slots[1 - me].load(Relaxed) >= episode,
                        "passed the barrier early"
                    );
                }
            }
        };
        let other = {
            let run = run.clone();
            thread::spawn(move || run(1))
        };
        run(0);
        other.join().unwrap();
        assert_eq!(leaders.load(Relaxed), 2);
    });
}
