//! `Cow<T>` as FFI code and boxed values meet it: `From<Box<T>>`, and the
//! raw count functions `Cow::increment_strong_count` and
//! `Cow::decrement_strong_count` beside `into_raw` / `from_raw` (issue 16).
//!
//! `From<Box<T>>` is counted with the allocator of `cow_alloc`: one
//! allocation, the same block `Cow::new` makes (also for values of 256 bytes
//! or more, which start 16 bytes in, and for over-aligned and zero-sized
//! values), and one free, the box's; the value is moved (its id and its own
//! heap buffer kept, no `Clone` needed), dropped once, when the last handle
//! goes.
//!
//! The raw counts: round trips checked by `strong_count` after every step,
//! touching no allocator until the last count goes, which drops the value
//! once and frees the block; the same from several threads at once, and the
//! last count given back on another thread.

mod common;

use std::mem::{size_of, ManuallyDrop};
use std::sync::Barrier;
use std::thread;

use arcow::Cow;
use common::alloc::{measure, measure_with_sizes, Stats};
use common::elems::{CountedZst, A64};
use common::{Dummy, Tracker};

#[global_allocator]
static GLOBAL: common::alloc::Counting = common::alloc::Counting;

/// A payload with no `Clone` at all: `From<Box<T>>` must not need one.
#[derive(Debug, PartialEq)]
struct NoClone([u64; 4]);

/// 512 bytes: past the size from which the value starts 16 bytes in.
#[derive(Debug, PartialEq)]
struct Big([u64; 64]);

/// The allocations `Cow::new` makes for `value`, and their sizes.
fn new_block<T>(value: T) -> (Stats, Vec<usize>) {
    let (c, stats, sizes) = measure_with_sizes(|| Cow::new(value));
    drop(c);
    (stats, sizes)
}

/// `strong_count` of the value behind `raw`, read through a handle that is
/// never dropped (so the count is not changed).
///
/// # Safety
///
/// `raw` is from `Cow::into_raw` and the value is alive.
unsafe fn count_of<T>(raw: *const T) -> usize {
    // SAFETY: by the contract above; the handle is a view, never dropped.
    let view = ManuallyDrop::new(unsafe { Cow::from_raw(raw) });
    Cow::strong_count(&view)
}

// ---------------------------------------------------------------------------
// From<Box<T>>
// ---------------------------------------------------------------------------

#[test]
fn from_box_allocates_once_frees_the_box_and_needs_no_clone() {
    let (new_stats, new_sizes) = new_block(NoClone([1; 4]));
    let boxed = Box::new(NoClone([1, 2, 3, 4]));
    let (c, stats, sizes) = measure_with_sizes(|| Cow::<NoClone>::from(boxed));
    assert_eq!(sizes, new_sizes, "not the block Cow::new makes");
    assert_eq!(
        stats,
        Stats {
            deallocs: 1,
            dealloc_bytes: size_of::<NoClone>(),
            ..new_stats
        }
    );
    assert_eq!(*c, NoClone([1, 2, 3, 4]));
    assert_eq!(Cow::strong_count(&c), 1);
    let (_, stats) = measure(|| drop(c));
    assert_eq!(stats, Stats::deallocs(1, new_stats.alloc_bytes));
}

#[test]
fn from_box_places_large_and_over_aligned_values_as_new_does() {
    // 512 bytes: starts 16 bytes into its block, as with `Cow::new`.
    let (new_stats, new_sizes) = new_block(Big([0; 64]));
    let boxed = Box::new(Big([7; 64]));
    let (c, stats, sizes) = measure_with_sizes(|| Cow::<Big>::from(boxed));
    assert_eq!(sizes, new_sizes);
    assert_eq!((stats.allocs, stats.deallocs), (1, 1));
    assert_eq!(stats.alloc_bytes, new_stats.alloc_bytes);
    assert_eq!(Cow::as_ptr(&c) as usize % 16, 0, "not 16-aligned");
    assert_eq!(*c, Big([7; 64]));
    // The raw round trip steps back over the front padding.
    let raw = Cow::into_raw(c);
    // SAFETY: `raw` is from `into_raw`, given back once.
    let c = unsafe { Cow::from_raw(raw) };
    assert_eq!(Cow::try_unwrap(c).unwrap(), Big([7; 64]));

    let boxed = Box::new(A64(9));
    let (c, stats, sizes) = measure_with_sizes(|| Cow::<A64>::from(boxed));
    assert_eq!(sizes, new_block(A64(0)).1);
    assert_eq!((stats.allocs, stats.deallocs), (1, 1));
    assert_eq!(Cow::as_ptr(&c) as usize % 64, 0, "not 64-aligned");
    assert_eq!(*c, A64(9));
}

