//! [`CowMap<K, V, S>`] and [`CowSet<T, S>`]: hash maps split into
//! refcounted pages of about 4 KiB, so that a clone is O(1) and the first
//! write after it copies one page and the short directory path above it.
//!
//! The entry and iterator types live here, as std keeps its own in
//! `std::collections::hash_map`.
//!
//! - `page.rs`: a page, one allocation holding a small open-addressing
//!   table (hashbrown-style tags probed a group at a time, then the slots).
//! - `group.rs`: the tags and the group probe (SSE2, or a word at a time).
//! - `dir.rs`: the directory, a shallow trie of refcounted nodes keyed by
//!   the hash's top bits, and the splits; the `Table` that owns it all.
//! - `entry.rs`, `iter.rs`, `set.rs`: the entry API, the iterators, and
//!   `CowSet`.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::ops::Index;

mod dir;
mod entry;
mod group;
mod iter;
mod page;
mod set;

use dir::{Table, Walk, Write};

pub use entry::{Entry, OccupiedEntry, VacantEntry};
pub use iter::{IntoIter, Iter, IterMut, Keys, Values, ValuesMut};
pub use set::{CowSet, Difference, Intersection, SetIntoIter, SetIter, SymmetricDifference, Union};

/// The hash the map uses for `key`: the hasher's, times an odd constant.
///
/// The directory reads the hash's top bits and a page its low ones. A good
/// hasher (std's SipHash) fills all 64 bits, but common fast ones do not:
/// an identity hasher (`nohash`) puts a `u32` key in the low 32 bits, and
/// the top bits would all be zero, sending every key down one directory
/// path. The multiply carries every input bit into the top bits; it costs
/// one instruction, and it maps equal hashes to equal hashes and distinct
/// ones to distinct ones (an odd multiplier is invertible mod 2^64), so it
/// never creates a collision.
#[inline(always)]
fn make_hash<Q: ?Sized + Hash, S: BuildHasher>(hash_builder: &S, key: &Q) -> u64 {
    hash_builder
        .hash_one(key)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Defines `CowMap` with `S = RandomState` as the default with `std`, and
/// with no default without it (there is no default hasher in `core`).
macro_rules! define_map {
    ($($default:tt)*) => {
        /// A hash map split into refcounted pages of about 4 KiB, found by the
        /// top bits of each key's hash: it reads nearly as fast as `HashMap`,
        /// clones in O(1), and a write after a clone copies one page.
        ///
        /// - `clone` is one atomic increment and allocates nothing; the clone
        ///   is a snapshot that never changes, whatever the original does.
        /// - A write ([`insert`](CowMap::insert), [`get_mut`](CowMap::get_mut),
        ///   [`remove`](CowMap::remove), [`entry`](CowMap::entry), ...) to a map
        ///   whose pages are shared copies the one page it touches and the
        ///   few directory nodes above it (for a million `u64` entries: at
        ///   most 4 allocations and 16 KiB); the other pages stay shared.
        ///   Writes to a map nobody shares copy nothing.
        /// - A read hashes the key once, walks two or three directory nodes
        ///   that stay in cache, and probes one chunk of a page: 16 tags and
        ///   their slots, side by side. Measured at 1M `u64` entries (see
        ///   `docs/benchmarks.md`): a hit about 1.2-1.4x `HashMap`'s time and
        ///   0.3-0.6x `imbl::HashMap`'s; a miss about 3x `HashMap`'s, whose
        ///   tags are one dense array where a `CowMap`'s are spread over
        ///   pages.
        /// - Iteration scans pages in memory order. For a map of 16Ki
        ///   entries or more, an iterator that has read a 64th of the pages
        ///   lists the rest (one pointer per page, about 0.2% of the map's
        ///   heap, freed with the iterator) and reads them in address order,
        ///   which the hardware prefetcher can follow: at 1M entries a `sum`
        ///   takes about 1.3x `HashMap`'s time and a `for` loop about 1.7x (3.3x
        ///   and 4.2x in the directory's order). Smaller maps, and iterations
        ///   stopped before that point, allocate nothing; if the list cannot
        ///   be allocated, the iteration goes on in the directory's order.
        ///
        /// The API is `HashMap`'s. Reads need `K: Eq + Hash` and
        /// `S: BuildHasher`; writes also `K: Clone` and `V: Clone`, to copy a
        /// shared page. Iteration order is unspecified.
        ///
        /// Keys with the same hash (a hostile or broken hasher) still work:
        /// a page that no hash bit can split grows instead, and the directory
        /// stays O(len). Lookups among such keys are linear, as in any hash
        /// table.
        ///
        /// # Examples
        ///
        /// ```
        /// use arcow::CowMap;
        ///
        /// let mut routes: CowMap<String, u16> = CowMap::new();
        /// routes.insert("api".into(), 8080);
        /// routes.insert("web".into(), 80);
        ///
        /// let snapshot = routes.clone();        // O(1): shares every page
        /// routes.insert("web".into(), 8000);    // shared: copies one page
        /// routes.insert("db".into(), 5432);     // that page is unique now
        ///
        /// assert_eq!(snapshot.get("web"), Some(&80));
        /// assert_eq!(routes.get("web"), Some(&8000));
        /// assert_eq!((snapshot.len(), routes.len()), (2, 3));
        /// ```
        pub struct CowMap<K, V, S $($default)*> {
            table: Table<K, V>,
            hash_builder: S,
        }
    };
}

#[cfg(feature = "std")]
define_map!(= std::hash::RandomState);
#[cfg(not(feature = "std"))]
define_map!();

#[cfg(feature = "std")]
impl<K, V> CowMap<K, V, std::hash::RandomState> {
    /// Makes an empty map. Allocates nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<&str, i32> = arcow::CowMap::new();
    /// assert!(m.is_empty());
    /// m.insert("a", 1);
    /// assert_eq!(m["a"], 1);
    /// ```
    pub fn new() -> Self {
        CowMap::with_hasher(Default::default())
    }

    /// Makes an empty map. With `capacity > 0` it allocates its first page,
    /// sized for `capacity` entries up to one page's worth; a map bigger
    /// than a page grows by splitting pages, so there is nothing to reserve
    /// beyond that.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = arcow::CowMap::with_capacity(10);
    /// for i in 0..10 {
    ///     m.insert(i, i * i);                // no allocation
    /// }
    /// assert_eq!(m[&3], 9);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        CowMap::with_capacity_and_hasher(capacity, Default::default())
    }
}

