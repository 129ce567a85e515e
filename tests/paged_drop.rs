//! Drop accounting and panic safety of `PagedCowVec<T>`.
//!
//! Every [`Dummy`] gets a fresh id when it is made or cloned, and its drop is
//! recorded against that id, so a test can check at the end that every
//! instance ever made was dropped exactly once (no leak, no double drop).
//! A clone can be told to panic at the n-th `clone` call from now.
//!
//! The random test runs operations on a vector and its snapshots with such
//! panics injected at random points, inside `catch_unwind`. A panicking
//! `T::clone` during a page copy must leave the vector, and every snapshot,
//! equal to the model: the copy is built completely before it replaces
//! anything, and a failed one drops what it cloned.
//!
//! The tracker is thread-local: libtest runs each test on its own thread and
//! nothing here crosses threads.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use arcow::{CowVec, PagedCowVec};
use quickcheck::{Arbitrary, Gen, QuickCheck};

// ---------------------------------------------------------------------------
// The tracked element
// ---------------------------------------------------------------------------

thread_local! {
    /// `DROPS[id]` is how many times the dummy with that id was dropped.
    static DROPS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    /// Drops of an id that was already dropped.
    static DOUBLE_DROPS: Cell<usize> = const { Cell::new(0) };
    /// Calls of `Dummy::clone`, including one that panics.
    static CLONES: Cell<usize> = const { Cell::new(0) };
    /// `Some(n)`: the clone call after `n` more succeed panics (once).
    static PANIC_IN: Cell<Option<usize>> = const { Cell::new(None) };
    /// `Some(id)`: the drop of the dummy `id` panics (after it is recorded).
    static DROP_PANIC_ID: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The message of an injected panic (in `clone` or `drop`); the panic hook
/// keeps these quiet.
const INJECTED: &str = "injected panic";

/// A tracked element of `16 + PAD` bytes: `PAD = 0` puts 256 in a page,
/// `PAD = 4096` one.
struct Dummy<const PAD: usize> {
    id: usize,
    key: u64,
    _pad: [u8; PAD],
}

type Small = Dummy<0>;
type Large = Dummy<4096>;

impl<const PAD: usize> Dummy<PAD> {
    fn new(key: u64) -> Dummy<PAD> {
        let id = DROPS.with(|d| {
            let mut d = d.borrow_mut();
            d.push(0);
            d.len() - 1
        });
        Dummy {
            id,
            key,
            _pad: [0; PAD],
        }
    }
}

impl<const PAD: usize> Clone for Dummy<PAD> {
    fn clone(&self) -> Dummy<PAD> {
        CLONES.with(|c| c.set(c.get() + 1));
        match PANIC_IN.with(Cell::get) {
            Some(0) => {
                PANIC_IN.with(|p| p.set(None));
                panic!("{}", INJECTED);
            }
            Some(n) => PANIC_IN.with(|p| p.set(Some(n - 1))),
            None => {}
        }
        Dummy::new(self.key)
    }
}

impl<const PAD: usize> Drop for Dummy<PAD> {
    fn drop(&mut self) {
        DROPS.with(|d| {
            let mut d = d.borrow_mut();
            d[self.id] += 1;
            if d[self.id] > 1 {
                DOUBLE_DROPS.with(|c| c.set(c.get() + 1));
            }
        });
        if DROP_PANIC_ID.with(Cell::get) == Some(self.id) && !std::thread::panicking() {
            panic!("{}", INJECTED);
        }
    }
}

impl<const PAD: usize> std::fmt::Debug for Dummy<PAD> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}={}", self.id, self.key)
    }
}

/// Starts counting afresh on this thread.
fn reset() {
    install_quiet_hook();
    DROPS.with(|d| d.borrow_mut().clear());
    DOUBLE_DROPS.with(|c| c.set(0));
    CLONES.with(|c| c.set(0));
    PANIC_IN.with(|p| p.set(None));
    DROP_PANIC_ID.with(|p| p.set(None));
}

