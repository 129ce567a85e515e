//! [`PagedCowVec<T>`]: copy-on-write by the page, as `fork` does.
//!
//! Elements live in pages of about 4 KiB, each a [`CowVec<T>`]. Full pages
//! hang under a shallow tree of inner nodes, each a `CowVec` of children, and
//! the last page (the *tail*) sits in the handle so that `push` is a
//! `CowVec::push`. Every page and node is refcounted by the crate's one
//! refcount core (through `CowVec`), so `clone` is two atomic increments and a
//! write copies only the page it touches and the inner nodes on its path.
//!
//! This module has no `unsafe`: it is built on `CowVec`'s guarantees.

use alloc::vec::Vec;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::iter::FusedIterator;
use core::mem;
use core::ops::Index;
use core::slice;

use crate::CowVec;

/// Children per inner node, as a power of two: 64 (see docs/design.md).
const FANOUT_BITS: u32 = 6;
const FANOUT: usize = 1 << FANOUT_BITS;
const FANOUT_MASK: usize = FANOUT - 1;

/// The most inner levels a tree can need: enough for `usize::MAX` pages.
const MAX_DEPTH: usize = (usize::BITS / FANOUT_BITS + 1) as usize;

/// Bytes a page aims at.
const PAGE_BYTES: usize = 4096;
/// Elements per page of a zero-sized `T`.
const ZST_PAGE_ELEMS: usize = 4096;

/// A child of an inner node: another inner node, or a (full) page.
enum Node<T> {
    Inner(CowVec<Node<T>>),
    Page(CowVec<T>),
}

impl<T> Clone for Node<T> {
    /// A refcount increment; no `T: Clone` needed.
    fn clone(&self) -> Node<T> {
        match self {
            Node::Inner(c) => Node::Inner(c.clone()),
            Node::Page(p) => Node::Page(p.clone()),
        }
    }
}

/// A vector split into refcounted pages of about 4 KiB under a shallow
/// refcounted tree, so that a write to a shared vector copies one page (and
/// the few inner nodes above it), not the whole buffer.
///
/// - `clone` is O(1): two atomic increments.
/// - [`get`](PagedCowVec::get) is a shift, a mask and a walk of one to three
///   inner nodes for up to hundreds of millions of elements.
/// - [`get_mut`](PagedCowVec::get_mut) and [`set`](PagedCowVec::set) on a
///   shared vector copy one page plus its path (for a 1M-element `u64`
///   vector: one 4 KiB page and two inner nodes of about 1.5 KiB).
/// - [`push`](PagedCowVec::push) appends to the last page, which sits in the
///   handle; [`iter`](PagedCowVec::iter) and [`pages`](PagedCowVec::pages) go
///   page by page over contiguous slices.
///
/// Pick it over [`CowVec`] for large vectors that are snapshotted often and
/// written a little; for small vectors or whole-buffer writes, `CowVec`
/// (one contiguous slice) is simpler and faster.
///
/// # Examples
///
/// ```
/// use arcow::PagedCowVec;
///
/// let mut v: PagedCowVec<u64> = (0..1_000_000).collect();
/// let snapshot = v.clone();          // O(1)
/// v.set(123_456, 0);                 // copies one 4 KiB page, not 8 MB
/// assert_eq!(v[123_456], 0);
/// assert_eq!(snapshot[123_456], 123_456);
/// ```
pub struct PagedCowVec<T> {
    /// The full pages, under inner nodes.
    ///
    /// Invariant: `depth == 0` and `root` is empty, or `depth >= 1` and the
    /// tree holds `tree_len()` elements in full pages, in order; every
    /// `Node` at level 1 (just above the pages) is a `Page` of exactly
    /// `page_elems()` elements and every `Node` above is an `Inner` with
    /// 1 to 64 children; only the rightmost path may have fewer than 64.
    root: CowVec<Node<T>>,
    /// Number of inner levels, including `root`.
    depth: u32,
    /// The last page: `1..=page_elems()` elements, or empty when `len == 0`.
    ///
    /// Invariant: `tail.is_empty()` exactly when `len == 0`.
    tail: CowVec<T>,
    /// Invariant: `len == tree_len() + tail.len()`.
    len: usize,
}

