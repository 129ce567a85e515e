//! [`PagedCowVec<T>`]: copy-on-write by the page, as `fork` does.
//!
//! Elements live in pages of about 4 KiB, each a [`CowVec<T>`]. Full pages
//! hang under a shallow tree of inner nodes, each a `CowVec` of children, and
//! the last page (the *tail*) sits in the handle so that `push` is a
//! `CowVec::push`. Every page and node is refcounted by the crate's one
//! refcount core (through `CowVec`), so `clone` is two atomic increments and a
//! write copies only the page it touches and the inner nodes on its path.
//!
//! Its one `unsafe` is the read path: [`PagedCowVec::get`] walks the tree
//! without bounds checks, relying on the tree's shape invariant (see
//! [`Tree`]), which every write keeps and debug builds assert on every read.
//! Everything else is built on `CowVec`'s guarantees.

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

/// Bytes a page aims at.
const PAGE_BYTES: usize = 4096;
/// Elements per page of a zero-sized `T`.
const ZST_PAGE_ELEMS: usize = 4096;

/// The most levels of inner nodes a tree has: `64^6 = 2^36` pages. A page
/// holds more than 2 KiB of a `T` of at least one byte, so that is over
/// 2^47 bytes (128 TiB), more memory than any machine has; only zero-sized
/// elements can reach the limit (2^48 of them), and `push` then panics.
const MAX_HEIGHT: u32 = 6;

/// A full page of the tree: [`PagedCowVec::page_elems`] elements. (The last
/// page, the tail, is a bare `CowVec<T>` in the handle.)
struct Page<T>(CowVec<T>);

impl<T> Clone for Page<T> {
    /// A refcount increment; no `T: Clone` needed.
    fn clone(&self) -> Page<T> {
        Page(self.0.clone())
    }
}

/// What the tree is made of: a [`Page`] (height 0), or an inner node
/// `CowVec<C>` of 1 to 64 children `C` one level lower (height 1 holds
/// pages). Each height is its own type, so a walk from the root is
/// straight-line code: no tag to test per level, and a child is a two-word
/// `CowVec`.
///
/// Methods take the element index from the start of the vector; each level
/// picks its child with a shift and a mask. Methods that only make sense
/// for inner nodes are never called on a page.
trait Node<T>: Clone {
    /// Levels of inner nodes from here down to the pages.
    const HEIGHT: u32;

    /// The element at `index`, without bounds checks: the walk is the hot
    /// path of every read (they would cost a third of a random read).
    ///
    /// # Safety
    ///
    /// This subtree holds element `index`: the root, with
    /// `index < tree_len` (the [`Tree`] invariant then puts it in the
    /// subtree its index selects, at every level).
    unsafe fn get(&self, index: usize) -> &T;

    /// The element at `index`, copying this node, the nodes below it on the
    /// way to `index`, and the page, where shared.
    fn get_mut(&mut self, index: usize) -> &mut T
    where
        T: Clone;

    /// Does this handle alone own every node and the page on the way to
    /// `index`?
    fn path_is_unique(&self, index: usize) -> bool;

    /// The pages of the height-1 node holding `index`.
    fn leaf(&self, index: usize) -> &[Page<T>];

    /// `Some` when `Self` is `Page<T>`: the children of a height-1 node.
    fn as_pages(nodes: &[Self]) -> Option<&[Page<T>]>;

    /// `Some` when `Self` is `Page<T>`: a height-1 node itself.
    fn as_pages_mut(nodes: &mut CowVec<Self>) -> Option<&mut CowVec<Page<T>>>;

    /// A subtree of this height holding just `page`.
    fn single(page: Page<T>) -> Self;

    /// Appends `page` after the `pages` pages this subtree holds, or gives
    /// it back if the subtree is full.
    fn push_page(&mut self, page: Page<T>, pages: usize) -> Result<(), Page<T>>;

    /// Removes and returns the last page, removing inner nodes it empties.
    fn pop_page(&mut self) -> Page<T>;

