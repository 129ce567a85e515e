//! The public API of `CowMap<K, V, S>` and `CowSet<T, S>`, method by method
//! and trait by trait (DESIGN.md, "CowMap<K, V, S>"), each checked against
//! what std's `HashMap` / `HashSet` does, and the snapshot semantics: a
//! clone is O(1) (`ptr_eq`) and never sees the original's later writes.
//!
//! Sizes: most tests use a few entries; the ones marked "big" go past a
//! page (a few thousand entries natively, a few hundred under Miri) so that
//! pages split and the directory grows.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::hash::{BuildHasher, Hash, RandomState};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use arcow::map::{
    Entry, IntoIter, Iter, IterMut, Keys, OccupiedEntry, VacantEntry, Values, ValuesMut,
};
use arcow::{CowMap, CowSet};
use static_assertions::{assert_impl_all, assert_not_impl_any};

mod common;

use common::elems::{A4096, A64};
use common::hashers::{Constant, LowOnly, Masked, Sip, Top8};

/// Entries in the "big" tests: past one page (a 4 KiB page holds a few
/// hundred `u64 -> u64`), so pages split.
const BIG: u64 = if cfg!(miri) { 240 } else { 5000 };

// ---------------------------------------------------------------------------
// Send / Sync: exactly when the keys and values are Send + Sync
// ---------------------------------------------------------------------------

