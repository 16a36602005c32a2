//! std-thread tests of `Barrier`.

use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};
use syncpoint::{Barrier, BarrierWaitError};

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
    assert_eq!(
        format!("{barrier:?}"),
        "Barrier { participants: 3, is_broken: false, .. }"
    );
    assert_eq!(
        format!("{:?}", Barrier::new(1).wait()),
        "BarrierWaitResult { is_leader: true }"
    );
}

/// `threads` threads pass `episodes` episodes of `barrier`, each pass made by `pass(me, episode)`.
/// Before passing, a thread records the episode it arrives in; after, every thread must have
/// arrived in it (nobody passes early). Returns the number of leaders.
fn no_early_pass(
    threads: usize,
    episodes: usize,
    pass: impl Fn(usize, usize) -> syncpoint::BarrierWaitResult + Sync,
) -> usize {
    let before: Vec<AtomicUsize> = (0..threads).map(|_| AtomicUsize::new(0)).collect();
    let leaders = AtomicUsize::new(0);
    thread::scope(|s| {
        for me in 0..threads {
            let (before, leaders, pass) = (&before, &leaders, &pass);
            s.spawn(move || {
                for episode in 1..=episodes {
                    before[me].store(episode, Relaxed);
                    if pass(me, episode).is_leader() {
                        leaders.fetch_add(1, Relaxed);
                    }
                    for other in before {
                        let other = other.load(Relaxed);
                        assert!(other >= episode, "passed episode {episode} early");
                    }
                }
            });
        }
    });
    leaders.into_inner()
}

/// Split phase: each thread arrives, polls `is_complete` a while (work overlapped with the wait),
/// then waits. One leader per episode, nobody early.
#[test]
fn arrive_then_wait_later() {
    let barrier = Barrier::new(4);
    let leaders = no_early_pass(4, 2_000, |_, _| {
        let arrival = barrier.arrive();
        let mut polls = 0u32;
        while !arrival.is_complete() && polls < 100 {
            polls += 1;
            std::hint::spin_loop();
        }
        arrival.wait()
    });
    assert_eq!(leaders, 2_000);
}

/// `is_complete` is false while an arrival is missing and true once it comes, and the last
/// arrival's own `Arrival` is complete at once.
#[test]
fn is_complete_tracks_the_episode() {
    let barrier = Barrier::new(2);
    let first = barrier.arrive();
    assert!(!first.is_complete());
    let second = barrier.arrive();
    assert!(second.is_complete());
    assert!(first.is_complete());
    assert!(!first.wait().is_leader());
    assert!(second.wait().is_leader());
}

/// The completion runs once per episode, on the leader, after every arrival: it sums the
/// episode's contributions, and every thread reads the sum after the barrier.
#[test]
fn completion_runs_once_per_episode_and_is_visible() {
    let threads = 4;
    let episodes = 3_000;
    let partial = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    let runs = AtomicUsize::new(0);
    let barrier = Barrier::with_completion(threads, || {
        runs.fetch_add(1, Relaxed);
        total.store(partial.swap(0, Relaxed), Relaxed);
    });
    thread::scope(|s| {
        for me in 0..threads {
            let (barrier, partial, total) = (&barrier, &partial, &total);
            s.spawn(move || {
                for episode in 0..episodes {
                    partial.fetch_add(episode * threads + me, Relaxed);
                    barrier.wait();
                    let expected: usize = (0..threads).map(|t| episode * threads + t).sum();
                    assert_eq!(total.load(Relaxed), expected, "episode {episode}");
                    // Nobody adds to the next episode's sum before everyone has read this one.
                    barrier.wait();
                }
            });
        }
    });
    assert_eq!(runs.load(Relaxed), 2 * episodes);
}

/// A barrier made by `new` and one with a completion both fit `Barrier` in type position where
/// the completion type is named or defaulted.
#[test]
fn completion_type_defaults() {
    struct Plain {
        barrier: Barrier,
    }
    fn tick() {}
    let plain = Plain {
        barrier: Barrier::new(1),
    };
    let named: Barrier<fn()> = Barrier::with_completion(1, tick as fn());
    let boxed: Barrier<Box<dyn Fn() + Send + Sync>> = Barrier::with_completion(1, Box::new(|| {}));
    assert!(plain.barrier.wait().is_leader());
    assert!(named.wait().is_leader());
    assert!(boxed.wait().is_leader());
}

