//! Drop accounting and panic safety of `CowMap<K, V, S>`.
//!
//! Keys and values are crash-test dummies (tests/common's [`Dummy`]): every
//! instance, made or cloned, has an id whose drops are counted, so a test
//! checks at the end that every one was dropped exactly once (no leak, no
//! double drop). A dummy's `clone` can panic at the n-th call, and its
//! `drop` for one id.
//!
//! The key wraps a dummy and can also panic in `Hash` or `Eq` at the n-th
//! call, and the map's `BuildHasher` can panic in `build_hasher` or in the
//! hasher's `write` at the n-th call (all counted per thread: libtest runs
//! each test on its own thread). Injected panics run inside `catch_unwind`,
//! and the contract is checked after each: a panicking `Hash`, `Eq`,
//! `Clone` or hasher leaves the map valid, with every entry it had before
//! the operation (an operation that panics before it changed anything
//! changes nothing), a panicking page copy leaves both the original and
//! the snapshot unchanged, and in the end every dummy is dropped once.

use std::borrow::Borrow;
use std::cell::{Cell, RefCell};
use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use arcow::map::Entry;
use arcow::CowMap;

mod common;

use common::{Dummy, Tracker};

// ---------------------------------------------------------------------------
// Injected panics in Hash, Eq, build_hasher and write
// ---------------------------------------------------------------------------

/// The message of a panic injected here; the panic hook keeps these (and the
/// dummies' "on command" panics) quiet.
const INJECTED: &str = "injected panic";

/// Where a panic can be injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Site {
    /// `Hash::hash` of a key.
    Hash = 0,
    /// `PartialEq::eq` of two keys.
    Eq = 1,
    /// `BuildHasher::build_hasher`.
    Build = 2,
    /// `Hasher::write`.
    Write = 3,
}

const NEVER: usize = usize::MAX;

thread_local! {
    static CALLS: [Cell<usize>; 4] = const { [const { Cell::new(0) }; 4] };
    static PANIC_AT: [Cell<usize>; 4] = const { [const { Cell::new(NEVER) }; 4] };
}

/// Counts a call at `site`, and panics if it is the armed one (once).
fn tick(site: Site) {
    let i = site as usize;
    let n = CALLS.with(|c| {
        c[i].set(c[i].get() + 1);
        c[i].get()
    });
    if PANIC_AT.with(|p| p[i].get()) == n {
        PANIC_AT.with(|p| p[i].set(NEVER));
        panic!("{INJECTED}");
    }
}

/// The `n`-th call at `site` from now on (1 = the next) panics.
fn arm(site: Site, n: usize) {
    let i = site as usize;
    let now = CALLS.with(|c| c[i].get());
    PANIC_AT.with(|p| p[i].set(now + n));
}

/// No injected panic anywhere.
fn disarm() {
    PANIC_AT.with(|p| p.iter().for_each(|c| c.set(NEVER)));
}

/// Calls at `site` so far on this thread.
fn calls(site: Site) -> usize {
    CALLS.with(|c| c[site as usize].get())
}

fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            if msg != INJECTED && !msg.contains("on command") {
                default(info);
            }
        }));
    });
}

/// Runs `f`, catching an injected panic; disarms every site after.
fn catch<R>(f: impl FnOnce() -> R) -> Result<R, ()> {
    install_quiet_hook();
    let r = panic::catch_unwind(AssertUnwindSafe(f)).map_err(drop);
    disarm();
    r
}

/// A key around a dummy: hashed and compared by the dummy's value (as a
/// `u64` is, so it can be looked up by `&u64`), with injectable panics.
struct TKey(Dummy);

impl TKey {
    fn v(&self) -> u64 {
        self.0.value
    }
}

impl Clone for TKey {
    fn clone(&self) -> TKey {
        TKey(self.0.clone())
    }
}

impl Hash for TKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        tick(Site::Hash);
        self.0.value.hash(state);
    }
}

impl PartialEq for TKey {
    fn eq(&self, other: &TKey) -> bool {
        tick(Site::Eq);
        self.0.value == other.0.value
    }
}

impl Eq for TKey {}

impl Borrow<u64> for TKey {
    fn borrow(&self) -> &u64 {
        &self.0.value
    }
}

