// The scratch program of docs/benchmarks.md, "Issue 23: the fast paths after close": its
// Cargo.toml names `after` = this repository and `before` = a `git archive` of b2e1b67 (version
// bumped to 0.0.1 so that both fit in one lockfile). Not built by the workspace.
use std::hint::black_box;
use std::time::Instant;

const N: u32 = 20_000_000;

fn time(f: impl Fn()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_nanos() as f64 / N as f64
}

fn main() {
    let mut rows: Vec<(&str, Vec<f64>, Vec<f64>)> = vec![
        ("acquire+release", vec![], vec![]),
        ("try_acquire+release", vec![], vec![]),
        ("barrier(1).wait", vec![], vec![]),
    ];
    for _ in 0..7 {
        let a = after::Semaphore::new(1);
        let b = before::Semaphore::new(1);
        rows[0].1.push(time(|| for _ in 0..N { black_box(&b).acquire(); black_box(&b).release(); }));
        rows[0].2.push(time(|| for _ in 0..N { let _ = black_box(&a).acquire(); black_box(&a).release(); }));
        rows[1].1.push(time(|| for _ in 0..N { if black_box(&b).try_acquire() { black_box(&b).release(); } }));
        rows[1].2.push(time(|| for _ in 0..N { if black_box(&a).try_acquire().is_ok() { black_box(&a).release(); } }));
        let (ba, bb) = (after::Barrier::new(1), before::Barrier::new(1));
        rows[2].1.push(time(|| for _ in 0..N { black_box(black_box(&bb).wait()); }));
        rows[2].2.push(time(|| for _ in 0..N { black_box(black_box(&ba).wait()); }));
    }
    for (name, mut before, mut after) in rows {
        before.sort_by(f64::total_cmp);
        after.sort_by(f64::total_cmp);
        println!(
            "{name:<22} before {:.2} ns [{:.2}-{:.2}]  after {:.2} ns [{:.2}-{:.2}]  after/before {:.3}",
            before[3], before[0], before[6], after[3], after[0], after[6], after[3] / before[3]
        );
    }
}
