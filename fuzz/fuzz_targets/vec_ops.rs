//! Differential fuzzing of `CowVec<E>` against a `Vec<u32>` model, with
//! snapshots (clones that must keep their contents), owned iterators, and
//! clones that panic on demand.
//!
//! After every operation: the contents equal the model, every snapshot
//! equals the copy taken with it, `is_unique` agrees with the snapshots, and
//! the number of live elements equals the sum of the lengths of the distinct
//! buffers. At the end, once everything is dropped: no element alive.
//!
//! On an injected panic: an operation that copies a shared buffer must leave
//! the vector as it was (asserted); an operation that was part-way through an
//! in-place change (`resize`, `extend` by reference, `retain` with a
//! panicking predicate, a consumed owned iterator) is checked against what it
//! may have done, and the model is then taken from the vector.

#![no_main]

use std::mem;

use arbitrary::Arbitrary;
use arcow::CowVec;
use arcow_fuzz::{arm, guarded, live, same, start, vals, Injected, E};
use libfuzzer_sys::fuzz_target;

/// Longest `resize` target.
const MAX_RESIZE: usize = 64;
/// Longest slice an operation appends.
const MAX_SLICE: usize = 16;
/// Most snapshots kept at once.
const MAX_SNAPS: usize = 8;

#[derive(Arbitrary, Debug)]
enum Op {
    Push(u16),
    Pop,
    Insert(u8, u16),
    Remove(u8),
    SwapRemove(u8),
    Truncate(u8),
    Clear,
    ExtendFromSlice(Vec<u16>),
    /// `Extend<&T>`: clones one by one, keeps what it appended on a panic.
    ExtendRef(Vec<u16>),
    /// Keeps call `i` iff bit `i % 64` of `keep`; the predicate panics on
    /// call `panic_at`.
    Retain {
        keep: u64,
        panic_at: Option<u8>,
    },
    Resize(u8, u16),
    Reserve(u8),
    MakeMutWrite(u8, u16),
    Snapshot,
    DropSnapshot(u8),
    /// `make_mut` on a snapshot: the main vector must not see it.
    WriteSnapshot(u8, u8, u16),
    /// `into_vec` of a clone (shared: clones) or of the vector itself
    /// (moves if unique), which is then rebuilt with `From<Vec<T>>`.
    IntoVec {
        of_clone: bool,
    },
    /// The owned iterator of a clone or of the vector itself: `front` items
    /// from the front, `back` from the back, then the rest collected back
    /// into the vector, or the iterator dropped part-way.
    IntoIter {
        of_clone: bool,
        front: u8,
        back: u8,
        collect_rest: bool,
    },
    FromSlice(Vec<u16>),
    /// The n-th clone from now panics (0 disarms).
    ArmPanic(u8),
    // Issue 16's methods; ranges are `(a, b)` reduced into `0..=len` and
    // ordered.
    /// `drain(range)`: `front` items from the front, `back` from the back.
    Drain {
        a: u8,
        b: u8,
        front: u8,
        back: u8,
    },
    /// `splice(range, items)`, `take` removed items taken; `exact`: the
    /// items' size hint is exact, else `(0, _)`.
    Splice {
        a: u8,
        b: u8,
        items: Vec<u16>,
        take: u8,
        exact: bool,
    },
    /// `append(&mut other)`, `other` shared with a snapshot or not.
    Append {
        other: Vec<u16>,
        other_shared: bool,
    },
    SplitOff {
        at: u8,
        keep_tail: bool,
    },
    Dedup,
    /// `dedup_by_key(|e| e.get() / (div + 1))`.
    DedupByKey(u8),
    ExtendFromWithin(u8, u8),
    /// `retain_mut`: keeps call `i` iff bit `i % 64` of `keep`, adding
    /// `add` to each element it looks at.
    RetainMut {
        keep: u64,
        add: u8,
    },
    ResizeWith(u8),
    PopIf(bool),
    ReserveExact(u8),
    TryReserve {
        n: u8,
        exact: bool,
    },
    ShrinkTo(u8),
    IntoBoxedSlice {
        of_clone: bool,
    },
}

