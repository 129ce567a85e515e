//! docs/benchmarks.md from a run's results.

use std::fmt::Write;

use crate::data::{
    Cheap, Contention, Estimate, Results, Spread, WatchWake, CHEAP_ANCHOR, PERCENTILES,
};
use crate::notes::{self, Section};
use crate::targets::{self, Bar, Measured, Target};

/// The figures drawn for this report, as paths relative to the document
/// (`None`: no data for it in this run).
#[derive(Default)]
pub struct Figures {
    pub first_write: Option<String>,
    pub latency: Option<String>,
    pub sweep: Option<String>,
    pub map_first_write: Option<String>,
}

/// Types in the order tables list them; others follow, sorted.
const TYPE_ORDER: [&str; 26] = [
    "arcow::Cow",
    "std::Arc",
    "triomphe::Arc",
    "arcow::PagedCowVec",
    "arcow::CowVec",
    "Vec",
    "ecow::EcoVec",
    "imbl::Vector",
    "arcow::CowCell",
    "arc_swap::ArcSwap",
    "arc_swap::ArcSwap::rcu",
    "std::RwLock",
    "parking_lot::RwLock",
    "std::Mutex",
    "std::RwLock<Arc>",
    "arcow::CowMap",
    "std::HashMap",
    "imbl::HashMap",
    "arcow::CowCell<CowMap>",
    "arcow::CowCell<HashMap>",
    "std::RwLock<HashMap>",
    "arcow::CowStr",
    "String",
    "str",
    "Arc<str>",
    "ecow::EcoString",
];

/// Parameters that are words, in the order tables list them (before other
/// words, which are sorted).
const WORD_ORDER: [&str; 2] = ["short", "long"];

/// A ratio this much worse than an anchor's lands in "Where arcow loses"
/// even without a target.
const LOSS: f64 = 1.2;

fn type_rank(name: &str) -> usize {
    TYPE_ORDER
        .iter()
        .position(|t| *t == name)
        .unwrap_or(TYPE_ORDER.len())
}

/// A type's name without its crate, for narrow table headers.
pub fn short(name: &str) -> &str {
    ["arcow::", "ecow::", "arc_swap::"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name)
}

/// A name as inline code, so `<T>` in it is not taken for HTML.
pub fn code(name: &str) -> String {
    format!("`{name}`")
}

/// `u64` = 8, `4KiB` = 4096, `1k` = 1e3, `10M` = 1e7; `None` for other words.
pub fn value_size(v: &str) -> Option<f64> {
    if v == "u64" {
        return Some(8.0);
    }
    let (num, scale) = if let Some(n) = v.strip_suffix("KiB") {
        (n, 1024.0)
    } else if let Some(n) = v.strip_suffix('k') {
        (n, 1e3)
    } else if let Some(n) = v.strip_suffix('M') {
        (n, 1e6)
    } else {
        (v, 1.0)
    };
    num.parse::<f64>().ok().map(|n| n * scale)
}

fn value_order(a: &Option<String>, b: &Option<String>) -> std::cmp::Ordering {
    let key = |v: &Option<String>| {
        let size = v.as_deref().and_then(value_size);
        let word = v
            .as_deref()
            .and_then(|v| WORD_ORDER.iter().position(|w| *w == v))
            .unwrap_or(WORD_ORDER.len());
        (size.is_none(), size.unwrap_or(0.0), word, v.clone())
    };
    let (ka, kb) = (key(a), key(b));
    ka.0.cmp(&kb.0)
        .then(ka.1.total_cmp(&kb.1))
        .then(ka.2.cmp(&kb.2))
        .then(ka.3.cmp(&kb.3))
}

/// Three significant digits and a unit: `3.87 ns`, `1.72 µs`, `157 ms`.
pub fn fmt_time(ns: f64) -> String {
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", sig3(v))
}

