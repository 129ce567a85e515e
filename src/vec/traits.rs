//! `CowVec`'s standard traits: comparisons, hashing, conversions, `Extend`,
//! `io::Write` and serde.

use super::*;

impl<T: fmt::Debug> fmt::Debug for CowVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl<T: PartialEq> PartialEq for CowVec<T> {
    /// By value, as slices (no pointer shortcut: `NaN != NaN`).
    #[inline]
    fn eq(&self, other: &CowVec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq> Eq for CowVec<T> {}

impl<T: PartialEq> PartialEq<Vec<T>> for CowVec<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: PartialEq> PartialEq<[T]> for CowVec<T> {
    fn eq(&self, other: &[T]) -> bool {
        self.as_slice() == other
    }
}

impl<T: PartialEq> PartialEq<&[T]> for CowVec<T> {
    fn eq(&self, other: &&[T]) -> bool {
        self.as_slice() == *other
    }
}

impl<T: PartialEq, const N: usize> PartialEq<[T; N]> for CowVec<T> {
    fn eq(&self, other: &[T; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: PartialOrd> PartialOrd for CowVec<T> {
    fn partial_cmp(&self, other: &CowVec<T>) -> Option<Ordering> {
        self.as_slice().partial_cmp(other.as_slice())
    }
}

impl<T: Ord> Ord for CowVec<T> {
    fn cmp(&self, other: &CowVec<T>) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl<T: Hash> Hash for CowVec<T> {
    /// Hashes as the slice does, so it agrees with `Vec<T>` and `[T]`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl<T> Borrow<[T]> for CowVec<T> {
    fn borrow(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> AsRef<[T]> for CowVec<T> {
    fn as_ref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> From<Vec<T>> for CowVec<T> {
    /// Moves the elements into a new buffer (one allocation and a `memcpy`;
    /// the header in front of the elements means `Vec`'s buffer cannot be
    /// reused). An empty `Vec` gives a vector that owns no allocation.
    ///
    /// ```
    /// let v = arcow::CowVec::from(vec![1, 2]);
    /// assert_eq!(v, [1, 2]);
    /// ```
    fn from(vec: Vec<T>) -> CowVec<T> {
        let mut vec = ManuallyDrop::new(vec);
        let len = vec.len();
        if len == 0 {
            drop(ManuallyDrop::into_inner(vec));
            return CowVec::new();
        }
        let mut out = CowVec::allocate(len);
        // SAFETY: `out` has room for `len` elements and does not overlap
        // `vec`; after the copy the elements belong to `out`, and `vec` is
        // given length 0 so dropping it only frees its buffer.
        unsafe {
            ptr::copy_nonoverlapping(vec.as_ptr(), out.ptr.as_ptr(), len);
            vec.set_len(0);
            ManuallyDrop::drop(&mut vec);
        }
        out.len = len;
        out
    }
}

impl<T: Clone> From<&[T]> for CowVec<T> {
    /// Clones the elements into a new buffer.
    ///
    /// ```
    /// let v = arcow::CowVec::from(&[1, 2][..]);
    /// assert_eq!(v, [1, 2]);
    /// ```
    fn from(slice: &[T]) -> CowVec<T> {
        if slice.is_empty() {
            CowVec::new()
        } else {
            CowVec::clone_from_slice_with_capacity(slice, slice.len())
        }
    }
}

impl<T, const N: usize> From<[T; N]> for CowVec<T> {
    /// Moves the elements into a new buffer.
    ///
    /// ```
    /// let v = arcow::CowVec::from([1, 2, 3]);
    /// assert_eq!(v, [1, 2, 3]);
    /// ```
    fn from(array: [T; N]) -> CowVec<T> {
        if N == 0 {
            return CowVec::new();
        }
        let array = ManuallyDrop::new(array);
        let mut out = CowVec::allocate(N);
        // SAFETY: `out` has room for `N` elements; the array's elements move
        // into it and the array itself is never dropped (`ManuallyDrop`).
        unsafe { ptr::copy_nonoverlapping(array.as_ptr(), out.ptr.as_ptr(), N) };
        out.len = N;
        out
    }
}

impl<T> FromIterator<T> for CowVec<T> {
    /// Collects into a new vector, reserving the iterator's lower size hint.
    /// Needs no `T: Clone`: the new buffer is never shared while filling.
    ///
    /// ```
    /// let v: arcow::CowVec<u32> = (1..=3).collect();
    /// assert_eq!(v, [1, 2, 3]);
    /// ```
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> CowVec<T> {
        let mut out = CowVec::new();
        out.extend_unique(iter.into_iter());
        out
    }
}

impl<T> CowVec<T> {
    /// Appends the items of `iter` to a unique (or unallocated) vector.
    fn extend_unique<I: Iterator<Item = T>>(&mut self, mut iter: I) {
        debug_assert!(self.is_unique());
        while let Some(item) = iter.next() {
            if self.len == self.buf_cap() {
                let (lower, _) = iter.size_hint();
                let needed = self
                    .len
                    .checked_add(lower.saturating_add(1))
                    .unwrap_or_else(|| capacity_overflow());
                self.reserve_unique_owned(needed);
            }
            // SAFETY: unique with `len < cap`; slot `len` is uninitialized.
            // The length is raised right after, so a panicking `next` leaves
            // a valid vector.
            unsafe { self.ptr.as_ptr().add(self.len).write(item) };
            self.len += 1;
        }
    }
}

impl<T: Clone> Extend<T> for CowVec<T> {
    /// Appends the items; a shared buffer is copied once first, with room for
    /// the iterator's lower size hint.
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1];
    /// v.extend(vec![2, 3]);
    /// assert_eq!(v, [1, 2, 3]);
    /// ```
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        let (lower, _) = iter.size_hint();
        let mut iter = iter.peekable();
        if iter.peek().is_none() {
            return;
        }
        let needed = self
            .len
            .checked_add(lower.max(1))
            .unwrap_or_else(|| capacity_overflow());
        self.reserve_unique(needed);
        self.extend_unique(iter);
    }
}

impl<'a, T: Clone + 'a> Extend<&'a T> for CowVec<T> {
    /// Appends clones of the items.
    ///
    /// ```
    /// let mut v = arcow::cow_vec![1];
    /// v.extend(&[2, 3]);
    /// assert_eq!(v, [1, 2, 3]);
    /// ```
    fn extend<I: IntoIterator<Item = &'a T>>(&mut self, iter: I) {
        self.extend(iter.into_iter().cloned())
    }
}

#[cfg(feature = "std")]
impl std::io::Write for CowVec<u8> {
    /// Appends `buf` (copying a shared buffer first); never fails.
    ///
    /// ```
    /// use std::io::Write;
    /// let mut v = arcow::CowVec::new();
    /// write!(v, "{}-{}", 1, 2).unwrap();
    /// assert_eq!(v, *b"1-2");
    /// ```
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(feature = "serde")]
impl<T: serde::Serialize> serde::Serialize for CowVec<T> {
    /// Serializes as a sequence, like `Vec<T>`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(serializer)
    }
}

#[cfg(feature = "serde")]
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for CowVec<T> {
    /// Deserializes a sequence, like `Vec<T>`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<CowVec<T>, D::Error> {
        Vec::<T>::deserialize(deserializer).map(CowVec::from)
    }
}
