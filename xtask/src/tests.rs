//! The generator on a tiny fixture: criterion baselines, contention JSON and
//! a run record written to a temporary folder, read back, rendered, plotted.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A bench id as criterion 0.5 names its folder (`make_filename_safe`):
/// `arcow::CowStr` is `arcow__CowStr`, `Arc<str>` is `Arc_str_`.
fn criterion_dir_name(id: &str) -> String {
    id.replace(['?', '"', '/', '\\', '*', '<', '>', ':', '|', '^'], "_")
}

/// One criterion result, as `cargo bench -- --save-baseline report-<bench>` leaves it.
fn estimate(
    criterion: &Path,
    bench: &str,
    group: &str,
    function: &str,
    value: Option<&str>,
    ns: f64,
) {
    let mut dir = criterion
        .join(criterion_dir_name(group))
        .join(criterion_dir_name(function));
    if let Some(v) = value {
        dir = dir.join(criterion_dir_name(v));
    }
    for sub in ["new", &data::baseline(bench)] {
        let d = dir.join(sub);
        fs::create_dir_all(&d).unwrap();
        let id = serde_json::json!({
            "group_id": group, "function_id": function, "value_str": value,
            "throughput": null, "full_id": "", "directory_name": "", "title": "",
        });
        fs::write(d.join("benchmark.json"), id.to_string()).unwrap();
        // `new` holds another bench's numbers: the report must not read it.
        let median = if sub == "new" { ns * 1000.0 } else { ns };
        let est = serde_json::json!({
            "mean": {"point_estimate": median * 1.1},
            "median": {"point_estimate": median, "standard_error": 0.1},
        });
        fs::write(d.join("estimates.json"), est.to_string()).unwrap();
    }
}

const CONTENTION: &str = r#"{
  "cores": 2, "secs": 1.0, "rounds": 3, "timer_overhead_ns": 20, "co_interval_ns": 1000,
  "load_average_start": "0.50 0.40 0.30", "load_average_end": "1.50 0.90 0.40",
  "writers": [
    {"name": "rebuild", "about": "every update recomputes all 64 rows", "work_ns": 9800.0,
     "cases": [
       {"type": "arcow::CowCell", "reads_per_sec": 180e6, "writes_per_sec": 76000.0,
        "latency_ns": {"p50": 30, "p90": 40, "p99": 280, "p99.9": 521, "p99.99": 900, "max": 4.7e6, "p99.9 CO": 3.2e6}},
       {"type": "arc_swap::ArcSwap", "reads_per_sec": 179e6, "writes_per_sec": 77000.0,
        "latency_ns": {"p50": 30, "p90": 40, "p99": 151, "p99.9": 431, "p99.99": 800, "max": 4.1e6, "p99.9 CO": 2.5e6}},
       {"type": "std::RwLock", "reads_per_sec": 12e6, "writes_per_sec": 65000.0,
        "latency_ns": {"p50": 30, "p90": 30, "p99": 31, "p99.9": 28911, "p99.99": 1e6, "max": 27.5e6, "p99.9 CO": 25.5e6}},
       {"type": "parking_lot::RwLock", "reads_per_sec": 0.16e6, "writes_per_sec": 60000.0,
        "latency_ns": {"p50": 30, "p90": 40, "p99": 946687, "p99.9": 4022271, "p99.99": 5e6, "max": 9.8e6, "p99.9 CO": 8.8e6}}
     ],
     "ratios": [
       {"anchor": "arc_swap::ArcSwap", "reads": 1.02, "p99": 1.04, "p99.9": 1.12, "p99.9 CO": 1.19},
       {"anchor": "std::RwLock", "reads": 16.0, "p99": 2.9, "p99.9": 0.010, "p99.9 CO": 0.10},
       {"anchor": "parking_lot::RwLock", "reads": 51.0, "p99": 0.0003, "p99.9": 0.0001, "p99.9 CO": 0.31}
     ]},
    {"name": "counter", "about": "every update increments a counter and one row", "work_ns": 20.0,
     "cases": [
       {"type": "arcow::CowCell", "reads_per_sec": 58e6, "writes_per_sec": 1.7e6,
        "latency_ns": {"p50": 30, "p90": 40, "p99": 1332, "p99.9": 10471, "p99.99": 20000, "max": 5.1e6, "p99.9 CO": 3.9e6}},
       {"type": "std::RwLock", "reads_per_sec": 26e6, "writes_per_sec": 35e6,
        "latency_ns": {"p50": 91, "p90": 100, "p99": 2615, "p99.9": 4287, "p99.99": 9000, "max": 8e6, "p99.9 CO": 5e6}}
     ],
     "ratios": [
       {"anchor": "std::RwLock", "reads": 2.1, "p99": 0.49, "p99.9": 1.4, "p99.9 CO": 0.77}
     ]}
  ],
  "sweep": {"threads": [1, 2], "cases": [
    {"type": "arcow::CowCell", "reads_per_sec": [229e6, 450e6]},
    {"type": "std::RwLock", "reads_per_sec": [201e6, 40e6]}
  ], "least_cpu_share": [0.99, 0.6]},
  "cheap_writer": [
    {"value": "4 x u64", "writer": "back-to-back",
     "cases": [
       {"type": "arcow::CowCell", "reads_per_sec": 92e6, "writes_per_sec": 6.1e6},
       {"type": "CowCell (before)", "reads_per_sec": 20e6, "writes_per_sec": 10.4e6},
       {"type": "arc_swap::ArcSwap (rcu)", "reads_per_sec": 100e6, "writes_per_sec": 6.3e6}
     ],
     "ratios": [
       {"type": "arcow::CowCell", "reads": 0.92, "reads_min": 0.85, "reads_max": 1.01, "writes": 0.97},
       {"type": "CowCell (before)", "reads": 0.2, "reads_min": 0.18, "reads_max": 0.25, "writes": 1.65}
     ]},
    {"value": "4 KiB, 3 words", "writer": "back-to-back",
     "cases": [
       {"type": "arcow::CowCell", "reads_per_sec": 80e6, "writes_per_sec": 3.3e6},
       {"type": "arc_swap::ArcSwap (rcu)", "reads_per_sec": 100e6, "writes_per_sec": 2.0e6}
     ],
     "ratios": [
       {"type": "arcow::CowCell", "reads": 0.8, "reads_min": 0.7, "reads_max": 0.95, "writes": 1.64}
     ]},
    {"value": "4 KiB, all", "writer": "paced",
     "cases": [
       {"type": "arcow::CowCell", "reads_per_sec": 5.5e6, "writes_per_sec": 485e3},
       {"type": "arc_swap::ArcSwap (rcu)", "reads_per_sec": 10.2e6, "writes_per_sec": 485e3}
     ],
     "ratios": [
       {"type": "arcow::CowCell", "reads": 0.54, "reads_min": 0.5, "reads_max": 0.6, "writes": 1.0}
     ]}
  ]
}"#;

