//! A 2D Jacobi heat-diffusion stencil, the classic HPC loop, with one barrier per sweep.
//!
//! An `n` x `n` plate whose top edge is held at 1.0 and the other edges at 0.0; each sweep
//! replaces every interior cell by the mean of its four neighbours. The interior rows are split
//! into one block per thread. Each thread keeps its block in private memory (with one ghost row
//! above and below), computes a sweep, publishes its first and last rows, and waits at the
//! barrier; then it copies its neighbours' published rows into its ghost rows. That is the halo
//! exchange of a distributed-memory code, done through shared memory: the barrier is the only
//! synchronisation.
//!
//! Three ways to synchronise the same loop:
//! - `std::sync::Barrier`;
//! - `syncpoint::Barrier`, a drop-in replacement;
//! - `syncpoint::Barrier` split phase: compute and publish the two edge rows, `arrive`, compute
//!   the interior rows while the neighbours catch up, then `Arrival::wait`.
//!
//! Every run is checked against a single-threaded run: the results must be identical bit for bit
//! (each cell is computed with the same operations in the same order).
//!
//! The example (`cargo run --release -p syncpoint-bench --example jacobi`) and the benchmark
//! runner's workload mode (`cargo run --release -p syncpoint-bench -- --workload`) run this same
//! kernel; see docs/hpc.md.

use crate::threads::Usage;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};
use syncpoint::Barrier;

/// How the threads synchronise at the end of each sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sync {
    /// `std::sync::Barrier::wait`.
    Std,
    /// `syncpoint::Barrier::wait`.
    Syncpoint,
    /// `syncpoint::Barrier::arrive` after the edge rows, `Arrival::wait` after the interior.
    SplitPhase,
}

impl Sync {
    /// The three, in the order they are reported.
    pub const ALL: [Sync; 3] = [Sync::Std, Sync::Syncpoint, Sync::SplitPhase];

    /// The name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Sync::Std => "std::sync::Barrier",
            Sync::Syncpoint => "syncpoint::Barrier",
            Sync::SplitPhase => "syncpoint split phase",
        }
    }
}

/// The plate before the first sweep: the top edge at 1.0, everything else at 0.0.
pub fn initial(n: usize) -> Vec<f64> {
    let mut grid = vec![0.0; n * n];
    grid[..n].fill(1.0);
    grid
}

/// One sweep of rows `rows` (local indices) from `cur` into `next`, both `width` wide (the
/// hybrid MPI job of `hybrid/` sweeps its slabs with it too).
#[inline]
pub fn sweep_rows(cur: &[f64], next: &mut [f64], width: usize, rows: std::ops::Range<usize>) {
    for r in rows {
        let (up, here, down) = (
            &cur[(r - 1) * width..r * width],
            &cur[r * width..(r + 1) * width],
            &cur[(r + 1) * width..(r + 2) * width],
        );
        let out = &mut next[r * width..(r + 1) * width];
        for j in 1..width - 1 {
            out[j] = 0.25 * (up[j] + down[j] + here[j - 1] + here[j + 1]);
        }
    }
}

/// The reference: `sweeps` sweeps on one thread.
pub fn serial(n: usize, sweeps: usize) -> Vec<f64> {
    let mut cur = initial(n);
    let mut next = cur.clone();
    for _ in 0..sweeps {
        sweep_rows(&cur, &mut next, n, 1..n - 1);
        std::mem::swap(&mut cur, &mut next);
    }
    cur
}

/// The rows a thread publishes for its neighbours, one set per sweep parity: a thread writes the
/// set of sweep `k` while its neighbours may still read the set of sweep `k - 1`.
struct Halo {
    first: [Vec<AtomicU64>; 2],
    last: [Vec<AtomicU64>; 2],
}

impl Halo {
    fn new(width: usize) -> Halo {
        let row = || (0..width).map(|_| AtomicU64::new(0)).collect::<Vec<_>>();
        Halo {
            first: [row(), row()],
            last: [row(), row()],
        }
    }
}

fn publish(slot: &[AtomicU64], row: &[f64]) {
    // Relaxed: the barrier orders these stores before the neighbour's loads.
    for (cell, value) in slot.iter().zip(row) {
        cell.store(value.to_bits(), Relaxed);
    }
}

fn fetch(slot: &[AtomicU64], row: &mut [f64]) {
    for (cell, value) in slot.iter().zip(row) {
        *value = f64::from_bits(cell.load(Relaxed));
    }
}

/// The first interior row of thread `t`'s block (global index); the block ends where thread
/// `t + 1`'s begins.
fn block_start(n: usize, threads: usize, t: usize) -> usize {
    1 + (n - 2) * t / threads
}

