//! A quickcheck differential test of `CowMap<K, V, S>` against std's
//! `HashMap`, with snapshots.
//!
//! A random sequence of operations runs on a real `CowMap` and on a model
//! `HashMap`, together with a handful of snapshots (clones of the map, each
//! kept with a copy of the model at the time). After every step the map must
//! equal the model (`len`, `iter`, `get`, `get_key_value`, `contains_key` on
//! hits and misses), and every snapshot must still equal its model copy: a
//! write to one handle never shows through another, whatever pages they
//! share.
//!
//! Keys come from a small range, so inserts and removes hit and miss, and a
//! bulk insert fills the map past a page so pages split. The same ops run
//! with a good hasher, with `String` keys, and with bad hashers (every key
//! the same hash, only the top 8 bits, only the low 16 bits, the top 24
//! bits all equal) on maps of a few thousand entries, where splits,
//! narrowing and page growth all happen. Sizes shrink under Miri.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::{BuildHasher, Hash};

use arcow::map::Entry;
use arcow::CowMap;
use quickcheck::{Arbitrary, Gen, QuickCheck};

mod common;

use common::hashers::{Constant, Low40, LowOnly, Sip, Top8};

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// A key type, made from a number in the key range.
trait Key: Clone + Eq + Hash + Ord + Debug + 'static {
    fn make(n: u64) -> Self;
    fn id(&self) -> u64;
}

impl Key for u64 {
    fn make(n: u64) -> u64 {
        n
    }
    fn id(&self) -> u64 {
        *self
    }
}

impl Key for String {
    fn make(n: u64) -> String {
        // 8 to 24 bytes, so some fit inline in no String and lengths vary.
        format!("key-{n:0>width$}", width = 4 + (n % 17) as usize)
    }
    fn id(&self) -> u64 {
        self.trim_start_matches("key-").parse().unwrap()
    }
}

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

/// Raw key numbers are taken modulo the test's key range when run.
#[derive(Clone, Debug)]
enum Op {
    Insert(u64, u32),
    Remove(u64),
    RemoveEntry(u64),
    GetMut(u64, u32),
    EntryOrInsert(u64, u32),
    EntryAndModify(u64, u32),
    EntryRemove(u64),
    EntryInsert(u64, u32),
    /// Keeps the keys whose id is not `r` modulo `m` (with `m` in 2..6),
    /// adding 1 to every value seen.
    Retain(u8, u8),
    /// Xors the first `n` values iter_mut yields with `x`.
    IterMut(u16, u32),
    /// Adds `x` to every value through values_mut.
    ValuesMut(u32),
    /// Moves the map out by `into_iter`, keeps the first `n` entries.
    IntoIterTake(u16),
    /// Inserts keys `start .. start + count` (bulk: pages split).
    Bulk(u64, u16),
    Clear,
    Snapshot,
    DropSnapshot(u8),
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Op {
        let k = u64::arbitrary(g);
        let v = u32::arbitrary(g);
        match u8::arbitrary(g) % 100 {
            0..=17 => Op::Insert(k, v),
            18..=27 => Op::Remove(k),
            28..=30 => Op::RemoveEntry(k),
            31..=38 => Op::GetMut(k, v),
            39..=44 => Op::EntryOrInsert(k, v),
            45..=50 => Op::EntryAndModify(k, v),
            51..=55 => Op::EntryRemove(k),
            56..=58 => Op::EntryInsert(k, v),
            59..=61 => Op::Retain(2 + u8::arbitrary(g) % 5, u8::arbitrary(g)),
            62..=64 => Op::IterMut(u16::arbitrary(g), v),
            65..=66 => Op::ValuesMut(v),
            67..=68 => Op::IntoIterTake(u16::arbitrary(g)),
            69..=76 => Op::Bulk(k, u16::arbitrary(g)),
            77..=78 => Op::Clear,
            79..=90 => Op::Snapshot,
            _ => Op::DropSnapshot(u8::arbitrary(g)),
        }
    }
}

