//! `CowCell` under threads: serialized writers lose no update, `f` runs once
//! and `T` is cloned once per update, readers never see a torn value and
//! never go back in time, `store`/`replace` are serialized with `update`,
//! snapshots keep their values, and every value ever published is dropped
//! exactly once.
//!
//! Every test makes its own counters, so tests running in parallel in this
//! binary never disturb each other.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use arcow::{Cow, CowCell};

mod common;

use common::{Dummy, Tracker};

/// Writer threads per test.
const WRITERS: usize = if cfg!(miri) { 2 } else { 4 };
/// `update` calls per writer thread.
const INCREMENTS: usize = if cfg!(miri) { 5 } else { 1000 };
/// Reader threads per test.
const READERS: usize = 2;
/// Every writer's increments together.
const TOTAL: usize = WRITERS * INCREMENTS;

/// Starts [`WRITERS`] threads in `s`, each calling `cell.update(f)`
/// [`INCREMENTS`] times.
fn spawn_writers<'scope, T: Clone + Send + Sync>(
    s: &'scope thread::Scope<'scope, '_>,
    cell: &'scope CowCell<T>,
    f: fn(&mut T),
) -> Vec<thread::ScopedJoinHandle<'scope, ()>> {
    (0..WRITERS)
        .map(|_| {
            s.spawn(move || {
                for _ in 0..INCREMENTS {
                    cell.update(f);
                }
            })
        })
        .collect()
}

/// Lets other threads run: a reader spinning on a 2-core machine (or in
/// Miri's interpreter) would otherwise starve the writers it is waiting for.
fn pause() {
    thread::yield_now();
}

/// Sets its flag when dropped, also while unwinding: the readers' stop
/// signal, so that a panicking writer fails the test instead of leaving the
/// readers spinning forever.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Two fields every update changes together: `a == 3 * b` holds in every
/// published value. A reader that could see a value while `f` is writing it
/// (or a mix of two values) would see it broken.
#[derive(Clone, Debug, PartialEq)]
struct Pair {
    a: u64,
    b: u64,
}

impl Pair {
    fn check(&self) {
        assert_eq!(self.a, 3 * self.b, "torn value: {self:?}");
    }

    /// The update every writer does: `b += 1`, then `a` catches up, with a
    /// window in between in which the invariant is broken in the private
    /// copy.
    fn bump(&mut self) -> u64 {
        self.b += 1;
        // Give other threads a chance to run while the invariant is broken.
        thread::yield_now();
        self.a = 3 * self.b;
        self.b
    }
}

#[test]
fn writers_lose_no_update_and_readers_never_see_a_torn_or_older_value() {
    let cell = CowCell::new(Pair { a: 0, b: 0 });
    let calls = AtomicUsize::new(0);
    let done = AtomicBool::new(false);

    let seen = thread::scope(|s| {
        // Readers stop even if a writer panics, so a failure cannot hang.
        let _stop = StopOnDrop(&done);
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                s.spawn(|| {
                    let mut last = 0;
                    let mut reads = 0usize;
                    loop {
                        // Read `done` first: if it is set, every write has
                        // happened before the reads below.
                        let finished = done.load(Ordering::SeqCst);
                        {
                            let guard = cell.load();
                            guard.check();
                            assert!(guard.b >= last, "went back from {last} to {}", guard.b);
                            last = guard.b;
                        }
                        let snap = cell.snapshot();
                        snap.check();
                        assert!(snap.b >= last, "went back from {last} to {}", snap.b);
                        last = snap.b;
                        reads += 1;
                        if finished {
                            return (last, reads);
                        }
                        pause();
                    }
                })
            })
            .collect();

        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                s.spawn(|| {
                    (0..INCREMENTS)
                        .map(|_| {
                            cell.update(|p| {
                                calls.fetch_add(1, Ordering::Relaxed);
                                p.bump()
                            })
                        })
                        .collect::<Vec<u64>>()
                })
            })
            .collect();

        let mut returned: Vec<u64> = Vec::new();
        for w in writers {
            returned.extend(w.join().unwrap());
        }
        done.store(true, Ordering::SeqCst);
        let seen: Vec<(u64, usize)> = readers.into_iter().map(|r| r.join().unwrap()).collect();

        // Each update saw a different predecessor: the values `f` returned
        // are exactly 1..=TOTAL, each once.
        returned.sort_unstable();
        let expected: Vec<u64> = (1..=TOTAL as u64).collect();
        assert_eq!(returned, expected, "updates were not serialized");
        seen
    });

    assert_eq!(
        calls.load(Ordering::SeqCst),
        TOTAL,
        "f ran other than once per update"
    );
    assert_eq!(
        *cell.load(),
        Pair {
            a: 3 * TOTAL as u64,
            b: TOTAL as u64
        }
    );
    for (last, reads) in seen {
        assert!(reads >= 1);
        // A reader that saw `done` then read the cell sees the final value.
        assert_eq!(last, TOTAL as u64);
    }
}

