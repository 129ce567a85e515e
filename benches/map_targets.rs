//! The interleaved check of `CowMap`'s performance targets (issue 13;
//! docs/DESIGN.md, "CowMap<K, V, S>"): a plain binary, not criterion.
//!
//! Criterion runs the entries of a group one after another, so a change in
//! the machine's load lands on one entry and moves the ratio. Here every
//! target is measured in rounds: in each round `CowMap` and its anchor(s)
//! run bursts of the same work (about 10 ms each) in turn, three passes of
//! them, the order rotated from pass to pass and round to round; a type's
//! time in the round is its least burst, the ratio is taken within the
//! round, and the table gives the median over rounds and the least and
//! greatest round. A load change then hits both sides of a ratio alike.
//! A lookup burst starts with one untimed pass over its 10k keys, so the
//! keys are as warm as in criterion's back-to-back iterations.
//! Every map uses the same hasher type (std's `RandomState`).
//!
//! | target        | one unit of work (what a ratio compares)                                 |
//! |---------------|--------------------------------------------------------------------------|
//! | `get_hit`     | 10k `get`s of random keys of a 1M-entry `u64 -> u64` map, all hits       |
//! | `get_miss`    | 10k `get`s of absent keys of the same map                                |
//! | `insert`      | build a 100k-entry map by `insert` from empty, drop it                   |
//! | `iterate`     | sum the values of the 1M-entry map through `iter()`                      |
//! | `remove`      | remove 10k keys of a 1M-entry unique map (timed), insert them back (not) |
//! | `first_write` | clone the 1M-entry map, overwrite one key in the clone, drop the clone   |
//! | `string_get`  | 10k `get`s by `&str` in a map of 100k `String` keys of 8 to 32 bytes     |
//! | `cell_update` | `CowCell<CowMap>::update` of one key of a 1M-entry map (absolute time)   |
//! | `heap`        | heap bytes of the 1M-entry map built by insert (counted once, no rounds) |
//!
//! Run: `cargo bench --bench map_targets` (15 rounds, about 20 s after the
//! maps are built).
//! `ARCOW_ROUNDS=N` sets the rounds; `ARCOW_MAP_TARGETS_JSON=path` also
//! writes the results as JSON (for `cargo xtask bench-report`). Smoke run
//! (tiny maps, one round, seconds): `cargo bench --bench map_targets -- --test`.

mod interleave;
mod map_common;

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use arcow::CowCell;
use interleave::{fmt, load_average, median, span, timed, Case, Comparison, Plan};
use map_common::*;
use serde_json::{json, Value};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The sizes of one run: the design's, or tiny ones for `--test`.
struct Sizes {
    big: usize,
    build: usize,
    strings: usize,
    ops: usize,
}

/// A target: `subject / anchor` per round (or `subject`'s time, without an
/// anchor) at most `bar`.
struct Target {
    text: &'static str,
    group: &'static str,
    subject: &'static str,
    anchor: Option<&'static str>,
    bar: f64,
}

const COW: &str = "arcow::CowMap";
const STD: &str = "std::HashMap";
const IMBL: &str = "imbl::HashMap";
const CELL: &str = "arcow::CowCell<CowMap>";

const fn ratio(text: &'static str, group: &'static str, anchor: &'static str, bar: f64) -> Target {
    Target {
        text,
        group,
        subject: COW,
        anchor: Some(anchor),
        bar,
    }
}