// ---------------------------------------------------------------------------
// The model run
// ---------------------------------------------------------------------------

/// What one test run uses: the key range and the largest bulk insert.
#[derive(Clone, Copy)]
struct Params {
    keys: u64,
    bulk: u64,
    /// Look up every model key after each step (else a sample: with a
    /// constant hasher every lookup is linear).
    every_key: bool,
}

/// At most this many snapshots alive at once.
const MAX_SNAPSHOTS: usize = if cfg!(miri) { 2 } else { 4 };

/// Checks `m` against `model`: contents by iteration, and lookups of
/// present and absent keys.
#[track_caller]
fn check<K: Key, S: BuildHasher>(
    m: &CowMap<K, u32, S>,
    model: &HashMap<K, u32>,
    p: Params,
    what: &str,
) {
    assert_eq!(m.len(), model.len(), "{what}: len");
    assert_eq!(m.is_empty(), model.is_empty(), "{what}: is_empty");
    let mut seen = 0;
    for (k, v) in m.iter() {
        assert_eq!(model.get(k), Some(v), "{what}: iter yields {k:?} => {v}");
        seen += 1;
    }
    assert_eq!(seen, model.len(), "{what}: iter yields each entry once");
    assert_eq!(m.iter().len(), model.len(), "{what}: iter len");
    // Under Miri (where hashing is slow) always a sample.
    let step = if p.every_key && !cfg!(miri) {
        1
    } else {
        (p.keys / 40).max(1)
    };
    for n in (0..p.keys + 3).step_by(step as usize) {
        let k = K::make(n);
        assert_eq!(m.get(&k), model.get(&k), "{what}: get {k:?}");
        if n % 8 == 0 {
            assert_eq!(
                m.contains_key(&k),
                model.contains_key(&k),
                "{what}: contains {k:?}"
            );
            assert_eq!(
                m.get_key_value(&k),
                model.get_key_value(&k),
                "{what}: get_key_value {k:?}"
            );
        }
    }
}

