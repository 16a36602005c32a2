//! loom models of `Barrier`, inside the crate (`cfg(all(loom, test))`), so that they reach its
//! internals (breaking the barrier, reading its count) without a test hook in the public API.

use crate::loom_models::{check, on_two_threads};
use crate::{Barrier, BarrierWaitError};
use loom::sync::atomic::{AtomicU32, Ordering::Relaxed};
use loom::sync::Arc;
use loom::thread;
use std::time::Duration;

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
///
/// One preemption: the lagging leader needs only the first leader preempted between its reset and
/// its release. Two take minutes (the release line's 64-bit counter adds loads that loom explores);
/// `LOOM_MAX_PREEMPTIONS=2` runs them.
#[test]
fn two_pairs_on_four_threads() {
    episodes(2, 4, 1, 1);
}

/// Withdrawal racing the last arrival: two threads call `wait_timeout` on a barrier of two (under
/// loom a timed sleep expires at once, so both try to withdraw). Each either passes or is
/// withdrawn, never both: they pass together or are withdrawn together, a pass sees the other's
/// write, and afterwards the barrier is empty (a lone arrival times out again).
#[test]
fn withdrawal_races_the_last_arrival() {
    check(3, || {
        let barrier = Arc::new(Barrier::new(2));
        let slots = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
        let run = {
            let (barrier, slots) = (barrier.clone(), slots.clone());
            move |me: usize| {
                slots[me].store(1, Relaxed);
                let result = barrier.wait_timeout(Duration::from_secs(1));
                if result.is_ok() {
                    assert_eq!(slots[1 - me].load(Relaxed), 1, "passed without the other");
                }
                result
            }
        };
        match on_two_threads(run) {
            (Ok(a), Ok(b)) => assert!(a.is_leader() != b.is_leader(), "one leader"),
            (Err(BarrierWaitError::TimedOut), Err(BarrierWaitError::TimedOut)) => {}
            outcome => panic!("one passed and the other was withdrawn: {outcome:?}"),
        }
        assert_eq!(
            barrier.wait_timeout(Duration::from_secs(1)),
            Err(BarrierWaitError::TimedOut),
            "a withdrawn arrival was left counted"
        );
    });
}

/// The completion sees every arrival's write, and every waiter sees the completion's write:
/// two threads, two episodes, the completion sums the slots into `total`.
#[test]
fn completion_visibility() {
    check(3, || {
        let slots = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
        let total = Arc::new(AtomicU32::new(0));
        let barrier = {
            let (slots, total) = (slots.clone(), total.clone());
            Arc::new(Barrier::with_completion(2, move || {
                let sum = slots[0].load(Relaxed) + slots[1].load(Relaxed);
                total.store(sum, Relaxed);
            }))
        };
        let run = {
            let (barrier, slots, total) = (barrier.clone(), slots.clone(), total.clone());
            move |me: usize| {
                for episode in 1..=2 {
                    slots[me].store(episode, Relaxed);
                    barrier.wait();
                    assert_eq!(total.load(Relaxed), 2 * episode, "stale completion");
                }
            }
        };
        on_two_threads(run);
    });
}

/// `arrive_and_drop` across two episodes: on a barrier of two, one thread waits twice, the other
/// writes and then leaves in the first episode. The first episode passes with the leaver's write
/// visible; the second needs only the stayer, who leads it.
#[test]
fn arrive_and_drop_across_two_episodes() {
    check(3, || {
        let completions = Arc::new(AtomicU32::new(0));
        let barrier = {
            let completions = completions.clone();
            Arc::new(Barrier::with_completion(2, move || {
                completions.fetch_add(1, Relaxed);
            }))
        };
        let written = Arc::new(AtomicU32::new(0));
        let leaver = {
            let (barrier, written) = (barrier.clone(), written.clone());
            thread::spawn(move || {
                written.store(1, Relaxed);
                barrier.arrive_and_drop().is_leader()
            })
        };
        let first = barrier.wait().is_leader();
        assert_eq!(
            written.load(Relaxed),
            1,
            "the leaver's write is not visible"
        );
        assert!(barrier.wait().is_leader(), "alone in the second episode");
        let leaver_led = leaver.join().unwrap();
        assert!(first != leaver_led, "one leader in the first episode");
        assert_eq!(completions.load(Relaxed), 2);
        assert_eq!(barrier.participants(), 1);
    });
}

