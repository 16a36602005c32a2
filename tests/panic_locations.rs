//! Caller mistakes panic at the caller's line, not inside syncpoint: every path a mistake takes
//! is `#[track_caller]`. One test, because it replaces the process's panic hook to record where
//! each panic was reported.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use syncpoint::{Barrier, Latch, Semaphore};

/// Where the last panic was reported, and its message.
static LAST: Mutex<Option<(String, u32, String)>> = Mutex::new(None);

/// Runs `f`, which must panic, and returns where the panic was reported and its message.
fn panic_site(f: impl FnOnce()) -> (String, u32, String) {
    *LAST.lock().unwrap() = None;
    assert!(
        panic::catch_unwind(AssertUnwindSafe(f)).is_err(),
        "did not panic"
    );
    LAST.lock().unwrap().take().expect("the hook saw the panic")
}

/// Asserts that the expression panics, reported at this very line of this file.
macro_rules! panics_here {
    ($what:expr) => {{
        let line = line!();
        let (file, at, message) = panic_site(|| {
            let _ = $what;
        });
        assert_eq!(
            (file.as_str(), at),
            (file!(), line),
            "`{}` panicked with {message:?} at {file}:{at}, not at its caller",
            stringify!($what)
        );
        message
    }};
}

#[test]
fn caller_mistakes_panic_at_the_callers_line() {
    panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let location = info.location().expect("a location");
        *LAST.lock().unwrap() = Some((location.file().to_string(), location.line(), message));
    }));

    panics_here!(Barrier::new(Barrier::MAX_PARTICIPANTS + 1));
    panics_here!(Barrier::with_completion(
        Barrier::MAX_PARTICIPANTS + 1,
        || ()
    ));
    panics_here!(Semaphore::new(Semaphore::MAX_PERMITS + 1));
    panics_here!(Latch::new(Latch::MAX_COUNT + 1));

    let full = Semaphore::new(Semaphore::MAX_PERMITS);
    panics_here!(full.release());
    panics_here!(full.release_many(2));
    let sem = Semaphore::new(1);
    panics_here!(sem.acquire_many(Semaphore::MAX_PERMITS + 1));
    panics_here!(sem.try_acquire_many(Semaphore::MAX_PERMITS + 1));
    panics_here!(sem.try_acquire_many_for(Semaphore::MAX_PERMITS + 1, Duration::ZERO));
    panics_here!(sem.try_acquire_many_until(Semaphore::MAX_PERMITS + 1, Instant::now()));
    panics_here!(sem.permit_many(Semaphore::MAX_PERMITS + 1).unwrap());
    panics_here!(sem.try_permit_many(Semaphore::MAX_PERMITS + 1));
    assert_eq!(
        sem.available_permits(),
        1,
        "a refused call changed the semaphore"
    );

    let abandoned = Barrier::new(1);
    abandoned.arrive_and_drop();
    let message = panics_here!(abandoned.wait());
    assert!(message.contains("every participant has left"), "{message}");
    panics_here!(abandoned.arrive());
    panics_here!(abandoned.wait_timeout(Duration::from_secs(1)));
    panics_here!(abandoned.wait_until(Instant::now()));
    panics_here!(abandoned.arrive_and_drop());
    panics_here!(abandoned.add_participants(1));
    panics_here!(Barrier::new(2).add_participants(Barrier::MAX_PARTICIPANTS));

    let broken = Barrier::new(2);
    let arrival = broken.arrive();
    let _ = panic::catch_unwind(|| {
        let _guard = broken.panic_guard();
        panic!("break it");
    });
    let message = panics_here!(broken.wait());
    assert!(message.contains("the barrier is broken"), "{message}");
    panics_here!(broken.arrive());
    panics_here!(arrival.wait());
    panics_here!(broken.add_participants(1));

    let _ = panic::take_hook();
}
