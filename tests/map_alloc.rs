//! Allocation accounting for `CowMap<K, V, S>`, with a counting global
//! allocator.
//!
//! The counters are thread-local: libtest runs each test on its own thread,
//! so tests running in parallel never see each other's allocations. Each
//! check measures only the region it cares about ([`measure`]); assertions,
//! which may format and allocate, stay outside it.
//!
//! Shown here (DESIGN.md, "CowMap<K, V, S>"): an empty map owns nothing;
//! `clone` and reads allocate nothing; writes to existing keys of a map
//! nobody shares allocate nothing, before any snapshot and after the last
//! one is dropped (several directory slots point at one page: a wrong
//! uniqueness test would copy here); the first write after a snapshot of
//! 1M `u64 -> u64` makes at most 4 allocations and 16 KiB, a write to
//! another page costs as much again (the rest stayed shared), and a write
//! to a missing key copies nothing; with a hasher that gives every key the
//! same hash (or keeps the top 24 bits equal), everything works and the
//! live heap stays O(len).

use std::hint::black_box;
use std::mem::size_of;
use std::time::Instant;

use arcow::map::Entry;
use arcow::CowMap;

mod common;

use common::alloc::{measure, measure_with_sizes, refusing, Stats};
use common::hashers::{Constant, Low40, Sip, Top8};

#[global_allocator]
static GLOBAL: common::alloc::Counting = common::alloc::Counting;

/// The contract's bound on the first write after a snapshot.
const MAX_ALLOCS: usize = 4;
const MAX_BYTES: usize = 16 * 1024;

/// Entries of the big map: 1M natively, enough for a two-level directory
/// under Miri.
const BIG: u64 = if cfg!(miri) { 500 } else { 1_000_000 };

type Map = CowMap<u64, u64, Sip>;

fn big_map(n: u64) -> Map {
    let mut m = Map::default();
    for i in 0..n {
        m.insert(i, i);
    }
    m
}

// ---------------------------------------------------------------------------
// Nothing allocated where nothing must be
// ---------------------------------------------------------------------------

#[test]
fn empty_maps_own_nothing() {
    let (v, s) = measure(|| {
        let a: CowMap<u64, u64> = CowMap::new();
        let b: CowMap<u64, u64> = CowMap::default();
        let c: CowMap<u64, u64> = CowMap::with_capacity(0);
        let d: CowMap<u64, u64> = std::iter::empty().collect();
        let e = a.clone();
        let f: arcow::CowSet<u64> = arcow::CowSet::new();
        (a, b, c, d, e, f)
    });
    assert_eq!(s, Stats::NONE);
    let (_, s) = measure(|| drop(v));
    assert_eq!(s, Stats::NONE);
    let (_, s) = measure(|| {
        let mut m = big_map(if cfg!(miri) { 300 } else { 3000 });
        m.clear();
        m
    });
    assert!(s.balanced(), "clear frees every page: {s:?}");
    let (_, s) = measure(|| drop(big_map(if cfg!(miri) { 300 } else { 3000 })));
    assert!(s.balanced(), "drop frees every page: {s:?}");
}

#[test]
fn with_capacity_allocates_once_then_nothing_up_to_it() {
    let (mut m, s) = measure(|| CowMap::<u64, u64>::with_capacity(50));
    assert_eq!(s.allocs, 1, "one page");
    let (_, s) = measure(|| {
        for i in 0..50 {
            m.insert(i, i);
        }
    });
    assert_eq!(s, Stats::NONE, "up to the capacity, no allocation");
}

