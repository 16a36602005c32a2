// The scratch program of docs/hpc.md, "The bimodal quick run": the hybrid job's 1 x 2
// layout without MPI. Built beside docs/figures/issue23-add-participants-ab.rs (its Cargo.toml,
// `after` = this repository); `hyb [sweeps] [work]`, POLICY=adaptive|active|passive|std (std: std::sync::Barrier, the leader doing the completion's work).
// 2 threads x Barrier::with_completion(2), ~1.5 µs of work per sweep, 200 sweeps a run, 15 runs,
// thread 0 = the main thread (persists across runs), as the hybrid job's 1x2 layout.
use std::hint::black_box;
use std::time::Instant;

fn work(n: u32) -> f64 {
    let mut x = 1.0f64;
    for i in 0..n {
        x = black_box(x * 1.0000001 + i as f64 * 1e-9);
    }
    x
}

static SW: std::sync::LazyLock<u32> = std::sync::LazyLock::new(|| std::env::args().nth(1).map_or(200, |s| s.parse().unwrap()));
fn main() {
    let sweeps: u32 = std::env::args().nth(1).map_or(200, |s| s.parse().unwrap());
    let n: u32 = std::env::args().nth(2).map_or(1500, |s| s.parse().unwrap());
    let mut out = vec![];
    let mut sw = vec![];
    let csw = || { let mut u: libc::rusage = unsafe { std::mem::zeroed() }; unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) }; (u.ru_nvcsw as f64) + (u.ru_nivcsw as f64) * 1000.0 };
    for _ in 0..15 {
        if std::env::var("POLICY").as_deref() == Ok("std") {
            let b = std::sync::Barrier::new(2);
            let start = Instant::now();
            let c0 = csw();
            std::thread::scope(|s| {
                s.spawn(|| for _ in 0..sweeps { black_box(work(n)); if b.wait().is_leader() { black_box(work(50)); } });
                for _ in 0..sweeps { black_box(work(n)); if b.wait().is_leader() { black_box(work(50)); } }
            });
            out.push(start.elapsed().as_secs_f64() * 1e6 / sweeps as f64);
            sw.push((csw() - c0) / sweeps as f64);
            std::thread::sleep(std::time::Duration::from_millis(2));
            continue;
        }
        let policy = match std::env::var("POLICY").as_deref() { Ok("active") => after::WaitPolicy::Active, Ok("passive") => after::WaitPolicy::Passive, _ => after::WaitPolicy::Adaptive };
        let b = after::Barrier::with_completion(2, || { black_box(work(50)); }).with_wait_policy(policy);
        let start = Instant::now();
        let c0 = csw();
        std::thread::scope(|s| {
            s.spawn(|| for _ in 0..sweeps { black_box(work(n)); b.wait(); });
            for _ in 0..sweeps { black_box(work(n)); b.wait(); }
        });
        out.push(start.elapsed().as_secs_f64() * 1e6 / sweeps as f64);
        sw.push((csw() - c0) / sweeps as f64);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    println!("{}", out.iter().zip(&sw).map(|(x, c)| format!("{x:.0}/{}v{}i", ((c * *SW as f64) % 1000.0).round(), (c * *SW as f64 / 1000.0).floor())).collect::<Vec<_>>().join(" "));
}
