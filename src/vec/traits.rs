//! `CowVec`'s standard traits: comparisons, hashing, conversions, `Extend`,
//! `io::Write` and serde.

use alloc::boxed::Box;

use super::*;

impl<T: fmt::Debug> fmt::Debug for CowVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

/// `PartialEq` between a left-hand type and a right-hand type whose elements
/// compare as slices (`T: PartialEq<U>`), as std's `__impl_slice_eq1` does
/// for `Vec`.
macro_rules! impl_slice_eq {
    ([$($vars:tt)*] $lhs:ty, $rhs:ty) => {
        impl<T, U, $($vars)*> PartialEq<$rhs> for $lhs
        where
            T: PartialEq<U>,
        {
            #[inline]
            fn eq(&self, other: &$rhs) -> bool {
                self[..] == other[..]
            }
        }
    };
}

/// By value, as slices (no pointer shortcut: `NaN != NaN`), and between
/// element types as `Vec`'s comparisons are: a `CowVec<A>` equals a
/// `CowVec<B>`, `Vec<B>`, `[B]`, `&[B]`, `[B; N]` or `&[B; N]` (on either
/// side) when `A: PartialEq<B>` and the elements are pairwise equal. Never
/// copies.
///
/// ```
/// use arcow::{cow_vec, CowVec};
///
/// let v: CowVec<String> = cow_vec!["a".into(), "b".into()];
/// let strs: [&str; 2] = ["a", "b"];
/// assert!(v == strs && strs == v);                 // `String: PartialEq<&str>`
/// assert!(v == vec!["a", "b"] && vec!["a", "b"] == v);
/// assert!(v == &strs[..] && strs[..] == v);
/// assert!(v == &strs && &strs == v);
/// assert!(v == CowVec::from(strs) && CowVec::from(strs) == v);
/// ```
impl<T, U> PartialEq<CowVec<U>> for CowVec<T>
where
    T: PartialEq<U>,
{
    #[inline]
    fn eq(&self, other: &CowVec<U>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq> Eq for CowVec<T> {}

impl_slice_eq! { [] CowVec<T>, Vec<U> }
impl_slice_eq! { [] CowVec<T>, [U] }
impl_slice_eq! { [] CowVec<T>, &[U] }
impl_slice_eq! { [const N: usize] CowVec<T>, [U; N] }
impl_slice_eq! { [const N: usize] CowVec<T>, &[U; N] }
impl_slice_eq! { [] Vec<T>, CowVec<U> }
impl_slice_eq! { [] [T], CowVec<U> }
impl_slice_eq! { [] &[T], CowVec<U> }
impl_slice_eq! { [const N: usize] [T; N], CowVec<U> }
impl_slice_eq! { [const N: usize] &[T; N], CowVec<U> }

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

impl<T: Clone, const N: usize> From<&[T; N]> for CowVec<T> {
    /// Clones the elements into a new buffer (one allocation, none for
    /// `N == 0`).
    ///
    /// ```
    /// let v = arcow::CowVec::from(&[1, 2]);
    /// assert_eq!(v, [1, 2]);
    /// ```
    fn from(array: &[T; N]) -> CowVec<T> {
        CowVec::from(array.as_slice())
    }
}

impl<T: Clone> From<&mut [T]> for CowVec<T> {
    /// Clones the elements into a new buffer, as `From<&[T]>`.
    ///
    /// ```
    /// let mut a = [1, 2];
    /// let v = arcow::CowVec::from(&mut a[..]);
    /// assert_eq!(v, [1, 2]);
    /// ```
    fn from(slice: &mut [T]) -> CowVec<T> {
        CowVec::from(&*slice)
    }
}

impl<T> From<Box<[T]>> for CowVec<T> {
    /// Moves the elements into a new buffer and frees the box: one
    /// allocation and one `memcpy`, no `Clone`. (The box's memory cannot be
    /// reused: the header goes in front of the elements.) An empty box gives
    /// a vector that owns no allocation.
    ///
    /// ```
    /// let boxed: Box<[String]> = vec!["a".to_string()].into_boxed_slice();
    /// let v = arcow::CowVec::from(boxed);       // moves, no clone
    /// assert_eq!(v, ["a"]);
    /// ```
    fn from(boxed: Box<[T]>) -> CowVec<T> {
        // `Vec::from` takes the box's allocation over (capacity = length,
        // no copy); `From<Vec<T>>` then moves the elements once.
        CowVec::from(Vec::from(boxed))
    }
}

impl<T: Clone> From<alloc::borrow::Cow<'_, [T]>> for CowVec<T> {
    /// From `std::borrow::Cow` (not this crate's [`Cow`](crate::Cow)): an
    /// owned `Vec` is moved in as by `From<Vec<T>>`, a borrowed slice cloned
    /// as by `From<&[T]>`.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// let borrowed: Cow<'_, [u8]> = Cow::Borrowed(&[1, 2]);
    /// let owned: Cow<'_, [u8]> = Cow::Owned(vec![1, 2]);
    /// assert_eq!(arcow::CowVec::from(borrowed), [1, 2]);   // clones
    /// assert_eq!(arcow::CowVec::from(owned), [1, 2]);      // moves
    /// ```
    fn from(cow: alloc::borrow::Cow<'_, [T]>) -> CowVec<T> {
        match cow {
            alloc::borrow::Cow::Borrowed(slice) => CowVec::from(slice),
            alloc::borrow::Cow::Owned(vec) => CowVec::from(vec),
        }
    }
}

impl<T: Clone> From<CowVec<T>> for Vec<T> {
    /// [`CowVec::into_vec`]: moves the elements out of a unique buffer
    /// (one allocation for the `Vec`, one `memcpy`, the old buffer freed),
    /// clones them out of a shared one (which the other handles keep).
    ///
    /// ```
    /// let a = arcow::cow_vec![String::from("x")];
    /// let b = a.clone();
    /// let va: Vec<String> = a.into();           // shared: clones
    /// let vb = Vec::from(b);                    // unique now: moves
    /// assert_eq!(va, vb);
    /// ```
    fn from(vec: CowVec<T>) -> Vec<T> {
        vec.into_vec()
    }
}

impl<T: Clone, const N: usize> TryFrom<CowVec<T>> for [T; N] {
    type Error = CowVec<T>;

    /// The elements as an array, if there are exactly `N`; otherwise the
    /// vector back, as `Vec`'s `TryFrom` does. A unique buffer's elements
    /// are moved out and the buffer freed; a shared buffer's are cloned
    /// (no allocation) and the other handles keep it.
    ///
    /// ```
    /// use arcow::{cow_vec, CowVec};
    ///
    /// let a = cow_vec![String::from("x"), String::from("y")];
    /// let b = a.clone();
    /// let xs: [String; 2] = a.try_into().unwrap();    // shared: clones
    /// let back: CowVec<String> = <[String; 3]>::try_from(b).unwrap_err();
    /// let ys: [String; 2] = back.try_into().unwrap(); // unique: moves
    /// assert_eq!(xs, ys);
    /// ```
    fn try_from(mut vec: CowVec<T>) -> Result<[T; N], CowVec<T>> {
        if vec.len != N {
            return Err(vec);
        }
        if !vec.is_unique() {
            // `from_fn` drops the clones made so far if one panics; `vec`
            // is only read.
            let src = vec.as_slice();
            return Ok(core::array::from_fn(|i| src[i].clone()));
        }
        let mut out = MaybeUninit::<[T; N]>::uninit();
        // Length first: from here on the handle owns no elements, only the
        // buffer, which it frees when dropped below.
        vec.len = 0;
        // SAFETY: the buffer is unique, so `[0, N)` are initialized and ours
        // alone; they are moved bitwise into `out`, which does not overlap
        // the buffer and has room for exactly `N`. No code runs between the
        // copy and `assume_init`, so each element has one owner: `out`.
        unsafe {
            ptr::copy_nonoverlapping(vec.ptr.as_ptr(), out.as_mut_ptr().cast::<T>(), N);
            Ok(out.assume_init())
        }
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
