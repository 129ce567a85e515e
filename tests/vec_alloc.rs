//! Allocation accounting for `CowVec<T>`, with a counting global allocator.
//!
//! The counters are thread-local (with `const` initializers, so reading them
//! never allocates): libtest runs each test on its own thread, so parallel
//! tests never see each other's allocations. Each check measures only the
//! region it cares about ([`measure`]).
//!
//! Shown here: every empty vector owns no allocation; `clone` allocates
//! nothing; a push into spare capacity allocates nothing and a unique, full
//! vector grows with one `realloc`; the first write to a shared vector
//! allocates exactly once, sized for the result (a push on a shared, full
//! vector copies into an already-grown buffer, never copy-then-grow), and
//! the second write allocates nothing; the last drop frees exactly once; a
//! panicking `clone` during a copy frees the new buffer.

use std::cell::Cell;
use std::io::Write;
use std::mem::size_of;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use arcow::{cow_vec, CowVec};

mod common;

use common::alloc::{measure, Stats};

#[global_allocator]
static GLOBAL: common::alloc::Counting = common::alloc::Counting;

/// The bytes of a buffer with room for `cap` `u64`s: the two-word header
/// `{count, capacity}` and the elements (no padding: `u64`'s alignment
/// divides the header's size).
fn buffer_bytes_u64(cap: usize) -> usize {
    2 * size_of::<usize>() + cap * size_of::<u64>()
}

/// A unique vector of `len` `u64`s with capacity exactly `cap`.
fn filled(len: usize, cap: usize) -> CowVec<u64> {
    let mut v = CowVec::with_capacity(cap);
    v.extend_from_slice(&(0..len as u64).collect::<Vec<_>>());
    assert_eq!(v.capacity(), cap);
    v
}

// ---------------------------------------------------------------------------
// Empty vectors and clones
// ---------------------------------------------------------------------------

static EMPTY: CowVec<u64> = CowVec::new();

#[test]
fn empty_vectors_own_no_allocation() {
    type Make = fn() -> CowVec<u64>;
    let makers: [(&str, Make); 12] = [
        ("new", CowVec::new),
        ("default", CowVec::default),
        ("with_capacity(0)", || CowVec::with_capacity(0)),
        ("cow_vec![]", || cow_vec![]),
        ("cow_vec![x; 0]", || cow_vec![7; 0]),
        ("collect empty", || std::iter::empty().collect()),
        ("collect filtered", || (0..10).filter(|_| false).collect()),
        ("From<Vec> empty", || CowVec::from(Vec::new())),
        ("From<&[T]> empty", || CowVec::from(&[][..])),
        ("From<[T; 0]>", || CowVec::from([0u64; 0])),
        ("clone of static", || EMPTY.clone()),
        ("new, extend(empty), reserve(0)", || {
            let mut v = CowVec::new();
            v.extend(std::iter::empty::<u64>());
            v.extend_from_slice(&[]);
            v.reserve(0);
            v.clear();
            v.truncate(0);
            v
        }),
    ];
    for (name, make) in makers {
        let (v, counts) = measure(make);
        assert_eq!(counts, Stats::NONE, "{name} allocated");
        assert_eq!(v.capacity(), 0, "{name}");
        assert!(v.is_empty() && v.is_unique(), "{name}");
        let ((), counts) = measure(|| drop(v));
        assert_eq!(counts, Stats::NONE, "dropping {name} freed something");
    }
}

#[test]
fn empty_conversions_free_what_their_source_held() {
    // The source owns an allocation; the result must not keep one.
    let src: Vec<u64> = Vec::with_capacity(10);
    let (v, counts) = measure(|| CowVec::from(src));
    assert_eq!(v.capacity(), 0);
    assert_eq!((counts.allocs, counts.deallocs), (0, 1));
    let src: Vec<u64> = Vec::with_capacity(10);
    let (v2, counts) = measure(|| src.into_iter().collect::<CowVec<u64>>());
    assert_eq!(v2.capacity(), 0);
    assert_eq!((counts.allocs, counts.deallocs), (0, 1));
    drop((v, v2));
}

#[test]
fn clone_and_non_last_drop_touch_no_allocator() {
    let v = filled(5, 8);
    let (w, counts) = measure(|| v.clone());
    assert_eq!(counts, Stats::NONE);
    let (x, counts) = measure(|| w.clone());
    assert_eq!(counts, Stats::NONE);
    let ((), counts) = measure(|| drop(w));
    assert_eq!(counts, Stats::NONE);
    let ((), counts) = measure(|| drop(v));
    assert_eq!(counts, Stats::NONE);
    let ((), counts) = measure(|| drop(x));
    assert_eq!((counts.allocs, counts.deallocs, counts.reallocs), (0, 1, 0));
    assert_eq!(counts.dealloc_bytes, buffer_bytes_u64(8));
}

