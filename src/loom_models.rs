//! What every loom model uses (`cfg(all(loom, test))`; the models sit beside each primitive, in
//! its `loom_tests.rs`). Run them with
//! `RUSTFLAGS="--cfg loom" cargo test --release -p syncpoint --lib`.
//!
//! Every model runs under `check`, which bounds preemptions so that the whole suite stays within
//! minutes on two cores. `loom_finds!` defines a test that shows loom finding the failure of a
//! broken construction: a model that cannot fail proves nothing. `message_passing` is the model
//! that every signalling primitive shares.

use loom::sync::atomic::{AtomicU32, Ordering::Relaxed};
use loom::sync::Arc;
use std::process::Command;

/// Runs `f` under loom, exploring every interleaving with at most `preemptions` preemptions.
///
/// The bound can be raised for a deeper run with `LOOM_MAX_PREEMPTIONS`.
pub(crate) fn check<F>(preemptions: usize, f: F)
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
/// process: this test binary again, running only the test named `test` (its path in the crate,
/// `classic::non_solutions::...`). Use it through `loom_finds!`, which passes the right name.
pub(crate) fn fails<F>(test: &str, preemptions: usize, f: F) -> String
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

/// Defines a test that runs a model under loom and passes only if loom finds a failure whose
/// report contains one of the `expect` texts (an assertion's message, or `"deadlock"`).
///
/// ```ignore
/// loom_finds! {
///     /// What is broken, and how loom finds it.
///     fn loom_finds_the_lost_wake(preemptions: 1, expect: ["deadlock"]) {
///         // the model
///     }
/// }
/// ```
macro_rules! loom_finds {
    ($(#[$meta:meta])* fn $name:ident(preemptions: $preemptions:expr, expect: [$($expect:expr),+ $(,)?]) $model:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            // The test's path in the test binary: this module's path without the crate's name.
            let path = concat!(module_path!(), "::", stringify!($name));
            let test = path.split_once("::").map_or(path, |(_crate, test)| test);
            let failure = $crate::loom_models::fails(test, $preemptions, || $model);
            assert!(
                [$($expect),+].iter().any(|expected| failure.contains(expected)),
                "loom failed `{}` for another reason than {:?}:\n{failure}",
                stringify!($name),
                [$($expect),+],
            );
        }
    };
}
pub(crate) use loom_finds;

/// Runs `run(1)` on a new loom thread and `run(0)` on this one; returns both results, in that
/// order of index.
pub(crate) fn on_two_threads<R, F>(run: F) -> (R, R)
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

/// Message passing through a primitive, the model every signalling primitive shares: each of
/// `senders` threads writes its own slot (Relaxed) and then signals `primitive`; this thread
/// waits on it. If `wait` reports that it got through, every sender's write must be visible.
/// Returns what `wait` returned, once the senders are joined, with the primitive for the
/// caller's checks of its final state.
///
/// Catches a signal or a wait whose ordering is too weak (a stale slot) and a missing wake (a
/// waiter asleep for ever, which loom reports as a deadlock).
pub(crate) fn message_passing<P: Send + Sync + 'static>(
    primitive: P,
    senders: usize,
    signal: fn(&P),
    wait: fn(&P) -> bool,
) -> (bool, Arc<P>) {
    let primitive = Arc::new(primitive);
    let slots: Arc<Vec<AtomicU32>> = Arc::new((0..senders).map(|_| AtomicU32::new(0)).collect());
    let threads: Vec<_> = (0..senders)
        .map(|me| {
            let (primitive, slots) = (primitive.clone(), slots.clone());
            loom::thread::spawn(move || {
                slots[me].store(1, Relaxed);
                signal(&primitive);
            })
        })
        .collect();
    let got = wait(&primitive);
    if got {
        for slot in slots.iter() {
            assert_eq!(
                slot.load(Relaxed),
                1,
                "got through without a sender's write"
            );
        }
    }
    for thread in threads {
        thread.join().unwrap();
    }
    (got, primitive)
}