/// The targets of issue 13, in its order.
const TARGETS: &[Target] = &[
    ratio("get hit <= HashMap", "get_hit", STD, 1.0),
    ratio("get hit <= 0.5x imbl", "get_hit", IMBL, 0.5),
    ratio("get miss <= 1.3x HashMap", "get_miss", STD, 1.3),
    ratio("get miss <= 0.5x imbl", "get_miss", IMBL, 0.5),
    ratio("insert 100k <= 1.3x HashMap", "insert", STD, 1.3),
    ratio("insert 100k <= 0.5x imbl", "insert", IMBL, 0.5),
    ratio("iterate <= 1.5x HashMap", "iterate", STD, 1.5),
    ratio("iterate <= 0.1x imbl", "iterate", IMBL, 0.1),
    ratio("remove <= 1.5x HashMap", "remove", STD, 1.5),
    ratio("first write <= imbl", "first_write", IMBL, 1.0),
    ratio(
        "first write < 0.1% HashMap clone+insert",
        "first_write",
        STD,
        0.001,
    ),
    ratio("heap <= 1.3x HashMap", "heap", STD, 1.3),
    ratio("String get <= 1.1x HashMap", "string_get", STD, 1.1),
    Target {
        text: "CowCell<CowMap> update < 5 us",
        group: "cell_update",
        subject: CELL,
        anchor: None,
        bar: 5000.0,
    },
];

fn lookup_case<'a, K, Q, M>(name: &'static str, m: &'a M, probe: &'a [&'a Q]) -> Case<'a>
where
    K: std::hash::Hash + Eq + Clone + std::borrow::Borrow<Q>,
    Q: std::hash::Hash + Eq + ?Sized,
    M: Map<K>,
{
    Case::new(name, move |reps| {
        // One untimed pass first, as criterion's repeated iterations have:
        // the probed slots are then as warm as the cache keeps them, and a
        // burst does not pay for what the previous type evicted.
        black_box(lookups(black_box(m), black_box(probe)));
        timed(reps, || {
            black_box(lookups(black_box(m), black_box(probe)));
        })
    })
}

fn insert_case<'a, M: Map<u64>>(keys: &'a [u64]) -> Case<'a> {
    Case::new(M::NAME, move |reps| {
        timed(reps, || drop(black_box(M::build(black_box(keys)))))
    })
}

fn iterate_case<M: Map<u64>>(m: &M) -> Case<'_> {
    Case::new(M::NAME, move |reps| {
        timed(reps, || {
            black_box(black_box(m).sum());
        })
    })
}

