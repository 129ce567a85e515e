//! [`CowVec<T>`]: a two-word growable vector whose buffer is shared by clones
//! and copied once, on the first write while shared, with its iterators
//! ([`IntoIter`], [`Drain`], [`Splice`]).

use alloc::alloc::{alloc, dealloc, handle_alloc_error, realloc};
use alloc::boxed::Box;
use alloc::collections::TryReserveError;
use alloc::vec::Vec;
use core::alloc::Layout;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::iter::FusedIterator;
use core::marker::PhantomData;
use core::mem::{self, ManuallyDrop, MaybeUninit};
use core::ops::{Bound, Deref, Range, RangeBounds};
use core::panic::{RefUnwindSafe, UnwindSafe};
use core::ptr::{self, NonNull};
use core::slice;

use crate::refcount::RefCount;

mod drain;
mod into_iter;
mod raw;
mod traits;

pub use drain::{Drain, Splice};
pub use into_iter::IntoIter;
use raw::{capacity_overflow, grow_amortized};

/// A growable vector whose buffer is shared by clones and copied once, on
/// the first write while shared.
///
/// The handle is two words, `(pointer, length)`; the buffer carries a header
/// `{count, capacity}` in front of the elements. Cloning a `CowVec` is one
/// atomic increment. Reads go straight to the elements. A method that writes
/// checks the count: on a unique buffer it works in place (and grows with
/// `realloc`), on a shared one it first makes one copy, sized for its result,
/// and leaves the other handles' contents as they were.
///
/// [`CowVec::new`] is a `const fn` and owns no allocation; nor does any empty
/// vector made by `default`, `with_capacity(0)`, `cow_vec![]` or collecting
/// an empty iterator.
///
/// # Examples
///
/// ```
/// use arcow::{cow_vec, CowVec};
///
/// let mut a: CowVec<u32> = cow_vec![1, 2, 3];
/// let b = a.clone();                 // O(1): the buffer is shared
/// a.push(4);                         // shared: one copy, with room for the push
/// a.push(5);                         // unique now: in place
/// assert_eq!(a, [1, 2, 3, 4, 5]);
/// assert_eq!(b, [1, 2, 3]);
/// ```
pub struct CowVec<T> {
    /// Invariant: either `NonNull::dangling()`, and then the vector owns no
    /// allocation and `len == 0`; or the first element of a buffer made by
    /// `CowVec::allocate`, with the `Header` `Self::OFFSET` bytes before it,
    /// whose count includes this handle.
    ptr: NonNull<T>,
    /// Invariant: elements `[0, len)` of the buffer are initialized and
    /// `len <= cap`. Every handle to one buffer has the same `len`, because
    /// a handle only changes its length in place while it is unique.
    len: usize,
    /// Tells drop check that a `CowVec<T>` may drop `T`s.
    _owns: PhantomData<T>,
}

// SAFETY: like `Cow<T>`: handles on several threads give out `&T` (so
// `T: Sync`), and the last one, on any thread, drops the `T`s or moves them
// out (so `T: Send`). The count is atomic.
unsafe impl<T: Send + Sync> Send for CowVec<T> {}
// SAFETY: `&CowVec<T>` gives `&T` and can clone the handle onto another
// thread, hence the same bounds as `Send`.
unsafe impl<T: Send + Sync> Sync for CowVec<T> {}

impl<T: RefUnwindSafe> UnwindSafe for CowVec<T> {}

impl<T> CowVec<T> {
    /// Is `T` zero-sized? Then the buffer holds only the header and the
    /// capacity is `usize::MAX`.
    const IS_ZST: bool = mem::size_of::<T>() == 0;

    /// Makes an empty vector.
    ///
    /// `const`, and owns no allocation until the first element arrives.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::CowVec;
    ///
    /// static EMPTY: CowVec<u8> = CowVec::new();
    /// let mut v: CowVec<u8> = CowVec::new();
    /// assert_eq!(v.capacity(), 0);
    /// v.push(1);
    /// assert_eq!(v, [1]);
    /// assert!(EMPTY.is_empty());
    /// ```
    #[inline]
    pub const fn new() -> CowVec<T> {
        CowVec {
            ptr: NonNull::dangling(),
            len: 0,
            _owns: PhantomData,
        }
    }

    /// Makes an empty vector with room for at least `capacity` elements.
    /// `with_capacity(0)` allocates nothing, nor does any capacity for a
    /// zero-sized `T`.
    ///
    /// # Panics
    ///
    /// If the buffer would exceed `isize::MAX` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::CowVec::with_capacity(10);
    /// assert!(v.capacity() >= 10);
    /// for i in 0..10 {
    ///     v.push(i);                     // unique, room left: in place
    /// }
    /// assert_eq!(v.len(), 10);
    /// ```
    pub fn with_capacity(capacity: usize) -> CowVec<T> {
        if capacity == 0 || Self::IS_ZST {
            CowVec::new()
        } else {
            CowVec::allocate(capacity)
        }
    }

