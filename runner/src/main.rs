//! syncpoint's benchmark runner: the barrier's cost on this machine, syncpoint against
//! `std::sync::Barrier`, measured the EPCC syncbench way.
//!
//! For each thread count and each barrier:
//! - a reference loop runs `innerreps` calibrated delays (0.1 µs each) on one thread;
//! - the test loop runs `innerreps` times `{ delay; barrier.wait() }` on every thread;
//! - `innerreps` doubles until one test run takes at least the target time; one untimed warm-up
//!   run, then the repetitions; overhead per barrier = (test - reference) / innerreps.
//!
//! The "rotating" variant gives the delay only to thread `i % n` in episode `i`, so a different
//! thread arrives late each time.
//!
//! `--workload` measures a real loop instead: the Jacobi stencil of runner/src/jacobi.rs, at a small
//! (barrier-bound) and a large (compute-bound) plate, time per sweep.
//!
//! Run `cargo run --release -p syncpoint-bench -- --help` for the options.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use std::{env, fs, io, process, thread};

use syncpoint_bench::jacobi;

/// The workload's plates: 64 interior rows (barrier-bound: a sweep is a few µs of arithmetic) and
/// 1024 (compute-bound: a sweep is about a millisecond on one core).
const PLATES: [usize; 2] = [66, 1026];

const USAGE: &str = "\
usage: syncpoint-bench [--workload] [--threads 1,2,4] [--quick] [--reps N] [--csv FILE] [--json FILE] [--svg FILE]

Measures the cost of one barrier episode, syncpoint::Barrier against std::sync::Barrier, for each
thread count (default: 1, 2, ..., cores, then 2x, 4x, 8x, 16x and 32x cores), EPCC syncbench style.
Prints a table with the ratio std / syncpoint (above 1: syncpoint is faster).

  --workload      time a Jacobi stencil sweep (runner/src/jacobi.rs) at a 66x66 and a 1026x1026
                  plate instead (default threads: 1, ..., cores, 2x and 4x cores)
  --threads LIST  comma-separated thread counts
  --quick         fewer repetitions and a shorter target time (a smoke test, not a measurement)
  --reps N        outer repetitions per measurement (default 20, quick 5)
  --csv FILE      also write the results as CSV (with --workload, its innerreps column is the
                  number of sweeps per timed run)
  --json FILE     also write the results as JSON
  --svg FILE      where to draw the chart (default target/syncpoint-bench/barrier.svg, or
                  jacobi.svg with --workload)";

struct Options {
    workload: bool,
    threads: Vec<usize>,
    reps: usize,
    target: Duration,
    csv: Option<PathBuf>,
    json: Option<PathBuf>,
    svg: PathBuf,
}

