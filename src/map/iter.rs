//! The map's iterators. They walk the directory page by page (each page
//! once, however many slots point at it) and scan each page's tags a group
//! at a time, so iteration runs over contiguous memory like `HashMap`'s.

use alloc::vec::Vec;
use core::fmt;
use core::iter::FusedIterator;
use core::marker::PhantomData;

use super::dir::{take_pages, Mode, Read, Table, Walk, Write};
use super::page::{capacity, RawPage, Slots};

/// Entries from which a reading iterator visits most pages in address
/// order (below it the pages are few and likely cached, and the list of
/// them would cost more than it saves). Lower under Miri, so that the
/// tests' small maps take that path too.
const SORTED_MIN: usize = if cfg!(miri) { 256 } else { 16 * 1024 };

/// The pages a reading iterator of a big map visits in the walk's order
/// before it switches to address order: at least this many, and at least
/// a 64th of the map's (see `Raw`).
const WALK_FIRST: usize = if cfg!(miri) { 2 } else { 16 };

/// Pages from a walk, then their full slots.
///
/// The walk visits pages in the hash's order, which says nothing of where
/// they are in memory, so a scan of a big map jumps between 4 KiB blocks
/// and the hardware prefetcher, which follows streams of lines, cannot
/// help: 1M entries iterated at 3.3-4.2x `HashMap`'s time per entry, the
/// next page prefetched or not. A reading iterator of a big map therefore
/// visits its first pages in walk order and then takes the rest of the
/// walk into a list, sorts it by address and visits the pages in that
/// order, each page's stored hashes included (`touch_hashes`): where the
/// allocator placed pages next to each other (after a build by inserts,
/// nearly all of them) the scan is then one forward stream, 1.2-1.3x
/// `HashMap`'s time (docs/design.md). The switch is decided by pages
/// visited, the same way for `next` and `fold`, so both visit entries in
/// the same order. It comes after a 64th of the pages: listing and sorting
/// the rest costs about 18 ns a page and reading a page in walk order
/// about 900 (1M `u64` entries), so an iteration stopped early pays for
/// the list at most about twice what it read, and a full one reads 98% of
/// its pages in address order (after a 16th instead of a 64th: 1.6x
/// instead of 1.3x `HashMap`'s time). `Write` walks (`iter_mut`) keep the
/// walk's order: they copy shared pages as they reach them.
struct Raw<K, V> {
    walk: Walk,
    cursor: Option<Slots<K, V>>,
    /// Entries in the pages not yet started (`next` keeps it; `fold` does
    /// not). Counted a page at a time, not an entry at a time: the count
    /// lives in memory, since the iterator is lent to the page step, and a
    /// decrement per entry made a `for` loop wait on it (store to load).
    remaining: usize,
    /// Pages taken from the walk so far.
    walked: usize,
    /// After this many pages from the walk, a reading iterator takes the
    /// rest into `sorted` (`usize::MAX`: never).
    sort_after: usize,
    /// The pages left, in address order, and how many were handed out.
    sorted: Option<(Vec<RawPage<K, V>>, usize)>,
    /// A page taken from the walk that the list had no room for (its
    /// allocation failed): handed out after the list, before the walk's
    /// rest.
    spill: Option<RawPage<K, V>>,
}

impl<K, V> Clone for Raw<K, V> {
    fn clone(&self) -> Self {
        Raw {
            walk: self.walk.clone(),
            cursor: self.cursor.clone(),
            remaining: self.remaining,
            walked: self.walked,
            sort_after: self.sort_after,
            sorted: self.sorted.clone(),
            spill: self.spill,
        }
    }
}

impl<K, V> Raw<K, V> {
    /// A walk's iterator over `len` entries; a reading one (`sorting`)
    /// switches to address order for a big map.
    fn new(walk: Walk, len: usize, sorting: bool) -> Self {
        let sort_after = if sorting && len >= SORTED_MIN {
            // Pages are at most `capacity(nominal)` full, so this
            // underestimates the pages a little: the switch comes no later
            // than a 64th of them.
            let per_page = capacity(RawPage::<K, V>::NOMINAL_BUCKETS).max(1);
            WALK_FIRST.max(len / per_page / 64)
        } else {
            usize::MAX
        };
        Raw {
            walk,
            cursor: None,
            remaining: len,
            walked: 0,
            sort_after,
            sorted: None,
            spill: None,
        }
    }

    /// The next page to visit.
    ///
    /// # Safety
    ///
    /// `M` is the walk's mode; the table is borrowed as that mode needs.
    #[inline]
    unsafe fn next_page<M: Mode<K, V>>(&mut self) -> Option<RawPage<K, V>> {
        if let Some((pages, taken)) = &mut self.sorted {
            if let Some(&page) = pages.get(*taken) {
                *taken += 1;
                return Some(page);
            }
            if let Some(page) = self.spill.take() {
                return Some(page);
            }
        } else if M::LOOK_AHEAD && self.walked >= self.sort_after {
            // SAFETY: the caller's promise on the mode and the borrow.
            unsafe { self.sort_rest::<M>() };
            // SAFETY: as above; `sorted` is set now, so this does not
            // come back here.
            return unsafe { self.next_page::<M>() };
        }
        // SAFETY: the caller's promise on the mode and the borrow.
        let page = unsafe { self.walk.next::<K, V, M>() }?;
        self.walked += 1;
        Some(page)
    }