impl<T> PagedCowVec<T> {
    /// Elements per page: the largest power of two that fits in 4 KiB
    /// (at least 1); 4096 for a zero-sized `T`.
    const PAGE_ELEMS: usize = {
        let size = mem::size_of::<T>();
        if size == 0 {
            ZST_PAGE_ELEMS
        } else if size >= PAGE_BYTES {
            1
        } else {
            let n = PAGE_BYTES / size;
            1 << (usize::BITS - 1 - n.leading_zeros())
        }
    };
    const PAGE_BITS: u32 = Self::PAGE_ELEMS.trailing_zeros();
    const PAGE_MASK: usize = Self::PAGE_ELEMS - 1;

    /// Makes an empty vector; allocates nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let v: arcow::PagedCowVec<u8> = arcow::PagedCowVec::new();
    /// assert!(v.is_empty());
    /// ```
    pub const fn new() -> PagedCowVec<T> {
        PagedCowVec {
            root: CowVec::new(),
            depth: 0,
            tail: CowVec::new(),
            len: 0,
        }
    }

    /// Elements per page for this `T`: a power of two, about 4 KiB of them.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(arcow::PagedCowVec::<u64>::page_elems(), 512);
    /// assert_eq!(arcow::PagedCowVec::<[u8; 3000]>::page_elems(), 1);
    /// ```
    pub const fn page_elems() -> usize {
        Self::PAGE_ELEMS
    }

    /// The number of elements.
    ///
    /// # Examples
    ///
    /// ```
    /// let v: arcow::PagedCowVec<u32> = (0..10).collect();
    /// assert_eq!(v.len(), 10);
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
    /// assert!(arcow::PagedCowVec::<u32>::new().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Elements held in the tree (all in full pages).
    #[inline]
    fn tree_len(&self) -> usize {
        self.len - self.tail.len()
    }

    /// The shift that selects a child of the root for an element index.
    #[inline]
    fn root_shift(&self) -> u32 {
        Self::PAGE_BITS + (self.depth - 1) * FANOUT_BITS
    }

    /// The page holding tree element `index` (`index < tree_len()`).
    #[inline]
    fn tree_page(&self, index: usize) -> &CowVec<T> {
        let mut node: &[Node<T>] = &self.root;
        let mut shift = self.root_shift();
        loop {
            match &node[(index >> shift) & FANOUT_MASK] {
                Node::Inner(children) => {
                    node = children;
                    shift -= FANOUT_BITS;
                }
                Node::Page(page) => return page,
            }
        }
    }

