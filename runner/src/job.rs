//! One measurement to take (a [`Job`]), a mode's list of them (a [`Lineup`]), and where its
//! threads run: what every mode builds on.

use crate::cli::Point;
use crate::measure::Sampled;
use syncpoint_bench::threads::Pinning;

/// One measurement to take: `contender` on `case` at `point`.
pub struct Job {
    pub case: String,
    pub contender: &'static str,
    pub point: Point,
    pub run: Box<dyn Fn() -> Result<Sampled, String> + Send + Sync>,
    /// Barrier mode: the model's floor for this contender at this point, µs per episode
    /// (docs/design.md, "The tree"), where the model applies.
    pub model: Option<f64>,
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
            model: None,
        }
    }

    /// The job with the model's floor beside it.
    pub fn with_model(self, model: Option<f64>) -> Job {
        Job { model, ..self }
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
