//! `Cow<T>`'s layout, auto traits and standard trait impls.
//!
//! - Layout: a `Cow<T>` and an `Option<Cow<T>>` are one word for every `T`
//!   (DESIGN.md, "Memory layout guarantees").
//! - Auto traits: `Send`/`Sync` exactly when `T: Send + Sync`, and
//!   `UnwindSafe`/`RefUnwindSafe` exactly as `Arc<T>` has them. Each negative
//!   and positive case is asserted for `Arc<T>` too, so the test shows that
//!   `Cow` matches its anchor, not just a list written from memory.
//! - Traits: `Clone` without `T: Clone`, `Default`, `From`, `Debug`,
//!   `Display`, `fmt::Pointer`, `PartialEq`/`Eq`/`PartialOrd`/`Ord`/`Hash` by
//!   value, `Borrow<T>`, `AsRef<T>`, serde (feature `serde`).

use std::borrow::Borrow;
use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash};
use std::mem::{align_of, size_of};
use std::panic::{AssertUnwindSafe, RefUnwindSafe, UnwindSafe};
use std::rc::Rc;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use arcow::Cow;
use static_assertions::{assert_impl_all, assert_not_impl_any};

mod common;

use common::elems::{CountedZst, A4096, A64};

/// A zero-sized payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Zst;

/// A payload with a large alignment: the header is padded up to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(align(64))]
struct Align64(u8);

/// A payload aligned to a whole page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(align(4096))]
struct Align4096(u64);

/// A payload that is not `Clone`.
#[derive(Debug, PartialEq)]
struct NotClone(u32);

// ---------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------

/// Asserts, for each type, that `Cow<T>` and `Option<Cow<T>>` are one word.
macro_rules! assert_one_word {
    ($($t:ty),* $(,)?) => {$(
        assert_eq!(
            size_of::<Cow<$t>>(),
            size_of::<usize>(),
            "size_of::<Cow<{}>>()",
            stringify!($t)
        );
        assert_eq!(
            size_of::<Option<Cow<$t>>>(),
            size_of::<usize>(),
            "size_of::<Option<Cow<{}>>>() (the null niche)",
            stringify!($t)
        );
        assert_eq!(align_of::<Cow<$t>>(), align_of::<usize>());
    )*};
}

#[test]
fn cow_and_option_cow_are_one_word() {
    assert_one_word!(
        u8,
        u64,
        String,
        [u8; 4096],
        Zst,
        (),
        Align64,
        Align4096,
        NotClone,
        Cell<u8>,
        Rc<u8>,
        Cow<u64>,
    );
}

/// The same as a compile-time fact, so that a layout change breaks the build
/// of the tests, not only a run.
const _: () = assert!(size_of::<Cow<[u8; 4096]>>() == size_of::<usize>());
const _: () = assert!(size_of::<Option<Cow<Align64>>>() == size_of::<usize>());

#[test]
fn over_aligned_values_are_aligned() {
    let a = Cow::new(Align64(7));
    assert_eq!(Cow::as_ptr(&a) as usize % 64, 0);
    assert_eq!(*a, Align64(7));

    let b = Cow::new(Align4096(0xfeed));
    assert_eq!(Cow::as_ptr(&b) as usize % 4096, 0);
    let mut c = b.clone();
    // Shared: the copy goes to a fresh allocation, which must be aligned too.
    Cow::make_mut(&mut c).0 += 1;
    assert!(!Cow::ptr_eq(&b, &c));
    assert_eq!(Cow::as_ptr(&c) as usize % 4096, 0);
    assert_eq!((b.0, c.0), (0xfeed, 0xfeee));

    // into_raw/from_raw must step back over the padding of the header.
    let raw = Cow::into_raw(c);
    assert_eq!(raw as usize % 4096, 0);
    // SAFETY: `raw` came from `Cow::<Align4096>::into_raw`, given back once.
    let c = unsafe { Cow::from_raw(raw) };
    assert_eq!(*c, Align4096(0xfeee));
    assert!(Cow::is_unique(&c));
}

#[test]
fn zero_sized_values_work() {
    let a = Cow::new(Zst);
    let mut b = a.clone();
    assert_eq!(Cow::strong_count(&a), 2);
    *Cow::make_mut(&mut b) = Zst;
    assert!(!Cow::ptr_eq(&a, &b));
    assert_eq!(Cow::try_unwrap(a), Ok(Zst));
    assert_eq!(Cow::into_inner(b), Some(Zst));
}

