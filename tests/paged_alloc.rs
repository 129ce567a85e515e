//! Allocation accounting for `PagedCowVec<T>`, with a counting global
//! allocator.
//!
//! The counters are thread-local: libtest runs each test on its own thread,
//! so tests running in parallel never see each other's allocations. Each
//! check measures only the region it cares about ([`measure`]); assertions,
//! which may format and allocate, stay outside it.
//!
//! Shown here: an empty vector owns nothing; `clone` and reads allocate
//! nothing; a write to a shared 1M-element `u64` vector allocates exactly one
//! page and the two inner nodes on its path (the contract: one page plus at
//! most 8 KiB of inner nodes); a second write to that page allocates nothing,
//! and a write to another page under the same (now unique) inner nodes
//! allocates only that page; dropping the last handle frees everything.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};

use arcow::PagedCowVec;

mod common;

use common::alloc::{measure_with_sizes as measure, Stats};

#[global_allocator]
static GLOBAL: common::alloc::Counting = common::alloc::Counting;

// ---------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------

/// A buffer's header: the refcount and the capacity, one word each.
const HEADER: usize = 2 * std::mem::size_of::<usize>();
/// The bytes of an inner node holding `children` children: the header and
/// one two-word handle (a `CowVec` of the level below) a child.
const fn node_bytes(children: usize) -> usize {
    HEADER + children * 2 * std::mem::size_of::<usize>()
}
/// The bytes of a full page of `T`.
const fn page_bytes<T>() -> usize {
    HEADER + PagedCowVec::<T>::page_elems() * std::mem::size_of::<T>()
}
/// The contract's bound on a write to a shared 1M-element vector: one page
/// (4 KiB of elements and its header) plus at most 8 KiB of inner nodes.
const WRITE_BOUND: usize = 4096 + HEADER + 8 * 1024;

/// A 4 KiB element: one per page, so a tree of more than 64 pages (two inner
/// levels) is cheap enough for Miri.
#[derive(Clone, Debug, PartialEq)]
struct Big([u64; 512]);

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn empty_vectors_own_nothing() {
    let (v, s, _) = measure(|| {
        let a: PagedCowVec<u64> = PagedCowVec::new();
        let b: PagedCowVec<u64> = PagedCowVec::default();
        let c: PagedCowVec<u64> = std::iter::empty().collect();
        let d = PagedCowVec::from(Vec::<u64>::new());
        let e = a.clone();
        (a, b, c, d, e)
    });
    assert_eq!(s, Stats::NONE);
    let (_, s, _) = measure(|| drop(v));
    assert_eq!(s, Stats::NONE);
    let (_, s, _) = measure(|| {
        let mut v: PagedCowVec<u64> = (0..2000).collect();
        v.clear();
        v
    });
    assert!(s.balanced(), "clear frees every page: {s:?}");
}

/// Builds a shared vector of `n` elements, then writes `index` through
/// `set` on one handle and reports what that allocated.
fn shared_write<T: Clone>(v: &PagedCowVec<T>, index: usize, value: T) -> (Stats, Vec<usize>) {
    let mut w = v.clone();
    let (old, s, sizes) = measure(|| w.set(index, value));
    drop(old);
    assert!(!w.ptr_eq(v));
    (s, sizes)
}

