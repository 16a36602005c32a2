//! A small fork-join pool built from syncpoint's barrier and semaphore: how to embed them, not a
//! general-purpose pool.
//!
//! - **Fork**: the caller queues one share of a range per worker and releases that many permits
//!   of the job semaphore; an idle worker sleeps in `Semaphore::acquire` until it takes one.
//! - **Parallel for, then a reduction**: each worker sums its share into its own cache-padded
//!   slot and waits at the barrier; the barrier's completion, run once by the last arrival before
//!   anyone is released, adds the slots up. The caller is a participant too: its wait is the
//!   join, and the total is visible to it when the wait returns. A worker that has arrived cannot
//!   take a second permit before every other worker has taken its own and arrived, so each job
//!   gives every worker exactly one share.
//! - **Growing**: a new worker is added to the barrier with `add_participants`, between two jobs;
//!   it takes part from the next one.
//! - **Shrinking**: a worker told to leave calls `arrive_and_drop`; that counts as its arrival in
//!   the next job's episode, and the barrier expects one participant fewer from then on.
//! - **Shutting down**: `Semaphore::close` returns every idle worker from `acquire` with an
//!   error, and each leaves the barrier. A job that does not finish within the watchdog's time
//!   (`Err(TimedOut)` at the join) is cancelled with `Barrier::break_barrier`: the workers
//!   waiting at the join return with `Err(Broken)` instead of waiting for the stuck one.
//! - **Failure**: every worker holds a `panic_guard` for its whole life. A task that panics
//!   breaks the barrier, and the join returns `Err(Broken)` instead of hanging.
//!
//! ```text
//! cargo run --release --example thread_pool -- --workers 4 --items 1000000
//! ```

use clap::Parser;
use crossbeam_utils::CachePadded;
use std::collections::VecDeque;
use std::ops::Range;
use std::panic;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use syncpoint::{Barrier, BarrierWaitError, Semaphore};

/// The task: one value per index, summed by the pool.
type Task = Arc<dyn Fn(usize) -> f64 + Send + Sync>;

/// What a worker takes from the queue, one per permit.
enum Message {
    /// Sum the task over this range into slot `slot`, then wait at the barrier.
    Sum {
        slot: usize,
        range: Range<usize>,
        task: Task,
    },
    /// Leave the pool.
    Leave,
}

/// Why a job failed.
#[derive(Debug, PartialEq, Eq)]
enum PoolError {
    /// The barrier is broken: a task panicked, or a stuck job was cancelled. The pool must be
    /// rebuilt.
    Broken,
    /// The job did not finish within the watchdog's time.
    Stuck,
}

/// Why a worker stopped.
#[derive(Debug, PartialEq, Eq)]
enum Exit {
    /// Told to leave (`shrink`).
    Left,
    /// The job semaphore was closed (`shutdown`).
    Closed,
    /// The barrier broke while it waited at the join.
    Broken,
    /// Its task panicked.
    Panicked,
}

/// Tells the pool, when dropped (also in a panic), that worker `.1` has stopped.
struct Stopped(Sender<usize>, usize);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

/// What the caller and every worker share.
struct Shared {
    /// One permit per queued message.
    work: Semaphore,
    queue: Mutex<VecDeque<Message>>,
    /// The join and the reduction: the workers and the caller. The completion's type is named
    /// (boxed) so that the pool can hold the barrier in a field.
    barrier: Barrier<Box<dyn Fn() + Send + Sync>>,
    /// One slot per share, each on its own cache line: the workers write them at the same time,
    /// and unpadded they would share lines (false sharing).
    slots: Arc<Vec<CachePadded<AtomicU64>>>,
    total: Arc<AtomicU64>,
}

struct Pool {
    shared: Arc<Shared>,
    /// Every worker ever started, by index; `None` once joined.
    workers: Vec<Option<JoinHandle<Exit>>>,
    /// The workers not yet stopped.
    live: usize,
    /// Each worker sends its index here when it stops, so that the pool joins the right thread.
    stopped: (Sender<usize>, Receiver<usize>),
    watchdog: Duration,
}

impl Pool {
    /// A pool of `workers` threads that can grow to `capacity`.
    fn new(workers: usize, capacity: usize, watchdog: Duration) -> Pool {
        let slots: Arc<Vec<CachePadded<AtomicU64>>> = Arc::new(
            (0..capacity)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
        );
        let total = Arc::new(AtomicU64::new(0));
        let reduce: Box<dyn Fn() + Send + Sync> = {
            let (slots, total) = (slots.clone(), total.clone());
            // Runs on the last arrival, after every worker's store, before anyone is released:
            // Relaxed is enough, the barrier orders it all.
            Box::new(move || {
                let sum: f64 = slots
                    .iter()
                    .map(|s| f64::from_bits(s.swap(0, Relaxed)))
                    .sum();
                total.store(sum.to_bits(), Relaxed);
            })
        };
        let mut pool = Pool {
            shared: Arc::new(Shared {
                work: Semaphore::new(0),
                queue: Mutex::new(VecDeque::new()),
                barrier: Barrier::with_completion(1, reduce),
                slots,
                total,
            }),
            workers: Vec::new(),
            live: 0,
            stopped: channel(),
            watchdog,
        };
        for _ in 0..workers {
            pool.grow();
        }
        pool
    }