/// Asserts that the value of every handle is aligned for `T`, and that
/// `Deref` gives the same address as `as_ptr`.
#[track_caller]
fn assert_aligned<T: PartialEq + fmt::Debug>(handles: &[&Cow<T>], what: &str) {
    let align = align_of::<T>();
    for (i, h) in handles.iter().enumerate() {
        let addr = Cow::as_ptr(h) as usize;
        assert_eq!(addr % align, 0, "{what}: handle {i} at {addr:#x}");
        let value: &T = h;
        assert_eq!(value as *const T as usize, addr, "{what}: deref");
    }
}

/// An over-aligned payload stays aligned through every way a `Cow` gets a
/// value: `new`, `from`, `default`, `clone` (the same block), `make_mut` on a
/// shared handle (a fresh block), `unwrap_or_clone` and a raw round trip.
fn check_over_aligned<T: Clone + PartialEq + fmt::Debug + Default>(make: fn(u64) -> T) {
    let a = Cow::new(make(1));
    assert_aligned(&[&a], "new");
    let mut b = a.clone();
    assert!(Cow::ptr_eq(&a, &b));
    assert_aligned(&[&a, &b], "clone");
    *Cow::make_mut(&mut b) = make(2);
    assert!(!Cow::ptr_eq(&a, &b), "make_mut on a shared handle copies");
    assert_aligned(&[&a, &b], "make_mut copy");
    assert_eq!((&*a, &*b), (&make(1), &make(2)));
    // Unique now: in place, same address.
    let before = Cow::as_ptr(&b);
    *Cow::make_mut(&mut b) = make(3);
    assert_eq!(Cow::as_ptr(&b), before);
    let c = Cow::from(make(4));
    let d: Cow<T> = Cow::default();
    assert_aligned(&[&b, &c, &d], "make_mut in place, from, default");
    // A batch of blocks at once: the allocator is asked for each one's
    // alignment, not lucky once.
    let many: Vec<Cow<T>> = (0..8).map(|i| Cow::new(make(i))).collect();
    assert_aligned(&many.iter().collect::<Vec<_>>(), "eight new blocks");
    let raw = Cow::into_raw(c);
    assert_eq!(raw as usize % align_of::<T>(), 0, "into_raw");
    // SAFETY: `raw` came from `Cow::<T>::into_raw` just above, given back once.
    let c = unsafe { Cow::from_raw(raw) };
    assert_eq!(*c, make(4));
    let shared = c.clone();
    assert_eq!(Cow::unwrap_or_clone(c), make(4));
    assert_eq!(Cow::try_unwrap(shared), Ok(make(4)));
}

#[test]
fn over_aligned_values_stay_aligned_through_clone_and_copy() {
    check_over_aligned(A64);
    check_over_aligned(A4096);
}

/// (made, dropped) of `CountedZst` on this thread.
fn zst_made_dropped() -> (usize, usize) {
    (CountedZst::made(), CountedZst::dropped())
}

#[test]
fn zero_sized_values_with_drop_are_dropped_exactly_once() {
    assert_eq!(size_of::<CountedZst>(), 0);
    let a = Cow::new(CountedZst::new());
    let mut b = a.clone();
    assert_eq!(zst_made_dropped(), (1, 0), "clone made a value");
    // Shared: one clone, nothing dropped.
    Cow::make_mut(&mut b);
    assert_eq!(zst_made_dropped(), (2, 0));
    // Unique: in place.
    Cow::make_mut(&mut b);
    assert_eq!(zst_made_dropped(), (2, 0));
    let c = a.clone();
    drop(a);
    assert_eq!(
        zst_made_dropped(),
        (2, 0),
        "a non-last drop dropped the value"
    );
    drop(c);
    assert_eq!(zst_made_dropped(), (2, 1), "the last drop did not drop it");
    // Taken out: dropped by whoever owns it, once.
    let value = Cow::try_unwrap(b).unwrap();
    assert_eq!(zst_made_dropped(), (2, 1));
    drop(value);
    assert_eq!(zst_made_dropped(), (2, 2));
    let d = Cow::new(CountedZst::new());
    let e = d.clone();
    assert_eq!(Cow::into_inner(d), None);
    assert_eq!(zst_made_dropped(), (3, 2));
    let raw = Cow::into_raw(e);
    // SAFETY: `raw` came from `Cow::<CountedZst>::into_raw`, given back once.
    let e = unsafe { Cow::from_raw(raw) };
    assert_eq!(zst_made_dropped(), (3, 2), "a raw round trip dropped it");
    let inner = Cow::into_inner(e);
    assert!(inner.is_some());
    assert_eq!(zst_made_dropped(), (3, 2));
    drop(inner);
    assert_eq!(zst_made_dropped(), (3, 3));
    // `unwrap_or_clone` of a shared handle clones, of the last one moves.
    let f = Cow::new(CountedZst::new());
    let cloned = Cow::unwrap_or_clone(f.clone());
    assert_eq!(zst_made_dropped(), (5, 3));
    let moved = Cow::unwrap_or_clone(f);
    assert_eq!(zst_made_dropped(), (5, 3));
    drop((cloned, moved));
    assert_eq!(zst_made_dropped(), (5, 5));
}

