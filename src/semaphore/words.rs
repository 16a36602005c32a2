//! The semaphore's four words: the [`Semaphore`] type itself, which the files above it (the
//! public API, the slow paths, the guards) implement and hold.

use super::state::State;
use super::tickets::{Tickets, SLOTS};
use crate::futex::Futex;
use crate::wait::WaitPolicy;
use crate::word::Word;

/// A counting semaphore: a number of permits that threads acquire and release.
///
/// An uncontended [`acquire`](Semaphore::acquire) or [`release`](Semaphore::release) is a single
/// atomic read-modify-write with no system call. A release makes a system call only when a thread
/// sleeps waiting for permits, and wakes only as many sleepers as its permits can serve: one
/// release, at most one wake, so a pool of workers asleep on a "work available" semaphore is not
/// woken as a herd. Waiting threads spin briefly and then sleep on a futex.
///
/// # Fairness
///
/// Waiters for one permit make no queue: a thread arriving while others sleep may take a
/// released permit first. A waiter for several permits is not starved by a stream of smaller
/// acquirers: once it has waited about a millisecond as the first of its kind, the permits are
/// kept for it (every other acquirer, `try_` calls included, waits or fails meanwhile) until it
/// has its number; it then waits for the permits held at that moment to come back, which with
/// more threads than cores includes their holders' wait for a core. Waiters for several permits
/// are served one at a time, in the order they came: one that arrives while others of its kind
/// wait queues behind them, even if the permits it needs are free.
///
/// # Examples
///
/// Allow at most two threads into a section at a time:
///
/// ```
/// use syncpoint::Semaphore;
/// use std::thread;
///
/// let slots = Semaphore::new(2);
/// thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             let _permit = slots.permit();
///             assert!(slots.available_permits() <= 1);
///         });
///     }
/// });
/// assert_eq!(slots.available_permits(), 2);
/// ```
pub struct Semaphore {
    /// The state word (`state::State`).
    pub(super) state: Word<State>,
    /// Where waiters for one permit sleep (`waiter.rs`).
    pub(super) singles: Futex,
    /// Where the head sleeps; holds its need.
    pub(super) head: Futex,
    /// Where waiters for several permits queue behind the head, each with a ticket, on the
    /// word of its ticket's slot.
    pub(super) queue: [Futex; SLOTS],
    /// The queue's tickets: whose turn it is, and who has left (`tickets.rs`).
    pub(super) tickets: Word<Tickets>,
    pub(super) policy: WaitPolicy,
}
