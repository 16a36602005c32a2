//! shuttle models of `Barrier` (`cfg(all(shuttle, test))`; src/shuttle_models.rs says what they
//! add to the loom models beside them): a tree of eight.

use super::Barrier;
use crate::primitive::{AtomicU32, Ordering::Relaxed};
use crate::shuttle_models::check;
use shuttle::thread;
use std::sync::Arc;
use std::time::Duration;

/// Eight threads on a tree of fan-in 2 (three levels), three episodes: nobody passes an episode
/// before all eight arrived, and each episode has one leader.
#[test]
fn a_tree_of_eight_passes_nobody_early() {
    check(|| {
        const EPISODES: usize = 3;
        let barrier = Arc::new(Barrier::new(8).with_fan_in(2));
        let arrived = Arc::new([const { AtomicU32::new(0) }; EPISODES]);
        let leaders = Arc::new([const { AtomicU32::new(0) }; EPISODES]);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (barrier, arrived, leaders) =
                    (barrier.clone(), arrived.clone(), leaders.clone());
                thread::spawn(move || {
                    for episode in 0..EPISODES {
                        arrived[episode].fetch_add(1, Relaxed);
                        if barrier.wait().is_leader() {
                            leaders[episode].fetch_add(1, Relaxed);
                        }
                        assert_eq!(arrived[episode].load(Relaxed), 8, "passed early");
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        for leader in leaders.iter() {
            assert_eq!(leader.load(Relaxed), 1);
        }
    });
}

/// A team that grows while it runs, on a tree of fan-in 2, with a member whose timed wait
/// withdraws (the model's timeouts expire at once, so it withdraws and arrives again, untimed,
/// racing the others): three members, and in the second episode one of them adds two more. Every episode's
/// completion sees exactly the arrivals it expects, and there are as many completions as
/// episodes.
#[test]
fn a_tree_grows_while_a_member_withdraws() {
    check(|| {
        const EPISODES: u64 = 3;
        let arrived = Arc::new(AtomicU32::new(0));
        let expected = Arc::new(AtomicU32::new(3));
        let completions = Arc::new(AtomicU32::new(0));
        let barrier = {
            let (arrived, expected, completions) =
                (arrived.clone(), expected.clone(), completions.clone());
            Arc::new(
                Barrier::with_completion(3, move || {
                    let (got, want) = (arrived.swap(0, Relaxed), expected.load(Relaxed));
                    assert_eq!(got, want, "a completion with arrivals missing or extra");
                    completions.fetch_add(1, Relaxed);
                })
                .with_fan_in(2),
            )
        };
        let run = {
            let (barrier, arrived) = (barrier.clone(), arrived.clone());
            move |from: u64, timed: bool| {
                for _ in from..EPISODES {
                    arrived.fetch_add(1, Relaxed);
                    if !timed {
                        barrier.wait();
                        continue;
                    }
                    if barrier.wait_timeout(Duration::from_millis(1)).is_err() {
                        // Withdrawn: the episode cannot complete without this arrival, so it
                        // is taken back from the count before it arrives again. Untimed: a
                        // timed wait that expires at once, again and again, would spin for as
                        // long as a scheduler kept the others off the core (shuttle stops such
                        // a run at a million steps).
                        arrived.fetch_sub(1, Relaxed);
                        arrived.fetch_add(1, Relaxed);
                        barrier.wait();
                    }
                }
            }
        };
        let run = Arc::new(run);
        let mut threads = Vec::new();
        for timed in [false, true] {
            let run = run.clone();
            threads.push(thread::spawn(move || run(0, timed)));
        }
        let grower = {
            let (barrier, arrived, expected, run) = (
                barrier.clone(),
                arrived.clone(),
                expected.clone(),
                run.clone(),
            );
            thread::spawn(move || {
                arrived.fetch_add(1, Relaxed);
                barrier.wait();
                // Between this member's waits: the second episode lacks its arrival, so the
                // newcomers join it.
                expected.fetch_add(2, Relaxed);
                let first = barrier.add_participants(2);
                assert_eq!(first, 1);
                let newcomers: Vec<_> = (0..2)
                    .map(|_| {
                        let run = run.clone();
                        thread::spawn(move || run(first, false))
                    })
                    .collect();
                run(1, false);
                for newcomer in newcomers {
                    newcomer.join().unwrap();
                }
            })
        };
        threads.push(grower);
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(u64::from(completions.load(Relaxed)), EPISODES);
    });
}
