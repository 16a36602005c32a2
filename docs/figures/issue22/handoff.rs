// Issue 22, item 3: how long a waiter for several permits waits among single-permit loopers.
// usage: handoff <loopers> <try|block> <seconds> <need>
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};
use syncpoint::Semaphore;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let loopers: usize = args[1].parse().unwrap();
    let hot_try = args[2] == "try";
    let seconds: u64 = args[3].parse().unwrap();
    let need: u32 = args[4].parse().unwrap();
    let sem = Semaphore::new(need);
    let stop = AtomicBool::new(false);
    let mut waits = Vec::new();
    std::thread::scope(|s| {
        for _ in 0..loopers {
            s.spawn(|| {
                let mut x = 0u64;
                while !stop.load(Relaxed) {
                    if hot_try {
                        if !sem.try_acquire() {
                            std::hint::spin_loop();
                            continue;
                        }
                    } else {
                        sem.acquire();
                    }
                    for i in 0..200 { x = x.wrapping_add(i); std::hint::black_box(x); }
                    sem.release();
                }
            });
        }
        let end = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < end {
            let t = Instant::now();
            sem.acquire_many(need);
            waits.push(t.elapsed());
            std::thread::sleep(Duration::from_micros(200));
            sem.release_many(need);
        }
        stop.store(true, Relaxed);
    });
    waits.sort();
    let q = |p: f64| waits[((waits.len() - 1) as f64 * p) as usize];
    println!(
        "loopers {loopers} {} need {need}: {} acquires, median {:?}, p90 {:?}, p99 {:?}, max {:?}",
        if hot_try { "try_acquire" } else { "acquire" },
        waits.len(), q(0.5), q(0.9), q(0.99), waits.last().unwrap()
    );
}