/// `native` normally, `miri` under Miri.
const fn scale(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

fn clones() -> usize {
    CLONES.with(Cell::get)
}

fn made() -> usize {
    DROPS.with(|d| d.borrow().len())
}

fn live() -> usize {
    DROPS.with(|d| d.borrow().iter().filter(|&&n| n == 0).count())
}

fn assert_no_double_drop() {
    assert_eq!(
        DOUBLE_DROPS.with(Cell::get),
        0,
        "an element was dropped twice"
    );
}

/// Every dummy ever made on this thread was dropped exactly once.
fn assert_all_dropped_once() {
    DROPS.with(|d| {
        let d = d.borrow();
        let bad: Vec<(usize, u32)> = d
            .iter()
            .enumerate()
            .filter(|&(_, &n)| n != 1)
            .map(|(id, &n)| (id, n))
            .take(10)
            .collect();
        assert!(
            bad.is_empty(),
            "of {} elements, these were not dropped exactly once (id, drops): {bad:?}",
            d.len()
        );
    });
}

/// Makes the `clone` call after `n` more panic.
fn arm(n: usize) {
    PANIC_IN.with(|p| p.set(Some(n)));
}

fn disarm() {
    PANIC_IN.with(|p| p.set(None));
    DROP_PANIC_ID.with(|p| p.set(None));
}

/// Makes the drop of the dummy `id` panic (after it is recorded).
fn panic_on_drop_of(id: usize) {
    DROP_PANIC_ID.with(|p| p.set(Some(id)));
}

/// Keeps the injected panics out of the test output; any other panic is
/// reported by the default hook as usual.
fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied());
            if msg != Some(INJECTED) {
                default(info);
            }
        }));
    });
}

/// Runs `f`; `Err(())` if it panicked with an injected panic (any other
/// panic goes on unwinding).
fn catch<R>(f: impl FnOnce() -> R) -> Result<R, ()> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Ok(r),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied());
            if msg == Some(INJECTED) {
                Err(())
            } else {
                panic::resume_unwind(payload)
            }
        }
    }
}

fn keys<const PAD: usize>(v: &PagedCowVec<Dummy<PAD>>) -> Vec<u64> {
    v.iter().map(|d| d.key).collect()
}

/// `v` holds exactly `model`, in every way of reading it.
fn check<const PAD: usize>(v: &PagedCowVec<Dummy<PAD>>, model: &[u64], what: &str) {
    assert_eq!(v.len(), model.len(), "{what}: len");
    assert_eq!(keys(v), model, "{what}: contents");
    let pe = PagedCowVec::<Dummy<PAD>>::page_elems();
    let pages: Vec<usize> = v.pages().map(<[_]>::len).collect();
    assert_eq!(pages.len(), model.len().div_ceil(pe), "{what}: pages");
    assert!(
        pages.iter().rev().skip(1).all(|&n| n == pe),
        "{what}: a page but the last is not full: {pages:?}"
    );
    for i in [0, model.len() / 2, model.len().wrapping_sub(1)] {
        assert_eq!(
            v.get(i).map(|d| d.key),
            model.get(i).copied(),
            "{what}: get({i})"
        );
    }
}

fn build<const PAD: usize>(n: usize) -> (PagedCowVec<Dummy<PAD>>, Vec<u64>) {
    let v: PagedCowVec<Dummy<PAD>> = (0..n as u64).map(Dummy::new).collect();
    (v, (0..n as u64).collect())
}

// ---------------------------------------------------------------------------
// The random test
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Push(u64),
    Pop,
    Set {
        pos: usize,
        key: u64,
    },
    GetMut {
        pos: usize,
        key: u64,
    },
    Truncate {
        pos: usize,
    },
    Clear,
    Extend {
        n: usize,
        key: u64,
    },
    Snapshot,
    DropSnapshot(usize),
    /// The vector becomes a clone of a snapshot (so writes hit shared pages).
    Restore(usize),
    ToVec,
    /// `PagedCowVec::from(CowVec)` of a shared `CowVec` (clones), then of a
    /// unique one (moves).
    FromCowVec,
    /// `iter().cloned().collect()`.
    Collect,
}

/// One step: the operation, and maybe a panic at the n-th clone in it.
#[derive(Clone, Debug)]
struct Step {
    op: Op,
    panic_at: Option<usize>,
}