    /// A reference to the element at `index`, or `None` past the end.
    ///
    /// # Examples
    ///
    /// ```
    /// let v: arcow::PagedCowVec<u32> = (0..5000).collect();
    /// assert_eq!(v.get(4321), Some(&4321));
    /// assert_eq!(v.get(5000), None);
    /// ```
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        let tree_len = self.tree_len();
        if index >= tree_len {
            return self.tail.get(index - tree_len);
        }
        Some(&self.tree_page(index)[index & Self::PAGE_MASK])
    }

    /// Iterates over the elements, page by page.
    ///
    /// # Examples
    ///
    /// ```
    /// let v: arcow::PagedCowVec<u64> = (1..=1000).collect();
    /// assert_eq!(v.iter().sum::<u64>(), 500_500);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            pages: self.pages(),
            page: [].iter(),
            remaining: self.len,
        }
    }

    /// Iterates over the pages as contiguous slices, in order. Every page
    /// but the last is full ([`page_elems`](PagedCowVec::page_elems)
    /// elements); an empty vector has no pages.
    ///
    /// # Examples
    ///
    /// ```
    /// let v: arcow::PagedCowVec<u64> = (0..1200).collect();
    /// let sizes: Vec<usize> = v.pages().map(|p| p.len()).collect();
    /// assert_eq!(sizes, [512, 512, 176]);
    /// ```
    pub fn pages(&self) -> Pages<'_, T> {
        let mut stack: [slice::Iter<'_, Node<T>>; MAX_DEPTH] = core::array::from_fn(|_| [].iter());
        let mut top = 0;
        if self.depth > 0 {
            stack[0] = self.root.iter();
            top = 1;
        }
        Pages {
            stack,
            top,
            tail: if self.tail.is_empty() {
                None
            } else {
                Some(&self.tail)
            },
        }
    }

    /// Do both handles share their whole tree and last page (so they are
    /// equal without looking at the elements)?
    ///
    /// # Examples
    ///
    /// ```
    /// let a: arcow::PagedCowVec<u8> = (0..10).collect();
    /// let b = a.clone();
    /// assert!(a.ptr_eq(&b));
    /// ```
    pub fn ptr_eq(&self, other: &PagedCowVec<T>) -> bool {
        self.len == other.len && self.root.ptr_eq(&other.root) && self.tail.ptr_eq(&other.tail)
    }

    /// Removes every element; shared pages are simply let go.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v: arcow::PagedCowVec<u8> = (0..10).collect();
    /// v.clear();
    /// assert!(v.is_empty());
    /// ```
    pub fn clear(&mut self) {
        *self = PagedCowVec::new();
    }

    /// Appends a full page to the tree (the old tail, when a push needs a new
    /// one). Needs no `T: Clone`: inner nodes are cloned by refcount.
    ///
    /// Call it while `page` is still counted in `len` as the tail was, and
    /// with `self.tail` empty.
    fn push_page(&mut self, page: CowVec<T>) {
        debug_assert_eq!(page.len(), Self::PAGE_ELEMS);
        debug_assert!(self.tail.is_empty());
        // The pages already in the tree; `page` becomes the next one.
        let pages = (self.len - Self::PAGE_ELEMS) >> Self::PAGE_BITS;
        let capacity = if self.depth == 0 {
            0
        } else {
            1usize
                .checked_shl(self.depth * FANOUT_BITS)
                .unwrap_or(usize::MAX)
        };
        if pages == capacity {
            // The tree is full (or absent): a new root above the old one.
            let old = mem::take(&mut self.root);
            if self.depth > 0 {
                self.root.push(Node::Inner(old));
            }
            self.depth += 1;
        }
        let mut node = &mut self.root;
        for level in (2..=self.depth).rev() {
            let i = (pages >> ((level - 1) * FANOUT_BITS)) & FANOUT_MASK;
            if i == node.len() {
                node.push(Node::Inner(CowVec::with_capacity(FANOUT)));
            }
            node = match &mut node.make_mut()[i] {
                Node::Inner(children) => children,
                Node::Page(_) => unreachable!("a page above level 1"),
            };
        }
        node.push(Node::Page(page));
    }

    /// Frees the tree when it becomes empty, and drops root levels that
    /// have a single child.
    fn shrink_root(&mut self) {
        while self.depth > 1 && self.root.len() == 1 {
            let only = match self.root.first() {
                Some(Node::Inner(c)) => c.clone(),
                _ => unreachable!("a page above level 1"),
            };
            self.root = only;
            self.depth -= 1;
        }
        if self.root.is_empty() {
            self.root = CowVec::new();
            self.depth = 0;
        }
    }
}

