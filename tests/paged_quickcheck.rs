//! A quickcheck differential test of `PagedCowVec<T>` against `Vec<T>`.
//!
//! A random sequence of operations runs on a real `PagedCowVec` and on a
//! model `Vec<u64>` of element keys, together with a handful of snapshots
//! (clones of the vector, each kept with a `Vec` copy of its contents at the
//! time). After every step the vector must equal the model (`iter`, `len`,
//! `get`, `Index`, `pages`), and every snapshot must still equal what it was
//! when it was taken: a write to one handle never shows through another.
//!
//! Three element types put the page and node boundaries at very different
//! lengths: `u8` (4096 elements a page), `u64` (512) and `Big`, a 4 KiB
//! element (1 a page), for which an inner node fills at 64 elements and the
//! tree gets a third level past 4096. Lengths are drawn near those boundaries
//! on purpose (`Resize` to `m * page_elems() + d` for `m` around 1, 64 and
//! 4096), and a deterministic test walks `Big` up past 64 * 64 pages and back.

use std::fmt;

use arcow::{CowVec, PagedCowVec};
use quickcheck::{Arbitrary, Gen, QuickCheck};

/// An element type, seen through a `u64` key that the model stores.
trait Elem: Clone + fmt::Debug + PartialEq + 'static {
    fn make(key: u64) -> Self;
    fn key(&self) -> u64;
}

impl Elem for u8 {
    fn make(key: u64) -> u8 {
        key as u8
    }
    fn key(&self) -> u64 {
        u64::from(*self)
    }
}

impl Elem for u64 {
    fn make(key: u64) -> u64 {
        key
    }
    fn key(&self) -> u64 {
        *self
    }
}

/// Words in a [`Big`]: 4 KiB, or just over 2 KiB under Miri (cheaper to
/// copy there); either way a page holds one.
const BIG_WORDS: usize = if cfg!(miri) { 257 } else { 512 };

/// A big element: pages of one element each, so inner nodes fill after 64
/// elements and the tree needs three levels past 4096.
#[derive(Clone, PartialEq)]
struct Big([u64; BIG_WORDS]);

impl fmt::Debug for Big {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Big({})", self.0[0])
    }
}

impl Elem for Big {
    fn make(key: u64) -> Big {
        Big([key; BIG_WORDS])
    }
    fn key(&self) -> u64 {
        // Both ends, so a torn or half-copied element shows.
        assert_eq!(self.0[0], self.0[BIG_WORDS - 1], "a torn Big");
        self.0[0]
    }
}

/// A length drawn near a page or node boundary: `m * page_elems() + d`,
/// clamped to `[0, max_len]` when used.
#[derive(Clone, Copy, Debug)]
struct Near {
    m: usize,
    d: isize,
}

impl Near {
    fn len<T>(self, max_len: usize) -> usize {
        let pe = PagedCowVec::<T>::page_elems();
        let base = self.m.saturating_mul(pe) as isize;
        (base + self.d).clamp(0, max_len as isize) as usize
    }
}

impl Arbitrary for Near {
    fn arbitrary(g: &mut Gen) -> Near {
        // Pages: within the first few, and around the first and second
        // level's capacity of an inner node (64 and 4096 pages).
        let ms = [
            0, 1, 1, 2, 3, 5, 63, 64, 65, 127, 128, 129, 4095, 4096, 4097,
        ];
        let m = *g.choose(&ms).unwrap();
        let d = isize::from(i8::arbitrary(g) % 4);
        Near { m, d }
    }
}