/// benches/map_targets.rs: interleaved get_hit (both anchors), first_write
/// against imbl, cell_update and the heap; remove is left to criterion.
const MAP_TARGETS: &str = r#"{
  "rounds": 15, "smoke": false, "burst_ms": 20.0, "bursts_per_round": 3, "seconds": 40.0, "cores": 2,
  "load_average_start": "0.20 0.10 0.05", "load_average_end": "0.40 0.20 0.10",
  "heap": [
    {"type": "arcow::CowMap", "bytes": 34436248, "entries": 1000000},
    {"type": "std::HashMap", "bytes": 35651600, "entries": 1000000},
    {"type": "imbl::HashMap", "bytes": 103575480, "entries": 1000000}
  ],
  "cases": [
    {"group": "get_hit", "value": "1M", "type": "arcow::CowMap", "ns_per_op": 25.0},
    {"group": "get_hit", "value": "1M", "type": "std::HashMap", "ns_per_op": 30.0},
    {"group": "get_hit", "value": "1M", "type": "imbl::HashMap", "ns_per_op": 60.0},
    {"group": "cell_update", "value": "1M", "type": "arcow::CowCell<CowMap>", "ns_per_op": 2000.0}
  ],
  "targets": [
    {"bench": "map", "group": "get_hit", "value": "1M", "subject": "arcow::CowMap", "anchor": "std::HashMap",
     "unit": "ratio", "bar_at_most": 1.0, "median": 0.9, "min": 0.8, "max": 1.1, "values": [0.8, 0.9, 1.1], "pass": true},
    {"bench": "map", "group": "get_hit", "value": "1M", "subject": "arcow::CowMap", "anchor": "imbl::HashMap",
     "unit": "ratio", "bar_at_most": 0.5, "median": 0.45, "min": 0.4, "max": 0.5, "values": [0.4, 0.45, 0.5], "pass": true},
    {"bench": "map", "group": "first_write", "value": "1M", "subject": "arcow::CowMap", "anchor": "imbl::HashMap",
     "unit": "ratio", "bar_at_most": 1.0, "median": 1.25, "min": 1.1, "max": 1.4, "values": [1.1, 1.25, 1.4], "pass": false},
    {"bench": "map", "group": "heap", "value": "1M", "subject": "arcow::CowMap", "anchor": "std::HashMap",
     "unit": "ratio", "bar_at_most": 1.3, "median": 0.966, "min": 0.966, "max": 0.966, "values": [0.966], "pass": true},
    {"bench": "map", "group": "cell_update", "value": "1M", "subject": "arcow::CowCell<CowMap>", "anchor": null,
     "unit": "ns", "bar_at_most": 5000.0, "median": 2000.0, "min": 1900.0, "max": 2500.0, "values": [1900.0, 2000.0, 2500.0], "pass": true}
  ]
}"#;

/// benches/cell_watch.rs: reads passes, wake p50 passes and p99 misses.
const WATCH: &str = r#"{
  "cores": 2, "rounds": 3, "load_average_start": "0.30 0.20 0.10", "load_average_end": "0.50 0.30 0.10",
  "parts": {
    "reads": {"secs": 1.0, "work_ns": 10200.0, "target_min_reads": 5.0,
      "types": [
        {"type": "arcow::CowCell", "reads_per_sec": 150e6, "writes_per_sec": 60e3},
        {"type": "tokio::sync::watch", "reads_per_sec": 10e6, "writes_per_sec": 95e3}
      ],
      "ratio_reads": {"median": 15.0, "min": 9.5, "max": 30.0},
      "ratio_writes": {"median": 0.63, "min": 0.6, "max": 0.7}},
    "wake": {"wakes": 1000, "spacing_us": 300, "target_max": 1.2,
      "types": [
        {"type": "arcow::CowCell", "latency_ns": {"p50": 12500, "p90": 30000, "p99": 52000, "max": 1.8e6}, "publish_call_p50_ns": 3300},
        {"type": "tokio::sync::watch", "latency_ns": {"p50": 12000, "p90": 17500, "p99": 34000, "max": 40000}, "publish_call_p50_ns": 3200}
      ],
      "ratio_p50": {"median": 1.04, "min": 0.98, "max": 1.1},
      "ratio_p90": {"median": 1.7, "min": 1.5, "max": 1.9},
      "ratio_p99": {"median": 1.5, "min": 1.3, "max": 1.6}},
    "blocking": {"wakes": 1000, "spacing_us": 300,
      "latency_ns": {"p50": 9500, "p90": 16000, "p99": 18500, "max": 26400}, "publish_call_p50_ns": 4530}
  }
}"#;

