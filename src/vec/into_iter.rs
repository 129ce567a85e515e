//! The owned iterator of a `CowVec`: moves out of a unique buffer, clones
//! out of a shared one.

use super::*;

impl<'a, T> IntoIterator for &'a CowVec<T> {
    type Item = &'a T;
    type IntoIter = slice::Iter<'a, T>;

    fn into_iter(self) -> slice::Iter<'a, T> {
        self.as_slice().iter()
    }
}

impl<T: Clone> IntoIterator for CowVec<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    /// Moves the elements out if the buffer is unique; clones them one by
    /// one if it is shared.
    ///
    /// ```
    /// let v = arcow::cow_vec![String::from("a"), String::from("b")];
    /// let all: Vec<String> = v.into_iter().collect();
    /// assert_eq!(all, ["a", "b"]);
    /// ```
    fn into_iter(mut self) -> IntoIter<T> {
        let end = self.len;
        let owned = self.is_unique();
        if owned {
            // The iterator owns `[start, end)` from here; the handle keeps
            // only the buffer.
            self.len = 0;
        }
        IntoIter {
            vec: self,
            start: 0,
            end,
            owned,
        }
    }
}

/// The owned iterator of a [`CowVec`]: moves the elements out of a unique
/// buffer, clones them out of a shared one.
///
/// Dropping it part-way drops the elements not yet yielded exactly once (if
/// it owns them) and lets go of the buffer.
///
/// # Examples
///
/// ```
/// let a = arcow::cow_vec![1, 2, 3];
/// let b = a.clone();
/// let mut it = a.into_iter();          // shared with `b`: yields clones
/// assert_eq!(it.next(), Some(1));
/// assert_eq!(it.next_back(), Some(3));
/// drop(it);
/// assert_eq!(b, [1, 2, 3]);
/// ```
pub struct IntoIter<T> {
    /// When `owned`, a unique handle of length 0 that keeps the buffer;
    /// otherwise a handle (maybe shared) of the full length.
    vec: CowVec<T>,
    /// Invariant: `start <= end <=` the buffer's initialized length; the
    /// elements `[start, end)` have not been yielded. When `owned`, they
    /// belong to the iterator and the ones outside were moved out.
    start: usize,
    end: usize,
    owned: bool,
}

impl<T> IntoIter<T> {
    /// The elements not yet yielded, as a slice. Never copies: they are
    /// read in place, in the buffer (shared or not).
    ///
    /// ```
    /// let mut it = arcow::cow_vec![1, 2, 3].into_iter();
    /// it.next();
    /// it.next_back();
    /// assert_eq!(it.as_slice(), &[2]);
    /// ```
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: `[start, end)` are initialized and in bounds (field
        // invariant), and nothing writes them while we hold `&self`.
        unsafe {
            slice::from_raw_parts(self.vec.ptr.as_ptr().add(self.start), self.end - self.start)
        }
    }
}

impl<T> AsRef<[T]> for IntoIter<T> {
    /// [`IntoIter::as_slice`].
    fn as_ref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Clone> Clone for IntoIter<T> {
    /// An iterator over the same elements not yet yielded.
    ///
    /// If this iterator clones out of a shared buffer, the clone shares it
    /// too: O(1), one atomic increment, no `T` cloned. If it owns its
    /// elements (the buffer was unique), they are cloned into a new buffer
    /// (one allocation), as `Vec`'s `IntoIter` does, and the clone owns
    /// those.
    ///
    /// ```
    /// let v = arcow::cow_vec![1, 2, 3];
    /// let mut it = v.into_iter();               // unique: owns the elements
    /// it.next();
    /// let copy = it.clone();                    // clones the 2 and the 3
    /// assert_eq!(it.as_slice(), copy.as_slice());
    ///
    /// let w = arcow::cow_vec![1, 2, 3];
    /// let it = w.clone().into_iter();           // shared with `w`
    /// let copy = it.clone();                    // O(1): shares the buffer
    /// assert_eq!(copy.collect::<Vec<_>>(), [1, 2, 3]);
    /// ```
    fn clone(&self) -> IntoIter<T> {
        if self.owned {
            // Clones what is left into a fresh buffer (dropping the clones
            // made so far if one panics), which the new iterator owns.
            CowVec::from(self.as_slice()).into_iter()
        } else {
            IntoIter {
                vec: self.vec.clone(),
                start: self.start,
                end: self.end,
                owned: false,
            }
        }
    }
}

impl<T: Clone> Iterator for IntoIter<T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.start == self.end {
            return None;
        }
        // SAFETY: `start < end`, so slot `start` is initialized.
        let p = unsafe { self.vec.ptr.as_ptr().add(self.start) };
        // SAFETY: initialized; owned, it belongs to the iterator, which
        // advances `start` right after; shared, the buffer keeps it.
        let item = unsafe { raw::take_or_clone(p, self.owned) };
        self.start += 1;
        Some(item)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.start;
        (n, Some(n))
    }
}

impl<T: Clone> DoubleEndedIterator for IntoIter<T> {
    #[inline]
    fn next_back(&mut self) -> Option<T> {
        if self.start == self.end {
            return None;
        }
        // SAFETY: `start < end`, so slot `end - 1` is initialized.
        let p = unsafe { self.vec.ptr.as_ptr().add(self.end - 1) };
        // SAFETY: initialized; owned, it belongs to the iterator, which
        // lowers `end` right after; shared, the buffer keeps it.
        let item = unsafe { raw::take_or_clone(p, self.owned) };
        self.end -= 1;
        Some(item)
    }
}

impl<T: Clone> ExactSizeIterator for IntoIter<T> {}
impl<T: Clone> FusedIterator for IntoIter<T> {}

impl<T> Drop for IntoIter<T> {
    fn drop(&mut self) {
        if self.owned {
            let rest = ptr::slice_from_raw_parts_mut(
                self.vec.ptr.as_ptr().wrapping_add(self.start),
                self.end - self.start,
            );
            self.start = self.end;
            // Even if one of their drops panics, the rest are dropped (slice
            // drop glue) and then the `vec` field, of length 0, frees the buffer.
            // SAFETY: owned: `[start, end)` are initialized, belong to the
            // iterator and were not yielded: dropped exactly once, here.
            unsafe { ptr::drop_in_place(rest) }
        }
        // Not owned: the `vec` field is an ordinary handle and drops as one.
    }
}

impl<T: fmt::Debug> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IntoIter").field(&self.as_slice()).finish()
    }
}
