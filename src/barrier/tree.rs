//! The combining tree of a many-core barrier (docs/design.md, "The tree"): arrivals combine in
//! nodes of at most `fan_in`, each node on a cache line of its own, and the thread that
//! completes a node carries its count up; the nodes of the top level hand their counts to the
//! arrival word, which stays the root (participants, broken flag, episode, reset). Waiters sleep
//! on their leaf's futex word, so a release wakes one leaf's sleepers per futex call.
//!
//! A node counts one episode at a time, named by its tag (the episode's low 44 bits); the first
//! arrival of a later episode resets it in the same exchange, so nobody resets the tree. The
//! slots of an episode are fixed when it opens: the leaves' quotas add up to the participants
//! it opened with (`Shape`).

use super::state::Episode;
use crate::futex::Futex;
use crate::primitive::{thread_local, Ordering};
use crate::word::{Packed, Word};
use crossbeam_utils::CachePadded;
use std::cell::Cell;
use std::fmt;

/// Bits of the episode number a node keeps.
const TAG_BITS: u32 = 44;
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;

/// A snapshot of a node word:
///
/// | bits   | name      | meaning                                                          |
/// |--------|-----------|------------------------------------------------------------------|
/// | 0..19  | `COUNT`   | arrivals (a leaf) or completed children (an inner node) this episode |
/// | 19     | `FORWARD` | the node's count has gone up: a leaf reopened by a withdrawal is refilled through the root |
/// | 20..64 | `TAG`     | the low 44 bits of the episode counted                           |
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Node(u64);

impl Node {
    const COUNT: u64 = (1 << 19) - 1;
    const FORWARD: u64 = 1 << 19;
    const TAG_SHIFT: u32 = 20;

    fn tag(self) -> u64 {
        self.0 >> Node::TAG_SHIFT
    }

    fn count(self) -> u32 {
        (self.0 & Node::COUNT) as u32
    }

    fn is_forwarded(self) -> bool {
        self.0 & Node::FORWARD != 0
    }

    /// A node counting `episode` with `count` and, if `forwarded`, its count gone up.
    fn new(episode: Episode, count: u32, forwarded: bool) -> Node {
        debug_assert!(u64::from(count) <= Node::COUNT);
        Node(
            (episode.number() & TAG_MASK) << Node::TAG_SHIFT
                | u64::from(count)
                | if forwarded { Node::FORWARD } else { 0 },
        )
    }

    /// Where this node's episode lies from `episode`'s: behind (an earlier one, done with), the
    /// same, or ahead (the caller's is done with).
    fn against(self, episode: Episode) -> core::cmp::Ordering {
        let ahead = self.tag().wrapping_sub(episode.number()) & TAG_MASK;
        match ahead {
            0 => core::cmp::Ordering::Equal,
            _ if ahead < 1 << (TAG_BITS - 1) => core::cmp::Ordering::Greater,
            _ => core::cmp::Ordering::Less,
        }
    }
}

impl Packed for Node {
    fn from_bits(bits: u64) -> Node {
        Node(bits)
    }

    fn bits(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("count", &self.count())
            .field("forwarded", &self.is_forwarded())
            .field("tag", &self.tag())
            .finish()
    }
}

/// What a join found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Joined {
    /// Counted; the node still lacks arrivals.
    Member,
    /// Counted, and completed the node: the caller carries its count up.
    Completed,
    /// Counted in a leaf that a withdrawal reopened after its count went up: the caller adds
    /// its own arrival at the root.
    Refill,
    /// The node has all its arrivals: look elsewhere.
    Full,
    /// The node counts a later episode: the caller's is done with.
    Ahead,
}

/// The tree's shape for an episode that opened with `participants`: which leaves take how many
/// arrivals, and how the levels above combine them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Shape {
    participants: u32,
    fan_in: u32,
    /// Leaves in use.
    leaves: u32,
}

impl Shape {
    /// The shape for `participants` on a tree of `fan_in` built with `capacity` leaves. With more
    /// participants than the tree was built for, the last leaf takes the rest.
    pub(super) fn new(participants: u32, fan_in: u32, capacity: u32) -> Shape {
        let leaves = participants.div_ceil(fan_in).clamp(1, capacity);
        Shape {
            participants,
            fan_in,
            leaves,
        }
    }

    /// The arrivals leaf `leaf` takes.
    pub(super) fn quota(self, leaf: u32) -> u32 {
        if leaf + 1 < self.leaves {
            self.fan_in
        } else {
            self.participants - self.fan_in * (self.leaves - 1)
        }
    }

