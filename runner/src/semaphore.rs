//! The semaphore workloads, shared by the runner's semaphore mode and the criterion bench:
//! a thread pool's "work available" herd and the Little Book of Semaphores' rendezvous.

use crate::contenders::Sem;
use crate::threads::{run_on_threads, Pinning, Usage};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};

/// How far apart the herd's producer releases its permits: a spin, so that the consumers are
/// asleep again before the next item, as workers between jobs are.
pub const ITEM_SPACING: Duration = Duration::from_micros(20);

/// One herd run: one producer releases `batch` permits at a time (one release of `batch` where
/// the semaphore has one, else `batch` releases), one item each, [`ITEM_SPACING`] apart per item,
/// to `consumers` threads asleep in `acquire`; `items` is a multiple of `batch`. Returns the wall
/// time from the first release to the last item taken, and what the process used meanwhile (the
/// producer's spin included). Thread 0 is the producer; `pinning` places the producer and the
/// consumers.
pub fn herd<S: Sem>(
    consumers: usize,
    items: u64,
    batch: u32,
    pinning: &Pinning,
) -> (Duration, Option<Usage>) {
    let sem = S::new(0);
    let taken = AtomicU64::new(0);
    thread::scope(|s| {
        for me in 1..=consumers {
            let (sem, taken) = (&sem, &taken);
            s.spawn(move || {
                pinning.pin(me);
                loop {
                    sem.acquire();
                    // Past `items`: the permits released below to let the consumers go.
                    if taken.fetch_add(1, Relaxed) >= items {
                        break;
                    }
                }
            });
        }
        let producer = s.spawn(|| {
            pinning.pin(0);
            // Let every consumer reach its sleep before the first item.
            thread::sleep(Duration::from_millis(20));
            let (start, before) = (Instant::now(), Usage::now());
            for _ in 0..items / u64::from(batch) {
                let released = Instant::now();
                sem.release_many(batch);
                while released.elapsed() < ITEM_SPACING * batch {
                    std::hint::spin_loop();
                }
            }
            while taken.load(Relaxed) < items {
                thread::yield_now();
            }
            let wall = start.elapsed();
            let used = Usage::now()
                .zip(before)
                .map(|(after, before)| after.since(before));
            for _ in 0..consumers {
                sem.release();
            }
            (wall, used)
        });
        producer.join().expect("the producer panicked")
    })
}

/// `rounds` rendezvous (Little Book of Semaphores, 3.3) of two threads on two semaphores: each
/// round is one round trip. Returns thread 0's time.
pub fn rendezvous<S: Sem>(rounds: u64, pinning: &Pinning) -> Duration {
    let (a_done, b_done) = (S::new(0), S::new(0));
    run_on_threads(2, pinning, |me| {
        for _ in 0..rounds {
            if me == 0 {
                a_done.release();
                b_done.acquire();
            } else {
                b_done.release();
                a_done.acquire();
            }
        }
    })
}
