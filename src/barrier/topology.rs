//! What the tree takes from the machine: whether to build one by default, its fan-in, and each
//! thread's first leaf, from the CPU it runs on in the order of the machine's topology (Linux's
//! `/sys/devices/system/cpu`: CPUs of one core, then of one last-level cache, then of one
//! package, next to each other). Read once, at the first use.

use std::sync::OnceLock;

/// Participants (and cores) from which a barrier made by `new` counts its arrivals in a tree:
/// below it a single counter is as fast (docs/design.md, "The tree": the model's crossing).
pub(super) const TREE_FROM: u32 = 16;

/// The fan-in where the topology says nothing better: libomp's default branching.
const FAN_IN: u32 = 4;

/// The machine's CPUs in topology order, and the fan-in that keeps a leaf's threads inside one
/// last-level cache.
struct Topology {
    /// `position[cpu]`: where CPU `cpu` stands in topology order (`usize::MAX`: not listed).
    position: Vec<usize>,
    fan_in: u32,
}

fn topology() -> &'static Topology {
    static TOPOLOGY: OnceLock<Topology> = OnceLock::new();
    TOPOLOGY.get_or_init(read)
}

/// The tree a barrier of `participants` made by `new` uses on this machine: `Some(fan_in)` on a
/// machine of at least `TREE_FROM` cores for at least as many participants, `None` (a single
/// counter) otherwise; or what the environment variable `SYNCPOINT_FAN_IN` says (a fan-in of
/// 2 or more for every barrier of more participants than that; 0 or 1: a single counter).
pub(super) fn default_fan_in(participants: u32) -> Option<u32> {
    if cfg!(loom) {
        return None;
    }
    if let Some(fan_in) = from_environment() {
        return (fan_in >= 2 && fan_in < participants).then_some(fan_in);
    }
    if participants < TREE_FROM {
        return None;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let topology = topology();
    let cores = cores.max(
        topology
            .position
            .iter()
            .filter(|&&p| p != usize::MAX)
            .count(),
    );
    (cores >= TREE_FROM as usize).then_some(topology.fan_in)
}

/// `SYNCPOINT_FAN_IN`, read once; `None` when unset or not a number.
fn from_environment() -> Option<u32> {
    static FAN_IN: OnceLock<Option<u32>> = OnceLock::new();
    *FAN_IN.get_or_init(|| std::env::var("SYNCPOINT_FAN_IN").ok()?.trim().parse().ok())
}

/// Where the CPU the calling thread runs on stands in topology order; on other systems, a number
/// per thread, given out in the order threads first ask. Under loom, 0: its threads share one
/// OS thread (and so one number), and a model must explore the same leaves on every run.
pub(super) fn position() -> usize {
    if cfg!(loom) {
        return 0;
    }
    #[cfg(all(not(loom), any(target_os = "linux", target_os = "android")))]
    {
        let cpu = rustix::thread::sched_getcpu();
        if let Some(&position) = topology().position.get(cpu) {
            if position != usize::MAX {
                return position;
            }
        }
    }
    thread_number()
}

/// A number per thread, given out in the order threads first ask.
fn thread_number() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::thread_local! {
        static NUMBER: usize = NEXT.fetch_add(1, Relaxed);
    }
    NUMBER.with(|n| *n)
}

#[cfg(all(not(loom), any(target_os = "linux", target_os = "android")))]
fn read() -> Topology {
    let cpu = |n: usize, file: &str| -> Option<u64> {
        std::fs::read_to_string(format!("/sys/devices/system/cpu/cpu{n}/{file}"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    // (package, last-level cache, core, cpu) of every CPU listed, up to the first gap.
    let mut cpus = Vec::new();
    for n in 0.. {
        let Some(package) = cpu(n, "topology/physical_package_id") else {
            break;
        };
        let cache = cpu(n, "cache/index3/id").unwrap_or(package);
        let core = cpu(n, "topology/core_id").unwrap_or(n as u64);
        cpus.push((package, cache, core, n));
    }
    cpus.sort_unstable();
    let mut position = vec![usize::MAX; cpus.len()];
    for (p, &(.., n)) in cpus.iter().enumerate() {
        position[n] = p;
    }
    // The smallest last-level cache's CPUs: a fan-in that divides it keeps leaves inside caches.
    let smallest = cpus
        .chunk_by(|a, b| (a.0, a.1) == (b.0, b.1))
        .map(<[_]>::len)
        .min()
        .unwrap_or(0) as u32;
    let fan_in = [FAN_IN, 3, 2]
        .into_iter()
        .find(|k| smallest > 0 && smallest % k == 0)
        .unwrap_or(FAN_IN);
    Topology { position, fan_in }
}

#[cfg(any(loom, not(any(target_os = "linux", target_os = "android"))))]
fn read() -> Topology {
    Topology {
        position: Vec::new(),
        fan_in: FAN_IN,
    }
}