    /// The number of elements.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(arcow::cow_vec![1, 2, 3].len(), 3);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Is the vector empty?
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(arcow::CowVec::<u8>::new().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of elements the buffer has room for: 0 without a buffer,
    /// `usize::MAX` for zero-sized `T` (as `Vec`). A write to a shared buffer
    /// copies it, so spare capacity only saves allocations while unique.
    ///
    /// # Examples
    ///
    /// ```
    /// let v: arcow::CowVec<u64> = arcow::CowVec::with_capacity(8);
    /// assert!(v.capacity() >= 8);
    /// assert_eq!(arcow::CowVec::<()>::new().capacity(), usize::MAX);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        if Self::IS_ZST {
            return usize::MAX;
        }
        self.header().map_or(0, |h| h.cap)
    }

    /// The elements, as a slice. Never copies.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = arcow::cow_vec![1, 2];
    /// assert_eq!(v.as_slice(), &[1, 2]);
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: `ptr` is non-null and aligned (dangling or an element
        // pointer) and `[0, len)` are initialized (field invariants). The
        // elements are only written through `&mut self` while unique.
        unsafe { slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// Is this the only handle to its buffer (or is there no buffer)? If so,
    /// writes happen in place.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = arcow::cow_vec![1];
    /// let b = a.clone();
    /// assert!(!a.is_unique());
    /// drop(b);
    /// assert!(a.is_unique());
    /// ```
    #[inline]
    pub fn is_unique(&self) -> bool {
        self.header().is_none_or(|h| h.count.is_unique())
    }

    /// Do both handles share one buffer? Two vectors that own no allocation
    /// count as sharing (they are both the empty vector).
    ///
    /// # Examples
    ///
    /// ```
    /// let a = arcow::cow_vec![1, 2];
    /// let b = a.clone();
    /// let c = arcow::cow_vec![1, 2];
    /// assert!(a.ptr_eq(&b));
    /// assert!(!a.ptr_eq(&c));
    /// ```
    #[inline]
    pub fn ptr_eq(&self, other: &CowVec<T>) -> bool {
        self.ptr == other.ptr && self.len == other.len
    }

    /// Removes every element. A unique buffer drops them in place and keeps
    /// its capacity; a shared buffer is simply let go (no copy, no `Clone`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1, 2, 3];
    /// let b = a.clone();
    /// a.clear();                        // shared: lets go of the buffer
    /// assert!(a.is_empty());
    /// assert_eq!(b, [1, 2, 3]);
    /// ```
    pub fn clear(&mut self) {
        if self.is_unique() {
            self.truncate_unique(0);
        } else {
            *self = CowVec::new();
        }
    }
}

impl<T: Clone> CowVec<T> {
    /// The elements, mutably, after copying the buffer if it is shared.
    ///
    /// On a unique buffer: no copy. On a shared one: one allocation of exactly
    /// `len` elements, each cloned once; the other handles keep the old
    /// buffer. If a `T::clone` panics, `self` is left as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1, 2, 3];
    /// let b = a.clone();
    /// a.make_mut()[0] = 10;             // shared: copies once
    /// a.make_mut()[1] = 20;             // unique: in place
    /// assert_eq!(a, [10, 20, 3]);
    /// assert_eq!(b, [1, 2, 3]);
    /// ```
    #[inline]
    pub fn make_mut(&mut self) -> &mut [T] {
        if self.len != 0 {
            self.reserve_unique(self.len);
        }
        // SAFETY: the buffer is unique now (or there is none and `len` is 0),
        // so `&mut self` gives exclusive access to `[0, len)`, all
        // initialized; the pointer is non-null and aligned.
        unsafe { slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Appends `value`.
    ///
    /// Unique with room: in place. Unique and full: grows with `realloc`.
    /// Shared: one copy, into a buffer that already has room for the push.
    ///
    /// # Panics
    ///
    /// If the buffer would exceed `isize::MAX` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::CowVec::new();
    /// v.push(1);
    /// v.push(2);
    /// assert_eq!(v, [1, 2]);
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) {
        // The handle stays in registers: it is read once, before the
        // Acquire load in `is_unique`, and the slow path takes and returns
        // it by value instead of through `&mut self` (an escaped address
        // would make the compiler reload both words after every Acquire).
        let (ptr, len) = (self.ptr, self.len);
        if let Some(h) = self.header() {
            if len < h.cap && h.count.is_unique() {
                // SAFETY: unique buffer with room: slot `len` is in bounds
                // and uninitialized, and only this handle can reach it.
                unsafe { ptr.as_ptr().add(len).write(value) };
                self.len = len + 1;
                return;
            }
        }
        (self.ptr, self.len) = Self::push_slow(ptr, len, value);
    }

    /// `push`'s fast path for a caller with its own bound on the length
    /// (`PagedCowVec`'s tail stops at a page): writes `value` in place if
    /// the buffer is unique and `len < min(cap, limit)`, else hands it
    /// back. The bound and the capacity are one compare, against their
    /// minimum (a `cmov`), so a caller's push loop has four branches per
    /// element where checking the bound and then calling `push` made five
    /// (`PagedCowVec` push of 100k u64, interleaved: 1.85-1.95x `Vec` ->
    /// 1.40-1.47x).
    #[inline]
    pub(crate) fn push_within(&mut self, limit: usize, value: T) -> Result<(), T> {
        let (ptr, len) = (self.ptr, self.len);
        if let Some(h) = self.header() {
            if len < h.cap.min(limit) && h.count.is_unique() {
                // SAFETY: as in `push`: a unique buffer with room, slot
                // `len` in bounds and uninitialized.
                unsafe { ptr.as_ptr().add(len).write(value) };
                self.len = len + 1;
                return Ok(());
            }
        }
        Err(value)
    }

    /// `copy_to_unique(len)` on a handle given by its words: returns the
    /// new buffer's pointer, which the caller stores without dropping the
    /// old handle (the copy let it go). Out of line, and never through
    /// `&mut self`, so that the callers' fast paths keep the handle in
    /// registers.
    #[cold]
    #[inline(never)]
    fn unshare(ptr: NonNull<T>, len: usize) -> NonNull<T> {
        // A stand-in for the caller's handle, never dropped: if `T::clone`
        // panics, the caller's handle still owns the untouched buffer.
        let mut this = ManuallyDrop::new(CowVec {
            ptr,
            len,
            _owns: PhantomData,
        });
        this.copy_to_unique(len);
        this.ptr
    }

    /// `push` when the buffer is full, shared or absent: takes the handle's
    /// two words and returns the new ones, which the caller stores without
    /// dropping the old handle.
    #[cold]
    #[inline(never)]
    fn push_slow(ptr: NonNull<T>, len: usize, value: T) -> (NonNull<T>, usize) {
        // A stand-in for the caller's handle, never dropped: if `T::clone`
        // panics in the copy, the buffer is untouched and the caller's
        // handle, which still holds these words, goes on owning it. Once
        // `reserve_unique` returns, `this` owns the new buffer (the old one
        // let go by `copy_to_unique`), and the caller takes its words.
        let mut this = ManuallyDrop::new(CowVec {
            ptr,
            len,
            _owns: PhantomData,
        });
        let needed = len.checked_add(1).unwrap_or_else(|| capacity_overflow());
        this.reserve_unique(needed);
        // SAFETY: as in `push`: unique, with room for one more.
        unsafe { this.ptr.as_ptr().add(len).write(value) };
        (this.ptr, len + 1)
    }

    /// Removes the last element and returns it. A shared buffer is copied
    /// first (the element returned is then a clone); an empty vector returns
    /// `None` without copying.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1, 2];
    /// assert_eq!(v.pop(), Some(2));
    /// assert_eq!(v.pop(), Some(1));
    /// assert_eq!(v.pop(), None);
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        let (mut ptr, len) = (self.ptr, self.len);
        if len == 0 {
            return None;
        }
        // SAFETY: `len > 0`, so the buffer is allocated (field invariant)
        // and its header is live while this handle exists.
        if !unsafe { &*self.header_ptr() }.count.is_unique() {
            // As in `push`: the copy takes and returns the handle's words.
            ptr = Self::unshare(ptr, len);
            self.ptr = ptr;
        }
        self.len = len - 1;
        // SAFETY: unique; slot `len - 1` was initialized and is now outside
        // the length, so it is moved out exactly once.
        Some(unsafe { ptr.as_ptr().add(len - 1).read() })
    }

    /// Inserts `value` at `index`, shifting the rest to the right.
    ///
    /// # Panics
    ///
    /// If `index > len`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1, 3];
    /// v.insert(1, 2);
    /// assert_eq!(v, [1, 2, 3]);
    /// ```
    #[track_caller]
    pub fn insert(&mut self, index: usize, value: T) {
        let len = self.len;
        if index > len {
            panic!("insertion index (is {index}) should be <= len (is {len})");
        }
        let needed = len.checked_add(1).unwrap_or_else(|| capacity_overflow());
        self.reserve_unique(needed);
        // SAFETY: unique with room for `len + 1`; `index <= len`, so the
        // shifted range `[index, len)` moves to `[index + 1, len + 1)`, in
        // bounds, and slot `index` is then written once.
        unsafe {
            let p = self.ptr.as_ptr().add(index);
            ptr::copy(p, p.add(1), len - index);
            p.write(value);
        }
        self.len = len + 1;
    }

    /// Removes and returns the element at `index`, shifting the rest left.
    ///
    /// # Panics
    ///
    /// If `index >= len`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1, 2, 3];
    /// assert_eq!(v.remove(0), 1);
    /// assert_eq!(v, [2, 3]);
    /// ```
    #[track_caller]
    pub fn remove(&mut self, index: usize) -> T {
        let len = self.len;
        if index >= len {
            panic!("removal index (is {index}) should be < len (is {len})");
        }
        self.reserve_unique(len);
        // SAFETY: unique; `index < len`: the element is read out once, then
        // `[index + 1, len)` is shifted over it and the length lowered.
        unsafe {
            let p = self.ptr.as_ptr().add(index);
            let out = p.read();
            ptr::copy(p.add(1), p, len - index - 1);
            self.len = len - 1;
            out
        }
    }

    /// Removes and returns the element at `index`, replacing it with the
    /// last one. O(1) on a unique buffer.
    ///
    /// # Panics
    ///
    /// If `index >= len`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1, 2, 3, 4];
    /// assert_eq!(v.swap_remove(0), 1);
    /// assert_eq!(v, [4, 2, 3]);
    /// ```
    #[track_caller]
    pub fn swap_remove(&mut self, index: usize) -> T {
        let len = self.len;
        if index >= len {
            panic!("swap_remove index (is {index}) should be < len (is {len})");
        }
        self.reserve_unique(len);
        // SAFETY: unique; `index < len`: the element is read out once and
        // the last element moved into its slot (a no-op copy if they are the
        // same), then the length lowered so the last slot is not seen again.
        unsafe {
            let base = self.ptr.as_ptr();
            let out = base.add(index).read();
            ptr::copy(base.add(len - 1), base.add(index), 1);
            self.len = len - 1;
            out
        }
    }

    /// Shortens the vector to `len` elements; does nothing if it is not
    /// longer. A shared buffer is copied with only the elements kept.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1, 2, 3];
    /// let b = a.clone();
    /// a.truncate(1);                    // shared: clones just the 1
    /// assert_eq!(a, [1]);
    /// assert_eq!(b, [1, 2, 3]);
    /// ```
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        if self.is_unique() {
            self.truncate_unique(len);
        } else if len == 0 {
            *self = CowVec::new();
        } else {
            *self = CowVec::clone_from_slice_with_capacity(&self[..len], len);
        }
    }

    /// Appends clones of the elements of `other`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1];
    /// v.extend_from_slice(&[2, 3]);
    /// assert_eq!(v, [1, 2, 3]);
    /// ```
    pub fn extend_from_slice(&mut self, other: &[T]) {
        if other.is_empty() {
            return;
        }
        let needed = self
            .len
            .checked_add(other.len())
            .unwrap_or_else(|| capacity_overflow());
        self.reserve_unique(needed);
        // SAFETY: unique with room for `needed`; the slice covers exactly the
        // uninitialized slots `[len, needed)`. `other` cannot point into them:
        // they are past our length, and no other handle shares this buffer.
        let spare = unsafe {
            slice::from_raw_parts_mut(
                self.ptr.as_ptr().add(self.len).cast::<MaybeUninit<T>>(),
                other.len(),
            )
        };
        // On a panicking clone, drops what it cloned; our length is unchanged.
        spare.write_clone_of_slice(other);
        self.len = needed;
    }

    /// Makes sure at least `additional` more elements fit without another
    /// allocation. On a shared buffer this is the one copy, sized for the
    /// result; `reserve(0)` does nothing.
    ///
    /// # Panics
    ///
    /// If the buffer would exceed `isize::MAX` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1];
    /// v.reserve(10);
    /// assert!(v.capacity() >= 11);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        if additional == 0 {
            // Nothing to make room for: no copy even if shared (as `Vec`).
            return;
        }
        let needed = self
            .len
            .checked_add(additional)
            .unwrap_or_else(|| capacity_overflow());
        self.reserve_unique(needed);
    }

    /// Keeps the elements for which `f` returns `true`, in order.
    ///
    /// On a shared buffer only the kept elements are cloned, into a new
    /// buffer. If `f` panics, the vector is left valid (on a unique buffer,
    /// with the elements already removed gone and the rest kept).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1, 2, 3, 4];
    /// v.retain(|x| x % 2 == 0);
    /// assert_eq!(v, [2, 4]);
    /// ```
    pub fn retain<F: FnMut(&T) -> bool>(&mut self, mut f: F) {
        if self.len == 0 {
            return;
        }
        if !self.is_unique() {
            let mut kept = CowVec::<T>::allocate(self.len);
            for x in self.as_slice() {
                if f(x) {
                    // The length is raised after the write, so a panic in
                    // `clone` or `f` drops only what was written.
                    // SAFETY: `kept` is unique with room for `self.len`
                    // elements and holds fewer: the slot is in bounds.
                    unsafe { kept.ptr.as_ptr().add(kept.len).write(x.clone()) };
                    kept.len += 1;
                }
            }
            *self = if kept.len == 0 { CowVec::new() } else { kept };
            return;
        }
        self.retain_unique(|x| f(x));
    }

    /// Resizes to `new_len`: truncates, or appends clones of `value` (the
    /// last one is `value` itself).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1];
    /// v.resize(3, 0);
    /// assert_eq!(v, [1, 0, 0]);
    /// v.resize(2, 9);
    /// assert_eq!(v, [1, 0]);
    /// ```
    pub fn resize(&mut self, new_len: usize, value: T) {
        let len = self.len;
        if new_len <= len {
            self.truncate(new_len);
            return;
        }
        self.reserve_unique(new_len);
        let base = self.ptr.as_ptr();
        for i in len..new_len - 1 {
            // SAFETY: unique with room for `new_len`; slot `i` is past the
            // length, uninitialized; the length is raised after each write,
            // so a panicking `clone` leaves a valid vector.
            unsafe { base.add(i).write(value.clone()) };
            self.len = i + 1;
        }
        // SAFETY: as above, for the last slot, which gets `value` itself.
        unsafe { base.add(new_len - 1).write(value) };
        self.len = new_len;
    }

    /// Turns the vector into a `Vec`: moves the elements if the buffer is
    /// unique, clones them if it is shared.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = arcow::cow_vec![1, 2];
    /// let b = a.clone();
    /// assert_eq!(a.into_vec(), vec![1, 2]);   // shared: clones
    /// assert_eq!(b.into_vec(), vec![1, 2]);   // unique now: moves
    /// ```
    pub fn into_vec(self) -> Vec<T> {
        if self.is_unique() {
            self.move_into_vec()
        } else {
            self.as_slice().to_vec()
        }
    }
}

