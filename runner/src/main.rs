//! syncpoint's benchmark runner: syncpoint's primitives against their peers on this machine,
//! wall time and CPU time, across a sweep of core counts (threads pinned round-robin onto the
//! first k cores, 1x, 2x and 4x as many threads as cores).
//!
//! Modes (`cargo run --release -p syncpoint-bench -- --help`):
//! - `barrier` (default): the cost of one barrier episode, EPCC syncbench method (measure.rs);
//! - `workload`: a Jacobi stencil sweep (syncpoint_bench::jacobi);
//! - `semaphore`: a thread pool's herd and the rendezvous (syncpoint_bench::semaphore);
//! - `latch`: count down + wait on n threads.
//!
//! Modules, top to bottom: modes (a file per mode, each building its own lineup), job (a
//! measurement and a lineup, the pinning), cli (arguments, the plan), machine (the description
//! every output carries), measure (the methods, noise), report (table, CSV, JSON), chart (SVG).

mod chart;
mod cli;
mod job;
mod machine;
mod measure;
mod modes;
mod report;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;
use syncpoint_bench::threads::{on_fresh_thread, with_hogs};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if let Some(job) = &cli.child {
        return match modes::barrier::run_child(job) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(why) => {
                eprintln!("{why}");
                ExitCode::FAILURE
            }
        };
    }
    let plan = cli.plan();
    let mut pinning = if cli.no_pin {
        "not pinned".to_string()
    } else {
        "pinned round-robin onto the first k logical CPUs".to_string()
    };
    if plan.hogs > 0 {
        pinning.push_str(&format!(
            ", with {} CPU hog thread(s) computing on the same cores",
            plan.hogs
        ));
    }
    let mut machine = machine::Machine::describe(pinning);
    let epcc = measure::Epcc {
        delay_iters: measure::calibrate_delay(),
        target: plan.target,
        reps: plan.reps,
    };
    let lineup = modes::lineup(&plan, epcc);
    for line in &lineup.left_out {
        eprintln!("{line}");
    }
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new((lineup.jobs.len() * plan.rounds) as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = Instant::now();
    let mut left_out = lineup.left_out;
    // Every job's rounds, the contenders taking turns within each round.
    let mut rounds: Vec<Vec<measure::Sampled>> = lineup.jobs.iter().map(|_| Vec::new()).collect();
    for _ in 0..plan.rounds {
        for (job, taken) in lineup.jobs.iter().zip(&mut rounds) {
            progress.set_message(format!("{} {}, {}", job.contender, job.case, at(job.point)));
            // A fresh thread per measurement: whatever it pins ends with it.
            match with_hogs(plan.hogs, &job::pinning(job.point), || {
                on_fresh_thread(|| (job.run)())
            }) {
                Ok(sampled) => taken.push(sampled),
                Err(why) => {
                    let line = format!(
                        "{} {} at {} not measured: {why}",
                        job.contender,
                        job.case,
                        at(job.point)
                    );
                    progress.suspend(|| eprintln!("{line}"));
                    left_out.push(line);
                }
            }
            progress.inc(1);
        }
    }
    let mut rows = Vec::new();
    for (job, taken) in lineup.jobs.iter().zip(rounds) {
        match report::Row::new(job.case.clone(), job.contender, job.point, taken) {
            Some(row) => rows.push(row.with_model(job.model)),
            None => left_out.push(format!(
                "{} {} at {}: no sample",
                job.contender,
                job.case,
                at(job.point)
            )),
        }
    }
    progress.finish_and_clear();
    machine.finish();
    let report = report::Report {
        machine,
        mode: plan.mode.name(),
        unit: lineup.unit,
        baseline: lineup.baseline,
        left_out,
        rows,
    };
    println!("{}", report.header());
    print!("{}", report.table());
    if let Some(rounds) = report.rounds() {
        print!("{rounds}");
    }
    eprintln!("{} in {:.0?}", report.summary(), started.elapsed());
    let mut failed = false;
    let written = [
        plan.json
            .as_deref()
            .map(|path| (path, report.write_json(path))),
        plan.csv
            .as_deref()
            .map(|path| (path, report.write_csv(path))),
    ];
    for (path, result) in written.into_iter().flatten() {
        match result {
            Ok(()) => eprintln!("wrote {}", path.display()),
            Err(e) => {
                eprintln!("syncpoint-bench: {e}");
                failed = true;
            }
        }
    }
    if report.rows.is_empty() {
        eprintln!("syncpoint-bench: nothing was measured, no chart");
        failed = true;
    } else {
        let title = format!("syncpoint-bench {}", report.mode);
        match chart::draw(
            &plan.svg,
            &title,
            report.unit,
            &report.rows,
            &report.machine,
        ) {
            Ok(()) => eprintln!("chart: {}", plan.svg.display()),
            Err(e) => {
                eprintln!("syncpoint-bench: cannot draw {}: {e}", plan.svg.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Where a job's threads run, for messages.
fn at(point: cli::Point) -> String {
    match point.cores {
        Some(c) => format!("{} threads on {c} cores", point.threads),
        None => format!("{} threads", point.threads),
    }
}
