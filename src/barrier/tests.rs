//! Unit tests at the edges of the episode numbering: barriers started just before the episode
//! bits wrap, and barriers moved on by 2^26 and 2^27 episodes at once, which a real run takes
//! seconds to reach (tests/limits.rs drives one through them).

use super::state::{Arrivals, Episode, Released};
use super::{Barrier, BarrierWaitError};
use crate::primitive::Ordering::Relaxed;
use crate::WaitPolicy;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

const EPISODE_BITS: u32 = 27;

/// A barrier for `n` whose first episode is `first`.
fn starting_at(n: usize, first: u64) -> Barrier {
    Barrier::build(n, None, Episode::new(first))
}

/// Moves a barrier that no thread is using on by `episodes`, as if they had all passed.
fn fast_forward<F>(barrier: &Barrier<F>, episodes: u64) {
    let arrivals = barrier.raw.arrive.word.load(Relaxed);
    assert_eq!(
        arrivals.count(),
        0,
        "fast_forward needs a barrier no thread is in"
    );
    let open = Episode::new(barrier.raw.release.episode.load(Relaxed) + episodes);
    barrier
        .raw
        .arrive
        .word
        .store(Arrivals::new(arrivals.participants(), open), Relaxed);
    barrier.raw.arrive.episode.store(open.number(), Relaxed);
    barrier.raw.release.episode.store(open.number(), Relaxed);
    barrier
        .raw
        .release
        .word
        .store(Released::open(open).bits(), Relaxed);
}

fn count<F>(barrier: &Barrier<F>) -> i32 {
    barrier.raw.arrive.word.load(Relaxed).count()
}

