//! The queue of waiters for several permits: a ticket word that serves them in arrival order
//! (docs/design.md, "The queue of waiters for several").
//!
//! | bits   | name   | meaning                                                                  |
//! |--------|--------|--------------------------------------------------------------------------|
//! | 0..8   | `TURN` | the ticket whose holder is the head, or is on its way to become it        |
//! | 8..16  | `NEXT` | the ticket the next arrival draws                                         |
//! | 16..64 | `LEFT` | bit `i`: the holder of ticket `TURN + i` has left (timed out or closed)   |
//!
//! Tickets are 8-bit and wrap; at most [`Tickets::WINDOW`] are out at once, so `NEXT - TURN`
//! (wrapping) counts them exactly, and bit `i` of `LEFT` names one of them. A holder that leaves
//! before its turn marks its bit, and the turn skips the marked tickets as it passes: a timeout
//! leaves no gap that would stall the queue, and needs no list.

use crate::word::Packed;
use std::fmt;

/// A snapshot of the ticket word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Tickets(u64);

/// A waiter's place in the queue.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Ticket(u8);

/// How many futex words the queue sleeps on: the holder of ticket `t` sleeps on word
/// `t % SLOTS`, so that the passing of a turn wakes only its holder while at most `SLOTS` wait
/// (256 is a multiple, so a word's tickets stay its own when the numbers wrap).
pub(super) const SLOTS: usize = 8;

impl Ticket {
    /// The futex word its holder sleeps on.
    pub(super) fn slot(self) -> usize {
        usize::from(self.0) % SLOTS
    }
}

impl Tickets {
    const TICKET: u64 = 0xff;
    const NEXT_SHIFT: u32 = 8;
    const LEFT_SHIFT: u32 = 16;
    /// How many tickets may be out at once: one `LEFT` bit each.
    pub(super) const WINDOW: u8 = 48;

    /// No ticket out.
    pub(super) const fn new() -> Tickets {
        Tickets(0)
    }

    pub(super) const fn bits(self) -> u64 {
        self.0
    }

    fn turn(self) -> u8 {
        (self.0 & Tickets::TICKET) as u8
    }

    fn next(self) -> u8 {
        (self.0 >> Tickets::NEXT_SHIFT & Tickets::TICKET) as u8
    }

    fn left(self) -> u64 {
        self.0 >> Tickets::LEFT_SHIFT
    }

    fn with(turn: u8, next: u8, left: u64) -> Tickets {
        debug_assert!(left >> Tickets::WINDOW == 0);
        Tickets(
            u64::from(turn) | u64::from(next) << Tickets::NEXT_SHIFT | left << Tickets::LEFT_SHIFT,
        )
    }

    /// Tickets out: held by waiters, or by the head, or left and not yet skipped.
    pub(super) fn out(self) -> u8 {
        self.next().wrapping_sub(self.turn())
    }

    /// The ticket the next arrival draws.
    pub(super) fn next_ticket(self) -> Ticket {
        Ticket(self.next())
    }

    /// The word with the next ticket drawn; `None` if [`WINDOW`](Self::WINDOW) are out.
    pub(super) fn drawn(self) -> Option<Tickets> {
        (self.out() < Tickets::WINDOW)
            .then(|| Tickets::with(self.turn(), self.next().wrapping_add(1), self.left()))
    }

    /// Whether it is `ticket`'s turn: its holder becomes the head.
    pub(super) fn is_turn(self, ticket: Ticket) -> bool {
        self.turn() == ticket.0
    }

    /// The word after the holder of `ticket` leaves: the turn passes on if it was `ticket`'s
    /// (skipping the tickets whose holders left), or the ticket is marked left if not.
    pub(super) fn without(self, ticket: Ticket) -> Tickets {
        let ahead = ticket.0.wrapping_sub(self.turn());
        debug_assert!(ahead < self.out(), "{ticket:?} is not out in {self:?}");
        if ahead > 0 {
            return Tickets::with(self.turn(), self.next(), self.left() | 1 << ahead);
        }
        let (mut turn, mut left) = (self.turn(), self.left());
        loop {
            turn = turn.wrapping_add(1);
            left >>= 1;
            if left & 1 == 0 || turn == self.next() {
                return Tickets::with(turn, self.next(), left);
            }
        }
    }

    /// Whether a holder waits for the turn (a ticket is out that nobody left).
    pub(super) fn has_holders(self) -> bool {
        self.out() > 0
    }

    /// The ticket whose turn it is.
    pub(super) fn turn_ticket(self) -> Ticket {
        Ticket(self.turn())
    }
}

impl Packed for Tickets {
    #[inline]
    fn from_bits(bits: u64) -> Tickets {
        Tickets(bits)
    }

    #[inline]
    fn bits(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for Tickets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tickets")
            .field("turn", &self.turn())
            .field("next", &self.next())
            .field("left", &format_args!("{:#b}", self.left()))
            .finish()
    }
}

const _: () = assert!(Tickets::LEFT_SHIFT + Tickets::WINDOW as u32 == 64);

#[cfg(test)]
mod tests {
    use super::{Ticket, Tickets};

    fn draw(word: &mut Tickets) -> Ticket {
        let ticket = word.next_ticket();
        *word = word.drawn().expect("a ticket");
        ticket
    }

    #[test]
    fn tickets_are_served_in_the_order_they_were_drawn() {
        let mut word = Tickets::new();
        let tickets: Vec<_> = (0..5).map(|_| draw(&mut word)).collect();
        for (served, &ticket) in tickets.iter().enumerate() {
            assert!(word.is_turn(ticket), "ticket {served}");
            assert!(tickets[served + 1..]
                .iter()
                .all(|&later| !word.is_turn(later)));
            word = word.without(ticket);
        }
        assert!(!word.has_holders());
    }

    #[test]
    fn the_turn_skips_the_tickets_whose_holders_left() {
        let mut word = Tickets::new();
        let [head, a, b, c, d] = [(); 5].map(|()| draw(&mut word));
        word = word.without(b).without(a).without(d);
        assert_eq!(word.out(), 5, "a ticket left behind the turn stays out");
        word = word.without(head);
        assert!(word.is_turn(c), "{word:?}");
        word = word.without(c);
        assert!(!word.has_holders() && word.left() == 0, "{word:?}");
    }

    #[test]
    fn the_window_fills_and_tickets_wrap_without_losing_their_order() {
        let mut word = Tickets::new();
        for _ in 0..1000 {
            let tickets: Vec<_> = (0..Tickets::WINDOW).map(|_| draw(&mut word)).collect();
            assert!(word.drawn().is_none(), "the window is full: {word:?}");
            // Every other holder leaves before its turn; the rest are served in order.
            for &ticket in tickets.iter().skip(1).step_by(2) {
                word = word.without(ticket);
            }
            for &ticket in tickets.iter().step_by(2) {
                assert!(word.is_turn(ticket), "{ticket:?} in {word:?}");
                word = word.without(ticket);
            }
            assert!(!word.has_holders() && word.left() == 0, "{word:?}");
            draw(&mut word);
            word = word.without(Ticket(word.turn()));
        }
    }
}
