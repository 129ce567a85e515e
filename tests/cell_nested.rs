//! Nested copy-on-write in a `CowCell`: a value built from `CowVec` and
//! `Cow` fields makes `update`'s one clone shallow, so an update copies only
//! the fields it touches (path copying). Checked by counting element clones
//! per field and by pointer identity of untouched fields between a snapshot
//! from before and one from after.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use arcow::{Cow, CowCell, CowVec};

/// Elements per field.
const N: usize = if cfg!(miri) { 200 } else { 10_000 };

/// Which field an element belongs to, as an index into [`Counters`].
const ROUTES: usize = 0;
const USERS: usize = 1;
const LIMITS: usize = 2;
const NAMES: usize = 3;
const FIELDS: [&str; 4] = ["routes", "users", "limits", "names"];

/// Clone counts per field, and of the `Config` itself. Each test has its own.
#[derive(Default, Debug)]
struct Counters {
    elem_clones: [AtomicUsize; 4],
    config_clones: AtomicUsize,
}

impl Counters {
    fn elem_clones(&self) -> [usize; 4] {
        std::array::from_fn(|i| self.elem_clones[i].load(Ordering::SeqCst))
    }

    fn config_clones(&self) -> usize {
        self.config_clones.load(Ordering::SeqCst)
    }
}

/// An element whose `Clone` is counted for the field it lives in.
#[derive(Debug)]
struct Elem {
    value: u64,
    field: usize,
    counters: Arc<Counters>,
}

impl Clone for Elem {
    fn clone(&self) -> Elem {
        self.counters.elem_clones[self.field].fetch_add(1, Ordering::SeqCst);
        Elem {
            value: self.value,
            field: self.field,
            counters: Arc::clone(&self.counters),
        }
    }
}

/// A configuration with four large fields and a small one.
#[derive(Debug)]
struct Config {
    routes: CowVec<Elem>,
    users: CowVec<Elem>,
    limits: CowVec<Elem>,
    names: Cow<HashMap<u64, Elem>>,
    version: u64,
    counters: Arc<Counters>,
}

impl Clone for Config {
    /// Shallow: four refcount increments and a `u64`.
    fn clone(&self) -> Config {
        self.counters.config_clones.fetch_add(1, Ordering::SeqCst);
        Config {
            routes: self.routes.clone(),
            users: self.users.clone(),
            limits: self.limits.clone(),
            names: self.names.clone(),
            version: self.version,
            counters: Arc::clone(&self.counters),
        }
    }
}

fn elems(field: usize, counters: &Arc<Counters>) -> impl Iterator<Item = Elem> + '_ {
    (0..N as u64).map(move |value| Elem {
        value,
        field,
        counters: Arc::clone(counters),
    })
}

fn config(counters: &Arc<Counters>) -> Config {
    Config {
        routes: elems(ROUTES, counters).collect(),
        users: elems(USERS, counters).collect(),
        limits: elems(LIMITS, counters).collect(),
        names: Cow::new(elems(NAMES, counters).map(|e| (e.value, e)).collect()),
        version: 0,
        counters: Arc::clone(counters),
    }
}

/// Which fields of `a` and `b` are the very same allocation, in field order.
fn shared_fields(a: &Config, b: &Config) -> [bool; 4] {
    [
        a.routes.ptr_eq(&b.routes),
        a.users.ptr_eq(&b.users),
        a.limits.ptr_eq(&b.limits),
        Cow::ptr_eq(&a.names, &b.names),
    ]
}

/// Clone counts per field, with names, for readable failures.
fn named(counts: [usize; 4]) -> Vec<(&'static str, usize)> {
    FIELDS.iter().copied().zip(counts).collect()
}

fn setup() -> (Arc<Counters>, CowCell<Config>) {
    let counters = Arc::new(Counters::default());
    let cell = CowCell::new(config(&counters));
    assert_eq!(counters.elem_clones(), [0; 4]);
    (counters, cell)
}

#[test]
fn push_to_one_vec_field_copies_only_that_field() {
    let (counters, cell) = setup();
    let before = cell.snapshot();

    cell.update(|c| {
        c.routes.push(Elem {
            value: 999_999,
            field: ROUTES,
            counters: Arc::clone(&c.counters),
        });
        c.version += 1;
    });

    let after = cell.snapshot();
    assert_eq!(counters.config_clones(), 1);
    assert_eq!(
        named(counters.elem_clones()),
        named([N, 0, 0, 0]),
        "the update copied other than exactly the routes"
    );
    assert_eq!(shared_fields(&before, &after), [false, true, true, true]);
    // The old snapshot still has the old routes; the new one has the push.
    assert_eq!((before.routes.len(), before.version), (N, 0));
    assert_eq!((after.routes.len(), after.version), (N + 1, 1));
    assert_eq!(after.routes[N].value, 999_999);
    assert!(after.routes[..N]
        .iter()
        .zip(before.routes.iter())
        .all(|(a, b)| a.value == b.value));
}

