//! The entry API: [`Entry`], [`OccupiedEntry`], [`VacantEntry`].

use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::mem;

use super::page::RawPage;
use super::CowMap;

/// A view into one key's place in a [`CowMap`], from
/// [`CowMap::entry`].
///
/// # Examples
///
/// ```
/// use arcow::map::Entry;
///
/// let mut m: arcow::CowMap<&str, u32> = arcow::CowMap::new();
/// match m.entry("a") {
///     Entry::Occupied(_) => unreachable!(),
///     Entry::Vacant(v) => { v.insert(1); }
/// }
/// m.entry("a").and_modify(|n| *n += 1).or_insert(0);
/// assert_eq!(m["a"], 2);
/// ```
pub enum Entry<'a, K, V, S> {
    /// The key is in the map; its page is this map's alone.
    Occupied(OccupiedEntry<'a, K, V, S>),
    /// The key is not in the map.
    Vacant(VacantEntry<'a, K, V, S>),
}

/// An entry whose key is in the map. Its page was made the map's alone
/// (copied, if it was shared) when the entry was made.
///
/// # Examples
///
/// ```
/// use arcow::map::Entry;
///
/// let mut m: arcow::CowMap<u8, u8> = [(1, 10)].into_iter().collect();
/// if let Entry::Occupied(mut o) = m.entry(1) {
///     assert_eq!((*o.key(), *o.get()), (1, 10));
///     *o.get_mut() += 1;
///     assert_eq!(o.remove(), 11);
/// }
/// assert!(m.is_empty());
/// ```
pub struct OccupiedEntry<'a, K, V, S> {
    pub(super) map: &'a mut CowMap<K, V, S>,
    /// Invariant: a page of `map`, unique to it, whose slot `index` is full
    /// and holds the entry's key; valid while `map` is borrowed here.
    pub(super) page: RawPage<K, V>,
    pub(super) index: usize,
}

/// An entry whose key is not in the map; [`insert`](VacantEntry::insert)
/// puts it there.
///
/// # Examples
///
/// ```
/// use arcow::map::Entry;
///
/// let mut m: arcow::CowMap<u8, u8> = arcow::CowMap::new();
/// if let Entry::Vacant(v) = m.entry(7) {
///     assert_eq!(*v.key(), 7);
///     *v.insert(1) += 1;
/// }
/// assert_eq!(m[&7], 2);
/// ```
pub struct VacantEntry<'a, K, V, S> {
    pub(super) map: &'a mut CowMap<K, V, S>,
    pub(super) hash: u64,
    pub(super) key: K,
}

