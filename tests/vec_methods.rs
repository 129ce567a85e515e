//! The `Vec` methods of issue 16 on `CowVec<T>`, each against std's `Vec`,
//! on a unique and on a shared buffer.
//!
//! Every check runs the same operation on a `Vec<u32>` and on a `CowVec<C>`
//! and compares the results and the contents. On a shared buffer a snapshot
//! (a clone taken before the write) must keep its contents, and the write
//! must copy at most once and only what its result keeps: this file counts
//! `C::clone` calls and the allocator's work on the test's thread (a
//! counting global allocator with thread-local counters, which can also be
//! told to refuse allocations, for `try_reserve`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::TryReserveError;
use std::fmt;
use std::mem::size_of;
use std::panic::{self, AssertUnwindSafe};

use arcow::CowVec;

// ---------------------------------------------------------------------------
// A counting, failing allocator and a counting element
// ---------------------------------------------------------------------------

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static REALLOCS: Cell<usize> = const { Cell::new(0) };
    static DEALLOCS: Cell<usize> = const { Cell::new(0) };
    static ALLOC_BYTES: Cell<usize> = const { Cell::new(0) };
    /// Allocations (and `realloc`s) of at least this many bytes fail.
    static FAIL_FROM: Cell<usize> = const { Cell::new(usize::MAX) };
    static CLONES: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn bump(c: &'static std::thread::LocalKey<Cell<usize>>, by: usize) {
    let _ = c.try_with(|c| c.set(c.get() + by));
}

fn refused(size: usize) -> bool {
    FAIL_FROM.try_with(|f| size >= f.get()).unwrap_or(false)
}

struct Counting;

// SAFETY: forwards to `System` with the caller's arguments (or refuses by
// returning null, which `GlobalAlloc` allows); the counters are thread-local
// `Cell`s of `Copy` data, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if refused(layout.size()) {
            return std::ptr::null_mut();
        }
        bump(&ALLOCS, 1);
        bump(&ALLOC_BYTES, layout.size());
        // SAFETY: forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&DEALLOCS, 1);
        // SAFETY: forwarded; allocated by `System` through us.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if refused(new_size) {
            return std::ptr::null_mut();
        }
        bump(&REALLOCS, 1);
        // SAFETY: forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What one [`measure`] saw on this thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stats {
    allocs: usize,
    reallocs: usize,
    deallocs: usize,
    alloc_bytes: usize,
    clones: usize,
}

fn now() -> Stats {
    Stats {
        allocs: ALLOCS.with(Cell::get),
        reallocs: REALLOCS.with(Cell::get),
        deallocs: DEALLOCS.with(Cell::get),
        alloc_bytes: ALLOC_BYTES.with(Cell::get),
        clones: CLONES.with(Cell::get),
    }
}

/// Runs `f`; returns its result and what it did. Keep assertions outside.
fn measure<R>(f: impl FnOnce() -> R) -> (R, Stats) {
    let a = now();
    let r = f();
    let b = now();
    (
        r,
        Stats {
            allocs: b.allocs - a.allocs,
            reallocs: b.reallocs - a.reallocs,
            deallocs: b.deallocs - a.deallocs,
            alloc_bytes: b.alloc_bytes - a.alloc_bytes,
            clones: b.clones - a.clones,
        },
    )
}

/// An element that counts its clones and its live instances.
#[derive(PartialEq)]
struct C(u32);

impl C {
    fn new(x: u32) -> C {
        LIVE.with(|l| l.set(l.get() + 1));
        C(x)
    }
}

impl Clone for C {
    fn clone(&self) -> C {
        CLONES.with(|c| c.set(c.get() + 1));
        C::new(self.0)
    }
}

impl Drop for C {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
    }
}

impl fmt::Debug for C {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn live() -> isize {
    LIVE.with(Cell::get)
}

fn cv(xs: &[u32]) -> CowVec<C> {
    xs.iter().map(|&x| C::new(x)).collect()
}

fn vals(s: &[C]) -> Vec<u32> {
    s.iter().map(|c| c.0).collect()
}

/// The bytes of a buffer with room for `cap` `C`s: a two-word header, the
/// elements, padded to the header's alignment.
fn bytes(cap: usize) -> usize {
    let raw = 2 * size_of::<usize>() + cap * size_of::<C>();
    raw.next_multiple_of(std::mem::align_of::<usize>())
}

/// The longest vector the exhaustive loops use: short under Miri.
const N: u32 = if cfg!(miri) { 4 } else { 7 };

fn model(len: u32) -> Vec<u32> {
    (0..len).map(|x| x * 10).collect()
}

/// Runs `f`, which must panic, and returns its message (not printed).
fn panic_message(f: impl FnOnce()) -> String {
    quiet();
    EXPECTING.with(|q| q.set(true));
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    EXPECTING.with(|q| q.set(false));
    let e = r.expect_err("did not panic");
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

thread_local! {
    /// Set while [`panic_message`] runs: its panic is expected, not shown.
    static EXPECTING: Cell<bool> = const { Cell::new(false) };
}

/// Installs (once) a panic hook that keeps expected panics quiet.
fn quiet() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !EXPECTING.with(Cell::get) {
                default(info);
            }
        }));
    });
}

