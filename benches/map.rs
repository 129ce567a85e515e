//! `CowMap<K, V>` against std's `HashMap<K, V>` and `imbl::HashMap<K, V>`,
//! side by side in one run, every map with the same hasher type (std's
//! `RandomState`) (docs/DESIGN.md, "CowMap<K, V, S>"; issue 13).
//!
//! Keys are fixed-seed random `u64`s, values `u64`, unless said:
//!
//! | group         | what one iteration does                                                     |
//! |---------------|-----------------------------------------------------------------------------|
//! | `get_hit`     | 10k `get`s of random keys of a 1M-entry map (all hits), values summed       |
//! | `get_miss`    | 10k `get`s of absent random keys of the same map                            |
//! | `insert`      | build a 100k-entry map by `insert` from empty, drop it                      |
//! | `iterate`     | sum the values of a 1M-entry map through `iter()`                           |
//! | `remove`      | remove 10k keys of a 1M-entry map (only the removes are timed; see below)   |
//! | `first_write` | clone the map, overwrite one existing key in the clone, drop the clone; 1k to 10M entries |
//! | `cell_update` | one-key update of a 1M-entry map held in a cell: `CowCell<CowMap>::update`, `CowCell<HashMap>::update` (copies the whole map), `RwLock<HashMap>` write |
//! | `string_get`  | 10k `get`s by `&str` of random keys of a map with 100k `String` keys of 8 to 32 bytes |
//!
//! `remove` keeps the map unique and at 1M entries: the 1M keys are cut into
//! 100 sets of 10k; an iteration removes one set (timed) and inserts it back
//! (not timed, `iter_custom`), the next iteration the next set. So every
//! measured remove is a remove from a 1M-entry map that no snapshot shares
//! (a `CowMap` or `imbl::HashMap` clone taken as a setup would make the
//! removes copy pages or paths; rebuilding a 1M map per batch would take
//! most of the bench's time).
//!
//! `first_write` is "clone + overwrite one key + drop the clone", all timed,
//! for all three maps: `HashMap`'s clone copies every entry, `CowMap`'s
//! copies one page and a short directory path on the write, `imbl`'s one
//! path of its trie. The key written changes every iteration (random keys
//! of the map). `HashMap` runs at 10M too (about 200 ms an iteration; flat
//! sampling, 10 samples).
//!
//! Before the groups the bench prints the heap bytes of a 1M-entry map of
//! each type (built by insert from empty), counted by a global allocator
//! that counts only while asked (one relaxed load per allocation otherwise).
//!
//! Bench ids are `<group>/<map>/<size>`, e.g. `get_hit/arcow::CowMap/1M`.
//! The interleaved check of the design's targets is benches/map_targets.rs.
//!
//! Run: `cargo bench --bench map` (about 3 minutes; `-- get_hit` runs one group).
//! Smoke run (each bench once, no timing, maps of at most 100k entries, so
//! the ids say `100k` where a full run says `1M`):
//! `cargo bench --bench map -- --test`.

mod map_common;

use std::hint::black_box;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use arcow::CowCell;
use criterion::measurement::WallTime;
use criterion::{criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode};
use map_common::*;

#[global_allocator]
static GLOBAL: Counting = Counting;

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Runs `$bench::<M>($($arg),*)` for the three maps of `$k` keys.
macro_rules! each {
    ($bench:ident::<$k:ty>($($arg:expr),*)) => {
        $bench::<Cow<$k>>($($arg),*);
        $bench::<StdMap<$k>>($($arg),*);
        $bench::<Imbl<$k>>($($arg),*);
    };
}

/// The 1M keys and what is looked up in them.
struct Inputs {
    keys: Vec<u64>,
    hits: Vec<u64>,
    misses: Vec<u64>,
}

fn inputs(n: usize) -> Inputs {
    let keys = keys(n);
    Inputs {
        hits: pick(&keys, OPS, 3),
        misses: misses(OPS),
        keys,
    }
}

fn get<M: Map<u64>>(g: &mut Group<'_>, m: &M, probe: &[u64], hits: bool) {
    let probe: Vec<&u64> = probe.iter().collect();
    let expect_some = lookups(m, &probe) != 0;
    assert_eq!(expect_some, hits);
    g.bench_function(BenchmarkId::new(M::NAME, size_name(m.len())), |b| {
        b.iter(|| black_box(lookups(black_box(m), black_box(&probe))))
    });
}

