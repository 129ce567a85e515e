//! Differential fuzzing of `CowMap<Key, E, H>` against a `HashMap<u32, u32>`
//! model, and of `CowSet<Key, H>` against a `HashSet<u32>`, with snapshots
//! (clones kept with a copy of the model, written to, dropped and checked),
//! owned iterators, and clones that panic on demand (keys and values both
//! clone through `E`, so a page copy can fail on either).
//!
//! The hasher is chosen by the input: a well-mixed deterministic hash, or
//! one that keeps only a few of its bits (top bits only, low bits only, or
//! nothing at all), so that many keys share a directory place or the whole
//! hash and pages split, narrow, push nodes down and grow past their
//! nominal size. Keys are 12 bits, so single-key operations hit keys that
//! the range operations put in by the thousand.
//!
//! After every operation: the map and the set equal their models (by
//! iteration, `len` and lookups of the keys the operation touched), and
//! every snapshot has its model's length; a snapshot is compared in full
//! when dropped, on `CheckSnapshots`, and at the end. Once everything is
//! dropped, no key or value is alive.
//!
//! On an injected panic: an operation on one key (a page copy failed) must
//! leave the map or set as it was, and can only happen while a snapshot is
//! alive (an unshared map never clones); an operation that was part-way
//! (`retain`, `iter_mut`, an owned iterator) is checked against what it may
//! have done, and the model is then taken from the map.

#![no_main]

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};
use std::mem;

use arbitrary::Arbitrary;
use arcow::map::Entry;
use arcow::{CowMap, CowSet};
use arcow_fuzz::{arm, guarded, live, start, Injected, E};
use libfuzzer_sys::fuzz_target;

/// Keys are `k & KEY_MASK`: 4096 of them.
const KEY_MASK: u32 = 0xFFF;
/// Most keys a range operation touches: thousands with the full hash; fewer
/// with a degenerate one, under which keys share probe sequences and tags,
/// so that each insert is linear in the page (keeps the run fast).
const MAX_RANGE: u32 = 2048;
const MAX_RANGE_DEGENERATE: u32 = 512;
/// Most snapshots kept at once, of the map and of the set each.
const MAX_SNAPS: usize = 4;

/// A key: an `E` (heap-allocated, counted, may panic on clone), hashed and
/// compared by its value.
#[derive(Clone)]
struct Key(E);

impl Key {
    fn new(k: u32) -> Key {
        Key(E::new(k & KEY_MASK))
    }
    fn get(&self) -> u32 {
        self.0.get()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.get() == other.get()
    }
}
impl Eq for Key {}

impl Hash for Key {
    fn hash<S: Hasher>(&self, state: &mut S) {
        state.write_u32(self.get());
    }
}

/// Which bits of a well-mixed 64-bit hash the hasher keeps. (The map may
/// mix the hash further, with an odd multiply: that keeps a hash of top
/// bits only to top bits only, and equal hashes equal.)
const MASKS: [u64; 7] = [
    !0,                    // all: pages split normally
    0xC000_0000_0000_0000, // the top 2 bits: four directory places, pages grow
    0xFFF0_0000_0000_0000, // the top 12 bits: splits down to depth 12, then growth
    0x0000_0000_0000_FFFF, // the low 16 bits: 65536 hashes, shared probe bits
    0,                     // nothing: every key has the same hash
    0x8000_0000_0000_007F, // the top bit and the low 7
    0xFE00_0000_0000_0F80, // the top 7 bits and a few probe bits
];

/// A deterministic `BuildHasher`: FNV-1a, a splitmix64 finish, then a mask.
#[derive(Clone, Debug)]
struct H {
    mask: u64,
}

struct HState {
    h: u64,
    mask: u64,
}

impl BuildHasher for H {
    type Hasher = HState;
    fn build_hasher(&self) -> HState {
        HState {
            h: 0xcbf2_9ce4_8422_2325,
            mask: self.mask,
        }
    }
}

impl Hasher for HState {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.h = (self.h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        let mut z = self.h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) & self.mask
    }
}

