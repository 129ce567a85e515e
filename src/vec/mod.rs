//! [`CowVec<T>`]: a two-word growable vector whose buffer is shared by clones
//! and copied once, on the first write while shared.

use alloc::alloc::{alloc, dealloc, handle_alloc_error, realloc};
use alloc::vec::Vec;
use core::alloc::Layout;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::iter::FusedIterator;
use core::marker::PhantomData;
use core::mem::{self, ManuallyDrop, MaybeUninit};
use core::ops::Deref;
use core::panic::{RefUnwindSafe, UnwindSafe};
use core::ptr::{self, NonNull};
use core::slice;

use crate::refcount::RefCount;

mod into_iter;
mod traits;

pub use into_iter::IntoIter;

/// The header in front of the elements of an allocated buffer.
struct Header {
    count: RefCount,
    /// Invariant: the number of `T` the buffer has room for; `usize::MAX`
    /// for zero-sized `T`. Written only while the count is 1.
    cap: usize,
}

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

/// The smallest capacity a growing vector allocates, as `Vec` does: 8 for
/// 1-byte elements, 4 up to 1 KiB, 1 above.
const fn min_non_zero_cap(elem_size: usize) -> usize {
    if elem_size == 1 {
        8
    } else if elem_size <= 1024 {
        4
    } else {
        1
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn capacity_overflow() -> ! {
    panic!("arcow::CowVec: capacity overflow");
}

impl<T> CowVec<T> {
    /// Bytes from the start of the buffer to the first element.
    const OFFSET: usize = {
        let header = mem::size_of::<Header>();
        let align = mem::align_of::<T>();
        header.div_ceil(align) * align
    };

    /// Is `T` zero-sized? Then the buffer holds only the header and the
    /// capacity is `usize::MAX`.
    const IS_ZST: bool = mem::size_of::<T>() == 0;

    /// The layout of a buffer with room for `cap` elements; panics with a
    /// clear message if it would exceed `isize::MAX` bytes.
    fn layout(cap: usize) -> Layout {
        let array = match Layout::array::<T>(cap) {
            Ok(a) => a,
            Err(_) => capacity_overflow(),
        };
        match Layout::new::<Header>().extend(array) {
            Ok((layout, offset)) => {
                debug_assert_eq!(offset, Self::OFFSET);
                layout.pad_to_align()
            }
            Err(_) => capacity_overflow(),
        }
    }

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

    /// A new unique, empty buffer with room for `cap` elements (`cap > 0`,
    /// or any `cap` for a zero-sized `T`, which then gets `usize::MAX`).
    fn allocate(cap: usize) -> CowVec<T> {
        let cap = if Self::IS_ZST { usize::MAX } else { cap };
        debug_assert!(cap > 0);
        let layout = Self::layout(cap);
        // SAFETY: the layout is never zero-sized: it holds the header.
        let base = unsafe { alloc(layout) };
        if base.is_null() {
            handle_alloc_error(layout);
        }
        // SAFETY: `base` is a fresh allocation of `layout`, which starts with
        // room for a `Header`, aligned for it.
        unsafe {
            base.cast::<Header>().write(Header {
                count: RefCount::one(),
                cap,
            })
        };
        // SAFETY: `OFFSET` is within the allocation (it is where the element
        // array starts, per `Layout::extend`), so the result is in bounds and
        // not null.
        let ptr = unsafe { NonNull::new_unchecked(base.add(Self::OFFSET).cast::<T>()) };
        CowVec {
            ptr,
            len: 0,
            _owns: PhantomData,
        }
    }

    /// Does this handle own an allocation?
    #[inline]
    fn is_allocated(&self) -> bool {
        self.ptr != NonNull::dangling()
    }

    /// The header, if there is a buffer.
    #[inline]
    fn header(&self) -> Option<&Header> {
        if self.is_allocated() {
            // Only `&Header` is made: the count is atomic, and `cap` is
            // written only while unique, through `&mut self`.
            // SAFETY: field invariant: an allocated `ptr` has its live
            // `Header` `OFFSET` bytes before it, in the same allocation.
            Some(unsafe { &*self.header_ptr() })
        } else {
            None
        }
    }

    /// The header's address. Only meaningful when allocated.
    #[inline]
    fn header_ptr(&self) -> *mut Header {
        self.ptr
            .as_ptr()
            .cast::<u8>()
            .wrapping_sub(Self::OFFSET)
            .cast::<Header>()
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

    /// Drops the elements from `new_len` on, in place.
    ///
    /// Precondition: unique (or unallocated) and `new_len <= len`.
    fn truncate_unique(&mut self, new_len: usize) {
        debug_assert!(self.is_unique() && new_len <= self.len);
        let tail = new_len..self.len;
        // Length first: a panicking `Drop` below then leaves a valid vector.
        self.len = new_len;
        // SAFETY: `[new_len, old len)` were initialized and are now outside
        // the length, so they are dropped exactly once, here; the buffer is
        // unique, so no other handle sees them.
        unsafe {
            ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                self.ptr.as_ptr().add(tail.start),
                tail.len(),
            ))
        }
    }

    /// Makes room for `needed` elements in a buffer that is unique (or
    /// absent), growing by amortized doubling. Never copies elements one by
    /// one and needs no `Clone`.
    ///
    /// Precondition: `self.is_unique()`.
    #[inline]
    fn reserve_unique_owned(&mut self, needed: usize) {
        debug_assert!(self.is_unique());
        if needed > self.buf_cap() {
            self.grow_unique(needed);
        }
    }

    /// The buffer's capacity: 0 without a buffer (also for zero-sized `T`,
    /// which needs a header before it can hold elements).
    #[inline]
    fn buf_cap(&self) -> usize {
        self.header().map_or(0, |h| h.cap)
    }

    /// The growth path of a unique buffer: allocate or `realloc`.
    #[cold]
    #[inline(never)]
    fn grow_unique(&mut self, needed: usize) {
        let cap = self.buf_cap();
        let new_cap = grow_amortized(cap, needed, mem::size_of::<T>());
        if !self.is_allocated() {
            // (For a zero-sized `T` this allocates the header only.)
            *self = CowVec::allocate(new_cap);
            return;
        }
        // An allocated zero-sized `T` has capacity `usize::MAX`, which no
        // `needed` exceeds.
        debug_assert!(!Self::IS_ZST);
        let old_layout = Self::layout(cap);
        let new_layout = Self::layout(new_cap);
        // `realloc` moves the header and the initialized elements along.
        // SAFETY: the buffer is unique (precondition) and was allocated with
        // `old_layout` (its header holds `cap`); `new_layout` has the same
        // alignment and a non-zero size.
        let base = unsafe {
            realloc(
                self.header_ptr().cast::<u8>(),
                old_layout,
                new_layout.size(),
            )
        };
        if base.is_null() {
            handle_alloc_error(new_layout);
        }
        // SAFETY: `base` is the reallocated buffer: its header is at the
        // start, unique (we hold the only handle), so writing `cap` races
        // with nothing; the elements start `OFFSET` bytes in.
        unsafe {
            (*base.cast::<Header>()).cap = new_cap;
            self.ptr = NonNull::new_unchecked(base.add(Self::OFFSET).cast::<T>());
        }
    }

    /// Moves the elements into a new `Vec` without cloning them; used when
    /// the buffer is unique.
    fn move_into_vec(mut self) -> Vec<T> {
        debug_assert!(self.is_unique());
        let len = self.len;
        let mut out = Vec::with_capacity(len);
        // Length first: from here on `self` owns no elements, only the buffer.
        self.len = 0;
        // After the copy the elements belong to `out`; `self` (now of length
        // 0) only frees its buffer when dropped.
        // SAFETY: `[0, len)` are initialized and unique to us; `out` has room
        // for `len` elements and does not overlap our buffer.
        unsafe {
            ptr::copy_nonoverlapping(self.ptr.as_ptr(), out.as_mut_ptr(), len);
            out.set_len(len);
        }
        out
    }

    /// Frees the buffer after the count went to 0, dropping the elements.
    ///
    /// # Safety
    ///
    /// `self` is allocated, its count just went from 1 to 0 and the Acquire
    /// fence ran; `self` is not used afterwards.
    #[cold]
    #[inline(never)]
    unsafe fn drop_slow(&mut self) {
        /// Frees the buffer even if an element's `Drop` panics.
        struct Dealloc(*mut u8, Layout);
        impl Drop for Dealloc {
            fn drop(&mut self) {
                // SAFETY: the buffer was allocated with this layout and no
                // handle to it is left.
                unsafe { dealloc(self.0, self.1) }
            }
        }
        // SAFETY: per the contract the buffer is ours alone; its header is
        // live until the `Dealloc` below runs.
        let cap = unsafe { (*self.header_ptr()).cap };
        let _dealloc = Dealloc(self.header_ptr().cast::<u8>(), Self::layout(cap));
        // SAFETY: `[0, len)` are initialized and nobody else can see them; a
        // panic in one element's drop still drops the rest (slice drop glue)
        // and then `_dealloc` frees the buffer.
        unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len)) }
    }
}