    /// Takes the rest of the walk into `sorted`, in address order. If the
    /// list cannot grow (allocation refused), it keeps what it has and
    /// leaves the page in hand in `spill` and the rest in the walk.
    ///
    /// # Safety
    ///
    /// As for `next_page`, with a reading mode: visiting pages has no
    /// effect, so they may be visited in any order.
    #[cold]
    #[inline(never)]
    unsafe fn sort_rest<M: Mode<K, V>>(&mut self) {
        // The pages left, overestimated from the entries left: pages are
        // mostly more than half full.
        let per_page = (capacity(RawPage::<K, V>::NOMINAL_BUCKETS) / 2).max(1);
        let mut pages: Vec<RawPage<K, V>> = Vec::new();
        let _ = pages.try_reserve_exact(self.remaining / per_page + WALK_FIRST);
        // SAFETY: the caller's promise on the mode and the borrow.
        while let Some(page) = unsafe { self.walk.next::<K, V, M>() } {
            self.walked += 1;
            if pages.len() == pages.capacity() && pages.try_reserve(pages.len() + 1).is_err() {
                self.spill = Some(page);
                break;
            }
            pages.push(page);
        }
        pages.sort_unstable_by_key(|page| page.as_ptr().as_ptr().addr());
        self.sorted = Some((pages, 0));
    }

    /// The next full slot.
    ///
    /// # Safety
    ///
    /// `M` is the walk's mode; the table is borrowed as that mode needs.
    #[inline]
    unsafe fn next<M: Mode<K, V>>(&mut self) -> Option<*mut (K, V)> {
        loop {
            if let Some(c) = &mut self.cursor {
                if let Some((_, slot)) = c.next() {
                    return Some(slot);
                }
                if self.sorted.is_some() {
                    // SAFETY: pages from the walk are live while the
                    // table is borrowed.
                    unsafe { c.page().touch_hashes() };
                }
            }
            // SAFETY: the caller's promise on the mode and the borrow.
            let page = unsafe { self.next_page::<M>() }?;
            // SAFETY: pages from the walk are live while the table is, and
            // written (a `Write` walk's, unique) only through the slots.
            unsafe {
                self.remaining -= page.len();
                self.cursor = Some(Slots::new(page));
            }
        }
    }

    /// Entries not yet yielded by `next`.
    fn len(&self) -> usize {
        self.remaining + self.cursor.as_ref().map_or(0, Slots::left)
    }

    /// Feeds every remaining full slot to `f`, in the order `next` would
    /// (what `sum`, `count`, `for_each` and `collect` use): the current
    /// page's rest, then each page in a tight loop over its chunks. In
    /// walk order a reading fold prefetches the next page while it scans
    /// one; in address order the hardware prefetcher does better alone.
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
            while let Some((_, slot)) = c.next() {
                acc = f(acc, slot);
            }
        }
        // SAFETY: the caller's promise on the mode and the borrow; pages
        // are live while the table is, and written (a `Write` walk's,
        // unique) only through the slots handed to `f`.
        unsafe {
            if let (Some(c), Some(_)) = (&self.cursor, &self.sorted) {
                c.page().touch_hashes();
            }
            let mut next = self.next_page::<M>();
            while let Some(page) = next {
                // One page ahead, so the switch to address order happens
                // at the same page as in `next`.
                next = self.next_page::<M>();
                let in_order = self.sorted.is_some();
                if let (true, false, Some(p)) = (M::LOOK_AHEAD, in_order, next) {
                    p.prefetch_all();
                }
                acc = page.fold_full(acc, &mut f);
                if in_order {
                    page.touch_hashes();
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
            raw: Raw::new(walk, table.len(), true),
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
        let n = self.raw.len();
        (n, Some(n))
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
            raw: Raw::new(walk, remaining, false),
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
        let n = self.raw.len();
        (n, Some(n))
    }
}

impl<K: Clone, V: Clone> ExactSizeIterator for IterMut<'_, K, V> {}
impl<K: Clone, V: Clone> FusedIterator for IterMut<'_, K, V> {}

impl<K, V> fmt::Debug for IterMut<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IterMut")
            .field("remaining", &self.raw.len())
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
    current: Option<(Slots<K, V>, bool)>,
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
                let page = cursor.page();
                let last = page.count().release();
                debug_assert!(last || !moving);
                if last {
                    page.drop_page();
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
                if let Some((i, e)) = cursor.next() {
                    self.remaining -= 1;
                    // SAFETY: a full slot of a page we own a count of; when
                    // moving, the page is ours alone, and the slot is read
                    // out and erased at once (the cursor's bits for this
                    // group were loaded before, and it never comes back).
                    return Some(unsafe {
                        if *moving {
                            let entry = e.read();
                            cursor.page().erase(i);
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
                self.current = Some((Slots::new(page), moving));
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
