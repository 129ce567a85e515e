//! Allocation accounting for `Cow<T>`, with a counting global allocator.
//!
//! The counters are thread-local: libtest runs each test on its own thread,
//! so tests running in parallel never see each other's allocations. Each
//! check measures only the region it cares about ([`measure`]), so whatever
//! the harness allocates on the test thread before or after does not count.
//!
//! Shown here: `Cow::new` allocates once, with a header of one word; `clone`
//! and dropping a non-last handle do not touch the allocator; the last drop
//! frees once; `make_mut` allocates nothing when unique (and keeps the
//! pointer) and exactly once when shared (cloning `T` exactly once); every
//! way of taking the value out frees the allocation exactly once; and a
//! panicking `T::clone` inside `make_mut` leaks nothing.

use std::cell::Cell;
use std::mem::{align_of, size_of};
use std::panic::{self, AssertUnwindSafe};

use arcow::Cow;

mod common;

use common::alloc::{measure, Stats, TRACKED_ALIGN};

#[global_allocator]
static GLOBAL: common::alloc::Counting = common::alloc::Counting;

/// The size of the allocation behind a `Cow<T>`: a one-word header, padded
/// up to `T`'s alignment, then `T`, rounded up to the larger alignment.
fn block_size<T>() -> usize {
    let align = align_of::<usize>().max(align_of::<T>());
    let value_offset = size_of::<usize>().next_multiple_of(align_of::<T>());
    (value_offset + size_of::<T>()).next_multiple_of(align)
}

// ---------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------

thread_local! {
    /// Calls of `Counted::clone` on this thread.
    static CLONES: Cell<usize> = const { Cell::new(0) };
    /// `Bomb::clone` panics while this is set (on this thread).
    static BOMB_ARMED: Cell<bool> = const { Cell::new(false) };
}

fn clones() -> usize {
    CLONES.with(Cell::get)
}

/// A payload that allocates nothing and counts its clones.
#[derive(Debug, PartialEq, Eq)]
struct Counted([u64; 4]);

impl Clone for Counted {
    fn clone(&self) -> Counted {
        CLONES.with(|c| c.set(c.get() + 1));
        Counted(self.0)
    }
}

/// A payload whose `clone` panics on command, aligned so that its `Cow`
/// allocation is the only "tracked" one.
#[derive(Debug, PartialEq, Eq)]
#[repr(align(256))]
struct Bomb(u64);

const _: () = assert!(align_of::<Bomb>() >= TRACKED_ALIGN);