fn fixture(dir: &Path) -> data::Results {
    let criterion = dir.join("criterion");
    let report = dir.join("bench-report");
    // cow: a pass (make_mut_unique) and a miss (clone_drop vs triomphe).
    estimate(
        &criterion,
        "cow",
        "clone_drop",
        "arcow::Cow",
        Some("u64"),
        4.0,
    );
    estimate(
        &criterion,
        "cow",
        "clone_drop",
        "std::Arc",
        Some("u64"),
        4.0,
    );
    estimate(
        &criterion,
        "cow",
        "clone_drop",
        "triomphe::Arc",
        Some("u64"),
        2.0,
    );
    estimate(
        &criterion,
        "cow",
        "make_mut_unique",
        "arcow::Cow",
        Some("u64"),
        1.0,
    );
    estimate(
        &criterion,
        "cow",
        "make_mut_unique",
        "std::Arc",
        Some("u64"),
        3.5,
    );
    // paged: the first-write sweep, and a group name that vec.rs has too.
    for (size, n) in [("1k", 1e3), ("10k", 1e4), ("1M", 1e6), ("10M", 1e7)] {
        estimate(
            &criterion,
            "paged",
            "first_write",
            "Vec",
            Some(size),
            n * 0.2,
        );
        estimate(
            &criterion,
            "paged",
            "first_write",
            "arcow::CowVec",
            Some(size),
            n * 0.2,
        );
        estimate(
            &criterion,
            "paged",
            "first_write",
            "arcow::PagedCowVec",
            Some(size),
            300.0,
        );
        estimate(
            &criterion,
            "paged",
            "first_write",
            "imbl::Vector",
            Some(size),
            800.0,
        );
    }
    estimate(&criterion, "vec", "first_write", "Vec", Some("1M"), 7.0e5);
    estimate(
        &criterion,
        "vec",
        "first_write",
        "arcow::CowVec",
        Some("1M"),
        7.1e5,
    );
    // cell: a group of plain functions.
    estimate(
        &criterion,
        "cell",
        "nested",
        "arcow::CowCell<4 x CowVec>",
        None,
        17e3,
    );
    estimate(
        &criterion,
        "cell",
        "nested",
        "std::RwLock<4 x Vec>",
        None,
        4.6,
    );
    // map: the first-write sweep, get_hit (whose targets the interleaved
    // figures override), remove (criterion only), cell_update.
    for (size, n) in [("1k", 1e3), ("100k", 1e5), ("1M", 1e6), ("10M", 1e7)] {
        let map =
            |function, ns| estimate(&criterion, "map", "first_write", function, Some(size), ns);
        map("std::HashMap", n * 20.0);
        map("arcow::CowMap", 900.0);
        map("imbl::HashMap", 800.0);
    }
    for (function, ns) in [
        ("arcow::CowMap", 5e5),
        ("std::HashMap", 2.5e5),
        ("imbl::HashMap", 9e5),
    ] {
        estimate(&criterion, "map", "get_hit", function, Some("1M"), ns);
    }
    estimate(
        &criterion,
        "map",
        "remove",
        "arcow::CowMap",
        Some("1M"),
        3.3e5,
    );
    estimate(&criterion, "map", "remove", "std::HashMap", Some("1M"), 3e5);
    for (function, ns) in [
        ("arcow::CowCell<CowMap>", 2100.0),
        ("arcow::CowCell<HashMap>", 2.5e7),
        ("std::RwLock<HashMap>", 120.0),
    ] {
        estimate(&criterion, "map", "cell_update", function, Some("1M"), ns);
    }
    // string: every group, with ids criterion must make safe for paths.
    for (function, short, long) in [
        ("arcow::CowStr", 1.0, 4.0),
        ("String", 15.0, 15.0),
        ("Arc<str>", 4.0, 4.0),
        ("ecow::EcoString", 1.2, 3.6),
    ] {
        estimate(
            &criterion,
            "string",
            "clone_drop",
            function,
            Some("short"),
            short,
        );
        estimate(
            &criterion,
            "string",
            "clone_drop",
            function,
            Some("long"),
            long,
        );
    }
    for (function, ns) in [
        ("arcow::CowStr", 290.0),
        ("String", 250.0),
        ("ecow::EcoString", 310.0),
    ] {
        estimate(&criterion, "string", "push_str_1k", function, None, ns);
    }
    for (group, value, cow, anchor) in [
        ("eq", "8", 2.6, 2.5),
        ("eq", "64", 3.3, 2.8),
        ("hash", "8", 12.5, 12.0),
        ("hash", "64", 22.0, 21.5),
    ] {
        estimate(
            &criterion,
            "string",
            group,
            "arcow::CowStr",
            Some(value),
            cow,
        );
        estimate(&criterion, "string", group, "str", Some(value), anchor);
        estimate(
            &criterion,
            "string",
            group,
            "ecow::EcoString",
            Some(value),
            cow,
        );
    }
    estimate(
        &criterion,
        "string",
        "map_first_write",
        "arcow::CowStr",
        Some("100k"),
        2900.0,
    );
    estimate(
        &criterion,
        "string",
        "map_first_write",
        "String",
        Some("100k"),
        7250.0,
    );
    fs::create_dir_all(&report).unwrap();
    fs::write(report.join("contention.json"), CONTENTION).unwrap();
    fs::write(report.join("map_targets.json"), MAP_TARGETS).unwrap();
    fs::write(report.join(data::WATCH_JSON), WATCH).unwrap();
    let run = data::RunInfo {
        command: "cargo xtask bench-report".into(),
        commands: vec!["cargo bench -p arcow --bench cow -- --save-baseline report-cow".into()],
        cpu: "AMD EPYC (virtual machine)".into(),
        cores: 2,
        rustc: "rustc 1.95.0".into(),
        load_start: "1.50 0.80 0.40".into(),
        started: utc(UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000)),
        ..data::RunInfo::default()
    };
    fs::write(report.join("run.json"), run.to_json().to_string()).unwrap();
    data::load(&criterion, &report, &BENCHES).unwrap()
}