impl<K, V, S> CowMap<K, V, S> {
    /// Makes an empty map that will hash keys with `hash_builder`.
    /// Allocates nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::BuildHasherDefault;
    /// use std::collections::hash_map::DefaultHasher;
    ///
    /// let mut m = arcow::CowMap::with_hasher(BuildHasherDefault::<DefaultHasher>::default());
    /// m.insert(1, "one");
    /// assert_eq!(m.get(&1), Some(&"one"));
    /// ```
    pub const fn with_hasher(hash_builder: S) -> Self {
        CowMap {
            table: Table::new(),
            hash_builder,
        }
    }

    /// Makes an empty map with `hash_builder`, its first page sized for
    /// `capacity` entries up to one page's worth (see
    /// [`with_capacity`](CowMap::with_capacity)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::RandomState;
    ///
    /// let mut m = arcow::CowMap::with_capacity_and_hasher(4, RandomState::new());
    /// m.insert('x', 1);
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn with_capacity_and_hasher(capacity: usize, hash_builder: S) -> Self {
        CowMap {
            table: Table::with_capacity(capacity),
            hash_builder,
        }
    }

    /// The number of entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: arcow::CowMap<u8, u8> = [(1, 2), (3, 4)].into_iter().collect();
    /// assert_eq!(m.len(), 2);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Does the map hold no entries?
    ///
    /// # Examples
    ///
    /// ```
    /// let m: arcow::CowMap<u8, u8> = arcow::CowMap::new();
    /// assert!(m.is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The map's hasher.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::BuildHasher;
    ///
    /// let m: arcow::CowMap<u8, u8> = arcow::CowMap::new();
    /// let _hash: u64 = m.hasher().hash_one(7u8);
    /// ```
    pub fn hasher(&self) -> &S {
        &self.hash_builder
    }

    /// Do the two maps share their whole directory, so that they are equal
    /// without looking? True for a map and its unwritten clones, and for two
    /// maps that have never held an entry.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a: arcow::CowMap<u8, u8> = [(1, 1)].into_iter().collect();
    /// let b = a.clone();
    /// assert!(a.ptr_eq(&b));
    /// a.insert(2, 2);                        // copies: no longer shared
    /// assert!(!a.ptr_eq(&b));
    /// ```
    pub fn ptr_eq(&self, other: &Self) -> bool {
        self.table.root() == other.table.root()
    }

    /// Removes every entry. A shared map lets its pages go (the snapshots
    /// keep them); an unshared one drops its entries and frees its pages.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<u8, u8> = [(1, 1)].into_iter().collect();
    /// let snapshot = m.clone();
    /// m.clear();                             // copies nothing
    /// assert!(m.is_empty());
    /// assert_eq!(snapshot.len(), 1);
    /// ```
    pub fn clear(&mut self) {
        self.table.clear();
    }

