//! The convoy of sleeps (issue 20), counted, for each primitive whose waits repeat: once one
//! thread has slept, its partner's next wait lasts a futex wake-up; if that is longer than the
//! adaptive spin, the partner sleeps too, and the two take turns sleeping for good. The spin
//! through a recent wake (`WAKING_SPIN` in spin.rs) dissolves it.
//!
//! Each trial gives both threads no adaptive budget beyond the free spins (a few µs, less than a
//! futex wake-up takes on the machines measured, so the convoy forms without the remedy), makes
//! one of them sleep 20 ms once, then counts the futex sleeps the two make in `ROUNDS` more
//! rounds with both running: it must stay below 1% of the rounds (without the remedy: 4-14%
//! here). Counted, not timed. A trial in which the OS preempted the two threads more than that
//! (another process or test on the cores: where sleeping is right) does not count, and one that
//! failed is run again: up to twenty trials, 50 ms apart, until one counts and passes.

use super::set_budget;
use crate::futex::sleeps;
use crate::{Barrier, Latch, Semaphore};
use std::thread;
use std::time::Duration;

const ROUNDS: usize = 20_000;

/// Runs `trial` (which returns the sleeps and the preemptions counted) until one undisturbed
/// trial stays under 1% of the rounds; fails if an undisturbed trial never does.
fn no_convoy(what: &str, trial: impl Fn() -> (u64, u64)) {
    const LIMIT: u64 = ROUNDS as u64 / 100;
    let mut seen = Vec::new();
    for _ in 0..20 {
        let (sleeps, preempted) = trial();
        if sleeps <= LIMIT && preempted <= LIMIT {
            return;
        }
        seen.push((sleeps, preempted));
        thread::sleep(Duration::from_millis(50));
    }
    assert!(
        seen.iter().all(|&(_, preempted)| preempted > LIMIT),
        "{what}: (sleeps, preemptions) after one forced sleep, in {ROUNDS} rounds: {seen:?}"
    );
    panic!("{what}: every trial was preempted, so none could tell: {seen:?}");
}

/// This thread's involuntary context switches so far (Linux; 0 elsewhere).
fn preemptions() -> u64 {
    std::fs::read_to_string("/proc/thread-self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("nonvoluntary_ctxt_switches:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// On two threads, `round(me)` `ROUNDS` times after `start(me)`, where thread 1 sleeps 20 ms
/// before its last call of `start`; the futex sleeps and the preemptions of both after `start`.
fn on_two_threads(start: impl Fn(usize) + Sync, round: impl Fn(usize) + Sync) -> (u64, u64) {
    let run = |me: usize| {
        set_budget(0);
        start(me);
        let (slept, preempted) = (sleeps(), preemptions());
        for _ in 0..ROUNDS {
            round(me);
        }
        (sleeps() - slept, preemptions() - preempted)
    };
    thread::scope(|s| {
        let partner = s.spawn(|| run(1));
        let (mine, theirs) = (run(0), partner.join().unwrap());
        (mine.0 + theirs.0, mine.1 + theirs.1)
    })
}

fn forced_sleep(me: usize) {
    if me == 1 {
        thread::sleep(Duration::from_millis(20));
    }
}

/// One test for the three primitives, run one after the other: side by side their six threads
/// would oversubscribe the cores, where sleeping is right.
#[test]
fn a_sleep_does_not_start_a_convoy() {
    let _cores = crate::testing::exclusive();
    on_a_barrier();
    in_a_rendezvous();
    on_a_run_of_latches();
}

fn on_a_barrier() {
    no_convoy("barrier", || {
        let barrier = Barrier::new(2);
        on_two_threads(
            |me| {
                barrier.wait();
                forced_sleep(me);
                barrier.wait(); // thread 0 slept here
            },
            |_| {
                barrier.wait();
            },
        )
    });
}

/// The Little Book of Semaphores' rendezvous, round after round: each thread releases one
/// semaphore and acquires the other.
fn in_a_rendezvous() {
    no_convoy("rendezvous", || {
        let arrived = [Semaphore::new(0), Semaphore::new(0)];
        let meet = |me: usize| {
            arrived[me].release();
            arrived[1 - me].acquire().unwrap();
        };
        on_two_threads(
            |me| {
                meet(me);
                forced_sleep(me);
                meet(me); // thread 0 slept here
            },
            meet,
        )
    });
}

/// A latch per round, as a team counting down and waiting round after round.
fn on_a_run_of_latches() {
    no_convoy("latches", || {
        let latches: Vec<Latch> = (0..ROUNDS + 2).map(|_| Latch::new(2)).collect();
        let counters: [std::sync::atomic::AtomicUsize; 2] = Default::default();
        let round = |me: usize| {
            let i = counters[me].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            latches[i].arrive_and_wait();
        };
        on_two_threads(
            |me| {
                round(me);
                forced_sleep(me);
                round(me); // thread 0 slept here
            },
            round,
        )
    });
}
