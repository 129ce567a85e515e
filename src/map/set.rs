//! [`CowSet<T, S>`]: a [`CowMap<T, ()>`](CowMap) with `HashSet`'s face.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::iter::{Chain, FusedIterator};

use super::{CowMap, IntoIter, Keys};

/// Defines `CowSet` with `S = RandomState` by default under `std`.
macro_rules! define_set {
    ($($default:tt)*) => {
        /// A hash set split into refcounted pages of about 4 KiB: a
        /// [`CowMap<T, ()>`](crate::CowMap) with `HashSet`'s API. Clone is
        /// O(1); the first write after a clone copies one page.
        ///
        /// # Examples
        ///
        /// ```
        /// use arcow::CowSet;
        ///
        /// let mut banned: CowSet<u32> = [1, 2, 3].into_iter().collect();
        /// let snapshot = banned.clone();        // O(1)
        /// banned.insert(4);                     // copies one page
        /// assert!(banned.contains(&4) && !snapshot.contains(&4));
        /// ```
        pub struct CowSet<T, S $($default)*> {
            map: CowMap<T, (), S>,
        }
    };
}

#[cfg(feature = "std")]
define_set!(= std::hash::RandomState);
#[cfg(not(feature = "std"))]
define_set!();

#[cfg(feature = "std")]
impl<T> CowSet<T, std::hash::RandomState> {
    /// An empty set; allocates nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let s: arcow::CowSet<u8> = arcow::CowSet::new();
    /// assert!(s.is_empty());
    /// ```
    pub fn new() -> Self {
        CowSet { map: CowMap::new() }
    }

    /// An empty set whose first page has room for `capacity` values (up to
    /// one page's worth).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = arcow::CowSet::with_capacity(8);
    /// s.insert(1);
    /// assert_eq!(s.len(), 1);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        CowSet {
            map: CowMap::with_capacity(capacity),
        }
    }
}

impl<T, S> CowSet<T, S> {
    /// An empty set hashing with `hash_builder`; allocates nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = arcow::CowSet::with_hasher(std::hash::RandomState::new());
    /// s.insert("a");
    /// assert!(s.contains("a"));
    /// ```
    pub const fn with_hasher(hash_builder: S) -> Self {
        CowSet {
            map: CowMap::with_hasher(hash_builder),
        }
    }

    /// The number of values.
    ///
    /// # Examples
    ///
    /// ```
    /// let s: arcow::CowSet<u8> = [1, 2, 2].into_iter().collect();
    /// assert_eq!(s.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Is the set empty?
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(arcow::CowSet::<u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The set's hasher.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::BuildHasher;
    /// let s: arcow::CowSet<u8> = arcow::CowSet::new();
    /// let _ = s.hasher().hash_one(1u8);
    /// ```
    pub fn hasher(&self) -> &S {
        self.map.hasher()
    }

    /// Removes every value (a shared set lets its pages go).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s: arcow::CowSet<u8> = [1].into_iter().collect();
    /// s.clear();
    /// assert!(s.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.map.clear()
    }

    /// The values, in unspecified order.
    ///
    /// # Examples
    ///
    /// ```
    /// let s: arcow::CowSet<u8> = [1, 2].into_iter().collect();
    /// assert_eq!(s.iter().copied().sum::<u8>(), 3);
    /// ```
    pub fn iter(&self) -> SetIter<'_, T> {
        SetIter(self.map.keys())
    }
}

