//! `CowVec`'s comparisons and conversions, and its owned iterator's `Clone`
//! and `as_slice` (issue 16).
//!
//! Comparisons: every pairing `Vec` has (`CowVec`, `Vec`, `[T]`, `&[T]`,
//! `[T; N]`, `&[T; N]`), on both sides of a `CowVec` and between element
//! types (`A: PartialEq<B>`), equal and unequal, none allocating.
//!
//! Conversions, each unique and shared where both exist: what each copies is
//! checked by allocation counts (the counting allocator of `vec_alloc`), by
//! element addresses, and by the crash-test dummy's ids and clone calls (a
//! moved element keeps its id; a clone gets a new one). A shared source
//! keeps its contents. Every conversion that clones is run with a `clone`
//! that panics halfway: the source is unchanged, everything ever made is
//! dropped exactly once, and every allocation is freed.
//!
//! `IntoIter`: `as_slice` and `clone` at every stage (fresh, after `next`,
//! after `next_back`, exhausted), owning its elements and cloning out of a
//! shared buffer; the clone of an owning iterator owns clones of what is
//! left, the clone of a sharing one shares the buffer.

// The comparisons take references and both orders on purpose: `v == &a` and
// `&a == v` are different impls from `v == a` (clippy assumes symmetry and
// would have them removed).
#![allow(clippy::op_ref, clippy::nonminimal_bool)]

mod common;

use std::borrow::Cow as StdCow;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use arcow::{cow_vec, CowVec};
use common::alloc::{measure, Stats};
use common::{Dummy, Tracker};

#[global_allocator]
static GLOBAL: common::alloc::Counting = common::alloc::Counting;

// ---------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------

thread_local! {
    /// Calls of `Counted::clone` on this thread.
    static CLONES: Cell<usize> = const { Cell::new(0) };
    /// `Counted` values made (by `new` or `clone`) and dropped, on this thread.
    static MADE: Cell<usize> = const { Cell::new(0) };
    static DROPPED: Cell<usize> = const { Cell::new(0) };
    /// 0: disarmed. Otherwise each `clone` counts it down and the call that
    /// brings it to 0 panics.
    static COUNTDOWN: Cell<usize> = const { Cell::new(0) };
}

fn bump(c: &'static std::thread::LocalKey<Cell<usize>>) {
    c.with(|c| c.set(c.get() + 1));
}

/// A payload that allocates nothing (so allocation counts see only the
/// vectors), counts its clones, makes and drops, and can panic in `clone`.
#[derive(Debug, PartialEq)]
struct Counted(u64);

impl Counted {
    fn new(v: u64) -> Counted {
        bump(&MADE);
        Counted(v)
    }
}

impl Clone for Counted {
    fn clone(&self) -> Counted {
        bump(&CLONES);
        let fire = COUNTDOWN.with(|c| match c.get() {
            0 => false,
            n => {
                c.set(n - 1);
                n == 1
            }
        });
        if fire {
            panic::panic_any(Boom);
        }
        Counted::new(self.0)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        bump(&DROPPED);
    }
}

/// The payload of `Counted`'s panics: zero-sized, so boxing it allocates
/// nothing.
struct Boom;

/// Keeps the expected panics (`Boom`, and the dummy's on command) out of the
/// output, and panics once on this thread first, so that what the first
/// panic sets up is not counted against the code under test.
fn quiet() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let p = info.payload();
            let dummy = p
                .downcast_ref::<String>()
                .is_some_and(|m| m.starts_with("Dummy::clone panics on command"));
            if !p.is::<Boom>() && !dummy {
                default(info);
            }
        }));
    });
    let _ = panic::catch_unwind(|| panic::panic_any(Boom));
}

fn clones() -> usize {
    CLONES.with(Cell::get)
}

fn live() -> usize {
    MADE.with(Cell::get) - DROPPED.with(Cell::get)
}

/// The values of some `Counted`s (compared this way, never with `Counted`
/// literals, which would be dropped without having been counted as made).
fn vals(xs: &[Counted]) -> Vec<u64> {
    xs.iter().map(|c| c.0).collect()
}

/// `n` counted values `0..n`.
fn counted(n: u64) -> Vec<Counted> {
    (0..n).map(Counted::new).collect()
}

/// `n` dummies with values `0..n`.
fn dummies(t: &Tracker, n: u64) -> Vec<Dummy> {
    (0..n).map(|i| t.make(i)).collect()
}