    /// The nodes of level `level` (0: the leaves).
    fn level_size(self, level: u32) -> u32 {
        let mut size = self.leaves;
        for _ in 0..level {
            size = size.div_ceil(self.fan_in);
        }
        size
    }

    /// Whether level `level` is the top: its nodes hand their counts to the root. The root then
    /// takes at most `fan_in - 1` of them, and its reset makes `fan_in`.
    fn is_top(self, level: u32) -> bool {
        self.level_size(level) < self.fan_in
    }

    /// The children of node `index` of level `level` (at least 1).
    fn children(self, level: u32, index: u32) -> u32 {
        let below = self.level_size(level - 1);
        self.fan_in.min(below - index * self.fan_in)
    }

    /// The model's critical path of an episode, in cache-line transfers (docs/design.md, "The
    /// tree"): the last arrival takes each node on its way up from another core (one transfer a
    /// level), then the root; the leader's reset follows on the line it holds; then the release
    /// word propagates to the spinning waiters (one). A single counter's is `n + 1`.
    #[cfg(all(test, not(loom)))]
    fn critical_path(self) -> u32 {
        let mut level = 0;
        while !self.is_top(level) {
            level += 1;
        }
        (level + 1) + 1 + 1
    }

    /// The arrivals that node `index` of level `level` stands for once complete: its leaves'.
    fn units(self, level: u32, index: u32) -> u32 {
        let span = self.fan_in.pow(level);
        let first = index * span;
        let end = (first + span).min(self.leaves);
        if end == self.leaves {
            (end - 1 - first) * self.fan_in + self.quota(self.leaves - 1)
        } else {
            (end - first) * self.fan_in
        }
    }
}

/// Where a tree arrival landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Landed {
    /// Counted in leaf `leaf`, whose count has not reached the root.
    Member { leaf: u32 },
    /// Counted in leaf `leaf`, and `units` arrivals (its own and those it carried up) are to be
    /// added at the root.
    Root { leaf: u32, units: u32 },
    /// Every leaf has all its arrivals.
    Full,
    /// The episode is done with.
    Ahead,
}

/// The tree: its nodes, level by level from the leaves, and a futex word per leaf.
pub(super) struct Tree {
    fan_in: u32,
    /// Leaves built: for the participants at construction.
    capacity: u32,
    /// Where each level's nodes start in `nodes`, for a full shape.
    offsets: Box<[u32]>,
    nodes: Box<[CachePadded<Word<Node>>]>,
    /// Where each leaf's waiters sleep: a sequence number, bumped by each release that found
    /// sleepers (`SLEEPERS` set on the release word), and `SLEEPERS`.
    groups: Box<[CachePadded<Futex>]>,
    /// Slots at the root, beyond the shape, for the participants added to an episode after it
    /// opened (`Barrier::add_participants`): a node word whose count is the slots left and
    /// whose tag names the episode. Touched only by additions and by arrivals that found every
    /// leaf full.
    spare: CachePadded<Word<Node>>,
}

thread_local! {
    /// The tree (by address) and the leaf this thread last landed in: in a loop whose team keeps
    /// its threads, each finds its leaf with one look.
    // Not a `const { .. }` initializer: loom's `thread_local!` does not take one.
    #[allow(clippy::missing_const_for_thread_local)]
    static HINT: Cell<(usize, u32)> = Cell::new((0, 0));
}

impl Tree {
    /// A tree of fan-in `fan_in` (at least 2) for `participants`.
    pub(super) fn new(participants: u32, fan_in: u32) -> Tree {
        debug_assert!(fan_in >= 2);
        let full = Shape::new(participants.max(1), fan_in, u32::MAX);
        let mut offsets = Vec::new();
        let mut total = 0;
        let mut level = 0;
        loop {
            offsets.push(total);
            total += full.level_size(level);
            if full.is_top(level) {
                break;
            }
            level += 1;
        }
        Tree {
            fan_in,
            capacity: full.leaves,
            offsets: offsets.into(),
            nodes: (0..total)
                .map(|_| CachePadded::new(Word::from_bits(0)))
                .collect(),
            groups: (0..full.leaves)
                .map(|_| CachePadded::new(Futex::new(0)))
                .collect(),
            spare: CachePadded::new(Word::from_bits(0)),
        }
    }

    pub(super) fn fan_in(&self) -> u32 {
        self.fan_in
    }

    /// The shape of an episode that opened with `participants`.
    pub(super) fn shape(&self, participants: u32) -> Shape {
        Shape::new(participants, self.fan_in, self.capacity)
    }

    /// Where the members of leaf `leaf` sleep.
    pub(super) fn group(&self, leaf: u32) -> &Futex {
        &self.groups[leaf as usize]
    }

