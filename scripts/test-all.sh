#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script): formatting, clippy (also under
# --cfg loom), the unit, integration and doc tests, the loom models, the shuttle models, the check
# that the loom and shuttle models catch broken variants of the primitives, the benches' build, smoke runs of the benchmark
# runner and the examples, the docs with warnings denied, cargo check for Windows, macOS and
# FreeBSD, the MSRV build and tests, and cargo package; and the hybrid MPI job under mpirun.
# Needs only a Rust toolchain through rustup (with rustfmt and clippy) and python3; rustup adds
# the cross-check targets and the 1.85 toolchain. The runner's C/C++ peers (clang with libomp
# beside gcc's libgomp) and the hybrid job's MPI (MPICH, libclang) are installed with apt-get
# when the script runs as root (CI does); otherwise it says so in one line, the runner leaves
# those peers out, and the hybrid job is not run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's heading, after the time the step before it took (to see where the suite's time
# goes; CI's limit is 90 minutes, and README says how long the whole command takes).
step_start=
step() {
  [ -n "$step_start" ] && printf '(%d s)\n' $((SECONDS - step_start))
  step_start=$SECONDS
  printf '\n== %s\n' "$*"
}
loom() { RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom "$@"; }
shuttle() { RUSTFLAGS="--cfg loom --cfg shuttle" CARGO_TARGET_DIR=target/shuttle "$@"; }

# Installs the Debian packages named that are missing, as root with apt-get; otherwise says
# which could not be installed, in one line, and goes on.
packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; }; then
      echo "installed: ${missing[*]}"
    else
      echo "skipped: apt-get could not install ${missing[*]}"
    fi
  else
    echo "skipped: ${missing[*]} not installed (installing needs root and apt-get)"
  fi
}

step "system packages: clang and libomp for the runner's libomp peer"
packages clang libomp-dev

step "rustfmt"
cargo fmt --all -- --check
step "clippy"
cargo clippy --workspace --all-targets -- -D warnings
step "clippy under --cfg loom"
loom cargo clippy --workspace --all-targets -- -D warnings
step "tests and doctests"
cargo test --workspace
step "the barrier tests again with every barrier of 3 or more counted in a tree of fan-in 2"
SYNCPOINT_FAN_IN=2 cargo test --release -p syncpoint --test barrier --test soak \
  --test panic_locations --test wait_policy
step "the barrier past its state words' limits (2^27 episodes, 2^20 refusals; release build)"
cargo test --release --test limits -- --ignored --test-threads=1
step "loom models (beside each primitive, in src/*/loom_tests.rs)"
# As two processes side by side, the classic constructions' models (about 6.5 of the 11 minutes
# the models take one after another here) in one, the rest in the other: as two test threads of
# one process they took 11 min 32 s, with more system time than user time, as two processes 6 min.
loom_tests=$(loom cargo test --release -p syncpoint --lib --no-run --message-format=json |
  python3 -c 'import json, sys; print(*[m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable")])')
"$loom_tests" classic:: >target/loom/classic.log 2>&1 &
classic=$!
"$loom_tests" --skip classic:: --test-threads=1 || { kill "$classic"; exit 1; }
wait "$classic" || { cat target/loom/classic.log; exit 1; }
cat target/loom/classic.log
# A filter that matched nothing would pass with no model run.
grep -q "test result: ok. [1-9]" target/loom/classic.log
step "shuttle models: randomized schedules of 6 to 8 threads (beside each primitive, in src/*/shuttle_tests.rs)"
shuttle cargo clippy -p syncpoint --lib --profile test -- -D warnings
shuttle cargo test --release -p syncpoint --lib shuttle_tests
step "the loom and shuttle models catch broken variants (scripts/mutants.py)"
# --baseline-ran: the two steps above ran every model unmutated on this tree, and passed.
python3 scripts/mutants.py --first-kill --baseline-ran
step "benches build"
cargo bench --workspace --no-run
step "smoke: the benchmark runner, every mode in --quick on 1 and 2 cores (and once unpinned), the examples"
# The C++20 and OpenMP peers are built where the machine has a compiler for them; where it has
# not, the runner says so in one line and measures the rest.
for mode in barrier workload semaphore latch; do
  cargo run --release -p syncpoint-bench -- "$mode" --quick --cores 1,2 \
    --csv "target/smoke/$mode.csv" --json "target/smoke/$mode.json" --svg "target/smoke/$mode.svg"
