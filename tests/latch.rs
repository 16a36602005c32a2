//! std-thread tests of `Latch`.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};
use syncpoint::Latch;

#[test]
fn waiters_see_every_count_down() {
    for _ in 0..200 {
        let latch = Latch::new(4);
        let done = AtomicUsize::new(0);
        thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    done.fetch_add(1, Relaxed);
                    latch.count_down();
                });
            }
            for _ in 0..3 {
                s.spawn(|| {
                    latch.wait();
                    assert_eq!(done.load(Relaxed), 4);
                });
            }
        });
    }
}

#[test]
fn arrive_and_wait_oversubscribed() {
    let threads = 16;
    let latch = Latch::new(threads);
    let arrived = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                arrived.fetch_add(1, Relaxed);
                latch.arrive_and_wait();
                assert_eq!(arrived.load(Relaxed), threads as usize);
            });
        }
    });
}

#[test]
fn count_down_past_zero_saturates() {
    let latch = Latch::new(2);
    latch.count_down_by(5);
    assert_eq!(latch.count(), 0);
    latch.count_down();
    assert_eq!(latch.count(), 0);
    assert!(latch.try_wait());
}

#[test]
fn timed_wait_times_out_no_sooner_than_asked() {
    let latch = Latch::new(1);
    let timeout = Duration::from_millis(20);
    let start = Instant::now();
    assert!(!latch.wait_timeout(timeout));
    assert!(start.elapsed() >= timeout);
    let deadline = Instant::now() + timeout;
    assert!(!latch.wait_until(deadline));
    assert!(Instant::now() >= deadline);
    assert_eq!(latch.count(), 1, "a timed-out wait changes nothing");
}

#[test]
fn timed_wait_succeeds_when_count_down_comes_in_time() {
    let latch = Latch::new(1);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(10));
            latch.count_down();
        });
        assert!(latch.wait_timeout(Duration::MAX));
    });
    assert!(latch.wait_timeout(Duration::ZERO));
}

#[test]
#[should_panic(expected = "Latch::new: count exceeds Latch::MAX_COUNT")]
fn new_beyond_max_panics() {
    let _ = Latch::new(u32::MAX);
}

#[test]
fn debug_shows_count() {
    assert_eq!(format!("{:?}", Latch::new(3)), "Latch { count: 3, .. }");
}
