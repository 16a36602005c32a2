//! The semaphore's slow paths: the waiters for one permit, the head (the one waiter for several
//! permits that waits for them) and the queue of waiters for several behind it, and the release
//! that wakes only who can proceed (docs/design.md, "Semaphore").
//!
//! Three futex words, one per kind of sleeper, so that a wake reaches the kind it is meant for:
//!
//! | word | who sleeps on it | value |
//! |---|---|---|
//! | `singles` | waiters for one permit, counted in the state's `SLEEPERS` | a sequence number, bumped by each release that wakes them |
//! | `head` | the head | its need (0: no head), and `SIGNAL`, set by a release that brought the permits to its need |
//! | `queue` (eight words) | waiters for several permits behind the head, each holding a ticket (`tickets.rs`), on the word of its ticket's slot | a sequence number, bumped when the turn passes to a ticket of the slot, and at the close |

use super::state::State;
use super::tickets::{Ticket, Tickets};
use super::words::Semaphore;
use crate::futex::Futex;
use crate::primitive::{fence, Ordering};
use crate::wait::{wait, TimedOut, WaitPolicy, Waiter};
use std::time::{Duration, Instant};

/// The head word's signal bit: a release brought the permits up to the head's need.
const SIGNAL: u32 = 1 << 31;
/// The head word's need bits; 0 means there is no head.
const NEED: u32 = !SIGNAL;
/// How long the head waits, barged past by other acquirers, before it keeps the permits for
/// itself: about a millisecond, as Go's runtime semaphore and Linux's rwsem hand off.
const HANDOFF_AFTER: Duration = Duration::from_millis(1);
/// How long a waiter that finds no room (more than 2^18 - 1 sleepers for one permit, or
/// `Tickets::WINDOW` tickets out) sleeps before it looks again, since it cannot be counted for a
/// wake.
const POLL: Duration = Duration::from_millis(1);

impl Semaphore {
    /// Waits until `n` permits (at least 1) can be taken, and takes them, or until `deadline`,
    /// or until the semaphore is closed.
    #[cold]
    pub(super) fn acquire_slow(&self, n: u32, deadline: Option<Instant>) -> Result<(), Failed> {
        if n == 1 {
            self.acquire_one(deadline)
        } else {
            self.acquire_several(n, deadline)
        }
    }

    /// Takes `n` permits if a thread that is not the head may.
    #[inline]
    pub(super) fn take(&self, n: u32) -> bool {
        self.take_or_look(n).is_ok()
    }

    /// As [`take`](Semaphore::take); if it cannot, returns the state it found (closed, or short
    /// of permits, or a queue to join), so the caller needs no second look.
    #[inline]
    pub(super) fn take_or_look(&self, n: u32) -> Result<State, State> {
        // Waiters for several are served in the order of their tickets: a newcomer takes only
        // when no ticket is out (the state's `HEAD`, checked in the exchange below, covers a
        // head that draws after this look). Relaxed: the ticket word publishes nothing to a
        // newcomer; its modification order is the queue's order.
        if n >= 2 && self.tickets.load(Ordering::Relaxed).has_holders() {
            return Err(self.state.load(Ordering::Relaxed));
        }
        // Acquire: pairs with the Release of every release (`release_many`), so whatever a
        // releasing thread wrote before releasing is visible to this one once it holds the
        // permits.
        self.state
            .try_update(Ordering::Acquire, Ordering::Relaxed, |current| {
                current.can_take(n).then(|| current.taken(n))
            })
    }

    /// Counts this thread into a waiter field with `join`, unless `n` permits can be taken now.
    fn register(&self, n: u32, join: fn(State) -> Option<State>) -> Registration {
        // Release: a release that reads this registration (its read-modify-write comes later in
        // the state's order) synchronizes with it through its Acquire fence, so that this
        // thread's load of the word it will sleep on happens before the release bumps it: the
        // sleep then sees the bump and does not begin.
        let registered = self
            .state
            .try_update(Ordering::Release, Ordering::Relaxed, |current| {
                if current.can_take(n) || current.is_closed() {
                    None
                } else {
                    join(current)
                }
            });
        match registered {
            Ok(_) => Registration::Registered,
            Err(current) if current.is_closed() => Registration::Closed,
            Err(current) if current.can_take(n) => Registration::CanTake,
            Err(_) => Registration::Full,
        }
    }

