//! Allocation accounting for `CowStr`, with a counting global allocator.
//!
//! The counters are thread-local: libtest runs each test on its own thread,
//! so tests running in parallel never see each other's allocations. Each
//! check measures only the region it cares about ([`measure`]); assertions,
//! which may format and allocate, stay outside it.
//!
//! Shown here: a short string (at most 15 bytes) is made, cloned, edited and
//! dropped without the allocator; a long clone and a non-last drop touch no
//! allocator, the last drop frees once; writes to a unique long string with
//! room allocate nothing, and the first write to a shared one allocates
//! exactly once (the second nothing); the conversions allocate what they
//! must and no more; a panicking iterator leaks nothing. And the case the
//! type exists for (DESIGN.md, "CowStr"): the first write after a snapshot
//! of a `CowMap<CowStr, u64>` copies its page with one refcount increment
//! per key, not one allocation per key as `CowMap<String, u64>` does.

mod common;

use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};

use arcow::{CowMap, CowStr};
use common::alloc::{measure, measure_with_sizes, Stats};
use common::strs::{is_inline, long_form};

#[global_allocator]
static GLOBAL: common::alloc::Counting = common::alloc::Counting;

/// The bytes of a long string's buffer with room for `cap` bytes: the
/// `CowVec<u8>` header `{count, capacity}`, then the bytes, padded to the
/// header's alignment.
fn buffer_bytes(cap: usize) -> usize {
    2 * size_of::<usize>() + cap.next_multiple_of(align_of::<usize>())
}

/// A unique long string of `len` bytes with room for more (grown by
/// `push_str`, so it has the growth path's spare capacity).
fn grown(len: usize) -> CowStr {
    let mut s = CowStr::new();
    for i in 0..len {
        s.push(char::from(b'a' + (i % 26) as u8));
    }
    s
}

const LONG: &str = "a string longer than fifteen bytes, é€😀";

// ---------------------------------------------------------------------------
// Short strings: no allocator at all
// ---------------------------------------------------------------------------

#[test]
fn short_strings_never_touch_the_allocator() {
    let (v, counts) = measure(|| {
        let a = CowStr::new();
        let b = CowStr::default();
        let c = CowStr::from("fifteen bytes!!");
        let d = CowStr::from('😀');
        let e: CowStr = "é€😀".parse().unwrap();
        let f: CowStr = "abc".chars().collect();
        let g: CowStr = ["ab", "cd"].into_iter().collect();
        let h = c.clone();
        let i = h.clone();
        (a, b, c, d, e, f, g, h, i)
    });
    assert_eq!(counts, Stats::NONE, "making and cloning short strings");
    assert!(is_inline(&v.2) && is_inline(&v.8));
    let (mut s, counts) = measure(|| v.2.clone());
    assert_eq!(counts, Stats::NONE, "a short clone");
    let ((), counts) = measure(|| {
        s.truncate(3);
        s.push('é');
        s.push_str("€😀");
        s.insert(0, 'x');
        s.insert_str(1, "yz");
        s.pop();
        s.make_mut().make_ascii_uppercase();
        write!(s, "{}", 7).unwrap();
        s.extend(['a', 'b']);
        s.clear();
    });
    assert_eq!(counts, Stats::NONE, "edits that stay within 15 bytes");
    let ((), counts) = measure(|| drop((v, s)));
    assert_eq!(counts, Stats::NONE, "dropping short strings");
}

