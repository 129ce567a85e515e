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

use std::hint::black_box;

use arcow::{CowVec, PagedCowVec};
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

impl Vector for PagedCowVec<u64> {
    const NAME: &'static str = "arcow::PagedCowVec";
    const WRITE_COPIES_ALL: bool = false;
    const DEEP_CLONE: bool = false;
    #[inline(always)]
    fn new() -> Self {
        PagedCowVec::new()
    }
    fn from_slice(s: &[u64]) -> Self {
        s.iter().copied().collect()
    }
    #[inline(always)]
    fn push(&mut self, x: u64) {
        PagedCowVec::push(self, x)
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

/// Sum `n` elements through `iter()` (for `PagedCowVec`, its page-by-page
/// `fold`, which `Sum` uses).
fn iter_sum<V: Vector>(g: &mut Group<'_>, n: usize) {
    let v = V::from_slice(&data(n));
    let expected = (n as u64) * (n as u64 - 1) / 2;
    g.bench_with_input(BenchmarkId::new(V::NAME, size_name(n)), &v, |b, v| {
        b.iter(|| black_box(v).sum());
    });
    assert_eq!(v.sum(), expected);
}

/// How many random reads one `get_random` iteration does.
const GETS: usize = 1_000;

/// [`GETS`] reads at fixed-seed random indices of an `n`-element vector,
/// summed. The reads are independent, so the CPU may overlap their misses.
fn get_random<V: Vector>(g: &mut Group<'_>, n: usize) {
    let v = V::from_slice(&data(n));
    let idx = random_indices(GETS, n, 0x6e75);
    g.bench_with_input(BenchmarkId::new(V::NAME, size_name(n)), &v, |b, v| {
        b.iter(|| {
            let v = black_box(v);
            let mut acc = 0u64;
            for &i in black_box(&idx) {
                acc = acc.wrapping_add(v.read(i));
            }
            acc
        });
    });
}

/// Push `n` elements into a new vector (no reserve), then drop it.
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

/// Clone an `n`-element vector and drop the clone.
fn clone<V: Vector>(g: &mut Group<'_>, n: usize) {
    let v = V::from_slice(&data(n));
    g.bench_with_input(BenchmarkId::new(V::NAME, size_name(n)), &v, |b, v| {
        b.iter(|| drop(black_box(V::clone(black_box(v)))));
    });
}

/// How many fresh copies one timed batch of `first_write` may hold: whole
/// copies up to about 32 MiB in all (one for 10M `u64`, four for 1M, 64 for
/// 10k), 64 page or path copies for the paged and tree vectors. Criterion
/// drops the batch's outputs after the clock stops.
fn write_batch<V: Vector>(n: usize) -> BatchSize {
    if V::WRITE_COPIES_ALL {
        BatchSize::NumIterations(((32 << 20) / (8 * n as u64)).clamp(1, 64))
    } else {
        BatchSize::NumIterations(64)
    }
}

/// The first write after a snapshot of an `n`-element vector.
///
/// COW types: the setup (not timed) clones `base`, so the input shares all
/// of it; the routine (timed) writes one element through the copy-on-write
/// path and returns the written vector, which criterion drops after the
/// batch's clock stops. `Vec` (`DEEP_CLONE`): the routine clones `base` and
/// writes, both timed; that is the anchor.
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

/// How many random reads a snapshot serves in the seed's scenario.
const READS: usize = 10_000;

/// The seed's scenario: a live vector of `n` elements; take a snapshot (for
/// `Vec` a deep copy), do [`READS`] random reads on it, one write to the live
/// vector while the snapshot lives, then drop the snapshot. The live vector
/// is the same one across iterations: after each iteration it owns what the
/// write copied and the snapshot took the rest of the old version with it,
/// so every iteration starts from the same state.
fn seed<V: Vector>(g: &mut Group<'_>, n: usize) {
    let mut live = V::from_slice(&data(n));
    let idx = random_indices(READS, n, 0x5eed);
    let at = n / 3;
    g.bench_function(BenchmarkId::new(V::NAME, size_name(n)), |b| {
        b.iter(|| {
            let snap = black_box(&live).clone();
            let mut acc = 0u64;
            for &i in black_box(&idx) {
                acc = acc.wrapping_add(snap.read(i));
            }
            live.write(black_box(at), acc);
            drop(black_box(snap));
            acc
        });
    });
}

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
        each!(seed(&mut g, 10_000_000): Vec<u64>, CowVec<u64>, Paged, Imbl);
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
