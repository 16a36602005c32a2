//! Who is measured in each mode, and how: the jobs of a run, and the peers that could not be
//! built (one line each).

use crate::cli::{Mode, Plan, Point, Variant};
use crate::measure::{delay, per_unit, repeated, with_usage, Epcc, Runs, Sampled};
use crate::workload;
use serde::{Deserialize, Serialize};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};
use syncpoint::WaitPolicy;
use syncpoint_bench::peers;
use syncpoint_bench::semaphore::{herd, rendezvous, Sem};
use syncpoint_bench::threads::{run_on_threads, Pinning, Usage};

/// One measurement to take: `contender` on `case` at `point`.
pub struct Job {
    pub case: String,
    pub contender: &'static str,
    pub point: Point,
    pub run: Box<dyn Fn() -> Result<Sampled, String> + Send + Sync>,
}

impl Job {
    pub fn new(
        case: impl Into<String>,
        contender: &'static str,
        point: Point,
        run: impl Fn() -> Result<Sampled, String> + Send + Sync + 'static,
    ) -> Job {
        Job {
            case: case.into(),
            contender,
            point,
            run: Box::new(run),
        }
    }
}

/// A mode's jobs, the contender the ratios compare with, and the peers left out.
pub struct Lineup {
    pub jobs: Vec<Job>,
    pub baseline: &'static str,
    pub unit: &'static str,
    pub left_out: Vec<String>,
}

/// The pinning of `point`: round-robin onto its first cores, or none.
pub fn pinning(point: Point) -> Pinning {
    point
        .cores
        .and_then(Pinning::first)
        .unwrap_or_else(Pinning::none)
}

pub fn lineup(plan: &Plan, epcc: Epcc) -> Lineup {
    match plan.mode {
        Mode::Barrier => barrier(plan, epcc),
        Mode::Workload => workload::lineup(plan),
        Mode::Semaphore => semaphore(plan),
        Mode::Latch => latch(plan),
    }
}

/// A barrier the Rust EPCC loop can drive.
trait Wait: Sync {
    fn wait(&self);
}

impl Wait for syncpoint::Barrier {
    fn wait(&self) {
        syncpoint::Barrier::wait(self);
    }
}

impl Wait for std::sync::Barrier {
    fn wait(&self) {
        std::sync::Barrier::wait(self);
    }
}

#[cfg(peer_cxx_barrier)]
impl Wait for peers::CxxBarrier {
    fn wait(&self) {
        peers::CxxBarrier::wait(self);
    }
}

/// The EPCC timed runs on the runner's own threads: thread `me` pinned, `{ delay; wait }`
/// `plan[r]` times per run, thread 0 timing each run from the common start; each thread
/// measures its own CPU time over the run, and the run's is their sum.
fn rust_runs(
    barrier: &impl Wait,
    point: Point,
    variant: Variant,
    epcc: Epcc,
    plan: &[u64],
) -> Runs {
    let n = point.threads;
    let pinning = pinning(point);
    let control = std::sync::Barrier::new(n);
    let body = |me: usize| -> Vec<(Duration, Option<Usage>)> {
        pinning.pin(me);
        let mut runs = Vec::with_capacity(plan.len());
        for &innerreps in plan {
            control.wait();
            let before = Usage::thread_now();
            let start = Instant::now();
            for i in 0..innerreps {
                if variant != Variant::Rotating || i % n as u64 == me as u64 {
                    delay(epcc.delay_iters);
                }
                barrier.wait();
            }
            let wall = start.elapsed();
            runs.push((
                wall,
                Usage::thread_now().zip(before).map(|(a, b)| a.since(b)),
            ));
        }
        runs
    };
    let per_thread: Vec<Vec<(Duration, Option<Usage>)>> = thread::scope(|s| {
        let body = &body;
        let threads: Vec<_> = (0..n).map(|me| s.spawn(move || body(me))).collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("a barrier thread panicked"))
            .collect()
    });
    sum_threads(&per_thread)
}

#[cfg(peer_omp)]
/// One thread's runs: the current run's start and use so far, then each run's wall and use.
type ThreadRuns = (
    Option<(Instant, Option<Usage>)>,
    Vec<(Duration, Option<Usage>)>,
);

/// Thread 0's wall time and the sum of every thread's use, run by run.
fn sum_threads(per_thread: &[Vec<(Duration, Option<Usage>)>]) -> Runs {
    (0..per_thread.first().map_or(0, Vec::len))
        .map(|r| {
            (
                per_thread[0][r].0,
                Usage::total(
                    per_thread
                        .iter()
                        .map(|runs| runs.get(r).and_then(|run| run.1)),
                ),
            )
        })
        .collect()
}

fn variant_name(variant: Variant) -> String {
    match variant {
        Variant::Rotating => "rotating".into(),
        _ => "all-delay".into(),
    }
}

