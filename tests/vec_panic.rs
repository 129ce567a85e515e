//! Panic safety and drop accounting of `CowVec<T>`, with a crash-test dummy.
//!
//! [`Dummy`] has an id, counts its clones and drops in thread-local counters
//! (libtest runs each test on its own thread, so parallel tests never see
//! each other's counts), and can be told to panic in `clone` at the n-th
//! clone call and in `drop` for one id. The set of live ids shows leaks and
//! double drops at once.
//!
//! A quickcheck property runs random operation sequences with a panicking
//! `clone` injected at random points, each operation under `catch_unwind`.
//! After a panic the vector must be valid and in the state `src/vec.rs`
//! documents (unchanged where the copy is made before the change; a prefix
//! of the appended items for `resize` and `extend`; the documented partial
//! filter for `retain`), every snapshot keeps its contents, and the live
//! elements are exactly those held by the vectors. Targeted tests follow.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::fmt;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use arcow::{cow_vec, CowVec};
use quickcheck::{Arbitrary, Gen, QuickCheck};

// ---------------------------------------------------------------------------
// The crash-test dummy
// ---------------------------------------------------------------------------

/// The payload of every panic this file causes on purpose.
#[derive(Debug)]
struct Injected;

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
    /// Ids made (by `Dummy::new` or `clone`) and not yet dropped.
    static LIVE: RefCell<BTreeSet<u64>> = const { RefCell::new(BTreeSet::new()) };
    /// Drops of an id that was not live.
    static DOUBLE_DROPS: Cell<usize> = const { Cell::new(0) };
    static DROPS: Cell<usize> = const { Cell::new(0) };
    /// Calls of `Dummy::clone`, including a panicking one.
    static CLONE_CALLS: Cell<usize> = const { Cell::new(0) };
    /// 0: disarmed. Otherwise each `clone` call counts it down and the call
    /// that brings it to 0 panics.
    static CLONE_COUNTDOWN: Cell<usize> = const { Cell::new(0) };
    /// The id whose `drop` panics (after it is recorded as dropped).
    static DROP_PANIC_ID: Cell<u64> = const { Cell::new(u64::MAX) };
    /// Injected panics caught by the property, over all its runs (not reset).
    static PROPERTY_PANICS: Cell<usize> = const { Cell::new(0) };
}

struct Dummy {
    id: u64,
    val: u32,
}

impl Dummy {
    fn new(val: u32) -> Dummy {
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        });
        LIVE.with(|l| l.borrow_mut().insert(id));
        Dummy { id, val }
    }
}

impl Clone for Dummy {
    fn clone(&self) -> Dummy {
        CLONE_CALLS.with(|c| c.set(c.get() + 1));
        let fire = CLONE_COUNTDOWN.with(|c| match c.get() {
            0 => false,
            n => {
                c.set(n - 1);
                n == 1
            }
        });
        if fire {
            panic::panic_any(Injected);
        }
        Dummy::new(self.val)
    }
}

impl Drop for Dummy {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
        if !LIVE.with(|l| l.borrow_mut().remove(&self.id)) {
            DOUBLE_DROPS.with(|d| d.set(d.get() + 1));
        }
        if DROP_PANIC_ID.with(Cell::get) == self.id && !std::thread::panicking() {
            panic::panic_any(Injected);
        }
    }
}

/// By value, for `dedup`.
impl PartialEq for Dummy {
    fn eq(&self, other: &Dummy) -> bool {
        self.val == other.val
    }
}

impl fmt::Debug for Dummy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.val, self.id)
    }
}

/// Starts a test (or a property run) from a clean slate and keeps the
/// output free of the expected panics' messages.
fn reset() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<Injected>() {
                default(info);
            }
        }));
    });
    LIVE.with(|l| l.borrow_mut().clear());
    DOUBLE_DROPS.with(|d| d.set(0));
    DROPS.with(|d| d.set(0));
    CLONE_CALLS.with(|c| c.set(0));
    CLONE_COUNTDOWN.with(|c| c.set(0));
    DROP_PANIC_ID.with(|d| d.set(u64::MAX));
}

fn arm_clone_panic(nth: usize) {
    assert!(nth > 0);
    CLONE_COUNTDOWN.with(|c| c.set(nth));
}

fn disarm() {
    CLONE_COUNTDOWN.with(|c| c.set(0));
    DROP_PANIC_ID.with(|d| d.set(u64::MAX));
}

fn panic_in_drop_of(id: u64) {
    DROP_PANIC_ID.with(|d| d.set(id));
}

fn live() -> usize {
    LIVE.with(|l| l.borrow().len())
}

fn clone_calls() -> usize {
    CLONE_CALLS.with(Cell::get)
}

fn drops() -> usize {
    DROPS.with(Cell::get)
}

/// Nothing alive, nothing dropped twice.
fn assert_all_dropped_once() {
    assert_eq!(DOUBLE_DROPS.with(Cell::get), 0, "double drop");
    LIVE.with(|l| assert!(l.borrow().is_empty(), "leaked ids: {:?}", l.borrow()));
}

fn dummies(vals: impl IntoIterator<Item = u32>) -> CowVec<Dummy> {
    vals.into_iter().map(Dummy::new).collect()
}

fn vals(s: &[Dummy]) -> Vec<u32> {
    s.iter().map(|d| d.val).collect()
}

/// The clone calls to make panic, out of `max`: all of them, or under Miri
/// (which is slow) the first and the last.
fn nths(max: usize) -> Vec<usize> {
    if cfg!(miri) {
        let mut v = vec![1, max];
        v.dedup();
        v
    } else {
        (1..=max).collect()
    }
}