/// Three significant digits, no exponent for ordinary magnitudes.
fn sig3(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A ratio: `0.31`, `1.07`, `16.2`, `221`; tiny ones as `4.2e-4`.
pub fn fmt_ratio(r: f64) -> String {
    if !r.is_finite() {
        "—".into()
    } else if r != 0.0 && r.abs() < 0.01 {
        format!("{r:.1e}")
    } else {
        sig3(r)
    }
}

/// Operations per second: `181.6 M`, `76.2 k`.
pub fn fmt_rate(per_sec: f64) -> String {
    if !per_sec.is_finite() {
        "—".into()
    } else if per_sec >= 1e6 {
        format!("{:.1} M", per_sec / 1e6)
    } else if per_sec >= 1e3 {
        format!("{:.1} k", per_sec / 1e3)
    } else {
        format!("{per_sec:.0}")
    }
}

/// A bar; `time`: a bound on a time in ns, not a ratio.
fn fmt_bar(bar: Bar, time: bool) -> String {
    let f = |x: f64| if time { fmt_time(x) } else { fmt_ratio(x) };
    match bar {
        Bar::AtMost(x) => format!("≤ {}", f(x)),
        Bar::AtLeast(x) => format!("≥ {}", f(x)),
        Bar::Info => "none".into(),
    }
}

/// A target's outcome in this run.
struct Outcome {
    target: &'static Target,
    measured: Option<Measured>,
}

impl Outcome {
    fn of(target: &'static Target, r: &Results) -> Outcome {
        Outcome {
            target,
            measured: target.measure(r),
        }
    }

    fn ratio(&self) -> Option<f64> {
        self.measured.map(|m| m.value)
    }

    /// A figure with no bar, reported for information.
    fn is_info(&self) -> bool {
        matches!(self.target.bar, Bar::Info)
    }

    fn result(&self) -> &'static str {
        match self.ratio() {
            Some(_) if self.is_info() => "for information",
            Some(x) if self.target.bar.passes(x) => "pass",
            Some(_) => "**miss**",
            None => "not measured",
        }
    }

    /// The figure alone: a ratio, or a time for an absolute target.
    fn figure(&self) -> String {
        let f = |x: f64| {
            if self.target.is_absolute() {
                fmt_time(x)
            } else {
                fmt_ratio(x)
            }
        };
        self.ratio().map_or("—".into(), f)
    }

    /// The figure, and for interleaved rounds their range.
    fn figure_and_spread(&self) -> String {
        let f = |x: f64| {
            if self.target.is_absolute() {
                fmt_time(x)
            } else {
                fmt_ratio(x)
            }
        };
        match self.measured {
            Some(Measured {
                value,
                interleaved: Some((lo, hi, n)),
            }) if n > 1 => format!("{} ({}–{}, {n} rounds)", f(value), f(lo), f(hi)),
            Some(Measured {
                value,
                interleaved: Some(_),
            }) => format!("{} (1 round)", f(value)),
            _ => self.figure(),
        }
    }

    fn bar(&self) -> String {
        fmt_bar(self.target.bar, self.target.is_absolute())
    }

    /// A table row; `same` leaves out the target's words (those of the row above).
    fn row(&self, same: bool) -> String {
        format!(
            "| {} | {} | {} | {} | {} |\n",
            if same { "″" } else { self.target.text },
            self.target.what(),
            self.figure_and_spread(),
            self.bar(),
            self.result()
        )
    }
}

/// A table of targets and their outcomes.
fn target_table(out: &mut String, outcomes: &[Outcome]) {
    if outcomes.is_empty() {
        return;
    }
    out.push_str("| target | compared | ratio | bar | result |\n|---|---|---|---|---|\n");
    let mut last = "";
    for o in outcomes {
        out.push_str(&o.row(o.target.text == last));
        last = o.target.text;
    }
    out.push('\n');
}

pub fn render(r: &Results, figures: &Figures) -> String {
    let mut out = String::new();
    out.push_str("# Benchmarks\n\n");
    out.push_str(
        "<!-- Generated by `cargo xtask bench-report`; do not edit. \
         The prose is in xtask/src/notes.rs. -->\n\n",
    );
    out.push_str(notes::INTRO);
    out.push_str("\n\n");
    run_section(&mut out, r);
    summary(&mut out, r);
    for section in &notes::SECTIONS {
        criterion_section(&mut out, r, section, figures);
    }
    contention_section(&mut out, r, figures);
    watch_section(&mut out, r);
    losses(&mut out, r);
    out
}

fn run_section(out: &mut String, r: &Results) {
    let run = &r.run;
    out.push_str("## The run\n\n");
    if run.command.is_empty() {
        out.push_str(
            "No record of the run was found (target/bench-report/run.json): the machine \
             and the commands are unknown.\n\n",
        );
    } else {
        if run.quick {
            out.push_str(
                "**This is a `--quick` run: a smoke pass with very short measurements. \
                 Its numbers are not results.**\n\n",
            );
        }
        let _ = writeln!(out, "Command: `{}`, which ran, in order:\n", run.command);
        out.push_str("```sh\n");
        for c in &run.commands {
            let _ = writeln!(out, "{c}");
        }
        out.push_str("```\n\n");
        let _ = writeln!(
            out,
            "- Started {} UTC at commit {}; took {:.0} min.",
            run.started,
            run.commit,
            run.seconds / 60.0
        );
        let _ = writeln!(
            out,
            "- Machine: {}, {} cores; Linux {}; {}.",
            run.cpu, run.cores, run.kernel, run.libc
        );
        let _ = writeln!(out, "- Toolchain: `{}`.", run.rustc);
        let _ = writeln!(
            out,
            "- Load average (1, 5, 15 min) at the start: {}; at the end: {}.\n",
            run.load_start, run.load_end
        );
        let busy = |load: &str| {
            let one: f64 = load
                .split(' ')
                .next()
                .and_then(|x| x.parse().ok())
                .unwrap_or(0.0);
            one >= 0.5 * run.cores as f64 && run.cores > 0
        };
        if busy(&run.load_start) {
            out.push_str(
                "**Other work was running when this run started (a 1-minute load average of \
                 half the cores or more): it takes turns with the benches, so expect single \
                 ratios to be off by more than the usual noise below, in either direction.**\n\n",
            );
        }
    }
    out.push_str(
        "Medians are criterion's `median.point_estimate` in \
         `target/criterion/<group>/<function>/<value>/report-<bench>/estimates.json` \
         (criterion makes ids safe for paths: `arcow::Cow` is the folder `arcow__Cow`, \
         `Arc<str>` is `Arc_str_`; the names in the tables are the ids themselves, from \
         the `benchmark.json` beside each estimate). \
         `cargo xtask bench-report --from-existing` regenerates this file from them \
         and `target/bench-report/` without running anything.\n\n",
    );
    out.push_str(notes::NOISE);
    out.push_str("\n\n");
}

