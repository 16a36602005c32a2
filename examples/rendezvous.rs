//! The Little Book of Semaphores' rendezvous (3.3): thread a runs a1 then a2, thread b runs b1
//! then b2, and the rendezvous guarantees that a1 happens before b2 and b1 happens before a2.
//!
//! Run: `cargo run --release --example rendezvous [rounds]`

use clap::Parser;
use std::sync::Mutex;
use std::thread;
use syncpoint::classic::Rendezvous;

/// The Little Book of Semaphores' rendezvous: a1 before b2 and b1 before a2, every round.
#[derive(Parser)]
#[command(name = "rendezvous", version)]
struct Args {
    /// Rounds to run
    #[arg(default_value_t = 3)]
    rounds: usize,
}

fn main() {
    let rounds = Args::parse().rounds;
    let meet = Rendezvous::new();
    // The log records the order in which the statements ran, so the guarantee can be checked.
    let log = Mutex::new(Vec::new());
    let say = |line: String| {
        println!("{line}");
        log.lock().unwrap().push(line);
    };
    thread::scope(|s| {
        s.spawn(|| {
            for round in 1..=rounds {
                say(format!("round {round}: my a1 statement"));
                meet.wait_a();
                say(format!("round {round}: my a2 statement"));
            }
        });
        for round in 1..=rounds {
            say(format!("round {round}: my b1 statement"));
            meet.wait_b();
            say(format!("round {round}: my b2 statement"));
        }
    });
    let log = log.into_inner().unwrap();
    let at = |round: usize, what: &str| {
        log.iter()
            .position(|l| l == &format!("round {round}: my {what} statement"))
            .expect("every statement ran")
    };
    for round in 1..=rounds {
        assert!(
            at(round, "a1") < at(round, "b2"),
            "round {round}: b2 ran before a1"
        );
        assert!(
            at(round, "b1") < at(round, "a2"),
            "round {round}: a2 ran before b1"
        );
    }
    println!("{rounds} rounds: a1 always before b2, b1 always before a2");
}
