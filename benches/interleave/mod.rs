//! The interleaved runner of benches/targets.rs and benches/map_targets.rs:
//! performance targets as paired ratios, not as two criterion medians taken
//! minutes apart.
//!
//! Criterion runs the entries of a group one after another, so a change in
//! the machine's load lands on one entry and moves a ratio by 10-40% on a
//! shared 2-core machine. Here the contenders of a target take turns: in
//! each round every case of a comparison runs a burst of the same work
//! (about 10 ms), `bursts` passes of them, the order rotated from pass to
//! pass and round to round; a case's time in the round is its least burst
//! (the one least disturbed by other work), the ratio is taken within the
//! round, and a target's figure is the median over rounds of those paired
//! ratios, with the least and greatest round. A load change then hits both
//! sides of a ratio alike.
//!
//! The JSON both binaries write (`targets`: bench, group, value, subject,
//! anchor, median, min, max, the per-round values) is what `cargo xtask
//! bench-report` puts in its target table in place of criterion's ratios.

// Each binary uses a part of this module.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How a run is sized: the real thing, or a smoke run (`--test`) that only
/// checks the cases run.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub rounds: usize,
    /// How long one burst should take.
    pub burst: Duration,
    /// Bursts per case per round (the round keeps the least).
    pub bursts: usize,
    pub smoke: bool,
}

impl Plan {
    /// From the command line and `ARCOW_ROUNDS` (default `rounds`): `--test`
    /// is a smoke run of one round and one-unit bursts.
    pub fn from_env(rounds: usize) -> Plan {
        let smoke = std::env::args().any(|a| a == "--test");
        if smoke {
            return Plan {
                rounds: 1,
                burst: Duration::ZERO,
                bursts: 1,
                smoke,
            };
        }
        let rounds = std::env::var("ARCOW_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .filter(|&r| r > 0)
            .unwrap_or(rounds);
        Plan {
            rounds,
            burst: Duration::from_millis(10),
            bursts: 3,
            smoke,
        }
    }
}

/// One timed thing: `run(reps)` does `reps` units of work and returns the
/// time that counts.
pub struct Case<'a> {
    pub name: &'static str,
    run: Box<dyn FnMut(u64) -> Duration + 'a>,
    /// Units per burst, set by `calibrate`.
    pub reps: u64,
    /// ns per unit, one per round.
    pub times: Vec<f64>,
}

impl<'a> Case<'a> {
    /// A case whose `run` times its own units (for work with an untimed
    /// part in each unit).
    pub fn new(name: &'static str, run: impl FnMut(u64) -> Duration + 'a) -> Case<'a> {
        Case {
            name,
            run: Box::new(run),
            reps: 0,
            times: Vec::new(),
        }
    }

    /// A case whose every unit is `f`, all of it timed.
    pub fn each(name: &'static str, mut f: impl FnMut() + 'a) -> Case<'a> {
        Case::new(name, move |reps| timed(reps, &mut f))
    }

    /// A case whose input `make` builds when the case first runs (so only
    /// the comparison being measured holds its inputs), and whose every
    /// unit is a call of the closure `make` returns, all of it timed.
    pub fn lazy<F: FnMut() + 'a>(name: &'static str, make: impl FnOnce() -> F + 'a) -> Case<'a> {
        let mut make = Some(make);
        let mut f: Option<F> = None;
        Case::new(name, move |reps| {
            let f = f.get_or_insert_with(|| (make.take().expect("built once"))());
            timed(reps, f)
        })
    }

    /// Drops the case's inputs; its times stay.
    fn release(&mut self) {
        self.run = Box::new(|_| Duration::ZERO);
    }

    /// A case whose unit is `n` runs of `f` in a loop of its own (its
    /// comparison's `ops_per_unit` is then `n`), for operations of a few ns:
    /// `f` inlines into that loop as into criterion's, where a call per run
    /// would add its own cost, and not the same for every contender (a
    /// 1.4 ns `CowStr` compare measured 6.6 ns one call per run).
    pub fn batched(name: &'static str, n: u64, mut f: impl FnMut() + 'a) -> Case<'a> {
        Case::new(name, move |reps| {
            timed(reps, || {
                for _ in 0..n {
                    f();
                }
            })
        })
    }

    /// Warms up and sizes the burst to `burst`, in units.
    fn calibrate(&mut self, burst: Duration, smoke: bool) {
        (self.run)(1);
        let once = (self.run)(1).max(Duration::from_nanos(1));
        self.reps = if smoke {
            1
        } else {
            (burst.as_nanos() / once.as_nanos()).clamp(1, 10_000_000) as u64
        };
    }

    /// One burst: ns per unit.
    fn burst(&mut self) -> f64 {
        let t = (self.run)(self.reps);
        t.as_nanos() as f64 / self.reps as f64
    }
}

