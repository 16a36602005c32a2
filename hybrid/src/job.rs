//! The MPI job: the layouts and ways of `main.rs`, run, checked and reported on rank 0.

use crate::{Args, Layout};
use mpi::collective::SystemOperation;
use mpi::topology::{Color, SimpleCommunicator};
use mpi::traits::*;
use mpi::Threading;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};
use syncpoint::{Barrier, WaitPolicy};
use syncpoint_bench::jacobi::{initial, sweep_rows};
use syncpoint_bench::threads::{median, Usage};

/// How the threads of a rank meet, and who exchanges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    /// One thread per rank: the rank exchanges after its sweep.
    Flat,
    /// `std::sync::Barrier`: wait, the leader exchanges, wait.
    Std,
    /// `syncpoint::Barrier`: one wait, the exchange in its completion.
    Syncpoint,
    /// `syncpoint::Barrier` split phase: arrive after the edge rows, the interior, wait.
    SplitPhase,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Flat => "flat MPI",
            Way::Std => "hybrid, std::sync::Barrier",
            Way::Syncpoint => "hybrid, syncpoint",
            Way::SplitPhase => "hybrid, syncpoint split phase",
        }
    }

    /// The ways a layout runs: flat MPI with one thread per rank, the three hybrids otherwise.
    fn of(layout: Layout) -> &'static [Way] {
        if layout.threads == 1 {
            &[Way::Flat]
        } else {
            &[Way::Std, Way::Syncpoint, Way::SplitPhase]
        }
    }
}

/// The plate and sweeps of every run.
#[derive(Clone, Copy)]
struct Problem {
    n: usize,
    sweeps: usize,
    residual_every: usize,
}

impl Problem {
    /// Whether the residual is reduced after sweep `sweep` (from 0): every `residual_every`
    /// sweeps, and after the last.
    fn reduces(self, sweep: usize) -> bool {
        (sweep + 1).is_multiple_of(self.residual_every) || sweep + 1 == self.sweeps
    }
}

/// The first interior row (global index) of block `i` of `blocks` over rows `lo..hi`.
fn block_start(lo: usize, hi: usize, blocks: usize, i: usize) -> usize {
    lo + (hi - lo) * i / blocks
}

/// The largest change of a cell in rows `rows` (local indices) between two sweeps.
fn residual(cur: &[f64], next: &[f64], width: usize, rows: std::ops::Range<usize>) -> f64 {
    rows.flat_map(|r| (r * width + 1..(r + 1) * width - 1).map(move |i| (next[i] - cur[i]).abs()))
        .fold(0.0, f64::max)
}

/// The reference: the plate after `sweeps` sweeps on one thread, and the residual of the last.
fn serial(p: Problem) -> (Vec<f64>, f64) {
    let mut cur = initial(p.n);
    let mut next = cur.clone();
    let mut last = 0.0;
    for _ in 0..p.sweeps {
        sweep_rows(&cur, &mut next, p.n, 1..p.n - 1);
        last = residual(&cur, &next, p.n, 1..p.n - 1);
        std::mem::swap(&mut cur, &mut next);
    }
    (cur, last)
}

/// A row of f64 bits that one thread writes and others read after a barrier.
fn row(width: usize) -> Vec<AtomicU64> {
    (0..width).map(|_| AtomicU64::new(0)).collect()
}

fn publish(slot: &[AtomicU64], values: &[f64]) {
    // Relaxed: the barrier (or, for the exchange, the barrier's completion) orders these stores
    // before the readers' loads.
    for (cell, value) in slot.iter().zip(values) {
        cell.store(value.to_bits(), Relaxed);
    }
}

fn fetch(slot: &[AtomicU64], values: &mut [f64]) {
    for (cell, value) in slot.iter().zip(values) {
        *value = f64::from_bits(cell.load(Relaxed));
    }
}

/// What one rank's run returns.
struct RankRun {
    /// The rank's rows of the final plate, `lo..hi`.
    slab: Vec<f64>,
    lo: usize,
    /// The residual of the last sweep, reduced across the ranks.
    residual: f64,
    /// Thread 0's time over the sweeps.
    wall: Duration,
    /// The rank's CPU time over the run (every thread).
    cpu: Option<Duration>,
}

