//! `Cow<T>` across threads: concurrent clone, read, drop and `make_mut` of
//! handles to one value, `into_inner` races, and handles moved between
//! threads. Every test has its own [`Tracker`] (tests in this binary run in
//! parallel) and ends by checking that every value was dropped exactly once.
//!
//! Under Miri the loops are short; Miri's data-race detector then checks the
//! refcount's orderings on every run.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Barrier};
use std::thread;

use arcow::Cow;
use common::{Dummy, Tracker};

const THREADS: usize = 4;

/// Loop counts: short under Miri, never zero.
const ITERS: u64 = if cfg!(miri) { 20 } else { 2_000 };
const ROUNDS: u64 = if cfg!(miri) { 10 } else { 500 };

/// A one-shot gate for `n` threads that lets them all go as close together
/// as possible: they spin (yielding now and then, and always under Miri, whose
/// scheduler needs it) instead of sleeping, so none waits for a wake-up.
struct SpinGate(AtomicUsize);

impl SpinGate {
    fn new(n: usize) -> SpinGate {
        SpinGate(AtomicUsize::new(n))
    }

    fn wait(&self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
        let mut spins = 0u32;
        while self.0.load(Ordering::Acquire) != 0 {
            spins = spins.wrapping_add(1);
            if cfg!(miri) || spins.is_multiple_of(64) {
                thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }
}

/// The value a thread writes into its own copy at step `k`.
fn mark(tid: usize, k: u64) -> u64 {
    ((tid as u64 + 1) << 32) | k
}

#[test]
fn threads_clone_read_drop_and_write_one_shared_value() {
    let t = Tracker::new();
    let root = Cow::new(t.make(0));
    let root_id = root.id();
    let barrier = Barrier::new(THREADS);

    let finals: Vec<u64> = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|tid| {
                let mut base = root.clone();
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    // This thread's own value: its first write copies the
                    // shared root, later writes are in place.
                    let mut mine = base.clone();
                    for k in 0..ITERS {
                        // Clone and read the shared value.
                        let c = base.clone();
                        assert!(Cow::ptr_eq(&c, &base));
                        assert_eq!(c.value, 0);
                        assert!(Cow::strong_count(&c) >= 2);

                        // A write through a shared handle copies, so no other
                        // handle sees it.
                        let mut w = c.clone();
                        Cow::make_mut(&mut w).value = mark(tid, k);
                        assert!(!Cow::ptr_eq(&w, &base));
                        assert!(Cow::is_unique(&w));
                        assert_eq!((c.value, base.value), (0, 0));
                        drop(c);
                        drop(w);

                        // Write this thread's own value and check that it is
                        // still ours afterwards.
                        Cow::make_mut(&mut mine).value = mark(tid, k);
                        assert!(Cow::is_unique(&mine));
                        assert_eq!(mine.value, mark(tid, k));
                        assert_eq!(base.value, 0, "another thread's write leaked");
                    }
                    // The shared handles race to the end: whichever thread
                    // holds the last one writes in place, the others copy.
                    barrier.wait();
                    Cow::make_mut(&mut base).value = mark(tid, ITERS);
                    assert!(Cow::is_unique(&base));
                    assert_eq!(base.value, mark(tid, ITERS));
                    assert_eq!(mine.value, mark(tid, ITERS - 1));
                    drop(mine);
                    Cow::try_unwrap(base).unwrap().value
                })
            })
            .collect();
        // Let the threads race for the last handle of the root.
        drop(root);
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    for (tid, v) in finals.iter().enumerate() {
        assert_eq!(*v, mark(tid, ITERS));
    }
    // Each thread's writes: one copy for every `w`, one for `mine`, and one
    // for `base` unless it ended up holding the root's last handle.
    let per_thread = ITERS as usize + 1;
    let clones = t.clone_calls();
    assert!(
        (THREADS * per_thread + THREADS - 1..=THREADS * per_thread + THREADS).contains(&clones),
        "unexpected number of clones: {clones}"
    );
    // The root is gone (copied away or moved out by its last holder).
    assert_eq!(t.drops_of(root_id), 1);
    t.assert_all_dropped_once();
}