type Map = CowMap<Key, E, H>;
type Set = CowSet<Key, H>;
type Model = HashMap<u32, u32>;
type SetModel = HashSet<u32>;

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u16, u16),
    /// Keys `start + i * (step | 1)` for `i < len % (MAX_RANGE + 1)` (or
    /// `MAX_RANGE_DEGENERATE`), with values `val + i`.
    InsertRange {
        start: u16,
        len: u16,
        step: u8,
        val: u16,
    },
    Remove(u16),
    RemoveRange {
        start: u16,
        len: u16,
        step: u8,
    },
    RemoveEntry(u16),
    Get(u16),
    GetMut(u16, u16),
    /// `*entry(k).or_insert(v)`.
    EntryOrInsert(u16, u16),
    /// `entry(k).and_modify(set v).or_insert(w)`.
    EntryAndModify(u16, u16, u16),
    /// An occupied entry: `remove` it, or `insert` a value (`Some`).
    EntryOccupied(u16, Option<u16>),
    /// Keeps key `k` iff bit `k % 64` of `keep`; kept values get `bump`
    /// added; the predicate panics on call `panic_at`.
    Retain {
        keep: u64,
        bump: u16,
        panic_at: Option<u16>,
    },
    /// Adds `add` to the values (through `values_mut` if `values`),
    /// stopping after `stop` entries if given.
    IterMut {
        add: u16,
        stop: Option<u16>,
        values: bool,
    },
    Clear,
    Snapshot,
    DropSnapshot(u8),
    /// `insert` into snapshot `i`: the map must not see it.
    WriteSnapshot(u8, u16, u16),
    CheckSnapshots,
    /// The owned iterator of a clone or of the map itself: `take` entries,
    /// then the rest collected back into the map, or dropped.
    IntoIter {
        of_clone: bool,
        take: u16,
        collect_rest: bool,
    },
    SetInsert(u16),
    SetInsertRange {
        start: u16,
        len: u16,
        step: u8,
    },
    SetRemove(u16),
    SetTake(u16),
    SetRetain(u64),
    SetClear,
    SetSnapshot,
    SetDropSnapshot(u8),
    /// Set algebra between the set and snapshot `i`, against the models.
    SetCompare(u8),
    /// `into_iter` of a clone of the set, collected.
    SetIntoIter,
    /// The n-th clone from now panics (0 disarms).
    ArmPanic(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    hasher: u8,
    ops: Vec<Op>,
}

struct State {
    h: H,
    map: Map,
    model: Model,
    snaps: Vec<(Map, Model)>,
    set: Set,
    set_model: SetModel,
    set_snaps: Vec<(Set, SetModel)>,
}

fn key(k: u16) -> u32 {
    u32::from(k) & KEY_MASK
}

fn range(h: &H, start: u16, len: u16, step: u8) -> impl Iterator<Item = (u32, u32)> {
    let max = if h.mask == !0 {
        MAX_RANGE
    } else {
        MAX_RANGE_DEGENERATE
    };
    let n = u32::from(len) % (max + 1);
    let step = u32::from(step | 1);
    (0..n).map(move |i| (i, (u32::from(start) + i * step) & KEY_MASK))
}

fn keeps(keep: u64, k: u32) -> bool {
    keep >> (k % 64) & 1 == 1
}

/// The entries of a map, each checked against the model; the map's length,
/// its iterator's length and the model's agree, and no key comes twice.
fn check_map(m: &Map, model: &Model, what: &str) {
    assert_eq!(m.len(), model.len(), "{what}: len");
    assert_eq!(m.is_empty(), model.is_empty(), "{what}: is_empty");
    let it = m.iter();
    assert_eq!(it.len(), model.len(), "{what}: iter().len()");
    let mut seen = HashSet::with_capacity(model.len());
    for (k, v) in it {
        let (k, v) = (k.get(), v.get());
        assert_eq!(model.get(&k), Some(&v), "{what}: entry {k} => {v}");
        assert!(seen.insert(k), "{what}: key {k} twice");
    }
    assert_eq!(seen.len(), model.len(), "{what}: iterated too few");
}