/// A panicking completion breaks the barrier: the leader's panic is the completion's, the
/// others panic with the broken-barrier message instead of hanging.
#[test]
fn panicking_completion_breaks_the_barrier() {
    let barrier = Barrier::with_completion(3, || panic!("completion failed"));
    let messages: Vec<String> = thread::scope(|s| {
        let handles: Vec<_> = (0..3).map(|_| s.spawn(|| barrier.wait())).collect();
        handles
            .into_iter()
            .map(|h| panic_message(h.join().expect_err("every wait panics")))
            .collect()
    });
    assert!(barrier.is_broken());
    let leader = messages
        .iter()
        .filter(|m| *m == "completion failed")
        .count();
    let broken = messages
        .iter()
        .filter(|m| m.contains("the barrier is broken: a participant panicked"))
        .count();
    assert_eq!((leader, broken), (1, 2), "{messages:?}");
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// The message of the panic that `f` must raise.
fn panic_of<R: std::fmt::Debug>(f: impl FnOnce() -> R + std::panic::UnwindSafe) -> String {
    panic_message(std::panic::catch_unwind(f).expect_err("it did not panic"))
}

/// `barrier` with a tree of fan-in `k`, or its single counter for `None`.
fn in_mode<F>(barrier: Barrier<F>, fan_in: Option<usize>) -> Barrier<F> {
    match fan_in {
        Some(k) => barrier.with_fan_in(k),
        None => barrier,
    }
}

/// A participant that panics before arriving, holding a guard: the sleeping and spinning waiters
/// panic, later waits panic at once, `wait_timeout` reports `Broken`, and the scope propagates
/// the failure instead of hanging.
#[test]
fn panic_guard_breaks_the_barrier_for_waiters() {
    use syncpoint::{BarrierWaitError, WaitPolicy};
    for policy in [
        WaitPolicy::Passive,
        WaitPolicy::Active,
        WaitPolicy::Adaptive,
    ] {
        let barrier = Barrier::new(4).with_wait_policy(policy);
        let arrived = AtomicUsize::new(0);
        let outcome = std::panic::catch_unwind(|| {
            thread::scope(|s| {
                for _ in 0..3 {
                    s.spawn(|| {
                        arrived.fetch_add(1, Relaxed);
                        barrier.wait();
                    });
                }
                s.spawn(|| {
                    let _guard = barrier.panic_guard();
                    while arrived.load(Relaxed) < 3 {
                        thread::yield_now();
                    }
                    // Give the waiters time to go to sleep.
                    thread::sleep(std::time::Duration::from_millis(20));
                    panic!("worker failed");
                });
            })
        });
        assert!(outcome.is_err(), "{policy:?}");
        assert!(barrier.is_broken());
        let later = std::panic::catch_unwind(|| barrier.wait());
        assert!(panic_message(later.unwrap_err()).contains("Barrier::wait: the barrier is broken"));
        assert_eq!(
            barrier.wait_timeout(std::time::Duration::from_secs(1)),
            Err(BarrierWaitError::Broken)
        );
    }
}

/// A guard dropped without a panic leaves the barrier intact.
#[test]
fn panic_guard_without_panic_does_nothing() {
    let barrier = Barrier::new(1);
    drop(barrier.panic_guard());
    assert!(!barrier.is_broken());
    assert!(barrier.wait().is_leader());
}

/// Workers leave one by one with `arrive_and_drop`; the rest keep passing episodes with one
/// leader each, and a drop that completes an episode leads it.
#[test]
fn arrive_and_drop_shrinks_the_barrier() {
    let threads = 4;
    let episodes = 1_000;
    let runs = AtomicUsize::new(0);
    let barrier = Barrier::with_completion(threads, || {
        runs.fetch_add(1, Relaxed);
    });
    thread::scope(|s| {
        for me in 0..threads {
            let barrier = &barrier;
            s.spawn(move || {
                // Thread `me` leaves in episode `me * episodes / threads`; thread 0 never stays.
                let leave = me * episodes / threads;
                for _ in 0..leave {
                    barrier.wait();
                }
                barrier.arrive_and_drop();
            });
        }
    });
    // Every thread arrived in each episode up to the one it left in (inclusive): the last
    // thread's `episodes * 3 / 4` waits plus its drop make that many plus one episodes.
    assert_eq!(runs.load(Relaxed), (threads - 1) * episodes / threads + 1);
    assert_eq!(barrier.participants(), 0);
}

/// With every participant gone, the barrier refuses to wait rather than hang.
#[test]
fn waiting_on_a_barrier_nobody_participates_in_panics() {
    let barrier = Barrier::new(1);
    barrier.arrive_and_drop();
    let message = panic_of(|| barrier.wait());
    assert!(message.contains("every participant has left"), "{message}");
    let message = panic_of(|| barrier.arrive_and_drop());
    assert!(
        message.contains("every participant has already left"),
        "{message}"
    );
}

/// A timed-out arrival is withdrawn: the barrier still needs a full set afterwards.
#[test]
fn wait_timeout_withdraws() {
    use std::time::{Duration, Instant};
    use syncpoint::BarrierWaitError;
    let barrier = Barrier::new(3);
    let start = Instant::now();
    assert_eq!(
        barrier.wait_timeout(Duration::from_millis(20)),
        Err(BarrierWaitError::TimedOut)
    );
    assert!(start.elapsed() >= Duration::from_millis(20));
    thread::scope(|s| {
        let first = s.spawn(|| barrier.wait_timeout(Duration::from_millis(50)));
        // Had the withdrawal failed, this second arrival would complete the episode.
        assert_eq!(first.join().unwrap(), Err(BarrierWaitError::TimedOut));
        let waiters: Vec<_> = (0..2).map(|_| s.spawn(|| barrier.wait())).collect();
        let last = barrier.wait_timeout(Duration::from_secs(60)).unwrap();
        let leaders = waiters
            .into_iter()
            .map(|w| w.join().unwrap().is_leader() as u32)
            .sum::<u32>()
            + last.is_leader() as u32;
        assert_eq!(leaders, 1);
    });
}

/// Timed waiters racing the last arrival: each either passes (and the episode counts it) or is
/// withdrawn and retries; no episode completes short of a full set.
#[test]
fn wait_timeout_races_the_last_arrival() {
    use std::time::Duration;
    use syncpoint::BarrierWaitError;
    let barrier = Barrier::new(4);
    let timeouts = AtomicUsize::new(0);
    let leaders = no_early_pass(4, 2_000, |me, episode| {
        if episode % 50 == me {
            // A late arrival, so that the others' timeouts (at most 180 µs) expire: 2 ms is
            // long enough whatever the scheduler does, where 300 µs once let a whole run pass
            // without a timeout.
            thread::sleep(Duration::from_millis(2));
        }
        let timeout = Duration::from_micros(((me + episode) % 7) as u64 * 30);
        loop {
            match barrier.wait_timeout(timeout) {
                Ok(result) => break result,
                Err(BarrierWaitError::TimedOut) => {
                    timeouts.fetch_add(1, Relaxed);
                }
                Err(error) => unreachable!("nobody panicked: {error}"),
            }
        }
    });
    assert_eq!(leaders, 2_000);
    assert!(timeouts.into_inner() > 0, "no timeout was exercised");
}

/// Refused arrivals change nothing: 2^20 + 1 timed waits on a broken barrier (more than the count
/// field holds), each `Err(Broken)`, leave the participant count as it was.
#[test]
fn refused_arrivals_change_nothing() {
    use syncpoint::BarrierWaitError;
    let barrier = Barrier::new(2);
    let _ = std::panic::catch_unwind(|| {
        let _guard = barrier.panic_guard();
        panic!("break it");
    });
    for _ in 0..(1 << 20) + 1 {
        assert_eq!(
            barrier.wait_timeout(std::time::Duration::MAX),
            Err(BarrierWaitError::Broken)
        );
    }
    assert_eq!(barrier.participants(), 2);
}

/// `wait`, `arrive`, `wait_timeout` and `arrive_and_drop` called from within the barrier's own
/// completion panic (the completion would otherwise wait for itself) and break the barrier, on a
/// barrier of one and on one of two, whose other participant then panics instead of hanging.
#[test]
fn a_completion_that_calls_its_own_barrier_panics() {
    use std::sync::{Arc, OnceLock};
    type Boxed = Barrier<Box<dyn Fn() + Send + Sync>>;
    type Shared = Arc<OnceLock<Boxed>>;
    type Call = (&'static str, fn(&Boxed));
    let calls: [Call; 4] = [
        ("Barrier::wait", |b| {
            b.wait();
        }),
        ("Barrier::arrive", |b| {
            let _ = b.arrive();
        }),
        ("Barrier::wait_timeout", |b| {
            let _ = b.wait_timeout(std::time::Duration::from_secs(1));
        }),
        ("Barrier::arrive_and_drop", |b| {
            b.arrive_and_drop();
        }),
    ];
    for (name, call) in calls {
        for n in [1, 2] {
            let cell: Shared = Arc::new(OnceLock::new());
            let inner = cell.clone();
            let completion: Box<dyn Fn() + Send + Sync> =
                Box::new(move || call(inner.get().unwrap()));
            assert!(cell.set(Barrier::with_completion(n, completion)).is_ok());
            let barrier = cell.get().unwrap();
            let messages: Vec<String> = thread::scope(|s| {
                let handles: Vec<_> = (0..n).map(|_| s.spawn(|| barrier.wait())).collect();
                handles
                    .into_iter()
                    .map(|h| panic_message(h.join().expect_err("every wait panics")))
                    .collect()
            });
            let expected = format!("{name}: called from within this barrier's own completion");
            assert_eq!(
                messages.iter().filter(|m| m.starts_with(&expected)).count(),
                1,
                "{messages:?}"
            );
            assert!(barrier.is_broken(), "{name}, {n}");
            assert_eq!(
                barrier.participants(),
                n,
                "{name}: a refused call changed the barrier"
            );
        }
    }
}

/// A timed waiter whose episode completed gets `Ok` even when the barrier breaks right after:
/// the other participant passes (so the episode was released) and then breaks the barrier,
/// before or after the timed waiter looks.
#[test]
fn a_completed_timed_wait_is_ok_after_a_break() {
    for _ in 0..50 {
        let barrier = Barrier::new(2);
        let timed = thread::scope(|s| {
            let timed = s.spawn(|| barrier.wait_timeout(std::time::Duration::from_secs(60)));
            barrier.wait();
            let _ = std::panic::catch_unwind(|| {
                let _guard = barrier.panic_guard();
                panic!("break it after the episode");
            });
            timed.join().unwrap()
        });
        assert!(timed.is_ok(), "{timed:?}");
        assert!(barrier.is_broken());
    }
}

/// `wait_until` withdraws at its deadline like `wait_timeout`, and passes when the others come.
#[test]
fn wait_until_withdraws() {
    use std::time::{Duration, Instant};
    use syncpoint::BarrierWaitError;
    let barrier = Barrier::new(2);
    let start = Instant::now();
    let deadline = start + Duration::from_millis(20);
    assert_eq!(
        barrier.wait_until(deadline),
        Err(BarrierWaitError::TimedOut)
    );
    assert!(Instant::now() >= deadline, "returned before its deadline");
    assert_eq!(
        barrier.wait_until(start),
        Err(BarrierWaitError::TimedOut),
        "a passed deadline"
    );
    thread::scope(|s| {
        s.spawn(|| barrier.wait());
        let result = barrier.wait_until(Instant::now() + Duration::from_secs(60));
        assert!(result.is_ok(), "{result:?}");
    });
}

/// `Arrival::wait_timeout` and `Arrival::wait_until` withdraw the arrival when the episode does
/// not complete in time (so the barrier still needs a full set), and return `Ok` when it does.
#[test]
fn arrival_timed_waits_withdraw_or_pass() {
    use std::time::{Duration, Instant};
    use syncpoint::BarrierWaitError;
    let barrier = Barrier::new(2);
    let start = Instant::now();
    assert_eq!(
        barrier.arrive().wait_timeout(Duration::from_millis(20)),
        Err(BarrierWaitError::TimedOut)
    );
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert_eq!(
        barrier.arrive().wait_until(Instant::now()),
        Err(BarrierWaitError::TimedOut)
    );
    // Both arrivals were withdrawn: one more arrival alone does not complete the episode.
    assert_eq!(
        barrier.wait_timeout(Duration::ZERO),
        Err(BarrierWaitError::TimedOut)
    );
    thread::scope(|s| {
        s.spawn(|| barrier.wait());
        let arrival = barrier.arrive();
        let result = arrival.wait_until(Instant::now() + Duration::from_secs(60));
        assert!(result.is_ok(), "{result:?}");
    });
    thread::scope(|s| {
        s.spawn(|| barrier.wait());
        let result = barrier.arrive().wait_timeout(Duration::from_secs(60));
        assert!(result.is_ok(), "{result:?}");
    });
}

/// The errors say what happened, for a caller that logs them with `{}`.
#[test]
fn wait_errors_describe_themselves() {
    assert_eq!(
        BarrierWaitError::TimedOut.to_string(),
        "the barrier wait timed out; the arrival was withdrawn"
    );
    assert_eq!(
        BarrierWaitError::Broken.to_string(),
        "the barrier is broken: a participant panicked, or it was broken on purpose"
    );
}

/// A thread beyond the participant count that leaves while the episode is full and another
/// thread runs its completion is not calling from the completion: its drop counts for the next
/// episode, as documented, and does not panic.
#[test]
fn a_drop_during_another_threads_completion_belongs_to_the_next_episode() {
    use std::sync::{mpsc, Mutex};
    let (started, started_rx) = mpsc::channel();
    let (go, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let barrier = Barrier::with_completion(2, move || {
        started.send(()).unwrap();
        // Bounded, so that a failing drop below fails the test instead of hanging it.
        let _ = go_rx
            .lock()
            .unwrap()
            .recv_timeout(std::time::Duration::from_secs(10));
    });
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| barrier.wait());
        }
        started_rx.recv().unwrap(); // the episode is full and its completion runs
        barrier.arrive_and_drop();
        go.send(()).unwrap();
    });
    assert_eq!(barrier.participants(), 1);
}

