#!/usr/bin/env python3
"""Shows that the loom models catch broken variants of the primitives they check.

For every Acquire, Release, AcqRel or SeqCst ordering in the code of the primitives below, it builds
a mutant with that one ordering weakened to Relaxed (an Acquire fence is deleted instead), and for
every wake call a mutant without that call; HAND_WRITTEN adds mutants of logic the automatic ones
do not reach. It runs the loom models of the mutated primitive against each mutant, one at a time,
in a scratch copy of the workspace; a mutant that no loom model kills then faces the primitive's
std-thread tests. It prints which mutants were killed, and by what, and which survived. An
unmutated baseline must pass first, or nothing is proven (in CI the loom and shuttle steps just
before it are that baseline, and `--baseline-ran` says so).

The shuttle models (randomized schedules of more threads, `src/<primitive>/shuttle_tests.rs`, built
with `--cfg loom --cfg shuttle`) face the mutants too: after the loom models and the std tests, or
first where EXPECTED lists one of them (`shuttle::<primitive>::<model>`) as the killer. A few
hand-written mutants are there to show that each shuttle model can fail.

A mutant never vanishes silently. Each one has a name that does not depend on formatting (its file,
the function it is in, what it changes, and which occurrence in that function), and EXPECTED lists
them all, each with what killed it last: a mutant that no longer applies, or a new one that nobody
listed, fails the run before any model is built. Hand-written mutants are found by their code with
any whitespace between tokens, and must be found exactly once.

With --first-kill (CI) the listed killer runs first and a mutant's run stops at its first kill;
a killer other than the listed one is named, so EXPECTED can be brought up to date. An argued
mutant is built but not run there: its survival is allowed, so its run could not fail the check.

Exit status: 0 when every mutant is killed or is listed in ARGUED (argued in docs/testing.md: a
weakening that is correct, or a window no model here reaches); 1 otherwise.

    python3 scripts/mutants.py            # every primitive
    python3 scripts/mutants.py latch      # the mutants whose models include latch's
    python3 scripts/mutants.py --list     # EXPECTED as it should read, and the check against it
    python3 scripts/mutants.py --first-kill   # the listed killer first
    python3 scripts/mutants.py --first-kill --baseline-ran   # as CI runs it, after the models
    python3 scripts/mutants.py --match=settle  # only the mutants whose name holds "settle"

The loom models live beside each primitive, in `src/<primitive>/loom_tests.rs`, compiled only
under `cfg(all(loom, test))`: one test binary (the library's unit tests, built with
`--cfg loom`) holds them all, and a model is named `<primitive>::<model>` here.
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Source files (globs) -> the primitives whose loom models (src/<name>/loom_tests.rs) check them,
# and the std-thread test files (tests/<name>.rs, or --lib for the unit tests) run against loom's
# survivors. The wait loop, the futex and the typed word serve every primitive, so every model
# faces their mutants.
PRIMITIVES = [
    (["src/semaphore/*.rs"], ["semaphore"], ["--lib", "semaphore"]),
    (["src/latch.rs"], ["latch"], ["latch"]),
    (["src/barrier/*.rs"], ["barrier"], ["--lib", "barrier", "soak"]),
    (["src/wait/mod.rs", "src/futex/mod.rs", "src/word.rs"], ["semaphore", "latch", "barrier"],
     ["semaphore", "latch", "barrier"]),
    # The spin is compiled out under loom (it only chooses when to sleep); its hand-written
    # mutants face the unit tests that count sleeps (src/wait/convoy_tests.rs).
    (["src/wait/spin.rs"], [], ["--lib"]),
]

# A hang in the std tests kills the mutant too; they take seconds when nothing hangs.
STD_TIMEOUT_S = 120
TIMEOUT_S = 600

# The argument shared by the three orderings that keep the head word's vacancy (issue 22).
VACANCY = (
    "the head word's vacancy (issue 22's tickets): the leaving head vacates the word (a swap) "
    "before the Release exchange on the ticket word that passes the turn, and the next head "
    "claims it (a swap) after an Acquire read of that exchange (its draw, or its look), so "
    "the vacating comes before the claim in the head word's modification order. Relaxed, a "
    "weakly ordered machine could let the vacating land after the claim and wipe the new "
    "head's need: it would wait for a signal that no release sets. loom orders the "
    "read-modify-writes of a word as it runs them, so there the claim always follows the "
    "vacating; x86-64 keeps that order too (docs/design.md, Why no sleeper is stranded)."
)

# Mutant name -> why it may survive: a weaker form argued correct, or a window that no bounded
# model or std test here reaches, argued instead. Keep the argument in docs/testing.md too.
ARGUED = {
    "src/semaphore/waiter.rs::acquire_several: Ordering::Acquire -> Relaxed": VACANCY,
    "src/semaphore/waiter.rs::ready: Ordering::Acquire -> Relaxed": VACANCY,
    "src/semaphore/waiter.rs::leave_the_queue: Ordering::Release -> Relaxed": VACANCY,
    "src/semaphore/waiter.rs::wake_after_close: Ordering::Release -> Relaxed #2":
        "the close's signal on the head word: the head's Acquire fetch_and that clears the "
        "signal reads it, so the close's fetch_or of CLOSED comes before the head's next exchange "
        "on the state, which then finds the semaphore closed. Relaxed, that exchange could come "
        "first in the state's order, find no close and too few permits, and the head would sleep "
        "again on a word whose signal it has cleared. loom runs read-modify-writes in the order "
        "it schedules them, so the head's exchange, which follows the close in time, always reads "
        "it there. Until issue 22 a model killed it through the queue's chain of closes, which "
        "the close's wake of the whole queue replaced (docs/design.md, Closing).",
    "src/semaphore/waiter.rs::register: Ordering::Release -> Relaxed":
        "a waiter for one loads `singles` before it counts itself in; the Release orders that "
        "load before the read-modify-write of a release that reads the registration (through its "
        "Acquire fence) and then bumps `singles`, so the load cannot read that bump. Relaxed, the "
        "memory model allows the load to read it (load buffering), and the waiter would sleep on "
        "the bumped value after its wake had come. loom never lets a load read a value written "
        "after it, and x86-64 forbids it; until issue 22 the registration was AcqRel and the "
        "queue's models killed its Acquire half, not this one (docs/design.md, Why no sleeper is "
        "stranded).",
    "src/semaphore/mod.rs::close: Ordering::Acquire -> Relaxed":
        "the close's Acquire pairs with the head's Release publication of HEAD, so that its "
        "read of the head word sees the need the head claimed before (a Relaxed close could read "
        "the word vacant, signal nobody, and leave the head asleep); the waiters for one and the "
        "queue do not need it (their Acquire load of the futex word, which the close's bump "
        "releases, orders their registration after the close). No model reaches it: in "
        "a_close_racing_a_release_reaches_the_head_and_a_single the release's own Acquire fence "
        "already orders the head's claim before the close, and in "
        "a_close_reaches_a_waiter_queued_behind_the_head loom did not produce the stale read "
        "(docs/design.md, Closing).",
    "src/semaphore/waiter.rs::announce: hand-written: a signalled head that lost its permits "
    "does not pass the wake on":
        "the pass-on keeps a waiter for one from sleeping beside a free permit while the head "
        "waits on; in every run where the head leaves (takes its permits or times out), its "
        "step_down wakes as many waiters for one as the permits left can serve, so no model in "
        "which every thread finishes can deadlock without it: the loss is latency, or a hang only "
        "while the head's permits never come, which a loom model, whose threads must all end, "
        "cannot express (docs/design.md, Why no sleeper is stranded).",
    "src/semaphore/waiter.rs::announce: Ordering::Acquire -> Relaxed":
        "the head's clearing fetch_and: the wait loop's Acquire load of the head word already "
        "synchronizes with the signal it saw; the fetch_and's own Acquire matters only when a "
        "second release signals between that load and the fetch_and, and its permits are then "
        "barged before the head looks, which needs more preemptions than the models can afford. "
        "Without it the pass-on could read a stale state and leave a waiter for one asleep beside "
        "a free permit (docs/design.md, Why no sleeper is stranded).",
    "src/semaphore/waiter.rs::settle: Ordering::Acquire -> Relaxed":
        "a counted waiter's take: the waiter that was woken acquires the release that bumped "
        "`singles` through the wait loop's Acquire load, so the settle's own Acquire matters only "
        "when the permit it takes came from another release, one that left its wake to it "
        "(WAKING) and made no bump, with the woken release's permit barged meanwhile: a sender, "
        "a second sender, a barger and the waiter, more threads and preemptions than the models "
        "can afford; and no std test can see it on x86-64, where a Relaxed CAS is the same "
        "instruction. Without it the waiter could miss the second sender's writes "
        "(docs/design.md, Release/Acquire pairs).",
    "src/barrier/episode.rs::take_back_units: hand-written: a refused arrival is taken back after a "
    "reset erased it":
        "needs a late arrival (more threads than participants) whose deadline passes between "
        "its episode's reset and its release, while the next episode already counts arrivals: "
        "loom's timed waits expire at the first sleep, and a model with a late arrival and a "
        "second episode needs a thread count that strands one of them; the std soak with late "
        "arrivals and timeouts does not hit the window. The episode check is argued in "
        "docs/design.md (Refused arrivals change nothing).",
}

# Hand-written mutants for logic the automatic ones do not reach: (file, function, code,
# replacement, what the mutant breaks). `code` is matched with any whitespace between its tokens.
HAND_WRITTEN = [
    ("src/barrier/episode.rs", "release",
     "(word.episode() == episode.bits())",
     "(true)",
     "leader does not wait for the previous episode's release"),
    ("src/barrier/episode.rs", "ready",
     "if word.has_released(episode) || (self.confirm && self.barrier.has_released(episode)) {",
     "if word.has_released(episode) {",
     "a member trusts the release word alone, even after 2^26 episodes"),
    ("src/barrier/episode.rs", "wait_for_previous",
     "(Released::from_bits(observed).episode() == episode.bits())",
     "(Released::from_bits(observed).episode() == episode.next().bits())",
     "leader waits for its own episode's release instead of the previous"),
    ("src/barrier/state.rs", "reset",
     "(self.0 & !Arrivals::COUNT | Arrivals::BIAS)",
     "(self.0 - self.count().min(self.participants() as i32) as u64)",
     "reset keeps arrivals into the full episode (they arrive twice)"),
    ("src/barrier/episode.rs", "withdraw",
     "let counting = current.episode() == episode.bits() && !current.is_full();",
     "let counting = current.episode() == episode.bits();",
     "withdraw from an episode that is already complete"),
    ("src/barrier/episode.rs", "withdraw",
     "Err(_) if self.is_released(episode) => Ok(BarrierWaitResult::FOLLOWER),",
     "Err(current) if current.is_broken() => Err(BarrierWaitError::Broken), "
     "Err(_) if self.is_released(episode) => Ok(BarrierWaitResult::FOLLOWER),",
     "withdraw looks at the broken flag before the release"),
    ("src/barrier/episode.rs", "drop_participant",
     "Ok(before) if before.count() + 1 == before.participants() as i32 => {",
     "Ok(before) if false => {",
     "a drop that completes the episode does not lead it"),
    ("src/barrier/episode.rs", "take_back_units",
     "(current.episode() == arrival.episode()).then(|| current.withdrawn_by(units))",
     "(false).then(|| current.withdrawn_by(units))",
     "a refused arrival is not taken back"),
    ("src/barrier/episode.rs", "take_back_units",
     "(current.episode() == arrival.episode()).then(|| current.withdrawn_by(units))",
     "(current.count() > 0).then(|| current.withdrawn_by(units))",
     "a refused arrival is taken back after a reset erased it"),
    ("src/barrier/episode.rs", "ready",
     "if word.is_broken() && !self.barrier.will_release(episode, word) {",
     "if word.is_broken() {",
     "a waiter gives up on a broken barrier although its episode will be released"),
    ("src/barrier/episode.rs", "withdraw",
     "(Some((tree, leaf)), _) => tree.reopen(leaf, episode),",
     "(Some(_), _) => {}",
     "tree mode: a withdrawal taken off the root does not reopen its leaf"),
    ("src/barrier/tree.rs", "arrive",
     "Joined::Refill => Landed::Root { leaf, units: 1 },",
     "Joined::Refill => Landed::Member { leaf },",
     "tree mode: an arrival that refills a reopened leaf is not counted at the root"),
    ("src/barrier/tree.rs", "join",
     "core::cmp::Ordering::Less => (0, false),",
     "core::cmp::Ordering::Less => (current.count(), current.is_forwarded()),",
     "tree mode: a node still counting an earlier episode is not reset by the next one's arrival"),
    ("src/barrier/episode.rs", "drop_participant",
     "Ok(self.fill(tree.expect(\"checked\"), before, completion))",
     "Ok(BarrierWaitResult::FOLLOWER)",
     "tree mode: a drop takes its arrival off the root but fills no slot"),
    ("src/barrier/episode.rs", "add_participants",
     "true => current.arrived_by(k).added(k),",
     "true => current.added(k),",
     "an addition into a full episode is not counted as arrived there"),
    ("src/barrier/episode.rs", "add_participants",
     "tree.add_spare(episode, k);",
     "",
     "tree mode: an addition makes no slots at the root"),
    ("src/barrier/episode.rs", "withdraw",
     "(None, Some(tree)) => tree.add_spare(episode, 1),",
     "(None, Some(_)) => {}",
     "tree mode: a withdrawn newcomer keeps its slot at the root"),
    ("src/barrier/episode.rs", "announce",
     ".mark(self.seen, Released::LEAVES)?;",
     ".load(Ordering::Relaxed);",
     "tree mode: a member sleeps on its leaf's word without marking LEAVES"),
    ("src/barrier/broken.rs", "set_broken",
     "let doomed = failed || (!before.is_broken() && !before.is_full());",
     "let doomed = true;",
     "a break dooms an episode that had all its arrivals"),
    ("src/barrier/broken.rs", "set_broken",
     "let doomed = failed || (!before.is_broken() && !before.is_full());",
     "let doomed = failed;",
     "a break does not doom an episode still being counted"),
    ("src/semaphore/mod.rs", "release_many",
     "Ok(before) if before.has_waiters() => self.wake_after_release(before, n),",
     "Ok(before) if before.has_waiters() => {}",
     "a release wakes nobody"),
    ("src/semaphore/waiter.rs", "signal_head",
     "let reached = need != 0 && before < need && need <= after;",
     "let reached = need != 0 && before < need && need <= after && word & SIGNAL == 0;",
     "a release gives up when a signal is already pending"),
    ("src/semaphore/waiter.rs", "register",
     "if current.can_take(n) || current.is_closed() {",
     "if current.can_take(n) {",
     "a waiter counts itself in on a closed semaphore"),
    ("src/semaphore/waiter.rs", "wake_after_close",
     "self.wake_singles(before.sleepers());",
     "",
     "a close wakes no waiter for one permit"),
    ("src/semaphore/state.rs", "can_take",
     "self.0 & (State::HANDOFF | State::CLOSED | head) == 0 && self.permits() >= n",
     "self.0 & (State::HANDOFF | head) == 0 && self.permits() >= n",
     "an acquire takes permits from a closed semaphore"),
    ("src/semaphore/waiter.rs", "announce",
     "if !now.has_handoff() && !now.is_closed() { self.semaphore .wake_singles(now.sleepers().min(now.permits())); }",
     "",
     "a signalled head that lost its permits does not pass the wake on"),
    ("src/semaphore/waiter.rs", "take_or_look",
     "if n >= 2 && self.tickets.load(Ordering::Relaxed).has_holders() {",
     "if false {",
     "a newcomer for several takes the permits while tickets are out (it overtakes the queue)"),
    ("src/semaphore/waiter.rs", "wake_after_release",
     "self.wake_singles(singles);",
     "",
     "a release wakes no waiter for one permit"),
    ("src/semaphore/waiter.rs", "wake_after_release",
     "self.settle(Look::TakeBack);",
     "",
     "a release that gave its wake to the head leaves WAKING marked"),
    ("src/semaphore/waiter.rs", "settle",
     "pass_on = current.is_waking() && next.wakes_a_single() && next.permits() > 0;",
     "pass_on = false;",
     "a woken waiter for one permit does not pass on the wake that releases left to it"),
    ("src/semaphore/mod.rs", "release_many",
     "Some(if current.marks_waking(n) {",
     "Some(if current.wakes_a_single() {",
     "a release that wakes several waiters for one permit marks WAKING (2k - 1 wakes for k)"),
    ("src/semaphore/waiter.rs", "settle",
     "pass_on = current.is_waking() && next.wakes_a_single() && next.permits() > 0;",
     "pass_on = next.wakes_a_single() && next.permits() > 0;",
     "a look that cleared no mark passes a wake on"),
    ("src/semaphore/waiter.rs", "acquire_one",
     "self.settle(Look::Leave);",
     "self.deregister(State::without_sleeper);",
     "a waiter for one permit that times out leaves WAKING marked"),
    ("src/semaphore/waiter.rs", "ready",
     "tickets.is_turn(self.ticket).then_some(Ok(()))",
     "(self.semaphore.head.load(Ordering::Relaxed) == 0).then_some(Ok(()))",
     "a queued waiter goes on when the head word is vacant, whatever its ticket"),
    ("src/wait/spin.rs", "register",
     "end = end.max(woke + WAKING_SPIN);",
     "end = end.max(woke);",
     "an adaptive wait does not spin through a recent wake (the convoy of sleeps)"),
    # Shown to fail by the shuttle models (listed first for them in EXPECTED; loom may kill some too).
    ("src/semaphore/waiter.rs", "settle",
     "pass_on = current.is_waking() && next.wakes_a_single() && next.permits() > 0;",
     "pass_on = current.is_waking() && next.wakes_a_single();",
     "a look passes a wake on with no permit left for it"),
    ("src/semaphore/waiter.rs", "settle",
     "(next != current || pass_on).then_some(next)",
     "(next != current).then_some(next)",
     "a take-back that marks again the mark it cleared makes no exchange and wakes nobody"),
    ("src/semaphore/waiter.rs", "acquire_several",
     "self.leave_the_queue(ticket); Err(Failed::TimedOut)",
     "Err(Failed::TimedOut)",
     "a queued waiter that times out leaves its ticket behind (the turn stops at it)"),
    ("src/semaphore/waiter.rs", "step_down",
     "self.leave_the_queue(ticket); if !now.has_handoff()",
     "if !now.has_handoff()",
     "the leaving head does not pass the turn"),
    ("src/barrier/tree.rs", "climb",
     "shape.children(level + 1, parent),",
     "shape.children(level + 1, parent) + u32::from(level > 0),",
     "a node two levels up waits for one child more than it has (loom's trees have two levels)"),
    ("src/barrier/tree.rs", "take_spare",
     "(spare.against(episode).is_eq() && spare.count() > 0)",
     "(spare.against(episode).is_eq() && spare.count() > 1)",
     "an arrival cannot take the last slot at the root"),
    ("src/latch.rs", "count_down_by",
     "let left = (state & COUNT).saturating_sub(n);",
     "let left = (state & COUNT).saturating_sub(n + 1);",
     "a count-down lowers the count by one more"),
]

# Every mutant, by name, and what kills it: the loom model (file::model) that killed it in the last
# run, "std" for the std-thread tests, or "argued" for the ARGUED ones. Regenerate with --list
# after a change that adds or removes an ordering or a wake (a new mutant is listed with "?"), and
# say in the commit why the list changed. --first-kill tries the listed killer first.
EXPECTED = """
src/barrier/broken.rs::set_broken: Ordering::Release -> Relaxed => barrier::withdrawal_races_a_release_and_a_break
src/barrier/broken.rs::set_broken: delete self.release.word.wake_all_if_sleepers(previous) => barrier::breaking_wakes_the_sleepers
src/barrier/broken.rs::set_broken: hand-written: a break does not doom an episode still being counted => barrier::breaking_wakes_the_sleepers
src/barrier/broken.rs::set_broken: hand-written: a break dooms an episode that had all its arrivals => barrier::withdrawal_races_a_release_and_a_break
src/barrier/episode.rs::arrive_in: Ordering::Release -> Relaxed => barrier::completion_visibility
src/barrier/episode.rs::drop_participant: Ordering::Release -> Relaxed => barrier::arrive_and_drop_across_two_episodes
src/barrier/episode.rs::drop_participant: hand-written: a drop that completes the episode does not lead it => barrier::arrive_and_drop_across_two_episodes
src/barrier/episode.rs::has_released: Ordering::Acquire -> Relaxed => barrier::arrive_and_drop_across_two_episodes
src/barrier/episode.rs::is_released: Ordering::Acquire -> Relaxed => barrier::split_phase_is_complete_publishes
src/barrier/episode.rs::lead: Ordering::Release -> Relaxed => barrier::consecutive_completions_do_not_race
src/barrier/episode.rs::lead: delete fence(Ordering::Acquire); => barrier::arrive_and_drop_across_two_episodes
src/barrier/episode.rs::ready: Ordering::Acquire -> Relaxed => barrier::tree_three_threads_one_episode
src/barrier/episode.rs::ready: hand-written: a member trusts the release word alone, even after 2^26 episodes => std
src/barrier/episode.rs::ready: hand-written: a waiter gives up on a broken barrier although its episode will be released => barrier::withdrawal_races_a_release_and_a_break
src/barrier/episode.rs::release: Ordering::Release -> Relaxed => barrier::arrive_and_drop_across_two_episodes
src/barrier/episode.rs::release: Ordering::Release -> Relaxed #2 => barrier::arrive_and_drop_across_two_episodes
src/barrier/episode.rs::release: delete self.release.word.wake_all_if_sleepers(previous) => barrier::arrive_and_drop_across_two_episodes
src/barrier/episode.rs::release: hand-written: leader does not wait for the previous episode's release => barrier::two_pairs_on_four_threads
src/barrier/episode.rs::take_back_units: hand-written: a refused arrival is not taken back => barrier::refused_arrivals_leave_the_word_unchanged
src/barrier/episode.rs::take_back_units: hand-written: a refused arrival is taken back after a reset erased it => argued
src/barrier/episode.rs::count_at_root: Ordering::Release -> Relaxed => barrier::tree_two_counts_reach_the_root
src/barrier/episode.rs::ready: Ordering::Acquire -> Relaxed #2 => barrier::arrive_and_drop_across_two_episodes
src/barrier/episode.rs::wake_leaves: Ordering::Release -> Relaxed => barrier::tree_three_threads_one_episode
src/barrier/episode.rs::wake_leaves: delete group.wake_all_if_sleepers(sequence) => barrier::tree_breaking_wakes_every_leaf
src/barrier/tree.rs::join: Ordering::AcqRel -> Relaxed => barrier::tree_three_threads_one_episode
src/barrier/episode.rs::withdraw: hand-written: tree mode: a withdrawal taken off the root does not reopen its leaf => barrier::tree_withdrawals_reopen_their_leaf
src/barrier/tree.rs::arrive: hand-written: tree mode: an arrival that refills a reopened leaf is not counted at the root => barrier::tree_withdrawals_reopen_their_leaf
src/barrier/tree.rs::join: hand-written: tree mode: a node still counting an earlier episode is not reset by the next one's arrival => barrier::tree_three_threads_two_episodes
src/barrier/episode.rs::drop_participant: hand-written: tree mode: a drop takes its arrival off the root but fills no slot => barrier::tree_drop_races_the_waiters
src/barrier/episode.rs::add_participants: hand-written: an addition into a full episode is not counted as arrived there => barrier::an_addition_races_the_last_arrival
src/barrier/episode.rs::add_participants: hand-written: tree mode: an addition makes no slots at the root => barrier::tree_an_addition_races_the_arrivals_and_a_withdrawal
src/barrier/episode.rs::withdraw: hand-written: tree mode: a withdrawn newcomer keeps its slot at the root => barrier::tree_an_addition_races_the_arrivals_and_a_withdrawal
src/barrier/episode.rs::announce: hand-written: tree mode: a member sleeps on its leaf's word without marking LEAVES => barrier::tree_breaking_wakes_every_leaf
src/barrier/episode.rs::wait_for_previous: hand-written: leader waits for its own episode's release instead of the previous => barrier::consecutive_completions_do_not_race
src/barrier/episode.rs::withdraw: hand-written: withdraw from an episode that is already complete => barrier::withdrawal_races_a_release_and_a_break
src/barrier/episode.rs::withdraw: hand-written: withdraw looks at the broken flag before the release => barrier::withdrawal_races_a_release_and_a_break
src/barrier/state.rs::reset: hand-written: reset keeps arrivals into the full episode (they arrive twice) => barrier::consecutive_completions_do_not_race
src/latch.rs::count_down_by: Ordering::Release -> Relaxed => latch::arrive_and_wait_pair
src/latch.rs::count_down_by: delete self.state.wake_all_if_sleepers(previous) => latch::arrive_and_wait_pair
src/latch.rs::try_wait: Ordering::Acquire -> Relaxed => latch::arrive_and_wait_pair
src/semaphore/mod.rs::release_many: Ordering::Release -> Relaxed => semaphore::a_waiter_for_two_sees_both_releasers_writes
src/semaphore/mod.rs::release_many: hand-written: a release wakes nobody => semaphore::a_head_that_times_out_passes_its_permits_on
src/semaphore/mod.rs::release_many: hand-written: a release that wakes several waiters for one permit marks WAKING (2k - 1 wakes for k) => semaphore::a_release_of_two_to_three_sleepers_wakes_two
src/semaphore/waiter.rs::acquire_one: hand-written: a waiter for one permit that times out leaves WAKING marked => semaphore::a_waiter_that_times_out_takes_its_mark_back
src/semaphore/waiter.rs::announce: Ordering::Acquire -> Relaxed => argued
src/semaphore/waiter.rs::announce: hand-written: a signalled head that lost its permits does not pass the wake on => argued
src/semaphore/waiter.rs::lead: Ordering::Release -> Relaxed => semaphore::a_signalled_head_that_loses_its_permits_passes_them_on
src/semaphore/waiter.rs::settle: Ordering::Acquire -> Relaxed => argued
src/semaphore/waiter.rs::settle: hand-written: a woken waiter for one permit does not pass on the wake that releases left to it => semaphore::two_sleepers_two_releases
src/semaphore/waiter.rs::settle: hand-written: a look that cleared no mark passes a wake on => semaphore::a_release_of_two_to_three_sleepers_wakes_two
src/semaphore/waiter.rs::signal_head: Ordering::Release -> Relaxed => semaphore::a_signalled_head_that_loses_its_permits_passes_them_on
src/semaphore/waiter.rs::signal_head: delete self.head.wake(1) => semaphore::a_signalled_head_that_loses_its_permits_passes_them_on
src/semaphore/waiter.rs::signal_head: hand-written: a release gives up when a signal is already pending => semaphore::a_signalled_head_that_loses_its_permits_passes_them_on
src/semaphore/waiter.rs::take_or_look: Ordering::Acquire -> Relaxed => semaphore::mutual_exclusion
src/semaphore/waiter.rs::wake_after_release: delete fence(Ordering::Acquire); => semaphore::a_signalled_head_that_loses_its_permits_passes_them_on
src/semaphore/waiter.rs::wake_after_release: hand-written: a release that gave its wake to the head leaves WAKING marked => std
src/semaphore/waiter.rs::wake_after_release: hand-written: a release wakes no waiter for one permit => semaphore::a_head_that_times_out_passes_its_permits_on
src/semaphore/mod.rs::close: Ordering::Acquire -> Relaxed => argued
src/semaphore/state.rs::can_take: hand-written: an acquire takes permits from a closed semaphore => std
src/semaphore/waiter.rs::register: hand-written: a waiter counts itself in on a closed semaphore => semaphore::a_close_racing_a_release_reaches_the_head_and_a_single
src/semaphore/waiter.rs::wake_after_close: Ordering::Release -> Relaxed => semaphore::a_close_reaches_a_waiter_queued_behind_the_head
src/semaphore/waiter.rs::wake_after_close: delete self.head.wake(1) => semaphore::a_close_racing_a_release_reaches_the_head_and_a_single
src/semaphore/waiter.rs::wake_after_close: hand-written: a close wakes no waiter for one permit => semaphore::a_close_racing_a_release_reaches_the_head_and_a_single
src/semaphore/waiter.rs::wake_singles: Ordering::Release -> Relaxed => semaphore::a_head_that_times_out_passes_its_permits_on
src/semaphore/waiter.rs::wake_singles: delete self.singles.wake(n) => semaphore::a_head_that_times_out_passes_its_permits_on
src/wait/mod.rs::wait: Ordering::Acquire -> Relaxed => semaphore::a_head_that_times_out_passes_its_permits_on
src/wait/mod.rs::wait: Ordering::Acquire -> Relaxed #2 => barrier::withdrawal_races_a_release_and_a_break
src/wait/spin.rs::register: hand-written: an adaptive wait does not spin through a recent wake (the convoy of sleeps) => std
src/barrier/tree.rs::climb: hand-written: a node two levels up waits for one child more than it has (loom's trees have two levels) => shuttle::barrier::a_tree_of_eight_passes_nobody_early
src/barrier/tree.rs::take_spare: hand-written: an arrival cannot take the last slot at the root => shuttle::barrier::a_tree_grows_while_a_member_withdraws
src/latch.rs::count_down_by: hand-written: a count-down lowers the count by one more => shuttle::latch::a_latch_releases_its_waiters_after_the_last_count_down
src/semaphore/waiter.rs::settle: hand-written: a look passes a wake on with no permit left for it => shuttle::semaphore::a_herd_fed_in_batches_wakes_one_sleeper_a_permit
src/semaphore/waiter.rs::settle: hand-written: a take-back that marks again the mark it cleared makes no exchange and wakes nobody => std
src/semaphore/waiter.rs::acquire_several: Ordering::Acquire -> Relaxed => argued
src/semaphore/waiter.rs::acquire_several: hand-written: a queued waiter that times out leaves its ticket behind (the turn stops at it) => shuttle::semaphore::waiters_for_several_are_served_in_arrival_order
src/semaphore/waiter.rs::leave_the_queue: Ordering::Release -> Relaxed => argued
src/semaphore/waiter.rs::leave_the_queue: Ordering::Release -> Relaxed #2 => semaphore::waiters_for_several_queue_behind_the_head
src/semaphore/waiter.rs::leave_the_queue: delete word.wake_all() => semaphore::the_queue_s_turn_passes_from_waiter_to_waiter
src/semaphore/waiter.rs::ready: Ordering::Acquire -> Relaxed => argued
src/semaphore/waiter.rs::ready: hand-written: a queued waiter goes on when the head word is vacant, whatever its ticket => semaphore::the_queue_s_turn_passes_from_waiter_to_waiter
src/semaphore/waiter.rs::register: Ordering::Release -> Relaxed => argued
src/semaphore/waiter.rs::step_down: Ordering::Acquire -> Relaxed => semaphore::a_waiter_for_two_sees_both_releasers_writes
src/semaphore/waiter.rs::step_down: hand-written: the leaving head does not pass the turn => shuttle::semaphore::waiters_for_one_and_for_several_all_get_their_permits
src/semaphore/waiter.rs::take_or_look: hand-written: a newcomer for several takes the permits while tickets are out (it overtakes the queue) => semaphore::a_newcomer_for_several_is_served_after_those_queued
src/semaphore/waiter.rs::wake_after_close: Ordering::Release -> Relaxed #2 => argued
src/semaphore/waiter.rs::wake_after_close: delete word.wake_all() => shuttle::semaphore::timed_waiters_and_a_close_leave_the_permits_adding_up
"""

ORDERING = re.compile(r"Ordering::(Acquire|Release|AcqRel|SeqCst)")
FENCE = re.compile(r"fence\(Ordering::\w+\);")
WAKE = re.compile(r"(?:\w+\.)+wake(?:_all(?:_if_sleepers)?)?\((\w*)\)")
FN = re.compile(r"^\s*(?:pub(?:\([\w:]+\))?\s+)?(?:const\s+)?(?:unsafe\s+)?fn\s+(\w+)")


def source_files(globs):
    return sorted(
        os.path.relpath(f, ROOT) for g in globs for f in glob.glob(os.path.join(ROOT, g))
    )


def enclosing_fn(lines, index):
    """The name of the function that line `index` is in (the nearest `fn` line above it)."""
    for line in reversed(lines[: index + 1]):
        m = FN.match(line)
        if m:
            return m.group(1)
    return "<top>"


def name_mutants(path, found):
    """Names each (line index, fn, what, text) of one file; repeats in a function get #2, #3..."""
    seen, named = {}, []
    for index, fn, what, text in found:
        base = "%s::%s: %s" % (path, fn, what)
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else "%s #%d" % (base, seen[base])
        named.append((name, index + 1, text))
    return named


TEST_MODULE = re.compile(r"^\s*#\[cfg\((all\()?test\b")


def automatic_mutants(path, text):
    lines = text.split("\n")
    found = []
    for i, line in enumerate(lines):
        # An inline unit-test module sits at the end of its file; its wakes and orderings are not
        # the primitive's. (`#[cfg(test)] mod tests;` names a file of its own: scanning goes on.)
        if TEST_MODULE.match(line) and re.match(r"\s*mod \w+ \{", lines[i + 1] if i + 1 < len(lines) else ""):
            break
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
            found.append((i, enclosing_fn(lines, i), what, "\n".join(mutated)))
        for m in WAKE.finditer(code):
            mutated = list(lines)
            stub = "{ let _ = %s; }" % m.group(1) if m.group(1) else "{}"
            mutated[i] = line[: m.start()] + stub + line[m.end():]
            found.append((i, enclosing_fn(lines, i), "delete " + m.group(0), "\n".join(mutated)))
    return found


def hand_written_mutants(path, text):
    lines = text.split("\n")
    found = []
    for file, fn, code, replacement, what in HAND_WRITTEN:
        if file != path:
            continue
        pattern = r"\s*".join(re.escape(token) for token in code.split())
        matches = list(re.finditer(pattern, text))
        if len(matches) != 1:
            sys.exit("hand-written mutant '%s': its code is found %d times in %s, not once"
                     % (what, len(matches), path))
        m = matches[0]
        index = text[: m.start()].count("\n")
        if enclosing_fn(lines, index) != fn:
            sys.exit("hand-written mutant '%s': found in fn %s, not in fn %s"
                     % (what, enclosing_fn(lines, index), fn))
        found.append((index, fn, "hand-written: " + what,
                      text[: m.start()] + replacement + text[m.end():]))
    return found


def all_mutants():
    """Every mutant: (name, models, std tests, path, line, mutated text)."""
    mutants = []
    for globs, models, std_tests in PRIMITIVES:
        for path in source_files(globs):
            with open(os.path.join(ROOT, path)) as f:
                text = f.read()
            found = automatic_mutants(path, text) + hand_written_mutants(path, text)
            for name, line, mutated in name_mutants(path, found):
                mutants.append((name, models, std_tests, path, line, mutated))
    return mutants


def expected_killers():
    """EXPECTED as {mutant name: its listed killer}."""
    return dict(line.strip().rsplit(" => ", 1) for line in EXPECTED.strip().split("\n"))


def check_expected(mutants):
    """Fails loudly if a listed mutant no longer applies or an unlisted one appeared, or if the
    mutants listed as argued are not the ones ARGUED argues."""
    killers = expected_killers()
    expected, generated = set(killers), {m[0] for m in mutants}
    vanished, unlisted = sorted(expected - generated), sorted(generated - expected)
    argued = {name for name, killer in killers.items() if killer == "argued"}
    if vanished or unlisted or argued != set(ARGUED):
        sys.exit(
            "the mutants differ from EXPECTED in scripts/mutants.py:\n"
            + "".join("  no longer applies: %s\n" % n for n in vanished)
            + "".join("  not listed:        %s\n" % n for n in unlisted)
            + "".join("  listed as argued, not in ARGUED: %s\n" % n for n in argued - set(ARGUED))
            + "".join("  in ARGUED, not listed as argued: %s\n" % n for n in set(ARGUED) - argued)
        )
    return killers


def copy_workspace(dest):
    # Plain copies, so every file is newer than any earlier build in the shared target directory:
    # cargo's freshness check compares modification times, and a copy that kept the originals'
    # times could reuse the build of an earlier run's last mutant.
    for name in ("Cargo.toml", "Cargo.lock"):
        shutil.copy(os.path.join(ROOT, name), dest)
    # The root manifest names its benches, so they come along for it to load.
    for name in ("src", "benches", "tests"):
        shutil.copytree(
            os.path.join(ROOT, name),
            os.path.join(dest, name),
            ignore=shutil.ignore_patterns("target"),
            copy_function=shutil.copy,
        )
    # The workspace lists members the scratch copy does not need; keep only the library.
    manifest = os.path.join(dest, "Cargo.toml")
    with open(manifest) as f:
        text = f.read()
    text = re.sub(r"members = \[[^\]]*\]", 'members = ["."]', text)
    with open(manifest, "w") as f:
        f.write(text)


def compile_error(output):
    return "error[" in output or "could not compile" in output


def run(args, cwd, env, timeout):
    """Runs a command in a process group of its own; returns (exit code, output), or (None,
    output so far) on a timeout, after killing the whole group: cargo's test binaries are its
    children, and a hung one left behind would load the machine for every later mutant."""
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, out


def model_path(primitive, model=""):
    """The path of a loom model (or, without one, the filter for all of a primitive's models) in
    the library's test binary."""
    return "%s::loom_tests::%s" % (primitive, model)


def cargo_env(target, rustflags):
    """The environment of a mutant's cargo command: `rustflags` (None: none), and `target`, a
    directory of its own under target/, never the test command's: a mutant's build must never be
    what a later `cargo test` in the repository runs (sharing target/shuttle once left a mutated
    test binary that a run by hand took for the real one). Incremental, although the builds are
    release builds: a mutant changes one function, and rebuilding only what it touches took a
    mutant from about 6-8 s to 2-4 s, built and killed."""
    env = dict(os.environ)
    env.pop("RUSTFLAGS", None)
    if rustflags:
        env["RUSTFLAGS"] = rustflags
    env["CARGO_TARGET_DIR"] = os.path.join(ROOT, "target", target)
    env["CARGO_INCREMENTAL"] = "1"
    return env


def cargo_test(workspace, *args, shuttle=False):
    """Runs the library's tests built with --cfg loom (and --cfg shuttle, for the shuttle models),
    with `args` for the test binary; returns (exit code, output), or (None, "") on a timeout."""
    env = (cargo_env("mutants-shuttle", "--cfg loom --cfg shuttle") if shuttle
           else cargo_env("mutants", "--cfg loom"))
    code, out = run(
        ["cargo", "test", "--release", "-q", "-p", "syncpoint", "--lib", "--"] + list(args),
        workspace, env, TIMEOUT_S,
    )
    if code is not None and compile_error(out):
        sys.exit("mutant did not compile:\n" + out[-3000:])
    return code, out


def shuttle_path(primitive, model=""):
    """The path of a shuttle model (or, without one, the filter for all of a primitive's)."""
    return "%s::shuttle_tests::%s" % (primitive, model)


def shuttle_names(workspace, primitive):
    """The shuttle models of one primitive, named shuttle::<primitive>::<model>."""
    prefix = shuttle_path(primitive)
    _, out = cargo_test(workspace, prefix, "--list", shuttle=True)
    return ["shuttle::%s::%s" % (primitive, line[len(prefix):].rsplit(": test", 1)[0])
            for line in out.split("\n") if line.startswith(prefix) and line.endswith(": test")]


def shuttle_fails(workspace, name):
    """Runs one shuttle model (shuttle::<primitive>::<model>); returns whether it failed or hung."""
    _, primitive, model = name.split("::", 2)
    return cargo_test(workspace, "--exact", shuttle_path(primitive, model), shuttle=True)[0] != 0


def std_tests_fail(workspace, std_tests):
    """Runs std-thread test files (release build); returns whether any failed or hung."""
    env = cargo_env("mutants-std", None)
    args = ["cargo", "test", "--release", "-q", "-p", "syncpoint"]
    for test in std_tests:
        # "--lib": the unit tests beside the code (src/barrier/tests.rs and the like).
        args += [test] if test.startswith("--") else ["--test", test]
    code, out = run(args, workspace, env, STD_TIMEOUT_S)
    if code is None:
        return True
    if compile_error(out):
        sys.exit("mutant did not compile:\n" + out[-3000:])
    return code != 0


def model_names(workspace, primitive):
    """The names of one primitive's loom models."""
    prefix = model_path(primitive)
    _, out = cargo_test(workspace, prefix, "--list")
    names = [line[len(prefix):].rsplit(": test", 1)[0] for line in out.split("\n")
             if line.startswith(prefix) and line.endswith(": test")]
    if not names:
        sys.exit("found no loom models of %s:\n%s" % (primitive, out[-3000:]))
    return names


def failing_models(workspace, models, first=False):
    """Runs each model on its own (a deadlock aborts the whole test process) and returns the
    names (file::model) of those that fail, or time out; with `first`, stops at the first."""
    failing = []
    for test, names in models:
        for name in names:
            if cargo_test(workspace, "--exact", model_path(test, name))[0] != 0:
                failing.append("%s::%s" % (test, name))
                if first:
                    return failing
    return failing


def baseline_failures(workspace, tests):
    """Runs each primitive's loom models, side by side, unmutated; returns the output of each
    primitive whose models fail."""
    return [out[-3000:] for test in tests for code, out in [cargo_test(workspace, model_path(test))]
            if code != 0]


def build(workspace):
    """Builds the loom models against the mutant: a mutant that no longer compiles fails."""
    env = cargo_env("mutants", "--cfg loom")
    args = ["cargo", "test", "--release", "-q", "-p", "syncpoint", "--lib", "--no-run"]
    code, out = run(args, workspace, env, TIMEOUT_S)
    if code != 0:
        sys.exit("mutant did not compile:\n" + out[-3000:])


def verdict_of(workspace, names, mutant, listed, first):
    """Runs the models (and, if none kills it, the std tests) against the applied mutant; returns
    (the failing models, or ["std"], or [], and a note). With `first`, the listed killer goes
    first and the run stops at the first kill."""
    models, std_tests = mutant[1], mutant[2]
    order = [(t, names[t]) for t in models]
    shuttles = [n for t in models for n in names.get("shuttle::" + t, [])]
    if first and listed.startswith("shuttle::"):
        if shuttle_fails(workspace, listed):
            return [listed], ""
        shuttles = [n for n in shuttles if n != listed]
    elif first and listed != "std":
        test, model = listed.split("::", 1)
        order = [(test, [model])] + [(t, [n for n in ns if "%s::%s" % (t, n) != listed])
                                     for t, ns in order]
    if first and listed == "std" and std_tests_fail(workspace, std_tests):
        return ["std"], ""
    failing = failing_models(workspace, order, first)
    if not failing and not (first and listed == "std") and std_tests_fail(workspace, std_tests):
        failing = ["std"]
    for name in shuttles if not failing or not first else []:
        if shuttle_fails(workspace, name):
            failing.append(name)
            if first:
                break
    note = ""
    if failing and listed not in failing:
        note = "; EXPECTED lists %s: update it to %s" % (listed, failing[0])
    return failing, note


def main():
    mutants = all_mutants()
    if "--list" in sys.argv:
        # EXPECTED's lines as they should read; "?" for a mutant it does not list yet.
        killers = dict(expected_killers())
        print("\n".join("%s => %s" % (m[0], killers.get(m[0], "?"))
                        for m in sorted(mutants)))
        check_expected(mutants)
        return
    killers = check_expected(mutants)
    # --first-kill (CI): the listed killer is tried first, and a mutant is killed by its first
    # failing model; the full run (no flag) names every model that kills it, for docs/testing.md.
    first = "--first-kill" in sys.argv
    # --baseline-ran (CI): the loom and shuttle steps just ran every model on this very tree and
    # passed, so the baseline does not run them a second time.
    baseline_ran = "--baseline-ran" in sys.argv
    chosen = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    mutants = [m for m in mutants if not chosen or set(chosen) & set(m[1])]
    # --match=TEXT: only the mutants whose name holds TEXT (to try a new mutant; CI runs all).
    matches = [arg[len("--match="):] for arg in sys.argv[1:] if arg.startswith("--match=")]
    mutants = [m for m in mutants if not matches or any(t in m[0] for t in matches)]
    survivors, killed, kills = [], 0, {}
    with tempfile.TemporaryDirectory(prefix="syncpoint-mutants-") as workspace:
        copy_workspace(workspace)
        tests = sorted({t for m in mutants for t in m[1]})
        names = {test: model_names(workspace, test) for test in tests}
        for test in tests:
            names["shuttle::" + test] = shuttle_names(workspace, test)
        count = sum(len(n) for n in names.values())
        if baseline_ran:
            print("baseline: %d models, run unmutated on this tree by the steps before" % count,
                  flush=True)
        else:
            failing = baseline_failures(workspace, tests)
            if any(names["shuttle::" + t] for t in tests):
                code, out = cargo_test(workspace, "shuttle_tests", shuttle=True)
                if code != 0:
                    failing.append(out[-3000:])
            if failing:
                sys.exit("baseline: loom models fail unmutated:\n" + "\n".join(failing))
            print("baseline: %d models pass unmutated" % count, flush=True)
        kills = {n if t.startswith("shuttle::") else "%s::%s" % (t, n): 0
                 for t, ns in names.items() for n in ns}
        for mutant in mutants:
            name, path, line, text = mutant[0], mutant[3], mutant[4], mutant[5]
            target = os.path.join(workspace, path)
            with open(target) as f:
                original = f.read()
            with open(target, "w") as f:
                f.write(text)
            start = time.monotonic()
            if first and killers[name] == "argued":
                # Its survival is allowed, so running it could not fail the check.
                build(workspace)
                failing, note = [], ""
            else:
                failing, note = verdict_of(workspace, names, mutant, killers[name], first)
            for model in failing:
                kills[model] = kills.get(model, 0) + 1
            if failing == ["std"]:
                verdict = "killed by the std tests (%s)" % ", ".join(mutant[2])
                killed += 1
            elif failing:
                verdict = "killed by " + ", ".join(failing)
                killed += 1
            elif first and name in ARGUED:
                verdict = "argued (ARGUED in this script, docs/testing.md): built, not run"
            elif name in ARGUED:
                verdict = "survived (argued: ARGUED in this script, docs/testing.md)"
            else:
                verdict = "SURVIVED"
                survivors.append(name)
            with open(target, "w") as f:
                f.write(original)
            print("  %-100s line %-4d %s%s (%.0f s)"
                  % (name, line, verdict, note, time.monotonic() - start), flush=True)
    print("%d mutants killed, %d survived" % (killed, len(survivors)))
    idle = [model for model, k in kills.items() if k == 0 and model != "std"]
    if idle and not first:
        print("models that killed no mutant (shown to fail by a dedicated test instead):\n  "
              + "\n  ".join(idle))
    if survivors:
        print("survivors with no argument in ARGUED:\n  " + "\n  ".join(survivors))
        sys.exit(1)


if __name__ == "__main__":
    main()