fn check_set(s: &Set, model: &SetModel, what: &str) {
    assert_eq!(s.len(), model.len(), "{what}: len");
    let mut seen = HashSet::with_capacity(model.len());
    for k in s.iter() {
        let k = k.get();
        assert!(model.contains(&k), "{what}: stray {k}");
        assert!(seen.insert(k), "{what}: {k} twice");
    }
    assert_eq!(seen.len(), model.len(), "{what}: iterated too few");
}

/// After a partial in-place change: every entry of `m` was in `old` with
/// its old value or one `ok` allows, every entry gone was allowed to go;
/// returns the map's contents as the new model.
fn take_model(
    m: &Map,
    old: &Model,
    ok: impl Fn(u32, u32, u32) -> bool,
    may_go: impl Fn(u32) -> bool,
) -> Model {
    let now: Model = m.iter().map(|(k, v)| (k.get(), v.get())).collect();
    assert_eq!(now.len(), m.len(), "a key iterated twice");
    for (k, &v) in &now {
        let o = *old.get(k).unwrap_or_else(|| panic!("key {k} appeared"));
        assert!(v == o || ok(*k, o, v), "key {k}: {o} became {v}");
    }
    for k in old.keys() {
        assert!(now.contains_key(k) || may_go(*k), "key {k} lost");
    }
    now
}

impl State {
    fn new(mask: u64) -> State {
        let h = H { mask };
        State {
            map: CowMap::with_hasher(h.clone()),
            set: CowSet::with_hasher(h.clone()),
            h,
            model: Model::new(),
            snaps: Vec::new(),
            set_model: SetModel::new(),
            set_snaps: Vec::new(),
        }
    }

    /// Lookups of one key agree with the model.
    fn probe(&self, k: u32) {
        let q = Key::new(k);
        let got = self.map.get(&q).map(E::get);
        assert_eq!(got, self.model.get(&k).copied(), "get({k})");
        assert_eq!(self.map.contains_key(&q), got.is_some());
        if let Some((sk, sv)) = self.map.get_key_value(&q) {
            assert_eq!((sk.get(), Some(sv.get())), (k, got));
        }
        assert_eq!(
            self.set.contains(&q),
            self.set_model.contains(&k),
            "set contains({k})"
        );
    }

    fn check(&self) {
        check_map(&self.map, &self.model, "map");
        for (i, (s, m)) in self.snaps.iter().enumerate() {
            assert_eq!(s.len(), m.len(), "snapshot {i} changed length");
        }
        check_set(&self.set, &self.set_model, "set");
        for (i, (s, m)) in self.set_snaps.iter().enumerate() {
            assert_eq!(s.len(), m.len(), "set snapshot {i} changed length");
        }
        let entries = self.model.len() + self.snaps.iter().map(|s| s.1.len()).sum::<usize>();
        let keys = self.set_model.len() + self.set_snaps.iter().map(|s| s.1.len()).sum::<usize>();
        // Shared pages count once: at least the map's own keys and values
        // and the set's, at most every snapshot's too.
        let alive = live() as usize;
        assert!(alive >= 2 * self.model.len() + self.set_model.len());
        assert!(alive <= 2 * entries + keys, "more alive than held");
    }

    fn check_snapshots(&self) {
        for (i, (s, m)) in self.snaps.iter().enumerate() {
            check_map(s, m, &format!("snapshot {i}"));
        }
        for (i, (s, m)) in self.set_snaps.iter().enumerate() {
            check_set(s, m, &format!("set snapshot {i}"));
        }
    }