fn ids(xs: &[Dummy]) -> Vec<usize> {
    xs.iter().map(Dummy::id).collect()
}

fn values(xs: &[Dummy]) -> Vec<u64> {
    xs.iter().map(|d| d.value).collect()
}

/// Runs `f`, which must panic (a `clone` told to), and swallows the panic.
#[track_caller]
fn must_panic<R>(f: impl FnOnce() -> R) {
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    assert!(r.is_err(), "expected the injected panic");
}

/// The bytes of a `CowVec` buffer with room for `cap` `Counted`s.
fn buffer_bytes(cap: usize) -> usize {
    2 * std::mem::size_of::<usize>() + cap * std::mem::size_of::<Counted>()
}

// ---------------------------------------------------------------------------
// Comparisons
// ---------------------------------------------------------------------------

#[test]
fn compares_with_every_container_on_both_sides() {
    let v: CowVec<i32> = cow_vec![1, 2, 3];
    let same = [1, 2, 3];
    let other = [1, 2, 4];
    let shorter = [1, 2];

    // CowVec on the left.
    assert!(v == cow_vec![1, 2, 3] && v != cow_vec![1, 2, 4] && v != cow_vec![1, 2]);
    assert!(v == same.to_vec() && v != other.to_vec() && v != shorter.to_vec());
    assert!(v == same[..] && v != other[..] && v != shorter[..]);
    assert!(v == &same[..] && v != &other[..] && v != &shorter[..]);
    assert!(v == same && v != other && v != shorter);
    assert!(v == &same && v != &other && v != &shorter);

    // CowVec on the right.
    assert!(same.to_vec() == v && other.to_vec() != v && shorter.to_vec() != v);
    assert!(same[..] == v && other[..] != v && shorter[..] != v);
    assert!(&same[..] == v && &other[..] != v && &shorter[..] != v);
    assert!(same == v && other != v && shorter != v);
    assert!(&same == v && &other != v && &shorter != v);

    // assert_eq! takes both orders too.
    assert_eq!(v, &[1, 2, 3]);
    assert_eq!(&[1, 2, 3], v);
    assert_eq!([1, 2, 3], v);
    assert_eq!(vec![1, 2, 3], v);
    assert_eq!(&[1, 2, 3][..], v);
}

#[test]
fn empty_vectors_compare_with_empty_containers() {
    let e: CowVec<i32> = CowVec::new();
    let none: [i32; 0] = [];
    assert!(e == none && none == e);
    assert!(e == &none && &none == e);
    assert!(e == none[..] && none[..] == e);
    assert!(e == &none[..] && &none[..] == e);
    assert!(e == Vec::<i32>::new() && Vec::<i32>::new() == e);
    assert!(e == CowVec::<i32>::new());
    // An allocated empty vector is still equal to an unallocated one.
    assert!(CowVec::<i32>::with_capacity(4) == e);
    assert!(e != [0] && [0] != e);
}

/// A left-hand element type that compares with [`Right`] (and not the other
/// way round), so each impl is picked by `A: PartialEq<B>`, not by symmetry.
#[derive(Debug)]
struct Left(u8);
#[derive(Debug)]
struct Right(u8);

impl PartialEq<Right> for Left {
    fn eq(&self, other: &Right) -> bool {
        self.0 == other.0
    }
}

#[test]
fn compares_across_element_types_on_both_sides() {
    let l: CowVec<Left> = cow_vec![Left(1), Left(2)];
    let r: CowVec<Right> = cow_vec![Right(1), Right(2)];
    let r_arr = [Right(1), Right(2)];
    let r_bad = [Right(1), Right(3)];
    let r_vec = vec![Right(1), Right(2)];
    assert!(l == r);
    assert!(l != cow_vec![Right(1)]);
    assert!(l == r_vec && l != vec![Right(2), Right(1)]);
    assert!(l == r_arr[..] && l != r_bad[..]);
    assert!(l == &r_arr[..] && l != &r_bad[..]);
    assert!(l == r_arr && l != r_bad);
    assert!(l == &r_arr && l != &r_bad);

    // CowVec<Right> on the right of Left containers.
    let l_arr = [Left(1), Left(2)];
    let l_bad = [Left(0), Left(2)];
    assert!(vec![Left(1), Left(2)] == r && vec![Left(1)] != r);
    assert!(l_arr[..] == r && l_bad[..] != r);
    assert!(&l_arr[..] == r && &l_bad[..] != r);
    assert!(l_arr == r && l_bad != r);
    assert!(&l_arr == r && &l_bad != r);

    // With std's own cross-type impls: String == &str, &str == String.
    let s: CowVec<String> = cow_vec!["a".into(), "b".into()];
    let strs: CowVec<&str> = cow_vec!["a", "b"];
    assert!(s == strs && strs == s);
    assert!(s == ["a", "b"] && ["a", "b"] == s);
    assert!(s == vec!["a", "b"] && vec!["a", "b"] == s);
    assert!(strs == vec![String::from("a"), String::from("b")]);
    assert!(s != ["a", "c"]);
}