fn parse_options() -> Result<Options, String> {
    let cores = cores();
    let mut threads: Vec<usize> = (1..=cores).collect();
    threads.extend([2, 4, 8, 16, 32].map(|k| k * cores));
    let mut options = Options {
        workload: false,
        threads,
        reps: 20,
        target: Duration::from_millis(20),
        csv: None,
        json: None,
        svg: PathBuf::from("target/syncpoint-bench/barrier.svg"),
    };
    let mut reps = None;
    let (mut threads_given, mut svg_given) = (false, false);
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--workload" => options.workload = true,
            "--threads" => {
                threads_given = true;
                options.threads = value()?
                    .split(',')
                    .map(|t| match t.trim().parse() {
                        Ok(n) if n > 0 => Ok(n),
                        _ => Err(format!("--threads: '{t}' is not a positive whole number")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--quick" => options.target = Duration::from_millis(2),
            "--reps" => match value()?.parse() {
                Ok(n) if n > 0 => reps = Some(n),
                _ => return Err("--reps needs a positive whole number".into()),
            },
            "--csv" => options.csv = Some(value()?.into()),
            "--json" => options.json = Some(value()?.into()),
            "--svg" => {
                svg_given = true;
                options.svg = value()?.into();
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                process::exit(0);
            }
            _ => return Err(format!("unknown argument '{arg}'")),
        }
    }
    if options.workload && !threads_given {
        options.threads = (1..=cores).chain([2 * cores, 4 * cores]).collect();
    }
    if options.workload && !svg_given {
        options.svg = PathBuf::from("target/syncpoint-bench/jacobi.svg");
    }
    let quick = options.target < Duration::from_millis(20);
    options.reps = reps.unwrap_or(if quick { 5 } else { 20 });
    Ok(options)
}

fn cores() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// A barrier under test.
trait Barrier: Sync {
    fn wait(&self);
}

impl Barrier for syncpoint::Barrier {
    fn wait(&self) {
        syncpoint::Barrier::wait(self);
    }
}

impl Barrier for std::sync::Barrier {
    fn wait(&self) {
        std::sync::Barrier::wait(self);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// Every thread runs the delay before every barrier.
    AllDelay,
    /// Only thread `i % n` runs the delay in episode `i`.
    Rotating,
    /// The Jacobi stencil on an `n` x `n` plate, one barrier per sweep.
    Jacobi(usize),
}

impl Variant {
    fn name(self) -> String {
        match self {
            Variant::AllDelay => "all-delay".into(),
            Variant::Rotating => "rotating".into(),
            Variant::Jacobi(n) => format!("jacobi-{n}"),
        }
    }
}

/// The calibrated delay: `iters` dependent additions, about 0.1 µs in all.
#[inline(never)]
fn delay(iters: u64) {
    let mut x = 0u64;
    for i in 0..iters {
        x = black_box(x.wrapping_add(i));
    }
    black_box(x);
}

/// The number of `delay` iterations that take about 0.1 µs here.
fn calibrate_delay() -> u64 {
    let iters = 1_000_000;
    let best = (0..5)
        .map(|_| {
            let start = Instant::now();
            delay(iters);
            start.elapsed()
        })
        .min()
        .unwrap();
    ((iters as f64) * 100.0 / best.as_nanos() as f64)
        .round()
        .max(1.0) as u64
}

/// One measurement: the per-episode overhead of one barrier at one thread count, in µs.
struct Row {
    threads: usize,
    variant: Variant,
    barrier: &'static str,
    innerreps: usize,
    /// Overhead per episode of each repetition, µs, sorted.
    samples: Vec<f64>,
}

impl Row {
    fn median(&self) -> f64 {
        let n = self.samples.len();
        if n % 2 == 1 {
            self.samples[n / 2]
        } else {
            (self.samples[n / 2 - 1] + self.samples[n / 2]) / 2.0
        }
    }
    fn min(&self) -> f64 {
        self.samples[0]
    }
    fn max(&self) -> f64 {
        self.samples[self.samples.len() - 1]
    }
}

/// Runs `runs` timed runs of `innerreps` episodes on `n` threads sharing `barrier`; returns the
/// time of each run as seen by thread 0 (the EPCC master).
fn timed_runs<B: Barrier>(
    barrier: &B,
    n: usize,
    variant: Variant,
    delay_iters: u64,
    plan: &[usize],
) -> Vec<Duration> {
    let control = &std::sync::Barrier::new(n);
    let mut times = Vec::with_capacity(plan.len());
    let times_ref = &mut times;
    thread::scope(|s| {
        let body = move |me: usize, times: Option<&mut Vec<Duration>>| {
            let mut times = times;
            for &innerreps in plan {
                control.wait();
                let start = Instant::now();
                for i in 0..innerreps {
                    if variant == Variant::AllDelay || i % n == me {
                        delay(delay_iters);
                    }
                    barrier.wait();
                }
                if let Some(times) = times.as_deref_mut() {
                    times.push(start.elapsed());
                }
            }
        };
        for me in 1..n {
            s.spawn(move || body(me, None));
        }
        body(0, Some(times_ref));
    });
    times
}

/// The reference: `innerreps` delays on one thread, the best of a few runs.
fn reference(innerreps: usize, delay_iters: u64) -> Duration {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..innerreps {
                delay(delay_iters);
            }
            start.elapsed()
        })
        .min()
        .unwrap()
}

fn measure<B: Barrier>(
    make: impl Fn(usize) -> B,
    name: &'static str,
    n: usize,
    variant: Variant,
    options: &Options,
    delay_iters: u64,
) -> Row {
    let barrier = make(n);
    // Calibrate: double innerreps until one run takes the target time.
    let mut innerreps = 1;
    while innerreps < 1 << 24 {
        let time = timed_runs(&barrier, n, variant, delay_iters, &[innerreps])[0];
        if time >= options.target {
            break;
        }
        innerreps *= 2;
    }
    let reference = reference(innerreps, delay_iters);
    // One warm-up run, then the repetitions.
    let plan = vec![innerreps; options.reps + 1];
    let times = timed_runs(&barrier, n, variant, delay_iters, &plan);
    let mut samples: Vec<f64> = times[1..]
        .iter()
        .map(|t| (t.as_secs_f64() - reference.as_secs_f64()) * 1e6 / innerreps as f64)
        .collect();
    samples.sort_by(f64::total_cmp);
    Row {
        threads: n,
        variant,
        barrier: name,
        innerreps,
        samples,
    }
}

/// One workload measurement: the Jacobi stencil on an `n` x `n` plate with `threads` threads, in
/// µs per sweep (the whole sweep: arithmetic, halo exchange and barrier). The sweep count doubles
/// until a run takes the target time; the first run's plate is checked against a serial run.
fn measure_jacobi(n: usize, threads: usize, sync: jacobi::Sync, options: &Options) -> Row {
    let mut sweeps = 2;
    loop {
        let (plate, per_sweep) = jacobi::parallel(n, sweeps, threads, sync);
        if per_sweep * sweeps as u32 >= options.target || sweeps >= 1 << 20 {
            let difference = jacobi::max_difference(&plate, &jacobi::serial(n, sweeps));
            assert!(
                difference == 0.0,
                "{}: the Jacobi result differs from the serial run by {difference}",
                sync.name()
            );
            break;
        }
        sweeps *= 2;
    }
    let mut samples: Vec<f64> = (0..=options.reps)
        .map(|_| jacobi::parallel(n, sweeps, threads, sync).1.as_secs_f64() * 1e6)
        .skip(1) // the warm-up run
        .collect();
    samples.sort_by(f64::total_cmp);
    Row {
        threads,
        variant: Variant::Jacobi(n),
        barrier: if sync == jacobi::Sync::Std {
            "std"
        } else {
            "syncpoint"
        },
        innerreps: sweeps,
        samples,
    }
}

/// What the report says about the machine and the run.
struct Machine {
    cpu: String,
    cores: usize,
    date: String,
    load_before: String,
    command: String,
}

fn machine() -> Machine {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let load_before = fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into());
    Machine {
        cpu,
        cores: cores(),
        date: today(),
        load_before,
        command: env::args().collect::<Vec<_>>().join(" "),
    }
}