/// issue 23: `break_barrier` breaks a barrier on purpose, in both modes: every waiter returns
/// promptly (the timed ones with `Err(Broken)`, an untimed one by panicking), and every later
/// arrival is refused the same way; breaking twice changes nothing.
#[test]
fn break_barrier_returns_every_waiter_and_refuses_later_arrivals() {
    for fan_in in [None, Some(2)] {
        let barrier = in_mode(Barrier::new(6), fan_in);
        let started = Instant::now();
        thread::scope(|s| {
            let timed: Vec<_> = (0..3)
                .map(|_| s.spawn(|| barrier.wait_timeout(Duration::from_secs(600))))
                .collect();
            let split = s.spawn(|| {
                barrier
                    .arrive()
                    .wait_until(Instant::now() + Duration::from_secs(600))
            });
            let untimed = s.spawn(|| barrier.wait());
            thread::sleep(Duration::from_millis(20)); // five of six wait
            barrier.break_barrier();
            for waiter in timed {
                assert_eq!(
                    waiter.join().unwrap().unwrap_err(),
                    BarrierWaitError::Broken
                );
            }
            assert_eq!(split.join().unwrap().unwrap_err(), BarrierWaitError::Broken);
            assert!(untimed.join().is_err(), "the untimed waiter panics");
        });
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{fan_in:?}: returned by the break"
        );
        assert!(barrier.is_broken());
        barrier.break_barrier();
        assert_eq!(
            barrier.wait_timeout(Duration::ZERO).unwrap_err(),
            BarrierWaitError::Broken
        );
        let refused = std::panic::catch_unwind(|| barrier.wait()).unwrap_err();
        let message = refused.downcast_ref::<String>().unwrap();
        assert!(message.contains("broken on purpose"), "{message}");
    }
}