/// Times `reps` runs of `f`.
pub fn timed(reps: u64, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..reps {
        f();
    }
    start.elapsed()
}

/// Cases timed side by side: criterion's `bench`/`group`/`value` (the ids
/// the report's targets name), and what a unit of them is.
pub struct Comparison<'a> {
    pub bench: &'static str,
    pub group: &'static str,
    pub value: String,
    /// Operations in one unit, to print ns per operation.
    pub ops_per_unit: f64,
    pub cases: Vec<Case<'a>>,
}

impl Comparison<'_> {
    /// One round: `bursts` passes, each running every case once, in an
    /// order that rotates from pass to pass and round to round; a case's
    /// time for the round is its least burst.
    fn round(&mut self, r: usize, bursts: usize) {
        let n = self.cases.len();
        let mut best = vec![f64::INFINITY; n];
        for pass in 0..bursts {
            for i in 0..n {
                let j = (r + pass + i) % n;
                best[j] = best[j].min(self.cases[j].burst());
            }
        }
        for (case, t) in self.cases.iter_mut().zip(best) {
            case.times.push(t);
        }
    }

    pub fn times(&self, name: &str) -> &[f64] {
        &self
            .cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no case {name} in {}/{}", self.bench, self.group))
            .times
    }
}

/// One comparison after another: calibrates its cases (building lazy
/// inputs), runs all its rounds, then drops its inputs, so a comparison's
/// 80 MB vectors do not sit in memory (and in the way of the next one's
/// placement, huge pages included) while others run. Ratios are paired
/// within a comparison, so nothing is lost by not interleaving across them.
pub fn run(comparisons: &mut [Comparison<'_>], plan: Plan) {
    for c in comparisons.iter_mut() {
        for case in &mut c.cases {
            case.calibrate(plan.burst, plan.smoke);
        }
        for r in 0..plan.rounds {
            c.round(r, plan.bursts);
        }
        for case in &mut c.cases {
            case.release();
        }
    }
}

/// A target: `subject / anchor` per round (or `subject`'s ns per
/// operation, without an anchor) against a bar, with the ids of the
/// comparison it reads (`value` `None`: the comparison's only one).
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub text: &'static str,
    pub bench: &'static str,
    pub group: &'static str,
    pub value: Option<&'static str>,
    pub subject: &'static str,
    pub anchor: Option<&'static str>,
    pub bar: Bar,
}

/// The bar a figure must clear.
#[derive(Clone, Copy, Debug)]
pub enum Bar {
    AtMost(f64),
    AtLeast(f64),
}

impl Bar {
    pub fn passes(self, x: f64) -> bool {
        match self {
            Bar::AtMost(max) => x <= max,
            Bar::AtLeast(min) => x >= min,
        }
    }

    fn show(self) -> String {
        match self {
            Bar::AtMost(max) => format!("<= {}", fmt(max)),
            Bar::AtLeast(min) => format!(">= {}", fmt(min)),
        }
    }

    fn json(self) -> Value {
        match self {
            Bar::AtMost(max) => json!({ "bar_at_most": max }),
            Bar::AtLeast(min) => json!({ "bar_at_least": min }),
        }
    }
}

/// A target's figure: the per-round values and their median.
pub struct Figure {
    pub value: String,
    pub per_round: Vec<f64>,
}