fn summary(out: &mut String, r: &Results) {
    let outcomes: Vec<Outcome> = targets::all().map(|t| Outcome::of(t, r)).collect();
    let passed = outcomes.iter().filter(|o| o.result() == "pass").count();
    let measured = outcomes
        .iter()
        .filter(|o| o.ratio().is_some() && !o.is_info())
        .count();
    let info = outcomes.iter().filter(|o| o.is_info()).count();
    out.push_str("## Targets at a glance\n\n");
    let _ = writeln!(
        out,
        "{passed} of {measured} measured targets pass ({} in all, and {info} figure{} \
         without a bar, for information). Each is repeated under its group below, with \
         the numbers behind it.\n",
        outcomes.len() - info,
        if info == 1 { "" } else { "s" }
    );
    target_table(out, &outcomes);
    targets_interleaved(out, r);
}

/// Where the target table's figures come from, and what benches/targets.rs
/// measured.
fn targets_interleaved(out: &mut String, r: &Results) {
    let source = "Figures with a range (the least and greatest round) are interleaved: \
                  the contenders take turns within each round and the figure is the \
                  median over rounds of the round's paired ratio, so a change in the \
                  machine's load hits both sides alike. `benches/targets.rs` measures \
                  `Cow`, `CowVec`, `PagedCowVec`, `CowCell::load` and `CowStr` this way, \
                  `benches/map_targets.rs` `CowMap`, `benches/cell_contention.rs` and \
                  `benches/cell_watch.rs` the threaded cases. Figures without a range \
                  are criterion's medians, taken one after another.";
    let Some(m) = &r.targets else {
        let _ = writeln!(
            out,
            "{source} This run has no `benches/targets.rs` figures (no \
             target/bench-report/{}).\n",
            crate::data::TARGETS_JSON
        );
        return;
    };
    if m.smoke {
        let _ = writeln!(
            out,
            "{source} This run's `benches/targets.rs` was a `--test` smoke run (small \
             inputs): its numbers are not used.\n"
        );
        return;
    }
    let _ = writeln!(
        out,
        "{source} `cargo bench --bench targets`: {} round{}, {} burst(s) of about {} ms \
         per contender in each, the least kept; {:.0} s; load average (1, 5, 15 min) at \
         the start {}, at the end {}. Its medians, ns per operation (for `push`, \
         `iter_sum` and `get_random` per element or read; otherwise per unit, as \
         the bench's docs list them):\n",
        m.rounds,
        if m.rounds == 1 { "" } else { "s" },
        m.bursts,
        m.burst_ms,
        m.seconds,
        m.load_start,
        m.load_end
    );
    cases_table(out, &m.cases, "value");
}

/// The groups of `bench` in report order: those the notes know, then others.
fn groups_of<'a>(r: &'a Results, section: &Section) -> Vec<(String, Vec<&'a Estimate>)> {
    let estimates = r.bench(section.bench);
    let mut names: Vec<String> = section.groups.iter().map(|g| g.name.to_string()).collect();
    let mut extra: Vec<String> = estimates
        .iter()
        .map(|e| e.group.clone())
        .filter(|g| !names.contains(g))
        .collect();
    extra.sort();
    extra.dedup();
    names.extend(extra);
    names
        .into_iter()
        .map(|g| {
            let list = estimates.iter().filter(|e| e.group == g).collect();
            (g, list)
        })
        .collect()
}

fn functions(entries: &[&Estimate]) -> Vec<String> {
    let mut f: Vec<String> = entries.iter().map(|e| e.function.clone()).collect();
    f.sort_by(|a, b| type_rank(a).cmp(&type_rank(b)).then(a.cmp(b)));
    f.dedup();
    f
}

fn values(entries: &[&Estimate]) -> Vec<Option<String>> {
    let mut v: Vec<Option<String>> = entries.iter().map(|e| e.value.clone()).collect();
    v.sort_by(value_order);
    v.dedup();
    v
}

fn median(entries: &[&Estimate], function: &str, value: &Option<String>) -> Option<f64> {
    entries
        .iter()
        .find(|e| e.function == function && &e.value == value)
        .map(|e| e.median_ns)
}

/// The pairs `(arcow type, anchor)` whose ratio the table of a group gives:
/// the section's subject against every other type, or, in a group without
/// the subject (`nested`), every arcow type against every other.
fn pairs(fns: &[String], subject: &str) -> Vec<(String, String)> {
    let subjects: Vec<&String> = if fns.iter().any(|f| f == subject) {
        fns.iter().filter(|f| *f == subject).collect()
    } else {
        fns.iter().filter(|f| f.starts_with("arcow::")).collect()
    };
    let mut out = Vec::new();
    for s in &subjects {
        for a in fns {
            if a != *s && !subjects.contains(&a) {
                out.push((s.to_string(), a.clone()));
            }
        }
    }
    out
}

