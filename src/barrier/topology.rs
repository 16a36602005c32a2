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
    let topology = topology();
    let listed = topology.position.iter().filter(|&&p| p != usize::MAX);
    let cores = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(listed.count());
    choose(participants, cores, from_environment(), topology.fan_in)
}

/// `default_fan_in`'s rule, from what the machine and the environment show.
fn choose(participants: u32, cores: usize, environment: Option<u32>, fan_in: u32) -> Option<u32> {
    match environment {
        Some(k) => (k >= 2 && k < participants).then_some(k),
        None => (participants >= TREE_FROM && cores >= TREE_FROM as usize).then_some(fan_in),
    }
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
    order(cpus)
}

/// The topology of `cpus`, each `(package, last-level cache, core, cpu)`: positions that put the
/// CPUs of one core, then of one cache, then of one package side by side, and the fan-in that
/// divides the smallest cache's CPUs (4, else 3, else 2; 4 where none does).
#[cfg(all(not(loom), any(target_os = "linux", target_os = "android")))]
fn order(mut cpus: Vec<(u64, u64, u64, usize)>) -> Topology {
    cpus.sort_unstable();
    let mut position = vec![usize::MAX; cpus.iter().map(|c| c.3 + 1).max().unwrap_or(0)];
    for (p, &(.., n)) in cpus.iter().enumerate() {
        position[n] = p;
    }
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_tree_from_16_participants_on_16_cores_or_what_the_environment_says() {
        assert_eq!(choose(16, 16, None, 4), Some(4));
        assert_eq!(choose(128, 64, None, 3), Some(3), "the topology's fan-in");
        assert_eq!(choose(15, 64, None, 4), None, "too few participants");
        assert_eq!(choose(64, 2, None, 4), None, "too few cores: this machine");
        assert_eq!(choose(3, 2, Some(2), 4), Some(2), "SYNCPOINT_FAN_IN=2");
        assert_eq!(choose(2, 2, Some(2), 4), None, "k >= n: a single counter");
        assert_eq!(choose(64, 64, Some(1), 4), None, "SYNCPOINT_FAN_IN=1");
        assert_eq!(choose(64, 64, Some(0), 4), None, "SYNCPOINT_FAN_IN=0");
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn the_cpus_of_a_core_then_of_a_cache_stand_side_by_side() {
        // Two packages, each of two caches of three cores with two hardware threads; Linux
        // numbers the second threads of all cores after the first ones.
        let mut cpus = Vec::new();
        for thread in 0..2u64 {
            for core in 0..12u64 {
                let n = (thread * 12 + core) as usize;
                cpus.push((core / 6, core / 3, core, n));
            }
        }
        let topology = order(cpus);
        assert_eq!(
            topology.fan_in, 3,
            "six CPUs a cache: 3 divides it, 4 does not"
        );
        // CPU 0 and its sibling 12 are neighbours; CPU 3 (the second cache) comes after the
        // first cache's six.
        assert_eq!((topology.position[0], topology.position[12]), (0, 1));
        assert_eq!(topology.position[3], 6);
        let mut seen = topology.position.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..24).collect::<Vec<_>>(), "a place for each CPU");
    }
}
