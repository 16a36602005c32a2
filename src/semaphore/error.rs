//! Why an acquire returned without its permits: [`AcquireError`], [`TryAcquireError`] and
//! [`AcquireTimeoutError`], one for each form of acquire, each naming only what that form can
//! meet (the shape of std's `RecvError`, `TryRecvError` and `RecvTimeoutError`).

use std::error::Error;
use std::fmt;

/// Why [`Semaphore::acquire`](crate::Semaphore::acquire) and the other untimed forms returned
/// without their permits: the semaphore was closed (or is, by the time they looked).
///
/// # Examples
///
/// ```
/// use syncpoint::{AcquireError, Semaphore};
///
/// let s = Semaphore::new(1);
/// s.close();
/// let error: AcquireError = s.acquire().unwrap_err();
/// assert_eq!(error.to_string(), "the semaphore is closed");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcquireError(pub(super) ());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the semaphore is closed")
    }
}

impl Error for AcquireError {}

/// Why [`Semaphore::try_acquire`](crate::Semaphore::try_acquire) and the other `try_` forms
/// returned without their permits.
///
/// # Examples
///
/// ```
/// use syncpoint::{Semaphore, TryAcquireError};
///
/// let s = Semaphore::new(0);
/// assert_eq!(s.try_acquire(), Err(TryAcquireError::NoPermits));
/// s.close();
/// assert_eq!(s.try_acquire(), Err(TryAcquireError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryAcquireError {
    /// The semaphore is closed.
    Closed,
    /// Too few permits are available now, or they are kept for a waiter for several
    /// ([Fairness](crate::Semaphore#fairness)).
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryAcquireError::Closed => "the semaphore is closed",
            TryAcquireError::NoPermits => "too few permits are available",
        })
    }
}

impl Error for TryAcquireError {}

/// Why [`Semaphore::try_acquire_for`](crate::Semaphore::try_acquire_for) and the other timed
/// forms returned without their permits.
///
/// # Examples
///
/// ```
/// use syncpoint::{AcquireTimeoutError, Semaphore};
/// use std::time::Duration;
///
/// let s = Semaphore::new(0);
/// let waited = s.try_acquire_for(Duration::from_millis(1));
/// assert_eq!(waited, Err(AcquireTimeoutError::TimedOut));
/// s.close();
/// let waited = s.try_acquire_for(Duration::from_secs(1));
/// assert_eq!(waited, Err(AcquireTimeoutError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcquireTimeoutError {
    /// The semaphore is closed.
    Closed,
    /// The permits did not come in time; none is held.
    TimedOut,
}

impl fmt::Display for AcquireTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AcquireTimeoutError::Closed => "the semaphore is closed",
            AcquireTimeoutError::TimedOut => "the permits did not come in time",
        })
    }
}

impl Error for AcquireTimeoutError {}