#[test]
fn crossing_fifteen_bytes_allocates_once() {
    let mut s = CowStr::from("fifteen bytes!!");
    let (_, counts, sizes) = measure_with_sizes(|| s.push('.'));
    assert_eq!((counts.allocs, counts.reallocs, counts.deallocs), (1, 0, 0));
    assert!(!is_inline(&s));
    // Room for more: the next pushes up to the capacity allocate nothing.
    assert!(sizes[0] >= buffer_bytes(32), "{sizes:?}");
    let ((), counts) = measure(|| s.push_str("0123456789abcdef"));
    assert_eq!(counts, Stats::NONE);
    assert_eq!(s, "fifteen bytes!!.0123456789abcdef");
    // An insert that crosses: one allocation too.
    let mut s = CowStr::from("fifteen bytes!!");
    let ((), counts) = measure(|| s.insert(0, '€'));
    assert_eq!((counts.allocs, counts.reallocs, counts.deallocs), (1, 0, 0));
}

// ---------------------------------------------------------------------------
// Long strings: clone, drop, writes
// ---------------------------------------------------------------------------

#[test]
fn from_a_long_str_allocates_one_exact_buffer() {
    for len in [16, 17, 40, 100] {
        let t = "é".repeat(len / 2) + &"x".repeat(len % 2);
        let (s, counts, sizes) = measure_with_sizes(|| CowStr::from(t.as_str()));
        assert_eq!((counts.allocs, counts.deallocs), (1, 0), "len {len}");
        assert_eq!(sizes, [buffer_bytes(len)], "len {len}");
        assert_eq!(s, *t);
    }
    // From<String>: the String is copied and freed.
    let owned = String::from(LONG);
    let (s, counts) = measure(|| CowStr::from(owned));
    assert_eq!((counts.allocs, counts.deallocs), (1, 1));
    assert_eq!(s, LONG);
    // ... a short one is only freed.
    let owned = String::from("short");
    let (s, counts) = measure(|| CowStr::from(owned));
    assert_eq!((counts.allocs, counts.deallocs), (0, 1));
    assert_eq!(s, "short");
}

#[test]
fn long_clone_and_non_last_drop_touch_no_allocator() {
    let s = CowStr::from(LONG);
    let (c, counts) = measure(|| s.clone());
    assert_eq!(counts, Stats::NONE, "a long clone");
    let (d, counts) = measure(|| c.clone());
    assert_eq!(counts, Stats::NONE);
    let ((), counts) = measure(|| drop(c));
    assert_eq!(counts, Stats::NONE, "a non-last drop");
    let ((), counts) = measure(|| drop(s));
    assert_eq!(counts, Stats::NONE);
    let ((), counts) = measure(|| drop(d));
    assert_eq!(
        (counts.allocs, counts.deallocs),
        (0, 1),
        "the last drop frees once"
    );
    assert_eq!(counts.dealloc_bytes, buffer_bytes(LONG.len()));
}

#[test]
fn writes_to_a_unique_long_string_with_room_allocate_nothing() {
    let mut s = grown(20);
    let ((), counts) = measure(|| {
        s.push_str("abc");
        s.push('é');
        s.insert(0, '€');
        s.insert_str(3, "xy");
        s.pop();
        s.truncate(10);
        s.make_mut().make_ascii_uppercase();
        write!(s, "{}", 12).unwrap();
        s.extend(["d", "e"]);
        s.truncate(3);
        s.push_str("0123456789");
        s.clear();
        s.push_str("0123456789abcdefghij");
    });
    assert_eq!(counts, Stats::NONE, "edits in place");
    assert_eq!(s, "0123456789abcdefghij");
    // A shrunk long string keeps its buffer: regrowing within it is free.
    let mut s = long_form("tiny");
    let ((), counts) = measure(|| s.push_str("0123456789ab"));
    assert_eq!(counts, Stats::NONE);
}

