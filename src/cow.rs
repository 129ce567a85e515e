//! [`Cow<T>`]: a one-word, atomically refcounted, copy-on-write pointer.

use alloc::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use alloc::boxed::Box;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::mem::{self, ManuallyDrop, MaybeUninit};
use core::ops::Deref;
use core::panic::{RefUnwindSafe, UnwindSafe};
use core::ptr::{self, NonNull};

use crate::refcount::RefCount;

/// The allocation behind a [`Cow`]: the count, then the value.
///
/// `repr(C)` fixes the field order, so the header is exactly one `usize` in
/// front of the value and `from_raw` can step back from the value to the
/// count by `offset_of!(Inner<T>, value)`.
#[repr(C)]
struct Inner<T> {
    count: RefCount,
    value: T,
}

/// Values this large (in bytes) start 16 bytes into their allocation, as in
/// `Arc`, rather than one word in.
///
/// With the one-word header a `T` of alignment 8 starts 8 bytes past a
/// 16-byte boundary, so a reader that scans it with 16-byte vector loads
/// splits one load in four across two cache lines. Measured on
/// `CowCell<[u64; 512]>` read whole under a writer publishing 200k times a
/// second: 0.84x `ArcSwap`'s reads with the value at +8, 0.95x at +16
/// (benches/cell_contention.rs, `cheap/4 KiB, all/paced`). Below this size
/// the 8 bytes of padding cost more than a split load.
const ALIGN_16_FROM: usize = 256;

impl<T> Inner<T> {
    /// Bytes allocated in front of the `Inner<T>`: enough to put the value
    /// on a 16-byte boundary when `T` is at least [`ALIGN_16_FROM`] bytes
    /// and less aligned than that; 0 otherwise. The header stays one word.
    const FRONT: usize = {
        let at = mem::offset_of!(Inner<T>, value) % 16;
        if mem::size_of::<T>() >= ALIGN_16_FROM && at != 0 {
            16 - at
        } else {
            0
        }
    };

    /// The allocation: `FRONT` bytes, then the `Inner<T>`. 16-aligned when
    /// there is a front, so that the value's offset makes it 16-aligned.
    const LAYOUT: Layout = {
        let (size, align) = if Self::FRONT == 0 {
            (mem::size_of::<Self>(), mem::align_of::<Self>())
        } else {
            (Self::FRONT + mem::size_of::<Self>(), 16)
        };
        match Layout::from_size_align(size, align) {
            Ok(layout) => layout,
            Err(_) => panic!("arcow::Cow: value too large to allocate"),
        }
    };

    /// Allocates room for an `Inner<T>`, uninitialized. Aborts through
    /// `handle_alloc_error` if the allocator fails, as `Box::new` does.
    #[inline]
    fn allocate() -> NonNull<Inner<T>> {
        // SAFETY: `LAYOUT` has a nonzero size (it holds at least the count).
        let base = unsafe { alloc(Self::LAYOUT) };
        if base.is_null() {
            handle_alloc_error(Self::LAYOUT);
        }
        // SAFETY: `base` is a live allocation of `FRONT + size_of::<Self>()`
        // bytes, so `FRONT` bytes in is in bounds; `FRONT` is a multiple of
        // `Self`'s alignment (0, or 16 minus the value's offset modulo 16,
        // which is a multiple of the count's and the value's alignment, both
        // below 16 here) and `base` is `LAYOUT`-aligned, so the result is
        // aligned for `Self`. Not null: derived in bounds from non-null.
        unsafe { NonNull::new_unchecked(base.add(Self::FRONT).cast::<Inner<T>>()) }
    }

    /// Frees the allocation of `ptr` without dropping anything in it.
    ///
    /// # Safety
    ///
    /// `ptr` came from [`Inner::allocate`] and is not used afterwards.
    #[inline]
    unsafe fn deallocate(ptr: NonNull<Inner<T>>) {
        // SAFETY: `allocate` returned `base + FRONT` for a `base` it got from
        // `alloc(LAYOUT)`, with the provenance of the whole allocation.
        unsafe { dealloc(ptr.as_ptr().cast::<u8>().sub(Self::FRONT), Self::LAYOUT) }
    }
}

