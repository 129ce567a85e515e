//! loom models of `arcow::CowCell`.
//!
//! arc-swap's atomics and thread-locals are invisible to loom, so under
//! `cfg(loom)` the cell keeps its `Cow<T>` in a loom-visible stand-in behind
//! the same private interface: an atomic pointer with Acquire loads and
//! AcqRel swaps (arc-swap guarantees at least that), which keeps every
//! replaced value alive until the cell drops. These models check the cell's
//! own logic (the writer lock, clone-modify-publish, the re-entrancy mark),
//! the refcount of the published values, and the change notification
//! (version word + event-listener, which is built on loom's primitives under
//! `cfg(loom)`); arc-swap's wait-free slot is left to arc-swap's own tests
//! (docs/safety.md).
#![cfg(loom)]

use std::future::Future;
use std::time::Duration;

use arcow::CowCell;
use loom::future::block_on;
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

/// A waiter that read version `v` and then waits with `changed(v)` is woken
/// by a publish racing its registration: whichever of the writer's
/// `fetch_add` and the waiter's `fetch_or` comes second sees the other (a
/// missed wake-up leaves the waiter parked forever, which loom reports as a
/// deadlock). What it then snapshots is at least as new as the version it
/// got.
#[test]
fn changed_never_misses_a_publish() {
    model(|| {
        let cell = Arc::new(CowCell::new(0u64));
        let c2 = cell.clone();
        let writer = thread::spawn(move || c2.store(1));
        let seen = cell.version();
        let now = if seen == 0 {
            block_on(cell.changed(seen))
        } else {
            seen
        };
        assert_eq!(now, 1);
        assert_eq!(*cell.snapshot(), 1, "a snapshot after version 1 is stale");
        writer.join().unwrap();
    });
}

/// The blocking form: `wait_changed` with no time limit, racing a publish.
#[test]
fn wait_changed_never_misses_a_publish() {
    model(|| {
        let cell = Arc::new(CowCell::new(0u64));
        let c2 = cell.clone();
        let writer = thread::spawn(move || c2.update(|v| *v = 1));
        let now = cell.wait_changed(0, Duration::MAX);
        assert_eq!(now, Some(1));
        assert_eq!(*cell.snapshot(), 1, "a snapshot after version 1 is stale");
        writer.join().unwrap();
    });
}

/// A snapshot taken after `version()` returned `v` is at least as new as
/// `v`, with the value published on another thread and read on a third.
#[test]
fn snapshot_after_version_is_fresh() {
    model(|| {
        let cell = Arc::new(CowCell::new(0u64));
        let c2 = cell.clone();
        let writer = thread::spawn(move || c2.store(1));
        if cell.version() == 1 {
            assert_eq!(*cell.snapshot(), 1, "a snapshot after version 1 is stale");
        }
        writer.join().unwrap();
    });
}

/// Two waiters and two publishes: both waiters wake, each at least once
/// per publish it waited for, and a dropped pending future (polled once,
/// then dropped) does not swallow the wake-up of the other waiter.
#[test]
fn two_waiters_and_a_cancelled_one() {
    model(|| {
        let cell = Arc::new(CowCell::new(0u64));
        let c2 = cell.clone();
        let waiter = thread::spawn(move || {
            // Registered (if the publish has not happened yet), then
            // cancelled.
            let mut cancelled = Box::pin(c2.changed(0));
            let waker = futures_noop_waker();
            let _ = cancelled
                .as_mut()
                .poll(&mut std::task::Context::from_waker(&waker));
            drop(cancelled);
            let now = block_on(c2.changed(0));
            assert!(now >= 1);
            assert!(*c2.snapshot() >= 1);
        });
        cell.store(1);
        let now = block_on(cell.changed(0));
        assert_eq!(now, 1);
        waiter.join().unwrap();
    });
}

/// A waker that does nothing, for polling a future once by hand.
fn futures_noop_waker() -> std::task::Waker {
    std::task::Waker::noop().clone()
}
