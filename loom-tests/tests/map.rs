//! loom models of `arcow::CowMap`: a snapshot read and dropped on one
//! thread while the owner writes on another (`get_mut` and `insert` of an
//! existing key copy the shared page, `remove` too, an `insert` into a full
//! page splits it, a write under a directory node copies the node and one
//! page and leaves the other page shared) and lets pages go (`clear`, the
//! last drop). Whichever thread drops a page last frees it, so the other
//! thread's reads must be ordered before the free, and the owner's
//! uniqueness check before its in-place writes.
//!
//! The value wraps a `Payload` (its reads, writes and drop go through
//! `loom::cell::UnsafeCell`, so loom reports a data race if an ordering of
//! the refcount core is too weak) and pads it past 256 bytes, so that a
//! page's nominal size is its smallest (16 buckets, 14 entries): the 15th
//! key splits the first page in two under a directory node, and the models
//! stay small. Every value made (new or cloned) is counted, and at the end
//! each must have been dropped exactly once.
#![cfg(loom)]

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::AtomicUsize as StdAtomicUsize;
use std::sync::Arc as StdArc;

use arcow::CowMap;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use loom_tests::{model, Payload};

/// A `Payload` padded past 256 bytes (so a page has 16 buckets at most
/// before it splits). `made` counts every value made or cloned; it is a
/// plain `std` counter, outside loom's view, since it only feeds the final
/// check.
struct Elem {
    payload: Payload,
    made: StdArc<StdAtomicUsize>,
    _pad: [u8; 300],
}

impl Elem {
    fn read(&self) -> u64 {
        self.payload.read()
    }
}

impl Clone for Elem {
    fn clone(&self) -> Elem {
        self.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Elem {
            payload: self.payload.clone(),
            made: self.made.clone(),
            _pad: self._pad,
        }
    }
}

/// A deterministic hasher for `u64` keys: a multiplication by an odd
/// constant, so the top bits (the directory's) differ from key to key. Keys
/// `0..15` split 8 / 7 by the top bit, with or without the map's own mixing
/// multiply on top, so the 15th key splits the first page in two.
#[derive(Clone, Default)]
struct Golden;

struct GoldenHasher(u64);

impl BuildHasher for Golden {
    type Hasher = GoldenHasher;
    fn build_hasher(&self) -> GoldenHasher {
        GoldenHasher(0)
    }
}

impl Hasher for GoldenHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).rotate_left(5);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0xD6E8_FEB8_6659_FD93)
    }
}

type Map = CowMap<u64, Elem, Golden>;

/// The counters of one model run.
struct Counts {
    drops: Arc<AtomicUsize>,
    made: StdArc<StdAtomicUsize>,
}

impl Counts {
    fn new() -> Counts {
        Counts {
            drops: Arc::new(AtomicUsize::new(0)),
            made: StdArc::new(StdAtomicUsize::new(0)),
        }
    }

    fn elem(&self, v: u64) -> Elem {
        self.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Elem {
            payload: Payload::new(v, &self.drops),
            made: self.made.clone(),
            _pad: [0; 300],
        }
    }

    /// Keys `0..n`, each holding its key.
    fn map(&self, n: u64) -> Map {
        let mut m = CowMap::with_hasher(Golden);
        for k in 0..n {
            m.insert(k, self.elem(k));
        }
        m
    }

    /// Every value made was dropped, once each (a double drop would make
    /// `drops` exceed `made`; a leak, fall short).
    fn all_dropped(&self) {
        let made = self.made.load(std::sync::atomic::Ordering::Relaxed);
        let drops = self.drops.load(Ordering::Relaxed);
        assert_eq!(drops, made, "values made {made}, dropped {drops}");
    }
}

/// The sum of a map's values, read through its iterator.
fn sum(m: &Map) -> u64 {
    m.values().map(Elem::read).sum()
}

/// `get_mut`, `insert` of an existing key and `remove` on a one-page map
/// while a snapshot of it is read (by key and by iteration) and dropped on
/// the other thread: the first write copies the page if the snapshot is
/// still alive, or writes in place if it is gone (then the uniqueness check
/// must see the snapshot's reads as done).
#[test]
fn write_races_snapshot_read_and_drop() {
    model(|| {
        let counts = Counts::new();
        let mut a = counts.map(3);
        let snap = a.clone();
        let t = thread::spawn(move || {
            assert_eq!(snap[&1].read(), 1);
            assert_eq!(sum(&snap), 3);
            drop(snap);
        });
        a.get_mut(&0).unwrap().payload.write(10);
        let old = a.insert(1, counts.elem(11)).expect("key 1 was there");
        assert_eq!(old.read(), 1);
        drop(old);
        assert_eq!(a.remove(&2).map(|e| e.read()), Some(2));
        assert_eq!((a[&0].read(), a[&1].read(), a.len()), (10, 11, 2));
        t.join().unwrap();
        drop(a);
        counts.all_dropped();
    });
}