/// Frees an allocation from [`Inner::allocate`] when dropped: during
/// `T::clone` (nothing written yet) and during `T::drop` (already dropped),
/// so a panic in either leaks nothing and drops nothing twice.
struct FreeOnDrop<T>(NonNull<Inner<T>>);

impl<T> Drop for FreeOnDrop<T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the owner of the guard hands the allocation over to it and
        // uses it no more once the guard drops.
        unsafe { Inner::deallocate(self.0) }
    }
}

/// A one-word, atomically reference-counted pointer with copy-on-write.
///
/// `Cow<T>` is `std::sync::Arc<T>` without the weak count: cloning it is one
/// atomic increment, and [`Cow::make_mut`] clones the value only when another
/// handle still shares it. The header is one `usize`, so the allocation is one
/// word smaller than `Arc`'s, and `Cow<T>` and `Option<Cow<T>>` are one word.
/// (A value of 256 bytes or more starts 16 bytes in, as `Arc`'s does, so that
/// vector loads over it are aligned: its allocation is `Arc`'s size.)
///
/// This is not [`std::borrow::Cow`](alloc::borrow::Cow), which is an enum of
/// a borrowed and an owned value. `arcow::Cow` is a shared owned value.
///
/// Its functions are associated functions (`Cow::make_mut(&mut c)`, not
/// `c.make_mut()`), as `Arc`'s are, so that they never shadow methods of `T`.
///
/// # Examples
///
/// ```
/// use arcow::Cow;
///
/// let a = Cow::new(vec![1, 2, 3]);
/// let mut b = a.clone();                  // no copy: one atomic increment
/// assert!(Cow::ptr_eq(&a, &b));
///
/// Cow::make_mut(&mut b).push(4);          // shared: clones the Vec once
/// assert_eq!(*a, [1, 2, 3]);
/// assert_eq!(*b, [1, 2, 3, 4]);
///
/// Cow::make_mut(&mut b).push(5);          // unique now: no copy
/// assert_eq!(*b, [1, 2, 3, 4, 5]);
/// ```
pub struct Cow<T> {
    /// Invariant: points to a live `Inner<T>` from [`Inner::allocate`], whose count
    /// includes this handle. Never dangling while `self` exists.
    ptr: NonNull<Inner<T>>,
    /// Tells drop check that a `Cow<T>` may drop a `T`.
    _owns: PhantomData<Inner<T>>,
}

// SAFETY: a `Cow<T>` gives `&T` to any thread that holds a handle (so `T: Sync`)
// and may drop or move out the `T` on whichever thread holds the last handle
// (so `T: Send`); the count itself is atomic. Exactly `Arc<T>`'s bounds.
unsafe impl<T: Send + Sync> Send for Cow<T> {}
// SAFETY: `&Cow<T>` allows cloning (which makes a `Cow<T>` on another thread,
// hence `T: Send + Sync` as above) and `&T` (hence `T: Sync`).
unsafe impl<T: Send + Sync> Sync for Cow<T> {}

/// As `Arc`: a `Cow<T>` crossing `catch_unwind` only exposes `&T`.
impl<T: RefUnwindSafe> UnwindSafe for Cow<T> {}

/// As `Arc`: moving the handle never moves the value.
impl<T> Unpin for Cow<T> {}

impl<T> Cow<T> {
    /// Moves `value` into a new allocation with a count of one.
    ///
    /// # Examples
    ///
    /// ```
    /// let five = arcow::Cow::new(5);
    /// assert_eq!(*five, 5);
    /// ```
    #[inline]
    pub fn new(value: T) -> Cow<T> {
        let ptr = Inner::<T>::allocate();
        // SAFETY: `ptr` is a fresh allocation, valid and aligned for an
        // `Inner<T>`.
        unsafe {
            ptr.as_ptr().write(Inner {
                count: RefCount::one(),
                value,
            });
        }
        Cow::from_inner(ptr)
    }