/// A barrier driven by the Rust EPCC loop, made fresh for each measurement by `make(threads)`.
fn rust_job<B: Wait + 'static>(
    variant: Variant,
    contender: &'static str,
    point: Point,
    epcc: Epcc,
    make: impl Fn(usize) -> B + Send + Sync + 'static,
) -> Job {
    Job::new(variant_name(variant), contender, point, move || {
        let barrier = make(point.threads);
        Ok(epcc.measure(point, variant, &pinning(point), |plan| {
            rust_runs(&barrier, point, variant, epcc, plan)
        }))
    })
}

/// What a child process measures: OpenMP's barrier at one point. A child, because libgomp reads
/// `OMP_WAIT_POLICY` once, when the process starts, and because its spinning threads must not
/// outlive the measurement into the next contender's.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChildJob {
    pub point: Point,
    pub variant: Variant,
    pub epcc: Epcc,
}

/// In the child: the OpenMP measurement, as JSON on stdout.
#[cfg(peer_omp)]
pub fn run_child(job: &str) -> Result<String, String> {
    use std::sync::Mutex;
    use syncpoint_bench::peers::OmpEvent;
    let job: ChildJob = serde_json::from_str(job).map_err(|e| format!("bad child job: {e}"))?;
    let pinning = pinning(job.point);
    let n = job.point.threads;
    let mut team_error = None;
    let sampled = job.epcc.measure(job.point, job.variant, &pinning, |plan| {
        // Per thread: the current run's start, then each run's (wall, use).
        let slots: Vec<Mutex<ThreadRuns>> =
            (0..n).map(|_| Mutex::new((None, Vec::new()))).collect();
        let events = |event| match event {
            OmpEvent::Pin(me) => pinning.pin(me),
            OmpEvent::Start(me) => {
                let before = Usage::thread_now();
                slots[me].lock().unwrap().0 = Some((Instant::now(), before));
            }
            OmpEvent::End(me) => {
                let mut slot = slots[me].lock().unwrap();
                if let Some((start, before)) = slot.0.take() {
                    let wall = start.elapsed();
                    slot.1.push((
                        wall,
                        Usage::thread_now().zip(before).map(|(a, b)| a.since(b)),
                    ));
                }
            }
        };
        let team = peers::omp_epcc(
            n,
            plan,
            job.epcc.delay_iters,
            job.variant == Variant::Rotating,
            delay,
            &events,
        );
        if team != n {
            team_error = Some(format!("OpenMP ran {team} threads where {n} were asked"));
        }
        let per_thread: Vec<_> = slots
            .into_iter()
            .map(|s| s.into_inner().unwrap().1)
            .collect();
        sum_threads(&per_thread)
    });
    match team_error {
        Some(e) => Err(e),
        None => serde_json::to_string(&sampled).map_err(|e| e.to_string()),
    }
}

/// In the child, where the OpenMP peer was not built: nothing to measure.
#[cfg(not(peer_omp))]
pub fn run_child(_: &str) -> Result<String, String> {
    Err("the OpenMP peer was not built".into())
}

/// OpenMP's barrier at `point`, measured by a child process (default or passive wait policy).
fn omp_job(
    variant: Variant,
    contender: &'static str,
    point: Point,
    epcc: Epcc,
    passive: bool,
) -> Job {
    Job::new(variant_name(variant), contender, point, move || {
        let job = serde_json::to_string(&ChildJob {
            point,
            variant,
            epcc,
        })
        .map_err(|e| e.to_string())?;
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find the runner's binary: {e}"))?;
        let mut command = Command::new(exe);
        command.arg("--child").arg(job);
        if passive {
            command.env("OMP_WAIT_POLICY", "passive");
        } else {
            command.env_remove("OMP_WAIT_POLICY");
        }
        let out = command
            .output()
            .map_err(|e| format!("cannot start the child: {e}"))?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            return Err(why.lines().last().unwrap_or("the child failed").to_string());
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("the child's answer: {e}"))
    })
}

const SYNCPOINT_POLICIES: [(&str, WaitPolicy); 3] = [
    ("syncpoint adaptive", WaitPolicy::Adaptive),
    ("syncpoint active", WaitPolicy::Active),
    ("syncpoint passive", WaitPolicy::Passive),
];

fn barrier(plan: &Plan, epcc: Epcc) -> Lineup {
    let mut left_out = Vec::new();
    if let Some(why) = peers::CXX_BARRIER_MISSING {
        left_out.push(format!("C++20 std::barrier left out: {why}"));
    }
    if let Some(why) = peers::OMP_MISSING {
        left_out.push(format!("OpenMP barrier left out: {why}"));
    }
    let mut jobs = Vec::new();
    for &point in &plan.points {
        for &v in &plan.variants {
            for (name, policy) in SYNCPOINT_POLICIES {
                jobs.push(rust_job(v, name, point, epcc, move |n| {
                    syncpoint::Barrier::new(n).with_wait_policy(policy)
                }));
            }
            jobs.push(rust_job(
                v,
                "std::sync::Barrier",
                point,
                epcc,
                std::sync::Barrier::new,
            ));
            #[cfg(peer_cxx_barrier)]
            jobs.push(rust_job(
                v,
                "C++20 std::barrier",
                point,
                epcc,
                peers::CxxBarrier::new,
            ));
            if cfg!(peer_omp) {
                jobs.push(omp_job(v, "OpenMP barrier", point, epcc, false));
                jobs.push(omp_job(v, "OpenMP passive", point, epcc, true));
            }
        }
    }
    Lineup {
        jobs,
        baseline: "std::sync::Barrier",
        unit: "µs per episode (overhead over the delay)",
        left_out,
    }
}