/// Runs `f`, which must panic with [`Injected`].
fn expect_injected(f: impl FnOnce()) {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => panic!("expected an injected panic"),
        Err(payload) => assert!(
            payload.is::<Injected>(),
            "a panic other than the injected one"
        ),
    }
}

// ---------------------------------------------------------------------------
// The quickcheck property
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Push(u32),
    Pop,
    Insert(usize, u32),
    Remove(usize),
    SwapRemove(usize),
    Truncate(usize),
    Clear,
    ExtendFromSlice(Vec<u32>),
    /// `retain(|d| d.val % 2 != drop_rem)`, panicking at the `panic_at`-th
    /// call of the predicate if that is in range.
    Retain {
        drop_rem: u32,
        panic_at: usize,
    },
    Resize(usize, u32),
    Reserve(usize),
    Write(usize, u32),
    Snapshot,
    DropSnapshot(usize),
    Restore(usize),
    IntoVec,
    IntoIterPartial(usize),
    /// `extend` with clones of new elements (the clones may panic).
    ExtendCloned(Vec<u32>),
    /// `extend(&slice)`.
    ExtendRef(Vec<u32>),
}

fn small(g: &mut Gen) -> u32 {
    u32::from(u8::arbitrary(g) % 16)
}

fn small_vec(g: &mut Gen) -> Vec<u32> {
    let n = usize::arbitrary(g) % 6;
    (0..n).map(|_| small(g)).collect()
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Op {
        let i = usize::arbitrary(g);
        let x = small(g);
        let kinds: [u8; 22] = [
            0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 13, 14, 15, 16, 17, 18,
        ];
        match *g.choose(&kinds).unwrap() {
            0 => Op::Push(x),
            1 => Op::Pop,
            2 => Op::Insert(i, x),
            3 => Op::Remove(i),
            4 => Op::SwapRemove(i),
            5 => Op::Truncate(i),
            6 => Op::Clear,
            7 => Op::ExtendFromSlice(small_vec(g)),
            8 => Op::Retain {
                drop_rem: x % 2,
                panic_at: i % 12,
            },
            9 => Op::Resize(i, x),
            10 => Op::Reserve(i),
            11 => Op::Write(i, x),
            12 => Op::Snapshot,
            13 => Op::DropSnapshot(i),
            14 => Op::Restore(i),
            15 => Op::IntoVec,
            16 => Op::IntoIterPartial(i),
            17 => Op::ExtendCloned(small_vec(g)),
            _ => Op::ExtendRef(small_vec(g)),
        }
    }
}

/// One step: an operation, and maybe a `clone` armed to panic during it.
#[derive(Clone, Debug)]
struct Step {
    op: Op,
    clone_panic_at: Option<usize>,
}