    /// Counts this thread out of a waiter field with `leave`.
    fn deregister(&self, leave: fn(State) -> State) {
        // Relaxed: leaving publishes nothing; the count only steers later wakes.
        self.state
            .update(Ordering::Relaxed, Ordering::Relaxed, leave);
    }

    /// A waiter for one permit: it counts itself in `SLEEPERS` before it sleeps on `singles`, and
    /// a release wakes one such sleeper for each permit it adds.
    fn acquire_one(&self, deadline: Option<Instant>) -> Result<(), Failed> {
        let mut single = Single {
            semaphore: self,
            registered: false,
        };
        // Adaptive waiting spins only while nobody sleeps: a thread that finds others asleep
        // for a permit would, releases one at a time, spin in vain behind them, so it sleeps at
        // once, as they did.
        let sleepers = self.state.load(Ordering::Relaxed).sleepers();
        let policy = match self.policy {
            WaitPolicy::Adaptive if sleepers > 0 => WaitPolicy::Passive,
            policy => policy,
        };
        let outcome = wait(&self.singles, policy, 1, deadline, &mut single);
        if single.registered {
            // Timed out. A wake meant for this thread that came with the deadline brought a
            // permit, which the wait loop's last look took; and leaving settles `WAKING`, so a
            // wake that releases left to this thread passes on.
            self.settle(Look::Leave);
        }
        outcome.map_or(Err(Failed::TimedOut), |taken| taken.map_err(Failed::from))
    }

    /// A waiter for `n >= 2` permits: it takes them if none of its kind waits, or draws a ticket
    /// and waits for its turn, then becomes the head and waits for its permits.
    fn acquire_several(&self, n: u32, deadline: Option<Instant>) -> Result<(), Failed> {
        let ticket = loop {
            match self.take_or_look(n) {
                Ok(_) => return Ok(()),
                Err(current) if current.is_closed() => return Err(Failed::Closed),
                Err(_) => {}
            }
            // Acquire: pairs with the Release of the exchange that passed the turn
            // (`leave_the_queue`), so a ticket drawn in its turn finds the head word vacant.
            let drawn =
                self.tickets
                    .try_update(Ordering::Acquire, Ordering::Relaxed, Tickets::drawn);
            match drawn {
                Ok(before) => break before.next_ticket(),
                Err(_full) => pause(deadline)?,
            }
        };
        let mut queued = Queued {
            semaphore: self,
            ticket,
        };
        let word = &self.queue[ticket.slot()];
        match wait(word, self.policy, 1, deadline, &mut queued) {
            Ok(Ok(())) => self.lead(n, ticket, deadline),
            // The close woke every holder, and nobody draws again: its ticket stays out.
            Ok(Err(Closed)) => Err(Failed::Closed),
            Err(TimedOut) => {
                // The wait loop's last look found it not yet this ticket's turn (or the turn
                // came since: `leave_the_queue` passes it on).
                self.leave_the_queue(ticket);
                Err(Failed::TimedOut)
            }
        }
    }

