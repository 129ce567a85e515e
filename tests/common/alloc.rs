//! A counting global allocator for the allocation-accounting tests
//! (`cow_alloc`, `vec_alloc`, `paged_alloc`). A test binary installs it with
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: common::alloc::Counting = common::alloc::Counting;
//! ```
//!
//! and measures a region with [`measure`] (or [`measure_with_sizes`]).
//!
//! The counters are thread-local, with `const` initializers and `Cell`s of
//! `Copy` data (no destructor): touching them never allocates and never
//! fails, even during thread teardown. libtest runs each test on its own
//! thread, so tests running in parallel never see each other's allocations.
//! Each check measures only the region it cares about, so whatever the
//! harness allocates on the test thread before or after does not count; keep
//! assertions (which may format and allocate) outside the measured closure.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::thread::LocalKey;

/// Allocations with at least this alignment are also counted separately, as
/// "tracked": a test can give the one value it follows this alignment and so
/// tell its allocation from the unwinder's own (which are less aligned).
pub(crate) const TRACKED_ALIGN: usize = 256;

/// How many allocation sizes [`measure_with_sizes`] remembers.
pub(crate) const KEEP: usize = 8;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static DEALLOCS: Cell<usize> = const { Cell::new(0) };
    static REALLOCS: Cell<usize> = const { Cell::new(0) };
    static ALLOC_BYTES: Cell<usize> = const { Cell::new(0) };
    static DEALLOC_BYTES: Cell<usize> = const { Cell::new(0) };
    static TRACKED_ALLOCS: Cell<usize> = const { Cell::new(0) };
    static TRACKED_DEALLOCS: Cell<usize> = const { Cell::new(0) };
    /// The sizes of the first [`KEEP`] allocations since [`SIZES_LEN`] was
    /// reset.
    static SIZES: Cell<[usize; KEEP]> = const { Cell::new([0; KEEP]) };
    static SIZES_LEN: Cell<usize> = const { Cell::new(0) };
    /// Allocations (and reallocations) of at least this many bytes are
    /// refused (see [`refusing`]).
    static REFUSE_FROM: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn refused(size: usize) -> bool {
    REFUSE_FROM.try_with(|r| size >= r.get()).unwrap_or(false)
}

/// Runs `f` with this thread's allocations of `from` bytes or more
/// refused (the allocator returns null, which `GlobalAlloc` allows):
/// to show what a fallible allocation falls back to.
pub(crate) fn refusing<R>(from: usize, f: impl FnOnce() -> R) -> R {
    struct Reset(usize);
    impl Drop for Reset {
        fn drop(&mut self) {
            REFUSE_FROM.with(|r| r.set(self.0));
        }
    }
    let _reset = Reset(REFUSE_FROM.with(|r| r.replace(from)));
    f()
}

fn bump(counter: &'static LocalKey<Cell<usize>>, by: usize) {
    // `try_with`: never panic inside the allocator.
    let _ = counter.try_with(|c| c.set(c.get() + by));
}

fn record_alloc(layout: Layout) {
    bump(&ALLOCS, 1);
    bump(&ALLOC_BYTES, layout.size());
    if layout.align() >= TRACKED_ALIGN {
        bump(&TRACKED_ALLOCS, 1);
    }
    let _ = SIZES_LEN.try_with(|n| {
        let i = n.get();
        if i < KEEP {
            let _ = SIZES.try_with(|s| {
                let mut a = s.get();
                a[i] = layout.size();
                s.set(a);
            });
        }
        n.set(i + 1);
    });
}