/// A case's name and parameters, formatted only if an assertion fails
/// (formatting on every case is most of the time under Miri).
struct Case<'a>(&'static str, &'a [usize]);

impl fmt::Display for Case<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.0, self.1)
    }
}

/// Every `(start, end)` with `start <= end <= len`.
fn ranges(len: usize) -> Vec<(usize, usize)> {
    (0..=len)
        .flat_map(|s| (s..=len).map(move |e| (s, e)))
        .collect()
}

// ---------------------------------------------------------------------------
// drain
// ---------------------------------------------------------------------------

/// How many items the drain tests take from the front and from the back:
/// all, none, some; under Miri two of them.
const TAKES: &[(usize, usize)] = if cfg!(miri) {
    &[(usize::MAX, 0), (1, 1)]
} else {
    &[(usize::MAX, 0), (0, 0), (1, 1), (0, 1)]
};

#[test]
fn drain_matches_vec_unique_and_shared() {
    for len in 0..=N {
        let m = model(len);
        for (s, e) in ranges(len as usize) {
            // How many items to take from the front and from the back.
            for &(front, back) in TAKES {
                for shared in [false, true] {
                    let mut want = m.clone();
                    let mut wd = want.drain(s..e);
                    let mut wgot: Vec<u32> = (&mut wd).take(front).collect();
                    wgot.extend((&mut wd).rev().take(back));
                    drop(wd);

                    let mut v = cv(&m);
                    let snap = shared.then(|| v.clone());
                    let kept = m.len() - (e - s);
                    let (d, st) = measure(|| v.drain(s..e));
                    let mut d = d;
                    let mut got: Vec<C> = (&mut d).take(front).collect();
                    got.extend((&mut d).rev().take(back));
                    let ((), st_drop) = measure(|| drop(d));
                    let params = [s, e, len as usize, usize::from(shared), front, back];
                    let what = Case("drain(s, e, len, shared, front, back)", &params);
                    assert_eq!(vals(&got), wgot, "{what}: items");
                    assert_eq!(vals(&v), want, "{what}: vector");
                    if let Some(snap) = &snap {
                        assert_eq!(vals(snap), m, "{what}: snapshot");
                        if s == e {
                            assert_eq!(
                                (st.allocs, st.clones),
                                (0, 0),
                                "{what}: empty range copied"
                            );
                            assert!(v.ptr_eq(snap));
                        } else {
                            assert_eq!(st.clones, kept, "{what}: clones at drain");
                            assert_eq!(st.allocs, usize::from(kept > 0), "{what}: allocs");
                            assert_eq!(st.alloc_bytes, if kept > 0 { bytes(kept) } else { 0 });
                            assert_eq!(v.capacity(), kept, "{what}: copy sized for the result");
                            assert!(v.is_unique());
                        }
                        assert_eq!(st_drop.clones, 0, "{what}: drop cloned");
                    } else {
                        assert_eq!(st.clones + st_drop.clones, 0, "{what}: unique cloned");
                        assert_eq!(st.allocs + st_drop.allocs, 0, "{what}: unique allocated");
                    }
                    drop((got, v, snap));
                    assert_eq!(live(), 0, "{what}: leak or double drop");
                }
            }
        }
    }
}

#[test]
fn drain_of_a_shared_buffer_clones_only_what_it_yields() {
    let m = model(6);
    let mut v = cv(&m);
    let snap = v.clone();
    let (mut d, st) = measure(|| v.drain(1..5));
    assert_eq!(st.clones, 2, "the kept 0 and 50");
    let (x, st) = measure(|| d.next());
    assert_eq!((x.map(|c| c.0), st.clones), (Some(10), 1));
    assert_eq!(vals(d.as_slice()), [20, 30, 40]);
    assert_eq!(d.len(), 3);
    let ((), st) = measure(|| drop(d));
    assert_eq!((st.clones, st.allocs), (0, 0));
    assert_eq!(vals(&v), [0, 50]);
    assert_eq!(vals(&snap), m);
}