fn group_table(out: &mut String, entries: &[&Estimate], subject: &str) {
    let fns = functions(entries);
    let vals = values(entries);
    if vals.iter().all(Option::is_none) {
        // One row per type (groups of plain functions, such as `nested`).
        let anchors: Vec<&String> = fns.iter().filter(|f| !f.starts_with("arcow::")).collect();
        out.push_str("| type | median |");
        for a in &anchors {
            let _ = write!(out, " / {} |", code(short(a)));
        }
        out.push_str("\n|---|---|");
        out.push_str(&"---|".repeat(anchors.len()));
        out.push('\n');
        for f in &fns {
            let m = median(entries, f, &None);
            let _ = write!(out, "| {} | {} |", code(f), m.map_or("—".into(), fmt_time));
            for a in &anchors {
                let ratio = m.zip(median(entries, a, &None)).map(|(m, a)| m / a);
                let _ = write!(out, " {} |", ratio.map_or("—".into(), fmt_ratio));
            }
            out.push('\n');
        }
        out.push('\n');
        return;
    }
    let pairs = pairs(&fns, subject);
    out.push_str("| |");
    for f in &fns {
        let _ = write!(out, " {} |", code(short(f)));
    }
    for (s, a) in &pairs {
        let _ = write!(out, " {} / {} |", code(short(s)), code(short(a)));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(fns.len() + pairs.len()));
    out.push('\n');
    for v in &vals {
        let _ = write!(out, "| {} |", v.as_deref().unwrap_or(""));
        for f in &fns {
            let m = median(entries, f, v);
            let _ = write!(out, " {} |", m.map_or("—".into(), fmt_time));
        }
        for (s, a) in &pairs {
            let ratio = median(entries, s, v)
                .zip(median(entries, a, v))
                .map(|(s, a)| s / a);
            let _ = write!(out, " {} |", ratio.map_or("—".into(), fmt_ratio));
        }
        out.push('\n');
    }
    out.push('\n');
}

fn criterion_section(out: &mut String, r: &Results, section: &Section, figures: &Figures) {
    let _ = writeln!(out, "## {}\n", section.title);
    out.push_str(section.intro);
    out.push_str("\n\n");
    let _ = writeln!(
        out,
        "Ratios are `{}` over each other type (lower is better for arcow). \
         To run this bench alone: `cargo bench -p arcow --bench {} -- --warm-up-time 1 \
         --measurement-time 3` (append a group name to run one group; `-- --test` runs \
         each bench once, as a smoke test).\n",
        short(section.subject),
        section.bench
    );
    if section.bench == "map" {
        map_interleaved(out, r);
    }
    for (group, entries) in groups_of(r, section) {
        let note = section.groups.iter().find(|g| g.name == group);
        let _ = writeln!(out, "### `{group}`\n");
        if let Some(about) = note.map(|n| n.about).filter(|a| !a.is_empty()) {
            let _ = writeln!(out, "One iteration: {about}.\n");
        }
        if section.bench == "map" && group == "heap" {
            heap_table(out, r);
        } else if entries.is_empty() {
            let _ = writeln!(
                out,
                "Not in this run (`cargo bench --bench {}` left no `report-{}` results).\n",
                section.bench, section.bench
            );
        } else {
            group_table(out, &entries, section.subject);
        }
        let group_targets: Vec<Outcome> = targets::for_group(section.bench, &group)
            .map(|t| Outcome::of(t, r))
            .collect();
        target_table(out, &group_targets);
        if section.bench == "paged" && group == "first_write" {
            figure(
                out,
                &figures.first_write,
                "Figure 1: the first write after a snapshot, by vector length (log-log; \
                 `Vec`: clone + write)",
            );
        }
        if section.bench == "map" && group == "first_write" {
            figure(
                out,
                &figures.map_first_write,
                "Figure 4: clone + overwrite one key + drop the clone, by map size \
                 (log-log; `HashMap`'s clone copies every entry)",
            );
        }
        if let Some(n) = note.map(|n| n.notes).filter(|n| !n.is_empty()) {
            out.push_str(n);
            out.push_str("\n\n");
        }
    }
}

/// What benches/map_targets.rs measured: where the map's target ratios come
/// from, and every case's median time per operation.
fn map_interleaved(out: &mut String, r: &Results) {
    let Some(m) = &r.map_targets else {
        out.push_str(
            "No interleaved check in this run (no target/bench-report/map_targets.json; \
             run `ARCOW_MAP_TARGETS_JSON=target/bench-report/map_targets.json cargo bench \
             --bench map_targets`): the targets below are criterion's medians.\n\n",
        );
        return;
    };
    if m.smoke {
        out.push_str(
            "The interleaved check of this run was a `--test` smoke run (tiny maps): \
             its numbers are not used; the targets below are criterion's medians.\n\n",
        );
        return;
    }
    let _ = writeln!(
        out,
        "The targets below come from the interleaved check, `cargo bench --bench map_targets` \
         ({} round{}; in each, {} burst(s) of about {} ms per type, the types in turn, the \
         order rotated, a type's time the least of its bursts; load average at the start {}, \
         at the end {}): each gives the median over rounds of the round's ratio, and the \
         least and greatest round. The interleaved medians, ns per operation (a lookup, an \
         insert, an entry iterated, a remove, a whole first write, an update):\n",
        m.rounds,
        if m.rounds == 1 { "" } else { "s" },
        m.bursts,
        m.burst_ms,
        m.load_start,
        m.load_end
    );
    cases_table(out, &m.cases, "size");
}