    #[inline]
    fn from_inner(ptr: NonNull<Inner<T>>) -> Cow<T> {
        Cow {
            ptr,
            _owns: PhantomData,
        }
    }

    #[inline]
    fn inner(&self) -> &Inner<T> {
        // SAFETY: `ptr` points to a live `Inner<T>` while `self` exists (field
        // invariant). Shared access is fine: the count is atomic and the value
        // is only written through `&mut` obtained while the count is 1.
        unsafe { self.ptr.as_ref() }
    }

    /// Returns a mutable reference to the value, cloning it first into a new
    /// allocation if other handles share it.
    ///
    /// When `this` is the only handle this is one atomic load and no write to
    /// the count. When it is shared, `T` is cloned exactly once, straight into
    /// a fresh allocation, and `this` is moved to it; the other handles keep
    /// the old value. If `T::clone` panics, `this` still points to the old
    /// value and nothing leaks.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let mut data = Cow::new(5);
    /// *Cow::make_mut(&mut data) += 1;        // unique: no clone
    /// let other = data.clone();
    /// *Cow::make_mut(&mut data) += 1;        // shared: clones the 6
    /// assert_eq!((*data, *other), (7, 6));
    /// ```
    #[inline]
    pub fn make_mut(this: &mut Cow<T>) -> &mut T
    where
        T: Clone,
    {
        if !this.inner().count.is_unique() {
            Cow::clone_to_unique(this);
        }
        // No other thread can make a handle while we hold `&mut this` (there
        // is no weak count); the Acquire load in `is_unique` (or the fresh
        // allocation) orders every earlier use of the value before this write.
        // SAFETY: the count is 1, so `this` is the only handle; we project to
        // the value only, so no `&mut` covers the count.
        unsafe { &mut (*this.ptr.as_ptr()).value }
    }

    /// The copy path of `make_mut`, out of line so the unique path inlines.
    #[cold]
    #[inline(never)]
    fn clone_to_unique(this: &mut Cow<T>)
    where
        T: Clone,
    {
        // If `T::clone` panics, `this` is untouched. Dropping the old handle
        // may free the old value, if every other handle went away since the
        // uniqueness check: that is fine.
        *this = Cow::new_clone(&this.inner().value);
    }

    /// A new, unique handle to a clone of `value`, cloned straight into the
    /// new allocation (no copy through the stack). `CowCell::update` clones
    /// the published value with it without touching that value's count.
    #[inline]
    pub(crate) fn new_clone(value: &T) -> Cow<T>
    where
        T: Clone,
    {
        let fresh = FreeOnDrop(Inner::<T>::allocate());
        let slot = fresh.0.as_ptr();
        // If `T::clone` panics, `fresh` frees the allocation and drops
        // nothing.
        // SAFETY: `slot` points to the fresh allocation, valid and aligned for
        // an `Inner<T>`; `&raw mut` projects without a reference to uninit.
        unsafe {
            (&raw mut (*slot).value).write(T::clone(value));
            (&raw mut (*slot).count).write(RefCount::one());
        }
        // Both fields are written: the allocation is the new handle's.
        Cow::from_inner(ManuallyDrop::new(fresh).0)
    }

    /// Returns a mutable reference to the value if `this` is the only handle,
    /// and `None` otherwise. Never clones.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let mut x = Cow::new(3);
    /// *Cow::get_mut(&mut x).unwrap() = 4;
    /// let y = x.clone();
    /// assert!(Cow::get_mut(&mut x).is_none());
    /// drop(y);
    /// assert_eq!(Cow::get_mut(&mut x), Some(&mut 4));
    /// ```
    #[inline]
    pub fn get_mut(this: &mut Cow<T>) -> Option<&mut T> {
        if this.inner().count.is_unique() {
            // SAFETY: as in `make_mut`: the count is 1 and we hold `&mut this`.
            Some(unsafe { &mut (*this.ptr.as_ptr()).value })
        } else {
            None
        }
    }

