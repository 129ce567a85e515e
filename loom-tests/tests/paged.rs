//! loom models of `arcow::PagedCowVec`: a page copy (`set`, `get_mut`) and
//! the path copy above it, and the tail moving into the tree (`push`) and
//! back (`pop`), on a vector shared with another thread that clones it,
//! reads it (by index, `iter` and `pages`) and drops its handles; and
//! `truncate` letting pages go while the other thread still reads them.
//!
//! The element wraps a `Payload` (its reads, writes and drop go through
//! `loom::cell::UnsafeCell`, so loom reports a data race if an ordering of
//! the refcount core is too weak) and pads it past 2 KiB, so that a page
//! holds one element: a vector of three has a tree of two pages under a
//! root node, plus the tail, and the models stay small. Every element made
//! (new or cloned) is counted, and at the end each must have been dropped
//! exactly once.
#![cfg(loom)]

use std::sync::atomic::AtomicUsize as StdAtomicUsize;
use std::sync::Arc as StdArc;

use arcow::PagedCowVec;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use loom_tests::{model, Payload};

/// A `Payload` padded to one element a page. `made` counts every element
/// made or cloned; it is a plain `std` counter, outside loom's view, since
/// it only feeds the final check.
struct Elem {
    payload: Payload,
    made: StdArc<StdAtomicUsize>,
    _pad: [u8; 2100],
}

impl Elem {
    fn new(v: u64, drops: &Arc<AtomicUsize>, made: &StdArc<StdAtomicUsize>) -> Elem {
        made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Elem {
            payload: Payload::new(v, drops),
            made: made.clone(),
            _pad: [0; 2100],
        }
    }

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
        Elem::new(v, &self.drops, &self.made)
    }

    /// Elements `0..n` holding `0..n`.
    fn vec(&self, n: u64) -> PagedCowVec<Elem> {
        (0..n).map(|i| self.elem(i)).collect()
    }

    /// Every element made was dropped, once each (a double drop would make
    /// `drops` exceed `made`; a leak, fall short).
    fn all_dropped(&self) {
        let made = self.made.load(std::sync::atomic::Ordering::Relaxed);
        let drops = self.drops.load(Ordering::Relaxed);
        assert_eq!(drops, made, "elements made {made}, dropped {drops}");
    }
}

/// `set` and `get_mut` on a shared vector copy the root and one page each,
/// while the other thread clones the vector, reads through the clone, drops
/// the original handle, then reads again and drops the clone (the last drop
/// of the old root and pages may happen on either thread).
#[test]
fn page_copy_races_clone_read_drop() {
    assert_eq!(PagedCowVec::<Elem>::page_elems(), 1);
    model(|| {
        let counts = Counts::new();
        let mut a = counts.vec(3);
        let b = a.clone();
        let t = thread::spawn(move || {
            let c = b.clone();
            assert_eq!(c[0].read() + c[1].read(), 1);
            drop(b);
            assert_eq!(c.iter().map(Elem::read).sum::<u64>(), 3);
            drop(c);
        });
        let old = a.set(0, counts.elem(10));
        assert_eq!(old.read(), 0);
        drop(old);
        a.get_mut(1).unwrap().payload.write(11);
        assert_eq!(a[0].read() + a[1].read() + a[2].read(), 23);
        t.join().unwrap();
        drop(a);
        counts.all_dropped();
    });
}

/// The tail moves into the tree (`push` on a full tail: the shared root is
/// copied) and back out (`pop` down into the tree), and the tail itself is
/// written through `get_mut`, while the other thread walks `pages()` and
/// drops its handle.
#[test]
fn tail_and_path_race_pages_and_drop() {
    model(|| {
        let counts = Counts::new();
        let mut a = counts.vec(2);
        let b = a.clone();
        let t = thread::spawn(move || {
            let sum: u64 = b.pages().map(|p| p[0].read()).sum();
            assert_eq!(sum, 1);
            drop(b);
        });
        a.push(counts.elem(2));
        assert_eq!(a.pop().map(|e| e.read()), Some(2));
        assert_eq!(a.pop().map(|e| e.read()), Some(1));
        a.get_mut(0).unwrap().payload.write(5);
        assert_eq!(a[0].read(), 5);
        t.join().unwrap();
        drop(a);
        counts.all_dropped();
    });
}

/// `truncate` lets pages go (popping them off a shared tree copies the root)
/// and then writes the page it kept, while the other thread reads the last
/// element and iterates before dropping its handle: the pages let go here
/// are freed by whichever thread drops them last.
#[test]
fn truncate_races_read_and_drop() {
    model(|| {
        let counts = Counts::new();
        let mut a = counts.vec(3);
        let b = a.clone();
        let t = thread::spawn(move || {
            assert_eq!(b[2].read(), 2);
            assert_eq!(b.iter().map(Elem::read).sum::<u64>(), 3);
            drop(b);
        });
        a.truncate(1);
        assert_eq!(a.len(), 1);
        a.set(0, counts.elem(7));
        assert_eq!(a[0].read(), 7);
        t.join().unwrap();
        drop(a);
        counts.all_dropped();
    });
}
