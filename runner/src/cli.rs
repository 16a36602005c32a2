//! The runner's arguments (clap derive) and the plan they make: which core counts and thread
//! counts to measure, how long.

use clap::{CommandFactory, Parser, ValueEnum};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;
use syncpoint_bench::threads::cores;

/// The most threads one measurement may start: beyond it a typo (`--threads 100000`) would
/// exhaust the machine instead of measuring it.
const MAX_THREADS: u32 = 4096;

/// Measures syncpoint's primitives against their peers on this machine: the cost of one barrier
/// episode (EPCC syncbench method), a Jacobi stencil, a thread pool's semaphore, a latch; wall
/// time and CPU time, pinned onto 1, 2, 4, ... cores with 1x, 2x and 4x as many threads.
#[derive(Parser, Debug)]
#[command(name = "syncpoint-bench", version = env!("RUNNER_SYNCPOINT_VERSION"))]
pub struct Cli {
    /// What to measure
    #[arg(value_enum, default_value_t = Mode::Barrier)]
    pub mode: Mode,

    /// Core counts to pin onto, comma-separated [default: 1, 2, 4, ... up to all cores]
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..))]
    pub cores: Option<Vec<u32>>,

    /// Threads per core at each core count, comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 4],
          value_parser = clap::value_parser!(u32).range(1..))]
    pub per_core: Vec<u32>,

    /// Do not pin threads: the OS places them (thread counts from --threads)
    #[arg(long, conflicts_with = "cores")]
    pub no_pin: bool,

    /// Thread counts, unpinned, comma-separated [default: 1, 2, ..., cores, then 2x and 4x cores]
    #[arg(long, value_delimiter = ',', requires = "no_pin",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<Vec<u32>>,

    /// Barrier mode: every thread delays before each episode, or one thread in turn
    #[arg(long, value_enum, default_value_t = Variant::AllDelay)]
    pub variant: Variant,

    /// Fewer repetitions and shorter runs: a smoke test in seconds, not a measurement
    #[arg(long)]
    pub quick: bool,

    /// Repetitions per measurement; the median is reported [default: 15, quick 3]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub reps: Option<u32>,

    /// Rounds: the whole lineup is measured this many times, the contenders taking turns, and
    /// every round's figure is reported (a result that is fast in most rounds and slow in some
    /// shows)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rounds: u32,

    /// CPU hogs: this many threads that only compute run through every measurement, pinned
    /// round-robin onto the same cores as the measured threads (a second job on the node)
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=64))]
    pub hogs: u32,

    /// Also write the results as CSV (machine description in leading '#' lines)
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// Also write the results as JSON
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Where to draw the chart [default: <cargo target dir>/syncpoint-bench/<mode>.svg]
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,

    /// Internal: measure one OpenMP configuration in this (child) process and print it as JSON
    #[arg(long, hide = true)]
    pub child: Option<String>,
}

/// What the run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Barrier episode cost: syncpoint (each wait policy), std, C++20 std::barrier, OpenMP
    Barrier,
    /// A Jacobi stencil sweep at a 66x66 and a 1026x1026 plate: syncpoint, split phase, std
    Workload,
    /// A pool's herd (one producer, 16 and 64 sleeping consumers, and 32 and 64 fed 4 and 8 items at a time) and the rendezvous: syncpoint,
    /// glibc sem_t, Mutex+Condvar
    Semaphore,
    /// Count down + wait on n threads: syncpoint's Latch, Mutex+Condvar
    Latch,
}

impl Mode {
    /// The name in file names and reports.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Barrier => "barrier",
            Mode::Workload => "workload",
            Mode::Semaphore => "semaphore",
            Mode::Latch => "latch",
        }
    }
}

/// Which threads delay before an episode of the barrier mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Every thread delays 0.1 µs before every episode
    AllDelay,
    /// Only thread i % n delays in episode i: a different thread arrives late each time
    Rotating,
    /// Both, one after the other
    Both,
}

