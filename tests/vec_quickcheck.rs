//! A quickcheck differential test of `CowVec<T>` against `Vec<T>`.
//!
//! A random sequence of operations runs on a `CowVec<Elem>` and, in parallel,
//! on a `Vec<u32>` model of its contents. Clones of the vector are kept as
//! snapshots, each with a copy of the contents it had when it was taken.
//! After every step the vector must agree with the model (contents, `len`,
//! `is_empty`, `capacity() >= len`), every snapshot must still hold what it
//! held when taken, and `Elem::clone` must have run exactly as often as the
//! operation needs (never for a move out of a unique buffer). At the end,
//! every element ever made was dropped exactly once.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::fmt;
use std::mem;
use std::rc::Rc;

use arcow::CowVec;
use quickcheck::{Arbitrary, Gen, QuickCheck};

// ---------------------------------------------------------------------------
// The element: counts its clones and keeps the set of live ids
// ---------------------------------------------------------------------------

/// Accounting shared by the elements of one property run (not a
/// thread-local, so nothing leaks from one run into the next).
#[derive(Default)]
struct Ledger {
    next_id: Cell<u64>,
    /// Ids made (by `Elem::new` or `clone`) and not yet dropped.
    live: RefCell<BTreeSet<u64>>,
    /// Drops of an id that was not live: a double drop.
    double_drops: Cell<usize>,
    /// Calls of `Elem::clone`.
    clones: Cell<usize>,
    made: Cell<usize>,
}

struct Elem {
    id: u64,
    val: u32,
    ledger: Rc<Ledger>,
}

impl Elem {
    fn new(ledger: &Rc<Ledger>, val: u32) -> Elem {
        let id = ledger.next_id.get();
        ledger.next_id.set(id + 1);
        ledger.made.set(ledger.made.get() + 1);
        ledger.live.borrow_mut().insert(id);
        Elem {
            id,
            val,
            ledger: Rc::clone(ledger),
        }
    }
}

impl Clone for Elem {
    fn clone(&self) -> Elem {
        self.ledger.clones.set(self.ledger.clones.get() + 1);
        Elem::new(&self.ledger, self.val)
    }
}

impl Drop for Elem {
    fn drop(&mut self) {
        if !self.ledger.live.borrow_mut().remove(&self.id) {
            self.ledger
                .double_drops
                .set(self.ledger.double_drops.get() + 1);
        }
    }
}

/// By value, for `dedup`.
impl PartialEq for Elem {
    fn eq(&self, other: &Elem) -> bool {
        self.val == other.val
    }
}

impl fmt::Debug for Elem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.val, self.id)
    }
}

fn vals(s: &[Elem]) -> Vec<u32> {
    s.iter().map(|e| e.val).collect()
}

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

