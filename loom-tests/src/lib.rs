//! Helpers for the loom models in `tests/`. Build and run with `RUSTFLAGS="--cfg loom"`.
//!
//! Every model runs under `check`, which bounds preemptions so that the whole suite stays within
//! minutes on two cores; `fails` runs a model that is expected to break and returns loom's report of
//! the failure, so that a test can show the model catching a broken construction.

#![cfg(loom)]

use std::process::Command;

/// Runs `f` under loom, exploring every interleaving with at most `preemptions` preemptions.
///
/// The bound can be raised for a deeper run with `LOOM_MAX_PREEMPTIONS`.
pub fn check<F>(preemptions: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(preemptions);
    }
    builder.check(f);
}

/// Runs a model that must fail and returns what loom printed about the failure; panics if loom
/// explores every interleaving and finds none.
///
/// loom reports a deadlock with a panic that aborts the process, so the model runs in a child
/// process: this test binary again, running only the test named `test` (which must be the name of
/// the calling test function).
pub fn fails<F>(test: &str, preemptions: usize, f: F) -> String
where
    F: Fn() + Sync + Send + 'static,
{
    const CHILD: &str = "SYNCPOINT_LOOM_EXPECTED_FAILURE";
    if std::env::var_os(CHILD).is_some_and(|name| name == test) {
        check(preemptions, f);
        return String::new(); // no failure: the parent sees this child pass and panics
    }
    let output = Command::new(std::env::current_exe().expect("the test binary's path"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .output()
        .expect("re-running the test binary");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !output.status.success() && printed.contains("panicked"),
        "loom explored every interleaving of `{test}` and found no failure:\n{printed}"
    );
    printed
}

/// Runs `run(1)` on a new loom thread and `run(0)` on this one; returns both results, in that
/// order of index.
pub fn on_two_threads<R, F>(run: F) -> (R, R)
where
    R: Send + 'static,
    F: Fn(usize) -> R + Clone + Send + 'static,
{
    let other = {
        let run = run.clone();
        loom::thread::spawn(move || run(1))
    };
    let mine = run(0);
    (mine, other.join().unwrap())
}