assert_impl_all!(CowMap<u64, u64>: Send, Sync, Clone, Default, Debug);
assert_impl_all!(CowMap<String, Vec<u8>>: Send, Sync);
assert_impl_all!(CowMap<Arc<str>, Arc<u8>>: Send, Sync);
assert_impl_all!(CowSet<u64>: Send, Sync, Clone, Default, Debug);
assert_impl_all!(CowSet<String>: Send, Sync);
// Not Sync: a snapshot on another thread would read through a shared page.
assert_not_impl_any!(CowMap<Cell<u8>, u8>: Send, Sync);
assert_not_impl_any!(CowMap<u8, Cell<u8>>: Send, Sync);
assert_not_impl_any!(CowMap<Rc<u8>, u8>: Send, Sync);
assert_not_impl_any!(CowMap<u8, Rc<u8>>: Send, Sync);
assert_not_impl_any!(CowSet<Rc<u8>>: Send, Sync);
assert_not_impl_any!(CowSet<Cell<u8>>: Send, Sync);
// Not Send: `MutexGuard` is Sync but not Send.
assert_not_impl_any!(CowMap<u8, std::sync::MutexGuard<'static, u8>>: Send, Sync);
// A hasher that is not Send makes the map not Send.
assert_not_impl_any!(CowMap<u8, u8, RcState>: Send, Sync);
// The iterators: shared ones like `&HashMap`'s.
assert_impl_all!(Iter<'static, u64, u64>: Send, Sync, Clone);
assert_impl_all!(Keys<'static, u64, u64>: Send, Sync, Clone);
assert_impl_all!(Values<'static, u64, u64>: Send, Sync, Clone);
assert_impl_all!(IterMut<'static, u64, u64>: Send, Sync);
assert_impl_all!(ValuesMut<'static, u64, u64>: Send, Sync);
assert_impl_all!(IntoIter<u64, u64>: Send, Sync);
assert_not_impl_any!(Iter<'static, Rc<u8>, u8>: Send, Sync);
assert_not_impl_any!(IntoIter<Rc<u8>, u8>: Send, Sync);
assert_not_impl_any!(IntoIter<Cell<u8>, u8>: Send, Sync);

/// A `BuildHasher` that is `!Send` (for the assertion above).
#[derive(Clone, Default)]
struct RcState(std::marker::PhantomData<Rc<()>>);
impl BuildHasher for RcState {
    type Hasher = std::collections::hash_map::DefaultHasher;
    fn build_hasher(&self) -> Self::Hasher {
        Default::default()
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The map's entries, cloned and sorted.
fn sorted<K: Ord + Clone, V: Clone, S>(m: &CowMap<K, V, S>) -> Vec<(K, V)> {
    let mut v: Vec<(K, V)> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// A std map's entries, sorted.
fn sorted_std<K: Ord + Clone, V: Clone>(m: &HashMap<K, V>) -> Vec<(K, V)> {
    let mut v: Vec<(K, V)> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Checks every read of `m` against `model`, with `probe` keys that may be
/// missing.
#[track_caller]
fn check_map<K, V, S>(
    m: &CowMap<K, V, S>,
    model: &HashMap<K, V>,
    probe: impl IntoIterator<Item = K>,
) where
    K: Ord + Hash + Clone + Debug,
    V: PartialEq + Clone + Debug,
    S: BuildHasher,
{
    assert_eq!(m.len(), model.len());
    assert_eq!(m.is_empty(), model.is_empty());
    assert_eq!(m.iter().len(), model.len());
    assert_eq!(m.iter().count(), model.len());
    assert_eq!(sorted(m), sorted_std(model));
    // Under Miri, every 16th probe key: hashing is slow there.
    for k in probe.into_iter().step_by(if cfg!(miri) { 16 } else { 1 }) {
        assert_eq!(m.get(&k), model.get(&k), "get {k:?}");
        assert_eq!(m.contains_key(&k), model.contains_key(&k));
        assert_eq!(m.get_key_value(&k), model.get_key_value(&k));
    }
}

// ---------------------------------------------------------------------------
// Construction, len, hasher
// ---------------------------------------------------------------------------

#[test]
fn constructors() {
    let a: CowMap<u64, u64> = CowMap::new();
    let b: CowMap<u64, u64> = CowMap::default();
    let c: CowMap<u64, u64> = CowMap::with_capacity(0);
    let d: CowMap<u64, u64> = CowMap::with_capacity(100);
    let e: CowMap<u64, u64, Sip> = CowMap::with_hasher(Sip::default());
    let f: CowMap<u64, u64, Sip> = CowMap::with_capacity_and_hasher(5000, Sip::default());
    for m in [&a, &b, &c, &d] {
        assert!(m.is_empty());
        assert_eq!(m.len(), 0);
        assert_eq!(m.get(&1), None);
        assert_eq!(m.iter().next(), None);
    }
    assert!(e.is_empty() && f.is_empty());
    assert_eq!(f.get(&0), None);
    // Two empty maps are equal, whatever their seeds or capacity.
    assert_eq!(a, d);
    assert_eq!(e, f);
    // `with_hasher` is const.
    const EMPTY: CowMap<u8, u8, Sip> = CowMap::with_hasher(Masked);
    assert!(EMPTY.is_empty());
    // `hasher` returns the one given.
    let s = RandomState::new();
    let m: CowMap<u8, u8> = CowMap::with_hasher(s.clone());
    assert_eq!(m.hasher().hash_one(7u8), s.hash_one(7u8));
    let m: CowMap<u8, u8> = CowMap::with_capacity_and_hasher(3, s.clone());
    assert_eq!(m.hasher().hash_one(7u8), s.hash_one(7u8));
}

#[test]
fn with_capacity_then_fill_past_it() {
    let mut m = CowMap::with_capacity(10);
    let mut model = HashMap::new();
    for i in 0..BIG {
        assert_eq!(m.insert(i, i * 3), model.insert(i, i * 3));
    }
    check_map(&m, &model, 0..BIG + 10);
}

// ---------------------------------------------------------------------------
// Reads and writes by key
// ---------------------------------------------------------------------------

#[test]
fn insert_get_remove_like_hashmap() {
    let mut m = CowMap::new();
    let mut model = HashMap::new();
    assert_eq!(m.insert(1u64, "a"), None);
    model.insert(1u64, "a");
    assert_eq!(m.insert(1, "b"), Some("a"));
    model.insert(1, "b");
    assert_eq!(m.insert(2, "c"), None);
    model.insert(2, "c");
    check_map(&m, &model, 0..4);
    assert_eq!(m.remove(&1), Some("b"));
    assert_eq!(m.remove(&1), None);
    assert_eq!(m.remove(&9), None);
    model.remove(&1);
    check_map(&m, &model, 0..4);
    assert_eq!(m.remove_entry(&2), Some((2, "c")));
    assert_eq!(m.remove_entry(&2), None);
    assert!(m.is_empty());
    // Removing from an empty map, and from one that never allocated.
    let mut e: CowMap<u64, u64> = CowMap::new();
    assert_eq!(e.remove(&0), None);
    assert_eq!(e.remove_entry(&0), None);
    assert_eq!(e.get_mut(&0), None);
}

#[test]
fn string_keys_by_str() {
    let mut m: CowMap<String, u32> = CowMap::new();
    m.insert("alpha".to_string(), 1);
    m.insert(String::from("beta"), 2);
    assert_eq!(m.get("alpha"), Some(&1));
    assert_eq!(m.get("gamma"), None);
    assert!(m.contains_key("beta"));
    assert_eq!(m.get_key_value("beta"), Some((&"beta".to_string(), &2)));
    *m.get_mut("beta").unwrap() += 40;
    assert_eq!(m["beta"], 42);
    assert_eq!(m.remove("alpha"), Some(1));
    assert_eq!(m.remove_entry("beta"), Some(("beta".to_string(), 42)));
    assert!(m.is_empty());
    // Vec<u8> keys by &[u8].
    let mut b: CowMap<Vec<u8>, u8> = CowMap::new();
    b.insert(vec![1, 2, 3], 6);
    assert_eq!(b.get(&[1u8, 2, 3][..]), Some(&6));
    assert_eq!(b[&[1u8, 2, 3][..]], 6);
}

#[test]
fn insert_keeps_the_stored_key() {
    // As in HashMap: an overwrite replaces the value, not the key.
    #[derive(Clone, Debug)]
    struct K(u32, &'static str);
    impl PartialEq for K {
        fn eq(&self, o: &K) -> bool {
            self.0 == o.0
        }
    }
    impl Eq for K {}
    impl Hash for K {
        fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
            self.0.hash(h)
        }
    }
    let mut m = CowMap::new();
    m.insert(K(1, "first"), 1);
    assert_eq!(m.insert(K(1, "second"), 2), Some(1));
    let (k, v) = m.get_key_value(&K(1, "")).unwrap();
    assert_eq!((k.1, *v), ("first", 2));
    let snapshot = m.clone();
    assert_eq!(m.insert(K(1, "third"), 3), Some(2));
    assert_eq!(m.get_key_value(&K(1, "")).unwrap().0 .1, "first");
    assert_eq!(snapshot[&K(1, "")], 2);
}

#[test]
fn get_mut_writes_through_and_not_into_snapshots() {
    let mut m: CowMap<u64, u64> = (0..BIG).map(|i| (i, i)).collect();
    let snapshot = m.clone();
    assert!(m.ptr_eq(&snapshot));
    // A missing key copies nothing: still the same directory.
    assert_eq!(m.get_mut(&(BIG + 1)), None);
    assert!(m.ptr_eq(&snapshot));
    for i in (0..BIG).step_by(7) {
        *m.get_mut(&i).unwrap() += 1_000_000;
    }
    assert!(!m.ptr_eq(&snapshot));
    for i in 0..BIG {
        let want = if i % 7 == 0 { i + 1_000_000 } else { i };
        assert_eq!(m[&i], want);
        assert_eq!(snapshot[&i], i);
    }
}

#[test]
fn big_map_grows_shrinks_and_reads_right() {
    let mut m = CowMap::new();
    let mut model = HashMap::new();
    for i in 0..BIG {
        let k = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        m.insert(k, i);
        model.insert(k, i);
    }
    let keys: Vec<u64> = model.keys().copied().collect();
    check_map(&m, &model, keys.iter().copied().chain(0..50));
    // Remove two in three, then put half of them back.
    for (j, k) in keys.iter().enumerate() {
        if j % 3 != 0 {
            assert_eq!(m.remove(k), model.remove(k));
        }
    }
    check_map(&m, &model, keys.iter().copied());
    for (j, k) in keys.iter().enumerate() {
        if j % 2 == 0 {
            assert_eq!(m.insert(*k, j as u64), model.insert(*k, j as u64));
        }
    }
    check_map(&m, &model, keys.iter().copied());
    // Remove everything: the map is empty and still works.
    for k in &keys {
        assert_eq!(m.remove(k), model.remove(k));
    }
    assert!(m.is_empty());
    assert_eq!(m.iter().next(), None);
    m.insert(5, 5);
    assert_eq!(m.len(), 1);
    assert_eq!(m[&5], 5);
}

// ---------------------------------------------------------------------------
// The entry API
// ---------------------------------------------------------------------------

#[test]
fn entry_or_insert_family() {
    let mut m: CowMap<String, u32> = CowMap::new();
    *m.entry("a".into()).or_insert(1) += 10;
    *m.entry("a".into()).or_insert(100) += 10;
    assert_eq!(m["a"], 21);
    assert_eq!(*m.entry("b".into()).or_insert_with(|| 2), 2);
    assert_eq!(*m.entry("b".into()).or_insert_with(|| unreachable!()), 2);
    assert_eq!(
        *m.entry("ccc".into()).or_insert_with_key(|k| k.len() as u32),
        3
    );
    assert_eq!(
        *m.entry("ccc".into()).or_insert_with_key(|_| unreachable!()),
        3
    );
    assert_eq!(*m.entry("d".into()).or_default(), 0);
    *m.entry("d".into()).or_default() += 4;
    assert_eq!(m["d"], 4);
    assert_eq!(m.len(), 4);
}

#[test]
fn entry_and_modify_and_key() {
    let mut m: CowMap<&str, u32> = CowMap::new();
    let e = m.entry("x");
    assert_eq!(e.key(), &"x");
    assert!(matches!(e, Entry::Vacant(_)));
    // and_modify on a vacant entry does nothing, then or_insert inserts.
    m.entry("x").and_modify(|_| unreachable!()).or_insert(1);
    m.entry("x").and_modify(|v| *v += 1).or_insert(100);
    assert_eq!(m["x"], 2);
    let e = m.entry("x");
    assert_eq!(e.key(), &"x");
    assert!(matches!(e, Entry::Occupied(_)));
    // insert_entry on both kinds.
    let o = m.entry("x").insert_entry(7);
    assert_eq!((o.key(), o.get()), (&"x", &7));
    let o = m.entry("y").insert_entry(8);
    assert_eq!((o.key(), o.get()), (&"y", &8));
    assert_eq!((m["x"], m["y"]), (7, 8));
}

#[test]
fn occupied_entry_methods() {
    let mut m: CowMap<String, Vec<u32>> = CowMap::new();
    m.insert("k".into(), vec![1]);
    m.insert("other".into(), vec![9]);
    let Entry::Occupied(mut o) = m.entry("k".into()) else {
        panic!("occupied")
    };
    assert_eq!(o.key(), "k");
    assert_eq!(o.get(), &[1]);
    o.get_mut().push(2);
    assert_eq!(o.insert(vec![3]), vec![1, 2]);
    o.into_mut().push(4);
    assert_eq!(m["k"], [3, 4]);
    let Entry::Occupied(o) = m.entry("k".into()) else {
        panic!("occupied")
    };
    assert_eq!(o.remove(), vec![3, 4]);
    assert!(!m.contains_key("k"));
    let Entry::Occupied(o) = m.entry("other".into()) else {
        panic!("occupied")
    };
    let o: OccupiedEntry<'_, String, Vec<u32>, RandomState> = o;
    assert_eq!(o.remove_entry(), ("other".to_string(), vec![9]));
    assert!(m.is_empty());
}

#[test]
fn vacant_entry_methods() {
    let mut m: CowMap<String, u32> = CowMap::new();
    let Entry::Vacant(v) = m.entry("k".into()) else {
        panic!("vacant")
    };
    assert_eq!(v.key(), "k");
    assert_eq!(v.into_key(), "k");
    assert!(m.is_empty(), "into_key inserts nothing");
    let Entry::Vacant(v) = m.entry("k".into()) else {
        panic!("vacant")
    };
    let v: VacantEntry<'_, String, u32, RandomState> = v;
    *v.insert(5) += 1;
    assert_eq!(m["k"], 6);
    let Entry::Vacant(v) = m.entry("j".into()) else {
        panic!("vacant")
    };
    let mut o = v.insert_entry(1);
    *o.get_mut() += 1;
    assert_eq!(o.key(), "j");
    assert_eq!(m["j"], 2);
}

#[test]
fn entry_debug() {
    let mut m: CowMap<u8, u8> = CowMap::new();
    m.insert(1, 2);
    assert_eq!(
        format!("{:?}", m.entry(1)),
        "Entry(OccupiedEntry { key: 1, value: 2 })"
    );
    assert_eq!(format!("{:?}", m.entry(3)), "Entry(VacantEntry(3))");
}

#[test]
fn entry_on_a_shared_map_copies_and_keeps_the_snapshot() {
    let mut m: CowMap<u64, u64> = (0..BIG).map(|i| (i, i)).collect();
    let snap = m.clone();
    // A vacant entry that is not inserted into copies nothing.
    assert!(matches!(m.entry(BIG + 5), Entry::Vacant(_)));
    assert!(m.ptr_eq(&snap));
    m.entry(3).and_modify(|v| *v = 33);
    m.entry(BIG + 5).or_insert(55);
    let Entry::Occupied(o) = m.entry(4) else {
        panic!("occupied")
    };
    o.remove();
    assert_eq!((m[&3], m[&(BIG + 5)], m.get(&4)), (33, 55, None));
    assert_eq!((snap[&3], snap.get(&(BIG + 5)), snap[&4]), (3, None, 4));
    assert_eq!((m.len() as u64, snap.len() as u64), (BIG, BIG));
}

#[test]
fn entry_counts_words_big() {
    let mut m: CowMap<u64, u64> = CowMap::new();
    let mut model: HashMap<u64, u64> = HashMap::new();
    for i in 0..BIG * 3 {
        let k = (i * 7919) % (BIG + 13);
        *m.entry(k).or_insert(0) += 1;
        *model.entry(k).or_insert(0) += 1;
    }
    check_map(&m, &model, 0..BIG + 20);
}

// ---------------------------------------------------------------------------
// Iteration
// ---------------------------------------------------------------------------

#[test]
fn iterators_see_every_entry_once() {
    let m: CowMap<u64, u64> = (0..BIG).map(|i| (i, i * 2)).collect();
    let mut keys: Vec<u64> = m.keys().copied().collect();
    keys.sort_unstable();
    assert_eq!(keys, (0..BIG).collect::<Vec<_>>());
    let mut values: Vec<u64> = m.values().copied().collect();
    values.sort_unstable();
    assert_eq!(values, (0..BIG).map(|i| i * 2).collect::<Vec<_>>());
    // The three orders agree.
    let pairs: Vec<(u64, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        pairs.iter().map(|p| p.0).collect::<Vec<_>>(),
        m.keys().copied().collect::<Vec<_>>()
    );
    assert_eq!(
        pairs.iter().map(|p| p.1).collect::<Vec<_>>(),
        m.values().copied().collect::<Vec<_>>()
    );
    // Exact sizes, all along.
    let mut it = m.iter();
    let mut n = m.len();
    assert_eq!(it.size_hint(), (n, Some(n)));
    while it.next().is_some() {
        n -= 1;
        assert_eq!(it.len(), n);
    }
    assert_eq!(it.next(), None, "fused");
    assert_eq!(m.keys().len(), m.len());
    assert_eq!(m.values().len(), m.len());
    // A cloned iterator resumes where the original was.
    let mut a = m.iter();
    a.nth(10);
    let b = a.clone();
    assert_eq!(a.collect::<Vec<_>>(), b.collect::<Vec<_>>());
    let mut k = m.keys();
    k.next();
    assert_eq!(k.clone().count(), m.len() - 1);
    let mut v = m.values();
    v.next();
    assert_eq!(v.clone().count(), m.len() - 1);
}

/// A full read of a big map switches to the pages' address order after a
/// 64th of them (16Ki entries and up; 256 under Miri): `next` and
/// `fold` must still give one order, however they are mixed, as must a
/// clone taken on either side of the switch.
/// Panics with the first place two orders differ (not with 60k keys).
fn assert_same_order(a: &[u64], b: &[u64], what: &str) {
    let at = a.iter().zip(b).position(|(x, y)| x != y);
    assert!(
        at.is_none() && a.len() == b.len(),
        "{what}: first difference at {at:?}, lengths {} and {}",
        a.len(),
        b.len()
    );
}

#[test]
fn next_and_fold_visit_big_maps_in_one_order() {
    let n: u64 = if cfg!(miri) { 400 } else { 60_000 };
    let m: CowMap<u64, u64> = (0..n).map(|i| (i, i)).collect();
    let by_next: Vec<u64> = {
        let mut v = Vec::new();
        for k in m.keys() {
            // (a `for` loop calls `next`)
            v.push(*k);
        }
        v
    };
    let mut by_fold = Vec::new();
    m.keys().for_each(|k| by_fold.push(*k));
    assert_same_order(&by_next, &by_fold, "next and fold");
    let mut sorted = by_next.clone();
    sorted.sort_unstable();
    assert!(sorted.iter().copied().eq(0..n), "every key once");
    // `next` for a while (before, at and past the switch), then `fold`;
    // a clone at that point folds the same rest.
    let steps = if cfg!(miri) {
        vec![1, 150, 300]
    } else {
        vec![1, 500, 2_000, 5_000, 30_000]
    };
    for k in steps {
        let mut it = m.keys();
        let mut seen: Vec<u64> = it.by_ref().take(k).copied().collect();
        let copy = it.clone();
        it.for_each(|k| seen.push(*k));
        assert_same_order(&seen, &by_next, &format!("{k} by next, the rest by fold"));
        let rest: Vec<u64> = copy.copied().collect();
        assert_same_order(&rest, &by_next[k..], &format!("a clone after {k}"));
    }
    // The entries' own order agrees with keys() and values().
    let pairs: Vec<(u64, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
    assert!(pairs.iter().map(|p| p.0).eq(by_next.iter().copied()));
    let values: Vec<u64> = m.values().copied().collect();
    assert!(pairs.iter().map(|p| p.1).eq(values));
}

#[test]
fn iter_mut_and_values_mut() {
    let mut m: CowMap<u64, u64> = (0..BIG).map(|i| (i, i)).collect();
    let snap = m.clone();
    let mut it = m.iter_mut();
    assert_eq!(it.len(), BIG as usize);
    it.next();
    assert_eq!(it.size_hint(), (BIG as usize - 1, Some(BIG as usize - 1)));
    for (k, v) in m.iter_mut() {
        *v += k;
    }
    for (k, v) in &mut m {
        *v += k;
    }
    m.values_mut().for_each(|v| *v += 1);
    assert_eq!(m.values_mut().len(), BIG as usize);
    for i in 0..BIG {
        assert_eq!(m[&i], 3 * i + 1);
        assert_eq!(snap[&i], i);
    }
    // Stopped early: only what was passed changed.
    let mut m2 = snap.clone();
    let touched: Vec<u64> = m2
        .iter_mut()
        .take(10)
        .map(|(k, v)| {
            *v = 0;
            *k
        })
        .collect();
    for i in 0..BIG {
        assert_eq!(m2[&i], if touched.contains(&i) { 0 } else { i });
    }
    assert_eq!(sorted(&snap), (0..BIG).map(|i| (i, i)).collect::<Vec<_>>());
}

#[test]
fn into_iter_owned_ref_and_mut() {
    let m: CowMap<u64, String> = (0..BIG).map(|i| (i, i.to_string())).collect();
    // &CowMap
    let mut n = 0;
    for (k, v) in &m {
        assert_eq!(&k.to_string(), v);
        n += 1;
    }
    assert_eq!(n, BIG);
    // Owned, unique.
    let mut all: Vec<(u64, String)> = m.clone().into_iter().collect();
    all.sort();
    assert_eq!(
        all,
        (0..BIG).map(|i| (i, i.to_string())).collect::<Vec<_>>()
    );
    // Owned, while a snapshot shares it: the snapshot keeps everything.
    let snap = m.clone();
    let mut it = m.into_iter();
    assert_eq!(it.len(), BIG as usize);
    let first = it.next().unwrap();
    assert_eq!(it.len(), BIG as usize - 1);
    assert_eq!(snap[&first.0], first.1);
    let rest: Vec<_> = it.collect();
    assert_eq!(rest.len() + 1, BIG as usize);
    assert_eq!(
        sorted(&snap),
        (0..BIG).map(|i| (i, i.to_string())).collect::<Vec<_>>()
    );
    // Partly consumed, then dropped.
    let mut it = snap.clone().into_iter();
    it.nth(BIG as usize / 2);
    drop(it);
    assert_eq!(snap.len() as u64, BIG);
    // Empty maps.
    assert_eq!(CowMap::<u8, u8>::new().into_iter().next(), None);
    assert_eq!(
        format!("{:?}", CowMap::<u8, u8>::new().into_iter().size_hint()),
        "(0, Some(0))"
    );
}

#[test]
fn into_iter_after_partial_writes_to_a_snapshot() {
    // Some pages unique (written after the snapshot), others shared.
    let mut m: CowMap<u64, u64> = (0..BIG).map(|i| (i, i)).collect();
    let snap = m.clone();
    for i in (0..BIG).step_by(97) {
        m.insert(i, i + 1);
    }
    let mut got: Vec<(u64, u64)> = m.into_iter().collect();
    got.sort_unstable();
    let want: Vec<(u64, u64)> = (0..BIG)
        .map(|i| (i, if i % 97 == 0 { i + 1 } else { i }))
        .collect();
    assert_eq!(got, want);
    assert_eq!(sorted(&snap), (0..BIG).map(|i| (i, i)).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------
// retain, clear
// ---------------------------------------------------------------------------

#[test]
fn retain_like_hashmap() {
    let mut m: CowMap<u64, u64> = (0..BIG).map(|i| (i, i)).collect();
    let mut model: HashMap<u64, u64> = (0..BIG).map(|i| (i, i)).collect();
    let snap = m.clone();
    let mut seen = 0;
    m.retain(|k, v| {
        seen += 1;
        *v += 1;
        k % 3 == 0
    });
    model.retain(|k, v| {
        *v += 1;
        k % 3 == 0
    });
    assert_eq!(seen, BIG);
    check_map(&m, &model, 0..BIG);
    assert_eq!(sorted(&snap), (0..BIG).map(|i| (i, i)).collect::<Vec<_>>());
    m.retain(|_, _| false);
    assert!(m.is_empty());
    m.insert(1, 1);
    assert_eq!(m.len(), 1);
    // Retain on an empty map.
    let mut e: CowMap<u8, u8> = CowMap::new();
    e.retain(|_, _| unreachable!());
}

#[test]
fn clear_keeps_snapshots() {
    let mut m: CowMap<u64, u64> = (0..BIG).map(|i| (i, i)).collect();
    let snap = m.clone();
    m.clear();
    assert!(m.is_empty());
    assert_eq!(m.get(&1), None);
    assert_eq!(m.iter().count(), 0);
    assert_eq!(snap.len() as u64, BIG);
    m.insert(1, 100);
    assert_eq!((m[&1], snap[&1]), (100, 1));
    let mut s2 = snap.clone();
    s2.clear();
    assert_eq!(snap.len() as u64, BIG);
}

// ---------------------------------------------------------------------------
// Clone, ptr_eq, equality
// ---------------------------------------------------------------------------

#[test]
fn clone_is_o1_and_a_snapshot() {
    let mut m: CowMap<u64, u64> = (0..BIG).map(|i| (i, i)).collect();
    let a = m.clone();
    let b = a.clone();
    assert!(m.ptr_eq(&a) && a.ptr_eq(&b) && m.ptr_eq(&b));
    m.insert(0, 1);
    assert!(!m.ptr_eq(&a));
    assert!(a.ptr_eq(&b));
    // Two empty maps share "nothing".
    let e1: CowMap<u64, u64> = CowMap::new();
    let e2: CowMap<u64, u64> = CowMap::new();
    assert!(e1.ptr_eq(&e2));
    // Equal but separately built maps are not ptr_eq.
    let c: CowMap<u64, u64> = (0..BIG).map(|i| (i, i)).collect();
    assert!(!c.ptr_eq(&a));
    assert_eq!(c, a);
    // Clone needs no K: Clone or V: Clone.
    struct NoClone(#[allow(dead_code)] u8);
    let nc: CowMap<u8, NoClone> = CowMap::new();
    let nc2 = nc.clone();
    assert!(nc.ptr_eq(&nc2));
}

#[test]
fn eq_by_contents_across_seeds_and_orders() {
    let n = if cfg!(miri) { 120 } else { BIG };
    let a: CowMap<u64, u64> = (0..n).map(|i| (i, i)).collect();
    let b: CowMap<u64, u64> = (0..n).rev().map(|i| (i, i)).collect();
    assert_ne!(
        a.hasher().hash_one(1u64),
        b.hasher().hash_one(1u64),
        "different seeds"
    );
    assert_eq!(a, b);
    assert_eq!(b, a);
    let mut c = b.clone();
    c.insert(0, 1);
    assert_ne!(a, c);
    c.insert(0, 0);
    assert_eq!(a, c);
    c.remove(&0);
    assert_ne!(a, c);
    assert_ne!(c, a);
    c.insert(BIG + 1, 0);
    assert_ne!(a, c, "same len, different keys");
    // Eq is implemented.
    fn is_eq<T: Eq>(_: &T) {}
    is_eq(&a);
    // Sets too.
    let s1: CowSet<u64> = (0..BIG).collect();
    let s2: CowSet<u64> = (0..BIG).rev().collect();
    assert_eq!(s1, s2);
    let mut s3 = s2.clone();
    s3.remove(&3);
    assert_ne!(s1, s3);
    s3.insert(BIG + 3);
    assert_ne!(s1, s3);
    is_eq(&s1);
}

// ---------------------------------------------------------------------------
// Debug, Index
// ---------------------------------------------------------------------------

#[test]
fn debug_as_a_map() {
    let mut m: CowMap<&str, u8> = CowMap::new();
    assert_eq!(format!("{m:?}"), "{}");
    m.insert("a", 1);
    assert_eq!(format!("{m:?}"), r#"{"a": 1}"#);
    m.insert("b", 2);
    let s = format!("{m:?}");
    assert!(
        s == r#"{"a": 1, "b": 2}"# || s == r#"{"b": 2, "a": 1}"#,
        "{s}"
    );
    // The same order as iter.
    let pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k:?}: {v:?}")).collect();
    assert_eq!(s, format!("{{{}}}", pairs.join(", ")));
    assert_eq!(
        format!("{:?}", m.iter()),
        format!("{:?}", m.iter().collect::<Vec<_>>())
    );
    assert_eq!(
        format!("{:?}", m.keys()),
        format!("{:?}", m.keys().collect::<Vec<_>>())
    );
    assert_eq!(
        format!("{:?}", m.values()),
        format!("{:?}", m.values().collect::<Vec<_>>())
    );
    assert!(format!("{:?}", m.iter_mut()).starts_with("IterMut"));
    assert!(!format!("{:?}", m.values_mut()).is_empty());
    assert!(format!("{:?}", m.clone().into_iter()).starts_with("IntoIter"));
    // Pretty printing, like HashMap's.
    let one: CowMap<u8, u8> = [(1, 2)].into();
    let std_one: HashMap<u8, u8> = [(1, 2)].into();
    assert_eq!(format!("{one:#?}"), format!("{std_one:#?}"));
    let set: CowSet<u8> = [7].into_iter().collect();
    let std_set: HashSet<u8> = [7].into();
    assert_eq!(format!("{set:?}"), format!("{std_set:?}"));
    assert_eq!(format!("{set:?}"), "{7}");
    assert_eq!(format!("{:?}", set.iter()), "[7]");
}

#[test]
fn index_reads_and_panics_on_a_missing_key() {
    let m: CowMap<String, u8> = [("a".to_string(), 1)].into();
    assert_eq!(m["a"], 1);
    assert_eq!(m[&"a".to_string()], 1);
    let err = panic::catch_unwind(AssertUnwindSafe(|| m["b"])).unwrap_err();
    let msg = err
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap();
    assert_eq!(msg, "CowMap: key not found");
    let e: CowMap<u8, u8> = CowMap::new();
    assert!(panic::catch_unwind(|| e[&0]).is_err());
}

// ---------------------------------------------------------------------------
// FromIterator, Extend, From
// ---------------------------------------------------------------------------

#[test]
fn from_iter_extend_from() {
    // Later duplicates win, as in HashMap.
    let m: CowMap<u8, u8> = [(1, 1), (2, 2), (1, 3)].into_iter().collect();
    assert_eq!((m.len(), m[&1], m[&2]), (2, 3, 2));
    let m: CowMap<u8, u8, Sip> = [(1, 1)].into_iter().collect();
    assert_eq!(m[&1], 1);
    let mut m: CowMap<u64, u64> = CowMap::from([(1, 1), (2, 2)]);
    m.extend([(2, 20), (3, 30)]);
    assert_eq!(sorted(&m), [(1, 1), (2, 20), (3, 30)]);
    let src: HashMap<u64, u64> = (100..100 + BIG).map(|i| (i, i)).collect();
    m.extend(src.iter());
    assert_eq!(m.len() as u64, 3 + BIG);
    assert_eq!(m[&150], 150);
    m.extend(&src);
    assert_eq!(m.len() as u64, 3 + BIG);
    let other: CowMap<u64, u64> = [(7, 7)].into();
    m.extend(&other);
    assert_eq!(m[&7], 7);
    let empty: CowMap<u8, u8> = std::iter::empty().collect();
    assert!(empty.is_empty());
    // Extend a snapshot's clone: the snapshot stays.
    let snap = m.clone();
    m.extend((0..10).map(|i| (i, 999)));
    assert_eq!(snap[&1], 1);
    assert_eq!(m[&1], 999);
}

// ---------------------------------------------------------------------------
// Odd types: zero-sized, over-aligned, big entries
// ---------------------------------------------------------------------------

#[test]
fn zero_sized_keys_and_values() {
    let mut m: CowMap<(), ()> = CowMap::new();
    assert_eq!(m.insert((), ()), None);
    assert_eq!(m.insert((), ()), Some(()));
    assert_eq!(m.len(), 1);
    let snap = m.clone();
    assert_eq!(m.remove(&()), Some(()));
    assert!(m.is_empty());
    assert_eq!(snap.len(), 1);
    assert_eq!(snap.iter().count(), 1);
    let mut u: CowMap<u64, ()> = (0..BIG).map(|i| (i, ())).collect();
    assert_eq!(u.len() as u64, BIG);
    u.retain(|k, _| k % 2 == 0);
    assert_eq!(u.len() as u64, BIG.div_ceil(2));
    let mut s: CowSet<()> = CowSet::new();
    assert!(s.insert(()));
    assert!(!s.insert(()));
    assert_eq!(s.into_iter().count(), 1);
}

#[test]
fn over_aligned_and_large_entries() {
    let n = if cfg!(miri) { 20 } else { 300 };
    let mut m: CowMap<u64, A64> = (0..n).map(|i| (i, A64(i))).collect();
    for (k, v) in &m {
        assert_eq!((v as *const A64).addr() % 64, 0);
        assert_eq!(v.0, *k);
    }
    let snap = m.clone();
    m.insert(3, A64(33));
    assert_eq!((m[&3], snap[&3]), (A64(33), A64(3)));
    let n = if cfg!(miri) { 6 } else { 100 };
    let mut b: CowMap<u64, A4096> = (0..n).map(|i| (i, A4096(i))).collect();
    for (k, v) in &b {
        assert_eq!((v as *const A4096).addr() % 4096, 0);
        assert_eq!(v.0, *k);
    }
    let snap = b.clone();
    *b.get_mut(&5).unwrap() = A4096(55);
    assert_eq!((b[&5], snap[&5]), (A4096(55), A4096(5)));
    assert_eq!(b.len(), n as usize);
    // Big keys.
    let kb: CowMap<[u64; 64], u8> = (0..n).map(|i| ([i; 64], i as u8)).collect();
    assert_eq!(kb[&[n - 1; 64]], (n - 1) as u8);
}

// ---------------------------------------------------------------------------
// Bad hashers: everything still works
// ---------------------------------------------------------------------------

fn works_with<S: BuildHasher + Default + Clone>(n: u64) {
    let mut m: CowMap<u64, u64, S> = CowMap::default();
    let mut model = HashMap::new();
    for i in 0..n {
        assert_eq!(m.insert(i, i), model.insert(i, i));
    }
    let snap = m.clone();
    for i in (0..n).step_by(3) {
        assert_eq!(m.remove(&i), model.remove(&i));
    }
    for i in (0..n).step_by(5) {
        *m.entry(i).or_insert(0) += 1;
        *model.entry(i).or_insert(0) += 1;
    }
    check_map(&m, &model, 0..n + 5);
    assert_eq!(sorted(&snap), (0..n).map(|i| (i, i)).collect::<Vec<_>>());
    for (k, v) in m.iter_mut() {
        *v += k;
    }
    for (k, v) in model.iter_mut() {
        *v += k;
    }
    check_map(&m, &model, 0..n + 5);
    let mut got: Vec<_> = m.into_iter().collect();
    got.sort_unstable();
    assert_eq!(got, sorted_std(&model));
}

#[test]
fn constant_hasher_works() {
    works_with::<Constant>(if cfg!(miri) { 120 } else { 2000 });
}

#[test]
fn top_bits_only_hasher_works() {
    // 120 under Miri, as the other hostile hashers (240 took 24 s).
    works_with::<Top8>(if cfg!(miri) { 120 } else { BIG });
}

#[test]
fn low_bits_only_hasher_works() {
    works_with::<LowOnly>(if cfg!(miri) { 120 } else { BIG });
}

// ---------------------------------------------------------------------------
// serde
// ---------------------------------------------------------------------------

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip() {
    let m: CowMap<String, Vec<u32>> = (0..50).map(|i| (format!("k{i}"), vec![i, i + 1])).collect();
    let json = serde_json::to_string(&m).unwrap();
    let back: CowMap<String, Vec<u32>> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);
    // The same JSON as a HashMap's, read back as one.
    let std_back: HashMap<String, Vec<u32>> = serde_json::from_str(&json).unwrap();
    assert_eq!(std_back.len(), 50);
    assert_eq!(std_back["k3"], [3, 4]);
    let std_json = serde_json::to_string(&std_back).unwrap();
    let from_std: CowMap<String, Vec<u32>> = serde_json::from_str(&std_json).unwrap();
    assert_eq!(from_std, m);
    assert_eq!(
        serde_json::to_string(&CowMap::<u8, u8>::new()).unwrap(),
        "{}"
    );
    // A repeated key keeps its last value, like HashMap.
    let dup: CowMap<String, u8> = serde_json::from_str(r#"{"a": 1, "a": 2}"#).unwrap();
    assert_eq!((dup.len(), dup["a"]), (1, 2));
    assert!(serde_json::from_str::<CowMap<String, u8>>("[1]").is_err());
    // Sets, as sequences.
    let s: CowSet<u64> = (0..100).collect();
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.starts_with('['));
    let back: CowSet<u64> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    let std_back: HashSet<u64> = serde_json::from_str(&json).unwrap();
    assert_eq!(std_back, (0..100).collect());
    assert!(serde_json::from_str::<CowSet<u64>>("{}").is_err());
    // Numeric keys as JSON object keys.
    let n: CowMap<u64, u8> = [(1, 2)].into();
    assert_eq!(serde_json::to_string(&n).unwrap(), r#"{"1":2}"#);
}

// ---------------------------------------------------------------------------
// CowSet
// ---------------------------------------------------------------------------

#[test]
fn set_basics() {
    let mut s: CowSet<String> = CowSet::new();
    assert!(s.is_empty());
    assert!(s.insert("a".into()));
    assert!(!s.insert("a".into()));
    assert!(s.insert("b".into()));
    assert_eq!(s.len(), 2);
    assert!(s.contains("a"));
    assert!(!s.contains("z"));
    assert_eq!(s.get("a"), Some(&"a".to_string()));
    assert_eq!(s.get("z"), None);
    let snap = s.clone();
    assert!(s.remove("a"));
    assert!(!s.remove("a"));
    assert_eq!(s.take("b"), Some("b".to_string()));
    assert_eq!(s.take("b"), None);
    assert!(s.is_empty());
    assert_eq!(snap.len(), 2);
    assert!(snap.contains("a") && snap.contains("b"));
    let d: CowSet<u8> = CowSet::default();
    let c: CowSet<u8> = CowSet::with_capacity(10);
    let h: CowSet<u8, Sip> = CowSet::with_hasher(Sip::default());
    assert!(d.is_empty() && c.is_empty() && h.is_empty());
    assert_eq!(h.hasher().hash_one(1u8), Sip::default().hash_one(1u8));
    const E: CowSet<u8, Sip> = CowSet::with_hasher(Masked);
    assert!(E.is_empty());
}

#[test]
fn set_retain_clear_iter_extend() {
    let mut s: CowSet<u64> = (0..BIG).collect();
    let snap = s.clone();
    s.retain(|v| v % 2 == 0);
    assert_eq!(s.len() as u64, BIG.div_ceil(2));
    assert!(s.iter().all(|v| v % 2 == 0));
    assert_eq!(s.iter().len(), s.len());
    assert_eq!((&s).into_iter().count(), s.len());
    let mut it = s.iter();
    it.next();
    assert_eq!(it.clone().count(), s.len() - 1);
    s.extend([1, 3]);
    s.extend(&[5, 7]);
    assert!(s.contains(&1) && s.contains(&7));
    s.clear();
    assert!(s.is_empty());
    assert_eq!(snap.len() as u64, BIG);
    let mut v: Vec<u64> = snap.clone().into_iter().collect();
    v.sort_unstable();
    assert_eq!(v, (0..BIG).collect::<Vec<_>>());
    let mut it = snap.clone().into_iter();
    assert_eq!(it.len(), BIG as usize);
    it.next();
    assert_eq!(it.size_hint().0, BIG as usize - 1);
    assert!(format!("{it:?}").contains("IntoIter"));
}

/// Sorted, for comparing set operations' output with std's.
fn sorted_refs<'a>(it: impl Iterator<Item = &'a u64>) -> Vec<u64> {
    let mut v: Vec<u64> = it.copied().collect();
    v.sort_unstable();
    v
}

#[test]
fn set_operations_match_hashset() {
    // Under Miri 40 (100 took 42 s per aliasing model: the five pairs build
    // ten sets and compare six operations each).
    let n = if cfg!(miri) { 40 } else { 3000 };
    type Pred = fn(u64) -> bool;
    let pairs: [(Pred, Pred); 5] = [
        (|i| i % 2 == 0, |i| i % 3 == 0),
        (|i| i < 100, |i| i < 50),
        (|i| i < 50, |i| i < 100),
        (|i| i % 2 == 0, |i| i % 2 == 1),
        (|_| false, |i| i % 5 == 0),
    ];
    for (fa, fb) in &pairs {
        let a: CowSet<u64> = (0..n).filter(|&i| fa(i)).collect();
        let b: CowSet<u64> = (0..n).filter(|&i| fb(i)).collect();
        let sa: HashSet<u64> = (0..n).filter(|&i| fa(i)).collect();
        let sb: HashSet<u64> = (0..n).filter(|&i| fb(i)).collect();
        assert_eq!(sorted_refs(a.union(&b)), sorted_refs(sa.union(&sb)));
        assert_eq!(
            sorted_refs(a.intersection(&b)),
            sorted_refs(sa.intersection(&sb))
        );
        assert_eq!(
            sorted_refs(b.intersection(&a)),
            sorted_refs(sb.intersection(&sa))
        );
        assert_eq!(
            sorted_refs(a.difference(&b)),
            sorted_refs(sa.difference(&sb))
        );
        assert_eq!(
            sorted_refs(b.difference(&a)),
            sorted_refs(sb.difference(&sa))
        );
        assert_eq!(
            sorted_refs(a.symmetric_difference(&b)),
            sorted_refs(sa.symmetric_difference(&sb))
        );
        assert_eq!(a.is_subset(&b), sa.is_subset(&sb));
        assert_eq!(b.is_subset(&a), sb.is_subset(&sa));
        assert_eq!(a.is_superset(&b), sa.is_superset(&sb));
        assert_eq!(b.is_superset(&a), sb.is_superset(&sa));
        assert_eq!(a.is_disjoint(&b), sa.is_disjoint(&sb));
        assert_eq!(b.is_disjoint(&a), sb.is_disjoint(&sa));
        assert!(a.is_subset(&a) && a.is_superset(&a));
        // The union yields each element once.
        assert_eq!(a.union(&b).count(), sa.union(&sb).count());
    }
    let a: CowSet<u64> = (0..3).collect();
    assert!(format!("{:?}", a.union(&a)).starts_with("Union"));
    assert!(format!("{:?}", a.intersection(&a)).starts_with("Intersection"));
    assert!(format!("{:?}", a.difference(&a)).starts_with("Difference"));
    assert!(format!("{:?}", a.symmetric_difference(&a)).starts_with("SymmetricDifference"));
    // Fused.
    let mut d = a.difference(&a);
    assert_eq!(d.next(), None);
    assert_eq!(d.next(), None);
}

#[test]
fn set_with_snapshots() {
    let mut s: CowSet<u64> = (0..BIG).collect();
    let snap = s.clone();
    for i in (0..BIG).step_by(11) {
        assert!(s.remove(&i));
    }
    for i in BIG..BIG + 100 {
        assert!(s.insert(i));
    }
    assert_eq!(snap.len() as u64, BIG);
    assert!((0..BIG).all(|i| snap.contains(&i)));
    assert!(!snap.contains(&BIG));
    assert!(!snap.is_subset(&s));
    assert_eq!(snap.difference(&s).count() as u64, BIG.div_ceil(11));
}