impl<T: Clone> PagedCowVec<T> {
    /// A mutable reference to the element at `index`, or `None` past the
    /// end. On a shared vector it copies the one page holding the element
    /// and the inner nodes above it; nothing else.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a: arcow::PagedCowVec<u32> = (0..5000).collect();
    /// let b = a.clone();
    /// *a.get_mut(10).unwrap() = 99;      // copies one page and its path
    /// assert_eq!((a[10], b[10]), (99, 10));
    /// ```
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        if index >= self.len {
            // Checked first: out of bounds copies nothing.
            return None;
        }
        let tree_len = self.tree_len();
        if index >= tree_len {
            return Some(&mut self.tail.make_mut()[index - tree_len]);
        }
        let mut shift = self.root_shift();
        let mut node = &mut self.root;
        loop {
            match &mut node.make_mut()[(index >> shift) & FANOUT_MASK] {
                Node::Inner(children) => {
                    node = children;
                    shift -= FANOUT_BITS;
                }
                Node::Page(page) => return Some(&mut page.make_mut()[index & Self::PAGE_MASK]),
            }
        }
    }

    /// Replaces the element at `index` and returns the old one.
    ///
    /// # Panics
    ///
    /// If `index >= len`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v: arcow::PagedCowVec<char> = "abc".chars().collect();
    /// assert_eq!(v.set(1, 'x'), 'b');
    /// assert_eq!(v.to_vec(), ['a', 'x', 'c']);
    /// ```
    #[track_caller]
    pub fn set(&mut self, index: usize, value: T) -> T {
        let len = self.len;
        match self.get_mut(index) {
            Some(slot) => mem::replace(slot, value),
            None => panic!("index out of bounds: the len is {len} but the index is {index}"),
        }
    }

    /// Appends `value` to the last page; when that page is full, it moves
    /// into the tree and a new last page starts.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v = arcow::PagedCowVec::new();
    /// for i in 0..2000u32 {
    ///     v.push(i);
    /// }
    /// assert_eq!(v.len(), 2000);
    /// assert_eq!(v[1999], 1999);
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) {
        if self.tail.len() == Self::PAGE_ELEMS {
            self.start_page();
        }
        self.tail.push(value);
        self.len += 1;
    }

    /// Moves the full tail into the tree and starts an empty one.
    #[cold]
    #[inline(never)]
    fn start_page(&mut self) {
        if self.len == usize::MAX {
            panic!("arcow::PagedCowVec: capacity overflow");
        }
        let full = mem::take(&mut self.tail);
        self.push_page(full);
        self.tail = CowVec::with_capacity(Self::PAGE_ELEMS);
    }

    /// Removes the last element and returns it (a clone, if its page is
    /// shared).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v: arcow::PagedCowVec<u32> = (0..600).collect();
    /// assert_eq!(v.pop(), Some(599));
    /// assert_eq!(v.len(), 599);
    /// ```
    pub fn pop(&mut self) -> Option<T> {
        let out = self.tail.pop()?;
        self.len -= 1;
        if self.tail.is_empty() && self.depth > 0 {
            self.tail = self.pop_page();
        }
        Some(out)
    }

    /// Takes the last page out of the tree (copying the inner nodes on its
    /// path if they are shared; the page itself moves by refcount).
    fn pop_page(&mut self) -> CowVec<T> {
        fn pop_last<T: Clone>(node: &mut CowVec<Node<T>>) -> CowVec<T> {
            let page = match node.make_mut().last_mut() {
                Some(Node::Inner(children)) => {
                    let page = pop_last(children);
                    if !children.is_empty() {
                        return page;
                    }
                    page
                }
                Some(Node::Page(_)) => match node.pop() {
                    Some(Node::Page(page)) => return page,
                    _ => unreachable!("the last child was a page"),
                },
                None => unreachable!("an empty inner node in the tree"),
            };
            // The last inner child is now empty: remove it.
            node.pop();
            page
        }
        let page = pop_last(&mut self.root);
        self.shrink_root();
        page
    }

    /// Shortens the vector to `len` elements; does nothing if it is not
    /// longer. Whole pages past the end are let go, never copied; the page
    /// that becomes the last one is copied if it is shared (at most one
    /// page).
    ///
    /// If that copy's `T::clone` panics, the vector is left unchanged. The
    /// elements removed are dropped at the very end, after the vector is
    /// already in its new state, so a panicking `Drop` leaves it truncated.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut v: arcow::PagedCowVec<u32> = (0..5000).collect();
    /// v.truncate(513);
    /// assert_eq!(v.len(), 513);
    /// assert_eq!(v.iter().last(), Some(&512));
    /// ```
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        if len == 0 {
            self.clear();
            return;
        }
        let tree_len = self.tree_len();
        if len > tree_len {
            // The last page stays the last page.
            self.tail.truncate(len - tree_len);
            self.len = len;
            return;
        }
        // The new last page is in the tree. If the vector shares it (or any
        // node above it), build the truncated copy first: the only step that
        // clones, and nothing has changed yet if it panics. If the vector
        // owns the whole path, it is truncated in place, with no clone.
        let page_start = (len - 1) & !Self::PAGE_MASK;
        let copied = if self.path_is_unique(page_start) {
            None
        } else {
            let mut page = self.tree_page(page_start).clone();
            page.truncate(len - page_start);
            Some(page)
        };
        // Unhook the pages from `page_start` on. Nothing below drops a `T`:
        // the pages go to `removed`, dropped once the vector is consistent.
        let mut removed = Vec::new();
        removed.push(mem::take(&mut self.tail));
        self.len = tree_len;
        while self.len > page_start {
            let page = self.pop_page();
            self.len -= page.len();
            removed.push(page);
        }
        // The last page removed is the one at `page_start`.
        let owned_page = removed.pop();
        self.tail = match copied {
            Some(page) => page,
            None => owned_page.unwrap_or_default(),
        };
        self.len = page_start + self.tail.len();
        drop(removed);
        // Unique: cut the page in place (its length first, as CowVec does).
        self.len = len;
        self.tail.truncate(len - page_start);
    }

    /// Does this vector alone own the page holding tree element `index` and
    /// every inner node above it? Then writing it copies nothing.
    fn path_is_unique(&self, index: usize) -> bool {
        if !self.root.is_unique() {
            return false;
        }
        let mut node: &CowVec<Node<T>> = &self.root;
        let mut shift = self.root_shift();
        loop {
            match &node[(index >> shift) & FANOUT_MASK] {
                Node::Inner(children) => {
                    if !children.is_unique() {
                        return false;
                    }
                    node = children;
                    shift -= FANOUT_BITS;
                }
                Node::Page(page) => return page.is_unique(),
            }
        }
    }

    /// Copies the elements into a `Vec`.
    ///
    /// # Examples
    ///
    /// ```
    /// let v: arcow::PagedCowVec<u8> = (0..4).collect();
    /// assert_eq!(v.to_vec(), vec![0, 1, 2, 3]);
    /// ```
    pub fn to_vec(&self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len);
        for page in self.pages() {
            out.extend_from_slice(page);
        }
        out
    }
}