impl Clone for Bomb {
    fn clone(&self) -> Bomb {
        if BOMB_ARMED.with(Cell::get) {
            // `resume_unwind` skips the panic hook, which would print through
            // the harness's output capture and so allocate a buffer that
            // lives past the measurement. The unwind itself allocates and
            // frees its exception object, which the balance check allows.
            panic::resume_unwind(Box::new("Bomb::clone"));
        }
        Bomb(self.0)
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn the_header_is_one_word() {
    assert_eq!(block_size::<u64>(), 2 * size_of::<usize>());
    let (a, s) = measure(|| Cow::new(7u64));
    assert_eq!(s, Stats::allocs(1, size_of::<usize>() + size_of::<u64>()));
    drop(a);
    let (a, s) = measure(|| Cow::new([0u8; 255]));
    assert_eq!(s, Stats::allocs(1, size_of::<usize>() + 256));
    drop(a);
}

/// From 256 bytes a value starts 16 bytes in, as `Arc`'s does, so vector
/// loads over it are aligned: the header is still one word, with padding in
/// front of it.
#[test]
fn large_values_start_16_bytes_in() {
    let (a, s) = measure(|| Cow::new([0u8; 4096]));
    assert_eq!(s, Stats::allocs(1, 16 + 4096));
    assert_eq!(Cow::as_ptr(&a) as usize % 16, 0);
    drop(a);
}

#[test]
fn new_allocates_exactly_once() {
    let (a, s) = measure(|| Cow::new(Counted([1; 4])));
    assert_eq!(s, Stats::allocs(1, block_size::<Counted>()));
    let (b, s) = measure(|| Cow::new(()));
    assert_eq!(
        s,
        Stats::allocs(1, size_of::<usize>()),
        "a ZST: the header only"
    );
    #[derive(Clone)]
    #[repr(align(64))]
    struct Wide(#[allow(dead_code)] u8);
    let (c, s) = measure(|| Cow::new(Wide(1)));
    assert_eq!(s, Stats::allocs(1, block_size::<Wide>()));
    assert_eq!(block_size::<Wide>(), 128);
    let (d, s) = measure(|| Cow::from(5u8));
    assert_eq!(s, Stats::allocs(1, block_size::<u8>()));
    let (e, s) = measure(Cow::<u32>::default);
    assert_eq!(s, Stats::allocs(1, block_size::<u32>()));
    drop((a, b, c, d, e));
}

#[test]
fn clone_and_dropping_a_non_last_handle_touch_no_allocator() {
    let a = Cow::new(Counted([2; 4]));
    let clones_before = clones();
    let (handles, s) = measure(|| {
        let b = a.clone();
        let c = b.clone();
        let d = a.clone();
        [b, c, d]
    });
    assert_eq!(s, Stats::NONE, "clone allocated");
    assert_eq!(clones(), clones_before, "clone cloned T");
    assert_eq!(Cow::strong_count(&a), 4);

    let (_, s) = measure(|| drop(handles));
    assert_eq!(s, Stats::NONE, "dropping non-last handles freed");
    assert_eq!(Cow::strong_count(&a), 1);
}

#[test]
fn the_last_drop_frees_exactly_once() {
    let a = Cow::new(Counted([3; 4]));
    let b = a.clone();
    let (_, s) = measure(|| drop(a));
    assert_eq!(s, Stats::NONE);
    let (_, s) = measure(|| drop(b));
    assert_eq!(s, Stats::deallocs(1, block_size::<Counted>()));

    // A value that owns memory: the block and the value's own buffer.
    let text = Cow::new(String::from("owned buffer"));
    let capacity = text.capacity();
    let (_, s) = measure(|| drop(text));
    assert_eq!(
        s,
        Stats::deallocs(2, block_size::<String>() + capacity),
        "the block and the String's buffer, each once"
    );
}

#[test]
fn make_mut_on_a_unique_cow_allocates_nothing_and_keeps_the_pointer() {
    let mut a = Cow::new(Counted([4; 4]));
    let ptr = Cow::as_ptr(&a);
    let clones_before = clones();
    let (_, s) = measure(|| {
        Cow::make_mut(&mut a).0[0] = 40;
        Cow::make_mut(&mut a).0[1] = 41;
    });
    assert_eq!(s, Stats::NONE);
    assert_eq!(clones(), clones_before, "make_mut cloned a unique value");
    assert_eq!(Cow::as_ptr(&a), ptr, "make_mut moved a unique value");
    assert_eq!(a.0, [40, 41, 4, 4]);
    assert!(Cow::is_unique(&a));
}

#[test]
fn make_mut_on_a_shared_cow_allocates_and_clones_exactly_once() {
    let mut a = Cow::new(Counted([5; 4]));
    let b = a.clone();
    let old = Cow::as_ptr(&a);
    let clones_before = clones();
    let (_, s) = measure(|| Cow::make_mut(&mut a).0[0] = 50);
    assert_eq!(s, Stats::allocs(1, block_size::<Counted>()));
    assert_eq!(clones() - clones_before, 1, "T cloned other than once");
    assert_ne!(Cow::as_ptr(&a), old);
    assert_eq!(Cow::as_ptr(&b), old, "the other handle moved");
    assert_eq!(b.0, [5; 4], "the other handle's value changed");
    assert_eq!(a.0, [50, 5, 5, 5]);
    assert!(Cow::is_unique(&a) && Cow::is_unique(&b));

    // Unique now: the next write is free.
    let (_, s) = measure(|| Cow::make_mut(&mut a).0[1] = 51);
    assert_eq!(s, Stats::NONE);
    assert_eq!(clones() - clones_before, 1);

    // Each of the old value's handles frees nothing until the last.
    let (_, s) = measure(|| drop(b));
    assert_eq!(s, Stats::deallocs(1, block_size::<Counted>()));
}

#[test]
fn make_mut_of_a_4kib_value_allocates_only_the_copy() {
    let mut a = Cow::new([7u8; 4096]);
    let b = a.clone();
    let (_, s) = measure(|| Cow::make_mut(&mut a)[0] = 0);
    assert_eq!(s, Stats::allocs(1, 16 + 4096));
    assert_eq!((a[0], b[0], a[4095]), (0, 7, 7));
}

#[test]
fn get_mut_never_allocates() {
    let mut a = Cow::new(Counted([6; 4]));
    let b = a.clone();
    let (got, s) = measure(|| Cow::get_mut(&mut a).is_some());
    assert!(!got);
    assert_eq!(s, Stats::NONE);
    drop(b);
    let ptr = Cow::as_ptr(&a);
    let (_, s) = measure(|| Cow::get_mut(&mut a).unwrap().0[0] = 60);
    assert_eq!(s, Stats::NONE);
    assert_eq!(Cow::as_ptr(&a), ptr);
    assert_eq!(a.0[0], 60);
}

#[test]
fn try_unwrap_frees_exactly_once_and_only_when_unique() {
    let a = Cow::new(Counted([8; 4]));
    let b = a.clone();
    let (a, s) = measure(|| Cow::try_unwrap(a).unwrap_err());
    assert_eq!(s, Stats::NONE, "a failed try_unwrap touched the allocator");
    drop(b);
    let clones_before = clones();
    let (value, s) = measure(|| Cow::try_unwrap(a).unwrap());
    assert_eq!(s, Stats::deallocs(1, block_size::<Counted>()));
    assert_eq!(clones(), clones_before);
    assert_eq!(value, Counted([8; 4]));
}

#[test]
fn into_inner_frees_exactly_once_on_the_last_handle() {
    let a = Cow::new(Counted([9; 4]));
    let b = a.clone();
    let (none, s) = measure(|| Cow::into_inner(a));
    assert_eq!(none, None);
    assert_eq!(
        s,
        Stats::NONE,
        "a non-last into_inner touched the allocator"
    );
    assert!(Cow::is_unique(&b), "a non-last into_inner kept its count");
    let (some, s) = measure(|| Cow::into_inner(b));
    assert_eq!(some, Some(Counted([9; 4])));
    assert_eq!(s, Stats::deallocs(1, block_size::<Counted>()));
}

#[test]
fn unwrap_or_clone_frees_only_the_last_handle() {
    let a = Cow::new(Counted([10; 4]));
    let b = a.clone();
    let clones_before = clones();
    let (v, s) = measure(|| Cow::unwrap_or_clone(a));
    assert_eq!(s, Stats::NONE, "shared: a clone of T (which owns no heap)");
    assert_eq!(clones() - clones_before, 1);
    assert_eq!(v, Counted([10; 4]));
    let (v, s) = measure(|| Cow::unwrap_or_clone(b));
    assert_eq!(s, Stats::deallocs(1, block_size::<Counted>()));
    assert_eq!(clones() - clones_before, 1, "unique: moved, not cloned");
    assert_eq!(v, Counted([10; 4]));
}

#[test]
fn into_raw_and_from_raw_touch_no_allocator() {
    let a = Cow::new(Counted([11; 4]));
    let (raw, s) = measure(|| Cow::into_raw(a));
    assert_eq!(s, Stats::NONE);
    // SAFETY: `raw` came from `Cow::<Counted>::into_raw`, given back once.
    let (a, s) = measure(|| unsafe { Cow::from_raw(raw) });
    assert_eq!(s, Stats::NONE);
    assert_eq!(Cow::as_ptr(&a), raw);
    let (_, s) = measure(|| drop(a));
    assert_eq!(s, Stats::deallocs(1, block_size::<Counted>()));
}

#[test]
fn a_panicking_clone_in_make_mut_leaks_nothing() {
    assert_eq!(block_size::<Bomb>(), 512);
    let mut a = Cow::new(Bomb(12));
    let b = a.clone();
    let old = Cow::as_ptr(&a);

    BOMB_ARMED.with(|armed| armed.set(true));
    let (result, s) = measure(|| {
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            Cow::make_mut(&mut a).0 = 13;
        }));
        // Drop the panic payload inside the measurement: it is the
        // unwinder's allocation, not a leak.
        result.map_err(|payload| payload.downcast_ref::<&str>().copied())
    });
    BOMB_ARMED.with(|armed| armed.set(false));