    /// Is `this` the only handle to its value? If so, `make_mut` will not
    /// clone.
    ///
    /// The answer is a snapshot. `false` can turn `true` at any moment, as
    /// other threads drop their handles. `true` stays `true` only while no
    /// other thread can reach this handle: a `&Cow` is enough to clone it,
    /// so if `this` is itself shared between threads (a `&Cow` in a static,
    /// in an `Arc`, or borrowed by scoped threads), another thread may clone
    /// it right after the check and make the answer stale. Holding
    /// `&mut Cow` rules that out, which is why `make_mut` and `get_mut`,
    /// which take `&mut`, can act on their own check.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let a = Cow::new("hello");
    /// assert!(Cow::is_unique(&a));
    /// let b = a.clone();
    /// assert!(!Cow::is_unique(&a));
    /// drop(b);
    /// assert!(Cow::is_unique(&a));
    /// ```
    #[inline]
    pub fn is_unique(this: &Cow<T>) -> bool {
        this.inner().count.is_unique()
    }

    /// The number of handles to this value. Other threads may change it at
    /// any moment, so use it as a hint (and [`Cow::is_unique`] for decisions).
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let a = Cow::new(1);
    /// let _b = a.clone();
    /// assert_eq!(Cow::strong_count(&a), 2);
    /// ```
    #[inline]
    pub fn strong_count(this: &Cow<T>) -> usize {
        this.inner().count.get()
    }

    /// Do `a` and `b` point to the same allocation?
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let a = Cow::new(1);
    /// let b = a.clone();
    /// let c = Cow::new(1);
    /// assert!(Cow::ptr_eq(&a, &b));
    /// assert!(!Cow::ptr_eq(&a, &c));     // equal values, different allocations
    /// ```
    #[inline]
    pub fn ptr_eq(a: &Cow<T>, b: &Cow<T>) -> bool {
        a.ptr == b.ptr
    }

    /// Returns the value if `this` is the only handle, and `this` back
    /// otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let a = Cow::new(String::from("x"));
    /// let b = a.clone();
    /// let a = Cow::try_unwrap(a).unwrap_err();   // still shared
    /// drop(b);
    /// assert_eq!(Cow::try_unwrap(a).unwrap(), "x");
    /// ```
    #[inline]
    pub fn try_unwrap(this: Cow<T>) -> Result<T, Cow<T>> {
        if !this.inner().count.is_unique() {
            return Err(this);
        }
        let this = ManuallyDrop::new(this);
        // The Acquire load ordered every other handle's use of the value
        // before this point; `this` is never used or dropped again.
        // SAFETY: the count is 1 and we own the only handle, so the value is
        // moved out once and the allocation freed once, here.
        Ok(unsafe { Cow::take_value(this.ptr) })
    }

    /// Drops this handle and returns the value if it was the last one.
    ///
    /// Like `Arc::into_inner`: when several threads call `into_inner` on the
    /// last handles at once, exactly one of them gets the value (unlike
    /// `try_unwrap` followed by a drop, where all could fail).
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let a = Cow::new(7);
    /// let b = a.clone();
    /// assert_eq!(Cow::into_inner(a), None);     // b is still there
    /// assert_eq!(Cow::into_inner(b), Some(7));
    /// ```
    #[inline]
    pub fn into_inner(this: Cow<T>) -> Option<T> {
        let this = ManuallyDrop::new(this);
        if !this.inner().count.release() {
            return None;
        }
        // SAFETY: `release` took the count from 1 to 0, so this was the last
        // handle, and its Acquire fence ordered every other handle's use of
        // the value before this point.
        Some(unsafe { Cow::take_value(this.ptr) })
    }

