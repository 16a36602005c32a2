//! loom models of `Barrier`.
#![cfg(loom)]

use loom::sync::atomic::{AtomicU32, Ordering::Relaxed};
use loom::sync::Arc;
use loom::thread;
use loom_tests::check;
use syncpoint::Barrier;

/// `threads` threads share a barrier of `n` for `episodes` episodes each. Before each wait a
/// thread stores its episode number in its slot (Relaxed); after the wait it must read the same
/// episode number, or later, in every other slot. One leader per episode.
fn episodes(n: usize, threads: usize, episodes: u32, preemptions: usize) {
    check(preemptions, move || {
        let barrier = Arc::new(Barrier::new(n));
        let slots: Arc<Vec<AtomicU32>> =
            Arc::new((0..threads).map(|_| AtomicU32::new(0)).collect());
        let leaders = Arc::new(AtomicU32::new(0));
        let run = {
            let (barrier, slots, leaders) = (barrier.clone(), slots.clone(), leaders.clone());
            move |me: usize| {
                for episode in 1..=episodes {
                    slots[me].store(episode, Relaxed);
                    if barrier.wait().is_leader() {
                        leaders.fetch_add(1, Relaxed);
                    }
                    if n == threads {
                        for slot in slots.iter() {
                            assert!(slot.load(Relaxed) >= episode, "passed the barrier early");
                        }
                    }
                }
            }
        };
        let others: Vec<_> = (1..threads)
            .map(|me| {
                let run = run.clone();
                thread::spawn(move || run(me))
            })
            .collect();
        run(0);
        for other in others {
            other.join().unwrap();
        }
        let total_arrivals = threads as u32 * episodes;
        assert_eq!(leaders.load(Relaxed), total_arrivals / n.max(1) as u32);
    });
}

/// Two threads, two episodes: the reuse of the barrier (reset, sense reversal) is checked.
/// Catches a Relaxed arrival, fence or release (a stale slot read) and a missing wake (deadlock).
#[test]
fn two_threads_two_episodes() {
    episodes(2, 2, 2, 3);
}

/// Three threads, one episode.
#[test]
fn three_threads_one_episode() {
    episodes(3, 3, 1, 2);
}

/// Two threads on a barrier of one, twice each: an arrival can be counted before the previous
/// leader's reset, and must then lead its own episode only after the previous one is released.
#[test]
fn more_threads_than_participants() {
    episodes(1, 2, 2, 3);
}

/// Four threads on a barrier of two, one wait each: two episodes whose arrivals can interleave
/// before the first leader resets, so the second leader may find the first episode not yet
/// released and must wait for it (a release word that went backwards strands a waiter).
#[test]
fn two_pairs_on_four_threads() {
    episodes(2, 4, 1, 2);
}
