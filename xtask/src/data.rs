//! Reading what a run left behind: criterion's saved estimates, the JSON of
//! benches/cell_contention.rs, benches/map_targets.rs and
//! benches/cell_watch.rs, and the run's own record (run.json).
//!
//! Names: criterion makes each bench id safe for a path (`arcow::CowStr`
//! becomes the folder `arcow__CowStr`, `Arc<str>` becomes `Arc_str_`: each of
//! `?"/\*<>:|^` turns into `_`), but it also writes the ids unchanged into
//! the `benchmark.json` next to the estimates. The report takes the names
//! from there and only looks for folders by their baseline's name, so no
//! folder name is ever turned back into a type's name.

use std::fs;
use std::path::Path;

use serde_json::Value;

/// One criterion benchmark: its ids and the median of its samples.
#[derive(Clone, Debug)]
pub struct Estimate {
    pub group: String,
    pub function: String,
    /// The parameter (`u64`, `4KiB`, `1M`, ...); `None` for plain functions.
    pub value: Option<String>,
    /// Median time per iteration, in ns.
    pub median_ns: f64,
}

/// The criterion baseline a bench's results are saved under, so that groups
/// of the same name in different benches (`push`, `first_write`, ...) do not
/// overwrite each other.
pub fn baseline(bench: &str) -> String {
    format!("report-{bench}")
}

/// Every `<group>/<function>/<value>/report-<bench>/` under `criterion_dir`.
pub fn read_criterion(criterion_dir: &Path, bench: &str) -> Result<Vec<Estimate>, String> {
    let mut dirs = Vec::new();
    find_dirs(criterion_dir, &baseline(bench), &mut dirs);
    let mut out = Vec::new();
    for dir in dirs {
        let id = read_json(&dir.join("benchmark.json"))?;
        let est = read_json(&dir.join("estimates.json"))?;
        let median_ns = est["median"]["point_estimate"]
            .as_f64()
            .ok_or_else(|| format!("{}: no median", dir.display()))?;
        out.push(Estimate {
            group: str_of(&id["group_id"]).unwrap_or_default(),
            function: str_of(&id["function_id"]).unwrap_or_default(),
            value: str_of(&id["value_str"]),
            median_ns,
        });
    }
    Ok(out)
}

/// Directories named `name` anywhere below `dir` (criterion nests them two
/// or three levels deep).
fn find_dirs(dir: &Path, name: &str, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    paths.sort();
    for path in paths {
        if path.file_name().is_some_and(|f| f == name) {
            out.push(path);
        } else {
            find_dirs(&path, name, out);
        }
    }
}