#[test]
fn last_drop_frees_exactly_once() {
    let (v, counts) = measure(|| CowVec::from([1u64, 2, 3]));
    assert_eq!((counts.allocs, counts.deallocs), (1, 0));
    assert_eq!(counts.alloc_bytes, buffer_bytes_u64(3));
    let handles: Vec<CowVec<u64>> = (0..4).map(|_| v.clone()).collect();
    drop(v);
    let ((), counts) = measure(|| drop(handles));
    // The `Vec` of handles is freed too: one buffer and one `Vec`.
    assert_eq!((counts.allocs, counts.deallocs), (0, 2));

    // Through the owned iterator, consumed or not.
    for take in [0, 2, 3] {
        let v = CowVec::from([1u64, 2, 3]);
        let ((), counts) = measure(|| {
            let mut it = v.into_iter();
            for _ in 0..take {
                it.next();
            }
        });
        assert_eq!((counts.allocs, counts.deallocs), (0, 1), "take {take}");
    }
    // `into_vec` of a unique buffer: one `Vec` made, our buffer freed.
    let v = CowVec::from([1u64, 2, 3]);
    let (out, counts) = measure(|| v.into_vec());
    assert_eq!((counts.allocs, counts.deallocs), (1, 1));
    assert_eq!(out, [1, 2, 3]);
}

// ---------------------------------------------------------------------------
// Writes to a unique vector
// ---------------------------------------------------------------------------

