//! Semaphore costs: uncontended acquire+release, the Little Book of Semaphores' rendezvous round
//! trip on two semaphores, contended throughput with k permits and n threads, and a thread pool's
//! "work available" herd (one producer, 16 or 64 sleeping consumers); syncpoint against a
//! Mutex+Condvar semaphore and glibc's `sem_t`. Then the starvation case: how long a waiter for
//! several permits waits while threads loop on single permits.
//!
//! `cargo bench -p syncpoint-bench --bench semaphore`. The herd and starvation groups print their CPU time,
//! context switches and worst waits after criterion's lines.

// A bench is not API: criterion_group! makes undocumented functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};
use syncpoint_bench::contenders::Sem;
use syncpoint_bench::peers;
use syncpoint_bench::semaphore::{herd as herd_run, rendezvous as rendezvous_run};
use syncpoint_bench::threads::{median, run_on_threads, Pinning};

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
        b.iter_custom(|iters| rendezvous_run::<S>(iters, &Pinning::none()))
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
                run_on_threads(n, &Pinning::none(), |_| {
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

/// A thread pool's "work available" signal: one producer releases one permit per item,
/// `ITEM_SPACING` apart, to `consumers` threads asleep in `acquire` (syncpoint_bench::semaphore::herd). Criterion times the items;
/// the process's CPU time (user + system, the producer's spin included) and context switches per
/// item are printed after the group, medians over its samples.
fn herd<S: Sem>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group("semaphore/herd");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for consumers in [16, 64] {
        let usage: Mutex<Vec<(f64, f64)>> = Mutex::new(Vec::new());
        let id = BenchmarkId::new(name, format!("{consumers}consumers"));
        group.bench_function(id, |b| {
            b.iter_custom(|items| {
                let (wall, used) = herd_run::<S>(consumers, items, 1, &Pinning::none());
                if let Some(used) = used {
                    usage.lock().unwrap().push((
                        used.cpu.as_nanos() as f64 / items as f64,
                        used.context_switches as f64 / items as f64,
                    ));
                }
                wall
            })
        });
        let (mut cpu, mut switches): (Vec<f64>, Vec<f64>) =
            usage.into_inner().unwrap().into_iter().unzip();
        if let (Some(cpu), Some(switches)) = (median(&mut cpu), median(&mut switches)) {
            println!(
                "semaphore/herd/{name}/{consumers}consumers: CPU {:.2} µs per item, {switches:.2} \
                 context switches per item (medians over the samples)",
                cpu / 1000.0,
            );
        }
    }
    group.finish();
}

/// The starvation case: four threads loop on `acquire`/`release` of a semaphore of four permits
/// while one thread acquires all four at once, again and again. Criterion times the big
/// waiter's acquires; the worst and median waits are printed after it. Without the handoff rule
/// the big waiter waits until the loopers happen to leave all four permits free at once.
fn starvation(c: &mut Criterion) {
    const PERMITS: u32 = 4;
    let waits: Mutex<Vec<f64>> = Mutex::new(Vec::new());
    let mut group = c.benchmark_group("semaphore/starvation");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("syncpoint/acquire_many(4)-vs-4-loopers", |b| {
        b.iter_custom(|rounds| {
            let sem = syncpoint::Semaphore::new(PERMITS);
            let stop = AtomicBool::new(false);
            let mut total = Duration::ZERO;
            thread::scope(|s| {
                for _ in 0..PERMITS {
                    let (sem, stop) = (&sem, &stop);
                    s.spawn(move || {
                        while !stop.load(Relaxed) {
                            let _permit = sem.permit();
                            black_box(());
                        }
                    });
                }
                let mut mine = waits.lock().unwrap();
                for _ in 0..rounds {
                    let start = Instant::now();
                    let permits = sem.permit_many(PERMITS);
                    let waited = start.elapsed();
                    drop(permits);
                    total += waited;
                    mine.push(waited.as_secs_f64() * 1e6);
                }
                stop.store(true, Relaxed);
            });
            total
        })
    });
    group.finish();
    let mut waits = waits.into_inner().unwrap();
    let count = waits.len();
    if let Some(median) = median(&mut waits) {
        println!(
            "semaphore/starvation: acquire_many(4) against 4 loopers: worst wait {:.0} µs, \
             median {median:.1} µs ({count} acquires)",
            waits[count - 1],
        );
    }
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
    herd::<syncpoint::Semaphore>(c, "syncpoint");
    herd::<peers::MutexSemaphore>(c, "mutex-condvar");
    #[cfg(target_os = "linux")]
    herd::<peers::PosixSemaphore>(c, "glibc-sem_t");
    starvation(c);
}

criterion_group!(benches, semaphores);
criterion_main!(benches);