    /// Every leaf's futex word.
    pub(super) fn groups(&self) -> impl Iterator<Item = &Futex> {
        self.groups.iter().map(|g| &**g)
    }

    /// The addresses of every node's word, and of every leaf's futex word (tests only).
    #[cfg(all(test, not(loom)))]
    pub(super) fn addresses(&self) -> (Vec<usize>, Vec<usize>) {
        (
            self.nodes
                .iter()
                .map(|n| (&**n as *const Word<Node>).addr())
                .collect(),
            self.groups.iter().map(|g| g.address()).collect(),
        )
    }

    fn node(&self, level: u32, index: u32) -> &Word<Node> {
        &self.nodes[(self.offsets[level as usize] + index) as usize]
    }

    /// Counts one arrival in `episode`, which opened with `shape`: in the leaf this thread last
    /// landed in, or the next with room; then up the tree as far as it completes nodes.
    pub(super) fn arrive(&self, episode: Episode, shape: Shape) -> Landed {
        let address = (self as *const Tree).addr();
        let (tree, hint) = HINT.with(Cell::get);
        let start = if tree == address {
            hint
        } else {
            first_leaf(shape.leaves)
        };
        for probe in 0..shape.leaves {
            let leaf = (start + probe) % shape.leaves;
            match join(self.node(0, leaf), episode, shape.quota(leaf)) {
                Joined::Full => continue,
                Joined::Ahead => return Landed::Ahead,
                joined => {
                    HINT.with(|hint| hint.set((address, leaf)));
                    return match joined {
                        Joined::Member => Landed::Member { leaf },
                        Joined::Refill => Landed::Root { leaf, units: 1 },
                        _ => self.climb(episode, shape, leaf),
                    };
                }
            }
        }
        Landed::Full
    }

    /// The thread completed leaf `leaf`: carries the count up, level by level, until a node it
    /// joins still lacks children or the top hands it to the root.
    fn climb(&self, episode: Episode, shape: Shape, leaf: u32) -> Landed {
        let (mut level, mut index) = (0, leaf);
        while !shape.is_top(level) {
            let parent = index / self.fan_in;
            match join(
                self.node(level + 1, parent),
                episode,
                shape.children(level + 1, parent),
            ) {
                Joined::Completed => (level, index) = (level + 1, parent),
                joined => {
                    debug_assert_eq!(joined, Joined::Member, "an inner node overfilled");
                    return Landed::Member { leaf };
                }
            }
        }
        Landed::Root {
            leaf,
            units: shape.units(level, index),
        }
    }

    /// A member of leaf `leaf` in `episode` whose deadline passed takes its arrival out of the
    /// leaf, if the leaf's count has not gone up. `Err(forwarded)`: it has (`true`: take the
    /// arrival off at the root, then `reopen`), or the leaf counts a later episode (`false`:
    /// `episode` is released).
    pub(super) fn leave(&self, leaf: u32, episode: Episode) -> Result<(), bool> {
        // Relaxed: a withdrawal publishes nothing; the leaf's modification order decides its race
        // with the arrival that would complete the leaf (the leaf then is complete, and this
        // fails).
        self.node(0, leaf)
            .try_update(Ordering::Relaxed, Ordering::Relaxed, |node| {
                (node.against(episode) == core::cmp::Ordering::Equal && !node.is_forwarded())
                    .then(|| Node::new(episode, node.count() - 1, false))
            })
            .map(drop)
            .map_err(|node| node.against(episode) == core::cmp::Ordering::Equal)
    }

    /// Gives leaf `leaf` back the slot of an arrival taken off at the root: the next arrival
    /// there refills it through the root.
    pub(super) fn reopen(&self, leaf: u32, episode: Episode) {
        // Relaxed: as `leave`.
        self.node(0, leaf)
            .update(Ordering::Relaxed, Ordering::Relaxed, |node| {
                debug_assert!(node.against(episode).is_eq() && node.count() > 0);
                Node::new(episode, node.count() - 1, true)
            });
    }

    /// `k` participants joined `episode` after it opened: `k` more slots at the root for it (a
    /// withdrawn arrival that held one gives it back the same way).
    pub(super) fn add_spare(&self, episode: Episode, k: u32) {
        // Relaxed: a count of slots, which publishes nothing; the arrivals that take them publish
        // their writes at the root. An episode already done with keeps its tag (its newcomers
        // left again before arriving).
        let _ = self
            .spare
            .try_update(Ordering::Relaxed, Ordering::Relaxed, |spare| {
                match spare.against(episode) {
                    core::cmp::Ordering::Less => Some(Node::new(episode, k, false)),
                    core::cmp::Ordering::Equal => {
                        Some(Node::new(episode, spare.count() + k, false))
                    }
                    core::cmp::Ordering::Greater => None,
                }
            });
    }