#[test]
fn writes_into_spare_capacity_allocate_nothing() {
    let (mut v, counts) = measure(|| CowVec::<u64>::with_capacity(8));
    assert_eq!(counts.allocs, 1);
    assert_eq!(counts.alloc_bytes, buffer_bytes_u64(8));
    assert_eq!(v.capacity(), 8);
    let ((), counts) = measure(|| {
        for i in 0..6 {
            v.push(i);
        }
        v.insert(0, 10);
        v.extend_from_slice(&[11]);
        v.make_mut()[0] = 12;
        v.pop();
        v.remove(0);
        v.swap_remove(0);
        v.retain(|&x| x != 3);
        v.truncate(3);
        v.resize(8, 0);
        v.reserve(0);
        v.extend([1u64, 2].iter().filter(|_| false));
        v.clear();
        v.extend(0..8u64);
    });
    assert_eq!(counts, Stats::NONE);
    assert_eq!(v.capacity(), 8);
    assert_eq!(v, [0, 1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn a_full_unique_vector_grows_with_one_realloc() {
    let mut v = filled(4, 4);
    let ((), counts) = measure(|| v.push(4));
    assert_eq!((counts.allocs, counts.reallocs, counts.deallocs), (0, 1, 0));
    assert!(v.capacity() >= 8, "amortized doubling");
    assert_eq!(counts.alloc_bytes, buffer_bytes_u64(v.capacity()));
    let ((), counts) = measure(|| v.reserve(100));
    assert_eq!((counts.allocs, counts.reallocs, counts.deallocs), (0, 1, 0));
    assert!(v.capacity() >= 105);
    assert_eq!(v, [0, 1, 2, 3, 4]);
    // A growing `push` from empty allocates once, with room for several.
    let mut e = CowVec::<u64>::new();
    let ((), counts) = measure(|| e.push(1));
    assert_eq!((counts.allocs, counts.reallocs), (1, 0));
    assert!(e.capacity() >= 4);
}

// ---------------------------------------------------------------------------
// The first write to a shared vector
// ---------------------------------------------------------------------------

/// The writes that copy a shared buffer, and the growth of the length each
/// causes.
type WriteFn = fn(&mut CowVec<u64>);
fn first_writes() -> [(&'static str, WriteFn, usize); 17] {
    [
        ("make_mut", |v| v.make_mut()[0] += 100, 0),
        ("push", |v| v.push(100), 1),
        ("insert", |v| v.insert(1, 100), 1),
        ("extend_from_slice", |v| v.extend_from_slice(&[100, 101]), 2),
        ("resize", |v| v.resize(v.len() + 2, 100), 2),
        ("reserve", |v| v.reserve(3), 0),
        ("extend (exact hint)", |v| v.extend([100u64, 101]), 2),
        ("extend(&T)", |v| v.extend(&[100u64]), 1),
        (
            "pop",
            |v| {
                v.pop();
            },
            0,
        ),
        // Issue 16's methods that copy a shared buffer whole.
        ("reserve_exact", |v| v.reserve_exact(3), 0),
        ("try_reserve", |v| v.try_reserve(3).unwrap(), 0),
        ("try_reserve_exact", |v| v.try_reserve_exact(3).unwrap(), 0),
        ("extend_from_within", |v| v.extend_from_within(..1), 1),
        ("resize_with", |v| v.resize_with(v.len() + 2, || 100), 2),
        ("retain_mut", |v| v.retain_mut(|x| *x != u64::MAX), 0),
        (
            "pop_if",
            |v| {
                v.pop_if(|_| true);
            },
            0,
        ),
        (
            "splice (one for one)",
            |v| {
                v.splice(..1, [100u64]);
            },
            0,
        ),
    ]
}

#[test]
fn first_write_to_a_shared_vector_allocates_once_second_write_nothing() {
    for (len, cap) in [(4, 4), (4, 16), (1, 1), (5, 8)] {
        for (name, write, growth) in first_writes() {
            let mut v = filled(len, cap);
            let w = v.clone();
            let ((), counts) = measure(|| write(&mut v));
            assert_eq!(
                (counts.allocs, counts.reallocs, counts.deallocs),
                (1, 0, 0),
                "{name} on shared ({len}/{cap}): exactly one allocation"
            );
            assert_eq!(
                counts.alloc_bytes,
                buffer_bytes_u64(v.capacity()),
                "{name}: one buffer, of the capacity reported"
            );
            assert!(v.is_unique() && !v.ptr_eq(&w), "{name}");
            assert_eq!(
                w,
                (0..len as u64).collect::<Vec<_>>(),
                "{name}: other handle"
            );
            // The second write: in place. The same kind of write again if
            // it fits in the capacity the copy got (amortized growth makes
            // room for at least one more push; bigger growth may need more).
            if growth <= 1 || v.capacity() - v.len() >= growth {
                let ((), counts) = measure(|| write(&mut v));
                assert_eq!(
                    counts,
                    Stats::NONE,
                    "{name} ({len}/{cap}): second write allocated (capacity {})",
                    v.capacity()
                );
            }
            let ((), counts) = measure(|| v.make_mut().iter_mut().for_each(|x| *x += 1));
            assert_eq!(counts, Stats::NONE, "{name}: make_mut after the copy");
            drop(w);
        }
    }
}

#[test]
fn shared_copy_is_sized_for_the_result() {
    // `make_mut` on a shared vector: exactly `len`, whatever the old spare
    // capacity.
    let mut v = filled(3, 16);
    let w = v.clone();
    let ((), counts) = measure(|| v.make_mut()[0] = 9);
    assert_eq!(counts.allocs, 1);
    assert_eq!(v.capacity(), 3);
    assert_eq!(counts.alloc_bytes, buffer_bytes_u64(3));
    drop(w);

    // `reserve(n)` on a shared vector: room for `len + n` in the one copy.
    let mut v = filled(3, 3);
    let w = v.clone();
    let ((), counts) = measure(|| v.reserve(20));
    assert_eq!((counts.allocs, counts.reallocs), (1, 0));
    assert!(v.capacity() >= 23);
    let ((), counts) = measure(|| v.extend(0..20u64));
    assert_eq!(counts, Stats::NONE);
    drop(w);

    // `truncate(k)` on a shared vector copies only `k`; to 0 lets go.
    let mut v = filled(6, 8);
    let w = v.clone();
    let ((), counts) = measure(|| v.truncate(2));
    assert_eq!((counts.allocs, counts.deallocs), (1, 0));
    assert!(v.capacity() >= 2 && v.capacity() <= 8);
    let mut x = w.clone();
    let ((), counts) = measure(|| x.truncate(0));
    assert_eq!(counts, Stats::NONE);
    let mut x = w.clone();
    let ((), counts) = measure(|| x.clear());
    assert_eq!(counts, Stats::NONE);
    assert_eq!(w.len(), 6);

    // `retain` on a shared vector: one allocation.
    let mut x = w.clone();
    let ((), counts) = measure(|| x.retain(|&e| e % 2 == 0));
    assert_eq!((counts.allocs, counts.reallocs, counts.deallocs), (1, 0, 0));
    assert_eq!(x, [0, 2, 4]);
    // ... or none if nothing is kept.
    let mut x = w.clone();
    let ((), counts) = measure(|| x.retain(|_| false));
    assert_eq!(counts.allocs, counts.deallocs);
    assert_eq!(x.capacity(), 0, "an emptied vector owns no allocation");
}

#[test]
fn push_on_a_shared_full_vector_copies_once_into_a_grown_buffer() {
    for len in [1usize, 2, 4, 7, 16] {
        let mut v = filled(len, len);
        let w = v.clone();
        let ((), counts) = measure(|| v.push(99));
        assert_eq!(
            (counts.allocs, counts.reallocs, counts.deallocs),
            (1, 0, 0),
            "len {len}: copy-then-grow is forbidden"
        );
        assert!(
            v.capacity() > len + 1 || len == 0,
            "len {len}: no room left"
        );
        assert!(v.capacity() >= 2 * len, "len {len}: amortized growth");
        let room = v.capacity() - v.len();
        let ((), counts) = measure(|| {
            for i in 0..room as u64 {
                v.push(i);
            }
        });
        assert_eq!(counts, Stats::NONE, "len {len}");
        assert_eq!(w.len(), len);
        assert_eq!(w.capacity(), len);
    }
}

#[test]
fn io_write_on_a_shared_vector_allocates_once() {
    let mut v: CowVec<u8> = CowVec::from(&b"hello"[..]);
    let w = v.clone();
    let ((), counts) = measure(|| write!(v, ",").unwrap());
    assert_eq!((counts.allocs, counts.reallocs, counts.deallocs), (1, 0, 0));
    assert!(v.capacity() >= 10, "amortized growth in the copy");
    let ((), counts) = measure(|| v.write_all(b" w!").unwrap());
    assert_eq!(counts, Stats::NONE);
    assert_eq!(v, *b"hello, w!");
    assert_eq!(w, *b"hello");
}

#[test]
fn owned_iteration_of_a_unique_vector_allocates_nothing() {
    let v = filled(5, 5);
    let (sum, counts) = measure(|| v.into_iter().sum::<u64>());
    assert_eq!(sum, 10);
    assert_eq!((counts.allocs, counts.deallocs), (0, 1));
}

// ---------------------------------------------------------------------------
// A panicking clone during a copy
// ---------------------------------------------------------------------------

/// The payload of the panics this file causes; a zero-sized one, so that
/// boxing it allocates nothing.
struct Boom;

thread_local! {
    /// 0: disarmed; otherwise the clone call that brings it to 0 panics.
    static BOMB_COUNTDOWN: Cell<usize> = const { Cell::new(0) };
}

#[derive(Debug, PartialEq)]
struct Bomb(u64);

impl Clone for Bomb {
    fn clone(&self) -> Bomb {
        let fire = BOMB_COUNTDOWN.with(|c| match c.get() {
            0 => false,
            n => {
                c.set(n - 1);
                n == 1
            }
        });
        if fire {
            panic::panic_any(Boom);
        }
        Bomb(self.0)
    }
}

fn quiet_boom() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<Boom>() {
                default(info);
            }
        }));
    });
    // Warm up: whatever the first panic on this thread sets up once is not
    // counted against the code under test.
    let _ = panic::catch_unwind(|| panic::panic_any(Boom));
}