/// Breaking while others sleep: one thread waits without a deadline (under loom it goes
/// straight to sleep), the other breaks the barrier. The waiter must wake and report it broken,
/// not sleep for ever.
///
/// loom cannot run a panicking thread's destructors (its model mutex poisons), so the model
/// breaks the barrier with `set_broken(false)`, the call a `PanicGuard` makes when dropped in a
/// panic, and waits with `wait_timeout(Duration::MAX)`, the untimed wait that reports a broken
/// barrier instead of panicking. tests/barrier.rs covers the guard and the panics themselves.
#[test]
fn breaking_wakes_the_sleepers() {
    check(3, || {
        let barrier = Arc::new(Barrier::new(2));
        let breaker = {
            let barrier = barrier.clone();
            thread::spawn(move || barrier.raw.set_broken(false))
        };
        assert_eq!(
            barrier.wait_timeout(Duration::MAX),
            Err(BarrierWaitError::Broken),
            "passed a barrier whose other participant broke it"
        );
        breaker.join().unwrap();
        assert!(barrier.is_broken());
    });
}

/// Consecutive completions do not race, even when the next episode's arrivals never waited for
/// the previous release (more threads than participants): two threads on a barrier of one, each
/// completion increments a counter with a plain load and store. The next leader's Acquire fence
/// synchronises with the previous leader's Release reset, which the next arrival read; without
/// it the second completion can read a stale count.
#[test]
fn consecutive_completions_do_not_race() {
    check(3, || {
        let runs = Arc::new(AtomicU32::new(0));
        let barrier = {
            let runs = runs.clone();
            Arc::new(Barrier::with_completion(1, move || {
                runs.store(runs.load(Relaxed) + 1, Relaxed);
            }))
        };
        let other = {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
            })
        };
        barrier.wait();
        other.join().unwrap();
        assert_eq!(
            runs.load(Relaxed),
            2,
            "a completion missed the previous one's write"
        );
    });
}

/// Split phase: each of two threads writes, arrives, and asks `is_complete` once before it
/// waits. A `true` answer must come with the other's write visible, as `wait` does.
#[test]
fn split_phase_is_complete_publishes() {
    check(3, || {
        let barrier = Arc::new(Barrier::new(2));
        let slots = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
        let run = {
            let (barrier, slots) = (barrier.clone(), slots.clone());
            move |me: usize| {
                slots[me].store(1, Relaxed);
                let arrival = barrier.arrive();
                if arrival.is_complete() {
                    assert_eq!(slots[1 - me].load(Relaxed), 1, "complete without the write");
                }
                let leader = arrival.wait().is_leader();
                assert_eq!(slots[1 - me].load(Relaxed), 1, "passed without the write");
                leader
            }
        };
        let (mine, theirs) = on_two_threads(run);
        assert!(mine != theirs, "one leader");
    });
}

/// Refused arrivals change nothing: on a barrier of one, one thread waits (and leads, or is
/// refused if the break came first) while the other breaks the barrier and then arrives (refused).
/// A refused arrival's count is taken back, also when it raced the other's reset (which erased it
/// already): afterwards no arrival is counted and the participant count is intact.
#[test]
fn refused_arrivals_leave_the_word_unchanged() {
    check(3, || {
        let barrier = Arc::new(Barrier::new(1));
        let other = {
            let barrier = barrier.clone();
            thread::spawn(move || barrier.wait_timeout(Duration::MAX).is_ok())
        };
        barrier.raw.set_broken(false);
        assert_eq!(
            barrier.wait_timeout(Duration::MAX),
            Err(BarrierWaitError::Broken),
            "an arrival on a broken barrier was not refused"
        );
        other.join().unwrap();
        assert_eq!(
            barrier.raw.arrive.word.load(Relaxed).count(),
            0,
            "a refused arrival was left counted"
        );
        assert_eq!(
            barrier.participants(),
            1,
            "a refused arrival changed the participants"
        );
    });
}

