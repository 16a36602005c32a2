//! The Little Book of Semaphores' two "non-solutions" of the reusable barrier (Little Book of Semaphores, 3.7),
//! written out on syncpoint's `Semaphore`, and tests that loom finds how each one fails.
//!
//! Both are run by two threads for two episodes. Before each wait a thread stores its episode
//! number in its slot; after the wait it asserts that the other thread's slot has reached the same
//! episode. A correct barrier passes (see `classic.rs`); these do not.

use crate::loom_models::loom_finds;
use crate::Semaphore;
use loom::sync::atomic::{AtomicU32, Ordering::Relaxed};
use loom::sync::Arc;
use loom::thread;

const N: u32 = 2;

struct Shared {
    mutex: Semaphore,
    turnstile: Semaphore,
    /// The book's shared `count`. Relaxed accesses: the non-solutions read it outside the mutex,
    /// which is exactly their bug, and loom explores every value such a read may return.
    count: AtomicU32,
    slots: [AtomicU32; 2],
}

impl Shared {
    fn new() -> Shared {
        Shared {
            mutex: Semaphore::new(1),
            turnstile: Semaphore::new(0),
            count: AtomicU32::new(0),
            slots: [AtomicU32::new(0), AtomicU32::new(0)],
        }
    }
}

/// Runs `barrier` as the wait of two threads over two episodes, checking that nobody passes
/// early.
fn two_threads_two_episodes(barrier: fn(&Shared)) {
    let shared = Arc::new(Shared::new());
    let run = {
        let shared = shared.clone();
        move |me: usize| {
            for episode in 1..=2 {
                shared.slots[me].store(episode, Relaxed);
                barrier(&shared);
                assert!(
                    shared.slots[1 - me].load(Relaxed) >= episode,
                    "thread {me} passed episode {episode} before the other arrived"
                );
            }
        }
    };
    let other = {
        let run = run.clone();
        thread::spawn(move || run(1))
    };
    run(0);
    other.join().unwrap();
}

/// Non-solution #1: `count` is updated under the mutex but tested outside it. Two threads can
/// both see `count == n` and both signal, leaving an extra permit in the turnstile, or both see
/// `count == 0`; either way a later episode is let through early, or a thread blocks for ever.
fn non_solution_1(s: &Shared) {
    s.mutex.acquire().unwrap();
    s.count.store(s.count.load(Relaxed) + 1, Relaxed);
    s.mutex.release();

    if s.count.load(Relaxed) == N {
        s.turnstile.release();
    }
    s.turnstile.acquire().unwrap();
    s.turnstile.release();

    // critical point

    s.mutex.acquire().unwrap();
    s.count.store(s.count.load(Relaxed) - 1, Relaxed);
    s.mutex.release();

    if s.count.load(Relaxed) == 0 {
        s.turnstile.acquire().unwrap();
    }
}

/// Non-solution #2: both tests under the mutex, but one turnstile. A thread that leaves the
/// critical point first decrements, loops, increments to `n` again and signals the still-open
/// turnstile: it laps the other thread and passes the next episode alone.
fn non_solution_2(s: &Shared) {
    s.mutex.acquire().unwrap();
    let count = s.count.load(Relaxed) + 1;
    s.count.store(count, Relaxed);
    if count == N {
        s.turnstile.release();
    }
    s.mutex.release();

    s.turnstile.acquire().unwrap();
    s.turnstile.release();

    // critical point

    s.mutex.acquire().unwrap();
    let count = s.count.load(Relaxed) - 1;
    s.count.store(count, Relaxed);
    if count == 0 {
        s.turnstile.acquire().unwrap();
    }
    s.mutex.release();
}

loom_finds! {
    fn loom_finds_non_solution_1_failure(preemptions: 2, expect: ["passed episode", "deadlock"]) {
        two_threads_two_episodes(non_solution_1)
    }
}

loom_finds! {
    fn loom_finds_non_solution_2_lapping(preemptions: 2, expect: ["passed episode 2"]) {
        two_threads_two_episodes(non_solution_2)
    }
}

loom_finds! {
    /// The book's first rendezvous mistake, both threads waiting before signalling: each waits
    /// for the other's signal, which never comes.
    fn loom_finds_wait_first_rendezvous_deadlock(preemptions: 1, expect: ["deadlock"]) {
        let (a_done, b_done) = (Arc::new(Semaphore::new(0)), Arc::new(Semaphore::new(0)));
        let a = {
            let (a_done, b_done) = (a_done.clone(), b_done.clone());
            thread::spawn(move || {
                b_done.acquire().unwrap();
                a_done.release();
            })
        };
        a_done.acquire().unwrap();
        b_done.release();
        a.join().unwrap();
    }
}

loom_finds! {
    /// The book's turnstile without the signal after the wait: the last arrival's one signal
    /// lets one thread through and the rest block for ever.
    fn loom_finds_turnstile_without_resignal_deadlock(preemptions: 1, expect: ["deadlock"]) {
        let s = Arc::new(Shared::new());
        let run = {
            let s = s.clone();
            move || {
                s.mutex.acquire().unwrap();
                let count = s.count.load(Relaxed) + 1;
                s.count.store(count, Relaxed);
                s.mutex.release();
                if count == N {
                    s.turnstile.release();
                }
                s.turnstile.acquire().unwrap(); // and no s.turnstile.release()
            }
        };
        let other = {
            let run = run.clone();
            thread::spawn(run)
        };
        run();
        other.join().unwrap();
    }
}
