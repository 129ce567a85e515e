//! A multi-threaded stress suite over every type, meant for ThreadSanitizer
//! (`scripts/sanitizers`) as well as the ordinary run and Miri: threads
//! clone, read, drop and `make_mut` shared `Cow`s, copy shared `CowVec`s,
//! `PagedCowVec`s and `CowMap`s on write, and update a `CowCell` under
//! readers.

use arcow::{Cow, CowCell, CowMap, CowVec, PagedCowVec};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

const THREADS: usize = 4;

fn rounds() -> usize {
    if cfg!(miri) {
        20
    } else {
        20_000
    }
}

/// Counts live instances so the test can check every value was dropped.
struct Tracked {
    value: u64,
    live: Arc<AtomicUsize>,
}

impl Tracked {
    fn new(value: u64, live: &Arc<AtomicUsize>) -> Tracked {
        live.fetch_add(1, Ordering::Relaxed);
        Tracked {
            value,
            live: live.clone(),
        }
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Tracked {
        Tracked::new(self.value, &self.live)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::Relaxed);
    }
}

#[test]
fn cow_clone_drop_make_mut() {
    let live = Arc::new(AtomicUsize::new(0));
    let shared = Cow::new(Tracked::new(7, &live));
    let barrier = Arc::new(Barrier::new(THREADS));
    thread::scope(|s| {
        for t in 0..THREADS {
            let shared = &shared;
            let mut mine = shared.clone();
            let barrier = barrier.clone();
            s.spawn(move || {
                barrier.wait();
                for i in 0..rounds() {
                    let other = mine.clone();
                    assert!(other.value == 7 || other.value >= 1000);
                    if i % 3 == 0 {
                        Cow::make_mut(&mut mine).value = 1000 + t as u64;
                        assert_eq!(mine.value, 1000 + t as u64);
                    }
                    drop(other);
                    if i % 7 == 0 {
                        mine = shared.clone();
                    }
                }
            });
        }
    });
    assert_eq!(shared.value, 7);
    drop(shared);
    assert_eq!(live.load(Ordering::Relaxed), 0);
}

#[test]
fn cowvec_copy_on_write() {
    let live = Arc::new(AtomicUsize::new(0));
    let base: CowVec<Tracked> = (0..16).map(|i| Tracked::new(i, &live)).collect();
    thread::scope(|s| {
        for t in 0..THREADS {
            let base = base.clone();
            s.spawn(move || {
                let mut v = base.clone();
                for i in 0..rounds() / 10 {
                    let snapshot = v.clone();
                    v.push(Tracked::new(100 + t as u64, &snapshot[0].live));
                    v.make_mut()[0].value = i as u64;
                    assert_eq!(snapshot.len() + 1, v.len());
                    if v.len() > 64 {
                        v = base.clone();
                    }
                }
                assert_eq!(base[3].value, 3);
            });
        }
    });
    assert!(base.iter().enumerate().all(|(i, x)| x.value == i as u64));
    drop(base);
    assert_eq!(live.load(Ordering::Relaxed), 0);
}

#[test]
fn paged_copy_on_write() {
    let live = Arc::new(AtomicUsize::new(0));
    let n = if cfg!(miri) { 300 } else { 5000 };
    let base: PagedCowVec<Tracked> = (0..n).map(|i| Tracked::new(i, &live)).collect();
    thread::scope(|s| {
        for t in 0..THREADS {
            let base = base.clone();
            s.spawn(move || {
                let mut v = base.clone();
                for i in 0..rounds() / 10 {
                    let idx = (i * 131 + t * 17) % v.len();
                    v.get_mut(idx).unwrap().value = 1_000_000;
                    assert_eq!(base[idx].value, idx as u64);
                    if i % 16 == 0 {
                        v = base.clone();
                    }
                }
            });
        }
    });
    assert!(base.iter().enumerate().all(|(i, x)| x.value == i as u64));
    drop(base);
    assert_eq!(live.load(Ordering::Relaxed), 0);
}

/// Threads that share a map's pages write it (`get_mut`, `insert` of an
/// existing key, new keys that split pages, `remove`), take snapshots of
/// their own copy and read them while the others drop theirs.
#[test]
fn map_copy_on_write() {
    let live = Arc::new(AtomicUsize::new(0));
    let n = if cfg!(miri) { 300 } else { 5000 };
    let base: CowMap<u64, Tracked> = (0..n).map(|i| (i, Tracked::new(i, &live))).collect();
    thread::scope(|s| {
        for t in 0..THREADS as u64 {
            let base = base.clone();
            let live = &live;
            s.spawn(move || {
                let mut m = base.clone();
                let mut snap = m.clone();
                for i in 0..rounds() as u64 / 10 {
                    let k = (i * 131 + t * 17) % n;
                    if let Some(x) = m.get_mut(&k) {
                        x.value = 1_000_000;
                    }
                    m.insert((k + 1) % n, Tracked::new(2_000_000, live));
                    m.insert(n + i, Tracked::new(n + i, live));
                    m.remove(&((k + 2) % n));
                    assert_eq!(base[&k].value, k);
                    if let Some(x) = snap.get(&k) {
                        assert!(x.value == k || x.value >= 1_000_000);
                    }
                    if i % 8 == 0 {
                        snap = m.clone();
                    }
                    if i % 16 == 0 {
                        m = base.clone();
                    }
                }
                // Every value is its key's, or one this thread wrote.
                assert!(snap
                    .iter()
                    .all(|(&k, x)| x.value == k || (k < n && x.value >= 1_000_000)));
            });
        }
    });
    assert_eq!(base.len() as u64, n);
    assert!(base.iter().all(|(&k, x)| x.value == k));
    drop(base);
    assert_eq!(live.load(Ordering::Relaxed), 0);
}

#[derive(Clone)]
struct Pair {
    a: u64,
    b: u64,
}

#[test]
fn cell_updates_under_readers() {
    let cell = CowCell::new(Pair { a: 0, b: 0 });
    let writes = rounds() / 10;
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..writes {
                    cell.update(|p| {
                        p.a += 1;
                        p.b += 2;
                    });
                }
            });
        }
        for _ in 0..2 {
            s.spawn(|| {
                let mut last = 0;
                for _ in 0..writes {
                    let p = cell.load();
                    assert_eq!(p.b, 2 * p.a, "torn read");
                    assert!(p.a >= last, "went back in time");
                    last = p.a;
                    let snap = cell.snapshot();
                    assert_eq!(snap.b, 2 * snap.a);
                }
            });
        }
    });
    assert_eq!(cell.load().a, 2 * writes as u64);
}
