//! What benches/vec.rs and benches/paged.rs share: the `Vector` trait that
//! puts every vector type behind the same (monomorphized, fully inlined)
//! bench bodies, its impls for `Vec`, `CowVec`, `PagedCowVec`, `EcoVec` and
//! `imbl::Vector`, the inputs, and the bench bodies themselves. Each bench
//! binary builds its own criterion groups from these.
//!
//! (Each bench binary uses a part of this module, so the rest is dead code
//! there.)
#![allow(dead_code)]

use std::hint::black_box;

use arcow::{CowVec, PagedCowVec};
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId};
use ecow::EcoVec;

/// What every bench needs from a vector type.
pub trait Vector: Clone {
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

/// The methods whose bodies are the same for every type that derefs to a
/// slice or indexes like one.
macro_rules! read_and_sum {
    () => {
        #[inline(always)]
        fn read(&self, i: usize) -> u64 {
            self[i]
        }
        #[inline(always)]
        fn sum(&self) -> u64 {
            self.iter().sum()
        }
    };
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
    fn write(&mut self, i: usize, x: u64) {
        self[i] = x;
    }
    read_and_sum!();
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
    fn write(&mut self, i: usize, x: u64) {
        self.make_mut()[i] = x;
    }
    read_and_sum!();
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
    fn pop(&mut self) -> Option<u64> {
        PagedCowVec::pop(self)
    }
    #[inline(always)]
    fn extend_from_slice(&mut self, s: &[u64]) {
        self.extend(s.iter().copied())
    }
    #[inline(always)]
    fn write(&mut self, i: usize, x: u64) {
        self.set(i, x);
    }
    read_and_sum!();
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
    fn write(&mut self, i: usize, x: u64) {
        self.make_mut()[i] = x;
    }
    read_and_sum!();
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
    fn write(&mut self, i: usize, x: u64) {
        self.set(i, x);
    }
    read_and_sum!();
}

pub type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// `0, 1, 2, ..., n - 1`.
pub fn data(n: usize) -> Vec<u64> {
    (0..n as u64).collect()
}

/// `count` indices below `len`, from a fixed-seed splitmix64: the same
/// "random" reads for every vector type and every run.
pub fn random_indices(count: usize, len: usize, seed: u64) -> Vec<usize> {
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

/// A size as the bench parameter: `500`, `1k`, `100k`, `1M`, `10M`.
pub fn size_name(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// Push `n` elements into a new vector (no reserve), then drop it. Growth
/// (`realloc` for `Vec` and `CowVec`, a page allocation every page for
/// `PagedCowVec`) and the final free are timed, the same for every type.
pub fn push<V: Vector>(g: &mut Group<'_>, n: usize) {
    g.bench_with_input(BenchmarkId::new(V::NAME, size_name(n)), &n, |b, &n| {
        b.iter(|| push_unit::<V>(n));
    });
}

/// One unit of [`push`] (benches/targets.rs times the same).
#[inline(always)]
pub fn push_unit<V: Vector>(n: usize) {
    let mut v = V::new();
    for i in 0..black_box(n) as u64 {
        v.push(i);
    }
    black_box(&v);
}

/// Clone an `n`-element vector and drop the clone: O(n) for `Vec` (a copy
/// and its free), refcount increments and decrements for the others.
pub fn clone<V: Vector>(g: &mut Group<'_>, n: usize) {
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
pub fn first_write<V: Vector>(g: &mut Group<'_>, n: usize) {
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

/// Sum `n` elements through `iter()` (for `PagedCowVec`, its page-by-page
/// `fold`, which `Sum` uses).
pub fn iter_sum<V: Vector>(g: &mut Group<'_>, n: usize) {
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
pub fn get_random<V: Vector>(g: &mut Group<'_>, n: usize) {
    let v = V::from_slice(&data(n));
    let idx = random_indices(GETS, n, 0x6e75);
    g.bench_with_input(BenchmarkId::new(V::NAME, size_name(n)), &v, |b, v| {
        b.iter(|| random_reads(v, &idx));
    });
}

/// One unit of [`get_random`]: reads at `idx`, summed.
#[inline(always)]
pub fn random_reads<V: Vector>(v: &V, idx: &[usize]) -> u64 {
    let v = black_box(v);
    let mut acc = 0u64;
    for &i in black_box(idx) {
        acc = acc.wrapping_add(v.read(i));
    }
    acc
}

/// Build an `n`-element vector from slices of `chunk` elements, starting
/// from a new vector (no reserve), then drop it.
pub fn extend_from_slice<V: Vector>(g: &mut Group<'_>, n: usize, chunk: usize) {
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
pub fn pop<V: Vector>(g: &mut Group<'_>, n: usize) {
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

/// How many random reads a snapshot serves in the snapshot scenarios.
const READS: usize = 10_000;

/// The seed's scenario: a live vector of `n` elements; take a snapshot (for
/// `Vec` a deep copy), do [`READS`] random reads on it, and, if `write`, one
/// write to the live vector while the snapshot lives; then drop the
/// snapshot. The live vector is the same one across iterations: after a
/// write iteration it owns what the write copied and the snapshot took the
/// rest of the old version with it, so every iteration starts from the same
/// state. `param` is the bench id's parameter.
pub fn snapshot<V: Vector>(g: &mut Group<'_>, n: usize, write: bool, param: &str) {
    let mut live = V::from_slice(&data(n));
    let idx = random_indices(READS, n, 0x5eed);
    let at = n / 3;
    g.bench_function(BenchmarkId::new(V::NAME, param), |b| {
        b.iter(|| snapshot_unit(&mut live, &idx, at, write));
    });
}

/// One unit of [`snapshot`]: snapshot `live`, read it at `idx`, and, if
/// `write`, write `live` at `at` while the snapshot lives.
#[inline(always)]
pub fn snapshot_unit<V: Vector>(live: &mut V, idx: &[usize], at: usize, write: bool) -> u64 {
    let snap = black_box(&*live).clone();
    let acc = random_reads(&snap, idx);
    if write {
        live.write(black_box(at), acc);
    }
    drop(black_box(snap));
    acc
}