#[test]
fn f_runs_exactly_once_per_update_and_returns_its_value() {
    let cell = CowCell::new(0u64);
    let calls = AtomicUsize::new(0);
    for i in 1..=10u64 {
        let r = cell.update(|v| {
            calls.fetch_add(1, Ordering::SeqCst);
            *v += 1;
            *v * 100
        });
        assert_eq!(r, i * 100);
        assert_eq!(calls.load(Ordering::SeqCst), i as usize);
    }
    assert_eq!(*cell.load(), 10);
}

/// A payload whose `Clone` is counted.
#[derive(Debug)]
struct CountedClone {
    value: u64,
    clones: Arc<AtomicUsize>,
}

impl Clone for CountedClone {
    fn clone(&self) -> Self {
        self.clones.fetch_add(1, Ordering::SeqCst);
        CountedClone {
            value: self.value,
            clones: Arc::clone(&self.clones),
        }
    }
}

#[test]
fn each_update_clones_t_exactly_once() {
    let clones = Arc::new(AtomicUsize::new(0));
    let cell = CowCell::new(CountedClone {
        value: 0,
        clones: Arc::clone(&clones),
    });
    const K: usize = 20;
    let mut snapshots = Vec::new();
    for k in 1..=K {
        // Reads and snapshots in between never clone `T`.
        assert_eq!(cell.load().value, k as u64 - 1);
        snapshots.push(cell.snapshot());
        cell.update(|v| v.value += 1);
        assert_eq!(clones.load(Ordering::SeqCst), k, "after {k} updates");
    }
    // `store` and `replace` take a value and clone nothing.
    cell.store(CountedClone {
        value: 100,
        clones: Arc::clone(&clones),
    });
    let old = cell.replace(CountedClone {
        value: 200,
        clones: Arc::clone(&clones),
    });
    assert_eq!(old.value, 100);
    assert_eq!(clones.load(Ordering::SeqCst), K);
    drop(snapshots);
    let _ = cell.into_inner();
    assert_eq!(clones.load(Ordering::SeqCst), K);
}

#[test]
fn concurrent_updates_clone_t_exactly_once_each() {
    let clones = Arc::new(AtomicUsize::new(0));
    let cell = CowCell::new(CountedClone {
        value: 0,
        clones: Arc::clone(&clones),
    });
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        // Readers stop even if a writer panics, so a failure cannot hang.
        let _stop = StopOnDrop(&done);
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                s.spawn(|| {
                    let mut held = Vec::new();
                    while !done.load(Ordering::SeqCst) {
                        let _ = cell.load().value;
                        held.push(cell.snapshot());
                        if held.len() > 8 {
                            held.clear();
                        }
                        pause();
                    }
                })
            })
            .collect();
        let writers = spawn_writers(s, &cell, |v| v.value += 1);
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        for r in readers {
            r.join().unwrap();
        }
    });
    assert_eq!(cell.load().value, TOTAL as u64);
    assert_eq!(clones.load(Ordering::SeqCst), TOTAL);
}

/// A value with an epoch (changed only by `store`/`replace`) and a count
/// (changed only by `update`).
#[derive(Clone, Debug, PartialEq)]
struct Epoch {
    epoch: u64,
    count: u64,
}

/// `update(|v| v.count += 1)` with a wider window between reading the value
/// and publishing the new one.
fn bump_count_slowly(v: &mut Epoch) {
    thread::yield_now();
    v.count += 1;
}

/// Replacements done by the replacing thread.
const REPLACES: u64 = if cfg!(miri) { 3 } else { 200 };

#[test]
fn replace_is_serialized_with_update_and_returns_the_previous_value() {
    let cell = CowCell::new(Epoch { epoch: 0, count: 0 });
    let drained = thread::scope(|s| {
        let writers = spawn_writers(s, &cell, bump_count_slowly);
        let replacer = s.spawn(|| {
            let mut drained = 0;
            for k in 1..=REPLACES {
                let old = cell.replace(Epoch { epoch: k, count: 0 });
                // Only this thread changes the epoch, and updates keep it:
                // the value replaced is the one this thread published last.
                assert_eq!(old.epoch, k - 1, "replace returned {old:?}");
                drained += old.count;
                pause();
            }
            drained
        });
        for w in writers {
            w.join().unwrap();
        }
        replacer.join().unwrap()
    });
    let last = cell.load();
    assert_eq!(last.epoch, REPLACES);
    // Every increment is either in a value some `replace` took out, or in
    // the current one: a `replace` lost inside an update, or an update lost
    // over a `replace`, would break the sum.
    assert_eq!(
        drained + last.count,
        TOTAL as u64,
        "drained {drained}, left {last:?}"
    );
}

