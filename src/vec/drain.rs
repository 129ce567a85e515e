//! The draining iterators of a `CowVec`: [`Drain`] (from
//! [`CowVec::drain`]) and [`Splice`] (from [`CowVec::splice`]).
//!
//! Both work on the vector in one state: its length is the head, the
//! elements it keeps before the range; its tail waits `tail_len` elements
//! long at `tail_start`, past the length; the iterator yields `[start,
//! end)`. On a unique buffer those are the drained elements of the same
//! buffer, moved out. On a shared one the vector already holds its copy of
//! the kept elements and the iterator clones `[start, end)` out of the old
//! buffer, whose handle it keeps. Dropping the iterator moves the tail back
//! behind the head (after a splice's replacement) and restores the length.

use super::*;

/// The draining iterator of [`CowVec::drain`]: yields the removed elements,
/// moved out of a unique buffer or cloned out of a shared one; the vector
/// closes the gap when it is dropped.
///
/// # Examples
///
/// ```
/// let mut v = arcow::cow_vec![1, 2, 3, 4];
/// let mut d = v.drain(1..3);            // unique: in place
/// assert_eq!(d.as_slice(), &[2, 3]);
/// assert_eq!(d.next(), Some(2));
/// drop(d);                              // drops the 3, moves the 4 down
/// assert_eq!(v, [1, 4]);
/// ```
pub struct Drain<'a, T> {
    /// The vector drained. Invariant: unique or unallocated, except when
    /// nothing is drained and no tail waits (then untouched); its length
    /// is the head.
    vec: &'a mut CowVec<T>,
    /// Invariant: `start <= end`; `[start, end)` are the elements not yet
    /// yielded: initialized slots of `vec`'s buffer that belong to the
    /// iterator (`src` is `None`), or of `src`'s buffer, cloned on yield.
    start: usize,
    end: usize,
    /// Invariant: `[tail_start, tail_start + tail_len)` of `vec`'s buffer
    /// are initialized, past `vec.len` and within its capacity.
    tail_start: usize,
    tail_len: usize,
    /// The old, shared buffer when the drain copied; `None` when it works
    /// in place.
    src: Option<CowVec<T>>,
}

