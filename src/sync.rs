//! The only place arcow takes its atomics and fences from.
//!
//! Under `cfg(loom)` they are loom's, so that the loom models in `loom-tests/`
//! see every atomic access of the refcount core; otherwise they are `core`'s.
//! No other module names `core::sync::atomic` directly.

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicUsize, Ordering};
