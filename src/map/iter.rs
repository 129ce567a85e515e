//! The map's iterators. They walk the directory page by page (each page
//! once, however many slots point at it) and scan each page's tags a group
//! at a time, so iteration runs over contiguous memory like `HashMap`'s.

use alloc::vec::Vec;
use core::fmt;
use core::iter::FusedIterator;
use core::marker::PhantomData;

use super::dir::{take_pages, Mode, Read, Table, Walk, Write};
use super::group::{BitMask, WIDTH};
use super::page::RawPage;

/// The full slots of one page, a chunk at a time, in slot order, which is
/// memory order: each chunk's tags, then its slots, then the next chunk.
///
/// Invariant: `chunk < chunks`; `bits` are the full slots of that chunk not
/// yet yielded; the page is live while the iterator is used.
struct Cursor<K, V> {
    page: RawPage<K, V>,
    chunk: usize,
    chunks: usize,
    bits: BitMask,
}

impl<K, V> Clone for Cursor<K, V> {
    fn clone(&self) -> Self {
        Cursor { ..*self }
    }
}

impl<K, V> Cursor<K, V> {
    /// # Safety: the page is live while the cursor is used.
    unsafe fn new(page: RawPage<K, V>) -> Self {
        // SAFETY: live (the caller); a page has at least one chunk.
        unsafe {
            Cursor {
                page,
                chunk: 0,
                chunks: (page.mask() + 1) / WIDTH,
                bits: page.full_in_chunk(0),
            }
        }
    }

    /// The next full slot's index.
    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            if let Some(b) = self.bits.next() {
                return Some(self.chunk * WIDTH + b);
            }
            self.chunk += 1;
            if self.chunk == self.chunks {
                self.chunk -= 1; // stay on the last chunk: fused
                return None;
            }
            // SAFETY: the invariant: a live page, `chunk < chunks`.
            self.bits = unsafe { self.page.full_in_chunk(self.chunk) };
        }
    }
}

/// Pages a reading `fold` keeps prefetched ahead of the one it scans.
const FOLD_AHEAD: usize = 2;

/// Pages from a walk, then their full slots.
///
/// A reading walk runs one page ahead of the cursor and prefetches that
/// page whole while the cursor scans the current one: pages are separate
/// allocations in no particular order, so the hardware prefetcher cannot
/// guess the next one, and without this every page starts with a round of
/// cache misses.
struct Raw<K, V> {
    walk: Walk,
    cursor: Option<Cursor<K, V>>,
    /// The next page of a reading walk, already prefetched.
    ahead: Option<RawPage<K, V>>,
    remaining: usize,
}

impl<K, V> Clone for Raw<K, V> {
    fn clone(&self) -> Self {
        Raw {
            walk: self.walk.clone(),
            cursor: self.cursor.clone(),
            ahead: self.ahead,
            remaining: self.remaining,
        }
    }
}

impl<K, V> Raw<K, V> {
    /// The next full slot.
    ///
    /// # Safety
    ///
    /// `M` is the walk's mode; the table is borrowed as that mode needs.
    #[inline]
    unsafe fn next<M: Mode<K, V>>(&mut self) -> Option<*mut (K, V)> {
        loop {
            if let Some(c) = &mut self.cursor {
                if let Some(i) = c.next() {
                    self.remaining -= 1;
                    // SAFETY: a full slot of a live page.
                    return Some(unsafe { c.page.slot(i) });
                }
            }
            // SAFETY: the caller's promise on the mode and the borrow.
            let page = unsafe { self.walk.next::<K, V, M>() }?;
            // SAFETY: pages from the walk are live while the table is.
            self.cursor = Some(unsafe { Cursor::new(page) });
        }
    }
}