impl<'a, T> Drain<'a, T> {
    pub(super) fn new(
        vec: &'a mut CowVec<T>,
        range: Range<usize>,
        tail_start: usize,
        tail_len: usize,
        src: Option<CowVec<T>>,
    ) -> Drain<'a, T> {
        Drain {
            vec,
            start: range.start,
            end: range.end,
            tail_start,
            tail_len,
            src,
        }
    }

    /// The buffer `[start, end)` index into.
    #[inline]
    fn src_ptr(&self) -> *mut T {
        self.src.as_ref().unwrap_or(self.vec).ptr.as_ptr()
    }

    /// The elements not yet yielded.
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1, 2, 3];
    /// let mut d = v.drain(..);
    /// d.next();
    /// assert_eq!(d.as_slice(), &[2, 3]);
    /// ```
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: `[start, end)` are initialized slots of the source buffer
        // (field invariant), not moved out, and not written while we hold
        // `&self`.
        unsafe { slice::from_raw_parts(self.src_ptr().add(self.start), self.end - self.start) }
    }

    /// Gives up the elements not yet yielded: drops them if the iterator
    /// owns them, forgets them if they are the old buffer's.
    fn discard_rest(&mut self) {
        let rest = ptr::slice_from_raw_parts_mut(
            self.src_ptr().wrapping_add(self.start),
            self.end - self.start,
        );
        self.start = self.end;
        if self.src.is_none() {
            // Even if one of their drops panics, the rest are dropped (slice
            // drop glue).
            // SAFETY: unique: `[start, end)` are initialized and belong to
            // the iterator; `start` was moved past them first, so they are
            // dropped exactly once, here.
            unsafe { ptr::drop_in_place(rest) }
        }
    }

    /// Fills the gap between the head and the tail from `items`; `true` if
    /// it filled it, `false` if `items` ran out first.
    fn fill<I: Iterator<Item = T>>(&mut self, items: &mut I) -> bool {
        while self.vec.len < self.tail_start {
            let Some(item) = items.next() else {
                return false;
            };
            // SAFETY: the buffer is unique (a splice always makes it so) and
            // `len < tail_start`: an uninitialized slot of the gap. The
            // length is raised right after, so a panicking `next` leaves
            // the head valid.
            unsafe { self.vec.ptr.as_ptr().add(self.vec.len).write(item) };
            self.vec.len += 1;
        }
        true
    }

    /// Appends every item of `items` to a vector with no tail waiting,
    /// growing its buffer as needed.
    fn append_all<I: Iterator<Item = T>>(&mut self, items: &mut I) {
        debug_assert_eq!(self.tail_len, 0);
        while let Some(item) = items.next() {
            let len = self.vec.len;
            if len == self.vec.buf_cap() {
                let (lower, _) = items.size_hint();
                let needed = len
                    .checked_add(lower.saturating_add(1))
                    .unwrap_or_else(|| capacity_overflow());
                // Unique or absent: a splice made it so.
                self.vec.reserve_unique_owned(needed);
            }
            // SAFETY: unique with `len < cap`: slot `len` is uninitialized.
            // The length is raised right after, so a panicking `next`
            // leaves a valid vector.
            unsafe { self.vec.ptr.as_ptr().add(len).write(item) };
            self.vec.len = len + 1;
        }
        self.tail_start = self.vec.len;
    }

    /// Moves the tail `extra` slots further back, growing the buffer if
    /// needed.
    fn move_tail(&mut self, extra: usize) {
        let used = self.tail_start + self.tail_len;
        let needed = used
            .checked_add(extra)
            .unwrap_or_else(|| capacity_overflow());
        // Grows with `realloc`, which moves every byte of the old buffer,
        // the tail past the length included. Unique: a splice made it so.
        self.vec.reserve_unique_owned(needed);
        let to = self.tail_start + extra;
        // SAFETY: the tail `[tail_start, used)` is initialized and the
        // buffer has room for `to + tail_len = needed`; `copy` allows the
        // overlap.
        unsafe {
            let base = self.vec.ptr.as_ptr();
            ptr::copy(base.add(self.tail_start), base.add(to), self.tail_len);
        }
        self.tail_start = to;
    }
}

impl<T: Clone> Iterator for Drain<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.start == self.end {
            return None;
        }
        // SAFETY: `start < end`: an initialized slot of the source buffer.
        let p = unsafe { self.src_ptr().add(self.start) };
        // SAFETY: initialized; in place the iterator owns it and moves
        // `start` past it right after; copied, the old buffer keeps it.
        let item = unsafe { raw::take_or_clone(p, self.src.is_none()) };
        self.start += 1;
        Some(item)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.start;
        (n, Some(n))
    }
}

impl<T: Clone> DoubleEndedIterator for Drain<'_, T> {
    #[inline]
    fn next_back(&mut self) -> Option<T> {
        if self.start == self.end {
            return None;
        }
        // SAFETY: `start < end`: slot `end - 1` is initialized.
        let p = unsafe { self.src_ptr().add(self.end - 1) };
        // SAFETY: initialized; in place the iterator owns it and lowers
        // `end` right after; copied, the old buffer keeps it.
        let item = unsafe { raw::take_or_clone(p, self.src.is_none()) };
        self.end -= 1;
        Some(item)
    }
}

impl<T: Clone> ExactSizeIterator for Drain<'_, T> {}
impl<T: Clone> FusedIterator for Drain<'_, T> {}