/// The write checks for a vector whose tree has two inner levels: each tree
/// index allocates the page and two inner nodes (`root` with
/// `root_children` children, a full level-1 node of 64); the tail allocates
/// one copy of itself.
fn check_writes<T: Clone + PartialEq + std::fmt::Debug>(
    name: &str,
    v: &mut PagedCowVec<T>,
    make: impl Fn(usize) -> T,
) {
    let n = v.len();
    let pe = PagedCowVec::<T>::page_elems();
    let tree_pages = (n - 1) / pe; // the tail holds 1..=pe
    let root_children = tree_pages.div_ceil(64);
    assert!(root_children >= 2, "{name}: the tree has two inner levels");
    let page = page_bytes::<T>();

    // Clone: nothing.
    let (c, s, _) = measure(|| v.clone());
    assert_eq!(s, Stats::NONE, "{name}: clone");
    let (_, s, _) = measure(|| drop(c));
    assert_eq!(s, Stats::NONE, "{name}: drop of a clone");

    // A write into the tree of a shared vector: the page, a level-1 node and
    // the root, nothing freed (the snapshot keeps the old ones).
    for index in [0, pe * 64 - 1, pe * 64, tree_pages * pe - 1] {
        // A full level-1 node has 64 children; the last one may have fewer.
        let level1 = if index / pe / 64 == tree_pages / 64 && !tree_pages.is_multiple_of(64) {
            tree_pages % 64
        } else {
            64
        };
        let (s, sizes) = shared_write(v, index, make(7));
        let mut expected = vec![node_bytes(root_children), node_bytes(level1), page];
        let mut got = sizes.clone();
        expected.sort_unstable();
        got.sort_unstable();
        println!(
            "{name}: set({index}) on a shared vector of {n}: {} allocations, {} bytes \
             (sizes {sizes:?}: root {} + level-1 node {} + page {})",
            s.allocs,
            s.alloc_bytes,
            node_bytes(root_children),
            node_bytes(level1),
            page,
        );
        assert_eq!(
            s.allocs, 3,
            "{name}: set({index}): one page and two inner nodes"
        );
        assert_eq!((s.deallocs, s.reallocs), (0, 0), "{name}: set({index})");
        assert_eq!(got, expected, "{name}: set({index}): sizes");
        assert_eq!(s.alloc_bytes, expected.iter().sum::<usize>());
    }

    // The tail: one copy of it, sized for it.
    let tail_len = n - tree_pages * pe;
    let (s, sizes) = shared_write(v, n - 1, make(8));
    println!(
        "{name}: set({}) (the last page, {tail_len} elements) on a shared vector: \
         {} allocation(s), sizes {sizes:?}",
        n - 1,
        s.allocs
    );
    assert_eq!(s.allocs, 1, "{name}: a write to the tail copies the tail");
    assert_eq!(s.alloc_bytes, HEADER + tail_len * std::mem::size_of::<T>());

    // On one handle: the first write copies, the second to the same page
    // allocates nothing, a write to another page under the same inner nodes
    // allocates that page only.
    let snapshot = v.clone();
    let (_, first, _) = measure(|| v.set(0, make(1)));
    let (_, second, _) = measure(|| v.set(pe - 1, make(2)));
    let (_, via_get_mut, _) = measure(|| *v.get_mut(pe / 2).unwrap() = make(3));
    let (_, other_page, sizes) = measure(|| v.set(pe, make(4)));
    println!(
        "{name}: first write {first:?}; second write to that page {second:?}; \
         another page under the same nodes: {other_page:?} {sizes:?}"
    );
    assert_eq!(first.allocs, 3, "{name}: the first write");
    assert_eq!(
        second,
        Stats::NONE,
        "{name}: a second write to the same page"
    );
    assert_eq!(via_get_mut, Stats::NONE, "{name}: get_mut on the same page");
    assert_eq!(
        other_page.allocs, 1,
        "{name}: another page under unique nodes"
    );
    assert_eq!(sizes, [page]);
    assert_eq!(other_page.alloc_bytes, page);
    assert_eq!(v[pe / 2], make(3));
    assert_eq!(v[pe], make(4));
    assert_eq!(snapshot[0], make(0));
    assert_eq!(snapshot[pe], make(pe));
    drop(snapshot);
}

