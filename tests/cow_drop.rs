//! Drop accounting and panic safety for `Cow<T>`.
//!
//! Every test makes its values with its own [`Tracker`] and ends by checking
//! that every value ever made (by `make` or by `clone`) was dropped exactly
//! once. In between, each step checks that nothing was dropped (or cloned)
//! too early.

mod common;

use std::panic::{self, AssertUnwindSafe};

use arcow::Cow;
use common::{Dummy, Tracker};

#[test]
fn a_value_is_dropped_once_when_its_last_handle_goes() {
    let t = Tracker::new();
    let a = Cow::new(t.make(1));
    let id = a.id();
    let handles: Vec<Cow<Dummy>> = (0..5).map(|_| a.clone()).collect();
    drop(a);
    assert_eq!(t.drops_of(id), 0);
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(t.drops_of(id), 0, "dropped before handle {i} went");
        drop(h);
    }
    assert_eq!(t.drops_of(id), 1);
    assert_eq!(t.clone_calls(), 0);
    t.assert_all_dropped_once();
}

#[test]
fn try_unwrap_ok_moves_the_value_out() {
    let t = Tracker::new();
    let a = Cow::new(t.make(2));
    let id = a.id();
    let v = Cow::try_unwrap(a).unwrap();
    assert_eq!((v.id(), v.value), (id, 2), "not the same instance");
    assert_eq!(t.drops_of(id), 0, "the moved-out value was dropped");
    assert_eq!(t.clone_calls(), 0);
    drop(v);
    t.assert_all_dropped_once();
}

#[test]
fn try_unwrap_err_gives_the_handle_back_untouched() {
    let t = Tracker::new();
    let a = Cow::new(t.make(3));
    let b = a.clone();
    let id = a.id();
    let a = Cow::try_unwrap(a).unwrap_err();
    assert!(Cow::ptr_eq(&a, &b));
    assert_eq!(
        Cow::strong_count(&b),
        2,
        "a failed try_unwrap changed the count"
    );
    assert_eq!(t.drops_of(id), 0);
    drop(b);
    // Unique now: the same handle unwraps.
    let v = Cow::try_unwrap(a).unwrap();
    assert_eq!(v.id(), id);
    drop(v);
    assert_eq!(t.created(), 1);
    t.assert_all_dropped_once();
}

#[test]
fn into_inner_gives_the_value_to_the_last_handle_only() {
    let t = Tracker::new();
    let a = Cow::new(t.make(4));
    let b = a.clone();
    let c = a.clone();
    let id = a.id();
    assert!(Cow::into_inner(a).is_none());
    assert_eq!(t.drops_of(id), 0);
    assert_eq!(Cow::strong_count(&b), 2);
    assert!(Cow::into_inner(c).is_none());
    assert_eq!(t.drops_of(id), 0);
    assert!(Cow::is_unique(&b));
    let v = Cow::into_inner(b).unwrap();
    assert_eq!((v.id(), v.value), (id, 4));
    assert_eq!(t.drops_of(id), 0);
    drop(v);
    assert_eq!(t.created(), 1);
    t.assert_all_dropped_once();
}

#[test]
fn unwrap_or_clone_moves_when_unique_and_clones_when_shared() {
    let t = Tracker::new();
    let a = Cow::new(t.make(5));
    let b = a.clone();
    let id = a.id();

    let cloned = Cow::unwrap_or_clone(a);
    assert_ne!(cloned.id(), id, "shared: must be a clone");
    assert_eq!(cloned.value, 5);
    assert_eq!(t.clone_calls(), 1);
    assert_eq!(t.drops_of(id), 0, "the shared original was dropped");
    assert!(Cow::is_unique(&b));

    let moved = Cow::unwrap_or_clone(b);
    assert_eq!(moved.id(), id, "unique: must move the original");
    assert_eq!(t.clone_calls(), 1);
    assert_eq!(t.drops_of(id), 0);

    drop((cloned, moved));
    assert_eq!(t.created(), 2);
    t.assert_all_dropped_once();
}