/// Today's date (UTC) as YYYY-MM-DD, from the system clock (days-to-civil, H. Hinnant).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn table(rows: &[Row], machine: &Machine, workload: bool) -> String {
    let mut out = String::new();
    let what = if workload {
        "Jacobi sweep time (stencil + halo exchange + barrier)"
    } else {
        "barrier overhead per episode"
    };
    let _ = writeln!(
        out,
        "{what}, µs (median [min-max]); ratio = std / syncpoint (above 1: syncpoint faster)"
    );
    let _ = writeln!(
        out,
        "{} cores, {}, {}, load average before the run {}",
        machine.cores, machine.cpu, machine.date, machine.load_before
    );
    let _ = writeln!(
        out,
        "{:>7}  {:<11}  {:>26}  {:>26}  {:>7}",
        "threads", "variant", "syncpoint", "std", "ratio"
    );
    for pair in rows.chunks(2) {
        let (ours, theirs) = (&pair[0], &pair[1]);
        let cell = |r: &Row| format!("{:.3} [{:.3}-{:.3}]", r.median(), r.min(), r.max());
        let _ = writeln!(
            out,
            "{:>7}  {:<11}  {:>26}  {:>26}  {:>6.1}x",
            ours.threads,
            ours.variant.name(),
            cell(ours),
            cell(theirs),
            theirs.median() / ours.median()
        );
    }
    out
}

fn csv(rows: &[Row]) -> String {
    let mut out = String::from("threads,variant,barrier,innerreps,median_us,min_us,max_us\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{:.4},{:.4},{:.4}",
            r.threads,
            r.variant.name(),
            r.barrier,
            r.innerreps,
            r.median(),
            r.min(),
            r.max()
        );
    }
    out
}

fn json(rows: &[Row], machine: &Machine, workload: bool) -> String {
    let escape = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = format!(
        "{{\n  \"machine\": {{\"cpu\": \"{}\", \"cores\": {}, \"date\": \"{}\", \"load_before\": \"{}\", \"command\": \"{}\"}},\n  \"unit\": \"{}\",\n  \"rows\": [\n",
        escape(&machine.cpu),
        machine.cores,
        machine.date,
        machine.load_before,
        escape(&machine.command),
        if workload {
            "microseconds per sweep"
        } else {
            "microseconds per episode"
        }
    );
    for (i, r) in rows.iter().enumerate() {
        let samples: Vec<String> = r.samples.iter().map(|s| format!("{s:.4}")).collect();
        let _ = writeln!(
            out,
            "    {{\"threads\": {}, \"variant\": \"{}\", \"barrier\": \"{}\", \"innerreps\": {}, \"median\": {:.4}, \"min\": {:.4}, \"max\": {:.4}, \"samples\": [{}]}}{}",
            r.threads,
            r.variant.name(),
            r.barrier,
            r.innerreps,
            r.median(),
            r.min(),
            r.max(),
            samples.join(", "),
            if i + 1 < rows.len() { "," } else { "" }
        );
    }
    out.push_str("  ]\n}\n");
    out
}