/// Removes one set of `ops` keys (timed), inserts it back (not timed).
fn remove_case<'a, M: Map<u64> + 'a>(mut m: M, keys: &'a [u64], ops: usize) -> Case<'a> {
    let sets = keys.len() / ops;
    let mut set = 0;
    Case::new(M::NAME, move |reps| {
        let mut t = Duration::ZERO;
        for _ in 0..reps {
            let first = set * ops;
            let chunk = &keys[first..first + ops];
            let start = Instant::now();
            let mut sum = 0u64;
            for k in chunk {
                if let Some(v) = m.remove(black_box(k)) {
                    sum = sum.wrapping_add(v);
                }
            }
            t += start.elapsed();
            black_box(sum);
            for (i, k) in chunk.iter().enumerate() {
                m.insert(*k, (first + i) as u64);
            }
            set = (set + 1) % sets;
        }
        t
    })
}

/// Clone, overwrite one existing key in the clone, drop the clone.
fn first_write_case<'a, M: Map<u64>>(m: &'a M, targets: &'a [u64]) -> Case<'a> {
    let mut i = 0;
    Case::new(M::NAME, move |reps| {
        timed(reps, || {
            let mut snapshot = black_box(m).clone();
            let k = targets[i % targets.len()];
            i += 1;
            black_box(snapshot.insert(black_box(k), black_box(7)));
            drop(snapshot);
        })
    })
}

fn main() {
    let plan = Plan::from_env(15);
    let (smoke, rounds) = (plan.smoke, plan.rounds);
    let sizes = if smoke {
        Sizes {
            big: 10_000,
            build: 1_000,
            strings: 1_000,
            ops: 100,
        }
    } else {
        Sizes {
            big: BIG,
            build: BUILD,
            strings: STRINGS,
            ops: OPS,
        }
    };
    let load_start = load_average();
    let started = Instant::now();
    let big = size_name(sizes.big);

    // Inputs and maps (the remove maps are their own: they are mutated).
    let keys = keys(sizes.big);
    let hits = pick(&keys, sizes.ops, 3);
    let misses = misses(sizes.ops);
    let hits: Vec<&u64> = hits.iter().collect();
    let misses: Vec<&u64> = misses.iter().collect();
    let write_targets = pick(&keys, 4096, 4);
    let update_targets = pick(&keys, 4096, 5);

    let heap = [
        (COW, map_heap::<Cow<u64>>(&keys)),
        (STD, map_heap::<StdMap<u64>>(&keys)),
        (IMBL, map_heap::<Imbl<u64>>(&keys)),
    ];

    let cow: Cow<u64> = Map::build(&keys);
    let std: StdMap<u64> = Map::build(&keys);
    let imbl: Imbl<u64> = Map::build(&keys);
    assert_eq!([cow.len(), std.len(), imbl.len()], [sizes.big; 3]);
    let strings = string_keys(sizes.strings);
    let owned = pick(&strings, sizes.ops, 6);
    let probe: Vec<&str> = owned.iter().map(String::as_str).collect();
    let cow_s: Cow<String> = Map::build(&strings);
    let std_s: StdMap<String> = Map::build(&strings);
    let cell = CowCell::new(<Cow<u64> as Map<u64>>::build(&keys));
    let updates = RefCell::new(0usize);

    let build = &keys[..sizes.build];
    let mut comparisons = vec![
        Comparison {
            bench: "map",
            group: "get_hit",
            value: big.clone(),
            ops_per_unit: sizes.ops as f64,
            cases: vec![
                lookup_case(COW, &cow, &hits),
                lookup_case(STD, &std, &hits),
                lookup_case(IMBL, &imbl, &hits),
            ],
        },
        Comparison {
            bench: "map",
            group: "get_miss",
            value: big.clone(),
            ops_per_unit: sizes.ops as f64,
            cases: vec![
                lookup_case(COW, &cow, &misses),
                lookup_case(STD, &std, &misses),
                lookup_case(IMBL, &imbl, &misses),
            ],
        },
        Comparison {
            bench: "map",
            group: "insert",
            value: size_name(sizes.build),
            ops_per_unit: sizes.build as f64,
            cases: vec![
                insert_case::<Cow<u64>>(build),
                insert_case::<StdMap<u64>>(build),
                insert_case::<Imbl<u64>>(build),
            ],
        },
        Comparison {
            bench: "map",
            group: "iterate",
            value: big.clone(),
            ops_per_unit: sizes.big as f64,
            cases: vec![iterate_case(&cow), iterate_case(&std), iterate_case(&imbl)],
        },
        Comparison {
            bench: "map",
            group: "remove",
            value: big.clone(),
            ops_per_unit: sizes.ops as f64,
            cases: vec![
                remove_case(<Cow<u64> as Map<u64>>::build(&keys), &keys, sizes.ops),
                remove_case(<StdMap<u64> as Map<u64>>::build(&keys), &keys, sizes.ops),
            ],
        },
        Comparison {
            bench: "map",
            group: "first_write",
            value: big.clone(),
            ops_per_unit: 1.0,
            cases: vec![
                first_write_case(&cow, &write_targets),
                first_write_case(&std, &write_targets),
                first_write_case(&imbl, &write_targets),
            ],
        },
        Comparison {
            bench: "map",
            group: "string_get",
            value: size_name(sizes.strings),
            ops_per_unit: sizes.ops as f64,
            cases: vec![
                lookup_case(COW, &cow_s, &probe),
                lookup_case(STD, &std_s, &probe),
            ],
        },
        Comparison {
            bench: "map",
            group: "cell_update",
            value: big.clone(),
            ops_per_unit: 1.0,
            cases: vec![Case::new(CELL, |reps| {
                timed(reps, || {
                    let mut i = updates.borrow_mut();
                    let k = update_targets[*i % update_targets.len()];
                    *i += 1;
                    black_box(cell.update(|m| m.insert(black_box(k), black_box(7))));
                })
            })],
        },
    ];

    interleave::run(&mut comparisons, plan);
    let seconds = started.elapsed().as_secs_f64();
    let load_end = load_average();

    // Per case: the median time per operation.
    println!(
        "CowMap targets, interleaved: {rounds} round(s){}, {seconds:.0} s; load average at the start {load_start}, at the end {load_end}\n",
        if smoke { " (smoke run: tiny maps, numbers are not results)" } else { "" }
    );
    println!(
        "{:<12} {:<6} {:<24} {:>12}",
        "group", "size", "type", "ns/op"
    );
    let mut cases_json = Vec::new();
    for c in &comparisons {
        for case in &c.cases {
            let ns = median(&case.times) / c.ops_per_unit;
            println!(
                "{:<12} {:<6} {:<24} {:>12}",
                c.group,
                c.value,
                case.name,
                fmt(ns)
            );
            cases_json.push(json!({
                "group": c.group, "value": c.value, "type": case.name,
                "ns_per_op": ns, "ops_per_unit": c.ops_per_unit, "reps_per_burst": case.reps,
            }));
        }
    }
    println!();
    println!(
        "{:<42} {:>9} {:>21} {:>9}  result",
        "target (CowMap / anchor)", "median", "min..max", "bar"
    );
    let mut passed = 0;
    let mut targets_json = Vec::new();
    for t in TARGETS {
        let (value, per_round): (String, Vec<f64>) = if t.group == "heap" {
            let bytes = |name: &str| {
                heap.iter()
                    .find(|h| h.0 == name)
                    .map_or(f64::NAN, |h| h.1 as f64)
            };
            (
                big.clone(),
                vec![bytes(t.subject) / bytes(t.anchor.unwrap_or(STD))],
            )
        } else {
            let c = comparisons
                .iter()
                .find(|c| c.group == t.group)
                .expect("a comparison for every target");
            let s = c.times(t.subject);
            let values = match t.anchor {
                Some(a) => s.iter().zip(c.times(a)).map(|(s, a)| s / a).collect(),
                None => s.iter().map(|s| s / c.ops_per_unit).collect(),
            };
            (c.value.clone(), values)
        };
        let m = median(&per_round);
        let (lo, hi) = span(&per_round);
        let pass = m <= t.bar;
        passed += usize::from(pass);
        let unit = if t.anchor.is_some() { "" } else { " ns" };
        println!(
            "{:<42} {:>9} {:>21} {:>9}  {}",
            t.text,
            format!("{}{unit}", fmt(m)),
            format!("{}..{}", fmt(lo), fmt(hi)),
            format!("<= {}", fmt(t.bar)),
            if pass { "pass" } else { "MISS" }
        );
        targets_json.push(json!({
            "text": t.text, "bench": "map", "group": t.group, "value": value,
            "subject": t.subject, "anchor": t.anchor,
            "unit": if t.anchor.is_some() { "ratio" } else { "ns" },
            "bar_at_most": t.bar, "median": m, "min": lo, "max": hi,
            "values": per_round, "pass": pass,
        }));
    }
    println!("\n{passed} of {} targets pass.", TARGETS.len());
    println!("\nheap of a {big}-entry u64 -> u64 map built by insert (requested bytes):");
    let heap_json: Vec<Value> = heap
        .iter()
        .map(|&(name, bytes)| {
            println!(
                "  {name:<14} {bytes:>11} B  {:>6.1} B/entry",
                bytes as f64 / sizes.big as f64
            );
            json!({"type": name, "bytes": bytes, "entries": sizes.big})
        })
        .collect();

    if let Ok(path) = std::env::var("ARCOW_MAP_TARGETS_JSON") {
        let out = json!({
            "rounds": rounds,
            "smoke": smoke,
            "burst_ms": plan.burst.as_secs_f64() * 1e3,
            "bursts_per_round": plan.bursts,
            "warm_lookups": true,
            "seconds": seconds,
            "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
            "load_average_start": load_start,
            "load_average_end": load_end,
            "heap": heap_json,
            "cases": cases_json,
            "targets": targets_json,
        });
        let text = serde_json::to_string_pretty(&out).expect("JSON of plain values");
        std::fs::write(&path, text + "\n")
            .unwrap_or_else(|e| panic!("ARCOW_MAP_TARGETS_JSON={path:?}: {e}"));
    }
}
