//! The public API of `PagedCowVec<T>`: panics and their messages, zero-sized
//! elements, conversions, formatting, equality and hashing, `ptr_eq`, auto
//! traits, the bounds of read-only methods, and page sizes.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::MutexGuard;

use arcow::{cow_vec, CowVec, PagedCowVec};
use static_assertions::{assert_impl_all, assert_not_impl_any};

mod common;

use common::elems::{CountedZst, A4096, A64};

/// Runs `f`, which must panic, and returns its message.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        panic!("a panic without a message")
    }
}

/// `native` normally, `miri` under Miri (where every step is slow).
const fn scale(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

/// FNV-1a, a word at a time for `u64`/`usize`: cheap under Miri, and
/// deterministic.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0 ^ x).wrapping_mul(0x100_0000_01b3);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

fn hash_of<T: Hash>(x: &T) -> u64 {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    x.hash(&mut h);
    h.finish()
}

// ---------------------------------------------------------------------------
// Out of bounds
// ---------------------------------------------------------------------------

#[test]
fn index_out_of_bounds_panics_with_the_len_and_index() {
    let empty: PagedCowVec<u64> = PagedCowVec::new();
    assert_eq!(
        panic_message(|| {
            let _ = empty[0];
        }),
        "index out of bounds: the len is 0 but the index is 0"
    );
    let v: PagedCowVec<u64> = (0..1000).collect();
    for i in [1000, 1001, 5000, usize::MAX] {
        assert_eq!(
            panic_message(|| {
                let _ = v[i];
            }),
            format!("index out of bounds: the len is 1000 but the index is {i}")
        );
        assert_eq!(v.get(i), None);
    }
    // Indices in the tree and in the tail work.
    assert_eq!((v[0], v[511], v[512], v[999]), (0, 511, 512, 999));
}

#[test]
#[should_panic(expected = "index out of bounds: the len is 3 but the index is 3")]
fn index_one_past_the_end_panics() {
    let v: PagedCowVec<u8> = (0..3).collect();
    let _ = v[3];
}

#[test]
fn set_out_of_bounds_panics_with_the_len_and_index() {
    let mut v: PagedCowVec<u64> = (0..1000).collect();
    for i in [1000, 4096, usize::MAX] {
        assert_eq!(
            panic_message(|| {
                v.set(i, 0);
            }),
            format!("index out of bounds: the len is 1000 but the index is {i}")
        );
    }
    let mut e: PagedCowVec<String> = PagedCowVec::new();
    assert_eq!(
        panic_message(|| {
            e.set(0, String::new());
        }),
        "index out of bounds: the len is 0 but the index is 0"
    );
    // The vector is unchanged and usable.
    assert!(v.iter().copied().eq(0..1000));
    assert_eq!(v.set(999, 5), 999);
    assert!(v.get_mut(1000).is_none());
    assert!(e.get_mut(0).is_none());
}

#[test]
#[should_panic(expected = "index out of bounds: the len is 2 but the index is 7")]
fn set_past_the_end_panics() {
    let mut v: PagedCowVec<u8> = (0..2).collect();
    v.set(7, 1);
}

/// `get_mut` past the end of a shared vector returns `None` and unshares
/// nothing: there is no page holding the element to copy.
#[test]
fn get_mut_past_the_end_keeps_the_vector_shared() {
    let v: PagedCowVec<u64> = (0..1000).collect();
    let mut w = v.clone();
    assert!(w.get_mut(1000).is_none());
    assert!(w.get_mut(usize::MAX).is_none());
    assert!(w.ptr_eq(&v), "get_mut past the end copied the last page");
}

// ---------------------------------------------------------------------------
// Zero-sized elements
// ---------------------------------------------------------------------------

#[test]
fn zst_pages_hold_4096() {
    assert_eq!(PagedCowVec::<()>::page_elems(), 4096);
    assert_eq!(PagedCowVec::<[u64; 0]>::page_elems(), 4096);
    let n = scale(3 * 4096 + 5, 4096 + 5);
    let mut v: PagedCowVec<()> = (0..n).map(|_| ()).collect();
    assert_eq!(v.len(), n);
    let sizes: Vec<usize> = v.pages().map(<[()]>::len).collect();
    let mut expected = vec![4096; n / 4096];
    expected.push(5);
    assert_eq!(sizes, expected);
    assert_eq!(v.iter().count(), n);
    let snapshot = v.clone();
    v.set(5, ());
    *v.get_mut(4096).unwrap() = ();
    assert_eq!(v.pop(), Some(()));
    v.truncate(4096);
    assert_eq!(v.pages().count(), 1);
    v.extend([(), ()]);
    assert_eq!(v.len(), 4098);
    assert_eq!(snapshot.len(), n);
    assert_eq!(v[4097], ());
    assert!(v.get(4098).is_none());
    assert_eq!(format!("{:?}", PagedCowVec::from(vec![(), ()])), "[(), ()]");
}

#[test]
fn zst_with_drop_drops_each_element_once() {
    assert_eq!(PagedCowVec::<CountedZst>::page_elems(), 4096);
    let n = scale(2 * 4096 + 100, 4096 + 100);
    {
        let mut v: PagedCowVec<CountedZst> = (0..n).map(|_| CountedZst::new()).collect();
        assert_eq!(CountedZst::live(), n);
        let snapshot = v.clone();
        assert_eq!(CountedZst::live(), n, "clone makes no elements");
        // A write copies one page: 4096 clones, plus the new value.
        drop(v.set(10, CountedZst::new()));
        assert_eq!(CountedZst::live(), n + 4096);
        assert_eq!(v.pop().map(drop), Some(()));
        v.truncate(4096 + 1);
        assert_eq!(v.len(), 4097);
        drop(snapshot);
        // Left: `v`'s copy of page 0 and a copy of page 1's first element
        // (page 1 was shared, so truncating it copied what it kept).
        assert_eq!(CountedZst::live(), v.len());
        v.clear();
        assert_eq!(CountedZst::live(), 0);
        v.push(CountedZst::new());
        v.push(CountedZst::new());
        assert_eq!(CountedZst::live(), 2);
    }
    assert_eq!(CountedZst::live(), 0);
}

// ---------------------------------------------------------------------------
// Over-aligned elements
// ---------------------------------------------------------------------------

/// Asserts that every element and every page of `v` is aligned for `T`.
#[track_caller]
fn assert_aligned<T>(v: &PagedCowVec<T>, what: &str) {
    let align = std::mem::align_of::<T>();
    for (i, page) in v.pages().enumerate() {
        let addr = page.as_ptr() as usize;
        assert_eq!(addr % align, 0, "{what}: page {i} at {addr:#x}");
    }
    for (i, e) in v.iter().enumerate() {
        let addr = e as *const T as usize;
        assert_eq!(addr % align, 0, "{what}: element {i} at {addr:#x}");
    }
}

/// Pushes `n` elements one by one (every page is a fresh allocation, and the
/// tree grows inner nodes), then writes, truncates and rebuilds through a
/// shared handle: each page copy is a fresh allocation that must be aligned
/// too.
fn check_paged_aligned<T: Clone + PartialEq + std::fmt::Debug>(n: usize, make: fn(u64) -> T) {
    let pe = PagedCowVec::<T>::page_elems();
    assert!(n > 2 * pe, "several pages");
    let mut v = PagedCowVec::new();
    for i in 0..n as u64 {
        v.push(make(i));
        let last = v.get(i as usize).unwrap() as *const T as usize;
        assert_eq!(last % std::mem::align_of::<T>(), 0, "push {i}");
    }
    assert_aligned(&v, "pushes");
    let snapshot = v.clone();
    assert_aligned(&snapshot, "clone");
    // Shared: each write copies a page (and its path).
    v.set(0, make(1000));
    *v.get_mut(n / 2).unwrap() = make(1001);
    v.set(n - 1, make(1002));
    assert!(!v.ptr_eq(&snapshot));
    assert_aligned(&v, "set and get_mut on a shared vector");
    assert_aligned(&snapshot, "the snapshot after the copies");
    assert_eq!((v[0].clone(), snapshot[0].clone()), (make(1000), make(0)));
    // A cut in the middle of a shared page copies what it keeps.
    let mut cut = snapshot.clone();
    cut.truncate(pe + pe / 2 + 1);
    cut.push(make(2000));
    assert_eq!(cut.pop(), Some(make(2000)));
    cut.extend((0..pe as u64 + 3).map(make));
    assert_aligned(&cut, "truncate, pop, extend");
    let from_vec = PagedCowVec::from((0..n as u64).map(make).collect::<Vec<_>>());
    let from_cow_vec = PagedCowVec::from((0..n as u64).map(make).collect::<CowVec<_>>());
    let collected: PagedCowVec<T> = (0..n as u64).map(make).collect();
    assert_aligned(&from_vec, "From<Vec>");
    assert_aligned(&from_cow_vec, "From<CowVec>");
    assert_aligned(&collected, "collect");
    assert_eq!(from_vec, snapshot);
    assert_eq!(collected, snapshot);
}

#[test]
fn over_aligned_elements_are_aligned() {
    assert_eq!(PagedCowVec::<A64>::page_elems(), 64);
    assert_eq!(PagedCowVec::<A4096>::page_elems(), 1);
    check_paged_aligned(scale(64 * 70, 64 * 3 + 5), A64);
    // 70 one-element pages: two inner levels.
    check_paged_aligned(scale(70, 10), A4096);
}

// ---------------------------------------------------------------------------
// Send but not Sync elements
// ---------------------------------------------------------------------------

/// A vector of `Cell`s (`Send`, not `Sync`) is neither `Send` nor `Sync`
/// (asserted below), and works on one thread: handles share pages, so a
/// write through a `Cell` shows in every handle sharing its page, while a
/// write through `get_mut`/`set` copies the page.
#[test]
fn send_only_elements_work_on_one_thread() {
    let n = scale(3000, 1100);
    let mut v: PagedCowVec<Cell<u32>> = (0..n as u32).map(Cell::new).collect();
    let w = v.clone();
    w[5].set(500);
    assert_eq!(v[5].get(), 500, "the handles share the page");
    v.get_mut(5).unwrap().set(501);
    assert_eq!((v[5].get(), w[5].get()), (501, 500), "get_mut copied");
    v.set(n - 1, Cell::new(7));
    assert_eq!((v[n - 1].get(), w[n - 1].get()), (7, n as u32 - 1));
    v.truncate(10);
    assert_eq!(v.pop().map(|c| c.get()), Some(9));
    assert_eq!(v.len(), 9);
    assert_eq!(w.len(), n);
    let r: PagedCowVec<RefCell<String>> = (0..3).map(|i| RefCell::new(i.to_string())).collect();
    let r2 = r.clone();
    r2[1].borrow_mut().push('!');
    assert_eq!(*r[1].borrow(), "1!");
    // The elements taken out are `Send`: they may leave the thread.
    let cells = v.to_vec();
    let sum = std::thread::spawn(move || cells.iter().map(Cell::get).sum::<u32>())
        .join()
        .unwrap();
    assert_eq!(sum, 501 + (0..9).sum::<u32>() - 5);
}

// ---------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------

thread_local! {
    static CLONES: Cell<usize> = const { Cell::new(0) };
}

/// Counts its clones on this thread.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Counted(u64);

impl Clone for Counted {
    fn clone(&self) -> Counted {
        CLONES.with(|c| c.set(c.get() + 1));
        Counted(self.0)
    }
}

fn clones() -> usize {
    CLONES.with(Cell::get)
}

#[test]
fn from_vec_moves() {
    let before = clones();
    let v = PagedCowVec::from((0..600).map(Counted).collect::<Vec<_>>());
    assert_eq!(clones(), before, "From<Vec> cloned");
    assert!(v.iter().map(|c| c.0).eq(0..600));
    assert_eq!(PagedCowVec::from(Vec::<u8>::new()).len(), 0);
}

#[test]
fn from_cow_vec_moves_unique_and_clones_shared() {
    let cow: CowVec<Counted> = (0..600).map(Counted).collect();
    let before = clones();
    let v = PagedCowVec::from(cow);
    assert_eq!(clones(), before, "From<CowVec> of a unique CowVec cloned");
    assert!(v.iter().map(|c| c.0).eq(0..600));

    let cow: CowVec<Counted> = (0..600).map(Counted).collect();
    let keep = cow.clone();
    let before = clones();
    let w = PagedCowVec::from(cow);
    assert_eq!(clones() - before, 600, "From<CowVec> of a shared CowVec");
    assert!(w.iter().map(|c| c.0).eq(0..600));
    assert_eq!(keep.len(), 600);
    assert_eq!(v, w);

    let x = PagedCowVec::from(cow_vec![1u8, 2, 3]);
    assert_eq!(x.to_vec(), [1, 2, 3]);
}

#[test]
fn from_iterator_extend_and_to_vec() {
    // u32: 1024 a page.
    let n = scale(5000, 2100) as u32;
    let v: PagedCowVec<u32> = (0..n).collect();
    assert_eq!(v.to_vec(), (0..n).collect::<Vec<_>>());
    let mut w = PagedCowVec::new();
    w.extend(0..n / 2);
    let snapshot = w.clone();
    w.extend(n / 2..n);
    assert_eq!(w, v);
    assert_eq!(snapshot.to_vec(), (0..n / 2).collect::<Vec<_>>());
    w.extend(std::iter::empty());
    assert_eq!(w.len(), n as usize);
    let e: PagedCowVec<String> = std::iter::empty().collect();
    assert!(e.is_empty());
    assert_eq!(e.to_vec(), Vec::<String>::new());
    let s: PagedCowVec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
    assert_eq!(s.to_vec(), ["a", "b"]);
}

// ---------------------------------------------------------------------------
// Formatting, equality, hashing
// ---------------------------------------------------------------------------

/// Two to a page; its `Debug` prints only the number.
#[derive(Clone)]
struct Wide(u16, #[allow(dead_code)] [u8; 1200]);

impl std::fmt::Debug for Wide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Wide").field(&self.0).finish()
    }
}