/// Every case's interleaved median, ns per operation: a row per group and
/// value (`value_head` names that column), a column per type.
fn cases_table(out: &mut String, cases: &[(String, String, String, f64)], value_head: &str) {
    let mut types: Vec<&str> = cases.iter().map(|c| c.2.as_str()).collect();
    types.sort_by(|a, b| type_rank(a).cmp(&type_rank(b)).then(a.cmp(b)));
    types.dedup();
    let mut rows: Vec<(&str, &str)> = Vec::new();
    for c in cases {
        if !rows.contains(&(c.0.as_str(), c.1.as_str())) {
            rows.push((c.0.as_str(), c.1.as_str()));
        }
    }
    let _ = write!(out, "| group | {value_head} |");
    for t in &types {
        let _ = write!(out, " {} |", code(short(t)));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(types.len()));
    out.push('\n');
    for (group, value) in rows {
        let _ = write!(out, "| `{group}` | {value} |");
        for t in &types {
            let ns = cases
                .iter()
                .find(|c| c.0 == group && c.1 == value && c.2 == *t)
                .map(|c| c.3);
            let _ = write!(out, " {} |", ns.map_or(String::new(), fmt_time));
        }
        out.push('\n');
    }
    out.push('\n');
}

/// The heap bytes of a 1M-entry map of each type (benches/map_targets.rs).
fn heap_table(out: &mut String, r: &Results) {
    let heap = r.map_targets.as_ref().map_or(&[][..], |m| &m.heap[..]);
    if heap.is_empty() {
        out.push_str("Not in this run (no target/bench-report/map_targets.json).\n\n");
        return;
    }
    let anchor = heap
        .iter()
        .find(|h| h.0 == "std::HashMap")
        .map_or(f64::NAN, |h| h.1);
    out.push_str("| type | heap | bytes per entry | / `std::HashMap` |\n|---|---|---|---|\n");
    for (name, bytes, entries) in heap {
        let _ = writeln!(
            out,
            "| {} | {:.1} MB | {:.1} | {} |",
            code(name),
            bytes / 1e6,
            bytes / entries,
            fmt_ratio(bytes / anchor)
        );
    }
    out.push('\n');
}

fn figure(out: &mut String, path: &Option<String>, caption: &str) {
    match path {
        Some(p) => {
            let _ = writeln!(out, "![{caption}]({p})\n\n*{caption}.*\n");
        }
        None => {
            let _ = writeln!(out, "*{caption}: no data in this run.*\n");
        }
    }
}

fn contention_section(out: &mut String, r: &Results, figures: &Figures) {
    out.push_str("## `CowCell<T>` under a writer\n\n");
    out.push_str(notes::CONTENTION_INTRO);
    out.push_str("\n\n");
    let Some(c) = &r.contention else {
        out.push_str(
            "Not in this run (no target/bench-report/contention.json; run \
             `ARCOW_CONTENTION_JSON=target/bench-report/contention.json cargo bench --bench cell_contention`).\n\n",
        );
        return;
    };
    let _ = writeln!(
        out,
        "This run: {} s per run, {} round(s), {} cores; timer overhead {} ns per \
         read (in every latency alike); `p99.9 CO` assumes a read due every {} ns; \
         load average at the start {}, at the end {}.\n",
        c.secs, c.rounds, c.cores, c.timer_overhead_ns, c.co_interval_ns, c.load_start, c.load_end
    );
    for w in &c.writers {
        let _ = writeln!(
            out,
            "### Writer `{}`\n\n{}; the work alone takes {} per update. \
             Reads and writes per second, reader latency in ns:\n",
            w.name,
            w.about,
            fmt_time(w.work_ns)
        );
        out.push_str("| type | reads/s | writes/s |");
        for p in PERCENTILES {
            let _ = write!(out, " {p} |");
        }
        out.push_str("\n|---|---|---|");
        out.push_str(&"---|".repeat(PERCENTILES.len()));
        out.push('\n');
        for case in &w.cases {
            let _ = write!(
                out,
                "| {} | {} | {} |",
                code(&case.name),
                fmt_rate(case.reads_per_sec),
                fmt_rate(case.writes_per_sec)
            );
            for (_, ns) in &case.latency {
                let _ = write!(out, " {} |", fmt_ns(*ns));
            }
            out.push('\n');
        }
        out.push_str(
            "\n`CowCell / anchor`, median over rounds of each round's ratio \
             (reads/s: higher is better for `CowCell`; latencies: lower is better):\n\n",
        );
        out.push_str("| anchor | reads/s | p99 | p99.9 | p99.9 CO |\n|---|---|---|---|---|\n");
        for ratio in &w.ratios {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(&ratio.anchor),
                fmt_ratio(ratio.reads),
                fmt_ratio(ratio.p99),
                fmt_ratio(ratio.p999),
                fmt_ratio(ratio.p999_co)
            );
        }
        out.push('\n');
        let writer_targets: Vec<Outcome> = targets::for_writer(&w.name)
            .map(|t| Outcome::of(t, r))
            .collect();
        target_table(out, &writer_targets);
        if w.name == "rebuild" {
            figure(
                out,
                &figures.latency,
                "Figure 2: reader latency percentiles under the `rebuild` writer (log scale)",
            );
        }
    }
    out.push_str(notes::CONTENTION_NOTES);
    out.push_str("\n\n");
    cheap_writer(out, r, c);
    out.push_str("### Readers from 1 to the core count\n\n");
    match &c.sweep {
        Some(s) if !s.threads.is_empty() => {
            out.push_str("Total reads per second, no writer:\n\n| type |");
            for n in &s.threads {
                let _ = write!(out, " {n} reader{} |", if *n == 1 { "" } else { "s" });
            }
            out.push_str("\n|---|");
            out.push_str(&"---|".repeat(s.threads.len()));
            out.push('\n');
            for (name, reads) in &s.cases {
                let _ = write!(out, "| {} |", code(name));
                for x in reads {
                    let _ = write!(out, " {} |", fmt_rate(*x));
                }
                out.push('\n');
            }
            out.push_str("| least CPU share of a reader |");
            for share in &s.least_cpu_share {
                let _ = write!(
                    out,
                    " {} |",
                    share.map_or("—".into(), |x| format!("{:.0}%", x * 100.0))
                );
            }
            out.push_str("\n\n");
            if s.least_cpu_share.iter().flatten().any(|x| *x < 0.9) {
                out.push_str(
                    "**In this run a reader spent less than 90% of a run on a CPU: other work \
                     kept the readers from running at once, so where that happened the column \
                     measures the scheduler, not the cells.**\n\n",
                );
            }
        }
        _ => out.push_str("No reader sweep in this run.\n\n"),
    }
    figure(
        out,
        &figures.sweep,
        "Figure 3: total reader throughput by reader threads, no writer",
    );
    out.push_str(notes::SWEEP_NOTES);
    out.push_str("\n\n");
}

