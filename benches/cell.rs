//! `CowCell<T>` against its anchors, side by side in one run
//! (docs/DESIGN.md, "Performance targets"): `arc_swap::ArcSwap<T>` (the same
//! wait-free mechanism, with a `Mutex` serializing writers), `std::sync::RwLock`,
//! `parking_lot::RwLock` and `std::sync::Mutex`. Single-threaded: this is the
//! cost of each operation with no other thread around. Readers under a
//! concurrent writer are in `benches/cell_contention.rs`.
//!
//! | group       | what one iteration does                                                  |
//! |-------------|--------------------------------------------------------------------------|
//! | `load_read` | load the current value and read one word of it, then let go              |
//! | `snapshot`  | take an owned copy of the current value, then drop it (see below)        |
//! | `update`    | increment one word of the value, as a writer                             |
//! | `nested`    | increment one element of one of four 100k-element vector fields          |
//!
//! What "snapshot" and "update" mean for each type:
//!
//! | type                  | `snapshot`                                      | `update`                                                      |
//! |-----------------------|-------------------------------------------------|---------------------------------------------------------------|
//! | `arcow::CowCell`      | `CowCell::snapshot`: one refcount increment     | `CowCell::update`: clone `T` into a new allocation, modify, publish, free the old |
//! | `CowCell (before)`    | —                                               | the cell before change notification (issue 14): `load_full`, `Cow::make_mut` (clones), modify, swap; no version |
//! | `arc_swap::ArcSwap`   | `ArcSwap::load_full`: one refcount increment    | lock a writer `Mutex`, `load_full`, `Arc::make_mut` (clones), modify, `store` |
//! | `arc_swap::ArcSwap::rcu` | —                                            | `ArcSwap::rcu`: clone `T` out, modify, `Arc::new`, compare-and-swap |
//! | `std::RwLock`         | `read()` and clone `T` out under the read lock  | `write()` and modify in place                                 |
//! | `parking_lot::RwLock` | as `std::RwLock`                                | as `std::RwLock`                                              |
//! | `std::Mutex`          | `lock()` and clone `T` out                      | `lock()` and modify in place                                  |
//! | `std::RwLock<Arc<T>>` | `read()` and clone the `Arc` out: the usual way to get cheap snapshots from a lock | — |
//!
//! `CowCell (before)` is rebuilt here from public parts (an
//! `ArcSwapAny<Cow<T>>` and a `Mutex`) to show what the version word and the
//! waiter check cost a publish with nobody waiting (DESIGN.md: at most one
//! atomic operation; `update` within 1.05x of it).
//!
//! So `snapshot` compares what each type gives a reader that wants to keep a
//! value: for the plain lock types that is a copy of `T` (a `u64` is free to
//! copy; 4 KiB is a `memcpy`), for the COW types and `RwLock<Arc<T>>` a
//! refcount increment. `update` compares what a writer pays: the lock types
//! modify in place, the COW types copy the value once per update.
//!
//! Payloads: `u64` and `4KiB` (`[u64; 512]`, reading or incrementing one
//! element at an opaque index). Bench ids are `<group>/<type>/<payload>`,
//! e.g. `update/arcow::CowCell/4KiB`.
//!
//! `nested`: a configuration of four fields, each 100k `u64` (800 KB); one
//! update increments one element of one field.
//!
//! | id                                   | what the update copies                          |
//! |--------------------------------------|-------------------------------------------------|
//! | `arcow::CowCell<4 x CowVec>`         | one field (800 KB): the clone of the struct is four refcount increments, `make_mut` copies the field it writes |
//! | `arcow::CowCell<4 x Vec>`            | everything (3.2 MB): `Vec::clone` is deep       |
//! | `arcow::CowCell<4 x PagedCowVec>`    | one page (4 KiB) and its path                   |
//! | `std::RwLock<4 x Vec>`               | nothing: in place under the write lock          |
//!
//! Run: `cargo bench --bench cell -- --warm-up-time 1 --measurement-time 3`.
//! Smoke run (each bench once, no timing): `cargo bench --bench cell -- --test`.

