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

use std::hint::black_box;

use arcow::CowVec;
use criterion::measurement::WallTime;
use criterion::{criterion_main, BatchSize, BenchmarkGroup, BenchmarkId, Criterion};
use ecow::EcoVec;

/// What every bench needs from a vector type, so the anchors run the very
/// same (monomorphized, fully inlined) bench bodies.
trait Vector: Clone {
    /// The name used as the bench id.
    const NAME: &'static str;
    /// Does the first write after a clone copy every element (or, for
    /// `Vec`, does the clone itself)? Then a timed batch holds few copies.
    const WRITE_COPIES_ALL: bool;
    /// Does `clone` copy every element (no O(1) snapshot)?
    const DEEP_CLONE: bool;
    fn new() -> Self;
    fn from_slice(s: &[u64]) -> Self;
    fn push(&mut self, x: u64);
    fn pop(&mut self) -> Option<u64>;
    fn extend_from_slice(&mut self, s: &[u64]);
    /// Reads element `i` (bounds-checked, as `v[i]`).
    fn read(&self, i: usize) -> u64;
    /// Writes element `i` through the type's copy-on-write path.
    fn write(&mut self, i: usize, x: u64);
    fn sum(&self) -> u64;
}

impl Vector for Vec<u64> {
    const NAME: &'static str = "Vec";
    const WRITE_COPIES_ALL: bool = true;
    const DEEP_CLONE: bool = true;
    #[inline(always)]
    fn new() -> Self {
        Vec::new()
    }
    fn from_slice(s: &[u64]) -> Self {
        s.to_vec()
    }
    #[inline(always)]
    fn push(&mut self, x: u64) {
        Vec::push(self, x)
    }
    #[inline(always)]
    fn pop(&mut self) -> Option<u64> {
        Vec::pop(self)
    }
    #[inline(always)]
    fn extend_from_slice(&mut self, s: &[u64]) {
        Vec::extend_from_slice(self, s)
    }
    #[inline(always)]
    fn read(&self, i: usize) -> u64 {
        self[i]
    }
    #[inline(always)]
    fn write(&mut self, i: usize, x: u64) {
        self[i] = x;
    }
    #[inline(always)]
    fn sum(&self) -> u64 {
        self.iter().sum()
    }
}

impl Vector for CowVec<u64> {
    const NAME: &'static str = "arcow::CowVec";
    const WRITE_COPIES_ALL: bool = true;
    const DEEP_CLONE: bool = false;
    #[inline(always)]
    fn new() -> Self {
        CowVec::new()
    }
    fn from_slice(s: &[u64]) -> Self {
        CowVec::from(s)
    }
    #[inline(always)]
    fn push(&mut self, x: u64) {
        CowVec::push(self, x)
    }
    #[inline(always)]
    fn pop(&mut self) -> Option<u64> {
        CowVec::pop(self)
    }
    #[inline(always)]
    fn extend_from_slice(&mut self, s: &[u64]) {
        CowVec::extend_from_slice(self, s)
    }
    #[inline(always)]
    fn read(&self, i: usize) -> u64 {
        self[i]
    }
    #[inline(always)]
    fn write(&mut self, i: usize, x: u64) {
        self.make_mut()[i] = x;
    }
    #[inline(always)]
    fn sum(&self) -> u64 {
        self.iter().sum()
    }
}

impl Vector for EcoVec<u64> {
    const NAME: &'static str = "ecow::EcoVec";
    const WRITE_COPIES_ALL: bool = true;
    const DEEP_CLONE: bool = false;
    #[inline(always)]
    fn new() -> Self {
        EcoVec::new()
    }
    fn from_slice(s: &[u64]) -> Self {
        EcoVec::from(s)
    }
    #[inline(always)]
    fn push(&mut self, x: u64) {
        EcoVec::push(self, x)
    }
    #[inline(always)]
    fn pop(&mut self) -> Option<u64> {
        EcoVec::pop(self)
    }
    #[inline(always)]
    fn extend_from_slice(&mut self, s: &[u64]) {
        EcoVec::extend_from_slice(self, s)
    }
    #[inline(always)]
    fn read(&self, i: usize) -> u64 {
        self[i]
    }
    #[inline(always)]
    fn write(&mut self, i: usize, x: u64) {
        self.make_mut()[i] = x;
    }
    #[inline(always)]
    fn sum(&self) -> u64 {
        self.iter().sum()
    }
}

impl Vector for imbl::Vector<u64> {
    const NAME: &'static str = "imbl::Vector";
    const WRITE_COPIES_ALL: bool = false;
    const DEEP_CLONE: bool = false;
    #[inline(always)]
    fn new() -> Self {
        imbl::Vector::new()
    }
    fn from_slice(s: &[u64]) -> Self {
        imbl::Vector::from(s)
    }
    #[inline(always)]
    fn push(&mut self, x: u64) {
        self.push_back(x)
    }
    #[inline(always)]
    fn pop(&mut self) -> Option<u64> {
        self.pop_back()
    }
    /// `imbl::Vector` has no `extend_from_slice`; `Extend` is its bulk append.
    #[inline(always)]
    fn extend_from_slice(&mut self, s: &[u64]) {
        self.extend(s.iter().copied())
    }
    #[inline(always)]
    fn read(&self, i: usize) -> u64 {
        self[i]
    }
    #[inline(always)]
    fn write(&mut self, i: usize, x: u64) {
        self.set(i, x);
    }
    #[inline(always)]
    fn sum(&self) -> u64 {
        self.iter().sum()
    }
}

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// `0, 1, 2, ..., n - 1`.
fn data(n: usize) -> Vec<u64> {
    (0..n as u64).collect()
}

