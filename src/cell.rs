//! [`CowCell<T>`]: a drop-in for `Arc<RwLock<T>>` on read-mostly data.
//!
//! The current value is a [`Cow<T>`] in an `arc_swap::ArcSwapAny`; readers
//! load it wait-free, writers are serialized by a mutex and clone, modify and
//! publish. Under `cfg(loom)` the `ArcSwapAny` (whose atomics and
//! thread-locals loom cannot see) is replaced by a loom-visible stand-in with
//! the same private interface, `Slot`.

use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;
use core::ops::Deref;

use crate::sync::{thread_local, Mutex, PoisonError};
use crate::Cow;

/// Where the current value lives: `ArcSwapAny<Cow<T>>` in a normal build.
#[cfg(not(loom))]
mod slot {
    use crate::Cow;
    use arc_swap::ArcSwapAny;

    pub(super) struct Slot<T>(ArcSwapAny<Cow<T>>);

    /// A borrowed view of the current value; may hold an arc-swap debt slot
    /// instead of a reference count.
    pub(super) type SlotGuard<T> = arc_swap::Guard<Cow<T>>;

    impl<T> Slot<T> {
        pub(super) fn new(value: Cow<T>) -> Slot<T> {
            Slot(ArcSwapAny::new(value))
        }
        #[inline]
        pub(super) fn load(&self) -> SlotGuard<T> {
            self.0.load()
        }
        #[inline]
        pub(super) fn load_full(&self) -> Cow<T> {
            self.0.load_full()
        }
        pub(super) fn swap(&self, value: Cow<T>) -> Cow<T> {
            self.0.swap(value)
        }
        pub(super) fn into_inner(self) -> Cow<T> {
            self.0.into_inner()
        }
    }
}

/// The loom stand-in: a loom `Mutex<Cow<T>>`. It checks `CowCell`'s own
/// logic and the refcount under loom; arc-swap's wait-freedom and its
/// internal orderings are left to arc-swap's own tests (docs/safety.md).
#[cfg(loom)]
mod slot {
    use crate::Cow;
    use loom::sync::Mutex;

    pub(super) struct Slot<T>(Mutex<Cow<T>>);

    pub(super) type SlotGuard<T> = Cow<T>;

    impl<T> Slot<T> {
        pub(super) fn new(value: Cow<T>) -> Slot<T> {
            Slot(Mutex::new(value))
        }
        pub(super) fn load(&self) -> SlotGuard<T> {
            self.load_full()
        }
        pub(super) fn load_full(&self) -> Cow<T> {
            self.0.lock().unwrap().clone()
        }
        pub(super) fn swap(&self, value: Cow<T>) -> Cow<T> {
            core::mem::replace(&mut *self.0.lock().unwrap(), value)
        }
        pub(super) fn into_inner(self) -> Cow<T> {
            self.0.into_inner().unwrap()
        }
    }
}

use slot::{Slot, SlotGuard};

/// A thread-safe cell for read-mostly data: wait-free reads, owned
/// snapshots, and serialized clone-modify-publish writers.
///
/// It replaces `Arc<RwLock<T>>` (or `Arc<Mutex<T>>`) where reads vastly
/// outnumber writes: configuration, routing tables, feature flags, caches.
///
/// - [`load`](CowCell::load) is wait-free and, in the common case, touches no
///   reference count: it returns a short-lived [`Guard`] that derefs to `T`.
/// - [`snapshot`](CowCell::snapshot) returns an owned [`Cow<T>`]: keep it as
///   long as you like, send it to another thread, hold it across `.await`.
/// - [`update`](CowCell::update) runs `f` on a private clone of the current
///   value and publishes the result. Writers are serialized, so `f` runs
///   exactly once per call and no update is lost; `T` is cloned exactly once
///   per update. Readers never wait for a writer and see the old value or the
///   new one, never a half-made one.
///
/// A write costs one clone of `T`. Build `T` from [`Cow`] and
/// [`CowVec`](crate::CowVec) fields and that clone is shallow: an update then
/// copies only the parts it touches (`Cow::make_mut` on one field).
///
/// # Examples
///
/// ```
/// use arcow::CowCell;
/// use std::collections::HashMap;
///
/// let routes = CowCell::new(HashMap::from([("/", 1)]));
///
/// // Readers: no lock.
/// assert_eq!(routes.load()["/"], 1);
///
/// // A writer: clones the map once, inserts, publishes.
/// routes.update(|r| r.insert("/api", 2));
/// assert_eq!(routes.load().len(), 2);
/// ```
pub struct CowCell<T> {
    /// The published value.
    slot: Slot<T>,
    /// Serializes `update`, `store` and `replace`. Guards no data of its own,
    /// so poisoning means nothing and is ignored.
    writer: Mutex<()>,
}

