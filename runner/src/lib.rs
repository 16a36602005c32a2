//! The benchmark runner's library: what the runner and its examples share.

pub mod jacobi;