/// The cheap-writer scenario of benches/cell_contention.rs: a table per
/// writer mode (rows: value x type), then its targets.
fn cheap_writer(out: &mut String, r: &Results, c: &Contention) {
    out.push_str("### A cheap writer: `CowCell` against `ArcSwap::rcu`\n\n");
    out.push_str(notes::CHEAP_WRITER_INTRO);
    out.push_str("\n\n");
    let cheap = c.cheap_writer.as_deref().unwrap_or_default();
    let mut modes = vec!["back-to-back", "paced"];
    for x in cheap {
        if !modes.contains(&x.writer.as_str()) {
            modes.push(&x.writer);
        }
    }
    if c.cheap_writer.is_none() {
        out.push_str(
            "Not in this run: its target/bench-report/contention.json has no `cheap_writer` \
             (it was written by a benches/cell_contention.rs without this scenario).\n\n",
        );
    } else if cheap.is_empty() {
        out.push_str("Not in this run (a filter left out every cheap-writer case).\n\n");
    }
    let anchor = code(short(CHEAP_ANCHOR));
    for mode in modes {
        let rows: Vec<&Cheap> = cheap.iter().filter(|x| x.writer == mode).collect();
        let mode_targets: Vec<Outcome> = targets::for_cheap(mode)
            .map(|t| Outcome::of(t, r))
            .collect();
        if rows.is_empty() && mode_targets.is_empty() {
            continue;
        }
        let _ = writeln!(out, "#### Writer `{mode}`\n");
        if !rows.is_empty() {
            let _ = writeln!(
                out,
                "Reads and writes per second (medians over {} round{}), and each type over \
                 {anchor}: the median over rounds of each round's ratio, for reads with the \
                 least and greatest round (higher is better for the cell):\n",
                c.rounds,
                if c.rounds == 1 { "" } else { "s" }
            );
            let _ = writeln!(
                out,
                "| value | type | reads/s | writes/s | reads / {anchor} | least–greatest round \
                 | writes / {anchor} |\n|---|---|---|---|---|---|---|"
            );
            for x in rows {
                for case in &x.cases {
                    let ratio = x.ratios.iter().find(|q| q.name == case.name);
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | {} | {} | {} | {} |",
                        x.value,
                        code(&case.name),
                        fmt_rate(case.reads_per_sec),
                        fmt_rate(case.writes_per_sec),
                        ratio.map_or(String::new(), |q| fmt_ratio(q.reads)),
                        ratio.map_or(String::new(), |q| format!(
                            "{}–{}",
                            fmt_ratio(q.reads_min),
                            fmt_ratio(q.reads_max)
                        )),
                        ratio.map_or(String::new(), |q| fmt_ratio(q.writes)),
                    );
                }
            }
            out.push('\n');
        }
        target_table(out, &mode_targets);
    }
}

/// A ratio over rounds: the median, and the least and greatest round.
fn fmt_spread(s: &Option<Spread>) -> String {
    match s {
        Some(s) => format!(
            "{} ({}–{})",
            fmt_ratio(s.median),
            fmt_ratio(s.min),
            fmt_ratio(s.max)
        ),
        None => "—".into(),
    }
}

