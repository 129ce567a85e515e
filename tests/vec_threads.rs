//! `CowVec<T>` across threads: threads clone a shared vector, read it, write
//! their clones (which copies once) and drop them. Each thread must see its
//! own writes only, the shared vector must stay as it was, every element
//! must be dropped exactly once, and the last handle, on whatever thread,
//! frees the buffer. Under Miri this also runs the data race detector over
//! the refcount and the buffer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;

use arcow::CowVec;

/// Drop accounting shared by all threads of one test.
#[derive(Default)]
struct Ledger {
    /// `drops[id]`: how many times the element with that id was dropped.
    drops: Mutex<Vec<u32>>,
    clones: AtomicUsize,
}

impl Ledger {
    fn make(self: &Arc<Self>, val: u32) -> Elem {
        let mut drops = self.drops.lock().unwrap();
        let id = drops.len();
        drops.push(0);
        Elem {
            id,
            val,
            ledger: Arc::clone(self),
        }
    }

    fn vec(self: &Arc<Self>, vals: impl IntoIterator<Item = u32>) -> CowVec<Elem> {
        vals.into_iter().map(|v| self.make(v)).collect()
    }

    fn clones(&self) -> usize {
        self.clones.load(Ordering::SeqCst)
    }

    /// Every element made so far was dropped exactly once.
    fn assert_all_dropped_once(&self) {
        let drops = self.drops.lock().unwrap();
        let bad: Vec<(usize, u32)> = drops
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, n)| n != 1)
            .collect();
        assert!(bad.is_empty(), "(id, drops) not dropped once: {bad:?}");
    }

    fn live(&self) -> usize {
        self.drops
            .lock()
            .unwrap()
            .iter()
            .filter(|&&n| n == 0)
            .count()
    }
}

struct Elem {
    id: usize,
    val: u32,
    ledger: Arc<Ledger>,
}

impl Clone for Elem {
    fn clone(&self) -> Elem {
        self.ledger.clones.fetch_add(1, Ordering::SeqCst);
        self.ledger.make(self.val)
    }
}

impl Drop for Elem {
    fn drop(&mut self) {
        self.ledger.drops.lock().unwrap()[self.id] += 1;
    }
}

fn vals(v: &[Elem]) -> Vec<u32> {
    v.iter().map(|e| e.val).collect()
}

fn threads() -> u32 {
    if cfg!(miri) {
        3
    } else {
        8
    }
}

