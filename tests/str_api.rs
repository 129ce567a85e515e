//! The public API of `CowStr` against `String`'s behaviour: layout and auto
//! traits; the 15/16-byte boundary between the short (inline) and the long
//! (buffer) form, crossed both ways by every edit and by every conversion,
//! with multi-byte chars straddling it; every edit at every byte index of
//! strings with 1- to 4-byte chars, in every form, panicking exactly when
//! `String` does, with its message, and leaving the string unchanged;
//! `make_mut` copying a shared buffer once; `Eq`/`Ord`/`Hash`/`Borrow<str>`
//! agreeing with `str` (and so lookups by `&str` in `HashMap`, `BTreeMap`
//! and `CowMap`); formatting; conversions and iterator traits; serde;
//! clones sent to threads; and unwinding through strings.
//!
//! A `CowStr` holding some text can be in three states: short (inline),
//! long and unique, long and shared; and a long string may hold 15 bytes or
//! fewer (one that shrank keeps its buffer). The edit tests run each edit on
//! each of them (see [`forms`]).

mod common;

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::convert::Infallible;
use std::fmt::{self, Write as _};
use std::hash::BuildHasher;
use std::ops::{Bound, Deref};
use std::panic::{self, AssertUnwindSafe};
use std::str::FromStr;
use std::sync::Barrier;
use std::thread;

use arcow::{CowMap, CowStr};
use common::strs::{is_inline, long_form, outcome, BOUNDARY_PANIC};
use static_assertions::{assert_eq_size, assert_impl_all};

/// 1-, 2-, 3- and 4-byte chars, 11 bytes: fits inline.
const MIXED: &str = "aé€😀b";
/// The same twice, 22 bytes: long.
const MIXED_LONG: &str = "aé€😀baé€😀b";

// ---------------------------------------------------------------------------
// Layout and auto traits
// ---------------------------------------------------------------------------

