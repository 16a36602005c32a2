//! The episode protocol: counting an arrival, leading (completion, reset, release), dropping a
//! participant, withdrawing a timed-out arrival, and waiting for a release (docs/design.md,
//! "Barrier").

use super::state::{Arrivals, Released};
use super::{Barrier, BarrierWaitError, BarrierWaitResult};
use crate::primitive::{fence, Ordering};
use crate::wait::{wait, TimedOut};
use std::time::Instant;

/// Where an arrival landed, with the arrival word as it left it.
pub(super) enum Arrived {
    /// It completed the episode: this thread leads.
    Leader(Arrivals),
    /// The episode is open: wait for its release.
    Waiter(Arrivals),
}

/// Why an arrival was not counted.
pub(super) enum Refused {
    /// The barrier is broken.
    Broken,
    /// The arrival found its episode full and the deadline passed while it waited to arrive again.
    TimedOut,
    /// Every participant has left: no episode can ever complete.
    NoParticipants,
}

impl<F: Fn()> Barrier<F> {
    /// Counts one arrival and returns the arrival word as it left it, as a leader or as a waiter.
    /// An arrival into a full episode (only possible with more threads than participants) is
    /// erased by that episode's reset: it waits, until `deadline` at the latest, for the episode
    /// to be released and arrives again.
    #[inline]
    pub(super) fn arrive_in(&self, deadline: Option<Instant>) -> Result<Arrived, Refused> {
        loop {
            // Release: this thread's writes before the barrier travel to the leader, whose
            // Acquire fence in `lead` synchronizes with every arrival of its episode (every write
            // to the arrival word is a read-modify-write, so each arrival heads a release
            // sequence that the leader's own read-modify-write reads).
            let before = Arrivals::from_bits(
                self.arrivals
                    .fetch_add(Arrivals::ONE_ARRIVAL, Ordering::Release),
            );
            let after = before.arrived();
            if before.is_broken() {
                return Err(Refused::Broken);
            }
            if after.count() == before.participants() {
                return Ok(Arrived::Leader(after));
            }
            if after.count() < before.participants() {
                return Ok(Arrived::Waiter(after));
            }
            self.arrive_later(before, deadline)?;
        }
    }

    /// An arrival found its episode full (or no participants at all). Waits until that episode
    /// is released; its reset erased this arrival, so the caller then arrives again.
    #[cold]
    fn arrive_later(&self, before: Arrivals, deadline: Option<Instant>) -> Result<(), Refused> {
        if before.participants() == 0 {
            return Err(Refused::NoParticipants);
        }
        self.wait_released(before, deadline)
            .map_err(|error| match error {
                BarrierWaitError::TimedOut => Refused::TimedOut,
                BarrierWaitError::Broken => Refused::Broken,
            })
    }

    /// The leader's work, given the arrival word as its own arrival or drop left it: take in the
    /// episode's writes, run the completion, reset the arrival word, then open the next episode
    /// and wake the sleepers.
    #[inline]
    pub(super) fn lead(&self, arrivals: Arrivals) -> BarrierWaitResult {
        // Acquire: pairs with the Release read-modify-write of every arrival of this episode, and
        // with the previous leader's Release reset, which the first arrival of this episode read.
        fence(Ordering::Acquire);
        if let Some(completion) = &self.completion {
            // A completion that panics breaks the barrier as it unwinds.
            let guard = self.panic_guard();
            completion();
            std::mem::forget(guard);
        }
        let episode = arrivals.episode();
        let mut current = arrivals;
        loop {
            debug_assert_eq!(current.episode(), episode, "reset by another thread");
            // Release: the next leader's Acquire fence pairs with this (through the next
            // episode's arrivals, which read it), so consecutive completions do not race. Nothing
            // else is published here: the waiters synchronize with the release word below.
            match self.arrivals.compare_exchange_weak(
                current.bits(),
                current.reset().bits(),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                // A later arrival into the full episode (to be erased), a drop or a break.
                Err(actual) => current = Arrivals::from_bits(actual),
            }
        }
        self.release(episode);
        BarrierWaitResult { is_leader: true }
    }

