//! Semaphore mode: a thread pool's herd (one producer, 16 and 64 sleeping consumers fed one
//! item at a time, 32 fed 4 at a time and 64 fed 8 at a time) and the
//! rendezvous, syncpoint against glibc's `sem_t` and a Mutex+Condvar semaphore.

use crate::cli::{Plan, Point};
use crate::job::{pinning, Job, Lineup};
use crate::measure::{per_unit, repeated, with_usage, Runs};
use syncpoint_bench::contenders::Sem;
use syncpoint_bench::peers;
use syncpoint_bench::semaphore::{herd, rendezvous};

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
        // The pool's herd fed one job at a time, and in batches of 4 and 8 (a release of several
        // permits at once).
        for (consumers, batch) in [(16, 1), (64, 1), (32, 4), (64, 8)] {
            let point = Point {
                cores,
                threads: consumers + 1,
            };
            let items = items.next_multiple_of(u64::from(batch));
            let case = match batch {
                1 => format!("herd-{consumers}"),
                _ => format!("herd-{consumers}-by-{batch}"),
            };
            jobs.push(Job::new(case, contender, point, move || {
                let pinning = pinning(point);
                let runs: Runs = (0..=reps)
                    .map(|_| herd::<S>(consumers, items, batch, &pinning))
                    .skip(1)
                    .collect();
                Ok(per_unit(items, &runs))
            }));
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

pub fn lineup(plan: &Plan) -> Lineup {
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
            j.case.clone(),
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
