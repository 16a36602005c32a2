#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script): formatting, clippy (also under
# --cfg loom), the unit, integration and doc tests, the loom models, the check that the loom
# models catch broken variants of the primitives, the benches' build, smoke runs of the benchmark
# runner and the examples, and the docs with warnings denied.
# Needs only a Rust toolchain (with rustfmt and clippy) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }
loom() { RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom "$@"; }

step "rustfmt"
cargo fmt --all -- --check
step "clippy"
cargo clippy --workspace --all-targets -- -D warnings
step "clippy under --cfg loom"
loom cargo clippy --workspace --all-targets -- -D warnings
step "tests and doctests"
cargo test --workspace
step "the barrier past its state words' limits (2^27 episodes, 2^20 refusals; release build)"
cargo test --release --test limits -- --ignored --test-threads=1
step "loom models"
loom cargo test --release -p loom-tests
step "the loom models catch broken variants (loom-tests/mutants.py)"
python3 loom-tests/mutants.py
step "benches build"
cargo bench --workspace --no-run
step "smoke: the benchmark runner in --quick mode (both modes), the examples"
cargo run --release -p syncpoint-bench -- --quick --csv target/smoke/barrier.csv \
  --json target/smoke/barrier.json --svg target/smoke/barrier.svg
cargo run --release -p syncpoint-bench -- --workload --quick --threads 1,2,4 \
  --csv target/smoke/jacobi.csv --svg target/smoke/jacobi.svg
cargo run --release --example rendezvous
# Each Jacobi run asserts that its plate equals the serial run's, bit for bit.
cargo run --release --example jacobi -- --size 34 --sweeps 200 --threads 3 --runs 2
cargo run --release --example thread_pool -- --workers 3 --items 100000
step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
step "all checks passed"