#[test]
fn big_values_round_trip() {
    let mut page = [0u8; 4096];
    page[4095] = 0xab;
    let a = Cow::new(page);
    let mut b = a.clone();
    Cow::make_mut(&mut b)[0] = 1;
    assert_eq!((a[0], a[4095]), (0, 0xab));
    assert_eq!((b[0], b[4095]), (1, 0xab));
}

// ---------------------------------------------------------------------------
// Auto traits
// ---------------------------------------------------------------------------

// Send + Sync payloads.
assert_impl_all!(Cow<u64>: Send, Sync);
assert_impl_all!(Cow<String>: Send, Sync);
assert_impl_all!(Cow<Zst>: Send, Sync);
assert_impl_all!(Cow<Mutex<u8>>: Send, Sync);
assert_impl_all!(Cow<AtomicUsize>: Send, Sync);
assert_impl_all!(Cow<Cow<u64>>: Send, Sync);

// Send but not Sync (`Cell`, `RefCell`): neither, as `Arc`.
assert_impl_all!(Cell<u8>: Send);
assert_not_impl_any!(Cell<u8>: Sync);
assert_not_impl_any!(Cow<Cell<u8>>: Send, Sync);
assert_not_impl_any!(Arc<Cell<u8>>: Send, Sync);
assert_not_impl_any!(Cow<RefCell<String>>: Send, Sync);