/// The indices a `RangeBounds` covers in a vector of `len`, with the panics
/// and messages of slice indexing (as `Vec::drain` and friends).
#[track_caller]
fn range_of<R: RangeBounds<usize>>(range: R, len: usize) -> Range<usize> {
    // The checks in `slice::range`'s order: the end, the start, then both.
    let end = match range.end_bound() {
        Bound::Included(&e) => match e.checked_add(1) {
            Some(e) => e,
            None => panic!("range end index {e} out of range for slice of length {len}"),
        },
        Bound::Excluded(&e) => e,
        Bound::Unbounded => len,
    };
    if end > len {
        panic!("range end index {end} out of range for slice of length {len}");
    }
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => match s.checked_add(1) {
            Some(s) => s,
            None => panic!("range start index {s} out of range for slice of length {len}"),
        },
        Bound::Unbounded => 0,
    };
    if start > len {
        panic!("range start index {start} out of range for slice of length {len}");
    }
    if start > end {
        panic!("slice index starts at {start} but ends at {end}");
    }
    start..end
}

impl<T: Clone> CowVec<T> {
    /// Removes the elements in `range` and returns them as an iterator. The
    /// elements after the range close the gap when the iterator is dropped;
    /// the ones it did not yield are dropped with it.
    ///
    /// On a unique buffer: in place, as `Vec::drain` (the elements are moved
    /// out). On a shared one: the one copy holds only the elements kept
    /// (one allocation of exactly that many, each cloned once), and the
    /// iterator clones the drained elements out of the old buffer as it
    /// yields them, so those never yielded are never cloned. An empty range
    /// copies nothing.
    ///
    /// If the iterator is leaked (`mem::forget`), the vector may lose the
    /// elements after the range (never unsafely), as `Vec`'s does.
    ///
    /// # Panics
    ///
    /// If the start of the range is after its end or its end after `len`,
    /// with slice indexing's messages; the vector is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1, 2, 3, 4, 5];
    /// let b = a.clone();
    /// // Shared: clones 1 and 5 into a new buffer; 2, 3, 4 are cloned as
    /// // they are yielded.
    /// let middle: Vec<i32> = a.drain(1..4).collect();
    /// assert_eq!(middle, [2, 3, 4]);
    /// assert_eq!(a, [1, 5]);
    /// assert_eq!(b, [1, 2, 3, 4, 5]);
    /// a.drain(..1);                     // unique now: in place
    /// assert_eq!(a, [5]);
    /// ```
    #[track_caller]
    pub fn drain<R: RangeBounds<usize>>(&mut self, range: R) -> Drain<'_, T> {
        let range = range_of(range, self.len);
        self.drain_range(range, 0, false)
    }

    /// The `Drain` of `range` (checked), for `drain` and `splice`.
    ///
    /// An empty range with `for_splice` false leaves the vector alone. A
    /// shared buffer is otherwise replaced by a copy of the elements kept,
    /// with `gap` free slots between the head and the tail for a splice's
    /// replacement. A unique buffer is drained in place.
    fn drain_range(&mut self, range: Range<usize>, gap: usize, for_splice: bool) -> Drain<'_, T> {
        let len = self.len;
        let Range { start, end } = range;
        debug_assert!(start <= end && end <= len);
        if start == end && !for_splice {
            // Nothing to take out and no tail to move: the length stays.
            return Drain::new(self, start..start, len, 0, None);
        }
        let tail_len = len - end;
        if self.is_unique() {
            // The iterator owns `[start, end)` and the tail waits past the
            // length: a leaked `Drain` leaks them, never exposes them.
            self.len = start;
            return Drain::new(self, range, end, tail_len, None);
        }
        // Shared: copy only the elements kept and let the iterator clone
        // the drained ones as it yields them, rather than copy everything
        // and drain the copy in place. Measured (release, medians of 31
        // interleaved rounds, this over copy-all): 100k `u64`, half drained
        // and yielded 0.71x, none yielded 0.35x, all 0.74x; 10k `String`s
        // 0.77x, 0.57x, 0.81x; ten of 10k `String`s drained 1.04x (both
        // clone nearly everything: noise).
        let cap = (start + tail_len)
            .checked_add(gap)
            .unwrap_or_else(|| capacity_overflow());
        let tail_at = start + gap;
        let fresh = if cap == 0 {
            CowVec::new()
        } else {
            let mut fresh = CowVec::<T>::allocate(cap);
            // SAFETY: `fresh` is unique with room for `cap >= start` elements,
            // all uninitialized; the slice covers exactly the first `start`.
            let head = unsafe {
                slice::from_raw_parts_mut(fresh.ptr.as_ptr().cast::<MaybeUninit<T>>(), start)
            };
            // Drops its partial work on a panic; `fresh` then frees.
            head.write_clone_of_slice(&self[..start]);
            fresh.len = start;
            // SAFETY: `[tail_at, tail_at + tail_len)` is within `cap`, past
            // the length, uninitialized and disjoint from the head.
            let tail = unsafe {
                slice::from_raw_parts_mut(
                    fresh.ptr.as_ptr().add(tail_at).cast::<MaybeUninit<T>>(),
                    tail_len,
                )
            };
            // On a panic: drops the tail's clones; `fresh` (of length
            // `start`) drops the head and frees. `self` is untouched.
            tail.write_clone_of_slice(&self[end..]);
            fresh
        };
        // The copy is complete: only now is the old handle let go of, into
        // the iterator, which clones the drained elements out of it.
        let old = mem::replace(self, fresh);
        Drain::new(self, range, tail_at, tail_len, Some(old))
    }

    /// Replaces the elements in `range` with the items of `replace_with`,
    /// and returns the removed elements as an iterator. The replacement
    /// happens when the iterator is dropped (as `Vec::splice`), even if it
    /// was not consumed.
    ///
    /// On a unique buffer: in place, as `Vec::splice`. On a shared one: one
    /// copy of the elements kept, into a buffer with room for them and the
    /// replacement's lower size hint; the removed elements are cloned out of
    /// the old buffer only as they are yielded. A splice on a shared buffer
    /// copies even if it changes nothing.
    ///
    /// # Panics
    ///
    /// As [`drain`](CowVec::drain), for a bad range; the vector is then
    /// unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1, 2, 3, 4];
    /// let b = a.clone();
    /// // Shared: clones 1 and 4 into a buffer with room for two more; the
    /// // removed 2 and 3 are cloned as the iterator yields them.
    /// let removed: Vec<i32> = a.splice(1..3, [7, 8, 9]).collect();
    /// assert_eq!(removed, [2, 3]);
    /// assert_eq!(a, [1, 7, 8, 9, 4]);
    /// assert_eq!(b, [1, 2, 3, 4]);
    /// a.splice(..1, []);                // unique now: in place
    /// assert_eq!(a, [7, 8, 9, 4]);
    /// ```
    #[track_caller]
    pub fn splice<R, I>(&mut self, range: R, replace_with: I) -> Splice<'_, I::IntoIter>
    where
        R: RangeBounds<usize>,
        I: IntoIterator<Item = T>,
    {
        let range = range_of(range, self.len);
        let replace_with = replace_with.into_iter();
        let (lower, _) = replace_with.size_hint();
        Splice::new(self.drain_range(range, lower, true), replace_with)
    }

    /// Moves all the elements of `other` to the end of `self`, leaving
    /// `other` empty.
    ///
    /// A shared `self` is copied once, with room for the result. A unique
    /// `other` gives its elements up by a move (and keeps its capacity); a
    /// shared one is cloned and let go of. An empty `self` without room (or
    /// shared) simply takes `other`'s buffer: no copy at all.
    ///
    /// # Panics
    ///
    /// If the buffer would exceed `isize::MAX` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1, 2];
    /// let mut b = arcow::cow_vec![3, 4];
    /// let snapshot = a.clone();
    /// a.append(&mut b);                 // `a` shared: one copy; `b` moved
    /// assert_eq!(a, [1, 2, 3, 4]);
    /// assert!(b.is_empty());
    /// assert_eq!(snapshot, [1, 2]);
    /// ```
    pub fn append(&mut self, other: &mut CowVec<T>) {
        let n = other.len;
        if n == 0 {
            return;
        }
        if self.len == 0 && (self.buf_cap() < n || !self.is_unique()) {
            *self = mem::take(other);
            return;
        }
        let len = self.len;
        let needed = len.checked_add(n).unwrap_or_else(|| capacity_overflow());
        self.reserve_unique(needed);
        // SAFETY: `self` is unique with room for `needed`: `[len, needed)` is
        // uninitialized and no other handle (`other` included: it is a
        // different handle, and after the copy above a different buffer or
        // one it shares with others, never ours) can reach it.
        let spare = unsafe {
            slice::from_raw_parts_mut(self.ptr.as_ptr().add(len).cast::<MaybeUninit<T>>(), n)
        };
        if other.is_unique() {
            // `other`'s length first: its elements move to us.
            other.len = 0;
            // SAFETY: `other` is unique, so `[0, n)` of its buffer belong to
            // it alone and are now outside its length: each moves once, into
            // our distinct buffer.
            unsafe { ptr::copy_nonoverlapping(other.ptr.as_ptr(), spare.as_mut_ptr().cast(), n) };
        } else {
            // Drops its partial work on a panic; both lengths unchanged.
            spare.write_clone_of_slice(other.as_slice());
            *other = CowVec::new();
        }
        self.len = needed;
    }

    /// Splits the vector in two at `at`: returns the elements `[at, len)`
    /// and keeps `[0, at)`.
    ///
    /// On a unique buffer the tail moves into a new buffer of exactly its
    /// length and `self` keeps its capacity. On a shared one each element is
    /// cloned once: the tail into the returned vector, the head into a copy
    /// of exactly `at` (`split_off(0)` returns the shared buffer itself and
    /// `split_off(len)` copies nothing).
    ///
    /// # Panics
    ///
    /// If `at > len`, with the vector unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1, 2, 3];
    /// let b = a.clone();
    /// let tail = a.split_off(1);        // shared: clones 1, and 2, 3
    /// assert_eq!((a.as_slice(), tail.as_slice()), (&[1][..], &[2, 3][..]));
    /// assert_eq!(b, [1, 2, 3]);
    /// ```
    #[track_caller]
    #[must_use = "use `.truncate()` if you don't need the other half"]
    pub fn split_off(&mut self, at: usize) -> CowVec<T> {
        let len = self.len;
        if at > len {
            panic!("`at` split index (is {at}) should be <= len (is {len})");
        }
        if at == len {
            return CowVec::new();
        }
        if self.is_unique() {
            let n = len - at;
            let mut other = CowVec::<T>::allocate(n);
            // Length first: the tail belongs to `other` from here on.
            self.len = at;
            // SAFETY: unique: `[at, len)` are initialized, now outside our
            // length, and move once into `other`'s fresh, distinct buffer.
            unsafe { ptr::copy_nonoverlapping(self.ptr.as_ptr().add(at), other.ptr.as_ptr(), n) };
            other.len = n;
            return other;
        }
        if at == 0 {
            return mem::take(self);
        }
        let other = CowVec::clone_from_slice_with_capacity(&self[at..], len - at);
        // A panic here drops `other` and leaves `self` as it was.
        self.truncate(at);
        other
    }

    /// Removes consecutive equal elements, keeping the first of each run.
    ///
    /// On a unique buffer: in place. On a shared one, only the elements
    /// kept are cloned (into one buffer with room for `len - 1`), and if
    /// there is nothing to remove nothing is copied at all.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1, 1, 2, 2, 2, 3];
    /// let b = a.clone();
    /// a.dedup();                        // shared: clones 1, 2, 3 only
    /// assert_eq!(a, [1, 2, 3]);
    /// a.dedup();                        // nothing to remove: no copy
    /// assert_eq!(b.len(), 6);
    /// ```
    pub fn dedup(&mut self)
    where
        T: PartialEq,
    {
        let len = self.len;
        if len <= 1 {
            return;
        }
        if self.is_unique() {
            self.dedup_by_unique(|a, b| a == b);
            return;
        }
        let s = self.as_slice();
        // `a == b` with `a` the later element, as `Vec::dedup`.
        let Some(first_dup) = (1..len).find(|&i| s[i] == s[i - 1]) else {
            return;
        };
        let mut fresh = CowVec::<T>::allocate(len - 1);
        // SAFETY: `fresh` is unique with room for `len - 1 >= first_dup`
        // uninitialized elements; the slice covers the first `first_dup`.
        let head = unsafe {
            slice::from_raw_parts_mut(fresh.ptr.as_ptr().cast::<MaybeUninit<T>>(), first_dup)
        };
        head.write_clone_of_slice(&s[..first_dup]);
        fresh.len = first_dup;
        let mut last = first_dup - 1;
        for (i, x) in s.iter().enumerate().skip(first_dup + 1) {
            if *x == s[last] {
                continue;
            }
            // The length is raised after the write, so a panic in `eq` or
            // `clone` drops only what was written (and frees `fresh`).
            // SAFETY: at most `len - 1` elements are kept (one was a
            // duplicate), so slot `fresh.len` is within the capacity.
            unsafe { fresh.ptr.as_ptr().add(fresh.len).write(x.clone()) };
            fresh.len += 1;
            last = i;
        }
        *self = fresh;
    }

    /// Removes consecutive elements that map to the same key, keeping the
    /// first of each run.
    ///
    /// `key` gets `&mut T`, so a shared buffer is copied whole first (one
    /// allocation of exactly `len`), then the run is removed in place.
    /// Prefer [`dedup`](CowVec::dedup) on shared vectors: it clones only
    /// what it keeps.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::cow_vec![10, 11, 20, 21, 30];
    /// v.dedup_by_key(|x| *x / 10);      // unique: in place
    /// assert_eq!(v, [10, 20, 30]);
    /// ```
    pub fn dedup_by_key<F, K>(&mut self, mut key: F)
    where
        F: FnMut(&mut T) -> K,
        K: PartialEq,
    {
        self.dedup_by(|a, b| key(a) == key(b))
    }

    /// Removes consecutive elements for which `same_bucket(later, kept)`
    /// returns `true`, keeping the first of each run.
    ///
    /// `same_bucket` gets `&mut T` to both, so a shared buffer is copied
    /// whole first (one allocation of exactly `len`), then the run is
    /// removed in place. If `same_bucket` or a `Drop` panics, the vector is
    /// left valid, with the elements not yet looked at kept.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec!["a", "A", "b"];
    /// let b = a.clone();
    /// a.dedup_by(|x, y| x.eq_ignore_ascii_case(y)); // shared: copies all
    /// assert_eq!(a, ["a", "b"]);
    /// assert_eq!(b, ["a", "A", "b"]);
    /// ```
    pub fn dedup_by<F>(&mut self, same_bucket: F)
    where
        F: FnMut(&mut T, &mut T) -> bool,
    {
        if self.len <= 1 {
            return;
        }
        self.reserve_unique(self.len);
        self.dedup_by_unique(same_bucket);
    }

    /// Appends clones of the elements in `src`, a range of the vector
    /// itself.
    ///
    /// A shared buffer is copied once (with room for the result), then the
    /// range is cloned from the copy.
    ///
    /// # Panics
    ///
    /// As [`drain`](CowVec::drain), for a bad range; if the buffer would
    /// exceed `isize::MAX` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1, 2, 3];
    /// let b = a.clone();
    /// a.extend_from_within(1..);        // shared: one copy, with room
    /// assert_eq!(a, [1, 2, 3, 2, 3]);
    /// assert_eq!(b, [1, 2, 3]);
    /// ```
    #[track_caller]
    pub fn extend_from_within<R: RangeBounds<usize>>(&mut self, src: R) {
        let len = self.len;
        let Range { start, end } = range_of(src, len);
        let n = end - start;
        if n == 0 {
            return;
        }
        let needed = len.checked_add(n).unwrap_or_else(|| capacity_overflow());
        self.reserve_unique(needed);
        let base = self.ptr.as_ptr();
        // SAFETY: unique with room for `needed`: `[start, end)` are
        // initialized elements below `len`, `[len, needed)` uninitialized
        // slots past it; the two slices are disjoint and nothing else
        // refers to either.
        let (from, spare) = unsafe {
            (
                slice::from_raw_parts(base.add(start), n),
                slice::from_raw_parts_mut(base.add(len).cast::<MaybeUninit<T>>(), n),
            )
        };
        // Drops its partial work on a panic; our length is unchanged.
        spare.write_clone_of_slice(from);
        self.len = needed;
    }

    /// Keeps the elements for which `f` returns `true`, in order, giving
    /// `f` a `&mut T` it may change the element through.
    ///
    /// `f` gets `&mut T`, so a shared buffer is copied whole first (one
    /// allocation of exactly `len`); prefer [`retain`](CowVec::retain) on
    /// shared vectors, which clones only what it keeps. If `f` panics, the
    /// elements already removed are gone and the rest kept.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1, 2, 3, 4];
    /// v.retain_mut(|x| {                // unique: in place
    ///     *x *= 10;
    ///     *x != 20
    /// });
    /// assert_eq!(v, [10, 30, 40]);
    /// ```
    pub fn retain_mut<F: FnMut(&mut T) -> bool>(&mut self, f: F) {
        if self.len == 0 {
            return;
        }
        self.reserve_unique(self.len);
        self.retain_unique(f);
    }

    /// Resizes to `new_len`: truncates, or appends the values `f` returns.
    ///
    /// Growing a shared buffer copies it once, with room for `new_len`;
    /// shrinking one copies only the elements kept (as
    /// [`truncate`](CowVec::truncate)).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1];
    /// let b = a.clone();
    /// let mut n = 1;
    /// a.resize_with(3, || { n += 1; n }); // shared: one copy, with room
    /// assert_eq!(a, [1, 2, 3]);
    /// assert_eq!(b, [1]);
    /// ```
    pub fn resize_with<F: FnMut() -> T>(&mut self, new_len: usize, mut f: F) {
        let len = self.len;
        if new_len <= len {
            self.truncate(new_len);
            return;
        }
        self.reserve_unique(new_len);
        let base = self.ptr.as_ptr();
        for i in len..new_len {
            let value = f();
            // SAFETY: unique with room for `new_len`; slot `i` is past the
            // length, uninitialized; the length is raised after each write,
            // so a panicking `f` leaves a valid vector.
            unsafe { base.add(i).write(value) };
            self.len = i + 1;
        }
    }

    /// Removes and returns the last element if `predicate` returns `true`
    /// for it.
    ///
    /// `predicate` gets `&mut T`, so a shared buffer is copied whole first
    /// (one allocation of exactly `len`; the element returned is then a
    /// clone). An empty vector returns `None` without copying or calling
    /// `predicate`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1, 2, 4];
    /// assert_eq!(v.pop_if(|x| *x % 2 == 0), Some(4));
    /// assert_eq!(v.pop_if(|x| *x > 2), None);
    /// assert_eq!(v, [1, 2]);
    /// ```
    pub fn pop_if(&mut self, predicate: impl FnOnce(&mut T) -> bool) -> Option<T> {
        let len = self.len;
        if len == 0 {
            return None;
        }
        self.reserve_unique(len);
        // SAFETY: unique now; `len - 1` is an initialized element, and
        // `&mut self` gives exclusive access to it.
        let last = unsafe { &mut *self.ptr.as_ptr().add(len - 1) };
        if !predicate(last) {
            return None;
        }
        self.len = len - 1;
        // SAFETY: unique; slot `len - 1` is initialized and now outside the
        // length, so it is moved out exactly once.
        Some(unsafe { self.ptr.as_ptr().add(len - 1).read() })
    }

    /// Makes sure exactly `additional` more elements fit: a buffer that
    /// grows gets room for `len + additional`, no more. On a shared buffer
    /// this is the one copy, of exactly that capacity; `reserve_exact(0)`
    /// does nothing.
    ///
    /// # Panics
    ///
    /// If the buffer would exceed `isize::MAX` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1];
    /// let b = a.clone();
    /// a.reserve_exact(9);               // shared: one copy, of capacity 10
    /// assert_eq!(a.capacity(), 10);
    /// assert_eq!(b, [1]);
    /// ```
    pub fn reserve_exact(&mut self, additional: usize) {
        if additional == 0 {
            return;
        }
        let needed = self
            .len
            .checked_add(additional)
            .unwrap_or_else(|| capacity_overflow());
        match self.header() {
            Some(h) if !h.count.is_unique() => {
                *self = CowVec::clone_from_slice_with_capacity(self.as_slice(), needed);
            }
            Some(h) if needed <= h.cap => {}
            Some(_) => self.realloc_unique(needed),
            None => *self = CowVec::allocate(needed),
        }
    }

    /// [`reserve`](CowVec::reserve) that reports an overflow or a failed
    /// allocation as an error instead of panicking or aborting; the vector
    /// is then unchanged. A shared buffer is copied once, sized as
    /// `reserve` sizes it.
    ///
    /// # Errors
    ///
    /// If `len + additional` elements would exceed `isize::MAX` bytes, or
    /// the allocator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1u8];
    /// let b = a.clone();
    /// assert!(a.try_reserve(10).is_ok()); // shared: one copy, with room
    /// assert!(a.capacity() >= 11);
    /// assert!(a.try_reserve(usize::MAX).is_err()); // no panic
    /// assert_eq!((a.len(), b.len()), (1, 1));
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        self.try_reserve_with(additional, false)
    }

    /// [`reserve_exact`](CowVec::reserve_exact) that reports an overflow or
    /// a failed allocation as an error instead of panicking or aborting;
    /// the vector is then unchanged. A shared buffer is copied once, of
    /// exactly `len + additional`.
    ///
    /// # Errors
    ///
    /// If `len + additional` elements would exceed `isize::MAX` bytes, or
    /// the allocator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = arcow::cow_vec![1u64];
    /// let b = a.clone();
    /// assert!(a.try_reserve_exact(3).is_ok()); // shared: one copy, of 4
    /// assert_eq!(a.capacity(), 4);
    /// assert!(a.try_reserve_exact(usize::MAX / 8).is_err());
    /// assert_eq!(b, [1]);
    /// ```
    pub fn try_reserve_exact(&mut self, additional: usize) -> Result<(), TryReserveError> {
        self.try_reserve_with(additional, true)
    }

    /// The body of `try_reserve` (`exact` false) and `try_reserve_exact`.
    fn try_reserve_with(&mut self, additional: usize, exact: bool) -> Result<(), TryReserveError> {
        if additional == 0 {
            return Ok(());
        }
        let needed = self.try_needed(additional)?;
        let cap = self.buf_cap();
        let new_cap = if exact || needed <= cap {
            needed
        } else {
            grow_amortized(cap, needed, mem::size_of::<T>())
        };
        match self.header() {
            Some(h) if !h.count.is_unique() => {
                // As `copy_to_unique` sizes it: the old capacity if it has
                // room (`reserve`), else the growth above.
                let new_cap = if exact { needed } else { new_cap.max(cap) };
                let mut fresh = CowVec::<T>::try_allocate(new_cap)?;
                // SAFETY: `fresh` is unique with room for `new_cap >= len`
                // uninitialized elements; the slice covers the first `len`.
                let spare = unsafe {
                    slice::from_raw_parts_mut(fresh.ptr.as_ptr().cast::<MaybeUninit<T>>(), self.len)
                };
                // Drops its partial work on a panic; `fresh` then frees.
                spare.write_clone_of_slice(self.as_slice());
                fresh.len = self.len;
                *self = fresh;
            }
            Some(h) if needed <= h.cap => {}
            Some(_) => self.try_realloc_unique(new_cap)?,
            None => *self = CowVec::try_allocate(new_cap)?,
        }
        Ok(())
    }

    /// Turns the vector into a boxed slice of exactly its length: moves the
    /// elements if the buffer is unique, clones them if it is shared (one
    /// allocation either way).
    ///
    /// # Examples
    ///
    /// ```
    /// let a = arcow::cow_vec![1, 2];
    /// let b = a.clone();
    /// let boxed: Box<[i32]> = a.into_boxed_slice(); // shared: clones
    /// assert_eq!(&*boxed, &[1, 2]);
    /// assert_eq!(&*b.into_boxed_slice(), &[1, 2]);  // unique now: moves
    /// ```
    pub fn into_boxed_slice(self) -> Box<[T]> {
        self.into_vec().into_boxed_slice()
    }
}

