//! shuttle models of `Latch` (`cfg(all(shuttle, test))`; src/shuttle_models.rs says what they
//! add to the loom models beside them): eight threads.

use super::Latch;
use crate::primitive::{AtomicU32, Ordering::Relaxed};
use crate::shuttle_models::check;
use shuttle::thread;
use std::sync::Arc;

/// Eight threads count a latch of six down (two only wait): every waiter returns after the
/// sixth count-down, not before.
#[test]
fn a_latch_releases_its_waiters_after_the_last_count_down() {
    check(|| {
        let latch = Arc::new(Latch::new(6));
        let counted = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (latch, counted) = (latch.clone(), counted.clone());
                thread::spawn(move || {
                    if i < 6 {
                        counted.fetch_add(1, Relaxed);
                        latch.count_down();
                    }
                    latch.wait();
                    assert_eq!(counted.load(Relaxed), 6, "released early");
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    });
}