/// A break from within the completion: the episode being completed had all its arrivals, so it
/// is released (its participants pass together); the next episode is refused.
#[test]
fn break_barrier_from_the_completion_releases_that_episode_and_breaks_the_next() {
    static BARRIER: std::sync::OnceLock<Barrier<fn()>> = std::sync::OnceLock::new();
    fn complete() {
        BARRIER.get().expect("made before any wait").break_barrier();
    }
    let barrier = BARRIER.get_or_init(|| Barrier::with_completion(2, complete as fn()));
    thread::scope(|s| {
        let other = s.spawn(|| barrier.wait_timeout(Duration::from_secs(600)));
        assert!(barrier.wait_timeout(Duration::from_secs(600)).is_ok());
        assert!(
            other.join().unwrap().is_ok(),
            "the completed episode is released"
        );
    });
    assert!(barrier.is_broken());
    assert_eq!(
        barrier.wait_timeout(Duration::from_secs(600)).unwrap_err(),
        BarrierWaitError::Broken
    );
}

/// issue 23: `add_participants` into an episode being counted: that episode now waits for the
/// newcomers too, with a single counter and with a tree (whose newcomers take slots at the root
/// in that episode, and are in its shape from the next). One thread, split phase: an episode
/// is complete exactly when its last arrival is counted.
#[test]
fn added_participants_take_part_in_the_episode_being_counted() {
    for fan_in in [None, Some(2)] {
        let barrier = Barrier::new(3);
        let barrier = in_mode(barrier, fan_in);
        for episode in 0..3u64 {
            let mut arrivals = vec![barrier.arrive()];
            if episode == 1 {
                assert_eq!(barrier.add_participants(2), 1, "{fan_in:?}");
            }
            let n = barrier.participants();
            arrivals.extend((1..n - 1).map(|_| barrier.arrive()));
            assert!(
                arrivals.iter().all(|a| !a.is_complete()),
                "{fan_in:?}: episode {episode} complete without its last arrival"
            );
            let last = barrier.arrive();
            assert!(last.is_complete(), "{fan_in:?}: episode {episode}");
            let leaders = arrivals
                .into_iter()
                .chain([last])
                .filter(|a| a.is_complete())
                .map(|a| a.wait().is_leader() as usize)
                .sum::<usize>();
            assert_eq!(leaders, 1, "{fan_in:?}");
        }
        assert_eq!(barrier.participants(), 5);
    }
}

