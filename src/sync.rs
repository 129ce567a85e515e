//! The only place arcow takes its atomics and fences from.
//!
//! Under `cfg(loom)` they are loom's, so that the loom models in `loom-tests/`
//! see every atomic access of the refcount core; otherwise they are `core`'s.
//! No other module names `core::sync::atomic` directly.

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicUsize, Ordering};

/// The lock that serializes `CowCell` writers, its version word, the
/// thread-local of its re-entrancy check (and, under `cfg(loom)`, the atomic
/// pointer of its slot stand-in): std's, or loom's under `cfg(loom)`.
#[cfg(all(feature = "std", not(loom)))]
pub(crate) use std::{
    sync::{atomic::AtomicU64, Mutex, MutexGuard},
    thread_local,
};

#[cfg(all(feature = "std", loom))]
pub(crate) use loom::{
    sync::{
        atomic::{AtomicPtr, AtomicU64},
        Mutex, MutexGuard,
    },
    thread_local,
};

#[cfg(feature = "std")]
pub(crate) use std::sync::{PoisonError, TryLockError};

/// `core`'s, also under `cfg(loom)`: for the one atomic whose value only
/// ever matters to the thread that wrote it (`CowCell`'s lock owner, see
/// `Side::owner`), so there is no interleaving for loom to explore.
#[cfg(feature = "std")]
pub(crate) use core::sync::atomic::AtomicUsize as UnmodeledAtomicUsize;