#[test]
fn into_raw_keeps_the_value_alive_until_from_raw() {
    let t = Tracker::new();
    let a = Cow::new(t.make(6));
    let id = a.id();
    let raw_clone = Cow::into_raw(a.clone());
    assert_eq!(Cow::strong_count(&a), 2, "into_raw must keep its count");
    let raw = Cow::into_raw(a);
    assert_eq!(raw, raw_clone);
    assert_eq!(t.drops_of(id), 0, "dropped while only raw pointers held it");
    // SAFETY: `raw` and `raw_clone` came from two `Cow::<Dummy>::into_raw`
    // calls; each is given back exactly once.
    let (a, b) = unsafe { (Cow::from_raw(raw), Cow::from_raw(raw_clone)) };
    assert!(Cow::ptr_eq(&a, &b));
    assert_eq!(Cow::strong_count(&a), 2);
    assert_eq!((a.id(), a.value), (id, 6));
    drop(a);
    assert_eq!(t.drops_of(id), 0);
    drop(b);
    t.assert_all_dropped_once();
}

#[test]
fn make_mut_on_a_unique_cow_neither_clones_nor_drops() {
    let t = Tracker::new();
    let mut a = Cow::new(t.make(7));
    let id = a.id();
    Cow::make_mut(&mut a).value = 70;
    Cow::make_mut(&mut a).value += 1;
    assert_eq!((a.id(), a.value), (id, 71));
    assert_eq!(t.clone_calls(), 0);
    assert_eq!(t.created(), 1);
    assert_eq!(t.drops_of(id), 0);
    drop(a);
    t.assert_all_dropped_once();
}

#[test]
fn make_mut_on_a_shared_cow_clones_once_and_drops_nothing() {
    let t = Tracker::new();
    let mut a = Cow::new(t.make(8));
    let b = a.clone();
    let c = a.clone();
    let id = a.id();

    Cow::make_mut(&mut a).value = 80;
    assert_eq!(t.clone_calls(), 1);
    assert_eq!(t.created(), 2);
    assert_ne!(a.id(), id);
    assert_eq!((b.id(), b.value), (id, 8), "the shared value was written");
    assert_eq!(t.drops_of(id), 0, "the shared value was dropped");
    assert_eq!(Cow::strong_count(&b), 2, "the old handle was not released");
    assert!(Cow::is_unique(&a));

    // The copy is unique: writing again clones nothing.
    let copy_id = a.id();
    Cow::make_mut(&mut a).value = 81;
    assert_eq!(t.clone_calls(), 1);
    assert_eq!(a.id(), copy_id);

    drop(b);
    assert_eq!(t.drops_of(id), 0);
    drop(c);
    assert_eq!(t.drops_of(id), 1, "the old value outlived its last handle");
    drop(a);
    t.assert_all_dropped_once();
}

#[test]
fn make_mut_leaving_the_last_old_handle_drops_the_old_value_once() {
    let t = Tracker::new();
    let mut a = Cow::new(t.make(9));
    let mut b = a.clone();
    let id = a.id();
    // Both write: the first copies, the second is unique again and writes in
    // place.
    Cow::make_mut(&mut a).value = 90;
    Cow::make_mut(&mut b).value = 91;
    assert_eq!(t.clone_calls(), 1);
    assert_eq!(b.id(), id, "b was unique and should have kept its value");
    assert_eq!((a.value, b.value), (90, 91));
    drop(b);
    assert_eq!(t.drops_of(id), 1);
    drop(a);
    t.assert_all_dropped_once();
}

#[test]
fn get_mut_writes_in_place_or_refuses() {
    let t = Tracker::new();
    let mut a = Cow::new(t.make(10));
    let id = a.id();
    Cow::get_mut(&mut a).unwrap().value = 100;
    let b = a.clone();
    assert!(Cow::get_mut(&mut a).is_none());
    assert_eq!(t.clone_calls(), 0);
    assert_eq!(t.drops_of(id), 0);
    assert_eq!(b.value, 100);
    drop(b);
    Cow::get_mut(&mut a).unwrap().value = 101;
    assert_eq!((a.id(), a.value), (id, 101));
    drop(a);
    assert_eq!(t.created(), 1);
    t.assert_all_dropped_once();
}