#[test]
fn comparisons_are_by_value_and_never_allocate() {
    let a: CowVec<u64> = (0..8).collect();
    let b = a.clone();
    let c: CowVec<u64> = (0..8).collect();
    let arr: [u64; 8] = std::array::from_fn(|i| i as u64);
    let v: Vec<u64> = arr.to_vec();
    let (eq, stats) = measure(|| {
        [
            a == b,
            a == c,
            a == v,
            v == a,
            a == arr,
            arr == a,
            a == &arr,
            &arr == a,
            a == arr[..],
            arr[..] == a,
            a == &arr[..],
            &arr[..] == a,
        ]
    });
    assert_eq!(stats, Stats::NONE);
    assert!(eq.iter().all(|&e| e));
    // No pointer shortcut: NaN in a shared buffer is not equal to itself.
    let n = cow_vec![f64::NAN];
    let m = n.clone();
    assert!(n != m && n != [f64::NAN] && [f64::NAN] != n);
}

// ---------------------------------------------------------------------------
// Conversions into CowVec
// ---------------------------------------------------------------------------

#[test]
fn from_array_ref_clones_once_into_one_allocation() {
    let src = [Counted::new(1), Counted::new(2), Counted::new(3)];
    let before = clones();
    let (v, stats) = measure(|| CowVec::from(&src));
    assert_eq!(stats, Stats::allocs(1, buffer_bytes(3)));
    assert_eq!(clones() - before, 3);
    assert_eq!(v, src);
    assert_eq!(vals(&src), [1, 2, 3], "source changed");
    let (e, stats) = measure(|| CowVec::from(&[0u64; 0]));
    assert_eq!((stats, e.capacity()), (Stats::NONE, 0));
    drop((v, src));
    assert_eq!(live(), 0);
}

#[test]
fn from_mut_slice_clones_and_leaves_the_source() {
    let mut src = counted(4);
    let before = clones();
    let (v, stats) = measure(|| CowVec::from(&mut src[1..]));
    assert_eq!(stats, Stats::allocs(1, buffer_bytes(3)));
    assert_eq!(clones() - before, 3);
    assert_eq!(vals(&v), [1, 2, 3]);
    assert_eq!(vals(&src), [0, 1, 2, 3]);
    let (e, stats) = measure(|| CowVec::from(&mut src[..0]));
    assert_eq!((stats, e.len(), e.capacity()), (Stats::NONE, 0, 0));
    drop((v, src));
    assert_eq!(live(), 0);
}

#[test]
fn from_boxed_slice_moves_once_and_frees_the_box() {
    let t = Tracker::new();
    let boxed: Box<[Dummy]> = dummies(&t, 3).into_boxed_slice();
    let ids_before = ids(&boxed);
    let v = CowVec::from(boxed);
    assert_eq!(ids(&v), ids_before, "the elements were not moved");
    assert_eq!(t.clone_calls(), 0);
    assert_eq!(t.live(), 3);
    drop(v);
    t.assert_all_dropped_once();

    // One allocation (the buffer), one free (the box), no realloc.
    let boxed: Box<[u64]> = vec![1, 2, 3].into_boxed_slice();
    let (v, stats) = measure(|| CowVec::from(boxed));
    assert_eq!(
        stats,
        Stats {
            allocs: 1,
            alloc_bytes: 16 + 3 * 8,
            deallocs: 1,
            dealloc_bytes: 3 * 8,
            ..Stats::NONE
        }
    );
    assert_eq!(v, [1, 2, 3]);
    let empty: Box<[u64]> = Box::new([]);
    let (e, stats) = measure(|| CowVec::from(empty));
    assert_eq!((stats, e.capacity()), (Stats::NONE, 0));
    // Zero-sized elements: no allocation to free, the elements moved.
    let zsts: Box<[()]> = vec![(); 5].into_boxed_slice();
    assert_eq!(CowVec::from(zsts).len(), 5);
}