    /// An inner node with no children left.
    fn is_empty_node(&self) -> bool;
}

impl<T> Node<T> for Page<T> {
    const HEIGHT: u32 = 0;

    #[inline(always)]
    unsafe fn get(&self, index: usize) -> &T {
        let i = index & PagedCowVec::<T>::PAGE_MASK;
        debug_assert!(i < self.0.len(), "a page in the tree is full");
        // SAFETY: a page in the tree holds `PAGE_ELEMS` elements (the
        // `Tree` invariant), and the mask keeps `i` below that.
        unsafe { self.0.get_unchecked(i) }
    }

    #[inline]
    fn get_mut(&mut self, index: usize) -> &mut T
    where
        T: Clone,
    {
        &mut self.0.make_mut()[index & PagedCowVec::<T>::PAGE_MASK]
    }

    fn path_is_unique(&self, _: usize) -> bool {
        self.0.is_unique()
    }

    fn leaf(&self, _: usize) -> &[Page<T>] {
        unreachable!("a page has no children")
    }

    #[inline(always)]
    fn as_pages(nodes: &[Page<T>]) -> Option<&[Page<T>]> {
        Some(nodes)
    }

    #[inline(always)]
    fn as_pages_mut(nodes: &mut CowVec<Page<T>>) -> Option<&mut CowVec<Page<T>>> {
        Some(nodes)
    }

    fn single(page: Page<T>) -> Page<T> {
        page
    }

    fn push_page(&mut self, page: Page<T>, _: usize) -> Result<(), Page<T>> {
        Err(page)
    }

    fn pop_page(&mut self) -> Page<T> {
        unreachable!("a page has no children")
    }

    fn is_empty_node(&self) -> bool {
        false
    }
}

impl<T, C: Node<T>> Node<T> for CowVec<C> {
    const HEIGHT: u32 = C::HEIGHT + 1;

    #[inline(always)]
    unsafe fn get(&self, index: usize) -> &T {
        let i = child::<T, C>(index);
        debug_assert!(i < self.len(), "the subtree holds the index");
        // This node holds element `index` (precondition). Its children hold
        // consecutive runs of `PAGE_ELEMS << (6 * C::HEIGHT)` elements, all
        // full but the last (the `Tree` invariant).
        // SAFETY: so child `i` exists, and it holds element `index`.
        unsafe { Node::get(self.get_unchecked(i), index) }
    }

    #[inline]
    fn get_mut(&mut self, index: usize) -> &mut T
    where
        T: Clone,
    {
        Node::get_mut(&mut self.make_mut()[child::<T, C>(index)], index)
    }

    fn path_is_unique(&self, index: usize) -> bool {
        self.is_unique() && Node::path_is_unique(&self[child::<T, C>(index)], index)
    }

    #[inline]
    fn leaf(&self, index: usize) -> &[Page<T>] {
        match C::as_pages(self) {
            Some(pages) => pages,
            None => Node::leaf(&self[child::<T, C>(index)], index),
        }
    }

    #[inline(always)]
    fn as_pages(_: &[CowVec<C>]) -> Option<&[Page<T>]> {
        None
    }

    #[inline(always)]
    fn as_pages_mut(_: &mut CowVec<CowVec<C>>) -> Option<&mut CowVec<Page<T>>> {
        None
    }

    fn single(page: Page<T>) -> CowVec<C> {
        let mut node = CowVec::with_capacity(FANOUT);
        node.push(C::single(page));
        node
    }

    fn push_page(&mut self, page: Page<T>, pages: usize) -> Result<(), Page<T>> {
        if let Some(children) = C::as_pages_mut(self) {
            if children.len() == FANOUT {
                return Err(page);
            }
            children.push(page);
            return Ok(());
        }
        // Each child holds up to 64^(HEIGHT - 1) pages; all but the last
        // are full.
        let child_bits = FANOUT_BITS * (Self::HEIGHT - 1);
        let i = pages >> child_bits;
        if i == FANOUT {
            return Err(page);
        }
        if i < self.len() {
            let rest = pages & ((1 << child_bits) - 1);
            if self.make_mut()[i].push_page(page, rest).is_err() {
                unreachable!("the last child had room");
            }
        } else {
            self.push(C::single(page));
        }
        Ok(())
    }