/// Removes every `report-<bench>` baseline, so a run leaves no stale entry.
pub fn remove_baseline(criterion_dir: &Path, bench: &str) -> Result<(), String> {
    let mut dirs = Vec::new();
    find_dirs(criterion_dir, &baseline(bench), &mut dirs);
    for dir in dirs {
        fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(())
}

pub fn read_json(path: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn str_of(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// One type's row under a writer (medians over rounds).
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub reads_per_sec: f64,
    pub writes_per_sec: f64,
    /// `(percentile name, ns)`: p50, p90, p99, p99.9, p99.99, max, p99.9 CO.
    pub latency: Vec<(String, f64)>,
}

impl Case {
    pub fn latency(&self, name: &str) -> f64 {
        self.latency
            .iter()
            .find(|(n, _)| n == name)
            .map_or(f64::NAN, |(_, v)| *v)
    }
}

/// `CowCell / anchor` under a writer, median over rounds of each round's ratio.
#[derive(Clone, Debug)]
pub struct Ratio {
    pub anchor: String,
    pub reads: f64,
    pub p99: f64,
    pub p999: f64,
    pub p999_co: f64,
}

#[derive(Clone, Debug)]
pub struct Writer {
    pub name: String,
    pub about: String,
    pub work_ns: f64,
    pub cases: Vec<Case>,
    pub ratios: Vec<Ratio>,
}

/// Readers only, 1 to `cores` threads: total reads/s per type and count.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub threads: Vec<usize>,
    pub cases: Vec<(String, Vec<f64>)>,
    /// Per thread count, the least share of a run any reader spent on a CPU.
    pub least_cpu_share: Vec<Option<f64>>,
}

/// One row of the cheap-writer scenario: a type's reads and writes per
/// second (medians over rounds).
#[derive(Clone, Debug)]
pub struct CheapCase {
    pub name: String,
    pub reads_per_sec: f64,
    pub writes_per_sec: f64,
}

/// `type / arc_swap::ArcSwap (rcu)` in the cheap-writer scenario: the
/// median over rounds of each round's ratio, and (reads) the least and
/// greatest round.
#[derive(Clone, Debug)]
pub struct CheapRatio {
    pub name: String,
    pub reads: f64,
    pub reads_min: f64,
    pub reads_max: f64,
    pub writes: f64,
}

/// The cheap writer on one value (`4 x u64`, `4 KiB, 3 words`, `4 KiB,
/// all`), `back-to-back` or `paced`.
#[derive(Clone, Debug)]
pub struct Cheap {
    pub value: String,
    pub writer: String,
    pub cases: Vec<CheapCase>,
    pub ratios: Vec<CheapRatio>,
}

/// The file benches/cell_watch.rs writes into the report's folder.
pub const WATCH_JSON: &str = "cell_watch.json";

/// What benches/targets.rs writes into the report folder.
pub const TARGETS_JSON: &str = "targets.json";

/// The anchor of the cheap-writer ratios.
pub const CHEAP_ANCHOR: &str = "arc_swap::ArcSwap (rcu)";

/// What `ARCOW_CONTENTION_JSON` holds.
#[derive(Clone, Debug)]
pub struct Contention {
    pub cores: usize,
    pub secs: f64,
    pub rounds: usize,
    pub timer_overhead_ns: f64,
    pub co_interval_ns: f64,
    pub load_start: String,
    pub load_end: String,
    pub writers: Vec<Writer>,
    /// The cheap-writer scenario; `None` in JSON written before the bench
    /// had it.
    pub cheap_writer: Option<Vec<Cheap>>,
    pub sweep: Option<Sweep>,
}

impl Contention {
    /// The cheap writer's figures for `value` under `writer`.
    pub fn cheap(&self, value: &str, writer: &str) -> Option<&Cheap> {
        self.cheap_writer
            .as_deref()?
            .iter()
            .find(|c| c.value == value && c.writer == writer)
    }
}

pub const PERCENTILES: [&str; 7] = ["p50", "p90", "p99", "p99.9", "p99.99", "max", "p99.9 CO"];

pub fn parse_contention(v: &Value) -> Contention {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let writers = list(&v["writers"])
        .iter()
        .map(|w| Writer {
            name: str_of(&w["name"]).unwrap_or_default(),
            about: str_of(&w["about"]).unwrap_or_default(),
            work_ns: f64_of(&w["work_ns"]),
            cases: list(&w["cases"])
                .iter()
                .map(|c| Case {
                    name: str_of(&c["type"]).unwrap_or_default(),
                    reads_per_sec: f64_of(&c["reads_per_sec"]),
                    writes_per_sec: f64_of(&c["writes_per_sec"]),
                    latency: PERCENTILES
                        .iter()
                        .map(|p| (p.to_string(), f64_of(&c["latency_ns"][*p])))
                        .collect(),
                })
                .collect(),
            ratios: list(&w["ratios"])
                .iter()
                .map(|r| Ratio {
                    anchor: str_of(&r["anchor"]).unwrap_or_default(),
                    reads: f64_of(&r["reads"]),
                    p99: f64_of(&r["p99"]),
                    p999: f64_of(&r["p99.9"]),
                    p999_co: f64_of(&r["p99.9 CO"]),
                })
                .collect(),
        })
        .collect();
    let cheap_writer = v["cheap_writer"].as_array().map(|values| {
        values
            .iter()
            .map(|c| Cheap {
                value: str_of(&c["value"]).unwrap_or_default(),
                writer: str_of(&c["writer"]).unwrap_or_default(),
                cases: list(&c["cases"])
                    .iter()
                    .map(|x| CheapCase {
                        name: str_of(&x["type"]).unwrap_or_default(),
                        reads_per_sec: f64_of(&x["reads_per_sec"]),
                        writes_per_sec: f64_of(&x["writes_per_sec"]),
                    })
                    .collect(),
                ratios: list(&c["ratios"])
                    .iter()
                    .map(|x| CheapRatio {
                        name: str_of(&x["type"]).unwrap_or_default(),
                        reads: f64_of(&x["reads"]),
                        reads_min: f64_of(&x["reads_min"]),
                        reads_max: f64_of(&x["reads_max"]),
                        writes: f64_of(&x["writes"]),
                    })
                    .collect(),
            })
            .collect()
    });
    let sweep = v["sweep"].is_object().then(|| Sweep {
        threads: list(&v["sweep"]["threads"])
            .iter()
            .filter_map(Value::as_u64)
            .map(|n| n as usize)
            .collect(),
        cases: list(&v["sweep"]["cases"])
            .iter()
            .map(|c| {
                let reads = list(&c["reads_per_sec"]).iter().map(f64_of).collect();
                (str_of(&c["type"]).unwrap_or_default(), reads)
            })
            .collect(),
        least_cpu_share: list(&v["sweep"]["least_cpu_share"])
            .iter()
            .map(Value::as_f64)
            .collect(),
    });
    Contention {
        cores: v["cores"].as_u64().unwrap_or(0) as usize,
        secs: f64_of(&v["secs"]),
        rounds: v["rounds"].as_u64().unwrap_or(0) as usize,
        timer_overhead_ns: f64_of(&v["timer_overhead_ns"]),
        co_interval_ns: f64_of(&v["co_interval_ns"]),
        load_start: str_of(&v["load_average_start"]).unwrap_or_default(),
        load_end: str_of(&v["load_average_end"]).unwrap_or_default(),
        writers,
        cheap_writer,
        sweep,
    }
}

/// A ratio over rounds: the median of the per-round ratios, the least and
/// the greatest.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    fn parse(v: &Value) -> Option<Spread> {
        v.is_object().then(|| Spread {
            median: f64_of(&v["median"]),
            min: f64_of(&v["min"]),
            max: f64_of(&v["max"]),
        })
    }
}