impl Arbitrary for Step {
    fn arbitrary(g: &mut Gen) -> Step {
        let pos = usize::arbitrary(g);
        let key = u64::from(u16::arbitrary(g));
        let kinds: [u8; 18] = [0, 0, 1, 2, 2, 3, 3, 4, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12];
        let op = match *g.choose(&kinds).unwrap() {
            0 => Op::Push(key),
            1 => Op::Pop,
            2 => Op::Set { pos, key },
            3 => Op::GetMut { pos, key },
            4 => Op::Truncate { pos },
            5 => Op::Clear,
            6 => Op::Extend {
                // Up to a bit over two pages of `Small`, 600 pages of `Large`.
                n: usize::arbitrary(g) % 600,
                key,
            },
            7 => Op::Snapshot,
            8 => Op::DropSnapshot(pos),
            9 => Op::Restore(pos),
            10 => Op::ToVec,
            11 => Op::FromCowVec,
            _ => Op::Collect,
        };
        // A panic in about half the steps, at the first clone or later.
        let panic_at = if bool::arbitrary(g) {
            let choices = [0, 0, 1, 2, 5, 20, 100, 255];
            Some(*g.choose(&choices).unwrap())
        } else {
            None
        };
        Step { op, panic_at }
    }
}

/// The most snapshots kept.
const MAX_SNAPSHOTS: usize = 3;

struct Harness<const PAD: usize> {
    v: PagedCowVec<Dummy<PAD>>,
    model: Vec<u64>,
    snapshots: Vec<(PagedCowVec<Dummy<PAD>>, Vec<u64>)>,
    max_len: usize,
    /// Steps whose injected panic fired.
    panics: usize,
}

/// What an operation does to the model, once it has succeeded on the vector.
enum Effect {
    None,
    Push(u64),
    Pop(Option<u64>),
    Set(usize, u64, u64),
    Truncate(usize),
    Clear,
    Extend(usize, u64),
    Snapshot,
    DropSnapshot(usize),
    Restore(usize),
}

impl<const PAD: usize> Harness<PAD> {
    const PE: usize = PagedCowVec::<Dummy<PAD>>::page_elems();

    /// Runs the operation on the real vector only; the model changes after,
    /// if it did not panic.
    fn apply(&mut self, op: &Op) -> Effect {
        let len = self.model.len();
        match *op {
            Op::Push(key) if len < self.max_len => {
                self.v.push(Dummy::new(key));
                Effect::Push(key)
            }
            Op::Push(_) => Effect::None,
            Op::Pop => Effect::Pop(self.v.pop().map(|d| d.key)),
            Op::Set { pos, key } if len > 0 => {
                let i = pos % len;
                let old = self.v.set(i, Dummy::new(key));
                Effect::Set(i, old.key, key)
            }
            Op::GetMut { pos, key } if len > 0 => {
                let i = pos % len;
                let slot = self.v.get_mut(i).expect("in bounds");
                let old = slot.key;
                *slot = Dummy::new(key);
                Effect::Set(i, old, key)
            }
            Op::Set { .. } | Op::GetMut { .. } => Effect::None,
            Op::Truncate { pos } => {
                let to = pos % (len + 2);
                self.v.truncate(to);
                Effect::Truncate(to)
            }
            Op::Clear => {
                self.v.clear();
                Effect::Clear
            }
            Op::Extend { n, key } => {
                let n = n.min(self.max_len - len);
                self.v
                    .extend((0..n as u64).map(|i| Dummy::new(key.wrapping_add(i))));
                Effect::Extend(n, key)
            }
            Op::Snapshot => Effect::Snapshot,
            Op::DropSnapshot(i) if !self.snapshots.is_empty() => {
                Effect::DropSnapshot(i % self.snapshots.len())
            }
            Op::Restore(i) if !self.snapshots.is_empty() => {
                Effect::Restore(i % self.snapshots.len())
            }
            Op::DropSnapshot(_) | Op::Restore(_) => Effect::None,
            Op::ToVec => {
                let out = self.v.to_vec();
                assert_eq!(out.iter().map(|d| d.key).collect::<Vec<_>>(), self.model);
                Effect::None
            }
            Op::FromCowVec => {
                let cow: CowVec<Dummy<PAD>> = self.v.to_vec().into();
                let keep = cow.clone();
                let shared = PagedCowVec::from(cow); // clones
                assert_eq!(keys(&shared), self.model);
                drop(shared);
                let before = clones();
                let unique = PagedCowVec::from(keep); // moves
                assert_eq!(clones(), before, "From<CowVec> of a unique CowVec cloned");
                assert_eq!(keys(&unique), self.model);
                Effect::None
            }
            Op::Collect => {
                let c: PagedCowVec<Dummy<PAD>> = self.v.iter().cloned().collect();
                assert!(c.iter().map(|d| d.key).eq(self.model.iter().copied()));
                Effect::None
            }
        }
    }

