//! Latch mode: `n` threads count down and wait on a fresh latch each round, syncpoint's `Latch`
//! against a Mutex+Condvar latch.

use crate::cli::{Plan, Point};
use crate::job::{pinning, Job, Lineup};
use crate::measure::{repeated, with_usage};
use syncpoint_bench::contenders::CountDown;
use syncpoint_bench::peers;
use syncpoint_bench::threads::run_on_threads;

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

pub fn lineup(plan: &Plan) -> Lineup {
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
