//! The fallible buffer paths of `try_reserve` and `try_reserve_exact`: the
//! same layout, allocation and `realloc` as the infallible ones in `mod.rs`,
//! with every failure returned as a [`TryReserveError`] instead of a panic
//! or an abort.

use super::*;

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
            // SAFETY: as in `allocate`: a fresh allocation of `layout`,
            // which starts with room for a `Header`, aligned for it.
            unsafe {
                base.cast::<Header>().write(Header {
                    count: RefCount::one(),
                    cap,
                })
            };
            // SAFETY: as in `allocate`: `OFFSET` is where the element array
            // starts, within the allocation, so the result is not null.
            let ptr = unsafe { NonNull::new_unchecked(base.add(Self::OFFSET).cast::<T>()) };
            return Ok(CowVec {
                ptr,
                len: 0,
                _owns: PhantomData,
            });
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
