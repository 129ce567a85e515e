//! Differential fuzzing of `CowStr` against a `String` model, with
//! snapshots (clones kept with a copy of their text, written to, restored
//! and dropped), at random byte indices (char boundaries or not, up to two
//! past the end) and with 1- to 4-byte chars.
//!
//! After every operation: the text, `len`, `is_empty` and the hash equal
//! the model's; the form is the one the contract gives (a fresh string is
//! short up to 15 bytes, a short one moves to a buffer past 15 bytes, a
//! long one keeps its buffer whatever it shrinks to); every snapshot holds
//! its copy, and compares with the string as its copy compares with the
//! model.
//!
//! `truncate`, `insert` and `insert_str` at a byte index that is not a char
//! boundary must panic exactly when `String`'s do, with the same message,
//! and leave the string unchanged. Those panics are caught and compared;
//! any other panic reaches libFuzzer's hook and is a crash.

#![no_main]

use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::fmt::{self, Write as _};
use std::hash::{Hash, Hasher};
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use arbitrary::Arbitrary;
use arcow::CowStr;
use libfuzzer_sys::fuzz_target;

/// The pieces of text are made of these: 1 to 4 bytes of UTF-8 each.
const UNITS: [&str; 8] = ["a", "Z", "é", "ß", "€", "中", "😀", "\0"];
/// Most units in a piece: up to 160 bytes.
const MAX_UNITS: u8 = 40;
/// The string stops growing past this many bytes.
const MAX_LEN: usize = 2048;
/// Most snapshots kept at once.
const MAX_SNAPS: usize = 6;
/// The short form holds this many bytes.
const INLINE_CAP: usize = 15;
/// The start of `String`'s (and `CowStr`'s) char boundary panic messages.
const BOUNDARY_PANIC: &str = "assertion failed: self.is_char_boundary(";

/// A piece of text: `count % (MAX_UNITS + 1)` units, unit `i` being
/// `UNITS[(start + i * step) % 8]`. (Fixed size, so that seeds are easy to
/// write: see fuzz/str_ops_seeds.py.)
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Piece {
    start: u8,
    step: u8,
    count: u8,
}

impl Piece {
    fn text(self) -> String {
        let n = usize::from(self.count % (MAX_UNITS + 1));
        (0..n)
            .map(|i| UNITS[(usize::from(self.start) + i * usize::from(self.step)) % UNITS.len()])
            .collect()
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// Any char at all.
    Push(char),
    PushStr(Piece),
    Pop,
    /// `truncate(i % (len + 3))`.
    Truncate(u16),
    Insert(u16, char),
    InsertStr(u16, Piece),
    Clear,
    /// `make_mut`, then ASCII upper- or lowercase in place.
    MakeMut {
        upper: bool,
    },
    /// Keep a clone, with a copy of its text.
    Snapshot,
    DropSnapshot(u8),
    /// `s = snapshot.clone()`.
    Restore(u8),
    /// `push_str` into a snapshot: the string must not see it.
    WriteSnapshot(u8, Piece),
    /// Truncate a snapshot at a char boundary.
    ShrinkSnapshot(u8, u16),
    /// `s.clone().into_string()`.
    IntoStringOfClone,
    /// `s = CowStr::from(s.into_string())`.
    IntoStringAndBack,
    /// `s = CowStr::from(s.as_str())`: short again if it fits.
    Rebuild,
    /// `s` made afresh from a piece: `From<&str>`, `From<String>`,
    /// `From<&String>`, `FromStr` or `collect` (by `how % 5`).
    FromPiece(Piece, u8),
    /// `Extend<char>` (or `Extend<&str>`, unit by unit).
    Extend(Piece, bool),
    /// `write!(s, "{n}")`.
    FmtWrite(u32),
    /// `n` clones made and dropped again.
    CloneMany(u8),
}

/// A string, its model, and whether it must be in the short form.
struct Tracked {
    s: CowStr,
    model: String,
    inline: bool,
}

impl Tracked {
    fn fresh(s: CowStr, model: String) -> Tracked {
        let inline = model.len() <= INLINE_CAP;
        Tracked { s, model, inline }
    }