impl<'a, K, V, S> Entry<'a, K, V, S>
where
    K: Eq + Hash + Clone,
    V: Clone,
    S: BuildHasher,
{
    /// The value, inserting `default` if the key is missing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = arcow::CowMap::new();
    /// *m.entry("x").or_insert(1) += 10;
    /// assert_eq!(m["x"], 11);
    /// ```
    pub fn or_insert(self, default: V) -> &'a mut V {
        match self {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(default),
        }
    }

    /// The value, inserting `default()` if the key is missing (`default`
    /// runs only then).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<u8, Vec<u8>> = arcow::CowMap::new();
    /// m.entry(1).or_insert_with(Vec::new).push(5);
    /// assert_eq!(m[&1], [5]);
    /// ```
    pub fn or_insert_with<F: FnOnce() -> V>(self, default: F) -> &'a mut V {
        match self {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(default()),
        }
    }

    /// The value, inserting `default(&key)` if the key is missing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<u8, u16> = arcow::CowMap::new();
    /// assert_eq!(*m.entry(3).or_insert_with_key(|k| *k as u16 * 2), 6);
    /// ```
    pub fn or_insert_with_key<F: FnOnce(&K) -> V>(self, default: F) -> &'a mut V {
        match self {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                let value = default(&v.key);
                v.insert(value)
            }
        }
    }

    /// The value, inserting `V::default()` if the key is missing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<&str, u32> = arcow::CowMap::new();
    /// *m.entry("n").or_default() += 1;
    /// assert_eq!(m["n"], 1);
    /// ```
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }

    /// Runs `f` on the value if the key is present, and hands the entry on.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = arcow::CowMap::from([("a", 1)]);
    /// m.entry("a").and_modify(|v| *v += 1).or_insert(0);
    /// m.entry("b").and_modify(|v| *v += 1).or_insert(0);
    /// assert_eq!((m["a"], m["b"]), (2, 0));
    /// ```
    pub fn and_modify<F: FnOnce(&mut V)>(self, f: F) -> Self {
        match self {
            Entry::Occupied(mut o) => {
                f(o.get_mut());
                Entry::Occupied(o)
            }
            vacant => vacant,
        }
    }

    /// The entry's key.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<u8, u8> = arcow::CowMap::new();
    /// assert_eq!(*m.entry(4).key(), 4);
    /// ```
    pub fn key(&self) -> &K {
        match self {
            Entry::Occupied(o) => o.key(),
            Entry::Vacant(v) => v.key(),
        }
    }

    /// Sets the value, inserting the key if missing, and returns the
    /// occupied entry.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: arcow::CowMap<u8, u8> = arcow::CowMap::new();
    /// let o = m.entry(1).insert_entry(9);
    /// assert_eq!(*o.get(), 9);
    /// ```
    pub fn insert_entry(self, value: V) -> OccupiedEntry<'a, K, V, S> {
        match self {
            Entry::Occupied(mut o) => {
                o.insert(value);
                o
            }
            Entry::Vacant(v) => v.insert_entry(value),
        }
    }
}

impl<'a, K, V, S> OccupiedEntry<'a, K, V, S> {
    /// The slot's entry.
    #[inline]
    fn slot(&self) -> *mut (K, V) {
        // SAFETY: field invariant: slot `index` of a live page is full.
        unsafe { self.page.slot(self.index) }
    }

    /// The stored key (not the one given to `entry`).
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::map::Entry;
    /// let mut m = arcow::CowMap::from([(1, 'a')]);
    /// if let Entry::Occupied(o) = m.entry(1) {
    ///     assert_eq!(*o.key(), 1);
    /// }
    /// ```
    pub fn key(&self) -> &K {
        // SAFETY: a full slot, borrowed with `self`.
        unsafe { &(*self.slot()).0 }
    }

    /// The value.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::map::Entry;
    /// let mut m = arcow::CowMap::from([(1, 'a')]);
    /// if let Entry::Occupied(o) = m.entry(1) {
    ///     assert_eq!(*o.get(), 'a');
    /// }
    /// ```
    pub fn get(&self) -> &V {
        // SAFETY: a full slot, borrowed with `self`.
        unsafe { &(*self.slot()).1 }
    }

    /// The value, mutably (the page is already this map's alone).
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::map::Entry;
    /// let mut m = arcow::CowMap::from([(1, 1)]);
    /// if let Entry::Occupied(mut o) = m.entry(1) {
    ///     *o.get_mut() = 5;
    /// }
    /// assert_eq!(m[&1], 5);
    /// ```
    pub fn get_mut(&mut self) -> &mut V {
        // SAFETY: a full slot of a page unique to the map, which `self`
        // borrows mutably.
        unsafe { &mut (*self.slot()).1 }
    }