/// Amortized growth, as `Vec` does: at least double, at least `needed`, at
/// least the minimum non-zero capacity.
#[inline]
fn grow_amortized(cap: usize, needed: usize, elem_size: usize) -> usize {
    needed
        .max(cap.saturating_mul(2))
        .max(min_non_zero_cap(elem_size))
}

impl<T: Clone> CowVec<T> {
    /// Makes this handle the only one to a buffer with room for `needed`
    /// elements. On a shared buffer this is the one copy: into a fresh
    /// buffer, sized for the result (see `copy_to_unique`).
    #[inline]
    fn reserve_unique(&mut self, needed: usize) {
        match self.header() {
            Some(h) if !h.count.is_unique() => self.copy_to_unique(needed),
            Some(h) if needed <= h.cap => {}
            _ => self.grow_unique(needed),
        }
    }

    /// The copy of a shared buffer, out of line. The new capacity is
    /// `needed` if the write does not grow the vector (`make_mut`), the old
    /// capacity if that has room for the result, and amortized growth
    /// beyond it otherwise, so a push on a shared, full vector copies into
    /// an already-grown buffer.
    #[cold]
    #[inline(never)]
    fn copy_to_unique(&mut self, needed: usize) {
        let cap = self.buf_cap();
        let new_cap = if needed > cap {
            grow_amortized(cap, needed, mem::size_of::<T>())
        } else if needed > self.len {
            cap
        } else {
            needed.max(1)
        };
        let fresh = CowVec::clone_from_slice_with_capacity(self.as_slice(), new_cap);
        // The copy is complete: only now is the old handle let go.
        *self = fresh;
    }

    /// A new unique vector holding clones of `src`, with room for `cap`.
    ///
    /// If a `T::clone` panics, the clones made so far are dropped and the
    /// new buffer is freed; `src` is untouched.
    fn clone_from_slice_with_capacity(src: &[T], cap: usize) -> CowVec<T> {
        debug_assert!(cap >= src.len());
        let mut fresh = CowVec::<T>::allocate(cap);
        // SAFETY: the buffer has room for `cap >= src.len()` elements, all
        // uninitialized; the slice of `MaybeUninit` covers exactly the first
        // `src.len()` of them and nothing else refers to them.
        let spare = unsafe {
            slice::from_raw_parts_mut(fresh.ptr.as_ptr().cast::<MaybeUninit<T>>(), src.len())
        };
        // Drops what it cloned if a clone panics; `fresh` (length 0) then
        // frees the buffer.
        spare.write_clone_of_slice(src);
        fresh.len = src.len();
        fresh
    }

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
            // SAFETY: `cur` is initialized; `f` gets a shared reference only.
            if !f(unsafe { &*cur }) {
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