impl Figure {
    /// `subject / anchor` per round, or `subject`'s ns per operation.
    pub fn of(t: &Target, comparisons: &[Comparison<'_>]) -> Figure {
        let c = comparisons
            .iter()
            .find(|c| {
                c.bench == t.bench && c.group == t.group && t.value.is_none_or(|v| c.value == v)
            })
            .unwrap_or_else(|| panic!("no comparison for the target {:?}", t.text));
        let s = c.times(t.subject);
        let per_round = match t.anchor {
            Some(a) => s.iter().zip(c.times(a)).map(|(s, a)| s / a).collect(),
            None => s.iter().map(|s| s / c.ops_per_unit).collect(),
        };
        Figure {
            value: c.value.clone(),
            per_round,
        }
    }
}

/// Prints every case's median ns per operation, then every target's
/// figure, range and result; returns `(cases, targets)` as JSON.
pub fn report(
    title: &str,
    comparisons: &[Comparison<'_>],
    targets: &[(Target, Figure)],
) -> (Vec<Value>, Vec<Value>) {
    println!("{title}\n");
    println!(
        "{:<8} {:<16} {:<12} {:<24} {:>12}",
        "bench", "group", "value", "type", "ns/op"
    );
    let mut cases = Vec::new();
    for c in comparisons {
        for case in &c.cases {
            let ns = median(&case.times) / c.ops_per_unit;
            println!(
                "{:<8} {:<16} {:<12} {:<24} {:>12}",
                c.bench,
                c.group,
                c.value,
                case.name,
                fmt(ns)
            );
            cases.push(json!({
                "bench": c.bench, "group": c.group, "value": c.value, "type": case.name,
                "ns_per_op": ns, "ops_per_unit": c.ops_per_unit, "reps_per_burst": case.reps,
            }));
        }
    }
    println!();
    println!(
        "{:<56} {:>9} {:>21} {:>9}  result",
        "target (subject / anchor)", "median", "min..max", "bar"
    );
    let mut out = Vec::new();
    let mut passed = 0;
    for (t, f) in targets {
        let m = median(&f.per_round);
        let (lo, hi) = span(&f.per_round);
        let pass = t.bar.passes(m);
        passed += usize::from(pass);
        let unit = if t.anchor.is_some() { "" } else { " ns" };
        let name = format!(
            "{}/{} {}{}",
            t.group,
            f.value,
            t.subject,
            t.anchor.map_or(String::new(), |a| format!(" / {a}"))
        );
        println!(
            "{:<56} {:>9} {:>21} {:>9}  {}",
            name,
            format!("{}{unit}", fmt(m)),
            format!("{}..{}", fmt(lo), fmt(hi)),
            t.bar.show(),
            if pass { "pass" } else { "MISS" }
        );
        let mut j = json!({
            "text": t.text, "bench": t.bench, "group": t.group,
            "value": (!f.value.is_empty()).then_some(&f.value),
            "subject": t.subject, "anchor": t.anchor,
            "unit": if t.anchor.is_some() { "ratio" } else { "ns" },
            "median": m, "min": lo, "max": hi, "values": f.per_round, "pass": pass,
        });
        if let (Some(j), Value::Object(bar)) = (j.as_object_mut(), t.bar.json()) {
            j.extend(bar);
        }
        out.push(j);
    }
    println!("\n{passed} of {} targets pass.", targets.len());
    (cases, out)
}

/// The JSON record of a run, with what every run has in common.
pub fn run_json(plan: Plan, seconds: f64, load: (&str, &str), extra: Value) -> Value {
    let mut out = json!({
        "rounds": plan.rounds,
        "smoke": plan.smoke,
        "burst_ms": plan.burst.as_secs_f64() * 1e3,
        "bursts_per_round": plan.bursts,
        "seconds": seconds,
        "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "load_average_start": load.0,
        "load_average_end": load.1,
    });
    if let (Some(o), Value::Object(extra)) = (out.as_object_mut(), extra) {
        o.extend(extra);
    }
    out
}

/// Writes `value` to the path in the environment variable `var`, if set.
pub fn write_json(var: &str, value: &Value) {
    if let Ok(path) = std::env::var(var) {
        let text = serde_json::to_string_pretty(value).expect("JSON of plain values");
        std::fs::write(&path, text + "\n").unwrap_or_else(|e| panic!("{var}={path:?}: {e}"));
    }
}

pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

pub fn span(xs: &[f64]) -> (f64, f64) {
    xs.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// `0.631`, `4.2e-4`, `1234`.
pub fn fmt(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x != 0.0 && x.abs() < 0.01 {
        format!("{x:.1e}")
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}

/// The load averages of /proc/loadavg (1, 5, 15 minutes), or "unknown".
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}
