//! The barrier soak: many threads on few cores, random delays, timeouts and drops mixed in.
//!
//! `bounded_soak` runs in the normal suite (a few seconds). `soak` is the long run, ignored by
//! default:
//!
//! ```text
//! cargo test --release --test soak -- --ignored               # 2 000 000 episodes
//! SYNCPOINT_SOAK_EPISODES=10000000 cargo test --release --test soak -- --ignored
//! ```
//!
//! Each thread, in each episode: records the episode it is arriving in, waits (sometimes with a
//! short timeout, retrying when its arrival was withdrawn), then checks that every thread still
//! participating has arrived in this episode (nobody passed early) and that none is more than one
//! episode ahead. Leaders are counted per episode, and the completion counts the episodes. Some
//! threads leave part-way through with `arrive_and_drop`.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering::Relaxed};
use std::thread;
use std::time::Duration;
use syncpoint::{Barrier, BarrierWaitError};

/// Marks a thread that has left: it is no longer checked.
const LEFT: u64 = u64::MAX;

fn soak(threads: usize, episodes: u64) {
    let progress: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
    let leaders: Vec<AtomicU8> = (0..episodes).map(|_| AtomicU8::new(0)).collect();
    let completions = AtomicU64::new(0);
    let barrier = Barrier::with_completion(threads, || {
        completions.fetch_add(1, Relaxed);
    });
    thread::scope(|s| {
        for me in 0..threads {
            let (barrier, progress, leaders) = (&barrier, &progress, &leaders);
            s.spawn(move || {
                // A failed check breaks the barrier, so the other threads stop instead of hanging.
                let _guard = barrier.panic_guard();
                let mut rng = Rng(
                    0x9E37_79B9_7F4A_7C15 ^ (me as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D)
                );
                // The upper half of the threads leave at random episodes; the rest stay to the end.
                let leave = (me >= threads / 2).then(|| rng.below(episodes));
                for episode in 0..episodes {
                    progress[me].store(episode, Relaxed);
                    if leave == Some(episode) {
                        if barrier.arrive_and_drop().is_leader() {
                            leaders[episode as usize].fetch_add(1, Relaxed);
                        }
                        progress[me].store(LEFT, Relaxed);
                        return;
                    }
                    match rng.below(64) {
                        0 => thread::yield_now(),
                        1 => thread::sleep(Duration::from_micros(rng.below(50))),
                        _ => {}
                    }
                    let result = if rng.below(8) == 0 {
                        let timeout = Duration::from_micros(rng.below(20));
                        loop {
                            match barrier.wait_timeout(timeout) {
                                Ok(result) => break result,
                                Err(BarrierWaitError::TimedOut) => continue,
                                Err(error) => panic!("nobody panicked: {error}"),
                            }
                        }
                    } else {
                        barrier.wait()
                    };
                    if result.is_leader() {
                        leaders[episode as usize].fetch_add(1, Relaxed);
                    }
                    for (other, p) in progress.iter().enumerate() {
                        let p = p.load(Relaxed);
                        if p != LEFT {
                            assert!(
                                p >= episode,
                                "thread {other} at {p} when {me} passed {episode}"
                            );
                            assert!(
                                p <= episode + 1,
                                "thread {other} at {p}, {me} only at {episode}"
                            );
                        }
                    }
                }
            });
        }
    });
    for (episode, count) in leaders.iter().enumerate() {
        assert_eq!(
            count.load(Relaxed),
            1,
            "episode {episode} had other than one leader"
        );
    }
    assert_eq!(completions.load(Relaxed), episodes);
}

/// More threads than participants, with timeouts: `threads` threads share a barrier of `n` and
/// draw `n * episodes` arrivals from a pool (a fixed count per thread can strand the last one).
/// One arrival in four is a `wait_timeout` of 0-20 µs, retried until it passes, so late arrivals
/// (into a full episode) time out and are taken back while the barrier moves on. Each arrival is
/// counted in exactly one episode: the passes are `n` per leader, the completion runs once per
/// episode, and nothing is left counted or hangs.
fn late_arrivals(n: usize, threads: usize, episodes: u64) {
    let tickets = AtomicU64::new(n as u64 * episodes);
    let (passes, leaders, completions) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let barrier = Barrier::with_completion(n, || {
        completions.fetch_add(1, Relaxed);
    });
    thread::scope(|s| {
        for me in 0..threads {
            let (barrier, tickets, passes, leaders) = (&barrier, &tickets, &passes, &leaders);
            s.spawn(move || {
                let mut rng =
                    Rng(0x9E37_79B9_7F4A_7C15 ^ (me as u64 + 7).wrapping_mul(0x2545_F491));
                while tickets
                    .fetch_update(Relaxed, Relaxed, |t| t.checked_sub(1))
                    .is_ok()
                {
                    let result = if rng.below(4) == 0 {
                        loop {
                            let timeout = Duration::from_micros(rng.below(20));
                            match barrier.wait_timeout(timeout) {
                                Ok(result) => break result,
                                Err(BarrierWaitError::TimedOut) => continue,
                                Err(error) => panic!("nobody panicked: {error}"),
                            }
                        }
                    } else {
                        barrier.wait()
                    };
                    passes.fetch_add(1, Relaxed);
                    if result.is_leader() {
                        leaders.fetch_add(1, Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(leaders.into_inner(), episodes);
    assert_eq!(completions.into_inner(), episodes);
    assert_eq!(passes.into_inner(), n as u64 * episodes);
}

/// xorshift64*: enough randomness for delays, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound
    }
}

#[test]
fn bounded_soak() {
    soak(8, 100_000);
}

#[test]
fn late_arrivals_soak() {
    late_arrivals(2, 5, 20_000);
    late_arrivals(3, 8, 5_000);
}

#[test]
#[ignore = "long: run with --ignored (SYNCPOINT_SOAK_EPISODES sets the length)"]
fn soak_millions() {
    let episodes = std::env::var("SYNCPOINT_SOAK_EPISODES")
        .ok()
        .map(|v| {
            v.parse()
                .expect("SYNCPOINT_SOAK_EPISODES: a number of episodes")
        })
        .unwrap_or(2_000_000);
    soak(16, episodes);
}