fn get_hit(c: &mut Criterion, maps: &Maps, inp: &Inputs) {
    let mut g = c.benchmark_group("get_hit");
    g.sample_size(50);
    get(&mut g, &maps.cow, &inp.hits, true);
    get(&mut g, &maps.std, &inp.hits, true);
    get(&mut g, &maps.imbl, &inp.hits, true);
    g.finish();
}

fn get_miss(c: &mut Criterion, maps: &Maps, inp: &Inputs) {
    let mut g = c.benchmark_group("get_miss");
    g.sample_size(50);
    get(&mut g, &maps.cow, &inp.misses, false);
    get(&mut g, &maps.std, &inp.misses, false);
    get(&mut g, &maps.imbl, &inp.misses, false);
    g.finish();
}

fn insert<M: Map<u64>>(g: &mut Group<'_>, keys: &[u64]) {
    g.bench_function(BenchmarkId::new(M::NAME, size_name(keys.len())), |b| {
        b.iter(|| black_box(M::build(black_box(keys))))
    });
}

fn iterate<M: Map<u64>>(g: &mut Group<'_>, m: &M) {
    let expected = (m.len() as u64) * (m.len() as u64 - 1) / 2;
    assert_eq!(m.sum(), expected);
    g.bench_function(BenchmarkId::new(M::NAME, size_name(m.len())), |b| {
        b.iter(|| black_box(black_box(m).sum()))
    });
}

/// Remove one set of 10k keys (timed), insert it back (not timed); the
/// next iteration takes the next set.
fn remove<M: Map<u64>>(g: &mut Group<'_>, m: &mut M, keys: &[u64]) {
    let n = m.len();
    let sets = keys.len() / OPS;
    let mut set = 0;
    g.bench_function(BenchmarkId::new(M::NAME, size_name(n)), |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let first = set * OPS;
                let chunk = &keys[first..first + OPS];
                let start = Instant::now();
                let mut sum = 0u64;
                for k in chunk {
                    if let Some(v) = m.remove(black_box(k)) {
                        sum = sum.wrapping_add(v);
                    }
                }
                timed += start.elapsed();
                black_box(sum);
                for (i, k) in chunk.iter().enumerate() {
                    m.insert(*k, (first + i) as u64);
                }
                set = (set + 1) % sets;
            }
            timed
        })
    });
    assert_eq!(m.len(), n);
}

/// Clone, overwrite one existing key in the clone, drop the clone.
fn first_write<M: Map<u64>>(g: &mut Group<'_>, keys: &[u64]) {
    let m = M::build(keys);
    assert_eq!(m.len(), keys.len());
    let targets = pick(keys, 4096, 4);
    let mut i = 0;
    g.bench_function(BenchmarkId::new(M::NAME, size_name(keys.len())), |b| {
        b.iter(|| {
            let mut snapshot = black_box(&m).clone();
            let k = targets[i % targets.len()];
            i += 1;
            black_box(snapshot.insert(black_box(k), black_box(7)));
            drop(snapshot);
        })
    });
    // The writes went to the clones only.
    assert_ne!(m.get(&targets[0]), Some(&7));
}

fn first_write_sweep(c: &mut Criterion, all_keys: &[u64], smoke: bool) {
    let mut g = c.benchmark_group("first_write");
    let sizes: &[usize] = if smoke {
        &[1_000, 10_000, 100_000]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000, 10_000_000]
    };
    for &n in sizes {
        if n >= 100_000 {
            // `HashMap`'s clone takes 1 ms (100k) to 200 ms (10M).
            g.sampling_mode(SamplingMode::Flat);
            g.sample_size(match n {
                100_000 => 30,
                1_000_000 => 20,
                _ => 10,
            });
        }
        let big;
        let keys = if n <= all_keys.len() {
            &all_keys[..n]
        } else {
            big = map_common::keys(n);
            &big[..]
        };
        each!(first_write::<u64>(&mut g, keys));
    }
    g.finish();
}