/// `count` indices below `len`, from a fixed-seed splitmix64: the same
/// "random" reads for every vector type and every run.
fn random_indices(count: usize, len: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            (z % len as u64) as usize
        })
        .collect()
}

/// A size as the bench parameter: `1k`, `100k`, `1M`, `10M`.
fn size_name(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// Push `n` elements into a new vector (no reserve), then drop it. Growth
/// (`realloc` for `Vec` and `CowVec`) and the final free are timed, the same
/// for every type.
fn push<V: Vector>(g: &mut Group<'_>, n: usize) {
    g.bench_with_input(BenchmarkId::new(V::NAME, size_name(n)), &n, |b, &n| {
        b.iter(|| {
            let mut v = V::new();
            for i in 0..black_box(n) as u64 {
                v.push(i);
            }
            black_box(&v);
        });
    });
}

/// Clone a 1M-element vector and drop the clone: O(n) for `Vec` (an 8 MB
/// copy and its free), one refcount increment and decrement for the others.
fn clone<V: Vector>(g: &mut Group<'_>, n: usize) {
    let v = V::from_slice(&data(n));
    g.bench_with_input(BenchmarkId::new(V::NAME, size_name(n)), &v, |b, v| {
        b.iter(|| drop(black_box(V::clone(black_box(v)))));
    });
}

/// How many fresh copies one timed batch of `first_write` may hold: whole
/// copies up to about 32 MiB in all (one for 10M `u64`, four for 1M), 64
/// path copies for the tree vectors. Criterion drops the batch's outputs
/// after the clock stops.
fn write_batch<V: Vector>(n: usize) -> BatchSize {
    if V::WRITE_COPIES_ALL {
        BatchSize::NumIterations(((32 << 20) / (8 * n as u64)).clamp(1, 64))
    } else {
        BatchSize::NumIterations(64)
    }
}

/// The first write after a snapshot of an `n`-element vector.
///
/// COW types: the setup (not timed) clones `base`, so the input shares its
/// buffer; the routine (timed) writes one element through the copy-on-write
/// path and returns the now-unique vector, which criterion drops after the
/// batch's clock stops. `Vec` (`DEEP_CLONE`): the
/// routine clones `base` and writes, both timed; that is the anchor.
fn first_write<V: Vector>(g: &mut Group<'_>, n: usize) {
    let base = V::from_slice(&data(n));
    let at = n / 2 + 1;
    g.bench_with_input(BenchmarkId::new(V::NAME, size_name(n)), &base, |b, base| {
        b.iter_batched(
            || (!V::DEEP_CLONE).then(|| base.clone()),
            |snapshot| {
                let mut v = snapshot.unwrap_or_else(|| base.clone());
                v.write(black_box(at), black_box(7));
                v
            },
            write_batch::<V>(n),
        );
    });
    // The copies never touched the shared vector.
    assert_eq!(base.read(at), at as u64);
}

/// Sum `n` elements through `iter()`.
fn iter_sum<V: Vector>(g: &mut Group<'_>, n: usize) {
    let v = V::from_slice(&data(n));
    let expected = (n as u64) * (n as u64 - 1) / 2;
    g.bench_with_input(BenchmarkId::new(V::NAME, size_name(n)), &v, |b, v| {
        b.iter(|| black_box(v).sum());
    });
    assert_eq!(v.sum(), expected);
}

/// Build an `n`-element vector from slices of `chunk` elements, starting
/// from a new vector (no reserve), then drop it.
fn extend_from_slice<V: Vector>(g: &mut Group<'_>, n: usize, chunk: usize) {
    let src = data(chunk);
    g.bench_with_input(BenchmarkId::new(V::NAME, size_name(n)), &src, |b, src| {
        b.iter(|| {
            let mut v = V::new();
            for _ in 0..n / chunk {
                v.extend_from_slice(black_box(src));
            }
            black_box(&v);
        });
    });
}

/// Pop every element of an `n`-element unique vector. The vector is built
/// in the setup (not timed); the emptied vector is dropped after the clock.
fn pop<V: Vector>(g: &mut Group<'_>, n: usize) {
    let src = data(n);
    g.bench_with_input(BenchmarkId::new(V::NAME, size_name(n)), &src, |b, src| {
        b.iter_batched(
            || V::from_slice(src),
            |mut v| {
                while let Some(x) = v.pop() {
                    black_box(x);
                }
                v
            },
            BatchSize::NumIterations(8),
        );
    });
}

/// How many random reads a snapshot serves in the `snapshot_10M` scenario.
const READS: usize = 10_000;

/// The seed's scenario: a live vector of `n` elements; take a snapshot (for
/// `Vec` a deep copy), do [`READS`] random reads on it, and, if `write`, one
/// write to the live vector while the snapshot lives; then drop the
/// snapshot. The live vector is the same one across iterations: after a
/// write iteration it owns a fresh copy and the old buffer goes with the
/// snapshot, so every iteration starts from the same state.
fn snapshot<V: Vector>(g: &mut Group<'_>, n: usize, write: bool) {
    let mut live = V::from_slice(&data(n));
    let idx = random_indices(READS, n, 0x5eed);
    let at = n / 3;
    let param = if write { "reads+write" } else { "reads" };
    g.bench_function(BenchmarkId::new(V::NAME, param), |b| {
        b.iter(|| {
            let snap = black_box(&live).clone();
            let mut acc = 0u64;
            for &i in black_box(&idx) {
                acc = acc.wrapping_add(snap.read(i));
            }
            if write {
                live.write(black_box(at), acc);
            }
            drop(black_box(snap));
            acc
        });
    });
}

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
            super::snapshot::<Vec<u64>>(&mut g, 10_000_000, write);
            super::snapshot::<CowVec<u64>>(&mut g, 10_000_000, write);
            super::snapshot::<EcoVec<u64>>(&mut g, 10_000_000, write);
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
