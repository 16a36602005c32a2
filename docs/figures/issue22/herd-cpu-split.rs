//! The runner's batched herd, with the producer's own CPU time taken apart: the consumers' CPU
//! per item is the process's less the producer's.
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};
use syncpoint_bench::contenders::Sem;
use syncpoint_bench::peers::PosixSemaphore;
use syncpoint_bench::threads::{Pinning, Usage};

fn herd<S: Sem>(consumers: usize, items: u64, batch: u32, pinning: &Pinning) -> (f64, f64, f64) {
    let sem = S::new(0);
    let taken = AtomicU64::new(0);
    thread::scope(|s| {
        for me in 1..=consumers {
            let (sem, taken) = (&sem, &taken);
            s.spawn(move || {
                pinning.pin(me);
                loop {
                    sem.acquire();
                    if taken.fetch_add(1, Relaxed) >= items {
                        break;
                    }
                }
            });
        }
        let producer = s.spawn(|| {
            pinning.pin(0);
            thread::sleep(Duration::from_millis(20));
            let (before, mine) = (Usage::now().unwrap(), Usage::thread_now().unwrap());
            for _ in 0..items / u64::from(batch) {
                let released = Instant::now();
                sem.release_many(batch);
                while released.elapsed() < Duration::from_micros(20) * batch {
                    std::hint::spin_loop();
                }
            }
            while taken.load(Relaxed) < items {
                thread::yield_now();
            }
            let (after, mine_after) = (Usage::now().unwrap(), Usage::thread_now().unwrap());
            for _ in 0..consumers {
                sem.release();
            }
            let n = items as f64;
            let all = (after.cpu - before.cpu).as_secs_f64() * 1e6 / n;
            let prod = (mine_after.cpu - mine.cpu).as_secs_f64() * 1e6 / n;
            let sw = (after.context_switches - before.context_switches) as f64 / n;
            (all, prod, sw)
        });
        producer.join().unwrap()
    })
}

fn median(v: &mut Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args().nth(1).map_or(10, |a| a.parse().unwrap());
    let pinning = Pinning::first(2).unwrap();
    for &(consumers, batch) in &[(32usize, 4u32), (64, 8)] {
        println!("herd-{consumers}-by-{batch}: per round, median of 7 runs of 1000 items: all CPU / producer CPU / consumers' CPU µs per item, switches");
        let mut ratios = Vec::new();
        for round in 0..rounds {
            let mut line = format!("round {round:2}:");
            let mut cons = [0.0; 2];
            for (i, name) in ["syncpoint", "sem_t"].iter().enumerate() {
                let (mut a, mut p, mut c, mut w) = (vec![], vec![], vec![], vec![]);
                for _ in 0..7 {
                    let (all, prod, sw) = if i == 0 {
                        herd::<syncpoint::Semaphore>(consumers, 1000, batch, &pinning)
                    } else {
                        herd::<PosixSemaphore>(consumers, 1000, batch, &pinning)
                    };
                    a.push(all);
                    p.push(prod);
                    c.push(all - prod);
                    w.push(sw);
                }
                cons[i] = median(&mut c);
                line += &format!(
                    "  {name} {:.2} / {:.2} / {:.3}, {:.2}",
                    median(&mut a),
                    median(&mut p),
                    cons[i],
                    median(&mut w)
                );
            }
            ratios.push(cons[0] / cons[1]);
            println!("{line}  consumers syncpoint/sem_t {:.3}", cons[0] / cons[1]);
        }
        let below = ratios.iter().filter(|&&r| r <= 1.0).count();
        println!("consumers' CPU, syncpoint/sem_t: median {:.3}, range {:.3}-{:.3}, rounds at or below 1: {below} of {rounds}", median(&mut ratios.clone()), ratios.iter().cloned().fold(f64::MAX, f64::min), ratios.iter().cloned().fold(0.0, f64::max));
    }
}