fn run<K: Key, S: BuildHasher + Default + Clone>(ops: &[Op], p: Params) {
    let mut m: CowMap<K, u32, S> = CowMap::default();
    let mut model: HashMap<K, u32> = HashMap::new();
    // Each snapshot with a copy of the model when it was taken.
    type Snapshots<K, S> = Vec<(CowMap<K, u32, S>, HashMap<K, u32>)>;
    let mut snapshots: Snapshots<K, S> = Vec::new();
    let key = |raw: u64| K::make(raw % p.keys);
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Insert(k, v) => {
                let k = key(k);
                assert_eq!(m.insert(k.clone(), v), model.insert(k, v));
            }
            Op::Remove(k) => {
                let k = key(k);
                assert_eq!(m.remove(&k), model.remove(&k));
            }
            Op::RemoveEntry(k) => {
                let k = key(k);
                assert_eq!(m.remove_entry(&k), model.remove_entry(&k));
            }
            Op::GetMut(k, v) => {
                let k = key(k);
                match (m.get_mut(&k), model.get_mut(&k)) {
                    (Some(a), Some(b)) => {
                        assert_eq!(a, b);
                        *a = a.wrapping_add(v);
                        *b = b.wrapping_add(v);
                    }
                    (None, None) => {}
                    (a, b) => panic!("get_mut {k:?}: {a:?} vs {b:?}"),
                }
            }
            Op::EntryOrInsert(k, v) => {
                let k = key(k);
                let a = *m.entry(k.clone()).or_insert(v);
                let b = *model.entry(k).or_insert(v);
                assert_eq!(a, b);
            }
            Op::EntryAndModify(k, v) => {
                let k = key(k);
                let a = *m.entry(k.clone()).and_modify(|x| *x ^= v).or_insert(v);
                let b = *model.entry(k).and_modify(|x| *x ^= v).or_insert(v);
                assert_eq!(a, b);
            }
            Op::EntryRemove(k) => {
                let k = key(k);
                let a = match m.entry(k.clone()) {
                    Entry::Occupied(o) => {
                        assert_eq!(o.key(), &k);
                        Some(o.remove_entry())
                    }
                    Entry::Vacant(v) => {
                        assert_eq!(v.into_key(), k);
                        None
                    }
                };
                assert_eq!(a, model.remove_entry(&k));
            }
            Op::EntryInsert(k, v) => {
                let k = key(k);
                let o = m.entry(k.clone()).insert_entry(v);
                assert_eq!((o.key(), *o.get()), (&k, v));
                model.insert(k, v);
            }
            Op::Retain(md, r) => {
                let (md, r) = (u64::from(md), u64::from(r) % u64::from(md));
                let mut seen = 0;
                m.retain(|k, v| {
                    seen += 1;
                    *v = v.wrapping_add(1);
                    k.id() % md != r
                });
                assert_eq!(seen, model.len(), "retain sees every entry once");
                model.retain(|k, v| {
                    *v = v.wrapping_add(1);
                    k.id() % md != r
                });
            }
            Op::IterMut(n, x) => {
                let mut touched = Vec::new();
                for (k, v) in m.iter_mut().take(usize::from(n)) {
                    assert_eq!(model.get(k), Some(&*v));
                    *v ^= x;
                    touched.push(k.clone());
                }
                assert_eq!(touched.len(), model.len().min(usize::from(n)));
                for k in touched {
                    *model.get_mut(&k).unwrap() ^= x;
                }
            }
            Op::ValuesMut(x) => {
                let mut n = 0;
                for v in m.values_mut() {
                    *v = v.wrapping_add(x);
                    n += 1;
                }
                assert_eq!(n, model.len());
                model.values_mut().for_each(|v| *v = v.wrapping_add(x));
            }
            Op::IntoIterTake(n) => {
                let it = std::mem::take(&mut m).into_iter();
                assert_eq!(it.len(), model.len());
                let kept: Vec<(K, u32)> = it.take(usize::from(n)).collect();
                let mut kept_model = HashMap::new();
                for (k, v) in &kept {
                    assert_eq!(model.get(k), Some(v), "into_iter yields {k:?}");
                    kept_model.insert(k.clone(), *v);
                }
                assert_eq!(
                    kept_model.len(),
                    kept.len(),
                    "into_iter yields each key once"
                );
                model = kept_model;
                m.extend(kept);
            }
            Op::Bulk(start, count) => {
                let count = u64::from(count) % (p.bulk + 1);
                for i in 0..count {
                    let k = key(start.wrapping_add(i));
                    let v = i as u32;
                    assert_eq!(m.insert(k.clone(), v), model.insert(k, v));
                }
            }
            Op::Clear => {
                m.clear();
                model.clear();
            }
            Op::Snapshot => {
                if snapshots.len() == MAX_SNAPSHOTS {
                    snapshots.remove(0);
                }
                let s = m.clone();
                assert!(s.ptr_eq(&m));
                snapshots.push((s, model.clone()));
            }
            Op::DropSnapshot(i) => {
                if !snapshots.is_empty() {
                    snapshots.remove(usize::from(i) % snapshots.len());
                }
            }
        }
        check(&m, &model, p, &format!("step {step} ({op:?}), live map"));
        for (j, (s, sm)) in snapshots.iter().enumerate() {
            check(s, sm, p, &format!("step {step} ({op:?}), snapshot {j}"));
        }
    }
    // The snapshots still read right once the live map is gone.
    drop(m);
    for (j, (s, sm)) in snapshots.iter().enumerate() {
        check(s, sm, p, &format!("end, snapshot {j}"));
    }
}

fn quickcheck(cases: u64, size: usize, prop: fn(Vec<Op>) -> bool) {
    QuickCheck::new()
        .tests(cases)
        .max_tests(cases * 10)
        .rng(Gen::new(size))
        .quickcheck(prop);
}