impl fmt::Debug for TKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A fixed-seed `BuildHasher` with injectable panics; `CONSTANT` gives every
/// key the same hash.
#[derive(Clone, Copy, Default)]
struct PanicState<const CONSTANT: bool>;

struct PanicHasher<const CONSTANT: bool>(DefaultHasher);

impl<const CONSTANT: bool> BuildHasher for PanicState<CONSTANT> {
    type Hasher = PanicHasher<CONSTANT>;
    fn build_hasher(&self) -> PanicHasher<CONSTANT> {
        tick(Site::Build);
        PanicHasher(DefaultHasher::new())
    }
}

impl<const CONSTANT: bool> Hasher for PanicHasher<CONSTANT> {
    fn finish(&self) -> u64 {
        if CONSTANT {
            0x0123_4567_89AB_CDEF
        } else {
            self.0.finish()
        }
    }
    fn write(&mut self, bytes: &[u8]) {
        tick(Site::Write);
        self.0.write(bytes);
    }
}

type Map<const C: bool = false> = CowMap<TKey, Dummy, PanicState<C>>;
type Model = BTreeMap<u64, u64>;

/// Entries in the bigger maps: several pages (a page of `TKey -> Dummy`
/// holds a few dozen entries).
const N: u64 = if cfg!(miri) { 70 } else { 600 };

fn build<const C: bool>(t: &Tracker, keys: impl IntoIterator<Item = u64>) -> (Map<C>, Model) {
    let mut m = Map::<C>::default();
    let mut model = Model::new();
    for k in keys {
        m.insert(TKey(t.make(k)), t.make(k * 10));
        model.insert(k, k * 10);
    }
    (m, model)
}

/// The map's contents by iteration (no hashing, no comparing).
fn contents<const C: bool>(m: &Map<C>) -> Model {
    let mut out = Model::new();
    for (k, v) in m.iter() {
        assert!(out.insert(k.v(), v.value).is_none(), "key {} twice", k.v());
    }
    assert_eq!(out.len(), m.len(), "iter yields len entries");
    out
}

/// The map equals `model`, by iteration and by lookups of every key (and a
/// few missing ones).
#[track_caller]
fn check<const C: bool>(m: &Map<C>, model: &Model, what: &str) {
    disarm();
    assert_eq!(m.len(), model.len(), "{what}: len");
    assert_eq!(&contents(m), model, "{what}: contents");
    // Under Miri (where hashing is slow) a sample of the keys.
    for (k, v) in model.iter().step_by(if cfg!(miri) { 9 } else { 1 }) {
        assert_eq!(m.get(k).map(|d| d.value), Some(*v), "{what}: get {k}");
    }
    for k in [u64::MAX, u64::MAX - 1, 1 << 40] {
        assert!(m.get(&k).is_none(), "{what}: missing {k}");
    }
}

// ---------------------------------------------------------------------------
// Exact drop accounting
// ---------------------------------------------------------------------------

#[test]
fn drop_of_unique_and_shared_maps() {
    let t = Tracker::new();
    let (m, _) = build::<false>(&t, 0..N);
    drop(m);
    t.assert_all_dropped_once();
    // Shared: the snapshot keeps everything until it goes too.
    let (m, _) = build::<false>(&t, 0..N);
    let s = m.clone();
    let live = t.live();
    drop(m);
    assert_eq!(t.live(), live, "the snapshot keeps its entries");
    drop(s);
    t.assert_all_dropped_once();
    // A snapshot with writes on both sides: the copies are dropped too.
    let (mut m, _) = build::<false>(&t, 0..N);
    let mut s = m.clone();
    m.insert(TKey(t.make(1)), t.make(1));
    s.insert(TKey(t.make(2)), t.make(2));
    s.remove(&3);
    drop(s);
    drop(m);
    t.assert_all_dropped_once();
    assert_eq!(t.live(), 0);
}

#[test]
fn clear_drops_each_once() {
    let t = Tracker::new();
    let (mut m, model) = build::<false>(&t, 0..N);
    m.clear();
    assert_eq!(t.live(), 0, "unique: clear drops everything");
    let (mut m2, _) = build::<false>(&t, 0..N);
    let s = m2.clone();
    let live = t.live();
    m2.clear();
    assert_eq!(t.live(), live, "shared: the snapshot keeps its entries");
    check(&s, &model, "snapshot after clear");
    drop((m, m2, s));
    t.assert_all_dropped_once();
}