    fn commit(&mut self, effect: Effect) {
        match effect {
            Effect::None => {}
            Effect::Push(k) => self.model.push(k),
            Effect::Pop(k) => assert_eq!(k, self.model.pop(), "pop"),
            Effect::Set(i, old, new) => {
                assert_eq!(old, self.model[i], "the old value at {i}");
                self.model[i] = new;
            }
            Effect::Truncate(to) => self.model.truncate(to),
            Effect::Clear => self.model.clear(),
            Effect::Extend(n, key) => self
                .model
                .extend((0..n as u64).map(|i| key.wrapping_add(i))),
            Effect::Snapshot => {
                if self.snapshots.len() == MAX_SNAPSHOTS {
                    self.snapshots.remove(0);
                }
                self.snapshots.push((self.v.clone(), self.model.clone()));
            }
            Effect::DropSnapshot(i) => {
                self.snapshots.remove(i);
            }
            Effect::Restore(i) => {
                self.v = self.snapshots[i].0.clone();
                self.model = self.snapshots[i].1.clone();
            }
        }
    }

    fn step(&mut self, step: &Step) {
        let before_len = self.v.len();
        let clones_before = clones();
        if let Some(n) = step.panic_at {
            arm(n);
        }
        let r = catch(|| self.apply(&step.op));
        disarm();
        let cloned = clones() - clones_before;
        match r {
            Ok(effect) => {
                // A write copies at most one page.
                if matches!(
                    step.op,
                    Op::Push(_)
                        | Op::Pop
                        | Op::Set { .. }
                        | Op::GetMut { .. }
                        | Op::Truncate { .. }
                ) {
                    assert!(
                        cloned <= Self::PE,
                        "{:?} cloned {cloned} elements; a page has {}",
                        step.op,
                        Self::PE
                    );
                }
                self.commit(effect);
            }
            Err(()) => {
                // Nothing changed: the model stays as it was (checked
                // below).
                self.panics += 1;
                assert_eq!(self.v.len(), before_len, "{:?} panicked", step.op);
            }
        }
        assert_no_double_drop();
        let what = format!("after {step:?}");
        check(&self.v, &self.model, &format!("{what}: vector"));
        for (k, (s, m)) in self.snapshots.iter().enumerate() {
            check(s, m, &format!("{what}: snapshot {k}"));
        }
    }

    fn run(max_len: usize, steps: &[Step]) -> usize {
        reset();
        let mut h = Harness::<PAD> {
            v: PagedCowVec::new(),
            model: Vec::new(),
            snapshots: Vec::new(),
            max_len,
            panics: 0,
        };
        for s in steps {
            h.step(s);
        }
        let panics = h.panics;
        drop(h);
        assert_no_double_drop();
        assert_eq!(live(), 0, "elements left alive");
        assert_all_dropped_once();
        panics
    }
}

const CASES: u64 = if cfg!(miri) { 5 } else { 200 };
const SIZE: usize = if cfg!(miri) { 10 } else { 50 };

#[test]
fn small_elements_with_panicking_clones() {
    fn prop(steps: Vec<Step>) -> bool {
        let max = if cfg!(miri) { 300 } else { 3 * 256 + 10 };
        Harness::<0>::run(max, &steps);
        true
    }
    QuickCheck::new()
        .tests(CASES)
        .rng(Gen::new(SIZE))
        .quickcheck(prop as fn(Vec<Step>) -> bool);
}

#[test]
fn one_element_pages_with_panicking_clones() {
    fn prop(steps: Vec<Step>) -> bool {
        // Past 64 pages: two inner levels.
        let max = if cfg!(miri) { 70 } else { 3 * 64 + 10 };
        Harness::<4096>::run(max, &steps);
        true
    }
    QuickCheck::new()
        .tests(CASES)
        .rng(Gen::new(SIZE))
        .quickcheck(prop as fn(Vec<Step>) -> bool);
}

