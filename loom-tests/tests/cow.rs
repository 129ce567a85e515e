//! loom models of `arcow::Cow`: the refcount core's clone, drop, uniqueness
//! and copy paths.
//!
//! The payload reads and writes itself through `loom::cell::UnsafeCell`, and
//! its `Drop` writes too, so loom reports a data race if any ordering of the
//! core is too weak (see `scripts/loom` and the weakening table in
//! `docs/safety.md`).
#![cfg(loom)]

use arcow::Cow;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use loom_tests::{model, Payload};

/// Two threads each read and drop a handle; the value is dropped once, after
/// both reads.
#[test]
fn clone_drop_race() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let a = Cow::new(Payload::new(7, &drops));
        let b = a.clone();
        let t = thread::spawn(move || {
            assert_eq!(b.read(), 7);
            drop(b);
        });
        assert_eq!(a.read(), 7);
        drop(a);
        t.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    });
}

/// make_mut in one thread while another reads and drops its handle: the
/// writer either copies (shared) or writes in place after the reader is done.
#[test]
fn make_mut_while_other_reads_and_drops() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut a = Cow::new(Payload::new(1, &drops));
        let b = a.clone();
        let t = thread::spawn(move || {
            let c = b.clone();
            assert_eq!(c.read(), 1);
            drop(c);
            assert_eq!(b.read(), 1);
        });
        Cow::make_mut(&mut a).write(2);
        assert_eq!(a.read(), 2);
        t.join().unwrap();
        drop(a);
        // one value if the write was in place, two if it copied
        let d = drops.load(Ordering::Relaxed);
        assert!(d == 1 || d == 2, "drops = {d}");
    });
}

/// get_mut succeeds only when the other handle is gone, and then its reads
/// happen-before our write.
#[test]
fn get_mut_after_other_drop() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut a = Cow::new(Payload::new(1, &drops));
        let b = a.clone();
        let t = thread::spawn(move || {
            assert_eq!(b.read(), 1);
        });
        if let Some(v) = Cow::get_mut(&mut a) {
            v.write(3);
        }
        t.join().unwrap();
        drop(a);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    });
}

/// try_unwrap racing with another handle's drop: on success we own the value
/// and the other thread's reads happened before.
#[test]
fn try_unwrap_races_drop() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let a = Cow::new(Payload::new(5, &drops));
        let b = a.clone();
        let t = thread::spawn(move || {
            assert_eq!(b.read(), 5);
        });
        match Cow::try_unwrap(a) {
            Ok(mut v) => v.write(6),
            Err(a) => drop(a),
        }
        t.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    });
}

/// Two last handles dropped through into_inner at once: exactly one gets the
/// value.
#[test]
fn into_inner_exactly_one() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let a = Cow::new(Payload::new(9, &drops));
        let b = a.clone();
        let t = thread::spawn(move || Cow::into_inner(b).map(|mut v| v.write(1)).is_some());
        let mine = Cow::into_inner(a).map(|mut v| v.write(2)).is_some();
        let theirs = t.join().unwrap();
        assert!(mine ^ theirs, "mine={mine} theirs={theirs}");
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    });
}

/// into_raw in one thread, from_raw in another.
#[test]
fn raw_round_trip_across_threads() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let a = Cow::new(Payload::new(4, &drops));
        let raw = Cow::into_raw(a.clone()) as usize;
        let t = thread::spawn(move || {
            // SAFETY: `raw` came from `into_raw` and is given back once.
            let b = unsafe { Cow::from_raw(raw as *const Payload) };
            assert_eq!(b.read(), 4);
        });
        assert_eq!(a.read(), 4);
        drop(a);
        t.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    });
}

/// The `arc_swap::RefCnt` path as far as loom can see it: arc-swap's own
/// slot is invisible to loom, but the refcount operations it calls through
/// `RefCnt` (`into_ptr`, `as_ptr`, `from_ptr`, `inc`, `dec`) run here across
/// threads, racing with a drop of the last ordinary handle.
#[test]
fn refcnt_calls_across_threads() {
    use arc_swap::RefCnt;
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let a = Cow::new(Payload::new(3, &drops));
        let raw = <Cow<Payload> as RefCnt>::into_ptr(a.clone());
        assert_eq!(raw, <Cow<Payload> as RefCnt>::as_ptr(&a));
        let raw = raw as usize;
        let t = thread::spawn(move || {
            let raw = raw as *const Payload;
            // SAFETY: `raw` came from `into_ptr` and is taken back once,
            // by `dec` below; `inc` adds a count that `from_ptr` takes over.
            unsafe {
                let extra = <Cow<Payload> as RefCnt>::from_ptr(<Cow<Payload> as RefCnt>::inc(
                    &*core::mem::ManuallyDrop::new(<Cow<Payload> as RefCnt>::from_ptr(raw)),
                ));
                assert_eq!(extra.read(), 3);
                drop(extra);
                <Cow<Payload> as RefCnt>::dec(raw);
            }
        });
        assert_eq!(a.read(), 3);
        drop(a);
        t.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    });
}
