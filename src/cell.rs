//! [`CowCell<T>`]: a drop-in for `Arc<RwLock<T>>` on read-mostly data.
//!
//! The current value is a [`Cow<T>`] in an `arc_swap::ArcSwapAny`; readers
//! load it wait-free, writers are serialized by a mutex and clone, modify and
//! publish. Under `cfg(loom)` the `ArcSwapAny` (whose atomics and
//! thread-locals loom cannot see) is replaced by a loom-visible stand-in with
//! the same private interface, `Slot`.
//!
//! Readers load one word, the slot; a publish writes that word once. All the
//! rest (the writers' lock, the version, the waiter list) sits in a separate
//! allocation, `Side`, on cache lines of its own, so writers and waiters
//! never write the line readers load. Change notification: a version word
//! (`publishes << 1 | WAITING`) and an `event_listener::Event`; a publish with
//! nobody waiting costs one atomic add (docs/design.md, "CowCell").

use alloc::boxed::Box;
use core::fmt;
use core::future::Future;
use core::ops::Deref;
use core::pin::Pin;
use core::ptr;
use core::task::{Context, Poll};
use std::time::{Duration, Instant};

use event_listener::{Event, EventListener, Listener};

use crate::sync::{
    thread_local, AtomicU64, Mutex, MutexGuard, Ordering, PoisonError, TryLockError,
    UnmodeledAtomicUsize,
};
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

/// The loom stand-in: an atomic pointer to the current value with the
/// orderings arc-swap guarantees at least (its loads are Acquire, its swaps
/// SeqCst read-modify-writes), so the models see the publication order the
/// cell relies on. It does not model arc-swap's debt lists: every value it
/// ever held stays alive, kept in `retired`, until the slot is dropped, so a
/// reader's increment after its load never races with a free. arc-swap's
/// wait-freedom and its reclamation are left to arc-swap's own tests
/// (docs/safety.md).
#[cfg(loom)]
mod slot {
    use crate::sync::{AtomicPtr, Mutex, Ordering};
    use crate::Cow;
    use alloc::vec::Vec;
    use core::mem::ManuallyDrop;

    pub(super) struct Slot<T> {
        /// `Cow::into_raw` of the slot's own handle to the current value.
        current: AtomicPtr<T>,
        /// A handle to every value the slot replaced.
        retired: Mutex<Vec<Cow<T>>>,
    }

    pub(super) type SlotGuard<T> = Cow<T>;

    impl<T> Slot<T> {
        pub(super) fn new(value: Cow<T>) -> Slot<T> {
            Slot {
                current: AtomicPtr::new(Cow::into_raw(value).cast_mut()),
                retired: Mutex::new(Vec::new()),
            }
        }
        pub(super) fn load(&self) -> SlotGuard<T> {
            self.load_full()
        }
        pub(super) fn load_full(&self) -> Cow<T> {
            // Acquire: as arc-swap's load; sees the value the swap published.
            let raw = self.current.load(Ordering::Acquire);
            // SAFETY: `raw` came from `Cow::into_raw` of a handle this slot
            // still holds (the current one, or one in `retired`, kept until
            // the slot drops), so the value is alive; the `ManuallyDrop`
            // borrows that handle without giving it back.
            let held = ManuallyDrop::new(unsafe { Cow::from_raw(raw) });
            Cow::clone(&held)
        }
        pub(super) fn swap(&self, value: Cow<T>) -> Cow<T> {
            // AcqRel: Release publishes the new value, Acquire orders the
            // old one's last writes before the caller's drop of it.
            let old = self
                .current
                .swap(Cow::into_raw(value).cast_mut(), Ordering::AcqRel);
            // SAFETY: `old` came from `Cow::into_raw` of the slot's handle,
            // which the swap just took out of `current`: given back once.
            let old = unsafe { Cow::from_raw(old) };
            self.retired.lock().unwrap().push(old.clone());
            old
        }
        pub(super) fn into_inner(self) -> Cow<T> {
            self.load_full()
        }
    }

