//! `CowStr` against its anchors, side by side in one run (docs/DESIGN.md,
//! "CowStr"): `String`, `Arc<str>` and `ecow::EcoString`.
//!
//! | group         | what one iteration does                                            |
//! |---------------|--------------------------------------------------------------------|
//! | `clone_drop`  | clone a string, then drop the clone                                |
//! | `push_str_1k` | build a 1 KiB string from empty by 32 `push_str`s of 32 bytes       |
//! | `eq`          | compare two equal strings held in different places                 |
//! | `hash`        | hash a string with a fixed SipHash-1-3 (`DefaultHasher`)           |
//! | `map_first_write` | snapshot (`clone`) a map of 100k keys of 20 to 40 bytes, write one value, drop the snapshot |
//!
//! Parameters: `clone_drop` at `short` (11 bytes: inline for `CowStr` and
//! `EcoString`) and `long` (64 bytes); `eq` and `hash` at `8` and `64`
//! bytes. `eq` and `hash` compare against `str` itself (a `String`'s
//! `as_str()`), the bar being "within 1.1x of `str`". `map_first_write` is
//! `CowMap<CowStr, u64>` against `CowMap<String, u64>`: the write copies one
//! page, and with `String` keys that clones every key in it (an allocation
//! and a copy each), with `CowStr` keys a refcount increment each.
//! Allocation counts of that case are in tests/str_alloc.rs.
//!
//! Run: `cargo bench --bench string -- --warm-up-time 1 --measurement-time 3`.
//! Smoke run (each bench once, no timing): `cargo bench --bench string -- --test`.

use std::collections::hash_map::DefaultHasher;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::hint::black_box;
use std::sync::Arc;

use arcow::{CowMap, CowStr};
use criterion::measurement::WallTime;
use criterion::{criterion_main, BenchmarkGroup, BenchmarkId, Criterion};
use ecow::EcoString;
use string_common::*;

mod string_common;

type Group<'a> = BenchmarkGroup<'a, WallTime>;

fn clone_drop<S: Str>(g: &mut Group<'_>) {
    for (name, len) in [("short", 11), ("long", 64)] {
        let s = S::from_str(&text(len));
        g.bench_with_input(BenchmarkId::new(S::NAME, name), &s, |b, s| {
            b.iter(|| drop(black_box(S::clone(black_box(s)))));
        });
    }
}

fn push_str_1k<S: Grow>(g: &mut Group<'_>) {
    let chunk = text(32);
    g.bench_function(S::NAME, |b| {
        b.iter(|| {
            let mut s = S::empty();
            for _ in 0..32 {
                s.push_str(black_box(&chunk));
            }
            s
        });
    });
}

fn eq<S: Str>(g: &mut Group<'_>, name: &str) {
    for len in [8, 64] {
        let (a, b) = (S::from_str(&text(len)), S::from_str(&text(len)));
        g.bench_with_input(BenchmarkId::new(name, len), &(a, b), |bench, (a, b)| {
            bench.iter(|| black_box(a) == black_box(b));
        });
    }
}

fn hash<S: Str>(g: &mut Group<'_>, name: &str) {
    let hasher = BuildHasherDefault::<DefaultHasher>::default();
    for len in [8, 64] {
        let s = S::from_str(&text(len));
        g.bench_with_input(BenchmarkId::new(name, len), &s, |bench, s| {
            bench.iter(|| hasher.hash_one(black_box(s)));
        });
    }
}

/// Keys of the map case: 100k distinct strings of 20 to 40 bytes.
fn map_keys() -> Vec<String> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..100_000)
        .map(|i| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let len = 20 + (x >> 59) as usize % 21;
            let mut k = format!("user/{i:06}/");
            while k.len() < len {
                k.push(char::from(b'a' + (x >> (k.len() % 50)) as u8 % 26));
            }
            k
        })
        .collect()
}

fn map_first_write<S: Str + Eq + std::borrow::Borrow<str>>(g: &mut Group<'_>, keys: &[String]) {
    let mut map: CowMap<S, u64> = keys.iter().map(|k| (S::from_str(k), 0)).collect();
    let mut at = 0;
    g.bench_function(BenchmarkId::new(S::NAME, "100k"), |b| {
        b.iter(|| {
            let snapshot = black_box(map.clone());
            at = (at + 7919) % keys.len();
            *map.get_mut(keys[at].as_str()).expect("key present") += 1;
            drop(snapshot);
        });
    });
    black_box(&map);
}

fn benches() {
    let mut c = Criterion::default().configure_from_args();

    let mut g = c.benchmark_group("clone_drop");
    clone_drop::<CowStr>(&mut g);
    clone_drop::<String>(&mut g);
    clone_drop::<Arc<str>>(&mut g);
    clone_drop::<EcoString>(&mut g);
    g.finish();

    let mut g = c.benchmark_group("push_str_1k");
    push_str_1k::<CowStr>(&mut g);
    push_str_1k::<String>(&mut g);
    push_str_1k::<EcoString>(&mut g);
    g.finish();

    let mut g = c.benchmark_group("eq");
    eq::<CowStr>(&mut g, CowStr::NAME);
    eq::<PlainStr>(&mut g, STR);
    eq::<EcoString>(&mut g, EcoString::NAME);
    g.finish();

    let mut g = c.benchmark_group("hash");
    hash::<CowStr>(&mut g, CowStr::NAME);
    hash::<PlainStr>(&mut g, STR);
    hash::<EcoString>(&mut g, EcoString::NAME);
    g.finish();

    let keys = map_keys();
    let mut g = c.benchmark_group("map_first_write");
    map_first_write::<CowStr>(&mut g, &keys);
    map_first_write::<String>(&mut g, &keys);
    g.finish();
}

criterion_main!(benches);