    fn pop_page(&mut self) -> Page<T> {
        if let Some(children) = C::as_pages_mut(self) {
            return children.pop().expect("an inner node has children");
        }
        let last = self
            .make_mut()
            .last_mut()
            .expect("an inner node has children");
        let page = last.pop_page();
        if last.is_empty_node() {
            self.pop();
        }
        page
    }

    fn is_empty_node(&self) -> bool {
        self.is_empty()
    }
}

/// Which child of an inner node whose children are `C` holds element
/// `index`: a shift and a mask (constants for each `T` and height).
#[inline(always)]
fn child<T, C: Node<T>>(index: usize) -> usize {
    let shift = PagedCowVec::<T>::PAGE_BITS + FANOUT_BITS * C::HEIGHT;
    // `checked_shr`: past the word's width the child is 0 (32-bit targets).
    index.checked_shr(shift).unwrap_or(0) & FANOUT_MASK
}

/// The panic of an out-of-bounds index, out of line so that the read path
/// keeps `index` in a register.
#[cold]
#[inline(never)]
#[track_caller]
fn out_of_bounds(len: usize, index: usize) -> ! {
    panic!("index out of bounds: the len is {len} but the index is {index}")
}

type N1<T> = CowVec<Page<T>>;
type N2<T> = CowVec<N1<T>>;
type N3<T> = CowVec<N2<T>>;
type N4<T> = CowVec<N3<T>>;
type N5<T> = CowVec<N4<T>>;
type N6<T> = CowVec<N5<T>>;

/// The full pages: nothing, or a root inner node of height 1 to 6.
///
/// Invariant: the tree holds `tree_len` elements in full pages, in order;
/// every inner node has 1 to 64 children, and all but the last child of
/// a node are full subtrees; the root has at least 2 children unless it
/// has height 1.
enum Tree<T> {
    Empty,
    L1(N1<T>),
    L2(N2<T>),
    L3(N3<T>),
    L4(N4<T>),
    L5(N5<T>),
    L6(N6<T>),
}

/// Runs `$body` with `$node` bound to the root, whatever its height
/// (monomorphized per height), or `$empty` for an empty tree.
macro_rules! with_root {
    ($tree:expr, $node:ident => $body:expr, Empty => $empty:expr) => {
        match $tree {
            Tree::Empty => $empty,
            Tree::L1($node) => $body,
            Tree::L2($node) => $body,
            Tree::L3($node) => $body,
            Tree::L4($node) => $body,
            Tree::L5($node) => $body,
            Tree::L6($node) => $body,
        }
    };
}

impl<T> Tree<T> {
    /// A tree one level higher holding `old` and then `page`; `old` must be
    /// full. Panics at the maximum height (before changing anything).
    fn grow(self, page: Page<T>) -> Tree<T> {
        fn above<T, C: Node<T>>(old: C, page: Page<T>) -> CowVec<C> {
            let mut root = CowVec::with_capacity(FANOUT);
            root.push(old);
            root.push(C::single(page));
            root
        }
        match self {
            Tree::Empty => Tree::L1(N1::single(page)),
            Tree::L1(n) => Tree::L2(above(n, page)),
            Tree::L2(n) => Tree::L3(above(n, page)),
            Tree::L3(n) => Tree::L4(above(n, page)),
            Tree::L4(n) => Tree::L5(above(n, page)),
            Tree::L5(n) => Tree::L6(above(n, page)),
            Tree::L6(_) => unreachable!("checked by start_page"),
        }
    }