/// One step. Indices are reduced into range when applied.
#[derive(Clone, Debug)]
enum Op {
    Push(u32),
    Pop,
    Insert(usize, u32),
    Remove(usize),
    SwapRemove(usize),
    /// `truncate(n % (len + 2))`: sometimes a no-op.
    Truncate(usize),
    Clear,
    ExtendFromSlice(Vec<u32>),
    /// `retain(|e| e.val % modulus != drop_rem)`.
    Retain {
        modulus: u32,
        drop_rem: u32,
    },
    /// `resize(n % 24, val)`.
    Resize(usize, u32),
    /// `reserve(n % 20)`.
    Reserve(usize),
    /// `make_mut()[i % len].val = val` (or just `make_mut()` when empty).
    Write(usize, u32),
    /// `for e in make_mut() { e.val += add }`.
    WriteAll(u32),
    /// Keep a clone of the vector, with a copy of its contents.
    Snapshot,
    /// Drop one snapshot.
    DropSnapshot(usize),
    /// `v = snapshot.clone()`: the vector shares a snapshot's buffer again.
    Restore(usize),
    /// `v = CowVec::from(v.into_vec())`.
    IntoVec,
    /// `v = v.into_iter().collect()`.
    IntoIterAll,
    /// Take `front` items with `next` and `back` with `next_back`, drop the
    /// iterator with the rest, and make the vector of the items taken.
    IntoIterPartial {
        front: usize,
        back: usize,
    },
    /// `extend` with an iterator of new elements; `exact` says whether its
    /// `size_hint` is exact or `(0, _)` (which exercises regrowth).
    Extend(Vec<u32>, bool),
    /// `extend(&slice)` (`Extend<&T>`).
    ExtendRef(Vec<u32>),
    // Issue 16's methods. Ranges are `(a % (len + 1), b % (len + 1))`,
    // ordered.
    /// `drain(range)`, taking `front` items with `next` and `back` with
    /// `next_back`, then dropping the iterator.
    Drain {
        range: (usize, usize),
        front: usize,
        back: usize,
    },
    /// `splice(range, items)`, taking `take` removed items; `exact` says
    /// whether the items' size hint is exact or `(0, _)`.
    Splice {
        range: (usize, usize),
        items: Vec<u32>,
        exact: bool,
        take: usize,
    },
    /// `append(&mut other)`; if `other_shared`, a snapshot of `other` is
    /// kept first.
    Append {
        other: Vec<u32>,
        other_shared: bool,
    },
    /// `split_off(at % (len + 1))`, keeping the tail or the head.
    SplitOff {
        at: usize,
        keep_tail: bool,
    },
    Dedup,
    /// `dedup_by_key(|e| e.val / div)`.
    DedupByKey(u32),
    /// `dedup_by(|a, b| a.val % modulus == b.val % modulus)`, adding 1 to
    /// the kept element on each call.
    DedupBy(u32),
    ExtendFromWithin((usize, usize)),
    /// `retain_mut(|e| { e.val += add; e.val % modulus != drop_rem })`.
    RetainMut {
        modulus: u32,
        drop_rem: u32,
        add: u32,
    },
    /// `resize_with(n % 24, counter)`.
    ResizeWith(usize),
    /// `pop_if(|e| { e.val += 1; pop })`.
    PopIf(bool),
    ReserveExact(usize),
    TryReserve(usize),
    TryReserveExact(usize),
    ShrinkTo(usize),
    ShrinkToFit,
    /// `v = CowVec::from(Vec::from(v.into_boxed_slice()))`.
    IntoBoxedSlice,
}

fn range_in(r: (usize, usize), len: usize) -> (usize, usize) {
    let (a, b) = (r.0 % (len + 1), r.1 % (len + 1));
    (a.min(b), a.max(b))
}

fn small(g: &mut Gen) -> u32 {
    u32::from(u8::arbitrary(g) % 16)
}

fn small_vec(g: &mut Gen, max: usize) -> Vec<u32> {
    let n = usize::arbitrary(g) % (max + 1);
    (0..n).map(|_| small(g)).collect()
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Op {
        let i = usize::arbitrary(g);
        let j = usize::arbitrary(g);
        let x = small(g);
        // Weighted so that pushes and snapshots are common: vectors grow and
        // are shared often.
        let k = usize::arbitrary(g);
        let pair = (i, k);
        let kinds: [u8; 44] = [
            0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 13, 13, 14, 15, 16, 17, 18, 19, 20,
            21, 22, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38,
        ];
        match *g.choose(&kinds).unwrap() {
            22 => Op::Drain {
                range: pair,
                front: j % 4,
                back: j / 4 % 3,
            },
            23 => Op::Splice {
                range: pair,
                items: small_vec(g, 4),
                exact: bool::arbitrary(g),
                take: j % 4,
            },
            24 => Op::Append {
                other: small_vec(g, 5),
                other_shared: bool::arbitrary(g),
            },
            25 => Op::SplitOff {
                at: i,
                keep_tail: bool::arbitrary(g),
            },
            26 => Op::Dedup,
            27 => Op::DedupByKey((i % 4) as u32 + 1),
            28 => Op::DedupBy((i % 3) as u32 + 1),
            29 => Op::ExtendFromWithin(pair),
            30 => Op::RetainMut {
                modulus: (i % 4) as u32 + 1,
                drop_rem: (j % 4) as u32,
                add: x % 3,
            },
            31 => Op::ResizeWith(i),
            32 => Op::PopIf(bool::arbitrary(g)),
            33 => Op::ReserveExact(i),
            34 => Op::TryReserve(i),
            35 => Op::TryReserveExact(i),
            36 => Op::ShrinkTo(i),
            37 => Op::ShrinkToFit,
            38 => Op::IntoBoxedSlice,
            0 => Op::Push(x),
            1 => Op::Pop,
            2 => Op::Insert(i, x),
            3 => Op::Remove(i),
            4 => Op::SwapRemove(i),
            5 => Op::Truncate(i),
            6 => Op::Clear,
            7 => Op::ExtendFromSlice(small_vec(g, 6)),
            8 => Op::Retain {
                modulus: (i % 4) as u32 + 1,
                drop_rem: (j % 4) as u32,
            },
            9 => Op::Resize(i, x),
            10 => Op::Reserve(i),
            11 => Op::Write(i, x),
            12 => Op::WriteAll(x),
            13 => Op::Snapshot,
            14 => Op::DropSnapshot(i),
            15 => Op::Restore(i),
            16 => Op::IntoVec,
            17 => Op::IntoIterAll,
            18 => Op::IntoIterPartial {
                front: i % 5,
                back: j % 3,
            },
            19 => Op::Extend(small_vec(g, 8), bool::arbitrary(g)),
            20 => Op::ExtendRef(small_vec(g, 6)),
            _ => Op::Push(x),
        }
    }
}