    /// The head's wait for its `n` permits, in `ticket`'s turn. Published in the state (`HEAD`),
    /// it is signalled by the release that brings the permits up to its need; after
    /// `HANDOFF_AFTER` of barging by waiters for one it keeps the permits for itself (`HANDOFF`).
    fn lead(&self, n: u32, ticket: Ticket, deadline: Option<Instant>) -> Result<(), Failed> {
        // The word is vacant: the last head vacated it before it passed the turn, which this
        // thread acquired. Relaxed: the need is published to releasers by the Release exchange
        // below. (A swap, not a store: see `step_down`.)
        let vacant = self.head.swap(n, Ordering::Relaxed);
        debug_assert_eq!(vacant, 0, "the head word is taken in {ticket:?}'s turn");
        // Publishes `HEAD`, or, if the permits came meanwhile, takes them as
        // the head that has not waited. Release: pairs with the Acquire fence in
        // `wake_after_release`, so a release that sees `HEAD` reads the need written above. (A
        // take needs no ordering of its own: the releases' writes are acquired by `step_down`'s
        // load, which every head makes after taking and before returning.) A closed
        // semaphore refuses the head; the head word is vacated, and the turn passed on, all the
        // same.
        let before = self
            .state
            .try_update(Ordering::Release, Ordering::Relaxed, |current| {
                if current.is_closed() {
                    None
                } else if current.can_take_in_turn(n) {
                    Some(current.taken(n))
                } else {
                    Some(current.with_head())
                }
            });
        match before {
            Err(_) => {
                self.step_down(ticket);
                return Err(Failed::Closed);
            }
            Ok(before) if before.can_take_in_turn(n) => {
                self.step_down(ticket);
                return Ok(());
            }
            Ok(_) => {}
        }
        let handoff_at = Instant::now().checked_add(HANDOFF_AFTER);
        let mut handoff = false;
        loop {
            let until = match (handoff, handoff_at, deadline) {
                (false, Some(at), Some(deadline)) => Some(at.min(deadline)),
                (false, Some(at), None) => Some(at),
                (_, _, deadline) => deadline,
            };
            let mut head = Head { semaphore: self, n };
            match wait(&self.head, self.policy, 1, until, &mut head) {
                Ok(taken) => {
                    self.step_down(ticket);
                    return taken.map_err(Failed::from);
                }
                Err(TimedOut) if until == deadline => {
                    self.deregister(State::without_head);
                    self.step_down(ticket);
                    return Err(Failed::TimedOut);
                }
                Err(TimedOut) => {
                    // Relaxed: the flag carries no data; acquirers that see it keep off.
                    self.state
                        .fetch_or(State::from_bits(0).with_handoff().bits(), Ordering::Relaxed);
                    handoff = true;
                }
            }
        }
    }

    /// The head, holding `ticket`, has left (`HEAD` and `HANDOFF` are clear): vacate the head
    /// word, pass the turn to the next ticket, and wake as many waiters for one permit as the
    /// permits left can serve (a handoff kept permits from them).
    fn step_down(&self, ticket: Ticket) {
        // Relaxed: the vacancy carries no data; the next head learns of it through the Release
        // exchange that passes the turn, after this in program order.
        // A swap, not a store, though a store would do on a real machine: loom 0.7 can order a
        // plain store between the read and the write of a concurrent read-modify-write (here a
        // release's signal), which is no execution of the memory model (tokio-rs/loom#254).
        self.head.swap(0, Ordering::Relaxed);
        // Acquire: every write to the state is a read-modify-write, so the value this reads,
        // the head's own take or a later one, ends the release sequence of every release whose
        // permits the head took, and the head, which returns after this, sees what those
        // releasers wrote before releasing. (Before the tickets, an exchange that changed
        // nothing stood here, for its place in the state's order against queueing waiters.)
        let now = self.state.load(Ordering::Acquire);
        self.leave_the_queue(ticket);
        if !now.has_handoff() && !now.is_closed() {
            self.wake_singles(now.sleepers().min(now.permits()));
        }
    }

    /// The holder of `ticket` leaves the queue (as the head, or timed out): if it was its turn,
    /// the turn passes to the next ticket whose holder has not left, and the word of that
    /// ticket's slot is woken; if not, its ticket is marked left, for the turn to skip.
    fn leave_the_queue(&self, ticket: Ticket) {
        // Release: pairs with the Acquire loads of the ticket word by the holders (`Queued`) and
        // the Acquire of a draw, so that the next head finds the head word vacant. Relaxed
        // loads: this thread publishes, it learns nothing from the word.
        let before = self
            .tickets
            .update(Ordering::Release, Ordering::Relaxed, |word| {
                word.without(ticket)
            });
        let after = before.without(ticket);
        if before.is_turn(ticket) && after.has_holders() {
            // The holders on the slot's word wake and look at their tickets: the holder of the
            // turn alone while at most `SLOTS` wait.
            // Release: pairs with the wait loop's Acquire load of the word, so a holder that
            // sees the bump sees the turn passed.
            let word = &self.queue[after.turn_ticket().slot()];
            word.fetch_add(1, Ordering::Release);
            word.wake_all();
        }
    }