impl<K, V> Raw<K, V> {
    /// Feeds every remaining full slot to `f`: the current page's rest,
    /// then each page in a tight loop over its groups (what `sum`, `count`,
    /// `for_each` and `collect` use; `next` keeps more state between calls).
    ///
    /// # Safety
    ///
    /// As for `next`.
    #[inline]
    unsafe fn fold<M: Mode<K, V>, B>(
        mut self,
        init: B,
        mut f: impl FnMut(B, *mut (K, V)) -> B,
    ) -> B {
        let mut acc = init;
        if let Some(c) = &mut self.cursor {
            while let Some(i) = c.next() {
                // SAFETY: a full slot of a live page.
                acc = f(acc, unsafe { c.page.slot(i) });
            }
        }
        // SAFETY: the caller's promise on the mode and the borrow; pages
        // are live while the table is; every group start is below
        // `buckets`, and the bits flag full slots.
        unsafe {
            // Pages fetched from the walk and prefetched, `AHEAD` at most,
            // consumed in order (a ring).
            let mut ring: [Option<RawPage<K, V>>; FOLD_AHEAD] = [None; FOLD_AHEAD];
            let mut head = 0;
            ring[0] = match self.ahead.take() {
                Some(page) => Some(page),
                None => self.walk.next::<K, V, M>(),
            };
            let depth = if M::LOOK_AHEAD { FOLD_AHEAD } else { 1 };
            for slot in ring.iter_mut().take(depth).skip(1) {
                *slot = self.walk.next::<K, V, M>();
                if let Some(p) = *slot {
                    p.prefetch_all();
                }
            }
            while let Some(page) = ring[head].take() {
                let refill = self.walk.next::<K, V, M>();
                if let Some(p) = refill {
                    if M::LOOK_AHEAD {
                        p.prefetch_all();
                    }
                }
                ring[head] = refill;
                head = (head + 1) % depth;
                for c in 0..(page.mask() + 1) / WIDTH {
                    for lane in page.full_in_chunk(c) {
                        acc = f(acc, page.slot(c * WIDTH + lane));
                    }
                }
            }
        }
        acc
    }
}

/// The entries of a [`CowMap`](crate::CowMap), from
/// [`CowMap::iter`](crate::CowMap::iter).
///
/// # Examples
///
/// ```
/// let m = arcow::CowMap::from([(1, 'a')]);
/// let mut it = m.iter();
/// assert_eq!(it.len(), 1);
/// assert_eq!(it.next(), Some((&1, &'a')));
/// assert_eq!(it.next(), None);
/// ```
pub struct Iter<'a, K, V> {
    raw: Raw<K, V>,
    _map: PhantomData<&'a (K, V)>,
}

// SAFETY: an `Iter` hands out `&K` and `&V` only, like `&HashMap`'s.
unsafe impl<K: Sync, V: Sync> Send for Iter<'_, K, V> {}
// SAFETY: as above.
unsafe impl<K: Sync, V: Sync> Sync for Iter<'_, K, V> {}

impl<'a, K, V> Iter<'a, K, V> {
    pub(super) fn new(table: &'a Table<K, V>) -> Self {
        // SAFETY: `Read` walks never write through the pointer; `table` is
        // borrowed for `'a`.
        let walk = unsafe { Walk::new(table.root_ptr_shared()) };
        Iter {
            raw: Raw {
                walk,
                cursor: None,
                ahead: None,
                remaining: table.len(),
            },
            _map: PhantomData,
        }
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    #[inline]
    fn next(&mut self) -> Option<(&'a K, &'a V)> {
        // SAFETY: a `Read` walk of a table borrowed for `'a`; full slots.
        unsafe { self.raw.next::<Read>().map(|e| (&(*e).0, &(*e).1)) }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.raw.remaining, Some(self.raw.remaining))
    }

    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, mut f: F) -> B {
        // SAFETY: a `Read` walk of a table borrowed for `'a`; full slots.
        unsafe {
            self.raw
                .fold::<Read, B>(init, |acc, e| f(acc, (&(*e).0, &(*e).1)))
        }
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}
impl<K, V> FusedIterator for Iter<'_, K, V> {}

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Iter {
            raw: self.raw.clone(),
            _map: PhantomData,
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Iter<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// The keys of a [`CowMap`](crate::CowMap), from
/// [`CowMap::keys`](crate::CowMap::keys).
///
/// # Examples
///
/// ```
/// let m = arcow::CowMap::from([(1, 'a')]);
/// assert_eq!(m.keys().collect::<Vec<_>>(), [&1]);
/// ```
pub struct Keys<'a, K, V>(pub(super) Iter<'a, K, V>);

/// The values of a [`CowMap`](crate::CowMap), from
/// [`CowMap::values`](crate::CowMap::values).
///
/// # Examples
///
/// ```
/// let m = arcow::CowMap::from([(1, 'a')]);
/// assert_eq!(m.values().collect::<Vec<_>>(), [&'a']);
/// ```
pub struct Values<'a, K, V>(pub(super) Iter<'a, K, V>);