#[test]
fn reads_baselines_not_new() {
    let dir = scratch("read");
    let r = fixture(&dir);
    assert_eq!(
        r.median("cow", "clone_drop", "triomphe::Arc", Some("u64")),
        Some(2.0)
    );
    // Same group and ids in two benches, kept apart.
    assert_eq!(
        r.median("vec", "first_write", "Vec", Some("1M")),
        Some(7.0e5)
    );
    assert_eq!(
        r.median("paged", "first_write", "Vec", Some("1M")),
        Some(2.0e5)
    );
    assert_eq!(
        r.median("cell", "nested", "std::RwLock<4 x Vec>", None),
        Some(4.6)
    );
    let c = r.contention.as_ref().unwrap();
    assert_eq!(c.writers[0].cases[0].latency("p99.99"), 900.0);
    assert_eq!(c.sweep.as_ref().unwrap().threads, [1, 2]);
    assert_eq!(r.run.started, "2023-11-14 22:13");
    let m = r.map_targets.as_ref().unwrap();
    assert_eq!((m.rounds, m.heap.len(), m.targets.len()), (15, 3, 5));
    let hit = r
        .interleaved(
            "map",
            "get_hit",
            Some("1M"),
            "arcow::CowMap",
            Some("std::HashMap"),
        )
        .unwrap();
    assert_eq!(
        (hit.median, hit.min, hit.max, hit.rounds),
        (0.9, 0.8, 1.1, 3)
    );
    assert!(r
        .interleaved(
            "map",
            "cell_update",
            Some("1M"),
            "arcow::CowCell<CowMap>",
            None
        )
        .is_some());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn map_targets_prefer_interleaved_rounds() {
    let dir = scratch("map");
    let mut r = fixture(&dir);
    let md = render::render(&r, &render::Figures::default());
    let map = &md[md.find("## `CowMap<K, V>`").unwrap()..md.find("## `CowCell<T>` under").unwrap()];
    // Criterion's medians: get_hit CowMap / HashMap is 2.00 in the table...
    assert!(
        map.contains("| 1M | 500 µs | 250 µs | 900 µs | 2.00 | 0.56 |"),
        "{map}"
    );
    // ...but the target takes the interleaved median, with its range.
    assert!(map.contains(
        "`get_hit/1M`: `arcow::CowMap` / `std::HashMap` | 0.90 (0.80–1.10, 3 rounds) | ≤ 1.00 | pass |"
    ));
    assert!(map.contains(
        "`first_write/1M`: `arcow::CowMap` / `imbl::HashMap` | 1.25 (1.10–1.40, 3 rounds) | ≤ 1.00 | **miss** |"
    ));
    // Without an interleaved figure, criterion's: remove 3.3e5 / 3e5.
    assert!(map.contains("`remove/1M`: `arcow::CowMap` / `std::HashMap` | 1.10 | ≤ 1.50 | pass |"));
    // An absolute target: a time against a time.
    assert!(map.contains(
        "`cell_update/1M`: `arcow::CowCell<CowMap>`, time | 2.00 µs (1.90 µs–2.50 µs, 3 rounds) | ≤ 5.00 µs | pass |"
    ), "{map}");
    // The heap (one count, no rounds), the interleaved medians, the figure.
    assert!(map
        .contains("heap/1M`: `arcow::CowMap` / `std::HashMap` | 0.97 (1 round) | ≤ 1.30 | pass |"));
    assert!(
        map.contains("| `imbl::HashMap` | 103.6 MB | 103.6 | 2.91 |"),
        "{map}"
    );
    assert!(
        map.contains("| `get_hit` | 1M | 25.0 ns | 30.0 ns | 60.0 ns |  |"),
        "{map}"
    );
    assert!(map.contains("15 rounds; in each, 3 burst(s) of about 20 ms per type"));
    assert!(map.contains("Figure 4: clone + overwrite one key"));
    // Not measured: no interleaved figure and no criterion entry.
    assert!(map
        .contains("`iterate/1M`: `arcow::CowMap` / `std::HashMap` | — | ≤ 1.50 | not measured |"));
    // The miss is listed where arcow loses, with its range.
    let losses = &md[md.find("## Where arcow loses").unwrap()..];
    assert!(losses.contains("`first_write/1M`: `arcow::CowMap` / `imbl::HashMap` is 1.25 (1.10–1.40, 3 rounds), the bar ≤ 1.00."));
    // A smoke run's figures are not used: criterion's are.
    r.map_targets.as_mut().unwrap().smoke = true;
    let md = render::render(&r, &render::Figures::default());
    assert!(
        md.contains("`get_hit/1M`: `arcow::CowMap` / `std::HashMap` | 2.00 | ≤ 1.00 | **miss** |")
    );
    assert!(md.contains("was a `--test` smoke run"));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn renders_tables_targets_and_losses() {
    let dir = scratch("render");
    let r = fixture(&dir);
    let md = render::render(&r, &render::Figures::default());
    // Every section is there, with its notes.
    for heading in [
        "## The run",
        "## Targets at a glance",
        "## `Cow<T>`",
        "## `CowVec<T>`",
        "## `PagedCowVec<T>`",
        "## `CowCell<T>`, one thread",
        "## `CowMap<K, V>`",
        "## `CowStr`",
        "## `CowCell<T>` under a writer",
        "### A cheap writer: `CowCell` against `ArcSwap::rcu`",
        "### Readers from 1 to the core count",
        "## `CowCell` change notification against `tokio::sync::watch`",
        "## Where arcow loses",
    ] {
        assert!(md.contains(heading), "{heading} missing");
    }
    assert!(md.contains("glibc"), "the make_mut_shared notes");
    // Medians and ratios: Cow / std = 1.00, Cow / triomphe = 2.00.
    assert!(
        md.contains("| u64 | 4.00 ns | 4.00 ns | 2.00 ns | 1.00 | 2.00 |"),
        "{md}"
    );
    // A miss, a pass, and what was not measured.
    assert!(md
        .contains("`clone_drop/u64`: `arcow::Cow` / `triomphe::Arc` | 2.00 | ≤ 1.05 | **miss** |"));
    assert!(
        md.contains("`make_mut_unique/u64`: `arcow::Cow` / `std::Arc` | 0.29 | ≤ 0.50 | pass |")
    );
    assert!(md.contains("| not measured |"));
    // Contention targets: 16x >= 5x passes.
    assert!(
        md.contains("`rebuild` writer, reads: `CowCell` / `std::RwLock` | 16.0 | ≥ 5.00 | pass |")
    );
    // The plain-function group: one row per type.
    assert!(
        md.contains("| `arcow::CowCell<4 x CowVec>` | 17.0 µs | 3696 |"),
        "{md}"
    );
    // Where arcow loses: the miss, a loss without a target, the writer side.
    let losses = &md[md.find("## Where arcow loses").unwrap()..];
    assert!(losses.contains("`clone_drop/u64`: `arcow::Cow` / `triomphe::Arc` is 2.00"));
    assert!(losses.contains("`nested` (benches/cell.rs): `CowCell<4 x CowVec>` 17.0 µs"));
    assert!(losses.contains("`counter` writer: `CowCell`'s writer does 1.7 M updates/s"));
    assert!(losses.contains("**Write-heavy data.**"));
    // A pair with a target is in the first list only.
    assert_eq!(losses.matches("`clone_drop/u64`").count(), 1);
    // The same target's words are not repeated on the next row.
    assert!(md.contains("| ″ | `clone_drop/u64`: `arcow::Cow` / `triomphe::Arc` |"));
    // The sweep, and the warning that a reader did not get its core.
    assert!(md.contains("| `std::RwLock` | 201.0 M | 40.0 M |"));
    assert!(md.contains("| least CPU share of a reader | 99% | 60% |"));
    assert!(md.contains("measures the scheduler, not the cells"));
    // Machine and command.
    assert!(md.contains("Machine: AMD EPYC (virtual machine), 2 cores"));
    assert!(md.contains("**Other work was running when this run started"));
    assert!(md.contains("cargo bench -p arcow --bench cow -- --save-baseline report-cow"));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn plots_are_svg_with_text() {
    let dir = scratch("plot");
    let r = fixture(&dir);
    let lines = plot::first_write_lines(&r);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0].points.len(), 4);
    let c = r.contention.as_ref().unwrap();
    for svg in [
        plot::first_write_svg(&lines).unwrap(),
        plot::latency_svg(c).unwrap().unwrap(),
        plot::sweep_svg(c).unwrap().unwrap(),
    ] {
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("<text"), "no text elements");
        assert!(svg.contains("<polyline"), "no lines");
    }
    let first = plot::first_write_svg(&lines).unwrap();
    assert!(first.contains("PagedCowVec") && first.contains("10M"));
    // And the whole report, written to a folder.
    let out = dir.join("docs");
    write_report(&r, &out).unwrap();
    let md = fs::read_to_string(out.join("benchmarks.md")).unwrap();
    assert!(md.contains("![Figure 1: the first write after a snapshot"));
    assert!(md.contains("(img/reader_latency.svg)") && md.contains("(img/reader_sweep.svg)"));
    assert!(out.join("img/first_write.svg").exists());
    // Figure 4: the map sweep.
    let map_lines = plot::map_first_write_lines(&r);
    assert_eq!(map_lines.len(), 3);
    assert_eq!(map_lines[0].label, "std::HashMap (clone + write)");
    let map_svg = plot::map_first_write_svg(&map_lines).unwrap();
    assert!(map_svg.contains("CowMap") && map_svg.contains("<polyline"));
    assert!(md.contains("(img/map_first_write.svg)"));
    assert!(out.join("img/map_first_write.svg").exists());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn options() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let o = Options::parse(&args(&["--quick", "--measurement-time", "0.5"])).unwrap();
    assert!(o.quick && !o.from_existing);
    assert_eq!((o.warm_up.as_str(), o.measurement.as_str()), ("0.1", "0.5"));
    assert_eq!(o.sample_size.as_deref(), Some("10"));
    let o = Options::parse(&args(&["--no-run"])).unwrap();
    assert!(o.from_existing && o.sample_size.is_none());
    assert!(o
        .criterion_args("vec")
        .join(" ")
        .starts_with("--save-baseline report-vec --noplot"));
    assert!(Options::parse(&args(&["--warm-up-time"])).is_err());
    assert!(Options::parse(&args(&["--sample-size", "x"])).is_err());
    assert!(Options::parse(&args(&["--bogus"])).is_err());
    let o = Options::parse(&args(&["--quick"])).unwrap();
    assert_eq!(o.watch_wakes, "100");
    let o = Options::parse(&args(&["--watch-wakes", "500"])).unwrap();
    assert_eq!(o.watch_wakes, "500");
    assert!(Options::parse(&args(&["--watch-wakes", "0"])).is_err());
}

