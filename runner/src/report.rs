//! What a run prints and writes: the table (aligned at any width), CSV and JSON (with the
//! machine description), and the one-line summary.

use crate::machine::Machine;
use crate::measure::{Sampled, Stats};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// One measured row.
#[derive(Debug, Serialize)]
pub struct Row {
    pub case: String,
    pub contender: String,
    /// The cores the threads were pinned onto; `None`: not pinned.
    pub cores: Option<usize>,
    pub threads: usize,
    pub oversubscribed: bool,
    /// Units of work per timed run.
    pub iterations: u64,
    /// µs per unit.
    pub wall: Stats,
    /// µs per unit, all threads, where the OS reports it.
    pub cpu: Option<Stats>,
    /// Context switches per unit, where the OS reports them.
    pub switches: Option<Stats>,
    /// Wall values at or below this (µs) are within the measurement's noise.
    pub noise: f64,
    /// The same for CPU time.
    pub cpu_noise: f64,
    /// With `--rounds` above 1: the median wall time of each round, in order.
    pub rounds: Option<Stats>,
    /// With `--rounds` above 1, where the OS reports CPU time: the median CPU time of each
    /// round, in order (a CPU target is judged round by round, as the wall time is).
    pub cpu_rounds: Option<Stats>,
    /// Barrier mode: the model's floor for this contender at this point, µs per episode: its
    /// critical path in cache-line transfers times half the round trip measured between the
    /// first two cores (docs/design.md, "The tree"); `None` where the model does not apply.
    pub model: Option<f64>,
    /// Where each repetition was paired with a run of the spin floor just before it: per round,
    /// the median over its repetitions of this row's time over the floor's (`None` where noise
    /// hid either).
    pub x_floor: Option<Vec<Option<f64>>>,
}

impl Row {
    /// The row of one job, from its rounds: the repetitions of every round pooled, and each
    /// round's median kept (with `--rounds` above 1). A round's noise level can differ from the
    /// next's; the highest is kept, so nothing reads as measured that one round called noise.
    pub fn new(
        case: String,
        contender: &str,
        point: crate::cli::Point,
        rounds: Vec<Sampled>,
    ) -> Option<Row> {
        let round_medians: Vec<f64> = rounds
            .iter()
            .filter_map(|s| crate::measure::median_of(&s.wall))
            .collect();
        let cpu_round_medians: Option<Vec<f64>> = rounds
            .iter()
            .map(|s| s.cpu.as_deref().and_then(crate::measure::median_of))
            .collect();
        let x_floor = rounds
            .iter()
            .map(|s| {
                let floor = s.floor.as_ref()?;
                let ratios: Vec<f64> = s
                    .wall
                    .iter()
                    .zip(floor)
                    .filter(|&(&w, &f)| w > s.noise && f > s.noise)
                    .map(|(w, f)| w / f)
                    .collect();
                Some(crate::measure::median_of(&ratios))
            })
            .collect::<Option<Vec<_>>>();
        let several = rounds.len() > 1;
        let sampled = Sampled::pooled(rounds)?;
        let rounds = several
            .then(|| Stats::of(round_medians, sampled.noise))
            .flatten();
        let cpu_rounds = several
            .then(|| Stats::of(cpu_round_medians?, sampled.cpu_noise))
            .flatten();
        Some(Row {
            rounds,
            cpu_rounds,
            x_floor,
            model: None,
            case,
            contender: contender.to_string(),
            cores: point.cores,
            threads: point.threads,
            oversubscribed: point.oversubscribed(),
            iterations: sampled.iterations,
            wall: Stats::of(sampled.wall, sampled.noise)?,
            cpu: sampled.cpu.and_then(|c| Stats::of(c, sampled.cpu_noise)),
            // Counts, never below zero: nothing to judge against.
            switches: sampled
                .switches
                .and_then(|s| Stats::of(s, f64::NEG_INFINITY)),
            noise: sampled.noise,
            cpu_noise: sampled.cpu_noise,
        })
    }

    /// The row with the model's floor beside it.
    pub fn with_model(self, model: Option<f64>) -> Row {
        Row { model, ..self }
    }

    /// The wall median, where it is above noise.
    pub fn wall_measured(&self) -> Option<f64> {
        self.wall.shown(self.wall.median)
    }

    /// The CPU median, where it is above noise.
    pub fn cpu_measured(&self) -> Option<f64> {
        self.cpu.as_ref().and_then(|c| c.shown(c.median))
    }

    fn group(&self) -> (&str, Option<usize>, usize) {
        (&self.case, self.cores, self.threads)
    }
}