/// The core counts of the plan's points, each once, in order (the semaphore cases fix their own
/// thread counts).
fn core_points(plan: &Plan) -> Vec<Option<usize>> {
    let mut cores = Vec::new();
    for p in &plan.points {
        if !cores.contains(&p.cores) {
            cores.push(p.cores);
        }
    }
    cores
}

fn semaphore_jobs<S: Sem + 'static>(contender: &'static str, plan: &Plan, jobs: &mut Vec<Job>) {
    let (target, reps) = (plan.target, plan.reps);
    // One item per ITEM_SPACING: as many items as fill the target time.
    let items = (target.as_micros() as u64 / 20).max(50);
    for cores in core_points(plan) {
        for consumers in [16, 64] {
            let point = Point {
                cores,
                threads: consumers + 1,
            };
            jobs.push(Job::new(
                format!("herd-{consumers}"),
                contender,
                point,
                move || {
                    let pinning = pinning(point);
                    let runs: Runs = (0..=reps)
                        .map(|_| herd::<S>(consumers, items, &pinning))
                        .skip(1)
                        .collect();
                    Ok(per_unit(items, &runs))
                },
            ));
        }
        let point = Point { cores, threads: 2 };
        jobs.push(Job::new("rendezvous", contender, point, move || {
            let pinning = pinning(point);
            // The process's use includes starting the two threads: a few µs in a run of
            // the target time.
            Ok(repeated(target, reps, 64, 1 << 24, |rounds| {
                with_usage(|| rendezvous::<S>(rounds, &pinning))
            }))
        }));
    }
}

fn semaphore(plan: &Plan) -> Lineup {
    let mut jobs = Vec::new();
    semaphore_jobs::<syncpoint::Semaphore>("syncpoint", plan, &mut jobs);
    #[cfg(target_os = "linux")]
    semaphore_jobs::<peers::PosixSemaphore>("glibc sem_t", plan, &mut jobs);
    semaphore_jobs::<peers::MutexSemaphore>("Mutex+Condvar", plan, &mut jobs);
    // Group by point and case, contenders side by side.
    jobs.sort_by_key(|j| {
        (
            core_points(plan).iter().position(|&c| c == j.point.cores),
            j.point.threads,
        )
    });
    Lineup {
        jobs,
        baseline: if cfg!(target_os = "linux") {
            "glibc sem_t"
        } else {
            "Mutex+Condvar"
        },
        unit: "µs per item (herd) or round trip (rendezvous)",
        left_out: if cfg!(target_os = "linux") {
            Vec::new()
        } else {
            vec!["glibc sem_t left out: not a Linux machine".into()]
        },
    }
}

/// A latch the count-down loop can drive.
trait CountDown: Sync + Send {
    fn new(count: u32) -> Self;
    fn arrive_and_wait(&self);
}

impl CountDown for syncpoint::Latch {
    fn new(count: u32) -> Self {
        syncpoint::Latch::new(count)
    }
    fn arrive_and_wait(&self) {
        syncpoint::Latch::arrive_and_wait(self)
    }
}

impl CountDown for peers::MutexLatch {
    fn new(count: u32) -> Self {
        peers::MutexLatch::new(count)
    }
    fn arrive_and_wait(&self) {
        peers::MutexLatch::arrive_and_wait(self)
    }
}

/// `n` threads count down and wait on a fresh latch each round; a unit is one round.
fn latch_job<L: CountDown + 'static>(contender: &'static str, point: Point, plan: &Plan) -> Job {
    let (target, reps) = (plan.target, plan.reps);
    Job::new("count-down", contender, point, move || {
        let pinning = pinning(point);
        let n = point.threads;
        // At most 2^17 latches made ahead of a run: enough for the target time at any
        // thread count, small enough to allocate.
        Ok(repeated(target, reps, 16, 1 << 17, |rounds| {
            let latches: Vec<L> = (0..rounds).map(|_| L::new(n as u32)).collect();
            // The process's use includes starting the threads: a few µs each, in a run
            // of the target time.
            with_usage(|| {
                run_on_threads(n, &pinning, |_| {
                    for latch in &latches {
                        latch.arrive_and_wait();
                    }
                })
            })
        }))
    })
}

fn latch(plan: &Plan) -> Lineup {
    let mut jobs = Vec::new();
    for &point in &plan.points {
        jobs.push(latch_job::<syncpoint::Latch>("syncpoint", point, plan));
        jobs.push(latch_job::<peers::MutexLatch>("Mutex+Condvar", point, plan));
    }
    Lineup {
        jobs,
        baseline: "Mutex+Condvar",
        unit: "µs per round (count down + wait, every thread)",
        left_out: Vec::new(),
    }
}