/// `threads` threads share a barrier of `n` that starts 3 episodes before the episode bits wrap,
/// for `episodes` episodes: one leader per episode, and the barrier's count ends empty. The
/// threads draw their arrivals from a pool of `n * episodes`: with a fixed number per thread,
/// more threads than participants can strand the last one (with `std`'s barrier too).
fn across_the_wrap(n: usize, threads: usize, episodes: usize) {
    let first = (1 << EPISODE_BITS) - 3;
    let barrier = starting_at(n, first);
    let tickets = AtomicUsize::new(n * episodes);
    let leaders = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while tickets
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| t.checked_sub(1))
                    .is_ok()
                {
                    if barrier.wait().is_leader() {
                        leaders.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(leaders.into_inner(), episodes);
    assert_eq!(count(&barrier), 0);
    assert_eq!(
        barrier.raw.release.episode.load(Relaxed),
        first + episodes as u64
    );
}

#[test]
fn waits_pass_the_wrap_of_the_episode_bits() {
    let _cores = crate::testing::exclusive();
    across_the_wrap(2, 2, 20);
    across_the_wrap(3, 3, 20);
}

#[test]
fn more_threads_than_participants_pass_the_wrap() {
    let _cores = crate::testing::exclusive();
    across_the_wrap(2, 4, 40);
    across_the_wrap(1, 3, 40);
    across_the_wrap(3, 8, 40);
}

/// An arrival whose episode completed stays complete however many episodes pass before it is
/// asked: 2^26 + 1 (where half-window comparisons of 27-bit numbers turned), 2^27 (where the
/// episode bits come round to its own) and 2^27 + 2^26.
#[test]
fn an_arrival_stays_complete_for_ever() {
    for gap in [(1 << 26) + 1, 1 << 27, (1 << 27) + (1 << 26)] {
        let barrier = Barrier::new(2);
        let arrival = thread::scope(|s| {
            s.spawn(|| barrier.wait());
            let arrival = barrier.arrive();
            while !arrival.is_complete() {
                thread::yield_now();
            }
            arrival
        });
        fast_forward(&barrier, gap);
        assert!(arrival.is_complete(), "after {gap} more episodes");
        // Passes (at once); an arrival that took its episode for open would block for ever, so
        // a timeout keeps a broken variant from hanging the suite.
        assert!(arrival.wait_timeout(Duration::from_secs(1)).is_ok());
    }
}

/// A timed waiter whose episode completed gets `Ok` and withdraws nothing, however many episodes
/// passed: here exactly 2^27 - 1 more, so that the open episode's bits are its own again while
/// another thread's arrival is counted in it (the case that once withdrew that arrival).
#[test]
fn a_late_timed_waiter_gets_ok_and_withdraws_nothing() {
    let barrier = Barrier::new(2);
    // Whichever of the two arrives second leads: the arrival, or the other thread.
    let (arrival_leads, arrival) = thread::scope(|s| {
        let other = s.spawn(|| barrier.wait());
        let arrival = barrier.arrive();
        (!other.join().unwrap().is_leader(), arrival)
    });
    fast_forward(&barrier, (1 << 27) - 1);
    thread::scope(|s| {
        let pending = s.spawn(|| barrier.wait());
        while count(&barrier) == 0 {
            thread::yield_now();
        }
        assert_eq!(
            arrival.wait_timeout(Duration::ZERO).map(|r| r.is_leader()),
            Ok(arrival_leads)
        );
        assert_eq!(count(&barrier), 1, "a completed arrival withdrew another's");
        barrier.wait(); // completes the pending thread's episode
        pending.join().unwrap();
    });
}

/// Refused arrivals leave the arrival word as it was: on a broken barrier (2^20 + 1 of them, more
/// than the count field holds) and on a barrier every participant has left.
#[test]
fn refused_arrivals_are_taken_back() {
    let barrier = Barrier::new(2);
    barrier.raw.set_broken(false);
    for _ in 0..(1 << 20) + 1 {
        assert_eq!(
            barrier.wait_timeout(Duration::MAX),
            Err(BarrierWaitError::Broken)
        );
    }
    assert_eq!((count(&barrier), barrier.participants()), (0, 2));

    let barrier = Barrier::new(1);
    barrier.arrive_and_drop();
    for _ in 0..3 {
        assert!(std::panic::catch_unwind(|| barrier.wait()).is_err());
    }
    assert_eq!((count(&barrier), barrier.participants()), (0, 0));
}

/// The full episode number is recovered from the arrival word near the wrap, for a waiter and for
/// a split-phase arrival.
#[test]
fn an_arrival_near_the_wrap_knows_its_episode() {
    let first = (1u64 << EPISODE_BITS) - 1;
    let barrier = starting_at(2, first);
    thread::scope(|s| {
        s.spawn(|| barrier.wait());
        let arrival = barrier.arrive();
        assert!(format!("{arrival:?}").contains(&format!("episode: {first}")));
        arrival.wait();
    });
    assert_eq!(barrier.raw.release.episode.load(Relaxed), first + 1);
    assert_eq!(
        Released::from_bits(barrier.raw.release.word.load(Relaxed)).episode(),
        0
    );
}

/// What a barrier's lines and futex words take per episode, counted (issue 21): `n` threads on a
/// barrier of `n` waiting under `policy`, a tree of `fan_in` or (`None`) a single counter,
/// `episodes` episodes; for
/// each line (the arrival line, the release line, each node, each leaf's word), its
/// read-modify-writes per episode; and the futex wake calls and the most sleepers one call found,
/// per word.
struct Taken {
    /// Per line: read-modify-writes per episode.
    rmws: Vec<(&'static str, f64)>,
    /// Per futex word: wake calls per episode, and the most sleepers one call found.
    wakes: Vec<(&'static str, f64, u64)>,
}

fn taken(n: usize, fan_in: Option<usize>, episodes: usize, policy: WaitPolicy) -> Taken {
    let _cores = crate::testing::exclusive();
    let mut barrier = Barrier::new(n).with_wait_policy(policy);
    if let Some(k) = fan_in {
        barrier = barrier.with_fan_in(k);
    }
    assert_eq!(barrier.fan_in(), fan_in);
    let mut names: Vec<(&'static str, usize)> = vec![
        (
            "arrival line",
            (&barrier.raw.arrive.word as *const _ as *const u8).addr(),
        ),
        ("release line", barrier.raw.release.word.address()),
    ];
    if let Some(tree) = barrier.raw.tree() {
        let (nodes, groups) = tree.addresses();
        names.extend(nodes.into_iter().map(|a| ("node", a)));
        names.extend(groups.into_iter().map(|a| ("leaf word", a)));
    }
    let ((), counts) = crate::testing::record(|| {
        thread::scope(|s| {
            for _ in 0..n {
                s.spawn(|| {
                    for _ in 0..episodes {
                        barrier.wait();
                    }
                });
            }
        });
    });
    let per = |x: u64| x as f64 / episodes as f64;
    // A line is 128 bytes (CachePadded), and its atomics' counts add up.
    let line = |address: usize| address / 128;
    let rmws = names
        .iter()
        .map(|&(name, address)| {
            let total: u64 = counts
                .iter()
                .filter(|(&a, _)| line(a) == line(address))
                .map(|(_, c)| c.rmws)
                .sum();
            (name, per(total))
        })
        .collect();
    let wakes = names
        .iter()
        .filter(|(name, _)| *name != "arrival line" && *name != "node")
        .map(|&(name, address)| {
            let c = counts.get(&address).copied().unwrap_or_default();
            (name, per(c.wake_calls), c.most_woken)
        })
        .collect();
    Taken { rmws, wakes }
}

/// The proof of scaling by counting, at n = 64 on this 2-core machine: in a tree of fan-in 4 or
/// 8 no line takes more than `k` read-modify-writes an episode and no futex word wakes more than
/// one leaf's sleepers (at most `k`) in one call, none the release word's; a single counter's
/// arrival line takes all 64 arrivals and the reset, and one call wakes more than a leaf.
#[test]
fn at_64_threads_no_line_takes_more_than_k() {
    const N: usize = 64;
    const EPISODES: usize = 60;
    for k in [4, 8] {
        let taken = taken(N, Some(k), EPISODES, WaitPolicy::Adaptive);
        // The figures, for `-- --nocapture` (docs/design.md, "The tree", quotes them).
        eprintln!("fan-in {k}: read-modify-writes an episode {:?}", taken.rmws);
        eprintln!(
            "fan-in {k}: wake calls an episode, most sleepers a call {:?}",
            taken.wakes
        );
        for &(name, per_episode) in &taken.rmws {
            assert!(
                per_episode <= k as f64,
                "fan-in {k}: the {name} took {per_episode} read-modify-writes an episode"
            );
        }
        for &(name, calls, most) in &taken.wakes {
            assert!(
                most <= k as u64,
                "fan-in {k}: a wake of the {name} found {most} sleepers"
            );
            assert!(
                calls <= 1.0,
                "fan-in {k}: the {name} took {calls} wake calls an episode"
            );
            if name == "release line" {
                assert_eq!(calls, 0.0, "fan-in {k}: the release word was woken");
            }
        }
    }
    // Passive, so that its waiters sleep: adaptive ones on 2 cores may all yield through 60
    // episodes, and a release that finds nobody asleep shows nothing.
    let central = taken(N, None, EPISODES, WaitPolicy::Passive);
    eprintln!("single counter: {:?} {:?}", central.rmws, central.wakes);
    assert_eq!(central.rmws[0], ("arrival line", (N + 1) as f64));
    let (_, _, most) = central.wakes[0];
    assert!(
        most > 8,
        "a single counter's release woke only {most} sleepers in its largest call"
    );
}