impl<T> CowVec<T> {
    /// `retain_mut` on a unique buffer, in place: the elements for which
    /// `f` returns `false` are dropped and the rest moved down. If `f` or a
    /// `Drop` panics, the elements removed so far are gone and the rest
    /// kept.
    ///
    /// Precondition: unique (or unallocated).
    fn retain_unique<F: FnMut(&mut T) -> bool>(&mut self, mut f: F) {
        debug_assert!(self.is_unique());
        /// Closes the gap left by removed elements, also on a panic.
        struct Gap<'a, T> {
            v: &'a mut CowVec<T>,
            processed: usize,
            deleted: usize,
            original_len: usize,
        }
        impl<T> Drop for Gap<'_, T> {
            fn drop(&mut self) {
                if self.deleted > 0 {
                    // SAFETY: `[processed, original_len)` are initialized and
                    // not yet looked at; they move down over the `deleted`
                    // slots before them, which hold nothing.
                    unsafe {
                        let base = self.v.ptr.as_ptr();
                        ptr::copy(
                            base.add(self.processed),
                            base.add(self.processed - self.deleted),
                            self.original_len - self.processed,
                        );
                    }
                }
                self.v.len = self.original_len - self.deleted;
            }
        }

        let original_len = self.len;
        // While we work, the length covers nothing, so a panic cannot expose
        // a moved-out slot; the guard sets the real length at the end.
        self.len = 0;
        let mut g = Gap {
            v: self,
            processed: 0,
            deleted: 0,
            original_len,
        };
        while g.processed < original_len {
            // SAFETY: `processed < original_len`: an initialized element
            // not yet moved or dropped.
            let cur = unsafe { g.v.ptr.as_ptr().add(g.processed) };
            // SAFETY: `cur` is initialized, and the buffer is unique: `f`
            // gets the only reference to it.
            if !f(unsafe { &mut *cur }) {
                // Count it as gone before dropping, so a panicking `Drop`
                // does not lead the guard to drop it again.
                g.processed += 1;
                g.deleted += 1;
                // SAFETY: `cur` is initialized and now outside every range
                // the guard will keep: dropped exactly once.
                unsafe { ptr::drop_in_place(cur) };
                continue;
            }
            if g.deleted > 0 {
                // SAFETY: the hole `processed - deleted` is vacant (its
                // element was dropped or moved) and distinct from `cur`.
                unsafe { ptr::copy_nonoverlapping(cur, cur.sub(g.deleted), 1) };
            }
            g.processed += 1;
        }
        // `g` drops here and sets the length.
    }

    /// Removes consecutive duplicates in place, as `Vec::dedup_by`.
    ///
    /// Precondition: unique, `len >= 2`.
    fn dedup_by_unique<F: FnMut(&mut T, &mut T) -> bool>(&mut self, mut same_bucket: F) {
        let len = self.len;
        debug_assert!(self.is_unique() && len >= 2);
        let base = self.ptr.as_ptr();
        // Leading elements with no duplicate stay where they are.
        let mut first_dup = 1;
        while first_dup != len {
            // SAFETY: `first_dup - 1 < first_dup < len`: two distinct
            // initialized elements of a unique buffer.
            let found =
                unsafe { same_bucket(&mut *base.add(first_dup), &mut *base.add(first_dup - 1)) };
            if found {
                break;
            }
            first_dup += 1;
        }
        if first_dup == len {
            return;
        }

        /// Closes the gap `[write, read)` and sets the length, also on a
        /// panic in `same_bucket` or a `Drop`.
        struct FillGap<'a, T> {
            v: &'a mut CowVec<T>,
            read: usize,
            write: usize,
            original_len: usize,
        }
        impl<T> Drop for FillGap<'_, T> {
            fn drop(&mut self) {
                let left = self.original_len - self.read;
                // SAFETY: `[read, original_len)` are initialized and not yet
                // looked at; they move down over the vacant `[write, read)`.
                unsafe {
                    let base = self.v.ptr.as_ptr();
                    ptr::copy(base.add(self.read), base.add(self.write), left);
                }
                self.v.len = self.write + left;
            }
        }

        // While we work the length covers nothing, so a panic cannot
        // expose a vacant slot; the guard sets the real length.
        self.len = 0;
        let mut g = FillGap {
            v: self,
            read: first_dup + 1,
            write: first_dup,
            original_len: len,
        };
        // SAFETY: `first_dup` is a duplicate, initialized; it is outside
        // what the guard keeps (`read` is past it), so dropped once, here.
        unsafe { ptr::drop_in_place(base.add(first_dup)) };
        while g.read < len {
            // SAFETY: `read < len` is initialized and not yet looked at;
            // `write - 1 < write <= read` is the last kept element.
            let cur = unsafe { base.add(g.read) };
            // SAFETY: as above: distinct initialized elements.
            let dup = unsafe { same_bucket(&mut *cur, &mut *base.add(g.write - 1)) };
            if dup {
                // Counted as gone before its drop: a panicking `Drop` is
                // not repeated by the guard.
                g.read += 1;
                // SAFETY: initialized, outside every range the guard keeps.
                unsafe { ptr::drop_in_place(cur) };
            } else {
                // SAFETY: `write < read`: the vacant slot `write` and `cur`
                // are distinct; `cur` moves once.
                unsafe { ptr::copy_nonoverlapping(cur, base.add(g.write), 1) };
                g.write += 1;
                g.read += 1;
            }
        }
        // `g` drops here: nothing left to move; sets the length to `write`.
    }

    /// Shrinks the capacity as far as `max(len, min_capacity)`, if it is
    /// above that. On a unique buffer: with `realloc` (or by freeing it, if
    /// it becomes 0). A shared buffer is left alone (a copy would only add
    /// memory: the other handles keep the old buffer), except that an empty
    /// vector lets go of it when asked to shrink to 0. Never clones.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::CowVec::with_capacity(10);
    /// v.extend_from_slice(&[1, 2, 3]);
    /// v.shrink_to(4);                   // unique: realloc
    /// assert!(v.capacity() >= 4 && v.capacity() < 10);
    /// let w = v.clone();
    /// v.shrink_to(0);                   // shared: nothing happens
    /// assert!(v.ptr_eq(&w));
    /// ```
    pub fn shrink_to(&mut self, min_capacity: usize) {
        let Some(h) = self.header() else {
            return;
        };
        let (cap, unique) = (h.cap, h.count.is_unique());
        if self.len == 0 && min_capacity == 0 {
            // Holds no element: letting go of the buffer drops nothing
            // (and frees it if unique).
            *self = CowVec::new();
            return;
        }
        let new_cap = self.len.max(min_capacity);
        if !unique || Self::IS_ZST || new_cap >= cap {
            return;
        }
        self.realloc_unique(new_cap);
    }

    /// Shrinks the capacity to the length, as [`shrink_to`](CowVec::shrink_to)
    /// with 0: a unique buffer is reallocated (or freed if empty); a
    /// shared one is left alone. Never clones.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::CowVec::with_capacity(10);
    /// v.push(1);
    /// v.shrink_to_fit();                // unique: realloc to 1
    /// assert_eq!(v.capacity(), 1);
    /// v.pop();
    /// v.shrink_to_fit();                // empty: the buffer is freed
    /// assert_eq!(v.capacity(), 0);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.shrink_to(0);
    }
}