#[test]
fn drain_bad_ranges_panic_as_vec_and_change_nothing() {
    quiet();
    type R = (std::ops::Bound<usize>, std::ops::Bound<usize>);
    use std::ops::Bound::*;
    let cases: [R; 5] = [
        (Included(1), Excluded(5)),
        (Included(2), Excluded(1)),
        (Included(4), Unbounded),
        (Unbounded, Included(usize::MAX)),
        (Excluded(usize::MAX), Unbounded),
    ];
    for r in cases {
        for shared in [false, true] {
            let want = panic_message(|| {
                vec![1u32, 2, 3].drain(r);
            });
            let mut v = cv(&[1, 2, 3]);
            let snap = shared.then(|| v.clone());
            let got = panic_message(|| {
                v.drain(r);
            });
            assert_eq!(got, want, "{r:?}");
            assert_eq!(vals(&v), [1, 2, 3]);
            if let Some(s) = &snap {
                assert!(v.ptr_eq(s));
            }
            let got = panic_message(|| {
                v.splice(r, [C::new(9)]);
            });
            assert_eq!(got, want, "splice {r:?}");
            let got = panic_message(|| v.extend_from_within(r));
            assert_eq!(got, want, "extend_from_within {r:?}");
            assert_eq!(vals(&v), [1, 2, 3]);
        }
    }
    assert_eq!(live(), 0);
}

#[test]
fn leaked_drain_is_safe() {
    // On a unique buffer (a leaked `Drain` of a shared one would leak the
    // old buffer's handle with it, which Miri reports as a leak; `C` owns no
    // memory, so leaking elements here leaks no memory).
    let mut v = cv(&[1, 2, 3, 4]);
    std::mem::forget(v.drain(1..2));
    // The head stays; the rest is leaked (never exposed or dropped twice).
    assert_eq!(vals(&v), [1]);
    v.push(C::new(5));
    assert_eq!(vals(&v), [1, 5]);
    drop(v);
    assert_eq!(live(), 3, "the leaked 2, 3 and 4");
    LIVE.with(|l| l.set(0));
}

// ---------------------------------------------------------------------------
// splice
// ---------------------------------------------------------------------------

#[test]
fn splice_matches_vec_unique_and_shared() {
    let max = if cfg!(miri) { 2 } else { 5 };
    // (shared, items taken): under Miri three of the five.
    let modes: &[(bool, usize)] = if cfg!(miri) {
        &[(false, 9), (true, 0), (true, 9)]
    } else {
        &[(false, 0), (false, 9), (true, 0), (true, 9), (true, 1)]
    };
    for len in 0..=max {
        let m = model(len);
        for (s, e) in ranges(len as usize) {
            for add in [0u32, 1, 3] {
                let rep: Vec<u32> = (0..add).map(|x| 100 + x).collect();
                // Exact size hint, or none (a filter), which takes the
                // collect-the-rest path.
                for exact in [true, false] {
                    for &(shared, take) in modes {
                        let mut want = m.clone();
                        let wgot: Vec<u32> = want.splice(s..e, rep.clone()).take(take).collect();
                        let mut v = cv(&m);
                        let snap = shared.then(|| v.clone());
                        let items: Vec<C> = rep.iter().map(|&x| C::new(x)).collect();
                        let ((got, clones_yielded), st) = measure(|| {
                            let got: Vec<C> = if exact {
                                v.splice(s..e, items).take(take).collect()
                            } else {
                                v.splice(s..e, items.into_iter().filter(|_| true))
                                    .take(take)
                                    .collect()
                            };
                            let n = got.len();
                            (got, n)
                        });
                        let what = Case(
                            "splice(s, e, add, exact, len, shared, take)",
                            &[
                                s,
                                e,
                                add as usize,
                                usize::from(exact),
                                len as usize,
                                usize::from(shared),
                                take,
                            ],
                        );
                        assert_eq!(vals(&got), wgot, "{what}: items");
                        assert_eq!(vals(&v), want, "{what}: vector");
                        if let Some(snap) = &snap {
                            assert_eq!(vals(snap), m, "{what}: snapshot");
                            let kept = m.len() - (e - s);
                            assert_eq!(st.clones, kept + clones_yielded, "{what}: clones");
                            if exact && kept + rep.len() > 0 {
                                // One buffer, and the `Vec` the items taken
                                // were collected into.
                                let collected = usize::from(clones_yielded > 0);
                                assert_eq!(
                                    (st.allocs, st.reallocs),
                                    (1 + collected, 0),
                                    "{what}: allocs"
                                );
                            }
                        } else {
                            assert_eq!(st.clones, 0, "{what}: unique cloned");
                        }
                        drop((got, v, snap));
                        assert_eq!(live(), 0, "{what}: leak or double drop");
                    }
                }
            }
        }
    }
}