/// benches/cell_watch.rs, part `reads`: one reader beside a writer that
/// changes the value for about 10 µs per update.
#[derive(Clone, Debug)]
pub struct WatchReads {
    pub secs: f64,
    pub work_ns: f64,
    /// `(type, reads/s, writes/s)`, medians over rounds.
    pub types: Vec<(String, f64, f64)>,
    /// `CowCell / watch`.
    pub reads: Option<Spread>,
    pub writes: Option<Spread>,
}

/// Publish-to-wake latencies of one waiter, in ns (medians over rounds).
#[derive(Clone, Debug)]
pub struct WakeLatency {
    pub name: String,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    /// The publish call alone, p50.
    pub publish_p50: f64,
}

/// benches/cell_watch.rs, parts `wake` (a task on tokio, both types) and
/// `blocking` (a thread in `CowCell::wait_changed`, one type).
#[derive(Clone, Debug)]
pub struct WatchWake {
    pub wakes: usize,
    pub spacing_us: f64,
    pub types: Vec<WakeLatency>,
    /// `CowCell / watch` (none for `blocking`).
    pub p50: Option<Spread>,
    pub p90: Option<Spread>,
    pub p99: Option<Spread>,
}

/// What `ARCOW_WATCH_JSON` holds; each part is `None` when a filter left it
/// out.
#[derive(Clone, Debug)]
pub struct Watch {
    pub cores: usize,
    pub rounds: usize,
    pub load_start: String,
    pub load_end: String,
    pub reads: Option<WatchReads>,
    pub wake: Option<WatchWake>,
    pub blocking: Option<WatchWake>,
}

pub fn parse_watch(v: &Value) -> Watch {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let s = |v: &Value| str_of(v).unwrap_or_default();
    let latency = |name: String, x: &Value| WakeLatency {
        name,
        p50: f64_of(&x["latency_ns"]["p50"]),
        p90: f64_of(&x["latency_ns"]["p90"]),
        p99: f64_of(&x["latency_ns"]["p99"]),
        max: f64_of(&x["latency_ns"]["max"]),
        publish_p50: f64_of(&x["publish_call_p50_ns"]),
    };
    let parts = &v["parts"];
    let reads = parts["reads"].is_object().then(|| {
        let r = &parts["reads"];
        WatchReads {
            secs: f64_of(&r["secs"]),
            work_ns: f64_of(&r["work_ns"]),
            types: list(&r["types"])
                .iter()
                .map(|t| {
                    (
                        s(&t["type"]),
                        f64_of(&t["reads_per_sec"]),
                        f64_of(&t["writes_per_sec"]),
                    )
                })
                .collect(),
            reads: Spread::parse(&r["ratio_reads"]),
            writes: Spread::parse(&r["ratio_writes"]),
        }
    });
    let wake = parts["wake"].is_object().then(|| {
        let w = &parts["wake"];
        WatchWake {
            wakes: w["wakes"].as_u64().unwrap_or(0) as usize,
            spacing_us: f64_of(&w["spacing_us"]),
            types: list(&w["types"])
                .iter()
                .map(|t| latency(s(&t["type"]), t))
                .collect(),
            p50: Spread::parse(&w["ratio_p50"]),
            p90: Spread::parse(&w["ratio_p90"]),
            p99: Spread::parse(&w["ratio_p99"]),
        }
    });
    let blocking = parts["blocking"].is_object().then(|| {
        let b = &parts["blocking"];
        WatchWake {
            wakes: b["wakes"].as_u64().unwrap_or(0) as usize,
            spacing_us: f64_of(&b["spacing_us"]),
            types: vec![latency("arcow::CowCell".into(), b)],
            p50: None,
            p90: None,
            p99: None,
        }
    });
    Watch {
        cores: v["cores"].as_u64().unwrap_or(0) as usize,
        rounds: v["rounds"].as_u64().unwrap_or(0) as usize,
        load_start: s(&v["load_average_start"]),
        load_end: s(&v["load_average_end"]),
        reads,
        wake,
        blocking,
    }
}