/// One step on the vector (and the model).
#[derive(Clone, Debug)]
enum Op {
    Push(u64),
    Pop,
    /// `set(pos % len, value)`, checking the old value returned.
    Set {
        pos: usize,
        value: u64,
    },
    /// `*get_mut(pos % len) = value`.
    GetMut {
        pos: usize,
        value: u64,
    },
    /// `get_mut(len + pos % 3)` is `None` and copies nothing.
    GetMutPastEnd {
        pos: usize,
    },
    /// `get(pos % (len + 2))`, compared with the model.
    Get {
        pos: usize,
    },
    /// `truncate(pos % (len + 2))`.
    Truncate {
        pos: usize,
    },
    /// Truncate or extend to a length near a boundary.
    Resize(Near),
    Clear,
    /// `extend` with `n` elements (at most `max_len - len`).
    Extend {
        n: usize,
        start: u64,
    },
    /// `extend` with about `pages` pages' worth plus `extra`.
    ExtendPages {
        pages: usize,
        extra: usize,
        start: u64,
    },
    /// Keep a clone as a snapshot.
    Snapshot,
    /// Drop snapshot `i % snapshots`.
    DropSnapshot(usize),
    /// Replace the vector with a clone of snapshot `i % snapshots`, so the
    /// next writes land on a shared tree.
    Restore(usize),
    /// `to_vec`, compared with the model.
    ToVec,
    /// A partly consumed `iter` finished with `fold`, and `size_hint`.
    Iter {
        skip: usize,
    },
    /// `pages()` compared with the model's chunks.
    Pages,
    /// Rebuild through `From<Vec>`, `From<CowVec>` or `collect`.
    Rebuild(u8),
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Op {
        let pos = usize::arbitrary(g);
        let value = u64::from(u16::arbitrary(g));
        let kinds: [u8; 24] = [
            0, 0, 1, 2, 2, 2, 3, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 11, 12, 13, 14, 15, 16, 17,
        ];
        match *g.choose(&kinds).unwrap() {
            0 => Op::Push(value),
            1 => Op::Pop,
            2 => Op::Set { pos, value },
            3 => Op::GetMut { pos, value },
            4 => Op::GetMutPastEnd { pos },
            5 => Op::Get { pos },
            6 => Op::Truncate { pos },
            7 => Op::Resize(Near::arbitrary(g)),
            8 => Op::Clear,
            9 => Op::Extend {
                n: usize::arbitrary(g) % 20,
                start: value,
            },
            10 => Op::ExtendPages {
                pages: usize::arbitrary(g) % 4,
                extra: usize::arbitrary(g) % 5,
                start: value,
            },
            11 => Op::Snapshot,
            12 => Op::DropSnapshot(pos),
            13 => Op::Restore(pos),
            14 => Op::ToVec,
            15 => Op::Iter { skip: pos },
            16 => Op::Pages,
            _ => Op::Rebuild(u8::arbitrary(g) % 3),
        }
    }
}

/// At most this many snapshots are kept (older ones are dropped first).
const MAX_SNAPSHOTS: usize = 4;

/// The vector, its model and the snapshots, stepped together.
struct Harness<T> {
    v: PagedCowVec<T>,
    model: Vec<u64>,
    snapshots: Vec<(PagedCowVec<T>, Vec<u64>)>,
    /// Lengths are kept at or below this.
    max_len: usize,
}

/// The key each element of `0..n` from `start` gets (as `T::make` keeps it).
fn keys<T: Elem>(start: u64, n: usize) -> impl Iterator<Item = u64> {
    (0..n as u64).map(move |i| T::make(start.wrapping_add(i)).key())
}

/// Checks `v` against `model` in every way there is to read it.
fn check<T: Elem>(v: &PagedCowVec<T>, model: &[u64], what: &str) {
    let pe = PagedCowVec::<T>::page_elems();
    let len = model.len();
    assert_eq!(v.len(), len, "{what}: len");
    assert_eq!(v.is_empty(), len == 0, "{what}: is_empty");
    assert_eq!(v.iter().len(), len, "{what}: iter().len()");
    assert!(
        v.iter().map(T::key).eq(model.iter().copied()),
        "{what}: contents"
    );
    // A few indices: both ends, the page boundaries around the middle, past
    // the end.
    let mut probes = vec![0, len / 2, len.saturating_sub(1), len, len + 1];
    for i in [len / 2 / pe * pe, (len / 2 / pe * pe).wrapping_sub(1)] {
        probes.push(i);
    }
    for i in probes {
        match model.get(i) {
            Some(&k) => {
                assert_eq!(v.get(i).map(T::key), Some(k), "{what}: get({i})");
                assert_eq!(v[i].key(), k, "{what}: [{i}]");
            }
            None => assert!(v.get(i).is_none(), "{what}: get({i}) past the end"),
        }
    }
    // Pages: every one but the last full, the last 1..=pe, in order.
    let pages: Vec<&[T]> = v.pages().collect();
    assert_eq!(pages.len(), len.div_ceil(pe), "{what}: page count");
    for (n, p) in pages.iter().enumerate() {
        if n + 1 < pages.len() {
            assert_eq!(p.len(), pe, "{what}: page {n} is not full");
        } else {
            assert!((1..=pe).contains(&p.len()), "{what}: last page {}", p.len());
        }
    }
    assert!(
        pages
            .iter()
            .flat_map(|p| p.iter())
            .map(T::key)
            .eq(model.iter().copied()),
        "{what}: pages' contents"
    );
}