/// `sweeps` sweeps on `threads` threads synchronised by `sync`. Returns the final plate and the
/// time per sweep, measured by thread 0 from a common start to its return from the last barrier.
///
/// # Panics
///
/// Panics if there are fewer interior rows than threads.
pub fn parallel(n: usize, sweeps: usize, threads: usize, sync: Sync) -> (Vec<f64>, Duration) {
    let run = parallel_on(n, sweeps, threads, sync, &|_| {});
    (run.plate, run.per_sweep)
}

/// What [`parallel_on`] returns.
#[derive(Debug)]
pub struct Run {
    /// The final plate.
    pub plate: Vec<f64>,
    /// Thread 0's time per sweep, from the common start.
    pub per_sweep: Duration,
    /// What the threads used over their sweeps, summed (each thread's own, exact), where the
    /// OS reports it.
    pub used: Option<Usage>,
}

/// [`parallel`], with `place(t)` called on thread `t` before it starts (thread 0 is the
/// caller's): the runner pins its threads there. Also measures the process's use over the
/// sweeps.
///
/// # Panics
///
/// Panics if there are fewer interior rows than threads.
pub fn parallel_on(
    n: usize,
    sweeps: usize,
    threads: usize,
    sync: Sync,
    place: &(dyn Fn(usize) + std::marker::Sync),
) -> Run {
    assert!(threads >= 1, "at least one thread");
    assert!(
        n >= threads + 2,
        "a {n} x {n} plate has {} interior rows, fewer than {threads} threads",
        n.saturating_sub(2)
    );
    let grid = initial(n);
    let halos: Vec<Halo> = (0..threads).map(|_| Halo::new(n)).collect();
    let std_barrier = std::sync::Barrier::new(threads);
    let barrier = Barrier::new(threads);
    let start = std::sync::Barrier::new(threads);
    let mut result = vec![0.0; n * n];
    let mut elapsed = (Duration::ZERO, None);
    thread::scope(|s| {
        let work = |t: usize| {
            place(t);
            let (lo, hi) = (block_start(n, threads, t), block_start(n, threads, t + 1));
            let rows = hi - lo; // this block's rows, local 1..=rows; ghosts at 0 and rows + 1
            let mut cur = grid[(lo - 1) * n..(hi + 1) * n].to_vec();
            let mut next = cur.clone();
            let local = |r: usize| r * n..(r + 1) * n;
            start.wait();
            let before = Usage::thread_now();
            let began = Instant::now();
            for sweep in 0..sweeps {
                let parity = sweep % 2;
                // The edge rows first, so they can be published before the interior is done.
                sweep_rows(&cur, &mut next, n, 1..2);
                sweep_rows(&cur, &mut next, n, rows..rows + 1);
                publish(&halos[t].first[parity], &next[local(1)]);
                publish(&halos[t].last[parity], &next[local(rows)]);
                match sync {
                    Sync::Std => {
                        sweep_rows(&cur, &mut next, n, 2..rows);
                        std_barrier.wait();
                    }
                    Sync::Syncpoint => {
                        sweep_rows(&cur, &mut next, n, 2..rows);
                        barrier.wait();
                    }
                    Sync::SplitPhase => {
                        let arrival = barrier.arrive();
                        sweep_rows(&cur, &mut next, n, 2..rows);
                        arrival.wait();
                    }
                }
                // The neighbours' edge rows of this sweep become this block's ghost rows.
                if t > 0 {
                    fetch(&halos[t - 1].last[parity], &mut next[local(0)]);
                }
                if t + 1 < threads {
                    fetch(&halos[t + 1].first[parity], &mut next[local(rows + 1)]);
                }
                std::mem::swap(&mut cur, &mut next);
            }
            let elapsed = began.elapsed();
            let used = Usage::thread_now()
                .zip(before)
                .map(|(after, before)| after.since(before));
            (
                (elapsed, used),
                lo,
                cur[local(1).start..local(rows + 1).start].to_vec(),
            )
        };
        let others: Vec<_> = (1..threads).map(|t| s.spawn(move || work(t))).collect();
        let mut blocks = vec![work(0)];
        blocks.extend(
            others
                .into_iter()
                .map(|h| h.join().expect("a worker panicked")),
        );
        elapsed = (blocks[0].0 .0, Usage::total(blocks.iter().map(|b| b.0 .1)));
        // The fixed edges, then each block's rows.
        result.copy_from_slice(&grid);
        for (_, lo, rows) in blocks {
            result[lo * n..lo * n + rows.len()].copy_from_slice(&rows);
        }
    });
    Run {
        plate: result,
        per_sweep: elapsed.0 / sweeps.max(1) as u32,
        used: elapsed.1,
    }
}

/// The largest difference between two plates.
pub fn max_difference(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}