    /// After a release that replaced `before` with `k` more permits: signal the head if the
    /// permits now reach its need, and wake one waiter for one permit for each other permit, as
    /// many as sleep, less the one already on its way (`WAKING`). At most `k` wakes; none when
    /// nobody waits.
    #[cold]
    pub(super) fn wake_after_release(&self, before: State, k: u32) {
        if before.is_closed() {
            return; // the close woke every waiter, and none waits again
        }
        // Acquire: pairs with the Release registrations (`register`) and the head's publication
        // (`lead`), which the release's read-modify-write read or follows in the state's order.
        fence(Ordering::Acquire);
        let after = before.permits() + k;
        let mut wakes = k;
        if before.has_head() && self.signal_head(before.permits(), after) {
            wakes -= 1;
        }
        if before.has_handoff() {
            return;
        }
        if before.is_waking() {
            // A woken waiter for one permit has yet to look: it takes one of these permits, or
            // finds them gone, or passes its wake on (`settle`).
            wakes = wakes.saturating_sub(1);
        }
        let singles = wakes.min(before.sleepers()).min(after);
        if before.marks_waking(k) && singles == 0 {
            // This release marked `WAKING` (`release_many`) but gave its wake to the head: the
            // mark stands for nobody, so take it back, passing a wake on if one is owed.
            self.settle(Look::TakeBack);
        }
        self.wake_singles(singles);
    }

    /// After the close that replaced `before`: wakes the waiters for one counted in it (one
    /// wake each) and the head (a signal on its word, which it clears and then finds the
    /// semaphore closed). The queue behind the head needs no wake of its own: the head leaves
    /// through `step_down`, which wakes the first queued waiter, and each queued waiter that
    /// finds the semaphore closed passes the turn on as it leaves (`acquire_several`), so each
    /// is woken once. Whoever counts in later finds the semaphore closed in its registration.
    #[cold]
    pub(super) fn wake_after_close(&self, before: State) {
        self.wake_singles(before.sleepers());
        // The queue, every slot, whether or not a ticket is out: a waiter that draws one as the
        // semaphore closes may have looked at the state before the close, and it sleeps on a
        // value of its word that this bump changes. Release: pairs with the wait loop's Acquire
        // load of the word, so a queued waiter that sees the bump sees the semaphore closed.
        for word in &self.queue {
            word.fetch_add(1, Ordering::Release);
            word.wake_all();
        }
        if before.has_head() {
            // Release: as a release's signal (`signal_head`), so the head's Acquire `fetch_and`
            // that clears it sees the semaphore closed. On the word as it is: the head may have
            // left meanwhile (then there is nobody to signal), and a signal already pending is
            // written again.
            let signalled = self
                .head
                .try_update(Ordering::Release, Ordering::Relaxed, |word| {
                    (word & NEED != 0).then_some(word | SIGNAL)
                });
            if signalled.is_ok() {
                self.head.wake(1);
            }
        }
    }

    /// One exchange that does what `look` says and settles `WAKING`: it clears the mark, which
    /// stood for this waiter or for a wake it stands in for, and if permits remain with sleepers
    /// it marks again and wakes one, so a wake that releases left to the mark passes on. Returns
    /// whether it took a permit.
    fn settle(&self, look: Look) -> Settled {
        let (mut taken, mut closed, mut pass_on) = (false, false, false);
        // Acquire: as a take, pairs with the Release of every release (`release_many`); and for
        // the wake passed on, with the Release registrations of the sleepers (as the fence in
        // `wake_after_release`).
        let settled = self
            .state
            .try_update(Ordering::Acquire, Ordering::Relaxed, |current| {
                taken = look == Look::Take && current.can_take(1);
                // A look at a closed semaphore counts the waiter out, in the same exchange.
                closed = look == Look::Take && current.is_closed();
                let mut next = if taken {
                    current.taken(1).without_sleeper()
                } else if closed || look == Look::Leave {
                    current.without_sleeper()
                } else {
                    current
                }
                .without_waking();
                // Only a look that clears a mark passes a wake on: the releases that skipped
                // their wakes did so for a mark, and a release that woke several left none.
                pass_on = current.is_waking() && next.wakes_a_single() && next.permits() > 0;
                if pass_on {
                    next = next.with_waking();
                }
                // Nothing to change: no exchange. A pass-on changes the word even when it marks
                // again the mark it cleared (a take-back): it exchanges, so that its wake goes with
                // a value still current, and it wakes.
                (next != current || pass_on).then_some(next)
            });
        if settled.is_err() {
            return Settled::Waiting;
        }
        if pass_on {
            self.wake_singles(1);
        }
        match (taken, closed) {
            (true, _) => Settled::Taken,
            (_, true) => Settled::Closed,
            _ => Settled::Waiting,
        }
    }