/// At most this many snapshots are kept; taking another drops the oldest.
const MAX_SNAPSHOTS: usize = 6;

// ---------------------------------------------------------------------------
// The model run
// ---------------------------------------------------------------------------

struct Run {
    ledger: Rc<Ledger>,
    v: CowVec<Elem>,
    model: Vec<u32>,
    snapshots: Vec<(CowVec<Elem>, Vec<u32>)>,
}

impl Run {
    fn new() -> Run {
        Run {
            ledger: Rc::new(Ledger::default()),
            v: CowVec::new(),
            model: Vec::new(),
            snapshots: Vec::new(),
        }
    }

    fn elems(&self, xs: &[u32]) -> Vec<Elem> {
        xs.iter().map(|&x| Elem::new(&self.ledger, x)).collect()
    }

    /// Applies `op` to the vector and the model. Returns how many
    /// `Elem::clone` calls the operation needs whatever the sharing
    /// (`inherent`), and the exact number it needs on a shared buffer if the
    /// contract fixes it (`None`: at most `len + inherent`).
    fn apply(&mut self, op: &Op) -> (usize, Option<usize>) {
        let len = self.model.len();
        let ledger = Rc::clone(&self.ledger);
        match *op {
            Op::Push(x) => {
                self.v.push(Elem::new(&ledger, x));
                self.model.push(x);
                (0, None)
            }
            Op::Pop => {
                let got = self.v.pop().map(|e| e.val);
                assert_eq!(got, self.model.pop(), "pop");
                (0, None)
            }
            Op::Insert(i, x) => {
                let i = i % (len + 1);
                self.v.insert(i, Elem::new(&ledger, x));
                self.model.insert(i, x);
                (0, None)
            }
            Op::Remove(i) => {
                if len > 0 {
                    let i = i % len;
                    assert_eq!(self.v.remove(i).val, self.model.remove(i), "remove");
                }
                (0, None)
            }
            Op::SwapRemove(i) => {
                if len > 0 {
                    let i = i % len;
                    let got = self.v.swap_remove(i).val;
                    assert_eq!(got, self.model.swap_remove(i), "swap_remove");
                }
                (0, None)
            }
            Op::Truncate(n) => {
                let n = n % (len + 2);
                self.v.truncate(n);
                self.model.truncate(n);
                // Documented: a shared buffer is copied with only the elements
                // kept (and let go if none are).
                (0, Some(if n < len { n } else { 0 }))
            }
            Op::Clear => {
                self.v.clear();
                self.model.clear();
                // Documented: a shared buffer is let go, no copy.
                (0, Some(0))
            }
            Op::ExtendFromSlice(ref xs) => {
                let src = self.elems(xs);
                self.v.extend_from_slice(&src);
                self.model.extend_from_slice(xs);
                (xs.len(), None)
            }
            Op::Retain { modulus, drop_rem } => {
                let keep = |x: u32| x % modulus != drop_rem;
                let mut calls = 0;
                self.v.retain(|e| {
                    calls += 1;
                    keep(e.val)
                });
                let before = len;
                self.model.retain(|&x| keep(x));
                if before > 0 {
                    assert_eq!(calls, before, "retain calls the predicate once per element");
                }
                // Documented: on a shared buffer only the kept elements are
                // cloned.
                (0, Some(self.model.len()))
            }
            Op::Resize(n, x) => {
                let n = n % 24;
                self.v.resize(n, Elem::new(&ledger, x));
                self.model.resize(n, x);
                // Growing clones `value` for all new slots but the last.
                (n.saturating_sub(len).saturating_sub(1), None)
            }
            Op::Reserve(n) => {
                let n = n % 20;
                self.v.reserve(n);
                assert!(self.v.capacity() >= len + n, "reserve");
                (0, None)
            }
            Op::Write(i, x) => {
                let s = self.v.make_mut();
                assert_eq!(s.len(), len, "make_mut length");
                if len > 0 {
                    let i = i % len;
                    s[i].val = x;
                    self.model[i] = x;
                    assert!(self.v.is_unique(), "unique after make_mut");
                }
                (0, Some(len))
            }
            Op::WriteAll(add) => {
                for e in self.v.make_mut() {
                    e.val += add;
                }
                for x in &mut self.model {
                    *x += add;
                }
                if len > 0 {
                    assert!(self.v.is_unique(), "unique after make_mut");
                }
                (0, Some(len))
            }
            Op::Snapshot => {
                if self.snapshots.len() == MAX_SNAPSHOTS {
                    self.snapshots.remove(0);
                }
                let snap = self.v.clone();
                assert!(snap.ptr_eq(&self.v), "a clone shares the buffer");
                if self.v.capacity() > 0 {
                    assert!(!self.v.is_unique(), "a clone makes the buffer shared");
                }
                self.snapshots.push((snap, self.model.clone()));
                (0, Some(0))
            }
            Op::DropSnapshot(i) => {
                if !self.snapshots.is_empty() {
                    let i = i % self.snapshots.len();
                    drop(self.snapshots.remove(i));
                }
                (0, Some(0))
            }
            Op::Restore(i) => {
                if !self.snapshots.is_empty() {
                    let i = i % self.snapshots.len();
                    self.v = self.snapshots[i].0.clone();
                    self.model = self.snapshots[i].1.clone();
                    assert!(self.v.ptr_eq(&self.snapshots[i].0));
                }
                (0, Some(0))
            }
            Op::IntoVec => {
                let out = mem::take(&mut self.v).into_vec();
                assert_eq!(vals(&out), self.model, "into_vec");
                self.v = CowVec::from(out);
                (0, Some(len))
            }
            Op::IntoIterAll => {
                let it = mem::take(&mut self.v).into_iter();
                assert_eq!(it.len(), len, "IntoIter::len");
                self.v = it.collect();
                (0, Some(len))
            }
            Op::IntoIterPartial { front, back } => {
                let front = front.min(len);
                let back = back.min(len - front);
                let mut it = mem::take(&mut self.v).into_iter();
                let mut taken: Vec<Elem> = (&mut it).take(front).collect();
                for _ in 0..back {
                    taken.push(it.next_back().expect("next_back within len"));
                }
                assert_eq!(vals(it.as_slice()), self.model[front..len - back]);
                assert_eq!(it.len(), len - front - back, "IntoIter::len");
                drop(it);
                let mut model: Vec<u32> = self.model[..front].to_vec();
                model.extend(self.model[len - back..].iter().rev());
                assert_eq!(vals(&taken), model, "items taken from IntoIter");
                self.model = model;
                self.v = CowVec::from(taken);
                (0, Some(front + back))
            }
            Op::Extend(ref xs, exact) => {
                let new = self.elems(xs);
                if exact {
                    self.v.extend(new);
                } else {
                    // `filter` reports a lower size hint of 0.
                    self.v.extend(new.into_iter().filter(|_| true));
                }
                self.model.extend_from_slice(xs);
                (0, None)
            }
            Op::ExtendRef(ref xs) => {
                let src = self.elems(xs);
                self.v.extend(&src);
                self.model.extend_from_slice(xs);
                (xs.len(), None)
            }
            Op::Drain { range, front, back } => {
                let (s, e) = range_in(range, len);
                let mut d = self.v.drain(s..e);
                assert_eq!(d.len(), e - s, "Drain::len");
                assert_eq!(vals(d.as_slice()), self.model[s..e], "Drain::as_slice");
                let mut got: Vec<u32> = (&mut d).take(front).map(|e| e.val).collect();
                got.extend((&mut d).rev().take(back).map(|e| e.val));
                drop(d);
                let mut md = self.model.drain(s..e);
                let mut want: Vec<u32> = (&mut md).take(front).collect();
                want.extend((&mut md).rev().take(back));
                drop(md);
                assert_eq!(got, want, "drained items");
                // Shared: the kept elements, and the items yielded; an
                // empty range copies nothing.
                let exact = if s == e { 0 } else { len - (e - s) + got.len() };
                (0, Some(exact))
            }
            Op::Splice {
                range,
                ref items,
                exact,
                take,
            } => {
                let (s, e) = range_in(range, len);
                let new = self.elems(items);
                let got: Vec<u32> = if exact {
                    self.v.splice(s..e, new).take(take).map(|e| e.val).collect()
                } else {
                    self.v
                        .splice(s..e, new.into_iter().filter(|_| true))
                        .take(take)
                        .map(|e| e.val)
                        .collect()
                };
                let want: Vec<u32> = self
                    .model
                    .splice(s..e, items.iter().copied())
                    .take(take)
                    .collect();
                assert_eq!(got, want, "spliced-out items");
                // Shared: always one copy of the kept, and the items taken.
                (0, Some(len - (e - s) + got.len()))
            }
            Op::Append {
                ref other,
                other_shared,
            } => {
                let mut o: CowVec<Elem> = self.elems(other).into_iter().collect();
                if other_shared {
                    self.snapshot_of(o.clone(), other.clone());
                }
                let n = other.len();
                // Read after `snapshot_of`: keeping `o` may have evicted the
                // oldest snapshot, and with it the last other handle to our
                // buffer, so `self` can be unique here though it was shared
                // when the step began.
                let self_shared = !self.v.is_unique();
                let takes = len == 0 && (self.v.capacity() < n || self_shared);
                self.v.append(&mut o);
                assert!(o.is_empty(), "append leaves other empty");
                self.model.extend_from_slice(other);
                let inherent = if other_shared && !takes { n } else { 0 };
                let own = if n == 0 || takes || !self_shared {
                    0
                } else {
                    len
                };
                (inherent, Some(own))
            }
            Op::SplitOff { at, keep_tail } => {
                let at = at % (len + 1);
                let tail = self.v.split_off(at);
                let mtail = self.model.split_off(at);
                assert_eq!(vals(&tail), mtail, "split_off tail");
                if keep_tail {
                    self.v = tail;
                    self.model = mtail;
                }
                // Shared: every element once, into one half or the other,
                // except at either end.
                (0, Some(if at == 0 || at == len { 0 } else { len }))
            }
            Op::Dedup => {
                self.v.dedup();
                self.model.dedup();
                let kept = self.model.len();
                // Shared: only the kept, and nothing if nothing went.
                (0, Some(if kept == len { 0 } else { kept }))
            }
            Op::DedupByKey(div) => {
                self.v.dedup_by_key(|e| e.val / div);
                self.model.dedup_by_key(|x| *x / div);
                (0, Some(if len > 1 { len } else { 0 }))
            }
            Op::DedupBy(modulus) => {
                self.v.dedup_by(|a, b| {
                    b.val += 1;
                    a.val % modulus == b.val % modulus
                });
                self.model.dedup_by(|a, b| {
                    *b += 1;
                    *a % modulus == *b % modulus
                });
                (0, Some(if len > 1 { len } else { 0 }))
            }
            Op::ExtendFromWithin(range) => {
                let (s, e) = range_in(range, len);
                self.v.extend_from_within(s..e);
                self.model.extend_from_within(s..e);
                (e - s, Some(if s == e { 0 } else { len }))
            }
            Op::RetainMut {
                modulus,
                drop_rem,
                add,
            } => {
                self.v.retain_mut(|e| {
                    e.val += add;
                    e.val % modulus != drop_rem
                });
                self.model.retain_mut(|x| {
                    *x += add;
                    *x % modulus != drop_rem
                });
                (0, Some(len))
            }
            Op::ResizeWith(n) => {
                let n = n % 24;
                let mut k = 0;
                self.v.resize_with(n, || {
                    k += 1;
                    Elem::new(&ledger, 100 + k)
                });
                let mut k = 0;
                self.model.resize_with(n, || {
                    k += 1;
                    100 + k
                });
                // Shared: a shrink copies what it keeps, a growth copies all.
                (0, Some(if n == len { 0 } else { n.min(len) }))
            }
            Op::PopIf(pop) => {
                let got = self
                    .v
                    .pop_if(|e| {
                        e.val += 1;
                        pop
                    })
                    .map(|e| e.val);
                let want = self.model.pop_if(|x| {
                    *x += 1;
                    pop
                });
                assert_eq!(got, want, "pop_if");
                (0, Some(len))
            }
            Op::ReserveExact(n) => {
                let n = n % 20;
                let cap = self.v.capacity();
                self.v.reserve_exact(n);
                if n > 0 && len + n > cap {
                    assert_eq!(self.v.capacity(), len + n, "reserve_exact");
                }
                assert!(self.v.capacity() >= len + n);
                (0, Some(if n == 0 { 0 } else { len }))
            }
            Op::TryReserve(n) | Op::TryReserveExact(n) => {
                let n = n % 20;
                if matches!(op, Op::TryReserve(_)) {
                    self.v.try_reserve(n).expect("try_reserve");
                } else {
                    self.v.try_reserve_exact(n).expect("try_reserve_exact");
                }
                assert!(self.v.capacity() >= len + n);
                assert!(self.v.try_reserve(usize::MAX).is_err());
                (0, Some(if n == 0 { 0 } else { len }))
            }
            Op::ShrinkTo(n) => {
                let n = n % 20;
                let cap = self.v.capacity();
                self.v.shrink_to(n);
                assert!(self.v.capacity() <= cap.max(n));
                (0, Some(0))
            }
            Op::ShrinkToFit => {
                let unique = self.v.is_unique();
                self.v.shrink_to_fit();
                if unique {
                    assert_eq!(self.v.capacity(), len, "shrink_to_fit");
                }
                (0, Some(0))
            }
            Op::IntoBoxedSlice => {
                let b = mem::take(&mut self.v).into_boxed_slice();
                assert_eq!(b.len(), len);
                self.v = CowVec::from(Vec::from(b));
                (0, Some(len))
            }
        }
    }

