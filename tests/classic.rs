//! std-thread tests of the `classic` constructions.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use syncpoint::classic::{Rendezvous, TurnstileBarrier, TwoTurnstileBarrier};

#[test]
fn rendezvous_orders_both_ways() {
    let meet = Rendezvous::new();
    let (a, b) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let rounds = 5_000;
    thread::scope(|s| {
        s.spawn(|| {
            for round in 1..=rounds {
                a.store(round, Relaxed);
                meet.wait_a();
                assert!(b.load(Relaxed) >= round);
            }
        });
        for round in 1..=rounds {
            b.store(round, Relaxed);
            meet.wait_b();
            assert!(a.load(Relaxed) >= round);
        }
    });
}

#[test]
fn turnstile_barrier_one_shot() {
    let threads = 6;
    let barrier = TurnstileBarrier::new(threads);
    let arrived = AtomicUsize::new(0);
    let leaders = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                arrived.fetch_add(1, Relaxed);
                if barrier.wait().is_leader() {
                    leaders.fetch_add(1, Relaxed);
                }
                assert_eq!(arrived.load(Relaxed), threads);
            });
        }
    });
    assert_eq!(leaders.into_inner(), 1);
}

#[test]
fn two_turnstile_barrier_many_episodes_oversubscribed() {
    let (threads, episodes) = (6, 300);
    let barrier = TwoTurnstileBarrier::new(threads);
    let arrived: Vec<AtomicUsize> = (0..episodes).map(|_| AtomicUsize::new(0)).collect();
    let leaders = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for arrived in &arrived {
                    arrived.fetch_add(1, Relaxed);
                    if barrier.wait().is_leader() {
                        leaders.fetch_add(1, Relaxed);
                    }
                    assert_eq!(arrived.load(Relaxed), threads, "passed the barrier early");
                }
            });
        }
    });
    assert_eq!(leaders.into_inner(), episodes);
}