/// The random tests do inject panics (not every armed one fires: an
/// operation may clone nothing).
#[test]
fn a_fixed_sequence_fires_its_panics() {
    let op = |op: Op, panic_at: Option<usize>| Step { op, panic_at };
    let steps = [
        op(Op::Extend { n: 300, key: 0 }, None),
        op(Op::Snapshot, None),
        op(Op::Set { pos: 5, key: 1 }, Some(3)),
        op(Op::Set { pos: 290, key: 2 }, Some(0)),
        op(Op::Push(3), Some(1)),
        op(Op::Pop, Some(1)),
        op(Op::ToVec, Some(100)),
        op(Op::FromCowVec, Some(7)),
        op(Op::Collect, Some(250)),
        op(Op::GetMut { pos: 7, key: 4 }, None),
        op(Op::Restore(0), None),
        op(Op::GetMut { pos: 7, key: 4 }, Some(2)),
        op(Op::Truncate { pos: 256 }, Some(0)), // no clone: the tail goes
        op(Op::Truncate { pos: 100 }, Some(0)), // copies the cut page
    ];
    let panics = Harness::<0>::run(400, &steps);
    assert_eq!(panics, 9);
}

// ---------------------------------------------------------------------------
// Deterministic cases
// ---------------------------------------------------------------------------

/// A panic at every clone of a page copy (first, middle, last) leaves the
/// vector and its snapshot as they were and leaks nothing; the write then
/// succeeds.
#[test]
fn a_panicking_page_copy_leaves_everything_intact() {
    reset();
    {
        // Two inner levels: 70 one-element pages.
        let (mut v, mut model) = build::<4096>(70);
        let s = v.clone();
        for i in [0, 40, 64, 68, 69] {
            arm(0);
            assert!(catch(|| v.set(i, Large::new(1000))).is_err());
            check(&v, &model, "after a panicking set");
            check(&s, &(0..70).collect::<Vec<_>>(), "the snapshot");
            // (The inner nodes on the path may have been copied already:
            // that changes no contents.)
        }
        v.set(3, Large::new(1003));
        model[3] = 1003;
        check(&v, &model, "after the set");
        check(&s, &(0..70).collect::<Vec<_>>(), "the snapshot");
    }
    {
        // Small: 256 a page; the tail holds 7.
        let tree = scale(3, 2) * 256;
        let (mut v, mut model) = build::<0>(tree + 7);
        let snap = v.clone();
        let orig = model.clone();
        // Under Miri: a panic at the last clone of the page only.
        let ats: &[usize] = if cfg!(miri) {
            &[255]
        } else {
            &[0, 1, 100, 255]
        };
        for &at in ats {
            for i in [0, 300, tree - 1, tree + 3] {
                let live_before = live();
                arm(at);
                let r = catch(|| *v.get_mut(i).unwrap() = Small::new(7));
                disarm();
                if i < tree || at < 7 {
                    assert!(r.is_err(), "get_mut({i}) should have cloned {at} elements");
                    // The new value was never made; the clones made were
                    // dropped.
                    assert_eq!(live(), live_before);
                } else {
                    // The tail has only 7 elements to clone.
                    assert!(r.is_ok());
                    model[i] = 7;
                }
                check(&v, &model, "vector");
                check(&snap, &orig, "snapshot");
            }
        }
        // pop and push on a shared tail copy it; a panic leaves it intact.
        let w = v.clone();
        arm(2);
        assert!(catch(|| v.pop()).is_err());
        arm(2);
        assert!(catch(|| v.push(Small::new(9))).is_err());
        check(&v, &model, "after panicking pop and push");
        drop(w);
        drop(snap);
        drop(v);
    }
    assert_no_double_drop();
    assert_eq!(live(), 0);
    assert_all_dropped_once();
}

