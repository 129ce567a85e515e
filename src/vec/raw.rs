//! The raw buffer of a `CowVec`: the header in front of the elements, the
//! layout, allocation, growth (`realloc`), the copy of a shared buffer and
//! the free of the last handle; and the fallible forms of these that
//! `try_reserve` and `try_reserve_exact` use, which return every failure as
//! a [`TryReserveError`] instead of a panic or an abort.

use super::*;

/// The header in front of the elements of an allocated buffer.
pub(super) struct Header {
    pub(super) count: RefCount,
    /// Invariant: the number of `T` the buffer has room for; `usize::MAX`
    /// for zero-sized `T`. Written only while the count is 1.
    pub(super) cap: usize,
}

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
pub(super) fn capacity_overflow() -> ! {
    panic!("arcow::CowVec: capacity overflow");
}

/// Amortized growth, as `Vec` does: at least double, at least `needed`, at
/// least the minimum non-zero capacity.
#[inline]
pub(super) fn grow_amortized(cap: usize, needed: usize, elem_size: usize) -> usize {
    needed
        .max(cap.saturating_mul(2))
        .max(min_non_zero_cap(elem_size))
}

impl<T> CowVec<T> {
    /// Bytes from the start of the buffer to the first element.
    pub(super) const OFFSET: usize = {
        let header = mem::size_of::<Header>();
        let align = mem::align_of::<T>();
        header.div_ceil(align) * align
    };