impl<T, S> CowSet<T, S>
where
    T: Eq + Hash,
    S: BuildHasher,
{
    /// Is `value` in the set?
    ///
    /// # Examples
    ///
    /// ```
    /// let s: arcow::CowSet<String> = ["a".to_string()].into_iter().collect();
    /// assert!(s.contains("a"));
    /// ```
    pub fn contains<Q>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.map.contains_key(value)
    }

    /// The stored value equal to `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s: arcow::CowSet<String> = ["a".to_string()].into_iter().collect();
    /// assert_eq!(s.get("a").map(String::as_str), Some("a"));
    /// ```
    pub fn get<Q>(&self, value: &Q) -> Option<&T>
    where
        T: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.map.get_key_value(value).map(|(k, _)| k)
    }

    /// Is every value of `self` in `other`?
    ///
    /// # Examples
    ///
    /// ```
    /// let a: arcow::CowSet<u8> = [1].into_iter().collect();
    /// let b: arcow::CowSet<u8> = [1, 2].into_iter().collect();
    /// assert!(a.is_subset(&b) && !b.is_subset(&a));
    /// ```
    pub fn is_subset(&self, other: &Self) -> bool {
        self.len() <= other.len() && self.iter().all(|v| other.contains(v))
    }

    /// Is every value of `other` in `self`?
    ///
    /// # Examples
    ///
    /// ```
    /// let a: arcow::CowSet<u8> = [1, 2].into_iter().collect();
    /// let b: arcow::CowSet<u8> = [2].into_iter().collect();
    /// assert!(a.is_superset(&b));
    /// ```
    pub fn is_superset(&self, other: &Self) -> bool {
        other.is_subset(self)
    }

    /// Do the sets have no value in common?
    ///
    /// # Examples
    ///
    /// ```
    /// let a: arcow::CowSet<u8> = [1].into_iter().collect();
    /// let b: arcow::CowSet<u8> = [2].into_iter().collect();
    /// assert!(a.is_disjoint(&b));
    /// ```
    pub fn is_disjoint(&self, other: &Self) -> bool {
        let (small, large) = if self.len() <= other.len() {
            (self, other)
        } else {
            (other, self)
        };
        small.iter().all(|v| !large.contains(v))
    }

    /// The values in `self` or `other`, each once.
    ///
    /// # Examples
    ///
    /// ```
    /// let a: arcow::CowSet<u8> = [1, 2].into_iter().collect();
    /// let b: arcow::CowSet<u8> = [2, 3].into_iter().collect();
    /// let mut u: Vec<_> = a.union(&b).copied().collect();
    /// u.sort();
    /// assert_eq!(u, [1, 2, 3]);
    /// ```
    pub fn union<'a>(&'a self, other: &'a Self) -> Union<'a, T, S> {
        Union(self.iter().chain(other.difference(self)))
    }

    /// The values in both sets.
    ///
    /// # Examples
    ///
    /// ```
    /// let a: arcow::CowSet<u8> = [1, 2].into_iter().collect();
    /// let b: arcow::CowSet<u8> = [2, 3].into_iter().collect();
    /// assert_eq!(a.intersection(&b).collect::<Vec<_>>(), [&2]);
    /// ```
    pub fn intersection<'a>(&'a self, other: &'a Self) -> Intersection<'a, T, S> {
        let (small, large) = if self.len() <= other.len() {
            (self, other)
        } else {
            (other, self)
        };
        Intersection {
            iter: small.iter(),
            other: large,
        }
    }

    /// The values in `self` but not in `other`.
    ///
    /// # Examples
    ///
    /// ```
    /// let a: arcow::CowSet<u8> = [1, 2].into_iter().collect();
    /// let b: arcow::CowSet<u8> = [2, 3].into_iter().collect();
    /// assert_eq!(a.difference(&b).collect::<Vec<_>>(), [&1]);
    /// ```
    pub fn difference<'a>(&'a self, other: &'a Self) -> Difference<'a, T, S> {
        Difference {
            iter: self.iter(),
            other,
        }
    }

    /// The values in exactly one of the sets.
    ///
    /// # Examples
    ///
    /// ```
    /// let a: arcow::CowSet<u8> = [1, 2].into_iter().collect();
    /// let b: arcow::CowSet<u8> = [2, 3].into_iter().collect();
    /// let mut d: Vec<_> = a.symmetric_difference(&b).copied().collect();
    /// d.sort();
    /// assert_eq!(d, [1, 3]);
    /// ```
    pub fn symmetric_difference<'a>(&'a self, other: &'a Self) -> SymmetricDifference<'a, T, S> {
        SymmetricDifference(self.difference(other).chain(other.difference(self)))
    }
}