#[test]
fn from_std_cow_moves_owned_and_clones_borrowed() {
    let t = Tracker::new();
    let owned: StdCow<'_, [Dummy]> = StdCow::Owned(dummies(&t, 3));
    let ids_owned = match &owned {
        StdCow::Owned(v) => ids(v),
        StdCow::Borrowed(_) => unreachable!(),
    };
    let v = CowVec::from(owned);
    assert_eq!(ids(&v), ids_owned, "an owned Vec was not moved");
    assert_eq!(t.clone_calls(), 0);

    let src = dummies(&t, 2);
    let v2 = CowVec::from(StdCow::Borrowed(&src[..]));
    assert_eq!(t.clone_calls(), 2, "a borrowed slice is cloned once");
    assert_eq!(values(&v2), values(&src));
    assert_ne!(ids(&v2), ids(&src));
    drop((v, v2, src));
    t.assert_all_dropped_once();

    // Allocations: owned is From<Vec> (one buffer, the Vec freed); borrowed
    // one buffer; empty ones nothing.
    let owned: StdCow<'_, [u64]> = StdCow::Owned(vec![1, 2]);
    let (v, stats) = measure(|| CowVec::from(owned));
    assert_eq!((stats.allocs, stats.deallocs), (1, 1));
    assert_eq!(v, [1, 2]);
    let (v, stats) = measure(|| CowVec::from(StdCow::Borrowed(&[1u64, 2][..])));
    assert_eq!(stats, Stats::allocs(1, 16 + 2 * 8));
    assert_eq!(v, [1, 2]);
    let (e, stats) = measure(|| CowVec::from(StdCow::Borrowed(&[0u64; 0][..])));
    assert_eq!((stats, e.capacity()), (Stats::NONE, 0));
}

// ---------------------------------------------------------------------------
// Conversions out of CowVec
// ---------------------------------------------------------------------------

#[test]
fn into_vec_moves_when_unique() {
    let t = Tracker::new();
    let v: CowVec<Dummy> = dummies(&t, 3).into();
    let ids_before = ids(&v);
    let out: Vec<Dummy> = v.into();
    assert_eq!(
        ids(&out),
        ids_before,
        "a unique buffer's elements were not moved"
    );
    assert_eq!(t.clone_calls(), 0);
    drop(out);
    t.assert_all_dropped_once();

    // One allocation (the Vec), one free (the old buffer), a memcpy.
    let v: CowVec<u64> = cow_vec![1, 2, 3];
    let (out, stats) = measure(|| Vec::from(v));
    assert_eq!(
        stats,
        Stats {
            allocs: 1,
            alloc_bytes: 3 * 8,
            deallocs: 1,
            dealloc_bytes: 16 + 3 * 8,
            ..Stats::NONE
        }
    );
    assert_eq!(out, [1, 2, 3]);
    let (e, stats) = measure(|| Vec::from(CowVec::<u64>::new()));
    assert_eq!((stats, e.capacity()), (Stats::NONE, 0));
}

#[test]
fn into_vec_clones_once_when_shared_and_keeps_the_snapshot() {
    let t = Tracker::new();
    let v: CowVec<Dummy> = dummies(&t, 3).into();
    let snap = v.clone();
    let snap_ids = ids(&snap);
    let out: Vec<Dummy> = v.into();
    assert_eq!(t.clone_calls(), 3, "each element cloned once");
    assert_eq!(values(&out), [0, 1, 2]);
    assert_eq!(ids(&snap), snap_ids, "the snapshot changed");
    assert!(snap.is_unique(), "the conversion let go of its handle");
    drop((out, snap));
    t.assert_all_dropped_once();

    let v: CowVec<u64> = cow_vec![1, 2, 3];
    let snap = v.clone();
    let (out, stats) = measure(|| Vec::from(v));
    assert_eq!(stats, Stats::allocs(1, 3 * 8), "one copy, nothing freed");
    assert_eq!((out, snap), (vec![1, 2, 3], cow_vec![1, 2, 3]));
}