impl<T: Elem> Harness<T> {
    fn new(max_len: usize) -> Harness<T> {
        Harness {
            v: PagedCowVec::new(),
            model: Vec::new(),
            snapshots: Vec::new(),
            max_len,
        }
    }

    fn room(&self) -> usize {
        self.max_len - self.model.len()
    }

    fn extend(&mut self, n: usize, start: u64) {
        let n = n.min(self.room());
        self.v
            .extend((0..n as u64).map(|i| T::make(start.wrapping_add(i))));
        self.model.extend(keys::<T>(start, n));
    }

    fn truncate(&mut self, len: usize) {
        self.v.truncate(len);
        self.model.truncate(len);
    }

    fn step(&mut self, op: &Op) {
        let len = self.model.len();
        match *op {
            Op::Push(value) => {
                if len < self.max_len {
                    self.v.push(T::make(value));
                    self.model.push(T::make(value).key());
                }
            }
            Op::Pop => {
                assert_eq!(self.v.pop().map(|x| x.key()), self.model.pop());
            }
            Op::Set { pos, value } => {
                if len > 0 {
                    let i = pos % len;
                    let old = self.v.set(i, T::make(value));
                    assert_eq!(old.key(), self.model[i], "set({i}) returned");
                    self.model[i] = T::make(value).key();
                }
            }
            Op::GetMut { pos, value } => {
                if len > 0 {
                    let i = pos % len;
                    let slot = self.v.get_mut(i).expect("get_mut in bounds");
                    assert_eq!(slot.key(), self.model[i]);
                    *slot = T::make(value);
                    self.model[i] = T::make(value).key();
                }
            }
            Op::GetMutPastEnd { pos } => {
                // Nothing to write, so nothing is copied: still shared.
                let before = self.v.clone();
                assert!(self.v.get_mut(len + pos % 3).is_none());
                assert!(self.v.ptr_eq(&before), "get_mut past the end unshared");
            }
            Op::Get { pos } => {
                let i = pos % (len + 2);
                assert_eq!(self.v.get(i).map(T::key), self.model.get(i).copied());
            }
            Op::Truncate { pos } => self.truncate(pos % (len + 2)),
            Op::Resize(near) => {
                let target = near.len::<T>(self.max_len);
                if target < len {
                    self.truncate(target);
                } else {
                    self.extend(target - len, target as u64);
                }
            }
            Op::Clear => {
                self.v.clear();
                self.model.clear();
            }
            Op::Extend { n, start } => self.extend(n, start),
            Op::ExtendPages {
                pages,
                extra,
                start,
            } => self.extend(pages * PagedCowVec::<T>::page_elems() + extra, start),
            Op::Snapshot => {
                if self.snapshots.len() == MAX_SNAPSHOTS {
                    self.snapshots.remove(0);
                }
                let snap = self.v.clone();
                assert!(snap.ptr_eq(&self.v));
                assert!(snap == self.v);
                self.snapshots.push((snap, self.model.clone()));
            }
            Op::DropSnapshot(i) => {
                if !self.snapshots.is_empty() {
                    let i = i % self.snapshots.len();
                    self.snapshots.remove(i);
                }
            }
            Op::Restore(i) => {
                if !self.snapshots.is_empty() {
                    let i = i % self.snapshots.len();
                    self.v = self.snapshots[i].0.clone();
                    self.model = self.snapshots[i].1.clone();
                }
            }
            Op::ToVec => {
                let out = self.v.to_vec();
                assert!(out.iter().map(T::key).eq(self.model.iter().copied()));
            }
            Op::Iter { skip } => {
                let skip = skip % (len + 1);
                let mut it = self.v.iter();
                for _ in 0..skip {
                    it.next();
                }
                assert_eq!(it.size_hint(), (len - skip, Some(len - skip)));
                let rest = it.fold(Vec::new(), |mut acc, x| {
                    acc.push(x.key());
                    acc
                });
                assert_eq!(rest, self.model[skip..]);
                let mut it = self.v.iter();
                it.by_ref().for_each(drop);
                assert!(it.next().is_none(), "iter is fused");
            }
            Op::Pages => {
                let pe = PagedCowVec::<T>::page_elems();
                let pages: Vec<Vec<u64>> = self
                    .v
                    .pages()
                    .map(|p| p.iter().map(T::key).collect())
                    .collect();
                let chunks: Vec<Vec<u64>> = self.model.chunks(pe).map(<[u64]>::to_vec).collect();
                assert_eq!(pages, chunks);
                let mut it = self.v.pages();
                it.by_ref().for_each(drop);
                assert!(it.next().is_none(), "pages is fused");
            }
            Op::Rebuild(how) => {
                let items = self.v.to_vec();
                let rebuilt: PagedCowVec<T> = match how {
                    0 => PagedCowVec::from(items),
                    1 => PagedCowVec::from(CowVec::from(items)),
                    _ => items.into_iter().collect(),
                };
                assert!(rebuilt == self.v);
                assert!(!rebuilt.ptr_eq(&self.v) || len == 0);
                self.v = rebuilt;
            }
        }
    }