type BombWrite = fn(&mut CowVec<Bomb>);

#[test]
fn panicking_clone_during_a_copy_frees_the_new_buffer() {
    quiet_boom();
    let writes: [(&str, BombWrite); 21] = [
        ("make_mut", |v| {
            v.make_mut();
        }),
        ("push", |v| v.push(Bomb(9))),
        ("insert", |v| v.insert(0, Bomb(9))),
        ("extend_from_slice", |v| v.extend_from_slice(&[Bomb(9)])),
        ("resize", |v| v.resize(9, Bomb(9))),
        ("reserve", |v| v.reserve(1)),
        ("truncate", |v| v.truncate(3)),
        ("retain", |v| v.retain(|_| true)),
        ("into_vec", |v| drop(std::mem::take(v).into_vec())),
        // Issue 16's copying methods.
        ("drain", |v| drop(v.drain(1..2))),
        ("splice", |v| drop(v.splice(1..2, [Bomb(9)]))),
        ("split_off", |v| drop(v.split_off(2))),
        ("dedup_by", |v| v.dedup_by(|_, _| false)),
        ("extend_from_within", |v| v.extend_from_within(..2)),
        ("retain_mut", |v| v.retain_mut(|_| true)),
        ("resize_with", |v| v.resize_with(9, || Bomb(9))),
        ("pop_if", |v| {
            v.pop_if(|_| true);
        }),
        ("reserve_exact", |v| v.reserve_exact(1)),
        ("try_reserve", |v| v.try_reserve(1).unwrap()),
        ("try_reserve_exact", |v| v.try_reserve_exact(1).unwrap()),
        ("into_boxed_slice", |v| {
            drop(std::mem::take(v).into_boxed_slice())
        }),
    ];
    for (name, write) in writes {
        for nth in 1..=3 {
            let mut v: CowVec<Bomb> = (0..4).map(Bomb).collect();
            let w = v.clone();
            BOMB_COUNTDOWN.with(|c| c.set(nth));
            let (r, counts) = measure(|| panic::catch_unwind(AssertUnwindSafe(|| write(&mut v))));
            BOMB_COUNTDOWN.with(|c| c.set(0));
            let payload = r.expect_err(name);
            assert!(payload.is::<Boom>(), "{name}");
            drop(payload);
            assert_eq!(
                counts.allocs, counts.deallocs,
                "{name}, clone {nth} panics: new buffer not freed ({counts:?})"
            );
            assert_eq!(counts.alloc_bytes, counts.dealloc_bytes, "{name}");
            assert_eq!(counts.reallocs, 0, "{name}");
            assert!(counts.allocs >= 1, "{name}: no copy was started");
            if name != "into_vec" && name != "into_boxed_slice" {
                assert!(v.ptr_eq(&w), "{name}: handle replaced");
            }
            assert_eq!(w, (0..4).map(Bomb).collect::<Vec<_>>());
        }
    }
    // Constructors that clone.
    let src: Vec<Bomb> = (0..4).map(Bomb).collect();
    for nth in 1..=4 {
        BOMB_COUNTDOWN.with(|c| c.set(nth));
        let (r, counts) =
            measure(|| panic::catch_unwind(AssertUnwindSafe(|| drop(CowVec::from(&src[..])))));
        BOMB_COUNTDOWN.with(|c| c.set(0));
        assert!(r.is_err());
        assert_eq!(counts.allocs, counts.deallocs, "From<&[T]>, clone {nth}");
        assert!(counts.allocs >= 1);
    }
}

