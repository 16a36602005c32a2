//! The workload mode: the Jacobi stencil of `syncpoint_bench::jacobi`, time per sweep (the
//! arithmetic, the halo exchange and the barrier), at a barrier-bound and a compute-bound plate.

use crate::cli::Plan;
use crate::job::{pinning, Job, Lineup};
use crate::measure::repeated;
use syncpoint_bench::jacobi::{self, Sync};
use syncpoint_bench::threads::on_fresh_thread;

/// 64 interior rows (barrier-bound: a sweep is a few µs of arithmetic) and 1024 (compute-bound:
/// a sweep is about a millisecond on one core).
const PLATES: [usize; 2] = [66, 1026];

/// Sweeps of the run checked against the serial run before a plate is measured.
const CHECKED_SWEEPS: usize = 20;

pub fn lineup(plan: &Plan) -> Lineup {
    let mut jobs = Vec::new();
    let mut left_out = Vec::new();
    for &point in &plan.points {
        for plate in PLATES {
            if plate < point.threads + 2 {
                left_out.push(format!(
                    "jacobi-{plate} at {} threads left out: fewer interior rows than threads",
                    point.threads
                ));
                continue;
            }
            for sync in Sync::ALL {
                let (target, reps) = (plan.target, plan.reps);
                jobs.push(Job::new(
                    format!("jacobi-{plate}"),
                    sync.name(),
                    point,
                    move || {
                        let pinning = pinning(point);
                        let threads = point.threads;
                        // Each run starts on a fresh thread: thread 0 is the caller's, and
                        // pinning it must not outlast the run.
                        let run = |sweeps: usize| {
                            on_fresh_thread(|| {
                                jacobi::parallel_on(plate, sweeps, threads, sync, &|t| {
                                    pinning.pin(t)
                                })
                            })
                        };
                        let difference = jacobi::max_difference(
                            &run(CHECKED_SWEEPS).plate,
                            &jacobi::serial(plate, CHECKED_SWEEPS),
                        );
                        if difference != 0.0 {
                            return Err(format!(
                                "{}: the plate differs from the serial run's by {difference}",
                                sync.name()
                            ));
                        }
                        Ok(repeated(target, reps, 2, 1 << 20, |sweeps| {
                            let run = run(sweeps as usize);
                            (run.per_sweep * sweeps as u32, run.used)
                        }))
                    },
                ));
            }
        }
    }
    Lineup {
        jobs,
        baseline: Sync::Std.name(),
        unit: "µs per sweep (stencil + halo exchange + barrier)",
        left_out,
    }
}