#[test]
fn clone_and_reads_allocate_nothing() {
    let m = big_map(if cfg!(miri) { 300 } else { 100_000 });
    // Below the size from which a full read lists its pages (16Ki entries;
    // 256 under Miri).
    let small = big_map(if cfg!(miri) { 200 } else { 10_000 });
    let (c, s) = measure(|| m.clone());
    assert_eq!(s, Stats::NONE, "clone");
    let (sum, s) = measure(|| {
        let mut sum = 0u64;
        for i in 0..1000 {
            sum += m.get(&i).copied().unwrap_or(0);
            sum += u64::from(c.contains_key(&(i + 5_000_000)));
        }
        sum += small.iter().map(|(_, v)| v).sum::<u64>();
        sum += small.keys().count() as u64;
        for (_, v) in &small {
            sum += v;
        }
        // A read of a big map that stops early lists nothing.
        sum += m.values().take(64).sum::<u64>();
        sum
    });
    assert_eq!(s, Stats::NONE, "reads");
    black_box(sum);
    let (_, s) = measure(|| drop(c));
    assert_eq!(s, Stats::NONE, "dropping a clone while the original lives");
}

/// A full read of a big map (`fold`, as `sum` does, or a `for` loop)
/// visits most pages in address order, from a list of them: one
/// allocation of a pointer per page, about 0.2% of the map's heap, freed
/// before the read ends. If that allocation is refused, in whole or when
/// the list grows, the read still visits every entry once, in the walk's
/// order for the pages the list has no room for.
#[test]
fn a_full_read_of_a_big_map_lists_its_pages_once() {
    let n = if cfg!(miri) { 400 } else { 100_000 };
    let m = big_map(n);
    let expected = (n, (0..n).sum::<u64>(), (0..n).map(|k| k * k).sum::<u64>());
    // Count, sum and sum of squares of the keys: a key missed and another
    // seen twice would have to keep both sums.
    let tally = |it: arcow::map::Iter<'_, u64, u64>| {
        it.fold((0, 0, 0), |(c, s, q), (k, v)| {
            assert_eq!(k, v);
            (c + 1, s + k, q + k * k)
        })
    };
    let tally_loop = |it: arcow::map::Iter<'_, u64, u64>| {
        let (mut c, mut s, mut q) = (0, 0, 0);
        for (k, _) in it {
            (c, s, q) = (c + 1, s + k, q + k * k);
        }
        (c, s, q)
    };
    // At most a pointer for every 64 entries (u64 pages hold 112 to 224),
    // and the walk's first pages.
    let max_bytes = size_of::<usize>() * (n as usize / 64 + 64);
    type Read<'a> = &'a dyn Fn(arcow::map::Iter<'_, u64, u64>) -> (u64, u64, u64);
    let reads: [(&str, Read<'_>); 2] = [("fold", &tally), ("for", &tally_loop)];
    for (what, read) in reads {
        let (t, s) = measure(|| read(m.iter()));
        assert_eq!(t, expected, "{what}");
        assert_eq!((s.allocs, s.deallocs), (1, 1), "{what}: one list: {s:?}");
        assert!(
            s.alloc_bytes <= max_bytes,
            "{what}: {s:?}, at most {max_bytes}"
        );
    }
    // Refused outright, and refused once the list passes 64 pages.
    for from in [1, 64 * size_of::<usize>()] {
        let (fold, looped) = refusing(from, || (tally(m.iter()), tally_loop(m.iter())));
        assert_eq!(fold, expected, "fold, allocations from {from} B refused");
        assert_eq!(looped, expected, "for, allocations from {from} B refused");
    }
}

/// Every write to an existing key, none of which may allocate on an
/// unshared map. Returns the stats of each.
fn writes_to_existing_keys(m: &mut Map, n: u64) -> Vec<(&'static str, Stats)> {
    let mut out = Vec::new();
    let step = (n / 97).max(1);
    let (_, s) = measure(|| {
        for k in (0..n).step_by(step as usize) {
            black_box(m.insert(k, k + 1));
        }
    });
    out.push(("insert over an existing key", s));
    let (_, s) = measure(|| {
        for k in (0..n).step_by(step as usize) {
            *m.get_mut(&k).unwrap() += 1;
        }
    });
    out.push(("get_mut", s));
    let (_, s) = measure(|| {
        for k in (0..n).step_by(step as usize) {
            m.entry(k).and_modify(|v| *v += 1);
            *m.entry(k + 1).or_insert(0) += 1;
        }
    });
    out.push(("entry().and_modify / or_insert on existing keys", s));
    let (_, s) = measure(|| {
        if let Entry::Occupied(mut o) = m.entry(3) {
            *o.get_mut() += 1;
            o.insert(7);
        }
    });
    out.push(("occupied entry insert", s));
    let (_, s) = measure(|| m.iter_mut().for_each(|(_, v)| *v += 1));
    out.push(("iter_mut", s));
    let (_, s) = measure(|| m.values_mut().for_each(|v| *v += 1));
    out.push(("values_mut", s));
    let (_, s) = measure(|| m.retain(|_, v| *v < u64::MAX));
    out.push(("retain keeping everything", s));
    out
}

fn assert_no_allocs(what: &str, stats: &[(&'static str, Stats)]) {
    for (op, s) in stats {
        assert_eq!(*s, Stats::NONE, "{what}: {op} allocated");
    }
}

#[test]
fn writes_to_an_unshared_map_allocate_nothing() {
    let n = if cfg!(miri) { 300 } else { 200_000 };
    let mut m = big_map(n);
    let s = writes_to_existing_keys(&mut m, n);
    assert_no_allocs("never shared", &s);
    // A snapshot taken and dropped, with no write in between.
    drop(m.clone());
    let s = writes_to_existing_keys(&mut m, n);
    assert_no_allocs("after an unwritten snapshot", &s);
    // A snapshot, writes that copy some pages (and the directory nodes
    // above them), then the snapshot dropped: the pages the map copied and
    // the ones it still shared are all its own now.
    let snap = m.clone();
    for k in (0..n).step_by(1000) {
        *m.get_mut(&k).unwrap() += 1;
    }
    m.insert(n + 1, 1);
    drop(snap);
    let s = writes_to_existing_keys(&mut m, n);
    assert_no_allocs("after the last snapshot was dropped", &s);
    // Several snapshots, all dropped.
    let a = m.clone();
    m.remove(&5);
    let b = m.clone();
    m.insert(5, 5);
    let c = b.clone();
    drop((a, b, c));
    let s = writes_to_existing_keys(&mut m, n);
    assert_no_allocs("after three snapshots were dropped", &s);
    // And the writes were not lost (the map is still right).
    assert_eq!(m.len() as u64, n + 1);
    for k in (0..n).step_by(777) {
        assert!(m.get(&k).is_some());
    }
}

#[test]
fn writes_to_missing_keys_of_a_shared_map_allocate_nothing() {
    let m = big_map(if cfg!(miri) { 300 } else { 100_000 });
    let mut w = m.clone();
    let (_, s) = measure(|| {
        for k in 10_000_000..10_000_100u64 {
            assert!(w.remove(&k).is_none());
            assert!(w.remove_entry(&k).is_none());
            assert!(w.get_mut(&k).is_none());
            let Entry::Vacant(v) = w.entry(k) else {
                panic!("vacant")
            };
            black_box(v.into_key());
        }
    });
    assert_eq!(s, Stats::NONE);
    assert!(w.ptr_eq(&m), "nothing copied");
}

// ---------------------------------------------------------------------------
// The first write after a snapshot
// ---------------------------------------------------------------------------

/// A write to one key of a shared map; returns the key it wrote.
type Write = fn(&mut Map, u64) -> u64;

/// A key no map here holds before it is inserted.
const NEW: u64 = 10_000_000;

const FIRST_WRITES: [(&str, Write); 8] = [
    ("get_mut", |m, k| {
        *m.get_mut(&k).unwrap() += 1;
        k
    }),
    ("insert over an existing key", |m, k| {
        m.insert(k, 0).unwrap();
        k
    }),
    ("insert of a new key", |m, k| {
        assert!(m.insert(k + NEW, 0).is_none());
        k + NEW
    }),
    ("remove", |m, k| {
        m.remove(&k).unwrap();
        k
    }),
    ("entry().and_modify", |m, k| {
        m.entry(k).and_modify(|v| *v += 1);
        k
    }),
    ("entry().or_insert of a new key", |m, k| {
        m.entry(k + NEW).or_insert(1);
        k + NEW
    }),
    ("occupied entry remove", |m, k| {
        let Entry::Occupied(o) = m.entry(k) else {
            panic!("occupied")
        };
        o.remove();
        k
    }),
    ("remove_entry", |m, k| {
        m.remove_entry(&k).unwrap();
        k
    }),
];

#[test]
fn first_write_after_a_snapshot_copies_one_page_and_a_short_path() {
    let base = big_map(BIG);
    let mut report = Vec::new();
    for (what, write) in FIRST_WRITES {
        let mut m = base.clone();
        let k1 = BIG / 3;
        let (written, first, sizes) = measure_with_sizes(|| write(&mut m, k1));
        assert!(
            first.allocs <= MAX_ALLOCS && first.alloc_bytes <= MAX_BYTES,
            "{what}: the first write made {} allocations of {} bytes ({sizes:?})",
            first.allocs,
            first.alloc_bytes
        );
        assert!(first.allocs >= 1, "{what}: the first write copies its page");
        // The same key (so the same page) again: unique now, nothing to
        // copy. (A removed key goes back where there is room.)
        let (_, again) = measure(|| match m.get_mut(&written) {
            Some(v) => *v += 1,
            None => assert!(m.insert(written, 1).is_none()),
        });
        assert_eq!(
            again,
            Stats::NONE,
            "{what}: a second write to a copied page"
        );
        // Another page: costs as much again, so it was still shared. Find
        // a key on another page: one whose write copies something.
        let mut second = Stats::NONE;
        for k2 in (0..BIG).step_by((BIG / 101).max(1) as usize) {
            let (_, s) = measure(|| *m.get_mut(&k2).unwrap() += 1);
            if s.allocs > 0 {
                second = s;
                break;
            }
        }
        assert!(
            second.allocs >= 1 && second.allocs <= MAX_ALLOCS && second.alloc_bytes <= MAX_BYTES,
            "{what}: a write to another page: {second:?}"
        );
        report.push((what, first, sizes, second));
        // The snapshot still reads right.
        assert_eq!(base.len() as u64, BIG);
        for k in (0..BIG)
            .step_by((BIG / 997).max(1) as usize)
            .chain([k1, k1 + 1])
        {
            assert_eq!(base.get(&k), Some(&k), "{what}: the snapshot's {k}");
        }
        assert_eq!(base.get(&(k1 + NEW)), None);
        let (_, s) = measure(|| drop(m));
        assert!(
            s.allocs == 0 && s.deallocs >= 2,
            "{what}: dropping the writer frees its copies: {s:?}"
        );
    }
    for (what, first, sizes, second) in report {
        eprintln!(
            "map_alloc: {BIG} u64 -> u64, first write after a snapshot, {what}: {} allocs, {} bytes {sizes:?}; another page: {} allocs, {} bytes",
            first.allocs, first.alloc_bytes, second.allocs, second.alloc_bytes
        );
    }
}

#[test]
fn first_iter_mut_and_retain_after_a_snapshot_stop_where_they_stop() {
    // iter_mut copies pages as it reaches them: stopped after one entry it
    // has copied one page (and its path).
    // Under Miri, enough entries for three pages or more.
    let base = big_map(if cfg!(miri) { 700 } else { 100_000 });
    let mut m = base.clone();
    let (_, s) = measure(|| {
        let mut it = m.iter_mut();
        *it.next().unwrap().1 += 1;
    });
    assert!(
        s.allocs >= 1 && s.allocs <= MAX_ALLOCS && s.alloc_bytes <= MAX_BYTES,
        "{s:?}"
    );
    let (_, s) = measure(|| {
        let mut it = m.values_mut();
        *it.next().unwrap() += 1;
    });
    assert_eq!(s, Stats::NONE, "the same first page, copied already");
    // A full iter_mut copies every page once, and then nothing more.
    let (_, full) = measure(|| m.iter_mut().for_each(|(_, v)| *v += 1));
    assert!(full.allocs > 1);
    let (_, s) = measure(|| m.iter_mut().for_each(|(_, v)| *v += 1));
    assert_eq!(s, Stats::NONE);
    let (_, s) = measure(|| m.retain(|_, _| true));
    assert_eq!(s, Stats::NONE);
    assert!(
        base.iter().all(|(k, v)| k == v),
        "the snapshot is untouched"
    );
}

// ---------------------------------------------------------------------------
// Hostile hashes: O(len) memory
// ---------------------------------------------------------------------------

/// Builds a map of `n` keys under hasher `S`, measuring the live heap
/// after each insert; checks it works and that the heap stays O(len).
/// Prints the live and peak bytes and the times.
fn hostile<S: std::hash::BuildHasher + Default + Clone>(name: &str, n: u64) {
    let mut m: CowMap<u64, u64, S> = CowMap::default();
    let mut live: isize = 0;
    let mut peak: isize = 0;
    let start = Instant::now();
    for i in 0..n {
        let (old, s) = measure(|| m.insert(i, i));
        assert_eq!(old, None);
        // Within the insert, at most everything it allocated was live
        // before it freed anything.
        peak = peak.max(live + s.alloc_bytes as isize);
        live += s.alloc_bytes as isize - s.dealloc_bytes as isize;
    }
    let build = start.elapsed();
    let start = Instant::now();
    for i in 0..n {
        assert_eq!(m.get(&i), Some(&i));
    }
    assert_eq!(m.get(&n), None);
    let lookups = start.elapsed();
    assert_eq!(m.len() as u64, n);
    assert_eq!(m.iter().count() as u64, n);
    // Snapshots and writes still work.
    let snap = m.clone();
    for i in (0..n).step_by(3) {
        assert_eq!(m.remove(&i), Some(i));
    }
    for i in (0..n).step_by(5) {
        *m.entry(i).or_insert(0) += 1;
    }
    for i in 0..n {
        assert_eq!(snap.get(&i), Some(&i));
        let want = match (i % 3 == 0, i % 5 == 0) {
            (true, true) => Some(1),
            (true, false) => None,
            (false, true) => Some(i + 1),
            (false, false) => Some(i),
        };
        assert_eq!(m.get(&i).copied(), want, "{name}: key {i}");
    }
    drop(snap);
    let (_, s) = measure(|| drop(m));
    let entry = size_of::<(u64, u64)>();
    let per_entry = live as f64 / n as f64;
    eprintln!(
        "map_alloc: hostile hasher {name}, {n} u64 -> u64: live heap {live} bytes ({per_entry:.1} per entry, \
         {:.2}x the entries' {} bytes), peak {peak} bytes; build {build:?} ({:.0} ns per insert), \
         {n} lookups {lookups:?} ({:.0} ns each){}",
        live as f64 / (n as usize * entry) as f64,
        n as usize * entry,
        build.as_nanos() as f64 / n as f64,
        lookups.as_nanos() as f64 / n as f64,
        if cfg!(miri) { " [under Miri]" } else { " [debug build]" },
    );
    // O(len): a page that cannot split doubles, at least 7/16 full, plus a
    // tag byte a bucket, plus a short chain of directory nodes.
    let bound = 4 * n as usize * entry + 64 * 1024;
    assert!(live as usize <= bound, "{name}: live {live} > {bound}");
    assert!(
        peak as usize <= 2 * bound,
        "{name}: peak {peak} > {}",
        2 * bound
    );
    assert_eq!(
        s.dealloc_bytes as isize, live,
        "{name}: drop frees all of it"
    );
}

#[test]
fn hostile_constant_hasher_stays_o_len() {
    hostile::<Constant>(
        "constant (every key the same hash)",
        if cfg!(miri) { 120 } else { 5000 },
    );
}

#[test]
fn hostile_top24_equal_hasher_stays_o_len() {
    hostile::<Low40>("top 24 bits equal", if cfg!(miri) { 250 } else { 50_000 });
}

#[test]
fn hostile_top8_only_hasher_stays_o_len() {
    hostile::<Top8>(
        "only the top 8 bits vary",
        if cfg!(miri) { 250 } else { 20_000 },
    );
}

#[test]
fn good_hasher_memory_for_comparison() {
    hostile::<Sip>(
        "SipHash (for comparison)",
        if cfg!(miri) { 250 } else { 50_000 },
    );
}