    /// The entries, as `(&K, &V)`, in unspecified order.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: arcow::CowMap<u8, u8> = [(1, 10), (2, 20)].into_iter().collect();
    /// let mut pairs: Vec<_> = m.iter().collect();
    /// pairs.sort();
    /// assert_eq!(pairs, [(&1, &10), (&2, &20)]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter::new(&self.table)
    }

    /// The keys, in unspecified order.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: arcow::CowMap<u8, u8> = [(1, 10), (2, 20)].into_iter().collect();
    /// assert_eq!(m.keys().copied().sum::<u8>(), 3);
    /// ```
    pub fn keys(&self) -> Keys<'_, K, V> {
        Keys(self.iter())
    }

    /// The values, in unspecified order.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: arcow::CowMap<u8, u8> = [(1, 10), (2, 20)].into_iter().collect();
    /// assert_eq!(m.values().copied().sum::<u8>(), 30);
    /// ```
    pub fn values(&self) -> Values<'_, K, V> {
        Values(self.iter())
    }
}

impl<K, V, S> CowMap<K, V, S>
where
    K: Eq + Hash,
    S: BuildHasher,
{
    /// The hash of a key, computed once per operation.
    #[inline]
    fn hash<Q: ?Sized + Hash>(&self, key: &Q) -> u64 {
        make_hash(&self.hash_builder, key)
    }

    /// The entry holding `key`, as a raw slot pointer.
    #[inline]
    fn find<Q>(&self, key: &Q) -> Option<*mut (K, V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        let hash = self.hash(key);
        let (page, mask) = self.table.page_for(hash)?;
        // SAFETY: the page is live while `self` is borrowed, and not written
        // (writes need `&mut self`); `mask` is its own (from its slot);
        // `find_in` returns a full slot.
        unsafe { page.find_in(mask, hash, key).map(|i| page.slot(i)) }
    }

    /// The value for `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: arcow::CowMap<String, u8> = [("a".to_string(), 1)].into_iter().collect();
    /// assert_eq!(m.get("a"), Some(&1));      // looked up by &str
    /// assert_eq!(m.get("b"), None);
    /// ```
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        // SAFETY: a full slot of a live page, borrowed with `self`.
        self.find(key).map(|e| unsafe { &(*e).1 })
    }

    /// The key and value for `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: arcow::CowMap<u8, char> = [(1, 'a')].into_iter().collect();
    /// assert_eq!(m.get_key_value(&1), Some((&1, &'a')));
    /// ```
    #[inline]
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        // SAFETY: a full slot of a live page, borrowed with `self`.
        self.find(key).map(|e| unsafe { (&(*e).0, &(*e).1) })
    }

    /// Does the map hold `key`?
    ///
    /// # Examples
    ///
    /// ```
    /// let m: arcow::CowMap<u8, u8> = [(1, 1)].into_iter().collect();
    /// assert!(m.contains_key(&1));
    /// assert!(!m.contains_key(&2));
    /// ```
    #[inline]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.find(key).is_some()
    }
}

