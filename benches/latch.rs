//! Latch: `n` threads count down and wait on a fresh latch each round; syncpoint's `Latch`
//! against a Mutex+Condvar latch. An iteration is one round on every thread.
//!
//! `cargo bench -p syncpoint-bench --bench latch`.

// A bench is not API: criterion_group! makes undocumented functions.
#![allow(missing_docs)]

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion};
use std::time::Duration;
use syncpoint_bench::contenders::CountDown;
use syncpoint_bench::peers;
use syncpoint_bench::threads::{cores, run_on_threads, Pinning};

/// One benchmark: `n` threads count down and wait on a fresh latch of type `L` each round.
fn rounds<L: CountDown>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, n: usize) {
    group.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
        b.iter_custom(|iters| {
            let rounds: Vec<L> = (0..iters).map(|_| L::new(n as u32)).collect();
            run_on_threads(n, &Pinning::none(), |_| {
                for latch in &rounds {
                    latch.arrive_and_wait();
                }
            })
        })
    });
}

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
        rounds::<syncpoint::Latch>(&mut group, "syncpoint", n);
        rounds::<peers::MutexLatch>(&mut group, "mutex-condvar", n);
    }
    group.finish();
}

criterion_group!(benches, latches);
criterion_main!(benches);