#[test]
fn try_into_array_moves_when_unique() {
    let t = Tracker::new();
    let v: CowVec<Dummy> = dummies(&t, 3).into();
    let ids_before = ids(&v);
    let arr: [Dummy; 3] = v.try_into().unwrap();
    assert_eq!(ids(&arr), ids_before, "not moved");
    assert_eq!(t.clone_calls(), 0);
    assert_eq!(t.live(), 3);
    drop(arr);
    t.assert_all_dropped_once();

    // No allocation, the buffer freed.
    let v: CowVec<u64> = cow_vec![4, 5];
    let (arr, stats) = measure(|| <[u64; 2]>::try_from(v));
    assert_eq!(stats, Stats::deallocs(1, 16 + 2 * 8));
    assert_eq!(arr.unwrap(), [4, 5]);
    // Empty: with and without a buffer.
    let (arr, stats) = measure(|| <[u64; 0]>::try_from(CowVec::new()));
    assert_eq!((arr.unwrap(), stats), ([], Stats::NONE));
    let with_room: CowVec<u64> = CowVec::with_capacity(4);
    let (arr, stats) = measure(|| <[u64; 0]>::try_from(with_room));
    assert_eq!((arr.unwrap(), stats), ([], Stats::deallocs(1, 16 + 4 * 8)));
    // Zero-sized elements.
    let z: CowVec<()> = cow_vec![(); 3];
    assert_eq!(<[(); 3]>::try_from(z).unwrap(), [(); 3]);
}

#[test]
fn try_into_array_clones_once_when_shared() {
    let t = Tracker::new();
    let v: CowVec<Dummy> = dummies(&t, 3).into();
    let snap = v.clone();
    let snap_ids = ids(&snap);
    let arr: [Dummy; 3] = v.try_into().unwrap();
    assert_eq!(t.clone_calls(), 3);
    assert_eq!(values(&arr), [0, 1, 2]);
    assert_eq!(ids(&snap), snap_ids);
    assert!(snap.is_unique());
    drop((arr, snap));
    t.assert_all_dropped_once();

    // No allocation at all: the clones go into the array.
    let v: CowVec<u64> = cow_vec![4, 5];
    let snap = v.clone();
    let (arr, stats) = measure(|| <[u64; 2]>::try_from(v));
    assert_eq!(stats, Stats::NONE);
    assert_eq!((arr.unwrap(), snap), ([4, 5], cow_vec![4, 5]));
}

#[test]
fn try_into_array_of_the_wrong_length_gives_the_vector_back() {
    let t = Tracker::new();
    for shared in [false, true] {
        let v: CowVec<Dummy> = dummies(&t, 3).into();
        let snap = shared.then(|| v.clone());
        let ptr = v.as_ptr();
        let (back, stats) = measure(|| <[Dummy; 2]>::try_from(v));
        let back = back.unwrap_err();
        assert_eq!(stats, Stats::NONE);
        assert_eq!(back.as_ptr(), ptr, "not the same vector");
        assert_eq!(values(&back), [0, 1, 2]);
        let back = <[Dummy; 4]>::try_from(back).unwrap_err();
        assert_eq!(back.as_ptr(), ptr);
        if let Some(s) = &snap {
            assert!(back.ptr_eq(s));
        }
        assert_eq!(back.is_unique(), !shared);
        drop((back, snap));
    }
    assert_eq!(t.clone_calls(), 0);
    t.assert_all_dropped_once();
}

// ---------------------------------------------------------------------------
// A panicking clone in every conversion that clones
// ---------------------------------------------------------------------------

