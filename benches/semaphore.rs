//! Semaphore costs: uncontended acquire+release, the Little Book of Semaphores' rendezvous round
//! trip on two semaphores, and contended throughput with k permits and n threads; syncpoint
//! against a Mutex+Condvar semaphore and glibc's `sem_t`.
//!
//! `cargo bench --bench semaphore`.

// A bench is not API: criterion_group! makes undocumented functions.
#![allow(missing_docs)]

mod peers;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::time::Duration;

/// The three semaphores under one interface.
trait Sem: Sync {
    fn new(permits: u32) -> Self;
    fn acquire(&self);
    fn release(&self);
}

impl Sem for syncpoint::Semaphore {
    fn new(permits: u32) -> Self {
        syncpoint::Semaphore::new(permits)
    }
    fn acquire(&self) {
        syncpoint::Semaphore::acquire(self)
    }
    fn release(&self) {
        syncpoint::Semaphore::release(self)
    }
}

impl Sem for peers::MutexSemaphore {
    fn new(permits: u32) -> Self {
        peers::MutexSemaphore::new(permits)
    }
    fn acquire(&self) {
        peers::MutexSemaphore::acquire(self)
    }
    fn release(&self) {
        peers::MutexSemaphore::release(self)
    }
}

#[cfg(target_os = "linux")]
impl Sem for peers::PosixSemaphore {
    fn new(permits: u32) -> Self {
        peers::PosixSemaphore::new(permits)
    }
    fn acquire(&self) {
        peers::PosixSemaphore::acquire(self)
    }
    fn release(&self) {
        peers::PosixSemaphore::release(self)
    }
}

fn uncontended<S: Sem>(c: &mut Criterion, name: &str) {
    let sem = S::new(1);
    c.bench_function(&format!("semaphore/uncontended/{name}"), |b| {
        b.iter(|| {
            black_box(&sem).acquire();
            black_box(&sem).release();
        })
    });
}

/// The book's rendezvous (Little Book of Semaphores, 3.3), repeated: each iteration is one round trip of both threads.
fn rendezvous<S: Sem>(c: &mut Criterion, name: &str) {
    c.bench_function(&format!("semaphore/rendezvous/{name}"), |b| {
        b.iter_custom(|iters| {
            let (a_done, b_done) = (S::new(0), S::new(0));
            peers::run_on_threads(2, |me| {
                for _ in 0..iters {
                    if me == 0 {
                        a_done.release();
                        b_done.acquire();
                    } else {
                        b_done.release();
                        a_done.acquire();
                    }
                }
            })
        })
    });
}

/// `n` threads each acquire and release in a loop over `k` permits; an iteration is one
/// acquire+release on every thread.
fn contended<S: Sem>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group("semaphore/contended");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(1));
    for (k, n) in [(1, 2), (1, 8), (2, 8)] {
        let id = BenchmarkId::new(name, format!("{k}permits-{n}threads"));
        group.bench_with_input(id, &(k, n), |b, &(k, n)| {
            b.iter_custom(|iters| {
                let sem = S::new(k);
                peers::run_on_threads(n, |_| {
                    for _ in 0..iters {
                        sem.acquire();
                        black_box(());
                        sem.release();
                    }
                })
            })
        });
    }
    group.finish();
}

fn semaphores(c: &mut Criterion) {
    uncontended::<syncpoint::Semaphore>(c, "syncpoint");
    uncontended::<peers::MutexSemaphore>(c, "mutex-condvar");
    #[cfg(target_os = "linux")]
    uncontended::<peers::PosixSemaphore>(c, "glibc-sem_t");
    rendezvous::<syncpoint::Semaphore>(c, "syncpoint");
    rendezvous::<peers::MutexSemaphore>(c, "mutex-condvar");
    #[cfg(target_os = "linux")]
    rendezvous::<peers::PosixSemaphore>(c, "glibc-sem_t");
    contended::<syncpoint::Semaphore>(c, "syncpoint");
    contended::<peers::MutexSemaphore>(c, "mutex-condvar");
    #[cfg(target_os = "linux")]
    contended::<peers::PosixSemaphore>(c, "glibc-sem_t");
}

criterion_group!(benches, semaphores);
criterion_main!(benches);