    /// Keeps `snap` as a snapshot with `contents`.
    fn snapshot_of(&mut self, snap: CowVec<Elem>, contents: Vec<u32>) {
        if self.snapshots.len() == MAX_SNAPSHOTS {
            self.snapshots.remove(0);
        }
        self.snapshots.push((snap, contents));
    }

    fn check(&self, step: usize, op: &Op) {
        let v = &self.v;
        assert_eq!(vals(v), self.model, "contents after step {step} ({op:?})");
        assert_eq!(v.len(), self.model.len(), "len after step {step} ({op:?})");
        assert_eq!(v.is_empty(), self.model.is_empty(), "is_empty");
        assert!(v.capacity() >= v.len(), "capacity >= len");
        assert_eq!(v.iter().count(), v.len());
        for (k, (snap, contents)) in self.snapshots.iter().enumerate() {
            assert_eq!(
                &vals(snap),
                contents,
                "snapshot {k} changed after step {step} ({op:?})"
            );
            assert_eq!(snap.len(), contents.len());
        }
        // Every element alive is in exactly one place: the vector's buffer
        // or a snapshot's (buffers shared by several handles count once).
        let mut buffers: Vec<&CowVec<Elem>> = Vec::new();
        for c in std::iter::once(v).chain(self.snapshots.iter().map(|(s, _)| s)) {
            if !buffers.iter().any(|b| b.ptr_eq(c)) {
                buffers.push(c);
            }
        }
        let held: usize = buffers.iter().map(|b| b.len()).sum();
        assert_eq!(
            self.ledger.live.borrow().len(),
            held,
            "live elements after step {step} ({op:?})"
        );
    }
}