impl<T> Clone for PagedCowVec<T> {
    /// O(1): two refcount increments; no `T: Clone` needed.
    ///
    /// ```
    /// let a: arcow::PagedCowVec<u8> = (0..100).collect();
    /// let b = a.clone();
    /// assert!(a.ptr_eq(&b));
    /// ```
    fn clone(&self) -> PagedCowVec<T> {
        PagedCowVec {
            root: self.root.clone(),
            depth: self.depth,
            tail: self.tail.clone(),
            len: self.len,
        }
    }
}

impl<T> Default for PagedCowVec<T> {
    /// An empty vector.
    ///
    /// ```
    /// let v: arcow::PagedCowVec<u8> = Default::default();
    /// assert!(v.is_empty());
    /// ```
    fn default() -> PagedCowVec<T> {
        PagedCowVec::new()
    }
}

impl<T> Index<usize> for PagedCowVec<T> {
    type Output = T;

    /// # Panics
    ///
    /// If `index >= len`.
    #[inline]
    #[track_caller]
    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(x) => x,
            None => panic!(
                "index out of bounds: the len is {} but the index is {index}",
                self.len
            ),
        }
    }
}

impl<T: Clone> Extend<T> for PagedCowVec<T> {
    /// Appends the items (copying the last page first if it is shared).
    ///
    /// ```
    /// let mut v = arcow::PagedCowVec::new();
    /// v.extend(0..3u8);
    /// assert_eq!(v.to_vec(), [0, 1, 2]);
    /// ```
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for x in iter {
            self.push(x);
        }
    }
}

impl<T: Clone> FromIterator<T> for PagedCowVec<T> {
    /// Collects into a new vector.
    ///
    /// ```
    /// let v: arcow::PagedCowVec<u8> = (0..3).collect();
    /// assert_eq!(v.len(), 3);
    /// ```
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> PagedCowVec<T> {
        let mut v = PagedCowVec::new();
        v.extend(iter);
        v
    }
}

impl<T: Clone> From<Vec<T>> for PagedCowVec<T> {
    /// Moves the elements into pages.
    ///
    /// ```
    /// let v = arcow::PagedCowVec::from(vec![1, 2, 3]);
    /// assert_eq!(v.to_vec(), [1, 2, 3]);
    /// ```
    fn from(vec: Vec<T>) -> PagedCowVec<T> {
        vec.into_iter().collect()
    }
}

impl<T: Clone> From<CowVec<T>> for PagedCowVec<T> {
    /// Moves the elements into pages if the `CowVec` is unique, clones them
    /// if it is shared.
    ///
    /// ```
    /// let v = arcow::PagedCowVec::from(arcow::cow_vec![1, 2, 3]);
    /// assert_eq!(v.to_vec(), [1, 2, 3]);
    /// ```
    fn from(vec: CowVec<T>) -> PagedCowVec<T> {
        vec.into_iter().collect()
    }
}

impl<T: fmt::Debug> fmt::Debug for PagedCowVec<T> {
    /// Prints like a `Vec`.
    ///
    /// ```
    /// let v: arcow::PagedCowVec<u8> = (0..3).collect();
    /// assert_eq!(format!("{v:?}"), "[0, 1, 2]");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for PagedCowVec<T> {
    /// Element by element (no pointer shortcut: `NaN != NaN`). Pages line up
    /// in both vectors, so this compares slices page by page.
    fn eq(&self, other: &PagedCowVec<T>) -> bool {
        self.len == other.len && self.pages().zip(other.pages()).all(|(a, b)| a == b)
    }
}

