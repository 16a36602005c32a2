//! Latch: `n` threads count down and wait on a fresh latch each round; syncpoint's `Latch`
//! against a Mutex+Condvar latch. An iteration is one round on every thread.
//!
//! `cargo bench -p syncpoint-bench --bench latch`.

// A bench is not API: criterion_group! makes undocumented functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::Duration;
use syncpoint_bench::peers;
use syncpoint_bench::threads::{cores, run_on_threads, Pinning};

fn latches(c: &mut Criterion) {
    let mut group = c.benchmark_group("latch");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(1));
    let cores = cores();
    let mut counts = vec![2, cores, 4 * cores];
    counts.sort_unstable();
    counts.dedup();
    for n in counts {
        group.bench_with_input(BenchmarkId::new("syncpoint", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                let rounds: Vec<_> = (0..iters)
                    .map(|_| syncpoint::Latch::new(n as u32))
                    .collect();
                run_on_threads(n, &Pinning::none(), |_| {
                    for latch in &rounds {
                        latch.arrive_and_wait();
                    }
                })
            })
        });
        group.bench_with_input(BenchmarkId::new("mutex-condvar", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                let rounds: Vec<_> = (0..iters)
                    .map(|_| peers::MutexLatch::new(n as u32))
                    .collect();
                run_on_threads(n, &Pinning::none(), |_| {
                    for latch in &rounds {
                        latch.arrive_and_wait();
                    }
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, latches);
criterion_main!(benches);
