#!/usr/bin/env python3
"""Shows that the loom models catch broken variants of the primitives they check.

For every Acquire, Release, AcqRel or SeqCst ordering in the code of the primitives below, it builds
a mutant with that one ordering weakened to Relaxed (an Acquire fence is deleted instead), and for
every wake call a mutant without that call; EXTRA adds hand-written mutants of logic the automatic
ones do not reach. It runs the loom models of the mutated primitive against
each mutant, one at a time, in a scratch copy of the workspace; a mutant that no loom model kills
then faces the primitive's std-thread tests (tests/<name>.rs, plus the soak test for the
barrier). It prints which mutants were killed, and by what, and which survived. An unmutated baseline must pass first, or nothing is proven.

Exit status: 0 when every mutant is killed or is listed in ARGUED (a weakening that is argued
correct in docs/testing.md); 1 otherwise.

    python3 loom-tests/mutants.py            # all primitives
    python3 loom-tests/mutants.py latch      # one of them
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Source file -> the loom test file (loom-tests/tests/<name>.rs) that models it.
PRIMITIVES = {
    "src/semaphore.rs": "semaphore",
    "src/latch.rs": "latch",
    "src/barrier.rs": "barrier",
}

# Source file -> its std-thread test files (tests/<name>.rs), run against loom's survivors.
STD_TESTS = {
    "src/semaphore.rs": ["semaphore"],
    "src/latch.rs": ["latch"],
    "src/barrier.rs": ["barrier", "soak"],
}

# A hang in the std tests kills the mutant too; they take seconds when nothing hangs.
STD_TIMEOUT_S = 120

# (file, the mutated line's code with whitespace collapsed, mutation) -> why the weaker form is
# correct. Keep the argument in docs/testing.md too.
ARGUED = {}

ORDERING = re.compile(r"Ordering::(Acquire|Release|AcqRel|SeqCst)")
FENCE = re.compile(r"fence\(Ordering::\w+\);")
WAKE = re.compile(r"(?:\w+\.)+wake_all(?:_if_sleepers)?\((\w*)\)")

# Hand-written mutants for logic the automatic ones do not reach: (file, exact code, replacement,
# what the mutant breaks).
EXTRA = [
    (
        "src/barrier.rs",
        "Err(actual) if actual & EPISODE == episode => current = actual,",
        "Err(actual) => current = actual,",
        "leader releases whatever episode the release word shows",
    ),
    (
        "src/barrier.rs",
        "let previous = episode.wrapping_sub(1) & EPISODE;",
        "let previous = episode;",
        "leader waits for its own episode instead of the previous",
    ),
    (
        "src/barrier.rs",
        "(self.0 & !COUNT).wrapping_add(GENERATION_ONE)",
        "(self.0 - (self.0 & COUNT).min(self.participants() as u64)).wrapping_add(GENERATION_ONE)",
        "reset keeps arrivals into the full episode (they arrive twice)",
    ),
    (
        "src/barrier.rs",
        "if now.episode() != episode || now.is_full() {",
        "if now.episode() != episode {",
        "withdraw from an episode that is already complete",
    ),
    (
        "src/barrier.rs",
        "if before.count() + 1 == before.participants() {",
        "if false {",
        "a drop that completes the episode does not lead it",
    ),
]

TIMEOUT_S = 600


def mutants(path):
    """Yields (line number, description, mutated text) for one source file."""
    with open(os.path.join(ROOT, path)) as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        code = line.split("//", 1)[0]
        for m in ORDERING.finditer(code):
            mutated = list(lines)
            fence = FENCE.search(code)
            if fence:
                mutated[i] = line[: fence.start()] + line[fence.end():]
                what = "delete " + fence.group(0)
            else:
                mutated[i] = line[: m.start()] + "Ordering::Relaxed" + line[m.end():]
                what = m.group(0) + " -> Relaxed"
            yield i + 1, what, "\n".join(mutated), " ".join(code.split())
        for m in WAKE.finditer(code):
            mutated = list(lines)
            stub = "{ let _ = %s; }" % m.group(1) if m.group(1) else "{}"
            mutated[i] = line[: m.start()] + stub + line[m.end():]
            yield i + 1, "delete " + m.group(0), "\n".join(mutated), " ".join(code.split())


def extra_mutants(path):
    """Yields the hand-written mutants of one source file, as `mutants` does."""
    with open(os.path.join(ROOT, path)) as f:
        text = f.read()
    for file, code, replacement, what in EXTRA:
        if file != path:
            continue
        if text.count(code) != 1:
            sys.exit("hand-written mutant '%s': its code is not found exactly once in %s" % (what, path))
        line = text[: text.index(code)].count("\n") + 1
        yield line, what, text.replace(code, replacement), " ".join(code.split())


def copy_workspace(dest):
    # Plain copies, so every file is newer than any earlier build in the shared target directory:
    # cargo's freshness check compares modification times, and a copy that kept the originals'
    # times could reuse the build of an earlier run's last mutant.
    for name in ("Cargo.toml", "Cargo.lock"):
        shutil.copy(os.path.join(ROOT, name), dest)
    # The root manifest names its benches, so they come along for it to load.
    for name in ("src", "loom-tests", "benches", "tests"):
        shutil.copytree(
            os.path.join(ROOT, name),
            os.path.join(dest, name),
            ignore=shutil.ignore_patterns("target"),
            copy_function=shutil.copy,
        )
    # The workspace lists members the scratch copy does not need; keep only the two it has.
    manifest = os.path.join(dest, "Cargo.toml")
    with open(manifest) as f:
        text = f.read()
    text = re.sub(r"members = \[[^\]]*\]", 'members = [".", "loom-tests"]', text)
    with open(manifest, "w") as f:
        f.write(text)


def cargo_test(workspace, test, *args):
    """Runs `cargo test` on one loom test file; returns (exit code, output), or (None, "")
    on a timeout."""
    env = dict(os.environ)
    env["RUSTFLAGS"] = "--cfg loom"
    env["CARGO_TARGET_DIR"] = os.path.join(ROOT, "target", "mutants")
    try:
        proc = subprocess.run(
            ["cargo", "test", "--release", "-q", "-p", "loom-tests", "--test", test, "--"]
            + list(args),
            cwd=workspace,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return None, ""
    if "error[" in proc.stdout or "could not compile" in proc.stdout:
        sys.exit("mutant did not compile:\n" + proc.stdout[-3000:])
    return proc.returncode, proc.stdout


def std_tests_fail(workspace, path):
    """Runs the std-thread tests of one primitive (release build); returns whether any failed
    or hung."""
    env = dict(os.environ)
    env.pop("RUSTFLAGS", None)
    env["CARGO_TARGET_DIR"] = os.path.join(ROOT, "target", "mutants-std")
    args = ["cargo", "test", "--release", "-q", "-p", "syncpoint"]
    for test in STD_TESTS[path]:
        args += ["--test", test]
    try:
        proc = subprocess.run(args, cwd=workspace, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=STD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return True
    if "error[" in proc.stdout or "could not compile" in proc.stdout:
        sys.exit("mutant did not compile:\n" + proc.stdout[-3000:])
    return proc.returncode != 0


def models(workspace, test):
    """The names of the loom models in one test file."""
    _, out = cargo_test(workspace, test, "--list")
    names = [line.split(":")[0] for line in out.split("\n") if line.endswith(": test")]
    if not names:
        sys.exit("found no loom models in %s:\n%s" % (test, out[-3000:]))
    return names


def failing_models(workspace, test, names):
    """Runs each model on its own (a deadlock aborts the whole test process) and returns the
    names of those that fail, or time out."""
    return [
        name for name in names if cargo_test(workspace, test, "--exact", name)[0] != 0
    ]


def main():
    chosen = sys.argv[1:] or list(PRIMITIVES.values())
    files = [f for f, t in PRIMITIVES.items() if t in chosen]
    survivors, idle_models, killed = [], [], 0
    with tempfile.TemporaryDirectory(prefix="syncpoint-mutants-") as workspace:
        copy_workspace(workspace)
        for path in files:
            test = PRIMITIVES[path]
            target = os.path.join(workspace, path)
            with open(target) as f:
                original = f.read()
            names = models(workspace, test)
            failing = failing_models(workspace, test, names)
            if failing or not names:
                sys.exit("baseline: loom models of %s fail unmutated: %s" % (path, failing))
            print("%s: %d models pass unmutated" % (path, len(names)), flush=True)
            kills = {name: 0 for name in names}
            for line, what, text, code in list(mutants(path)) + list(extra_mutants(path)):
                with open(target, "w") as f:
                    f.write(text)
                start = time.monotonic()
                failing = failing_models(workspace, test, names)
                for name in failing:
                    kills[name] += 1
                if failing:
                    verdict = "killed by " + ", ".join(failing)
                    killed += 1
                elif std_tests_fail(workspace, path):
                    verdict = "killed by the std tests (%s)" % ", ".join(STD_TESTS[path])
                    killed += 1
                elif ARGUED.get((path, code, what)):
                    verdict = "survived (argued correct)"
                else:
                    verdict = "SURVIVED"
                    survivors.append("%s:%d %s" % (path, line, what))
                secs = time.monotonic() - start
                print("  %s:%-4d %-50s %s (%.0f s)" % (path, line, what, verdict, secs), flush=True)
            with open(target, "w") as f:
                f.write(original)
            idle_models += ["%s::%s" % (test, n) for n, k in kills.items() if k == 0]
    print("%d mutants killed, %d survived" % (killed, len(survivors)))
    if idle_models:
        print("models that killed no mutant (shown to fail by a dedicated test instead):\n  "
              + "\n  ".join(idle_models))
    if survivors:
        print("survivors with no argument in ARGUED:\n  " + "\n  ".join(survivors))
        sys.exit(1)


if __name__ == "__main__":
    main()
