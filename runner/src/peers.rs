//! The peers syncpoint is measured against: a Mutex+Condvar semaphore and latch, glibc's `sem_t`
//! (Linux), a pure-spin sense-reversing barrier (the cache-line floor), and, where the build
//! script could compile them (runner/build.rs), C++20's `std::barrier` and OpenMP's barrier.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// A counting semaphore the textbook way.
pub struct MutexSemaphore {
    permits: Mutex<u32>,
    available: Condvar,
}

impl MutexSemaphore {
    pub fn new(permits: u32) -> Self {
        MutexSemaphore {
            permits: Mutex::new(permits),
            available: Condvar::new(),
        }
    }
    pub fn acquire(&self) {
        let mut permits = self.permits.lock().unwrap();
        while *permits == 0 {
            permits = self.available.wait(permits).unwrap();
        }
        *permits -= 1;
    }
    pub fn release(&self) {
        *self.permits.lock().unwrap() += 1;
        self.available.notify_one();
    }
}

/// A latch the textbook way.
pub struct MutexLatch {
    count: Mutex<u32>,
    opened: Condvar,
}

impl MutexLatch {
    pub fn new(count: u32) -> Self {
        MutexLatch {
            count: Mutex::new(count),
            opened: Condvar::new(),
        }
    }
    pub fn arrive_and_wait(&self) {
        let mut count = self.count.lock().unwrap();
        *count -= 1;
        if *count == 0 {
            self.opened.notify_all();
        }
        while *count != 0 {
            count = self.opened.wait(count).unwrap();
        }
    }
}

/// glibc's POSIX semaphore.
#[cfg(target_os = "linux")]
pub struct PosixSemaphore {
    sem: Box<std::cell::UnsafeCell<libc::sem_t>>,
}

// SAFETY: a sem_t is designed to be shared between threads; every access goes through the
// sem_* functions, which synchronize internally.
#[cfg(target_os = "linux")]
unsafe impl Sync for PosixSemaphore {}

#[cfg(target_os = "linux")]
impl PosixSemaphore {
    pub fn new(permits: u32) -> Self {
        // SAFETY: sem_t is plain data that sem_init fully initializes below.
        let sem = Box::new(std::cell::UnsafeCell::new(unsafe { std::mem::zeroed() }));
        // SAFETY: the pointer is valid and unique; pshared = 0 (threads of this process).
        let rc = unsafe { libc::sem_init(sem.get(), 0, permits) };
        assert_eq!(rc, 0, "sem_init failed");
        PosixSemaphore { sem }
    }
    pub fn acquire(&self) {
        // SAFETY: the semaphore was initialized by sem_init and lives as long as self; EINTR
        // is retried.
        while unsafe { libc::sem_wait(self.sem.get()) } != 0 {}
    }
    pub fn release(&self) {
        // SAFETY: as in `acquire`.
        let rc = unsafe { libc::sem_post(self.sem.get()) };
        assert_eq!(rc, 0, "sem_post failed");
    }
}

#[cfg(target_os = "linux")]
impl Drop for PosixSemaphore {
    fn drop(&mut self) {
        // SAFETY: initialized, and no thread can be waiting on it any more.
        unsafe { libc::sem_destroy(self.sem.get()) };
    }
}

/// The floor: a central barrier that only spins, sense reversal counted in a generation number
/// (so that no thread keeps state of its own). Collapses once threads outnumber cores: run it
/// only where they do not.
pub struct SpinBarrier {
    count: crossbeam_utils::CachePadded<AtomicUsize>,
    generation: crossbeam_utils::CachePadded<AtomicUsize>,
    n: usize,
}

impl SpinBarrier {
    pub fn new(n: usize) -> Self {
        SpinBarrier {
            count: Default::default(),
            generation: Default::default(),
            n,
        }
    }

    pub fn wait(&self) {
        // Relaxed: the generation read before the arrival is this episode's, since it cannot
        // move on without this arrival; the AcqRel arrival and the Release/Acquire generation
        // carry the data.
        let generation = self.generation.load(Ordering::Relaxed);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            self.generation
                .store(generation.wrapping_add(1), Ordering::Release);
        } else {
            while self.generation.load(Ordering::Acquire) == generation {
                std::hint::spin_loop();
            }
        }
    }
}

/// C++20's `std::barrier<>`, compiled from runner/peers/cxx_barrier.cpp by the build script.
#[cfg(peer_cxx_barrier)]
pub struct CxxBarrier {
    barrier: std::ptr::NonNull<std::ffi::c_void>,
}

#[cfg(peer_cxx_barrier)]
mod cxx {
    use std::ffi::c_void;
    extern "C" {
        pub(super) fn syncpoint_cxx_barrier_new(n: isize) -> *mut c_void;
        pub(super) fn syncpoint_cxx_barrier_wait(barrier: *mut c_void);
        pub(super) fn syncpoint_cxx_barrier_free(barrier: *mut c_void);
    }
}