/// Cases per test and ops per case.
const CASES: u64 = if cfg!(miri) { 1 } else { 25 };
const SIZE: usize = if cfg!(miri) { 8 } else { 50 };

/// A small key range: about two pages of `u64 -> u32`, so inserts and
/// removes hit and miss and a few pages split.
const SMALL: Params = Params {
    keys: if cfg!(miri) { 260 } else { 500 },
    bulk: if cfg!(miri) { 260 } else { 500 },
    every_key: true,
};

/// A few thousand keys, for the bad hashers: many pages, splits all along.
const LARGE: Params = Params {
    keys: if cfg!(miri) { 300 } else { 2500 },
    bulk: if cfg!(miri) { 260 } else { 2000 },
    every_key: false,
};

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

#[test]
fn model_u64_small_keys() {
    fn prop(ops: Vec<Op>) -> bool {
        run::<u64, std::hash::RandomState>(&ops, SMALL);
        true
    }
    quickcheck(CASES, SIZE, prop);
}

#[test]
fn model_u64_fixed_seed_large() {
    fn prop(ops: Vec<Op>) -> bool {
        run::<u64, Sip>(&ops, LARGE);
        true
    }
    quickcheck(CASES, SIZE, prop);
}

#[test]
fn model_string_keys() {
    fn prop(ops: Vec<Op>) -> bool {
        run::<String, std::hash::RandomState>(&ops, SMALL);
        true
    }
    quickcheck(if cfg!(miri) { 1 } else { CASES / 2 }, SIZE, prop);
}

#[test]
fn model_top8_hasher_many_collisions() {
    fn prop(ops: Vec<Op>) -> bool {
        run::<u64, Top8>(&ops, LARGE);
        true
    }
    quickcheck(CASES, SIZE, prop);
}

#[test]
fn model_low16_hasher_no_directory_bits() {
    fn prop(ops: Vec<Op>) -> bool {
        run::<u64, LowOnly>(&ops, LARGE);
        true
    }
    quickcheck(CASES, SIZE, prop);
}

#[test]
fn model_top24_equal_hasher() {
    fn prop(ops: Vec<Op>) -> bool {
        run::<u64, Low40>(&ops, LARGE);
        true
    }
    quickcheck(CASES, SIZE, prop);
}

#[test]
fn model_constant_hasher() {
    // Every lookup is linear: fewer keys.
    const P: Params = Params {
        keys: if cfg!(miri) { 100 } else { 1000 },
        bulk: if cfg!(miri) { 100 } else { 1000 },
        every_key: false,
    };
    fn prop(ops: Vec<Op>) -> bool {
        run::<u64, Constant>(&ops, P);
        true
    }
    quickcheck(if cfg!(miri) { 1 } else { CASES / 2 }, SIZE, prop);
}

/// A fixed sequence that surely splits pages while snapshots share them,
/// and writes to both sides of every split.
#[test]
fn deterministic_splits_under_snapshots() {
    let n = if cfg!(miri) { 240 } else { 3000 };
    let mut ops = Vec::new();
    for round in 0..if cfg!(miri) { 1 } else { 4u64 } {
        ops.push(Op::Snapshot);
        ops.push(Op::Bulk(round * n / 4, (n / 4) as u16));
        ops.push(Op::Snapshot);
        ops.push(Op::Retain(3, round as u8));
        ops.push(Op::Snapshot);
        ops.push(Op::IterMut(100, 0xFF));
        ops.push(Op::DropSnapshot(1));
        ops.push(Op::Remove(round * 7));
        ops.push(Op::Bulk(round * n / 8, (n / 8) as u16));
    }
    ops.push(Op::IntoIterTake(u16::MAX));
    ops.push(Op::Clear);
    let p = Params {
        keys: n,
        bulk: n,
        every_key: false,
    };
    run::<u64, Sip>(&ops, p);
    if !cfg!(miri) {
        run::<u64, Top8>(&ops, p);
        run::<u64, Low40>(&ops, p);
    }
}
