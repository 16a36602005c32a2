//! The Little Book of Semaphores constructions, built on syncpoint's own [`Semaphore`].
//!
//! These are the textbook solutions from the book's chapter on rendezvous and barriers: the
//! two-thread [`Rendezvous`], the one-shot [`TurnstileBarrier`] and the reusable
//! [`TwoTurnstileBarrier`]. They are correct (each has loom models, in `loom_tests.rs` beside them), and they are
//! the reference that [`Barrier`](crate::Barrier) is measured and explained against: a
//! two-turnstile episode costs every thread eight semaphore operations and passes each turnstile
//! one thread at a time, where the sense-reversing barrier costs one atomic add per thread and at
//! most one wake-all (docs/design.md counts both).
//!
//! The book's two "non-solutions" of the reusable barrier are written out in the loom test crate,
//! where tests show loom finding their failures.
//!
//! [`Semaphore`]: crate::Semaphore

#[cfg(all(loom, not(shuttle), test))]
mod loom_tests;
#[cfg(all(loom, not(shuttle), test))]
mod non_solutions;
mod rendezvous;
mod turnstile_barrier;
mod two_turnstile_barrier;

pub use rendezvous::Rendezvous;
pub use turnstile_barrier::TurnstileBarrier;
pub use two_turnstile_barrier::TwoTurnstileBarrier;

use crate::Semaphore;

/// The book's `wait()` on one of a construction's own semaphores, which nobody closes.
fn wait(semaphore: &Semaphore) {
    semaphore
        .acquire()
        .expect("a classic construction's own semaphores are never closed");
}