#[cfg(not(loom))]
thread_local! {
    /// The cells whose writer lock the current thread holds (by address), to
    /// turn a re-entrant `update` into a panic instead of a deadlock.
    static WRITING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

// loom's `thread_local!` takes no `const` initializer.
#[cfg(loom)]
thread_local! {
    static WRITING: RefCell<Vec<usize>> = RefCell::new(Vec::new());
}

/// Marks the current thread as the writer of one cell while it holds the
/// writer lock; removes the mark on drop, also when `f` panics.
///
/// Holds `None` when the thread-locals are already gone (a write from a
/// thread-local destructor at thread exit): the check is skipped then, as
/// there is no closure of ours on that thread's stack to re-enter from.
struct WriterMark(Option<usize>);

impl WriterMark {
    #[track_caller]
    fn enter(cell: usize) -> WriterMark {
        let entered = WRITING.try_with(|w| {
            let mut w = w.borrow_mut();
            if w.contains(&cell) {
                return false;
            }
            w.push(cell);
            true
        });
        match entered {
            Ok(true) => WriterMark(Some(cell)),
            // Here, not in the closure, so `#[track_caller]` names the
            // caller's line.
            Ok(false) => panic!(
                "arcow::CowCell: update, store or replace called on a cell from inside \
                 its own update closure; this would deadlock"
            ),
            Err(_) => WriterMark(None),
        }
    }
}

impl Drop for WriterMark {
    fn drop(&mut self) {
        if let Some(cell) = self.0 {
            // If the thread-locals are being destroyed, there is no list
            // left to clean.
            let _ = WRITING.try_with(|w| {
                let mut w = w.borrow_mut();
                if let Some(i) = w.iter().rposition(|&c| c == cell) {
                    w.swap_remove(i);
                }
            });
        }
    }
}

impl<T> CowCell<T> {
    /// Makes a cell holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = arcow::CowCell::new(5);
    /// assert_eq!(*cell.load(), 5);
    /// ```
    pub fn new(value: T) -> CowCell<T> {
        CowCell::from_cow(Cow::new(value))
    }

    fn from_cow(value: Cow<T>) -> CowCell<T> {
        CowCell {
            slot: Slot::new(value),
            writer: Mutex::new(()),
        }
    }

    /// Reads the current value. Wait-free; in the common case it touches no
    /// reference count.
    ///
    /// The guard is meant to be short-lived, like a lock guard without the
    /// lock: read what you need and drop it. Each thread has a few cheap
    /// slots for guards; holding many at once makes further loads fall back
    /// to a refcount increment, and a guard held for long keeps that value
    /// alive. To keep a value, take a [`snapshot`](CowCell::snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = arcow::CowCell::new(vec![1, 2, 3]);
    /// let sum: i32 = cell.load().iter().sum();
    /// assert_eq!(sum, 6);
    /// ```
    #[inline]
    pub fn load(&self) -> Guard<T> {
        Guard {
            inner: self.slot.load(),
        }
    }

    /// An owned handle to the current value: one refcount increment. Later
    /// updates do not change it. It is `Send + Sync` when `T` is, so it can
    /// be kept across `.await` or handed to another thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = arcow::CowCell::new(1);
    /// let before = cell.snapshot();
    /// cell.update(|v| *v += 1);
    /// assert_eq!((*before, *cell.load()), (1, 2));
    /// ```
    #[inline]
    pub fn snapshot(&self) -> Cow<T> {
        self.slot.load_full()
    }

    /// Publishes `value`, replacing the current one. Serialized with
    /// `update`, so it is never lost in the middle of one.
    ///
    /// # Panics
    ///
    /// If called from inside an `update` closure on the same cell.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = arcow::CowCell::new("old");
    /// cell.store("new");
    /// assert_eq!(*cell.load(), "new");
    /// ```
    #[track_caller]
    pub fn store(&self, value: T) {
        drop(self.replace(value));
    }

    /// Publishes `value` and returns the value it replaced.
    ///
    /// # Panics
    ///
    /// If called from inside an `update` closure on the same cell.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = arcow::CowCell::new(1);
    /// let old = cell.replace(2);
    /// assert_eq!((*old, *cell.load()), (1, 2));
    /// ```
    #[track_caller]
    pub fn replace(&self, value: T) -> Cow<T> {
        let value = Cow::new(value);
        let _mark = WriterMark::enter(self.addr());
        let _serialized = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        self.slot.swap(value)
    }

    /// Runs `f` on a private clone of the current value and publishes the
    /// result; returns what `f` returns.
    ///
    /// Writers are serialized: `f` runs exactly once, no update is lost, and
    /// `T` is cloned exactly once. Readers are not blocked and never see the
    /// value while `f` is changing it. If `f` panics, nothing is published,
    /// the cell keeps its value and stays usable (there is no poisoning).
    ///
    /// # Panics
    ///
    /// If `f` calls `update`, `store` or `replace` on the same cell (that
    /// would deadlock); updating another cell from `f` is fine. And if `f`
    /// panics, the panic goes on.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::CowCell;
    ///
    /// let counter = CowCell::new(0u64);
    /// std::thread::scope(|s| {
    ///     for _ in 0..4 {
    ///         s.spawn(|| {
    ///             for _ in 0..100 {
    ///                 counter.update(|n| *n += 1);   // clones the u64, publishes
    ///             }
    ///         });
    ///     }
    /// });
    /// assert_eq!(*counter.load(), 400);
    /// ```
    #[track_caller]
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R
    where
        T: Clone,
    {
        let (out, old) = {
            let _mark = WriterMark::enter(self.addr());
            let _serialized = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            // The cell keeps its own handle, so `next` is shared and
            // `make_mut` clones `T` exactly once, straight into a new
            // allocation.
            let mut next = self.slot.load_full();
            let out = f(Cow::make_mut(&mut next));
            // Only a finished value is published.
            (out, self.slot.swap(next))
        };
        // The replaced value is let go outside the writer lock, so its drop
        // (if this was its last handle) does not hold up other writers.
        drop(old);
        out
    }

    /// Takes the current value out of the cell.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = arcow::CowCell::new(String::from("x"));
    /// let value = cell.into_inner();
    /// assert_eq!(*value, "x");
    /// ```
    pub fn into_inner(self) -> Cow<T> {
        self.slot.into_inner()
    }

    /// The cell's address, its identity for the re-entrancy check.
    fn addr(&self) -> usize {
        self as *const CowCell<T> as usize
    }
}

impl<T: Default> Default for CowCell<T> {
    /// A cell holding `T::default()`.
    ///
    /// ```
    /// let cell: arcow::CowCell<Vec<u8>> = Default::default();
    /// assert!(cell.load().is_empty());
    /// ```
    fn default() -> CowCell<T> {
        CowCell::new(T::default())
    }
}

impl<T> From<T> for CowCell<T> {
    /// `CowCell::new(value)`.
    ///
    /// ```
    /// let cell = arcow::CowCell::from(3);
    /// assert_eq!(*cell.load(), 3);
    /// ```
    fn from(value: T) -> CowCell<T> {
        CowCell::new(value)
    }
}

impl<T> From<Cow<T>> for CowCell<T> {
    /// A cell publishing an existing `Cow` (no copy).
    ///
    /// Both `From<T>` and `From<Cow<T>>` apply to a `Cow<T>` argument (as
    /// `T` could itself be a `Cow`), so write the cell's type out:
    ///
    /// ```
    /// use arcow::{Cow, CowCell};
    ///
    /// let shared = Cow::new(7);
    /// let cell: CowCell<i32> = CowCell::from(shared.clone());
    /// assert!(Cow::ptr_eq(&cell.snapshot(), &shared));
    /// ```
    fn from(value: Cow<T>) -> CowCell<T> {
        CowCell::from_cow(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for CowCell<T> {
    /// Shows the current value.
    ///
    /// ```
    /// let cell = arcow::CowCell::new(1);
    /// assert_eq!(format!("{cell:?}"), "CowCell(1)");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CowCell").field(&*self.load()).finish()
    }
}

/// A short-lived read of a [`CowCell`]'s value, from [`CowCell::load`].
///
/// It derefs to `T`. It keeps the value it saw alive, even if the cell is
/// updated meanwhile, but it is meant to be dropped soon: take a
/// [`CowCell::snapshot`] to keep a value.
///
/// # Examples
///
/// ```
/// let cell = arcow::CowCell::new(String::from("v1"));
/// let guard = cell.load();
/// cell.store(String::from("v2"));
/// assert_eq!(*guard, "v1");          // the guard still sees what it loaded
/// drop(guard);
/// assert_eq!(*cell.load(), "v2");
/// ```
pub struct Guard<T> {
    inner: SlotGuard<T>,
}

impl<T> Deref for Guard<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for Guard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
