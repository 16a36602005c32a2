//! What every shuttle model uses (`cfg(all(shuttle, test))`; the models sit beside each
//! primitive, in its `shuttle_tests.rs`, as the loom models do in `loom_tests.rs`).
//!
//! shuttle runs the very code that ships, as loom does (`src/primitive.rs` picks its atomics and
//! `src/futex/loom.rs` models the futex with its mutex and condvar), but samples schedules instead
//! of enumerating them, so a model may have more threads than loom can explore (6 to 8 here,
//! against loom's 2 or 3): `check_random` draws each scheduling choice at random, and `check_pct`
//! (probabilistic concurrency testing) finds a bug that needs at most `PCT_DEPTH` ordering
//! constraints with a known probability per run. It makes every atomic access sequentially
//! consistent, so the orderings remain loom's to check; these are for the interleavings of many
//! threads: a lost wake is a deadlock (shuttle reports every thread blocked), and a surplus wake
//! is counted by the futex model.
//!
//! `RUSTFLAGS="--cfg loom --cfg shuttle" cargo test --release -p syncpoint --lib shuttle_tests`;
//! `SYNCPOINT_SHUTTLE_RUNS` sets the schedules per model and scheduler (default 20,000), and
//! `SYNCPOINT_SHUTTLE_SEED` the seed both schedulers draw from (default fixed, so that a run in
//! CI explores the same schedules every time; set another to explore others).

use std::sync::Arc;

/// The ordering constraints PCT aims at: a bug that needs up to three (a wake that must come
/// between two other steps, say) is found with probability at least 1/(n k^2) per run, for n
/// threads and k steps.
const PCT_DEPTH: usize = 3;

/// Runs `model` under both schedulers, `SYNCPOINT_SHUTTLE_RUNS` schedules each, drawn from
/// `SYNCPOINT_SHUTTLE_SEED`.
pub(crate) fn check(model: impl Fn() + Send + Sync + 'static) {
    let setting = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(default)
    };
    let runs = setting("SYNCPOINT_SHUTTLE_RUNS", 20_000) as usize;
    let seed = setting("SYNCPOINT_SHUTTLE_SEED", 0x5eed_0022);
    let model = Arc::new(model);
    let random = model.clone();
    shuttle::check_random_with_seed(move || random(), seed, runs);
    let pct = shuttle::scheduler::PctScheduler::new_from_seed(seed, PCT_DEPTH, runs);
    shuttle::Runner::new(pct, shuttle::Config::new()).run(move || model());
}