use std::hint::black_box;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use arc_swap::ArcSwap;
use arcow::{CowCell, CowVec, PagedCowVec};
use criterion::measurement::WallTime;
use criterion::{criterion_main, BenchmarkGroup, BenchmarkId, Criterion};

/// The 4 KiB payload.
type Page = [u64; 512];

/// A payload: built deterministically; one word read or incremented at an
/// index the caller hides behind `black_box`.
trait Payload: Clone + Send + Sync + 'static {
    /// The payload's name, used as the bench parameter.
    const NAME: &'static str;
    /// The index read or incremented.
    const AT: usize;
    fn make() -> Self;
    fn read(&self, at: usize) -> u64;
    fn bump(&mut self, at: usize);
}

impl Payload for u64 {
    const NAME: &'static str = "u64";
    const AT: usize = 0;
    fn make() -> Self {
        0x0123_4567_89ab_cdef
    }
    #[inline(always)]
    fn read(&self, _at: usize) -> u64 {
        *self
    }
    #[inline(always)]
    fn bump(&mut self, _at: usize) {
        *self = self.wrapping_add(1);
    }
}

impl Payload for Page {
    const NAME: &'static str = "4KiB";
    const AT: usize = 345;
    fn make() -> Self {
        let mut page = [0u64; 512];
        for (i, word) in page.iter_mut().enumerate() {
            *word = i as u64 * 3;
        }
        page
    }
    #[inline(always)]
    fn read(&self, at: usize) -> u64 {
        self[at]
    }
    #[inline(always)]
    fn bump(&mut self, at: usize) {
        self[at] = self[at].wrapping_add(1);
    }
}

/// What every bench needs from a shared cell, so all types run the same
/// (monomorphized, inlined) bench bodies.
trait Cell<T: Clone>: Send + Sync {
    /// The name used as the bench id.
    const NAME: &'static str;
    /// What a reader keeps: `Cow<T>`, `Arc<T>`, or a copy of `T`.
    type Snapshot;
    fn new(value: T) -> Self;
    /// Load the current value and run `f` on it, holding nothing after.
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R;
    fn snapshot(&self) -> Self::Snapshot;
    /// Run `f` on the value as a writer (in place, or on a copy published after).
    fn update(&self, f: impl FnOnce(&mut T));
}

impl<T: Clone + Send + Sync> Cell<T> for CowCell<T> {
    const NAME: &'static str = "arcow::CowCell";
    type Snapshot = arcow::Cow<T>;
    fn new(value: T) -> Self {
        CowCell::new(value)
    }
    #[inline(always)]
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.load())
    }
    #[inline(always)]
    fn snapshot(&self) -> Self::Snapshot {
        CowCell::snapshot(self)
    }
    #[inline(always)]
    fn update(&self, f: impl FnOnce(&mut T)) {
        CowCell::update(self, f);
    }
}

/// `CowCell` as it was before change notification: no version, and an
/// update that takes a counted handle to the current value.
struct CowCellBefore<T> {
    slot: arc_swap::ArcSwapAny<arcow::Cow<T>>,
    writer: Mutex<()>,
}

impl<T: Clone + Send + Sync> Cell<T> for CowCellBefore<T> {
    const NAME: &'static str = "CowCell (before)";
    type Snapshot = arcow::Cow<T>;
    fn new(value: T) -> Self {
        CowCellBefore {
            slot: arc_swap::ArcSwapAny::new(arcow::Cow::new(value)),
            writer: Mutex::new(()),
        }
    }
    #[inline(always)]
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.slot.load())
    }
    #[inline(always)]
    fn snapshot(&self) -> Self::Snapshot {
        self.slot.load_full()
    }
    #[inline(always)]
    fn update(&self, f: impl FnOnce(&mut T)) {
        let old = {
            let _serialized = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            let mut next = self.slot.load_full();
            f(arcow::Cow::make_mut(&mut next));
            self.slot.swap(next)
        };
        drop(old);
    }
}

