//! The runner's modes, a file each; each builds its own lineup of jobs (crate::job).

pub mod barrier;
pub mod latch;
pub mod semaphore;
pub mod workload;

use crate::cli::{Mode, Plan};
use crate::job::Lineup;
use crate::measure::Epcc;

/// The jobs of `plan`'s mode.
pub fn lineup(plan: &Plan, epcc: Epcc) -> Lineup {
    match plan.mode {
        Mode::Barrier => barrier::lineup(plan, epcc),
        Mode::Workload => workload::lineup(plan),
        Mode::Semaphore => semaphore::lineup(plan),
        Mode::Latch => latch::lineup(plan),
    }
}