/// One point of the sweep: `threads` threads, pinned round-robin onto the first `cores` cores
/// (`None`: not pinned).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub cores: Option<usize>,
    pub threads: usize,
}

impl Point {
    /// More threads than the cores they run on (or than the machine's, unpinned).
    pub fn oversubscribed(self) -> bool {
        self.threads > self.cores.unwrap_or_else(cores)
    }
}

/// What the arguments ask for, checked.
#[derive(Debug)]
pub struct Plan {
    pub mode: Mode,
    pub points: Vec<Point>,
    pub variants: Vec<Variant>,
    pub reps: usize,
    /// Times the whole lineup is measured, the contenders taking turns.
    pub rounds: usize,
    /// CPU hogs running through every measurement.
    pub hogs: usize,
    /// The length of one timed run.
    pub target: Duration,
    pub csv: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub svg: PathBuf,
}

impl Cli {
    /// The plan, or clap's usage error (exit status 2) for arguments this machine cannot run.
    pub fn plan(&self) -> Plan {
        let available = cores();
        let fail = |message: String| -> ! {
            Cli::command()
                .error(clap::error::ErrorKind::ValueValidation, message)
                .exit()
        };
        let points: Vec<Point> = if self.no_pin {
            let threads: Vec<usize> = match &self.threads {
                Some(t) => t.iter().map(|&t| t as usize).collect(),
                None => (1..=available)
                    .chain([2 * available, 4 * available])
                    .collect(),
            };
            threads
                .into_iter()
                .map(|threads| Point {
                    cores: None,
                    threads,
                })
                .collect()
        } else {
            let core_counts: Vec<usize> = match &self.cores {
                Some(c) => c.iter().map(|&c| c as usize).collect(),
                None => default_core_counts(available),
            };
            if let Some(&k) = core_counts.iter().find(|&&k| k > available) {
                fail(format!(
                    "--cores {k}: this process may run on {available} cores"
                ));
            }
            let mut points = Vec::new();
            for &k in &core_counts {
                for &m in &self.per_core {
                    points.push(Point {
                        cores: Some(k),
                        threads: k * m as usize,
                    });
                }
            }
            points
        };
        if let Some(p) = points.iter().find(|p| p.threads > MAX_THREADS as usize) {
            fail(format!(
                "{} threads in one measurement: at most {MAX_THREADS}",
                p.threads
            ));
        }
        let mut unique = Vec::new();
        for p in points {
            if !unique.contains(&p) {
                unique.push(p);
            }
        }
        let variants = match self.variant {
            Variant::Both => vec![Variant::AllDelay, Variant::Rotating],
            v => vec![v],
        };
        Plan {
            mode: self.mode,
            points: unique,
            variants,
            reps: self
                .reps
                .map_or(if self.quick { 3 } else { 15 }, |r| r as usize),
            rounds: self.rounds as usize,
            hogs: self.hogs as usize,
            target: Duration::from_millis(if self.quick { 2 } else { 20 }),
            csv: self.csv.clone(),
            json: self.json.clone(),
            svg: self.svg.clone().unwrap_or_else(|| default_chart(self.mode)),
        }
    }
}

/// 1, 2, 4, ... up to `available`, and `available` itself when it is not a power of two.
fn default_core_counts(available: usize) -> Vec<usize> {
    let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |k| k.checked_mul(2))
        .take_while(|&k| k <= available)
        .collect();
    if counts.last() != Some(&available) {
        counts.push(available);
    }
    counts
}

/// `<target dir>/syncpoint-bench/<mode>.svg`: the target directory is the one cargo built this
/// binary in (it follows `CARGO_TARGET_DIR` and `--target-dir`), else `target`.
fn default_chart(mode: Mode) -> PathBuf {
    let target = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .filter(|dir| dir.join("release").is_dir() || dir.join("debug").is_dir())
        .unwrap_or_else(|| PathBuf::from("target"));
    target
        .join("syncpoint-bench")
        .join(format!("{}.svg", mode.name()))
}
