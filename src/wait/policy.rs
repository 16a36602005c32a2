//! The public wait policy.

/// How a thread waits when it cannot proceed at once: spin first, sleep at once, or decide.
///
/// Like OpenMP's `OMP_WAIT_POLICY`. Every primitive takes one (`with_wait_policy`); the default
/// is [`Adaptive`](WaitPolicy::Adaptive).
///
/// | policy | spins before sleeping | pick it when |
/// |---|---|---|
/// | `Adaptive` | up to about the cost of a sleep and wake-up (16 µs), less after spins that failed, but at least until 100 µs after a wake the thread made or received (the threads it waits for are then on their way back from the kernel); when the waiters alone fill the process's cores, it yields the core up to 8 times instead, to the threads still to arrive (a timed wait only while its deadline is more than 4 ms away) | you do not know what else runs on the machine (the default) |
/// | `Active` | up to 1 ms, whatever the machine | the threads own their cores (pinned HPC ranks, no oversubscription) and latency is all that matters |
/// | `Passive` | never | the machine is shared or oversubscribed, or waits are long and CPU time matters |
///
/// # Examples
///
/// ```
/// use syncpoint::{Barrier, WaitPolicy};
///
/// // An HPC loop whose threads are pinned one per core.
/// let barrier = Barrier::new(2).with_wait_policy(WaitPolicy::Active);
/// assert_eq!(barrier.wait_policy(), WaitPolicy::Active);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitPolicy {
    /// Spin only while spinning can pay, then sleep. The default.
    #[default]
    Adaptive,
    /// Spin for up to a millisecond before sleeping.
    Active,
    /// Sleep on the futex at once.
    Passive,
}