/// `System`, counting what it does on the calling thread. A `realloc` counts
/// as neither an allocation nor a free (nor, tracked, as either), but its
/// bytes count as both: the old size freed, the new size allocated.
pub(crate) struct Counting;

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are ours, or refuses by returning null
// (which `GlobalAlloc` allows); the counting only touches thread-local
// `Cell`s, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if refused(layout.size()) {
            return std::ptr::null_mut();
        }
        record_alloc(layout);
        // SAFETY: forwarded; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if refused(layout.size()) {
            return std::ptr::null_mut();
        }
        record_alloc(layout);
        // SAFETY: forwarded; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&DEALLOCS, 1);
        bump(&DEALLOC_BYTES, layout.size());
        if layout.align() >= TRACKED_ALIGN {
            bump(&TRACKED_DEALLOCS, 1);
        }
        // SAFETY: forwarded; `ptr` was allocated by `System` (through us)
        // with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if refused(new_size) {
            return std::ptr::null_mut();
        }
        bump(&REALLOCS, 1);
        bump(&DEALLOC_BYTES, layout.size());
        bump(&ALLOC_BYTES, new_size);
        // SAFETY: forwarded; the caller upholds `realloc`'s contract, and
        // `ptr` was allocated by `System` (through us) with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// What the allocator did on this thread during one [`measure`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub(crate) allocs: usize,
    pub(crate) deallocs: usize,
    pub(crate) reallocs: usize,
    pub(crate) alloc_bytes: usize,
    pub(crate) dealloc_bytes: usize,
    /// Allocations aligned to at least [`TRACKED_ALIGN`].
    pub(crate) tracked_allocs: usize,
    /// Frees of allocations aligned to at least [`TRACKED_ALIGN`].
    pub(crate) tracked_deallocs: usize,
}

impl Stats {
    /// Nothing allocated, nothing freed.
    pub(crate) const NONE: Stats = Stats {
        allocs: 0,
        deallocs: 0,
        reallocs: 0,
        alloc_bytes: 0,
        dealloc_bytes: 0,
        tracked_allocs: 0,
        tracked_deallocs: 0,
    };

    fn now() -> Stats {
        Stats {
            allocs: ALLOCS.with(Cell::get),
            deallocs: DEALLOCS.with(Cell::get),
            reallocs: REALLOCS.with(Cell::get),
            alloc_bytes: ALLOC_BYTES.with(Cell::get),
            dealloc_bytes: DEALLOC_BYTES.with(Cell::get),
            tracked_allocs: TRACKED_ALLOCS.with(Cell::get),
            tracked_deallocs: TRACKED_DEALLOCS.with(Cell::get),
        }
    }

    fn since(self, before: Stats) -> Stats {
        Stats {
            allocs: self.allocs - before.allocs,
            deallocs: self.deallocs - before.deallocs,
            reallocs: self.reallocs - before.reallocs,
            alloc_bytes: self.alloc_bytes - before.alloc_bytes,
            dealloc_bytes: self.dealloc_bytes - before.dealloc_bytes,
            tracked_allocs: self.tracked_allocs - before.tracked_allocs,
            tracked_deallocs: self.tracked_deallocs - before.tracked_deallocs,
        }
    }

    /// `n` allocations of `bytes` in all (none tracked), nothing else.
    pub(crate) fn allocs(n: usize, bytes: usize) -> Stats {
        Stats {
            allocs: n,
            alloc_bytes: bytes,
            ..Stats::NONE
        }
    }

    /// `n` frees of `bytes` in all (none tracked), nothing else.
    pub(crate) fn deallocs(n: usize, bytes: usize) -> Stats {
        Stats {
            deallocs: n,
            dealloc_bytes: bytes,
            ..Stats::NONE
        }
    }

    /// Everything allocated was freed again.
    pub(crate) fn balanced(&self) -> bool {
        self.allocs == self.deallocs && self.alloc_bytes == self.dealloc_bytes
    }
}

/// Runs `f` and returns its result and what it did to the allocator on this
/// thread. Keep assertions (which may format and allocate) outside `f`.
pub(crate) fn measure<R>(f: impl FnOnce() -> R) -> (R, Stats) {
    let before = Stats::now();
    let r = f();
    let after = Stats::now();
    (r, after.since(before))
}

/// [`measure`], and also the sizes of the first [`KEEP`] allocations `f`
/// made.
pub(crate) fn measure_with_sizes<R>(f: impl FnOnce() -> R) -> (R, Stats, Vec<usize>) {
    SIZES_LEN.with(|n| n.set(0));
    let (r, stats) = measure(f);
    let n = SIZES_LEN.with(Cell::get).min(KEEP);
    let sizes = SIZES.with(Cell::get)[..n].to_vec();
    (r, stats, sizes)
}