    /// Returns the value, cloning it if other handles share it.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let a = Cow::new(vec![1]);
    /// let b = a.clone();
    /// let v1 = Cow::unwrap_or_clone(a);   // shared: clones
    /// let v2 = Cow::unwrap_or_clone(b);   // unique: moves
    /// assert_eq!(v1, v2);
    /// ```
    #[inline]
    pub fn unwrap_or_clone(this: Cow<T>) -> T
    where
        T: Clone,
    {
        Cow::try_unwrap(this).unwrap_or_else(|shared| T::clone(&shared))
    }

    /// A pointer to the value. It stays valid while any handle to the value
    /// lives; [`fmt::Pointer`] prints it.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let a = Cow::new(1u8);
    /// let b = a.clone();
    /// assert_eq!(Cow::as_ptr(&a), Cow::as_ptr(&b));
    /// // SAFETY: `a` is alive, so the pointer is valid for reads.
    /// assert_eq!(unsafe { *Cow::as_ptr(&a) }, 1);
    /// ```
    #[inline]
    pub fn as_ptr(this: &Cow<T>) -> *const T {
        // SAFETY: `ptr` points to a live `Inner<T>`, so projecting to its
        // `value` field stays in bounds; no reference is created.
        unsafe { &raw const (*this.ptr.as_ptr()).value }
    }

    /// Consumes the handle without decrementing the count and returns a
    /// pointer to the value. Give it back to [`Cow::from_raw`] to avoid a leak.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let raw = Cow::into_raw(Cow::new(String::from("hi")));
    /// // SAFETY: `raw` came from `into_raw` and is given back once.
    /// let back = unsafe { Cow::from_raw(raw) };
    /// assert_eq!(*back, "hi");
    /// ```
    #[inline]
    pub fn into_raw(this: Cow<T>) -> *const T {
        let ptr = Cow::as_ptr(&this);
        mem::forget(this);
        ptr
    }

    /// Rebuilds a handle from a pointer returned by [`Cow::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` must have come from `Cow::<T>::into_raw` (same `T`), and each
    /// such pointer may be given to `from_raw` once for each `into_raw` that
    /// returned it: the handle made here takes over the count that
    /// `into_raw` kept.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let a = Cow::new(5);
    /// let raw = Cow::into_raw(a.clone());
    /// // SAFETY: `raw` is from `into_raw` and is given back exactly once.
    /// let b = unsafe { Cow::from_raw(raw) };
    /// assert!(Cow::ptr_eq(&a, &b));
    /// ```
    #[inline]
    pub unsafe fn from_raw(ptr: *const T) -> Cow<T> {
        let offset = mem::offset_of!(Inner<T>, value);
        // `as_ptr` derives the pointer from the allocation's, so it carries
        // the provenance of the whole allocation.
        // SAFETY: by the caller's contract `ptr` points to the `value` field
        // of a live `Inner<T>`, `offset` bytes in: stepping back is in bounds.
        let inner = unsafe { ptr.byte_sub(offset) }
            .cast::<Inner<T>>()
            .cast_mut();
        // SAFETY: derived from a non-null allocation pointer by an in-bounds
        // offset, so it is not null.
        Cow::from_inner(unsafe { NonNull::new_unchecked(inner) })
    }