#[test]
fn splice_replacement_that_panics_keeps_head_items_and_tail() {
    quiet();
    for shared in [false, true] {
        for ok in 0..4 {
            let mut v = cv(&[1, 2, 3, 4]);
            let snap = shared.then(|| v.clone());
            let mut n = 0;
            let items = std::iter::from_fn(|| {
                if n == ok {
                    panic!("replacement");
                }
                n += 1;
                Some(C::new(100 + n))
            });
            panic_message(|| drop(v.splice(1..3, items)));
            // What std's `Vec` keeps: the items that went into the gap
            // before the panic (those collected after it are lost).
            let mut want = vec![1u32, 2, 3, 4];
            let mut n = 0;
            let items = std::iter::from_fn(|| {
                if n == ok {
                    panic!("replacement");
                }
                n += 1;
                Some(100 + n)
            });
            panic_message(|| drop(want.splice(1..3, items)));
            let now = vals(&v);
            if shared {
                // The copy has no gap to fill (the hint is 0): the items
                // are collected, and lost on the panic.
                assert_eq!(now, [1, 4], "{ok} items");
            } else {
                assert_eq!(now, want, "{ok} items");
            }
            if let Some(s) = &snap {
                assert_eq!(vals(s), [1, 2, 3, 4]);
            }
            drop((v, snap));
            assert_eq!(live(), 0);
        }
    }
}

// ---------------------------------------------------------------------------
// append, split_off
// ---------------------------------------------------------------------------

#[test]
fn append_matches_vec() {
    for a in 0..=3u32 {
        for b in 0..=3u32 {
            for (self_shared, other_shared) in
                [(false, false), (true, false), (false, true), (true, true)]
            {
                let ma = model(a);
                let mb: Vec<u32> = model(b).iter().map(|x| x + 1).collect();
                let mut want = ma.clone();
                want.extend_from_slice(&mb);
                let mut x = cv(&ma);
                let mut y = cv(&mb);
                let sx = self_shared.then(|| x.clone());
                let sy = other_shared.then(|| y.clone());
                let ((), st) = measure(|| x.append(&mut y));
                let what = Case(
                    "append(a, b, self_shared, other_shared)",
                    &[
                        a as usize,
                        b as usize,
                        usize::from(self_shared),
                        usize::from(other_shared),
                    ],
                );
                assert_eq!(vals(&x), want, "{what}");
                assert!(y.is_empty(), "{what}");
                if let Some(s) = &sx {
                    assert_eq!(vals(s), ma, "{what}");
                }
                if let Some(s) = &sy {
                    assert_eq!(vals(s), mb, "{what}");
                }
                // Clones: our own elements if we were shared (and kept), the
                // other's if they were shared, never more.
                let mut expect = 0;
                if b > 0 && a != 0 {
                    if self_shared {
                        expect += a as usize;
                    }
                    if other_shared {
                        expect += b as usize;
                    }
                }
                assert_eq!(st.clones, expect, "{what}: clones");
                assert!(st.allocs <= 1, "{what}: at most one copy");
                drop((x, y, sx, sy));
                assert_eq!(live(), 0);
            }
        }
    }
}

#[test]
fn append_keeps_a_unique_others_capacity() {
    let mut x = cv(&[1]);
    let mut y: CowVec<C> = CowVec::with_capacity(8);
    y.push(C::new(2));
    x.append(&mut y);
    assert_eq!((y.len(), y.capacity()), (0, 8));
    assert_eq!(vals(&x), [1, 2]);
}