/// Races `threads` threads through `rounds` rounds of `Cow::into_inner`:
/// in each round every thread holds one handle to that round's value and
/// calls `into_inner` on it the moment all of them are ready. Exactly one must
/// get the value. In every third round the main thread keeps one more handle,
/// so nobody may get it. The threads live for all rounds and meet at a
/// spinning gate per round, so that the calls really do overlap (a sleeping
/// barrier wakes threads one by one, and the race would rarely happen).
fn into_inner_race(threads: usize, rounds: usize) {
    let t = Tracker::new();
    let mut columns: Vec<Vec<Cow<Dummy>>> = (0..threads).map(|_| Vec::new()).collect();
    let mut kept = Vec::new();
    let mut ids = Vec::new();
    for round in 0..rounds {
        let value = Cow::new(t.make(round as u64));
        ids.push(value.id());
        for column in &mut columns {
            column.push(value.clone());
        }
        if round % 3 == 2 {
            kept.push((round, value));
        }
    }
    let gates: Vec<SpinGate> = (0..rounds).map(|_| SpinGate::new(threads)).collect();

    let results: Vec<Vec<Option<Dummy>>> = thread::scope(|s| {
        let workers: Vec<_> = columns
            .into_iter()
            .map(|column| {
                let gates = &gates;
                s.spawn(move || {
                    column
                        .into_iter()
                        .zip(gates)
                        .map(|(handle, gate)| {
                            gate.wait();
                            Cow::into_inner(handle)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    for (round, &id) in ids.iter().enumerate() {
        let got: Vec<&Dummy> = results.iter().filter_map(|c| c[round].as_ref()).collect();
        if round % 3 == 2 {
            assert!(
                got.is_empty(),
                "round {round}: taken while main held a handle"
            );
        } else {
            assert_eq!(
                got.len(),
                1,
                "round {round}: {} threads got the value",
                got.len()
            );
            assert_eq!((got[0].id(), got[0].value), (id, round as u64));
            assert_eq!(t.drops_of(id), 0, "round {round}: dropped under the winner");
        }
    }
    for (round, handle) in &kept {
        assert!(
            Cow::is_unique(handle),
            "round {round}: a None kept its count"
        );
        assert_eq!(handle.value, *round as u64);
    }
    drop((results, kept));
    assert_eq!(t.clone_calls(), 0);
    t.assert_all_dropped_once();
}

#[test]
fn exactly_one_of_two_racing_into_inner_gets_the_value() {
    // Two threads on two cores: the calls overlap in most rounds.
    into_inner_race(2, if cfg!(miri) { 30 } else { 100_000 });
}

#[test]
fn exactly_one_of_several_racing_into_inner_gets_the_value() {
    into_inner_race(THREADS, if cfg!(miri) { 10 } else { 2_000 });
}

#[test]
fn concurrent_last_drops_drop_the_value_once() {
    let t = Tracker::new();
    for round in 0..ROUNDS {
        let value = Cow::new(t.make(round));
        let id = value.id();
        let barrier = Barrier::new(THREADS);
        thread::scope(|s| {
            for _ in 0..THREADS {
                let handle = value.clone();
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    // Read, then drop: the reads must happen-before the free.
                    assert_eq!(handle.value, round);
                    drop(handle);
                });
            }
            drop(value);
        });
        assert_eq!(t.drops_of(id), 1, "round {round}");
    }
    t.assert_all_dropped_once();
}

#[test]
fn racing_make_mut_and_drop_on_the_last_two_handles() {
    // Two handles, two threads: one writes through make_mut while the other
    // drops. Whether make_mut copies or writes in place depends on the race;
    // either way the values are right and everything is dropped once.
    let t = Tracker::new();
    for round in 0..ROUNDS {
        let mut a = Cow::new(t.make(round));
        let b = a.clone();
        let id = a.id();
        let barrier = Barrier::new(2);
        let a = thread::scope(|s| {
            let barrier = &barrier;
            let writer = s.spawn(move || {
                barrier.wait();
                Cow::make_mut(&mut a).value += 1000;
                a
            });
            s.spawn(move || {
                barrier.wait();
                // A read before the drop that a racing in-place write must
                // not overlap (Miri's race detector checks this).
                assert_eq!(b.value, round);
                drop(b);
            });
            writer.join().unwrap()
        });
        assert_eq!(a.value, round + 1000);
        assert!(Cow::is_unique(&a));
        if a.id() == id {
            // Written in place: `b` was gone, so nothing was cloned or dropped.
            assert_eq!(t.drops_of(id), 0, "round {round}");
        } else {
            // Copied: the old value went with `b`, exactly once.
            assert_eq!(t.drops_of(id), 1, "round {round}: the old value survived");
        }
        drop(a);
    }
    t.assert_all_dropped_once();
}

#[test]
fn handles_sent_to_other_threads_are_dropped_once() {
    let t = Tracker::new();
    let (tx, rx) = mpsc::channel::<Cow<Dummy>>();
    let values: Vec<Cow<Dummy>> = (0..8).map(|v| Cow::new(t.make(v))).collect();
    let receiver = thread::spawn(move || {
        let mut seen = 0;
        let mut kept = Vec::new();
        for mut h in rx {
            seen += 1;
            // Write to every other received handle: copies if still shared.
            if seen % 2 == 0 {
                Cow::make_mut(&mut h).value += 100;
            }
            kept.push(h);
        }
        kept
    });
    thread::scope(|s| {
        for chunk in values.chunks(2) {
            let tx = tx.clone();
            s.spawn(move || {
                for _ in 0..ITERS.min(10) {
                    for h in chunk {
                        tx.send(h.clone()).unwrap();
                    }
                }
            });
        }
    });
    drop(tx);
    let kept = receiver.join().unwrap();
    // The originals were never written through.
    for (v, h) in values.iter().enumerate() {
        assert_eq!(h.value, v as u64);
    }
    assert_eq!(kept.len(), values.len() * ITERS.min(10) as usize);
    drop(values);
    drop(kept);
    t.assert_all_dropped_once();
}
