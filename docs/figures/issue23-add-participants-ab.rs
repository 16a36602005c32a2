// The scratch program of docs/benchmarks.md, "Issue 23: the barrier's wait after
// add_participants": its Cargo.toml names `after` = this repository, `before` = a `git archive`
// of 418a07b (version bumped to 0.0.2 so that both fit in one lockfile), and libc (getrusage).
// Not built by the workspace.
//! issue 23 (add_participants): the barrier's wait before (418a07b) and after, in one process,
//! interleaved rounds. Rows: Barrier(1).wait (the uncontended path), 2 threads x Barrier(2)
//! (threads = cores), 4 threads on a tree of fan-in 2 (oversubscribed, the tree's paths).
use std::hint::black_box;
use std::time::Instant;

trait W: Sync {
    fn w(&self);
}
impl W for after::Barrier {
    fn w(&self) {
        black_box(self.wait());
    }
}
impl W for before::Barrier {
    fn w(&self) {
        black_box(self.wait());
    }
}

/// The process's CPU time (user + system), in ns.
fn cpu() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let ns = |t: libc::timeval| t.tv_sec as f64 * 1e9 + t.tv_usec as f64 * 1e3;
    ns(usage.ru_utime) + ns(usage.ru_stime)
}

/// Wall and CPU time per episode, in ns.
fn run(b: &dyn W, threads: usize, episodes: u32) -> (f64, f64) {
    let (start, cpu0) = (Instant::now(), cpu());
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(|| for _ in 0..episodes { b.w() });
        }
        for _ in 0..episodes {
            b.w()
        }
    });
    let e = episodes as f64;
    (start.elapsed().as_nanos() as f64 / e, (cpu() - cpu0) / e)
}

fn main() {
    let rounds = 11;
    let cases: [(&str, usize, u32); 3] = [("barrier(1).wait", 1, 20_000_000), ("2 threads, Barrier(2)", 2, 200_000), ("4 threads, fan-in 2", 4, 20_000)];
    for (name, threads, episodes) in cases {
        let (mut before, mut after, mut cpu_b, mut cpu_a) = (vec![], vec![], vec![], vec![]);
        for _ in 0..rounds {
            let (b, a): (Box<dyn W>, Box<dyn W>) = if threads == 4 {
                (Box::new(before::Barrier::new(4).with_fan_in(2)), Box::new(after::Barrier::new(4).with_fan_in(2)))
            } else {
                (Box::new(before::Barrier::new(threads)), Box::new(after::Barrier::new(threads)))
            };
            let ((wb, cb), (wa, ca)) = (run(&*b, threads, episodes), run(&*a, threads, episodes));
            before.push(wb);
            after.push(wa);
            cpu_b.push(cb);
            cpu_a.push(ca);
        }
        for v in [&mut before, &mut after, &mut cpu_b, &mut cpu_a] {
            v.sort_by(f64::total_cmp);
        }
        let m = rounds / 2;
        println!(
            "{name:<24} wall: before {:.1} ns [{:.1}-{:.1}]  after {:.1} ns [{:.1}-{:.1}]  after/before {:.3}; CPU: before {:.1} after {:.1} ns",
            before[m], before[0], before[rounds - 1], after[m], after[0], after[rounds - 1], after[m] / before[m], cpu_b[m], cpu_a[m]
        );
    }
}