fn chart(
    rows: &[Row],
    machine: &Machine,
    workload: bool,
    path: &PathBuf,
) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let threads: Vec<usize> = {
        let mut t: Vec<usize> = rows.iter().map(|r| r.threads).collect();
        t.dedup();
        t
    };
    let floor = rows
        .iter()
        .map(Row::median)
        .fold(f64::INFINITY, f64::min)
        .max(1e-3);
    let ceiling = rows
        .iter()
        .map(Row::median)
        .fold(0.0, f64::max)
        .max(floor * 10.0);
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let caption = format!(
        "{}, {} cores ({}), {}",
        if workload {
            "Jacobi sweep time"
        } else {
            "Barrier episode cost"
        },
        machine.cores,
        machine.cpu,
        machine.date
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (0..threads.len() - 1).into_segmented(),
            (floor / 2.0..ceiling * 2.0).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("threads")
        .y_desc(if workload {
            "µs per sweep (median)"
        } else {
            "µs per episode (median)"
        })
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                threads.get(*i).map_or(String::new(), |t| t.to_string())
            }
            SegmentValue::Last => String::new(),
        })
        .draw()?;
    // One series per (barrier, variant), in the order measured.
    let mut series: Vec<(&str, Variant)> = Vec::new();
    for r in rows {
        if !series.contains(&(r.barrier, r.variant)) {
            series.push((r.barrier, r.variant));
        }
    }
    let palette = [BLUE, RED, CYAN, MAGENTA, GREEN, BLACK];
    let series = series
        .into_iter()
        .zip(palette.into_iter().cycle())
        .map(|((barrier, variant), color)| (barrier, variant, color));
    for (barrier, variant, color) in series {
        let points: Vec<(SegmentValue<usize>, f64)> = rows
            .iter()
            .filter(|r| r.barrier == barrier && r.variant == variant)
            .map(|r| {
                let i = threads.iter().position(|&t| t == r.threads).unwrap();
                // A log scale cannot show an overhead at or below zero (noise at one thread).
                (SegmentValue::CenterOf(i), r.median().max(floor))
            })
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(format!("{barrier} ({})", variant.name()))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    Ok(())
}

fn main() {
    let options = parse_options().unwrap_or_else(|e| {
        eprintln!("syncpoint-bench: {e}\n\n{USAGE}");
        process::exit(2)
    });
    let machine = machine();
    let delay_iters = calibrate_delay();
    let variants: Vec<Variant> = if options.workload {
        PLATES.map(Variant::Jacobi).to_vec()
    } else {
        vec![Variant::AllDelay, Variant::Rotating]
    };
    let total = options.threads.len() * variants.len() * 2;
    let mut rows = Vec::with_capacity(total);
    let started = Instant::now();
    for &n in &options.threads {
        for &variant in &variants {
            if let Variant::Jacobi(plate) = variant {
                if plate < n + 2 {
                    eprintln!("\nskipped: a {plate}x{plate} plate has fewer interior rows than {n} threads");
                    continue;
                }
            }
            for barrier in ["syncpoint", "std"] {
                eprint!(
                    "\r[{:>3}/{total}] {n} threads, {}, {barrier}...      ",
                    rows.len() + 1,
                    variant.name()
                );
                rows.push(match (variant, barrier) {
                    (Variant::Jacobi(plate), "syncpoint") => {
                        measure_jacobi(plate, n, jacobi::Sync::Syncpoint, &options)
                    }
                    (Variant::Jacobi(plate), _) => {
                        measure_jacobi(plate, n, jacobi::Sync::Std, &options)
                    }
                    (_, "syncpoint") => measure(
                        syncpoint::Barrier::new,
                        barrier,
                        n,
                        variant,
                        &options,
                        delay_iters,
                    ),
                    _ => measure(
                        std::sync::Barrier::new,
                        barrier,
                        n,
                        variant,
                        &options,
                        delay_iters,
                    ),
                });
            }
        }
    }
    eprintln!(
        "\rmeasured {total} rows in {:.0?}                          ",
        started.elapsed()
    );
    print!("{}", table(&rows, &machine, options.workload));
    let write = |path: &PathBuf, text: String| -> io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, text)
    };
    let mut failed = false;
    for (path, text) in [
        (&options.csv, csv(&rows)),
        (&options.json, json(&rows, &machine, options.workload)),
    ] {
        if let Some(path) = path {
            match write(path, text) {
                Ok(()) => eprintln!("wrote {}", path.display()),
                Err(e) => {
                    eprintln!("syncpoint-bench: cannot write {}: {e}", path.display());
                    failed = true;
                }
            }
        }
    }
    match chart(&rows, &machine, options.workload, &options.svg) {
        Ok(()) => eprintln!("chart: {}", options.svg.display()),
        Err(e) => {
            eprintln!(
                "syncpoint-bench: cannot draw {}: {e}",
                options.svg.display()
            );
            failed = true;
        }
    }
    if failed {
        process::exit(1);
    }
}
