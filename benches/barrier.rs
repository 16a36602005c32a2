//! Barrier episode cost across thread counts: syncpoint's `Barrier` against `std::sync::Barrier`,
//! the classic two-turnstile barrier and, where threads <= cores, a pure-spin floor.
//!
//! `cargo bench --bench barrier`. Each iteration is one episode on every thread.

// A bench is not API: criterion_group! makes undocumented functions.
#![allow(missing_docs)]

mod peers;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::Duration;

fn barriers(c: &mut Criterion) {
    let mut group = c.benchmark_group("barrier");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for n in peers::thread_counts() {
        group.bench_with_input(BenchmarkId::new("syncpoint", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                let barrier = syncpoint::Barrier::new(n);
                peers::run_on_threads(n, |_| {
                    for _ in 0..iters {
                        barrier.wait();
                    }
                })
            })
        });
        group.bench_with_input(BenchmarkId::new("std", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                let barrier = std::sync::Barrier::new(n);
                peers::run_on_threads(n, |_| {
                    for _ in 0..iters {
                        barrier.wait();
                    }
                })
            })
        });
        group.bench_with_input(BenchmarkId::new("two-turnstile", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                let barrier = syncpoint::classic::TwoTurnstileBarrier::new(n);
                peers::run_on_threads(n, |_| {
                    for _ in 0..iters {
                        barrier.wait();
                    }
                })
            })
        });
        if n <= peers::cores() {
            group.bench_with_input(BenchmarkId::new("spin-floor", n), &n, |b, &n| {
                b.iter_custom(|iters| {
                    let barrier = peers::SpinBarrier::new(n);
                    peers::run_on_threads(n, |_| {
                        let mut sense = false;
                        for _ in 0..iters {
                            barrier.wait(&mut sense);
                        }
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, barriers);
criterion_main!(benches);