/// The contract's case: 1M `u64`s. Under Miri, the same shape (a tree of
/// two inner levels) with a 1-element page.
#[test]
fn write_to_shared_1m_vector_copies_one_page_and_its_path() {
    if cfg!(miri) {
        let mut v: PagedCowVec<Big> = (0..64 + 6).map(|i| Big([i as u64; 512])).collect();
        check_writes("Big x70 (Miri)", &mut v, |i| Big([i as u64; 512]));
        return;
    }
    let n = 1_000_000;
    let mut v: PagedCowVec<u64> = (0..n as u64).collect();
    assert_eq!(PagedCowVec::<u64>::page_elems(), 512);
    let mut w = v.clone();
    let (_, s, sizes) = measure(|| w.set(123_456, 0));
    println!(
        "1M u64: set(123456) on a shared vector: {} allocations, {} bytes, sizes {sizes:?} \
         (bound {WRITE_BOUND})",
        s.allocs, s.alloc_bytes
    );
    assert_eq!(s.allocs, 3, "one page and two inner nodes");
    assert!(s.alloc_bytes <= WRITE_BOUND, "{} bytes", s.alloc_bytes);
    assert!(sizes.contains(&(HEADER + 4096)), "a 4 KiB page: {sizes:?}");
    drop(w);
    check_writes("1M u64", &mut v, |i| i as u64);
}

/// `Big` (1 element a page) with two inner levels, in both modes.
#[test]
fn write_to_shared_big_vector_copies_one_page_and_its_path() {
    let n = if cfg!(miri) { 64 + 6 } else { 3 * 64 + 6 };
    let mut v: PagedCowVec<Big> = (0..n).map(|i| Big([i as u64; 512])).collect();
    check_writes("Big", &mut v, |i| Big([i as u64; 512]));
}

/// Reads of every kind allocate nothing.
#[test]
fn reads_allocate_nothing() {
    let n = if cfg!(miri) { 1500 } else { 100_000 };
    let v: PagedCowVec<u64> = (0..n).collect();
    let w = v.clone();
    let (sum, s, _) = measure(|| {
        let mut sum = 0u64;
        sum += v.iter().sum::<u64>();
        // `Iter` has its own `fold`, page by page.
        sum += v.iter().fold(0, |a, x| a ^ x);
        sum += v.pages().map(|p| p.len() as u64).sum::<u64>();
        sum += v.get(n as usize / 2).copied().unwrap_or(0);
        sum += v[n as usize - 1];
        sum += u64::from(v == w) + u64::from(v.ptr_eq(&w)) + v.len() as u64;
        sum
    });
    assert_eq!(s, Stats::NONE);
    assert!(sum > 0);
}

/// `get_mut` past the end finds nothing to write, so on a shared vector it
/// must copy nothing either ("copies the one page holding the element ...;
/// nothing else").
#[test]
fn get_mut_past_the_end_of_a_shared_vector_allocates_nothing() {
    let v: PagedCowVec<u64> = (0..1000).collect();
    let mut w = v.clone();
    let (r, s, _) = measure(|| w.get_mut(1000).is_none());
    assert!(r);
    assert_eq!(
        s,
        Stats::NONE,
        "get_mut(len) on a shared vector copied the last page"
    );
    assert!(w.ptr_eq(&v), "get_mut(len) unshared the last page");
}

/// Dropping the last handle frees everything: whatever happens in a scope
/// (building, clones, writes, pops, truncates), allocations and frees match
/// once every handle is gone.
#[test]
fn dropping_the_last_handle_frees_everything() {
    let n = if cfg!(miri) { 2000 } else { 1_000_000 };
    let ((), s, _) = measure(|| {
        let mut v: PagedCowVec<u64> = (0..n).collect();
        let a = v.clone();
        v.set(3, 3);
        *v.get_mut(n as usize - 1).unwrap() = 1;
        let mut b = v.clone();
        b.truncate(n as usize / 2 + 17);
        v.pop();
        v.push(9);
        let c = b.clone();
        b.extend(0..1000);
        drop(v);
        drop(a);
        drop(b);
        drop(c);
    });
    println!("a scope with 1 vector and 3 clones: {s:?}");
    assert!(s.balanced(), "{s:?}");

    // A deep tree (three inner levels) of 1-element pages, under a clone
    // and a write.
    let n = if cfg!(miri) { 70 } else { 64 * 64 + 10 };
    let ((), s, _) = measure(|| {
        let mut v: PagedCowVec<Big> = (0..n).map(|i| Big([i; 512])).collect();
        let snapshot = v.clone();
        v.set(0, Big([1; 512]));
        drop(snapshot);
        drop(v);
    });
    println!("a deep Big tree: {s:?}");
    assert!(s.balanced(), "{s:?}");
}

