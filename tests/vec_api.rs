//! The public API of `CowVec<T>`: layout, auto traits, trait bounds, zero-sized
//! and over-aligned elements, capacity overflow, comparisons, hashing,
//! formatting, conversions, iteration, `io::Write`, the `cow_vec!` macro,
//! serde, and the panic messages of out-of-bounds indices.

use std::borrow::Borrow;
use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::mem::{align_of, size_of};
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe, RefUnwindSafe, UnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard, Once};

use arcow::{cow_vec, CowVec, IntoIter};
use static_assertions::{assert_eq_size, assert_impl_all, assert_not_impl_any};

mod common;

use common::elems::{CountedZst, A4096, A64};

// ---------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------

/// Not `Clone`: whatever compiles with it needs no `T: Clone`.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct NoClone(u32);

#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(align(64))]
struct ZstA64;

#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(align(4096))]
struct ZstA4096;

thread_local! {
    static MADE: Cell<usize> = const { Cell::new(0) };
    static CLONES: Cell<usize> = const { Cell::new(0) };
    static DROPS: Cell<usize> = const { Cell::new(0) };
}

fn made() -> usize {
    MADE.with(Cell::get)
}
fn clones() -> usize {
    CLONES.with(Cell::get)
}
fn drops() -> usize {
    DROPS.with(Cell::get)
}

/// Counts (per thread) how many are made, cloned and dropped.
#[derive(Debug, PartialEq)]
struct Tracked(u32);

impl Tracked {
    fn new(x: u32) -> Tracked {
        MADE.with(|m| m.set(m.get() + 1));
        Tracked(x)
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Tracked {
        CLONES.with(|c| c.set(c.get() + 1));
        Tracked::new(self.0)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
    }
}

fn scale(n: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        n
    }
}

/// Runs `f`, which must panic; returns the panic message and the file and
/// line the panic reports.
fn panic_message(f: impl FnOnce()) -> (String, String, u32) {
    thread_local! {
        static CAUGHT: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
        static CAPTURE: Cell<bool> = const { Cell::new(false) };
    }
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURE.with(Cell::get) {
                let loc = info.location().map(|l| (l.file().to_owned(), l.line()));
                CAUGHT.with(|c| *c.borrow_mut() = loc);
            } else {
                default(info);
            }
        }));
    });
    CAPTURE.with(|c| c.set(true));
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    CAPTURE.with(|c| c.set(false));
    let payload = r.expect_err("expected a panic");
    let msg = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        panic!("panic payload is not a string")
    };
    let (file, line) = CAUGHT
        .with(|c| c.borrow_mut().take())
        .expect("panic location");
    (msg, file, line)
}

// ---------------------------------------------------------------------------
// Layout and auto traits
// ---------------------------------------------------------------------------

assert_eq_size!(CowVec<u8>, [usize; 2]);
assert_eq_size!(Option<CowVec<u8>>, [usize; 2]);
assert_eq_size!(Option<CowVec<A4096>>, [usize; 2]);
assert_eq_size!(Option<CowVec<()>>, [usize; 2]);

fn assert_two_words<T>() {
    let name = std::any::type_name::<T>();
    assert_eq!(size_of::<CowVec<T>>(), 2 * size_of::<usize>(), "{name}");
    assert_eq!(
        size_of::<Option<CowVec<T>>>(),
        2 * size_of::<usize>(),
        "{name}"
    );
    assert_eq!(align_of::<CowVec<T>>(), align_of::<usize>(), "{name}");
}

#[test]
fn handle_is_two_words_and_option_is_free() {
    assert_two_words::<u8>();
    assert_two_words::<u64>();
    assert_two_words::<u128>();
    assert_two_words::<String>();
    assert_two_words::<[u8; 3]>();
    assert_two_words::<()>();
    assert_two_words::<ZstA64>();
    assert_two_words::<ZstA4096>();
    assert_two_words::<A64>();
    assert_two_words::<A4096>();
    assert_two_words::<NoClone>();
    assert_two_words::<CowVec<u8>>();
}

