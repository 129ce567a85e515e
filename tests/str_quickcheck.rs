//! A quickcheck differential test of `CowStr` against `String`.
//!
//! A random sequence of edits runs on a `CowStr` and, in parallel, on a
//! `String` model. The pieces pushed and inserted are short and long, with
//! 1- to 4-byte chars, and the indices of `truncate`, `insert` and
//! `insert_str` are random bytes up to two past the end: the `CowStr` must
//! panic exactly when the `String` does, with the same message, and be
//! unchanged then. Clones are kept as snapshots, each with a `String` copy
//! of what it held, and written to on their own.
//!
//! After every step: the text, `len`, `is_empty` and the hash agree with the
//! model; the comparisons with every snapshot agree with the models'; every
//! snapshot still holds its copy; and the form (short or long) is the one
//! the contract gives: a fresh string is short up to 15 bytes, a short one
//! moves to a buffer when it passes 15 bytes, and a long one keeps its
//! buffer whatever it shrinks to.

mod common;

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::mem;

use arcow::CowStr;
use common::strs::{is_inline, outcome, BOUNDARY_PANIC};
use quickcheck::{Arbitrary, Gen, QuickCheck};

// ---------------------------------------------------------------------------
// Generated data
// ---------------------------------------------------------------------------

/// The chars pieces are mostly made of: 1 to 4 bytes of UTF-8.
const POOL: [char; 10] = ['a', 'b', 'z', '0', 'é', 'ß', '€', '中', '😀', '\0'];

/// Lengths (in chars) of a generated piece: around the 15/16-byte boundary
/// in bytes for ASCII and for wider chars.
const PIECE_CHARS: [usize; 13] = [0, 1, 1, 2, 3, 4, 5, 7, 8, 14, 15, 16, 30];

/// A char: mostly from [`POOL`], now and then any char at all.
#[derive(Clone, Copy)]
struct Ch(char);

impl Arbitrary for Ch {
    fn arbitrary(g: &mut Gen) -> Ch {
        if u8::arbitrary(g) % 8 == 0 {
            Ch(char::arbitrary(g))
        } else {
            Ch(*g.choose(&POOL).unwrap())
        }
    }
}

impl fmt::Debug for Ch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A string to push or insert: short or long, with multi-byte chars.
#[derive(Clone)]
struct Piece(String);