    /// After an edit that may have grown the string.
    fn grew(&mut self) {
        self.inline &= self.model.len() <= INLINE_CAP;
    }

    fn snapshot(&self) -> Tracked {
        let s = self.s.clone();
        // A long clone shares the buffer; a short one is a copy of 16 bytes.
        assert_eq!(s.as_ptr() == self.s.as_ptr(), !self.inline, "clone");
        Tracked {
            s,
            model: self.model.clone(),
            inline: self.inline,
        }
    }

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

/// Is `s` in the short form? Its text then lives inside the handle.
fn is_inline(s: &CowStr) -> bool {
    let base = std::ptr::from_ref(s).addr();
    (base..base + mem::size_of::<CowStr>()).contains(&s.as_ptr().addr())
}

fn hash_of<T: Hash + ?Sized>(x: &T) -> u64 {
    let mut h = DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

thread_local! {
    /// Set while [`outcome`] runs: the hook keeps quiet about boundary
    /// panics then.
    static EXPECTING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`: `Ok`, or `Err` with the message of a char boundary panic.
/// Any other panic goes on to libFuzzer's hook (a crash).
fn outcome(f: impl FnOnce()) -> Result<(), String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let prev = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let expected = EXPECTING.with(Cell::get)
                && info
                    .payload_as_str()
                    .is_some_and(|m| m.starts_with(BOUNDARY_PANIC));
            if !expected {
                prev(info);
            }
        }));
    });
    EXPECTING.with(|e| e.set(true));
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    EXPECTING.with(|e| e.set(false));
    r.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .expect("a boundary panic has a string message")
    })
}

struct State {
    cur: Tracked,
    snaps: Vec<Tracked>,
}

impl State {
    /// An edit that may panic, on the string and on the model: the same
    /// outcome, and nothing changed after a panic.
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
        if want.is_err() {
            assert_eq!(self.cur.model, before);
        }
        self.cur.grew();
    }

    fn apply(&mut self, op: Op) {
        let len = self.cur.model.len();
        let full = len > MAX_LEN;
        let idx = |i: u16| usize::from(i) % (len + 3);
        match op {
            Op::Push(c) if !full => {
                self.cur.s.push(c);
                self.cur.model.push(c);
                self.cur.grew();
            }
            Op::PushStr(p) if !full => {
                let p = p.text();
                self.cur.s.push_str(&p);
                self.cur.model.push_str(&p);
                self.cur.grew();
            }
            Op::Pop => assert_eq!(self.cur.s.pop(), self.cur.model.pop(), "pop"),
            Op::Truncate(i) => {
                let i = idx(i);
                self.fallible(
                    format_args!("truncate({i})"),
                    |s| s.truncate(i),
                    |s| s.truncate(i),
                );
            }
            Op::Insert(i, c) if !full => {
                let i = idx(i);
                self.fallible(
                    format_args!("insert({i}, {c:?})"),
                    |s| s.insert(i, c),
                    |s| s.insert(i, c),
                );
            }
            Op::InsertStr(i, p) if !full => {
                let (i, p) = (idx(i), p.text());
                self.fallible(
                    format_args!("insert_str({i}, {p:?})"),
                    |s| s.insert_str(i, &p),
                    |s| s.insert_str(i, &p),
                );
            }
            Op::Clear => {
                self.cur.s.clear();
                self.cur.model.clear();
            }
            Op::MakeMut { upper } => {
                let m = self.cur.s.make_mut();
                assert_eq!(&*m, self.cur.model, "make_mut");
                if upper {
                    m.make_ascii_uppercase();
                    self.cur.model.make_ascii_uppercase();
                } else {
                    m.make_ascii_lowercase();
                    self.cur.model.make_ascii_lowercase();
                }
                let p = self.cur.s.as_ptr();
                self.cur.s.make_mut();
                assert_eq!(self.cur.s.as_ptr(), p, "a second make_mut moved the text");
            }
            Op::Snapshot => {
                if self.snaps.len() == MAX_SNAPS {
                    self.snaps.remove(0);
                }
                self.snaps.push(self.cur.snapshot());
            }
            Op::DropSnapshot(i) if !self.snaps.is_empty() => {
                let t = self.snaps.remove(usize::from(i) % self.snaps.len());
                t.check(format_args!("dropped snapshot"));
            }
            Op::Restore(i) if !self.snaps.is_empty() => {
                let i = usize::from(i) % self.snaps.len();
                self.cur = self.snaps[i].snapshot();
            }
            Op::WriteSnapshot(i, p) if !self.snaps.is_empty() => {
                let i = usize::from(i) % self.snaps.len();
                let t = &mut self.snaps[i];
                if t.model.len() <= MAX_LEN {
                    let p = p.text();
                    t.s.push_str(&p);
                    t.model.push_str(&p);
                    t.grew();
                }
            }
            Op::ShrinkSnapshot(i, n) if !self.snaps.is_empty() => {
                let i = usize::from(i) % self.snaps.len();
                let t = &mut self.snaps[i];
                let mut n = usize::from(n) % (t.model.len() + 1);
                while !t.model.is_char_boundary(n) {
                    n -= 1;
                }
                t.s.truncate(n);
                t.model.truncate(n);
            }
            Op::IntoStringOfClone => {
                assert_eq!(
                    self.cur.s.clone().into_string(),
                    self.cur.model,
                    "into_string"
                );
            }
            Op::IntoStringAndBack => {
                let out = mem::take(&mut self.cur.s).into_string();
                assert_eq!(out, self.cur.model, "into_string");
                self.cur = Tracked::fresh(CowStr::from(out), mem::take(&mut self.cur.model));
            }
            Op::Rebuild => {
                let s = CowStr::from(self.cur.s.as_str());
                self.cur = Tracked::fresh(s, mem::take(&mut self.cur.model));
            }
            Op::FromPiece(p, how) => {
                let p = p.text();
                let s = match how % 5 {
                    0 => CowStr::from(p.as_str()),
                    1 => CowStr::from(p.clone()),
                    2 => CowStr::from(&p),
                    3 => p.parse().unwrap(),
                    _ => p.chars().collect(),
                };
                self.cur = Tracked::fresh(s, p);
            }
            Op::Extend(p, by_char) if !full => {
                let p = p.text();
                if by_char {
                    self.cur.s.extend(p.chars());
                } else {
                    self.cur.s.extend(p.split_inclusive(|_: char| true));
                }
                self.cur.model.push_str(&p);
                self.cur.grew();
            }
            Op::FmtWrite(n) if !full => {
                write!(self.cur.s, "{n}").unwrap();
                write!(self.cur.model, "{n}").unwrap();
                self.cur.grew();
            }
            Op::CloneMany(n) => {
                let clones: Vec<CowStr> = (0..n % 16).map(|_| self.cur.s.clone()).collect();
                for c in &clones {
                    assert_eq!(*c, self.cur.model);
                }
            }
            // Growing a full string, or a snapshot operation without one.
            _ => {}
        }
    }

    fn check(&self) {
        self.cur.check(format_args!("string"));
        assert_eq!(
            hash_of(&self.cur.s),
            hash_of(self.cur.model.as_str()),
            "hash"
        );
        for (i, t) in self.snaps.iter().enumerate() {
            t.check(format_args!("snapshot {i}"));
            let want: Ordering = self.cur.model.cmp(&t.model);
            assert_eq!(self.cur.s.cmp(&t.s), want, "cmp with snapshot {i}");
            assert_eq!(self.cur.s == t.s, want.is_eq(), "eq with snapshot {i}");
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut st = State {
        cur: Tracked::fresh(CowStr::new(), String::new()),
        snaps: Vec::new(),
    };
    for op in ops {
        st.apply(op);
        st.check();
    }
    // The string gone, every snapshot still holds its copy.
    let State { cur, snaps } = st;
    drop(cur);
    for (i, t) in snaps.iter().enumerate() {
        t.check(format_args!("snapshot {i} at the end"));
    }
});