#[test]
fn debug_prints_like_a_vec() {
    let vec: Vec<u64> = (0..scale(1100, 40) as u64).collect();
    let v = PagedCowVec::from(vec.clone());
    assert_eq!(format!("{v:?}"), format!("{vec:?}"));
    assert_eq!(format!("{v:#?}"), format!("{vec:#?}"));
    // Across pages, cheaply: two elements a page.
    let vec: Vec<Wide> = (0..7).map(|i| Wide(i, [0; 1200])).collect();
    let v = PagedCowVec::from(vec.clone());
    assert_eq!(PagedCowVec::<Wide>::page_elems(), 2);
    assert_eq!(v.pages().count(), 4);
    assert_eq!(format!("{v:?}"), format!("{vec:?}"));
    assert_eq!(format!("{v:#?}"), format!("{vec:#?}"));
    let e: PagedCowVec<u8> = PagedCowVec::new();
    assert_eq!(format!("{e:?}"), "[]");
    let s = PagedCowVec::from(vec!["x".to_string(), "y\n".to_string()]);
    assert_eq!(format!("{s:?}"), r#"["x", "y\n"]"#);
    // The iterator types have a Debug too.
    assert!(format!("{:?}", v.iter()).starts_with("Iter"));
    assert!(format!("{:?}", v.pages()).starts_with("Pages"));
}

#[test]
fn equal_vectors_compare_and_hash_equal() {
    let n = scale(3000, 520) as u64;
    let a: PagedCowVec<u64> = (0..n).collect();
    // Built differently: from a Vec, by pushes, and by writing and
    // writing back on a clone.
    let b = PagedCowVec::from((0..n).collect::<Vec<u64>>());
    let mut c = PagedCowVec::new();
    for i in 0..n {
        c.push(i);
    }
    let mut d = a.clone();
    d.set(513, 0);
    assert_ne!(a, d);
    d.set(513, 513);
    let mut e: PagedCowVec<u64> = (0..n + 100).collect();
    e.truncate(n as usize);
    for x in [&b, &c, &d, &e] {
        assert_eq!(&a, x);
        assert_eq!(hash_of(&a), hash_of(x));
    }
    assert!(!a.ptr_eq(&d));
    // Different lengths or contents.
    let f: PagedCowVec<u64> = (0..n - 1).collect();
    assert_ne!(a, f);
    let mut g = a.clone();
    g.set(n as usize - 1, 7);
    assert_ne!(a, g);
    assert_ne!(hash_of(&a), hash_of(&f));
    let set: HashSet<PagedCowVec<u64>, BuildHasherDefault<Fnv>> =
        [a.clone(), b, c, d, e, f].into_iter().collect();
    assert_eq!(set.len(), 2);
    // The empty vector.
    assert_eq!(PagedCowVec::<u8>::new(), PagedCowVec::default());
    assert_eq!(
        hash_of(&PagedCowVec::<u8>::new()),
        hash_of(&PagedCowVec::<u8>::default())
    );
    // Eq is implemented when T: Eq.
    fn is_eq<T: Eq>() {}
    is_eq::<PagedCowVec<u64>>();
}

#[test]
fn equality_has_no_pointer_shortcut() {
    let v: PagedCowVec<f64> = [1.0, f64::NAN].into_iter().collect();
    let w = v.clone();
    assert!(v.ptr_eq(&w));
    assert_ne!(v, w, "NaN != NaN, even in a shared page");
    #[allow(clippy::eq_op)]
    let self_eq = v == v;
    assert!(!self_eq);
}

#[test]
fn ptr_eq_tells_shared_handles() {
    let a: PagedCowVec<u64> = (0..600).collect();
    let b = a.clone();
    assert!(a.ptr_eq(&b) && b.ptr_eq(&a));
    let c: PagedCowVec<u64> = (0..600).collect();
    assert!(!a.ptr_eq(&c), "equal but separately built");
    let mut d = a.clone();
    d.set(0, 0); // same value, but written: page 0 copied
    assert!(!a.ptr_eq(&d));
    let mut e = a.clone();
    e.push(1);
    assert!(!a.ptr_eq(&e));
    let mut f = a.clone();
    f.truncate(599);
    assert!(!a.ptr_eq(&f));
    let e1: PagedCowVec<u8> = PagedCowVec::new();
    assert!(e1.ptr_eq(&PagedCowVec::new()));
}

// ---------------------------------------------------------------------------
// Auto traits and bounds
// ---------------------------------------------------------------------------

assert_impl_all!(PagedCowVec<u64>: Send, Sync, Clone, Default);
assert_impl_all!(PagedCowVec<String>: Send, Sync);
assert_impl_all!(PagedCowVec<std::sync::Mutex<u8>>: Send, Sync);
// `Cell` is Send but not Sync; `MutexGuard` is Sync but not Send; `Rc` is
// neither: each makes the vector neither.
assert_not_impl_any!(PagedCowVec<Cell<u8>>: Send, Sync);
assert_not_impl_any!(PagedCowVec<MutexGuard<'static, u8>>: Send, Sync);
assert_not_impl_any!(PagedCowVec<Rc<u8>>: Send, Sync);
assert_not_impl_any!(PagedCowVec<RefCell<u8>>: Send, Sync);
assert_impl_all!(arcow::PagedIter<'static, u64>: Send, Sync, ExactSizeIterator);
assert_impl_all!(arcow::Pages<'static, u64>: Send, Sync, Iterator);
assert_not_impl_any!(arcow::PagedIter<'static, Cell<u8>>: Send, Sync);

/// An element that is neither `Clone` nor `Debug` nor anything else.
struct NoClone(#[allow(dead_code)] u32);

/// Everything a read-only user does, with no bound on `T` at all.
fn read_only<T>(v: &PagedCowVec<T>) -> usize {
    let c = v.clone();
    let mut n = c.len() + usize::from(c.is_empty()) + usize::from(c.ptr_eq(v));
    n += c.iter().count() + c.pages().count() + usize::from(c.get(0).is_some());
    n += (&c).into_iter().len();
    if !c.is_empty() {
        let _: &T = &c[0];
    }
    let mut d = c.clone();
    d.clear();
    n += d.len();
    let _ = PagedCowVec::<T>::page_elems();
    let _: PagedCowVec<T> = PagedCowVec::default();
    n
}

#[test]
fn clone_and_reads_need_no_t_clone() {
    let v: PagedCowVec<NoClone> = PagedCowVec::new();
    assert_eq!(read_only(&v), 2); // is_empty + ptr_eq
    let w = v.clone();
    assert!(w.ptr_eq(&v));
    let u: PagedCowVec<u64> = (0..1000).collect();
    assert_eq!(read_only(&u), 1000 + 1 + 1000 + 2 + 1 + 1000);
}

// ---------------------------------------------------------------------------
// Iterators and pages
// ---------------------------------------------------------------------------

#[test]
fn iterators_are_exact_and_fused() {
    // u32: 1024 a page.
    let v: PagedCowVec<u32> = (0..2500).collect();
    let mut it = v.iter();
    assert_eq!(it.len(), 2500);
    for k in 0..1025 {
        assert_eq!(it.next(), Some(&k));
    }
    assert_eq!(it.size_hint(), (1475, Some(1475)));
    assert_eq!(it.by_ref().count(), 1475);
    assert_eq!(it.next(), None);
    assert_eq!(it.next(), None);
    let mut p = v.pages();
    assert_eq!(p.next().map(<[u32]>::len), Some(1024));
    assert_eq!(p.next().map(<[u32]>::len), Some(1024));
    assert_eq!(p.next().map(<[u32]>::len), Some(452));
    assert_eq!(p.next(), None);
    assert_eq!(p.next(), None);
    for (n, x) in (&v).into_iter().enumerate() {
        assert_eq!(*x as usize, n);
    }
    assert_eq!(PagedCowVec::<u8>::new().pages().count(), 0);
    assert_eq!(PagedCowVec::<u8>::new().iter().next(), None);
}

/// For element sizes from 1 byte to 16 KiB, a page holds a power of two of
/// elements, between 1 KiB and 16 KiB of them (at most 4 KiB unless one
/// element is bigger), and `pages()` cuts vectors that way.
#[test]
fn pages_are_between_1_and_16_kib() {
    fn check<const N: usize>() {
        let pe = PagedCowVec::<[u8; N]>::page_elems();
        let bytes = pe * N;
        assert!(pe.is_power_of_two(), "size {N}: {pe} a page");
        assert!(
            (1024..=16 * 1024).contains(&bytes),
            "size {N}: pages of {bytes} bytes"
        );
        if N <= 4096 {
            assert!(bytes <= 4096 && 2 * bytes > 4096, "size {N}: {bytes}");
        } else {
            assert_eq!(pe, 1);
        }
        let full = scale(2, 1);
        let n = full * pe + 1;
        let v: PagedCowVec<[u8; N]> = (0..n).map(|i| [i as u8; N]).collect();
        let sizes: Vec<usize> = v.pages().map(<[[u8; N]]>::len).collect();
        let mut expected = vec![pe; full];
        expected.push(1);
        assert_eq!(sizes, expected, "size {N}");
        for (i, x) in v.iter().enumerate() {
            assert_eq!(x[0], i as u8);
        }
    }
    check::<1>();
    check::<2>();
    check::<3>();
    check::<7>();
    check::<8>();
    check::<24>();
    check::<100>();
    check::<1000>();
    check::<2048>();
    check::<2049>();
    check::<4095>();
    check::<4096>();
    check::<4097>();
    check::<10000>();
    check::<16384>();
    assert_eq!(PagedCowVec::<u8>::page_elems(), 4096);
    assert_eq!(PagedCowVec::<u64>::page_elems(), 512);
    assert_eq!(PagedCowVec::<(u64, u64, u64)>::page_elems(), 128);
}

/// `push` onto a tail that a snapshot shares copies the tail once and
/// still fills exactly one page before the next starts, as does a tail whose
/// capacity exceeds a page (a zero-sized element's is unbounded): `push`'s
/// fast path bounds the tail by the page as well as by its capacity.
#[test]
fn push_onto_a_shared_tail_fills_whole_pages() {
    fn check<T: Clone + PartialEq + std::fmt::Debug>(make: fn(usize) -> T) {
        let pe = PagedCowVec::<T>::page_elems();
        // Under Miri (slow): one start, across one page boundary.
        let (starts, pages) = if cfg!(miri) {
            (vec![pe / 2], 1)
        } else {
            (vec![0, 1, pe / 2, pe - 1, pe, pe + 3, 2 * pe - 1], 2)
        };
        for start in starts {
            let mut v: PagedCowVec<T> = (0..start).map(make).collect();
            let snapshot = v.clone();
            let n = start + pages * pe + 5;
            for i in start..n {
                v.push(make(i));
                if i == start + pe / 3 {
                    // Share the tail again partway through a page.
                    let again = v.clone();
                    v.push(make(0));
                    assert_eq!(v.pop(), Some(make(0)));
                    assert_eq!(again.len(), i + 1);
                }
            }
            let sizes: Vec<usize> = v.pages().map(<[T]>::len).collect();
            let mut expected = vec![pe; n / pe];
            if !n.is_multiple_of(pe) {
                expected.push(n % pe);
            }
            assert_eq!(sizes, expected, "start {start}");
            assert!(v.iter().cloned().eq((0..n).map(make)), "start {start}");
            assert!(snapshot.iter().cloned().eq((0..start).map(make)));
        }
    }
    check::<u64>(|i| i as u64);
    check::<String>(|i| i.to_string());
    // 4096 a page: too many pushes for Miri, where the zero-sized tests
    // above cover `push` without the snapshots.
    if !cfg!(miri) {
        check::<()>(|_| ());
    }
}

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

#[test]
fn writes_through_every_method() {
    // String: 128 a page.
    assert_eq!(PagedCowVec::<String>::page_elems(), 128);
    let mut v: PagedCowVec<String> = (0..300).map(|i| i.to_string()).collect();
    let snapshot = v.clone();
    assert_eq!(v.set(200, "x".into()), "200");
    v.get_mut(299).unwrap().push('!');
    assert_eq!(v.pop().as_deref(), Some("299!"));
    v.push("y".into());
    v.truncate(300); // no-op: not longer
    assert_eq!(v.len(), 300);
    v.truncate(201);
    assert_eq!(v.iter().last().map(String::as_str), Some("x"));
    assert_eq!(v[199], "199");
    assert!(snapshot
        .iter()
        .enumerate()
        .all(|(i, s)| *s == i.to_string()));
    while v.pop().is_some() {}
    assert!(v.is_empty());
    assert_eq!(v.pages().count(), 0);
    v.push("z".into());
    assert_eq!(v.to_vec(), ["z"]);
    let mut s = snapshot.clone();
    s.clear();
    assert!(s.is_empty());
    assert_eq!(snapshot.len(), 300);
}