/// One target of benches/map_targets.rs: `subject / anchor` per round (or
/// `subject`'s ns per operation, without an anchor).
#[derive(Clone, Debug)]
pub struct Interleaved {
    pub bench: String,
    pub group: String,
    pub value: Option<String>,
    pub subject: String,
    pub anchor: Option<String>,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub rounds: usize,
}

/// What `ARCOW_MAP_TARGETS_JSON` holds.
#[derive(Clone, Debug, Default)]
pub struct MapTargets {
    pub rounds: usize,
    /// A `--test` run: tiny maps, not results.
    pub smoke: bool,
    pub burst_ms: f64,
    /// How long the run took.
    pub seconds: f64,
    /// Bursts per type per round (the round keeps the least).
    pub bursts: usize,
    pub load_start: String,
    pub load_end: String,
    /// `(type, heap bytes, entries)`.
    pub heap: Vec<(String, f64, f64)>,
    /// `(group, value, type, ns per operation)`: every case's median.
    pub cases: Vec<(String, String, String, f64)>,
    pub targets: Vec<Interleaved>,
}

pub fn parse_map_targets(v: &Value) -> MapTargets {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let s = |v: &Value| str_of(v).unwrap_or_default();
    MapTargets {
        rounds: v["rounds"].as_u64().unwrap_or(0) as usize,
        smoke: v["smoke"].as_bool().unwrap_or(false),
        burst_ms: f64_of(&v["burst_ms"]),
        seconds: f64_of(&v["seconds"]),
        bursts: v["bursts_per_round"].as_u64().unwrap_or(1) as usize,
        load_start: s(&v["load_average_start"]),
        load_end: s(&v["load_average_end"]),
        heap: list(&v["heap"])
            .iter()
            .map(|h| (s(&h["type"]), f64_of(&h["bytes"]), f64_of(&h["entries"])))
            .collect(),
        cases: list(&v["cases"])
            .iter()
            .map(|c| {
                (
                    // benches/targets.rs spans several benches: name the
                    // group with its bench.
                    match str_of(&c["bench"]) {
                        Some(b) if b != "map" => format!("{b}/{}", s(&c["group"])),
                        _ => s(&c["group"]),
                    },
                    s(&c["value"]),
                    s(&c["type"]),
                    f64_of(&c["ns_per_op"]),
                )
            })
            .collect(),
        targets: list(&v["targets"])
            .iter()
            .map(|t| Interleaved {
                bench: s(&t["bench"]),
                group: s(&t["group"]),
                value: str_of(&t["value"]),
                subject: s(&t["subject"]),
                anchor: str_of(&t["anchor"]),
                median: f64_of(&t["median"]),
                min: f64_of(&t["min"]),
                max: f64_of(&t["max"]),
                rounds: t["values"].as_array().map_or(0, Vec::len),
            })
            .collect(),
    }
}

/// The run's own record, written by `bench-report` before it renders.
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    /// The `cargo xtask ...` command line.
    pub command: String,
    /// The cargo commands it ran, in order.
    pub commands: Vec<String>,
    pub cpu: String,
    pub cores: usize,
    pub rustc: String,
    pub libc: String,
    pub kernel: String,
    pub commit: String,
    pub load_start: String,
    pub load_end: String,
    /// UTC, `YYYY-MM-DD HH:MM`.
    pub started: String,
    pub seconds: f64,
    pub quick: bool,
}