impl<K, V, S> CowMap<K, V, S>
where
    K: Eq + Hash + Clone,
    V: Clone,
    S: BuildHasher,
{
    /// A mutable reference to the value for `key`. If the map shares the
    /// key's page, that page (and the directory nodes above it) is copied
    /// first; a missing key copies nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<u8, u32> = [(1, 10)].into_iter().collect();
    /// let snapshot = m.clone();
    /// *m.get_mut(&1).unwrap() += 1;          // shared: copies one page
    /// assert_eq!((m[&1], snapshot[&1]), (11, 10));
    /// assert!(m.get_mut(&2).is_none());      // missing: copies nothing
    /// ```
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        let hash = self.hash(key);
        let (page, i) = self.table.find_mut(hash, key)?;
        // SAFETY: a full slot of a page unique to this map, borrowed
        // mutably with `self`.
        Some(unsafe { &mut (*page.slot(i)).1 })
    }

    /// Inserts `value` for `key`, returning the value it replaces. An
    /// existing key keeps its stored key, as in `HashMap`. Copies the key's
    /// page if it is shared; a full page splits in two.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = arcow::CowMap::new();
    /// assert_eq!(m.insert("k", 1), None);
    /// assert_eq!(m.insert("k", 2), Some(1));
    /// assert_eq!(m["k"], 2);
    /// ```
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = self.hash(&key);
        let CowMap {
            table,
            hash_builder,
        } = self;
        table.insert(hash, key, value, &|k: &K| make_hash(hash_builder, k))
    }

    /// Inserts a key known to be missing; returns its page and slot.
    fn insert_new(&mut self, hash: u64, key: K, value: V) -> (page::RawPage<K, V>, usize) {
        let CowMap {
            table,
            hash_builder,
        } = self;
        let hash_of = |k: &K| make_hash(hash_builder, k);
        table.insert_new(hash, (key, value), &hash_of)
    }

    /// Removes `key`, returning its value. Copies the key's page if it is
    /// shared; a missing key copies nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<u8, u8> = [(1, 1)].into_iter().collect();
    /// let snapshot = m.clone();
    /// assert_eq!(m.remove(&1), Some(1));
    /// assert_eq!(m.remove(&1), None);
    /// assert_eq!(snapshot.get(&1), Some(&1));
    /// ```
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// Removes `key`, returning the stored key and its value.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<String, u8> = [("a".to_string(), 1)].into_iter().collect();
    /// assert_eq!(m.remove_entry("a"), Some(("a".to_string(), 1)));
    /// ```
    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        let hash = self.hash(key);
        let (page, i) = self.table.find_mut(hash, key)?;
        // SAFETY: `find_mut` gives a full slot of a page unique to us.
        Some(unsafe { self.table.remove_at(page, i) })
    }

    /// The entry for `key`, to read, change, insert or remove in place.
    /// An occupied entry has its page copied (if shared) here; a vacant one
    /// copies only when it is inserted into.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut words = arcow::CowMap::new();
    /// for w in ["a", "b", "a"] {
    ///     *words.entry(w).or_insert(0) += 1;
    /// }
    /// assert_eq!((words["a"], words["b"]), (2, 1));
    /// ```
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V, S> {
        let hash = self.hash(&key);
        match self.table.find_mut(hash, &key) {
            Some((page, index)) => Entry::Occupied(OccupiedEntry {
                map: self,
                page,
                index,
            }),
            None => Entry::Vacant(VacantEntry {
                map: self,
                hash,
                key,
            }),
        }
    }

    /// The entries, as `(&K, &mut V)`. Each shared page is copied when the
    /// iterator reaches it, so an iteration stopped early copies only the
    /// pages it passed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<u8, u32> = [(1, 1), (2, 2)].into_iter().collect();
    /// for (_, v) in m.iter_mut() {
    ///     *v *= 10;
    /// }
    /// assert_eq!((m[&1], m[&2]), (10, 20));
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut::new(&mut self.table)
    }

    /// The values, mutably; shared pages are copied as reached, as in
    /// [`iter_mut`](CowMap::iter_mut).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<u8, u32> = [(1, 1), (2, 2)].into_iter().collect();
    /// m.values_mut().for_each(|v| *v += 1);
    /// assert_eq!(m.values().sum::<u32>(), 5);
    /// ```
    pub fn values_mut(&mut self) -> ValuesMut<'_, K, V> {
        ValuesMut(self.iter_mut())
    }

    /// Keeps the entries for which `f` returns `true`. `f` gets `&mut V`,
    /// so every shared page it visits is copied first. If `f` panics, the
    /// entries seen so far keep their fate and the rest stay; the map stays
    /// valid.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
    /// m.retain(|k, _| k % 2 == 0);
    /// assert_eq!(m.len(), 50);
    /// ```
    pub fn retain<F>(&mut self, mut f: F)
    where
        F: FnMut(&K, &mut V) -> bool,
    {
        // SAFETY: the root belongs to `self`, borrowed mutably for the walk.
        let mut walk = unsafe { Walk::new(self.table.root_ptr()) };
        // SAFETY: a `Write` walk yields pages unique to this map; each
        // full slot is offered once; a removed entry is read out and its
        // slot erased before it is dropped, so a panic in `f` or in a drop
        // leaves the page consistent.
        unsafe {
            while let Some(page) = walk.next::<K, V, Write>() {
                for i in page.full_slots() {
                    let e = page.slot(i);
                    if !f(&(*e).0, &mut (*e).1) {
                        drop(self.table.remove_at(page, i));
                    }
                }
            }
        }
    }
}

impl<K, V, S: Clone> Clone for CowMap<K, V, S> {
    /// O(1) and allocation-free: one atomic increment (and the hasher's
    /// clone). Needs no `K: Clone` or `V: Clone`.
    fn clone(&self) -> Self {
        CowMap {
            table: self.table.clone(),
            hash_builder: self.hash_builder.clone(),
        }
    }
}