done
cargo run --release -p syncpoint-bench -- --quick --no-pin --threads 1,3 --variant both
# With rounds: each row keeps a median per round, of its wall time and of its CPU time.
cargo run --release -p syncpoint-bench -- semaphore --quick --cores 2 --rounds 2 \
  --json target/smoke/rounds.json --svg target/smoke/rounds.svg
# The outputs parse, and hold rows.
python3 - <<'PY'
import csv, json
for mode in ["barrier", "workload", "semaphore", "latch"]:
    report = json.load(open(f"target/smoke/{mode}.json"))
    assert report["rows"] and report["machine"]["cpu"], mode
    lines = [l for l in open(f"target/smoke/{mode}.csv") if not l.startswith("#")]
    assert len(list(csv.DictReader(lines))) == len(report["rows"]), mode
for row in json.load(open("target/smoke/rounds.json"))["rows"]:
    assert len(row["rounds"]["samples"]) == 2, row
    assert row["cpu"] is None or len(row["cpu_rounds"]["samples"]) == 2, row
PY
cargo run --release -p syncpoint-bench -- --help >/dev/null
for example in rendezvous thread_pool; do cargo run -q --release --example "$example" -- --help >/dev/null; done
cargo run -q --release -p syncpoint-bench --example jacobi -- --help >/dev/null
cargo run --release --example rendezvous
# Each Jacobi run asserts that its plate equals the serial run's, bit for bit.
cargo run --release -p syncpoint-bench --example jacobi -- --size 34 --sweeps 200 --threads 3 --runs 2
cargo run --release --example thread_pool -- --workers 3 --items 100000
step "the hybrid MPI job (hybrid/): two ranks under mpirun, every run checked bit for bit"
# MPICH, and libclang for the bindings' bindgen; the member builds without them (its MPI code is
# behind the mpi feature), so the workspace steps above never need MPI.
packages mpich libmpich-dev libclang-dev
if command -v mpirun >/dev/null && command -v mpicc >/dev/null; then
  cargo clippy -p syncpoint-hybrid --features mpi --all-targets -- -D warnings
  cargo build --release -p syncpoint-hybrid --features mpi
  # Exits 1 if any run's plate or residual differs from the serial run's.
  mpirun -np 2 target/release/hybrid-jacobi --quick
else
  echo "skipped: no MPI here (mpirun and mpicc), so the hybrid job is not run"
fi
step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
# rustup adds what is missing; where it cannot fetch a target or the toolchain (no network), the
# step says so in one line and the rest of the suite goes on.
step "cargo check for Windows, macOS and FreeBSD"
for target in x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-unknown-freebsd; do
  if rustup target list --installed 2>/dev/null | grep -qx "$target" ||
    rustup target add "$target" >/dev/null 2>&1; then
    cargo check -p syncpoint --lib --tests --examples --target "$target"
  else
    echo "skipped: rustup could not add the $target target"
  fi
done
step "MSRV: build and test the library on Rust 1.85 (the soak and the limit tests run above)"
if rustup toolchain list 2>/dev/null | grep -q '^1\.85' ||
  rustup toolchain install 1.85 --profile minimal >/dev/null 2>&1; then
  CARGO_TARGET_DIR=target/msrv cargo +1.85 test -p syncpoint --release --lib \
    --test barrier --test classic --test latch --test panic_locations --test semaphore
else
  echo "skipped: rustup could not install the 1.85 toolchain"
fi
step "cargo package: the published crate builds, with no warning"
package=$(cargo package -p syncpoint 2>&1) || { echo "$package"; exit 1; }
if grep -q '^warning' <<<"$package"; then echo "$package"; exit 1; fi
echo "$package" | tail -2
step "all checks passed, in $((SECONDS / 60)) min $((SECONDS % 60)) s"