fn cell_update(c: &mut Criterion, maps: &Maps, keys: &[u64]) {
    let mut g = c.benchmark_group("cell_update");
    let n = size_name(keys.len());
    let targets = pick(keys, 4096, 5);

    let cell = CowCell::new(<Cow<u64> as Map<u64>>::build(keys));
    let mut i = 0;
    g.bench_function(BenchmarkId::new("arcow::CowCell<CowMap>", &n), |b| {
        b.iter(|| {
            let k = targets[i % targets.len()];
            i += 1;
            black_box(cell.update(|m| m.insert(black_box(k), black_box(7))));
        })
    });
    drop(cell);

    let lock = RwLock::new(maps.std.clone());
    g.bench_function(BenchmarkId::new("std::RwLock<HashMap>", &n), |b| {
        b.iter(|| {
            let k = targets[i % targets.len()];
            i += 1;
            let mut m = lock.write().unwrap();
            black_box(m.insert(black_box(k), black_box(7)));
        })
    });
    drop(lock);

    // Every update copies the 1M-entry map (tens of ms).
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    let cell = CowCell::new(maps.std.clone());
    g.bench_function(BenchmarkId::new("arcow::CowCell<HashMap>", &n), |b| {
        b.iter(|| {
            let k = targets[i % targets.len()];
            i += 1;
            black_box(cell.update(|m| m.insert(black_box(k), black_box(7))));
        })
    });
    g.finish();
}

fn string_get<M: Map<String>>(g: &mut Group<'_>, keys: &[String], probe: &[&str]) {
    let m = M::build(keys);
    assert_eq!(m.len(), keys.len());
    assert!(probe.iter().all(|k| m.get(*k).is_some()));
    g.bench_function(BenchmarkId::new(M::NAME, size_name(keys.len())), |b| {
        b.iter(|| black_box(lookups(black_box(&m), black_box(probe))))
    });
}

fn string_gets(c: &mut Criterion) {
    let keys = string_keys(STRINGS);
    // Lookups come from elsewhere: copies of the keys, not the map's own.
    let owned = pick(&keys, OPS, 6);
    let probe: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut g = c.benchmark_group("string_get");
    g.sample_size(50);
    each!(string_get::<String>(&mut g, &keys, &probe));
    g.finish();
}

/// The three 1M-entry maps the read groups share.
struct Maps {
    cow: Cow<u64>,
    std: StdMap<u64>,
    imbl: Imbl<u64>,
}

/// Prints the heap bytes of a 1M-entry map of each type.
fn print_heap(keys: &[u64]) {
    let cow = map_heap::<Cow<u64>>(keys);
    let std = map_heap::<StdMap<u64>>(keys);
    let imbl = map_heap::<Imbl<u64>>(keys);
    println!(
        "heap of a {}-entry u64 -> u64 map built by insert (requested bytes):",
        size_name(keys.len())
    );
    for (name, bytes) in [
        ("arcow::CowMap", cow),
        ("std::HashMap", std),
        ("imbl::HashMap", imbl),
    ] {
        println!(
            "  {name:<14} {bytes:>11} B  {:>6.1} B/entry  {:.2}x HashMap",
            bytes as f64 / keys.len() as f64,
            bytes as f64 / std as f64
        );
    }
}

/// What `criterion_group!` would generate, written out so the inputs are
/// built once for every group.
fn benches() {
    let smoke = std::env::args().any(|a| a == "--test");
    // Defaults that keep the whole bench near 3 minutes on 2 cores; the
    // command line (`--warm-up-time`, `--measurement-time`) overrides them.
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    // The smoke run checks every bench once; 100k-entry maps do for that.
    let n = if smoke { 100_000 } else { BIG };
    let inp = inputs(n);
    print_heap(&inp.keys);
    let mut maps = Maps {
        cow: Map::build(&inp.keys),
        std: Map::build(&inp.keys),
        imbl: Map::build(&inp.keys),
    };
    assert_eq!([maps.cow.len(), maps.std.len(), maps.imbl.len()], [n; 3]);

    get_hit(&mut c, &maps, &inp);
    get_miss(&mut c, &maps, &inp);
    {
        let mut g = c.benchmark_group("insert");
        g.sampling_mode(SamplingMode::Flat);
        g.sample_size(20);
        each!(insert::<u64>(&mut g, &inp.keys[..BUILD]));
        g.finish();
    }
    {
        let mut g = c.benchmark_group("iterate");
        g.sampling_mode(SamplingMode::Flat);
        g.sample_size(20);
        iterate(&mut g, &maps.cow);
        iterate(&mut g, &maps.std);
        iterate(&mut g, &maps.imbl);
        g.finish();
    }
    {
        let mut g = c.benchmark_group("remove");
        g.sample_size(30);
        remove(&mut g, &mut maps.cow, &inp.keys);
        remove(&mut g, &mut maps.std, &inp.keys);
        remove(&mut g, &mut maps.imbl, &inp.keys);
        g.finish();
    }
    first_write_sweep(&mut c, &inp.keys, smoke);
    cell_update(&mut c, &maps, &inp.keys);
    drop(maps);
    string_gets(&mut c);
}

criterion_main!(benches);
