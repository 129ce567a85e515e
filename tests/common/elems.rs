//! Payload and element types for the hard edges, shared by the layout and
//! API tests of `Cow`, `CowVec` and `PagedCowVec`: over-aligned values and a
//! zero-sized value whose constructions, clones and drops are counted.

use std::cell::Cell;

/// Aligned (and sized) to 64 bytes: a cache line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(align(64))]
pub(crate) struct A64(pub(crate) u64);

/// Aligned (and sized) to 4096 bytes: a whole page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(align(4096))]
pub(crate) struct A4096(pub(crate) u64);

const _: () = assert!(std::mem::align_of::<A64>() == 64 && std::mem::size_of::<A64>() == 64);
const _: () = assert!(std::mem::align_of::<A4096>() == 4096);

thread_local! {
    // Per thread: libtest runs each test on its own thread, so the counts of
    // tests running in parallel never mix.
    static ZST_MADE: Cell<usize> = const { Cell::new(0) };
    static ZST_CLONES: Cell<usize> = const { Cell::new(0) };
    static ZST_DROPPED: Cell<usize> = const { Cell::new(0) };
}

/// A zero-sized value that counts (on this thread) how many were made (by
/// [`CountedZst::new`] or `clone`), cloned and dropped. Make it only with
/// `new` or `clone`: a `CountedZst` literal would be dropped uncounted as
/// made.
#[derive(Debug, PartialEq)]
pub(crate) struct CountedZst;

const _: () = assert!(std::mem::size_of::<CountedZst>() == 0);

impl CountedZst {
    pub(crate) fn new() -> CountedZst {
        ZST_MADE.with(|c| c.set(c.get() + 1));
        CountedZst
    }

    /// How many were made on this thread, by `new` or `clone`.
    pub(crate) fn made() -> usize {
        ZST_MADE.with(Cell::get)
    }

    /// How many `clone` calls there were on this thread.
    pub(crate) fn clones() -> usize {
        ZST_CLONES.with(Cell::get)
    }

    /// How many were dropped on this thread.
    pub(crate) fn dropped() -> usize {
        ZST_DROPPED.with(Cell::get)
    }

    /// How many are alive: made on this thread and not dropped yet.
    pub(crate) fn live() -> usize {
        CountedZst::made() - CountedZst::dropped()
    }
}

impl Clone for CountedZst {
    fn clone(&self) -> CountedZst {
        ZST_CLONES.with(|c| c.set(c.get() + 1));
        CountedZst::new()
    }
}

impl Drop for CountedZst {
    fn drop(&mut self) {
        ZST_DROPPED.with(|c| c.set(c.get() + 1));
    }
}