// Sync but not Send (`MutexGuard`): neither, as `Arc`.
assert_impl_all!(MutexGuard<'static, u8>: Sync);
assert_not_impl_any!(MutexGuard<'static, u8>: Send);
assert_not_impl_any!(Cow<MutexGuard<'static, u8>>: Send, Sync);
assert_not_impl_any!(Arc<MutexGuard<'static, u8>>: Send, Sync);

// Neither (`Rc`, raw pointers): neither.
assert_not_impl_any!(Cow<Rc<u8>>: Send, Sync);
assert_not_impl_any!(Cow<*const u8>: Send, Sync);
assert_not_impl_any!(Cow<Cow<Cell<u8>>>: Send, Sync);

// UnwindSafe / RefUnwindSafe: as `Arc<T>`, `Cow<T>: UnwindSafe` when
// `T: RefUnwindSafe`, and `Cow<T>: RefUnwindSafe` when `T: RefUnwindSafe`.
assert_impl_all!(Cow<u64>: UnwindSafe, RefUnwindSafe);
assert_impl_all!(Cow<String>: UnwindSafe, RefUnwindSafe);
assert_impl_all!(Cow<Mutex<u8>>: UnwindSafe, RefUnwindSafe);
assert_impl_all!(Cow<AssertUnwindSafe<Cell<u8>>>: UnwindSafe, RefUnwindSafe);
// `Cell<u8>` is `UnwindSafe` but not `RefUnwindSafe`: a `Cow` of it is neither
// (a `Cow` only hands out `&T`), exactly as `Arc`.
assert_impl_all!(Cell<u8>: UnwindSafe);
assert_not_impl_any!(Cell<u8>: RefUnwindSafe);
assert_not_impl_any!(Cow<Cell<u8>>: UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Arc<Cell<u8>>: UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Cow<RefCell<u8>>: UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Arc<RefCell<u8>>: UnwindSafe, RefUnwindSafe);
// `&mut u8` is `RefUnwindSafe` but not `UnwindSafe`: `Arc` of it is both, and
// so is `Cow` (the `UnwindSafe` impl asks for `T: RefUnwindSafe` only).
assert_not_impl_any!(&'static mut u8: UnwindSafe);
assert_impl_all!(&'static mut u8: RefUnwindSafe);
assert_impl_all!(Arc<&'static mut u8>: UnwindSafe, RefUnwindSafe);
assert_impl_all!(Cow<&'static mut u8>: UnwindSafe, RefUnwindSafe);

// Clone needs no `T: Clone`.
assert_not_impl_any!(NotClone: Clone);
assert_impl_all!(Cow<NotClone>: Clone);
assert_impl_all!(Cow<u64>: Clone, Default, From<u64>, fmt::Debug, fmt::Display, fmt::Pointer);
assert_impl_all!(Cow<u64>: PartialEq, Eq, PartialOrd, Ord, Hash, Borrow<u64>, AsRef<u64>);
assert_impl_all!(Cow<f64>: PartialEq, PartialOrd);
assert_not_impl_any!(Cow<f64>: Eq, Ord, Hash);
assert_not_impl_any!(Cow<NotClone>: Default, fmt::Display, PartialOrd);

/// Covariant in `T`, as `Arc<T>` is: a `Cow<&'static str>` is usable where a
/// `Cow<&'a str>` is expected. (Does not compile if `Cow` is invariant.)
#[allow(dead_code)]
fn covariant<'a>(c: Cow<&'static str>) -> Cow<&'a str> {
    c
}

#[test]
fn a_send_sync_cow_moves_to_another_thread() {
    let a = Cow::new(String::from("over there"));
    let b = a.clone();
    let len = std::thread::spawn(move || b.len()).join().unwrap();
    assert_eq!(len, 10);
    assert!(Cow::is_unique(&a));
}

#[test]
fn catch_unwind_accepts_a_cow_by_value() {
    let a = Cow::new(vec![1, 2, 3]);
    let b = a.clone();
    // Compiles only because `Cow<Vec<i32>>: UnwindSafe`.
    let r = std::panic::catch_unwind(move || {
        assert_eq!(b.len(), 3);
        b
    });
    let b = r.unwrap();
    assert!(Cow::ptr_eq(&a, &b));
}

/// A payload that is `Send` but not `Sync` (`Cell`, `RefCell`): its `Cow`
/// is neither `Send` nor `Sync` (asserted above), and it works on one
/// thread: handles share the one value (a write through the `Cell` shows in
/// every handle), `make_mut` copies it, and the value taken out (a `T:
/// Send`) may then move to another thread.
#[test]
fn a_send_only_payload_works_on_one_thread() {
    let a = Cow::new(Cell::new(1u32));
    let b = a.clone();
    b.set(2);
    assert_eq!(a.get(), 2, "handles share one value");
    let mut c = b.clone();
    Cow::make_mut(&mut c).set(3);
    assert!(!Cow::ptr_eq(&b, &c));
    assert_eq!((a.get(), b.get(), c.get()), (2, 2, 3));
    assert_eq!(Cow::strong_count(&a), 2);
    drop(b);
    let cell = Cow::try_unwrap(a).unwrap();
    let moved = std::thread::spawn(move || cell.get() + 10).join().unwrap();
    assert_eq!(moved, 12);

    let r = Cow::new(RefCell::new(String::from("x")));
    let r2 = r.clone();
    // `RefCell::borrow` by path: `Cow` has a `Borrow` impl of its own.
    r2.borrow_mut().push('y');
    assert_eq!(*RefCell::borrow(&r), "xy");
    let mut r3 = r.clone();
    Cow::make_mut(&mut r3).borrow_mut().push('z');
    assert_eq!(*RefCell::borrow(&r), "xy");
    assert_eq!(*RefCell::borrow(&r3), "xyz");
}

// ---------------------------------------------------------------------------
// Trait behaviour
// ---------------------------------------------------------------------------

#[test]
fn clone_shares_without_cloning_the_value() {
    let a = Cow::new(NotClone(5));
    let b = a.clone();
    assert!(Cow::ptr_eq(&a, &b));
    assert_eq!(Cow::as_ptr(&a), Cow::as_ptr(&b));
    assert_eq!(Cow::strong_count(&a), 2);
    assert_eq!(Cow::strong_count(&b), 2);
    assert_eq!(b.0, 5);
    drop(a);
    assert_eq!(Cow::strong_count(&b), 1);
    assert_eq!(Cow::try_unwrap(b).unwrap(), NotClone(5));
}

#[test]
fn default_is_a_new_unique_default_value() {
    let a: Cow<u32> = Cow::default();
    assert_eq!(*a, 0);
    assert!(Cow::is_unique(&a));
    let s: Cow<String> = Default::default();
    assert_eq!(*s, "");
    let v: Cow<Vec<u8>> = Default::default();
    assert!(v.is_empty());
    // Two defaults are two allocations, not one shared static.
    let b: Cow<u32> = Cow::default();
    assert!(!Cow::ptr_eq(&a, &b));
}

#[test]
fn from_is_new() {
    let a = Cow::from(String::from("from"));
    assert_eq!(*a, "from");
    assert!(Cow::is_unique(&a));
    let b: Cow<u8> = 9.into();
    assert_eq!(*b, 9);
    assert_eq!(Cow::strong_count(&b), 1);
}

#[test]
fn debug_and_display_format_the_value_with_the_callers_flags() {
    let s = Cow::new("text");
    assert_eq!(format!("{s:?}"), format!("{:?}", "text"));
    assert_eq!(format!("{s}"), "text");
    assert_eq!(format!("{s:>8}|"), "    text|");

    let x = Cow::new(1.5f64);
    assert_eq!(format!("{x}"), "1.5");
    assert_eq!(format!("{x:08.3}"), "0001.500");
    assert_eq!(format!("{x:?}"), "1.5");

    let v = Cow::new(vec![Some(1), None]);
    assert_eq!(format!("{v:?}"), "[Some(1), None]");
    assert_eq!(format!("{v:#?}"), format!("{:#?}", vec![Some(1), None]));
    assert_eq!(format!("{:x?}", Cow::new(255u8)), "ff");
}

#[test]
fn pointer_formatting_prints_the_value_address() {
    let a = Cow::new(Align64(3));
    let p = Cow::as_ptr(&a);
    assert_eq!(format!("{a:p}"), format!("{p:p}"));
    assert_eq!(format!("{a:#p}"), format!("{p:#p}"));
    assert_eq!(format!("{a:>30p}"), format!("{p:>30p}"));
    // It is the address of the value itself (not of the header in front).
    let value: *const Align64 = &*a;
    assert_eq!(format!("{a:p}"), format!("{value:p}"));
    assert_eq!(p, value);
    // ... and the same for every handle to it.
    let mut b = a.clone();
    assert_eq!(format!("{b:p}"), format!("{a:p}"));
    // A copy made by `make_mut` lives elsewhere.
    Cow::make_mut(&mut b).0 = 4;
    assert_ne!(format!("{b:p}"), format!("{a:p}"));
    assert_eq!(format!("{b:p}"), format!("{:p}", Cow::as_ptr(&b)));
}

#[test]
fn partial_eq_compares_values_not_pointers() {
    let a = Cow::new(String::from("same"));
    let b = Cow::new(String::from("same"));
    assert!(!Cow::ptr_eq(&a, &b));
    assert_eq!(a, b);
    assert!(a != Cow::new(String::from("other")));

    // NaN is not equal to itself, even through the same allocation.
    let nan = Cow::new(f64::NAN);
    let same = nan.clone();
    assert!(Cow::ptr_eq(&nan, &same));
    assert!(nan != same);
    assert!(!PartialEq::eq(&nan, &same));
    assert!(PartialEq::ne(&nan, &same));
    let by_ref: &Cow<f64> = &nan;
    assert!(!by_ref.eq(&nan), "NaN compared equal to itself");
}

#[test]
fn partial_ord_and_ord_compare_values() {
    let one = Cow::new(1);
    let two = Cow::new(2);
    assert!(one < two);
    assert!(two > one);
    assert!(one <= one.clone());
    assert_eq!(one.cmp(&two), Ordering::Less);
    assert_eq!(two.cmp(&one), Ordering::Greater);
    assert_eq!(one.cmp(&Cow::new(1)), Ordering::Equal);
    assert_eq!(std::cmp::max(one.clone(), two.clone()), two);

    let nan = Cow::new(f64::NAN);
    assert_eq!(nan.partial_cmp(&nan.clone()), None);
    // `<` and `>=` are both false for NaN (the operators, not just `partial_cmp`).
    let lt = nan < nan.clone();
    let ge = nan >= nan.clone();
    assert_eq!((lt, ge), (false, false));
    assert_eq!(
        Cow::new(0.5).partial_cmp(&Cow::new(1.5)),
        Some(Ordering::Less)
    );

    let mut v: Vec<Cow<&str>> = ["pear", "apple", "fig"].map(Cow::new).into();
    v.sort();
    let sorted: Vec<&str> = v.iter().map(|c| **c).collect();
    assert_eq!(sorted, ["apple", "fig", "pear"]);
    let set: BTreeSet<Cow<u8>> = [3, 1, 2, 1].map(Cow::new).into();
    assert_eq!(set.into_iter().map(|c| *c).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn hash_equals_the_values_hash() {
    let state = BuildHasherDefault::<DefaultHasher>::default();
    let s = String::from("hash me");
    assert_eq!(state.hash_one(Cow::new(s.clone())), state.hash_one(&s));
    assert_eq!(state.hash_one(Cow::new(42u64)), state.hash_one(42u64));
    assert_eq!(state.hash_one(Cow::new(Zst)), state.hash_one(Zst));
    let v = vec![(1u8, 'a'), (2, 'b')];
    assert_eq!(state.hash_one(Cow::new(v.clone())), state.hash_one(&v));
    // Equal values in different allocations hash equal.
    assert_eq!(
        state.hash_one(Cow::new(7u32)),
        state.hash_one(Cow::new(7u32))
    );
    assert_ne!(
        state.hash_one(Cow::new(7u32)),
        state.hash_one(Cow::new(8u32))
    );

    let set: HashSet<Cow<u32>> = [1, 2, 2, 3].map(Cow::new).into();
    assert_eq!(set.len(), 3);
    assert!(set.contains(&Cow::new(2)));
}

#[test]
fn borrow_lets_a_map_keyed_by_cow_be_queried_by_value() {
    // `Borrow<T>` plus `Hash`/`Eq` equal to `T`'s: the map finds a
    // `Cow<String>` key from a plain `&String`.
    let mut map: HashMap<Cow<String>, u32> = HashMap::new();
    map.insert(Cow::new(String::from("one")), 1);
    map.insert(Cow::new(String::from("two")), 2);
    assert_eq!(map.get(&String::from("two")), Some(&2));
    assert_eq!(map.get(&String::from("three")), None);

    let set: BTreeSet<Cow<u64>> = [5, 9].map(Cow::new).into();
    assert!(set.contains(&9u64));
    assert!(!set.contains(&6u64));
}

#[test]
fn borrow_and_as_ref_give_the_shared_value() {
    fn via_borrow<B: Borrow<Vec<u8>>>(b: &B) -> *const Vec<u8> {
        b.borrow()
    }
    fn via_as_ref<R: AsRef<Vec<u8>>>(r: &R) -> *const Vec<u8> {
        r.as_ref()
    }
    let a = Cow::new(vec![1u8, 2]);
    let b = a.clone();
    assert_eq!(via_borrow(&a), Cow::as_ptr(&a));
    assert_eq!(via_as_ref(&b), Cow::as_ptr(&a));
    let r: &Vec<u8> = a.borrow();
    assert_eq!(r, &[1, 2]);
    assert_eq!(AsRef::<Vec<u8>>::as_ref(&b), &[1, 2]);
}

#[test]
fn deref_reads_the_value() {
    let a = Cow::new(String::from("deref"));
    assert_eq!(a.len(), 5);
    assert!(a.starts_with("de"));
    let s: &String = &a;
    assert_eq!(s as *const String, Cow::as_ptr(&a));
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_is_by_value() {
    let a = Cow::new(vec![1u32, 2, 3]);
    let json = serde_json::to_string(&a).unwrap();
    // Serialized exactly as the value: no wrapper, no count, no pointer.
    assert_eq!(json, "[1,2,3]");
    assert_eq!(json, serde_json::to_string(&*a).unwrap());
    let back: Cow<Vec<u32>> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
    assert!(Cow::is_unique(&back));
    assert!(!Cow::ptr_eq(&back, &a));

    // Nested, and shared handles serialize their value each time.
    let s = Cow::new(String::from("x"));
    let list = vec![s.clone(), s.clone(), Cow::new(String::from("y"))];
    let json = serde_json::to_string(&list).unwrap();
    assert_eq!(json, r#"["x","x","y"]"#);
    let back: Vec<Cow<String>> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, list);
    // Deserialized values are separate allocations, each unique.
    assert!(back.iter().all(Cow::is_unique));

    let nested: Cow<Option<Cow<f64>>> = serde_json::from_str("2.5").unwrap();
    let inner: &Option<Cow<f64>> = &nested;
    assert_eq!(inner.as_ref().map(|c| **c), Some(2.5));

    // Errors of `T` come through.
    assert!(serde_json::from_str::<Cow<u32>>(r#""not a number""#).is_err());
    assert!(serde_json::from_str::<Cow<u8>>("256").is_err());
}