impl Arbitrary for Step {
    fn arbitrary(g: &mut Gen) -> Step {
        let arm = bool::arbitrary(g);
        Step {
            op: Op::arbitrary(g),
            clone_panic_at: arm.then(|| usize::arbitrary(g) % 4 + 1),
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Step>> {
        match self.clone_panic_at {
            Some(_) => Box::new(std::iter::once(Step {
                op: self.op.clone(),
                clone_panic_at: None,
            })),
            None => quickcheck::empty_shrinker(),
        }
    }
}

/// What the vector may hold after the operation panicked.
enum OnPanic {
    /// Exactly what it held before.
    Unchanged,
    /// What it held before, followed by a prefix (maybe empty) of these.
    Appended(Vec<u32>),
    /// Exactly this if the buffer was unique, else unchanged.
    IfUnique(Vec<u32>),
    /// The operation took the vector out; it is empty now.
    Consumed,
}

struct Run {
    v: CowVec<Dummy>,
    model: Vec<u32>,
    snapshots: Vec<(CowVec<Dummy>, Vec<u32>)>,
}

impl Run {
    /// What `op` should do: the model after it succeeds, and what the vector
    /// may hold if it panics.
    fn plan(&self, op: &Op) -> (Vec<u32>, OnPanic) {
        let m = &self.model;
        let len = m.len();
        let mut after = m.clone();
        let on_panic = match *op {
            Op::Push(x) => {
                after.push(x);
                OnPanic::Unchanged
            }
            Op::Pop => {
                after.pop();
                OnPanic::Unchanged
            }
            Op::Insert(i, x) => {
                after.insert(i % (len + 1), x);
                OnPanic::Unchanged
            }
            Op::Remove(_) | Op::SwapRemove(_) if len == 0 => OnPanic::Unchanged,
            Op::Remove(i) => {
                after.remove(i % len);
                OnPanic::Unchanged
            }
            Op::SwapRemove(i) => {
                after.swap_remove(i % len);
                OnPanic::Unchanged
            }
            Op::Truncate(n) => {
                after.truncate(n % (len + 2));
                OnPanic::Unchanged
            }
            Op::Clear => {
                after.clear();
                OnPanic::Unchanged
            }
            Op::ExtendFromSlice(ref xs) => {
                after.extend_from_slice(xs);
                // Documented: "On a panicking clone, drops what it cloned;
                // our length is unchanged."
                OnPanic::Unchanged
            }
            Op::Retain { drop_rem, panic_at } => {
                let keep = |x: &u32| x % 2 != drop_rem;
                after.retain(keep);
                if panic_at < len {
                    // Documented: on a unique buffer, the elements already
                    // removed are gone and the rest kept (the element whose
                    // call panicked included).
                    let mut partial: Vec<u32> = m[..panic_at].to_vec();
                    partial.retain(keep);
                    partial.extend_from_slice(&m[panic_at..]);
                    OnPanic::IfUnique(partial)
                } else {
                    OnPanic::Unchanged
                }
            }
            Op::Resize(n, x) => {
                let n = n % 20;
                after.resize(n, x);
                OnPanic::Appended(vec![x; n.saturating_sub(len)])
            }
            Op::Reserve(_) | Op::Write(..) => OnPanic::Unchanged,
            Op::Snapshot | Op::DropSnapshot(_) => OnPanic::Unchanged,
            Op::Restore(i) => {
                if !self.snapshots.is_empty() {
                    after = self.snapshots[i % self.snapshots.len()].1.clone();
                }
                OnPanic::Unchanged
            }
            Op::IntoVec => OnPanic::Consumed,
            Op::IntoIterPartial(k) => {
                after.truncate(k % (len + 1));
                OnPanic::Consumed
            }
            Op::ExtendCloned(ref xs) | Op::ExtendRef(ref xs) => {
                after.extend_from_slice(xs);
                OnPanic::Appended(xs.clone())
            }
        };
        if let Op::Write(i, x) = *op {
            if len > 0 {
                after[i % len] = x;
            }
        }
        (after, on_panic)
    }

    /// Applies `op` to the vector (the model is updated by the caller).
    fn apply(&mut self, op: &Op) {
        let len = self.v.len();
        let v = &mut self.v;
        match *op {
            Op::Push(x) => v.push(Dummy::new(x)),
            Op::Pop => drop(v.pop()),
            Op::Insert(i, x) => v.insert(i % (len + 1), Dummy::new(x)),
            Op::Remove(i) => {
                if len > 0 {
                    drop(v.remove(i % len));
                }
            }
            Op::SwapRemove(i) => {
                if len > 0 {
                    drop(v.swap_remove(i % len));
                }
            }
            Op::Truncate(n) => v.truncate(n % (len + 2)),
            Op::Clear => v.clear(),
            Op::ExtendFromSlice(ref xs) => {
                let src: Vec<Dummy> = xs.iter().map(|&x| Dummy::new(x)).collect();
                v.extend_from_slice(&src);
            }
            Op::Retain { drop_rem, panic_at } => {
                let mut calls = 0;
                v.retain(|d| {
                    if calls == panic_at {
                        panic::panic_any(Injected);
                    }
                    calls += 1;
                    d.val % 2 != drop_rem
                });
            }
            Op::Resize(n, x) => v.resize(n % 20, Dummy::new(x)),
            Op::Reserve(n) => v.reserve(n % 20),
            Op::Write(i, x) => {
                let s = v.make_mut();
                if len > 0 {
                    s[i % len].val = x;
                }
            }
            Op::Snapshot => {
                if self.snapshots.len() == 6 {
                    self.snapshots.remove(0);
                }
                self.snapshots.push((v.clone(), self.model.clone()));
            }
            Op::DropSnapshot(i) => {
                if !self.snapshots.is_empty() {
                    let i = i % self.snapshots.len();
                    self.snapshots.remove(i);
                }
            }
            Op::Restore(i) => {
                if !self.snapshots.is_empty() {
                    *v = self.snapshots[i % self.snapshots.len()].0.clone();
                }
            }
            Op::IntoVec => {
                let out = mem::take(v).into_vec();
                *v = CowVec::from(out);
            }
            Op::IntoIterPartial(k) => {
                let taken: Vec<Dummy> = mem::take(v).into_iter().take(k % (len + 1)).collect();
                *v = CowVec::from(&taken[..]);
            }
            Op::ExtendCloned(ref xs) => {
                let src: Vec<Dummy> = xs.iter().map(|&x| Dummy::new(x)).collect();
                v.extend(src.iter().cloned());
            }
            Op::ExtendRef(ref xs) => {
                let src: Vec<Dummy> = xs.iter().map(|&x| Dummy::new(x)).collect();
                v.extend(&src);
            }
        }
    }

    fn step(&mut self, n: usize, step: &Step) {
        let (after, on_panic) = self.plan(&step.op);
        let was_unique = self.v.is_unique();
        if let Some(nth) = step.clone_panic_at {
            arm_clone_panic(nth);
        }
        let r = panic::catch_unwind(AssertUnwindSafe(|| self.apply(&step.op)));
        disarm();
        let got = vals(&self.v);
        match r {
            Ok(()) => {
                assert_eq!(got, after, "step {n} {step:?} without panic");
                self.model = after;
            }
            Err(payload) => {
                assert!(payload.is::<Injected>(), "step {n} {step:?}: wrong panic");
                PROPERTY_PANICS.with(|p| p.set(p.get() + 1));
                let m = &self.model;
                match on_panic {
                    OnPanic::Unchanged => {
                        assert_eq!(&got, m, "step {n} {step:?}: changed by a panic")
                    }
                    OnPanic::Appended(xs) => {
                        assert!(
                            got.len() >= m.len()
                                && got[..m.len()] == m[..]
                                && xs.starts_with(&got[m.len()..]),
                            "step {n} {step:?}: {got:?} is not {m:?} + a prefix of {xs:?}"
                        );
                    }
                    OnPanic::IfUnique(partial) => {
                        let want = if was_unique { &partial } else { m };
                        assert_eq!(&got, want, "step {n} {step:?} (unique: {was_unique})");
                    }
                    OnPanic::Consumed => {
                        assert!(got.is_empty(), "step {n} {step:?}");
                    }
                }
                // Re-sync the model from the (checked) vector.
                self.model = got;
            }
        }
        self.check(n, step);
    }

    fn check(&self, n: usize, step: &Step) {
        let v = &self.v;
        assert_eq!(vals(v), self.model, "step {n} {step:?}");
        assert_eq!(v.len(), self.model.len());
        assert_eq!(v.is_empty(), self.model.is_empty());
        assert!(v.capacity() >= v.len());
        for (k, (snap, contents)) in self.snapshots.iter().enumerate() {
            assert_eq!(
                &vals(snap),
                contents,
                "snapshot {k} changed at step {n} {step:?}"
            );
        }
        let mut buffers: Vec<&CowVec<Dummy>> = Vec::new();
        for c in std::iter::once(v).chain(self.snapshots.iter().map(|(s, _)| s)) {
            if !buffers.iter().any(|b| b.ptr_eq(c)) {
                buffers.push(c);
            }
        }
        let held: usize = buffers.iter().map(|b| b.len()).sum();
        assert_eq!(live(), held, "leak or double drop at step {n} {step:?}");
        assert_eq!(DOUBLE_DROPS.with(Cell::get), 0, "double drop at step {n}");
    }
}

fn prop_panics_leave_valid_vectors(steps: Vec<Step>) -> bool {
    reset();
    let mut run = Run {
        v: CowVec::new(),
        model: Vec::new(),
        snapshots: Vec::new(),
    };
    for (n, step) in steps.iter().enumerate() {
        run.step(n, step);
    }
    drop(run);
    assert_all_dropped_once();
    true
}

#[test]
fn random_operations_with_panicking_clones() {
    let mut qc = if cfg!(miri) {
        QuickCheck::new().tests(5).rng(Gen::new(20))
    } else {
        QuickCheck::new().tests(400).rng(Gen::new(60))
    };
    qc.quickcheck(prop_panics_leave_valid_vectors as fn(Vec<Step>) -> bool);
    // With hundreds of runs, injected panics are certain; the few runs under
    // Miri may miss them, and `every_operation_with_a_panicking_clone` makes
    // sure they happen there.
    if !cfg!(miri) {
        assert!(
            PROPERTY_PANICS.with(Cell::get) > 100,
            "too few injected panics: the property proved little"
        );
    }
}

/// Every operation, on a unique and on a shared buffer, with the first,
/// second and fourth `clone` of the operation panicking: each path runs
/// even in the short Miri run.
#[test]
fn every_operation_with_a_panicking_clone() {
    let all = [
        Op::Push(1),
        Op::Pop,
        Op::Insert(1, 2),
        Op::Remove(1),
        Op::SwapRemove(0),
        Op::Truncate(3),
        Op::Clear,
        Op::ExtendFromSlice(vec![3, 4, 5]),
        Op::Retain {
            drop_rem: 0,
            panic_at: 2,
        },
        Op::Retain {
            drop_rem: 1,
            panic_at: 99,
        },
        Op::Resize(9, 6),
        Op::Resize(2, 6),
        Op::Reserve(7),
        Op::Write(3, 7),
        Op::IntoVec,
        Op::IntoIterPartial(3),
        Op::ExtendCloned(vec![8, 9, 10]),
        Op::ExtendRef(vec![1, 2, 3]),
    ];
    let nths: &[usize] = if cfg!(miri) { &[2] } else { &[1, 2, 4] };
    let mut steps = Vec::new();
    let plain = |op: Op| Step {
        op,
        clone_panic_at: None,
    };
    for op in &all {
        for &nth in nths {
            for shared in [false, true] {
                steps.push(plain(Op::Clear));
                for x in [1, 2, 3, 4] {
                    steps.push(plain(Op::Push(x)));
                }
                if shared {
                    steps.push(plain(Op::Snapshot));
                }
                steps.push(Step {
                    op: op.clone(),
                    clone_panic_at: Some(nth),
                });
                if shared {
                    steps.push(plain(Op::DropSnapshot(0)));
                }
            }
        }
    }
    let before = PROPERTY_PANICS.with(Cell::get);
    assert!(prop_panics_leave_valid_vectors(steps));
    let panics = PROPERTY_PANICS.with(Cell::get) - before;
    assert!(panics >= nths.len() * 15, "only {panics} injected panics");
}

// ---------------------------------------------------------------------------
// Targeted tests: a panicking `clone` during the copy of a shared buffer
// ---------------------------------------------------------------------------

const LEN: u32 = 6;

/// A write to a vector, by name.
type NamedWrite = (&'static str, usize, fn(&mut CowVec<Dummy>));

/// The writes that copy a shared buffer first, each with the number of
/// clones its copy makes.
fn copying_writes() -> Vec<NamedWrite> {
    let len = LEN as usize;
    vec![
        ("make_mut", len, |v| {
            v.make_mut()[0].val = 99;
        }),
        ("push", len, |v| v.push(Dummy::new(99))),
        ("insert", len, |v| v.insert(2, Dummy::new(99))),
        ("extend_from_slice", len, |v| {
            v.extend_from_slice(&[Dummy::new(98), Dummy::new(99)])
        }),
        ("extend", len, |v| {
            v.extend([Dummy::new(98), Dummy::new(99)])
        }),
        ("resize", len, |v| v.resize(v.len() + 3, Dummy::new(99))),
        ("reserve", len, |v| v.reserve(10)),
        ("pop", len, |v| drop(v.pop())),
        ("remove", len, |v| drop(v.remove(1))),
        ("swap_remove", len, |v| drop(v.swap_remove(1))),
        ("truncate", len - 2, |v| v.truncate(v.len() - 2)),
        ("retain", len - 1, |v| v.retain(|d| d.val != 0)),
        ("make_mut (every element)", len, |v| {
            for d in v.make_mut() {
                d.val += 1;
            }
        }),
        // Issue 16's methods. `drain` and `splice` copy the elements kept
        // (all but the two drained); `split_off` clones the tail, then the
        // head; the methods whose closure gets `&mut T` copy whole.
        ("drain", len - 2, |v| drop(v.drain(1..3))),
        ("splice", len - 2, |v| {
            drop(v.splice(1..3, [Dummy::new(98), Dummy::new(99)]))
        }),
        ("append", len, |v| v.append(&mut dummies([98, 99]))),
        ("split_off", len, |v| drop(v.split_off(2))),
        ("dedup_by", len, |v| v.dedup_by(|a, b| a.val == b.val + 1)),
        ("dedup_by_key", len, |v| v.dedup_by_key(|d| d.val / 2)),
        ("extend_from_within", len, |v| v.extend_from_within(1..3)),
        ("retain_mut", len, |v| v.retain_mut(|d| d.val != 0)),
        ("resize_with", len, |v| {
            v.resize_with(v.len() + 2, || Dummy::new(99))
        }),
        ("pop_if", len, |v| drop(v.pop_if(|_| true))),
        ("reserve_exact", len, |v| v.reserve_exact(3)),
        ("try_reserve", len, |v| v.try_reserve(3).unwrap()),
        ("try_reserve_exact", len, |v| {
            v.try_reserve_exact(3).unwrap()
        }),
    ]
}

#[test]
fn clone_panic_while_copying_a_shared_buffer_leaves_it_intact() {
    for (name, copies, write) in copying_writes() {
        // Under Miri, only the last clone: the most partial clones to drop.
        let nths = if cfg!(miri) {
            vec![copies]
        } else {
            nths(copies)
        };
        for nth in nths {
            reset();
            let mut v = dummies(0..LEN);
            let w = v.clone();
            arm_clone_panic(nth);
            expect_injected(|| write(&mut v));
            disarm();
            assert_eq!(clone_calls(), nth, "{name}: clone calls");
            assert!(v.ptr_eq(&w), "{name} (clone {nth} panics): handle replaced");
            assert!(!v.is_unique());
            assert_eq!(vals(&v), (0..LEN).collect::<Vec<_>>(), "{name}");
            assert_eq!(
                live(),
                LEN as usize,
                "{name} (clone {nth} panics): the partial copy was not dropped"
            );
            // Still usable: the same write now succeeds and copies.
            write(&mut v);
            assert!(!v.ptr_eq(&w) || v.is_empty(), "{name}: no copy after retry");
            assert_eq!(vals(&w), (0..LEN).collect::<Vec<_>>(), "{name}");
            drop(v);
            drop(w);
            assert_all_dropped_once();
        }
    }
}

#[test]
fn clone_panic_in_shared_into_iter_and_into_vec_leaks_nothing() {
    for nth in nths(LEN as usize) {
        reset();
        let v = dummies(0..LEN);
        let w = v.clone();
        arm_clone_panic(nth);
        expect_injected(|| drop(v.clone().into_vec()));
        assert_eq!(live(), LEN as usize, "into_vec, clone {nth} panics");
        arm_clone_panic(nth);
        expect_injected(|| drop(v.clone().into_iter().collect::<Vec<_>>()));
        assert_eq!(live(), LEN as usize, "into_iter, clone {nth} panics");
        // A panicking `next` leaves the iterator usable: the element is
        // yielded by the next call and the rest dropped with it.
        arm_clone_panic(nth);
        let mut it = v.clone().into_iter();
        for _ in 1..nth {
            drop(it.next());
        }
        expect_injected(|| drop(it.next()));
        assert_eq!(it.len(), LEN as usize - nth + 1);
        assert_eq!(it.next().map(|d| d.val), Some(nth as u32 - 1));
        drop(it);
        assert_eq!(live(), LEN as usize);
        assert!(v.ptr_eq(&w));
        assert_eq!(vals(&w), (0..LEN).collect::<Vec<_>>());
        drop(v);
        drop(w);
        assert_all_dropped_once();
    }
}

#[test]
fn clone_panic_in_constructors_leaks_nothing() {
    for nth in nths(LEN as usize) {
        reset();
        let src: Vec<Dummy> = (0..LEN).map(Dummy::new).collect();
        arm_clone_panic(nth);
        expect_injected(|| drop(CowVec::from(&src[..])));
        arm_clone_panic(nth);
        expect_injected(|| drop(src.iter().cloned().collect::<CowVec<Dummy>>()));
        arm_clone_panic(nth);
        expect_injected(|| drop(cow_vec![Dummy::new(7); LEN as usize + 1]));
        disarm();
        assert_eq!(live(), LEN as usize);
        drop(src);
        assert_all_dropped_once();
    }
}

// ---------------------------------------------------------------------------
// Panics in the middle of a unique, in-place operation
// ---------------------------------------------------------------------------

#[test]
fn resize_clone_panic_on_unique_buffer_keeps_a_prefix() {
    for nth in 1..=5 {
        reset();
        let mut v = dummies([1, 2]);
        v.reserve(10);
        arm_clone_panic(nth);
        expect_injected(|| v.resize(8, Dummy::new(9)));
        disarm();
        // `nth - 1` clones were written before the panicking one.
        let mut want = vec![1, 2];
        want.extend(std::iter::repeat_n(9, nth - 1));
        assert_eq!(vals(&v), want);
        assert_eq!(live(), v.len(), "the value or a clone leaked");
        drop(v);
        assert_all_dropped_once();
    }
}

#[test]
fn extend_from_slice_clone_panic_on_unique_buffer_keeps_length() {
    for nth in 1..=3 {
        reset();
        let mut v = dummies([1, 2]);
        v.reserve(10);
        let src = [Dummy::new(7), Dummy::new(8), Dummy::new(9)];
        arm_clone_panic(nth);
        expect_injected(|| v.extend_from_slice(&src));
        disarm();
        assert_eq!(vals(&v), [1, 2]);
        assert_eq!(live(), 2 + src.len());
        drop(v);
        drop(src);
        assert_all_dropped_once();
    }
}

#[test]
fn extend_with_panicking_iterator_keeps_what_was_yielded() {
    for shared in [false, true] {
        for yielded in 0..4 {
            reset();
            let mut v = dummies([1, 2]);
            let w = shared.then(|| v.clone());
            let mut n = 0;
            let iter = std::iter::from_fn(|| {
                if n == yielded {
                    panic::panic_any(Injected);
                }
                n += 1;
                Some(Dummy::new(10 + n))
            });
            expect_injected(|| v.extend(iter));
            let mut want = vec![1, 2];
            want.extend((1..=yielded).map(|k| 10 + k));
            assert_eq!(vals(&v), want, "shared: {shared}, yielded: {yielded}");
            if let Some(w) = &w {
                assert_eq!(vals(w), [1, 2]);
            }
            let held = v.len() + w.as_ref().map_or(0, |w| if w.ptr_eq(&v) { 0 } else { 2 });
            assert_eq!(live(), held);
            drop(v);
            drop(w);
            assert_all_dropped_once();
        }
    }
}

#[test]
fn retain_with_panicking_predicate_on_unique_buffer() {
    let model: Vec<u32> = (0..8).collect();
    for panic_at in 0..8 {
        reset();
        let mut v = dummies(model.iter().copied());
        let mut calls = 0;
        expect_injected(|| {
            v.retain(|d| {
                if calls == panic_at {
                    panic::panic_any(Injected);
                }
                calls += 1;
                d.val % 3 != 0
            })
        });
        // Documented: the elements already removed are gone, the rest kept.
        let mut want: Vec<u32> = model[..panic_at].to_vec();
        want.retain(|x| x % 3 != 0);
        want.extend_from_slice(&model[panic_at..]);
        assert_eq!(vals(&v), want, "panic at call {panic_at}");
        assert_eq!(live(), v.len());
        // Still a working vector.
        v.push(Dummy::new(100));
        v.retain(|d| d.val % 2 == 0);
        drop(v);
        assert_all_dropped_once();
    }
}

#[test]
fn retain_with_panicking_predicate_on_shared_buffer() {
    for panic_at in 0..8 {
        reset();
        let mut v = dummies(0..8);
        let w = v.clone();
        let mut calls = 0;
        expect_injected(|| {
            v.retain(|d| {
                if calls == panic_at {
                    panic::panic_any(Injected);
                }
                calls += 1;
                d.val % 3 != 0
            })
        });
        assert!(v.ptr_eq(&w), "retain replaced the handle before finishing");
        assert_eq!(vals(&v), (0..8).collect::<Vec<_>>());
        assert_eq!(live(), 8, "kept clones leaked");
        drop(v);
        drop(w);
        assert_all_dropped_once();
    }
}

// ---------------------------------------------------------------------------
// A panicking `Drop`
// ---------------------------------------------------------------------------

#[test]
fn panicking_drop_in_last_handle_still_drops_every_other_element() {
    for bad in 0..LEN as usize {
        reset();
        let v = dummies(0..LEN);
        let w = v.clone();
        panic_in_drop_of(v[bad].id);
        drop(w); // not the last handle: drops nothing
        assert_eq!(drops(), 0);
        expect_injected(|| drop(v));
        disarm();
        assert_eq!(drops(), LEN as usize, "element {bad} panics");
        assert_all_dropped_once();
    }
}

#[test]
fn panicking_drop_in_truncate_and_clear() {
    for bad in 0..LEN as usize {
        reset();
        let mut v = dummies(0..LEN);
        panic_in_drop_of(v[bad].id);
        let r = panic::catch_unwind(AssertUnwindSafe(|| v.truncate(2)));
        assert_eq!(r.is_err(), bad >= 2, "truncate: element {bad}");
        assert_eq!(vals(&v), [0, 1]);
        assert_eq!(live(), 2);
        let r = panic::catch_unwind(AssertUnwindSafe(|| v.clear()));
        assert_eq!(r.is_err(), bad < 2, "clear: element {bad}");
        assert!(v.is_empty());
        assert_eq!(live(), 0);
        // The buffer is kept and still works.
        disarm();
        v.push(Dummy::new(1));
        assert_eq!(vals(&v), [1]);
        drop(v);
        assert_all_dropped_once();
    }
}

#[test]
fn panicking_drop_in_retain_keeps_the_vector_valid() {
    for bad in [0u32, 2, 4, 5] {
        reset();
        let mut v = dummies(0..LEN);
        // Drops the even elements; element `bad` panics in its drop if
        // removed.
        panic_in_drop_of(v[bad as usize].id);
        let r = panic::catch_unwind(AssertUnwindSafe(|| v.retain(|d| d.val % 2 == 1)));
        disarm();
        let removed = bad % 2 == 0;
        assert_eq!(r.is_err(), removed);
        // Processed: up to and including `bad`; the rest kept as they were.
        let want: Vec<u32> = if removed {
            (0..LEN)
                .filter(|&x| x > bad || x % 2 == 1)
                .collect::<Vec<_>>()
        } else {
            vec![1, 3, 5]
        };
        assert_eq!(vals(&v), want, "element {bad}");
        assert_eq!(live(), v.len());
        drop(v);
        assert_all_dropped_once();
    }
}

#[test]
fn panicking_drop_in_half_consumed_into_iter() {
    // Elements 1..LEN-1 are still in the iterator when it is dropped.
    for bad in 1..LEN as usize - 1 {
        reset();
        let v = dummies(0..LEN);
        panic_in_drop_of(v[bad].id);
        let mut it = v.into_iter();
        assert_eq!(it.next().map(|d| d.val), Some(0));
        assert_eq!(it.next_back().map(|d| d.val), Some(LEN - 1));
        assert_eq!(it.len(), LEN as usize - 2);
        expect_injected(|| drop(it));
        disarm();
        assert_eq!(drops(), LEN as usize);
        assert_all_dropped_once();
    }
}

#[test]
fn panicking_drop_of_a_replaced_shared_handle() {
    // `clear` on a shared buffer lets go of it; the other handle's drop is
    // the one that drops the elements, one of them panicking.
    reset();
    let mut v = dummies(0..LEN);
    let w = v.clone();
    panic_in_drop_of(v[3].id);
    v.clear();
    assert_eq!(drops(), 0);
    expect_injected(|| drop(w));
    disarm();
    assert_all_dropped_once();
    drop(v);
}

// ---------------------------------------------------------------------------
// Issue 16's methods: the paths the table of copying writes does not cover
// ---------------------------------------------------------------------------

#[test]
fn clone_panic_in_shared_dedup_leaves_it_intact() {
    // 4 kept of 6: the clones of the kept elements are the copy.
    for nth in nths(4) {
        reset();
        let mut v = dummies([1, 1, 2, 3, 3, 4]);
        let w = v.clone();
        arm_clone_panic(nth);
        expect_injected(|| v.dedup());
        disarm();
        assert_eq!(clone_calls(), nth);
        assert!(v.ptr_eq(&w), "dedup (clone {nth} panics): handle replaced");
        assert_eq!(live(), 6, "dedup (clone {nth} panics): partial copy leaked");
        v.dedup();
        assert_eq!(vals(&v), [1, 2, 3, 4]);
        assert_eq!(vals(&w), [1, 1, 2, 3, 3, 4]);
        assert_eq!(live(), 10);
        drop((v, w));
        assert_all_dropped_once();
    }
}

#[test]
fn clone_panic_while_a_shared_drain_yields() {
    // Drained elements are cloned one by one as they are yielded; a
    // panicking clone yields nothing, and the next call yields the element.
    for from_back in [false, true] {
        for nth in 1..=3 {
            reset();
            let mut v = dummies(0..LEN);
            let w = v.clone();
            let mut d = v.drain(1..4); // 3 clones: the kept 0, 4, 5
            assert_eq!(clone_calls(), 3);
            arm_clone_panic(nth);
            let mut got = Vec::new();
            for _ in 1..nth {
                got.push(if from_back { d.next_back() } else { d.next() }.unwrap());
            }
            expect_injected(|| drop(if from_back { d.next_back() } else { d.next() }));
            assert_eq!(d.len(), 3 - (nth - 1));
            let again = if from_back { d.next_back() } else { d.next() };
            let want = if from_back {
                4 - nth as u32
            } else {
                nth as u32
            };
            assert_eq!(again.map(|x| x.val), Some(want));
            drop(d);
            assert_eq!(vals(&v), [0, 4, 5]);
            assert_eq!(vals(&w), (0..LEN).collect::<Vec<_>>());
            // `again` was dropped by `map`; `got` holds `nth - 1`.
            assert_eq!(live(), 3 + LEN as usize + nth - 1);
            drop((got, v, w));
            assert_all_dropped_once();
        }
    }
}

#[test]
fn clone_panic_in_append_of_a_shared_other() {
    for self_shared in [false, true] {
        for nth in nths(3) {
            reset();
            let mut v = dummies([1, 2]);
            v.reserve(10);
            let sv = self_shared.then(|| v.clone());
            let mut other = dummies([7, 8, 9]);
            let so = other.clone();
            // Shared `self`: its copy clones 2 first.
            let nth_all = nth + if self_shared { 2 } else { 0 };
            arm_clone_panic(nth_all);
            expect_injected(|| v.append(&mut other));
            disarm();
            assert_eq!(vals(&v), [1, 2], "self unchanged");
            assert_eq!(vals(&other), [7, 8, 9], "other unchanged");
            assert!(other.ptr_eq(&so));
            let copies = if self_shared { 2 } else { 0 };
            assert_eq!(live(), 5 + copies, "partial clones leaked");
            v.append(&mut other);
            assert_eq!(vals(&v), [1, 2, 7, 8, 9]);
            assert!(other.is_empty());
            drop((v, sv, other, so));
            assert_all_dropped_once();
        }
    }
}

#[test]
fn clone_panic_in_shared_into_boxed_slice_leaks_nothing() {
    for nth in nths(LEN as usize) {
        reset();
        let v = dummies(0..LEN);
        let w = v.clone();
        arm_clone_panic(nth);
        expect_injected(|| drop(v.into_boxed_slice()));
        disarm();
        assert_eq!(live(), LEN as usize);
        assert_eq!(
            vals(&w.clone().into_boxed_slice()),
            (0..LEN).collect::<Vec<_>>()
        );
        drop(w);
        assert_all_dropped_once();
    }
}

#[test]
fn panicking_replacement_in_splice_keeps_the_vector_valid() {
    for shared in [false, true] {
        for nth in 1..=3 {
            reset();
            let mut v = dummies(0..LEN);
            let w = shared.then(|| v.clone());
            let src = [Dummy::new(90), Dummy::new(91), Dummy::new(92)];
            // The replacement clones `src`: clone `nth` of the splice's
            // own (after the copy's, if shared) panics.
            let copy = if shared { LEN as usize - 2 } else { 0 };
            arm_clone_panic(copy + nth);
            expect_injected(|| drop(v.splice(1..3, src.iter().cloned())));
            disarm();
            let now = vals(&v);
            // Head, some of the replacement, tail: valid, never mixed up.
            assert_eq!(now[0], 0);
            assert_eq!(now[now.len() - 3..], [3, 4, 5]);
            assert!(now[1..now.len() - 3].iter().all(|x| (90..93).contains(x)));
            assert_eq!(
                live(),
                v.len() + src.len() + w.as_ref().map_or(0, |w| w.len())
            );
            drop((v, w, src));
            assert_all_dropped_once();
        }
    }
}

#[test]
fn panicking_drop_in_drain_and_splice_still_closes_the_gap() {
    for splice in [false, true] {
        for bad in 1..4usize {
            for taken in 0..2 {
                reset();
                let mut v = dummies(0..LEN);
                panic_in_drop_of(v[bad].id);
                let r = panic::catch_unwind(AssertUnwindSafe(|| {
                    if splice {
                        let mut s = v.splice(1..4, [Dummy::new(90)]);
                        for _ in 0..taken {
                            drop(s.next());
                        }
                    } else {
                        let mut d = v.drain(1..4);
                        for _ in 0..taken {
                            drop(d.next());
                        }
                    }
                }));
                disarm();
                assert!(r.is_err(), "element {bad}, taken {taken}: no panic");
                // The drop of a drained element panicked: the rest of the
                // range is still dropped, the tail moved back. If the
                // iterator's own drop panicked, a splice's replacement is
                // dropped unplaced, as `Vec::splice` does; if the caller's
                // drop of a yielded element did, the splice completes while
                // unwinding.
                let completed = splice && bad < 1 + taken;
                let want: &[u32] = if completed {
                    &[0, 90, 4, 5]
                } else {
                    &[0, 4, 5]
                };
                assert_eq!(vals(&v), want, "splice {splice}, element {bad}");
                assert_eq!(live(), want.len());
                v.push(Dummy::new(6));
                drop(v);
                assert_all_dropped_once();
            }
        }
    }
}

#[test]
fn panicking_drop_in_dedup_and_retain_mut_keeps_the_vector_valid() {
    type Remove = fn(&mut CowVec<Dummy>);
    let ops: [(&str, Remove); 4] = [
        ("dedup", |v| v.dedup()),
        ("dedup_by", |v| v.dedup_by(|a, b| a.val == b.val)),
        ("dedup_by_key", |v| v.dedup_by_key(|d| d.val)),
        ("retain_mut", |v| v.retain_mut(|d| d.id % 2 == 0)),
    ];
    for (name, op) in ops {
        for bad in 0..6 {
            reset();
            let mut v = dummies([1, 1, 2, 2, 3, 3]);
            panic_in_drop_of(v[bad].id);
            let r = panic::catch_unwind(AssertUnwindSafe(|| op(&mut v)));
            disarm();
            // The odd positions are the ones removed (by value or by id).
            assert_eq!(r.is_err(), bad % 2 == 1, "{name}, element {bad}");
            assert_eq!(live(), v.len(), "{name}, element {bad}: leak");
            if r.is_err() {
                // Looked at up to `bad`: the rest kept as they were.
                let want: Vec<u32> = [1u32, 1, 2, 2, 3, 3]
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i > bad || i % 2 == 0)
                    .map(|(_, &x)| x)
                    .collect();
                assert_eq!(vals(&v), want, "{name}, element {bad}");
            } else {
                assert_eq!(vals(&v), [1, 2, 3], "{name}");
            }
            drop(v);
            assert_all_dropped_once();
        }
    }
}

#[test]
fn panicking_predicate_in_pop_if_and_closures_in_dedup_by() {
    for shared in [false, true] {
        reset();
        let mut v = dummies(0..LEN);
        let w = shared.then(|| v.clone());
        expect_injected(|| drop(v.pop_if(|_| panic::panic_any(Injected))));
        assert_eq!(vals(&v), (0..LEN).collect::<Vec<_>>());
        let mut calls = 0;
        expect_injected(|| {
            v.dedup_by(|_, _| {
                calls += 1;
                if calls == 3 {
                    panic::panic_any(Injected);
                }
                false
            })
        });
        assert_eq!(vals(&v), (0..LEN).collect::<Vec<_>>());
        let mut k = 0;
        expect_injected(|| {
            v.resize_with(LEN as usize + 4, || {
                k += 1;
                if k == 3 {
                    panic::panic_any(Injected);
                }
                Dummy::new(50)
            })
        });
        // The two made before the panic stay.
        assert_eq!(v.len(), LEN as usize + 2);
        let held = v.len() + w.as_ref().map_or(0, |w| w.len());
        assert_eq!(live(), held);
        drop((v, w));
        assert_all_dropped_once();
    }
}
