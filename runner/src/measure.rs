//! How a measurement is taken: the EPCC syncbench method for the barriers, repeated timed runs
//! for the rest; wall time, CPU time (user + system of every thread of the process) and context
//! switches per unit of work; and what counts as noise.

use crate::cli::{Point, Variant};
use serde::{Deserialize, Serialize};
use std::hint::black_box;
use std::time::{Duration, Instant};
use syncpoint_bench::threads::{median, on_fresh_thread, Pinning, Usage};

/// One contender's repetitions at one point, per unit of work (episode, sweep, item, round).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Sampled {
    /// Units of work per timed run.
    pub iterations: u64,
    /// Wall time per unit, µs, one value per repetition.
    pub wall: Vec<f64>,
    /// CPU time per unit, µs (user + system, all threads), where the OS reports it.
    pub cpu: Option<Vec<f64>>,
    /// Context switches per unit, where the OS reports them.
    pub switches: Option<Vec<f64>>,
    /// A wall value at or below this is within the measurement's noise, µs.
    pub noise: f64,
    /// The same for CPU time.
    pub cpu_noise: f64,
    /// Barrier mode, a Rust-driven barrier where threads do not outnumber cores: the spin
    /// floor's wall time per unit in a run of its own just before each repetition, on the same
    /// threads (a VM's floor moves within a second, so only a neighbour is a fair measure).
    #[serde(default)]
    pub floor: Option<Vec<f64>>,
}

impl Sampled {
    /// Several rounds of one measurement as one: their repetitions pooled, the highest noise
    /// level of any round, the first round's iterations. `None` for no round.
    pub fn pooled(rounds: Vec<Sampled>) -> Option<Sampled> {
        let mut rounds = rounds.into_iter();
        let mut all = rounds.next()?;
        for round in rounds {
            all.wall.extend(round.wall);
            all.cpu = all.cpu.zip(round.cpu).map(|(mut a, b)| {
                a.extend(b);
                a
            });
            all.switches = all.switches.zip(round.switches).map(|(mut a, b)| {
                a.extend(b);
                a
            });
            all.floor = all.floor.zip(round.floor).map(|(mut a, b)| {
                a.extend(b);
                a
            });
            all.noise = all.noise.max(round.noise);
            all.cpu_noise = all.cpu_noise.max(round.cpu_noise);
        }
        Some(all)
    }
}

/// The median of `values`; `None` when empty.
pub fn median_of(values: &[f64]) -> Option<f64> {
    median(&mut values.to_vec())
}

/// Median, min, max of one quantity's repetitions, and the noise they are judged against.
#[derive(Clone, Debug)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// In the order measured.
    pub samples: Vec<f64>,
    /// A value at or below this is within the measurement's noise (the EPCC subtraction can put
    /// it below zero); the outputs show it as such, never as a number.
    pub noise: f64,
}

impl Stats {
    pub fn of(samples: Vec<f64>, noise: f64) -> Option<Stats> {
        let mut sorted = samples.clone();
        let median = median(&mut sorted)?;
        Some(Stats {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            samples,
            noise,
        })
    }

    /// `value`, or `None` where it is within noise.
    pub fn shown(&self, value: f64) -> Option<f64> {
        (value > self.noise).then_some(value)
    }
}

/// In JSON, every value within noise is `null`: no output shows a number that noise made.
impl Serialize for Stats {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown {
            median: Option<f64>,
            min: Option<f64>,
            max: Option<f64>,
            samples: Vec<Option<f64>>,
        }
        Shown {
            median: self.shown(self.median),
            min: self.shown(self.min),
            max: self.shown(self.max),
            samples: self.samples.iter().map(|&v| self.shown(v)).collect(),
        }
        .serialize(serializer)
    }
}

/// What the timed runs of a measurement saw: thread 0's wall time and the process's use over
/// each run.
pub type Runs = Vec<(Duration, Option<Usage>)>;

/// The EPCC loop's settings.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Epcc {
    /// `delay` iterations that take about 0.1 µs here.
    pub delay_iters: u64,
    /// A timed run's length.
    pub target: Duration,
    pub reps: usize,
}

/// The calibrated delay: `iters` dependent additions. `extern "C"` so that the OpenMP loop
/// calls the very same function.
#[inline(never)]
pub extern "C" fn delay(iters: u64) {
    let mut x = 0u64;
    for i in 0..iters {
        x = black_box(x.wrapping_add(i));
    }
    black_box(x);
}

/// The number of `delay` iterations that take about 0.1 µs here.
pub fn calibrate_delay() -> u64 {
    let iters = 1_000_000;
    let best = (0..5)
        .map(|_| {
            let start = Instant::now();
            delay(iters);
            start.elapsed()
        })
        .min()
        .unwrap_or(Duration::from_millis(1));
    ((iters as f64) * 100.0 / best.as_nanos().max(1) as f64)
        .round()
        .max(1.0) as u64
}