/// benches/cell_watch.rs: change notification against `tokio::sync::watch`.
fn watch_section(out: &mut String, r: &Results) {
    out.push_str("## `CowCell` change notification against `tokio::sync::watch`\n\n");
    out.push_str(notes::WATCH_INTRO);
    out.push_str("\n\n");
    let w = r.watch.as_ref();
    match w {
        None => out.push_str(
            "Not in this run (no target/bench-report/cell_watch.json; run \
             `ARCOW_WATCH_JSON=target/bench-report/cell_watch.json cargo bench --bench cell_watch`).\n\n",
        ),
        Some(w) => {
            let _ = writeln!(
                out,
                "This run: {} round{}, {} cores; load average at the start {}, at the end {}. \
                 Tables give medians over rounds; ratios `CowCell / watch` the median over \
                 rounds of each round's ratio, with the least and greatest round in brackets.\n",
                w.rounds,
                if w.rounds == 1 { "" } else { "s" },
                w.cores,
                w.load_start,
                w.load_end
            );
        }
    }
    let not_in_run = |out: &mut String, part: &str| {
        if w.is_some() {
            let _ = writeln!(out, "Not in this run (a filter left out part `{part}`).\n");
        }
    };
    let part_targets = |out: &mut String, part: &str| {
        let outcomes: Vec<Outcome> = targets::for_watch(part)
            .map(|t| Outcome::of(t, r))
            .collect();
        target_table(out, &outcomes);
    };

    out.push_str("### Part `reads`: readers beside a ~10 µs writer\n\n");
    match w.and_then(|w| w.reads.as_ref()) {
        Some(x) => {
            let _ = writeln!(
                out,
                "One reader thread and one writer thread, {} s per run; each update changes the \
                 1 KiB value for {} (the work alone), back to back (`CowCell`: on a copy; \
                 `watch`: in place, holding its lock). Reads and writes per second:\n",
                x.secs,
                fmt_time(x.work_ns)
            );
            out.push_str("| type | reads/s | writes/s |\n|---|---|---|\n");
            for (name, reads, writes) in &x.types {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    code(name),
                    fmt_rate(*reads),
                    fmt_rate(*writes)
                );
            }
            let _ = writeln!(
                out,
                "\n`CowCell / watch`: reads/s {}; writes/s {} (for information).\n",
                fmt_spread(&x.reads),
                fmt_spread(&x.writes)
            );
        }
        None => not_in_run(out, "reads"),
    }
    part_targets(out, "reads");

    out.push_str("### Part `wake`: a task woken by a publish\n\n");
    match w.and_then(|w| w.wake.as_ref()) {
        Some(x) => {
            let _ = writeln!(
                out,
                "A task waiting for a change on a tokio multi-thread runtime (2 workers), a plain \
                 thread publishing {} changes per run, {} µs apart. Publish-to-wake latency, and \
                 the publish call alone:\n",
                x.wakes, x.spacing_us
            );
            wake_table(out, x);
            let _ = writeln!(
                out,
                "| | p50 | p90 | p99 |\n|---|---|---|---|\n| `CowCell` / `watch` | {} | {} | {} |\n",
                fmt_spread(&x.p50),
                fmt_spread(&x.p90),
                fmt_spread(&x.p99)
            );
        }
        None => not_in_run(out, "wake"),
    }
    part_targets(out, "wake");

    out.push_str("### Part `blocking`: a thread in `wait_changed` (for information)\n\n");
    match w.and_then(|w| w.blocking.as_ref()) {
        Some(x) => {
            let _ = writeln!(
                out,
                "A plain thread blocked in `CowCell::wait_changed`, a plain thread publishing {} \
                 changes per run, {} µs apart (`watch` has no blocking wait):\n",
                x.wakes, x.spacing_us
            );
            wake_table(out, x);
        }
        None => not_in_run(out, "blocking"),
    }
    out.push_str(notes::WATCH_NOTES);
    out.push_str("\n\n");
}

/// Publish-to-wake latencies, one row per type.
fn wake_table(out: &mut String, x: &WatchWake) {
    out.push_str(
        "| type | p50 | p90 | p99 | max | publish call, p50 |\n|---|---|---|---|---|---|\n",
    );
    for t in &x.types {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            code(&t.name),
            fmt_time(t.p50),
            fmt_time(t.p90),
            fmt_time(t.p99),
            fmt_time(t.max),
            fmt_time(t.publish_p50)
        );
    }
    out.push('\n');
}

/// A latency: whole ns below a millisecond, with a unit above.
fn fmt_ns(ns: f64) -> String {
    if !ns.is_finite() {
        return "—".into();
    }
    if ns >= 1e6 {
        return fmt_time(ns);
    }
    format!("{ns:.0}")
}

/// Is there a target on `subject / anchor` in `bench`/`group` at `value`?
fn has_target(bench: &str, group: &str, value: Option<&str>, subject: &str, anchor: &str) -> bool {
    targets::for_group(bench, group).any(|t| {
        matches!(t.check, targets::Check::Time { value: v, subject: s, anchor: a, .. }
            if v == value && s == subject && a == anchor)
    })
}