#[test]
fn a_panicking_clone_in_make_mut_leaves_the_handle_untouched() {
    let t = Tracker::new();
    let mut a = Cow::new(t.make(11));
    let b = a.clone();
    let id = a.id();

    t.panic_on_clone(1);
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        Cow::make_mut(&mut a).value = 12;
    }));
    assert!(r.is_err(), "the clone should have panicked");
    assert!(Cow::ptr_eq(&a, &b), "the handle moved off the shared value");
    assert_eq!(Cow::strong_count(&a), 2);
    assert_eq!((a.id(), a.value), (id, 11), "the shared value changed");
    assert_eq!(t.created(), 1);
    assert_eq!(t.drops_of(id), 0);

    // Still usable: the next make_mut copies as usual.
    Cow::make_mut(&mut a).value = 13;
    assert!(!Cow::ptr_eq(&a, &b));
    assert_eq!((a.value, b.value), (13, 11));
    drop((a, b));
    t.assert_all_dropped_once();
}

#[test]
fn a_clone_panicking_halfway_drops_what_it_had_cloned() {
    // The payload's clone makes two dummies, then the third panics: the two
    // must be dropped by the unwind, the original must stay intact.
    let t = Tracker::new();
    let mut a = Cow::new(vec![t.make(1), t.make(2), t.make(3)]);
    let b = a.clone();
    t.panic_on_clone(3);
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        Cow::make_mut(&mut a).push(t.make(4));
    }));
    assert!(r.is_err());
    assert_eq!(t.clone_calls(), 3);
    assert_eq!(t.created(), 5, "3 originals and 2 clones");
    assert_eq!(t.live(), 3, "the 2 clones made before the panic leaked");
    assert!(Cow::ptr_eq(&a, &b));
    assert_eq!(Cow::strong_count(&a), 2);
    let values: Vec<u64> = a.iter().map(|d| d.value).collect();
    assert_eq!(values, [1, 2, 3]);
    drop((a, b));
    t.assert_all_dropped_once();
}

#[test]
fn a_panicking_clone_in_unwrap_or_clone_keeps_the_value_alive() {
    let t = Tracker::new();
    let a = Cow::new(t.make(14));
    let b = a.clone();
    t.panic_on_clone(1);
    let r = panic::catch_unwind(AssertUnwindSafe(move || Cow::unwrap_or_clone(a)));
    assert!(r.is_err());
    // The consumed handle was released by the unwind; the other one is left.
    assert!(Cow::is_unique(&b));
    assert_eq!(b.value, 14);
    assert_eq!(t.drops_of(b.id()), 0);
    drop(b);
    t.assert_all_dropped_once();
}

#[test]
fn a_panicking_drop_of_the_value_runs_once() {
    let t = Tracker::new();
    let a = Cow::new(t.make(15));
    let b = a.clone();
    let id = a.id();
    t.panic_on_drop_of(id);
    drop(a);
    assert_eq!(t.drops_of(id), 0);
    let r = panic::catch_unwind(AssertUnwindSafe(move || drop(b)));
    assert!(r.is_err(), "the value's drop panic must reach the caller");
    t.assert_all_dropped_once();
}

/// A value whose drop panics partway (one of its elements panics) still
/// drops everything else it owns, once, when its last handle goes.
#[test]
fn a_panicking_drop_inside_the_value_still_drops_the_rest() {
    for bad in [0, 2, 4] {
        let t = Tracker::new();
        let values: Vec<Dummy> = (0..5).map(|i| t.make(i)).collect();
        let id = values[bad].id();
        let a = Cow::new(values);
        let mut b = a.clone();
        let c = a.clone();
        t.panic_on_drop_of(id);
        // A copy by `make_mut` drops nothing of the old value.
        Cow::make_mut(&mut b).pop();
        drop(a);
        assert_eq!(t.live(), 5 + 4, "element {bad}: dropped too early");
        let r = panic::catch_unwind(AssertUnwindSafe(move || drop(c)));
        assert!(
            r.is_err(),
            "element {bad}: the drop panic must reach the caller"
        );
        assert_eq!(t.live(), 4, "element {bad}: the rest of the value leaked");
        drop(b);
        t.assert_all_dropped_once();
    }
}

#[test]
fn nested_cows_drop_each_value_once() {
    let t = Tracker::new();
    let leaf = Cow::new(t.make(16));
    let mut outer = Cow::new(vec![leaf.clone(), leaf.clone()]);
    let other = outer.clone();
    // Copying the Vec clones the inner handles, never the leaf value.
    Cow::make_mut(&mut outer).push(Cow::new(t.make(17)));
    assert_eq!(t.clone_calls(), 0);
    assert_eq!(Cow::strong_count(&leaf), 5);
    drop((leaf, other));
    assert_eq!(t.live(), 2);
    drop(outer);
    t.assert_all_dropped_once();
}