    /// One operation. Returns the key it was about, to probe.
    fn apply(&mut self, op: Op) -> Option<u32> {
        let State {
            h,
            map,
            model,
            snaps,
            set,
            set_model,
            set_snaps,
        } = self;
        // An unshared map never clones, so an injected panic then is a bug.
        let shared = !snaps.is_empty();
        let set_shared = !set_snaps.is_empty();
        let copy_failed = |what: &str| assert!(shared, "{what} cloned an unshared map");
        match op {
            Op::Insert(k, v) => {
                let (k, v) = (key(k), u32::from(v));
                match guarded(|| map.insert(Key::new(k), E::new(v)).map(|e| e.get())) {
                    Ok(old) => assert_eq!(old, model.insert(k, v), "insert({k})"),
                    Err(Injected) => copy_failed("insert"),
                }
                return Some(k);
            }
            Op::InsertRange {
                start,
                len,
                step,
                val,
            } => {
                for (i, k) in range(h, start, len, step) {
                    let v = u32::from(val).wrapping_add(i);
                    match guarded(|| map.insert(Key::new(k), E::new(v)).map(|e| e.get())) {
                        Ok(old) => assert_eq!(old, model.insert(k, v), "insert({k})"),
                        Err(Injected) => {
                            copy_failed("insert");
                            break;
                        }
                    }
                }
            }
            Op::Remove(k) => {
                let k = key(k);
                match guarded(|| map.remove(&Key::new(k)).map(|e| e.get())) {
                    Ok(got) => assert_eq!(got, model.remove(&k), "remove({k})"),
                    Err(Injected) => copy_failed("remove"),
                }
                return Some(k);
            }
            Op::RemoveRange { start, len, step } => {
                for (_, k) in range(h, start, len, step) {
                    match guarded(|| map.remove(&Key::new(k)).map(|e| e.get())) {
                        Ok(got) => assert_eq!(got, model.remove(&k), "remove({k})"),
                        Err(Injected) => {
                            copy_failed("remove");
                            break;
                        }
                    }
                }
            }
            Op::RemoveEntry(k) => {
                let k = key(k);
                match guarded(|| {
                    map.remove_entry(&Key::new(k))
                        .map(|(k, v)| (k.get(), v.get()))
                }) {
                    Ok(got) => assert_eq!(got, model.remove(&k).map(|v| (k, v)), "remove_entry"),
                    Err(Injected) => copy_failed("remove_entry"),
                }
                return Some(k);
            }
            Op::Get(k) => return Some(key(k)),
            Op::GetMut(k, v) => {
                let (k, v) = (key(k), u32::from(v));
                let r = guarded(|| {
                    map.get_mut(&Key::new(k)).map(|e| {
                        let old = e.get();
                        e.set(v);
                        old
                    })
                });
                match r {
                    Ok(old) => {
                        let m = model.get_mut(&k);
                        assert_eq!(old, m.as_deref().copied(), "get_mut({k})");
                        if let Some(m) = m {
                            *m = v;
                        }
                    }
                    Err(Injected) => copy_failed("get_mut"),
                }
                return Some(k);
            }
            Op::EntryOrInsert(k, v) => {
                let (k, v) = (key(k), u32::from(v));
                match guarded(|| map.entry(Key::new(k)).or_insert(E::new(v)).get()) {
                    Ok(got) => assert_eq!(got, *model.entry(k).or_insert(v), "or_insert({k})"),
                    Err(Injected) => copy_failed("entry"),
                }
                return Some(k);
            }
            Op::EntryAndModify(k, v, w) => {
                let (k, v, w) = (key(k), u32::from(v), u32::from(w));
                let r = guarded(|| {
                    map.entry(Key::new(k))
                        .and_modify(|e| e.set(v))
                        .or_insert_with(|| E::new(w))
                        .get()
                });
                match r {
                    Ok(got) => {
                        let want = *model.entry(k).and_modify(|x| *x = v).or_insert(w);
                        assert_eq!(got, want, "and_modify({k})");
                    }
                    Err(Injected) => copy_failed("entry"),
                }
                return Some(k);
            }
            Op::EntryOccupied(k, v) => {
                let k = key(k);
                let r = guarded(|| match map.entry(Key::new(k)) {
                    Entry::Vacant(e) => {
                        assert_eq!(e.key().get(), k);
                        None
                    }
                    Entry::Occupied(mut e) => {
                        assert_eq!(e.key().get(), k);
                        let cur = e.get().get();
                        assert_eq!(e.get_mut().get(), cur);
                        Some(match v {
                            Some(v) => e.insert(E::new(v.into())).get(),
                            None => e.remove().get(),
                        })
                    }
                });
                match r {
                    Ok(got) => {
                        let want = match v {
                            Some(v) => model.get_mut(&k).map(|x| mem::replace(x, v.into())),
                            None => model.remove(&k),
                        };
                        assert_eq!(got, want, "occupied entry ({k})");
                    }
                    Err(Injected) => copy_failed("entry"),
                }
                return Some(k);
            }
            Op::Retain {
                keep,
                bump,
                panic_at,
            } => {
                let bump = u32::from(bump);
                let mut calls = 0usize;
                let r = guarded(|| {
                    map.retain(|k, v| {
                        if panic_at.map(usize::from) == Some(calls) {
                            std::panic::panic_any(Injected);
                        }
                        calls += 1;
                        let k = k.get();
                        v.set(v.get().wrapping_add(bump));
                        keeps(keep, k)
                    })
                });
                let mut saw_panic = false;
                if let Err(Injected) = r {
                    saw_panic = true;
                    assert!(
                        shared || panic_at.is_some(),
                        "retain cloned an unshared map"
                    );
                }
                let old = mem::take(model);
                *model = take_model(
                    map,
                    &old,
                    |_, o, v| v == o.wrapping_add(bump),
                    |k| !keeps(keep, k),
                );
                if !saw_panic {
                    assert_eq!(calls, old.len(), "retain: calls");
                    for (k, &o) in &old {
                        let want = keeps(keep, *k).then_some(o.wrapping_add(bump));
                        assert_eq!(model.get(k).copied(), want, "retain({k})");
                    }
                }
            }
            Op::IterMut { add, stop, values } => {
                let add = u32::from(add);
                let stop = stop.map_or(usize::MAX, usize::from);
                let r = guarded(|| {
                    let mut n = 0;
                    if values {
                        for v in map.values_mut().take(stop) {
                            v.set(v.get().wrapping_add(add));
                            n += 1;
                        }
                    } else {
                        let it = map.iter_mut();
                        assert_eq!(it.len(), model.len());
                        for (_, v) in it.take(stop) {
                            v.set(v.get().wrapping_add(add));
                            n += 1;
                        }
                    }
                    n
                });
                let old = mem::take(model);
                *model = take_model(map, &old, |_, o, v| v == o.wrapping_add(add), |_| false);
                match r {
                    Ok(n) => {
                        assert_eq!(n, old.len().min(stop));
                        if add != 0 {
                            let changed = model.iter().filter(|&(k, v)| old[k] != *v).count();
                            assert_eq!(changed, n, "iter_mut: changed");
                        }
                    }
                    Err(Injected) => copy_failed("iter_mut"),
                }
            }
            Op::Clear => {
                map.clear();
                model.clear();
            }
            Op::Snapshot => {
                if snaps.len() == MAX_SNAPS {
                    let (s, m) = snaps.remove(0);
                    check_map(&s, &m, "dropped snapshot");
                }
                let s = map.clone();
                assert!(s.ptr_eq(map), "a clone is not ptr_eq");
                snaps.push((s, model.clone()));
            }
            Op::DropSnapshot(i) => {
                if !snaps.is_empty() {
                    let (s, m) = snaps.remove(usize::from(i) % snaps.len());
                    check_map(&s, &m, "dropped snapshot");
                }
            }
            Op::WriteSnapshot(i, k, v) => {
                if !snaps.is_empty() {
                    let (k, v) = (key(k), u32::from(v));
                    let n = snaps.len();
                    let (s, m) = &mut snaps[usize::from(i) % n];
                    // An injected panic (a copy of a page shared with the map or
                    // another snapshot) leaves the snapshot as it was.
                    let r = guarded(|| s.insert(Key::new(k), E::new(v)).map(|e| e.get()));
                    if let Ok(old) = r {
                        assert_eq!(old, m.insert(k, v), "snapshot insert({k})");
                    }
                    let got = s.get(&Key::new(k)).map(E::get);
                    assert_eq!(got, m.get(&k).copied(), "snapshot get({k})");
                }
            }
            Op::CheckSnapshots => {
                for (i, (s, m)) in snaps.iter().enumerate() {
                    check_map(s, m, &format!("snapshot {i}"));
                }
                for (i, (s, m)) in set_snaps.iter().enumerate() {
                    check_set(s, m, &format!("set snapshot {i}"));
                }
            }
            Op::IntoIter {
                of_clone,
                take,
                collect_rest,
            } => {
                let take = usize::from(take);
                let mut got: Vec<(u32, u32)> = Vec::new();
                let mut rest: Option<Map> = None;
                let r = guarded(|| {
                    let src = if of_clone {
                        map.clone()
                    } else {
                        mem::replace(map, CowMap::with_hasher(h.clone()))
                    };
                    let mut it = src.into_iter();
                    assert_eq!(it.len(), model.len());
                    for (k, v) in (&mut it).take(take) {
                        got.push((k.get(), v.get()));
                    }
                    if collect_rest {
                        let mut m = CowMap::with_hasher(h.clone());
                        m.extend(it);
                        rest = Some(m);
                    }
                });
                // Whatever came out is a distinct entry of the model.
                let mut seen = HashSet::new();
                for &(k, v) in &got {
                    assert_eq!(model.get(&k), Some(&v), "into_iter: {k} => {v}");
                    assert!(seen.insert(k), "into_iter: {k} twice");
                }
                match r {
                    Ok(()) => {
                        assert_eq!(got.len(), take.min(model.len()));
                        if let Some(rest) = rest {
                            assert_eq!(rest.len() + got.len(), model.len());
                            for (k, v) in rest.iter() {
                                let (k, v) = (k.get(), v.get());
                                assert_eq!(model.get(&k), Some(&v), "rest: {k} => {v}");
                                assert!(seen.insert(k), "into_iter: {k} twice");
                            }
                            if !of_clone {
                                *map = rest;
                            }
                        }
                        if !of_clone {
                            model.retain(|k, _| map.contains_key(&Key::new(*k)));
                        }
                    }
                    Err(Injected) => {
                        // A clone's iterator clones its shared pages; the
                        // map's own moves out of pages it alone holds.
                        if !of_clone {
                            copy_failed("into_iter");
                            assert!(map.is_empty(), "into_iter: the taken map came back");
                            model.clear();
                        }
                    }
                }
            }
            Op::SetInsert(k) => {
                let k = key(k);
                match guarded(|| set.insert(Key::new(k))) {
                    Ok(new) => assert_eq!(new, set_model.insert(k), "set insert({k})"),
                    Err(Injected) => assert!(set_shared, "set insert cloned"),
                }
                return Some(k);
            }
            Op::SetInsertRange { start, len, step } => {
                for (_, k) in range(h, start, len, step) {
                    match guarded(|| set.insert(Key::new(k))) {
                        Ok(new) => assert_eq!(new, set_model.insert(k), "set insert({k})"),
                        Err(Injected) => {
                            assert!(set_shared, "set insert cloned");
                            break;
                        }
                    }
                }
            }
            Op::SetRemove(k) => {
                let k = key(k);
                match guarded(|| set.remove(&Key::new(k))) {
                    Ok(had) => assert_eq!(had, set_model.remove(&k), "set remove({k})"),
                    Err(Injected) => assert!(set_shared, "set remove cloned"),
                }
                return Some(k);
            }
            Op::SetTake(k) => {
                let k = key(k);
                match guarded(|| set.take(&Key::new(k)).map(|t| t.get())) {
                    Ok(got) => assert_eq!(got, set_model.take(&k), "set take({k})"),
                    Err(Injected) => assert!(set_shared, "set take cloned"),
                }
                return Some(k);
            }
            Op::SetRetain(keep) => {
                let r = guarded(|| set.retain(|k| keeps(keep, k.get())));
                let now: SetModel = set.iter().map(Key::get).collect();
                match r {
                    Ok(()) => set_model.retain(|&k| keeps(keep, k)),
                    Err(Injected) => {
                        assert!(set_shared, "set retain cloned");
                        assert!(now.is_subset(set_model), "set retain: a key appeared");
                        assert!(set_model
                            .iter()
                            .all(|&k| now.contains(&k) || !keeps(keep, k)));
                        *set_model = now;
                    }
                }
            }
            Op::SetClear => {
                set.clear();
                set_model.clear();
            }
            Op::SetSnapshot => {
                if set_snaps.len() == MAX_SNAPS {
                    let (s, m) = set_snaps.remove(0);
                    check_set(&s, &m, "dropped set snapshot");
                }
                set_snaps.push((set.clone(), set_model.clone()));
            }
            Op::SetDropSnapshot(i) => {
                if !set_snaps.is_empty() {
                    let (s, m) = set_snaps.remove(usize::from(i) % set_snaps.len());
                    check_set(&s, &m, "dropped set snapshot");
                }
            }
            Op::SetCompare(i) => {
                if !set_snaps.is_empty() {
                    let (s, m) = &set_snaps[usize::from(i) % set_snaps.len()];
                    let vals = |it: &mut dyn Iterator<Item = &Key>| -> SetModel {
                        it.map(Key::get).collect()
                    };
                    let want: SetModel = set_model.intersection(m).copied().collect();
                    assert_eq!(vals(&mut set.intersection(s)), want, "intersection");
                    let want: SetModel = set_model.union(m).copied().collect();
                    assert_eq!(vals(&mut set.union(s)), want, "union");
                    assert_eq!(set.union(s).count(), want.len(), "union: a key twice");
                    let want: SetModel = set_model.difference(m).copied().collect();
                    assert_eq!(vals(&mut set.difference(s)), want, "difference");
                    let want: SetModel = set_model.symmetric_difference(m).copied().collect();
                    assert_eq!(
                        vals(&mut set.symmetric_difference(s)),
                        want,
                        "sym. difference"
                    );
                    assert_eq!(set.is_subset(s), set_model.is_subset(m), "is_subset");
                    assert_eq!(set.is_superset(s), set_model.is_superset(m), "is_superset");
                    assert_eq!(set.is_disjoint(s), set_model.is_disjoint(m), "is_disjoint");
                    assert_eq!(*set == *s, *set_model == *m, "==");
                }
            }
            Op::SetIntoIter => {
                // An injected panic (a clone of a shared page) drops the clone.
                let r = guarded(|| set.clone().into_iter().map(|k| k.get()).collect::<Vec<_>>());
                if let Ok(got) = r {
                    assert_eq!(got.len(), set_model.len(), "set into_iter: len");
                    let got: SetModel = got.into_iter().collect();
                    assert_eq!(got, *set_model, "set into_iter");
                }
            }
            Op::ArmPanic(n) => arm(u32::from(n % 17)),
        }
        None
    }
}

fuzz_target!(|input: Input| {
    start();
    {
        let mask = MASKS[usize::from(input.hasher) % MASKS.len()];
        let mut st = State::new(mask);
        for op in input.ops {
            if let Some(k) = st.apply(op) {
                st.probe(k);
            }
            st.check();
        }
        arm(0);
        st.check_snapshots();
        // The map against its `PartialEq`, and its owned iterator when
        // unique or shared.
        for (s, m) in &st.snaps {
            assert_eq!(*s == st.map, *m == st.model, "PartialEq");
        }
        let all: Model = st
            .map
            .clone()
            .into_iter()
            .map(|(k, v)| (k.get(), v.get()))
            .collect();
        assert_eq!(all, st.model, "into_iter of a clone");
        st.snaps.clear();
        let all: Model = st
            .map
            .into_iter()
            .map(|(k, v)| (k.get(), v.get()))
            .collect();
        assert_eq!(all, st.model, "into_iter of the map");
    }
    assert_eq!(live(), 0, "leak or double drop");
});
