//! The machine description every output carries: what ran, where, how loaded.

use serde::Serialize;
use std::fs;
use std::process::Command;

/// The machine and the run, as the reports print them.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    /// Logical CPUs this process may run on.
    pub logical_cpus: usize,
    /// Physical cores, where the OS tells (Linux sysfs).
    pub physical_cores: Option<usize>,
    /// Hardware threads per core.
    pub smt: Option<usize>,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
    pub syncpoint: String,
    pub git_commit: Option<String>,
    /// UTC, RFC 3339.
    pub date: String,
    /// The 1-, 5- and 15-minute load averages before the run.
    pub load_before: String,
    /// The same after the run.
    pub load_after: String,
    /// How the threads were placed.
    pub pinning: String,
    pub command: String,
}

impl Machine {
    /// Describes this machine now; `load_after` is filled by [`Machine::finish`].
    pub fn describe(pinning: String) -> Machine {
        let logical_cpus = syncpoint_bench::threads::cores();
        let physical_cores = physical_cores();
        Machine {
            cpu: cpu_model(),
            logical_cpus,
            physical_cores,
            smt: physical_cores
                .filter(|&p| p > 0)
                .map(|p| logical_cpus.div_ceil(p)),
            os: os_name(),
            kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
            rustc: env!("RUNNER_RUSTC").into(),
            syncpoint: env!("RUNNER_SYNCPOINT_VERSION").into(),
            git_commit: git_commit(),
            date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            load_before: load_average(),
            load_after: String::new(),
            pinning,
            command: std::env::args().collect::<Vec<_>>().join(" "),
        }
    }

    /// Records the load average after the run, and whether the OS refused to pin.
    pub fn finish(&mut self) {
        self.load_after = load_average();
        if syncpoint_bench::threads::pin_refused() {
            self.pinning.push_str(
                " (asked; the OS refused some pins, and those threads ran where it put them)",
            );
        }
    }

    /// The description as a few lines of text, each prefixed with `prefix`.
    pub fn lines(&self, prefix: &str) -> String {
        let cores = match (self.physical_cores, self.smt) {
            (Some(p), Some(s)) => format!(
                "{} logical CPUs, {p} cores, {s} hardware thread(s) per core",
                self.logical_cpus
            ),
            _ => format!("{} logical CPUs", self.logical_cpus),
        };
        let commit = self
            .git_commit
            .as_deref()
            .map_or(String::new(), |c| format!(" (git {c})"));
        format!(
            "{prefix}machine: {}, {cores}; {} (kernel {})\n\
             {prefix}software: syncpoint {}{commit}, {}\n\
             {prefix}run: {}, threads {}, load average {} before, {} after\n\
             {prefix}command: {}\n",
            self.cpu,
            self.os,
            self.kernel,
            self.syncpoint,
            self.rustc,
            self.date,
            self.pinning,
            self.load_before,
            self.load_after,
            self.command
        )
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

fn cpu_model() -> String {
    if let Some(info) = read_trimmed("/proc/cpuinfo") {
        let model = info
            .lines()
            .find(|l| {
                l.starts_with("model name") || l.starts_with("Model") || l.starts_with("cpu model")
            })
            .and_then(|l| l.split(':').nth(1));
        if let Some(model) = model {
            return model.trim().to_string();
        }
    }
    command_output("sysctl", &["-n", "machdep.cpu.brand_string"])
        .or_else(|| command_output("sysctl", &["-n", "hw.model"]))
        .unwrap_or_else(|| "unknown CPU".into())
}

/// Distinct (package, core) pairs in sysfs.
fn physical_cores() -> Option<usize> {
    let mut cores = std::collections::BTreeSet::new();
    for entry in fs::read_dir("/sys/devices/system/cpu").ok()? {
        let path = entry.ok()?.path();
        let name = path.file_name()?.to_string_lossy().into_owned();
        if name
            .strip_prefix("cpu")
            .and_then(|n| n.parse::<u32>().ok())
            .is_none()
        {
            continue;
        }
        let topology = path.join("topology");
        let read = |f: &str| {
            fs::read_to_string(topology.join(f))
                .ok()
                .map(|s| s.trim().to_string())
        };
        if let (Some(package), Some(core)) = (read("physical_package_id"), read("core_id")) {
            cores.insert((package, core));
        }
    }
    (!cores.is_empty()).then_some(cores.len())
}

fn os_name() -> String {
    read_trimmed("/etc/os-release")
        .and_then(|release| {
            release.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string())
}

fn load_average() -> String {
    read_trimmed("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .or_else(|| command_output("sysctl", &["-n", "vm.loadavg"]))
        .unwrap_or_else(|| "unknown".into())
}

/// The commit of the repository the runner was built from, `-dirty` when it has changes.
fn git_commit() -> Option<String> {
    let dir = env!("CARGO_MANIFEST_DIR");
    let commit = command_output("git", &["-C", dir, "rev-parse", "--short=12", "HEAD"])?;
    let dirty = command_output(
        "git",
        &["-C", dir, "status", "--porcelain", "--untracked-files=no"],
    )
    .is_some_and(|s| !s.is_empty());
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    })
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