/// issue 23: an addition from within the completion (the episode has all its arrivals) joins
/// the next episode, and says so; that episode then needs the newcomer too.
#[test]
fn participants_added_by_the_completion_join_the_next_episode() {
    use std::sync::{Arc, OnceLock};
    type Boxed = Barrier<Box<dyn Fn() + Send + Sync>>;
    for fan_in in [None, Some(2)] {
        let cell: Arc<OnceLock<Boxed>> = Arc::new(OnceLock::new());
        let first = Arc::new(AtomicUsize::new(usize::MAX));
        let completion: Box<dyn Fn() + Send + Sync> = {
            let (cell, first) = (cell.clone(), first.clone());
            Box::new(move || {
                if first.load(Relaxed) == usize::MAX {
                    let added = cell.get().unwrap().add_participants(1);
                    first.store(added as usize, Relaxed);
                }
            })
        };
        let barrier = Barrier::with_completion(3, completion);
        let barrier = in_mode(barrier, fan_in);
        assert!(cell.set(barrier).is_ok());
        let barrier = cell.get().unwrap();
        let episode0: Vec<_> = (0..3).map(|_| barrier.arrive()).collect();
        assert!(episode0.iter().all(|a| a.is_complete()), "{fan_in:?}");
        assert_eq!(first.load(Relaxed), 1, "{fan_in:?}: joins episode 1");
        assert_eq!(barrier.participants(), 4);
        let episode1: Vec<_> = (0..3).map(|_| barrier.arrive()).collect();
        assert!(episode1.iter().all(|a| !a.is_complete()), "{fan_in:?}");
        assert!(barrier.arrive().is_complete(), "{fan_in:?}");
    }
}