fn range_in(a: u8, b: u8, len: usize) -> std::ops::Range<usize> {
    let (a, b) = (usize::from(a) % (len + 1), usize::from(b) % (len + 1));
    a.min(b)..a.max(b)
}

/// After an injected panic in an operation that either did nothing or
/// finished (a panicking clone in a draining iterator's yield, after the
/// copy: unwinding drops the iterator, which completes the operation).
fn unchanged_or(v: &CowVec<E>, old: &[u32], after: &[u32], what: &str) {
    let now = vals(v);
    assert!(
        now == old || now == after,
        "{what}: after a panic {now:?} is neither {old:?} nor {after:?}"
    );
}

struct State {
    v: CowVec<E>,
    model: Vec<u32>,
    snaps: Vec<(CowVec<E>, Vec<u32>)>,
}

fn elems(xs: &[u16]) -> Vec<E> {
    xs.iter()
        .take(MAX_SLICE)
        .map(|&x| E::new(x.into()))
        .collect()
}

fn model_of(xs: &[u16]) -> Vec<u32> {
    xs.iter().take(MAX_SLICE).map(|&x| x.into()).collect()
}

/// After an injected panic in an operation that may only have copied.
fn unchanged(v: &CowVec<E>, old: &[u32], what: &str) {
    assert_eq!(vals(v), old, "{what}: changed by a panicking clone");
}

fn keeps(keep: u64, call: usize) -> bool {
    keep >> (call % 64) & 1 == 1
}

impl State {
    fn check(&self) {
        // (Compared without allocating; the values are printed on failure.)
        assert!(
            same(&self.v, &self.model),
            "contents differ from the model: {:?} != {:?}",
            vals(&self.v),
            self.model
        );
        assert!(self.v.capacity() >= self.v.len());
        for (i, (s, m)) in self.snaps.iter().enumerate() {
            assert!(same(s, m), "snapshot {i} changed: {:?} != {m:?}", vals(s));
        }
        let shares = self
            .snaps
            .iter()
            .any(|(s, _)| s.capacity() > 0 && s.ptr_eq(&self.v));
        assert_eq!(!self.v.is_unique(), shares, "is_unique disagrees");
        // Every element alive is in exactly one buffer.
        let mut bufs: Vec<(*const E, usize)> = std::iter::once(&self.v)
            .chain(self.snaps.iter().map(|(s, _)| s))
            .filter(|s| !s.is_empty())
            .map(|s| (s.as_ptr(), s.len()))
            .collect();
        bufs.sort();
        bufs.dedup();
        let in_bufs: usize = bufs.iter().map(|b| b.1).sum();
        assert_eq!(
            live(),
            in_bufs as isize,
            "live elements != elements in buffers"
        );
    }