/// Raw `arc_swap::ArcSwap<T>` as one would use it for read-mostly data:
/// readers `load`, writers serialized by a `Mutex` do clone-modify-store.
/// This is `CowCell`'s own algorithm written by hand on `Arc`.
struct SwapCell<T> {
    value: ArcSwap<T>,
    writer: Mutex<()>,
}

impl<T: Clone + Send + Sync> Cell<T> for SwapCell<T> {
    const NAME: &'static str = "arc_swap::ArcSwap";
    type Snapshot = Arc<T>;
    fn new(value: T) -> Self {
        SwapCell {
            value: ArcSwap::from_pointee(value),
            writer: Mutex::new(()),
        }
    }
    #[inline(always)]
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.value.load())
    }
    #[inline(always)]
    fn snapshot(&self) -> Self::Snapshot {
        self.value.load_full()
    }
    #[inline(always)]
    fn update(&self, f: impl FnOnce(&mut T)) {
        let _serialized = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = self.value.load_full();
        f(Arc::make_mut(&mut next));
        self.value.store(next);
    }
}

/// Raw `ArcSwap` with lock-free writers: `ArcSwap::rcu` (clone out, modify,
/// `Arc::new`, compare-and-swap, retry on conflict). Only in `update`.
struct RcuCell<T>(ArcSwap<T>);

impl<T: Clone + Send + Sync> Cell<T> for RcuCell<T> {
    const NAME: &'static str = "arc_swap::ArcSwap::rcu";
    type Snapshot = Arc<T>;
    fn new(value: T) -> Self {
        RcuCell(ArcSwap::from_pointee(value))
    }
    #[inline(always)]
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.0.load())
    }
    #[inline(always)]
    fn snapshot(&self) -> Self::Snapshot {
        self.0.load_full()
    }
    #[inline(always)]
    fn update(&self, f: impl FnOnce(&mut T)) {
        // `rcu` may call its closure again on a conflict, so it takes
        // `FnMut`; single-threaded it runs once.
        let mut f = Some(f);
        self.0.rcu(|current| {
            let mut next = T::clone(current);
            if let Some(f) = f.take() {
                f(&mut next);
            }
            next
        });
    }
}

impl<T: Clone + Send + Sync> Cell<T> for RwLock<T> {
    const NAME: &'static str = "std::RwLock";
    type Snapshot = T;
    fn new(value: T) -> Self {
        RwLock::new(value)
    }
    #[inline(always)]
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.read().unwrap_or_else(PoisonError::into_inner))
    }
    #[inline(always)]
    fn snapshot(&self) -> Self::Snapshot {
        T::clone(&self.read().unwrap_or_else(PoisonError::into_inner))
    }
    #[inline(always)]
    fn update(&self, f: impl FnOnce(&mut T)) {
        f(&mut self.write().unwrap_or_else(PoisonError::into_inner));
    }
}

impl<T: Clone + Send + Sync> Cell<T> for parking_lot::RwLock<T> {
    const NAME: &'static str = "parking_lot::RwLock";
    type Snapshot = T;
    fn new(value: T) -> Self {
        parking_lot::RwLock::new(value)
    }
    #[inline(always)]
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.read())
    }
    #[inline(always)]
    fn snapshot(&self) -> Self::Snapshot {
        T::clone(&self.read())
    }
    #[inline(always)]
    fn update(&self, f: impl FnOnce(&mut T)) {
        f(&mut self.write());
    }
}