/// issue 23: refused additions panic with what was wrong and change nothing: beyond
/// `MAX_PARTICIPANTS`, on a broken barrier, on a barrier every participant has left.
#[test]
fn refused_additions_change_nothing() {
    let full = Barrier::new(Barrier::MAX_PARTICIPANTS - 1);
    for k in [2, usize::MAX] {
        let message = panic_of(|| full.add_participants(k));
        assert!(message.contains("MAX_PARTICIPANTS"), "{message}");
    }
    assert_eq!(full.add_participants(1), 0, "the last one fits");
    assert_eq!(full.participants(), Barrier::MAX_PARTICIPANTS);
    assert_eq!(full.add_participants(0), 0);

    let broken = Barrier::new(2);
    broken.break_barrier();
    let message = panic_of(|| broken.add_participants(1));
    assert!(message.contains("the barrier is broken"), "{message}");
    assert_eq!(broken.participants(), 2);

    let empty = Barrier::new(1);
    empty.arrive_and_drop();
    let message = panic_of(|| empty.add_participants(1));
    assert!(message.contains("every participant has left"), "{message}");
    assert_eq!(empty.participants(), 0);
}

/// issue 23: in tree mode a newcomer counted in a slot at the root that times out gives the
/// slot back: the next arrival takes it and completes the episode.
#[test]
fn a_withdrawn_newcomer_gives_its_root_slot_back() {
    let barrier = Barrier::new(3).with_fan_in(2);
    assert_eq!(barrier.add_participants(2), 0);
    let mut arrivals: Vec<_> = (0..3).map(|_| barrier.arrive()).collect(); // every leaf full
    assert_eq!(
        barrier.wait_timeout(Duration::from_millis(1)),
        Err(BarrierWaitError::TimedOut)
    );
    arrivals.push(barrier.arrive()); // a root slot
    assert!(arrivals.iter().all(|a| !a.is_complete()));
    assert!(
        barrier.arrive().is_complete(),
        "the slot was not given back"
    );
    assert!(arrivals.iter().all(|a| a.is_complete()));
}