/// Each conversion that clones, run with the second `clone` panicking: the
/// source is unchanged, every dummy is dropped exactly once, and (with the
/// non-allocating payload) every allocation made is freed.
#[test]
fn a_panicking_clone_in_a_conversion_leaks_nothing_and_drops_once() {
    quiet();
    type Conv = fn(&Tracker, &mut Vec<Dummy>);
    let convs: [(&str, Conv); 6] = [
        ("From<&[T; N]>", |_, src| {
            let arr: &[Dummy; 3] = src[..].try_into().unwrap();
            drop(CowVec::from(arr));
        }),
        ("From<&mut [T]>", |_, src| drop(CowVec::from(&mut src[..]))),
        ("From<Cow::Borrowed>", |_, src| {
            drop(CowVec::from(StdCow::Borrowed(&src[..])))
        }),
        ("From<&[T]>", |_, src| drop(CowVec::from(&src[..]))),
        ("Vec::from(shared)", |_, src| {
            let v = CowVec::from(&src[..]);
            let snap = v.clone();
            let r = panic::catch_unwind(AssertUnwindSafe(|| Vec::from(v)));
            assert_eq!(snap.len(), 3, "the snapshot changed");
            assert!(snap.is_unique(), "the failed conversion kept a handle");
            drop(snap);
            if let Err(e) = r {
                panic::resume_unwind(e);
            }
        }),
        ("<[T; 3]>::try_from(shared)", |_, src| {
            let v = CowVec::from(&src[..]);
            let snap = v.clone();
            let r = panic::catch_unwind(AssertUnwindSafe(|| <[Dummy; 3]>::try_from(v)));
            assert_eq!(values(&snap), [0, 1, 2], "the snapshot changed");
            assert!(snap.is_unique(), "the failed conversion kept a handle");
            drop(snap);
            if let Err(e) = r {
                panic::resume_unwind(e);
            }
        }),
    ];
    for (name, conv) in convs {
        // The first, middle and last of the three clones panics.
        for nth in 1..=3 {
            let t = Tracker::new();
            let mut src = dummies(&t, 3);
            let src_ids = ids(&src);
            // The two shared cases first build their vector with 3 clones.
            let setup = if name.ends_with("(shared)") { 3 } else { 0 };
            t.panic_on_clone(setup + nth);
            must_panic(|| conv(&t, &mut src));
            assert_eq!(
                ids(&src),
                src_ids,
                "{name}, clone {nth}: the source changed"
            );
            assert_eq!(t.live(), 3, "{name}, clone {nth}: a clone leaked");
            drop(src);
            t.assert_all_dropped_once();
        }
    }
}

#[test]
fn a_panicking_clone_in_a_conversion_frees_what_it_allocated() {
    quiet();
    type Conv = fn(&[Counted]);
    let convs: [(&str, Conv); 5] = [
        ("From<&[T; N]>", |src| {
            let arr: &[Counted; 3] = src.try_into().unwrap();
            drop(CowVec::from(arr));
        }),
        ("From<Cow::Borrowed>", |src| {
            drop(CowVec::from(StdCow::Borrowed(src)))
        }),
        ("From<&[T]>", |src| drop(CowVec::from(src))),
        ("Vec::from(shared)", |src| {
            let v = CowVec::from(src);
            let _snap = v.clone();
            drop(Vec::from(v));
        }),
        ("<[T; 3]>::try_from(shared)", |src| {
            let v = CowVec::from(src);
            let _snap = v.clone();
            drop(<[Counted; 3]>::try_from(v));
        }),
    ];
    for (name, conv) in convs {
        for nth in 1..=3 {
            let src = counted(3);
            let live_before = live();
            let setup = if name.ends_with("(shared)") { 3 } else { 0 };
            COUNTDOWN.with(|c| c.set(setup + nth));
            let ((), stats) = measure(|| must_panic(|| conv(&src)));
            COUNTDOWN.with(|c| c.set(0));
            // Everything allocated, the unwinder's payload box included, is
            // freed.
            assert!(stats.balanced(), "{name}, clone {nth}: {stats:?}");
            assert_eq!(live(), live_before, "{name}, clone {nth}: a clone leaked");
            assert_eq!(vals(&src), [0, 1, 2], "{name}, clone {nth}");
        }
    }
}

// ---------------------------------------------------------------------------
// IntoIter: as_slice and Clone
// ---------------------------------------------------------------------------

/// Checks `as_slice` and `clone` of `it` against `expected`, then that the
/// clone yields exactly `expected`, from both ends.
#[track_caller]
fn check_iter(it: &arcow::IntoIter<Dummy>, expected: &[u64], t: &Tracker, shared: bool) {
    assert_eq!(values(it.as_slice()), expected);
    assert_eq!(it.len(), expected.len());
    let clones_before = t.clone_calls();
    let copy = it.clone();
    let cloned = t.clone_calls() - clones_before;
    assert_eq!(values(copy.as_slice()), expected);
    assert_eq!(values(it.as_slice()), expected, "the original changed");
    if shared || expected.is_empty() {
        // Shares the buffer: no element cloned.
        assert_eq!(cloned, 0);
        if !expected.is_empty() {
            assert_eq!(copy.as_slice().as_ptr(), it.as_slice().as_ptr());
        }
    } else {
        // Owns its elements: the clone owns clones of the rest.
        assert_eq!(cloned, expected.len());
        assert_ne!(copy.as_slice().as_ptr(), it.as_slice().as_ptr());
        assert_ne!(ids(copy.as_slice()), ids(it.as_slice()));
    }
    let mut copy = copy;
    let mut got = Vec::new();
    let mut back = Vec::new();
    while let Some(x) = copy.next() {
        got.push(x.value);
        if let Some(y) = copy.next_back() {
            back.push(y.value);
        }
        assert_eq!(copy.as_slice().len(), copy.len());
    }
    back.reverse();
    got.extend(back);
    assert_eq!(got, expected);
    assert!(copy.as_slice().is_empty());
}

