//! std-thread tests of `Barrier`.

use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use syncpoint::Barrier;

/// `threads` threads run `episodes` episodes. Before each wait a thread counts its arrival in the
/// episode; after it, the count must be complete (nobody passes before the last arrival), and
/// exactly one thread per episode is the leader.
fn run_episodes(threads: usize, episodes: usize) {
    let barrier = Barrier::new(threads);
    let arrived: Vec<AtomicUsize> = (0..episodes).map(|_| AtomicUsize::new(0)).collect();
    let leaders: Vec<AtomicUsize> = (0..episodes).map(|_| AtomicUsize::new(0)).collect();
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for episode in 0..episodes {
                    arrived[episode].fetch_add(1, Relaxed);
                    if barrier.wait().is_leader() {
                        leaders[episode].fetch_add(1, Relaxed);
                    }
                    assert_eq!(
                        arrived[episode].load(Relaxed),
                        threads,
                        "a thread passed episode {episode} before the last arrival"
                    );
                    // Nobody can be more than one episode ahead of this thread.
                    if let Some(next2) = arrived.get(episode + 2) {
                        assert_eq!(next2.load(Relaxed), 0, "a thread lapped episode {episode}");
                    }
                }
            });
        }
    });
    for (episode, leaders) in leaders.iter().enumerate() {
        assert_eq!(
            leaders.load(Relaxed),
            1,
            "episode {episode} had other than one leader"
        );
    }
}

#[test]
fn two_threads_many_episodes() {
    run_episodes(2, 20_000);
}

#[test]
fn oversubscribed_8_threads() {
    run_episodes(8, 2_000);
}

#[test]
fn oversubscribed_32_threads() {
    run_episodes(32, 300);
}

#[test]
fn single_participant_is_always_leader() {
    for n in [0, 1] {
        let barrier = Barrier::new(n);
        for _ in 0..3 {
            assert!(barrier.wait().is_leader());
        }
    }
}

/// Four threads share a barrier of two: they pass in pairs, one leader per pair, and none is
/// lost when an arrival is counted before the previous pair's leader has reset the count.
///
/// The threads draw their arrivals from a shared pool of tickets rather than each making a fixed
/// number: with fixed counts, one thread left behind at the end would wait for a partner that has
/// already finished (as it would with `std::sync::Barrier`).
#[test]
fn more_threads_than_participants_pass_in_groups() {
    let barrier = Barrier::new(2);
    let leaders = AtomicUsize::new(0);
    let arrivals = 20_000;
    let tickets = AtomicUsize::new(arrivals);
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while tickets
                    .fetch_update(Relaxed, Relaxed, |t| t.checked_sub(1))
                    .is_ok()
                {
                    if barrier.wait().is_leader() {
                        leaders.fetch_add(1, Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(leaders.into_inner(), arrivals / 2);
}

#[test]
#[should_panic(expected = "Barrier::new: more participants than Barrier::MAX_PARTICIPANTS")]
fn too_many_participants_panics() {
    let _ = Barrier::new(Barrier::MAX_PARTICIPANTS + 1);
}

#[test]
fn is_a_drop_in_for_std() {
    fn assert_traits<T: Send + Sync + UnwindSafe + RefUnwindSafe + std::fmt::Debug>() {}
    assert_traits::<Barrier>();
    assert_traits::<syncpoint::BarrierWaitResult>();
    let barrier = Barrier::new(3);
    assert_eq!(format!("{barrier:?}"), "Barrier { participants: 3, is_broken: false, .. }");
    assert_eq!(
        format!("{:?}", Barrier::new(1).wait()),
        "BarrierWaitResult { is_leader: true }"
    );
}
