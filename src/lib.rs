//! Lock-free, futex-backed synchronization primitives.
//!
//! Every primitive keeps its state in atomic words and sleeps on a futex (through the
//! [`atomic-wait`](https://docs.rs/atomic-wait) crate) when it must wait; no path takes a mutex.
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
//! Untimed waits use the OS futex wherever `atomic-wait` supports it: Linux and Android, macOS
//! and iOS, Windows, FreeBSD. Timed waits (`try_acquire_for`, `wait_timeout`, ...) sleep on the
//! futex with a timeout on Linux and Android; on other platforms they poll the word with sleeps
//! that back off from 50 µs to 1 ms, so they can oversleep by up to a millisecond.
//!
//! The design, with every state word and memory-ordering argument, is in `docs/design.md`.

#![forbid(unsafe_code)]

mod barrier;
pub mod classic;
mod futex;
mod latch;
mod primitive;
mod semaphore;
mod wait;

pub use barrier::{Arrival, Barrier, BarrierWaitError, BarrierWaitResult, PanicGuard};
pub use latch::Latch;
pub use semaphore::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
pub use wait::WaitPolicy;