#[test]
fn split_off_matches_vec() {
    quiet();
    for len in 0..=N {
        let m = model(len);
        for at in 0..=len as usize + 1 {
            for shared in [false, true] {
                let mut v = cv(&m);
                let cap = v.capacity();
                let snap = shared.then(|| v.clone());
                if at > m.len() {
                    let want = panic_message(|| drop(m.clone().split_off(at)));
                    let got = panic_message(|| drop(v.split_off(at)));
                    assert_eq!(got, want);
                    assert_eq!(vals(&v), m);
                    continue;
                }
                let mut w = m.clone();
                let wtail = w.split_off(at);
                let (tail, st) = measure(|| v.split_off(at));
                let what = Case(
                    "split_off(at, len, shared)",
                    &[at, len as usize, usize::from(shared)],
                );
                assert_eq!(vals(&tail), wtail, "{what}");
                assert_eq!(vals(&v), w, "{what}");
                if let Some(s) = &snap {
                    assert_eq!(vals(s), m, "{what}");
                    let expect = if at == 0 || at == m.len() { 0 } else { m.len() };
                    assert_eq!(st.clones, expect, "{what}: each element cloned once");
                    assert_eq!(v.capacity(), if at == 0 { 0 } else { v.capacity() });
                } else {
                    assert_eq!(st.clones, 0, "{what}");
                    assert_eq!(v.capacity(), cap, "{what}: keeps its capacity");
                    assert_eq!(st.allocs, usize::from(at < m.len()), "{what}");
                }
                drop((tail, v, snap));
                assert_eq!(live(), 0);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// dedup, dedup_by, dedup_by_key
// ---------------------------------------------------------------------------

fn dedup_models() -> Vec<Vec<u32>> {
    let mut out = vec![
        vec![],
        vec![1],
        vec![1, 1],
        vec![1, 2],
        vec![1, 1, 1],
        vec![1, 2, 2, 3, 3, 3, 1],
        vec![5, 5, 4, 4, 5, 5],
        vec![1, 2, 3, 4],
    ];
    if !cfg!(miri) {
        // Every vector of length 5 over {0, 1}.
        for bits in 0..32u32 {
            out.push((0..5).map(|i| (bits >> i) & 1).collect());
        }
    }
    out
}

#[test]
fn dedup_matches_vec_and_clones_only_what_it_keeps() {
    for m in dedup_models() {
        for shared in [false, true] {
            let mut want = m.clone();
            want.dedup();
            let mut v = cv(&m);
            let snap = shared.then(|| v.clone());
            let ((), st) = measure(|| v.dedup());
            assert_eq!(vals(&v), want, "{m:?}");
            if let Some(s) = &snap {
                assert_eq!(vals(s), m);
                if want.len() == m.len() {
                    assert_eq!(
                        (st.clones, st.allocs),
                        (0, 0),
                        "{m:?}: nothing removed, no copy"
                    );
                    assert!(v.ptr_eq(s));
                } else {
                    assert_eq!(st.clones, want.len(), "{m:?}");
                    assert_eq!(st.allocs, 1, "{m:?}");
                }
            } else {
                assert_eq!((st.clones, st.allocs), (0, 0), "{m:?}");
            }
            drop((v, snap));
            assert_eq!(live(), 0);
        }
    }
}

#[test]
fn dedup_by_and_by_key_match_vec() {
    for m in dedup_models() {
        for shared in [false, true] {
            // `dedup_by`, with a closure that writes through both references
            // (std passes `(later, kept)`).
            let mut want = m.clone();
            let mut wcalls = Vec::new();
            want.dedup_by(|a, b| {
                wcalls.push((*a, *b));
                *b += 100;
                *a % 2 == *b % 2
            });
            let mut v = cv(&m);
            let snap = shared.then(|| v.clone());
            let mut calls = Vec::new();
            let ((), st) = measure(|| {
                v.dedup_by(|a, b| {
                    calls.push((a.0, b.0));
                    b.0 += 100;
                    a.0 % 2 == b.0 % 2
                })
            });
            assert_eq!(calls, wcalls, "{m:?}: calls");
            assert_eq!(vals(&v), want, "{m:?}");
            if let Some(s) = &snap {
                assert_eq!(vals(s), m);
                let expect = if m.len() > 1 { m.len() } else { 0 };
                assert_eq!(st.clones, expect, "{m:?}: copies whole when shared");
            }
            drop((v, snap));
            assert_eq!(live(), 0);
            // `dedup_by_key`.
            let mut want = m.clone();
            want.dedup_by_key(|x| *x / 2);
            let mut v = cv(&m);
            let snap2 = shared.then(|| v.clone());
            v.dedup_by_key(|x| x.0 / 2);
            assert_eq!(vals(&v), want, "{m:?}: by key");
            drop((v, snap2));
            assert_eq!(live(), 0);
        }
    }
}

// ---------------------------------------------------------------------------
// extend_from_within, retain_mut, resize_with, pop_if
// ---------------------------------------------------------------------------

#[test]
fn extend_from_within_matches_vec() {
    for len in 0..=N.min(5) {
        let m = model(len);
        for (s, e) in ranges(len as usize) {
            for shared in [false, true] {
                let mut want = m.clone();
                want.extend_from_within(s..e);
                let mut v = cv(&m);
                let snap = shared.then(|| v.clone());
                let ((), st) = measure(|| v.extend_from_within(s..e));
                assert_eq!(vals(&v), want, "{s}..{e} of {len}");
                let n = e - s;
                let expect = if shared && n > 0 { m.len() + n } else { n };
                assert_eq!(st.clones, expect, "{s}..{e} of {len}, shared {shared}");
                if shared && n > 0 {
                    assert_eq!((st.allocs, st.reallocs), (1, 0), "one copy, with room");
                }
                if let Some(snap) = &snap {
                    assert_eq!(vals(snap), m);
                }
                drop((v, snap));
                assert_eq!(live(), 0);
            }
        }
    }
}

#[test]
fn retain_mut_matches_vec() {
    for len in 0..=N {
        let m = model(len);
        for shared in [false, true] {
            let mut want = m.clone();
            want.retain_mut(|x| {
                *x += 1;
                *x % 20 != 11
            });
            let mut v = cv(&m);
            let snap = shared.then(|| v.clone());
            let ((), st) = measure(|| {
                v.retain_mut(|x| {
                    x.0 += 1;
                    x.0 % 20 != 11
                })
            });
            assert_eq!(vals(&v), want, "{len}, shared {shared}");
            if let Some(s) = &snap {
                assert_eq!(vals(s), m);
                assert_eq!(st.clones, m.len());
            } else {
                assert_eq!(st.clones, 0);
            }
            drop((v, snap));
            assert_eq!(live(), 0);
        }
    }
}

#[test]
fn resize_with_matches_vec() {
    for len in 0..=4u32 {
        for new_len in 0..=6usize {
            for shared in [false, true] {
                let m = model(len);
                let mut want = m.clone();
                let mut k = 0;
                want.resize_with(new_len, || {
                    k += 1;
                    k
                });
                let mut v = cv(&m);
                let snap = shared.then(|| v.clone());
                let mut k = 0;
                let ((), st) = measure(|| {
                    v.resize_with(new_len, || {
                        k += 1;
                        C::new(k)
                    })
                });
                assert_eq!(vals(&v), want);
                if let Some(s) = &snap {
                    assert_eq!(vals(s), m);
                    assert_eq!(
                        st.clones,
                        new_len.min(m.len()) * usize::from(new_len != m.len())
                    );
                    assert!(st.allocs <= 1);
                } else {
                    assert_eq!(st.clones, 0);
                }
                drop((v, snap));
                assert_eq!(live(), 0);
            }
        }
    }
}

#[test]
fn pop_if_matches_vec() {
    for len in 0..=3u32 {
        for pop in [false, true] {
            for shared in [false, true] {
                let m = model(len);
                let mut want = m.clone();
                let wgot = want.pop_if(|x| {
                    *x += 1;
                    pop
                });
                let mut v = cv(&m);
                let snap = shared.then(|| v.clone());
                let mut called = false;
                let (got, st) = measure(|| {
                    v.pop_if(|x| {
                        called = true;
                        x.0 += 1;
                        pop
                    })
                });
                assert_eq!(got.as_ref().map(|c| c.0), wgot);
                assert_eq!(vals(&v), want);
                assert_eq!(called, len > 0);
                if let Some(s) = &snap {
                    assert_eq!(vals(s), m);
                    assert_eq!(st.clones, m.len());
                } else {
                    assert_eq!(st.clones, 0);
                }
                drop((got, v, snap));
                assert_eq!(live(), 0);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Capacity: reserve_exact, try_reserve, try_reserve_exact, shrink_to(_fit)
// ---------------------------------------------------------------------------

#[test]
fn reserve_exact_gives_exactly_the_room_asked() {
    for shared in [false, true] {
        for (len, cap) in [(0usize, 0usize), (2, 2), (2, 8)] {
            for add in [0usize, 1, 5, 10] {
                let mut v: CowVec<C> = CowVec::with_capacity(cap);
                v.extend((0..len as u32).map(C::new));
                let snap = shared.then(|| v.clone());
                let (_, st) = measure(|| v.reserve_exact(add));
                let what = Case(
                    "reserve_exact(len, cap, add, shared)",
                    &[len, cap, add, usize::from(shared)],
                );
                if add == 0 {
                    assert_eq!(v.capacity(), cap, "{what}");
                    assert_eq!(st.allocs + st.reallocs, 0);
                } else if shared && len > 0 || cap == 0 {
                    assert_eq!(v.capacity(), len + add, "{what}: exact");
                    assert_eq!((st.allocs, st.reallocs), (1, 0), "{what}");
                    assert_eq!(st.alloc_bytes, bytes(len + add));
                } else if len + add > cap {
                    assert_eq!(v.capacity(), len + add, "{what}: exact");
                    assert_eq!((st.allocs, st.reallocs), (0, 1), "{what}");
                } else {
                    assert_eq!(v.capacity(), cap, "{what}: had room");
                    assert_eq!(st.allocs + st.reallocs, 0);
                }
                if let Some(s) = &snap {
                    assert_eq!(s.len(), len);
                }
                assert_eq!(v.len(), len);
                drop((v, snap));
                assert_eq!(live(), 0);
            }
        }
    }
}

fn is_capacity_overflow(e: &TryReserveError) -> bool {
    format!("{e:?}").contains("CapacityOverflow")
}

fn is_alloc_error(e: &TryReserveError) -> bool {
    format!("{e:?}").contains("AllocError")
}

#[test]
fn try_reserve_reports_overflow_without_panicking() {
    for shared in [false, true] {
        let mut v = cv(&[1, 2]);
        let snap = shared.then(|| v.clone());
        for add in [
            usize::MAX,
            usize::MAX - 1,
            isize::MAX as usize,
            isize::MAX as usize / 4,
        ] {
            let e = v.try_reserve(add).expect_err("overflow");
            assert!(is_capacity_overflow(&e), "{e:?}");
            let e = v.try_reserve_exact(add).expect_err("overflow");
            assert!(is_capacity_overflow(&e), "{e:?}");
            assert_eq!(vals(&v), [1, 2]);
            if let Some(s) = &snap {
                assert!(v.ptr_eq(s), "a failed try_reserve copied");
            }
        }
    }
    let mut z: CowVec<()> = CowVec::new();
    z.push(());
    assert!(z.try_reserve(usize::MAX).is_err());
    assert!(z.try_reserve(usize::MAX - 1).is_ok());
    assert_eq!(live(), 0);
}

#[test]
fn try_reserve_reports_a_failed_allocation_and_changes_nothing() {
    for shared in [false, true] {
        for exact in [false, true] {
            for start_cap in [0usize, 2] {
                let mut v: CowVec<C> = CowVec::with_capacity(start_cap);
                v.extend((0..start_cap as u32).map(C::new));
                let snap = shared.then(|| v.clone());
                let cap = v.capacity();
                FAIL_FROM.with(|f| f.set(bytes(16)));
                let (r, st) = measure(|| {
                    if exact {
                        v.try_reserve_exact(20)
                    } else {
                        v.try_reserve(20)
                    }
                });
                FAIL_FROM.with(|f| f.set(usize::MAX));
                let e = r.expect_err("the allocator refuses");
                assert!(is_alloc_error(&e), "{e:?}");
                assert_eq!(st.clones, 0, "no clone before the allocation");
                assert_eq!(v.capacity(), cap);
                assert_eq!(vals(&v), (0..start_cap as u32).collect::<Vec<_>>());
                if let Some(s) = &snap {
                    if cap > 0 {
                        assert!(v.ptr_eq(s));
                    }
                }
                // Under the limit it succeeds, sized as asked.
                let ((), st) = measure(|| {
                    if exact {
                        v.try_reserve_exact(5).unwrap()
                    } else {
                        v.try_reserve(5).unwrap()
                    }
                });
                assert!(v.capacity() >= start_cap + 5);
                if exact {
                    assert_eq!(v.capacity(), start_cap + 5);
                }
                assert_eq!(st.allocs + st.reallocs, 1);
                if shared && start_cap > 0 {
                    assert_eq!(st.clones, start_cap);
                    assert_eq!(st.allocs, 1);
                }
                drop((v, snap));
                assert_eq!(live(), 0);
            }
        }
    }
}

#[test]
fn try_reserve_on_a_shared_buffer_copies_once_like_reserve() {
    let mut a = cv(&[1, 2, 3]);
    let snap = a.clone();
    let mut b = a.clone();
    let ((), st) = measure(|| a.try_reserve(4).unwrap());
    b.reserve(4);
    assert_eq!(a.capacity(), b.capacity());
    assert_eq!((st.allocs, st.reallocs, st.clones), (1, 0, 3));
    let ((), st) = measure(|| a.try_reserve(4).unwrap());
    assert_eq!((st.allocs, st.reallocs, st.clones), (0, 0, 0));
    assert!(a.try_reserve(0).is_ok());
    assert_eq!(vals(&snap), [1, 2, 3]);
}

#[test]
fn shrink_to_and_shrink_to_fit() {
    let mut v: CowVec<C> = CowVec::with_capacity(10);
    v.extend((0..3).map(C::new));
    let ((), st) = measure(|| v.shrink_to(5));
    assert_eq!((v.capacity(), st.reallocs, st.clones), (5, 1, 0));
    let ((), st) = measure(|| v.shrink_to(8));
    assert_eq!((v.capacity(), st.reallocs), (5, 0), "never grows");
    let ((), st) = measure(|| v.shrink_to_fit());
    assert_eq!((v.capacity(), st.reallocs), (3, 1));
    assert_eq!(vals(&v), [0, 1, 2]);
    // Shared: left alone, never cloned.
    let mut w: CowVec<C> = CowVec::with_capacity(10);
    w.push(C::new(1));
    let snap = w.clone();
    let ((), st) = measure(|| w.shrink_to_fit());
    assert_eq!((st.allocs, st.reallocs, st.clones), (0, 0, 0));
    assert!(w.ptr_eq(&snap) && w.capacity() == 10);
    // Empty: the buffer is let go of (freed if unique).
    let mut e: CowVec<C> = CowVec::with_capacity(10);
    let ((), st) = measure(|| e.shrink_to(4));
    assert_eq!((e.capacity(), st.reallocs), (4, 1));
    let ((), st) = measure(|| e.shrink_to_fit());
    assert_eq!((e.capacity(), st.deallocs), (0, 1));
    let mut s: CowVec<C> = CowVec::with_capacity(3);
    let s2 = s.clone();
    s.shrink_to_fit();
    assert_eq!((s.capacity(), s2.capacity()), (0, 3));
    // Zero-sized elements: the capacity stays `usize::MAX`.
    let mut z: CowVec<()> = CowVec::new();
    z.extend([(), ()]);
    z.shrink_to_fit();
    assert_eq!((z.len(), z.capacity()), (2, usize::MAX));
    drop((v, w, snap, z));
    assert_eq!(live(), 0);
}

#[test]
fn into_boxed_slice_moves_or_clones() {
    let v = cv(&[1, 2, 3]);
    let (b, st) = measure(|| v.into_boxed_slice());
    assert_eq!(
        (vals(&b), st.clones, st.allocs, st.deallocs),
        (vec![1, 2, 3], 0, 1, 1)
    );
    let v = cv(&[1, 2, 3]);
    let snap = v.clone();
    let (b2, st) = measure(|| v.into_boxed_slice());
    assert_eq!((vals(&b2), st.clones, st.allocs), (vec![1, 2, 3], 3, 1));
    assert_eq!(vals(&snap), [1, 2, 3]);
    let e: CowVec<C> = CowVec::new();
    let (b3, st) = measure(|| e.into_boxed_slice());
    assert_eq!((b3.len(), st.allocs), (0, 0));
    drop((b, b2, snap));
    assert_eq!(live(), 0);
}

// ---------------------------------------------------------------------------
// Zero-sized elements, Debug, re-exports
// ---------------------------------------------------------------------------

#[test]
fn zero_sized_elements() {
    for shared in [false, true] {
        let mut v: CowVec<()> = std::iter::repeat_n((), 6).collect();
        let snap = shared.then(|| v.clone());
        assert_eq!(v.drain(1..3).count(), 2);
        assert_eq!(v.len(), 4);
        assert_eq!(v.splice(..1, [(), (), ()]).count(), 1);
        assert_eq!(v.len(), 6);
        let t = v.split_off(2);
        assert_eq!((v.len(), t.len()), (2, 4));
        v.extend_from_within(..);
        v.dedup();
        assert_eq!(v.len(), 1);
        v.resize_with(3, || ());
        v.retain_mut(|_| true);
        assert_eq!(v.pop_if(|_| true), Some(()));
        v.reserve_exact(5);
        v.try_reserve(5).unwrap();
        assert_eq!(v.capacity(), usize::MAX);
        assert_eq!(v.clone().into_boxed_slice().len(), 2);
        if let Some(s) = &snap {
            assert_eq!(s.len(), 6);
        }
    }
}

#[test]
fn iterators_debug_and_reexports() {
    let mut v = arcow::cow_vec![1, 2, 3];
    let d: arcow::Drain<'_, i32> = v.drain(1..);
    assert_eq!(format!("{d:?}"), "Drain([2, 3])");
    drop(d);
    let s: arcow::vec::Splice<'_, std::vec::IntoIter<i32>> = v.splice(.., vec![4]);
    assert!(format!("{s:?}").starts_with("Splice"));
    drop(s);
    assert_eq!(v, [4]);
    let _: Option<arcow::vec::Drain<'_, u8>> = None;
    let _: Option<arcow::Splice<'_, std::iter::Empty<u8>>> = None;
}