/// A timed waiter whose episode completed gets `Ok`, even if the barrier breaks right after, and
/// one whose episode did not complete never gets `Ok`: on a barrier of two, one thread waits with
/// a timeout (which under loom expires at its first sleep, so it tries to withdraw), one waits
/// without, and a third breaks the barrier. The two waiters pass together or neither passes.
#[test]
fn withdrawal_races_a_release_and_a_break() {
    check(3, || {
        let barrier = Arc::new(Barrier::new(2));
        let breaker = {
            let barrier = barrier.clone();
            thread::spawn(move || barrier.raw.set_broken(false))
        };
        let (timed, untimed) = on_two_threads({
            let barrier = barrier.clone();
            move |me| {
                let timeout = if me == 0 {
                    Duration::from_secs(1)
                } else {
                    Duration::MAX
                };
                barrier.wait_timeout(timeout)
            }
        });
        breaker.join().unwrap();
        assert_eq!(
            timed.is_ok(),
            untimed.is_ok(),
            "one passed and the other did not: {timed:?} {untimed:?}"
        );
        if let (Ok(a), Ok(b)) = (timed, untimed) {
            assert!(a.is_leader() != b.is_leader(), "one leader");
        }
    });
}

// The tree (issue 21): three participants on a fan-in of 2, the smallest tree with an inner
// node: leaves of 2 and 1, a node over both, the arrival word as the root.

/// Three threads on a barrier of three counted in a tree of fan-in 2, `episodes` episodes: each
/// writes its slot before each wait and must read every slot at that episode after it; one
/// leader per episode. The second episode reuses the nodes (each reset by its first arrival).
fn tree_episodes(episodes: u32, preemptions: usize) {
    check(preemptions, move || {
        let barrier = Arc::new(Barrier::new(3).with_fan_in(2));
        let slots: Arc<[AtomicU32; 3]> = Arc::new(Default::default());
        let leaders = Arc::new(AtomicU32::new(0));
        let run = {
            let (barrier, slots, leaders) = (barrier.clone(), slots.clone(), leaders.clone());
            move |me: usize| {
                for episode in 1..=episodes {
                    slots[me].store(episode, Relaxed);
                    if barrier.wait().is_leader() {
                        leaders.fetch_add(1, Relaxed);
                    }
                    for slot in slots.iter() {
                        assert!(slot.load(Relaxed) >= episode, "passed the tree early");
                    }
                }
            }
        };
        let others: Vec<_> = (1..3)
            .map(|me| {
                let run = run.clone();
                thread::spawn(move || run(me))
            })
            .collect();
        run(0);
        for other in others {
            other.join().unwrap();
        }
        assert_eq!(leaders.load(Relaxed), episodes, "one leader per episode");
    });
}

/// One episode: the arrivals combine (a leaf completes, its count climbs to the node, the node's
/// to the root), every write reaches the leader and through the release every waiter; a missing
/// wake of a leaf's sleepers, or an ordering too weak on a node, fails it.
#[test]
fn tree_three_threads_one_episode() {
    tree_episodes(1, 2);
}

/// Two counts reach the root in one episode: four participants on fan-in 3 (leaves of 3 and 1,
/// both at the top). Two threads play them: one waits, the other arrives three times (split
/// phase) before it waits on each arrival. Whichever count reaches the root second, its leader
/// takes in the other count's arrivals through that count's Release `fetch_add` at the root: the
/// completion, run before anyone is released, must see both writes, and so must both threads.
/// (Four threads would find the same in 400 s, not a second.)
#[test]
fn tree_two_counts_reach_the_root() {
    check(1, || {
        let slots: Arc<[AtomicU32; 2]> = Arc::new(Default::default());
        let seen_all = |slots: &[AtomicU32; 2]| slots.iter().all(|slot| slot.load(Relaxed) == 1);
        let barrier = Arc::new(
            Barrier::with_completion(4, {
                let slots = slots.clone();
                move || assert!(seen_all(&slots), "the leader missed a count's write")
            })
            .with_fan_in(3),
        );
        let other = thread::spawn({
            let (barrier, slots) = (barrier.clone(), slots.clone());
            move || {
                slots[1].store(1, Relaxed);
                barrier.wait();
                assert!(seen_all(&slots), "passed without the other count's write");
            }
        });
        slots[0].store(1, Relaxed);
        let arrivals: Vec<_> = (0..3).map(|_| barrier.arrive()).collect();
        for arrival in arrivals {
            arrival.wait();
        }
        assert!(seen_all(&slots), "passed without the other count's write");
        other.join().unwrap();
    });
}