/// One run of `way` on this rank of `comm`, with `threads` threads; syncpoint's barrier waits
/// under `policy`.
fn run_rank(
    comm: &SimpleCommunicator,
    p: Problem,
    threads: usize,
    way: Way,
    policy: WaitPolicy,
) -> RankRun {
    let n = p.n;
    let (rank, ranks) = (comm.rank() as usize, comm.size() as usize);
    let (lo, hi) = (
        block_start(1, n - 1, ranks, rank),
        block_start(1, n - 1, ranks, rank + 1),
    );
    let up = (rank > 0).then(|| comm.process_at_rank(rank as i32 - 1));
    let down = (rank + 1 < ranks).then(|| comm.process_at_rank(rank as i32 + 1));
    let grid = initial(n);
    // Each thread's edge rows for its neighbours, per sweep parity (as in the runner's kernel).
    let firsts: Vec<[Vec<AtomicU64>; 2]> = (0..threads).map(|_| [row(n), row(n)]).collect();
    let lasts: Vec<[Vec<AtomicU64>; 2]> = (0..threads).map(|_| [row(n), row(n)]).collect();
    // The neighbour ranks' edge rows, received by the exchange, per sweep parity.
    let above = [row(n), row(n)];
    let below = [row(n), row(n)];
    let partial = (0..threads).map(|_| AtomicU64::new(0)).collect::<Vec<_>>();
    let reduced = AtomicU64::new(0);
    // The rank's part of sweep `sweep`: send its edge rows to the neighbour ranks and receive
    // theirs, and reduce the residual if due. One thread of the rank calls it, once per sweep.
    let exchange = |sweep: usize| {
        let parity = sweep % 2;
        let mut first = vec![0.0; n];
        let mut last = vec![0.0; n];
        fetch(&firsts[0][parity], &mut first);
        fetch(&lasts[threads - 1][parity], &mut last);
        let (mut from_up, mut from_down) = (vec![0.0; n], vec![0.0; n]);
        mpi::request::scope(|scope| {
            let mut requests = Vec::with_capacity(4);
            if let Some(up) = &up {
                requests.push(up.immediate_receive_into(scope, &mut from_up[..]));
                requests.push(up.immediate_send(scope, &first[..]));
            }
            if let Some(down) = &down {
                requests.push(down.immediate_receive_into(scope, &mut from_down[..]));
                requests.push(down.immediate_send(scope, &last[..]));
            }
            for request in requests {
                complete(request, policy);
            }
        });
        publish(&above[parity], &from_up);
        publish(&below[parity], &from_down);
        if p.reduces(sweep) {
            let local = partial
                .iter()
                .map(|r| f64::from_bits(r.load(Relaxed)))
                .fold(0.0, f64::max);
            let mut global = 0.0_f64;
            mpi::request::scope(|scope| {
                let request = comm.immediate_all_reduce_into(
                    scope,
                    &local,
                    &mut global,
                    SystemOperation::max(),
                );
                complete(request, policy);
            });
            reduced.store(global.to_bits(), Relaxed);
        }
    };
    // The completion counts the sweeps itself: it runs once per episode, one at a time.
    let episodes = AtomicUsize::new(0);
    let barrier = Barrier::with_completion(threads, || exchange(episodes.fetch_add(1, Relaxed)))
        .with_wait_policy(policy);
    let std_barrier = std::sync::Barrier::new(threads);
    let start = std::sync::Barrier::new(threads);
    let work = |t: usize| {
        let (tlo, thi) = (
            block_start(lo, hi, threads, t),
            block_start(lo, hi, threads, t + 1),
        );
        let rows = thi - tlo; // local rows 1..=rows; ghosts at 0 and rows + 1
        let mut cur = grid[(tlo - 1) * n..(thi + 1) * n].to_vec();
        let mut next = cur.clone();
        let local = |r: usize| r * n..(r + 1) * n;
        start.wait();
        let began = Instant::now();
        for sweep in 0..p.sweeps {
            let parity = sweep % 2;
            let reduces = p.reduces(sweep);
            sweep_rows(&cur, &mut next, n, 1..2);
            sweep_rows(&cur, &mut next, n, rows..rows + 1);
            publish(&firsts[t][parity], &next[local(1)]);
            publish(&lasts[t][parity], &next[local(rows)]);
            let interior = |next: &mut Vec<f64>| {
                sweep_rows(&cur, next, n, 2..rows);
                if reduces {
                    let r = residual(&cur, next, n, 1..rows + 1);
                    partial[t].store(r.to_bits(), Relaxed);
                }
            };
            match way {
                Way::Flat => {
                    interior(&mut next);
                    exchange(sweep);
                }
                Way::Std => {
                    interior(&mut next);
                    if std_barrier.wait().is_leader() {
                        exchange(sweep);
                    }
                    std_barrier.wait();
                }
                Way::Syncpoint => {
                    interior(&mut next);
                    barrier.wait();
                }
                Way::SplitPhase if reduces => {
                    interior(&mut next);
                    barrier.wait();
                }
                Way::SplitPhase => {
                    let arrival = barrier.arrive();
                    interior(&mut next);
                    arrival.wait();
                }
            }
            // The ghost rows: a neighbour thread's edge row, or the neighbour rank's.
            if t > 0 {
                fetch(&lasts[t - 1][parity], &mut next[local(0)]);
            } else if up.is_some() {
                fetch(&above[parity], &mut next[local(0)]);
            }
            if t + 1 < threads {
                fetch(&firsts[t + 1][parity], &mut next[local(rows + 1)]);
            } else if down.is_some() {
                fetch(&below[parity], &mut next[local(rows + 1)]);
            }
            std::mem::swap(&mut cur, &mut next);
        }
        (
            began.elapsed(),
            cur[local(1).start..local(rows + 1).start].to_vec(),
        )
    };
    comm.barrier();
    let before = Usage::now();
    let (wall, blocks) = thread::scope(|s| {
        let others: Vec<_> = (1..threads).map(|t| s.spawn(move || work(t))).collect();
        let (wall, first) = work(0);
        let mut blocks = vec![first];
        blocks.extend(
            others
                .into_iter()
                .map(|h| h.join().expect("a worker panicked").1),
        );
        (wall, blocks)
    });
    let cpu = Usage::now().zip(before).map(|(a, b)| a.since(b).cpu);
    RankRun {
        slab: blocks.concat(),
        lo,
        residual: f64::from_bits(reduced.load(Relaxed)),
        wall,
        cpu,
    }
}