    impl<T> Drop for Slot<T> {
        fn drop(&mut self) {
            let raw = self.current.with_mut(|p| *p);
            // SAFETY: `raw` is `Cow::into_raw` of the slot's own handle to
            // the current value, given back once, here.
            drop(unsafe { Cow::from_raw(raw) });
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
    /// The published value: the only word readers load.
    slot: Slot<T>,
    /// Writers' and waiters' state, out of line (see `Side`).
    side: Box<Side>,
}

/// The part of a [`CowCell`] that only writers and waiters touch. Boxed, and
/// aligned to 128 bytes (two cache lines: adjacent-line prefetch pairs them),
/// so that taking the lock, bumping the version or registering a waiter
/// never writes the cache line that holds the slot readers load, and the
/// cell itself stays two words.
#[repr(align(128))]
struct Side {
    /// Serializes `update`, `store` and `replace`. Guards no data of its own,
    /// so poisoning means nothing and is ignored.
    writer: Mutex<()>,
    /// The [`thread_token`] of the thread holding `writer`, 0 when none.
    /// Written only by that thread, just after locking and just before
    /// unlocking, and compared only with the reading thread's own token: a
    /// thread reads its own token here exactly while it holds the lock, so
    /// the check needs no ordering with other threads (Relaxed), and a core
    /// atomic, invisible to loom, models it exactly.
    owner: UnmodeledAtomicUsize,
    /// `version << 1 | WAITING`. Only publishers (serialized by `writer`)
    /// change the version; waiters only set `WAITING`.
    state: AtomicU64,
    /// Where `changed` and `wait_changed` wait; notified by a publish that
    /// finds `WAITING` set.
    waiters: Event,
}

/// The low bit of `Side::state`: somebody may be waiting since the last
/// publish that notified.
const WAITING: u64 = 1;

/// One publish, in `Side::state`.
const ONE: u64 = 2;

/// Ordering of the publisher's `fetch_add` on `Side::state`.
/// AcqRel. Release: the slot swap happens-before any Acquire read of the new
/// version, so a snapshot taken after `version()` returns `v` is at least as
/// new as `v`. Acquire: pairs with a waiter's Release `fetch_or`, so its
/// listener registration happens-before our `notify` (which
/// event-listener's own list lock guarantees too).
#[cfg(not(arcow_weaken = "publish_version"))]
const PUBLISH: Ordering = Ordering::AcqRel;
#[cfg(arcow_weaken = "publish_version")]
const PUBLISH: Ordering = Ordering::Acquire;

/// Ordering of a waiter's `fetch_or(WAITING)`.
/// AcqRel. Acquire: if it reads a newer version, that publish's slot swap
/// happens-before, so `changed` returning `v` means a snapshot sees `v`.
/// Release: pairs with the publisher's Acquire (see `PUBLISH`).
#[cfg(not(arcow_weaken = "register_version"))]
const REGISTER: Ordering = Ordering::AcqRel;
#[cfg(arcow_weaken = "register_version")]
const REGISTER: Ordering = Ordering::Release;

/// Ordering of the load in `version()`.
/// Acquire: pairs with the publisher's Release, so a snapshot taken after
/// reading `v` is at least as new as `v`.
#[cfg(not(arcow_weaken = "version_load"))]
const VERSION_LOAD: Ordering = Ordering::Acquire;
#[cfg(arcow_weaken = "version_load")]
const VERSION_LOAD: Ordering = Ordering::Relaxed;

#[cfg(not(loom))]
thread_local! {
    /// Its address is the current thread's [`thread_token`]. A plain,
    /// constant-initialized thread-local with no destructor: usable at any
    /// point of the thread's life, thread-local destructors included.
    static TOKEN: u8 = const { 0 };
}

// loom's `thread_local!` takes no `const` initializer.
#[cfg(loom)]
thread_local! {
    static TOKEN: u8 = 0;
}

/// A nonzero number that no other live thread has: the address of this
/// thread's `TOKEN`. One address computation, no memory access.
#[inline]
fn thread_token() -> usize {
    TOKEN.with(|token| ptr::from_ref(token) as usize)
}

/// The writer lock of one cell, held; on drop, clears the owner and then
/// unlocks (fields drop in order), also when `f` panics.
struct Serialized<'a> {
    owner: &'a UnmodeledAtomicUsize,
    _lock: MutexGuard<'a, ()>,
}

impl Drop for Serialized<'_> {
    #[inline]
    fn drop(&mut self) {
        // Relaxed: see `Side::owner`; the unlock right after orders the
        // writer's work for the next writer.
        self.owner.store(0, Ordering::Relaxed);
    }
}

