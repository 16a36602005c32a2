//! Barrier mode: the cost of one episode, EPCC syncbench method, syncpoint under each wait
//! policy against std, C++20's `std::barrier` and OpenMP's barrier (in a child process).

use crate::cli::{Plan, Point, Variant};
use crate::job::{pinning, Job, Lineup};
use crate::measure::{delay, Epcc, Runs};
use crate::report::FLOOR;
use serde::{Deserialize, Serialize};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};
use syncpoint::WaitPolicy;
use syncpoint_bench::contenders::Wait;
use syncpoint_bench::peers;
use syncpoint_bench::threads::Usage;

/// The EPCC timed runs on the runner's own threads: thread `me` pinned, `{ delay; wait }`
/// `plan[r]` times per run, thread 0 timing each run from the common start; each thread
/// measures its own CPU time over the run, and the run's is their sum. With a `floor`, the same
/// threads run the floor just before each run, and thread 0's times of those come back too.
fn rust_runs(
    barrier: &impl Wait,
    floor: Option<&peers::SpinBarrier>,
    point: Point,
    variant: Variant,
    epcc: Epcc,
    plan: &[u64],
) -> (Runs, Option<Vec<Duration>>) {
    let n = point.threads;
    let pinning = pinning(point);
    let control = std::sync::Barrier::new(n);
    let episodes = |me: usize, innerreps: u64, barrier: &dyn Wait| {
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
        (
            wall,
            Usage::thread_now().zip(before).map(|(a, b)| a.since(b)),
        )
    };
    let body = |me: usize| -> (Vec<(Duration, Option<Usage>)>, Vec<Duration>) {
        pinning.pin(me);
        let mut runs = Vec::with_capacity(plan.len());
        let mut floor_runs = Vec::new();
        for &innerreps in plan {
            if let Some(floor) = floor {
                floor_runs.push(episodes(me, innerreps, floor).0);
            }
            runs.push(episodes(me, innerreps, barrier));
        }
        (runs, floor_runs)
    };
    let mut per_thread: Vec<_> = thread::scope(|s| {
        let body = &body;
        let threads: Vec<_> = (0..n).map(|me| s.spawn(move || body(me))).collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("a barrier thread panicked"))
            .collect()
    });
    let floor = floor.map(|_| std::mem::take(&mut per_thread[0].1));
    let runs: Vec<_> = per_thread.into_iter().map(|(runs, _)| runs).collect();
    (sum_threads(&runs), floor)
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

/// A barrier driven by the Rust EPCC loop, made fresh for each measurement by `make(threads)`;
/// where threads do not outnumber cores, each repetition is paired with a run of the spin floor
/// just before it ([`Sampled::floor`](crate::measure::Sampled)).
fn rust_job<B: Wait + 'static>(
    variant: Variant,
    contender: &'static str,
    point: Point,
    epcc: Epcc,
    make: impl Fn(usize) -> B + Send + Sync + 'static,
) -> Job {
    Job::new(variant_name(variant), contender, point, move || {
        let barrier = make(point.threads);
        let floor = (!point.oversubscribed() && contender != FLOOR)
            .then(|| peers::SpinBarrier::new(point.threads));
        Ok(epcc.measure(point, variant, &pinning(point), |plan| {
            rust_runs(&barrier, floor.as_ref(), point, variant, epcc, plan)
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
        (sum_threads(&per_thread), None)
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

pub fn lineup(plan: &Plan, epcc: Epcc) -> Lineup {
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
            // The floor: a barrier that only spins, where it can (it takes milliseconds an
            // episode once threads outnumber cores); measured just before syncpoint's default,
            // so that the two see the machine in the same state (a VM's can change within
            // seconds).
            if !point.oversubscribed() {
                jobs.push(rust_job(v, FLOOR, point, epcc, peers::SpinBarrier::new));
            }
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
