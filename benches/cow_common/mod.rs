//! What benches/cow.rs and benches/targets.rs share: the pointer types and
//! the payloads behind one trait each.
// Each bench binary uses a part of this module.
#![allow(dead_code)]

use std::sync::Arc as StdArc;

use arcow::Cow;
use triomphe::Arc as TriompheArc;

pub type Page = [u8; 4096];

/// What every bench needs from a pointer type, so the three anchors run the
/// very same (monomorphized, fully inlined) bench bodies.
pub trait Pointer<T>: Clone + std::ops::Deref<Target = T> {
    /// The name used as the bench id.
    const NAME: &'static str;
    fn new(value: T) -> Self;
    fn make_mut(this: &mut Self) -> &mut T;
}

impl<T: Clone> Pointer<T> for Cow<T> {
    const NAME: &'static str = "arcow::Cow";
    #[inline(always)]
    fn new(value: T) -> Self {
        Cow::new(value)
    }
    #[inline(always)]
    fn make_mut(this: &mut Self) -> &mut T {
        Cow::make_mut(this)
    }
}

impl<T: Clone> Pointer<T> for StdArc<T> {
    const NAME: &'static str = "std::Arc";
    #[inline(always)]
    fn new(value: T) -> Self {
        StdArc::new(value)
    }
    #[inline(always)]
    fn make_mut(this: &mut Self) -> &mut T {
        StdArc::make_mut(this)
    }
}

impl<T: Clone> Pointer<T> for TriompheArc<T> {
    const NAME: &'static str = "triomphe::Arc";
    #[inline(always)]
    fn new(value: T) -> Self {
        TriompheArc::new(value)
    }
    #[inline(always)]
    fn make_mut(this: &mut Self) -> &mut T {
        TriompheArc::make_mut(this)
    }
}

/// A payload: how to build it deterministically, read one word of it and
/// write one word of it. `at` is always `black_box`ed by the caller, so the
/// compiler cannot fold the index.
pub trait Payload: Clone + 'static {
    /// The payload's name, used as the bench parameter.
    const NAME: &'static str;
    /// An index to read or write; fixed, and hidden behind `black_box`.
    const AT: usize;
    fn make() -> Self;
    fn read(&self, at: usize) -> u64;
    fn write(&mut self, at: usize, word: u64);
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
    fn write(&mut self, _at: usize, word: u64) {
        *self = word;
    }
}

impl Payload for Page {
    const NAME: &'static str = "4KiB";
    const AT: usize = 1234;
    fn make() -> Self {
        let mut page = [0u8; 4096];
        for (i, byte) in page.iter_mut().enumerate() {
            *byte = (i % 251) as u8;
        }
        page
    }
    #[inline(always)]
    fn read(&self, at: usize) -> u64 {
        u64::from(self[at])
    }
    #[inline(always)]
    fn write(&mut self, at: usize, word: u64) {
        self[at] = word as u8;
    }
}