// `Send`/`Sync` exactly when `T: Send + Sync`.
assert_impl_all!(CowVec<u32>: Send, Sync);
assert_impl_all!(CowVec<String>: Send, Sync);
assert_impl_all!(CowVec<Mutex<u32>>: Send, Sync);
assert_impl_all!(CowVec<Arc<u32>>: Send, Sync);
// `Rc`: neither.
assert_not_impl_any!(CowVec<Rc<u32>>: Send, Sync);
// `Cell`: `Send` but not `Sync`.
assert_not_impl_any!(CowVec<Cell<u32>>: Send, Sync);
// `MutexGuard`: `Sync` but not `Send`.
assert_not_impl_any!(CowVec<MutexGuard<'static, u32>>: Send, Sync);
assert_not_impl_any!(CowVec<*const u8>: Send, Sync);
assert_impl_all!(IntoIter<u32>: Send, Sync);
assert_not_impl_any!(IntoIter<Cell<u32>>: Send, Sync);
assert_not_impl_any!(IntoIter<MutexGuard<'static, u32>>: Send, Sync);

// Unwind safety as `Arc` has it.
assert_impl_all!(CowVec<u32>: UnwindSafe, RefUnwindSafe);
assert_impl_all!(Arc<u32>: UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(CowVec<Cell<u32>>: UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Arc<Cell<u32>>: UnwindSafe, RefUnwindSafe);

// No `T: Clone` for the handle's own traits and the read-only surface.
assert_impl_all!(CowVec<NoClone>:
    Clone, Default, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
    Deref<Target = [NoClone]>, AsRef<[NoClone]>, Borrow<[NoClone]>,
    From<Vec<NoClone>>, From<[NoClone; 3]>, FromIterator<NoClone>,
    PartialEq<Vec<NoClone>>, PartialEq<[NoClone]>, PartialEq<[NoClone; 2]>);
assert_impl_all!(&'static CowVec<NoClone>: IntoIterator);
// The owned iterator and `Extend` may clone a shared buffer: `T: Clone`.
assert_not_impl_any!(CowVec<NoClone>: IntoIterator, Extend<NoClone>);
assert_not_impl_any!(CowVec<NoClone>: Extend<&'static NoClone>);
assert_not_impl_any!(CowVec<NoClone>: From<&'static [NoClone]>);

#[test]
fn clone_clear_and_reads_need_no_clone_bound() {
    let mut v: CowVec<NoClone> = CowVec::with_capacity(4);
    assert!(v.capacity() >= 4);
    v = (0..5).map(NoClone).collect();
    let w = v.clone();
    assert!(v.ptr_eq(&w) && !v.is_unique());
    assert_eq!(v.len(), 5);
    assert!(!v.is_empty());
    assert!(v.capacity() >= 5);
    assert_eq!(v.as_slice()[4], NoClone(4));
    assert_eq!(v.first(), Some(&NoClone(0)));
    assert!(v.contains(&NoClone(3)));
    assert_eq!((&v).into_iter().count(), 5);
    assert_eq!(v, w);
    assert_eq!(v.cmp(&w), Ordering::Equal);
    assert_eq!(format!("{v:?}"), format!("{:?}", w.as_slice()));
    // `clear` on a shared buffer lets go of it.
    v.clear();
    assert!(v.is_empty() && v.is_unique());
    assert_eq!(w.len(), 5);
    assert!(w.is_unique());
    let from_vec = CowVec::from(vec![NoClone(1)]);
    let from_array = CowVec::from([NoClone(1)]);
    assert_eq!(from_vec, from_array);
    let d: CowVec<NoClone> = CowVec::default();
    assert!(d.is_empty());
    // `clear` on a unique buffer drops in place and keeps the capacity.
    let mut u: CowVec<NoClone> = (0..3).map(NoClone).collect();
    let cap = u.capacity();
    u.clear();
    assert_eq!(u.capacity(), cap);
}

// ---------------------------------------------------------------------------
// Zero-sized and over-aligned elements
// ---------------------------------------------------------------------------

#[test]
fn zero_sized_elements() {
    let n = scale(1000, 40);
    let mut v: CowVec<()> = CowVec::new();
    assert_eq!(v.capacity(), usize::MAX);
    for _ in 0..n {
        v.push(());
    }
    assert_eq!(v.len(), n);
    assert_eq!(v.capacity(), usize::MAX);
    let w = v.clone();
    v.make_mut();
    v.pop();
    v.insert(3, ());
    v.remove(0);
    v.truncate(10);
    v.extend_from_slice(&[(), ()]);
    v.resize(20, ());
    v.retain(|_| true);
    assert_eq!(v.len(), 20);
    assert_eq!(w.len(), n);
    assert_eq!(w.iter().count(), n);
    assert_eq!(v.clone().into_iter().count(), 20);
    assert_eq!(v.into_vec().len(), 20);
    let c: CowVec<()> = std::iter::repeat_n((), 7).collect();
    assert_eq!(c, [(); 7]);
    assert_eq!(CowVec::from(vec![(); 3]).len(), 3);
    assert_eq!(CowVec::<()>::with_capacity(5).capacity(), usize::MAX);
}

#[test]
fn zero_sized_elements_are_dropped_exactly_once() {
    let n = scale(50, 10);
    let base = (CountedZst::made(), CountedZst::dropped());
    {
        let mut v: CowVec<CountedZst> = CowVec::new();
        for _ in 0..n {
            v.push(CountedZst::new());
        }
        let mut w = v.clone();
        assert_eq!(CountedZst::made() - base.0, n);
        // `pop` on a shared buffer copies (clones) first.
        drop(w.pop());
        assert_eq!(w.len(), n - 1);
        assert_eq!(v.len(), n);
        drop(v.pop());
        // Unique now: pops move.
        let before = CountedZst::clones();
        drop(v.pop());
        assert_eq!(CountedZst::clones(), before);
        let x = w.clone();
        let mut it = x.into_iter();
        drop(it.next());
        drop(it);
        w.truncate(3);
        w.resize(6, CountedZst::new());
        w.retain(|_| true);
        w.insert(0, CountedZst::new());
        drop(w.swap_remove(1));
        let moved: Vec<CountedZst> = w.into_iter().collect();
        assert_eq!(moved.len(), 6);
    }
    assert_eq!(
        CountedZst::made() - base.0,
        CountedZst::dropped() - base.1,
        "every zero-sized value made was dropped exactly once"
    );
}

fn check_aligned<T: Copy + PartialEq + Debug>(make: fn(u64) -> T) {
    let align = align_of::<T>();
    let n = scale(40, 6) as u64;
    let aligned = |v: &CowVec<T>| {
        v.iter()
            .all(|e| (e as *const T as usize).is_multiple_of(align))
            && (v.as_ptr() as usize).is_multiple_of(align)
    };
    let mut v: CowVec<T> = CowVec::new();
    for i in 0..n {
        v.push(make(i));
        assert!(aligned(&v), "after push {i}");
    }
    let w = v.clone();
    v.make_mut()[0] = make(100);
    assert!(aligned(&v) && aligned(&w));
    v.insert(1, make(101));
    v.reserve(100);
    assert!(aligned(&v));
    assert_eq!(v[0], make(100));
    assert_eq!(v[1], make(101));
    assert_eq!(w[0], make(0));
    let from_vec = CowVec::from((0..n).map(make).collect::<Vec<_>>());
    let from_array = CowVec::from([make(1), make(2)]);
    let from_slice = CowVec::from(&w[..]);
    let collected: CowVec<T> = (0..n).map(make).collect();
    for x in [&from_vec, &from_array, &from_slice, &collected] {
        assert!(aligned(x));
    }
    assert_eq!(from_vec, collected);
    assert_eq!(from_slice, w);
    assert_eq!(v.clone().into_vec()[1], make(101));
    assert_eq!(w.into_iter().last(), Some(make(n - 1)));
}

#[test]
fn over_aligned_elements() {
    check_aligned(A64);
    check_aligned(A4096);
    check_aligned(|_| ZstA64);
    check_aligned(|_| ZstA4096);
}

// ---------------------------------------------------------------------------
// Capacity overflow
// ---------------------------------------------------------------------------

fn assert_capacity_overflow(what: &str, f: impl FnOnce()) {
    let (msg, _, _) = panic_message(f);
    assert!(
        msg.contains("capacity overflow"),
        "{what}: panic message {msg:?}"
    );
}

#[test]
fn capacity_overflow_panics_with_a_clear_message() {
    assert_capacity_overflow("with_capacity(usize::MAX) u8", || {
        drop(CowVec::<u8>::with_capacity(usize::MAX))
    });
    assert_capacity_overflow("with_capacity(usize::MAX) u64", || {
        drop(CowVec::<u64>::with_capacity(usize::MAX))
    });
    assert_capacity_overflow("with_capacity(isize::MAX / 8 + 1) u64", || {
        drop(CowVec::<u64>::with_capacity(isize::MAX as usize / 8 + 1))
    });
    // The elements fit in `isize::MAX` bytes, the header does not.
    assert_capacity_overflow("with_capacity(isize::MAX) u8", || {
        drop(CowVec::<u8>::with_capacity(isize::MAX as usize))
    });
    assert_capacity_overflow("reserve(isize::MAX) on empty u8", || {
        CowVec::<u8>::new().reserve(isize::MAX as usize)
    });

    let mut v = cow_vec![1u8, 2, 3];
    assert_capacity_overflow("reserve(usize::MAX)", || v.reserve(usize::MAX));
    assert_eq!(v, [1, 2, 3]);
    assert_capacity_overflow("reserve(isize::MAX)", || v.reserve(isize::MAX as usize));
    assert_eq!(v, [1, 2, 3]);
    // On a shared buffer, nothing is copied before the check.
    let w = v.clone();
    assert_capacity_overflow("reserve(usize::MAX) shared", || v.reserve(usize::MAX));
    assert!(v.ptr_eq(&w));
    assert_eq!(w, [1, 2, 3]);

    let mut z = cow_vec![(); 3];
    assert_capacity_overflow("reserve(usize::MAX) zero-sized", || z.reserve(usize::MAX));
    // `Vec` agrees on all of these.
    assert_capacity_overflow("Vec", || vec![1u8].reserve(usize::MAX));
}

/// Set in the child processes of `a_huge_reserve_aborts_like_vec`: which
/// request to make.
const HUGE_CHILD_ENV: &str = "ARCOW_HUGE_RESERVE_CHILD";

/// `u64`s worth 2^62 bytes: within `isize::MAX` (so no capacity overflow),
/// but more than any allocator gives (x86-64 has 2^47 bytes of user address
/// space).
const HUGE: usize = 1 << 59;

/// A request the allocator refuses goes to `handle_alloc_error`, exactly as
/// `Vec`'s does: the process aborts with "memory allocation of N bytes
/// failed" (a panic there would let code go on with a vector that never got
/// its room). Checked in child processes, one per request; the child of the
/// `Vec` case shows that `Vec` does the same.
#[test]
fn a_huge_reserve_aborts_like_vec() {
    if cfg!(miri) {
        // Miri cannot spawn a process, and reports a huge allocation as
        // resource exhaustion instead of returning null.
        return;
    }
    use std::os::unix::process::ExitStatusExt;
    // Under AddressSanitizer, make its allocator return null as `System`
    // does, instead of reporting the size as an error of its own.
    let asan = match std::env::var("ASAN_OPTIONS") {
        Ok(o) if !o.is_empty() => format!("{o}:allocator_may_return_null=1"),
        _ => "allocator_may_return_null=1".to_owned(),
    };
    for case in [
        "with_capacity",
        "reserve unique",
        "reserve shared",
        "Vec::reserve",
    ] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "huge_reserve_child", "--nocapture"])
            .env(HUGE_CHILD_ENV, case)
            .env("ASAN_OPTIONS", &asan)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stdout.contains(&format!("huge_reserve_child: {case}")),
            "{case}: the child did not run: {stdout}"
        );
        assert_eq!(
            out.status.signal(),
            Some(6),
            "{case}: the child should die of SIGABRT; status {:?}, stderr {stderr}",
            out.status
        );
        assert!(!stderr.contains("panicked"), "{case}: {stderr}");
        // "memory allocation of N bytes failed", with N the huge request.
        let bytes: usize = stderr
            .split("memory allocation of ")
            .nth(1)
            .and_then(|rest| rest.split(" bytes failed").next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{case}: no allocation failure message: {stderr}"));
        assert!(bytes >= HUGE * 8, "{case}: {bytes} bytes");
    }
}

/// Does nothing unless run as a child of `a_huge_reserve_aborts_like_vec`.
#[test]
fn huge_reserve_child() {
    let Ok(case) = std::env::var(HUGE_CHILD_ENV) else {
        return;
    };
    println!("huge_reserve_child: {case}");
    let mut v = cow_vec![1u64, 2, 3];
    let w = v.clone();
    match case.as_str() {
        "with_capacity" => drop(CowVec::<u64>::with_capacity(HUGE)),
        "reserve unique" => {
            drop(w);
            v.reserve(HUGE)
        }
        "reserve shared" => v.reserve(HUGE),
        "Vec::reserve" => vec![1u64, 2, 3].reserve(HUGE),
        other => panic!("unknown case {other}"),
    }
    unreachable!("{case}: a request of 2^62 bytes succeeded");
}

// ---------------------------------------------------------------------------
// Send but not Sync elements
// ---------------------------------------------------------------------------

/// A vector of `Cell`s (`Send`, not `Sync`) is neither `Send` nor `Sync`
/// (asserted above), and works on one thread: handles share the buffer, so
/// a write through a `Cell` shows in each, while `make_mut` copies it; the
/// elements taken out are `Send` and may leave the thread.
#[test]
fn send_only_elements_work_on_one_thread() {
    let mut v: CowVec<Cell<u32>> = (0..5).map(Cell::new).collect();
    let w = v.clone();
    w[1].set(10);
    assert_eq!(v[1].get(), 10, "the handles share the buffer");
    v.make_mut()[2].set(20);
    assert!(!v.ptr_eq(&w));
    assert_eq!((v[2].get(), w[2].get()), (20, 2));
    v.push(Cell::new(5));
    let got: Vec<u32> = v.iter().map(Cell::get).collect();
    assert_eq!(got, [0, 10, 20, 3, 4, 5]);
    drop(w);

    let r: CowVec<RefCell<Vec<u8>>> = CowVec::from(vec![RefCell::new(vec![1])]);
    r.clone()[0].borrow_mut().push(2);
    assert_eq!(*r[0].borrow(), [1, 2]);

    let cells = v.into_vec();
    let sum = std::thread::spawn(move || cells.iter().map(Cell::get).sum::<u32>())
        .join()
        .unwrap();
    assert_eq!(sum, 42);
}

// ---------------------------------------------------------------------------
// Comparisons, hashing, formatting
// ---------------------------------------------------------------------------

#[test]
fn compares_with_vec_slices_and_arrays() {
    let v = cow_vec![1, 2, 3];
    assert_eq!(v, vec![1, 2, 3]);
    assert_ne!(v, vec![1, 2]);
    assert_eq!(v, *[1, 2, 3].as_slice());
    assert_eq!(v, &[1, 2, 3][..]);
    assert_ne!(v, &[1, 2, 4][..]);
    assert_eq!(v, [1, 2, 3]);
    assert_ne!(v, [1, 2, 3, 4]);
    assert_ne!(v, [0; 0]);
    assert_eq!(v, cow_vec![1, 2, 3]);
    assert_ne!(v, cow_vec![3, 2, 1]);
    assert_eq!(CowVec::<i32>::new(), [0; 0]);
    // The element type on the right is named: the comparisons are generic
    // over it (`i32: PartialEq<U>`), and serde_json's `PartialEq<Value> for
    // i32` makes `Vec::new()` ambiguous here, as it does for `Vec == Vec`.
    assert_eq!(CowVec::<i32>::new(), Vec::<i32>::new());
}

#[test]
fn equality_is_by_value_without_a_pointer_shortcut() {
    let a = cow_vec![f64::NAN];
    let b = a.clone();
    assert!(a.ptr_eq(&b));
    assert!(a != b, "NaN != NaN, even in one shared buffer");
    assert_eq!(a.partial_cmp(&b), None);
    let c = cow_vec![1.0, f64::NAN];
    assert!(c != [1.0, f64::NAN]);
    // Equal values in different buffers are equal.
    let d = cow_vec![0.5];
    let e = CowVec::from(vec![0.5]);
    assert!(!d.ptr_eq(&e));
    assert_eq!(d, e);
}

#[test]
fn ordering_matches_vec() {
    let raw: Vec<Vec<i32>> = vec![
        vec![3],
        vec![],
        vec![1, 2, 3],
        vec![1, 2],
        vec![2],
        vec![1, 3],
        vec![1, 2, 3],
        vec![-1, 9, 9],
    ];
    let mut cows: Vec<CowVec<i32>> = raw.iter().cloned().map(CowVec::from).collect();
    let mut vecs = raw.clone();
    cows.sort();
    vecs.sort();
    assert_eq!(cows, vecs);
    for a in &raw {
        for b in &raw {
            let (ca, cb) = (CowVec::from(&a[..]), CowVec::from(&b[..]));
            assert_eq!(ca.cmp(&cb), a.cmp(b), "{a:?} vs {b:?}");
            assert_eq!(ca.partial_cmp(&cb), a.partial_cmp(b));
            assert_eq!(ca == cb, a == b);
        }
    }
}

fn hash_of<T: Hash + ?Sized>(x: &T) -> u64 {
    let mut h = DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

#[test]
fn hash_equals_vec_hash() {
    for v in [vec![], vec![1u32], vec![1, 2, 3], vec![3, 2, 1]] {
        let c = CowVec::from(&v[..]);
        assert_eq!(hash_of(&c), hash_of(&v), "{v:?}");
        assert_eq!(hash_of(&c), hash_of(v.as_slice()), "{v:?}");
        assert_eq!(hash_of(&c.clone()), hash_of(&v));
    }
    // Different values hash differently (for these, at least): the hash
    // really covers the elements and the length.
    assert_ne!(hash_of(&cow_vec![1u32, 2]), hash_of(&cow_vec![2u32, 1]));
    assert_ne!(hash_of(&cow_vec![0u32]), hash_of(&cow_vec![0u32, 0]));
    // `Borrow<[T]>` lookups agree with `Hash` and `Eq`.
    let mut map: HashMap<CowVec<u8>, u32> = HashMap::new();
    map.insert(CowVec::from(&b"abc"[..]), 1);
    map.insert(cow_vec![b'x'], 2);
    assert_eq!(map.get(&b"abc"[..]), Some(&1));
    assert_eq!(map.get(&b"x"[..]), Some(&2));
    assert_eq!(map.get(&b"ab"[..]), None);
    let set: HashSet<CowVec<u8>> = [cow_vec![1u8], cow_vec![1u8], CowVec::from(vec![1u8])]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn debug_prints_like_a_vec() {
    let v = cow_vec![String::from("a"), String::from("b\"c")];
    let std = vec![String::from("a"), String::from("b\"c")];
    assert_eq!(format!("{v:?}"), format!("{std:?}"));
    assert_eq!(format!("{v:#?}"), format!("{std:#?}"));
    assert_eq!(format!("{:?}", CowVec::<u8>::new()), "[]");
    assert_eq!(format!("{:?}", cow_vec![1, 2]), "[1, 2]");
    let mut it = cow_vec![1, 2, 3].into_iter();
    it.next();
    assert_eq!(format!("{it:?}"), "IntoIter([2, 3])");
}

// ---------------------------------------------------------------------------
// Conversions and construction
// ---------------------------------------------------------------------------

#[test]
fn conversions_and_the_clones_they_make() {
    let c0 = clones();
    let from_vec = CowVec::from(vec![Tracked::new(1), Tracked::new(2)]);
    let from_array = CowVec::from([Tracked::new(1), Tracked::new(2)]);
    let collected: CowVec<Tracked> = (1..=2).map(Tracked::new).collect();
    assert_eq!(clones(), c0, "From<Vec>, From<[T; N]> and collect move");
    let src = [Tracked::new(1), Tracked::new(2)];
    let from_slice = CowVec::from(&src[..]);
    assert_eq!(clones(), c0 + 2, "From<&[T]> clones each element once");
    for v in [&from_vec, &from_array, &collected, &from_slice] {
        assert_eq!(v.as_slice(), &src[..]);
        assert!(v.capacity() >= 2);
    }
    assert_eq!(CowVec::from([7u8; 5]).capacity(), 5, "sized for the array");

    let mut e: CowVec<u32> = CowVec::new();
    e.extend(vec![1, 2]);
    e.extend(&[3, 4]);
    e.extend([5].iter());
    e.extend((6..9).filter(|_| true));
    e.extend(std::iter::empty::<u32>());
    assert_eq!(e, [1, 2, 3, 4, 5, 6, 7, 8]);

    let d: CowVec<u32> = Default::default();
    assert!(d.is_empty());
    let as_ref: &[u32] = e.as_ref();
    let borrowed: &[u32] = e.borrow();
    assert_eq!(as_ref, borrowed);
    assert_eq!(as_ref.as_ptr(), e.as_slice().as_ptr());
    assert_eq!(e.iter().sum::<u32>(), 36);
    assert_eq!(e.binary_search(&5), Ok(4));
}

#[test]
fn make_mut_copies_only_when_shared() {
    let mut a = cow_vec![1, 2, 3];
    let p = a.as_ptr();
    a.make_mut()[0] = 10;
    assert_eq!(a.as_ptr(), p, "unique: in place");
    let b = a.clone();
    a.make_mut()[1] = 20;
    assert_ne!(a.as_ptr(), p, "shared: copied");
    assert_eq!(b.as_ptr(), p);
    assert_eq!(a, [10, 20, 3]);
    assert_eq!(b, [10, 2, 3]);
    assert!(a.is_unique() && b.is_unique());
    // Empty vectors all compare `ptr_eq`.
    assert!(CowVec::<u8>::new().ptr_eq(&CowVec::new()));
}

#[test]
fn cow_vec_macro_forms() {
    let empty: CowVec<u8> = cow_vec![];
    assert!(empty.is_empty());
    assert_eq!(empty.capacity(), 0);
    assert_eq!(cow_vec![7], [7]);
    assert_eq!(cow_vec![1, 2, 3], [1, 2, 3]);
    assert_eq!(cow_vec![1, 2, 3,], [1, 2, 3]);
    assert_eq!(cow_vec![0u8; 4], [0, 0, 0, 0]);
    assert_eq!(
        cow_vec![String::from("x"); 2],
        ["x".to_owned(), "x".to_owned()]
    );
    assert_eq!(cow_vec![cow_vec![1]; 2], [cow_vec![1], cow_vec![1]]);
    let n = 3;
    assert_eq!(cow_vec![9u16; n], vec![9u16; n]);

    // `cow_vec![x; n]` clones `x` `n - 1` times and drops nothing extra.
    let (c0, d0, m0) = (clones(), drops(), made());
    let v = cow_vec![Tracked::new(5); 4];
    assert_eq!(clones() - c0, 3);
    assert_eq!(drops() - d0, 0);
    assert_eq!(v.capacity(), 4);
    drop(v);
    assert_eq!(drops() - d0, 4);
    let v = cow_vec![Tracked::new(5); 0];
    assert!(v.is_empty());
    assert_eq!(v.capacity(), 0);
    assert_eq!(clones() - c0, 3);
    assert_eq!(
        made() - m0,
        drops() - d0,
        "`x` is dropped by `cow_vec![x; 0]`"
    );
}

// ---------------------------------------------------------------------------
// Iteration
// ---------------------------------------------------------------------------

#[test]
fn owned_iteration_moves_out_of_a_unique_buffer() {
    let v: CowVec<Tracked> = (0..6).map(Tracked::new).collect();
    let (c0, d0) = (clones(), drops());
    let mut it = v.into_iter();
    assert_eq!(it.len(), 6);
    assert_eq!(it.size_hint(), (6, Some(6)));
    assert_eq!(it.next().map(|t| t.0), Some(0));
    assert_eq!(it.next_back().map(|t| t.0), Some(5));
    let left: Vec<u32> = it.as_slice().iter().map(|t| t.0).collect();
    assert_eq!(left, [1, 2, 3, 4]);
    let rest: Vec<Tracked> = it.by_ref().rev().collect();
    let rest_vals: Vec<u32> = rest.iter().map(|t| t.0).collect();
    assert_eq!(rest_vals, [4, 3, 2, 1]);
    assert!(it.next().is_none());
    assert!(it.next().is_none(), "fused");
    assert!(it.next_back().is_none());
    drop(it);
    assert_eq!(clones(), c0, "a unique buffer moves its elements out");
    drop(rest);
    assert_eq!(drops() - d0, 6);
}

#[test]
fn owned_iteration_clones_out_of_a_shared_buffer() {
    let v: CowVec<Tracked> = (0..6).map(Tracked::new).collect();
    let w = v.clone();
    let (c0, d0) = (clones(), drops());
    let all: Vec<Tracked> = v.into_iter().collect();
    assert_eq!(clones() - c0, 6, "one clone per element");
    assert_eq!(all, w.as_slice());
    assert_eq!(drops(), d0, "nothing of the shared buffer dropped");
    assert!(w.is_unique(), "the iterator let go of its handle");
    drop(all);

    // Half consumed, then dropped: only the clones taken exist.
    let x = w.clone();
    let (c0, d0) = (clones(), drops());
    let mut it = x.into_iter();
    drop(it.next());
    drop(it.next_back());
    drop(it);
    assert_eq!(clones() - c0, 2);
    assert_eq!(drops() - d0, 2);
    assert_eq!(w.len(), 6);
    assert!(w.is_unique());
}

#[test]
fn dropping_a_half_consumed_iterator_drops_the_rest_exactly_once() {
    for (front, back) in [(0, 0), (1, 0), (0, 2), (2, 3), (3, 3)] {
        let m0 = made();
        let d0 = drops();
        let v: CowVec<Tracked> = (0..6).map(Tracked::new).collect();
        let mut it = v.into_iter();
        for _ in 0..front {
            drop(it.next());
        }
        for _ in 0..back {
            drop(it.next_back());
        }
        assert_eq!(drops() - d0, front + back);
        drop(it);
        assert_eq!(drops() - d0, 6, "front {front}, back {back}");
        assert_eq!(made() - m0, 6);
    }
}

#[test]
fn iteration_by_reference() {
    let v = cow_vec![1, 2, 3];
    let mut sum = 0;
    for x in &v {
        sum += x;
    }
    assert_eq!(sum, 6);
    assert_eq!(
        (&v).into_iter().rev().copied().collect::<Vec<_>>(),
        [3, 2, 1]
    );
    assert_eq!(v.iter().len(), 3);
}

#[test]
fn into_vec_moves_when_unique_and_clones_when_shared() {
    let v: CowVec<Tracked> = (0..4).map(Tracked::new).collect();
    let w = v.clone();
    let c0 = clones();
    let a = v.into_vec();
    assert_eq!(clones() - c0, 4);
    let b = w.into_vec();
    assert_eq!(clones() - c0, 4, "unique: moved");
    assert_eq!(a, b);
}

// ---------------------------------------------------------------------------
// io::Write
// ---------------------------------------------------------------------------

#[test]
fn io_write_appends() {
    let mut v: CowVec<u8> = CowVec::new();
    let two = "two";
    write!(v, "{}-{two}", 1).unwrap();
    assert_eq!(v.write(b"!?").unwrap(), 2);
    v.write_all(b"").unwrap();
    v.flush().unwrap();
    assert_eq!(v, *b"1-two!?");
    let w = v.clone();
    v.write_all(b" more").unwrap();
    assert_eq!(v, *b"1-two!? more");
    assert_eq!(w, *b"1-two!?");
    std::io::copy(&mut &b"xyz"[..], &mut v).unwrap();
    assert!(v.ends_with(b"morexyz"));
}

// ---------------------------------------------------------------------------
// Panic messages
// ---------------------------------------------------------------------------

#[test]
fn out_of_bounds_panics_like_vec_at_the_callers_line() {
    type Op = fn(&mut CowVec<u32>);
    type StdOp = fn(&mut Vec<u32>);
    let cases: [(&str, Op, StdOp); 6] = [
        ("insert", |v| v.insert(4, 0), |v| v.insert(4, 0)),
        (
            "insert far",
            |v| v.insert(usize::MAX, 0),
            |v| v.insert(usize::MAX, 0),
        ),
        (
            "remove",
            |v| {
                v.remove(3);
            },
            |v| {
                v.remove(3);
            },
        ),
        (
            "remove far",
            |v| {
                v.remove(99);
            },
            |v| {
                v.remove(99);
            },
        ),
        (
            "swap_remove",
            |v| {
                v.swap_remove(3);
            },
            |v| {
                v.swap_remove(3);
            },
        ),
        (
            "swap_remove far",
            |v| {
                v.swap_remove(7);
            },
            |v| {
                v.swap_remove(7);
            },
        ),
    ];
    for (name, op, std_op) in cases {
        for shared in [false, true] {
            let mut v = cow_vec![1u32, 2, 3];
            let w = shared.then(|| v.clone());
            let (msg, file, _) = panic_message(|| op(&mut v));
            let mut sv = vec![1u32, 2, 3];
            let (std_msg, _, _) = panic_message(|| std_op(&mut sv));
            assert_eq!(msg, std_msg, "{name}: message differs from Vec's");
            assert!(msg.contains("(is 3)"), "{name}: {msg}");
            assert!(
                file.ends_with("vec_api.rs"),
                "{name}: panic reported at {file}, not at the caller (#[track_caller])"
            );
            assert_eq!(v, [1, 2, 3], "{name}: changed by a failed call");
            if let Some(w) = w {
                assert!(
                    v.ptr_eq(&w),
                    "{name}: a shared buffer was copied before the check"
                );
            }
        }
    }
    // Empty vectors.
    let (msg, _, _) = panic_message(|| {
        CowVec::<u8>::new().remove(0);
    });
    assert_eq!(msg, "removal index (is 0) should be < len (is 0)");
    let (msg, _, _) = panic_message(|| {
        CowVec::<u8>::new().swap_remove(0);
    });
    assert_eq!(msg, "swap_remove index (is 0) should be < len (is 0)");
    let (msg, _, _) = panic_message(|| CowVec::<u8>::new().insert(1, 0));
    assert_eq!(msg, "insertion index (is 1) should be <= len (is 0)");
}

// ---------------------------------------------------------------------------
// serde
// ---------------------------------------------------------------------------

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_matches_vec() {
    let v = cow_vec![String::from("a"), String::from("b")];
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(json, serde_json::to_string(&vec!["a", "b"]).unwrap());
    let back: CowVec<String> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, v);
    let empty: CowVec<u32> = serde_json::from_str("[]").unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.capacity(), 0);
    let nested: CowVec<CowVec<u8>> = serde_json::from_str("[[1,2],[],[3]]").unwrap();
    assert_eq!(nested, [cow_vec![1, 2], cow_vec![], cow_vec![3]]);
    assert!(serde_json::from_str::<CowVec<u8>>("[1, 300]").is_err());
    assert!(serde_json::from_str::<CowVec<u8>>("{}").is_err());
}

/// `cow_vec![elem; n]` evaluates `elem` before `n`, as `vec!` and
/// `eco_vec!` do, each exactly once.
#[test]
fn cow_vec_macro_evaluates_elem_then_n() {
    use std::cell::RefCell;
    let log = RefCell::new(Vec::new());
    let v = cow_vec![
        {
            log.borrow_mut().push("elem");
            7u8
        };
        {
            log.borrow_mut().push("n");
            3
        }
    ];
    assert_eq!(v, [7, 7, 7]);
    let std_log = RefCell::new(Vec::new());
    let w = vec![
        {
            std_log.borrow_mut().push("elem");
            7u8
        };
        {
            std_log.borrow_mut().push("n");
            3
        }
    ];
    assert_eq!(w, [7, 7, 7]);
    assert_eq!(*log.borrow(), ["elem", "n"]);
    assert_eq!(*log.borrow(), *std_log.borrow());
}