// ---------------------------------------------------------------------------
// A panicking `Drop` still frees the buffer
// ---------------------------------------------------------------------------

thread_local! {
    /// The value whose `Drop` panics (on this thread); `u64::MAX`: none.
    static DROP_BOMB: Cell<u64> = const { Cell::new(u64::MAX) };
}

#[derive(Clone, Debug)]
struct DropBomb(u64);

impl Drop for DropBomb {
    fn drop(&mut self) {
        if DROP_BOMB.with(Cell::get) == self.0 && !std::thread::panicking() {
            panic::panic_any(Boom);
        }
    }
}

#[test]
fn panicking_drop_of_an_element_still_frees_the_buffer() {
    quiet_boom();
    type Finish = fn(CowVec<DropBomb>);
    let finishes: [(&str, Finish); 4] = [
        ("last drop", drop),
        ("last drop after a clone went", |v| {
            drop(v.clone());
            drop(v)
        }),
        ("half-consumed IntoIter", |v| {
            let mut it = v.into_iter();
            drop(it.next());
            drop(it)
        }),
        ("IntoIter consumed from the back", |v| {
            let mut it = v.into_iter();
            drop(it.next_back());
            drop(it)
        }),
    ];
    for (name, finish) in finishes {
        for bad in 1..4 {
            let v: CowVec<DropBomb> = (0..5).map(DropBomb).collect();
            let cap = v.capacity();
            DROP_BOMB.with(|b| b.set(bad));
            let (r, counts) = measure(|| panic::catch_unwind(AssertUnwindSafe(|| finish(v))));
            DROP_BOMB.with(|b| b.set(u64::MAX));
            assert!(r.is_err(), "{name}: element {bad} did not panic");
            // The unwinder's exception object is allocated and freed too;
            // apart from it, exactly the buffer is freed.
            assert_eq!(
                counts.deallocs - counts.allocs,
                1,
                "{name}, element {bad}: buffer not freed exactly once ({counts:?})"
            );
            assert_eq!(
                counts.dealloc_bytes - counts.alloc_bytes,
                2 * size_of::<usize>() + cap * size_of::<DropBomb>(),
                "{name}, element {bad}"
            );
        }
    }
}