    /// The value, mutably, for as long as the map was borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::map::Entry;
    /// let mut m = arcow::CowMap::from([(1, 1)]);
    /// let v = match m.entry(1) {
    ///     Entry::Occupied(o) => o.into_mut(),
    ///     Entry::Vacant(_) => unreachable!(),
    /// };
    /// *v = 7;
    /// assert_eq!(m[&1], 7);
    /// ```
    pub fn into_mut(self) -> &'a mut V {
        // SAFETY: as for `get_mut`, for the map's borrow `'a`.
        unsafe { &mut (*self.slot()).1 }
    }

    /// Replaces the value, returning the old one.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::map::Entry;
    /// let mut m = arcow::CowMap::from([(1, 1)]);
    /// if let Entry::Occupied(mut o) = m.entry(1) {
    ///     assert_eq!(o.insert(2), 1);
    /// }
    /// assert_eq!(m[&1], 2);
    /// ```
    pub fn insert(&mut self, value: V) -> V {
        mem::replace(self.get_mut(), value)
    }

    /// Removes the entry, returning its value.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::map::Entry;
    /// let mut m = arcow::CowMap::from([(1, 1)]);
    /// if let Entry::Occupied(o) = m.entry(1) {
    ///     assert_eq!(o.remove(), 1);
    /// }
    /// assert!(m.is_empty());
    /// ```
    pub fn remove(self) -> V {
        self.remove_entry().1
    }

    /// Removes the entry, returning the stored key and the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::map::Entry;
    /// let mut m = arcow::CowMap::from([(1, 1)]);
    /// if let Entry::Occupied(o) = m.entry(1) {
    ///     assert_eq!(o.remove_entry(), (1, 1));
    /// }
    /// ```
    pub fn remove_entry(self) -> (K, V) {
        // SAFETY: field invariant: a full slot of a page unique to the map.
        unsafe { self.map.table.remove_at(self.page, self.index) }
    }
}

impl<'a, K, V, S> VacantEntry<'a, K, V, S>
where
    K: Eq + Hash + Clone,
    V: Clone,
    S: BuildHasher,
{
    /// The key that would be inserted.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::map::Entry;
    /// let mut m: arcow::CowMap<u8, u8> = arcow::CowMap::new();
    /// if let Entry::Vacant(v) = m.entry(2) {
    ///     assert_eq!(*v.key(), 2);
    /// }
    /// ```
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Takes the key back without inserting.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::map::Entry;
    /// let mut m: arcow::CowMap<String, u8> = arcow::CowMap::new();
    /// if let Entry::Vacant(v) = m.entry("k".to_string()) {
    ///     assert_eq!(v.into_key(), "k");
    /// }
    /// ```
    pub fn into_key(self) -> K {
        self.key
    }

    /// Inserts the value (copying the key's page first if it is shared),
    /// and returns it mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::map::Entry;
    /// let mut m: arcow::CowMap<u8, u8> = arcow::CowMap::new();
    /// if let Entry::Vacant(v) = m.entry(2) {
    ///     *v.insert(3) += 1;
    /// }
    /// assert_eq!(m[&2], 4);
    /// ```
    pub fn insert(self, value: V) -> &'a mut V {
        let (page, i) = self.map.insert_new(self.hash, self.key, value);
        // SAFETY: `insert_new` returns the new entry's full slot in a page
        // unique to the map, which stays borrowed for `'a`.
        unsafe { &mut (*page.slot(i)).1 }
    }

    /// Inserts the value and returns the occupied entry.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::map::Entry;
    /// let mut m: arcow::CowMap<u8, u8> = arcow::CowMap::new();
    /// if let Entry::Vacant(v) = m.entry(2) {
    ///     assert_eq!(*v.insert_entry(5).get(), 5);
    /// }
    /// ```
    pub fn insert_entry(self, value: V) -> OccupiedEntry<'a, K, V, S> {
        let (page, index) = self.map.insert_new(self.hash, self.key, value);
        OccupiedEntry {
            map: self.map,
            page,
            index,
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for Entry<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Occupied(o) => f.debug_tuple("Entry").field(o).finish(),
            Entry::Vacant(v) => f.debug_tuple("Entry").field(v).finish(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for OccupiedEntry<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OccupiedEntry")
            .field("key", self.key())
            .field("value", self.get())
            .finish()
    }
}

impl<K: fmt::Debug, V, S> fmt::Debug for VacantEntry<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VacantEntry").field(&self.key).finish()
    }
}