    /// Adds one to the count of the value `ptr` points to, as if a handle
    /// were cloned and forgotten (`Arc::increment_strong_count`). For FFI
    /// code that passes [`Cow::into_raw`] pointers around: each increment
    /// must be matched by a [`Cow::from_raw`] or a
    /// [`Cow::decrement_strong_count`] of the same pointer. Never copies.
    ///
    /// # Safety
    ///
    /// `ptr` must have come from [`Cow::into_raw`] of a `Cow<T>` (same `T`),
    /// and the value must still be alive: the count must be at least 1 for
    /// the whole call (some handle, or some raw pointer not yet given back,
    /// keeps it alive meanwhile).
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let raw = Cow::into_raw(Cow::new(5));
    /// // SAFETY: `raw` is from `into_raw`, and the handle it stands for is
    /// // alive (not given back yet).
    /// unsafe { Cow::increment_strong_count(raw) };
    /// // SAFETY: two counts are held through `raw`; each `from_raw` takes
    /// // one of them over.
    /// let (a, b) = unsafe { (Cow::from_raw(raw), Cow::from_raw(raw)) };
    /// assert_eq!(Cow::strong_count(&a), 2);
    /// assert!(Cow::ptr_eq(&a, &b));
    /// ```
    #[inline]
    pub unsafe fn increment_strong_count(ptr: *const T) {
        // SAFETY: by the caller's contract `ptr` is from `into_raw` and the
        // value is alive for the call; the handle is never dropped, so it
        // borrows a count someone else holds without giving it back.
        let this = ManuallyDrop::new(unsafe { Cow::from_raw(ptr) });
        this.inner().count.increment();
    }

    /// Takes one from the count of the value `ptr` points to, as if the
    /// handle [`Cow::from_raw`] would make were dropped
    /// (`Arc::decrement_strong_count`): if it was the last, the value is
    /// dropped and its allocation freed.
    ///
    /// # Safety
    ///
    /// `ptr` must have come from [`Cow::into_raw`] of a `Cow<T>` (same `T`),
    /// and the count it gives up must be one the caller holds through `ptr`
    /// (from that `into_raw` or an [`Cow::increment_strong_count`]), not yet
    /// given back. After the last count is given back, `ptr` must not be
    /// used again.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let a = Cow::new(String::from("x"));
    /// let raw = Cow::into_raw(a.clone());
    /// assert_eq!(Cow::strong_count(&a), 2);
    /// // SAFETY: `raw` is from `into_raw`, and its count is given back once.
    /// unsafe { Cow::decrement_strong_count(raw) };
    /// assert_eq!(Cow::strong_count(&a), 1);
    /// ```
    #[inline]
    pub unsafe fn decrement_strong_count(ptr: *const T) {
        // SAFETY: by the caller's contract `ptr` is from `into_raw` and
        // holds a count that the handle made here takes over; dropping it
        // gives that count back (and frees the value if it was the last).
        drop(unsafe { Cow::from_raw(ptr) });
    }

    /// Frees the allocation. Out of line so `drop` inlines to one atomic
    /// decrement and a branch.
    ///
    /// # Safety
    ///
    /// `ptr` is the allocation of a `Cow` whose count just went to 0, with
    /// the Acquire fence already run.
    #[cold]
    #[inline(never)]
    unsafe fn drop_slow(ptr: NonNull<Inner<T>>) {
        // The allocation is freed even if `T::drop` panics.
        let _free = FreeOnDrop(ptr);
        // SAFETY: by the contract above this is the last handle and no other
        // thread can reach the allocation: its `Inner<T>` (count and value)
        // is dropped once, here, and `_free` frees the memory after.
        unsafe { ptr.as_ptr().drop_in_place() };
    }

    /// Moves the value out and frees the allocation.
    ///
    /// # Safety
    ///
    /// `ptr` is the allocation of the last handle, which is not used or
    /// dropped again, with every other handle's use ordered before this.
    #[inline]
    unsafe fn take_value(ptr: NonNull<Inner<T>>) -> T {
        let _free = FreeOnDrop(ptr);
        // SAFETY: by the contract above we own the `Inner<T>`: the value is
        // read once, the count (a plain atomic, or loom's) dropped in place,
        // and `_free` frees the memory without touching either again.
        unsafe {
            let inner = ptr.as_ptr();
            (&raw mut (*inner).count).drop_in_place();
            (&raw const (*inner).value).read()
        }
    }
}