impl RunInfo {
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "command": self.command,
            "commands": self.commands,
            "cpu": self.cpu,
            "cores": self.cores,
            "rustc": self.rustc,
            "libc": self.libc,
            "kernel": self.kernel,
            "commit": self.commit,
            "load_start": self.load_start,
            "load_end": self.load_end,
            "started": self.started,
            "seconds": self.seconds,
            "quick": self.quick,
        })
    }

    pub fn from_json(v: &Value) -> RunInfo {
        let s = |k: &str| str_of(&v[k]).unwrap_or_default();
        RunInfo {
            command: s("command"),
            commands: v["commands"]
                .as_array()
                .map(|a| a.iter().filter_map(str_of).collect())
                .unwrap_or_default(),
            cpu: s("cpu"),
            cores: v["cores"].as_u64().unwrap_or(0) as usize,
            rustc: s("rustc"),
            libc: s("libc"),
            kernel: s("kernel"),
            commit: s("commit"),
            load_start: s("load_start"),
            load_end: s("load_end"),
            started: s("started"),
            seconds: f64_of(&v["seconds"]),
            quick: v["quick"].as_bool().unwrap_or(false),
        }
    }
}

/// Everything the report is made of.
#[derive(Clone, Debug, Default)]
pub struct Results {
    /// `(bench, its estimates)`, benches in report order.
    pub criterion: Vec<(String, Vec<Estimate>)>,
    pub contention: Option<Contention>,
    /// benches/map_targets.rs, when the run has it.
    pub map_targets: Option<MapTargets>,
    /// benches/targets.rs (every other target, interleaved), when the run
    /// has it; the same schema.
    pub targets: Option<MapTargets>,
    /// benches/cell_watch.rs, when the run has it.
    pub watch: Option<Watch>,
    pub run: RunInfo,
}

impl Results {
    pub fn bench(&self, bench: &str) -> &[Estimate] {
        self.criterion
            .iter()
            .find(|(b, _)| b == bench)
            .map_or(&[], |(_, e)| e.as_slice())
    }

    /// The median of `bench`/`group`/`function`/`value`, in ns.
    pub fn median(
        &self,
        bench: &str,
        group: &str,
        function: &str,
        value: Option<&str>,
    ) -> Option<f64> {
        self.bench(bench)
            .iter()
            .find(|e| e.group == group && e.function == function && e.value.as_deref() == value)
            .map(|e| e.median_ns)
    }

    /// The interleaved figure of `bench`/`group`/`value` for `subject /
    /// anchor` (or `subject` alone), if benches/map_targets.rs or
    /// benches/targets.rs measured it.
    pub fn interleaved(
        &self,
        bench: &str,
        group: &str,
        value: Option<&str>,
        subject: &str,
        anchor: Option<&str>,
    ) -> Option<&Interleaved> {
        [&self.map_targets, &self.targets]
            .into_iter()
            .flatten()
            .filter(|m| !m.smoke)
            .flat_map(|m| &m.targets)
            .find(|t| {
                t.bench == bench
                    && t.group == group
                    && t.value.as_deref() == value
                    && t.subject == subject
                    && t.anchor.as_deref() == anchor
            })
    }
}

/// Reads the criterion baselines of `benches` and the files in `report_dir`.
pub fn load(criterion_dir: &Path, report_dir: &Path, benches: &[&str]) -> Result<Results, String> {
    let mut criterion = Vec::new();
    for bench in benches {
        criterion.push((bench.to_string(), read_criterion(criterion_dir, bench)?));
    }
    let contention_path = report_dir.join("contention.json");
    let contention = if contention_path.exists() {
        Some(parse_contention(&read_json(&contention_path)?))
    } else {
        None
    };
    let map_path = report_dir.join("map_targets.json");
    let map_targets = if map_path.exists() {
        Some(parse_map_targets(&read_json(&map_path)?))
    } else {
        None
    };
    let targets_path = report_dir.join(TARGETS_JSON);
    let targets = if targets_path.exists() {
        Some(parse_map_targets(&read_json(&targets_path)?))
    } else {
        None
    };
    let watch_path = report_dir.join(WATCH_JSON);
    let watch = if watch_path.exists() {
        Some(parse_watch(&read_json(&watch_path)?))
    } else {
        None
    };
    let run_path = report_dir.join("run.json");
    let run = if run_path.exists() {
        RunInfo::from_json(&read_json(&run_path)?)
    } else {
        RunInfo::default()
    };
    Ok(Results {
        criterion,
        contention,
        map_targets,
        targets,
        watch,
        run,
    })
}