    fn apply(&mut self, op: Op) {
        let old = self.model.clone();
        let len = old.len();
        let State { v, model, snaps } = self;
        let shared = !v.is_unique();
        match op {
            Op::Push(x) => match guarded(|| v.push(E::new(x.into()))) {
                Ok(()) => model.push(x.into()),
                Err(Injected) => {
                    assert!(shared, "push panicked on a unique buffer");
                    unchanged(v, &old, "push");
                }
            },
            Op::Pop => match guarded(|| v.pop().map(|e| e.get())) {
                Ok(got) => assert_eq!(got, model.pop()),
                Err(Injected) => {
                    assert!(shared);
                    unchanged(v, &old, "pop");
                }
            },
            Op::Insert(i, x) => {
                let i = usize::from(i) % (len + 1);
                match guarded(|| v.insert(i, E::new(x.into()))) {
                    Ok(()) => model.insert(i, x.into()),
                    Err(Injected) => {
                        assert!(shared);
                        unchanged(v, &old, "insert");
                    }
                }
            }
            Op::Remove(_) | Op::SwapRemove(_) if len == 0 => {}
            Op::Remove(i) => {
                let i = usize::from(i) % len;
                match guarded(|| v.remove(i).get()) {
                    Ok(got) => assert_eq!(got, model.remove(i)),
                    Err(Injected) => {
                        assert!(shared);
                        unchanged(v, &old, "remove");
                    }
                }
            }
            Op::SwapRemove(i) => {
                let i = usize::from(i) % len;
                match guarded(|| v.swap_remove(i).get()) {
                    Ok(got) => assert_eq!(got, model.swap_remove(i)),
                    Err(Injected) => {
                        assert!(shared);
                        unchanged(v, &old, "swap_remove");
                    }
                }
            }
            Op::Truncate(n) => {
                let n = usize::from(n);
                match guarded(|| v.truncate(n)) {
                    Ok(()) => model.truncate(n),
                    Err(Injected) => {
                        assert!(shared && n > 0 && n < len);
                        unchanged(v, &old, "truncate");
                    }
                }
            }
            Op::Clear => match guarded(|| v.clear()) {
                Ok(()) => model.clear(),
                Err(Injected) => panic!("clear cloned"),
            },
            Op::ExtendFromSlice(xs) => {
                match guarded(|| v.extend_from_slice(&elems(&xs))) {
                    Ok(()) => model.extend(model_of(&xs)),
                    // Either the copy or a clone of `xs` panicked: no
                    // element appended.
                    Err(Injected) => unchanged(v, &old, "extend_from_slice"),
                }
            }
            Op::ExtendRef(xs) => match guarded(|| v.extend(elems(&xs).iter())) {
                Ok(()) => model.extend(model_of(&xs)),
                Err(Injected) => {
                    // Some prefix of `xs` appended, not all of it.
                    let now = vals(v);
                    let xs = model_of(&xs);
                    assert!(now.len() >= len && now.len() < len + xs.len());
                    assert_eq!(now[..len], old[..], "extend: old elements changed");
                    assert_eq!(now[len..], xs[..now.len() - len], "extend: wrong tail");
                    *model = now;
                }
            },
            Op::Retain { keep, panic_at } => {
                let mut call = 0;
                let r = guarded(|| {
                    v.retain(|e| {
                        let _ = e.get();
                        if panic_at.map(usize::from) == Some(call) {
                            std::panic::panic_any(Injected);
                        }
                        call += 1;
                        keeps(keep, call - 1)
                    })
                });
                match r {
                    Ok(()) => {
                        let mut i = 0;
                        model.retain(|_| {
                            i += 1;
                            keeps(keep, i - 1)
                        });
                    }
                    Err(Injected) if shared => unchanged(v, &old, "retain (shared)"),
                    Err(Injected) => {
                        // Unique: only the predicate can panic. The elements
                        // before the panicking call are filtered, the rest
                        // kept.
                        let k = usize::from(
                            panic_at.expect("retain panicked without a predicate panic"),
                        );
                        assert!(k < len);
                        let mut want: Vec<u32> =
                            (0..k).filter(|&i| keeps(keep, i)).map(|i| old[i]).collect();
                        want.extend_from_slice(&old[k..]);
                        assert_eq!(vals(v), want, "retain: wrong state after a panic");
                        *model = want;
                    }
                }
            }
            Op::Resize(n, x) => {
                let n = usize::from(n) % (MAX_RESIZE + 1);
                match guarded(|| v.resize(n, E::new(x.into()))) {
                    Ok(()) => model.resize(n, x.into()),
                    Err(Injected) if n <= len => {
                        assert!(shared);
                        unchanged(v, &old, "resize (shrinking)");
                    }
                    Err(Injected) => {
                        // The copy panicked (no change) or the k-th clone of
                        // the value did (k copies appended).
                        let now = vals(v);
                        assert!(now.len() >= len && now.len() < n);
                        assert_eq!(now[..len], old[..], "resize: old elements changed");
                        assert!(now[len..].iter().all(|&y| y == u32::from(x)));
                        *model = now;
                    }
                }
            }
            Op::Reserve(n) => {
                let n = usize::from(n) % 32;
                match guarded(|| v.reserve(n)) {
                    Ok(()) => assert!(v.capacity() >= len + n),
                    Err(Injected) => {
                        assert!(shared && n > 0);
                        unchanged(v, &old, "reserve");
                    }
                }
            }
            Op::MakeMutWrite(i, x) => {
                let r = guarded(|| {
                    let s = v.make_mut();
                    if !s.is_empty() {
                        let i = usize::from(i) % s.len();
                        s[i].set(x.into());
                    }
                });
                match r {
                    Ok(()) => {
                        if len > 0 {
                            let i = usize::from(i) % len;
                            model[i] = x.into();
                            assert!(v.is_unique(), "make_mut left the buffer shared");
                        }
                    }
                    Err(Injected) => {
                        assert!(shared);
                        unchanged(v, &old, "make_mut");
                    }
                }
            }
            Op::Snapshot => {
                if snaps.len() == MAX_SNAPS {
                    snaps.remove(0);
                }
                snaps.push((v.clone(), old));
            }
            Op::DropSnapshot(i) => {
                if !snaps.is_empty() {
                    let i = usize::from(i) % snaps.len();
                    snaps.remove(i);
                }
            }
            Op::WriteSnapshot(i, j, x) => {
                if !snaps.is_empty() {
                    let i = usize::from(i) % snaps.len();
                    let (s, m) = &mut snaps[i];
                    let s_old = m.clone();
                    let s_shared = !s.is_unique();
                    let r = guarded(|| {
                        let sl = s.make_mut();
                        if !sl.is_empty() {
                            let j = usize::from(j) % sl.len();
                            sl[j].set(x.into());
                        }
                    });
                    match r {
                        Ok(()) => {
                            if !m.is_empty() {
                                let j = usize::from(j) % m.len();
                                m[j] = x.into();
                            }
                        }
                        Err(Injected) => {
                            assert!(s_shared);
                            assert_eq!(vals(s), s_old, "snapshot make_mut: changed by a panic");
                        }
                    }
                }
            }
            Op::IntoVec { of_clone } => {
                let r = guarded(|| {
                    let src = if of_clone { v.clone() } else { mem::take(v) };
                    let out = src.into_vec();
                    let got = vals(&out);
                    if !of_clone {
                        *v = CowVec::from(out);
                    }
                    got
                });
                match r {
                    Ok(got) => assert_eq!(got, old, "into_vec"),
                    Err(Injected) => {
                        // Only a shared `into_vec` clones.
                        assert!(of_clone || shared);
                        if of_clone {
                            unchanged(v, &old, "into_vec of a clone");
                        } else {
                            assert!(v.is_empty(), "into_vec: the taken vector came back");
                            model.clear();
                        }
                    }
                }
            }
            Op::IntoIter {
                of_clone,
                front,
                back,
                collect_rest,
            } => {
                let front = usize::from(front % 8).min(len);
                let back = usize::from(back % 8).min(len - front);
                let r = guarded(|| {
                    let src = if of_clone { v.clone() } else { mem::take(v) };
                    let mut it = src.into_iter();
                    assert_eq!(it.len(), len);
                    let heads: Vec<u32> = (&mut it).take(front).map(|e| e.get()).collect();
                    let tails: Vec<u32> =
                        (0..back).map(|_| it.next_back().unwrap().get()).collect();
                    assert_eq!(it.len(), len - front - back);
                    let middle = vals(it.as_slice());
                    let rest = if collect_rest {
                        Some(it.collect::<CowVec<E>>())
                    } else {
                        drop(it);
                        None
                    };
                    (heads, tails, middle, rest)
                });
                match r {
                    Ok((heads, tails, middle, rest)) => {
                        assert_eq!(heads, old[..front]);
                        let mut want_tails = old[len - back..].to_vec();
                        want_tails.reverse();
                        assert_eq!(tails, want_tails);
                        assert_eq!(middle, old[front..len - back]);
                        if let Some(rest) = &rest {
                            assert_eq!(vals(rest), middle);
                        }
                        if !of_clone {
                            *model = if collect_rest { middle } else { Vec::new() };
                            *v = rest.unwrap_or_default();
                        }
                    }
                    Err(Injected) => {
                        // An owned iterator over a unique buffer never clones.
                        assert!(of_clone || shared);
                        if of_clone {
                            unchanged(v, &old, "iterator over a clone");
                        } else {
                            assert!(v.is_empty(), "into_iter: the taken vector came back");
                            model.clear();
                        }
                    }
                }
            }
            Op::FromSlice(xs) => match guarded(|| *v = CowVec::from(&elems(&xs)[..])) {
                Ok(()) => *model = model_of(&xs),
                Err(Injected) => unchanged(v, &old, "From<&[T]>"),
            },
            Op::ArmPanic(n) => arm(u32::from(n % 17)),
            Op::Drain { a, b, front, back } => {
                let r = range_in(a, b, len);
                let mut after = old.clone();
                let mut md = after.drain(r.clone());
                let front = usize::from(front % 8);
                let back = usize::from(back % 8);
                let mut want: Vec<u32> = (&mut md).take(front).collect();
                want.extend((&mut md).rev().take(back));
                drop(md);
                let res = guarded(|| {
                    let mut d = v.drain(r.clone());
                    assert_eq!(vals(d.as_slice()), old[r.clone()]);
                    let mut got: Vec<u32> = (&mut d).take(front).map(|e| e.get()).collect();
                    got.extend((&mut d).rev().take(back).map(|e| e.get()));
                    got
                });
                match res {
                    Ok(got) => {
                        assert_eq!(got, want, "drained items");
                        *model = after;
                    }
                    Err(Injected) => {
                        assert!(shared, "drain panicked on a unique buffer");
                        unchanged_or(v, &old, &after, "drain");
                        *model = vals(v);
                    }
                }
            }
            Op::Splice {
                a,
                b,
                items,
                take,
                exact,
            } => {
                let r = range_in(a, b, len);
                let take = usize::from(take % 8);
                let mut after = old.clone();
                let want: Vec<u32> = after
                    .splice(r.clone(), model_of(&items))
                    .take(take)
                    .collect();
                let res = guarded(|| {
                    let new = elems(&items);
                    if exact {
                        let s = v.splice(r.clone(), new);
                        s.take(take).map(|e| e.get()).collect::<Vec<u32>>()
                    } else {
                        let s = v.splice(r.clone(), new.into_iter().filter(|_| true));
                        s.take(take).map(|e| e.get()).collect::<Vec<u32>>()
                    }
                });
                match res {
                    Ok(got) => {
                        assert_eq!(got, want, "spliced-out items");
                        *model = after;
                    }
                    Err(Injected) => {
                        assert!(shared, "splice panicked on a unique buffer");
                        unchanged_or(v, &old, &after, "splice");
                        *model = vals(v);
                    }
                }
            }
            Op::Append {
                other,
                other_shared,
            } => {
                let mut o: CowVec<E> = elems(&other).into_iter().collect();
                let om = model_of(&other);
                if other_shared {
                    if snaps.len() == MAX_SNAPS {
                        snaps.remove(0);
                    }
                    snaps.push((o.clone(), om.clone()));
                }
                match guarded(|| v.append(&mut o)) {
                    Ok(()) => {
                        assert!(o.is_empty());
                        model.extend_from_slice(&om);
                    }
                    Err(Injected) => {
                        assert!(shared || other_shared, "append cloned nothing shared");
                        unchanged(v, &old, "append");
                        assert_eq!(vals(&o), om, "append: other changed by a panic");
                    }
                }
            }
            Op::SplitOff { at, keep_tail } => {
                let at = usize::from(at) % (len + 1);
                match guarded(|| {
                    let tail = v.split_off(at);
                    assert_eq!(vals(&tail), old[at..], "split_off tail");
                    if keep_tail {
                        *v = tail;
                    }
                }) {
                    Ok(()) => {
                        *model = if keep_tail {
                            old[at..].to_vec()
                        } else {
                            old[..at].to_vec()
                        }
                    }
                    Err(Injected) => {
                        assert!(shared);
                        unchanged(v, &old, "split_off");
                    }
                }
            }
            Op::Dedup => match guarded(|| v.dedup()) {
                Ok(()) => model.dedup(),
                Err(Injected) => {
                    assert!(shared);
                    unchanged(v, &old, "dedup");
                }
            },
            Op::DedupByKey(div) => {
                let div = u32::from(div) + 1;
                match guarded(|| v.dedup_by_key(|e| e.get() / div)) {
                    Ok(()) => model.dedup_by_key(|x| *x / div),
                    Err(Injected) => {
                        assert!(shared);
                        unchanged(v, &old, "dedup_by_key");
                    }
                }
            }
            Op::ExtendFromWithin(a, b) => {
                let r = range_in(a, b, len);
                match guarded(|| v.extend_from_within(r.clone())) {
                    Ok(()) => model.extend_from_within(r),
                    Err(Injected) => unchanged(v, &old, "extend_from_within"),
                }
            }
            Op::RetainMut { keep, add } => {
                let add = u32::from(add % 4);
                let mut call = 0;
                let r = guarded(|| {
                    v.retain_mut(|e| {
                        e.set(e.get() + add);
                        call += 1;
                        keeps(keep, call - 1)
                    })
                });
                match r {
                    Ok(()) => {
                        let mut i = 0;
                        model.retain_mut(|x| {
                            *x += add;
                            i += 1;
                            keeps(keep, i - 1)
                        });
                    }
                    Err(Injected) => {
                        assert!(shared);
                        unchanged(v, &old, "retain_mut");
                    }
                }
            }
            Op::ResizeWith(n) => {
                let n = usize::from(n) % (MAX_RESIZE + 1);
                let mut k = 0u32;
                match guarded(|| {
                    v.resize_with(n, || {
                        k += 1;
                        E::new(1000 + k)
                    })
                }) {
                    Ok(()) => {
                        let mut k = 0u32;
                        model.resize_with(n, || {
                            k += 1;
                            1000 + k
                        });
                    }
                    Err(Injected) => {
                        assert!(shared);
                        unchanged(v, &old, "resize_with");
                    }
                }
            }
            Op::PopIf(pop) => match guarded(|| v.pop_if(|_| pop).map(|e| e.get())) {
                Ok(got) => {
                    let want = model.pop_if(|_| pop);
                    assert_eq!(got, want, "pop_if");
                }
                Err(Injected) => {
                    assert!(shared);
                    unchanged(v, &old, "pop_if");
                }
            },
            Op::ReserveExact(n) => {
                let n = usize::from(n) % 32;
                match guarded(|| v.reserve_exact(n)) {
                    Ok(()) => assert!(v.capacity() >= len + n),
                    Err(Injected) => {
                        assert!(shared && n > 0);
                        unchanged(v, &old, "reserve_exact");
                    }
                }
            }
            Op::TryReserve { n, exact } => {
                let n = usize::from(n) % 32;
                let r = guarded(|| {
                    assert!(v.try_reserve(usize::MAX).is_err());
                    if exact {
                        v.try_reserve_exact(n)
                    } else {
                        v.try_reserve(n)
                    }
                });
                match r {
                    Ok(res) => {
                        res.expect("try_reserve failed for a small size");
                        assert!(v.capacity() >= len + n);
                    }
                    Err(Injected) => {
                        assert!(shared && n > 0);
                        unchanged(v, &old, "try_reserve");
                    }
                }
            }
            Op::ShrinkTo(n) => {
                let n = usize::from(n) % 32;
                let cap = v.capacity();
                match guarded(|| v.shrink_to(n)) {
                    Ok(()) => assert!(v.capacity() <= cap.max(n) && v.capacity() >= len),
                    Err(Injected) => panic!("shrink_to cloned"),
                }
            }
            Op::IntoBoxedSlice { of_clone } => {
                let r = guarded(|| {
                    let src = if of_clone { v.clone() } else { mem::take(v) };
                    let b = src.into_boxed_slice();
                    let got = vals(&b);
                    if !of_clone {
                        *v = CowVec::from(Vec::from(b));
                    }
                    got
                });
                match r {
                    Ok(got) => assert_eq!(got, old, "into_boxed_slice"),
                    Err(Injected) => {
                        assert!(of_clone || shared);
                        if of_clone {
                            unchanged(v, &old, "into_boxed_slice of a clone");
                        } else {
                            assert!(v.is_empty());
                            model.clear();
                        }
                    }
                }
            }
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    start();
    {
        let mut st = State {
            v: CowVec::new(),
            model: Vec::new(),
            snaps: Vec::new(),
        };
        for op in ops {
            st.apply(op);
            st.check();
        }
        arm(0);
    }
    assert_eq!(live(), 0, "leak or double drop");
});