    /// Signals the head, and wakes it, if its need lies in `(before, after]`: this release brought
    /// the permits up to it. Returns whether it did; if not (the head left, or its need lies
    /// elsewhere), the caller gives the wake to a waiter for one permit instead.
    fn signal_head(&self, before: u32, after: u32) -> bool {
        // An exchange on the word as it is, which signals only a need: the head may have left.
        // It writes even when a signal is still pending (changing nothing): the head's
        // Acquire `fetch_and` that clears the signal then reads this write, or a later one, and
        // so sees these permits; without it the head could clear an older signal, miss these
        // permits, and sleep. Release: pairs with that `fetch_and` and with the wait loop's
        // Acquire load of the head word.
        let signalled = self
            .head
            .try_update(Ordering::Release, Ordering::Relaxed, |word| {
                let need = word & NEED;
                let reached = need != 0 && before < need && need <= after;
                reached.then_some(word | SIGNAL)
            });
        if signalled.is_ok() {
            self.head.wake(1);
        }
        signalled.is_ok()
    }

    /// Wakes up to `n` waiters for one permit.
    fn wake_singles(&self, n: u32) {
        if n > 0 {
            // Release: pairs with the wait loop's Acquire load of `singles`, so a waiter that
            // sees the bump sees the permits the release added.
            self.singles.fetch_add(1, Ordering::Release);
            self.singles.wake(n);
        }
    }
}

/// Why an acquire ended without its permits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Failed {
    TimedOut,
    Closed,
}

/// What a waiter's look finds on a closed semaphore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Closed;

impl From<Closed> for Failed {
    fn from(Closed: Closed) -> Failed {
        Failed::Closed
    }
}

/// What a counted waiter's look found (`settle`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Settled {
    /// It took a permit, and counted itself out.
    Taken,
    /// The semaphore is closed: it counted itself out.
    Closed,
    /// Neither: it waits on (or it left, timed out, or it was a take-back).
    Waiting,
}

/// What a `settle` does beside settling `WAKING`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Look {
    /// A counted waiter for one looks: it takes a permit if it can, counting itself out.
    Take,
    /// A counted waiter for one gives up (it timed out): it counts itself out.
    Leave,
    /// A release takes back the mark it set for a wake that went to the head.
    TakeBack,
}

/// What a registration found.
enum Registration {
    Registered,
    /// The permits are there: take them instead.
    CanTake,
    /// The waiter field is full: look again after `POLL`.
    Full,
    /// The semaphore is closed: leave.
    Closed,
}

/// A waiter for one permit.
struct Single<'a> {
    semaphore: &'a Semaphore,
    /// Counted in `SLEEPERS`.
    registered: bool,
}

impl Waiter for Single<'_> {
    type Output = Result<(), Closed>;

    /// Once counted in, every look settles `WAKING` (`settle`): whichever counted waiter looks
    /// after a release marked it, the woken one or another, takes the wake's permit or passes
    /// the wake on, so a mark never outlives the waiters it stood for. On a closed semaphore it
    /// counts itself out and leaves.
    fn ready(&mut self, _bumps: u32) -> Option<Result<(), Closed>> {
        // Each look is one read-modify-write that also tells whether the semaphore is closed (a
        // waiter woken by the close acquired its bump of `singles`, which follows the closing
        // `fetch_or`; one that registers after it reads it in the registration).
        if !self.registered {
            return match self.semaphore.take_or_look(1) {
                Ok(_) => Some(Ok(())),
                Err(current) if current.is_closed() => Some(Err(Closed)),
                Err(_) => None,
            };
        }
        match self.semaphore.settle(Look::Take) {
            Settled::Taken => {
                self.registered = false;
                Some(Ok(()))
            }
            Settled::Closed => {
                self.registered = false;
                Some(Err(Closed))
            }
            Settled::Waiting => None,
        }
    }

    /// Counts this thread in before its first sleep, and sleeps on the `singles` value loaded
    /// before it looked at the permits: a release after that look sees it counted and bumps the
    /// word, so the sleep does not begin or is woken.
    fn announce(&mut self, _singles: &Futex, bumps: u32) -> Option<u32> {
        if self.registered {
            return Some(bumps);
        }
        match self.semaphore.register(1, State::with_sleeper) {
            Registration::Registered => {
                self.registered = true;
                Some(bumps)
            }
            Registration::CanTake | Registration::Closed => None,
            Registration::Full => {
                std::thread::sleep(POLL);
                None
            }
        }
    }
}