impl Epcc {
    /// The EPCC syncbench measurement of one barrier at `point`: `run(plan)` runs one timed run
    /// of `plan[r]` episodes of `{ delay; wait }` per entry. `innerreps` doubles until a run
    /// takes the target time; the reference (the same delays on one thread, no barrier) is
    /// timed `reps` times; then one warm-up run and `reps` timed runs. Overhead per episode =
    /// (run - median reference) / innerreps; CPU per episode = (CPU of the run - the delays'
    /// CPU) / innerreps. Values at or below the reference's spread per episode are noise.
    /// `run(plan)` may also return the paired floor's runs, one before each of its own (see
    /// [`Sampled::floor`]).
    pub fn measure(
        &self,
        point: Point,
        variant: Variant,
        pinning: &Pinning,
        mut run: impl FnMut(&[u64]) -> (Runs, Option<Vec<Duration>>),
    ) -> Sampled {
        let mut innerreps = 1u64;
        while innerreps < 1 << 24 && run(&[innerreps]).0[0].0 < self.target {
            innerreps *= 2;
        }
        let iters = self.delay_iters;
        let reference: Vec<f64> = on_fresh_thread(|| {
            pinning.pin(0);
            (0..self.reps.max(5))
                .map(|_| {
                    let start = Instant::now();
                    for _ in 0..innerreps {
                        delay(iters);
                    }
                    start.elapsed().as_secs_f64() * 1e6
                })
                .collect()
        });
        let (runs, floor) = run(&vec![innerreps; self.reps + 1]);
        Epcc::per_episode(point, variant, innerreps, reference, &runs[1..], floor)
    }

    /// The figures of an EPCC measurement from what it timed: `innerreps` episodes a run, the
    /// reference runs (µs), the timed runs (the warm-up left out) and, if paired, the floor's
    /// runs (the warm-up's included). Per episode: (run - median reference) / innerreps, and CPU
    /// less the delays' (threads x reference); values at or below the reference's spread per
    /// episode are noise.
    pub fn per_episode(
        point: Point,
        variant: Variant,
        innerreps: u64,
        mut reference: Vec<f64>,
        runs: &[(Duration, Option<Usage>)],
        floor: Option<Vec<Duration>>,
    ) -> Sampled {
        let reference_median = median(&mut reference).unwrap_or(0.0);
        let spread = reference[reference.len() - 1] - reference[0];
        let per = |total_us: f64| total_us / innerreps as f64;
        // The threads that run the delay in each episode: all, or one in turn.
        let delayers = if variant == Variant::Rotating {
            1.0
        } else {
            point.threads as f64
        };
        let floor = floor.map(|floor| {
            floor[1..]
                .iter()
                .map(|t| per(t.as_secs_f64() * 1e6 - reference_median))
                .collect()
        });
        let wall = runs
            .iter()
            .map(|(t, _)| per(t.as_secs_f64() * 1e6 - reference_median))
            .collect();
        let usage: Option<Vec<Usage>> = runs.iter().map(|(_, u)| *u).collect();
        Sampled {
            iterations: innerreps,
            wall,
            cpu: usage.as_ref().map(|u| {
                u.iter()
                    .map(|u| per(u.cpu.as_secs_f64() * 1e6 - delayers * reference_median))
                    .collect()
            }),
            switches: usage.map(|u| {
                u.iter()
                    .map(|u| u.context_switches as f64 / innerreps as f64)
                    .collect()
            }),
            noise: per(spread),
            // The delays' CPU time is estimated from the reference, so its spread is the CPU
            // time's noise too (the CPU clocks themselves count nanoseconds).
            cpu_noise: per(delayers * spread),
            floor,
        }
    }
}

/// Repeated timed runs of a workload that needs no reference: `run(iterations)` does
/// `iterations` units of work and returns its wall time and the process's use over it.
/// `iterations` doubles from `start` until a run takes the target time (at most `max`); then
/// one warm-up run and `reps` timed runs.
pub fn repeated(
    target: Duration,
    reps: usize,
    start: u64,
    max: u64,
    mut run: impl FnMut(u64) -> (Duration, Option<Usage>),
) -> Sampled {
    let mut iterations = start.max(1);
    while iterations < max && run(iterations).0 < target {
        iterations *= 2;
    }
    let runs: Runs = (0..=reps).map(|_| run(iterations)).skip(1).collect();
    per_unit(iterations, &runs)
}

/// `f`'s result and what the process used while it ran.
pub fn with_usage<T>(f: impl FnOnce() -> T) -> (T, Option<Usage>) {
    let before = Usage::now();
    let value = f();
    (value, Usage::now().zip(before).map(|(a, b)| a.since(b)))
}

/// Per-unit values of timed runs of `iterations` units each.
pub fn per_unit(iterations: u64, runs: &[(Duration, Option<Usage>)]) -> Sampled {
    let per = |us: f64| us / iterations as f64;
    let usage: Option<Vec<Usage>> = runs.iter().map(|(_, u)| *u).collect();
    Sampled {
        iterations,
        wall: runs
            .iter()
            .map(|(t, _)| per(t.as_secs_f64() * 1e6))
            .collect(),
        cpu: usage
            .as_ref()
            .map(|u| u.iter().map(|u| per(u.cpu.as_secs_f64() * 1e6)).collect()),
        switches: usage.map(|u| {
            u.iter()
                .map(|u| u.context_switches as f64 / iterations as f64)
                .collect()
        }),
        // A timed run is whole: nothing is subtracted from it, so it is never within noise
        // (the clocks count nanoseconds).
        noise: 0.0,
        cpu_noise: 0.0,
        floor: None,
    }
}