    /// Adds a worker: it takes part from the next job.
    fn grow(&mut self) {
        assert!(
            self.workers() < self.shared.slots.len(),
            "the pool is at capacity"
        );
        // The caller has not arrived for the next job yet, so that job's episode is being
        // counted, and the newcomer takes part in it.
        self.shared.barrier.add_participants(1);
        let (shared, stopped) = (self.shared.clone(), self.stopped.0.clone());
        let me = self.workers.len();
        self.workers.push(Some(thread::spawn(move || {
            let _stopped = Stopped(stopped, me);
            work(&shared)
        })));
        self.live += 1;
    }

    /// Lets one worker go (whichever takes the message).
    fn shrink(&mut self) {
        self.send(vec![Message::Leave]);
        let exit = self.join_one();
        assert_eq!(exit, Exit::Left);
    }

    /// Stops every idle worker: the job semaphore closes, and each leaves the barrier. Returns
    /// how each one stopped.
    fn shutdown(&mut self) -> Vec<Exit> {
        self.shared.work.close();
        (0..self.workers()).map(|_| self.join_one()).collect()
    }

    /// Cancels a job that is stuck: the workers waiting at the join return, and the pool is
    /// broken. Then shuts down.
    fn cancel(&mut self) -> Vec<Exit> {
        self.shared.barrier.break_barrier();
        self.shutdown()
    }

    /// Waits for the next worker to stop and joins it.
    fn join_one(&mut self) -> Exit {
        let me = self.stopped.1.recv().expect("a worker stops");
        let worker = self.workers[me].take().expect("each worker stops once");
        self.live -= 1;
        worker.join().unwrap_or(Exit::Panicked)
    }

    /// Sums `task(i)` over `range` on the workers.
    fn sum(
        &self,
        range: Range<usize>,
        task: impl Fn(usize) -> f64 + Send + Sync + 'static,
    ) -> Result<f64, PoolError> {
        let task: Task = Arc::new(task);
        let (start, len, n) = (range.start, range.len(), self.workers());
        self.send(
            (0..n)
                .map(|slot| Message::Sum {
                    slot,
                    range: start + len * slot / n..start + len * (slot + 1) / n,
                    task: task.clone(),
                })
                .collect(),
        );
        // The join: returns when every worker has stored its sum and the completion has added
        // them up.
        match self.shared.barrier.wait_timeout(self.watchdog) {
            Ok(_) => Ok(f64::from_bits(self.shared.total.load(Relaxed))),
            Err(BarrierWaitError::Broken) => Err(PoolError::Broken),
            // `BarrierWaitError` is `#[non_exhaustive]`: an error a later version adds is a
            // stuck join too.
            Err(BarrierWaitError::TimedOut | _) => Err(PoolError::Stuck),
        }
    }

    /// Queues `messages` and releases a permit for each.
    fn send(&self, messages: Vec<Message>) {
        let n = messages.len() as u32;
        self.shared.queue.lock().unwrap().extend(messages);
        self.shared.work.release_many(n);
    }

    fn workers(&self) -> usize {
        self.live
    }
}

/// A worker's life: take a message per permit until the job semaphore closes.
fn work(shared: &Shared) -> Exit {
    let barrier = &shared.barrier;
    // Held for the worker's whole life: a panic anywhere below breaks the barrier, so nobody
    // waits for this worker for ever.
    let _guard = barrier.panic_guard();
    loop {
        if shared.work.acquire().is_err() {
            // Closed: leave the barrier, so that it no longer counts this worker.
            barrier.arrive_and_drop();
            return Exit::Closed;
        }
        let message = shared.queue.lock().unwrap().pop_front();
        match message.expect("one message per permit") {
            Message::Sum { slot, range, task } => {
                let sum: f64 = range.map(|i| task(i)).sum();
                shared.slots[slot].store(sum.to_bits(), Relaxed);
                // An untimed wait that reports a broken barrier instead of panicking (a timeout
                // too large for a deadline waits for ever).
                if barrier.wait_timeout(Duration::MAX).is_err() {
                    return Exit::Broken;
                }
            }
            Message::Leave => {
                // This worker's arrival in the next job's episode; from the one after, the
                // barrier expects one participant fewer.
                barrier.arrive_and_drop();
                return Exit::Left;
            }
        }
    }
}