/// The head, waiting for `n` permits.
struct Head<'a> {
    semaphore: &'a Semaphore,
    n: u32,
}

impl Waiter for Head<'_> {
    type Output = Result<(), Closed>;

    /// Takes the permits once there are enough, a handoff or not (the handoff is this thread's),
    /// and leaves the head in the same exchange; on a closed semaphore, leaves without them.
    fn ready(&mut self, _head: u32) -> Option<Result<(), Closed>> {
        let n = self.n;
        let mut closed = false;
        // Relaxed: as the fast take in `lead`, `step_down` acquires.
        self.semaphore
            .state
            .try_update(Ordering::Relaxed, Ordering::Relaxed, |current| {
                closed = current.is_closed();
                if closed {
                    Some(current.without_head())
                } else {
                    (current.permits() >= n).then(|| current.taken(n).without_head())
                }
            })
            .ok()
            .map(|_| if closed { Err(Closed) } else { Ok(()) })
    }

    /// A signal found on the head word means a release brought the permits to the need and woke
    /// this thread rather than a waiter for one permit; if they are gone again (taken by others),
    /// those waiters are owed the wake: pass it on, then look again.
    fn announce(&mut self, head: &Futex, observed: u32) -> Option<u32> {
        if observed & SIGNAL == 0 {
            return Some(observed);
        }
        // Acquire: pairs with the Release exchange of every signalling release (`signal_head`),
        // the last of which this read-modify-write reads, so the look at the state below and
        // the next `ready` see their permits.
        head.fetch_and(!SIGNAL, Ordering::Acquire);
        let now = self.semaphore.state.load(Ordering::Relaxed);
        if !now.has_handoff() && !now.is_closed() {
            self.semaphore
                .wake_singles(now.sleepers().min(now.permits()));
        }
        None
    }
}

/// A waiter for several permits, queued behind the head with its ticket.
struct Queued<'a> {
    semaphore: &'a Semaphore,
    ticket: Ticket,
}

impl Waiter for Queued<'_> {
    type Output = Result<(), Closed>;

    /// Its turn, or the close.
    fn ready(&mut self, _bumps: u32) -> Option<Result<(), Closed>> {
        // Relaxed: a waiter woken by the close acquired its bump of `queue`, which follows the
        // closing `fetch_or`.
        if self.semaphore.state.load(Ordering::Relaxed).is_closed() {
            return Some(Err(Closed));
        }
        // Acquire: pairs with the Release exchange that passed the turn (`leave_the_queue`), so
        // the head word is seen vacant.
        let tickets: Tickets = self.semaphore.tickets.load(Ordering::Acquire);
        tickets.is_turn(self.ticket).then_some(Ok(()))
    }

    /// Holding its ticket before the wait began: it sleeps on the value of its slot's word
    /// loaded before its look, which the turn's passing to a ticket of the slot and the close
    /// bump.
    fn announce(&mut self, _queue: &Futex, bumps: u32) -> Option<u32> {
        Some(bumps)
    }
}

/// Waits `POLL` (less if the deadline comes first) for the ticket window to make room; fails
/// once the deadline has passed.
fn pause(deadline: Option<Instant>) -> Result<(), Failed> {
    let pause = match deadline {
        None => POLL,
        Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => left.min(POLL),
            _ => return Err(Failed::TimedOut),
        },
    };
    std::thread::sleep(pause);
    Ok(())
}
