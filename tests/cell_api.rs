//! `CowCell`'s API surface: constructors and conversions, `Debug`,
//! `into_inner`, `Guard`, `load` versus older guards, and the auto traits.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::MutexGuard;

use arcow::{Cow, CowCell, CowVec, Guard};
use static_assertions::{assert_impl_all, assert_not_impl_any};

// Send + Sync exactly when T: Send + Sync.
assert_impl_all!(CowCell<u64>: Send, Sync);
assert_impl_all!(CowCell<String>: Send, Sync);
assert_impl_all!(CowCell<CowVec<u64>>: Send, Sync);
assert_impl_all!(CowCell<Cow<u64>>: Send, Sync);
// `Send` but not `Sync`: handing the cell to another thread would share the
// value with snapshots left behind, so neither.
assert_not_impl_any!(CowCell<Cell<u8>>: Send, Sync);
// Neither.
assert_not_impl_any!(CowCell<Rc<u8>>: Send, Sync);
// `Sync` but not `Send`: the last handle could drop it on another thread.
assert_not_impl_any!(CowCell<MutexGuard<'static, u8>>: Send, Sync);
// Snapshots are `Cow`s: the same rule.
assert_impl_all!(Cow<u64>: Send, Sync);
assert_not_impl_any!(Cow<Cell<u8>>: Send, Sync);

fn assert_send_sync<T: Send + Sync>(_: &T) {}

#[test]
fn new_load_and_deref() {
    let cell = CowCell::new(vec![1, 2, 3]);
    let guard: Guard<Vec<i32>> = cell.load();
    assert_eq!(guard.len(), 3);
    assert_eq!(*guard, [1, 2, 3]);
    let sum: i32 = guard.iter().sum();
    assert_eq!(sum, 6);
}

#[test]
fn default_holds_t_default() {
    let cell: CowCell<Vec<u8>> = CowCell::default();
    assert!(cell.load().is_empty());
    let cell: CowCell<u32> = Default::default();
    assert_eq!(*cell.load(), 0);
    let cell: CowCell<String> = CowCell::default();
    assert_eq!(*cell.load(), "");
}

#[test]
fn debug_shows_the_current_value() {
    let cell = CowCell::new(1);
    assert_eq!(format!("{cell:?}"), "CowCell(1)");
    cell.update(|v| *v += 1);
    assert_eq!(format!("{cell:?}"), "CowCell(2)");
    cell.store(40);
    assert_eq!(format!("{cell:?}"), "CowCell(40)");

    let cell = CowCell::new(String::from("x"));
    assert_eq!(format!("{cell:?}"), "CowCell(\"x\")");
    let cell = CowCell::new(vec![1, 2]);
    assert_eq!(
        format!("{cell:#?}"),
        "CowCell(\n    [\n        1,\n        2,\n    ],\n)"
    );
}

#[test]
fn guard_debug_shows_the_value_it_loaded() {
    let cell = CowCell::new(String::from("v1"));
    let guard = cell.load();
    assert_eq!(format!("{guard:?}"), "\"v1\"");
    cell.store(String::from("v2"));
    assert_eq!(format!("{guard:?}"), "\"v1\"");
    assert_eq!(format!("{:?}", cell.load()), "\"v2\"");
    let cell = CowCell::new(Some(3u8));
    assert_eq!(format!("{:?}", cell.load()), "Some(3)");
}

#[test]
fn from_t_is_new() {
    let cell = CowCell::from(3);
    assert_eq!(*cell.load(), 3);
    let cell: CowCell<String> = String::from("s").into();
    assert_eq!(*cell.load(), "s");
}

#[test]
fn from_cow_publishes_the_same_allocation() {
    let shared = Cow::new(vec![7u8; 100]);
    let cell: CowCell<Vec<u8>> = CowCell::from(shared.clone());
    assert!(Cow::ptr_eq(&cell.snapshot(), &shared));
    // The cell's handle and ours: no copy was made.
    assert_eq!(Cow::strong_count(&shared), 2);

    // An update copies (the value is shared with `shared`), and leaves
    // `shared` alone.
    cell.update(|v| v[0] = 0);
    assert!(!Cow::ptr_eq(&cell.snapshot(), &shared));
    assert_eq!(shared[0], 7);
    assert_eq!(cell.load()[0], 0);
    assert_eq!(Cow::strong_count(&shared), 1);
}

#[test]
fn from_cow_into_a_cell_of_cows_wraps_it() {
    // With the other type written out, `From<T>` applies: a cell of `Cow`s.
    let inner = Cow::new(5u8);
    let cell: CowCell<Cow<u8>> = CowCell::from(inner.clone());
    assert!(Cow::ptr_eq(&cell.load(), &inner));
    assert_eq!(**cell.load(), 5);
}

#[test]
fn into_inner_returns_the_current_value_without_copying() {
    let cell = CowCell::new(String::from("a"));
    cell.update(|s| s.push('b'));
    let snap = cell.snapshot();
    let inner: Cow<String> = cell.into_inner();
    assert_eq!(*inner, "ab");
    assert!(Cow::ptr_eq(&inner, &snap));
    drop(snap);
    assert_eq!(Cow::try_unwrap(inner).unwrap(), "ab");

    let cell = CowCell::new(1u64);
    let inner = cell.into_inner();
    assert!(Cow::is_unique(&inner));
}

#[test]
fn load_after_store_sees_the_new_value_while_an_older_guard_keeps_the_old() {
    let cell = CowCell::new(String::from("v1"));
    let g1 = cell.load();
    cell.store(String::from("v2"));
    let g2 = cell.load();
    let old = cell.replace(String::from("v3"));
    let g3 = cell.load();
    cell.update(|s| s.push('!'));
    assert_eq!((&**g1, &**g2, &**g3), ("v1", "v2", "v3"));
    assert_eq!(*old, "v2");
    assert_eq!(*cell.load(), "v3!");
    drop((g1, g2, g3));
    assert_eq!(*cell.load(), "v3!");
}

#[test]
fn many_guards_held_at_once_each_keep_their_value() {
    // More guards than arc-swap's per-thread slots, so some loads fall back
    // to a refcount: every guard must still see the value it loaded.
    let cell = CowCell::new(0usize);
    let mut guards = Vec::new();
    for i in 0..20 {
        guards.push(cell.load());
        cell.store(i + 1);
    }
    for (i, g) in guards.iter().enumerate() {
        assert_eq!(**g, i);
    }
    drop(guards);
    assert_eq!(*cell.load(), 20);
}

#[test]
fn snapshot_is_owned_send_and_sync() {
    let cell = CowCell::new(vec![1u64, 2, 3]);
    let snap = cell.snapshot();
    assert_send_sync(&snap);
    assert_send_sync(&cell);
    cell.update(|v| v.push(4));
    let handle = std::thread::spawn(move || snap.iter().sum::<u64>());
    assert_eq!(handle.join().unwrap(), 6);
    assert_eq!(cell.load().len(), 4);
}

#[test]
fn snapshot_outlives_the_cell() {
    let cell = CowCell::new(vec![String::from("kept")]);
    let snap = cell.snapshot();
    drop(cell);
    assert_eq!(snap[0], "kept");
    assert!(Cow::is_unique(&snap));
}

#[test]
fn a_shared_cell_works_across_threads() {
    let cell = std::sync::Arc::new(CowCell::new(0u32));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let cell = std::sync::Arc::clone(&cell);
            std::thread::spawn(move || {
                for _ in 0..5 {
                    cell.update(|v| *v += 1);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(*cell.load(), 10);
}

#[test]
fn update_returns_what_f_returns() {
    let cell = CowCell::new(vec![3, 1, 2]);
    let popped = cell.update(|v| v.pop());
    assert_eq!(popped, Some(2));
    let len = cell.update(|v| {
        v.sort();
        v.len()
    });
    assert_eq!(len, 2);
    assert_eq!(*cell.load(), [1, 3]);
}