/// A fork-join pool around a syncpoint Barrier and Semaphore: sums a range while the pool grows
/// from 2 workers to --workers and shrinks to 1, shuts it down, then shows a panicking task and
/// a stuck one reported as errors instead of hangs.
#[derive(Parser)]
#[command(name = "thread_pool", version)]
struct Args {
    /// The most worker threads the pool grows to (at least 2)
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(2..))]
    workers: u32,
    /// Items summed per job
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u32).range(1..))]
    items: u32,
}

fn main() {
    let args = Args::parse();
    let (most, items) = (args.workers as usize, args.items as usize);
    // Integer-valued terms below 2^53 add exactly in any order, so the pool's sum must equal the
    // serial one bit for bit.
    let term = |i: usize| (i % 1000) as f64;
    let expected: f64 = (0..items).map(term).sum();
    let check = |pool: &Pool| {
        let sum = pool.sum(0..items, term).expect("no task fails");
        assert_eq!(sum, expected, "{} workers", pool.workers());
        println!(
            "workers: {}, sum: {sum} (matches the serial sum)",
            pool.workers()
        );
    };

    let watchdog = Duration::from_secs(60);
    let mut pool = Pool::new(2, most, watchdog);
    check(&pool);
    while pool.workers() < most {
        pool.grow();
        check(&pool);
    }
    while pool.workers() > 1 {
        pool.shrink();
        check(&pool);
    }
    let exits = pool.shutdown();
    assert_eq!(exits, [Exit::Closed]);
    assert_eq!(
        pool.shared.barrier.participants(),
        1,
        "only the caller is left"
    );
    println!("shut down: the last worker returned from acquire with the closed error");

    println!("a task that panics (its message below is expected):");
    // One line for the task's panic, no backtrace.
    let reported = Arc::new(AtomicBool::new(false));
    panic::set_hook(Box::new({
        let reported = reported.clone();
        move |info| {
            if !reported.swap(true, Relaxed) {
                eprintln!("  {info}");
            }
        }
    }));
    let mut pool = Pool::new(most, most, watchdog);
    let failed = pool.sum(0..items, move |i| {
        if i == items / 2 {
            panic!("task failed on item {i}");
        }
        term(i)
    });
    assert_eq!(failed, Err(PoolError::Broken));
    println!("the pool reported {failed:?} instead of hanging");
    assert_eq!(pool.sum(0..items, term), Err(PoolError::Broken));
    println!("and reports it again for the next job: a broken pool stays broken");
    drop(panic::take_hook());
    // The worker whose task panicked is gone. The others left the broken barrier, or (started
    // too late to take a share before the shutdown) returned from `acquire` closed.
    let exits = pool.shutdown();
    assert_eq!(exits.iter().filter(|e| **e == Exit::Panicked).count(), 1);
    assert!(
        exits
            .iter()
            .all(|e| matches!(e, Exit::Panicked | Exit::Broken | Exit::Closed)),
        "{exits:?}"
    );
    println!("shut down: {}", summary(&exits));

    // A task stuck until it is let go: the watchdog reports it, and the pool cancels the job.
    let mut pool = Pool::new(most, most, Duration::from_millis(200));
    let let_go = Arc::new(AtomicBool::new(false));
    let stuck = pool.sum(0..items, {
        let let_go = let_go.clone();
        move |i| {
            while i == 0 && !let_go.load(Relaxed) {
                thread::sleep(Duration::from_millis(1));
            }
            term(i)
        }
    });
    assert_eq!(stuck, Err(PoolError::Stuck));
    println!("a stuck job: {stuck:?} after the watchdog's 200 ms");
    let_go.store(true, Relaxed); // the stuck task finishes and finds the barrier broken
    let exits = pool.cancel();
    assert_eq!(exits.len(), most);
    // The ones at the join, and the stuck one once let go, found the barrier broken; one that
    // had not taken its share yet (on a busy machine) found the semaphore closed.
    assert!(exits.contains(&Exit::Broken), "{exits:?}");
    assert!(
        exits
            .iter()
            .all(|e| matches!(e, Exit::Broken | Exit::Closed)),
        "{exits:?}"
    );
    println!("cancelled with break_barrier: {}", summary(&exits));
}

/// How many workers stopped which way.
fn summary(exits: &[Exit]) -> String {
    let count = |exit: Exit| exits.iter().filter(|e| **e == exit).count();
    format!(
        "{} returned from the join with Err(Broken), {} from acquire closed, {} panicked",
        count(Exit::Broken),
        count(Exit::Closed),
        count(Exit::Panicked)
    )
}