/// issue 23: a team that grows while it runs: two threads loop on the barrier, two more are
/// added and spawned while the others are mid-loop, each newcomer told by `add_participants`
/// which episode it starts in. Every episode completes once, with one leader, and the
/// completion sees every participant's arrival.
#[test]
fn a_team_grows_while_it_runs() {
    const EPISODES: u64 = 2_000;
    for fan_in in [None, Some(2)] {
        let arrived = AtomicUsize::new(0);
        let expected = AtomicUsize::new(2);
        let completions = AtomicUsize::new(0);
        let barrier = Barrier::with_completion(2, || {
            // Relaxed: the barrier orders every arrival's increment before the completion.
            assert_eq!(
                arrived.swap(0, Relaxed),
                expected.load(Relaxed),
                "a missing arrival"
            );
            completions.fetch_add(1, Relaxed);
        });
        let barrier = in_mode(barrier, fan_in);
        let run = |from: u64| {
            for _ in from..EPISODES {
                arrived.fetch_add(1, Relaxed);
                barrier.wait();
            }
        };
        thread::scope(|s| {
            s.spawn(|| run(0));
            s.spawn(|| {
                for _ in 0..EPISODES / 4 {
                    arrived.fetch_add(1, Relaxed);
                    barrier.wait();
                }
                for _ in 0..2 {
                    // Between this thread's waits, so its own arrival is missing: the episode
                    // is still being counted, and the completion is told of the newcomer first.
                    expected.fetch_add(1, Relaxed);
                    let first = barrier.add_participants(1);
                    assert_eq!(first, EPISODES / 4, "{fan_in:?}");
                    s.spawn(move || run(first));
                }
                run(EPISODES / 4);
            });
        });
        assert_eq!(completions.load(Relaxed) as u64, EPISODES, "{fan_in:?}");
        assert_eq!(barrier.participants(), 4);
    }
}

/// A completion may wait at another barrier that is itself full and mid-completion on another
/// thread: that is not a call from within its own completion, so it waits the other episode out
/// and arrives in the next, instead of being refused. (cargo-mutants' two survivors, one real
/// fault: with one address for every barrier, this call was refused; issue 22.)
#[test]
fn a_completion_may_wait_at_another_barrier_mid_completion() {
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;
    let (started, started_rx) = mpsc::channel();
    let (go, go_rx) = mpsc::channel::<()>();
    let go_rx = std::sync::Mutex::new(go_rx);
    let held = AtomicBool::new(false);
    let inner = Barrier::with_completion(1, move || {
        if !held.swap(true, Relaxed) {
            // The first episode's completion holds it full until told. Bounded, so that a
            // failure elsewhere fails the test instead of hanging it.
            let _ = started.send(());
            let _ = go_rx.lock().unwrap().recv_timeout(Duration::from_secs(10));
        }
    });
    let calling = AtomicBool::new(false);
    let outer = Barrier::with_completion(1, || {
        calling.store(true, Relaxed);
        // `inner` is full: its completion runs on the other thread. This arrival is one too
        // many for that episode, waits it out, and leads the next.
        assert!(inner.wait().is_leader());
    });
    thread::scope(|s| {
        s.spawn(|| inner.wait());
        started_rx.recv().unwrap(); // `inner`'s completion runs
        s.spawn(|| {
            while !calling.load(Relaxed) {
                thread::yield_now();
            }
            // Let the outer completion's arrival reach `inner` while its episode is full.
            thread::sleep(Duration::from_millis(50));
            go.send(()).unwrap();
        });
        assert!(outer.wait().is_leader());
    });
    assert!(!inner.is_broken() && !outer.is_broken());
}