    /// The layout of a buffer with room for `cap` elements; panics with a
    /// clear message if it would exceed `isize::MAX` bytes.
    pub(super) fn layout(cap: usize) -> Layout {
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

    /// A new unique, empty buffer with room for `cap` elements (`cap > 0`,
    /// or any `cap` for a zero-sized `T`, which then gets `usize::MAX`).
    pub(super) fn allocate(cap: usize) -> CowVec<T> {
        let cap = if Self::IS_ZST { usize::MAX } else { cap };
        debug_assert!(cap > 0);
        let layout = Self::layout(cap);
        // SAFETY: the layout is never zero-sized: it holds the header.
        let base = unsafe { alloc(layout) };
        if base.is_null() {
            handle_alloc_error(layout);
        }
        // SAFETY: a fresh, non-null allocation of `Self::layout(cap)`.
        unsafe { Self::from_fresh(base, cap) }
    }

    /// An empty handle to a fresh buffer: writes its header (count 1, `cap`)
    /// and points past it.
    ///
    /// # Safety
    ///
    /// `base` is a non-null allocation of `Self::layout(cap)`, not used
    /// elsewhere.
    #[inline]
    unsafe fn from_fresh(base: *mut u8, cap: usize) -> CowVec<T> {
        // SAFETY: `base` is a fresh allocation of the layout, which starts
        // with room for a `Header`, aligned for it.
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
    pub(super) fn is_allocated(&self) -> bool {
        self.ptr != NonNull::dangling()
    }

    /// The header, if there is a buffer.
    #[inline]
    pub(super) fn header(&self) -> Option<&Header> {
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
    pub(super) fn header_ptr(&self) -> *mut Header {
        self.ptr
            .as_ptr()
            .cast::<u8>()
            .wrapping_sub(Self::OFFSET)
            .cast::<Header>()
    }

    /// The buffer's capacity: 0 without a buffer (also for zero-sized `T`,
    /// which needs a header before it can hold elements).
    #[inline]
    pub(super) fn buf_cap(&self) -> usize {
        self.header().map_or(0, |h| h.cap)
    }

    /// Makes room for `needed` elements in a buffer that is unique (or
    /// absent), growing by amortized doubling. Never copies elements one by
    /// one and needs no `Clone`.
    ///
    /// Precondition: `self.is_unique()`.
    #[inline]
    pub(super) fn reserve_unique_owned(&mut self, needed: usize) {
        debug_assert!(self.is_unique());
        if needed > self.buf_cap() {
            self.grow_unique(needed);
        }
    }

    /// The growth path of a unique buffer: allocate or `realloc`.
    #[cold]
    #[inline(never)]
    pub(super) fn grow_unique(&mut self, needed: usize) {
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
        self.realloc_unique(new_cap);
    }

    /// Moves a unique, allocated buffer of a sized `T` to one with room for
    /// exactly `new_cap` (`new_cap >= len`, `new_cap > 0`), with `realloc`:
    /// the growth of `grow_unique` and `reserve_exact`, and `shrink_to`.
    pub(super) fn realloc_unique(&mut self, new_cap: usize) {
        debug_assert!(self.is_allocated() && self.is_unique() && !Self::IS_ZST);
        debug_assert!(new_cap >= self.len && new_cap > 0);
        let cap = self.buf_cap();
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

    /// Drops the elements from `new_len` on, in place.
    ///
    /// Precondition: unique (or unallocated) and `new_len <= len`.
    pub(super) fn truncate_unique(&mut self, new_len: usize) {
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

    /// Moves the elements into a new `Vec` without cloning them; used when
    /// the buffer is unique.
    pub(super) fn move_into_vec(mut self) -> Vec<T> {
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
    pub(super) unsafe fn drop_slow(&mut self) {
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

impl<T: Clone> CowVec<T> {
    /// Makes this handle the only one to a buffer with room for `needed`
    /// elements. On a shared buffer this is the one copy: into a fresh
    /// buffer, sized for the result (see `copy_to_unique`).
    #[inline]
    pub(super) fn reserve_unique(&mut self, needed: usize) {
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
    pub(super) fn copy_to_unique(&mut self, needed: usize) {
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
    pub(super) fn clone_from_slice_with_capacity(src: &[T], cap: usize) -> CowVec<T> {
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
}

// ---------------------------------------------------------------------------
// The fallible paths of `try_reserve` and `try_reserve_exact`
// ---------------------------------------------------------------------------

/// One block of a buffer's alignment: `max(align_of::<Header>(),
/// align_of::<T>())`, which is also its size. A `Vec` of `n` of these asks
/// the allocator for exactly the layout of a buffer of `n * align` bytes.
#[repr(C)]
struct AlignUnit<T> {
    _elems: [T; 0],
    _header: [Header; 0],
    _byte: u8,
}

/// The error of a request for more than `isize::MAX` bytes.
///
/// std's `TryReserveError` has no public constructor: an empty `Vec<u8>`
/// asked for `usize::MAX` more bytes reports this kind, without allocating.
#[cold]
fn capacity_overflow_error() -> TryReserveError {
    match Vec::<u8>::new().try_reserve_exact(usize::MAX) {
        Err(e) => e,
        Ok(()) => unreachable!("a Vec<u8> reserved usize::MAX bytes"),
    }
}

impl<T> CowVec<T> {
    /// [`CowVec::layout`], with an overflow returned instead of a panic.
    fn try_layout(cap: usize) -> Result<Layout, TryReserveError> {
        let array = Layout::array::<T>(cap).map_err(|_| capacity_overflow_error())?;
        match Layout::new::<Header>().extend(array) {
            Ok((layout, offset)) => {
                debug_assert_eq!(offset, Self::OFFSET);
                Ok(layout.pad_to_align())
            }
            Err(_) => Err(capacity_overflow_error()),
        }
    }

    /// After the allocator refused `layout`: the error to report, or `None`
    /// if the same request now succeeds (the caller then tries again).
    ///
    /// std's `TryReserveError` has no public constructor, so the allocator
    /// is asked once more for exactly `layout` (same size, same alignment)
    /// through a `Vec` of [`AlignUnit`], which reports its failure as
    /// `TryReserveError` with the `AllocError` kind.
    #[cold]
    fn alloc_error(layout: Layout) -> Option<TryReserveError> {
        debug_assert_eq!(mem::size_of::<AlignUnit<T>>(), layout.align());
        let units = layout.size() / layout.align();
        let mut probe: Vec<MaybeUninit<AlignUnit<T>>> = Vec::new();
        probe.try_reserve_exact(units).err()
    }

    /// [`CowVec::allocate`], with an overflow or a failed allocation
    /// returned instead of a panic or an abort.
    pub(super) fn try_allocate(cap: usize) -> Result<CowVec<T>, TryReserveError> {
        let cap = if Self::IS_ZST { usize::MAX } else { cap };
        debug_assert!(cap > 0);
        let layout = Self::try_layout(cap)?;
        // A few rounds: a request the allocator refuses and then grants to
        // the probe is tried again; one that keeps failing is reported.
        for _ in 0..3 {
            // SAFETY: the layout is never zero-sized: it holds the header.
            let base = unsafe { alloc(layout) };
            if base.is_null() {
                match Self::alloc_error(layout) {
                    Some(e) => return Err(e),
                    None => continue,
                }
            }
            // SAFETY: a fresh, non-null allocation of `try_layout(cap)`,
            // which is `layout(cap)`.
            return Ok(unsafe { Self::from_fresh(base, cap) });
        }
        // The allocator refused us three times and granted the same layout
        // to the probe each time: report the failure with the one kind std
        // lets us construct.
        Err(capacity_overflow_error())
    }

    /// [`CowVec::realloc_unique`], with an overflow or a failed `realloc`
    /// returned (the buffer then left as it was) instead of a panic or an
    /// abort.
    pub(super) fn try_realloc_unique(&mut self, new_cap: usize) -> Result<(), TryReserveError> {
        debug_assert!(self.is_allocated() && self.is_unique() && !Self::IS_ZST);
        debug_assert!(new_cap >= self.len && new_cap > 0);
        let old_layout = Self::layout(self.buf_cap());
        let new_layout = Self::try_layout(new_cap)?;
        for _ in 0..3 {
            // SAFETY: as in `realloc_unique`: unique, allocated with
            // `old_layout` (its header holds the capacity); `new_layout` has
            // the same alignment and a non-zero size. On failure `realloc`
            // leaves the buffer untouched.
            let base = unsafe {
                realloc(
                    self.header_ptr().cast::<u8>(),
                    old_layout,
                    new_layout.size(),
                )
            };
            if base.is_null() {
                match Self::alloc_error(new_layout) {
                    Some(e) => return Err(e),
                    None => continue,
                }
            }
            // SAFETY: as in `realloc_unique`: the reallocated, unique buffer,
            // header at the start, elements `OFFSET` bytes in.
            unsafe {
                (*base.cast::<Header>()).cap = new_cap;
                self.ptr = NonNull::new_unchecked(base.add(Self::OFFSET).cast::<T>());
            }
            return Ok(());
        }
        Err(capacity_overflow_error())
    }

    /// `len + additional`, or the overflow as an error.
    pub(super) fn try_needed(&self, additional: usize) -> Result<usize, TryReserveError> {
        self.len
            .checked_add(additional)
            .ok_or_else(capacity_overflow_error)
    }
}

/// The element at `p`, moved out when `owned`, cloned otherwise: the one
/// step of the owned iterators (`IntoIter`, `Drain`, `Splice`), which move
/// out of a buffer they own and clone out of a shared one.
///
/// # Safety
///
/// `p` points to an initialized `T`. When `owned`, the caller owns that
/// element and moves its cursor past it right after, so this is its only
/// move; otherwise the buffer keeps it (a panicking clone changes nothing).
#[inline]
pub(super) unsafe fn take_or_clone<T: Clone>(p: *const T, owned: bool) -> T {
    if owned {
        // SAFETY: initialized and ours to move (contract above).
        unsafe { p.read() }
    } else {
        // SAFETY: initialized and alive while the buffer is (contract above).
        unsafe { (*p).clone() }
    }
}
