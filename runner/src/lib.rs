//! The benchmark runner's library: what the runner, its examples and the criterion benches share.
//!
//! - [`contenders`]: the adapters every mode and bench drives (`Wait`, `Sem`, `CountDown`), one
//!   impl per primitive or peer;
//! - [`jacobi`]: the Jacobi stencil, the runner's workload and the `jacobi` example;
//! - [`peers`]: what syncpoint is measured against (Mutex+Condvar, glibc's `sem_t`, OpenMP's and
//!   C++20's barriers where the build script could compile them, a pure-spin floor);
//! - [`semaphore`]: the semaphore workloads (the pool herd, the rendezvous);
//! - [`threads`]: running a body on pinned threads, CPU time and context switches.

pub mod contenders;
pub mod jacobi;
pub mod peers;
pub mod semaphore;
pub mod threads;
