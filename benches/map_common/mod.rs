//! What benches/map.rs (criterion) and benches/map_targets.rs (the
//! interleaved target check) share: the `Map` trait that puts `CowMap`,
//! std's `HashMap` and `imbl::HashMap` behind the same (monomorphized,
//! inlined) bench bodies, all with the same hasher type (std's
//! `RandomState`), the inputs (fixed-seed random keys), and a counting
//! global allocator for the heap bytes of a map.
//!
//! (Each bench binary uses a part of this module, so the rest is dead code
//! there.)
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{Hash, RandomState};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};

use arcow::CowMap;

/// The size of the big maps (`get_hit`, `get_miss`, `iterate`, `remove`,
/// `first_write/1M`, `cell_update`, the heap count).
pub const BIG: usize = 1_000_000;
/// The size `insert` builds.
pub const BUILD: usize = 100_000;
/// How many String keys `string_get` has.
pub const STRINGS: usize = 100_000;
/// Lookups (hits or misses) per pass of `get_*` and `string_get`, and keys
/// removed per `remove` iteration.
pub const OPS: usize = 10_000;

pub type StdMap<K> = HashMap<K, u64, RandomState>;
pub type Cow<K> = CowMap<K, u64, RandomState>;
pub type Imbl<K> = imbl::HashMap<K, u64>;

/// What every bench needs from a map of `K -> u64`.
pub trait Map<K: Hash + Eq + Clone>: Clone {
    /// The name used as the bench id.
    const NAME: &'static str;
    /// Does `clone` copy every entry (no O(1) snapshot)?
    const DEEP_CLONE: bool;
    /// An empty map with a fresh `RandomState`.
    fn empty() -> Self;
    fn get<Q>(&self, k: &Q) -> Option<&u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized;
    fn insert(&mut self, k: K, v: u64) -> Option<u64>;
    fn remove<Q>(&mut self, k: &Q) -> Option<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized;
    /// The sum of the values, through `iter()` (pairs).
    fn sum(&self) -> u64;
    fn len(&self) -> usize;

    /// A map of `keys[i] -> values(i)`, built by insert from empty.
    fn build(keys: &[K]) -> Self {
        let mut m = Self::empty();
        for (i, k) in keys.iter().enumerate() {
            m.insert(k.clone(), i as u64);
        }
        m
    }
}

impl<K: Hash + Eq + Clone> Map<K> for Cow<K> {
    const NAME: &'static str = "arcow::CowMap";
    const DEEP_CLONE: bool = false;
    #[inline(always)]
    fn empty() -> Self {
        CowMap::with_hasher(RandomState::new())
    }
    #[inline(always)]
    fn get<Q>(&self, k: &Q) -> Option<&u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        CowMap::get(self, k)
    }
    #[inline(always)]
    fn insert(&mut self, k: K, v: u64) -> Option<u64> {
        CowMap::insert(self, k, v)
    }
    #[inline(always)]
    fn remove<Q>(&mut self, k: &Q) -> Option<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        CowMap::remove(self, k)
    }
    #[inline(always)]
    fn sum(&self) -> u64 {
        self.iter().fold(0, |a, (_, v)| a.wrapping_add(*v))
    }
    fn len(&self) -> usize {
        CowMap::len(self)
    }
}

impl<K: Hash + Eq + Clone> Map<K> for StdMap<K> {
    const NAME: &'static str = "std::HashMap";
    const DEEP_CLONE: bool = true;
    #[inline(always)]
    fn empty() -> Self {
        HashMap::with_hasher(RandomState::new())
    }
    #[inline(always)]
    fn get<Q>(&self, k: &Q) -> Option<&u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        HashMap::get(self, k)
    }
    #[inline(always)]
    fn insert(&mut self, k: K, v: u64) -> Option<u64> {
        HashMap::insert(self, k, v)
    }
    #[inline(always)]
    fn remove<Q>(&mut self, k: &Q) -> Option<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        HashMap::remove(self, k)
    }
    #[inline(always)]
    fn sum(&self) -> u64 {
        self.iter().fold(0, |a, (_, v)| a.wrapping_add(*v))
    }
    fn len(&self) -> usize {
        HashMap::len(self)
    }
}