#[test]
fn from_box_of_a_zero_sized_value_moves_it() {
    let boxed = Box::new(CountedZst::new());
    let (c, stats) = measure(|| Cow::<CountedZst>::from(boxed));
    // The header only; a box of a zero-sized value owns no allocation.
    assert_eq!(stats, Stats::allocs(1, size_of::<usize>()));
    assert_eq!((CountedZst::made(), CountedZst::dropped()), (1, 0));
    assert_eq!(CountedZst::clones(), 0);
    let d = c.clone();
    drop(c);
    assert_eq!(CountedZst::dropped(), 0);
    drop(d);
    assert_eq!((CountedZst::live(), CountedZst::dropped()), (0, 1));
}

#[test]
fn from_box_moves_the_value_and_drops_it_once() {
    let t = Tracker::new();
    let boxed = Box::new(t.make(5));
    let id = boxed.id();
    let a: Cow<Dummy> = Cow::from(boxed);
    assert_eq!((a.id(), a.value), (id, 5), "not the same instance");
    assert_eq!(t.drops_of(id), 0, "the moved value was dropped");
    assert_eq!(t.clone_calls(), 0);
    let b = a.clone();
    drop(a);
    assert_eq!(t.drops_of(id), 0);
    drop(b);
    assert_eq!(t.drops_of(id), 1);

    // Every way out of a boxed-in value drops each instance once.
    let mut c: Cow<Dummy> = Cow::from(Box::new(t.make(6)));
    let snap = c.clone();
    Cow::make_mut(&mut c).value = 7; // shared: clones once
    assert_eq!((snap.value, c.value), (6, 7));
    let v = Cow::try_unwrap(c).unwrap();
    assert_eq!(v.value, 7);
    assert_eq!(Cow::into_inner(snap).unwrap().value, 6);
    drop(v);
    assert_eq!(t.clone_calls(), 1);
    t.assert_all_dropped_once();

    // The value's own heap buffer moves along: its address is kept.
    let s = Box::new(String::from("moved, not cloned"));
    let buf = s.as_ptr();
    let c: Cow<String> = Cow::from(s);
    assert_eq!(c.as_ptr(), buf);
}

// ---------------------------------------------------------------------------
// increment_strong_count / decrement_strong_count
// ---------------------------------------------------------------------------

#[test]
fn raw_counts_round_trip_with_strong_count_at_every_step() {
    let t = Tracker::new();
    let a = Cow::new(t.make(1));
    let raw = Cow::into_raw(a.clone());
    assert_eq!(Cow::strong_count(&a), 2);
    let ((), stats) = measure(|| {
        for i in 0..3 {
            // SAFETY: `raw` is from `into_raw`; `a` keeps the value alive.
            unsafe { Cow::increment_strong_count(raw) };
            assert_eq!(Cow::strong_count(&a), 3 + i);
        }
        for i in 0..3 {
            // SAFETY: each gives back one of the three counts taken above.
            unsafe { Cow::decrement_strong_count(raw) };
            assert_eq!(Cow::strong_count(&a), 4 - i);
        }
    });
    assert_eq!(
        stats,
        Stats::NONE,
        "a count above the last touched the allocator"
    );
    assert!(!Cow::is_unique(&a));
    // An increment is taken over by `from_raw` as well.
    // SAFETY: as above.
    unsafe { Cow::increment_strong_count(raw) };
    // SAFETY: two counts are held through `raw`; each `from_raw` takes one.
    let (b, c) = unsafe { (Cow::from_raw(raw), Cow::from_raw(raw)) };
    assert!(Cow::ptr_eq(&a, &b) && Cow::ptr_eq(&b, &c));
    assert_eq!(Cow::strong_count(&a), 3);
    drop((b, c));
    assert!(Cow::is_unique(&a));
    assert_eq!(t.clone_calls(), 0);
    assert_eq!(t.live(), 1);
    drop(a);
    t.assert_all_dropped_once();
}

