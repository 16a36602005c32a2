//! The barrier past the limits of its state words, at full length: more than 2^27 episodes (the
//! episode bits the words keep come round), and more than 2^20 refused arrivals (what the count
//! field holds). Ignored by default, because they take 15 to 45 s on two cores in a release build;
//! the test command runs them:
//!
//! ```text
//! cargo test --release --test limits -- --ignored
//! ```
//!
//! `src/barrier/tests.rs` checks the same edges in milliseconds by starting barriers near them.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use syncpoint::Barrier;

/// An arrival made in the first episode and looked at only after 2^27 + 2^20 more: a thread that
/// does not run for that long (a debugger, a stopped thread) while others use the barrier.
/// Its episode completed at the start, so it is complete, and a timed wait on it returns `Ok`
/// without waiting and withdraws nothing.
#[test]
#[ignore = "2^27 episodes: run with --release --ignored (the test command does)"]
fn an_arrival_is_complete_after_2_pow_27_episodes() {
    const EPISODES: u64 = (1 << 27) + (1 << 20);
    let barrier = &Barrier::new(2);
    let start = Instant::now();
    thread::scope(|s| {
        let (arrived, first) = mpsc::channel();
        let (done, finished) = mpsc::channel();
        let stale = s.spawn(move || {
            let arrival = barrier.arrive();
            arrived.send(()).unwrap();
            finished.recv().unwrap();
            let looked = Instant::now();
            let complete = arrival.is_complete();
            let result = arrival.wait_timeout(Duration::from_millis(500));
            (complete, result, looked.elapsed())
        });
        // This thread completes the first episode with the stale arrival, then two runners pass
        // the rest between them (a fixed count per thread, which only two threads cannot strand).
        first.recv().unwrap();
        barrier.wait();
        let runners: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(move || {
                    for _ in 0..EPISODES {
                        barrier.wait();
                    }
                })
            })
            .collect();
        for runner in runners {
            runner.join().unwrap();
        }
        done.send(()).unwrap();
        let (complete, result, took) = stale.join().unwrap();
        assert!(complete, "the arrival turned incomplete");
        assert!(
            result.is_ok(),
            "{result:?}: a completed arrival was withdrawn"
        );
        assert!(
            took < Duration::from_millis(500),
            "it waited for its timeout: {took:?}"
        );
    });
    assert_eq!(barrier.participants(), 2);
    eprintln!("{EPISODES} episodes in {:.1?}", start.elapsed());
}

/// 2^20 + 1 caught panics of `wait` on a barrier every participant has left: each refused
/// arrival is taken back, so the next `wait` still panics (it once returned as leader, the
/// refused arrivals having overflowed into the participant field) and nothing changed.
#[test]
#[ignore = "2^20 caught panics: run with --release --ignored (the test command does)"]
fn refused_arrivals_do_not_pile_up() {
    let barrier = Barrier::new(1);
    barrier.arrive_and_drop();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for _ in 0..(1 << 20) + 1 {
        assert!(std::panic::catch_unwind(|| barrier.wait()).is_err());
    }
    std::panic::set_hook(hook);
    assert_eq!(barrier.participants(), 0);
    assert!(std::panic::catch_unwind(|| barrier.wait()).is_err());
}