/// The writes that copy a shared long string.
type Write = fn(&mut CowStr);
fn first_writes() -> [(&'static str, Write); 9] {
    [
        ("make_mut", |s| s.make_mut().make_ascii_uppercase()),
        ("push", |s| s.push('!')),
        ("push_str", |s| s.push_str("more")),
        ("insert", |s| s.insert(1, 'é')),
        ("insert_str", |s| s.insert_str(0, "€😀")),
        ("truncate", |s| s.truncate(20)),
        ("pop", |s| {
            s.pop();
        }),
        ("fmt::Write", |s| write!(s, "{}", 1).unwrap()),
        ("extend", |s| s.extend(['a', 'b'])),
    ]
}

#[test]
fn first_write_to_a_shared_long_string_allocates_once() {
    for (name, write) in first_writes() {
        let makers: [fn() -> CowStr; 2] = [|| CowStr::from(LONG), || grown(40)];
        for make in makers {
            let mut s = make();
            let other = s.clone();
            let before = other.to_string();
            let ((), counts) = measure(|| write(&mut s));
            assert_eq!(
                (counts.allocs, counts.reallocs, counts.deallocs),
                (1, 0, 0),
                "{name} on a shared string: exactly one allocation"
            );
            assert_eq!(other, *before, "{name}: the other handle");
            assert_ne!(s.as_ptr(), other.as_ptr(), "{name}");
            // The second write: in place (each fits in the copy's capacity
            // or is a make_mut; shrinking ones always do).
            if !matches!(
                name,
                "push" | "push_str" | "insert" | "insert_str" | "fmt::Write" | "extend"
            ) {
                let ((), counts) = measure(|| write(&mut s));
                assert_eq!(counts, Stats::NONE, "{name}: second write");
            }
            let ((), counts) = measure(|| s.make_mut().make_ascii_lowercase());
            assert_eq!(counts, Stats::NONE, "{name}: make_mut after the copy");
        }
    }
}

#[test]
fn clearing_a_shared_long_string_lets_go_of_it() {
    let mut s = CowStr::from(LONG);
    let other = s.clone();
    let ((), counts) = measure(|| s.clear());
    assert_eq!(counts, Stats::NONE);
    let ((), counts) = measure(|| s.truncate(0));
    assert_eq!(counts, Stats::NONE);
    assert_eq!(other, LONG);
    let mut t = other.clone();
    let ((), counts) = measure(|| t.truncate(0));
    assert_eq!(counts, Stats::NONE, "truncate(0) of a shared string");
    drop(other);
}

#[test]
fn into_string_allocates_the_string_only() {
    // Unique: the bytes move into one new String; our buffer is freed.
    let s = CowStr::from(LONG);
    let (out, counts) = measure(|| s.into_string());
    assert_eq!((counts.allocs, counts.deallocs), (1, 1));
    assert_eq!(out, LONG);
    // Shared: one String, nothing freed.
    let s = CowStr::from(LONG);
    let other = s.clone();
    let (out, counts) = measure(|| s.into_string());
    assert_eq!((counts.allocs, counts.deallocs), (1, 0));
    assert_eq!((out.as_str(), other.as_str()), (LONG, LONG));
    // Short: one String.
    let s = CowStr::from("short");
    let (out, counts) = measure(|| String::from(s));
    assert_eq!((counts.allocs, counts.deallocs), (1, 0));
    assert_eq!(out, "short");
}

#[test]
fn a_panicking_iterator_leaks_nothing() {
    struct Boom;
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<Boom>() {
                default(info);
            }
        }));
    });
    // Warm up whatever the first panic on this thread sets up.
    let _ = panic::catch_unwind(|| panic::panic_any(Boom));
    for n in [3, 15, 16, 40] {
        let ((), counts) = measure(|| {
            let r = panic::catch_unwind(AssertUnwindSafe(|| {
                (0..100)
                    .map(|i| if i == n { panic::panic_any(Boom) } else { 'é' })
                    .collect::<CowStr>()
            }));
            assert!(r.is_err());
        });
        assert!(counts.balanced(), "collect panicking at {n}: {counts:?}");
    }
}

// ---------------------------------------------------------------------------
// The map case: a page copy clones its keys
// ---------------------------------------------------------------------------

/// Keys of 20 to 40 bytes.
fn key(i: usize) -> String {
    let mut k = format!("user/{i:08}/");
    while k.len() < 20 + i % 21 {
        k.push(char::from(b'a' + (i % 26) as u8));
    }
    k
}

