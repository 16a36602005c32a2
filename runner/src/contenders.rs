//! The one home of the contender adapters: what the runner's modes and the criterion benches
//! drive, and the impl that fits each primitive and peer to it. A new peer is a type in
//! [`peers`], one impl here, and one line in its mode's lineup (and, if wanted, in
//! its bench).

use crate::peers;

/// A barrier: `n` threads call [`wait`](Wait::wait), and none returns before all have.
pub trait Wait: Sync {
    /// Waits for the other threads of this episode.
    fn wait(&self);
}

/// A counting semaphore.
pub trait Sem: Sync {
    /// A semaphore with `permits` permits.
    fn new(permits: u32) -> Self;
    /// Takes one permit, waiting for it.
    fn acquire(&self);
    /// Gives one permit back.
    fn release(&self);
    /// Gives `n` permits back: one release after another, unless the semaphore releases
    /// several at once.
    fn release_many(&self, n: u32) {
        for _ in 0..n {
            self.release();
        }
    }
}

/// A single-use latch that `count` threads count down and wait on.
pub trait CountDown: Sync + Send {
    /// A latch that opens after `count` count-downs.
    fn new(count: u32) -> Self;
    /// Counts down and waits for the latch to open.
    fn arrive_and_wait(&self);
}

impl Wait for syncpoint::Barrier {
    fn wait(&self) {
        syncpoint::Barrier::wait(self);
    }
}

impl Wait for std::sync::Barrier {
    fn wait(&self) {
        std::sync::Barrier::wait(self);
    }
}

impl Wait for syncpoint::classic::TwoTurnstileBarrier {
    fn wait(&self) {
        syncpoint::classic::TwoTurnstileBarrier::wait(self);
    }
}

impl Wait for peers::SpinBarrier {
    fn wait(&self) {
        peers::SpinBarrier::wait(self);
    }
}

#[cfg(peer_cxx_barrier)]
impl Wait for peers::CxxBarrier {
    fn wait(&self) {
        peers::CxxBarrier::wait(self);
    }
}

impl Sem for syncpoint::Semaphore {
    fn new(permits: u32) -> Self {
        syncpoint::Semaphore::new(permits)
    }
    fn acquire(&self) {
        syncpoint::Semaphore::acquire(self).expect("the runner never closes a semaphore");
    }
    fn release(&self) {
        syncpoint::Semaphore::release(self);
    }
    fn release_many(&self, n: u32) {
        syncpoint::Semaphore::release_many(self, n);
    }
}

impl Sem for peers::MutexSemaphore {
    fn new(permits: u32) -> Self {
        peers::MutexSemaphore::new(permits)
    }
    fn acquire(&self) {
        peers::MutexSemaphore::acquire(self);
    }
    fn release(&self) {
        peers::MutexSemaphore::release(self);
    }
}

#[cfg(target_os = "linux")]
impl Sem for peers::PosixSemaphore {
    fn new(permits: u32) -> Self {
        peers::PosixSemaphore::new(permits)
    }
    fn acquire(&self) {
        peers::PosixSemaphore::acquire(self);
    }
    fn release(&self) {
        peers::PosixSemaphore::release(self);
    }
}

impl CountDown for syncpoint::Latch {
    fn new(count: u32) -> Self {
        syncpoint::Latch::new(count)
    }
    fn arrive_and_wait(&self) {
        syncpoint::Latch::arrive_and_wait(self);
    }
}

impl CountDown for peers::MutexLatch {
    fn new(count: u32) -> Self {
        peers::MutexLatch::new(count)
    }
    fn arrive_and_wait(&self) {
        peers::MutexLatch::arrive_and_wait(self);
    }
}