/// A truncation of a shared vector lets whole pages go without copying
/// them; only inner nodes (and the one page cut in the middle) are copied.
#[test]
fn truncate_of_a_shared_vector_copies_no_whole_page() {
    let n: usize = if cfg!(miri) { 3000 } else { 1_000_000 };
    let v: PagedCowVec<u64> = (0..n as u64).collect();
    let mut w = v.clone();
    let cut = n / 2 + 5;
    let ((), s, sizes) = measure(|| w.truncate(cut));
    println!("truncate({cut}) of a shared vector of {n}: {s:?}, first sizes {sizes:?}");
    let page = page_bytes::<u64>();
    // The kept part of the page that is cut: `cut % 512` elements.
    assert!(
        sizes.iter().all(|&b| b < page),
        "a whole page was copied: {sizes:?}"
    );
    assert_eq!(w.len(), cut);
    assert_eq!(v.len(), n);
    assert!(w.iter().copied().eq(0..cut as u64));
}

thread_local! {
    /// The key whose `DropBomb` panics in `drop` (on this thread); `u64::MAX`:
    /// none.
    static DROP_BOMB: Cell<u64> = const { Cell::new(u64::MAX) };
    /// `DropBomb`s dropped on this thread.
    static BOMB_DROPS: Cell<usize> = const { Cell::new(0) };
}

/// An element whose `Drop` panics on command.
#[derive(Clone, Debug)]
struct DropBomb(u64);

impl Drop for DropBomb {
    fn drop(&mut self) {
        BOMB_DROPS.with(|d| d.set(d.get() + 1));
        if DROP_BOMB.with(Cell::get) == self.0 && !std::thread::panicking() {
            // `resume_unwind`: no panic hook, so no output buffer that
            // outlives the measurement.
            panic::resume_unwind(Box::new("DropBomb::drop"));
        }
    }
}

/// A panicking `Drop` of one element in the last handle's drop still frees
/// every page and inner node, and drops every other element: whatever the
/// region allocates (the vector, a snapshot and the page copy of a write,
/// the unwinder's own objects) is freed by its end.
#[test]
fn a_panicking_drop_still_frees_every_page() {
    let n = if cfg!(miri) { 1100 } else { 40_000 }; // 512 a page
    for bad in [0, n / 2, n - 1] {
        let drops_before = BOMB_DROPS.with(Cell::get);
        let (result, s, _) = measure(|| {
            let mut v: PagedCowVec<DropBomb> = (0..n).map(DropBomb).collect();
            let snapshot = v.clone();
            // `v` gets its own copy of one page and its path.
            drop(v.set(n as usize / 3, DropBomb(u64::MAX - 1)));
            drop(v);
            DROP_BOMB.with(|b| b.set(bad));
            let r = panic::catch_unwind(AssertUnwindSafe(move || drop(snapshot)));
            DROP_BOMB.with(|b| b.set(u64::MAX));
            // The payload is the unwinder's allocation: drop it in the region.
            r.map_err(|payload| payload.downcast_ref::<&str>().copied())
        });
        assert_eq!(result, Err(Some("DropBomb::drop")), "element {bad}");
        assert!(
            s.balanced(),
            "element {bad}: not everything was freed: {s:?}"
        );
        // `n` elements, the page copy (512 clones), the new value.
        let dropped = BOMB_DROPS.with(Cell::get) - drops_before;
        assert_eq!(dropped, n as usize + 512 + 1, "element {bad}");
    }
}