/// Two episodes: the first arrival of the second resets each node it joins, in the same
/// exchange; the release sweeps the leaves' words where sleepers are marked. No preemption
/// beyond the blocking points (one takes over 15 minutes): the resets are what it is for.
#[test]
fn tree_three_threads_two_episodes() {
    tree_episodes(2, 0);
}

/// Withdrawals in the tree: on a barrier of three with fan-in 2, two threads wait with a timeout
/// (loom's timed sleep expires at once) while the third has not come: both land in the leaf of
/// two, whose count goes up to the node, so both are withdrawn off the root and give their slots
/// back to the leaf. Then three untimed waits must complete the episode, with one leader: two of
/// them refill the reopened leaf and count at the root directly.
#[test]
fn tree_withdrawals_reopen_their_leaf() {
    check(1, || {
        let barrier = Arc::new(Barrier::new(3).with_fan_in(2));
        let (a, b) = on_two_threads({
            let barrier = barrier.clone();
            move |_| barrier.wait_timeout(Duration::from_secs(1))
        });
        assert_eq!(
            (a, b),
            (
                Err(BarrierWaitError::TimedOut),
                Err(BarrierWaitError::TimedOut)
            ),
            "passed without the third participant"
        );
        let leaders = Arc::new(AtomicU32::new(0));
        let run = {
            let (barrier, leaders) = (barrier.clone(), leaders.clone());
            move || {
                if barrier.wait().is_leader() {
                    leaders.fetch_add(1, Relaxed);
                }
            }
        };
        let others: Vec<_> = (0..2)
            .map(|_| {
                let run = run.clone();
                thread::spawn(run)
            })
            .collect();
        run();
        for other in others {
            other.join().unwrap();
        }
        assert_eq!(leaders.load(Relaxed), 1, "one leader");
    });
}

/// A drop in the tree: on a barrier of three with fan-in 2, one thread leaves with
/// `arrive_and_drop` while two wait twice. The drop takes one arrival off the root and fills a
/// slot of the episode the root counts; the two then go on alone, the second episode's shape
/// (one leaf of two) fixed by the drop. One leader per episode, counting a drop that led.
#[test]
fn tree_drop_races_the_waiters() {
    check(1, || {
        let barrier = Arc::new(Barrier::new(3).with_fan_in(2));
        let leaders = Arc::new(AtomicU32::new(0));
        let leaver = {
            let (barrier, leaders) = (barrier.clone(), leaders.clone());
            thread::spawn(move || {
                if barrier.arrive_and_drop().is_leader() {
                    leaders.fetch_add(1, Relaxed);
                }
            })
        };
        let stayer = {
            let (barrier, leaders) = (barrier.clone(), leaders.clone());
            thread::spawn(move || {
                for _ in 0..2 {
                    if barrier.wait().is_leader() {
                        leaders.fetch_add(1, Relaxed);
                    }
                }
            })
        };
        for _ in 0..2 {
            if barrier.wait().is_leader() {
                leaders.fetch_add(1, Relaxed);
            }
        }
        leaver.join().unwrap();
        stayer.join().unwrap();
        assert_eq!(leaders.load(Relaxed), 2, "one leader per episode");
        assert_eq!(barrier.participants(), 2);
    });
}

