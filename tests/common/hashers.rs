//! Deterministic and deliberately bad hashers for the `CowMap` tests.
//!
//! [`Masked<AND, OR>`] hashes a key with std's SipHash (fixed keys, so runs
//! repeat) and then keeps only the bits in `AND`, setting those in `OR`. The
//! map takes the directory's bits from the top of the hash, a page's home
//! slot from the bits above the low seven, and the tag from the low seven,
//! so each alias below starves a different part:
//!
//! - [`Sip`]: the whole hash, a good hasher with a fixed seed.
//! - [`Constant`]: every key the same hash: no split can separate keys, and
//!   every probe sees the same tag.
//! - [`Top8`]: only the top 8 bits vary (256 distinct hashes): the directory
//!   splits, but keys collide in tags and home slots.
//! - [`Low40`]: the top 24 bits are the same for every key, the low 40 good:
//!   the directory must go 24 bits deep before a split separates anything.
//! - [`LowOnly`]: only the low 16 bits vary: the directory can never split,
//!   so the pages must grow instead.
//!
//! The map multiplies every hash by an odd constant ([`MAP_MIX`], its
//! `make_hash`) before it uses it, so that identity-like hashers spread over
//! the directory. A `Masked` hasher multiplies by that constant's inverse
//! first, so the hash the map works with is exactly `(sip & AND) | OR`. If
//! the map's mix changes, these hashers stay valid hashers (the tests pass
//! the same), only the shapes above are no longer exact; `Constant` and
//! `Top8` keep theirs under any odd multiply.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::collections::hash_map::DefaultHasher;
use std::hash::{BuildHasher, Hasher};

/// See the module's documentation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Masked<const AND: u64, const OR: u64>;

/// The hasher of a [`Masked`] builder.
pub(crate) struct MaskedHasher<const AND: u64, const OR: u64>(DefaultHasher);

/// The odd constant the map multiplies hashes by (src/map/mod.rs,
/// `make_hash`).
pub(crate) const MAP_MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// `MAP_MIX`'s inverse modulo 2^64 (Newton's iteration doubles the correct
/// low bits each step: 5 steps from 3 correct bits give 96).
pub(crate) const MAP_MIX_INVERSE: u64 = {
    let mut x = MAP_MIX;
    let mut i = 0;
    while i < 5 {
        x = x.wrapping_mul(2u64.wrapping_sub(MAP_MIX.wrapping_mul(x)));
        i += 1;
    }
    x
};

const _: () = assert!(MAP_MIX.wrapping_mul(MAP_MIX_INVERSE) == 1);

impl<const AND: u64, const OR: u64> Hasher for MaskedHasher<AND, OR> {
    fn finish(&self) -> u64 {
        ((self.0.finish() & AND) | OR).wrapping_mul(MAP_MIX_INVERSE)
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
}

impl<const AND: u64, const OR: u64> BuildHasher for Masked<AND, OR> {
    type Hasher = MaskedHasher<AND, OR>;
    fn build_hasher(&self) -> Self::Hasher {
        MaskedHasher(DefaultHasher::new())
    }
}

pub(crate) type Sip = Masked<{ u64::MAX }, 0>;
pub(crate) type Constant = Masked<0, 0x9E37_79B9_7F4A_7C15>;
pub(crate) type Top8 = Masked<0xFF00_0000_0000_0000, 0>;
pub(crate) type Low40 = Masked<0x0000_00FF_FFFF_FFFF, 0xA5C3_9600_0000_0000>;
pub(crate) type LowOnly = Masked<0xFFFF, 0>;
