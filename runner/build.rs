//! Compiles the runner's C and C++ peers where the machine can: OpenMP's barrier (peers/omp_barrier.c,
//! built with -fopenmp and linked to the OpenMP runtime, libgomp with gcc) and C++20's
//! std::barrier (peers/cxx_barrier.cpp), into the runner; and LLVM's libomp barrier as a program
//! of its own (peers/omp_epcc_main.c, built with clang -fopenmp: libomp cannot share a process
//! with libgomp). Each is first tried as a whole program (compile and link); when that fails the
//! peer is left out, the runner says so in one line, and the build goes on.
//!
//! Sets `cfg(peer_omp)` / `cfg(peer_cxx_barrier)` / `cfg(peer_libomp)` for the peers that were
//! built (and `PEER_LIBOMP_EXE` to the program's path), and the environment variables `PEER_OMP`
//! / `PEER_CXX_BARRIER` / `PEER_LIBOMP` to the one-line reason for those that were not. Also passes the rustc version and syncpoint's version to the machine description
//! (`RUNNER_RUSTC`, `RUNNER_SYNCPOINT_VERSION`).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=peers");
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let mut omp = cc::Build::new();
    omp.cargo_warnings(false)
        .file("peers/omp_barrier.c")
        .flag_if_supported("-O2")
        .flag("-fopenmp");
    // The OpenMP runtime the compiler links with -fopenmp; rustc's link line needs it by name.
    let runtime = match omp.try_get_compiler() {
        Ok(c) if c.is_like_clang() => "omp",
        _ => "gomp",
    };
    peer(
        &out,
        "omp",
        &omp,
        "peers/omp_barrier.c",
        (OMP_PROBE, "c"),
        Some(runtime),
    );

    let mut cxx = cc::Build::new();
    cxx.cargo_warnings(false)
        .cpp(true)
        .std("c++20")
        .flag_if_supported("-O2")
        .file("peers/cxx_barrier.cpp");
    peer(
        &out,
        "cxx_barrier",
        &cxx,
        "peers/cxx_barrier.cpp",
        (CXX_PROBE, "cpp"),
        None,
    );

    libomp_program(&out);

    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown".into(), |v| v.trim().to_string());
    println!("cargo::rustc-env=RUNNER_RUSTC={version}");

    // The version of the syncpoint being measured: the [package] version of ../Cargo.toml.
    println!("cargo::rerun-if-changed=../Cargo.toml");
    let manifest = std::fs::read_to_string("../Cargo.toml").unwrap_or_default();
    let version = manifest
        .lines()
        .skip_while(|l| l.trim() != "[package]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.split('"').next())
        .unwrap_or("unknown");
    println!("cargo::rustc-env=RUNNER_SYNCPOINT_VERSION={version}");
}

/// LLVM's libomp peer: peers/omp_epcc_main.c built with `clang -fopenmp` (or `$CLANG`) into a
/// program of its own, which the runner starts for each measurement.
fn libomp_program(out: &Path) {
    println!("cargo::rerun-if-env-changed=CLANG");
    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".into());
    let exe = out.join("syncpoint-libomp-epcc");
    let built = Command::new(&clang)
        .args(["-O2", "-fopenmp", "peers/omp_epcc_main.c", "-o"])
        .arg(&exe)
        .output();
    let why = match built {
        Ok(o) if o.status.success() => {
            println!("cargo::rustc-env=PEER_LIBOMP_EXE={}", exe.display());
            println!("cargo::rustc-cfg=peer_libomp");
            return;
        }
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            format!(
                "{clang} -fopenmp could not build it ({}): {first}",
                o.status
            )
        }
        Err(e) => format!("no {clang} with OpenMP (libomp): {e}"),
    };
    let line: String = why.chars().take(200).collect();
    println!("cargo::rustc-env=PEER_LIBOMP={line}");
}

/// A whole program using what the peer uses, to learn whether the compiler and the runtime are
/// there before building the peer itself.
const OMP_PROBE: &str = "#include <omp.h>\nint main(void) {\n#pragma omp parallel\n{\n#pragma omp barrier\n}\nreturn omp_get_max_threads() > 0 ? 0 : 1; }\n";
const CXX_PROBE: &str =
    "#include <barrier>\nint main() { std::barrier<> b(1); b.arrive_and_wait(); return 0; }\n";

/// Builds one peer: the probe (`probe_ext` names its language), then the static library; sets
/// `cfg(peer_<name>)` and links `runtime` on success, `PEER_<NAME>` = the reason otherwise.
fn peer(
    out: &Path,
    name: &str,
    build: &cc::Build,
    source: &str,
    probe: (&str, &str),
    runtime: Option<&str>,
) {
    let built = probe_program(out, name, build, probe).and_then(|()| {
        build
            .clone()
            .cargo_warnings(false)
            .try_compile(&format!("syncpoint_{name}"))
            .map_err(|e| format!("compiling {source} failed: {e}"))
    });
    match built {
        Ok(()) => {
            if let Some(runtime) = runtime {
                println!("cargo::rustc-link-lib={runtime}");
            }
            println!("cargo::rustc-cfg=peer_{name}");
        }
        Err(why) => {
            let line: String = why.split_whitespace().collect::<Vec<_>>().join(" ");
            let line: String = line.chars().take(200).collect();
            println!("cargo::rustc-env=PEER_{}={line}", name.to_uppercase());
        }
    }
}

/// Compiles and links `program` with the peer's compiler and flags.
fn probe_program(
    out: &Path,
    name: &str,
    build: &cc::Build,
    (program, ext): (&str, &str),
) -> Result<(), String> {
    let compiler = build
        .try_get_compiler()
        .map_err(|e| format!("no compiler: {e}"))?;
    let source = out.join(format!("probe_{name}.{ext}"));
    std::fs::write(&source, program).map_err(|e| e.to_string())?;
    let mut command = compiler.to_command();
    command
        .arg(&source)
        .arg("-o")
        .arg(out.join(format!("probe_{name}")));
    match command.output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            let first = stderr.lines().find(|l| !l.trim().is_empty());
            Err(format!(
                "{} could not build a test program ({}){}",
                compiler.path().display(),
                o.status,
                first.map_or(String::new(), |l| format!(": {l}"))
            ))
        }
        Err(e) => Err(format!("cannot run {}: {e}", compiler.path().display())),
    }
}