// SAFETY: std::barrier is made to be shared between threads: arrive_and_wait synchronizes
// internally, and the pointer is freed only by Drop, when no thread can use it.
#[cfg(peer_cxx_barrier)]
unsafe impl Sync for CxxBarrier {}
// SAFETY: as above; the barrier is not tied to the thread that made it.
#[cfg(peer_cxx_barrier)]
unsafe impl Send for CxxBarrier {}

#[cfg(peer_cxx_barrier)]
impl CxxBarrier {
    /// A barrier for `n` threads.
    pub fn new(n: usize) -> Self {
        let n = isize::try_from(n).expect("thread count fits isize");
        // SAFETY: the C++ side allocates with new; a failure throws, which aborts (noexcept
        // extern "C"), so a null pointer means an allocator that returned null.
        let barrier = unsafe { cxx::syncpoint_cxx_barrier_new(n) };
        CxxBarrier {
            barrier: std::ptr::NonNull::new(barrier).expect("std::barrier allocation failed"),
        }
    }

    /// `arrive_and_wait`.
    pub fn wait(&self) {
        // SAFETY: the pointer came from syncpoint_cxx_barrier_new and lives until Drop.
        unsafe { cxx::syncpoint_cxx_barrier_wait(self.barrier.as_ptr()) }
    }
}

#[cfg(peer_cxx_barrier)]
impl Drop for CxxBarrier {
    fn drop(&mut self) {
        // SAFETY: made by syncpoint_cxx_barrier_new, freed once, no thread waits on it any more.
        unsafe { cxx::syncpoint_cxx_barrier_free(self.barrier.as_ptr()) }
    }
}

/// Why the C++20 `std::barrier` peer was not built, when it was not.
pub const CXX_BARRIER_MISSING: Option<&str> = option_env!("PEER_CXX_BARRIER");

/// Why the OpenMP peer was not built, when it was not.
pub const OMP_MISSING: Option<&str> = option_env!("PEER_OMP");

/// Why LLVM's libomp peer (a program of its own, runner/peers/omp_epcc_main.c) was not built,
/// when it was not.
pub const LIBOMP_MISSING: Option<&str> = option_env!("PEER_LIBOMP");

/// The libomp peer's program, where it was built.
pub const LIBOMP_EXE: Option<&str> = option_env!("PEER_LIBOMP_EXE");

/// What the OpenMP loop calls back, on the team's thread `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OmpEvent {
    /// Thread `index` of the team starts: pin it.
    Pin(usize),
    /// Thread `index` starts a timed run (after the run's first barrier).
    Start(usize),
    /// Thread `index` ends a timed run.
    End(usize),
}

/// OpenMP's `#pragma omp barrier` in the EPCC loop of runner/peers/omp_barrier.c: one parallel
/// region of `threads` threads runs `plan.len()` timed runs of `plan[r]` episodes of
/// `{ delay(delay_iters); barrier }` (only thread `i % n` delays in episode `i` when `rotating`).
/// `events` is called on every thread: [`OmpEvent::Pin`] first, then around each run.
/// Returns the team's size (OpenMP may give fewer threads than asked).
#[cfg(peer_omp)]
pub fn omp_epcc(
    threads: usize,
    plan: &[u64],
    delay_iters: u64,
    rotating: bool,
    delay: extern "C" fn(u64),
    events: &(dyn Fn(OmpEvent) + Sync),
) -> usize {
    use std::ffi::{c_int, c_void};
    extern "C" {
        fn syncpoint_omp_epcc(
            threads: c_int,
            plan: *const u64,
            runs: usize,
            delay_iters: u64,
            rotating: c_int,
            delay: extern "C" fn(u64),
            hook: extern "C" fn(*mut c_void, c_int, c_int),
            ctx: *mut c_void,
        ) -> c_int;
    }
    extern "C" fn hook(ctx: *mut c_void, event: c_int, thread: c_int) {
        // SAFETY: ctx is the `&&dyn Fn` passed below, alive for the whole call; the Fn is Sync,
        // so calling it from the team's threads at once is allowed.
        let events = unsafe { &*(ctx as *const &(dyn Fn(OmpEvent) + Sync)) };
        events(match event {
            0 => OmpEvent::Pin(thread as usize),
            1 => OmpEvent::Start(thread as usize),
            _ => OmpEvent::End(thread as usize),
        });
    }
    let threads = c_int::try_from(threads).expect("thread count fits a C int");
    let ctx = &events as *const &(dyn Fn(OmpEvent) + Sync) as *mut c_void;
    // SAFETY: plan is valid for plan.len() reads; delay and hook are plain functions; ctx
    // outlives the call, which returns only after the parallel region has ended.
    let team = unsafe {
        syncpoint_omp_epcc(
            threads,
            plan.as_ptr(),
            plan.len(),
            delay_iters,
            c_int::from(rotating),
            delay,
            hook,
            ctx,
        )
    };
    team as usize
}
