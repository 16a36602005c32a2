//! The runner's Jacobi stencil (`syncpoint_bench::jacobi`) as a hybrid MPI + threads job: the
//! shape of an HPC code that outgrows one node. The plate is split into slabs across MPI ranks,
//! each rank's slab across its threads. Inside a rank the threads meet at a barrier once per
//! sweep, and the rank's part of the global step (the halo exchange with the neighbour ranks,
//! and every so many sweeps the residual's reduction across ranks) runs once per rank per sweep,
//! on one thread. Four ways, measured in one job:
//!
//! - flat MPI: one rank per core, no threads: each rank exchanges after its sweep;
//! - hybrid with `std::sync::Barrier`: wait, the leader exchanges, wait again (two barriers a
//!   sweep: std's barrier has no completion step);
//! - hybrid with syncpoint: one wait, the exchange in the barrier's completion, which the last
//!   arrival runs before anyone is released;
//! - hybrid with syncpoint's split phase: arrive after the edge rows, sweep the interior while
//!   the last arrival's completion exchanges, then wait (a sweep that reduces the residual
//!   arrives after its interior: the reduction needs it).
//!
//! Every run's plate is gathered on rank 0 and checked bit for bit against a serial run, and the
//! last residual against the serial one; a difference fails the job. Where a layout's ranks on a
//! node run more threads than the node has cores, syncpoint's barrier waits `Passive` (its
//! adaptive wait sees only its own process's cores). See docs/hpc.md, "Beyond one machine".
//!
//! ```text
//! cargo build --release -p syncpoint-hybrid --features mpi
//! mpirun -np 2 target/release/hybrid-jacobi
//! ```

use clap::Parser;
use std::fmt;
use std::str::FromStr;

#[cfg(feature = "mpi")]
mod job;

/// The runner's Jacobi stencil as a hybrid MPI + threads job: flat MPI, std's barrier and
/// syncpoint's inside each rank, checked bit for bit against a serial run. Run it under mpirun.
#[derive(Parser, Debug, Clone)]
#[command(name = "hybrid-jacobi", version)]
pub(crate) struct Args {
    /// The plate's side, in cells
    #[arg(long, default_value_t = 258, value_parser = clap::value_parser!(u32).range(4..=16_384))]
    pub(crate) size: u32,
    /// Sweeps per run
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) sweeps: u32,
    /// Layouts, RANKSxTHREADS, comma-separated; a layout needs as many ranks as the job has or
    /// fewer (the others wait), and is flat MPI when it has one thread per rank
    #[arg(long, value_delimiter = ',', default_value = "2x1,1x2,2x2")]
    pub(crate) layouts: Vec<Layout>,
    /// Sweeps between two reductions of the residual across ranks
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) residual_every: u32,
    /// Runs of each way, interleaved; the median and the range are reported
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) runs: u32,
    /// A short check instead: a 66 x 66 plate, 200 sweeps, 2 runs
    #[arg(long)]
    pub(crate) quick: bool,
}

impl Args {
    /// The arguments, with `--quick` applied; exits with a usage error if a layout has more
    /// threads and ranks than the plate has interior rows.
    fn parse_checked() -> Args {
        let mut args = Args::parse();
        if args.quick {
            (args.size, args.sweeps, args.runs) = (66, 200, 2);
        }
        let rows = args.size as usize - 2;
        if let Some(layout) = args.layouts.iter().find(|l| l.ranks * l.threads > rows) {
            use clap::CommandFactory;
            Args::command()
                .error(
                    clap::error::ErrorKind::ValueValidation,
                    format!(
                        "layout {layout} needs {} interior rows, and a {0} x {0} plate has {rows}",
                        args.size
                    ),
                )
                .exit();
        }
        args
    }
}

/// Ranks and threads per rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) ranks: usize,
    pub(crate) threads: usize,
}

impl FromStr for Layout {
    type Err = String;

    fn from_str(s: &str) -> Result<Layout, String> {
        let count = |part: &str| match part.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!(
                "`{s}`: expected RANKSxTHREADS, two counts of at least 1 (2x4)"
            )),
        };
        let (ranks, threads) = s
            .split_once(['x', 'X'])
            .ok_or_else(|| format!("`{s}`: expected RANKSxTHREADS (2x4)"))?;
        Ok(Layout {
            ranks: count(ranks)?,
            threads: count(threads)?,
        })
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.ranks, self.threads)
    }
}

fn main() {
    let args = Args::parse_checked();
    #[cfg(feature = "mpi")]
    job::run(&args);
    #[cfg(not(feature = "mpi"))]
    {
        let _ = args;
        eprintln!(
            "hybrid-jacobi was built without MPI: build it with `cargo build --release -p \
             syncpoint-hybrid --features mpi` where an MPI (MPICH or Open MPI) and libclang are \
             installed, then run it with `mpirun -np 2 target/release/hybrid-jacobi`"
        );
        std::process::exit(2);
    }
}

#[cfg(test)]
mod tests {
    use super::Layout;

    #[test]
    fn layouts_parse_and_print_as_ranks_x_threads() {
        let layout: Layout = "2x4".parse().unwrap();
        assert_eq!((layout.ranks, layout.threads), (2, 4));
        assert_eq!(layout.to_string(), "2x4");
        for bad in ["2", "0x2", "2x0", "ax2", "2x"] {
            assert!(bad.parse::<Layout>().is_err(), "{bad} parsed");
        }
    }
}