    assert_eq!(result, Err(Some("Bomb::clone")));
    // The fresh block for the copy was allocated, then freed by the unwind.
    assert_eq!(s.tracked_allocs, 1, "{s:?}");
    assert_eq!(s.tracked_deallocs, 1, "the copy's block leaked: {s:?}");
    // And overall, everything allocated in the region was freed.
    assert_eq!(s.allocs, s.deallocs, "{s:?}");
    assert_eq!(s.alloc_bytes, s.dealloc_bytes, "{s:?}");
    // The handle still points to the old, intact value.
    assert_eq!(Cow::as_ptr(&a), old);
    assert!(Cow::ptr_eq(&a, &b));
    assert_eq!(Cow::strong_count(&a), 2);
    assert_eq!(*a, Bomb(12));

    // Still usable: the next make_mut copies as usual, and everything is
    // freed once at the end.
    let (_, s) = measure(|| {
        Cow::make_mut(&mut a).0 = 14;
        drop(a);
        drop(b);
    });
    assert_eq!(s.tracked_allocs, 1);
    assert_eq!(s.tracked_deallocs, 2, "the copy and the old block");
    assert_eq!((s.allocs, s.alloc_bytes), (1, 512));
    assert_eq!((s.deallocs, s.dealloc_bytes), (2, 1024));
}

