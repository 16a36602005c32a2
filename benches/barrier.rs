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
    // Two threads each increment their own counter, the counters `apart` bytes apart: at 8 they
    // share a line, at 64 they are neighbours an adjacent-line prefetcher fetches together, 128
    // is where the tree's nodes sit (CachePadded), 256 libomp's dist barrier's padding. One
    // iteration is one increment on each thread.
    for apart in [8usize, 64, 128, 256] {
        group.bench_function(format!("apart-{apart}"), |b| {
            b.iter_custom(|iters| {
                use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
                #[repr(align(4096))]
                struct Page([AtomicU64; 64]);
                let page = Page(std::array::from_fn(|_| AtomicU64::new(0)));
                let counters = [&page.0[0], &page.0[apart / 8]];
                run_on_threads(2, &Pinning::none(), |me| {
                    for _ in 0..iters {
                        counters[me].fetch_add(1, Relaxed);
                    }
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, barriers, cache_line);
criterion_main!(benches);