/// A panicking clone inside `truncate` of a shared vector must leave it
/// unchanged, as every other copy path does.
///
/// (A regression test: `truncate` once let the tail and whole pages go
/// before it copied the page holding the new end, so a panic in that copy
/// left the vector cut to the page boundary above the requested length.)
#[test]
fn truncate_panic_leaves_the_vector_unchanged() {
    reset();
    {
        // Small: 256 a page. 1000 = three tree pages and a tail of 232
        // (under Miri 600: two and 88).
        let n = scale(1000, 600);
        let (mut v, model) = build::<0>(n);
        let snap = v.clone();
        arm(3);
        assert!(catch(|| v.truncate(100)).is_err(), "the cut page is copied");
        assert_eq!(
            v.len(),
            n,
            "a panicking truncate changed the length (contents now: {} elements)",
            v.len()
        );
        check(&v, &model, "after a panicking truncate");
        check(&snap, &model, "snapshot");
        // Every kind of cut: inside a tree page, at a page boundary (no
        // copy needed: the page is kept whole), inside the tail.
        let cuts: &[usize] = if cfg!(miri) {
            &[1, 256, 599]
        } else {
            &[1, 100, 255, 256, 257, 512, 600, 768, 770, 999]
        };
        for &to in cuts {
            arm(0);
            let r = catch(|| v.truncate(to));
            disarm();
            if to % 256 == 0 {
                assert!(r.is_ok(), "truncate({to}) keeps whole pages: no clone");
                check(&v, &model[..to], "after truncate to a page boundary");
                v = snap.clone();
            } else {
                assert!(r.is_err(), "truncate({to}) copies the cut page");
                check(&v, &model, &format!("after a panicking truncate({to})"));
            }
            check(&snap, &model, "snapshot");
        }
    }
    assert_all_dropped_once();
}

/// `truncate` of a unique vector clones nothing: the kept part of the page
/// it cuts is unique too, so it is cut in place.
#[test]
fn truncate_of_a_unique_vector_clones_nothing() {
    reset();
    // Small: 256 a page; 1000 = three tree pages and a tail of 232 (under
    // Miri 600: two and 88).
    let n = scale(1000, 600);
    let cuts: &[usize] = if cfg!(miri) {
        &[0, 100, 256, 599]
    } else {
        &[0, 1, 100, 255, 256, 257, 600, 768, 770, 999, 1000]
    };
    for &to in cuts {
        let (mut v, model) = build::<0>(n);
        let before = clones();
        v.truncate(to);
        assert_eq!(
            clones() - before,
            0,
            "truncate({to}) of a unique vector cloned elements"
        );
        check(&v, &model[..to], &format!("after truncate({to})"));
    }
    assert_all_dropped_once();
}

/// Dropping handles: only the last one drops the elements, each exactly
/// once, for a tree of three inner levels too.
#[test]
fn the_last_handle_drops_every_element_once() {
    reset();
    let n = if cfg!(miri) { 70 } else { 64 * 64 + 10 };
    let (mut v, _) = build::<4096>(n);
    let a = v.clone();
    let b = a.clone();
    v.set(n / 2, Large::new(1));
    let made_now = made();
    drop(a);
    assert_eq!(
        live(),
        made_now - 1,
        "dropping a clone dropped only the replaced value"
    );
    drop(v);
    // The copied page: its one element, and the new value, are gone.
    assert_eq!(live(), n);
    let c = b.clone();
    drop(b);
    assert_eq!(live(), n);
    drop(c);
    assert_eq!(live(), 0);
    assert_no_double_drop();
    assert_all_dropped_once();

    // A vector of small elements: pop, truncate, clear on shared and unique.
    let n = scale(2000, 600);
    let (mut v, _) = build::<0>(n);
    let s = v.clone();
    v.pop();
    v.truncate(n / 2 + 7);
    let t = v.clone();
    v.truncate(10);
    v.clear();
    drop(t);
    drop(v);
    assert_eq!(live(), n);
    drop(s);
    assert_eq!(live(), 0);
    assert_all_dropped_once();
}

/// A panicking `Drop` of one element, in the last handle's drop: every
/// other element is still dropped, once, wherever the element sits (first
/// page, middle of the tree, last tree page, tail), for small elements and
/// for one-element pages under two inner levels. A handle that shares the
/// panicking element's page drops nothing of it.
#[test]
fn a_panicking_drop_in_the_last_handle_still_drops_every_other_element() {
    fn run<const PAD: usize>(n: usize) {
        let pe = PagedCowVec::<Dummy<PAD>>::page_elems();
        let tree = (n - 1) / pe * pe; // elements in the tree; the rest in the tail
        for bad in [0, n / 2, tree - 1, tree, n - 1] {
            reset();
            let (mut v, _) = build::<PAD>(n);
            let snapshot = v.clone();
            // `v` copies the first page (and its path); the rest stays shared.
            v.set(0, Dummy::new(7));
            let id = snapshot[bad].id;
            panic_on_drop_of(id);
            // `v` owns its copy of the first page (and the path to it) only:
            // the panicking element is the snapshot's.
            let r = catch(|| drop(v));
            assert!(r.is_ok(), "element {bad}: a shared page was dropped");
            assert_eq!(live(), n, "element {bad}: `v` dropped shared elements");
            let r = catch(|| drop(snapshot));
            disarm();
            assert!(r.is_err(), "element {bad}: no panic");
            assert_eq!(live(), 0, "element {bad}: the rest leaked");
            assert_no_double_drop();
            assert_all_dropped_once();
        }
    }
    // Small: 256 a page; Large: one a page, 70 = two inner levels.
    run::<0>(scale(3 * 256 + 10, 256 + 10));
    run::<4096>(scale(70, 70));
}

