//! A typed atomic word: a 64-bit atomic that holds a packed state (the barrier's `Arrivals`, the
//! semaphore's `State`) and is read and changed as that state, in the manner of std's
//! `fetch_update` and rayon-core's `try_exchange`. [`exchange_loop`] is the crate's one
//! compare-exchange loop; the futex words use it too.

use crate::primitive::{const_fn_unless_loom, AtomicU64, Ordering};
use core::marker::PhantomData;
use std::fmt;

/// A state packed into the 64 bits of a [`Word`].
pub(crate) trait Packed: Copy {
    fn from_bits(bits: u64) -> Self;
    fn bits(self) -> u64;
}

/// A 64-bit atomic holding an `S`. Each caller names the ordering of every operation, and its
/// partner.
pub(crate) struct Word<S> {
    bits: AtomicU64,
    state: PhantomData<S>,
}

impl<S> Word<S> {
    const_fn_unless_loom! {
        /// A word holding `bits` (a state's `bits()`: its constructors are `const`, the trait's
        /// methods cannot be).
        pub(crate) fn from_bits(bits: u64) -> Word<S> {
            Word {
                bits: AtomicU64::new(bits),
                state: PhantomData,
            }
        }
    }
}

impl<S: Packed> Word<S> {
    #[inline]
    pub(crate) fn load(&self, order: Ordering) -> S {
        S::from_bits(self.bits.load(order))
    }

    /// For tests that set a state directly (a barrier moved on by 2^27 episodes at once).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn store(&self, state: S, order: Ordering) {
        self.bits.store(state.bits(), order);
    }

    /// Replaces the state `s` with `f(s)` until `f` says `None` or the exchange succeeds, starting
    /// from a fresh load (`fetch` ordering); see [`try_update_from`](Word::try_update_from).
    #[inline]
    pub(crate) fn try_update(
        &self,
        set: Ordering,
        fetch: Ordering,
        f: impl FnMut(S) -> Option<S>,
    ) -> Result<S, S> {
        self.try_update_from(self.load(fetch), set, fetch, f)
    }

    /// Replaces the state with `f(state)`, starting from `current`, a value the caller already
    /// holds (the one its own read-modify-write left: no load, so the line is taken once).
    /// Returns the state replaced, or, once `f` says `None`, the state it said it to. `set` orders
    /// the exchange that succeeds, `fetch` every read of the word.
    #[inline]
    pub(crate) fn try_update_from(
        &self,
        current: S,
        set: Ordering,
        fetch: Ordering,
        f: impl FnMut(S) -> Option<S>,
    ) -> Result<S, S> {
        exchange_loop(current, f, |current: S, next: S| {
            let exchanged = self
                .bits
                .compare_exchange_weak(current.bits(), next.bits(), set, fetch)
                .map(S::from_bits)
                .map_err(S::from_bits);
            #[cfg(all(test, not(loom)))]
            if exchanged.is_ok() {
                crate::testing::rmw((&self.bits as *const AtomicU64).addr());
            }
            exchanged
        })
    }

    /// Replaces the state `s` with `f(s)`; returns the state replaced.
    #[inline]
    pub(crate) fn update(&self, set: Ordering, fetch: Ordering, f: impl FnMut(S) -> S) -> S {
        self.update_from(self.load(fetch), set, fetch, f)
    }

    /// As [`update`](Word::update), starting from `current`, a value the caller holds.
    #[inline]
    pub(crate) fn update_from(
        &self,
        current: S,
        set: Ordering,
        fetch: Ordering,
        mut f: impl FnMut(S) -> S,
    ) -> S {
        match self.try_update_from(current, set, fetch, |s| Some(f(s))) {
            Ok(previous) | Err(previous) => previous,
        }
    }

    /// Adds `bits` to the word; returns the state replaced.
    #[inline]
    pub(crate) fn fetch_add(&self, bits: u64, order: Ordering) -> S {
        #[cfg(all(test, not(loom)))]
        crate::testing::rmw((&self.bits as *const AtomicU64).addr());
        S::from_bits(self.bits.fetch_add(bits, order))
    }

    /// Sets `bits` in the word; returns the state replaced.
    #[inline]
    pub(crate) fn fetch_or(&self, bits: u64, order: Ordering) -> S {
        #[cfg(all(test, not(loom)))]
        crate::testing::rmw((&self.bits as *const AtomicU64).addr());
        S::from_bits(self.bits.fetch_or(bits, order))
    }
}

impl<S: Packed + fmt::Debug> fmt::Debug for Word<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Relaxed: a snapshot for printing.
        self.load(Ordering::Relaxed).fmt(f)
    }
}

/// The compare-exchange loop: while `f` turns the value last seen into a new one, try to
/// `exchange` the two (a weak compare-exchange, which may fail spuriously). Returns the value
/// replaced, or the value `f` refused.
#[inline]
pub(crate) fn exchange_loop<T: Copy>(
    mut current: T,
    mut f: impl FnMut(T) -> Option<T>,
    mut exchange: impl FnMut(T, T) -> Result<T, T>,
) -> Result<T, T> {
    while let Some(next) = f(current) {
        match exchange(current, next) {
            Ok(previous) => return Ok(previous),
            Err(actual) => current = actual,
        }
    }
    Err(current)
}
