//! A small fork-join pool built around one `syncpoint::Barrier`: how to embed it, not a
//! general-purpose pool.
//!
//! - **Fork**: the caller sends each worker its share of a range over a channel.
//! - **Parallel for, then a reduction**: each worker sums its share into its own cache-padded
//!   slot and waits at the barrier; the barrier's completion, run once by the last arrival before
//!   anyone is released, adds the slots up. The caller is a participant too: its `wait` is the
//!   join, and the total is visible to it when the wait returns.
//! - **Shrinking**: a worker told to leave calls `arrive_and_drop`; that counts as its arrival in
//!   the next job's episode, and the barrier expects one participant fewer from then on.
//! - **Failure**: every worker holds a `panic_guard` for its whole life. A task that panics
//!   breaks the barrier, the caller's `wait_timeout` returns `Err(Broken)` instead of hanging, and
//!   the pool reports the error. A worker that is stuck shows up as `Err(TimedOut)` (the watchdog).
//!
//! ```text
//! cargo run --release --example thread_pool -- --workers 4 --items 1000000
//! ```

use clap::Parser;
use crossbeam_utils::CachePadded;
use std::ops::Range;
use std::panic;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;
use syncpoint::{Barrier, BarrierWaitError};

/// The task: one value per index, summed by the pool.
type Task = Arc<dyn Fn(usize) -> f64 + Send + Sync>;

/// What the caller sends a worker.
enum Message {
    /// Sum the task over this range into your slot, then wait at the barrier.
    Sum(Range<usize>, Task),
    /// Leave the pool.
    Leave,
}

/// Why a job failed.
#[derive(Debug, PartialEq, Eq)]
enum PoolError {
    /// A task panicked; the pool is broken and must be rebuilt.
    TaskPanicked,
    /// The job did not finish within the watchdog's time.
    Stuck,
}

struct Worker {
    jobs: Sender<Message>,
    thread: JoinHandle<()>,
}

struct Pool {
    workers: Vec<Worker>,
    /// The join and the reduction: the workers and the caller. The completion's type is named
    /// (boxed) so that the pool can hold the barrier in a field.
    barrier: Arc<Barrier<Box<dyn Fn() + Send + Sync>>>,
    total: Arc<AtomicU64>,
    watchdog: Duration,
}

impl Pool {
    fn new(workers: usize, watchdog: Duration) -> Pool {
        // One slot per worker, each on its own cache line: the workers write them at the same
        // time, and unpadded they would share lines (false sharing).
        let slots: Arc<Vec<CachePadded<AtomicU64>>> = Arc::new(
            (0..workers)
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
        let barrier = Arc::new(Barrier::with_completion(workers + 1, reduce));
        let workers = (0..workers)
            .map(|me| {
                let (jobs, inbox) = channel::<Message>();
                let (barrier, slots) = (barrier.clone(), slots.clone());
                let thread = thread::spawn(move || {
                    // Held for the worker's whole life: a panic anywhere below breaks the
                    // barrier, so nobody waits for this worker for ever.
                    let _guard = barrier.panic_guard();
                    while let Ok(message) = inbox.recv() {
                        match message {
                            Message::Sum(range, task) => {
                                let sum: f64 = range.map(|i| task(i)).sum();
                                slots[me].store(sum.to_bits(), Relaxed);
                                barrier.wait();
                            }
                            Message::Leave => {
                                // This worker's arrival in the next episode; from the one after,
                                // the barrier expects one participant fewer.
                                barrier.arrive_and_drop();
                                return;
                            }
                        }
                    }
                });
                Worker { jobs, thread }
            })
            .collect();
        Pool {
            workers,
            barrier,
            total,
            watchdog,
        }
    }

    /// Sums `task(i)` over `range` on the workers.
    fn sum(
        &self,
        range: Range<usize>,
        task: impl Fn(usize) -> f64 + Send + Sync + 'static,
    ) -> Result<f64, PoolError> {
        let task: Task = Arc::new(task);
        let (start, len, n) = (range.start, range.len(), self.workers.len());
        for (w, worker) in self.workers.iter().enumerate() {
            let share = start + len * w / n..start + len * (w + 1) / n;
            if worker.jobs.send(Message::Sum(share, task.clone())).is_err() {
                return Err(PoolError::TaskPanicked); // the worker is gone: it panicked earlier
            }
        }
        // The join: returns when every worker has stored its sum and the completion has added
        // them up.
        match self.barrier.wait_timeout(self.watchdog) {
            Ok(_) => Ok(f64::from_bits(self.total.load(Relaxed))),
            Err(BarrierWaitError::Broken) => Err(PoolError::TaskPanicked),
            // `BarrierWaitError` is `#[non_exhaustive]`: an error a later version adds is a
            // stuck join too.
            Err(BarrierWaitError::TimedOut | _) => Err(PoolError::Stuck),
        }
    }

    /// Lets the last worker go.
    fn shrink(&mut self) {
        let worker = self.workers.pop().expect("the pool has no worker left");
        worker
            .jobs
            .send(Message::Leave)
            .expect("the worker is alive");
        worker
            .thread
            .join()
            .expect("a leaving worker does not panic");
    }

    fn workers(&self) -> usize {
        self.workers.len()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for worker in self.workers.drain(..) {
            drop(worker.jobs); // closes the channel: the worker's loop ends
                               // A worker that panicked (a failed task, or the broken barrier after one) has
                               // already reported it on stderr; joining only collects the thread.
            let _ = worker.thread.join();
        }
    }
}

/// A fork-join pool around one syncpoint Barrier: sums a range on every pool size from --workers
/// down to 1, then shows a panicking task reported as an error instead of a hang.
#[derive(Parser)]
#[command(name = "thread_pool", version)]
struct Args {
    /// Worker threads
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    workers: u32,
    /// Items summed per job
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u32).range(1..))]
    items: u32,
}

fn main() {
    let args = Args::parse();
    let (workers, items) = (args.workers as usize, args.items as usize);
    // Integer-valued terms below 2^53 add exactly in any order, so the pool's sum must equal the
    // serial one bit for bit.
    let term = |i: usize| (i % 1000) as f64;
    let expected: f64 = (0..items).map(term).sum();

    let mut pool = Pool::new(workers, Duration::from_secs(60));
    while pool.workers() > 0 {
        let sum = pool.sum(0..items, term).expect("no task fails");
        assert_eq!(sum, expected, "{} workers", pool.workers());
        println!(
            "workers: {}, sum: {sum} (matches the serial sum)",
            pool.workers()
        );
        if pool.workers() == 1 {
            break;
        }
        pool.shrink();
    }

    let pool = Pool::new(workers, Duration::from_secs(60));
    println!("a task that panics (its message below is expected):");
    // One line for the task's panic, no backtrace; the workers that the broken barrier then
    // panics in turn are the pool's business, reported below as one error.
    let reported = AtomicBool::new(false);
    panic::set_hook(Box::new(move |info| {
        if !reported.swap(true, Relaxed) {
            eprintln!("  {info}");
        }
    }));
    let failed = pool.sum(0..items, move |i| {
        if i == items / 2 {
            panic!("task failed on item {i}");
        }
        term(i)
    });
    assert_eq!(failed, Err(PoolError::TaskPanicked));
    println!("the pool reported {failed:?} instead of hanging");
    assert_eq!(pool.sum(0..items, term), Err(PoolError::TaskPanicked));
    println!("and reports it again for the next job: a broken pool stays broken");
    drop(pool); // joins the workers, whose panics the hook above keeps quiet
    drop(panic::take_hook());
}