#[test]
fn cheap_writer_parsed_and_checked() {
    let dir = scratch("cheap");
    let mut r = fixture(&dir);
    let c = r.contention.as_ref().unwrap();
    let cheap = c.cheap_writer.as_ref().unwrap();
    assert_eq!(cheap.len(), 3);
    let quad = c.cheap("4 x u64", "back-to-back").unwrap();
    assert_eq!(quad.cases.len(), 3);
    assert_eq!(quad.cases[1].name, "CowCell (before)");
    assert_eq!(quad.cases[2].writes_per_sec, 6.3e6);
    let before = &quad.ratios[1];
    assert_eq!(
        (
            before.reads,
            before.reads_min,
            before.reads_max,
            before.writes
        ),
        (0.2, 0.18, 0.25, 1.65)
    );
    assert!(c.cheap("4 x u64", "paced").is_none());
    // The targets: one per value, on the back-to-back writer, with the range
    // of the rounds (the JSON's top-level `rounds`).
    let cheap_targets: Vec<_> = targets::for_cheap("back-to-back").collect();
    assert_eq!(cheap_targets.len(), 3);
    assert!(targets::for_cheap("paced").next().is_none());
    let m = cheap_targets[0].measure(&r).unwrap();
    assert_eq!((m.value, m.interleaved), (0.92, Some((0.85, 1.01, 3))));
    assert!(cheap_targets[0].bar.passes(m.value));
    let m = cheap_targets[1].measure(&r).unwrap();
    assert!(!cheap_targets[1].bar.passes(m.value));
    assert!(
        cheap_targets[2].measure(&r).is_none(),
        "4 KiB, all: not in the fixture"
    );
    let md = render::render(&r, &render::Figures::default());
    let section = &md[md.find("### A cheap writer").unwrap()..md.find("### Readers from").unwrap()];
    assert!(
        section.contains("#### Writer `back-to-back`") && section.contains("#### Writer `paced`")
    );
    assert!(
        section.contains(
            "| `4 x u64` | `arcow::CowCell` | 92.0 M | 6.1 M | 0.92 | 0.85–1.01 | 0.97 |"
        ),
        "{section}"
    );
    assert!(
        section.contains("| `4 x u64` | `arc_swap::ArcSwap (rcu)` | 100.0 M | 6.3 M |  |  |  |")
    );
    assert!(section.contains(
        "| `4 KiB, all` | `arcow::CowCell` | 5.5 M | 485.0 k | 0.54 | 0.50–0.60 | 1.00 |"
    ));
    assert!(section.contains(
        "| cheap back-to-back writer: `CowCell` readers at least 0.9x raw `ArcSwap` (rcu) | `4 x u64`, `back-to-back` writer, reads: `CowCell` / `arc_swap::ArcSwap (rcu)` | 0.92 (0.85–1.01, 3 rounds) | ≥ 0.90 | pass |"
    ), "{section}");
    assert!(section.contains(
        "| ″ | `4 KiB, 3 words`, `back-to-back` writer, reads: `CowCell` / `arc_swap::ArcSwap (rcu)` | 0.80 (0.70–0.95, 3 rounds) | ≥ 0.90 | **miss** |"
    ));
    assert!(section.contains("`4 KiB, all`, `back-to-back` writer, reads: `CowCell` / `arc_swap::ArcSwap (rcu)` | — | ≥ 0.90 | not measured |"));
    // Where arcow loses: the miss with its range; the paced writer, which
    // has no target, by the loss threshold.
    let losses = &md[md.find("## Where arcow loses").unwrap()..];
    assert!(losses.contains("`4 KiB, 3 words`, `back-to-back` writer, reads: `CowCell` / `arc_swap::ArcSwap (rcu)` is 0.80 (0.70–0.95, 3 rounds), the bar ≥ 0.90."));
    assert!(losses.contains("- cheap `paced` writer on `4 KiB, all`: `CowCell`'s reader throughput is 0.54x `arc_swap::ArcSwap (rcu)`'s (least and greatest round: 0.50–0.60)."));
    assert!(!losses.contains("cheap `back-to-back` writer on"));
    // JSON from before the cheap writer: the rest renders, the section says so.
    let mut old: serde_json::Value = serde_json::from_str(CONTENTION).unwrap();
    old.as_object_mut().unwrap().remove("cheap_writer");
    r.contention = Some(data::parse_contention(&old));
    assert!(r.contention.as_ref().unwrap().cheap_writer.is_none());
    assert!(cheap_targets[0].measure(&r).is_none());
    let md = render::render(&r, &render::Figures::default());
    let section = &md[md.find("### A cheap writer").unwrap()..md.find("### Readers from").unwrap()];
    assert!(section.contains(
        "Not in this run: its target/bench-report/contention.json has no `cheap_writer`"
    ));
    assert!(section.contains("| ″ | `4 KiB, 3 words`, `back-to-back` writer, reads: `CowCell` / `arc_swap::ArcSwap (rcu)` | — | ≥ 0.90 | not measured |"));
    assert!(!section.contains("#### Writer `paced`"));
    assert!(
        md.contains("### Writer `rebuild`") && md.contains("| `std::RwLock` | 201.0 M | 40.0 M |")
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn string_section_from_sanitized_folders() {
    let dir = scratch("string");
    let r = fixture(&dir);
    // criterion's folders, as the fixture writes them; the names come back
    // from benchmark.json.
    let criterion = dir.join("criterion");
    for path in [
        "clone_drop/Arc_str_/long/report-string",
        "clone_drop/arcow__CowStr/short/report-string",
        "clone_drop/ecow__EcoString/long/report-string",
        "push_str_1k/arcow__CowStr/report-string",
        "eq/str/8/report-string",
    ] {
        assert!(criterion.join(path).is_dir(), "{path}");
    }
    assert_eq!(
        r.median("string", "clone_drop", "Arc<str>", Some("long")),
        Some(4.0)
    );
    assert_eq!(
        r.median("string", "push_str_1k", "arcow::CowStr", None),
        Some(290.0)
    );
    assert_eq!(r.median("string", "eq", "str", Some("64")), Some(2.8));
    // `clone_drop` is a group of benches/cow.rs too: kept apart.
    assert_eq!(
        r.median("cow", "clone_drop", "std::Arc", Some("u64")),
        Some(4.0)
    );
    assert_eq!(
        r.median("cow", "clone_drop", "arcow::CowStr", Some("long")),
        None
    );
    let md = render::render(&r, &render::Figures::default());
    let s = &md[md.find("## `CowStr`").unwrap()..md.find("## `CowCell<T>` under").unwrap()];
    // Columns in the report's order, short before long, `<` kept in code.
    assert!(s.contains(
        "| | `CowStr` | `String` | `Arc<str>` | `EcoString` | `CowStr` / `String` | `CowStr` / `Arc<str>` | `CowStr` / `EcoString` |"
    ), "{s}");
    assert!(
        s.contains("| short | 1.00 ns | 15.0 ns | 4.00 ns | 1.20 ns | 0.07 | 0.25 | 0.83 |"),
        "{s}"
    );
    assert!(s.find("| short |").unwrap() < s.find("| long |").unwrap());
    assert!(s.contains("`clone_drop/long`: `arcow::CowStr` / `Arc<str>` | 1.00 | ≤ 1.05 | pass |"));
    assert!(s.contains(
        "| ″ | `clone_drop/long`: `arcow::CowStr` / `ecow::EcoString` | 1.11 | ≤ 1.05 | **miss** |"
    ), "{s}");
    // A group of plain functions: one row per type.
    assert!(
        s.contains("| `arcow::CowStr` | 290 ns | 1.16 | 0.94 |"),
        "{s}"
    );
    assert!(s.contains("`push_str_1k`: `arcow::CowStr` / `String` | 1.16 | ≤ 1.20 | pass |"));
    // eq and hash against `str`, at 8 before 64.
    assert!(
        s.contains("| 8 | 2.60 ns | 2.50 ns | 2.60 ns | 1.04 | 1.00 |"),
        "{s}"
    );
    assert!(s.contains("`eq/64`: `arcow::CowStr` / `str` | 1.18 | ≤ 1.10 | **miss** |"));
    assert!(s.contains("`hash/64`: `arcow::CowStr` / `str` | 1.02 | ≤ 1.10 | pass |"));
    // map_first_write: a figure without a bar.
    assert!(
        s.contains(
            "`map_first_write/100k`: `arcow::CowStr` / `String` | 0.40 | none | for information |"
        ),
        "{s}"
    );
    // Not counted as a pass, not listed as a miss.
    assert!(md.contains("and 1 figure without a bar, for information"));
    let losses = &md[md.find("## Where arcow loses").unwrap()..];
    assert!(!losses.contains("map_first_write"));
    assert!(losses.contains("`eq/64`: `arcow::CowStr` / `str` is 1.18, the bar ≤ 1.10."));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn watch_parsed_checked_and_rendered() {
    let dir = scratch("watch");
    let mut r = fixture(&dir);
    let w = r.watch.as_ref().unwrap();
    assert_eq!((w.cores, w.rounds), (2, 3));
    let reads = w.reads.as_ref().unwrap();
    assert_eq!(
        reads.types[1],
        ("tokio::sync::watch".to_string(), 10e6, 95e3)
    );
    assert_eq!(reads.reads.unwrap().max, 30.0);
    let wake = w.wake.as_ref().unwrap();
    assert_eq!((wake.wakes, wake.types[1].p99), (1000, 34000.0));
    assert_eq!(wake.p99.unwrap().median, 1.5);
    let blocking = w.blocking.as_ref().unwrap();
    assert_eq!(blocking.types[0].name, "arcow::CowCell");
    assert_eq!(blocking.types[0].publish_p50, 4530.0);
    assert!(blocking.p50.is_none());
    // The targets, with the rounds' range.
    let t: Vec<_> = targets::WATCH_TARGETS.iter().collect();
    assert_eq!(targets::for_watch("reads").count(), 1);
    assert_eq!(targets::for_watch("wake").count(), 2);
    let m = t[0].measure(&r).unwrap();
    assert_eq!((m.value, m.interleaved), (15.0, Some((9.5, 30.0, 3))));
    assert!(t[0].bar.passes(m.value));
    assert!(t[1].bar.passes(t[1].measure(&r).unwrap().value));
    assert!(!t[2].bar.passes(t[2].measure(&r).unwrap().value));
    let md = render::render(&r, &render::Figures::default());
    let s = &md[md.find("## `CowCell` change notification").unwrap()
        ..md.find("## Where arcow loses").unwrap()];
    assert!(s.contains("This run: 3 rounds, 2 cores; load average at the start 0.30 0.20 0.10"));
    assert!(
        s.contains("| `tokio::sync::watch` | 10.0 M | 95.0 k |"),
        "{s}"
    );
    assert!(
        s.contains("`CowCell / watch`: reads/s 15.0 (9.50–30.0); writes/s 0.63 (0.60–0.70)"),
        "{s}"
    );
    assert!(s.contains("`reads`, reads: `CowCell` / `tokio::sync::watch` | 15.0 (9.50–30.0, 3 rounds) | ≥ 5.00 | pass |"), "{s}");
    assert!(
        s.contains("| `arcow::CowCell` | 12.5 µs | 30.0 µs | 52.0 µs | 1.80 ms | 3.30 µs |"),
        "{s}"
    );
    assert!(s.contains(
        "| `CowCell` / `watch` | 1.04 (0.98–1.10) | 1.70 (1.50–1.90) | 1.50 (1.30–1.60) |"
    ));
    assert!(s.contains("| ″ | `wake`, p99: `CowCell` / `tokio::sync::watch` | 1.50 (1.30–1.60, 3 rounds) | ≤ 1.20 | **miss** |"), "{s}");
    assert!(
        s.contains("| `arcow::CowCell` | 9.50 µs | 16.0 µs | 18.5 µs | 26.4 µs | 4.53 µs |"),
        "{s}"
    );
    let losses = &md[md.find("## Where arcow loses").unwrap()..];
    assert!(losses.contains("`wake`, p99: `CowCell` / `tokio::sync::watch` is 1.50 (1.30–1.60, 3 rounds), the bar ≤ 1.20."));
    assert!(losses.contains("part `reads`: `CowCell`'s writer does 0.63x the updates"));
    assert!(losses.contains("p90 wake-up latency is 1.70x `tokio::sync::watch`'s (least and greatest round: 1.50–1.90)."));
    // A part left out by a filter, then no file at all.
    r.watch.as_mut().unwrap().blocking = None;
    let md = render::render(&r, &render::Figures::default());
    assert!(md.contains("Not in this run (a filter left out part `blocking`)."));
    r.watch = None;
    assert!(t[0].measure(&r).is_none());
    let md = render::render(&r, &render::Figures::default());
    let s = &md[md.find("## `CowCell` change notification").unwrap()
        ..md.find("## Where arcow loses").unwrap()];
    assert!(s.contains("Not in this run (no target/bench-report/cell_watch.json"));
    assert!(!s.contains("a filter left out"));
    assert!(
        s.contains("`wake`, p50: `CowCell` / `tokio::sync::watch` | — | ≤ 1.20 | not measured |")
    );
    fs::remove_dir_all(dir).unwrap();
}

/// benches/targets.rs: the cow clone_drop target against triomphe and the
/// string push_str target (no value in its id), interleaved.
const TARGETS: &str = r#"{
  "rounds": 15, "smoke": false, "burst_ms": 10.0, "bursts_per_round": 3, "seconds": 95.0, "cores": 2,
  "load_average_start": "0.10 0.10 0.05", "load_average_end": "0.30 0.20 0.10",
  "cases": [
    {"bench": "cow", "group": "clone_drop", "value": "u64", "type": "arcow::Cow", "ns_per_op": 4.1},
    {"bench": "cow", "group": "clone_drop", "value": "u64", "type": "triomphe::Arc", "ns_per_op": 4.0},
    {"bench": "string", "group": "push_str_1k", "value": "", "type": "arcow::CowStr", "ns_per_op": 330.0},
    {"bench": "string", "group": "push_str_1k", "value": "", "type": "String", "ns_per_op": 320.0}
  ],
  "targets": [
    {"bench": "cow", "group": "clone_drop", "value": "u64", "subject": "arcow::Cow", "anchor": "triomphe::Arc",
     "unit": "ratio", "bar_at_most": 1.05, "median": 1.02, "min": 0.97, "max": 1.08, "values": [0.97, 1.02, 1.08], "pass": true},
    {"bench": "string", "group": "push_str_1k", "value": null, "subject": "arcow::CowStr", "anchor": "String",
     "unit": "ratio", "bar_at_most": 1.2, "median": 1.03, "min": 1.0, "max": 1.1, "values": [1.0, 1.03, 1.1], "pass": true}
  ]
}"#;

#[test]
fn targets_take_the_interleaved_figures_of_benches_targets() {
    let dir = scratch("targets");
    let before = fixture(&dir);
    // Without targets.json: criterion's 2.00 (a miss), and the report says
    // there is no interleaved run.
    let md = render::render(&before, &render::Figures::default());
    assert!(md
        .contains("`clone_drop/u64`: `arcow::Cow` / `triomphe::Arc` | 2.00 | ≤ 1.05 | **miss** |"));
    assert!(md.contains("This run has no `benches/targets.rs` figures"));
    fs::write(dir.join("bench-report").join(data::TARGETS_JSON), TARGETS).unwrap();
    let r = data::load(&dir.join("criterion"), &dir.join("bench-report"), &BENCHES).unwrap();
    let md = render::render(&r, &render::Figures::default());
    assert!(
        md.contains(
            "`clone_drop/u64`: `arcow::Cow` / `triomphe::Arc` | 1.02 (0.97–1.08, 3 rounds) | ≤ 1.05 | pass |"
        ),
        "{md}"
    );
    // An id without a value matches a target whose value is null.
    assert!(
        md.contains("1.03 (1.00–1.10, 3 rounds) | ≤ 1.20 | pass |"),
        "{md}"
    );
    // Where the figures come from, the machine's load, and the medians with
    // each group named by its bench.
    assert!(md.contains("`cargo bench --bench targets`: 15 rounds, 3 burst(s) of about 10 ms"));
    assert!(md.contains(
        "load average (1, 5, 15 min) at the start 0.10 0.10 0.05, at the end 0.30 0.20 0.10"
    ));
    assert!(md.contains("| `cow/clone_drop` | u64 |"), "{md}");
    fs::remove_dir_all(dir).unwrap();
}
