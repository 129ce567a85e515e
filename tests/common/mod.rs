//! Shared test support: a crash-test dummy payload and the tracker that
//! counts its clones and drops.
//!
//! Every [`Dummy`] gets a fresh id when it is made or cloned. Its tracker
//! records how many times each id was dropped, so a test can check that every
//! instance ever made was dropped exactly once (no leak, no double drop). A
//! dummy can be told to panic in `clone` (at the n-th clone call) or in `drop`
//! (for one id).
//!
//! Each test makes its own [`Tracker`], so tests running in parallel in the
//! same binary never disturb each other's counts. The tracker is `Send + Sync`
//! (a mutex and atomics), so one tracker can be shared by several threads.

#![allow(dead_code)] // each test binary uses a different part of this module

pub(crate) mod alloc;
pub(crate) mod elems;
pub(crate) mod hashers;
pub(crate) mod strs;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// `clone_panic_at` and `drop_panic_id` use this value for "never".
const NEVER: usize = usize::MAX;

struct Shared {
    /// `drops[id]` is how many times the dummy with that id was dropped.
    /// Invariant: `drops.len()` is the number of dummies made so far.
    drops: Mutex<Vec<u32>>,
    /// Calls to `Dummy::clone`, including one that panics.
    clone_calls: AtomicUsize,
    /// The value of `clone_calls` (counting the call itself) at which
    /// `Dummy::clone` panics instead of cloning.
    clone_panic_at: AtomicUsize,
    /// The id whose `Drop` panics (after recording the drop).
    drop_panic_id: AtomicUsize,
}

impl Shared {
    fn drops(&self) -> MutexGuard<'_, Vec<u32>> {
        // A panic never happens while the lock is held, but a poisoned lock
        // must not hide the counts from the test that reports them.
        self.drops.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn make(self: &Arc<Self>, value: u64) -> Dummy {
        let mut drops = self.drops();
        let id = drops.len();
        drops.push(0);
        Dummy {
            id,
            value,
            shared: Arc::clone(self),
        }
    }
}

/// Makes [`Dummy`] values and keeps their drop accounting.
#[derive(Clone)]
pub(crate) struct Tracker(Arc<Shared>);

impl Default for Tracker {
    fn default() -> Self {
        Self::new()
    }
}

impl Tracker {
    pub(crate) fn new() -> Tracker {
        Tracker(Arc::new(Shared {
            drops: Mutex::new(Vec::new()),
            clone_calls: AtomicUsize::new(0),
            clone_panic_at: AtomicUsize::new(NEVER),
            drop_panic_id: AtomicUsize::new(NEVER),
        }))
    }

    /// A new dummy with a fresh id.
    pub(crate) fn make(&self, value: u64) -> Dummy {
        self.0.make(value)
    }

    /// How many dummies were made, by `make` or by `clone`.
    pub(crate) fn created(&self) -> usize {
        self.0.drops().len()
    }

    /// How many dummies are alive (made and not yet dropped).
    pub(crate) fn live(&self) -> usize {
        self.0.drops().iter().filter(|&&d| d == 0).count()
    }

    /// How many times the dummy `id` was dropped.
    pub(crate) fn drops_of(&self, id: usize) -> u32 {
        self.0.drops()[id]
    }

    /// How many times `Dummy::clone` was called (a panicking call included).
    pub(crate) fn clone_calls(&self) -> usize {
        self.0.clone_calls.load(Ordering::SeqCst)
    }

    /// The `n`-th call of `Dummy::clone` from now on (1 = the next one)
    /// panics instead of cloning.
    pub(crate) fn panic_on_clone(&self, n: usize) {
        assert!(n >= 1);
        let at = self.clone_calls() + n;
        self.0.clone_panic_at.store(at, Ordering::SeqCst);
    }

    /// The drop of dummy `id` panics (after it has been recorded).
    pub(crate) fn panic_on_drop_of(&self, id: usize) {
        self.0.drop_panic_id.store(id, Ordering::SeqCst);
    }

    /// Asserts that every dummy this tracker ever made was dropped exactly
    /// once: none leaked, none dropped twice.
    #[track_caller]
    pub(crate) fn assert_all_dropped_once(&self) {
        let drops = self.0.drops();
        let wrong: Vec<(usize, u32)> = drops
            .iter()
            .enumerate()
            .filter(|&(_, &d)| d != 1)
            .map(|(id, &d)| (id, d))
            .collect();
        assert!(
            wrong.is_empty(),
            "of {} dummies, these (id, drops) were not dropped exactly once: {wrong:?}",
            drops.len()
        );
    }
}

/// The crash-test dummy: a `u64` value with an identity, counted on clone
/// and drop.
pub(crate) struct Dummy {
    id: usize,
    pub(crate) value: u64,
    shared: Arc<Shared>,
}

impl Dummy {
    /// This instance's id, unique among the dummies of its tracker.
    pub(crate) fn id(&self) -> usize {
        self.id
    }
}

impl Clone for Dummy {
    /// Makes a new dummy (fresh id) with the same value, or panics if the
    /// tracker said so.
    fn clone(&self) -> Dummy {
        let call = self.shared.clone_calls.fetch_add(1, Ordering::SeqCst) + 1;
        if call == self.shared.clone_panic_at.load(Ordering::SeqCst) {
            panic!("Dummy::clone panics on command (call {call})");
        }
        self.shared.make(self.value)
    }
}

impl Drop for Dummy {
    fn drop(&mut self) {
        {
            let mut drops = self.shared.drops();
            drops[self.id] += 1;
        }
        if self.id == self.shared.drop_panic_id.load(Ordering::SeqCst) && !std::thread::panicking()
        {
            panic!("Dummy::drop panics on command (id {})", self.id);
        }
    }
}

impl fmt::Debug for Dummy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dummy")
            .field("id", &self.id)
            .field("value", &self.value)
            .finish()
    }
}