fn prop_matches_vec(ops: Vec<Op>) -> bool {
    let mut run = Run::new();
    for (step, op) in ops.iter().enumerate() {
        let unique = run.v.is_unique();
        let len = run.v.len();
        let clones_before = run.ledger.clones.get();
        let (inherent, shared_exact) = run.apply(op);
        let clones = run.ledger.clones.get() - clones_before;
        if unique {
            assert_eq!(
                clones, inherent,
                "clones on a unique buffer at step {step} ({op:?})"
            );
        } else if let Some(exact) = shared_exact {
            assert_eq!(
                clones,
                exact + inherent,
                "clones on a shared buffer at step {step} ({op:?})"
            );
        } else {
            assert!(
                clones <= len + inherent,
                "{clones} clones on a shared buffer of {len} at step {step} ({op:?})"
            );
        }
        run.check(step, op);
    }
    let ledger = Rc::clone(&run.ledger);
    drop(run);
    assert_eq!(ledger.double_drops.get(), 0, "double drops");
    assert!(ledger.live.borrow().is_empty(), "leaked: {:?}", ledger.live);
    true
}

fn quickcheck_config() -> QuickCheck {
    if cfg!(miri) {
        QuickCheck::new().tests(8).rng(Gen::new(24))
    } else {
        QuickCheck::new().tests(400).rng(Gen::new(60))
    }
}