/// Breaking a tree barrier wakes the sleepers of every leaf: two waiters on a barrier of three
/// with fan-in 2 (one in each leaf, or both in one), and a breaker; both report it broken
/// instead of sleeping for ever on their leaf's word.
#[test]
fn tree_breaking_wakes_every_leaf() {
    check(2, || {
        let barrier = Arc::new(Barrier::new(3).with_fan_in(2));
        let breaker = {
            let barrier = barrier.clone();
            thread::spawn(move || barrier.raw.set_broken(false))
        };
        let (a, b) = on_two_threads({
            let barrier = barrier.clone();
            move |_| barrier.wait_timeout(Duration::MAX)
        });
        breaker.join().unwrap();
        assert_eq!(
            (a, b),
            (Err(BarrierWaitError::Broken), Err(BarrierWaitError::Broken))
        );
    });
}

/// An addition races the last arrival (issue 23): on a barrier of two, two threads wait twice
/// while a third adds itself and then waits from the episode `add_participants` names to the
/// end of the second. An addition that lands while the last arrival of an episode completes it
/// belongs to the next episode, and the newcomer's arrival there must not complete the full one
/// a second time. One leader per episode, and nobody waits for ever.
#[test]
fn an_addition_races_the_last_arrival() {
    check(1, || {
        let barrier = Arc::new(Barrier::new(2));
        let leaders = Arc::new(AtomicU32::new(0));
        let wait = {
            let (barrier, leaders) = (barrier.clone(), leaders.clone());
            move |episodes: std::ops::Range<u64>| {
                for _ in episodes {
                    if barrier.wait().is_leader() {
                        leaders.fetch_add(1, Relaxed);
                    }
                }
            }
        };
        let newcomer = thread::spawn({
            let (barrier, wait) = (barrier.clone(), wait.clone());
            move || {
                let first = barrier.add_participants(1);
                wait(first..2);
            }
        });
        let other = thread::spawn({
            let wait = wait.clone();
            move || wait(0..2)
        });
        wait(0..2);
        newcomer.join().unwrap();
        other.join().unwrap();
        assert_eq!(leaders.load(Relaxed), 2, "one leader per episode");
        assert_eq!(barrier.participants(), 3);
    });
}

/// An addition in tree mode races the arrivals and the withdrawals (issue 23): on a barrier of
/// three with fan-in 2, one thread adds itself and waits with a timeout (loom's expires at once),
/// while this thread arrives twice, sees the addition counted, and waits with a timeout too.
/// The episode's shape has three slots, so one of the two timed arrivals may take the slot at
/// the root that the addition made, while the other's count is still on its way up. Both pass
/// (with four arrivals) or both are withdrawn, a withdrawn arrival gives back its slot, leaf or
/// root, and two more arrivals of this thread then complete the episode. One leader, and no
/// arrival passes before the fourth.
#[test]
fn tree_an_addition_races_the_arrivals_and_a_withdrawal() {
    check(1, || {
        let barrier = Arc::new(Barrier::new(3).with_fan_in(2));
        let timed = |barrier: &Barrier| barrier.wait_timeout(Duration::from_secs(1));
        let newcomer = thread::spawn({
            let barrier = barrier.clone();
            move || {
                assert_eq!(barrier.add_participants(1), 0, "the episode had room");
                timed(&barrier)
            }
        });
        let mut arrivals: Vec<_> = (0..2).map(|_| barrier.arrive()).collect();
        while barrier.participants() < 4 {
            thread::yield_now();
        }
        let mine = timed(&barrier);
        let mut leaders = match (mine, newcomer.join().unwrap()) {
            (Ok(a), Ok(b)) => u32::from(a.is_leader()) + u32::from(b.is_leader()),
            (Err(BarrierWaitError::TimedOut), Err(BarrierWaitError::TimedOut)) => {
                arrivals.push(barrier.arrive());
                assert!(
                    arrivals.iter().all(|a| !a.is_complete()),
                    "passed with three of four"
                );
                arrivals.push(barrier.arrive());
                0
            }
            outcome => panic!("one passed and the other was withdrawn: {outcome:?}"),
        };
        for arrival in arrivals {
            leaders += u32::from(arrival.wait().is_leader());
        }
        assert_eq!(leaders, 1, "one leader");
        assert_eq!(barrier.participants(), 4);
    });
}
