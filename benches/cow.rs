//! `Cow<T>` against its anchors, `std::sync::Arc<T>` and `triomphe::Arc<T>`,
//! side by side in one run (docs/DESIGN.md, "Performance targets").
//!
//! Every group holds the three pointer types for the same payload, so the
//! ratios that matter (arcow vs each anchor) come from one run on one machine:
//!
//! | group             | what one iteration does                                    |
//! |-------------------|------------------------------------------------------------|
//! | `clone_drop`      | clone a handle, then drop the clone                        |
//! | `deref_read`      | read one word of the value through the pointer             |
//! | `make_mut_unique` | `make_mut` on the only handle, write one word              |
//! | `make_mut_shared` | `make_mut` on a handle shared with another (clones), write |
//!
//! Each group runs for two payloads: `u64` and `4KiB` (`[u8; 4096]`, a `Copy`
//! array; the shared `make_mut` of it is the "clone straight into the new
//! allocation" target). Bench ids are `<group>/<pointer>/<payload>`, e.g.
//! `make_mut_shared/arcow::Cow/4KiB`.
//!
//! Run: `cargo bench --bench cow -- --warm-up-time 1 --measurement-time 3`.
//! Smoke run (each bench once, no timing): `cargo bench --bench cow -- --test`.

use std::hint::black_box;
use std::sync::Arc as StdArc;

use arcow::Cow;
use criterion::measurement::WallTime;
use criterion::{criterion_main, BatchSize, BenchmarkGroup, BenchmarkId, Criterion};
use triomphe::Arc as TriompheArc;

/// The 4 KiB payload: a `Copy` byte array, as a page or a buffer would be.
use cow_common::*;

mod cow_common;

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Clone a handle and drop the clone: one atomic increment and one atomic
/// decrement (plus the branch to the cold free path, never taken here).
fn clone_drop<T: Payload, P: Pointer<T>>(g: &mut Group<'_>) {
    let handle = P::new(T::make());
    g.bench_with_input(BenchmarkId::new(P::NAME, T::NAME), &handle, |b, handle| {
        b.iter(|| drop(black_box(P::clone(black_box(handle)))));
    });
}

/// Read one word of the value through the pointer: a load of the pointer
/// (the handle is opaque) and a load of the word at an opaque index.
fn deref_read<T: Payload, P: Pointer<T>>(g: &mut Group<'_>) {
    let handle = P::new(T::make());
    g.bench_with_input(BenchmarkId::new(P::NAME, T::NAME), &handle, |b, handle| {
        b.iter(|| black_box(handle).read(black_box(T::AT)));
    });
}

/// `make_mut` on the only handle, then write one word. No clone happens; the
/// cost is the uniqueness check (arcow and triomphe: one Acquire load; std:
/// a compare-exchange on the strong count, a load of the weak count and a
/// store that restores the strong count).
fn make_mut_unique<T: Payload, P: Pointer<T>>(g: &mut Group<'_>) {
    let mut handle = P::new(T::make());
    g.bench_function(BenchmarkId::new(P::NAME, T::NAME), |b| {
        let mut word = 0u64;
        b.iter(|| {
            word = word.wrapping_add(1);
            P::make_mut(black_box(&mut handle)).write(black_box(T::AT), word);
        });
    });
    black_box(&handle);
}

/// How many shared handles one timed batch of `make_mut_shared` copies.
///
/// Small on purpose: the batch's fresh copies (32 x 4 KiB = 128 KiB) stay in
/// L2 and in malloc's free lists, so the bench measures `make_mut`, not DRAM
/// writes or fresh pages. `BatchSize::SmallInput` makes batches of a tenth of
/// a sample: here up to tens of thousands of live 4 KiB copies.
const SHARED_BATCH: u64 = 32;

/// `make_mut` on a handle that shares its value with `base`: allocate, clone
/// the value into the new allocation, decrement the old count, write one word.
///
/// Timing: `iter_batched`, batches of [`SHARED_BATCH`]. The setup, not timed,
/// clones `base`, so each input is a handle sharing `base`'s value (a count
/// of at least 2). The routine, timed, is exactly `make_mut` + one write, and
/// returns the now-unique handle; criterion drops the outputs after the
/// batch's clock stops, so freeing the fresh copy is not timed either. That
/// is the same for all three pointer types, so the ratio measures `make_mut`'s
/// copy path: allocation + clone of `T` + old-count decrement. (`base`
/// outlives the bench, so that decrement never frees.)
///
/// For the 4 KiB payload the result also depends on where malloc puts the
/// copy relative to its source: glibc's `memcpy` on AMD Zen is much slower
/// when the destination is a few bytes past the source modulo 4096. See
/// docs/benchmarks.md, "make_mut on a shared 4 KiB value".
fn make_mut_shared<T: Payload, P: Pointer<T>>(g: &mut Group<'_>) {
    let base = P::new(T::make());
    g.bench_with_input(BenchmarkId::new(P::NAME, T::NAME), &base, |b, base| {
        b.iter_batched(
            || P::clone(base),
            |mut shared| {
                P::make_mut(&mut shared).write(black_box(T::AT), black_box(7));
                shared
            },
            BatchSize::NumIterations(SHARED_BATCH),
        );
    });
    // The copies never touched the shared value.
    assert_eq!(base.read(T::AT), T::make().read(T::AT));
}

/// One criterion group per operation; in it, for each payload, the three
/// pointer types in a row, so the report lists them side by side.
macro_rules! side_by_side {
    ($($op:ident),* $(,)?) => {$(
        pub(super) fn $op(c: &mut Criterion) {
            let mut g = c.benchmark_group(stringify!($op));
            super::$op::<u64, Cow<u64>>(&mut g);
            super::$op::<u64, StdArc<u64>>(&mut g);
            super::$op::<u64, TriompheArc<u64>>(&mut g);
            super::$op::<Page, Cow<Page>>(&mut g);
            super::$op::<Page, StdArc<Page>>(&mut g);
            super::$op::<Page, TriompheArc<Page>>(&mut g);
            g.finish();
        }
    )*};
}

mod groups {
    use super::*;
    side_by_side!(clone_drop, deref_read, make_mut_unique, make_mut_shared);
}

/// What `criterion_group!` would generate, written out so it can be
/// private (and so documented without lint exceptions).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    groups::clone_drop(&mut c);
    groups::deref_read(&mut c);
    groups::make_mut_unique(&mut c);
    groups::make_mut_shared(&mut c);
}

criterion_main!(benches);