/// One layout's run of one way on `comm` (the layout's ranks), gathered on its rank 0: the
/// plate, the residual, the wall time per sweep (the slowest rank's) and the CPU time per sweep
/// (all ranks'). `None` on the other ranks.
fn run_layout(
    comm: &SimpleCommunicator,
    p: Problem,
    threads: usize,
    way: Way,
    policy: WaitPolicy,
) -> Option<(Vec<f64>, f64, f64, Option<f64>)> {
    let run = run_rank(comm, p, threads, way, policy);
    let per_sweep = |d: Duration| d.as_secs_f64() * 1e6 / p.sweeps as f64;
    let (wall, cpu) = (per_sweep(run.wall), run.cpu.map_or(-1.0, per_sweep));
    let (mut slowest, mut total, mut unknown) = (0.0, 0.0, 0.0);
    comm.all_reduce_into(&wall, &mut slowest, SystemOperation::max());
    comm.all_reduce_into(&cpu, &mut total, SystemOperation::sum());
    comm.all_reduce_into(&cpu, &mut unknown, SystemOperation::min());
    let root = comm.process_at_rank(0);
    if comm.rank() != 0 {
        root.send(&(run.lo as u64));
        root.send(&run.slab[..]);
        return None;
    }
    let mut plate = initial(p.n);
    let mut place = |lo: usize, slab: &[f64]| {
        plate[lo * p.n..lo * p.n + slab.len()].copy_from_slice(slab);
    };
    place(run.lo, &run.slab);
    for r in 1..comm.size() {
        let from = comm.process_at_rank(r);
        let (lo, _) = from.receive::<u64>();
        let (slab, _) = from.receive_vec::<f64>();
        place(lo as usize, &slab);
    }
    Some((
        plate,
        run.residual,
        slowest,
        (unknown >= 0.0).then_some(total),
    ))
}