#[test]
fn make_mut_on_one_vec_field_copies_only_that_field() {
    let (counters, cell) = setup();
    let before = cell.snapshot();

    cell.update(|c| c.limits.make_mut()[N / 2].value = 7_777);

    let after = cell.snapshot();
    assert_eq!(named(counters.elem_clones()), named([0, 0, N, 0]));
    assert_eq!(shared_fields(&before, &after), [true, true, false, true]);
    assert_eq!(before.limits[N / 2].value, (N / 2) as u64);
    assert_eq!(after.limits[N / 2].value, 7_777);
}

#[test]
fn make_mut_on_the_map_field_copies_only_the_map() {
    let (counters, cell) = setup();
    let before = cell.snapshot();

    cell.update(|c| {
        Cow::make_mut(&mut c.names).get_mut(&3).unwrap().value = 33;
    });

    let after = cell.snapshot();
    assert_eq!(counters.config_clones(), 1);
    assert_eq!(named(counters.elem_clones()), named([0, 0, 0, N]));
    assert_eq!(shared_fields(&before, &after), [true, true, true, false]);
    assert_eq!((before.names[&3].value, after.names[&3].value), (3, 33));
    assert_eq!(after.names.len(), N);
}

#[test]
fn update_of_a_small_field_copies_no_large_field() {
    let (counters, cell) = setup();
    let before = cell.snapshot();

    for _ in 0..5 {
        cell.update(|c| c.version += 1);
    }

    let after = cell.snapshot();
    assert_eq!(counters.config_clones(), 5, "one shallow clone per update");
    assert_eq!(named(counters.elem_clones()), named([0; 4]));
    assert_eq!(shared_fields(&before, &after), [true; 4]);
    assert_eq!((before.version, after.version), (0, 5));
}

#[test]
fn each_update_copies_just_the_fields_it_touches() {
    let (counters, cell) = setup();
    let v0 = cell.snapshot();

    cell.update(|c| c.users.make_mut()[0].value = 1);
    let v1 = cell.snapshot();
    assert_eq!(named(counters.elem_clones()), named([0, N, 0, 0]));

    cell.update(|c| {
        c.routes.make_mut()[0].value = 1;
        Cow::make_mut(&mut c.names).remove(&0);
    });
    let v2 = cell.snapshot();
    assert_eq!(named(counters.elem_clones()), named([N, N, 0, N]));
    assert_eq!(shared_fields(&v1, &v2), [false, true, true, false]);
    assert_eq!(shared_fields(&v0, &v2), [false, false, true, false]);

    // Touching a field again copies it again, once: the published value
    // still shares its buffer with the update's copy of the config.
    cell.update(|c| c.users.make_mut()[1].value = 100);
    let v3 = cell.snapshot();
    assert_eq!(named(counters.elem_clones()), named([N, 2 * N, 0, N]));
    assert_eq!(shared_fields(&v2, &v3), [true, false, true, true]);

    // Every version still reads as it was.
    assert_eq!((v0.users[0].value, v1.users[0].value), (0, 1));
    assert_eq!((v1.routes[0].value, v2.routes[0].value), (0, 1));
    assert_eq!((v1.names.len(), v2.names.len()), (N, N - 1));
    assert_eq!((v2.users[1].value, v3.users[1].value), (1, 100));
    assert_eq!((v0.users[1].value, v1.users[1].value), (1, 1));
    assert_eq!(counters.config_clones(), 3);
}

#[test]
fn readers_of_untouched_fields_keep_the_same_buffers_across_updates() {
    let (counters, cell) = setup();
    let users_before = cell.load().users.clone();
    for i in 0..3u64 {
        cell.update(|c| c.routes.make_mut()[0].value = i);
        // A field nobody wrote is still the one buffer from the start.
        assert!(cell.load().users.ptr_eq(&users_before));
    }
    assert_eq!(named(counters.elem_clones()), named([3 * N, 0, 0, 0]));
    drop(users_before);
    // Taking the cell's value out and writing to a field it alone owns
    // copies nothing.
    let mut last = Cow::try_unwrap(cell.into_inner()).expect("no other handle");
    last.users.make_mut()[0].value = 5;
    assert_eq!(named(counters.elem_clones()), named([3 * N, 0, 0, 0]));
}