impl<T, S> CowSet<T, S>
where
    T: Eq + Hash + Clone,
    S: BuildHasher,
{
    /// Adds `value`; `false` if it was there already (the stored value
    /// stays). Copies one page if the set shares it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = arcow::CowSet::new();
    /// assert!(s.insert(1));
    /// assert!(!s.insert(1));
    /// ```
    pub fn insert(&mut self, value: T) -> bool {
        self.map.insert(value, ()).is_none()
    }

    /// Removes `value`; `false` if it was not there (then nothing is
    /// copied).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s: arcow::CowSet<u8> = [1].into_iter().collect();
    /// assert!(s.remove(&1));
    /// assert!(!s.remove(&1));
    /// ```
    pub fn remove<Q>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.map.remove(value).is_some()
    }

    /// Removes and returns the stored value equal to `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s: arcow::CowSet<String> = ["a".to_string()].into_iter().collect();
    /// assert_eq!(s.take("a"), Some("a".to_string()));
    /// ```
    pub fn take<Q>(&mut self, value: &Q) -> Option<T>
    where
        T: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.map.remove_entry(value).map(|(k, ())| k)
    }

    /// Keeps the values for which `f` returns `true` (copying the shared
    /// pages it visits).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s: arcow::CowSet<u32> = (0..10).collect();
    /// s.retain(|v| v % 2 == 0);
    /// assert_eq!(s.len(), 5);
    /// ```
    pub fn retain<F: FnMut(&T) -> bool>(&mut self, mut f: F) {
        self.map.retain(|k, ()| f(k))
    }
}

impl<T, S: Clone> Clone for CowSet<T, S> {
    /// O(1) and allocation-free.
    fn clone(&self) -> Self {
        CowSet {
            map: self.map.clone(),
        }
    }
}

impl<T, S: Default> Default for CowSet<T, S> {
    fn default() -> Self {
        CowSet::with_hasher(S::default())
    }
}

impl<T: fmt::Debug, S> fmt::Debug for CowSet<T, S> {
    /// As a set, like `HashSet`'s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<T: Eq + Hash, S: BuildHasher> PartialEq for CowSet<T, S> {
    /// By contents, whatever the order and the hashers' seeds.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.is_subset(other)
    }
}

impl<T: Eq + Hash, S: BuildHasher> Eq for CowSet<T, S> {}

impl<T, S> FromIterator<T> for CowSet<T, S>
where
    T: Eq + Hash + Clone,
    S: BuildHasher + Default,
{
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = CowSet::with_hasher(S::default());
        set.extend(iter);
        set
    }
}

impl<T, S> Extend<T> for CowSet<T, S>
where
    T: Eq + Hash + Clone,
    S: BuildHasher,
{
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for v in iter {
            self.insert(v);
        }
    }
}

impl<'a, T, S> Extend<&'a T> for CowSet<T, S>
where
    T: Eq + Hash + Copy,
    S: BuildHasher,
{
    fn extend<I: IntoIterator<Item = &'a T>>(&mut self, iter: I) {
        for &v in iter {
            self.insert(v);
        }
    }
}

impl<'a, T, S> IntoIterator for &'a CowSet<T, S> {
    type Item = &'a T;
    type IntoIter = SetIter<'a, T>;

    fn into_iter(self) -> SetIter<'a, T> {
        self.iter()
    }
}

impl<T: Clone, S> IntoIterator for CowSet<T, S> {
    type Item = T;
    type IntoIter = SetIntoIter<T>;

    /// Moves values out of pages the set holds alone, clones the rest.
    fn into_iter(self) -> SetIntoIter<T> {
        SetIntoIter(self.map.into_iter())
    }
}

/// The values of a [`CowSet`], from [`CowSet::iter`].
///
/// # Examples
///
/// ```
/// let s: arcow::CowSet<u8> = [5].into_iter().collect();
/// assert_eq!(s.iter().next(), Some(&5));
/// ```
pub struct SetIter<'a, T>(Keys<'a, T, ()>);

impl<'a, T> Iterator for SetIter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<T> ExactSizeIterator for SetIter<'_, T> {}
impl<T> FusedIterator for SetIter<'_, T> {}

impl<T> Clone for SetIter<'_, T> {
    fn clone(&self) -> Self {
        SetIter(self.0.clone())
    }
}

impl<T: fmt::Debug> fmt::Debug for SetIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// The values of a [`CowSet`], by value.
///
/// # Examples
///
/// ```
/// let s: arcow::CowSet<u8> = [5].into_iter().collect();
/// assert_eq!(s.into_iter().collect::<Vec<_>>(), [5]);
/// ```
pub struct SetIntoIter<T>(IntoIter<T, ()>);

impl<T: Clone> Iterator for SetIntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.0.next().map(|(k, ())| k)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<T: Clone> ExactSizeIterator for SetIntoIter<T> {}
impl<T: Clone> FusedIterator for SetIntoIter<T> {}

