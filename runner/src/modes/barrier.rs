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
        left_out.push(format!("OpenMP barrier (libgomp) left out: {why}"));
    }
    if let Some(why) = peers::LIBOMP_MISSING {
        left_out.push(format!("LLVM libomp left out: {why}"));
    }
    let mut transfer = Transfer::default();
    let mut jobs = Vec::new();
    for &point in &plan.points {
        // The model's floor where every thread has a core of its own to spin on.
        let l = (!point.oversubscribed())
            .then(|| transfer.of(point))
            .flatten();
        let model =
            |fan_in: Option<usize>| l.map(|l| model_transfers(point.threads, fan_in) as f64 * l);
        let default_fan_in = syncpoint::Barrier::new(point.threads).fan_in();
        for &v in &plan.variants {
            // The floor: a barrier that only spins, where it can (it takes milliseconds an
            // episode once threads outnumber cores); measured just before syncpoint's default,
            // so that the two see the machine in the same state (a VM's can change within
            // seconds).
            if !point.oversubscribed() {
                jobs.push(
                    rust_job(v, FLOOR, point, epcc, peers::SpinBarrier::new)
                        .with_model(model(None)),
                );
            }
            for (name, policy) in SYNCPOINT_POLICIES {
                jobs.push(
                    rust_job(v, name, point, epcc, move |n| {
                        syncpoint::Barrier::new(n).with_wait_policy(policy)
                    })
                    .with_model(model(default_fan_in)),
                );
            }
            // The single counter and the tree side by side, whichever the default is here.
            if point.threads > TREE_FAN_IN {
                let (other, fan_in) = match default_fan_in {
                    None => ("syncpoint tree k=4", TREE_FAN_IN),
                    Some(_) => ("syncpoint central", usize::MAX),
                };
                jobs.push(
                    rust_job(v, other, point, epcc, move |n| {
                        syncpoint::Barrier::new(n).with_fan_in(fan_in)
                    })
                    .with_model(model((fan_in < point.threads).then_some(fan_in))),
                );
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
            if let Some(exe) = peers::LIBOMP_EXE {
                jobs.push(libomp_job(v, "libomp hyper", point, epcc, exe, None));
                jobs.push(libomp_job(
                    v,
                    "libomp dist",
                    point,
                    epcc,
                    exe,
                    Some("dist,dist"),
                ));
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

/// The fan-in of the tree measured beside the single counter: libomp's hyper barrier's.
const TREE_FAN_IN: usize = 4;

/// The model's critical path of one episode in cache-line transfers (docs/design.md, "The
/// tree"; the same count as the crate's `Shape::critical_path`): a single counter's `n + 1`; a
/// tree's one a level, the root, and the release.
fn model_transfers(threads: usize, fan_in: Option<usize>) -> usize {
    match fan_in {
        None => threads + 1,
        Some(k) => {
            let (mut size, mut levels) = (threads.div_ceil(k), 1);
            while size >= k {
                size = size.div_ceil(k);
                levels += 1;
            }
            levels + 2
        }
    }
}

/// One cache-line transfer between the cores a point's threads are pinned to: half the round
/// trip between the first two, measured once per core count.
#[derive(Default)]
struct Transfer {
    measured: Vec<(Option<usize>, Option<f64>)>,
}

impl Transfer {
    /// µs per transfer at `point`'s cores; `None` on one core.
    fn of(&mut self, point: Point) -> Option<f64> {
        if let Some(&(_, l)) = self.measured.iter().find(|(c, _)| *c == point.cores) {
            return l;
        }
        let l = (point.cores.unwrap_or(2) >= 2).then(|| {
            let two = Point {
                cores: point.cores,
                threads: 2,
            };
            let trip = syncpoint_bench::threads::round_trip(&pinning(two), 200_000);
            trip.as_secs_f64() * 1e6 / 2.0
        });
        self.measured.push((point.cores, l));
        l
    }
}

/// LLVM's libomp barrier at `point`, measured by its own program (runner/peers/omp_epcc_main.c),
/// its barrier pattern `pattern` (`KMP_PLAIN_BARRIER_PATTERN`; `None`: the runtime's default,
/// hyper).
fn libomp_job(
    variant: Variant,
    contender: &'static str,
    point: Point,
    epcc: Epcc,
    exe: &'static str,
    pattern: Option<&'static str>,
) -> Job {
    Job::new(variant_name(variant), contender, point, move || {
        let mut command = Command::new(exe);
        command.args([
            point.threads.to_string(),
            point.cores.unwrap_or(0).to_string(),
            epcc.delay_iters.to_string(),
            epcc.target.as_nanos().to_string(),
            epcc.reps.to_string(),
            u8::from(variant == Variant::Rotating).to_string(),
        ]);
        if let Some(pattern) = pattern {
            command
                .env("KMP_PLAIN_BARRIER_PATTERN", pattern)
                .env("KMP_FORKJOIN_BARRIER_PATTERN", pattern);
        }
        let out = command
            .output()
            .map_err(|e| format!("cannot start {exe}: {e}"))?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            return Err(why.lines().last().unwrap_or("the peer failed").to_string());
        }
        let (mut innerreps, mut reference, mut runs) = (0, Vec::new(), Vec::new());
        let number = |word: Option<&str>| -> Result<u64, String> {
            word.and_then(|w| w.parse().ok())
                .ok_or_else(|| "the libomp peer's output does not parse".to_string())
        };
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("innerreps") => innerreps = number(words.next())?,
                Some("reference") => reference.push(number(words.next())? as f64 / 1e3),
                Some("run") => {
                    let wall = Duration::from_nanos(number(words.next())?);
                    let cpu = Duration::from_nanos(number(words.next())?);
                    let context_switches = number(words.next())?;
                    runs.push((
                        wall,
                        Some(Usage {
                            cpu,
                            context_switches,
                        }),
                    ));
                }
                _ => {}
            }
        }
        if innerreps == 0 || reference.is_empty() || runs.len() < 2 {
            return Err("the libomp peer printed no measurement".into());
        }
        Ok(Epcc::per_episode(
            point,
            variant,
            innerreps,
            reference,
            &runs[1..],
            None,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::model_transfers;

    /// The model's critical paths that docs/design.md ("The tree") tabulates, and the crate's
    /// unit test bounds by 2 * ceil(log_k n).
    #[test]
    fn the_model_counts_as_the_design_says() {
        assert_eq!(model_transfers(64, None), 65);
        assert_eq!(model_transfers(64, Some(4)), 5);
        assert_eq!(model_transfers(64, Some(8)), 4);
        assert_eq!(model_transfers(16, Some(4)), 4);
        assert_eq!(model_transfers(128, Some(8)), 4);
        assert_eq!(model_transfers(128, Some(4)), 5);
        assert_eq!(model_transfers(32, Some(4)), 4);
    }
}