#[test]
fn store_is_serialized_with_update_and_never_lost() {
    let cell = CowCell::new(Epoch { epoch: 0, count: 0 });
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        // Readers stop even if a writer panics, so a failure cannot hang.
        let _stop = StopOnDrop(&done);
        let writers = spawn_writers(s, &cell, bump_count_slowly);
        let reader = s.spawn(|| {
            let mut last = 0;
            while !done.load(Ordering::SeqCst) {
                let epoch = cell.load().epoch;
                assert!(epoch >= last, "epoch went back from {last} to {epoch}");
                last = epoch;
                pause();
            }
        });
        for k in 1..=REPLACES {
            cell.store(Epoch { epoch: k, count: 0 });
            // An update that read the value before this store and published
            // after it would have thrown the store away.
            let now = cell.load().epoch;
            assert_eq!(now, k, "store of epoch {k} was lost");
            pause();
        }
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        reader.join().unwrap();
    });
    let last = cell.load();
    assert_eq!(last.epoch, REPLACES);
    assert!(last.count <= TOTAL as u64);
}

#[test]
fn snapshots_and_guards_keep_their_values_after_later_updates() {
    let cell = CowCell::new(Vec::<u64>::new());
    let mut snapshots = Vec::new();
    for i in 0..10u64 {
        snapshots.push(cell.snapshot());
        cell.update(|v| v.push(i));
    }
    let guard = cell.load();
    cell.store(vec![99]);
    cell.update(|v| v.push(100));
    for (i, snap) in snapshots.iter().enumerate() {
        let expected: Vec<u64> = (0..i as u64).collect();
        assert_eq!(**snap, expected);
    }
    assert_eq!(*guard, (0..10).collect::<Vec<u64>>());
    assert_eq!(*cell.load(), [99, 100]);
}

#[test]
fn snapshots_taken_during_concurrent_updates_never_change() {
    let cell = CowCell::new(Pair { a: 0, b: 0 });
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        // Readers stop even if a writer panics, so a failure cannot hang.
        let _stop = StopOnDrop(&done);
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                s.spawn(|| {
                    let mut kept: Vec<(u64, Cow<Pair>)> = Vec::new();
                    loop {
                        let finished = done.load(Ordering::SeqCst);
                        let snap = cell.snapshot();
                        snap.check();
                        kept.push((snap.b, snap));
                        if finished {
                            break;
                        }
                        pause();
                    }
                    // Taken in order, so non-decreasing; and each still holds
                    // exactly what it held when taken.
                    for w in kept.windows(2) {
                        assert!(w[0].0 <= w[1].0);
                    }
                    for (b, snap) in &kept {
                        assert_eq!(**snap, Pair { a: 3 * b, b: *b });
                    }
                    assert_eq!(kept.last().unwrap().0, TOTAL as u64);
                })
            })
            .collect();
        let writers = spawn_writers(s, &cell, |p| {
            Pair::bump(p);
        });
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        for r in readers {
            r.join().unwrap();
        }
    });
}

#[test]
fn every_published_value_is_dropped_exactly_once() {
    let tracker = Tracker::new();
    let cell = CowCell::new(tracker.make(0));
    let done = AtomicBool::new(false);
    let mut kept: Vec<Cow<Dummy>> = Vec::new();

    thread::scope(|s| {
        // Readers stop even if a writer panics, so a failure cannot hang.
        let _stop = StopOnDrop(&done);
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                s.spawn(|| {
                    let mut kept = Vec::new();
                    while !done.load(Ordering::SeqCst) {
                        let guard = cell.load();
                        assert!(guard.value <= TOTAL as u64 + 2_000_000);
                        drop(guard);
                        if kept.len() < 16 {
                            kept.push(cell.snapshot());
                        }
                        pause();
                    }
                    kept
                })
            })
            .collect();
        let writers = spawn_writers(s, &cell, |v| v.value += 1);
        // `store` and `replace` publish values made outside the cell.
        cell.store(tracker.make(1_000_000));
        let old = cell.replace(tracker.make(2_000_000));
        kept.push(old);
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        for r in readers {
            kept.extend(r.join().unwrap());
        }
    });

    // 1 initial + 2 stored + one clone per update.
    assert_eq!(tracker.created(), 1 + 2 + TOTAL);
    drop(kept);
    // Every replaced value is freed as soon as its last reader lets go; the
    // cell keeps only the current one.
    assert_eq!(tracker.live(), 1, "old values outlived every reader");
    drop(cell);
    assert_eq!(tracker.live(), 0);
    tracker.assert_all_dropped_once();
}

#[test]
fn into_inner_and_snapshots_drop_each_value_once() {
    let tracker = Tracker::new();
    let cell = CowCell::new(tracker.make(7));
    let snap = cell.snapshot();
    cell.update(|v| v.value = 8);
    let inner = cell.into_inner();
    assert_eq!((snap.value, inner.value), (7, 8));
    assert_eq!(tracker.live(), 2);
    drop(snap);
    assert_eq!(tracker.live(), 1);
    drop(inner);
    tracker.assert_all_dropped_once();
}
