//! loom models of `arcow::CowCell`.
//!
//! arc-swap's atomics and thread-locals are invisible to loom, so under
//! `cfg(loom)` the cell keeps its `Cow<T>` in a loom `Mutex` stand-in behind
//! the same private interface. These models check the cell's own logic (the
//! writer lock, clone-modify-publish, the re-entrancy mark) and the refcount
//! of the published values; arc-swap's wait-free slot is left to arc-swap's
//! own tests (docs/safety.md).
#![cfg(loom)]

use arcow::CowCell;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use loom_tests::{model, Payload};

/// Two writers never lose an update; every published value is dropped once.
#[test]
fn two_writers_lose_nothing() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let cell = Arc::new(CowCell::new(Payload::new(0, &drops)));
        let c2 = cell.clone();
        let t = thread::spawn(move || {
            c2.update(|p| {
                let v = p.read();
                p.write(v + 1)
            });
        });
        cell.update(|p| {
            let v = p.read();
            p.write(v + 1)
        });
        t.join().unwrap();
        assert_eq!(cell.load().read(), 2);
        drop(cell);
        // initial value + one clone per update
        assert_eq!(drops.load(Ordering::Relaxed), 3);
    });
}

/// A reader loading and snapshotting while a writer updates: it sees the old
/// value or the new one, and its snapshot keeps what it saw.
#[test]
fn update_races_load_and_snapshot() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let cell = Arc::new(CowCell::new(Payload::new(1, &drops)));
        let c2 = cell.clone();
        let t = thread::spawn(move || {
            let seen = c2.load().read();
            assert!(seen == 1 || seen == 2, "seen = {seen}");
            let snap = c2.snapshot();
            let v = snap.read();
            assert!(v == 1 || v == 2, "v = {v}");
            v
        });
        cell.update(|p| p.write(2));
        let v = t.join().unwrap();
        assert_eq!(cell.load().read(), 2);
        assert!(v >= 1);
        drop(cell);
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    });
}

/// `replace` racing an `update`: both are serialized, so the final value is
/// one of the two orders and nothing leaks.
#[test]
fn replace_races_update() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let cell = Arc::new(CowCell::new(Payload::new(1, &drops)));
        let c2 = cell.clone();
        let d2 = drops.clone();
        let t = thread::spawn(move || c2.replace(Payload::new(10, &d2)).read());
        cell.update(|p| {
            let v = p.read();
            p.write(v + 1)
        });
        let old = t.join().unwrap();
        let now = cell.load().read();
        // update then replace: old = 2, now = 10; replace then update: old = 1, now = 11
        assert!(
            (old == 2 && now == 10) || (old == 1 && now == 11),
            "old={old} now={now}"
        );
        drop(cell);
        assert_eq!(drops.load(Ordering::Relaxed), 3);
    });
}