macro_rules! projection {
    ($name:ident, $item:ty, |$k:ident, $v:ident| $out:expr) => {
        impl<'a, K, V> Iterator for $name<'a, K, V> {
            type Item = $item;

            #[inline]
            fn next(&mut self) -> Option<$item> {
                self.0.next().map(|($k, $v)| $out)
            }

            fn size_hint(&self) -> (usize, Option<usize>) {
                self.0.size_hint()
            }

            #[inline]
            fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, mut f: F) -> B {
                self.0.fold(init, |acc, ($k, $v)| f(acc, $out))
            }
        }

        impl<K, V> ExactSizeIterator for $name<'_, K, V> {}
        impl<K, V> FusedIterator for $name<'_, K, V> {}

        impl<K, V> Clone for $name<'_, K, V> {
            fn clone(&self) -> Self {
                $name(self.0.clone())
            }
        }

        impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for $name<'_, K, V> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.clone()).finish()
            }
        }
    };
}

projection!(Keys, &'a K, |k, _v| k);
projection!(Values, &'a V, |_k, v| v);

/// The entries of a [`CowMap`](crate::CowMap) with mutable values, from
/// [`CowMap::iter_mut`](crate::CowMap::iter_mut). Each page shared with a
/// snapshot is copied when the iterator reaches it.
///
/// # Examples
///
/// ```
/// let mut m = arcow::CowMap::from([(1, 1)]);
/// for (_, v) in m.iter_mut() {
///     *v += 1;
/// }
/// assert_eq!(m[&1], 2);
/// ```
pub struct IterMut<'a, K, V> {
    raw: Raw<K, V>,
    _map: PhantomData<&'a mut (K, V)>,
}

// SAFETY: an `IterMut` hands out `&K` and `&mut V`, and copies pages
// that other maps (maybe on other threads) share, which `K, V: Send +
// Sync` allows, as for the map itself.
unsafe impl<K: Send + Sync, V: Send + Sync> Send for IterMut<'_, K, V> {}
// SAFETY: `&IterMut` gives access to nothing.
unsafe impl<K: Sync, V: Sync> Sync for IterMut<'_, K, V> {}

impl<'a, K: Clone, V: Clone> IterMut<'a, K, V> {
    pub(super) fn new(table: &'a mut Table<K, V>) -> Self {
        let remaining = table.len();
        // SAFETY: `Write` walk over a table borrowed mutably for `'a`.
        let walk = unsafe { Walk::new(table.root_ptr()) };
        IterMut {
            raw: Raw {
                walk,
                cursor: None,
                ahead: None,
                remaining,
            },
            _map: PhantomData,
        }
    }
}

impl<'a, K: Clone, V: Clone> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    #[inline]
    fn next(&mut self) -> Option<(&'a K, &'a mut V)> {
        // SAFETY: a `Write` walk of a table borrowed mutably for `'a`
        // yields pages unique to it; each full slot is yielded once, so the
        // `&mut V`s never alias.
        unsafe { self.raw.next::<Write>().map(|e| (&(*e).0, &mut (*e).1)) }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.raw.remaining, Some(self.raw.remaining))
    }
}

impl<K: Clone, V: Clone> ExactSizeIterator for IterMut<'_, K, V> {}
impl<K: Clone, V: Clone> FusedIterator for IterMut<'_, K, V> {}

impl<K, V> fmt::Debug for IterMut<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IterMut")
            .field("remaining", &self.raw.remaining)
            .finish_non_exhaustive()
    }
}

/// The values of a [`CowMap`](crate::CowMap), mutably, from
/// [`CowMap::values_mut`](crate::CowMap::values_mut).
///
/// # Examples
///
/// ```
/// let mut m = arcow::CowMap::from([(1, 1)]);
/// m.values_mut().for_each(|v| *v = 0);
/// assert_eq!(m[&1], 0);
/// ```
pub struct ValuesMut<'a, K, V>(pub(super) IterMut<'a, K, V>);

impl<'a, K: Clone, V: Clone> Iterator for ValuesMut<'a, K, V> {
    type Item = &'a mut V;