    /// One step of shrinking: an empty root goes, a root of height 2 or more
    /// with a single child is replaced by that child. `None` if neither.
    fn shrink(&self) -> Option<Tree<T>> {
        fn only<C: Clone>(node: &CowVec<C>) -> Option<C> {
            match &node[..] {
                [only] => Some(only.clone()),
                _ => None,
            }
        }
        if with_root!(self, n => n.is_empty(), Empty => false) {
            return Some(Tree::Empty);
        }
        match self {
            Tree::Empty | Tree::L1(_) => None,
            Tree::L2(n) => only(n).map(Tree::L1),
            Tree::L3(n) => only(n).map(Tree::L2),
            Tree::L4(n) => only(n).map(Tree::L3),
            Tree::L5(n) => only(n).map(Tree::L4),
            Tree::L6(n) => only(n).map(Tree::L5),
        }
    }

    /// The pages of the height-1 node holding `index` (`index < tree_len`).
    fn leaf(&self, index: usize) -> &[Page<T>] {
        with_root!(self, n => Node::leaf(n, index), Empty => &[])
    }

    /// Levels of inner nodes (0 for an empty tree).
    #[cfg(test)]
    fn height(&self) -> u32 {
        match self {
            Tree::Empty => 0,
            Tree::L1(_) => 1,
            Tree::L2(_) => 2,
            Tree::L3(_) => 3,
            Tree::L4(_) => 4,
            Tree::L5(_) => 5,
            Tree::L6(_) => 6,
        }
    }
}

