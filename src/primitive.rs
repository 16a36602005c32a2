//! The atomics shim: std's atomics, or loom's under `--cfg loom`, picked in this one place.
//!
//! Like tokio's `src/loom/` and crossbeam-utils' `primitive` module. The primitives take their
//! atomic types, fences and `Ordering` from here and from nowhere else, so the loom models (each
//! primitive's `loom_tests.rs`) check the very code that ships.

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use model::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

/// The model checker under `--cfg loom`: loom, which explores every interleaving (and the weak
/// memory model's choices) within a preemption bound, or with `--cfg shuttle` too, shuttle, which
/// samples schedules of more threads at random (every atomic access sequentially consistent).
/// Everything else about the model build (no spin, the futex model) is the same for both.
#[cfg(all(loom, not(shuttle)))]
pub(crate) use loom as model;
#[cfg(all(loom, shuttle))]
pub(crate) use shuttle as model;

/// std's `thread_local!`, or the model checker's: it runs its threads on one OS thread, so std's
/// would be shared between them.
#[cfg(loom)]
pub(crate) use model::thread_local;
#[cfg(not(loom))]
pub(crate) use std::thread_local;

/// Defines `$vis const fn` normally and a plain `$vis fn` under loom, whose atomics and futex model
/// cannot be built in a const context. One body, two signatures.
macro_rules! const_fn_unless_loom {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($self:tt, $($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$attr])*
        #[cfg(not(loom))]
        $vis const fn $name($self, $($arg: $ty),*) -> $ret $body

        $(#[$attr])*
        #[cfg(loom)]
        $vis fn $name($self, $($arg: $ty),*) -> $ret $body
    };
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$attr])*
        #[cfg(not(loom))]
        $vis const fn $name($($arg: $ty),*) -> $ret $body

        $(#[$attr])*
        #[cfg(loom)]
        $vis fn $name($($arg: $ty),*) -> $ret $body
    };
}
pub(crate) use const_fn_unless_loom;

/// A pause in a loop that waits for another thread's next step: a spin-loop hint, or under loom
/// a yield, so that the model runs the other thread instead of spinning for ever.
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(not(loom))]
    core::hint::spin_loop();
    #[cfg(loom)]
    model::thread::yield_now();
}

/// Gives the core away: `std::thread::yield_now`, or the model checker's.
#[cold]
pub(crate) fn yield_now() {
    #[cfg(not(loom))]
    std::thread::yield_now();
    #[cfg(loom)]
    model::thread::yield_now();
}
