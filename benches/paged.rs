//! `PagedCowVec<T>` against `Vec<T>`, `CowVec<T>`, `ecow::EcoVec<T>` and
//! `imbl::Vector<T>`, side by side in one run (docs/DESIGN.md, "Performance
//! targets" and "PagedCowVec<T>").
//!
//! Every group holds the vector types for the same `u64` payload, so the
//! ratios that matter (`PagedCowVec` vs each anchor) come from one run on one
//! machine:
//!
//! | group         | what one iteration does                                             |
//! |---------------|---------------------------------------------------------------------|
//! | `iter_sum`    | sum a 1M-element vector through `iter()`                            |
//! | `get_random`  | 1,000 reads at random indices (fixed seed) of a 1M-element vector   |
//! | `push`        | push 100k elements into a new vector, drop it                       |
//! | `clone`       | clone a 1M-element vector, drop the clone                           |
//! | `first_write` | write one element of a fresh snapshot; sizes 500 to 10M (the crossover with `CowVec` is near 1k) |
//! | `seed`        | snapshot a live 10M vector, 10,000 random reads on the snapshot,    |
//! |               | one write to the live vector while the snapshot lives, drop it      |
//!
//! `first_write` is the cost of copy-on-write itself, as in benches/vec.rs:
//! for the COW types the snapshot (an O(1) clone) is taken outside the clock
//! and the timed routine is the write alone (`CowVec`, `EcoVec`: copies the
//! whole buffer; `PagedCowVec`: one 4 KiB page and the inner nodes above it;
//! `imbl::Vector`: one chunk and its path). `Vec`'s anchor is `Vec::clone` +
//! the write, both timed. The sizes sweep shows where `PagedCowVec` starts to
//! pay off against `CowVec`. `ecow::EcoVec` runs at 1M and 10M only (it
//! behaves as `CowVec` does).
//!
//! Bench ids are `<group>/<vector>/<size>`, e.g.
//! `first_write/arcow::PagedCowVec/1M` (criterion writes `arcow::PagedCowVec`
//! as `arcow__PagedCowVec` in paths).
//!
//! Run: `cargo bench --bench paged -- --warm-up-time 1 --measurement-time 3`.
//! Smoke run (each bench once, no timing): `cargo bench --bench paged -- --test`.

mod common;

use arcow::{CowVec, PagedCowVec};
use common::*;
use criterion::{criterion_main, Criterion};
use ecow::EcoVec;

/// One criterion group per operation; in it the vector types in a row, so
/// the report lists them side by side.
mod groups {
    use super::*;

    type Paged = PagedCowVec<u64>;
    type Imbl = imbl::Vector<u64>;

    /// Runs `$bench::<T>($g, $n)` for every listed type `T`.
    macro_rules! each {
        ($bench:ident($g:expr, $n:expr): $($t:ty),+) => {
            $(super::$bench::<$t>($g, $n);)+
        };
    }

    pub(super) fn iter_sum(c: &mut Criterion) {
        let mut g = c.benchmark_group("iter_sum");
        each!(iter_sum(&mut g, 1_000_000): Vec<u64>, CowVec<u64>, Paged, EcoVec<u64>, Imbl);
        g.finish();
    }

    pub(super) fn get_random(c: &mut Criterion) {
        let mut g = c.benchmark_group("get_random");
        each!(get_random(&mut g, 1_000_000): Vec<u64>, CowVec<u64>, Paged, EcoVec<u64>, Imbl);
        g.finish();
    }

    pub(super) fn push(c: &mut Criterion) {
        let mut g = c.benchmark_group("push");
        each!(push(&mut g, 100_000): Vec<u64>, CowVec<u64>, Paged, EcoVec<u64>, Imbl);
        g.finish();
    }

    pub(super) fn clone(c: &mut Criterion) {
        let mut g = c.benchmark_group("clone");
        each!(clone(&mut g, 1_000_000): Vec<u64>, CowVec<u64>, Paged, EcoVec<u64>, Imbl);
        g.finish();
    }

    /// The sweep: one parameterized group, sizes 500 to 10M.
    pub(super) fn first_write(c: &mut Criterion) {
        let mut g = c.benchmark_group("first_write");
        for n in [
            500, 1_000, 2_000, 5_000, 10_000, 100_000, 1_000_000, 10_000_000,
        ] {
            if n >= 10_000_000 {
                g.sample_size(10);
            }
            each!(first_write(&mut g, n): Vec<u64>, CowVec<u64>, Paged, Imbl);
            if n >= 1_000_000 {
                each!(first_write(&mut g, n): EcoVec<u64>);
            }
        }
        g.finish();
    }

    pub(super) fn seed(c: &mut Criterion) {
        let mut g = c.benchmark_group("seed");
        g.sample_size(10);
        // The snapshot scenario of benches/vec.rs with the write, under the
        // size as its parameter.
        let n = 10_000_000;
        super::snapshot::<Vec<u64>>(&mut g, n, true, &size_name(n));
        super::snapshot::<CowVec<u64>>(&mut g, n, true, &size_name(n));
        super::snapshot::<Paged>(&mut g, n, true, &size_name(n));
        super::snapshot::<Imbl>(&mut g, n, true, &size_name(n));
        g.finish();
    }
}

/// What `criterion_group!` would generate, written out so it can be
/// private (and so documented without lint exceptions).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    groups::iter_sum(&mut c);
    groups::get_random(&mut c);
    groups::push(&mut c);
    groups::clone(&mut c);
    groups::first_write(&mut c);
    groups::seed(&mut c);
}

criterion_main!(benches);