    /// Lowers the participant count by one, as an arrival in this episode (see
    /// [`Barrier::arrive_and_drop`]); leads the episode if that completes it.
    pub(super) fn drop_participant(&self) -> Result<BarrierWaitResult, Refused> {
        let mut current = Arrivals::from_bits(self.arrivals.load(Ordering::Relaxed));
        loop {
            if current.is_broken() {
                return Ok(BarrierWaitResult { is_leader: false });
            }
            if current.participants() == 0 {
                return Err(Refused::NoParticipants);
            }
            let after = current.dropped();
            // Release: counts as an arrival, so this thread's writes travel to the leader as an
            // arrival's do (see `arrive_in`); the Acquire fence in `lead` pairs with it.
            match self.arrivals.compare_exchange_weak(
                current.bits(),
                after.bits(),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    // The others have all arrived: this drop completes the episode. (A drop into
                    // a full episode, from a thread beyond the participant count, belongs to the
                    // next one, whose count starts after the reset and cannot be complete yet.)
                    if current.count() + 1 == current.participants() {
                        return Ok(self.lead(after));
                    }
                    return Ok(BarrierWaitResult { is_leader: false });
                }
                Err(actual) => current = Arrivals::from_bits(actual),
            }
        }
    }

    /// A timed-out waiter takes its arrival back, unless its episode is already complete, in
    /// which case it waits for the release after all.
    #[cold]
    pub(super) fn withdraw(
        &self,
        arrivals: Arrivals,
    ) -> Result<BarrierWaitResult, BarrierWaitError> {
        let episode = arrivals.episode();
        let mut current = Arrivals::from_bits(self.arrivals.load(Ordering::Relaxed));
        loop {
            if current.is_broken() {
                return Err(BarrierWaitError::Broken);
            }
            if current.episode() != episode || current.is_full() {
                // Complete: this arrival is part of it; the leader is about to release it.
                self.wait_released(arrivals, None)?;
                return Ok(BarrierWaitResult { is_leader: false });
            }
            // Relaxed: a withdrawn arrival publishes nothing and learns nothing. The
            // modification order of the arrival word decides the race with the last arrival:
            // this succeeds only before it, so the episode then needs one more arrival.
            match self.arrivals.compare_exchange_weak(
                current.bits(),
                current.withdrawn().bits(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Err(BarrierWaitError::TimedOut),
                Err(actual) => current = Arrivals::from_bits(actual),
            }
        }
    }
}

impl<F> Barrier<F> {
    /// Opens the episode after `episode` in the release word, then wakes the sleepers.
    #[inline]
    fn release(&self, episode: u32) {
        let mut current = Released::from_bits(episode);
        loop {
            // Release: pairs with the Acquire load in `wait_episode`, publishing this episode's
            // writes (gathered by the Acquire fence in `lead`) and the completion's to every
            // waiter. The new value keeps BROKEN and drops SLEEPERS: every sleeper is woken below.
            match self.released.compare_exchange(
                current.bits(),
                current.opening_after(episode).bits(),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(previous) => return self.released.wake_all_if_sleepers(previous),
                // A waiter set SLEEPERS, or the barrier broke: same episode, try again.
                Err(actual) if Released::from_bits(actual).episode() == episode => {
                    current = Released::from_bits(actual);
                }
                // The previous episode's leader has not opened this episode yet (only when more
                // threads than participants share the barrier): wait for it.
                Err(actual) => {
                    if self
                        .wait_episode(Released::previous(episode), 0, None)
                        .is_err()
                    {
                        // Broken: this episode's waiters are told so by the release word.
                        return;
                    }
                    current = Released::from_bits(actual).with_episode(episode);
                }
            }
        }
    }

    /// Waits, until `deadline` at the latest, for the release of the episode an arrival (as its
    /// arrival left the arrival word) belongs to, or for the barrier to break.
    #[inline]
    pub(super) fn wait_released(
        &self,
        arrivals: Arrivals,
        deadline: Option<Instant>,
    ) -> Result<(), BarrierWaitError> {
        // Every participant but the leader may wait at once.
        let waiters = arrivals.participants().saturating_sub(1) as usize;
        self.wait_episode(arrivals.episode(), waiters, deadline)
    }

    /// Waits for the release of `episode` by number: for an arrival (`wait_released`), and for
    /// the leader that must see the previous episode released before it releases its own.
    #[cold]
    fn wait_episode(
        &self,
        episode: u32,
        waiters: usize,
        deadline: Option<Instant>,
    ) -> Result<(), BarrierWaitError> {
        // The Acquire load of the release word in `wait` pairs with the Release compare-exchange
        // in `release`.
        let released = |state| {
            let state = Released::from_bits(state);
            if state.has_released(episode) {
                Some(Ok(()))
            } else if state.is_broken() {
                Some(Err(BarrierWaitError::Broken))
            } else {
                None
            }
        };
        match wait(&self.released, self.policy, waiters, deadline, released) {
            Ok(result) => result,
            Err(TimedOut) => Err(BarrierWaitError::TimedOut),
        }
    }
}