    fn check_all(&self, op: &Op) {
        check(&self.v, &self.model, &format!("after {op:?}: vector"));
        for (n, (snap, model)) in self.snapshots.iter().enumerate() {
            check(snap, model, &format!("after {op:?}: snapshot {n}"));
        }
    }

    fn run(max_len: usize, ops: &[Op]) {
        let mut h = Harness::<T>::new(max_len);
        for op in ops {
            h.step(op);
            h.check_all(op);
        }
        // The snapshots survive the vector, and the last one survives the
        // others.
        drop(h.v);
        for (snap, model) in &h.snapshots {
            check(snap, model, "after dropping the vector");
        }
        if let Some((last, model)) = h.snapshots.pop() {
            h.snapshots.clear();
            check(&last, &model, "the last snapshot, alone");
        }
    }
}

/// Runs `cases` random sequences of up to `size` operations through `prop`.
fn quickcheck(cases: u64, size: usize, prop: fn(Vec<Op>) -> bool) {
    QuickCheck::new()
        .tests(cases)
        .max_tests(cases * 10)
        .rng(Gen::new(size))
        .quickcheck(prop);
}

/// Cases and operations per case: few under Miri.
const CASES: u64 = if cfg!(miri) { 5 } else { 40 };
const SIZE: usize = if cfg!(miri) { 10 } else { 60 };

/// `u8`: 4096 a page. Lengths up to three pages and a bit.
const MAX_LEN_U8: usize = if cfg!(miri) {
    4096 + 40
} else {
    3 * 4096 + 100
};
/// `u64`: 512 a page. Past 64 pages (32768 elements) the tree has two
/// levels.
const MAX_LEN_U64: usize = if cfg!(miri) { 600 } else { 66 * 512 + 100 };
/// `Big`: 1 a page. Past 64 elements two levels; past 4096 three (that is
/// the deterministic test's job, and a few cases of `big_deep`).
const MAX_LEN_BIG: usize = if cfg!(miri) { 70 } else { 3 * 64 + 10 };
const MAX_LEN_BIG_DEEP: usize = if cfg!(miri) { 64 + 10 } else { 64 * 64 + 70 };

#[test]
fn u8_matches_vec() {
    fn prop(ops: Vec<Op>) -> bool {
        Harness::<u8>::run(MAX_LEN_U8, &ops);
        true
    }
    // Under Miri, fewer steps: every check reads 4096 elements.
    quickcheck(CASES, if cfg!(miri) { 8 } else { SIZE }, prop);
}

#[test]
fn u64_matches_vec() {
    fn prop(ops: Vec<Op>) -> bool {
        Harness::<u64>::run(MAX_LEN_U64, &ops);
        true
    }
    quickcheck(CASES, SIZE, prop);
}

#[test]
fn big_matches_vec() {
    fn prop(ops: Vec<Op>) -> bool {
        Harness::<Big>::run(MAX_LEN_BIG, &ops);
        true
    }
    quickcheck(CASES, SIZE, prop);
}