impl Side {
    /// Takes the writer lock, recording this thread as its owner. A thread
    /// that already holds it (an `update`, `store` or `replace` from inside
    /// the same cell's `update` closure) gets a panic instead of a deadlock.
    /// Uncontended this is the lock's compare-and-swap and one store to a
    /// line the writer writes anyway; only a held lock looks at the owner.
    #[inline]
    #[track_caller]
    fn lock(&self) -> Serialized<'_> {
        let me = thread_token();
        let lock = match self.writer.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                if self.held_by(me) {
                    panic!(
                        "arcow::CowCell: update, store or replace called on a cell from \
                         inside its own update closure; this would deadlock"
                    );
                }
                self.writer.lock().unwrap_or_else(PoisonError::into_inner)
            }
        };
        // Relaxed: see `Side::owner`.
        self.owner.store(me, Ordering::Relaxed);
        Serialized {
            owner: &self.owner,
            _lock: lock,
        }
    }

    /// Does the thread whose token is `me` hold the writer lock?
    #[inline]
    fn held_by(&self, me: usize) -> bool {
        // Relaxed: see `Side::owner`.
        self.owner.load(Ordering::Relaxed) == me
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
            side: Box::new(Side {
                writer: Mutex::new(()),
                owner: UnmodeledAtomicUsize::new(0),
                state: AtomicU64::new(0),
                waiters: Event::new(),
            }),
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
        let _serialized = self.side.lock();
        self.publish(value)
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
            let _serialized = self.side.lock();
            // Clone `T` once, straight into a new allocation, from a guard:
            // the current value's count (on the line readers read) is not
            // written. The guard goes before the swap, so the swap has no
            // debt of ours to pay. Writers are serialized, so the value
            // cannot change in between.
            let mut next = Cow::<T>::new_clone(&self.slot.load());
            let out = f(Cow::make_mut(&mut next));
            // Only a finished value is published.
            (out, self.publish(next))
        };
        // The replaced value is let go outside the writer lock, so its drop
        // (if this was its last handle) does not hold up other writers.
        drop(old);
        out
    }

    /// Publishes `next` and bumps the version, waking waiters if any
    /// registered since the last publish that woke them. The caller holds
    /// the writer lock.
    fn publish(&self, next: Cow<T>) -> Cow<T> {
        let old = self.slot.swap(next);
        let side = &*self.side;
        // The value first, then the version (`PUBLISH` says why).
        if side.state.fetch_add(ONE, PUBLISH) & WAITING != 0 {
            // Relaxed: clearing the bit orders nothing. A waiter whose
            // `fetch_or` came before our add is registered and is woken
            // below; one whose `fetch_or` comes after it reads the new
            // version and does not wait, so clearing its bit loses nothing.
            side.state.fetch_and(!WAITING, Ordering::Relaxed);
            side.waiters.notify(usize::MAX);
        }
        old
    }

    /// How many times a value was published: by [`update`](CowCell::update)
    /// (one that returned, not one whose closure panicked),
    /// [`store`](CowCell::store) or [`replace`](CowCell::replace). A new
    /// cell is at version 0.
    ///
    /// A [`snapshot`](CowCell::snapshot) (or [`load`](CowCell::load)) taken
    /// after `version()` returned `v` holds the value of version `v` or a
    /// newer one. One atomic load.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = arcow::CowCell::new(0);
    /// assert_eq!(cell.version(), 0);
    /// cell.update(|n| *n += 1);
    /// cell.store(5);
    /// assert_eq!(cell.version(), 2);
    /// ```
    #[inline]
    pub fn version(&self) -> u64 {
        self.side.state.load(VERSION_LOAD) >> 1
    }

    /// A future that completes, with the new version, once
    /// [`version()`](CowCell::version) is greater than `since`.
    ///
    /// It is ready at once if that is so already. Otherwise it waits for
    /// the next publish; it never misses one: if `version()` returned `v`,
    /// any publish after that makes `changed(v)` ready. Take a snapshot
    /// after it completes: the snapshot is at least as new as the version
    /// it returned. Several publishes may complete one wait (they are not
    /// queued), so a loop of `changed` sees every change, possibly one value
    /// twice, never a stale one at the end.
    ///
    /// The future works with any executor (it uses no timer and no runtime
    /// API), is `Send` when `T: Send + Sync`, and is cancel-safe: dropping it
    /// leaves nothing registered and takes nothing from other waiters.
    /// Waiting never blocks writers or readers.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::CowCell;
    /// use std::sync::Arc;
    ///
    /// let config = Arc::new(CowCell::new(String::from("v1")));
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async {
    ///     let watcher = tokio::spawn({
    ///         let config = config.clone();
    ///         async move {
    ///             let mut seen = config.version();
    ///             while *config.load() != "v3" {
    ///                 seen = config.changed(seen).await;   // never blocks the writer
    ///             }
    ///             config.snapshot()
    ///         }
    ///     });
    ///     config.store(String::from("v2"));
    ///     config.store(String::from("v3"));
    ///     assert_eq!(*watcher.await.unwrap(), "v3");
    /// });
    /// ```
    pub fn changed(&self, since: u64) -> Changed<'_, T> {
        Changed {
            cell: self,
            since,
            listener: None,
        }
    }

    /// Blocks the thread until [`version()`](CowCell::version) is greater
    /// than `since`, and returns it; `None` if `timeout` passed first.
    ///
    /// The blocking twin of [`changed`](CowCell::changed), with the same
    /// guarantees: it never misses a publish after `version()` returned
    /// `since`, and a snapshot taken after it returns `Some(v)` is at least
    /// as new as `v`. A `timeout` too large to add to the current time
    /// (`Duration::MAX`) waits without a limit. Never blocks writers or
    /// readers.
    ///
    /// # Panics
    ///
    /// If it would wait from inside an `update` closure on the same cell
    /// (no publish could end the wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::CowCell;
    /// use std::time::Duration;
    ///
    /// let flags = CowCell::new(vec!["beta"]);
    /// let seen = flags.version();
    /// assert_eq!(flags.wait_changed(seen, Duration::from_millis(1)), None);
    ///
    /// std::thread::scope(|s| {
    ///     s.spawn(|| flags.update(|f| f.push("dark-mode")));
    ///     let now = flags.wait_changed(seen, Duration::from_secs(60)).unwrap();
    ///     assert!(now > seen);
    ///     assert_eq!(flags.load().len(), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn wait_changed(&self, since: u64, timeout: Duration) -> Option<u64> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let now = self.version();
            if now > since {
                return Some(now);
            }
            if self.side.held_by(thread_token()) {
                // Nobody can publish while this thread holds the writer
                // lock: the wait could only end at the timeout, or never.
                panic!(
                    "arcow::CowCell: wait_changed called on a cell from inside its own \
                     update closure; no publish can happen until the closure returns"
                );
            }
            let (listener, now) = self.listen();
            if now > since {
                return Some(now);
            }
            match deadline {
                None => listener.wait(),
                Some(deadline) => {
                    if listener.wait_deadline(deadline).is_none() {
                        let now = self.version();
                        return (now > since).then_some(now);
                    }
                }
            }
        }
    }

    /// Registers a listener, then marks the cell as waited on; returns the
    /// listener and the version the mark found. If that version is not
    /// newer than the caller's, the next publish sees the mark and wakes
    /// the listener: the mark comes after the registration, and the
    /// publisher's add and our `fetch_or` are read-modify-writes of one
    /// word, so one of the two sees the other.
    fn listen(&self) -> (EventListener, u64) {
        let listener = self.side.waiters.listen();
        let state = self.side.state.fetch_or(WAITING, REGISTER);
        (listener, state >> 1)
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

/// The future of [`CowCell::changed`]: completes with the cell's version
/// once it is greater than the one given.
///
/// Cancel-safe: dropping it unregisters its listener. `Send` when the cell
/// is `Sync`.
///
/// # Examples
///
/// ```
/// use arcow::CowCell;
///
/// let cell = CowCell::new(1);
/// let seen = cell.version();
/// cell.store(2);
/// // Ready at once: the version is already past `seen`.
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// assert_eq!(rt.block_on(cell.changed(seen)), seen + 1);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Changed<'a, T> {
    cell: &'a CowCell<T>,
    since: u64,
    /// Registered while a poll found no newer version.
    listener: Option<EventListener>,
}

