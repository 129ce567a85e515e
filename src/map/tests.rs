//! Unit tests that look inside: the trie's and pages' invariants after
//! every kind of restructuring, and the hash bits each part uses.

use super::*;
use alloc::vec::Vec;
use core::hash::{BuildHasher, Hasher};

/// Hashes a `u64` to itself, rotated so that the directory bits (top) and
/// the page bits (low) both vary: tests can steer keys exactly.
#[derive(Clone, Default)]
struct Identity;
struct IdHasher(u64);
impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        panic!("the Identity hasher takes u64 keys only")
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}
impl BuildHasher for Identity {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

fn check<K: Eq + Hash, V, S: BuildHasher>(m: &CowMap<K, V, S>) {
    m.table.debug_check(&|k| make_hash(&m.hash_builder, k));
}

fn spread(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The key whose hash under `Identity` the map turns into `h`: the
/// inverse of `make_hash`'s multiply (odd numbers are invertible mod 2^64;
/// Newton's iteration doubles the correct low bits each step).
fn key_for_hash(h: u64) -> u64 {
    const C: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut inv = C;
    for _ in 0..6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(C.wrapping_mul(inv)));
    }
    assert_eq!(C.wrapping_mul(inv), 1);
    h.wrapping_mul(inv)
}

#[test]
fn the_mixed_hash_is_what_the_tests_steer() {
    for h in [0, 1, 42, u64::MAX, 0xABCD << 44] {
        assert_eq!(make_hash(&Identity, &key_for_hash(h)), h);
    }
}

#[test]
fn grows_splits_and_keeps_every_entry() {
    let n = if cfg!(miri) { 600 } else { 20_000 };
    let mut m: CowMap<u64, u64, Identity> = CowMap::with_hasher(Identity);
    for i in 0..n {
        assert_eq!(m.insert(spread(i), i), None);
        if i % 97 == 0 {
            check(&m);
        }
    }
    check(&m);
    assert_eq!(m.len(), n as usize);
    for i in 0..n {
        assert_eq!(m.get(&spread(i)), Some(&i));
    }
    assert_eq!(m.iter().count(), n as usize);
    for i in (0..n).step_by(2) {
        assert_eq!(m.remove(&spread(i)), Some(i));
    }
    check(&m);
    for i in 0..n {
        assert_eq!(m.get(&spread(i)).is_some(), i % 2 == 1);
    }
}

#[test]
fn keys_sharing_top_bits_narrow_instead_of_doubling() {
    // Every key shares its top 20 bits: the pages narrow down a chain of
    // nodes, and only where the keys differ do they split.
    let n = if cfg!(miri) { 400 } else { 5_000 };
    let mut m: CowMap<u64, u64, Identity> = CowMap::with_hasher(Identity);
    for i in 0..n {
        m.insert(key_for_hash((0xABCDE << 44) | (spread(i) >> 20)), i);
    }
    check(&m);
    for i in 0..n {
        assert_eq!(m[&key_for_hash((0xABCDE << 44) | (spread(i) >> 20))], i);
    }
}

#[test]
fn equal_hashes_grow_one_page() {
    let n = if cfg!(miri) { 300 } else { 3_000 };
    // Keys differ only in bits the directory never reads and the tag
    // ignores... no: here the hash is exactly equal for all keys.
    #[derive(Clone, Default)]
    struct Constant;
    impl BuildHasher for Constant {
        type Hasher = IdHasher;
        fn build_hasher(&self) -> IdHasher {
            IdHasher(0)
        }
    }
    #[derive(PartialEq, Eq, Clone, Debug)]
    struct K(u64);
    impl Hash for K {
        fn hash<H: Hasher>(&self, h: &mut H) {
            h.write_u64(42);
        }
    }
    let mut m: CowMap<K, u64, Constant> = CowMap::with_hasher(Constant);
    for i in 0..n {
        m.insert(K(i), i);
    }
    check(&m);
    for i in 0..n {
        assert_eq!(m.get(&K(i)), Some(&i));
    }
    let pages: Vec<_> = {
        // SAFETY: a read walk of `m`, borrowed while it runs.
        let mut walk = unsafe { dir::Walk::new(m.table.root_ptr_shared()) };
        // SAFETY: the walk's mode is `Read`, as made.
        core::iter::from_fn(|| unsafe { walk.next::<K, u64, dir::Read>() }).collect()
    };
    assert_eq!(pages.len(), 1, "one page holds them all");
}

#[test]
fn snapshot_shares_pages_and_a_write_copies_one() {
    let n = if cfg!(miri) { 1_000 } else { 50_000 };
    let mut m: CowMap<u64, u64, Identity> = CowMap::with_hasher(Identity);
    for i in 0..n {
        m.insert(spread(i), i);
    }
    let snap = m.clone();
    assert!(m.ptr_eq(&snap));
    *m.get_mut(&spread(7)).unwrap() = 0;
    check(&m);
    check(&snap);
    assert_eq!(snap[&spread(7)], 7);
    assert_eq!(m[&spread(7)], 0);
    // Pages other than the written one are the same allocations.
    let pages = |map: &CowMap<u64, u64, Identity>| -> Vec<usize> {
        // SAFETY: a read walk of `map`, borrowed while it runs.
        let mut walk = unsafe { dir::Walk::new(map.table.root_ptr_shared()) };
        // SAFETY: the walk's mode is `Read`, as made.
        core::iter::from_fn(|| unsafe { walk.next::<u64, u64, dir::Read>() })
            .map(|p| p.as_ptr().as_ptr() as usize)
            .collect()
    };
    let (a, b) = (pages(&m), pages(&snap));
    assert_eq!(a.len(), b.len());
    assert_eq!(a.iter().zip(&b).filter(|(x, y)| x != y).count(), 1);
}
