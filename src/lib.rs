//! Lock-free, futex-backed synchronization primitives.
//!
//! Every primitive keeps its state in atomic words and sleeps on a futex (through the
//! [`atomic-wait`](https://docs.rs/atomic-wait) crate and the platform's own calls) when it
//! must wait; no path takes a mutex.
//! Uncontended operations are a single atomic read-modify-write, and a thread makes a wake-up
//! system call only when another thread is asleep.
//!
//! | item | what it is |
//! |------|------------|
//! | [`Barrier`] | a reusable sense-reversing barrier, a drop-in for [`std::sync::Barrier`] |
//! | [`BarrierWaitResult`] | what [`Barrier::wait`] returns: whether this thread was the leader |
//! | [`Arrival`] | a split-phase arrival from [`Barrier::arrive`], waited for later |
//! | [`BarrierWaitError`] | why [`Barrier::wait_timeout`] did not pass: timed out (withdrawn) or broken |
//! | [`PanicGuard`] | breaks a [`Barrier`] when its thread panics, so the others do not hang |
//! | [`Latch`] | a single-use countdown, like C++'s `std::latch` |
//! | [`Semaphore`] | a counting semaphore with timed and multi-permit acquires |
//! | [`SemaphorePermit`] | a guard that releases its permits when dropped |
//! | [`OwnedSemaphorePermit`] | the same through an `Arc`, to move into spawned work |
//! | [`WaitPolicy`] | how a waiting thread spins or sleeps: adaptive (default), active or passive |
//! | [`classic`] | the Little Book of Semaphores constructions, as a correct reference |
//!
//! # Examples
//!
//! Replace `std::sync::Barrier` in a parallel loop:
//!
//! ```
//! use syncpoint::Barrier;
//! use std::thread;
//!
//! let threads = 4;
//! let barrier = Barrier::new(threads);
//! thread::scope(|s| {
//!     for _ in 0..threads {
//!         s.spawn(|| {
//!             for _step in 0..100 {
//!                 // ... compute this thread's share of the step ...
//!                 barrier.wait();
//!             }
//!         });
//!     }
//! });
//! ```
//!
//! # Platforms
//!
//! Every wait sleeps on the operating system's futex or its equivalent (Linux, Android, Windows,
//! macOS, iOS, FreeBSD); timed waits sleep with a timeout everywhere but FreeBSD, where they
//! poll and can oversleep by up to a millisecond. The README's "Platforms" table says which call
//! serves which platform. The primitives keep state in 64-bit atomics: on a target without them
//! the crate does not compile, and says why.
//!
//! # Notes
//!
//! The design, with every state word and memory-ordering argument, how it is tested and what it
//! measured are pages of these docs: [`notes::design`], [`notes::testing`],
//! [`notes::benchmarks`], [`notes::hpc`].

#![forbid(unsafe_code)]

#[cfg(not(target_has_atomic = "64"))]
compile_error!(
    "syncpoint needs 64-bit atomics (AtomicU64) for its barrier and semaphore state words; \
     this target has none"
);

mod barrier;
pub mod classic;
mod futex;
mod latch;
#[cfg(all(loom, not(shuttle), test))]
mod loom_models;
mod primitive;
mod semaphore;
#[cfg(all(shuttle, test))]
mod shuttle_models;
#[cfg(all(test, not(loom)))]
mod testing;
mod wait;
mod word;

pub use barrier::{Arrival, Barrier, BarrierWaitError, BarrierWaitResult, PanicGuard};
pub use latch::Latch;
pub use semaphore::{
    AcquireError, AcquireTimeoutError, OwnedSemaphorePermit, Semaphore, SemaphorePermit,
    TryAcquireError,
};
pub use wait::WaitPolicy;

/// The notes in the repository's `docs/` folder, as pages of these docs (built only for them;
/// their code blocks are illustrations, not doctests).
#[cfg(all(doc, not(doctest)))]
pub mod notes {
    #[doc = include_str!("../docs/design.md")]
    pub mod design {}
    #[doc = include_str!("../docs/testing.md")]
    pub mod testing {}
    #[doc = include_str!("../docs/benchmarks.md")]
    pub mod benchmarks {}
    #[doc = include_str!("../docs/hpc.md")]
    pub mod hpc {}
}