impl<T> Clone for Cow<T> {
    /// One atomic increment; `T` is not cloned.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = arcow::Cow::new(String::from("shared"));
    /// let b = a.clone();
    /// assert!(arcow::Cow::ptr_eq(&a, &b));
    /// ```
    #[inline]
    fn clone(&self) -> Cow<T> {
        self.inner().count.increment();
        Cow::from_inner(self.ptr)
    }
}

impl<T> Drop for Cow<T> {
    #[inline]
    fn drop(&mut self) {
        if self.inner().count.release() {
            // SAFETY: the count went from 1 to 0 and `release` ran the Acquire
            // fence; this handle is gone after this call.
            unsafe { Cow::drop_slow(self.ptr) }
        }
    }
}

impl<T> Deref for Cow<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T: Default> Default for Cow<T> {
    /// `Cow::new(T::default())`.
    ///
    /// ```
    /// let c: arcow::Cow<u32> = Default::default();
    /// assert_eq!(*c, 0);
    /// ```
    fn default() -> Cow<T> {
        Cow::new(T::default())
    }
}

impl<T> From<T> for Cow<T> {
    /// `Cow::new(value)`.
    ///
    /// ```
    /// let c = arcow::Cow::from(3);
    /// assert_eq!(*c, 3);
    /// ```
    fn from(value: T) -> Cow<T> {
        Cow::new(value)
    }
}

impl<T> From<Box<T>> for Cow<T> {
    /// Moves the value out of the box into a new allocation, straight from
    /// heap to heap (never through the stack), and frees the box: one
    /// allocation, one `memcpy`, no `Clone`. (The box's memory cannot be
    /// reused: the count goes in front of the value.)
    ///
    /// Write the type out: `From<T>` applies to a box too (giving a
    /// `Cow<Box<T>>`), as with `Arc`.
    ///
    /// ```
    /// use arcow::Cow;
    ///
    /// let c: Cow<[u8; 4096]> = Cow::from(Box::new([7u8; 4096]));
    /// assert_eq!(c[4095], 7);
    /// ```
    fn from(boxed: Box<T>) -> Cow<T> {
        // Allocate while the box still owns its value: should the allocator
        // unwind instead of aborting, nothing leaks.
        let fresh = Inner::<T>::allocate();
        let src = Box::into_raw(boxed);
        // SAFETY: `src` is the box's live, aligned `T`, and `fresh` a new
        // allocation, valid and aligned for an `Inner<T>`, that it cannot
        // overlap. The value is moved bitwise (`&raw mut` projections, no
        // reference to uninitialized memory), and the count written beside
        // it. Then the box is rebuilt as a `Box<MaybeUninit<T>>` (same
        // layout) whose drop frees its memory without dropping the `T`,
        // which `fresh` owns now. No code that can panic runs in between.
        unsafe {
            let slot = fresh.as_ptr();
            ptr::copy_nonoverlapping(src.cast_const(), &raw mut (*slot).value, 1);
            (&raw mut (*slot).count).write(RefCount::one());
            drop(Box::from_raw(src.cast::<MaybeUninit<T>>()));
        }
        Cow::from_inner(fresh)
    }
}

impl<T> Borrow<T> for Cow<T> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T> AsRef<T> for Cow<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: fmt::Debug> fmt::Debug for Cow<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for Cow<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T> fmt::Pointer for Cow<T> {
    /// Prints the value's address, [`Cow::as_ptr`], as `Arc` does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&Cow::as_ptr(self), f)
    }
}

/// Compares the values, never the pointers (a pointer shortcut would call a
/// `NaN` equal to itself).
impl<T: PartialEq> PartialEq for Cow<T> {
    #[inline]
    fn eq(&self, other: &Cow<T>) -> bool {
        **self == **other
    }
}

impl<T: Eq> Eq for Cow<T> {}