impl<T> Future for Changed<'_, T> {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let this = self.get_mut();
        loop {
            if let Some(listener) = &mut this.listener {
                if Pin::new(listener).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                // Notified: a publish happened; check which version.
                this.listener = None;
            }
            let now = this.cell.version();
            if now > this.since {
                return Poll::Ready(now);
            }
            let (listener, now) = this.cell.listen();
            if now > this.since {
                return Poll::Ready(now);
            }
            this.listener = Some(listener);
        }
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changed")
            .field("since", &self.since)
            .field("waiting", &self.listener.is_some())
            .finish_non_exhaustive()
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;
    use core::task::Waker;

    /// event-listener's `Debug` shows its listener count.
    fn listeners(cell: &CowCell<u64>) -> String {
        format!("{:?}", cell.side.waiters)
    }

    #[test]
    fn a_dropped_pending_changed_leaves_no_listener() {
        let cell = CowCell::new(0u64);
        let mut cx = Context::from_waker(Waker::noop());
        let mut fut = cell.changed(0);
        assert!(Pin::new(&mut fut).poll(&mut cx).is_pending());
        assert!(
            listeners(&cell).contains("listeners_total: 1"),
            "{}",
            listeners(&cell)
        );
        drop(fut);
        assert!(
            listeners(&cell).contains("listeners_total: 0"),
            "{}",
            listeners(&cell)
        );
        assert_eq!(cell.wait_changed(0, Duration::from_millis(1)), None);
        assert!(
            listeners(&cell).contains("listeners_total: 0"),
            "{}",
            listeners(&cell)
        );
        let mut fut = cell.changed(0);
        assert!(Pin::new(&mut fut).poll(&mut cx).is_pending());
        cell.store(1);
        drop(fut);
        assert!(
            listeners(&cell).contains("listeners_total: 0"),
            "{}",
            listeners(&cell)
        );
    }

    #[test]
    fn a_cancelled_waiter_leaves_the_waiting_bit_for_one_publish() {
        let cell = CowCell::new(0u64);
        let mut cx = Context::from_waker(Waker::noop());
        let mut fut = cell.changed(0);
        assert!(Pin::new(&mut fut).poll(&mut cx).is_pending());
        drop(fut);
        assert_eq!(cell.side.state.load(Ordering::Relaxed) & WAITING, WAITING);
        cell.store(1);
        assert_eq!(cell.side.state.load(Ordering::Relaxed) & WAITING, 0);
        cell.store(2);
        assert_eq!(cell.side.state.load(Ordering::Relaxed), 2 * ONE);
    }

    #[test]
    #[should_panic(expected = "wait_changed called on a cell from inside its own update closure")]
    fn wait_changed_inside_its_own_update_panics() {
        let cell = CowCell::new(0u64);
        cell.update(|_| cell.wait_changed(0, Duration::from_secs(60)));
    }

    #[test]
    fn wait_changed_inside_another_cells_update_waits() {
        let (a, b) = (CowCell::new(0u64), CowCell::new(0u64));
        a.update(|_| assert_eq!(b.wait_changed(0, Duration::from_millis(1)), None));
        b.store(1);
        a.update(|_| assert_eq!(b.wait_changed(0, Duration::from_millis(1)), Some(1)));
    }
}
