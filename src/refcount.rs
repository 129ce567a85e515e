//! The refcount core shared by [`Cow`](crate::Cow) and [`CowVec`](crate::CowVec).
//!
//! One strong count, no weak count. This module owns every atomic operation on
//! the count; the pointer types only decide what to free once [`RefCount::release`]
//! says the last handle is gone. The orderings follow `std::sync::Arc`, and each
//! one is argued in `docs/safety.md`.
//!
//! Each ordering can be weakened under the test-only `--cfg arcow_weaken="..."`
//! so that the loom suite can show it catches the weakening. Without that cfg
//! the constants below are exactly the orderings named in their comments, so
//! the normal build is unaffected.

use crate::sync::{fence, AtomicUsize, Ordering};

/// Counts above this abort the process, as `std::sync::Arc` does: the count
/// can only get there by leaking handles (`mem::forget`) in a loop, and one
/// more increment could wrap it to zero and free a value still in use.
const MAX_REFCOUNT: usize = isize::MAX as usize;

/// Ordering of the decrement in [`RefCount::release`].
/// Release: every use of the value through this handle happens-before the
/// free, which the last owner performs after its Acquire fence.
#[cfg(not(arcow_weaken = "drop_release"))]
const RELEASE_DEC: Ordering = Ordering::Release;
#[cfg(arcow_weaken = "drop_release")]
const RELEASE_DEC: Ordering = Ordering::Relaxed;

/// Ordering of the load in [`RefCount::is_unique`].
/// Acquire: pairs with the Release decrements of the handles that are gone,
/// so their reads of the value happen-before the caller's write to it.
#[cfg(not(arcow_weaken = "unique_load"))]
const UNIQUE_LOAD: Ordering = Ordering::Acquire;
#[cfg(arcow_weaken = "unique_load")]
const UNIQUE_LOAD: Ordering = Ordering::Relaxed;

/// The strong count in front of every shared value.
///
/// Invariant: the count equals the number of live handles (including raw
/// pointers from `into_raw` not yet given back to `from_raw`) to the value.
/// It is at least 1 while any handle exists; the handle that takes it from 1
/// to 0 frees the value, and nothing touches the count afterwards.
#[repr(transparent)]
pub(crate) struct RefCount(AtomicUsize);

impl RefCount {
    /// A count of one: the handle being created is the only one.
    #[inline]
    pub(crate) fn one() -> Self {
        RefCount(AtomicUsize::new(1))
    }

    /// Adds a handle. Aborts the process if the count passes `isize::MAX`.
    #[inline]
    pub(crate) fn increment(&self) {
        // Relaxed: a new handle is made from an existing one, which keeps the
        // value alive meanwhile; nothing is published by the increment itself.
        let old = self.0.fetch_add(1, Ordering::Relaxed);
        if old > MAX_REFCOUNT {
            abort_on_overflow();
        }
    }

    /// Removes a handle. Returns `true` if it was the last one; the caller
    /// must then free the value, and the Acquire fence has already run so
    /// every other handle's use of the value happens-before that free.
    #[inline]
    #[must_use = "the last handle must free the value"]
    pub(crate) fn release(&self) -> bool {
        // RELEASE_DEC is Release: see its doc.
        if self.0.fetch_sub(1, RELEASE_DEC) != 1 {
            return false;
        }
        acquire_fence(&self.0);
        true
    }

    /// Is the caller's handle the only one?
    ///
    /// Sound without a compare-exchange because there is no weak count: with
    /// a count of 1 the caller holds the only handle, so no other thread can
    /// clone it concurrently and the answer cannot go stale while the caller
    /// holds `&mut` to its handle.
    #[inline]
    pub(crate) fn is_unique(&self) -> bool {
        // UNIQUE_LOAD is Acquire: see its doc.
        self.0.load(UNIQUE_LOAD) == 1
    }

    /// The current count. Only a hint when other threads hold handles.
    #[inline]
    pub(crate) fn get(&self) -> usize {
        // Relaxed: the caller gets a snapshot of the count and may not infer
        // anything about the value from it (documented on `strong_count`).
        self.0.load(Ordering::Relaxed)
    }
}

/// The Acquire fence of the drop path.
/// Acquire: pairs with the Release decrements of every other handle, so all
/// their uses of the value happen-before the free that follows.
///
/// ThreadSanitizer does not model fences, so the sanitizer build
/// (`--cfg arcow_tsan`, set by `scripts/sanitizers`) uses an Acquire load of
/// the count instead, as `std::sync::Arc` does under TSan: it reads the value
/// our decrement wrote, whose release sequence holds every earlier Release
/// decrement, so it synchronizes with all of them just as the fence does.
#[inline]
#[allow(unused_variables)]
fn acquire_fence(count: &AtomicUsize) {
    #[cfg(not(any(arcow_weaken = "drop_fence", arcow_tsan)))]
    fence(Ordering::Acquire);
    #[cfg(all(arcow_tsan, not(arcow_weaken = "drop_fence")))]
    count.load(Ordering::Acquire);
    #[cfg(arcow_weaken = "drop_fence")]
    let _ = fence;
}

/// Refcount overflow: abort, never panic (a panic could be caught and the
/// leaked handles used after a wrap-around).
#[cold]
#[inline(never)]
fn abort_on_overflow() -> ! {
    #[cfg(feature = "std")]
    {
        std::process::abort();
    }
    #[cfg(not(feature = "std"))]
    {
        // core has no abort; a panic while panicking aborts the process (and
        // with panic=abort the first panic already does).
        struct Abort;
        impl Drop for Abort {
            fn drop(&mut self) {
                panic!("arcow: reference count overflow");
            }
        }
        let _abort = Abort;
        panic!("arcow: reference count overflow");
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Set in the child process that must abort.
    const CHILD_ENV: &str = "ARCOW_REFCOUNT_OVERFLOW_CHILD";

    fn near_limit() -> RefCount {
        RefCount(AtomicUsize::new(MAX_REFCOUNT))
    }

    #[test]
    fn increments_up_to_the_limit_are_fine() {
        let c = near_limit();
        // The old count is MAX_REFCOUNT: not past the limit yet.
        c.increment();
        assert_eq!(c.get(), MAX_REFCOUNT + 1);
    }

    /// The increment past `isize::MAX` aborts the process (not a panic,
    /// which could be caught). Checked in a child process: this test runs
    /// its own binary again with only `overflow_child` selected.
    #[test]
    fn overflow_aborts_the_process() {
        if cfg!(miri) {
            // Miri cannot spawn a process; it checks the increment below
            // the limit (previous test) and the child's code path compiles.
            return;
        }
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args(["--exact", "refcount::tests::overflow_child", "--nocapture"])
            .env(CHILD_ENV, "1")
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(6),
            "the child should die of SIGABRT; status {:?}, stderr {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Does nothing unless run as the child of `overflow_aborts_the_process`.
    #[test]
    fn overflow_child() {
        if std::env::var_os(CHILD_ENV).is_none() {
            return;
        }
        let c = near_limit();
        c.increment(); // old count MAX_REFCOUNT: fine
        let caught = std::panic::catch_unwind(|| c.increment()); // aborts
        unreachable!("survived a refcount overflow: {caught:?}");
    }
}