impl<T> CowVec<T> {
    /// Gives up the handle as its two words, without touching the count:
    /// `CowStr`'s long form keeps them in its own layout.
    #[inline]
    pub(crate) fn into_raw_parts(self) -> (NonNull<T>, usize) {
        let this = ManuallyDrop::new(self);
        (this.ptr, this.len)
    }

    /// The handle whose two words `into_raw_parts` gave.
    ///
    /// # Safety
    ///
    /// `(ptr, len)` came from `into_raw_parts` and this handle is made from
    /// them at most once (or, if more than once, all but one are never
    /// dropped, as `ManuallyDrop` views).
    #[inline]
    pub(crate) unsafe fn from_raw_parts(ptr: NonNull<T>, len: usize) -> CowVec<T> {
        CowVec {
            ptr,
            len,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for CowVec<T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(h) = self.header() {
            if h.count.release() {
                // SAFETY: the count went from 1 to 0 and the Acquire fence
                // ran; `self` is gone after this.
                unsafe { self.drop_slow() }
            }
        }
    }
}

impl<T> Clone for CowVec<T> {
    /// O(1): one atomic increment (none for an empty vector). Needs no
    /// `T: Clone`.
    ///
    /// ```
    /// let a = arcow::cow_vec![String::from("x")];
    /// let b = a.clone();
    /// assert!(a.ptr_eq(&b));
    /// ```
    #[inline]
    fn clone(&self) -> CowVec<T> {
        if let Some(h) = self.header() {
            h.count.increment();
        }
        CowVec {
            ptr: self.ptr,
            len: self.len,
            _owns: PhantomData,
        }
    }
}

impl<T> Deref for CowVec<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> Default for CowVec<T> {
    /// An empty vector; allocates nothing.
    ///
    /// ```
    /// let v: arcow::CowVec<u8> = Default::default();
    /// assert_eq!(v.capacity(), 0);
    /// ```
    fn default() -> CowVec<T> {
        CowVec::new()
    }
}

/// Makes a [`CowVec`] as `vec!` makes a `Vec`.
///
/// `cow_vec![]` owns no allocation; `cow_vec![a, b, c]` moves the elements
/// in; `cow_vec![x; n]` clones `x` `n - 1` times.
///
/// # Examples
///
/// ```
/// use arcow::{cow_vec, CowVec};
///
/// let empty: CowVec<u8> = cow_vec![];
/// assert_eq!(empty.capacity(), 0);
/// assert_eq!(cow_vec![1, 2, 3], [1, 2, 3]);
/// assert_eq!(cow_vec![0u8; 4], [0, 0, 0, 0]);
/// ```
#[macro_export]
macro_rules! cow_vec {
    () => {
        $crate::CowVec::new()
    };
    ($elem:expr; $n:expr) => {{
        // `elem` first, then `n`, as `vec!` and `eco_vec!` evaluate them.
        let elem = $elem;
        let n: usize = $n;
        let mut v = $crate::CowVec::with_capacity(n);
        v.resize(n, elem);
        v
    }};
    ($($x:expr),+ $(,)?) => {
        $crate::CowVec::from([$($x),+])
    };
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::raw::Header;
    use super::*;

    #[test]
    fn header_is_two_words_and_offset_respects_alignment() {
        assert_eq!(mem::size_of::<Header>(), 2 * mem::size_of::<usize>());
        assert_eq!(CowVec::<u8>::OFFSET, 16);
        assert_eq!(CowVec::<u64>::OFFSET, 16);
        #[repr(align(64))]
        struct A64(#[allow(dead_code)] u8);
        assert_eq!(CowVec::<A64>::OFFSET, 64);
    }

    #[test]
    fn shared_copy_capacity_is_sized_for_the_result() {
        let mut a: CowVec<u32> = CowVec::with_capacity(4);
        a.extend_from_slice(&[1, 2, 3, 4]);
        let b = a.clone();
        a.make_mut()[0] = 9;
        assert_eq!(a.capacity(), 4, "make_mut copies exactly len");
        let c = a.clone();
        a.push(5);
        assert!(
            a.capacity() >= 8,
            "push on a shared, full vector grows in the copy"
        );
        assert_eq!((b[0], c.len()), (1, 4));
    }
}
