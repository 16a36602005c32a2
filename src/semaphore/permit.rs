//! The guards: permits released when dropped, borrowed or owned.

use super::words::Semaphore;
use std::fmt;
use std::sync::Arc;

/// Permits of a [`Semaphore`], released when the guard is dropped (unwinding included).
///
/// Made by [`Semaphore::permit`], [`permit_many`](Semaphore::permit_many),
/// [`try_permit`](Semaphore::try_permit) and [`try_permit_many`](Semaphore::try_permit_many).
///
/// # Examples
///
/// ```
/// use syncpoint::Semaphore;
///
/// let s = Semaphore::new(1);
/// let permit = s.permit().unwrap();
/// drop(permit);
/// assert!(s.try_acquire().is_ok());
/// ```
#[must_use = "the permits are released as soon as the guard is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: u32,
}

impl<'a> SemaphorePermit<'a> {
    pub(super) fn new(semaphore: &'a Semaphore, permits: u32) -> Self {
        SemaphorePermit { semaphore, permits }
    }

    /// Returns how many permits the guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(3);
    /// assert_eq!(s.permit_many(2).unwrap().num_permits(), 2);
    /// ```
    #[must_use]
    pub fn num_permits(&self) -> u32 {
        self.permits
    }

    /// Drops the guard without releasing its permits: they leave the semaphore for good, which
    /// lowers its count (a pool shrinking by a worker, say).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(3);
    /// s.permit().unwrap().forget();
    /// assert_eq!(s.available_permits(), 2);
    /// ```
    pub fn forget(mut self) {
        // Dropped holding none, it releases nothing.
        self.permits = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    #[inline]
    fn drop(&mut self) {
        self.semaphore.release_many(self.permits);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}

/// A permit of a [`Semaphore`] held through an [`Arc`], so it can move into spawned work and
/// outlive the borrow it was taken with; released when dropped. Made by
/// [`Semaphore::acquire_owned`] and [`try_acquire_owned`](Semaphore::try_acquire_owned), like
/// tokio's `OwnedSemaphorePermit`.
///
/// # Examples
///
/// ```
/// use syncpoint::Semaphore;
/// use std::sync::Arc;
/// use std::thread;
///
/// let s = Arc::new(Semaphore::new(1));
/// let permit = s.acquire_owned().unwrap();
/// thread::spawn(move || drop(permit)).join().unwrap();
/// assert_eq!(s.available_permits(), 1);
/// ```
#[must_use = "the permit is released as soon as the guard is dropped"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: u32,
}

impl OwnedSemaphorePermit {
    pub(super) fn new(semaphore: Arc<Semaphore>, permits: u32) -> Self {
        OwnedSemaphorePermit { semaphore, permits }
    }

    /// Returns how many permits the guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::sync::Arc;
    ///
    /// assert_eq!(Arc::new(Semaphore::new(1)).acquire_owned().unwrap().num_permits(), 1);
    /// ```
    #[must_use]
    pub fn num_permits(&self) -> u32 {
        self.permits
    }

    /// Returns the semaphore the permit belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::sync::Arc;
    ///
    /// let s = Arc::new(Semaphore::new(1));
    /// let permit = s.acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(permit.semaphore(), &s));
    /// ```
    #[must_use]
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }

    /// Drops the guard without releasing its permit: it leaves the semaphore for good.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::sync::Arc;
    ///
    /// let s = Arc::new(Semaphore::new(2));
    /// s.acquire_owned().unwrap().forget();
    /// assert_eq!(s.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        // Dropped holding none, it releases nothing (and still lets go of the `Arc`).
        self.permits = 0;
    }
}

impl Drop for OwnedSemaphorePermit {
    #[inline]
    fn drop(&mut self) {
        self.semaphore.release_many(self.permits);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}