/// `Big` with lengths past 64 * 64 pages: three inner levels. Few cases,
/// each of which moves up to about 17 MB.
#[test]
fn big_deep_matches_vec() {
    fn prop(ops: Vec<Op>) -> bool {
        Harness::<Big>::run(MAX_LEN_BIG_DEEP, &ops);
        true
    }
    // Under Miri the lengths stop past 64 pages (two levels).
    if cfg!(miri) {
        quickcheck(2, SIZE, prop);
    } else {
        quickcheck(12, 30, prop);
    }
}

/// A fixed sequence through every operation, so the harness itself runs the
/// same way every time (and under Miri).
#[test]
fn fixed_sequence() {
    use Op::*;
    let ops = [
        Push(1),
        Snapshot,
        ExtendPages {
            pages: 3,
            extra: 2,
            start: 10,
        },
        Resize(Near { m: 64, d: 1 }),
        Snapshot,
        Set { pos: 0, value: 7 },
        GetMut { pos: 63, value: 8 },
        GetMutPastEnd { pos: 1 },
        Get { pos: 64 },
        Snapshot,
        Pop,
        Pop,
        Restore(1),
        Set { pos: 64, value: 9 },
        Truncate { pos: 30 },
        Iter { skip: 5 },
        Pages,
        ToVec,
        Rebuild(0),
        Rebuild(1),
        Rebuild(2),
        DropSnapshot(0),
        Clear,
        Extend { n: 5, start: 3 },
    ];
    Harness::<Big>::run(MAX_LEN_BIG.max(70), &ops);
}

/// `Big` pushed one by one past 64 * 64 pages (three inner levels), with a
/// snapshot at every level change, written through the snapshots, then
/// popped and truncated back down; every snapshot is checked at each stage.
#[test]
fn big_walks_up_and_down_three_levels() {
    assert_eq!(PagedCowVec::<Big>::page_elems(), 1);
    // Under Miri: past 64 pages (two levels) only.
    let n = if cfg!(miri) { 64 + 6 } else { 64 * 64 + 70 };
    let stops: &[usize] = if cfg!(miri) {
        &[1, 64, 65, 70]
    } else {
        &[1, 2, 63, 64, 65, 66, 4095, 4096, 4097, 4098, 64 * 64 + 70]
    };
    let mut v: PagedCowVec<Big> = PagedCowVec::new();
    let mut model = Vec::new();
    let mut snaps: Vec<(PagedCowVec<Big>, Vec<u64>)> = Vec::new();
    for i in 0..n as u64 {
        v.push(Big::make(i));
        model.push(i);
        if stops.contains(&v.len()) {
            check(&v, &model, &format!("pushed to {}", v.len()));
            snaps.push((v.clone(), model.clone()));
        }
    }
    // Write into every snapshot's first and last element through a clone,
    // and into the vector: nobody else sees it.
    for (snap, model) in &snaps {
        let mut w = snap.clone();
        let last = w.len() - 1;
        w.set(0, Big::make(1_000_000));
        *w.get_mut(last).unwrap() = Big::make(2_000_000);
        let mut wm = model.clone();
        wm[0] = 1_000_000;
        wm[last] = 2_000_000;
        check(&w, &wm, "written clone");
    }
    for (s, m) in &snaps {
        check(s, m, "snapshot after writes to clones");
    }
    for i in (0..n).step_by(97) {
        v.set(i, Big::make(i as u64 + 5));
        model[i] = i as u64 + 5;
    }
    check(&v, &model, "after sets");
    // Down by pops across every stop, then truncate the rest.
    let mut down = n;
    while down > n.saturating_sub(80) {
        assert_eq!(v.pop().map(|x| x.key()), model.pop());
        down -= 1;
        if stops.contains(&down) || down % 16 == 0 {
            check(&v, &model, &format!("popped to {down}"));
        }
    }
    for &to in stops.iter().rev() {
        v.truncate(to);
        model.truncate(to);
        check(&v, &model, &format!("truncated to {to}"));
        for (s, m) in &snaps {
            check(s, m, "snapshot after truncate");
        }
    }
    v.truncate(0);
    model.clear();
    check(&v, &model, "truncated to 0");
    for (s, m) in &snaps {
        check(s, m, "snapshot at the end");
    }
}
