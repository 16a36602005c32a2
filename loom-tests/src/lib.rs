//! Helpers shared by the loom models (see the tests directory).