/// Everything a run found, as the reports show it.
#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub mode: &'static str,
    pub unit: &'static str,
    /// The contender the ratios compare with.
    pub baseline: &'static str,
    /// Peers and cases that were not measured, and why.
    pub left_out: Vec<String>,
    pub rows: Vec<Row>,
}

/// The spin floor of barrier mode: its own row, and the run paired with every repetition of
/// the other Rust-driven barriers where threads do not outnumber cores.
pub const FLOOR: &str = "spin floor";

/// A value with 3 significant figures at least 0.001 apart.
fn number(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A median and its range, `0.31 [0.29 to 0.35]`; a value that noise put at or below the noise
/// level (or below zero) reads "within noise", never as a number.
fn cell(stats: &Stats) -> String {
    let bound = |v: f64| stats.shown(v).map_or("within noise".into(), number);
    match stats.shown(stats.median) {
        Some(median) => format!(
            "{} [{} to {}]",
            number(median),
            bound(stats.min),
            bound(stats.max)
        ),
        None => format!("within noise (≤{})", number(stats.noise)),
    }
}

/// `base / this` where both are above noise (above 1: this one is faster or cheaper).
fn ratio(this: Option<f64>, base: Option<f64>) -> String {
    match (this, base) {
        (Some(t), Some(b)) => format!("{}x", number(b / t)),
        _ => "-".into(),
    }
}

impl Report {
    /// The table: one line per row, rows of one case and point together, each column as wide
    /// as its widest cell.
    pub fn table(&self) -> String {
        // The model's floor, in barrier mode, where the model applies to some row.
        let model = self.rows.iter().any(|r| r.model.is_some());
        let mut lines: Vec<Vec<String>> = vec![vec![
            "cores".into(),
            "threads".into(),
            "case".into(),
            "contender".into(),
            "wall µs: median [min to max]".into(),
            "CPU µs: median [min to max]".into(),
            "switches".into(),
            format!("wall {}/x", short(self.baseline)),
            format!("CPU {}/x", short(self.baseline)),
        ]];
        if model {
            lines[0].push("model µs".into());
        }
        for r in &self.rows {
            let base = self
                .rows
                .iter()
                .find(|b| b.group() == r.group() && b.contender == self.baseline);
            let is_base = r.contender == self.baseline;
            let mut line = vec![
                r.cores.map_or("-".into(), |c| c.to_string()),
                r.threads.to_string(),
                r.case.clone(),
                r.contender.clone(),
                cell(&r.wall),
                r.cpu.as_ref().map_or("n/a".into(), cell),
                r.switches
                    .as_ref()
                    .map_or("n/a".into(), |s| number(s.median)),
                if is_base {
                    "base".into()
                } else {
                    ratio(r.wall_measured(), base.and_then(Row::wall_measured))
                },
                if is_base {
                    "base".into()
                } else {
                    ratio(r.cpu_measured(), base.and_then(Row::cpu_measured))
                },
            ];
            if model {
                line.push(r.model.map_or("-".into(), number));
            }
            lines.push(line);
        }
        let widths: Vec<usize> = (0..lines[0].len())
            .map(|c| {
                lines
                    .iter()
                    .map(|l| l[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let mut previous = None;
        for (i, line) in lines.iter().enumerate() {
            let group = self.rows.get(i.wrapping_sub(1)).map(Row::group);
            if i > 1 && group != previous {
                out.push('\n');
            }
            previous = group;
            let mut text = String::new();
            for (c, cell) in line.iter().enumerate() {
                // Text columns to the left, numbers to the right.
                if (2..=3).contains(&c) {
                    let _ = write!(text, "{cell:<w$}  ", w = widths[c]);
                } else {
                    let _ = write!(text, "{cell:>w$}  ", w = widths[c]);
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }

    /// The header above the table: what the numbers are, the machine.
    pub fn header(&self) -> String {
        let model = if self.rows.iter().any(|r| r.model.is_some()) {
            "; model: syncpoint's floor by its model, the critical path in cache-line transfers \
             (n + 1 for a single counter, a tree's levels + 2) times half the round trip measured \
             between the first two cores (docs/design.md, \"The tree\")"
        } else {
            ""
        };
        format!(
            "syncpoint-bench {} mode: {}; ratios: {} / contender (above 1: the contender is \
             faster or cheaper), only where both are above noise; switches: context switches \
             per unit{model}\n{}",
            self.mode,
            self.unit,
            self.baseline,
            self.machine.lines("")
        )
    }

    /// With `--rounds` above 1: every row's round medians, in order (wall, then CPU); for a row
    /// whose repetitions were paired with the spin floor, each round's ratio to it, and how many
    /// rounds lay above twice it. `None` with one round.
    pub fn rounds(&self) -> Option<String> {
        let mut out = String::new();
        for r in &self.rows {
            let Some(rounds) = &r.rounds else { continue };
            // Each round's figure, "noise" where noise hid it.
            let each = |stats: &Stats| {
                stats
                    .samples
                    .iter()
                    .map(|&v| stats.shown(v).map_or("noise".into(), number))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let at = r.cores.map_or(format!("{} threads", r.threads), |c| {
                format!("{} threads on {c} cores", r.threads)
            });
            let _ = write!(out, "{at}, {}, {}: {}", r.case, r.contender, each(rounds));
            if let Some(cpu) = &r.cpu_rounds {
                let _ = write!(out, "; CPU: {}", each(cpu));
            }
            if let Some(ratios) = &r.x_floor {
                let above = ratios.iter().flatten().filter(|&&x| x > 2.0).count();
                let _ = write!(
                    out,
                    "; x floor: {}; rounds above 2x the floor: {above} of {}",
                    ratios
                        .iter()
                        .map(|x| x.map_or("-".into(), number))
                        .collect::<Vec<_>>()
                        .join(" "),
                    ratios.len()
                );
            }
            out.push('\n');
        }
        (!out.is_empty()).then(|| {
            format!(
                "\nevery round ({}, median of each round's repetitions, in the order measured; the contenders took turns within each round):\n{out}",
                self.unit
            )
        })
    }

    /// The one-line summary: what was measured, what was left out.
    pub fn summary(&self) -> String {
        let within = self
            .rows
            .iter()
            .filter(|r| r.wall_measured().is_none())
            .count();
        let mut s = format!(
            "measured {} rows ({within} within noise on wall time)",
            self.rows.len()
        );
        if !self.left_out.is_empty() {
            let _ = write!(s, "; {} left out (said above)", self.left_out.len());
        }
        s
    }

    pub fn write_json(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        write(path, text.as_bytes())
    }

    /// CSV, one record per row; the machine description in leading `#` lines.
    pub fn write_csv(&self, path: &Path) -> Result<(), String> {
        #[derive(Serialize)]
        struct Record<'a> {
            mode: &'a str,
            case: &'a str,
            contender: &'a str,
            cores: Option<usize>,
            threads: usize,
            oversubscribed: bool,
            iterations: u64,
            wall_median_us: Option<f64>,
            wall_min_us: Option<f64>,
            wall_max_us: Option<f64>,
            wall_noise_us: f64,
            wall_within_noise: bool,
            cpu_median_us: Option<f64>,
            cpu_min_us: Option<f64>,
            cpu_max_us: Option<f64>,
            cpu_noise_us: f64,
            cpu_within_noise: Option<bool>,
            switches_median: Option<f64>,
            model_floor_us: Option<f64>,
        }
        let mut out = csv::Writer::from_writer(self.machine.lines("# ").into_bytes());
        for r in &self.rows {
            out.serialize(Record {
                mode: self.mode,
                case: &r.case,
                contender: &r.contender,
                cores: r.cores,
                threads: r.threads,
                oversubscribed: r.oversubscribed,
                iterations: r.iterations,
                wall_median_us: r.wall.shown(r.wall.median),
                wall_min_us: r.wall.shown(r.wall.min),
                wall_max_us: r.wall.shown(r.wall.max),
                wall_noise_us: r.noise,
                wall_within_noise: r.wall_measured().is_none(),
                cpu_median_us: r.cpu.as_ref().and_then(|c| c.shown(c.median)),
                cpu_min_us: r.cpu.as_ref().and_then(|c| c.shown(c.min)),
                cpu_max_us: r.cpu.as_ref().and_then(|c| c.shown(c.max)),
                cpu_noise_us: r.cpu_noise,
                cpu_within_noise: r.cpu.as_ref().map(|_| r.cpu_measured().is_none()),
                switches_median: r.switches.as_ref().map(|s| s.median),
                model_floor_us: r.model,
            })
            .map_err(|e| e.to_string())?;
        }
        let bytes = out.into_inner().map_err(|e| e.to_string())?;
        write(path, &bytes)
    }
}

/// A short name for the ratio columns' header.
fn short(name: &str) -> &str {
    match name {
        "std::sync::Barrier" => "std",
        "glibc sem_t" => "sem_t",
        "Mutex+Condvar" => "mutex",
        other => other,
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
