//! Every public type's `Debug` names the type and the state a caller would want in a log; the
//! guards say how many permits they hold.

use std::sync::Arc;
use syncpoint::classic::{Rendezvous, TurnstileBarrier, TwoTurnstileBarrier};
use syncpoint::{Barrier, Latch, Semaphore};

#[test]
fn debug_output_names_the_type_and_its_state() {
    let barrier = Barrier::new(1);
    assert_eq!(
        format!("{barrier:?}"),
        "Barrier { participants: 1, is_broken: false, .. }"
    );
    assert_eq!(
        format!("{:?}", barrier.wait()),
        "BarrierWaitResult { is_leader: true }"
    );
    let guard = barrier.panic_guard();
    assert_eq!(format!("{guard:?}"), "PanicGuard { .. }");
    drop(guard);

    let latch = Latch::new(3);
    assert_eq!(format!("{latch:?}"), "Latch { count: 3, .. }");

    let sem = Arc::new(Semaphore::new(5));
    assert_eq!(format!("{sem:?}"), "Semaphore { available_permits: 5, .. }");
    let two = sem.try_permit_many(2).expect("five are free");
    assert_eq!(format!("{two:?}"), "SemaphorePermit { permits: 2, .. }");
    let one = sem.try_permit().expect("three are free");
    assert_eq!(format!("{one:?}"), "SemaphorePermit { permits: 1, .. }");
    assert_eq!((two.num_permits(), one.num_permits()), (2, 1));
    let owned = sem.try_acquire_owned().expect("two are free");
    assert_eq!(owned.num_permits(), 1);
    assert_eq!(
        format!("{owned:?}"),
        "OwnedSemaphorePermit { permits: 1, .. }"
    );
    assert_eq!(sem.available_permits(), 1);

    for text in [
        format!("{:?}", Rendezvous::new()),
        format!("{:?}", TurnstileBarrier::new(2)),
        format!("{:?}", TwoTurnstileBarrier::new(2)),
    ] {
        assert!(!text.is_empty() && text.contains(" { "), "{text}");
    }
}

#[test]
fn an_arrival_shows_its_episode_and_whether_it_leads() {
    let barrier = Barrier::new(2);
    let arrival = barrier.arrive();
    assert_eq!(
        format!("{arrival:?}"),
        "Arrival { episode: 0, is_leader: false, .. }"
    );
    let last = barrier.arrive();
    assert_eq!(
        format!("{last:?}"),
        "Arrival { episode: 0, is_leader: true, .. }"
    );
    drop((arrival, last));
}