impl<T: PartialOrd> PartialOrd for Cow<T> {
    #[inline]
    fn partial_cmp(&self, other: &Cow<T>) -> Option<Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: Ord> Ord for Cow<T> {
    #[inline]
    fn cmp(&self, other: &Cow<T>) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: Hash> Hash for Cow<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

// arc-swap's contract for `RefCnt`:
// - `into_ptr` and `from_ptr` round-trip: `into_raw` keeps the count and
//   `from_raw` takes it over, for the same `T`.
// - `as_ptr` returns the same pointer `into_ptr` would, without consuming.
// - none of these panics (`Clone` aborts, never panics, on overflow; `Drop`
//   frees the allocation, which only panics if `T::drop` does, as with `Arc`).
// SAFETY: all of the above hold, and the pointer is never null and stays
// valid while any handle lives.
#[cfg(feature = "std")]
unsafe impl<T> arc_swap::RefCnt for Cow<T> {
    type Base = T;

    #[inline]
    fn into_ptr(me: Cow<T>) -> *mut T {
        Cow::into_raw(me).cast_mut()
    }

    #[inline]
    fn as_ptr(me: &Cow<T>) -> *mut T {
        Cow::as_ptr(me).cast_mut()
    }

    #[inline]
    unsafe fn from_ptr(ptr: *const T) -> Cow<T> {
        // SAFETY: arc-swap only passes pointers it got from `into_ptr`, once.
        unsafe { Cow::from_raw(ptr) }
    }
}

#[cfg(feature = "std")]
impl<T: std::error::Error> std::error::Error for Cow<T> {
    #[allow(deprecated)]
    fn description(&self) -> &str {
        (**self).description()
    }

    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        (**self).source()
    }
}

#[cfg(feature = "serde")]
impl<T: serde::Serialize> serde::Serialize for Cow<T> {
    /// Serializes the value, as if it were a `T`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

#[cfg(feature = "serde")]
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Cow<T> {
    /// Deserializes a `T` into a new `Cow`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Cow<T>, D::Error> {
        T::deserialize(deserializer).map(Cow::new)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn header_is_one_word() {
        assert_eq!(mem::size_of::<Inner<()>>(), mem::size_of::<usize>());
        assert_eq!(mem::offset_of!(Inner<u64>, value), mem::size_of::<usize>());
        assert_eq!(Inner::<u64>::FRONT, 0);
        assert_eq!(Inner::<[u8; ALIGN_16_FROM - 1]>::FRONT, 0);
        assert_eq!(Inner::<u64>::LAYOUT, Layout::new::<Inner<u64>>());
    }

    #[test]
    fn large_values_start_16_aligned() {
        fn check<T: Clone>(value: T) {
            let a = Cow::new(value);
            assert_eq!(Cow::as_ptr(&a) as usize % 16, 0);
            let mut b = a.clone();
            Cow::make_mut(&mut b);
            assert_eq!(Cow::as_ptr(&b) as usize % 16, 0);
            let raw = Cow::into_raw(b);
            // SAFETY: `raw` is from `into_raw`, given back once.
            let b = unsafe { Cow::from_raw(raw) };
            assert_eq!(Cow::try_unwrap(b).ok().map(|_| ()), Some(()));
        }
        assert_eq!(
            Inner::<[u64; 512]>::FRONT,
            16 - mem::size_of::<usize>() % 16
        );
        check([7u64; 512]);
        check([1u8; ALIGN_16_FROM]);
        check([3u32; 100]);
        // Already 16-aligned: no front.
        assert_eq!(Inner::<[u128; 32]>::FRONT, 0);
        check([5u128; 32]);
    }

    #[test]
    fn from_raw_steps_back_over_padding() {
        #[derive(Clone, Debug, PartialEq)]
        #[repr(align(64))]
        struct Wide(u8);
        let a = Cow::new(Wide(9));
        let raw = Cow::into_raw(a.clone());
        assert_eq!(raw as usize % 64, 0);
        // SAFETY: `raw` is from `into_raw`, given back once.
        let b = unsafe { Cow::from_raw(raw) };
        assert!(Cow::ptr_eq(&a, &b));
        assert_eq!(Cow::strong_count(&a), 2);
    }
}
