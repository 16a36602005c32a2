//! What the library's unit tests share (compiled into them only): how many atomic
//! read-modify-writes, futex wake calls and sleepers each address takes while a test records
//! (the proof by counting of what a many-core machine would pay: docs/design.md, "The tree"),
//! and a lock for the tests that need the cores to themselves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Mutex;

/// What one address took while recording.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Read-modify-writes that changed the word (a compare-exchange that failed is not counted).
    pub(crate) rmws: u64,
    /// Futex wake calls made on the word.
    pub(crate) wake_calls: u64,
    /// The most threads that were asleep on the word at one wake call.
    pub(crate) most_woken: u64,
    /// Threads asleep on the word now.
    asleep: u64,
}

static RECORDING: AtomicBool = AtomicBool::new(false);
static COUNTS: Mutex<Option<HashMap<usize, Counts>>> = Mutex::new(None);
/// One recording at a time.
static RECORDER: Mutex<()> = Mutex::new(());

fn with(address: usize, f: impl FnOnce(&mut Counts)) {
    if RECORDING.load(Relaxed) {
        let mut counts = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
        f(counts
            .get_or_insert_with(HashMap::new)
            .entry(address)
            .or_default());
    }
}

/// A read-modify-write changed the word at `address`.
pub(crate) fn rmw(address: usize) {
    with(address, |c| c.rmws += 1);
}

/// A thread is about to sleep on the word at `address` (`asleep: true`), or came back.
pub(crate) fn sleeping(address: usize, asleep: bool) {
    with(address, |c| {
        if asleep {
            c.asleep += 1;
        } else {
            c.asleep = c.asleep.saturating_sub(1);
        }
    });
}

/// A wake call on the word at `address`.
pub(crate) fn wake(address: usize) {
    with(address, |c| {
        c.wake_calls += 1;
        c.most_woken = c.most_woken.max(c.asleep);
    });
}

/// Threads asleep on the word at `address` now (while recording).
pub(crate) fn asleep(address: usize) -> u64 {
    snapshot(address).asleep
}

/// What the word at `address` has taken so far (while recording).
pub(crate) fn snapshot(address: usize) -> Counts {
    let counts = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
    counts
        .as_ref()
        .and_then(|c| c.get(&address))
        .copied()
        .unwrap_or_default()
}

/// Held by each unit test that starts more threads than the cores or counts what waits cost:
/// side by side they would oversubscribe the cores (where sleeping is right) and disturb the
/// counts.
pub(crate) fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static CORES: Mutex<()> = Mutex::new(());
    CORES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` while recording; returns its result and what every address took meanwhile.
pub(crate) fn record<T>(f: impl FnOnce() -> T) -> (T, HashMap<usize, Counts>) {
    let _one = RECORDER.lock().unwrap_or_else(|e| e.into_inner());
    *COUNTS.lock().unwrap_or_else(|e| e.into_inner()) = Some(HashMap::new());
    RECORDING.store(true, Relaxed);
    let result = f();
    RECORDING.store(false, Relaxed);
    let counts = COUNTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    (result, counts)
}