impl<T> Clone for Tree<T> {
    /// A refcount increment of the root.
    fn clone(&self) -> Tree<T> {
        match self {
            Tree::Empty => Tree::Empty,
            Tree::L1(n) => Tree::L1(n.clone()),
            Tree::L2(n) => Tree::L2(n.clone()),
            Tree::L3(n) => Tree::L3(n.clone()),
            Tree::L4(n) => Tree::L4(n.clone()),
            Tree::L5(n) => Tree::L5(n.clone()),
            Tree::L6(n) => Tree::L6(n.clone()),
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
///   vector: one 4 KiB page and two inner nodes of at most 1 KiB).
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
    /// The full pages.
    tree: Tree<T>,
    /// Elements in `tree`: a multiple of `page_elems()`.
    tree_len: usize,
    /// The last page: `1..=page_elems()` elements, or empty when the whole
    /// vector is. The length is `tree_len + tail.len()`, so `push` touches
    /// only the tail.
    ///
    /// Invariant: if `tail` is empty, so is the tree (`tree_len == 0`).
    tail: CowVec<T>,
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

    /// The most elements the tree can hold (`64^6` pages, or the largest
    /// multiple of a page that fits in a `usize`).
    const MAX_TREE_LEN: usize = {
        let bits = Self::PAGE_BITS + FANOUT_BITS * MAX_HEIGHT;
        if bits >= usize::BITS {
            // Room for a full tail after it, so `len()` cannot overflow.
            (usize::MAX & !Self::PAGE_MASK) - Self::PAGE_ELEMS
        } else {
            1 << bits
        }
    };

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
            tree: Tree::Empty,
            tree_len: 0,
            tail: CowVec::new(),
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
        self.tree_len + self.tail.len()
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
        self.tail.is_empty()
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
        let tree_len = self.tree_len;
        if index < tree_len {
            // SAFETY: `index < tree_len`, checked just above.
            Some(unsafe { self.tree_get(index) })
        } else {
            self.tail.get(index - tree_len)
        }
    }

    /// The element at tree index `index`: a shift, a mask and a load per
    /// level, with no bounds checks.
    ///
    /// Heights 1 to 3 (up to 134M `u64`) are tested one by one, inline;
    /// taller trees go out of line. Three tests is a compare chain that
    /// LLVM hoists out of a caller's loop (the tree's height does not
    /// change while `&self` is borrowed), so a loop of reads runs one walk
    /// with no dispatch at all. Matching all seven heights here compiled
    /// to a jump table, an indirect jump on every read that was never
    /// hoisted: 1k random reads of 1M `u64` took 1.45x the bare two-level
    /// walk of benches/targets.rs, and take 1.14x with this.
    ///
    /// # Safety
    ///
    /// `index < tree_len`.
    #[inline(always)]
    unsafe fn tree_get(&self, index: usize) -> &T {
        debug_assert!(index < self.tree_len);
        // In each arm the root holds elements `[0, tree_len)` (the `Tree`
        // invariant) and `index < tree_len` (precondition).
        match &self.tree {
            // SAFETY: so the root holds `index`.
            Tree::L2(n) => unsafe { Node::get(n, index) },
            // SAFETY: so the root holds `index`.
            Tree::L1(n) => unsafe { Node::get(n, index) },
            // SAFETY: so the root holds `index`.
            Tree::L3(n) => unsafe { Node::get(n, index) },
            // SAFETY: `index < tree_len`, its precondition.
            _ => unsafe { self.tree_get_tall(index) },
        }
    }

    /// [`tree_get`](Self::tree_get) for any height, out of line.
    ///
    /// # Safety
    ///
    /// `index < tree_len`.
    #[inline(never)]
    unsafe fn tree_get_tall(&self, index: usize) -> &T {
        // SAFETY: the root holds elements `[0, tree_len)` (the `Tree`
        // invariant), and `index < tree_len` (precondition).
        with_root!(&self.tree, n => unsafe { Node::get(n, index) }, Empty => unreachable!("index < tree_len"))
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
            remaining: self.len(),
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
        Pages {
            tree: &self.tree,
            leaf: [].iter(),
            next: 0,
            tree_len: self.tree_len,
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
        let same_tree = match (&self.tree, &other.tree) {
            (Tree::Empty, Tree::Empty) => true,
            (Tree::L1(a), Tree::L1(b)) => a.ptr_eq(b),
            (Tree::L2(a), Tree::L2(b)) => a.ptr_eq(b),
            (Tree::L3(a), Tree::L3(b)) => a.ptr_eq(b),
            (Tree::L4(a), Tree::L4(b)) => a.ptr_eq(b),
            (Tree::L5(a), Tree::L5(b)) => a.ptr_eq(b),
            (Tree::L6(a), Tree::L6(b)) => a.ptr_eq(b),
            _ => false,
        };
        same_tree && self.tree_len == other.tree_len && self.tail.ptr_eq(&other.tail)
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
    fn push_page(&mut self, page: CowVec<T>) {
        debug_assert_eq!(page.len(), Self::PAGE_ELEMS);
        debug_assert!(self.tree_len < Self::MAX_TREE_LEN);
        let pages = self.tree_len >> Self::PAGE_BITS;
        let page = Page(page);
        let full = with_root!(&mut self.tree, n => n.push_page(page, pages), Empty => Err(page));
        if let Err(page) = full {
            // The tree is full (or absent): a new root above the old one.
            self.tree = mem::replace(&mut self.tree, Tree::Empty).grow(page);
        }
        self.tree_len += Self::PAGE_ELEMS;
    }

    /// Takes the last page out of the tree (copying the inner nodes on its
    /// path if they are shared; the page itself moves by refcount), and
    /// lowers the root while it has a single child.
    fn pop_page(&mut self) -> CowVec<T> {
        let page = with_root!(&mut self.tree, n => n.pop_page(), Empty => unreachable!("no pages"));
        self.tree_len -= Self::PAGE_ELEMS;
        while let Some(lower) = self.tree.shrink() {
            self.tree = lower;
        }
        page.0
    }

    /// The page holding tree element `index` (`index < tree_len`).
    fn tree_page(&self, index: usize) -> &CowVec<T> {
        &self.tree.leaf(index)[(index >> Self::PAGE_BITS) & FANOUT_MASK].0
    }

    /// Does this vector alone own the page holding tree element `index` and
    /// every inner node above it? Then writing it copies nothing.
    fn path_is_unique(&self, index: usize) -> bool {
        with_root!(&self.tree, n => Node::path_is_unique(n, index), Empty => true)
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
        let tree_len = self.tree_len;
        if index >= tree_len {
            // Checked first: out of bounds copies nothing.
            if index - tree_len >= self.tail.len() {
                return None;
            }
            return Some(&mut self.tail.make_mut()[index - tree_len]);
        }
        with_root!(&mut self.tree, n => Some(Node::get_mut(n, index)), Empty => None)
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
        let len = self.len();
        match self.get_mut(index) {
            Some(slot) => mem::replace(slot, value),
            None => out_of_bounds(len, index),
        }
    }

    /// Appends `value` to the last page; when that page is full, it moves
    /// into the tree and a new last page starts.
    ///
    /// # Panics
    ///
    /// If the vector already holds `64^6` pages (more elements than fit in
    /// memory, unless `T` is zero-sized).
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
        if let Err(value) = self.tail.push_within(Self::PAGE_ELEMS, value) {
            self.push_slow(value);
        }
    }

    /// `push` when the tail is full, shared, or not allocated yet.
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn push_slow(&mut self, value: T) {
        if self.tail.len() == Self::PAGE_ELEMS {
            self.start_page();
        }
        self.tail.push(value);
    }

    /// Moves the full tail into the tree and starts an empty one.
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn start_page(&mut self) {
        if self.tree_len > Self::MAX_TREE_LEN - Self::PAGE_ELEMS {
            panic!("arcow::PagedCowVec: capacity overflow");
        }
        let full = mem::replace(&mut self.tail, CowVec::with_capacity(Self::PAGE_ELEMS));
        self.push_page(full);
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
        if self.tail.is_empty() && self.tree_len > 0 {
            self.tail = self.pop_page();
        }
        Some(out)
    }

    /// Shortens the vector to `len` elements; does nothing if it is not
    /// longer. Whole pages past the end are let go, never copied; the page
    /// that becomes the last one is copied if it is shared (at most one
    /// page).
    ///
    /// If that copy's `T::clone` panics, the vector is left unchanged. The
    /// elements removed are dropped only once the vector is in its new
    /// state, so a panicking `Drop` leaves it truncated (and every other
    /// removed element is still dropped).
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
        if len >= self.len() {
            return;
        }
        if len == 0 {
            self.clear();
            return;
        }
        let tree_len = self.tree_len;
        if len > tree_len {
            // The last page stays the last page.
            self.tail.truncate(len - tree_len);
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
        while self.tree_len > page_start {
            removed.push(self.pop_page());
        }
        // The last page removed is the one at `page_start`.
        let owned_page = removed.pop();
        self.tail = match copied {
            Some(page) => page,
            None => owned_page.unwrap_or_default(),
        };
        // Cut the kept page in place (a no-op for the copy). `CowVec`
        // lowers its length before it drops anything, so the vector has its
        // new length before the first removed element is dropped; if a
        // `Drop` panics, what is left of `removed` is dropped by unwinding.
        self.tail.truncate(len - page_start);
        drop(removed);
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
        let mut out = Vec::with_capacity(self.len());
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
            tree: self.tree.clone(),
            tree_len: self.tree_len,
            tail: self.tail.clone(),
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
        let tree_len = self.tree_len;
        if index < tree_len {
            // SAFETY: `index < tree_len`, checked just above.
            return unsafe { self.tree_get(index) };
        }
        match self.tail.get(index - tree_len) {
            Some(x) => x,
            None => out_of_bounds(self.len(), index),
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
        self.len() == other.len() && self.pages().zip(other.pages()).all(|(a, b)| a == b)
    }
}

impl<T: Eq> Eq for PagedCowVec<T> {}

impl<T: Hash> Hash for PagedCowVec<T> {
    /// The length, then each element.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
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
    tree: &'a Tree<T>,
    /// The pages left in the current height-1 node.
    leaf: slice::Iter<'a, Page<T>>,
    /// The index of the first element after `leaf`'s pages.
    next: usize,
    /// Elements in the tree: where the walk ends.
    tree_len: usize,
    /// The last page, yielded after the tree.
    tail: Option<&'a CowVec<T>>,
}

impl<'a, T> Iterator for Pages<'a, T> {
    type Item = &'a [T];

    fn next(&mut self) -> Option<&'a [T]> {
        loop {
            if let Some(page) = self.leaf.next() {
                return Some(&page.0);
            }
            if self.next >= self.tree_len {
                return self.tail.take().map(|t| t.as_slice());
            }
            // The next height-1 node: one walk from the root per 64 pages.
            let leaf = self.tree.leaf(self.next);
            self.next += leaf.len() << PagedCowVec::<T>::PAGE_BITS;
            self.leaf = leaf.iter();
        }
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

    /// A tree at the maximum height, full: built by sharing (every node's
    /// 64 children are one child, cloned), so it costs 6 x 64 increments.
    /// Zero-sized elements are the only ones that can get there for real.
    #[cfg(all(feature = "std", target_pointer_width = "64"))]
    #[test]
    fn a_full_tree_panics_on_push_and_stays_usable() {
        type V = PagedCowVec<()>;
        fn full<C: Clone>(child: C) -> CowVec<C> {
            (0..FANOUT).map(|_| child.clone()).collect()
        }
        let page: CowVec<()> = (0..V::PAGE_ELEMS).map(|_| ()).collect();
        let root = full(full(full(full(full(full(Page(page.clone())))))));
        let mut v = V {
            tree: Tree::L6(root),
            tree_len: V::MAX_TREE_LEN,
            tail: page,
        };
        assert_eq!(v.tree_len, 1 << 48);
        let len = v.len();
        assert_eq!(v.get(len - 1), Some(&()));
        // The unchecked walk through six levels, at the tree's last element.
        assert_eq!(v.get(v.tree_len - 1), Some(&()));
        assert_eq!(v.get(len), None);
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| v.push(())))
            .expect_err("a push past the maximum tree must panic");
        assert_eq!(
            err.downcast_ref::<&str>(),
            Some(&"arcow::PagedCowVec: capacity overflow")
        );
        assert_eq!(v.len(), len, "the failed push changed the vector");
        // Still usable: pop takes the last page back out of the tree.
        for _ in 0..=V::PAGE_ELEMS {
            assert_eq!(v.pop(), Some(()));
        }
        assert_eq!(v.len(), len - V::PAGE_ELEMS - 1);
        assert_eq!(v.tree_len, V::MAX_TREE_LEN - V::PAGE_ELEMS);
        assert_eq!(v.tree.height(), 6);
        v.push(());
        assert_eq!(v.len(), len - V::PAGE_ELEMS);
    }

    #[test]
    fn grows_and_shrinks_across_levels() {
        // Pages of 1 element (size 4096): the tree grows a level every 64x.
        let n = if cfg!(miri) { 70 } else { 64 * 64 + 5 };
        let mut v: PagedCowVec<[u8; 4096]> = PagedCowVec::new();
        for i in 0..n {
            v.push([i as u8; 4096]);
        }
        assert_eq!(v.len(), n);
        // 69 or 4100 full pages: two or three levels of inner nodes.
        assert_eq!(v.tree.height(), if cfg!(miri) { 2 } else { 3 });
        for i in (0..n).step_by(7) {
            assert_eq!(v[i][0], i as u8);
        }
        let snapshot = v.clone();
        while v.len() > 3 {
            v.pop();
        }
        assert_eq!(v.tree.height(), 1);
        assert_eq!(snapshot.len(), n);
        assert_eq!(snapshot[n - 1][0], (n - 1) as u8);
        v.truncate(0);
        assert_eq!((v.tree.height(), v.len()), (0, 0));
    }
}