#[test]
fn each_thread_sees_its_own_writes_only() {
    let ledger = Arc::new(Ledger::default());
    let len = if cfg!(miri) { 4 } else { 64 };
    let mut base = ledger.vec(0..len);
    // Spare room: the threads' first pushes must copy even though the
    // shared buffer has space for them.
    base.reserve(4);
    let base_vals = vals(&base);
    let n = threads();
    let results: Vec<(u32, Vec<u32>)> = thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|t| {
                let mut mine = base.clone();
                let snap = base.clone();
                let base_vals = &base_vals;
                let ledger = &ledger;
                s.spawn(move || {
                    // Read the shared buffer.
                    assert_eq!(&vals(&mine), base_vals);
                    assert!(mine.ptr_eq(&snap));
                    // The first write copies; the rest are in place.
                    mine.push(ledger.make(1000 + t));
                    mine.make_mut()[0].val = t;
                    mine.push(ledger.make(2000 + t));
                    mine.retain(|e| e.val != 1);
                    assert!(mine.is_unique());
                    assert!(!mine.ptr_eq(&snap));
                    // The snapshot taken before is untouched.
                    assert_eq!(&vals(&snap), base_vals);
                    drop(snap);
                    (t, vals(&mine))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (t, got) in results {
        let mut want = base_vals.clone();
        want[0] = t;
        want.extend([1000 + t, 2000 + t]);
        want.retain(|&v| v != 1);
        assert_eq!(got, want, "thread {t}");
    }
    assert_eq!(vals(&base), base_vals, "the shared vector changed");
    assert_eq!(
        ledger.clones(),
        n as usize * len as usize,
        "each thread's first write copies the buffer exactly once"
    );
    assert!(base.is_unique(), "every thread let go of its handle");
    let p = base.as_ptr();
    base.make_mut()[0].val = 7;
    assert_eq!(base.as_ptr(), p, "unique again: written in place");
    assert_eq!(ledger.live(), len as usize);
    drop(base);
    ledger.assert_all_dropped_once();
}

#[test]
fn the_last_handle_frees_on_whichever_thread_drops_it() {
    let rounds = if cfg!(miri) { 4 } else { 50 };
    for _ in 0..rounds {
        let ledger = Arc::new(Ledger::default());
        let v = ledger.vec(0..5);
        let n = threads() as usize;
        let barrier = Barrier::new(n);
        thread::scope(|s| {
            for _ in 0..n {
                let mine = v.clone();
                let barrier = &barrier;
                s.spawn(move || {
                    assert_eq!(vals(&mine), [0, 1, 2, 3, 4]);
                    barrier.wait();
                    drop(mine);
                });
            }
            // The main thread's handle goes first.
            drop(v);
        });
        assert_eq!(ledger.clones(), 0, "nothing was written: no copy");
        ledger.assert_all_dropped_once();
    }
}

#[test]
fn concurrent_clone_read_write_drop() {
    let ledger = Arc::new(Ledger::default());
    let base = ledger.vec(0..8);
    let iters = if cfg!(miri) { 8 } else { 200 };
    let n = threads();
    thread::scope(|s| {
        for t in 0..n {
            let base = &base;
            let ledger = &ledger;
            s.spawn(move || {
                for i in 0..iters {
                    let mut c = base.clone();
                    assert_eq!(c.iter().map(|e| e.val).sum::<u32>(), 28);
                    if (i + t) % 2 == 0 {
                        c.insert(0, ledger.make(100));
                        assert_eq!(c.len(), 9);
                        assert_eq!(c[0].val, 100);
                        let d = c.clone();
                        c.pop();
                        assert_eq!(d.len(), 9, "a clone of a clone is unaffected");
                    } else {
                        let d = c.clone();
                        drop(c);
                        assert_eq!(d.len(), 8);
                    }
                }
            });
        }
        // The main thread reads meanwhile.
        for _ in 0..iters {
            assert_eq!(vals(&base), (0..8).collect::<Vec<_>>());
        }
    });
    assert!(base.is_unique());
    drop(base);
    ledger.assert_all_dropped_once();
}

#[test]
fn a_vector_sent_to_another_thread_and_back() {
    let ledger = Arc::new(Ledger::default());
    let v = ledger.vec([1, 2, 3]);
    let keep = v.clone();
    let (to_worker, from_main) = mpsc::channel::<CowVec<Elem>>();
    let (to_main, from_worker) = mpsc::channel::<CowVec<Elem>>();
    let worker_ledger = Arc::clone(&ledger);
    let worker = thread::spawn(move || {
        for mut v in from_main {
            v.push(worker_ledger.make(4));
            to_main.send(v).unwrap();
        }
    });
    to_worker.send(v).unwrap();
    let mut got = from_worker.recv().unwrap();
    assert_eq!(vals(&got), [1, 2, 3, 4]);
    assert_eq!(vals(&keep), [1, 2, 3]);
    // Unique now, with room: the worker pushes in place.
    drop(keep);
    got.reserve(1);
    let p = got.as_ptr();
    to_worker.send(got).unwrap();
    let got = from_worker.recv().unwrap();
    assert_eq!(vals(&got), [1, 2, 3, 4, 4]);
    assert_eq!(
        got.as_ptr(),
        p,
        "a unique push into spare room moved the buffer"
    );
    drop(to_worker);
    worker.join().unwrap();
    drop(got);
    ledger.assert_all_dropped_once();
}