    #[inline]
    fn next(&mut self) -> Option<&'a mut V> {
        self.0.next().map(|(_, v)| v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K: Clone, V: Clone> ExactSizeIterator for ValuesMut<'_, K, V> {}
impl<K: Clone, V: Clone> FusedIterator for ValuesMut<'_, K, V> {}

impl<K, V> fmt::Debug for ValuesMut<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The entries of a [`CowMap`](crate::CowMap), by value, from its
/// `into_iter`. Moves entries out of pages the map held alone; clones them
/// out of pages shared with snapshots (which keep theirs).
///
/// # Examples
///
/// ```
/// let m = arcow::CowMap::from([(1, "one".to_string())]);
/// let snapshot = m.clone();
/// let v: Vec<_> = m.into_iter().collect();  // shared: cloned out
/// assert_eq!(v, [(1, "one".to_string())]);
/// assert_eq!(snapshot[&1], "one");
/// ```
pub struct IntoIter<K, V> {
    /// Pages not started, each with one count owned by the iterator.
    pages: Vec<RawPage<K, V>>,
    /// The page being read and whether its entries are moved out (the
    /// iterator held it alone) or cloned; the iterator owns one count.
    current: Option<(Cursor<K, V>, bool)>,
    remaining: usize,
}

// SAFETY: the iterator owns counts of pages of `(K, V)`, which may be
// shared with maps on other threads, as a map does.
unsafe impl<K: Send + Sync, V: Send + Sync> Send for IntoIter<K, V> {}
// SAFETY: `&IntoIter` gives access to nothing.
unsafe impl<K: Sync, V: Sync> Sync for IntoIter<K, V> {}

impl<K, V> IntoIter<K, V> {
    pub(super) fn new(table: &mut Table<K, V>) -> Self {
        let remaining = table.len();
        let root = table.take_root();
        let mut pages = Vec::new();
        // SAFETY: the root's count was the table's, and passes to us.
        unsafe { take_pages(root, &mut pages) };
        pages.reverse();
        IntoIter {
            pages,
            current: None,
            remaining,
        }
    }

    /// Gives up the current page: drops the entries not yet moved out of
    /// a page read by moving and frees it, or releases a page read by
    /// cloning.
    fn finish_page(&mut self) {
        if let Some((cursor, moving)) = self.current.take() {
            // SAFETY: the iterator owns one count of the page. A moving
            // page is ours alone (count 1: the release frees it), and the
            // entries moved out were erased as they went, so dropping it
            // drops only the rest; a cloning page's entries are all there.
            unsafe {
                let last = cursor.page.count().release();
                debug_assert!(last || !moving);
                if last {
                    cursor.page.drop_page();
                }
            }
        }
    }
}

impl<K: Clone, V: Clone> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        loop {
            if let Some((cursor, moving)) = &mut self.current {
                if let Some(i) = cursor.next() {
                    self.remaining -= 1;
                    // SAFETY: a full slot of a page we own a count of; when
                    // moving, the page is ours alone, and the slot is read
                    // out and erased at once (the cursor's bits for this
                    // group were loaded before, and it never comes back).
                    return Some(unsafe {
                        let e = cursor.page.slot(i);
                        if *moving {
                            let entry = e.read();
                            cursor.page.erase(i);
                            entry
                        } else {
                            ((*e).0.clone(), (*e).1.clone())
                        }
                    });
                }
                self.finish_page();
            }
            let page = self.pages.pop()?;
            // SAFETY: we own a count of the page; count 1 means no one else
            // holds it, so its entries are ours to move.
            unsafe {
                let moving = page.count().is_unique();
                self.current = Some((Cursor::new(page), moving));
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K: Clone, V: Clone> ExactSizeIterator for IntoIter<K, V> {}
impl<K: Clone, V: Clone> FusedIterator for IntoIter<K, V> {}

impl<K, V> Drop for IntoIter<K, V> {
    fn drop(&mut self) {
        /// Releases the pages not started, even if a drop panics.
        struct Pages<K, V>(Vec<RawPage<K, V>>);
        impl<K, V> Drop for Pages<K, V> {
            fn drop(&mut self) {
                while let Some(page) = self.0.pop() {
                    // If this page's drop panics, a guard holding the
                    // pages after it releases them.
                    let rest = Pages(core::mem::take(&mut self.0));
                    // SAFETY: the iterator owned one count of each.
                    unsafe {
                        if page.count().release() {
                            page.drop_page();
                        }
                    }
                    self.0 = rest.into_inner();
                }
            }
        }
        impl<K, V> Pages<K, V> {
            fn into_inner(self) -> Vec<RawPage<K, V>> {
                let mut me = core::mem::ManuallyDrop::new(self);
                core::mem::take(&mut me.0)
            }
        }
        let pages = Pages(core::mem::take(&mut self.pages));
        self.finish_page();
        drop(pages);
    }
}

impl<K, V> fmt::Debug for IntoIter<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}