#[test]
fn into_iter_as_slice_and_clone_at_every_stage() {
    for shared in [false, true] {
        let t = Tracker::new();
        let v: CowVec<Dummy> = dummies(&t, 5).into();
        let snap = shared.then(|| v.clone());
        let mut it = v.into_iter();
        check_iter(&it, &[0, 1, 2, 3, 4], &t, shared);
        assert_eq!(it.next().unwrap().value, 0);
        check_iter(&it, &[1, 2, 3, 4], &t, shared);
        assert_eq!(it.next_back().unwrap().value, 4);
        check_iter(&it, &[1, 2, 3], &t, shared);
        assert_eq!(it.next().unwrap().value, 1);
        assert_eq!(it.next_back().unwrap().value, 3);
        check_iter(&it, &[2], &t, shared);
        // A clone dropped part-way, and the original dropped part-way.
        let mut c = it.clone();
        assert_eq!(c.next_back().unwrap().value, 2);
        let c2 = c.clone();
        drop((c, c2));
        assert_eq!(it.next().unwrap().value, 2);
        check_iter(&it, &[], &t, shared);
        assert!(it.next().is_none() && it.next_back().is_none());
        assert!(AsRef::<[Dummy]>::as_ref(&it).is_empty());
        drop(it);
        if let Some(s) = snap {
            assert_eq!(values(&s), [0, 1, 2, 3, 4], "the snapshot changed");
            assert!(s.is_unique());
            drop(s);
        }
        t.assert_all_dropped_once();
    }
}

#[test]
fn into_iter_clone_allocates_only_when_it_owns_its_elements() {
    let v: CowVec<u64> = cow_vec![1, 2, 3];
    let snap = v.clone();
    let mut shared = v.into_iter();
    shared.next();
    let (c, stats) = measure(|| shared.clone());
    assert_eq!(stats, Stats::NONE, "cloning a sharing iterator is O(1)");
    assert_eq!(c.as_slice(), [2, 3]);
    drop((c, shared, snap));

    let mut owned = cow_vec![1u64, 2, 3].into_iter();
    owned.next_back();
    let (c, stats) = measure(|| owned.clone());
    assert_eq!(
        stats,
        Stats::allocs(1, 16 + 2 * 8),
        "one copy of what is left"
    );
    assert_eq!((c.as_slice(), owned.as_slice()), (&[1, 2][..], &[1, 2][..]));

    let empty = CowVec::<u64>::new().into_iter();
    let (c, stats) = measure(|| empty.clone());
    assert_eq!((stats, c.len()), (Stats::NONE, 0));
}

#[test]
fn a_panicking_clone_of_an_owning_into_iter_leaves_it_intact() {
    quiet();
    let t = Tracker::new();
    let v: CowVec<Dummy> = dummies(&t, 4).into();
    let mut it = v.into_iter();
    drop(it.next());
    let left = ids(it.as_slice());
    t.panic_on_clone(2);
    must_panic(|| it.clone());
    assert_eq!(ids(it.as_slice()), left);
    assert_eq!(t.live(), 3);
    assert_eq!(it.map(|d| d.value).collect::<Vec<_>>(), [1, 2, 3]);
    t.assert_all_dropped_once();

    // With the non-allocating payload: the new buffer is freed.
    let mut it = CowVec::from(counted(3)).into_iter();
    drop(it.next_back());
    let live_before = live();
    COUNTDOWN.with(|c| c.set(2));
    let ((), stats) = measure(|| must_panic(|| it.clone()));
    COUNTDOWN.with(|c| c.set(0));
    assert!(stats.balanced(), "{stats:?}");
    assert_eq!(live(), live_before);
    assert_eq!(vals(it.as_slice()), [0, 1]);
}
