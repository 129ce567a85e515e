//! `CowVec<T>` against its anchors, `Vec<T>`, `ecow::EcoVec<T>` and
//! `imbl::Vector<T>`, side by side in one run (docs/DESIGN.md, "Performance
//! targets").
//!
//! Every group holds the vector types for the same `u64` payload, so the
//! ratios that matter (arcow vs each anchor) come from one run on one machine:
//!
//! | group               | what one iteration does                                          |
//! |---------------------|------------------------------------------------------------------|
//! | `push`              | push 1k / 100k elements into a new vector (no reserve), drop it  |
//! | `clone`             | clone a 1M-element vector, drop the clone                        |
//! | `first_write`       | write one element of a fresh snapshot of a 1M-element vector     |
//! | `iter_sum`          | sum a 1M-element vector through `iter()`                         |
//! | `extend_from_slice` | build a 100k vector from 100 slices of 1k, drop it               |
//! | `pop`               | pop every element of a 100k vector (built outside the clock)     |
//! | `snapshot_10M`      | snapshot a 10M vector, 10,000 random reads, drop the snapshot;   |
//! |                     | `reads+write`: and one write to the live vector meanwhile        |
//!
//! `first_write` is the cost of copy-on-write itself. For the COW types the
//! snapshot (an O(1) clone) is taken outside the clock and the timed routine
//! is the write alone, which must copy the shared buffer (`CowVec` and
//! `EcoVec`: all of it; `imbl::Vector`: one path). `Vec` has no O(1)
//! snapshot, so its anchor is what a `Vec` user pays for the same effect:
//! `Vec::clone` + the write, both timed.
//!
//! Bench ids are `<group>/<vector>/<size>`, e.g. `push/arcow::CowVec/100k`
//! (criterion writes `arcow::CowVec` as `arcow__CowVec` in paths).
//!
//! Run: `cargo bench --bench vec -- --warm-up-time 1 --measurement-time 3`.
//! Smoke run (each bench once, no timing): `cargo bench --bench vec -- --test`.

mod common;

use arcow::CowVec;
use common::*;
use criterion::{criterion_main, Criterion};
use ecow::EcoVec;

/// One criterion group per operation; in it the vector types in a row, so
/// the report lists them side by side.
mod groups {
    use super::*;

    type Imbl = imbl::Vector<u64>;

    pub(super) fn push(c: &mut Criterion) {
        let mut g = c.benchmark_group("push");
        for n in [1_000, 100_000] {
            super::push::<Vec<u64>>(&mut g, n);
            super::push::<CowVec<u64>>(&mut g, n);
            super::push::<EcoVec<u64>>(&mut g, n);
            super::push::<Imbl>(&mut g, n);
        }
        g.finish();
    }

    pub(super) fn clone(c: &mut Criterion) {
        let mut g = c.benchmark_group("clone");
        super::clone::<Vec<u64>>(&mut g, 1_000_000);
        super::clone::<CowVec<u64>>(&mut g, 1_000_000);
        super::clone::<EcoVec<u64>>(&mut g, 1_000_000);
        super::clone::<Imbl>(&mut g, 1_000_000);
        g.finish();
    }

    pub(super) fn first_write(c: &mut Criterion) {
        let mut g = c.benchmark_group("first_write");
        super::first_write::<Vec<u64>>(&mut g, 1_000_000);
        super::first_write::<CowVec<u64>>(&mut g, 1_000_000);
        super::first_write::<EcoVec<u64>>(&mut g, 1_000_000);
        super::first_write::<Imbl>(&mut g, 1_000_000);
        g.finish();
    }

    pub(super) fn iter_sum(c: &mut Criterion) {
        let mut g = c.benchmark_group("iter_sum");
        super::iter_sum::<Vec<u64>>(&mut g, 1_000_000);
        super::iter_sum::<CowVec<u64>>(&mut g, 1_000_000);
        super::iter_sum::<EcoVec<u64>>(&mut g, 1_000_000);
        super::iter_sum::<Imbl>(&mut g, 1_000_000);
        g.finish();
    }

    pub(super) fn extend_from_slice(c: &mut Criterion) {
        let mut g = c.benchmark_group("extend_from_slice");
        super::extend_from_slice::<Vec<u64>>(&mut g, 100_000, 1_000);
        super::extend_from_slice::<CowVec<u64>>(&mut g, 100_000, 1_000);
        super::extend_from_slice::<EcoVec<u64>>(&mut g, 100_000, 1_000);
        super::extend_from_slice::<Imbl>(&mut g, 100_000, 1_000);
        g.finish();
    }

    pub(super) fn pop(c: &mut Criterion) {
        let mut g = c.benchmark_group("pop");
        super::pop::<Vec<u64>>(&mut g, 100_000);
        super::pop::<CowVec<u64>>(&mut g, 100_000);
        super::pop::<EcoVec<u64>>(&mut g, 100_000);
        super::pop::<Imbl>(&mut g, 100_000);
        g.finish();
    }

    pub(super) fn snapshot(c: &mut Criterion) {
        let mut g = c.benchmark_group("snapshot_10M");
        g.sample_size(10);
        for write in [false, true] {
            let param = if write { "reads+write" } else { "reads" };
            super::snapshot::<Vec<u64>>(&mut g, 10_000_000, write, param);
            super::snapshot::<CowVec<u64>>(&mut g, 10_000_000, write, param);
            super::snapshot::<EcoVec<u64>>(&mut g, 10_000_000, write, param);
        }
        g.finish();
    }
}

/// What `criterion_group!` would generate, written out so it can be
/// private (and so documented without lint exceptions).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    groups::push(&mut c);
    groups::clone(&mut c);
    groups::first_write(&mut c);
    groups::iter_sum(&mut c);
    groups::extend_from_slice(&mut c);
    groups::pop(&mut c);
    groups::snapshot(&mut c);
}

criterion_main!(benches);