assert_eq_size!(CowStr, [u8; 16]);
assert_eq_size!(Option<CowStr>, [u8; 16]);
assert_eq_size!(Option<Option<CowStr>>, [u8; 16]);
assert_impl_all!(CowStr: Send, Sync, Clone, Default, Unpin);
// As `String` (no interior mutability reachable through `&CowStr`).
assert_impl_all!(CowStr: std::panic::UnwindSafe, std::panic::RefUnwindSafe);
assert_impl_all!(CowStr: fmt::Debug, fmt::Display, fmt::Write);
assert_impl_all!(CowStr: Eq, Ord, std::hash::Hash, Borrow<str>, AsRef<str>, AsRef<[u8]>);
assert_impl_all!(CowStr: Deref<Target = str>, FromStr<Err = Infallible>);
assert_impl_all!(CowStr: From<&'static str>, From<String>, From<&'static String>, From<char>);
assert_impl_all!(CowStr: FromIterator<char>, FromIterator<&'static str>);
assert_impl_all!(CowStr: Extend<char>, Extend<&'static str>);
assert_impl_all!(CowStr: PartialEq<str>, PartialEq<&'static str>, PartialEq<String>);
assert_impl_all!(str: PartialEq<CowStr>);
assert_impl_all!(&'static str: PartialEq<CowStr>);
assert_impl_all!(String: PartialEq<CowStr>, From<CowStr>);

/// `new` is `const`: usable in a `static` (which also needs `Sync`).
static EMPTY: CowStr = CowStr::new();

#[test]
fn new_and_default_are_empty_and_inline() {
    for s in [CowStr::new(), CowStr::default(), EMPTY.clone()] {
        assert!(s.is_empty());
        assert_eq!(s.len(), 0);
        assert_eq!(s, "");
        assert!(is_inline(&s));
    }
    assert_eq!(EMPTY.as_str(), "");
    assert_eq!(std::mem::size_of_val(&EMPTY), 16);
    let none: Option<CowStr> = None;
    assert!(none.is_none());
    let some = Some(CowStr::from(MIXED_LONG));
    assert_eq!(some.as_deref(), Some(MIXED_LONG));
}

// ---------------------------------------------------------------------------
// The 15/16-byte boundary
// ---------------------------------------------------------------------------

/// Strings of 13 to 17 bytes, ASCII, and ending or starting with a 2-, 3- or
/// 4-byte char that straddles the boundary (14 ASCII + 'é', 13 + '€',
/// 12 + '😀', ...). Under Miri, the 15- and 16-byte ones ending in each
/// width of char.
fn around_the_boundary() -> Vec<String> {
    let totals = if cfg!(miri) { 15..=16 } else { 13..=17 };
    let mut out: Vec<String> = totals.clone().map(|n| "a".repeat(n)).collect();
    for ch in ['é', '€', '😀'] {
        let w = ch.len_utf8();
        for total in totals.clone() {
            out.push("a".repeat(total - w) + ch.encode_utf8(&mut [0; 4]));
            if !cfg!(miri) {
                out.push(ch.to_string() + &"a".repeat(total - w));
            }
        }
    }
    out
}

#[test]
fn conversions_are_inline_up_to_fifteen_bytes() {
    for t in around_the_boundary() {
        let made: [(&str, CowStr); 8] = [
            ("From<&str>", CowStr::from(t.as_str())),
            ("From<&String>", CowStr::from(&t)),
            ("From<String>", CowStr::from(t.clone())),
            ("FromStr", t.parse().unwrap()),
            ("collect chars", t.chars().collect()),
            ("collect &strs", t.split_inclusive('a').collect()),
            ("Extend<char>", {
                let mut s = CowStr::new();
                s.extend(t.chars());
                s
            }),
            ("fmt::Write", {
                let mut s = CowStr::new();
                write!(s, "{t}").unwrap();
                s
            }),
        ];
        for (how, s) in made {
            assert_eq!(s, *t, "{how} of {t:?}");
            assert_eq!(s.len(), t.len(), "{how} of {t:?}");
            // A conversion makes a fresh string: inline exactly when it fits;
            // the ones that grow a string char by char move to a buffer
            // when they pass 15 bytes, and stay there.
            assert_eq!(
                is_inline(&s),
                t.len() <= 15,
                "{how} of {t:?} ({} bytes)",
                t.len()
            );
        }
    }
    for ch in ['a', 'é', '€', '😀', '\0', char::MAX] {
        let s = CowStr::from(ch);
        assert!(is_inline(&s));
        assert_eq!(s, *ch.to_string());
    }
}

#[test]
fn pushes_cross_the_boundary_upward() {
    for base_len in 10..=15 {
        let base = "x".repeat(base_len);
        for ch in ['a', 'é', '€', '😀'] {
            let mut s = CowStr::from(base.as_str());
            assert!(is_inline(&s));
            let mut model = base.clone();
            s.push(ch);
            model.push(ch);
            assert_eq!(s, model);
            assert_eq!(
                is_inline(&s),
                model.len() <= 15,
                "push {ch:?} onto {base_len}"
            );
        }
        for add in [
            "",
            "a",
            "é",
            "ab",
            "€",
            "😀",
            "é€",
            "a😀",
            "€€",
            "😀😀",
            "abcdefghijklmnopq",
        ] {
            let mut s = CowStr::from(base.as_str());
            let mut model = base.clone();
            s.push_str(add);
            model.push_str(add);
            assert_eq!(s, model);
            assert_eq!(
                is_inline(&s),
                model.len() <= 15,
                "push_str {add:?} onto {base_len}"
            );
        }
    }
}

#[test]
fn inserts_cross_the_boundary_upward() {
    for base in [
        "abcdefghijklmn",
        "abcdefghijklmno",
        "aé€😀bcd",
        "aé€😀bcde",
        "😀😀😀",
    ] {
        let boundaries: Vec<usize> = (0..=base.len())
            .filter(|&i| base.is_char_boundary(i))
            .collect();
        for &at in &boundaries {
            // Under Miri, one char and one string per position, in turn.
            let (chars, strs) = pick(
                at,
                &['z', 'é', '€', '😀'],
                &["", "z", "é€", "😀z", "0123456789abcdef"],
            );
            for &ch in chars {
                let mut s = CowStr::from(base);
                let mut model = String::from(base);
                s.insert(at, ch);
                model.insert(at, ch);
                assert_eq!(s, model, "insert {ch:?} at {at} of {base:?}");
                assert_eq!(
                    is_inline(&s),
                    model.len() <= 15,
                    "insert {ch:?} at {at} of {base:?}"
                );
            }
            for &add in strs {
                let mut s = CowStr::from(base);
                let mut model = String::from(base);
                s.insert_str(at, add);
                model.insert_str(at, add);
                assert_eq!(s, model, "insert_str {add:?} at {at} of {base:?}");
                assert_eq!(
                    is_inline(&s),
                    model.len() <= 15,
                    "insert_str {add:?} at {at} of {base:?}"
                );
            }
        }
    }
}

#[test]
fn shrinking_below_the_boundary_keeps_the_buffer() {
    // Documented: a long string that shrinks keeps its buffer (as `String`
    // keeps its capacity); a new `CowStr` made from it is short.
    for t in around_the_boundary().into_iter().filter(|t| t.len() >= 16) {
        // truncate to every char boundary at or under 15
        for n in (0..=15).filter(|&n| t.is_char_boundary(n)) {
            let mut s = CowStr::from(t.as_str());
            let buf = s.as_ptr();
            s.truncate(n);
            assert_eq!(s, t[..n]);
            assert!(!is_inline(&s), "truncate({n}) of {t:?} moved inline");
            assert_eq!(s.as_ptr(), buf, "truncate({n}) of {t:?} moved the text");
            assert!(is_inline(&CowStr::from(s.as_str())));
            // Growing again reuses the buffer (it has room for `t`).
            s.push_str(&t[n..]);
            assert_eq!(s, *t);
            assert_eq!(s.as_ptr(), buf);
        }
        // pop back under, one char at a time
        let mut s = CowStr::from(t.as_str());
        let mut model = t.clone();
        let buf = s.as_ptr();
        while !model.is_empty() {
            assert_eq!(s.pop(), model.pop());
            assert_eq!(s, model);
            assert!(!is_inline(&s));
            assert_eq!(s.as_ptr(), buf);
        }
        assert_eq!(s.pop(), None);
        // clear
        let mut s = CowStr::from(t.as_str());
        let buf = s.as_ptr();
        s.clear();
        assert!(s.is_empty() && !is_inline(&s));
        s.push_str(&t);
        assert_eq!(s, *t);
        assert_eq!(s.as_ptr(), buf, "clear let go of the buffer");
    }
}

#[test]
fn shrinking_a_shared_long_string_leaves_the_other_handle() {
    for t in around_the_boundary().into_iter().filter(|t| t.len() >= 16) {
        let other = CowStr::from(t.as_str());
        for n in (0..=15).filter(|&n| t.is_char_boundary(n)) {
            let mut s = other.clone();
            s.truncate(n);
            assert_eq!((s.as_str(), other.as_str()), (&t[..n], t.as_str()));
        }
        let mut s = other.clone();
        assert_eq!(s.pop(), t.chars().next_back());
        assert_eq!(other, *t);
        let mut s2 = other.clone();
        s2.clear();
        assert!(s2.is_empty());
        assert_eq!(other, *t);
        s.push('!');
        s2.push('!');
        assert_eq!(s2, "!");
        assert_eq!(other, *t);
    }
}

#[test]
fn short_strings_shrink_in_place_and_stay_short() {
    let mut s = CowStr::from(MIXED);
    let mut model = String::from(MIXED);
    while let Some(ch) = model.pop() {
        assert_eq!(s.pop(), Some(ch));
        assert_eq!(s, model);
        assert!(is_inline(&s));
    }
    assert_eq!(s.pop(), None);
    s.push_str("abc");
    s.truncate(1);
    s.push('z');
    assert_eq!(s, "az");
    s.clear();
    assert!(s.is_empty() && is_inline(&s));
}

// ---------------------------------------------------------------------------
// Every edit at every byte index, in every form, against String
// ---------------------------------------------------------------------------

/// `t` in each state a `CowStr` can hold it in: fresh (short if it fits),
/// long form and unique, long form and shared (with the other handle),
/// and a short clone (short strings only).
fn forms(t: &str) -> Vec<(&'static str, CowStr, Option<CowStr>)> {
    (0..FORMS).filter_map(|k| form(t, k)).collect()
}

/// How many forms [`form`] knows.
const FORMS: usize = 4;

/// Form `k` of [`forms`], if it applies to `t`.
fn form(t: &str, k: usize) -> Option<(&'static str, CowStr, Option<CowStr>)> {
    match k {
        0 => Some(("fresh", CowStr::from(t), None)),
        1 => Some(("long, unique", long_form(t), None)),
        2 => {
            let shared = long_form(t);
            Some(("long, shared", shared.clone(), Some(shared)))
        }
        _ if t.len() <= 15 => {
            let short = CowStr::from(t);
            Some(("short clone", short.clone(), Some(short)))
        }
        _ => None,
    }
}

type StringEdit<'a> = &'a dyn Fn(&mut String);
type CowEdit<'a> = &'a dyn Fn(&mut CowStr);

/// Runs one edit on `String::from(t)` and on `t` in every form: the same
/// outcome (nothing, or a panic with the same message), the same text
/// after it (unchanged after a panic), the other handle of a shared form
/// untouched, and the string still usable and droppable.
///
/// Under Miri, on one form only: form `turn` (mod the number of forms).
fn same_as_string(
    t: &str,
    what: fmt::Arguments<'_>,
    turn: usize,
    on_string: StringEdit<'_>,
    on_cow: CowEdit<'_>,
) {
    let mut model = String::from(t);
    let want = outcome(|| on_string(&mut model));
    if let Err(msg) = &want {
        assert!(msg.starts_with(BOUNDARY_PANIC), "String::{what}: {msg}");
        assert_eq!(model, t);
    }
    let on_forms = if cfg!(miri) {
        let n = if t.len() <= 15 { FORMS } else { FORMS - 1 };
        form(t, turn % n).into_iter().collect()
    } else {
        forms(t)
    };
    for (form, mut s, other) in on_forms {
        let got = outcome(|| on_cow(&mut s));
        assert_eq!(got, want, "{what} on {t:?} ({form})");
        assert_eq!(s, model, "{what} on {t:?} ({form}): text after");
        assert_eq!(s.len(), model.len());
        if let Some(other) = &other {
            assert_eq!(
                other, t,
                "{what} on {t:?} ({form}): the other handle changed"
            );
        }
        // Still a working string.
        s.push('·');
        assert_eq!(s.as_str().strip_suffix('·'), Some(model.as_str()));
        drop(s);
        if let Some(other) = other {
            assert_eq!(other, t);
        }
    }
}

/// The chars and strings to insert at position `at`: all of them natively;
/// under Miri one of each, taking turns with the position, so that every
/// position and every char width is still covered.
fn pick<'a>(at: usize, chars: &'a [char], strs: &'a [&'a str]) -> (&'a [char], &'a [&'a str]) {
    if cfg!(miri) {
        let (c, s) = (at % chars.len(), at % strs.len());
        (&chars[c..=c], &strs[s..=s])
    } else {
        (chars, strs)
    }
}

/// The chars and strings inserted at each index.
const INSERTED_CHARS: [char; 4] = ['z', 'é', '€', '😀'];
const INSERTED_STRS: [&str; 4] = ["", "é", "€😀", "a long inserted string, é€😀"];

/// Every edit at every byte index `0..=len + 2` of `t`: `truncate`, and
/// `insert` and `insert_str` of each of the chars and strings above, on
/// every form. (Under Miri, one char and one string per index and each edit
/// on one form, all taking turns, so that every index, every char width and
/// every form are still covered.)
fn every_edit_at_every_index(t: &str) {
    for idx in 0..=t.len() + 2 {
        same_as_string(
            t,
            format_args!("truncate({idx})"),
            idx,
            &|s| s.truncate(idx),
            &|s| s.truncate(idx),
        );
        let (chars, strs) = pick(idx, &INSERTED_CHARS, &INSERTED_STRS);
        for &ch in chars {
            same_as_string(
                t,
                format_args!("insert({idx}, {ch:?})"),
                idx + 1,
                &|s| s.insert(idx, ch),
                &|s| s.insert(idx, ch),
            );
        }
        for &add in strs {
            same_as_string(
                t,
                format_args!("insert_str({idx}, {add:?})"),
                idx + 2,
                &|s| s.insert_str(idx, add),
                &|s| s.insert_str(idx, add),
            );
        }
    }
}

#[test]
fn edits_at_every_index_of_a_short_multibyte_string() {
    every_edit_at_every_index(MIXED);
}

#[test]
fn edits_at_every_index_of_a_long_multibyte_string() {
    every_edit_at_every_index(MIXED_LONG);
}

#[test]
fn edits_at_every_index_around_the_boundary() {
    let (strings, small) = if cfg!(miri) {
        (vec!["a".repeat(13) + "€"], &["😀"][..])
    } else {
        (around_the_boundary(), &["", "😀", "é"][..])
    };
    for t in strings
        .iter()
        .map(String::as_str)
        .chain(small.iter().copied())
    {
        every_edit_at_every_index(t);
    }
}

#[test]
fn panic_messages_are_strings() {
    let mut s = CowStr::from(MIXED);
    assert_eq!(
        outcome(|| s.truncate(2)),
        Err("assertion failed: self.is_char_boundary(new_len)".to_owned())
    );
    assert_eq!(
        outcome(|| s.insert(2, 'x')),
        Err("assertion failed: self.is_char_boundary(idx)".to_owned())
    );
    assert_eq!(
        outcome(|| s.insert_str(99, "x")),
        Err("assertion failed: self.is_char_boundary(idx)".to_owned())
    );
    assert_eq!(s, MIXED);
}

#[test]
fn pop_and_clear_in_every_form() {
    for t in ["", "a", MIXED, MIXED_LONG, "😀"] {
        for (form, mut s, other) in forms(t) {
            let mut model = String::from(t);
            loop {
                let (got, want) = (s.pop(), model.pop());
                assert_eq!(got, want, "pop of {t:?} ({form})");
                assert_eq!(s, model);
                if want.is_none() {
                    break;
                }
            }
            s.push_str(t);
            s.clear();
            assert!(s.is_empty(), "clear ({form})");
            if let Some(other) = other {
                assert_eq!(other, t, "{form}: the other handle changed");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// make_mut and into_string
// ---------------------------------------------------------------------------

#[test]
fn make_mut_on_a_shared_long_string_copies_once() {
    let mut a = CowStr::from("a long string shared by a clone, é€😀");
    let b = a.clone();
    assert_eq!(a.as_ptr(), b.as_ptr(), "a long clone shares the buffer");
    a.make_mut().make_ascii_uppercase();
    assert_eq!(a, "A LONG STRING SHARED BY A CLONE, é€😀");
    assert_eq!(b, "a long string shared by a clone, é€😀");
    let copied = a.as_ptr();
    assert_ne!(copied, b.as_ptr(), "the first write copied");
    // Unique now: the second make_mut writes in place.
    a.make_mut().make_ascii_lowercase();
    assert_eq!(a.as_ptr(), copied, "the second make_mut copied again");
    assert_eq!(a, b);
    // And b, unique again since the copy, writes in place too.
    let mut b = b;
    let p = b.as_ptr();
    b.make_mut().make_ascii_uppercase();
    assert_eq!(b.as_ptr(), p);
    assert_eq!(a, "a long string shared by a clone, é€😀");
}

#[test]
fn clones_with_spare_room_never_write_into_each_other() {
    // A long string with room to grow in place, shared by two handles: each
    // handle's appends must go to its own copy, not into the shared spare
    // room (where the other handle's appends would land too).
    type Grow = fn(&mut CowStr, &str);
    let grows: [(&str, Grow); 5] = [
        ("push_str", |s, t| s.push_str(t)),
        ("push", |s, t| t.chars().for_each(|c| s.push(c))),
        ("insert_str at the end", |s, t| s.insert_str(s.len(), t)),
        ("extend", |s, t| s.extend(t.chars())),
        ("fmt::Write", |s, t| write!(s, "{t}").unwrap()),
    ];
    for (name, grow) in grows {
        for base in ["", "base", MIXED_LONG] {
            let mut a = long_form(base);
            let mut b = a.clone();
            let c = a.clone();
            grow(&mut a, "é€AAAA");
            grow(&mut b, "BB😀");
            assert_eq!(a, format!("{base}é€AAAA"), "{name}");
            assert_eq!(b, format!("{base}BB😀"), "{name}");
            assert_eq!(c, base, "{name}");
            assert_ne!(a.as_ptr(), b.as_ptr(), "{name}");
        }
    }
}

#[test]
fn make_mut_of_a_unique_or_short_string_writes_in_place() {
    let mut long = CowStr::from(MIXED_LONG);
    let p = long.as_ptr();
    long.make_mut().make_ascii_uppercase();
    assert_eq!(long.as_ptr(), p);
    assert_eq!(long, MIXED_LONG.to_ascii_uppercase());

    let mut short = CowStr::from(MIXED);
    let copy = short.clone();
    assert_ne!(
        short.as_ptr(),
        copy.as_ptr(),
        "a short clone has its own bytes"
    );
    let m = short.make_mut();
    assert_eq!(m.len(), MIXED.len());
    m.make_ascii_uppercase();
    assert_eq!(short, MIXED.to_ascii_uppercase());
    assert_eq!(copy, MIXED);
    assert!(is_inline(&short));

    let mut empty = CowStr::new();
    assert_eq!(empty.make_mut(), "");
    // The long form holding nothing (a shared string, cleared).
    let mut cleared = long_form("");
    let other = cleared.clone();
    cleared.clear();
    assert_eq!(cleared.make_mut(), "");
    assert_eq!(other, "");
}

#[test]
fn into_string_in_every_form() {
    for t in ["", MIXED, MIXED_LONG] {
        for (form, s, other) in forms(t) {
            let owned: String = s.into_string();
            assert_eq!(owned, t, "{form}");
            if let Some(other) = other {
                assert_eq!(other, t, "{form}");
                let owned: String = other.into();
                assert_eq!(owned, t);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Comparison, hashing and lookups by &str
// ---------------------------------------------------------------------------

/// Strings with prefixes of each other, equal texts in different forms,
/// multi-byte chars and lengths on both sides of the boundary (under Miri,
/// the first seven), each in both forms.
fn comparable() -> Vec<(String, CowStr)> {
    let texts = [
        "",
        "a",
        "ab",
        MIXED,
        MIXED_LONG,
        "aaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaab",
        "é",
        "😀",
        "b",
        "aa",
        "€",
        "a\0",
        "aé€😀c",
        "aaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaab",
        "zzzzzzzzzzzzzzzzzzzz",
    ];
    let n = if cfg!(miri) { 7 } else { texts.len() };
    let mut out = Vec::new();
    for t in &texts[..n] {
        out.push((t.to_string(), CowStr::from(*t)));
        out.push((t.to_string(), long_form(t)));
    }
    out
}

#[test]
fn eq_and_ord_agree_with_str() {
    let all = comparable();
    for (ta, a) in &all {
        for (tb, b) in &all {
            assert_eq!(a == b, ta == tb, "{ta:?} == {tb:?}");
            assert_eq!(a.cmp(b), ta.cmp(tb), "{ta:?} cmp {tb:?}");
            assert_eq!(a.partial_cmp(b), Some(ta.cmp(tb)));
            assert_eq!(a < b, ta < tb);
            assert_eq!(a.max(b).as_str(), ta.max(tb).as_str());
        }
        assert_eq!(a.cmp(a), Ordering::Equal);
    }
    let mut sorted: Vec<&CowStr> = all.iter().map(|(_, c)| c).collect();
    sorted.sort();
    let mut want: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
    want.sort();
    assert!(sorted.iter().map(|c| c.as_str()).eq(want));
}

#[test]
fn partial_eq_with_string_types_both_ways() {
    // Each direction is its own impl: `CowStr == str`, `str == CowStr`, ...
    for (t, s) in comparable() {
        let t: &str = &t;
        let owned = t.to_owned();
        assert!(s == *t);
        assert!(*t == s);
        assert!(s == t);
        assert!(t == s);
        assert!(s == owned);
        assert!(owned == s);
        let other = format!("{t}?");
        let other_str: &str = &other;
        assert!(s != *other_str);
        assert!(*other_str != s);
        assert!(s != other_str);
        assert!(other_str != s);
        assert!(s != other);
        assert!(other != s);
    }
}

#[test]
fn hash_agrees_with_str() {
    let h = RandomState::new();
    for (t, s) in comparable() {
        let want = h.hash_one(t.as_str());
        assert_eq!(h.hash_one(&s), want, "{t:?}");
        assert_eq!(h.hash_one(s.clone()), want);
        assert_eq!(h.hash_one(&t), want, "String hashes as str");
    }
    // A prefix-free encoding: ("ab", "c") and ("a", "bc") differ.
    let pair = |a: &str, b: &str| h.hash_one((CowStr::from(a), CowStr::from(b)));
    assert_ne!(pair("ab", "c"), pair("a", "bc"));
    assert_eq!(pair("ab", "c"), h.hash_one(("ab", "c")));
}

#[test]
fn lookups_by_str_in_std_maps_and_sets() {
    let all = comparable();
    let mut hm: HashMap<CowStr, usize> = HashMap::new();
    let mut bm: BTreeMap<CowStr, usize> = BTreeMap::new();
    let mut hs: HashSet<CowStr> = HashSet::new();
    for (i, (_, s)) in all.iter().enumerate() {
        hm.insert(s.clone(), i);
        bm.insert(s.clone(), i);
        hs.insert(s.clone());
    }
    // The two forms of each text are one key.
    let distinct: BTreeSet<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        (hm.len(), bm.len(), hs.len()),
        (distinct.len(), distinct.len(), distinct.len())
    );
    for (t, _) in &all {
        let t: &str = t;
        let i = hm[t];
        assert_eq!(all[i].0, t);
        assert_eq!(hm.get(t), Some(&i));
        assert_eq!(bm.get(t), Some(&i));
        assert!(hs.contains(t));
        assert!(hm.contains_key(t.to_owned().as_str()));
    }
    assert_eq!(hm.get("missing"), None);
    assert_eq!(bm.get("missing"), None);
    // Ranges by &str bounds: the same keys as a BTreeSet<&str> gives.
    let got: Vec<&str> = bm
        .range::<str, _>((Bound::Included("a"), Bound::Excluded("b")))
        .map(|(k, _)| k.as_str())
        .collect();
    let want: Vec<&str> = distinct.range("a".."b").copied().collect();
    assert_eq!(got, want);
    assert!(hm.remove(MIXED_LONG).is_some());
    assert!(bm.remove(MIXED).is_some());
}

#[test]
fn lookups_by_str_in_a_cow_map() {
    let n = if cfg!(miri) { 24 } else { 3000 };
    let key = |i: usize| format!("key {i} {}", "é".repeat(i % 20));
    let mut m: CowMap<CowStr, u64> = CowMap::new();
    for i in 0..n {
        assert_eq!(m.insert(CowStr::from(key(i)), i as u64), None);
    }
    let snap = m.clone();
    for i in 0..n {
        let k = key(i);
        assert_eq!(m.get(k.as_str()), Some(&(i as u64)), "{k}");
        assert!(m.contains_key(k.as_str()));
        let (stored, _) = m.get_key_value(k.as_str()).unwrap();
        assert_eq!(stored, &k);
    }
    *m.get_mut(key(3).as_str()).unwrap() += 100;
    assert_eq!(m.remove(key(4).as_str()), Some(4));
    assert_eq!(m.insert(CowStr::from(key(5)), 7), Some(5));
    assert_eq!(m["key 3 ééé"], 103);
    assert_eq!(m.get("key 4 éééé"), None);
    assert_eq!(snap.get(key(3).as_str()), Some(&3));
    assert_eq!(snap.get(key(4).as_str()), Some(&4));
    assert_eq!(snap.len(), n);
    assert_eq!(m.len(), n - 1);
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

/// Formats `t` as a `&str` and as a `CowStr` with each of the format specs.
macro_rules! same_format {
    ($t:expr, $($spec:literal),* $(,)?) => {{
        let t: &str = $t;
        for s in [CowStr::from(t), long_form(t)] {
            $(
                assert_eq!(format!($spec, s), format!($spec, t), "{} of {:?}", $spec, t);
            )*
        }
    }};
}

#[test]
fn display_pads_and_truncates_as_str() {
    let texts = [
        "",
        "é€",
        MIXED_LONG,
        "ab",
        MIXED,
        "a string of twenty-five.",
    ];
    for &t in &texts[..if cfg!(miri) { 3 } else { texts.len() }] {
        same_format!(
            t,
            "{}",
            "[{:>20}]",
            "[{:<20}]",
            "[{:^21}]",
            "[{:.3}]",
            "[{:*^12.2}]",
            "[{:8.1}]",
            "[{:>3}]",
            "[{:-<30.20}]",
            "[{:.0}]",
            "[{:5.15}]",
        );
        let s = CowStr::from(t);
        assert_eq!(s.to_string(), t);
        assert_eq!(
            format!("{:>w$.p$}", s, w = 17, p = 4),
            format!("{:>w$.p$}", t, w = 17, p = 4)
        );
    }
}

#[test]
fn debug_escapes_as_str() {
    let texts = [
        "",
        "quote\"d",
        "nul\0",
        "zero\u{200b}width",
        "a long string with \"quotes\" and \n newlines and é",
        "plain",
        "a\nb",
        "tab\there",
        "back\\slash",
        "del\u{7f}",
        "é€😀",
        "'single'",
        "\r\n",
        "bell\u{7}",
        "comb\u{301}ining",
    ];
    for &t in &texts[..if cfg!(miri) { 5 } else { texts.len() }] {
        same_format!(t, "{:?}", "{:#?}", "[{:>40?}]", "[{:<3?}]");
    }
}

#[test]
fn fmt_write_appends_as_to_a_string() {
    let mut s = CowStr::from("n=");
    let mut model = String::from("n=");
    write!(s, "{}, {:?}, {:>5}", 42, "é", 'x').unwrap();
    write!(model, "{}, {:?}, {:>5}", 42, "é", 'x').unwrap();
    assert_eq!(s, model);
    assert!(!is_inline(&s), "past 15 bytes");
    s.write_char('😀').unwrap();
    model.write_char('😀').unwrap();
    assert_eq!(s, model);
    // Into a shared long string: the other handle is untouched.
    let other = s.clone();
    writeln!(s, "!").unwrap();
    writeln!(model, "!").unwrap();
    assert_eq!(s, model);
    assert_eq!(other, model.trim_end_matches("!\n"));
}

// ---------------------------------------------------------------------------
// Conversions and iterator traits
// ---------------------------------------------------------------------------

#[test]
fn from_impls_and_back() {
    for t in [
        "",
        "x",
        MIXED,
        MIXED_LONG,
        "exactly fifteen",
        "exactly sixteen!",
    ] {
        let owned = String::from(t);
        let a = CowStr::from(t);
        let b = CowStr::from(&owned);
        let c = CowStr::from(owned.clone());
        let d: CowStr = t.parse().unwrap();
        let e = CowStr::from_str(t);
        assert_eq!(e, Ok::<CowStr, Infallible>(CowStr::from(t)));
        for s in [&a, &b, &c, &d] {
            assert_eq!(s, t);
            assert_eq!(is_inline(s), t.len() <= 15);
        }
        assert_eq!(String::from(a), owned);
        assert_eq!(b.into_string(), owned);
    }
}

#[test]
fn deref_borrow_and_as_ref_give_the_text() {
    fn via_as_ref<T: AsRef<str>>(t: &T) -> &str {
        t.as_ref()
    }
    fn via_as_bytes<T: AsRef<[u8]>>(t: &T) -> &[u8] {
        t.as_ref()
    }
    fn via_borrow<T: Borrow<str>>(t: &T) -> &str {
        t.borrow()
    }
    for (t, s) in comparable() {
        assert_eq!(&*s, t.as_str());
        assert_eq!(s.as_str(), t);
        assert_eq!(via_as_ref(&s), t);
        assert_eq!(via_as_bytes(&s), t.as_bytes());
        assert_eq!(via_borrow(&s), t);
        // str's own methods through Deref.
        assert_eq!(
            s.chars().rev().collect::<String>(),
            t.chars().rev().collect::<String>()
        );
        assert_eq!(s.starts_with('a'), t.starts_with('a'));
        assert_eq!(s.to_uppercase(), t.to_uppercase());
        assert_eq!(s.len(), t.len());
        assert_eq!(s.is_empty(), t.is_empty());
    }
}

#[test]
fn from_iterator_and_extend_as_string() {
    let chars = ['a', 'é', '€', '😀', 'b'];
    let many: Vec<char> = chars.iter().copied().cycle().take(30).collect();
    for n in [0, 1, 5, 7, 8, 30] {
        let s: CowStr = many[..n].iter().copied().collect();
        let model: String = many[..n].iter().copied().collect();
        assert_eq!(s, model);
        assert_eq!(is_inline(&s), model.len() <= 15);
        let pieces = ["ab", "", "é€", "😀😀", "0123456789"];
        let s: CowStr = pieces[..n.min(5)].iter().copied().collect();
        let model: String = pieces[..n.min(5)].iter().copied().collect();
        assert_eq!(s, model);
    }
    // Extend a short, a long unique and a long shared string.
    for (form, mut s, other) in forms(MIXED) {
        let mut model = String::from(MIXED);
        s.extend(many.iter().copied().take(4));
        model.extend(many.iter().copied().take(4));
        s.extend(["x", "", "é€😀", "a fairly long piece of text"]);
        model.extend(["x", "", "é€😀", "a fairly long piece of text"]);
        s.extend(std::iter::empty::<char>());
        assert_eq!(s, model, "{form}");
        if let Some(other) = other {
            assert_eq!(other, MIXED, "{form}");
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_as_str() {
    use serde::de::value::{BytesDeserializer, Error as ValueError};
    use serde::Deserialize;

    for t in [
        "",
        "x",
        MIXED,
        MIXED_LONG,
        "quote\" back\\ nl\n tab\t nul\0",
        "exactly sixteen!",
    ] {
        for s in [CowStr::from(t), long_form(t)] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, serde_json::to_string(t).unwrap());
            let back: CowStr = serde_json::from_str(&json).unwrap();
            assert_eq!(back, t);
            assert_eq!(is_inline(&back), t.len() <= 15, "deserialized {t:?}");
        }
    }
    // Escapes decoded (serde_json hands over an owned string then).
    let back: CowStr = serde_json::from_str(r#""caf\u00e9 \ud83d\ude00""#).unwrap();
    assert_eq!(back, "café 😀");
    // Inside containers, and as map keys.
    let v: Vec<CowStr> = serde_json::from_str(r#"["a", "a string longer than 15"]"#).unwrap();
    assert_eq!(v, ["a", "a string longer than 15"]);
    let m: HashMap<CowStr, u32> =
        serde_json::from_str(r#"{"k": 1, "a long key, é€😀": 2}"#).unwrap();
    assert_eq!((m["k"], m["a long key, é€😀"]), (1, 2));
    // Not a string.
    assert!(serde_json::from_str::<CowStr>("12").is_err());
    assert!(serde_json::from_str::<CowStr>("null").is_err());
    // From bytes: UTF-8 accepted, anything else refused.
    let ok = CowStr::deserialize(BytesDeserializer::<ValueError>::new("é€😀".as_bytes()));
    assert_eq!(ok.unwrap(), "é€😀");
    let bad = CowStr::deserialize(BytesDeserializer::<ValueError>::new(b"\xff\xfe"));
    assert!(bad.is_err());
}

// ---------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------

const THREADS: usize = if cfg!(miri) { 3 } else { 8 };
const ITERS: usize = if cfg!(miri) { 10 } else { 2_000 };

/// What thread `t` makes of `base`, computed on a `String`.
fn edited(base: &str, t: usize) -> String {
    let mut s = String::from(base);
    s.push_str(&format!("-{t}"));
    s.make_ascii_uppercase();
    s.insert(0, '😀');
    s.truncate(s.len() - 1);
    s
}

#[test]
fn clones_sent_to_threads_edit_their_own_copies() {
    let long = CowStr::from("a string shared by every thread, é€😀");
    let short = CowStr::from("short é€");
    let results: Vec<(usize, CowStr, CowStr)> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (long, short) = (&long, &short);
                s.spawn(move || {
                    // Each thread clones (from the shared handles) and edits
                    // its own copies.
                    let mut mine = long.clone();
                    let mut small = short.clone();
                    let keep = mine.clone();
                    for x in [&mut mine, &mut small] {
                        x.push_str(&format!("-{t}"));
                        x.make_mut().make_ascii_uppercase();
                        x.insert(0, '😀');
                        let len = x.len();
                        x.truncate(len - 1);
                    }
                    assert_eq!(keep, *long);
                    (t, mine, small)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (t, mine, small) in results {
        assert_eq!(mine, edited(&long, t));
        assert_eq!(small, edited(&short, t));
    }
    assert_eq!(long, "a string shared by every thread, é€😀");
    assert_eq!(short, "short é€");
    // Every clone is gone: the buffer is unique again, so a write is in place.
    let mut long = long;
    assert_unique(&mut long);
}

#[test]
fn threads_clone_and_drop_one_string_at_once() {
    let long = CowStr::from(MIXED_LONG);
    let barrier = Barrier::new(THREADS);
    thread::scope(|s| {
        for t in 0..THREADS {
            let (long, barrier) = (&long, &barrier);
            s.spawn(move || {
                barrier.wait();
                let mut held = Vec::new();
                for i in 0..ITERS {
                    let c = long.clone();
                    assert_eq!(c.as_ptr(), long.as_ptr());
                    assert_eq!(c, MIXED_LONG);
                    if i % 3 == t % 3 {
                        held.push(c);
                    }
                    if held.len() > 4 {
                        held.remove(0);
                    }
                }
                // The last write through a clone copies; the rest never see it.
                if let Some(mut last) = held.pop() {
                    last.push('!');
                    assert_eq!(last.strip_suffix('!'), Some(MIXED_LONG));
                }
            });
        }
    });
    assert_eq!(long, MIXED_LONG);
    let mut long = long;
    assert_unique(&mut long);
}

#[test]
fn strings_move_between_threads() {
    let strings: Vec<CowStr> = ["", "short", MIXED, MIXED_LONG]
        .into_iter()
        .map(CowStr::from)
        .collect();
    let snaps = strings.clone();
    let back = thread::spawn(move || {
        strings
            .into_iter()
            .map(|mut s| {
                s.push('+');
                s
            })
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    for (b, s) in back.iter().zip(&snaps) {
        assert_eq!(b.strip_suffix('+'), Some(s.as_str()));
    }
}

// ---------------------------------------------------------------------------
// Unwinding through strings
// ---------------------------------------------------------------------------

/// The payload of the panics this section causes.
struct Boom;

fn quiet_boom() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<Boom>() {
                default(info);
            }
        }));
    });
}

/// Unique again: a write to `s` happens in place.
#[track_caller]
fn assert_unique(s: &mut CowStr) {
    let p = s.as_ptr();
    s.make_mut();
    assert_eq!(s.as_ptr(), p, "still shared");
}

#[test]
fn a_vec_of_strings_dropped_while_unwinding() {
    quiet_boom();
    let mut outer = CowStr::from(MIXED_LONG);
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut v: Vec<CowStr> = Vec::new();
        for i in 0..20 {
            v.push(outer.clone());
            v.push(CowStr::from(&*format!("s{i}")));
            v.push(CowStr::from(&*format!("a long string number {i}")));
            let mut shared = v[v.len() - 1].clone();
            shared.push('é');
            v.push(shared);
        }
        let _alive = outer.clone();
        panic::panic_any(Boom);
    }));
    assert!(r.is_err());
    assert_eq!(outer, MIXED_LONG);
    assert_unique(&mut outer);
}

#[test]
fn a_panic_while_collecting_strings_drops_the_made_ones() {
    quiet_boom();
    let mut outer = CowStr::from(MIXED_LONG);
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        (0..10)
            .map(|i| {
                if i == 7 {
                    panic::panic_any(Boom);
                }
                let mut s = outer.clone();
                s.truncate(if i % 2 == 0 { 6 } else { 21 });
                s
            })
            .collect::<Vec<CowStr>>()
    }));
    assert!(r.is_err());
    assert_unique(&mut outer);
}

#[test]
fn a_panicking_iterator_leaves_a_valid_prefix() {
    quiet_boom();
    // Extend<char> / Extend<&str> of each form: the chars before the panic
    // are in, the string is valid, the other handle untouched.
    for (form, mut s, other) in forms(MIXED) {
        let r = panic::catch_unwind(AssertUnwindSafe(|| {
            s.extend("é€😀0123456789".chars().inspect(|&c| {
                if c == '5' {
                    panic::panic_any(Boom);
                }
            }));
        }));
        assert!(r.is_err());
        assert_eq!(s, format!("{MIXED}é€😀01234"), "{form}");
        let r = panic::catch_unwind(AssertUnwindSafe(|| {
            s.extend(["ab", "cd", "boom", "ef"].into_iter().inspect(|&p| {
                if p == "boom" {
                    panic::panic_any(Boom);
                }
            }));
        }));
        assert!(r.is_err());
        assert_eq!(s, format!("{MIXED}é€😀01234abcd"), "{form}");
        if let Some(other) = other {
            assert_eq!(other, MIXED, "{form}");
        }
    }
    // FromIterator: the string being built is dropped.
    for n in [3, 20] {
        let r = panic::catch_unwind(|| {
            "x".repeat(40)
                .chars()
                .enumerate()
                .map(|(i, c)| if i == n { panic::panic_any(Boom) } else { c })
                .collect::<CowStr>()
        });
        assert!(r.is_err());
    }
}

/// Writes "ab", then panics.
struct PanicsMidway;

impl fmt::Display for PanicsMidway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ab")?;
        panic::panic_any(Boom)
    }
}

#[test]
fn a_panicking_display_in_write_leaves_what_was_written() {
    quiet_boom();
    for (form, mut s, other) in forms(MIXED_LONG) {
        let r = panic::catch_unwind(AssertUnwindSafe(|| write!(s, "{}é{}", 1, PanicsMidway)));
        assert!(r.is_err());
        assert_eq!(s, format!("{MIXED_LONG}1éab"), "{form}");
        if let Some(other) = other {
            assert_eq!(other, MIXED_LONG, "{form}");
        }
    }
}

#[test]
fn a_failed_edit_leaves_a_droppable_string() {
    // A boundary panic while a long string is shared: nothing copied,
    // nothing leaked (Miri checks), the other handle unchanged.
    let mut a = CowStr::from(MIXED_LONG);
    let b = a.clone();
    assert!(outcome(|| a.truncate(2)).is_err());
    assert!(outcome(|| a.insert(4, 'x')).is_err());
    assert!(outcome(|| a.insert_str(MIXED_LONG.len() + 1, "x")).is_err());
    assert_eq!(a.as_ptr(), b.as_ptr(), "a failed edit copied the buffer");
    drop(a);
    assert_eq!(b, MIXED_LONG);
}

/// `==` between two `CowStr`s agrees with `str`'s in every pairing of
/// forms: short and short, long and long, and a long string that shrank
/// (it keeps its buffer) against a short one with the same text.
#[test]
fn equality_across_forms_agrees_with_str() {
    let long_text = "0123456789abcdefghij";
    let mut shrunk = CowStr::from(long_text);
    shrunk.truncate(3);
    let mut shrunk15 = CowStr::from(long_text);
    shrunk15.truncate(15);
    let cases = [
        CowStr::from(""),
        CowStr::from("012"),
        CowStr::from("013"),
        CowStr::from("0123456789abcde"),
        CowStr::from("0123456789abcdX"),
        CowStr::from(long_text),
        CowStr::from("0123456789abcdefghiX"),
        CowStr::from("0123456789abcdefghijk"),
        shrunk,
        shrunk15,
    ];
    for a in &cases {
        for b in &cases {
            assert_eq!(a == b, a.as_str() == b.as_str(), "{a:?} == {b:?}");
            assert_eq!(a.clone() == *b, a.as_str() == b.as_str());
        }
    }
    // The shrunk ones equal their short twins.
    assert_eq!(cases[8], cases[1]);
    assert_eq!(cases[9], cases[3]);
}