#[test]
fn cow_vec_matches_vec_model() {
    quickcheck_config().quickcheck(prop_matches_vec as fn(Vec<Op>) -> bool);
}

/// A fixed sequence that touches every operation on both a unique and a
/// shared buffer, so that each path runs even in the short Miri run.
#[test]
fn every_operation_on_unique_and_shared_buffers() {
    let mut ops = Vec::new();
    let all = [
        Op::Push(1),
        Op::Pop,
        Op::Insert(0, 2),
        Op::Remove(1),
        Op::SwapRemove(0),
        Op::Truncate(2),
        Op::ExtendFromSlice(vec![3, 4, 5]),
        Op::Retain {
            modulus: 2,
            drop_rem: 0,
        },
        Op::Resize(9, 6),
        Op::Reserve(7),
        Op::Write(3, 7),
        Op::WriteAll(1),
        Op::IntoVec,
        Op::IntoIterAll,
        Op::IntoIterPartial { front: 2, back: 1 },
        Op::Extend(vec![8, 9, 10], true),
        Op::Extend(vec![11, 12, 13, 14, 15, 1, 2], false),
        Op::ExtendRef(vec![1, 2]),
        Op::Resize(3, 0),
        Op::Drain {
            range: (1, 3),
            front: 1,
            back: 1,
        },
        Op::Drain {
            range: (0, 0),
            front: 0,
            back: 0,
        },
        Op::Splice {
            range: (1, 2),
            items: vec![4, 5, 6],
            exact: true,
            take: 1,
        },
        Op::Splice {
            range: (0, 3),
            items: vec![7],
            exact: false,
            take: 0,
        },
        Op::Append {
            other: vec![1, 2],
            other_shared: true,
        },
        Op::Append {
            other: vec![3],
            other_shared: false,
        },
        Op::SplitOff {
            at: 1,
            keep_tail: true,
        },
        Op::SplitOff {
            at: 2,
            keep_tail: false,
        },
        Op::Push(7),
        Op::Push(7),
        Op::Dedup,
        Op::DedupByKey(2),
        Op::DedupBy(2),
        Op::ExtendFromWithin((0, 2)),
        Op::RetainMut {
            modulus: 3,
            drop_rem: 1,
            add: 1,
        },
        Op::ResizeWith(7),
        Op::PopIf(true),
        Op::PopIf(false),
        Op::ReserveExact(5),
        Op::TryReserve(5),
        Op::TryReserveExact(3),
        Op::ShrinkTo(2),
        Op::ShrinkToFit,
        Op::IntoBoxedSlice,
        Op::Clear,
    ];
    for op in &all {
        // Unique buffer.
        ops.extend([Op::Clear, Op::Push(5), Op::Push(6), Op::Push(7), op.clone()]);
        // Shared buffer, then the snapshot goes away or is restored.
        ops.extend([Op::Push(8), Op::Push(9), Op::Snapshot, op.clone()]);
        ops.extend([Op::Restore(usize::MAX), op.clone(), Op::DropSnapshot(0)]);
    }
    assert!(prop_matches_vec(ops));
}

/// Found by CI: keeping a shared `other` as a snapshot evicts the oldest
/// one, the only other handle to the restored buffer, so `append` finds
/// `self` unique and copies nothing of its own.
#[test]
fn append_after_the_restored_snapshot_is_evicted() {
    let ops = vec![
        Op::Append {
            other: vec![4, 13, 4, 12, 9],
            other_shared: true,
        },
        Op::Append {
            other: vec![0, 12],
            other_shared: true,
        },
        Op::Append {
            other: vec![15],
            other_shared: true,
        },
        Op::Append {
            other: vec![],
            other_shared: true,
        },
        Op::Snapshot,
        Op::Snapshot,
        Op::Restore(0),
        Op::Append {
            other: vec![2, 8, 2],
            other_shared: true,
        },
    ];
    assert!(prop_matches_vec(ops));
}