#[test]
fn remove_retain_overwrite_drop_each_once() {
    let t = Tracker::new();
    let (mut m, mut model) = build::<false>(&t, 0..N);
    for k in (0..N).step_by(3) {
        let v = m.remove(&k).unwrap();
        assert_eq!(v.value, k * 10);
        model.remove(&k);
    }
    for k in (1..N).step_by(3) {
        let (key, v) = m.remove_entry(&k).unwrap();
        assert_eq!((key.v(), v.value), (k, k * 10));
        model.remove(&k);
    }
    check(&m, &model, "after removes");
    // Overwrites: the old value comes back, the new key is dropped.
    for k in (2..N).step_by(3) {
        let old = m.insert(TKey(t.make(k)), t.make(k + 1)).unwrap();
        assert_eq!(old.value, k * 10);
        model.insert(k, k + 1);
    }
    // Entry overwrites and removes.
    for k in (2..N).step_by(6) {
        let Entry::Occupied(mut o) = m.entry(TKey(t.make(k))) else {
            panic!("occupied")
        };
        assert_eq!(o.insert(t.make(7)).value, k + 1);
        model.insert(k, 7);
    }
    for k in (5..N).step_by(6) {
        let Entry::Occupied(o) = m.entry(TKey(t.make(k))) else {
            panic!("occupied")
        };
        assert_eq!(o.remove().value, k + 1);
        model.remove(&k);
    }
    check(&m, &model, "after overwrites");
    let live = t.live();
    let mut dropped = 0;
    m.retain(|k, _| {
        let keep = k.v() % 4 != 2;
        dropped += usize::from(!keep) * 2;
        keep
    });
    model.retain(|k, _| k % 4 != 2);
    assert_eq!(
        t.live(),
        live - dropped,
        "retain drops what it removes, at once"
    );
    check(&m, &model, "after retain");
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn into_iter_moves_unique_and_clones_shared() {
    let t = Tracker::new();
    // Unique, fully consumed: moved, not cloned.
    let (m, model) = build::<false>(&t, 0..N);
    let clones = t.clone_calls();
    let got: Model = m.into_iter().map(|(k, v)| (k.v(), v.value)).collect();
    assert_eq!(got, model);
    assert_eq!(
        t.clone_calls(),
        clones,
        "a unique map moves its entries out"
    );
    t.assert_all_dropped_once();
    // Unique, partly consumed: the rest is dropped with the iterator.
    let (m, _) = build::<false>(&t, 0..N);
    let mut it = m.into_iter();
    let taken: Vec<_> = it.by_ref().take(N as usize / 3).collect();
    assert_eq!(it.len(), N as usize - taken.len());
    drop(it);
    assert_eq!(t.live(), 2 * taken.len());
    drop(taken);
    t.assert_all_dropped_once();
    assert_eq!(t.clone_calls(), clones);
    // Shared: clones out, the snapshot keeps its own.
    let (m, model) = build::<false>(&t, 0..N);
    let s = m.clone();
    let got: Model = m.into_iter().map(|(k, v)| (k.v(), v.value)).collect();
    assert_eq!(got, model);
    assert_eq!(
        t.clone_calls(),
        clones + 2 * N as usize,
        "a shared map clones"
    );
    check(&s, &model, "snapshot after into_iter");
    // Shared, partly consumed.
    let mut it = s.clone().into_iter();
    let before = t.clone_calls();
    let taken: Vec<_> = it.by_ref().take(10).collect();
    assert_eq!(t.clone_calls(), before + 20);
    drop(it);
    drop(taken);
    check(&s, &model, "snapshot after a partial into_iter");
    // Half unique, half shared: write to some pages after the snapshot.
    let mut m = s.clone();
    for k in (0..N).step_by(40) {
        m.get_mut(&k).unwrap().value += 1;
    }
    let got: Model = m.into_iter().map(|(k, v)| (k.v(), v.value)).collect();
    for (k, v) in &model {
        assert_eq!(got[k], if k % 40 == 0 { v + 1 } else { *v });
    }
    check(&s, &model, "snapshot after a mixed into_iter");
    drop(s);
    t.assert_all_dropped_once();
}

// ---------------------------------------------------------------------------
// Panicking Clone during a page copy
// ---------------------------------------------------------------------------

/// A write to a shared map that copies pages; each knows what it did to the
/// model when it ran to the end.
#[derive(Clone, Copy, Debug)]
enum Write {
    GetMut,
    InsertExisting,
    InsertNew,
    Remove,
    EntryModify,
    EntryInsert,
    EntryRemove,
    IterMut,
    ValuesMut,
    Retain,
    IntoIter,
}

const WRITES: [Write; 11] = [
    Write::GetMut,
    Write::InsertExisting,
    Write::InsertNew,
    Write::Remove,
    Write::EntryModify,
    Write::EntryInsert,
    Write::EntryRemove,
    Write::IterMut,
    Write::ValuesMut,
    Write::Retain,
    Write::IntoIter,
];

/// Runs `w` on `m` for key `k`; `done` records what iterating writes did
/// before a panic, so that the model can follow: `(key, new value or None
/// for removed)`.
fn apply(t: &Tracker, w: Write, m: &mut Map, k: u64, done: &RefCell<Vec<(u64, Option<u64>)>>) {
    let log = |k: u64, v: Option<u64>| done.borrow_mut().push((k, v));
    match w {
        Write::GetMut => {
            let v = m.get_mut(&k).unwrap();
            v.value += 1;
            log(k, Some(v.value));
        }
        Write::InsertExisting => {
            m.insert(TKey(t.make(k)), t.make(5));
            log(k, Some(5));
        }
        Write::InsertNew => {
            m.insert(TKey(t.make(k + 1_000_000)), t.make(6));
            log(k + 1_000_000, Some(6));
        }
        Write::Remove => {
            m.remove(&k).unwrap();
            log(k, None);
        }
        Write::EntryModify => {
            let v = m
                .entry(TKey(t.make(k)))
                .and_modify(|v| v.value = 8)
                .or_insert_with(|| unreachable!());
            assert_eq!(v.value, 8);
            log(k, Some(8));
        }
        Write::EntryInsert => {
            m.entry(TKey(t.make(k + 1_000_000)))
                .or_insert_with(|| t.make(9));
            log(k + 1_000_000, Some(9));
        }
        Write::EntryRemove => {
            let Entry::Occupied(o) = m.entry(TKey(t.make(k))) else {
                panic!("occupied")
            };
            o.remove();
            log(k, None);
        }
        Write::IterMut => {
            for (key, v) in m.iter_mut() {
                v.value += 1;
                log(key.v(), Some(v.value));
            }
        }
        Write::ValuesMut => {
            // The values alone do not say their key: count them, and check
            // below that exactly that many values moved on by one.
            for v in m.values_mut() {
                v.value += 1;
                log(u64::MAX, Some(v.value));
            }
        }
        Write::Retain => m.retain(|key, v| {
            let keep = key.v() % 3 != 0;
            v.value += 1;
            log(key.v(), keep.then_some(v.value));
            keep
        }),
        Write::IntoIter => {
            // Consumes a clone (a shared map); the map itself is untouched.
            let it = m.clone().into_iter();
            let n = it.count();
            assert_eq!(n, m.len());
        }
    }
}

/// For each write and each n in `ns`: snapshot, make the n-th clone from
/// now panic, write. A write that panicked leaves the map as the model
/// says it was when the panic came (nothing, for a single-key write), and
/// the snapshot as it was.
fn panicking_copies(ns: impl Iterator<Item = usize> + Clone) {
    let t = Tracker::new();
    let (mut m, mut model) = build::<false>(&t, 0..N);
    for w in WRITES {
        let mut panicked = 0;
        for n in ns.clone() {
            let k = (n as u64 * 7) % N;
            if !model.contains_key(&k) {
                continue;
            }
            let snap = m.clone();
            let snap_model = model.clone();
            t.panic_on_clone(n);
            let done = RefCell::new(Vec::new());
            let r = panic::catch_unwind(AssertUnwindSafe(|| apply(&t, w, &mut m, k, &done)));
            install_quiet_hook();
            t.panic_on_clone(usize::MAX - t.clone_calls()); // never
            let done = done.into_inner();
            if r.is_err() {
                panicked += 1;
            }
            if let Write::ValuesMut = w {
                // Exactly `done.len()` values moved on by one.
                let now = contents(&m);
                let moved = now.iter().filter(|(k, v)| model[k] + 1 == **v).count();
                assert_eq!(
                    moved,
                    done.len(),
                    "{w:?} n={n}: values_mut wrote what it yielded"
                );
                model = now;
            } else {
                for (k, v) in done {
                    match v {
                        Some(v) => model.insert(k, v),
                        None => model.remove(&k),
                    };
                }
            }
            let what = format!(
                "{w:?}, clone {n} panics: {}",
                if r.is_err() { "panicked" } else { "ran" }
            );
            check(&m, &model, &format!("{what}, the map"));
            check(&snap, &snap_model, &format!("{what}, the snapshot"));
            drop(snap);
            // Back to the same keys, so the next round finds them.
            if let Write::InsertNew | Write::EntryInsert = w {
                m.remove(&(k + 1_000_000));
                model.remove(&(k + 1_000_000));
            }
            if let std::collections::btree_map::Entry::Vacant(e) = model.entry(k) {
                m.insert(TKey(t.make(k)), t.make(k * 10));
                e.insert(k * 10);
            }
        }
        assert!(panicked > 0, "{w:?}: some clone panicked");
    }
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn panicking_clone_during_a_page_copy() {
    // A page of TKey -> Dummy holds a few dozen entries: two clones each.
    if cfg!(miri) {
        // One late panic (20 s per case per aliasing model); the early ones
        // run natively, and the fuzz target's injected clone panics hit
        // page copies at every position.
        panicking_copies([77].into_iter());
    } else {
        panicking_copies(1..=130);
    }
}

#[test]
fn panicking_clone_in_a_shared_into_iter() {
    let t = Tracker::new();
    let (m, model) = build::<false>(&t, 0..N);
    let s = m.clone();
    let mut it = m.into_iter();
    let mut got = Vec::new();
    for n in [1, 2, 5, 30] {
        t.panic_on_clone(n);
        let r = catch(|| {
            for e in it.by_ref() {
                got.push(e);
            }
        });
        assert!(r.is_err());
    }
    drop(it);
    drop(got);
    check(&s, &model, "snapshot");
    drop(s);
    t.assert_all_dropped_once();
}

// ---------------------------------------------------------------------------
// Panicking Hash, Eq and hasher, including during splits
// ---------------------------------------------------------------------------

/// Inserts `keys` one by one; each insert first runs, for every n up to the
/// number of `site` calls it makes (when it splits or rebuilds a page: one
/// call a key of the page), with the n-th call panicking, and checks the
/// map unchanged after each. With `snapshot_every`, a snapshot is taken
/// now and then and checked along.
fn panicking_site_on_insert<const C: bool>(
    site: Site,
    keys: u64,
    every_n: usize,
    snapshot_every: u64,
) {
    let t = Tracker::new();
    let mut m = Map::<C>::default();
    let mut model = Model::new();
    let mut snap: Option<(Map<C>, Model)> = None;
    let mut restructures = 0;
    for k in 0..keys {
        if snapshot_every > 0 && k % snapshot_every == 0 {
            snap = Some((m.clone(), model.clone()));
        }
        // How many calls does this insert make? Try it on a clone (which
        // shares the pages: the copy makes the same calls).
        let before = calls(site);
        let mut probe = m.clone();
        probe.insert(TKey(t.make(k)), t.make(k));
        let need = calls(site) - before;
        drop(probe);
        if need > 1 {
            restructures += 1;
            for n in (1..=need).step_by(every_n).chain([need]) {
                arm(site, n);
                let r = catch(|| m.insert(TKey(t.make(k)), t.make(k)));
                assert!(r.is_err(), "call {n} of {need} panics");
                assert_eq!(m.len(), model.len());
                if n % 16 == 1 || n == need {
                    check(
                        &m,
                        &model,
                        &format!("{site:?} panics at call {n} of {need}, inserting {k}"),
                    );
                }
            }
        } else {
            arm(site, 1);
            assert!(catch(|| m.insert(TKey(t.make(k)), t.make(k))).is_err());
            assert_eq!(m.len(), model.len());
        }
        assert!(m.insert(TKey(t.make(k)), t.make(k)).is_none());
        model.insert(k, k);
        if let Some((s, sm)) = &snap {
            if k % 32 == 0 {
                check(s, sm, "snapshot");
            }
        }
    }
    check(&m, &model, "the end");
    if C {
        // Keys with one hash: past depth 32 a full page asks the hasher
        // for every key again (the stored half no longer tells them
        // apart), and a panic there must change nothing.
        assert!(restructures > 0, "some insert rehashed a page");
    } else {
        // A good hasher: splits place entries by the hash halves the page
        // stores, so every insert, splitting or not, hashes once.
        assert_eq!(restructures, 0, "an insert hashed more than its own key");
    }
    // Hash panics in the other operations change nothing (looked up by
    // `&TKey`, whose `Hash` ticks, unlike `u64`'s).
    for k in (0..keys).step_by(7) {
        let key = TKey(t.make(k));
        arm(site, 1);
        assert!(catch(|| m.get_mut(&key).map(|v| v.value = 0)).is_err());
        arm(site, 1);
        assert!(catch(|| m.remove(&key)).is_err());
        arm(site, 1);
        assert!(catch(|| m.remove_entry(&key)).is_err());
        arm(site, 1);
        assert!(catch(|| m.get(&key).map(|v| v.value)).is_err());
        arm(site, 1);
        assert!(catch(|| m.contains_key(&key)).is_err());
        arm(site, 1);
        assert!(catch(|| m.insert(key.clone(), t.make(0))).is_err());
        arm(site, 1);
        assert!(catch(|| m.entry(key).or_insert_with(|| t.make(0)).value).is_err());
    }
    check(&m, &model, "after panicking lookups");
    drop(snap);
    drop(m);
    t.assert_all_dropped_once();
}

const SPLIT_KEYS: u64 = if cfg!(miri) { 60 } else { 1200 };
const EVERY: usize = if cfg!(miri) { 29 } else { 1 };

#[test]
fn panicking_build_hasher_during_splits() {
    panicking_site_on_insert::<false>(Site::Build, SPLIT_KEYS, EVERY, 0);
}

#[test]
fn panicking_hasher_write_during_splits() {
    panicking_site_on_insert::<false>(Site::Write, SPLIT_KEYS, EVERY, 0);
}

#[test]
fn panicking_key_hash_during_splits() {
    panicking_site_on_insert::<false>(Site::Hash, SPLIT_KEYS, EVERY, 0);
}

#[test]
fn panicking_hash_during_splits_with_snapshots() {
    panicking_site_on_insert::<false>(Site::Hash, SPLIT_KEYS, EVERY * 3, 50);
}

#[test]
fn panicking_hash_with_a_constant_hasher() {
    // No split can help: pages narrow, then grow, rehashing every key.
    // Under Miri just past one full page of these entries (56), so that
    // one insert rehashes it.
    let keys = if cfg!(miri) { 60 } else { 300 };
    panicking_site_on_insert::<true>(Site::Hash, keys, if cfg!(miri) { 29 } else { 3 }, 40);
}

#[test]
fn panicking_eq_changes_nothing() {
    // A constant hash: every lookup compares with many keys.
    let t = Tracker::new();
    let keys = if cfg!(miri) { 24 } else { 200 };
    let (mut m, mut model) = build::<true>(&t, 0..keys);
    let snap = m.clone();
    let mut panicked = 0;
    for n in (1..keys as usize + 5).step_by(if cfg!(miri) { 9 } else { 1 }) {
        let k = (n as u64 * 13) % keys;
        let ops: [&dyn Fn(&mut Map<true>); 6] = [
            &|m| drop(m.insert(TKey(t.make(k)), t.make(1))),
            &|m| drop(m.insert(TKey(t.make(k + keys)), t.make(1))),
            &|m| drop(m.remove(&k)),
            &|m| {
                if let Some(v) = m.get_mut(&k) {
                    v.value = 2;
                }
            },
            &|m| {
                m.entry(TKey(t.make(k))).or_insert_with(|| t.make(3));
            },
            &|m| assert!(m.get(&(k + keys)).is_none()),
        ];
        for op in ops {
            arm(Site::Eq, n);
            if catch(|| op(&mut m)).is_ok() {
                // Ran to the end: put the model's entry back.
                m.remove(&(k + keys));
                m.insert(TKey(t.make(k)), t.make(k * 10));
                model.insert(k, k * 10);
            } else {
                panicked += 1;
            }
            check(&m, &model, &format!("Eq panics at call {n}"));
        }
    }
    assert!(panicked > 0);
    check(&snap, &build_model(0..keys), "snapshot");
    drop((m, snap));
    t.assert_all_dropped_once();
}

fn build_model(keys: impl IntoIterator<Item = u64>) -> Model {
    keys.into_iter().map(|k| (k, k * 10)).collect()
}

// ---------------------------------------------------------------------------
// Panicking Drop, panicking closures
// ---------------------------------------------------------------------------

/// The map's values' ids in iteration order (the order pages are walked
/// in, and so dropped in).
fn value_ids(m: &Map) -> Vec<usize> {
    m.values().map(Dummy::id).collect()
}

// The next three tests show one bug: when an entry's `drop` panics while a
// directory node is being freed, the node's remaining children (every page
// after the panicking one) are leaked, entries undropped. The node's
// `Rest` guard (src/map/dir.rs, `drop_node`) releases the children in a
// loop inside its own `Drop`, so a panic from one child's release unwinds
// out of that `drop` and nothing is left to release the rest; the node's
// box leaks too. `drop_page`'s own guard is fine (the panicking page's
// other entries are dropped). The victim is on the first page walked, so
// every later page must still be dropped. (The same pattern is in
// `drop_page`, see the one-page test below, and in `IntoIter`'s drop.)

#[test]
fn panicking_value_drop_in_map_drop_drops_the_other_pages() {
    let t = Tracker::new();
    let (m, _) = build::<false>(&t, 0..N);
    t.panic_on_drop_of(value_ids(&m)[0]);
    assert!(catch(|| drop(m)).is_err());
    t.assert_all_dropped_once();
}

#[test]
fn panicking_value_drop_in_clear_drops_the_other_pages() {
    let t = Tracker::new();
    let (mut m, _) = build::<false>(&t, 0..N);
    t.panic_on_drop_of(value_ids(&m)[0]);
    assert!(catch(|| m.clear()).is_err());
    assert!(m.is_empty());
    m.insert(TKey(t.make(1)), t.make(1));
    assert_eq!(m.len(), 1);
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn panicking_value_drop_in_the_last_snapshot_drops_the_other_pages() {
    let t = Tracker::new();
    let (m, _) = build::<false>(&t, 0..N);
    let s = m.clone();
    t.panic_on_drop_of(value_ids(&m)[0]);
    drop(m);
    assert!(catch(|| drop(s)).is_err());
    t.assert_all_dropped_once();
}

#[test]
fn panicking_value_drop_in_an_unstarted_into_iter_drops_the_other_pages() {
    // The same bug in `IntoIter`'s drop (src/map/iter.rs): its `Pages`
    // guard releases the pages not yet reached in a loop inside its own
    // `Drop`; a panic from one page's entry leaks the pages after it.
    let t = Tracker::new();
    let (m, _) = build::<false>(&t, 0..N);
    t.panic_on_drop_of(value_ids(&m)[0]);
    let it = m.into_iter();
    assert!(catch(|| drop(it)).is_err());
    t.assert_all_dropped_once();
}

#[test]
fn panicking_value_drop_in_a_one_page_map_drops_the_rest() {
    // One page, no directory node: the same bug in `drop_page`'s `Rest`
    // guard (src/map/page.rs), which drops the remaining slots in a loop
    // inside its own `Drop`: a panic from one entry leaks every entry after
    // it in slot order. Each position in turn is the victim.
    let t = Tracker::new();
    for i in 0..10 {
        let (m, _) = build::<false>(&t, 0..10);
        t.panic_on_drop_of(value_ids(&m)[i]);
        assert!(catch(|| drop(m)).is_err());
    }
    t.assert_all_dropped_once();
}

#[test]
fn panicking_value_drop_in_retain() {
    // The map stays valid; what retain had not reached stays.
    let t = Tracker::new();
    let (mut m, mut model) = build::<false>(&t, 0..N);
    t.panic_on_drop_of(m.get(&9).unwrap().id());
    assert!(catch(|| m.retain(|k, _| k.v() % 3 != 0)).is_err());
    let now = contents(&m);
    for (k, v) in &now {
        assert_eq!(model[k], *v);
    }
    model.retain(|k, _| k % 3 != 0);
    for k in model.keys() {
        assert!(now.contains_key(k), "retain kept {k}");
    }
    assert!(!now.contains_key(&9));
    model = now;
    check(&m, &model, "after a panicking drop in retain");
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn panicking_value_drop_in_into_iter() {
    let t = Tracker::new();
    // Unique, partly consumed then dropped: the victim is in the iterator.
    let (m, _) = build::<false>(&t, 0..N);
    let ids = value_ids(&m);
    let mut it = m.into_iter();
    let first = it.next().unwrap();
    // A unique map moves its entries out: `first` is an original, so the
    // victim is any other value still in the iterator.
    let victim = ids.iter().copied().find(|&id| id != first.1.id()).unwrap();
    t.panic_on_drop_of(victim);
    assert!(catch(|| drop(it)).is_err());
    drop(first);
    t.assert_all_dropped_once();
}

#[test]
fn panicking_value_drop_on_overwrite_and_remove() {
    let t = Tracker::new();
    let (mut m, _) = build::<false>(&t, 0..10);
    t.panic_on_drop_of(m.get(&4).unwrap().id());
    assert!(catch(|| drop(m.insert(TKey(t.make(4)), t.make(40)))).is_err());
    assert_eq!(m[&4].value, 40);
    t.panic_on_drop_of(m.get(&5).unwrap().id());
    assert!(catch(|| drop(m.remove(&5))).is_err());
    assert_eq!((m.len(), m.get(&5).map(|v| v.value)), (9, None));
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn panicking_retain_predicate_keeps_the_map_valid() {
    let t = Tracker::new();
    let (mut m, model) = build::<false>(&t, 0..N);
    let snap = m.clone();
    let seen = RefCell::new(Vec::new());
    let r = catch(|| {
        m.retain(|k, _| {
            let mut s = seen.borrow_mut();
            if s.len() == N as usize / 2 {
                panic!("{INJECTED}");
            }
            s.push(k.v());
            k.v() % 2 == 0
        })
    });
    assert!(r.is_err());
    let seen = seen.into_inner();
    let mut want = model.clone();
    for k in &seen {
        if k % 2 == 1 {
            want.remove(k);
        }
    }
    check(&m, &want, "after a panicking retain");
    check(&snap, &model, "the snapshot");
    drop((m, snap));
    t.assert_all_dropped_once();
}

#[test]
fn panicking_or_insert_with_drops_the_key() {
    let t = Tracker::new();
    let (mut m, model) = build::<false>(&t, 0..N);
    let s = m.clone();
    assert!(catch(|| m
        .entry(TKey(t.make(N + 1)))
        .or_insert_with(|| panic!("{INJECTED}"))
        .value)
    .is_err());
    assert!(catch(|| m
        .entry(TKey(t.make(N + 1)))
        .or_insert_with_key(|_| panic!("{INJECTED}"))
        .value)
    .is_err());
    check(&m, &model, "map");
    check(&s, &model, "snapshot");
    drop((m, s));
    t.assert_all_dropped_once();
}

#[test]
fn panicking_clone_in_iter_mut_keeps_both_sides() {
    // The iteration stopped by a copy that panics: the pages passed were
    // copied and written, the rest is shared and untouched.
    let t = Tracker::new();
    let (mut m, model) = build::<false>(&t, 0..N);
    let s = m.clone();
    // Two clones an entry: past the first page, whatever N is.
    t.panic_on_clone(N as usize + 10);
    let written = Cell::new(0);
    let r = catch(|| {
        for (_, v) in m.iter_mut() {
            v.value += 1;
            written.set(written.get() + 1);
        }
    });
    assert!(r.is_err(), "a later page's copy panics");
    t.panic_on_clone(usize::MAX - t.clone_calls());
    let now = contents(&m);
    let moved = now.iter().filter(|(k, v)| model[k] + 1 == **v).count();
    assert_eq!(moved, written.get());
    assert!(now
        .iter()
        .all(|(k, v)| model[k] == *v || model[k] + 1 == *v));
    check(&s, &model, "snapshot");
    drop((m, s));
    t.assert_all_dropped_once();
}