impl<T> Drop for Drain<'_, T> {
    fn drop(&mut self) {
        /// Moves the tail back behind the head and sets the length, also if
        /// a drained element's `Drop` panics.
        struct CloseGap<'r, 'a, T>(&'r mut Drain<'a, T>);
        impl<T> Drop for CloseGap<'_, '_, T> {
            fn drop(&mut self) {
                let d = &mut *self.0;
                let head = d.vec.len;
                if d.tail_len > 0 && d.tail_start != head {
                    // SAFETY: the tail is initialized (field invariant) and
                    // moves down to right behind the head, within the
                    // buffer; `copy` allows the overlap. The buffer is
                    // unique: a tail waits only in a drained buffer.
                    unsafe {
                        let base = d.vec.ptr.as_ptr();
                        ptr::copy(base.add(d.tail_start), base.add(head), d.tail_len);
                    }
                }
                d.vec.len = head + d.tail_len;
                d.tail_len = 0;
            }
        }
        let guard = CloseGap(self);
        guard.0.discard_rest();
        // `guard` drops here and closes the gap; then the `src` field lets
        // go of the old buffer.
    }
}

impl<T: fmt::Debug> fmt::Debug for Drain<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Drain").field(&self.as_slice()).finish()
    }
}

/// The iterator of [`CowVec::splice`]: yields the removed elements (moved
/// out of a unique buffer, cloned out of a shared one) and, when dropped,
/// puts the replacement items in their place.
///
/// # Examples
///
/// ```
/// let mut v = arcow::cow_vec![1, 2, 3];
/// let s = v.splice(1..2, [7, 8]);       // unique: in place
/// drop(s);                              // the replacement goes in here
/// assert_eq!(v, [1, 7, 8, 3]);
/// ```
pub struct Splice<'a, I: Iterator + 'a> {
    drain: Drain<'a, I::Item>,
    replace_with: I,
}

impl<'a, I: Iterator + 'a> Splice<'a, I> {
    pub(super) fn new(drain: Drain<'a, I::Item>, replace_with: I) -> Splice<'a, I> {
        Splice {
            drain,
            replace_with,
        }
    }
}

impl<I: Iterator> Iterator for Splice<'_, I>
where
    I::Item: Clone,
{
    type Item = I::Item;

    #[inline]
    fn next(&mut self) -> Option<I::Item> {
        self.drain.next()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.drain.size_hint()
    }
}

impl<I: Iterator> DoubleEndedIterator for Splice<'_, I>
where
    I::Item: Clone,
{
    #[inline]
    fn next_back(&mut self) -> Option<I::Item> {
        self.drain.next_back()
    }
}

impl<I: Iterator> ExactSizeIterator for Splice<'_, I> where I::Item: Clone {}

impl<I: Iterator> Drop for Splice<'_, I> {
    /// `Vec::splice`'s way: fill the gap, then make room by the
    /// replacement's lower size hint, then by what is left of it, collected.
    /// If the replacement panics, `Drain`'s drop still moves the tail back:
    /// the vector keeps its head, the items put in so far, and its tail.
    fn drop(&mut self) {
        self.drain.discard_rest();
        let d = &mut self.drain;
        if d.tail_len == 0 {
            // No tail: append (the buffer is unique, or absent and empty).
            d.append_all(&mut self.replace_with);
            return;
        }
        if !d.fill(&mut self.replace_with) {
            return;
        }
        let (lower, _) = self.replace_with.size_hint();
        if lower > 0 {
            d.move_tail(lower);
            if !d.fill(&mut self.replace_with) {
                return;
            }
        }
        let mut rest = self
            .replace_with
            .by_ref()
            .collect::<Vec<I::Item>>()
            .into_iter();
        if rest.len() > 0 {
            d.move_tail(rest.len());
            let filled = d.fill(&mut rest);
            debug_assert!(filled);
        }
    }
}

impl<I> fmt::Debug for Splice<'_, I>
where
    I: Iterator + fmt::Debug,
    I::Item: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Splice")
            .field("drain", &self.drain)
            .field("replace_with", &self.replace_with)
            .finish()
    }
}
