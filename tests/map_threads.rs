//! `CowMap` across threads: snapshots read on other threads while the owner
//! keeps writing (scoped threads), each reader checking its snapshot's full
//! contents over and over; and snapshots dropped on other threads while the
//! owner writes, so that the last count of a page may go on either side.
//! Under Miri this also runs the data race detector over the refcounts and
//! the pages. Sizes shrink under Miri.

use std::sync::mpsc;
use std::sync::Barrier;
use std::thread;

use arcow::{CowMap, CowSet};

mod common;

use common::Tracker;

/// Entries in the maps: several pages and directory nodes.
const N: u64 = if cfg!(miri) { 240 } else { 20_000 };
/// Writes the owner makes while the readers read.
const WRITES: u64 = if cfg!(miri) { 40 } else { 20_000 };
/// Readers.
const READERS: usize = if cfg!(miri) { 2 } else { 4 };

/// The value of key `k` in generation `g`.
fn value(k: u64, g: u64) -> u64 {
    k.wrapping_mul(31).wrapping_add(g)
}

/// Checks that `m` is exactly generation `g` of keys `0..n`.
fn check_generation(m: &CowMap<u64, u64>, n: u64, g: u64) {
    assert_eq!(m.len() as u64, n);
    let mut sum = 0u64;
    for (k, v) in m {
        assert!(*k < n);
        assert_eq!(*v, value(*k, g), "key {k} in generation {g}");
        sum += 1;
    }
    assert_eq!(sum, n);
    for k in (0..n).step_by(7) {
        assert_eq!(m.get(&k), Some(&value(k, g)));
    }
    assert_eq!(m.get(&(n + 1)), None);
}

#[test]
fn snapshots_read_on_other_threads_while_the_owner_writes() {
    let mut m: CowMap<u64, u64> = (0..N).map(|k| (k, value(k, 0))).collect();
    let start = Barrier::new(READERS + 1);
    thread::scope(|s| {
        let mut handles = Vec::new();
        for r in 0..READERS {
            let snap = m.clone();
            let start = &start;
            handles.push(s.spawn(move || {
                start.wait();
                let rounds = if cfg!(miri) { 2 } else { 10 + r };
                for _ in 0..rounds {
                    check_generation(&snap, N, 0);
                }
            }));
        }
        start.wait();
        // The owner overwrites, removes, inserts and retains meanwhile.
        for i in 0..WRITES {
            let k = (i * 7919) % N;
            match i % 4 {
                0 => *m.get_mut(&k).unwrap() += 1,
                1 => {
                    m.insert(k, 0);
                }
                2 => {
                    m.remove(&k);
                }
                _ => {
                    m.insert(k + N, k);
                }
            }
        }
        m.retain(|k, _| k % 2 == 0);
        m.iter_mut().for_each(|(_, v)| *v += 1);
        for h in handles {
            h.join().unwrap();
        }
    });
}

#[test]
fn each_reader_gets_a_new_generation() {
    // The owner publishes a snapshot per generation (every value moved on
    // by one, through iter_mut, values_mut or get_mut), readers check that
    // every snapshot they get is exactly one generation.
    let n = if cfg!(miri) { 100 } else { 5000 };
    let gens = if cfg!(miri) { 3 } else { 40 };
    let mut m: CowMap<u64, u64> = (0..n).map(|k| (k, value(k, 0))).collect();
    thread::scope(|s| {
        let mut senders = Vec::new();
        for _ in 0..READERS {
            let (tx, rx) = mpsc::channel::<(u64, CowMap<u64, u64>)>();
            senders.push(tx);
            s.spawn(move || {
                for (g, snap) in rx {
                    check_generation(&snap, n, g);
                }
            });
        }
        for g in 1..=gens {
            for tx in &senders {
                tx.send((g - 1, m.clone())).unwrap();
            }
            match g % 3 {
                0 => m.iter_mut().for_each(|(_, v)| *v += 1),
                1 => m.values_mut().for_each(|v| *v += 1),
                _ => {
                    for k in 0..n {
                        *m.get_mut(&k).unwrap() += 1;
                    }
                }
            }
        }
        drop(senders);
    });
    check_generation(&m, n, gens);
}

#[test]
fn snapshots_dropped_on_other_threads_while_the_owner_writes() {
    // Values are dummies: every one must be dropped exactly once, whichever
    // thread lets a page go last.
    let t = Tracker::new();
    let n = if cfg!(miri) { 100 } else { 3000 };
    let rounds = if cfg!(miri) { 5 } else { 200 };
    let mut m: CowMap<u64, common::Dummy> = (0..n).map(|k| (k, t.make(k))).collect();
    thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<CowMap<u64, common::Dummy>>();
        let dropper = s.spawn(move || {
            for snap in rx {
                // Read a little, then let it go on this thread.
                assert!(snap.len() as u64 >= n - 1);
                assert!(snap.get(&0).is_some() || snap.get(&1).is_some());
                drop(snap);
            }
        });
        for r in 0..rounds {
            tx.send(m.clone()).unwrap();
            let k = (r * 131) % n;
            m.get_mut(&k).unwrap().value += 1;
            if r % 2 == 0 {
                let old = m.remove(&k).unwrap();
                m.insert(k, old);
            }
            if r % 17 == 0 {
                m.iter_mut().take(50).for_each(|(_, v)| v.value += 1);
            }
        }
        drop(tx);
        dropper.join().unwrap();
    });
    assert_eq!(m.len() as u64, n);
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn sets_shared_across_threads() {
    let n = if cfg!(miri) { 100 } else { 10_000 };
    let mut set: CowSet<u64> = (0..n).collect();
    thread::scope(|s| {
        for _ in 0..READERS {
            let snap = set.clone();
            s.spawn(move || {
                assert_eq!(snap.len() as u64, n);
                assert!((0..n).all(|i| snap.contains(&i)));
            });
        }
        for i in (0..n).step_by(3) {
            set.remove(&i);
        }
    });
    assert_eq!(set.len() as u64, n - n.div_ceil(3));
}

#[test]
fn the_owner_moves_to_another_thread_and_writes_there() {
    let m: CowMap<u64, String> = (0..N).map(|k| (k, k.to_string())).collect();
    let snap = m.clone();
    let m = thread::spawn(move || {
        let mut m = m;
        for k in (0..N).step_by(5) {
            m.insert(k, String::from("x"));
        }
        m
    })
    .join()
    .unwrap();
    for k in 0..N {
        assert_eq!(snap[&k], k.to_string());
        assert_eq!(
            m[&k],
            if k % 5 == 0 {
                "x".to_string()
            } else {
                k.to_string()
            }
        );
    }
}