impl<T: Eq> Eq for PagedCowVec<T> {}

impl<T: Hash> Hash for PagedCowVec<T> {
    /// The length, then each element.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len);
        for x in self.iter() {
            x.hash(state);
        }
    }
}

impl<'a, T> IntoIterator for &'a PagedCowVec<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// The pages of a [`PagedCowVec`] as slices, from
/// [`PagedCowVec::pages`].
///
/// # Examples
///
/// ```
/// let v: arcow::PagedCowVec<u64> = (0..1024).collect();
/// assert_eq!(v.pages().count(), 2);
/// ```
pub struct Pages<'a, T> {
    /// A depth-first walk: `stack[..top]` are the unvisited children at each
    /// level, the root's first.
    stack: [slice::Iter<'a, Node<T>>; MAX_DEPTH],
    top: usize,
    /// The last page, yielded after the tree.
    tail: Option<&'a CowVec<T>>,
}

impl<'a, T> Iterator for Pages<'a, T> {
    type Item = &'a [T];

    fn next(&mut self) -> Option<&'a [T]> {
        while self.top > 0 {
            match self.stack[self.top - 1].next() {
                Some(Node::Page(page)) => return Some(page),
                Some(Node::Inner(children)) => {
                    self.stack[self.top] = children.iter();
                    self.top += 1;
                }
                None => self.top -= 1,
            }
        }
        self.tail.take().map(|t| t.as_slice())
    }
}

impl<T> FusedIterator for Pages<'_, T> {}

impl<T> fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

/// The elements of a [`PagedCowVec`], from [`PagedCowVec::iter`]: a slice
/// iterator per page.
///
/// # Examples
///
/// ```
/// let v: arcow::PagedCowVec<u32> = (0..3).collect();
/// let mut it = v.iter();
/// assert_eq!(it.next(), Some(&0));
/// assert_eq!(it.len(), 2);
/// ```
pub struct Iter<'a, T> {
    pages: Pages<'a, T>,
    page: slice::Iter<'a, T>,
    remaining: usize,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    #[inline]
    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(x) = self.page.next() {
                self.remaining -= 1;
                return Some(x);
            }
            self.page = self.pages.next()?.iter();
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }

    /// Folds page by page, so each page is a plain slice loop.
    fn fold<B, F: FnMut(B, &'a T) -> B>(self, init: B, mut f: F) -> B {
        let mut acc = self.page.fold(init, &mut f);
        for page in self.pages {
            acc = page.iter().fold(acc, &mut f);
        }
        acc
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}
impl<T> FusedIterator for Iter<'_, T> {}

impl<T: fmt::Debug> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        assert_eq!(PagedCowVec::<u8>::PAGE_ELEMS, 4096);
        assert_eq!(PagedCowVec::<u64>::PAGE_ELEMS, 512);
        assert_eq!(PagedCowVec::<[u8; 24]>::PAGE_ELEMS, 128);
        assert_eq!(PagedCowVec::<()>::PAGE_ELEMS, ZST_PAGE_ELEMS);
        assert_eq!(PagedCowVec::<[u8; 5000]>::PAGE_ELEMS, 1);
    }

    #[test]
    fn grows_and_shrinks_across_levels() {
        // Pages of 1 element (size 4096): depth grows every 64x.
        let n = if cfg!(miri) { 70 } else { 64 * 64 + 5 };
        let mut v: PagedCowVec<[u8; 4096]> = PagedCowVec::new();
        for i in 0..n {
            v.push([i as u8; 4096]);
        }
        assert_eq!(v.len(), n);
        assert!(
            v.depth >= 2,
            "depth {} len {} tail {}",
            v.depth,
            v.len(),
            v.tail.len()
        );
        for i in (0..n).step_by(7) {
            assert_eq!(v[i][0], i as u8);
        }
        let snapshot = v.clone();
        while v.len() > 3 {
            v.pop();
        }
        assert_eq!(v.depth, 1);
        assert_eq!(snapshot.len(), n);
        assert_eq!(snapshot[n - 1][0], (n - 1) as u8);
        v.truncate(0);
        assert_eq!((v.depth, v.len()), (0, 0));
    }
}