/// Waits for an MPI request of the exchange. MPICH's wait polls without ever giving up the
/// core (ch4:ucx here). Where the layout runs more threads on a node than it has cores
/// (`Passive`), the thread this rank's partner waits for may be queued behind that poll on the
/// same core while the other core idles, for a whole scheduler tick (4 ms, seen with `perf
/// sched`; docs/hpc.md): so there the wait yields between its tests, as Open MPI's
/// `mpi_yield_when_idle` does.
fn complete<'a, D: ?Sized, S: mpi::request::Scope<'a>>(
    mut request: mpi::request::Request<'a, D, S>,
    policy: WaitPolicy,
) {
    if policy != WaitPolicy::Passive {
        request.wait();
        return;
    }
    while let Err(pending) = request.test() {
        request = pending;
        thread::yield_now();
    }
}

/// A barrier across the job that does not spin. MPI's own barrier polls (MPICH busy-waits), and
/// the ranks that sit out a layout would take cores from the ranks that run it.
fn quiet_barrier(comm: &SimpleCommunicator) {
    let mut request = comm.immediate_barrier();
    loop {
        match request.test() {
            Ok(_) => return,
            Err(pending) => {
                request = pending;
                thread::sleep(Duration::from_micros(200));
            }
        }
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// `median [min to max]` of `values`.
fn spread(values: &mut [f64]) -> String {
    match median(values) {
        Some(m) => format!(
            "{m:.2} [{:.2} to {:.2}]",
            values[0],
            values[values.len() - 1]
        ),
        None => "-".into(),
    }
}

/// Runs every layout and way on the job's ranks, checks every run against the serial run, and
/// prints the table on rank 0. Exits with 1 if a run differs.
pub(crate) fn run(args: &Args) {
    let Some((universe, threading)) = mpi::initialize_with_threading(Threading::Serialized) else {
        eprintln!("hybrid-jacobi: MPI was initialized already");
        std::process::exit(1);
    };
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size() as usize);
    let p = Problem {
        n: args.size as usize,
        sweeps: args.sweeps as usize,
        residual_every: args.residual_every as usize,
    };
    // The hybrid ways call MPI from whichever thread leads a sweep: one at a time.
    let serialized = matches!(threading, Threading::Serialized | Threading::Multiple);
    let cores = thread::available_parallelism().map_or(1, |c| c.get());
    let reference = (rank == 0).then(|| serial(p));
    if rank == 0 {
        println!(
            "hybrid Jacobi 2D: {n} x {n} plate, {} sweeps, the residual reduced across ranks \
             every {} sweeps; a job of {size} MPI ranks on a machine of {cores} cores, MPI \
             threading {threading:?}; per sweep, median [min to max] of {} interleaved runs; \
             load average {} before",
            p.sweeps,
            p.residual_every,
            args.runs,
            load_average(),
            n = p.n,
        );
    }
    let mut rows = Vec::new();
    let mut failed = false;
    for &layout in &args.layouts {
        if layout.ranks > size {
            if rank == 0 {
                println!(
                    "{layout}: skipped, the job has {size} ranks (mpirun -np {})",
                    layout.ranks
                );
            }
            continue;
        }
        let ways: Vec<Way> = Way::of(layout)
            .iter()
            .copied()
            .filter(|&w| w == Way::Flat || serialized)
            .collect();
        if ways.is_empty() && rank == 0 {
            println!("{layout}: skipped, MPI gives {threading:?}, the hybrids need Serialized");
        }
        let color = if (rank as usize) < layout.ranks {
            Color::with_value(0)
        } else {
            Color::undefined()
        };
        let comm = world.split_by_color(color);
        // syncpoint's adaptive wait sees its own process's cores only: where the layout's
        // ranks on this node run more threads than it has cores, the barrier sleeps at once
        // (Passive), as OMP_WAIT_POLICY=passive does for an OpenMP job. Decided on each rank
        // from its node's count; the same on every node of a regular layout.
        let policy = comm.as_ref().map_or(WaitPolicy::Adaptive, |comm| {
            let local = comm.split_shared(0).size() as usize;
            if local * layout.threads > cores {
                WaitPolicy::Passive
            } else {
                WaitPolicy::Adaptive
            }
        });
        let mut times = vec![(Vec::new(), Vec::new()); ways.len()];
        for _ in 0..args.runs {
            for (i, &way) in ways.iter().enumerate() {
                if let Some(comm) = &comm {
                    if let Some((plate, residual, wall, cpu)) =
                        run_layout(comm, p, layout.threads, way, policy)
                    {
                        let (serial_plate, serial_residual) = reference.as_ref().unwrap();
                        let same = plate
                            .iter()
                            .zip(serial_plate)
                            .all(|(a, b)| a.to_bits() == b.to_bits());
                        if !same || residual.to_bits() != serial_residual.to_bits() {
                            eprintln!(
                                "{layout} {}: differs from the serial run (plate identical: \
                                 {same}; residual {residual:e}, serial {serial_residual:e})",
                                way.name()
                            );
                            failed = true;
                        }
                        times[i].0.push(wall);
                        times[i].1.extend(cpu);
                    }
                }
                quiet_barrier(&world);
            }
        }
        rows.push((layout, ways, times, policy));
    }
    if rank == 0 {
        print_table(&mut rows);
        if rows.iter().any(|row| row.3 == WaitPolicy::Passive) {
            println!(
                "(passive): the layout runs more threads on this node than it has cores, so \
                 syncpoint's barrier sleeps at once (WaitPolicy::Passive)"
            );
        }
        let (_, last) = reference.as_ref().unwrap();
        println!(
            "{}; the last residual {last:e}; load average {} after",
            if failed {
                "SOME RUNS DIFFER from the serial run"
            } else {
                "every run's plate and residual identical to the serial run's, bit for bit"
            },
            load_average()
        );
    }
    let mut any = u8::from(failed);
    let mine = any;
    world.all_reduce_into(&mine, &mut any, SystemOperation::max());
    drop(universe);
    if any != 0 {
        std::process::exit(1);
    }
}

type Row = (Layout, Vec<Way>, Vec<(Vec<f64>, Vec<f64>)>, WaitPolicy);

/// The table: one line per layout and way, with std's ratio over each hybrid in its layout.
fn print_table(rows: &mut [Row]) {
    println!(
        "{:<7} {:<40} {:>32} {:>32} {:>10} {:>9}",
        "layout",
        "way",
        "wall µs/sweep: median [range]",
        "CPU µs/sweep: median [range]",
        "wall std/x",
        "CPU std/x"
    );
    for (layout, ways, times, policy) in rows.iter_mut() {
        let medians: Vec<(Option<f64>, Option<f64>)> = times
            .iter_mut()
            .map(|(w, c)| (median(w), median(c)))
            .collect();
        let std = ways.iter().position(|&w| w == Way::Std).map(|i| medians[i]);
        for (i, way) in ways.iter().enumerate() {
            let ratio = |base: Option<f64>, x: Option<f64>| match (base, x) {
                (Some(b), Some(x)) if x > 0.0 => format!("{:.2}x", b / x),
                _ => "-".into(),
            };
            let (wall_ratio, cpu_ratio) = match std {
                Some((w, c)) if *way != Way::Std => {
                    (ratio(w, medians[i].0), ratio(c, medians[i].1))
                }
                Some(_) => ("base".into(), "base".into()),
                None => ("-".into(), "-".into()),
            };
            println!(
                "{:<7} {:<40} {:>32} {:>32} {:>10} {:>9}",
                layout.to_string(),
                match (way, *policy) {
                    (Way::Syncpoint | Way::SplitPhase, WaitPolicy::Passive) => {
                        format!("{} (passive)", way.name())
                    }
                    _ => way.name().to_string(),
                },
                spread(&mut times[i].0),
                spread(&mut times[i].1),
                wall_ratio,
                cpu_ratio
            );
        }
    }
}