/// Truncates a unique vector of `n` small elements (256 a page) to `to`
/// with the drop of element `bad` panicking, then clears it with the drop of
/// another one panicking. Checks what the documentation promises: every
/// removed element is dropped once, and the vector is left truncated, with
/// the rest intact.
fn truncate_with_a_panicking_drop(n: usize, to: usize, bad: usize) {
    reset();
    let (mut v, model) = build::<0>(n);
    panic_on_drop_of(v[bad].id);
    let r = catch(|| v.truncate(to));
    disarm();
    assert!(r.is_err(), "truncate({to}), element {bad}: no panic");
    assert_eq!(
        (v.len(), live()),
        (to, to),
        "truncate({to}), element {bad}: (len, live)"
    );
    check(&v, &model[..to], &format!("truncate({to}), element {bad}"));
    panic_on_drop_of(v[to / 2].id);
    let r = catch(|| v.clear());
    disarm();
    assert!(r.is_err(), "clear: no panic");
    assert!(v.is_empty());
    assert_eq!(live(), 0, "clear: the rest leaked");
    drop(v);
    assert_no_double_drop();
    assert_all_dropped_once();
}

/// A panicking `Drop` during `truncate` and `clear` of a unique vector: for
/// a cut inside a tree page, at a page boundary and inside the tail, with
/// the panicking element in the page that is cut, in a later page or in the
/// tail, the vector is left truncated and every removed element dropped
/// once.
///
/// (A regression test: `truncate` once dropped the whole pages it removed
/// before it cut the kept page, and cut the tail before lowering `len`, so a
/// panicking `Drop` left `len()` at the page's end, or unchanged.)
#[test]
fn a_panicking_drop_in_truncate_and_clear() {
    // 1000 = three tree pages and a tail of 232 (under Miri 600: two and 88).
    let n = scale(1000, 600);
    let cuts: &[usize] = if cfg!(miri) {
        &[100, 256]
    } else {
        &[1, 100, 256, 257]
    };
    for &to in cuts {
        truncate_with_a_panicking_drop(n, to, to); // in the cut page
        truncate_with_a_panicking_drop(n, to, (to / 256 + 1) * 256 + 3); // a later page
        truncate_with_a_panicking_drop(n, to, n - 1); // the tail
    }
    truncate_with_a_panicking_drop(n, n - 2, n - 2); // inside the tail
}

/// `From<Vec>` and `From<CowVec>` of a unique `CowVec` move the elements:
/// no clone, and each is dropped once, by the new vector.
#[test]
fn conversions_move_unique_elements() {
    reset();
    let n = scale(600, 300) as u64;
    let vec: Vec<Small> = (0..n).map(Small::new).collect();
    let v = PagedCowVec::from(vec);
    assert_eq!(clones(), 0);
    let cow: CowVec<Small> = (0..n).map(Small::new).collect();
    let w = PagedCowVec::from(cow);
    assert_eq!(clones(), 0);
    assert_eq!(keys(&v), keys(&w));
    drop((v, w));
    assert_eq!(live(), 0);

    // A shared CowVec is cloned element by element; a panic partway frees
    // what was built.
    let cow: CowVec<Small> = (0..n).map(Small::new).collect();
    let keep = cow.clone();
    arm(n as usize / 2);
    assert!(catch(|| PagedCowVec::from(cow)).is_err());
    assert_eq!(
        live(),
        n as usize,
        "a failed conversion leaked or dropped too much"
    );
    assert_eq!(keep.len(), n as usize);
    drop(keep);
    assert_eq!(live(), 0);
    assert_all_dropped_once();
}
