//! What benches/string.rs and benches/targets.rs share: the string types
//! behind one trait, the anchor `str`, and the inputs.
// Each bench binary uses a part of this module.
#![allow(dead_code)]

use std::hash::Hash;
use std::sync::Arc;

use arcow::CowStr;
use ecow::EcoString;

/// What every bench needs from a string type.
pub trait Str: Clone + Hash + PartialEq + std::ops::Deref<Target = str> {
    const NAME: &'static str;
    fn from_str(s: &str) -> Self;
}

/// A string type that can grow.
pub trait Grow: Str {
    fn empty() -> Self;
    fn push_str(&mut self, s: &str);
}

impl Str for CowStr {
    const NAME: &'static str = "arcow::CowStr";
    fn from_str(s: &str) -> Self {
        CowStr::from(s)
    }
}

impl Grow for CowStr {
    fn empty() -> Self {
        CowStr::new()
    }
    #[inline(always)]
    fn push_str(&mut self, s: &str) {
        CowStr::push_str(self, s);
    }
}

impl Str for String {
    const NAME: &'static str = "String";
    fn from_str(s: &str) -> Self {
        String::from(s)
    }
}

impl Grow for String {
    fn empty() -> Self {
        String::new()
    }
    #[inline(always)]
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
}

impl Str for Arc<str> {
    const NAME: &'static str = "Arc<str>";
    fn from_str(s: &str) -> Self {
        Arc::from(s)
    }
}

impl Str for EcoString {
    const NAME: &'static str = "ecow::EcoString";
    fn from_str(s: &str) -> Self {
        EcoString::from(s)
    }
}

impl Grow for EcoString {
    fn empty() -> Self {
        EcoString::new()
    }
    #[inline(always)]
    fn push_str(&mut self, s: &str) {
        EcoString::push_str(self, s);
    }
}

/// `n` bytes of lowercase ASCII.
pub fn text(n: usize) -> String {
    (0..n)
        .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
        .collect()
}

/// `str` itself, the anchor of `eq` and `hash`: a `String` read through
/// `as_str()`.
pub const STR: &str = "str";

/// `str` for `eq` and `hash`: hashes and compares as `&str`.
#[derive(Clone, Hash, PartialEq)]
pub struct PlainStr(pub String);

impl std::ops::Deref for PlainStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Str for PlainStr {
    const NAME: &'static str = STR;
    fn from_str(s: &str) -> Self {
        PlainStr(String::from(s))
    }
}