fn losses(out: &mut String, r: &Results) {
    out.push_str("## Where arcow loses\n\n");
    let misses: Vec<Outcome> = targets::all()
        .map(|t| Outcome::of(t, r))
        .filter(|o| o.ratio().is_some_and(|x| !o.target.bar.passes(x)))
        .collect();
    out.push_str("Targets missed in this run:\n\n");
    if misses.is_empty() {
        out.push_str("- none.\n");
    }
    for o in &misses {
        let _ = writeln!(
            out,
            "- {}: {} is {}, the bar {}.",
            o.target.text,
            o.target.what(),
            o.figure_and_spread(),
            o.bar()
        );
    }
    let _ = writeln!(
        out,
        "\nEvery other place where an anchor beat arcow by more than {LOSS}x in this run, \
         with no target on it (some are the price of copy-on-write, some are an anchor \
         doing the job it is built for, such as `imbl::Vector`'s first write):\n"
    );
    let mut any = false;
    for section in &notes::SECTIONS {
        for (group, entries) in groups_of(r, section) {
            let fns = functions(&entries);
            for v in values(&entries) {
                for (s, a) in pairs(&fns, section.subject) {
                    let (Some(ms), Some(ma)) = (median(&entries, &s, &v), median(&entries, &a, &v))
                    else {
                        continue;
                    };
                    if has_target(section.bench, &group, v.as_deref(), &s, &a) {
                        continue;
                    }
                    if ms / ma > LOSS {
                        any = true;
                        let at = v.as_deref().map_or(String::new(), |v| format!("/{v}"));
                        let _ = writeln!(
                            out,
                            "- `{group}{at}` (benches/{}.rs): {} {} against {} {}: {}x.",
                            section.bench,
                            code(short(&s)),
                            fmt_time(ms),
                            code(&a),
                            fmt_time(ma),
                            fmt_ratio(ms / ma)
                        );
                    }
                }
            }
        }
    }
    if let Some(c) = &r.contention {
        for w in &c.writers {
            let cow = w.cases.iter().find(|c| c.name == "arcow::CowCell");
            for ratio in &w.ratios {
                if ratio.reads < 1.0 / LOSS {
                    any = true;
                    let _ = writeln!(
                        out,
                        "- `{}` writer: `CowCell`'s reader throughput is {}x {}'s.",
                        w.name,
                        fmt_ratio(ratio.reads),
                        code(&ratio.anchor)
                    );
                }
                if ratio.p999 > LOSS {
                    any = true;
                    let _ = writeln!(
                        out,
                        "- `{}` writer: `CowCell`'s reader p99.9 is {}x {}'s.",
                        w.name,
                        fmt_ratio(ratio.p999),
                        code(&ratio.anchor)
                    );
                }
                let anchor = w.cases.iter().find(|c| c.name == ratio.anchor);
                if let (Some(cow), Some(anchor)) = (cow, anchor) {
                    let x = cow.writes_per_sec / anchor.writes_per_sec;
                    if x < 1.0 / LOSS {
                        any = true;
                        let _ = writeln!(
                            out,
                            "- `{}` writer: `CowCell`'s writer does {} updates/s against {}'s {}: {}x.",
                            w.name,
                            fmt_rate(cow.writes_per_sec),
                            code(&ratio.anchor),
                            fmt_rate(anchor.writes_per_sec),
                            fmt_ratio(x)
                        );
                    }
                }
            }
        }
    }
    let cheap = r
        .contention
        .as_ref()
        .and_then(|c| c.cheap_writer.as_deref())
        .unwrap_or_default();
    for x in cheap {
        if targets::for_cheap(&x.writer).next().is_some() {
            continue;
        }
        let cell = x.ratios.iter().find(|q| q.name == "arcow::CowCell");
        if let Some(q) = cell.filter(|q| q.reads < 1.0 / LOSS) {
            any = true;
            let _ = writeln!(
                out,
                "- cheap `{}` writer on `{}`: `CowCell`'s reader throughput is {}x {}'s \
                 (least and greatest round: {}–{}).",
                x.writer,
                x.value,
                fmt_ratio(q.reads),
                code(CHEAP_ANCHOR),
                fmt_ratio(q.reads_min),
                fmt_ratio(q.reads_max)
            );
        }
    }
    if let Some(w) = &r.watch {
        let writes = w.reads.as_ref().and_then(|x| x.writes);
        if let Some(x) = writes.filter(|x| x.median < 1.0 / LOSS) {
            any = true;
            let _ = writeln!(
                out,
                "- change notification, part `reads`: `CowCell`'s writer does {}x the updates \
                 of `tokio::sync::watch`'s (it copies the value; `watch` changes it in place).",
                fmt_ratio(x.median)
            );
        }
        let p90 = w.wake.as_ref().and_then(|x| x.p90);
        if let Some(x) = p90.filter(|x| x.median > LOSS) {
            any = true;
            let _ = writeln!(
                out,
                "- change notification, part `wake`: `CowCell`'s p90 wake-up latency is {}x \
                 `tokio::sync::watch`'s (least and greatest round: {}–{}).",
                fmt_ratio(x.median),
                fmt_ratio(x.min),
                fmt_ratio(x.max)
            );
        }
    }
    if !any {
        out.push_str("- none.\n");
    }
    out.push_str("\nWhat the numbers above mean for a user:\n\n");
    out.push_str(notes::WHERE_LOCKS_WIN);
    out.push_str("\n\n");
    out.push_str(notes::NOT_MEASURED);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(fmt_time(3.871), "3.87 ns");
        assert_eq!(fmt_time(1720.0), "1.72 µs");
        assert_eq!(fmt_time(157e6), "157 ms");
        assert_eq!(fmt_ratio(0.31), "0.31");
        assert_eq!(fmt_ratio(221.4), "221");
        assert_eq!(fmt_ratio(0.00042), "4.2e-4");
        assert_eq!(fmt_rate(181.6e6), "181.6 M");
        assert_eq!(value_size("4KiB"), Some(4096.0));
        assert_eq!(value_size("10M"), Some(1e7));
        assert_eq!(value_size("reads"), None);
        assert_eq!(short("arcow::PagedCowVec"), "PagedCowVec");
        assert_eq!(short("std::RwLock"), "std::RwLock");
    }
}
