// Issue 22: the order of waiters for several. THREADS threads loop on acquire_many(2) of a
// semaphore of 2 (one holder at a time), a few hundred ns of work held. Per round and build:
// acquires, worst wait, p99 wait, and the most later arrivals served before one request
// ("overtakes"); CPU time of the process for the round.
// usage: order <threads> <seconds per round> <rounds>
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

trait Sem: Sync {
    fn get(&self);
    fn put(&self);
}
impl Sem for before::Semaphore {
    fn get(&self) { self.acquire_many(2).unwrap() }
    fn put(&self) { self.release_many(2) }
}
impl Sem for after::Semaphore {
    fn get(&self) { self.acquire_many(2).unwrap() }
    fn put(&self) { self.release_many(2) }
}

fn cpu() -> Duration {
    let mut ru: libc_rusage = unsafe { std::mem::zeroed() };
    unsafe { getrusage(0, &mut ru) };
    let t = |s: i64, us: i64| Duration::from_secs(s as u64) + Duration::from_micros(us as u64);
    t(ru.utime_s, ru.utime_us) + t(ru.stime_s, ru.stime_us)
}
#[repr(C)]
struct libc_rusage { utime_s: i64, utime_us: i64, stime_s: i64, stime_us: i64, rest: [i64; 14] }
extern "C" { fn getrusage(who: i32, usage: *mut libc_rusage) -> i32; }

fn round(name: &str, sem: &dyn Sem, threads: usize, secs: f64) {
    let stop = AtomicBool::new(false);
    let arrivals = AtomicU64::new(0);
    let served: Mutex<Vec<u64>> = Mutex::new(Vec::with_capacity(1 << 20));
    let waits: Mutex<Vec<Duration>> = Mutex::new(Vec::new());
    let cpu0 = cpu();
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut mine = Vec::new();
                let mut x = 0u64;
                while !stop.load(Relaxed) {
                    let arrival = arrivals.fetch_add(1, Relaxed);
                    let t = Instant::now();
                    sem.get();
                    mine.push(t.elapsed());
                    served.lock().unwrap().push(arrival);
                    for i in 0..100 { x = x.wrapping_add(i); std::hint::black_box(x); }
                    sem.put();
                }
                waits.lock().unwrap().extend(mine);
            });
        }
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Relaxed);
    });
    let wall = t0.elapsed();
    let cpu = cpu() - cpu0;
    let served = served.into_inner().unwrap();
    // Later arrivals served before each request: a Fenwick tree over arrival indices.
    let n = arrivals.load(Relaxed) as usize + 1;
    let mut tree = vec![0u32; n + 1];
    let (mut worst, mut overtaken) = (0u64, 0u64);
    for (k, &a) in served.iter().enumerate() {
        let mut i = a as usize + 1;
        let mut below = 0u64;
        while i > 0 { below += u64::from(tree[i]); i &= i - 1; }
        let later = k as u64 - below; // served before it, arrived after it
        worst = worst.max(later);
        if later > 0 { overtaken += 1; }
        let mut i = a as usize + 1;
        while i <= n { tree[i] += 1; i += i & i.wrapping_neg(); }
    }
    let mut waits = waits.into_inner().unwrap();
    waits.sort();
    let q = |p: f64| waits[((waits.len() - 1) as f64 * p) as usize];
    println!(
        "{name:6} {threads} threads: {:>8} acquires, {:>7.0} ns/acquire wall, {:>7.0} ns CPU; wait median {:?} p99 {:?} max {:?}; overtaken {:.2}% of requests, most later arrivals served first {}",
        served.len(),
        wall.as_nanos() as f64 / served.len() as f64,
        cpu.as_nanos() as f64 / served.len() as f64,
        q(0.5), q(0.99), waits.last().unwrap(),
        100.0 * overtaken as f64 / served.len() as f64, worst
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: usize = args[1].parse().unwrap();
    let secs: f64 = args[2].parse().unwrap();
    let rounds: usize = args[3].parse().unwrap();
    for r in 0..rounds {
        println!("round {r}");
        round("before", &before::Semaphore::new(2), threads, secs);
        round("after", &after::Semaphore::new(2), threads, secs);
    }
}