#[test]
fn the_last_decrement_drops_the_value_once_and_frees_the_block() {
    let t = Tracker::new();
    let raw = Cow::into_raw(Cow::new(t.make(2)));
    // SAFETY: `raw` is from `into_raw`, and its own count keeps it alive.
    unsafe { Cow::increment_strong_count(raw) };
    // SAFETY: two counts are held through `raw`.
    assert_eq!(unsafe { count_of(raw) }, 2);
    // SAFETY: gives back one of the two.
    unsafe { Cow::decrement_strong_count(raw) };
    // SAFETY: one count is still held through `raw`.
    assert_eq!(unsafe { count_of(raw) }, 1);
    assert_eq!(t.live(), 1);
    // SAFETY: gives back the last count; `raw` is not used again.
    unsafe { Cow::decrement_strong_count(raw) };
    t.assert_all_dropped_once();

    // The last decrement frees the block, once; none before it does.
    let raw = Cow::into_raw(Cow::new(NoClone([3; 4])));
    let block = new_block(NoClone([0; 4])).0.alloc_bytes;
    // SAFETY: `raw` is from `into_raw`, alive.
    let ((), s) = measure(|| unsafe { Cow::increment_strong_count(raw) });
    assert_eq!(s, Stats::NONE);
    // SAFETY: gives back one of two counts.
    let ((), s) = measure(|| unsafe { Cow::decrement_strong_count(raw) });
    assert_eq!(s, Stats::NONE);
    // SAFETY: gives back the last count; `raw` is not used again.
    let ((), s) = measure(|| unsafe { Cow::decrement_strong_count(raw) });
    assert_eq!(s, Stats::deallocs(1, block));
}

/// A raw `Cow` pointer handed to other threads, as FFI code does. Sound to
/// send because the `Cow<Dummy>` it stands for is `Send + Sync`.
#[derive(Clone, Copy)]
struct Raw(*const Dummy);

// SAFETY: `Raw` only carries a pointer from `Cow::<Dummy>::into_raw`, and
// `Cow<Dummy>` is `Send + Sync` (`Dummy` is); the counts it moves are atomic.
unsafe impl Send for Raw {}
// SAFETY: as above: shared, it only reads the value and changes the count.
unsafe impl Sync for Raw {}

impl Raw {
    /// The pointer; a method, so that closures capture the whole `Raw`.
    fn get(self) -> *const Dummy {
        self.0
    }
}

#[test]
fn raw_counts_from_several_threads_balance() {
    let rounds = if cfg!(miri) { 5 } else { 1_000 };
    let t = Tracker::new();
    let a = Cow::new(t.make(3));
    let raw = Raw(Cow::into_raw(a.clone()));
    let start = Barrier::new(4);
    thread::scope(|s| {
        for k in 0..4 {
            let start = &start;
            s.spawn(move || {
                start.wait();
                for _ in 0..rounds {
                    // SAFETY: `raw` is from `into_raw`, and the count it
                    // carries (given back after the threads) keeps it alive.
                    unsafe { Cow::increment_strong_count(raw.get()) };
                    if k % 2 == 0 {
                        // SAFETY: gives back the count just taken.
                        unsafe { Cow::decrement_strong_count(raw.get()) };
                    } else {
                        // SAFETY: takes over the count just taken.
                        let h = unsafe { Cow::from_raw(raw.get()) };
                        assert_eq!(h.value, 3);
                        let h2 = h.clone();
                        assert!(Cow::strong_count(&h2) >= 3);
                        drop((h, h2));
                    }
                }
            });
        }
    });
    assert_eq!(Cow::strong_count(&a), 2, "the counts did not balance");
    // SAFETY: gives back the count `into_raw` kept.
    unsafe { Cow::decrement_strong_count(raw.get()) };
    assert!(Cow::is_unique(&a));
    assert_eq!(t.clone_calls(), 0);
    drop(a);
    t.assert_all_dropped_once();
}

#[test]
fn the_last_count_given_back_on_another_thread_drops_the_value_once() {
    let threads = 4;
    let t = Tracker::new();
    let raw = Raw(Cow::into_raw(Cow::new(t.make(4))));
    for _ in 1..threads {
        // SAFETY: `raw` is from `into_raw`, and its count keeps it alive.
        unsafe { Cow::increment_strong_count(raw.get()) };
    }
    // SAFETY: `threads` counts are held through `raw`.
    assert_eq!(unsafe { count_of(raw.get()) }, threads);
    let start = Barrier::new(threads);
    thread::scope(|s| {
        for _ in 0..threads {
            let start = &start;
            s.spawn(move || {
                // SAFETY: each thread reads while its count is held.
                assert_eq!(unsafe { (*raw.get()).value }, 4);
                start.wait();
                // SAFETY: each thread gives back one of the `threads`
                // counts, once; whichever is last drops and frees.
                unsafe { Cow::decrement_strong_count(raw.get()) };
            });
        }
    });
    assert_eq!(t.live(), 0);
    t.assert_all_dropped_once();
}
