//! Barrier episode cost across thread counts: syncpoint's `Barrier` against `std::sync::Barrier`,
//! the classic two-turnstile barrier and, where threads <= cores, a pure-spin floor.
//!
//! `cargo bench -p syncpoint-bench --bench barrier`. Each iteration is one episode on every thread.
//!
//! `cache-line/round-trip` measures what a centralized barrier is made of: two threads pass one
//! cache line back and forth (each waits for the other's store, then stores); one iteration is
//! one round trip, two line transfers. docs/hpc.md uses it for the many-core arithmetic.

// A bench is not API: criterion_group! makes undocumented functions.
#![allow(missing_docs)]

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion};
use std::time::Duration;
use syncpoint_bench::contenders::Wait;
use syncpoint_bench::peers;
use syncpoint_bench::threads::{cores, round_trip, run_on_threads, thread_counts, Pinning};

/// One benchmark: `n` threads run `iters` episodes of a fresh barrier from `make`.
fn episodes<B: Wait>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    n: usize,
    make: fn(usize) -> B,
) {
    group.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
        b.iter_custom(|iters| {
            let barrier = make(n);
            run_on_threads(n, &Pinning::none(), |_| {
                for _ in 0..iters {
                    barrier.wait();
                }
            })
        })
    });
}

fn barriers(c: &mut Criterion) {
    let mut group = c.benchmark_group("barrier");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for n in thread_counts() {
        episodes(&mut group, "syncpoint", n, syncpoint::Barrier::new);
        episodes(&mut group, "std", n, std::sync::Barrier::new);
        episodes(
            &mut group,
            "two-turnstile",
            n,
            syncpoint::classic::TwoTurnstileBarrier::new,
        );
        if n <= cores() {
            episodes(&mut group, "spin-floor", n, peers::SpinBarrier::new);
        }
    }
    group.finish();
}

/// Two threads hand one cache line back and forth; one iteration is one round trip.
fn cache_line(c: &mut Criterion) {
    if cores() < 2 {
        return;
    }
    let mut group = c.benchmark_group("cache-line");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.bench_function("round-trip", |b| {
        b.iter_custom(|iters| round_trip(&Pinning::none(), iters) * iters as u32)
    });
    group.finish();
}

criterion_group!(benches, barriers, cache_line);
criterion_main!(benches);