impl Arbitrary for Piece {
    fn arbitrary(g: &mut Gen) -> Piece {
        let n = *g.choose(&PIECE_CHARS).unwrap();
        Piece((0..n).map(|_| Ch::arbitrary(g).0).collect())
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Piece>> {
        // Drop chars from the end (keeps it UTF-8, and short pieces short).
        let s = self.0.clone();
        Box::new(
            (0..s.chars().count())
                .rev()
                .map(move |n| Piece(s.chars().take(n).collect())),
        )
    }
}

impl fmt::Debug for Piece {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One step. Byte indices are reduced to `0..=len + 2` when applied (so a
/// few are past the end); snapshot indices into range.
#[derive(Clone, Debug)]
enum Op {
    Push(Ch),
    PushStr(Piece),
    Pop,
    Truncate(usize),
    Insert(usize, Ch),
    InsertStr(usize, Piece),
    Clear,
    /// `make_mut()`, then an in-place edit of the `&mut str`.
    MakeMutUpper,
    MakeMutLower,
    /// Keep a clone, with a copy of its text.
    Snapshot,
    DropSnapshot(usize),
    /// `s = snapshot.clone()`.
    Restore(usize),
    /// `push_str` into a snapshot: the string must not see it.
    WriteSnapshot(usize, Piece),
    /// `s.clone().into_string()`.
    IntoStringOfClone,
    /// `s = CowStr::from(s.into_string())`.
    IntoStringAndBack,
    /// `s = CowStr::from(s.as_str())`: short again if it fits.
    Rebuild,
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Op {
        let idx = |g: &mut Gen| usize::from(u8::arbitrary(g));
        // Weighted: edits more often than the rest.
        match u8::arbitrary(g) % 24 {
            0..=2 => Op::Push(Ch::arbitrary(g)),
            3..=5 => Op::PushStr(Piece::arbitrary(g)),
            6 | 7 => Op::Pop,
            8 | 9 => Op::Truncate(idx(g)),
            10 | 11 => Op::Insert(idx(g), Ch::arbitrary(g)),
            12 | 13 => Op::InsertStr(idx(g), Piece::arbitrary(g)),
            14 => Op::Clear,
            15 => Op::MakeMutUpper,
            16 => Op::MakeMutLower,
            17 | 18 => Op::Snapshot,
            19 => Op::DropSnapshot(idx(g)),
            20 => Op::Restore(idx(g)),
            21 => Op::WriteSnapshot(idx(g), Piece::arbitrary(g)),
            22 => Op::IntoStringOfClone,
            _ => {
                if bool::arbitrary(g) {
                    Op::IntoStringAndBack
                } else {
                    Op::Rebuild
                }
            }
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Op>> {
        match self {
            Op::PushStr(p) => Box::new(p.shrink().map(Op::PushStr)),
            Op::InsertStr(i, p) => {
                let i = *i;
                Box::new(p.shrink().map(move |p| Op::InsertStr(i, p)))
            }
            Op::WriteSnapshot(i, p) => {
                let i = *i;
                Box::new(p.shrink().map(move |p| Op::WriteSnapshot(i, p)))
            }
            _ => Box::new(std::iter::empty()),
        }
    }
}

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

/// Most snapshots kept at once.
const MAX_SNAPSHOTS: usize = 6;

/// A string and what it must hold and be: its text, and whether it must be
/// in the short form.
struct Tracked {
    s: CowStr,
    model: String,
    inline: bool,
}

impl Tracked {
    fn new(s: CowStr, model: String) -> Tracked {
        let inline = model.len() <= 15;
        Tracked { s, model, inline }
    }

    /// After an edit that may have grown the string: a short one moves to
    /// a buffer past 15 bytes; a long one stays long.
    fn grew(&mut self) {
        self.inline &= self.model.len() <= 15;
    }

    #[track_caller]
    fn check(&self, what: fmt::Arguments<'_>) {
        assert_eq!(self.s.as_str(), self.model, "{what}: text");
        assert_eq!(self.s.len(), self.model.len(), "{what}: len");
        assert_eq!(self.s.is_empty(), self.model.is_empty(), "{what}: is_empty");
        assert_eq!(
            is_inline(&self.s),
            self.inline,
            "{what}: form ({} bytes)",
            self.model.len()
        );
    }
}

struct Run {
    hasher: RandomState,
    cur: Tracked,
    snapshots: Vec<Tracked>,
}

impl Run {
    fn new() -> Run {
        Run {
            hasher: RandomState::new(),
            cur: Tracked::new(CowStr::new(), String::new()),
            snapshots: Vec::new(),
        }
    }

    /// Runs an edit that may panic on both the string and the model: the
    /// same outcome, and nothing changed after a panic.
    fn fallible(
        &mut self,
        what: fmt::Arguments<'_>,
        on_cow: impl FnOnce(&mut CowStr),
        on_string: impl FnOnce(&mut String),
    ) {
        let before = self.cur.model.clone();
        let want = outcome(|| on_string(&mut self.cur.model));
        let got = outcome(|| on_cow(&mut self.cur.s));
        assert_eq!(got, want, "{what} on {before:?}");
        if let Err(msg) = want {
            assert!(
                msg.starts_with(BOUNDARY_PANIC),
                "{what}: String panicked with {msg}"
            );
            assert_eq!(self.cur.model, before);
        }
    }

    fn apply(&mut self, op: &Op) {
        let len = self.cur.model.len();
        let reduce = |i: usize| i % (len + 3);
        match op {
            Op::Push(Ch(c)) => {
                self.cur.s.push(*c);
                self.cur.model.push(*c);
                self.cur.grew();
            }
            Op::PushStr(Piece(p)) => {
                self.cur.s.push_str(p);
                self.cur.model.push_str(p);
                self.cur.grew();
            }
            Op::Pop => {
                assert_eq!(self.cur.s.pop(), self.cur.model.pop(), "pop");
            }
            Op::Truncate(i) => {
                let i = reduce(*i);
                self.fallible(
                    format_args!("truncate({i})"),
                    |s| s.truncate(i),
                    |s| s.truncate(i),
                );
            }
            Op::Insert(i, Ch(c)) => {
                let (i, c) = (reduce(*i), *c);
                self.fallible(
                    format_args!("insert({i}, {c:?})"),
                    |s| s.insert(i, c),
                    |s| s.insert(i, c),
                );
                self.cur.grew();
            }
            Op::InsertStr(i, Piece(p)) => {
                let i = reduce(*i);
                self.fallible(
                    format_args!("insert_str({i}, {p:?})"),
                    |s| s.insert_str(i, p),
                    |s| s.insert_str(i, p),
                );
                self.cur.grew();
            }
            Op::Clear => {
                self.cur.s.clear();
                self.cur.model.clear();
            }
            Op::MakeMutUpper | Op::MakeMutLower => {
                let upper = matches!(op, Op::MakeMutUpper);
                let m = self.cur.s.make_mut();
                assert_eq!(m, self.cur.model.as_str(), "make_mut");
                if upper {
                    m.make_ascii_uppercase();
                    self.cur.model.make_ascii_uppercase();
                } else {
                    m.make_ascii_lowercase();
                    self.cur.model.make_ascii_lowercase();
                }
                // Unique now: a second make_mut does not move the text.
                let p = self.cur.s.as_ptr();
                self.cur.s.make_mut();
                assert_eq!(self.cur.s.as_ptr(), p, "make_mut copied twice");
            }
            Op::Snapshot => {
                if self.snapshots.len() == MAX_SNAPSHOTS {
                    self.snapshots.remove(0);
                }
                let snap = self.cur.s.clone();
                // A long clone shares the buffer; a short one is a copy.
                assert_eq!(
                    snap.as_ptr() == self.cur.s.as_ptr(),
                    !self.cur.inline,
                    "clone"
                );
                self.snapshots.push(Tracked {
                    s: snap,
                    model: self.cur.model.clone(),
                    inline: self.cur.inline,
                });
            }
            Op::DropSnapshot(i) => {
                if !self.snapshots.is_empty() {
                    let i = i % self.snapshots.len();
                    let t = self.snapshots.remove(i);
                    t.check(format_args!("dropped snapshot"));
                }
            }
            Op::Restore(i) => {
                if !self.snapshots.is_empty() {
                    let t = &self.snapshots[i % self.snapshots.len()];
                    self.cur = Tracked {
                        s: t.s.clone(),
                        model: t.model.clone(),
                        inline: t.inline,
                    };
                }
            }
            Op::WriteSnapshot(i, Piece(p)) => {
                if !self.snapshots.is_empty() {
                    let i = i % self.snapshots.len();
                    let t = &mut self.snapshots[i];
                    t.s.push_str(p);
                    t.model.push_str(p);
                    t.grew();
                    t.check(format_args!("written snapshot"));
                }
            }
            Op::IntoStringOfClone => {
                let out = self.cur.s.clone().into_string();
                assert_eq!(out, self.cur.model, "into_string of a clone");
            }
            Op::IntoStringAndBack => {
                let out = mem::take(&mut self.cur.s).into_string();
                assert_eq!(out, self.cur.model, "into_string");
                self.cur = Tracked::new(CowStr::from(out), self.cur.model.clone());
            }
            Op::Rebuild => {
                let fresh = CowStr::from(self.cur.s.as_str());
                self.cur = Tracked::new(fresh, mem::take(&mut self.cur.model));
            }
        }
    }

    fn check(&self, step: usize, op: &Op) {
        let what = format_args!("after step {step} ({op:?})");
        self.cur.check(what);
        let h = &self.hasher;
        assert_eq!(
            h.hash_one(&self.cur.s),
            h.hash_one(self.cur.model.as_str()),
            "{what}: hash"
        );
        for (k, t) in self.snapshots.iter().enumerate() {
            t.check(format_args!("{what}, snapshot {k}"));
            assert_eq!(
                self.cur.s.cmp(&t.s),
                self.cur.model.cmp(&t.model),
                "{what}: cmp {k}"
            );
            assert_eq!(
                self.cur.s == t.s,
                self.cur.model == t.model,
                "{what}: eq {k}"
            );
            assert_eq!(self.cur.s < t.s, self.cur.model < t.model, "{what}: lt {k}");
            assert_eq!(
                h.hash_one(&t.s) == h.hash_one(&self.cur.s),
                t.model == self.cur.model
            );
        }
    }
}

fn prop_matches_string(ops: Vec<Op>) -> bool {
    let mut run = Run::new();
    for (step, op) in ops.iter().enumerate() {
        run.apply(op);
        run.check(step, op);
    }
    // At the end: every snapshot still holds its copy, once more after the
    // string is gone.
    let Run { cur, snapshots, .. } = run;
    drop(cur);
    for (k, t) in snapshots.iter().enumerate() {
        t.check(format_args!("at the end, snapshot {k}"));
    }
    true
}

fn quickcheck_config() -> QuickCheck {
    if cfg!(miri) {
        QuickCheck::new().tests(6).rng(Gen::new(24))
    } else {
        QuickCheck::new().tests(500).rng(Gen::new(80))
    }
}

#[test]
fn cow_str_matches_string_model() {
    quickcheck_config().quickcheck(prop_matches_string as fn(Vec<Op>) -> bool);
}

/// A fixed sequence that runs every operation on a short string, a long
/// unique one and a long shared one (and a long one that shrank under 16
/// bytes), so that each path runs even in the short Miri run.
#[test]
fn every_operation_in_every_form() {
    let p = |s: &str| Piece(s.to_owned());
    let all = [
        Op::Push(Ch('😀')),
        Op::PushStr(p("é€")),
        Op::PushStr(p("a piece longer than fifteen bytes")),
        Op::Pop,
        Op::Truncate(1),
        Op::Truncate(2),
        Op::Truncate(250),
        Op::Insert(0, Ch('€')),
        Op::Insert(2, Ch('z')),
        Op::Insert(255, Ch('z')),
        Op::InsertStr(1, p("😀😀😀😀")),
        Op::InsertStr(3, p("")),
        Op::Clear,
        Op::MakeMutUpper,
        Op::MakeMutLower,
        Op::WriteSnapshot(0, p("é")),
        Op::IntoStringOfClone,
        Op::IntoStringAndBack,
        Op::Rebuild,
        Op::Restore(0),
        Op::DropSnapshot(0),
    ];
    let mut ops = Vec::new();
    for op in &all {
        // Short.
        ops.extend([Op::Clear, Op::Rebuild, Op::PushStr(p("aé€😀")), op.clone()]);
        // Short, with a snapshot.
        ops.extend([
            Op::Clear,
            Op::Rebuild,
            Op::PushStr(p("aé€😀")),
            Op::Snapshot,
        ]);
        ops.extend([op.clone(), Op::DropSnapshot(usize::MAX)]);
        // Long, unique.
        ops.extend([
            Op::Clear,
            Op::PushStr(p("aé€😀b and more text")),
            op.clone(),
        ]);
        // Long, shared; then the snapshot is restored and edited again.
        ops.extend([
            Op::PushStr(p("é€😀 and more text")),
            Op::Snapshot,
            op.clone(),
        ]);
        ops.extend([Op::Restore(usize::MAX), op.clone(), Op::DropSnapshot(0)]);
        // Long form under 16 bytes (shrunk), unique and shared.
        ops.extend([
            Op::PushStr(p("0123456789abcdefg")),
            Op::Truncate(6),
            op.clone(),
        ]);
        ops.extend([Op::Snapshot, op.clone(), Op::DropSnapshot(usize::MAX)]);
    }
    assert!(prop_matches_string(ops));
}
