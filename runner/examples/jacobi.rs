//! The Jacobi stencil of `syncpoint_bench::jacobi` (a 2D heat-diffusion plate, one barrier per
//! sweep) run with std's barrier, syncpoint's, and syncpoint's split phase; every run is checked
//! against a serial run, bit for bit.
//!
//! ```text
//! cargo run --release -p syncpoint-bench --example jacobi -- --size 130 --sweeps 2000 --threads 2
//! ```

use clap::{CommandFactory, Parser};
use std::thread;
use syncpoint_bench::jacobi::{max_difference, parallel, serial, Sync};

/// A 2D heat-diffusion stencil, std::sync::Barrier against syncpoint's, checked against a serial
/// run bit for bit.
#[derive(Parser)]
#[command(name = "jacobi", version)]
struct Args {
    /// The plate's side, in cells (at least --threads + 2)
    #[arg(long, default_value_t = 130, value_parser = clap::value_parser!(u32).range(1..))]
    size: u32,
    /// Sweeps per run
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..))]
    sweeps: u32,
    /// Worker threads [default: the machine's cores]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    threads: Option<u32>,
    /// Runs per barrier; the median is reported
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
}

fn args() -> (usize, usize, usize, usize) {
    let args = Args::parse();
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let threads = args.threads.map_or(cores, |t| t as usize);
    let size = args.size as usize;
    if size < threads + 2 {
        Args::command()
            .error(
                clap::error::ErrorKind::ValueValidation,
                format!("--size {size} leaves fewer interior rows than --threads {threads}"),
            )
            .exit();
    }
    (size, args.sweeps as usize, threads, args.runs as usize)
}

fn main() {
    let (size, sweeps, threads, runs) = args();
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "Jacobi 2D, {size} x {size} plate, {sweeps} sweeps, {threads} threads on {cores} cores; \
         median of {runs} runs"
    );
    let reference = serial(size, sweeps);
    let mut medians = Vec::new();
    for sync in Sync::ALL {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let (plate, per_sweep) = parallel(size, sweeps, threads, sync);
            let difference = max_difference(&plate, &reference);
            assert!(
                difference == 0.0,
                "{}: the result differs from the serial run by {difference}",
                sync.name()
            );
            times.push(per_sweep);
        }
        times.sort();
        medians.push((sync, times[runs / 2]));
    }
    let std_time = medians[0].1.as_secs_f64();
    println!("{:<24} {:>12} {:>10}", "barrier", "µs/sweep", "std / this");
    for (sync, time) in &medians {
        println!(
            "{:<24} {:>12.2} {:>9.2}x",
            sync.name(),
            time.as_secs_f64() * 1e6,
            std_time / time.as_secs_f64()
        );
    }
    println!("every run matches the serial run exactly");
}