impl<K, V, S: Default> Default for CowMap<K, V, S> {
    /// An empty map; allocates nothing.
    fn default() -> Self {
        CowMap::with_hasher(S::default())
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for CowMap<K, V, S> {
    /// As a map, like `HashMap`'s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K, V, S> PartialEq for CowMap<K, V, S>
where
    K: Eq + Hash,
    V: PartialEq,
    S: BuildHasher,
{
    /// By contents, whatever the order and the hashers' seeds.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K: Eq + Hash, V: Eq, S: BuildHasher> Eq for CowMap<K, V, S> {}

impl<K, Q, V, S> Index<&Q> for CowMap<K, V, S>
where
    K: Eq + Hash + Borrow<Q>,
    Q: ?Sized + Eq + Hash,
    S: BuildHasher,
{
    type Output = V;

    /// The value for `key`.
    ///
    /// # Panics
    ///
    /// If the key is missing.
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("CowMap: key not found")
    }
}

impl<K, V, S> FromIterator<(K, V)> for CowMap<K, V, S>
where
    K: Eq + Hash + Clone,
    V: Clone,
    S: BuildHasher + Default,
{
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = CowMap::with_hasher(S::default());
        map.extend(iter);
        map
    }
}

impl<K, V, S> Extend<(K, V)> for CowMap<K, V, S>
where
    K: Eq + Hash + Clone,
    V: Clone,
    S: BuildHasher,
{
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<'a, K, V, S> Extend<(&'a K, &'a V)> for CowMap<K, V, S>
where
    K: Eq + Hash + Copy,
    V: Copy,
    S: BuildHasher,
{
    fn extend<I: IntoIterator<Item = (&'a K, &'a V)>>(&mut self, iter: I) {
        for (&k, &v) in iter {
            self.insert(k, v);
        }
    }
}

#[cfg(feature = "std")]
impl<K, V, const N: usize> From<[(K, V); N]> for CowMap<K, V>
where
    K: Eq + Hash + Clone,
    V: Clone,
{
    /// # Examples
    ///
    /// ```
    /// let m = arcow::CowMap::from([(1, 2), (3, 4)]);
    /// assert_eq!(m[&3], 4);
    /// ```
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<'a, K, V, S> IntoIterator for &'a CowMap<K, V, S> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K, V, S> IntoIterator for &'a mut CowMap<K, V, S>
where
    K: Eq + Hash + Clone,
    V: Clone,
    S: BuildHasher,
{
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}

impl<K: Clone, V: Clone, S> IntoIterator for CowMap<K, V, S> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    /// Moves the entries out of pages this map alone holds, and clones them
    /// out of pages it shares (with snapshots, which keep theirs).
    ///
    /// # Examples
    ///
    /// ```
    /// let m: arcow::CowMap<u8, String> = [(1, "a".to_string())].into_iter().collect();
    /// let v: Vec<(u8, String)> = m.into_iter().collect();   // unique: moved
    /// assert_eq!(v, [(1, "a".to_string())]);
    /// ```
    fn into_iter(mut self) -> IntoIter<K, V> {
        IntoIter::new(&mut self.table)
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::CowMap;
    use core::fmt;
    use core::hash::{BuildHasher, Hash};
    use core::marker::PhantomData;
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use serde::ser::{Serialize, Serializer};

    impl<K: Serialize, V: Serialize, S> Serialize for CowMap<K, V, S> {
        /// As a map, like `HashMap`.
        fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
            serializer.collect_map(self.iter())
        }
    }

    impl<'de, K, V, S> Deserialize<'de> for CowMap<K, V, S>
    where
        K: Deserialize<'de> + Eq + Hash + Clone,
        V: Deserialize<'de> + Clone,
        S: BuildHasher + Default,
    {
        /// From a map; a repeated key keeps its last value, like `HashMap`.
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct MapVisitor<K, V, S>(PhantomData<CowMap<K, V, S>>);
            impl<'de, K, V, S> Visitor<'de> for MapVisitor<K, V, S>
            where
                K: Deserialize<'de> + Eq + Hash + Clone,
                V: Deserialize<'de> + Clone,
                S: BuildHasher + Default,
            {
                type Value = CowMap<K, V, S>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a map")
                }
                fn visit_map<A: MapAccess<'de>>(
                    self,
                    mut access: A,
                ) -> Result<Self::Value, A::Error> {
                    let mut map = CowMap::with_hasher(S::default());
                    while let Some((k, v)) = access.next_entry()? {
                        map.insert(k, v);
                    }
                    Ok(map)
                }
            }
            deserializer.deserialize_map(MapVisitor(PhantomData))
        }
    }
}

#[cfg(test)]
mod tests;