thread_local! {
    /// `DropBomb::drop` panics while this is set (on this thread).
    static DROP_BOMB_ARMED: Cell<bool> = const { Cell::new(false) };
}

/// A payload whose `Drop` panics on command, aligned so that its `Cow`
/// allocation is the only "tracked" one, and owning a heap buffer of its own
/// that must still be freed.
#[repr(align(256))]
struct DropBomb {
    _owned: Box<[u8; 100]>,
}

impl Drop for DropBomb {
    fn drop(&mut self) {
        if DROP_BOMB_ARMED.with(Cell::get) && !std::thread::panicking() {
            // `resume_unwind`: no panic hook, so no output buffer that
            // outlives the measurement (see `Bomb`).
            panic::resume_unwind(Box::new("DropBomb::drop"));
        }
    }
}

const _: () = assert!(align_of::<DropBomb>() >= TRACKED_ALIGN);

#[test]
fn a_panicking_drop_of_the_value_still_frees_the_block() {
    assert_eq!(block_size::<DropBomb>(), 512);
    let a = Cow::new(DropBomb {
        _owned: Box::new([7; 100]),
    });
    let b = a.clone();
    DROP_BOMB_ARMED.with(|armed| armed.set(true));
    let (_, s) = measure(|| drop(a));
    assert_eq!(s, Stats::NONE, "a non-last handle freed something");
    let (result, s) = measure(|| {
        let result = panic::catch_unwind(AssertUnwindSafe(move || drop(b)));
        // The payload is the unwinder's allocation: drop it in the region.
        result.map_err(|payload| payload.downcast_ref::<&str>().copied())
    });
    DROP_BOMB_ARMED.with(|armed| armed.set(false));
    assert_eq!(result, Err(Some("DropBomb::drop")));
    // The block (the only tracked allocation) was freed, once.
    assert_eq!((s.tracked_allocs, s.tracked_deallocs), (0, 1), "{s:?}");
    // Apart from the unwinder's own (allocated and freed in the region),
    // exactly the block and the value's buffer were freed.
    assert_eq!(s.deallocs - s.allocs, 2, "{s:?}");
    assert_eq!(s.dealloc_bytes - s.alloc_bytes, 512 + 100, "{s:?}");
}

#[test]
fn a_cow_of_cows_frees_each_block_once() {
    let inner = Cow::new(1u64);
    let outer = Cow::new(vec![inner.clone(), inner.clone()]);
    let capacity = outer.capacity();
    drop(inner);
    let (_, s) = measure(|| drop(outer));
    let vec_buffer = capacity * size_of::<Cow<u64>>();
    assert_eq!(
        s,
        Stats::deallocs(
            3,
            block_size::<Vec<Cow<u64>>>() + vec_buffer + block_size::<u64>()
        )
    );
}