impl<K: Hash + Eq + Clone> Map<K> for Imbl<K> {
    const NAME: &'static str = "imbl::HashMap";
    const DEEP_CLONE: bool = false;
    #[inline(always)]
    fn empty() -> Self {
        imbl::HashMap::with_hasher(RandomState::new())
    }
    #[inline(always)]
    fn get<Q>(&self, k: &Q) -> Option<&u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        imbl::HashMap::get(self, k)
    }
    #[inline(always)]
    fn insert(&mut self, k: K, v: u64) -> Option<u64> {
        imbl::HashMap::insert(self, k, v)
    }
    #[inline(always)]
    fn remove<Q>(&mut self, k: &Q) -> Option<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        imbl::HashMap::remove(self, k)
    }
    #[inline(always)]
    fn sum(&self) -> u64 {
        self.iter().fold(0, |a, (_, v)| a.wrapping_add(*v))
    }
    fn len(&self) -> usize {
        imbl::HashMap::len(self)
    }
}

/// A fixed-seed splitmix64 stream: the same "random" inputs for every map
/// type and every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `n` random `u64` keys (seed 1). Collisions among 1M random 64-bit keys
/// are vanishingly rare; `build` callers check the length anyway.
pub fn keys(n: usize) -> Vec<u64> {
    let mut rng = Rng::new(1);
    (0..n).map(|_| rng.next()).collect()
}

/// `count` keys drawn at random (with repeats) from `keys`: the hits.
pub fn pick<K: Clone>(keys: &[K], count: usize, seed: u64) -> Vec<K> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| keys[rng.below(keys.len())].clone())
        .collect()
}

/// `count` random keys from another stream than [`keys`]: misses (a 64-bit
/// collision with the map's keys is vanishingly rare).
pub fn misses(count: usize) -> Vec<u64> {
    let mut rng = Rng::new(0xdead_beef);
    (0..count).map(|_| rng.next()).collect()
}

/// `n` distinct String keys of 8 to 32 random ASCII letters and digits.
pub fn string_keys(n: usize) -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = Rng::new(2);
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let len = 8 + rng.below(25);
        let s: String = (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())] as char)
            .collect();
        if seen.insert(s.clone()) {
            out.push(s);
        }
    }
    out
}

/// Sums the values of the keys in `probe` that `m` has.
#[inline(always)]
pub fn lookups<K, Q, M>(m: &M, probe: &[&Q]) -> u64
where
    K: Hash + Eq + Clone + Borrow<Q>,
    Q: Hash + Eq + ?Sized,
    M: Map<K>,
{
    let mut sum = 0u64;
    for k in probe {
        if let Some(v) = m.get(std::hint::black_box(*k)) {
            sum = sum.wrapping_add(*v);
        }
    }
    sum
}

/// `System`, keeping a count of the bytes live, while [`heap_bytes`] asks.
pub struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);

fn count(bytes: isize) {
    // One plain load when not counting, so the timed benches are not slowed.
    if COUNTING.load(Relaxed) {
        LIVE.fetch_add(bytes, Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are ours; the counting only touches two
// atomics, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: forwarded; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: forwarded, as `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: forwarded; `ptr` came from this allocator, so from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: forwarded, as `dealloc` and `alloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// The heap bytes (requested sizes) that `make` leaves live in what it
/// returns, and that value. Single-threaded callers only: the count is
/// global.
pub fn heap_bytes<T>(make: impl FnOnce() -> T) -> (usize, T) {
    LIVE.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    let value = make();
    COUNTING.store(false, Relaxed);
    (LIVE.load(Relaxed).max(0) as usize, value)
}

/// The heap of a map of `keys` built by insert from empty (the keys are
/// `u64`, so the bytes are the map's own).
pub fn map_heap<M: Map<u64>>(keys: &[u64]) -> usize {
    let (bytes, m) = heap_bytes(|| M::build(keys));
    assert_eq!(m.len(), keys.len());
    drop(m);
    bytes
}

/// A size as the bench parameter: `1k`, `100k`, `1M`, `10M`.
pub fn size_name(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}
