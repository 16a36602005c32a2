//! The spin under loom: none. A spin only re-reads the word, so it adds no behaviour the models
//! could miss, multiplies the interleavings, and could hide a missing wake behind a lucky re-read.

use super::policy::WaitPolicy;
use std::time::Instant;

/// Never spins: the waiter sleeps at its first chance.
pub(crate) struct Spin;

impl Spin {
    #[inline]
    pub(crate) fn new(_policy: WaitPolicy, _waiters: usize, _until: Option<Instant>) -> Spin {
        Spin
    }

    #[inline]
    pub(crate) fn spin(&mut self) -> bool {
        false
    }
}