/// The owner writes (copying the page if the snapshot still holds it) and
/// then lets its pages go (`clear`) while the other thread clones the
/// snapshot, reads through the clone, drops the snapshot, reads again and
/// drops the clone: the page the snapshot read is freed by whichever thread
/// lets go of it last.
#[test]
fn owner_clears_while_snapshot_reads_and_drops() {
    model(|| {
        let counts = Counts::new();
        let mut a = counts.map(2);
        let snap = a.clone();
        let t = thread::spawn(move || {
            let c = snap.clone();
            assert_eq!(c[&0].read(), 0);
            drop(snap);
            assert_eq!(sum(&c), 1);
            drop(c);
        });
        a.get_mut(&1).unwrap().payload.write(7);
        assert_eq!(a[&1].read(), 7);
        a.clear();
        assert!(a.is_empty());
        a.insert(5, counts.elem(5));
        t.join().unwrap();
        assert_eq!(sum(&a), 5);
        drop(a);
        counts.all_dropped();
    });
}

/// An insert into a full, shared page: the page is copied (if the snapshot
/// is still alive) and then split in two under a new directory node, while
/// the other thread reads the snapshot by key and by iteration and drops it.
#[test]
fn split_races_snapshot_read_and_drop() {
    model(|| {
        let counts = Counts::new();
        let mut a = counts.map(14);
        let snap = a.clone();
        let t = thread::spawn(move || {
            assert_eq!(snap[&13].read(), 13);
            assert_eq!(sum(&snap), (0..14).sum());
            drop(snap);
        });
        assert!(a.insert(14, counts.elem(14)).is_none());
        a.get_mut(&3).unwrap().payload.write(103);
        assert_eq!(a.len(), 15);
        assert_eq!(sum(&a), (0..15).sum::<u64>() + 100);
        t.join().unwrap();
        drop(a);
        counts.all_dropped();
    });
}

/// A map of two pages under a directory node: the owner writes a key of
/// one page (copying the node and that page; the other page stays shared,
/// now counted by both nodes) and drops its map, while the other thread
/// reads both pages through the snapshot and drops it. The shared page is
/// freed by the last of the two nodes to go, on either thread.
#[test]
fn two_pages_write_one_races_snapshot() {
    model(|| {
        let counts = Counts::new();
        let mut a = counts.map(15);
        let snap = a.clone();
        let t = thread::spawn(move || {
            assert_eq!(snap[&0].read() + snap[&1].read(), 1);
            assert_eq!(sum(&snap), (0..15).sum());
            drop(snap);
        });
        a.get_mut(&2).unwrap().payload.write(50);
        assert_eq!(a[&2].read(), 50);
        assert_eq!(sum(&a), (0..15).sum::<u64>() + 48);
        drop(a);
        t.join().unwrap();
        counts.all_dropped();
    });
}

/// Both handles write the pages they share: the snapshot's thread writes
/// a key and inserts a new one, the owner writes another key and removes
/// one. Each write copies what is still shared, or writes in place once
/// the other handle has let go of it; neither sees the other's writes.
#[test]
fn both_handles_write_shared_pages() {
    model(|| {
        let counts = Counts::new();
        let mut a = counts.map(15);
        let mut snap = a.clone();
        let extra = counts.elem(15);
        let t = thread::spawn(move || {
            snap.get_mut(&0).unwrap().payload.write(100);
            assert!(snap.insert(15, extra).is_none());
            assert_eq!((snap[&1].read(), snap[&2].read()), (1, 2));
            assert_eq!(sum(&snap), (0..16).sum::<u64>() + 100);
            drop(snap);
        });
        a.get_mut(&1).unwrap().payload.write(101);
        assert_eq!(a.remove(&2).map(|e| e.read()), Some(2));
        assert_eq!(a[&0].read(), 0);
        assert!(a.get(&15).is_none());
        assert_eq!(sum(&a), (0..15).sum::<u64>() + 100 - 2);
        t.join().unwrap();
        drop(a);
        counts.all_dropped();
    });
}