impl<T: Clone + Send + Sync> Cell<T> for Mutex<T> {
    const NAME: &'static str = "std::Mutex";
    type Snapshot = T;
    fn new(value: T) -> Self {
        Mutex::new(value)
    }
    #[inline(always)]
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.lock().unwrap_or_else(PoisonError::into_inner))
    }
    #[inline(always)]
    fn snapshot(&self) -> Self::Snapshot {
        T::clone(&self.lock().unwrap_or_else(PoisonError::into_inner))
    }
    #[inline(always)]
    fn update(&self, f: impl FnOnce(&mut T)) {
        f(&mut self.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// `RwLock<Arc<T>>`: the lock-based way to hand out cheap snapshots. Only in
/// `snapshot`.
struct LockedArc<T>(RwLock<Arc<T>>);

impl<T: Clone + Send + Sync> Cell<T> for LockedArc<T> {
    const NAME: &'static str = "std::RwLock<Arc>";
    type Snapshot = Arc<T>;
    fn new(value: T) -> Self {
        LockedArc(RwLock::new(Arc::new(value)))
    }
    #[inline(always)]
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }
    #[inline(always)]
    fn snapshot(&self) -> Self::Snapshot {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }
    #[inline(always)]
    fn update(&self, f: impl FnOnce(&mut T)) {
        f(Arc::make_mut(
            &mut self.0.write().unwrap_or_else(PoisonError::into_inner),
        ));
    }
}

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Load the current value, read one word at an opaque index, let go: the
/// reader's whole fast path (for the locks: lock and unlock, uncontended).
fn load_read<T: Payload, C: Cell<T>>(g: &mut Group<'_>) {
    let cell = C::new(T::make());
    g.bench_with_input(BenchmarkId::new(C::NAME, T::NAME), &cell, |b, cell| {
        b.iter(|| black_box(cell).read(|v| v.read(black_box(T::AT))));
    });
}

/// Take an owned snapshot and drop it (see the module docs for what that is
/// for each type). The value is never written meanwhile, so for the COW
/// types this is a refcount increment and decrement.
fn snapshot<T: Payload, C: Cell<T>>(g: &mut Group<'_>) {
    let cell = C::new(T::make());
    g.bench_with_input(BenchmarkId::new(C::NAME, T::NAME), &cell, |b, cell| {
        b.iter(|| drop(black_box(black_box(cell).snapshot())));
    });
}

/// Increment one word as a writer, back to back, no reader and no snapshot
/// alive: COW types copy the value into a new allocation and free the old
/// one each time; locks modify in place.
///
/// On glibc + AMD Zen, a 4 KiB copy that lands 8 to 24 bytes past its
/// source modulo 4096 hits a slow `rep movsb` path (docs/benchmarks.md,
/// "make_mut on a shared 4 KiB value"). `Cow<[u64; 512]>` is a 4112-byte
/// malloc chunk, `Arc<[u64; 512]>` 4128: when the two allocations this loop
/// alternates between are neighbours, the `Cow` copies land 16 bytes past
/// their source in one direction.
fn update<T: Payload, C: Cell<T>>(g: &mut Group<'_>) {
    let cell = C::new(T::make());
    g.bench_with_input(BenchmarkId::new(C::NAME, T::NAME), &cell, |b, cell| {
        b.iter(|| black_box(cell).update(|v| v.bump(black_box(T::AT))));
    });
    black_box(cell.read(|v| v.read(T::AT)));
}

/// One criterion group per operation; in it, for each payload, the types in
/// a row, so the report lists them side by side.
macro_rules! side_by_side {
    ($op:ident: $($cell:ident),* $(,)?) => {
        fn $op(c: &mut Criterion) {
            let mut g = c.benchmark_group(stringify!($op));
            $(super::$op::<u64, $cell<u64>>(&mut g);)*
            $(super::$op::<Page, $cell<Page>>(&mut g);)*
            g.finish();
        }
    };
}

mod groups {
    use super::*;

    type ParkingLot<T> = parking_lot::RwLock<T>;

    side_by_side!(load_read: CowCell, SwapCell, RwLock, ParkingLot, Mutex);
    side_by_side!(snapshot: CowCell, SwapCell, RwLock, ParkingLot, Mutex, LockedArc);
    side_by_side!(update: CowCell, CowCellBefore, SwapCell, RcuCell, RwLock, ParkingLot, Mutex);

    pub(super) fn all(c: &mut Criterion) {
        load_read(c);
        snapshot(c);
        update(c);
    }
}

/// Elements per field of the nested configuration.
const FIELD_LEN: usize = 100_000;

/// A configuration of four large fields, each a `CowVec`: cloning it is four
/// refcount increments; writing one field copies that field only.
#[derive(Clone)]
struct NestedCow {
    fields: [CowVec<u64>; 4],
}

/// The same configuration with plain `Vec` fields: cloning it copies all four.
#[derive(Clone)]
struct NestedVec {
    fields: [Vec<u64>; 4],
}

/// The same with `PagedCowVec` fields: writing one element copies one page.
#[derive(Clone)]
struct NestedPaged {
    fields: [PagedCowVec<u64>; 4],
}

fn field(k: usize) -> Vec<u64> {
    (0..FIELD_LEN as u64).map(|i| i * 4 + k as u64).collect()
}

/// Field and element each update writes (behind `black_box`).
const NESTED_FIELD: usize = 2;
const NESTED_AT: usize = 54_321;

/// Update one element of one field of a four-field configuration. No reader
/// or snapshot is alive, so each COW update also frees what it replaced.
fn nested(c: &mut Criterion) {
    let mut g = c.benchmark_group("nested");

    let cow = CowCell::new(NestedCow {
        fields: std::array::from_fn(|k| CowVec::from(field(k))),
    });
    g.bench_function("arcow::CowCell<4 x CowVec>", |b| {
        b.iter(|| {
            black_box(&cow).update(|c| {
                let e = &mut c.fields[black_box(NESTED_FIELD)].make_mut()[black_box(NESTED_AT)];
                *e = e.wrapping_add(1);
            });
        });
    });

    let plain = CowCell::new(NestedVec {
        fields: std::array::from_fn(field),
    });
    g.bench_function("arcow::CowCell<4 x Vec>", |b| {
        b.iter(|| {
            black_box(&plain).update(|c| {
                let e = &mut c.fields[black_box(NESTED_FIELD)][black_box(NESTED_AT)];
                *e = e.wrapping_add(1);
            });
        });
    });

    let paged = CowCell::new(NestedPaged {
        fields: std::array::from_fn(|k| PagedCowVec::from(field(k))),
    });
    g.bench_function("arcow::CowCell<4 x PagedCowVec>", |b| {
        b.iter(|| {
            black_box(&paged).update(|c| {
                let e = c.fields[black_box(NESTED_FIELD)]
                    .get_mut(black_box(NESTED_AT))
                    .expect("in bounds");
                *e = e.wrapping_add(1);
            });
        });
    });

    let locked = RwLock::new(NestedVec {
        fields: std::array::from_fn(field),
    });
    g.bench_function("std::RwLock<4 x Vec>", |b| {
        b.iter(|| {
            let mut c = black_box(&locked)
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let e = &mut c.fields[black_box(NESTED_FIELD)][black_box(NESTED_AT)];
            *e = e.wrapping_add(1);
        });
    });
    g.finish();

    // All four saw the same number of increments only if criterion ran them
    // the same number of times; check what does not depend on that.
    let base = field(NESTED_FIELD)[NESTED_AT];
    assert!(cow.load().fields[NESTED_FIELD][NESTED_AT] > base);
    assert!(plain.load().fields[NESTED_FIELD][NESTED_AT] > base);
    assert!(paged.load().fields[NESTED_FIELD][NESTED_AT] > base);
    assert_eq!(cow.load().fields[1], field(1));
}

/// What `criterion_group!` would generate, written out so it can be
/// private (and so documented without lint exceptions).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    groups::all(&mut c);
    nested(&mut c);
}

criterion_main!(benches);