impl<T> fmt::Debug for SetIntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The values of one set that are also in another, from
/// [`CowSet::intersection`].
///
/// # Examples
///
/// ```
/// let a: arcow::CowSet<u8> = [1, 2].into_iter().collect();
/// let b: arcow::CowSet<u8> = [2].into_iter().collect();
/// assert_eq!(a.intersection(&b).count(), 1);
/// ```
pub struct Intersection<'a, T, S> {
    iter: SetIter<'a, T>,
    other: &'a CowSet<T, S>,
}

/// The values of one set that are not in another, from
/// [`CowSet::difference`].
///
/// # Examples
///
/// ```
/// let a: arcow::CowSet<u8> = [1, 2].into_iter().collect();
/// let b: arcow::CowSet<u8> = [2].into_iter().collect();
/// assert_eq!(a.difference(&b).count(), 1);
/// ```
pub struct Difference<'a, T, S> {
    iter: SetIter<'a, T>,
    other: &'a CowSet<T, S>,
}

/// The values in either of two sets, each once, from [`CowSet::union`].
///
/// # Examples
///
/// ```
/// let a: arcow::CowSet<u8> = [1].into_iter().collect();
/// let b: arcow::CowSet<u8> = [1, 2].into_iter().collect();
/// assert_eq!(a.union(&b).count(), 2);
/// ```
pub struct Union<'a, T, S>(Chain<SetIter<'a, T>, Difference<'a, T, S>>);

/// The values in exactly one of two sets, from
/// [`CowSet::symmetric_difference`].
///
/// # Examples
///
/// ```
/// let a: arcow::CowSet<u8> = [1].into_iter().collect();
/// let b: arcow::CowSet<u8> = [2].into_iter().collect();
/// assert_eq!(a.symmetric_difference(&b).count(), 2);
/// ```
pub struct SymmetricDifference<'a, T, S>(Chain<Difference<'a, T, S>, Difference<'a, T, S>>);

impl<'a, T: Eq + Hash, S: BuildHasher> Iterator for Intersection<'a, T, S> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        let other = self.other;
        self.iter.by_ref().find(|v| other.contains(*v))
    }
}

impl<'a, T: Eq + Hash, S: BuildHasher> Iterator for Difference<'a, T, S> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        let other = self.other;
        self.iter.by_ref().find(|v| !other.contains(*v))
    }
}

impl<'a, T: Eq + Hash, S: BuildHasher> Iterator for Union<'a, T, S> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        self.0.next()
    }
}

impl<'a, T: Eq + Hash, S: BuildHasher> Iterator for SymmetricDifference<'a, T, S> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        self.0.next()
    }
}

macro_rules! set_op_traits {
    ($($name:ident),*) => {$(
        impl<T: Eq + Hash, S: BuildHasher> FusedIterator for $name<'_, T, S> {}

        impl<T: fmt::Debug, S> fmt::Debug for $name<'_, T, S> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    )*};
}

set_op_traits!(Intersection, Difference, Union, SymmetricDifference);

#[cfg(feature = "serde")]
mod serde_impls {
    use super::CowSet;
    use core::fmt;
    use core::hash::{BuildHasher, Hash};
    use core::marker::PhantomData;
    use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
    use serde::ser::{Serialize, Serializer};

    impl<T: Serialize, S> Serialize for CowSet<T, S> {
        /// As a sequence, like `HashSet`.
        fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
            serializer.collect_seq(self.iter())
        }
    }

    impl<'de, T, S> Deserialize<'de> for CowSet<T, S>
    where
        T: Deserialize<'de> + Eq + Hash + Clone,
        S: BuildHasher + Default,
    {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct SetVisitor<T, S>(PhantomData<CowSet<T, S>>);
            impl<'de, T, S> Visitor<'de> for SetVisitor<T, S>
            where
                T: Deserialize<'de> + Eq + Hash + Clone,
                S: BuildHasher + Default,
            {
                type Value = CowSet<T, S>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a sequence")
                }
                fn visit_seq<A: SeqAccess<'de>>(
                    self,
                    mut access: A,
                ) -> Result<Self::Value, A::Error> {
                    let mut set = CowSet::with_hasher(S::default());
                    while let Some(v) = access.next_element()? {
                        set.insert(v);
                    }
                    Ok(set)
                }
            }
            deserializer.deserialize_seq(SetVisitor(PhantomData))
        }
    }
}