    /// Takes one of `episode`'s slots at the root, if one is left.
    pub(super) fn take_spare(&self, episode: Episode) -> bool {
        // Relaxed: as `add_spare`.
        self.spare
            .try_update(Ordering::Relaxed, Ordering::Relaxed, |spare| {
                (spare.against(episode).is_eq() && spare.count() > 0)
                    .then(|| Node::new(episode, spare.count() - 1, false))
            })
            .is_ok()
    }
}

/// The leaf a thread tries first when it has no hint: by the core it runs on, in the order the
/// machine's topology gives (docs/design.md, "The tree"), so that the threads of one leaf share
/// a core's or a cache's lines where the OS shows them.
fn first_leaf(leaves: u32) -> u32 {
    (super::topology::position() % leaves as usize) as u32
}

/// Counts one arrival at `node`, which takes `quota` arrivals in `episode`; resets the node
/// first, in the same exchange, if it still counts an earlier episode.
fn join(node: &Word<Node>, episode: Episode, quota: u32) -> Joined {
    let mut joined = Joined::Full;
    // AcqRel. Release: this thread's writes, and those of every arrival it carries up, travel
    // to the thread that completes the node and on up to the leader (as an arrival's
    // `fetch_add` on a single counter). Acquire: the completing arrival takes in the writes of
    // every earlier one, to carry them up.
    let _ = node.try_update(Ordering::AcqRel, Ordering::Relaxed, |current| {
        let (count, forwarded) = match current.against(episode) {
            core::cmp::Ordering::Less => (0, false),
            core::cmp::Ordering::Equal => (current.count(), current.is_forwarded()),
            core::cmp::Ordering::Greater => {
                joined = Joined::Ahead;
                return None;
            }
        };
        if count >= quota {
            joined = Joined::Full;
            return None;
        }
        joined = match () {
            _ if forwarded => Joined::Refill,
            _ if count + 1 == quota => Joined::Completed,
            _ => Joined::Member,
        };
        Some(Node::new(
            episode,
            count + 1,
            forwarded || count + 1 == quota,
        ))
    });
    joined
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_quotas_add_up_to_the_participants() {
        for fan_in in 2..=9 {
            for participants in 1..200 {
                let shape = Shape::new(participants, fan_in, u32::MAX);
                let total: u32 = (0..shape.leaves).map(|l| shape.quota(l)).sum();
                assert_eq!(total, participants, "{participants} on fan-in {fan_in}");
                assert!((0..shape.leaves).all(|l| (1..=fan_in).contains(&shape.quota(l))));
                // The top level's nodes stand for every arrival.
                let mut level = 0;
                while !shape.is_top(level) {
                    level += 1;
                }
                let units: u32 = (0..shape.level_size(level))
                    .map(|i| shape.units(level, i))
                    .sum();
                assert_eq!(units, participants);
                assert!(
                    shape.level_size(level) < fan_in,
                    "the root takes fewer than k"
                );
            }
        }
    }

    /// The model's critical path stays within twice the tree's depth, as issue 21 asks:
    /// 2 * ceil(log_k n) line transfers, where a single counter takes n + 1.
    #[test]
    fn the_critical_path_is_within_twice_the_depth() {
        for fan_in in [2u32, 4, 8] {
            for participants in 16..=128u32 {
                let shape = Shape::new(participants, fan_in, u32::MAX);
                let depth = (participants as f64).log(fan_in as f64).ceil() as u32;
                assert!(
                    shape.critical_path() <= 2 * depth,
                    "{participants} on fan-in {fan_in}: {} transfers, depth {depth}",
                    shape.critical_path()
                );
            }
        }
    }

    #[test]
    fn a_tree_built_small_puts_the_rest_on_its_last_leaf() {
        let shape = Shape::new(100, 4, 5);
        assert_eq!(shape.leaves, 5);
        assert_eq!(
            (0..5).map(|l| shape.quota(l)).collect::<Vec<_>>(),
            [4, 4, 4, 4, 84]
        );
    }

    #[test]
    fn a_node_counts_its_episode_and_resets_for_the_next() {
        let node = Word::from_bits(0);
        let first = Episode::new(7);
        assert_eq!(join(&node, first, 2), Joined::Member);
        assert_eq!(join(&node, first, 2), Joined::Completed);
        assert_eq!(join(&node, first, 2), Joined::Full);
        assert_eq!(join(&node, first.next(), 2), Joined::Member, "reset");
        assert_eq!(join(&node, first, 2), Joined::Ahead);
    }
}