const MAP_KEYS: usize = if cfg!(miri) { 160 } else { 100_000 };
/// Keys whose first write after a snapshot is measured.
const PROBES: usize = if cfg!(miri) { 3 } else { 20 };

/// The allocations of the first write after a snapshot, for each of
/// `PROBES` keys: `insert` of an existing key, then (on a fresh snapshot)
/// `get_mut`. The keys to insert are made before measuring.
fn first_writes_after_snapshot<K>(map: &mut CowMap<K, u64>, make: impl Fn(&str) -> K) -> Vec<Stats>
where
    K: Clone + Eq + std::hash::Hash + std::borrow::Borrow<str>,
{
    let mut out = Vec::new();
    for p in 0..PROBES {
        let k = key(p * (MAP_KEYS / PROBES) + 7);
        let owned = make(&k);
        let snap = map.clone();
        let (old, counts) = measure(|| map.insert(owned, 1));
        assert!(old.is_some(), "{k} was in the map");
        out.push(counts);
        drop(snap);

        let snap = map.clone();
        let (found, counts) = measure(|| map.get_mut(k.as_str()).map(|v| *v += 1).is_some());
        assert!(found);
        out.push(counts);
        assert_eq!(snap.get(k.as_str()), Some(&1));
        drop(snap);
    }
    out
}

#[test]
fn a_cow_str_keyed_page_copy_allocates_nothing_per_key() {
    let mut cow: CowMap<CowStr, u64> = CowMap::new();
    let mut string: CowMap<String, u64> = CowMap::new();
    for i in 0..MAP_KEYS {
        let k = key(i);
        assert!((20..=40).contains(&k.len()));
        cow.insert(CowStr::from(k.as_str()), i as u64);
        string.insert(k, i as u64);
    }
    let cow_counts = first_writes_after_snapshot(&mut cow, |k| CowStr::from(k));
    let string_counts = first_writes_after_snapshot(&mut string, |k| String::from(k));
    let allocs = |c: &[Stats]| c.iter().map(|s| s.allocs).collect::<Vec<_>>();
    eprintln!(
        "first write after a snapshot, {MAP_KEYS} keys of 20-40 bytes (insert, get_mut per probe):\n  \
         CowMap<CowStr, u64> allocations: {:?}\n  CowMap<String, u64> allocations: {:?}",
        allocs(&cow_counts),
        allocs(&string_counts)
    );
    for (i, c) in cow_counts.iter().enumerate() {
        // The page and the directory path to it (DESIGN.md: at most 4),
        // whatever the number of keys in the page.
        assert!(c.allocs <= 4, "CowStr keys, write {i}: {c:?}");
        assert_eq!(c.reallocs, 0);
    }
    for (i, c) in string_counts.iter().enumerate() {
        // One String clone per key in the copied page, on top of that. How
        // many keys a page holds depends on the hash seed (45 to 110 seen
        // over runs: pages split at 7/8 full, unevenly), so each write is
        // only held to "many", and the median to a half-full page.
        assert!(c.allocs >= 20, "String keys, write {i}: {c:?}");
    }
    let mut sorted = allocs(&string_counts);
    sorted.sort_unstable();
    assert!(sorted[sorted.len() / 2] > 50, "String keys: {sorted:?}");
    // Reads of the snapshots and writes after the copy allocate nothing.
    let snap = cow.clone();
    let k = key(7);
    let ((), counts) = measure(|| {
        *cow.get_mut(k.as_str()).unwrap() += 1;
    });
    assert!(counts.allocs <= 4);
    let (found, counts) = measure(|| {
        *cow.get_mut(k.as_str()).unwrap() += 1;
        snap.get(k.as_str()).is_some()
    });
    assert!(found);
    assert_eq!(counts, Stats::NONE, "the second write to the copied page");
}
