//! `CowCell<T>` against its anchors with a reader and a writer running at the
//! same time (docs/DESIGN.md, "Performance targets"): reader throughput, writer
//! throughput and reader latency percentiles. Criterion measures one operation
//! at a time, so this is a plain binary (`harness = false`) printing tables.
//!
//! One reader thread and one writer thread share a table (`Table`: a counter
//! and 64 rows of `{value, check}`, 1 KiB) through each of:
//!
//! | name                  | reader                       | writer                                              |
//! |-----------------------|------------------------------|-----------------------------------------------------|
//! | `arcow::CowCell`      | `load()`                     | `update()`: clone the table, modify the clone, publish |
//! | `arc_swap::ArcSwap`   | `load()`                     | lock a writer `Mutex`, `load_full`, `Arc::make_mut` (clones), modify, `store` |
//! | `std::RwLock`         | `read()`                     | `write()`, modify in place                           |
//! | `parking_lot::RwLock` | `read()`                     | `write()`, modify in place                           |
//! | `std::Mutex`          | `lock()`                     | `lock()`, modify in place                            |
//!
//! Each read loads the current table, reads one row (two words) and checks
//! that `check == value * K`, which every update keeps true: a torn read
//! panics. The raw `ArcSwap` anchor keeps its writer `Mutex` on a cache line
//! of its own, away from the pointer readers load ("the writers' lock must
//! cost readers nothing"); `arc_swap::ArcSwap (lock adjacent)`, a diagnostic
//! row, puts it right next to the pointer, as a plain struct of the two does.
//!
//! Two writers, each back to back (the next update starts as soon as the last
//! one is published):
//!
//! - `rebuild`: every update recomputes every row, a chain of multiplications
//!   on the row's own value (about 10 µs in all, like rebuilding a small
//!   configuration or routing table). The lock types hold the write lock for
//!   that long; the COW types do it on their private copy.
//! - `counter`: every update increments the counter and one row (a few ns of
//!   work; the COW types still copy the 1 KiB table each time).
//!
//! Each case runs twice, each time for the configured duration with a fresh
//! reader and writer: first for throughput (the reader does untimed reads in
//! batches of 64 and counts them), then for latency (the reader times every
//! read alone with two `Instant::now()` calls and records the difference in
//! an HDR histogram; the same code for every type, so the timer's own cost,
//! printed as "timer overhead", is in every number alike). The writer's rate
//! is from the throughput run.
//!
//! Per-read percentiles undercount a reader that blocks: while it waits for
//! a lock it issues no reads, so one read of 20 µs sits among thousands of
//! fast ones and can fall below p99.9 ("coordinated omission"). The column
//! `p99.9 CO` corrects for that the usual way (HdrHistogram's
//! `clone_correct`): as if a read were due every microsecond, so a read that
//! took `t` also stands for the reads that would have queued behind it (`t - 1
//! µs`, `t - 2 µs`, ...). One microsecond is conservative (the reader issues a
//! read every 30 to 100 ns); it leaves the wait-free types' numbers almost
//! unchanged. Cases run in rounds (every type once per
//! round, in turn) and the tables give the median over rounds; ratios are the
//! median over rounds of each round's ratio.
//!
//! Run: `cargo bench --bench cell_contention` (1 s per run, 3 rounds).
//! Options: `ARCOW_CONTENTION_SECS=2` (seconds per run),
//! `ARCOW_CONTENTION_ROUNDS=5`, `ARCOW_CONTENTION_VERBOSE=1` (print every
//! round's numbers too); any argument that does not start with `--`
//! is a filter on `<writer>/<type>` (e.g. `rebuild/` or `CowCell`).
//! Smoke run (50 ms per run, 1 round): `cargo bench --bench cell_contention -- --test`.
//! `ARCOW_CONTENTION_JSON=path` also writes every table (and more latency
//! percentiles: p90, p99.99) as JSON to `path`, for `cargo xtask bench-report`.
//!
//! A 2-core machine runs exactly one reader next to the writer, so this
//! cannot show how readers scale with cores (locks get worse with more
//! readers as their shared lock word bounces between cores; `CowCell`'s and
//! `ArcSwap`'s readers write only to thread-local slots).
//!
//! Cheap writer (filter ids below): one reader and one
//! writer that updates back to back with almost no work, so the writer's
//! cost is the copy and the publish, and readers feel every cache line the
//! writer touches. `CowCell::update` against `ArcSwap::rcu` (clone, change,
//! compare-and-swap) on three values: `4 x u64` (the reader reads all four),
//! `4 KiB, 3 words` (a `[u64; 512]`, the reader reads words 0 to 2) and
//! `4 KiB, all` (it sums all 512). The row `CowCell (before)` is the cell as
//! it was before issue 14, rebuilt here from public parts: an
//! `ArcSwapAny<Cow<T>>` with the writers' `Mutex` right next to it, and an
//! update that takes a counted handle (`load_full`), copies with `make_mut`
//! and swaps, so the writer wrote the published value's count twice per
//! update and its lock's line (the readers' line) three times. Every
//! contender runs once per round, in turn; ratios are medians of per-round
//! ratios, with their range. Readers pay for every publish (each one is a
//! new value to pull into the reader's cache), so a faster writer costs its
//! readers more: the same three values run again with the writer `paced`
//! at 200k updates a second, a rate every writer here sustains with a
//! reader beside it (at 500k they did not: 338k and 270k), where the
//! readers' difference is what one publish costs them. Filter ids:
//! `cheap/<value>/back-to-back/<type>`, `cheap/<value>/paced/<type>`.
//!
//! Reader sweep (filter id `readers/<type>`): 1, 2, ... up to as many reader
//! threads as cores, no writer, total reads per second (untimed batches of
//! 64, as above), median over rounds. With no writer this is the readers'
//! own cost of sharing: a lock's readers all write its lock word, the
//! wait-free types' readers do not. A writer beside them would leave fewer
//! cores than readers at the top of the sweep, which measures the scheduler.
//! The last row is the least share of a run that any reader spent on a CPU
//! (Linux `/proc/thread-self/schedstat`): well under 100%, other work kept
//! the readers from running at once and that column measures the scheduler.

mod cell_common;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use arcow::CowCell;
use cell_common::{env_or, load_average, median, next_row, time_alone, Table, CHECK, ROWS};
use hdrhistogram::Histogram;
use serde_json::{json, Value};

impl Table {
    /// Writer `counter`: increment the counter and one row (a few ns).
    fn bump(&mut self) {
        self.counter += 1;
        let row = &mut self.rows[self.counter as usize % ROWS];
        row.value = row.value.wrapping_add(1);
        row.check = row.value.wrapping_mul(CHECK);
    }
}

/// What the bench needs from each type; monomorphized, so the reader's and
/// writer's loops inline each type's fast path.
trait Shared: Send + Sync {
    const NAME: &'static str;
    fn new(value: Table) -> Self;
    /// Load the current table and read one row of it.
    fn read(&self, at: usize) -> u64;
    /// Run `f` on the table as a writer.
    fn update(&self, f: fn(&mut Table));
}

impl Shared for CowCell<Table> {
    const NAME: &'static str = "arcow::CowCell";
    fn new(value: Table) -> Self {
        CowCell::new(value)
    }
    #[inline(always)]
    fn read(&self, at: usize) -> u64 {
        self.load().read(at)
    }
    #[inline(always)]
    fn update(&self, f: fn(&mut Table)) {
        CowCell::update(self, f);
    }
}

/// Keeps `T` on cache lines of its own (128 bytes: adjacent-line prefetch
/// pairs 64-byte lines).
#[repr(align(128))]
struct Padded<T>(T);

/// Raw `ArcSwap`, writers serialized by a `Mutex` on its own cache line:
/// `CowCell`'s algorithm written by hand on `Arc`.
struct SwapCell {
    value: Padded<ArcSwap<Table>>,
    writer: Padded<Mutex<()>>,
}

impl Shared for SwapCell {
    const NAME: &'static str = "arc_swap::ArcSwap";
    fn new(value: Table) -> Self {
        SwapCell {
            value: Padded(ArcSwap::from_pointee(value)),
            writer: Padded(Mutex::new(())),
        }
    }
    #[inline(always)]
    fn read(&self, at: usize) -> u64 {
        self.value.0.load().read(at)
    }
    #[inline(always)]
    fn update(&self, f: fn(&mut Table)) {
        let _serialized = self.writer.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = self.value.0.load_full();
        f(Arc::make_mut(&mut next));
        self.value.0.store(next);
    }
}

/// The same, with the writer `Mutex` right next to the pointer (as in a
/// plain struct of the two, and as in `CowCell` today).
struct SwapCellAdjacent {
    value: ArcSwap<Table>,
    writer: Mutex<()>,
}

impl Shared for SwapCellAdjacent {
    const NAME: &'static str = "arc_swap::ArcSwap (lock adjacent)";
    fn new(value: Table) -> Self {
        SwapCellAdjacent {
            value: ArcSwap::from_pointee(value),
            writer: Mutex::new(()),
        }
    }
    #[inline(always)]
    fn read(&self, at: usize) -> u64 {
        self.value.load().read(at)
    }
    #[inline(always)]
    fn update(&self, f: fn(&mut Table)) {
        let _serialized = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = self.value.load_full();
        f(Arc::make_mut(&mut next));
        self.value.store(next);
    }
}

impl Shared for RwLock<Table> {
    const NAME: &'static str = "std::RwLock";
    fn new(value: Table) -> Self {
        RwLock::new(value)
    }
    #[inline(always)]
    fn read(&self, at: usize) -> u64 {
        self.read().unwrap_or_else(PoisonError::into_inner).read(at)
    }
    #[inline(always)]
    fn update(&self, f: fn(&mut Table)) {
        f(&mut self.write().unwrap_or_else(PoisonError::into_inner));
    }
}

impl Shared for parking_lot::RwLock<Table> {
    const NAME: &'static str = "parking_lot::RwLock";
    fn new(value: Table) -> Self {
        parking_lot::RwLock::new(value)
    }
    #[inline(always)]
    fn read(&self, at: usize) -> u64 {
        self.read().read(at)
    }
    #[inline(always)]
    fn update(&self, f: fn(&mut Table)) {
        f(&mut self.write());
    }
}

impl Shared for Mutex<Table> {
    const NAME: &'static str = "std::Mutex";
    fn new(value: Table) -> Self {
        Mutex::new(value)
    }
    #[inline(always)]
    fn read(&self, at: usize) -> u64 {
        self.lock().unwrap_or_else(PoisonError::into_inner).read(at)
    }
    #[inline(always)]
    fn update(&self, f: fn(&mut Table)) {
        f(&mut self.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// A writer scenario: its name, what one update does, and a description.
#[derive(Clone, Copy)]
struct Writer {
    name: &'static str,
    work: fn(&mut Table),
    about: &'static str,
}

const WRITERS: [Writer; 2] = [
    Writer {
        name: "rebuild",
        work: Table::rebuild,
        about:
            "every update recomputes all 64 rows (about 10 µs of work on the value), back to back",
    },
    Writer {
        name: "counter",
        work: Table::bump,
        about: "every update increments a counter and one row (a few ns of work), back to back",
    },
];

/// The expected interval between reads for the coordinated-omission
/// correction (see the module docs), in ns.
const CO_INTERVAL_NS: u64 = 1_000;

/// Histogram bounds: 1 ns to 100 s, 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds")
}

/// What one run measured.
struct Run {
    reads_per_sec: f64,
    writes_per_sec: f64,
    /// Reader latency, per read, in ns (latency runs only).
    latency: Option<Histogram<u64>>,
}

/// Runs one reader and one writer on a fresh `S` for `secs`. With `timed`,
/// the reader times each read and the run returns the histogram.
fn run<S: Shared>(writer: Writer, timed: bool, secs: f64) -> Run {
    let shared = S::new(Table::new());
    let go = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let reader = s.spawn(|| {
            while !go.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            let mut at = 0;
            let mut reads = 0u64;
            if timed {
                let mut hist = histogram();
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..64 {
                        at = next_row(at);
                        let t0 = Instant::now();
                        black_box(shared.read(black_box(at)));
                        let ns = t0.elapsed().as_nanos();
                        hist.saturating_record(u64::try_from(ns).unwrap_or(u64::MAX).max(1));
                    }
                    reads += 64;
                }
                (reads, Some(hist))
            } else {
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..64 {
                        at = next_row(at);
                        black_box(shared.read(black_box(at)));
                    }
                    reads += 64;
                }
                (reads, None)
            }
        });
        let writer = s.spawn(|| {
            while !go.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            let mut writes = 0u64;
            while !stop.load(Ordering::Relaxed) {
                shared.update(writer.work);
                writes += 1;
            }
            writes
        });
        let t0 = Instant::now();
        go.store(true, Ordering::Release);
        thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        let elapsed = t0.elapsed().as_secs_f64();
        let (reads, latency) = reader.join().expect("reader panicked");
        let writes = writer.join().expect("writer panicked");
        Run {
            reads_per_sec: reads as f64 / elapsed,
            writes_per_sec: writes as f64 / elapsed,
            latency,
        }
    })
}

/// One case's result in one round.
struct Sample {
    reads_per_sec: f64,
    writes_per_sec: f64,
    /// p50, p99, p99.9, max of reader latency in ns, and p99.9 corrected
    /// for coordinated omission.
    latency: [f64; 5],
    /// p90 and p99.99 of reader latency in ns (JSON output only).
    more: [f64; 2],
}

fn sample<S: Shared>(writer: Writer, secs: f64) -> Sample {
    let throughput = run::<S>(writer, false, secs);
    let timed = run::<S>(writer, true, secs);
    let h = timed.latency.expect("a timed run records latency");
    let corrected = h.clone_correct(CO_INTERVAL_NS);
    Sample {
        reads_per_sec: throughput.reads_per_sec,
        writes_per_sec: throughput.writes_per_sec,
        latency: [
            h.value_at_quantile(0.50) as f64,
            h.value_at_quantile(0.99) as f64,
            h.value_at_quantile(0.999) as f64,
            h.max() as f64,
            corrected.value_at_quantile(0.999) as f64,
        ],
        more: [
            h.value_at_quantile(0.90) as f64,
            h.value_at_quantile(0.9999) as f64,
        ],
    }
}

/// The types, in the order they run and print; `CowCell` first.
type Case = (&'static str, fn(Writer, f64) -> Sample);

const CASES: [Case; 6] = [
    (<CowCell<Table> as Shared>::NAME, sample::<CowCell<Table>>),
    (<SwapCell as Shared>::NAME, sample::<SwapCell>),
    (
        <SwapCellAdjacent as Shared>::NAME,
        sample::<SwapCellAdjacent>,
    ),
    (<RwLock<Table> as Shared>::NAME, sample::<RwLock<Table>>),
    (
        <parking_lot::RwLock<Table> as Shared>::NAME,
        sample::<parking_lot::RwLock<Table>>,
    ),
    (<Mutex<Table> as Shared>::NAME, sample::<Mutex<Table>>),
];

/// This thread's time on a CPU so far, in ns (Linux; `None` elsewhere).
fn cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// What one run of the reader sweep measured.
struct SweepRun {
    /// All readers together.
    reads_per_sec: f64,
    /// The least share of the run any reader spent on a CPU (NaN where
    /// unknown): well below 1, the readers took turns on fewer cores.
    cpu_share: f64,
}

/// Runs `readers` reader threads and no writer on a fresh `S` for `secs`
/// (the reader sweep).
fn sweep<S: Shared>(readers: usize, secs: f64) -> SweepRun {
    let shared = S::new(Table::new());
    let go = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let threads: Vec<_> = (0..readers)
            .map(|r| {
                let (shared, go, stop) = (&shared, &go, &stop);
                s.spawn(move || {
                    while !go.load(Ordering::Acquire) {
                        std::hint::spin_loop();
                    }
                    let (t0, cpu0) = (Instant::now(), cpu_ns());
                    let mut at = r % ROWS;
                    let mut reads = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..64 {
                            at = next_row(at);
                            black_box(shared.read(black_box(at)));
                        }
                        reads += 64;
                    }
                    let share = match (cpu0, cpu_ns()) {
                        (Some(a), Some(b)) => (b - a) as f64 / t0.elapsed().as_nanos() as f64,
                        _ => f64::NAN,
                    };
                    (reads, share)
                })
            })
            .collect();
        let t0 = Instant::now();
        go.store(true, Ordering::Release);
        thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        let elapsed = t0.elapsed().as_secs_f64();
        let (mut reads, mut cpu_share) = (0, f64::INFINITY);
        for t in threads {
            let (r, share) = t.join().expect("reader panicked");
            reads += r;
            cpu_share = cpu_share.min(share);
        }
        SweepRun {
            reads_per_sec: reads as f64 / elapsed,
            cpu_share,
        }
    })
}

/// The types of the reader sweep (the lock-adjacent `ArcSwap` is a writer
/// diagnostic, left out).
type SweepCase = (&'static str, fn(usize, f64) -> SweepRun);

const SWEEP: [SweepCase; 5] = [
    (<CowCell<Table> as Shared>::NAME, sweep::<CowCell<Table>>),
    (<SwapCell as Shared>::NAME, sweep::<SwapCell>),
    (<RwLock<Table> as Shared>::NAME, sweep::<RwLock<Table>>),
    (
        <parking_lot::RwLock<Table> as Shared>::NAME,
        sweep::<parking_lot::RwLock<Table>>,
    ),
    (<Mutex<Table> as Shared>::NAME, sweep::<Mutex<Table>>),
];

/// A target from DESIGN.md: `CowCell` against `anchor` under `writer`.
struct Target {
    writer: &'static str,
    anchor: &'static str,
    /// Minimum reader throughput ratio, `CowCell / anchor`.
    min_reads: f64,
    /// Maximum reader p99.9 ratio, `CowCell / anchor`, if any.
    max_p999: Option<f64>,
}

const TARGETS: [Target; 4] = [
    Target {
        writer: "rebuild",
        anchor: "std::RwLock",
        min_reads: 5.0,
        max_p999: Some(0.1),
    },
    Target {
        writer: "rebuild",
        anchor: "parking_lot::RwLock",
        min_reads: 5.0,
        max_p999: Some(0.1),
    },
    Target {
        writer: "rebuild",
        anchor: "arc_swap::ArcSwap",
        min_reads: 0.9,
        max_p999: Some(1.5),
    },
    Target {
        writer: "counter",
        anchor: "arc_swap::ArcSwap",
        min_reads: 0.8,
        max_p999: None,
    },
];

/// Median per-update time of a writer's work alone, single-threaded, in ns.
fn work_alone(writer: Writer) -> f64 {
    let mut table = Table::new();
    time_alone(|| (writer.work)(black_box(&mut table)))
}

/// Median cost of the reader's timer alone (two `Instant::now()` calls and a
/// histogram record around nothing), in ns.
fn timer_overhead() -> u64 {
    let mut hist = histogram();
    for _ in 0..200_000 {
        let t0 = Instant::now();
        black_box(());
        let ns = t0.elapsed().as_nanos();
        hist.saturating_record(u64::try_from(ns).unwrap_or(u64::MAX).max(1));
    }
    hist.value_at_quantile(0.5)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = args.iter().any(|a| a == "--test");
    let filters: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let (secs, rounds) = if smoke {
        (0.05, 1)
    } else {
        (
            env_or("ARCOW_CONTENTION_SECS", 1.0),
            env_or("ARCOW_CONTENTION_ROUNDS", 3usize).max(1),
        )
    };
    let verbose = env_or("ARCOW_CONTENTION_VERBOSE", 0u8) != 0;
    let selected = |writer: &str, name: &str| {
        let id = format!("{writer}/{name}");
        filters.is_empty() || filters.iter().any(|f| id.contains(f))
    };

    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let load_start = load_average();
    println!(
        "cell_contention: 1 reader + 1 writer thread, {cores} cores, {secs} s per run, \
         {rounds} round(s), load average at start {load_start}"
    );
    let overhead = timer_overhead();
    println!(
        "timer overhead (two Instant::now + record, median): {overhead} ns, in every latency alike"
    );
    // What `ARCOW_CONTENTION_JSON` gets: one entry per writer, and the sweep.
    let mut json_writers: Vec<Value> = Vec::new();

    for writer in WRITERS {
        let cases: Vec<&Case> = CASES
            .iter()
            .filter(|(name, _)| selected(writer.name, name))
            .collect();
        if cases.is_empty() {
            continue;
        }
        let work_ns = work_alone(writer);
        println!(
            "\nwriter `{}`: {}; the work alone takes {:.2} µs per update",
            writer.name,
            writer.about,
            work_ns / 1000.0
        );
        // samples[case][round]
        let mut samples: Vec<Vec<Sample>> = cases.iter().map(|_| Vec::new()).collect();
        for round in 0..rounds {
            for (case, out) in cases.iter().zip(&mut samples) {
                let s = (case.1)(writer, secs);
                if verbose {
                    println!(
                        "  round {round} {:<36} {:>12.0} {:>10.0} {:>9.0} {:>9.0} {:>9.0} {:>11.0} {:>11.0}",
                        case.0,
                        s.reads_per_sec,
                        s.writes_per_sec,
                        s.latency[0],
                        s.latency[1],
                        s.latency[2],
                        s.latency[3],
                        s.latency[4]
                    );
                }
                out.push(s);
            }
        }

        println!(
            "{:<36} {:>12} {:>10} {:>9} {:>9} {:>9} {:>11} {:>11}",
            "type", "reads/s", "writes/s", "p50 ns", "p99 ns", "p99.9 ns", "max ns", "p99.9 CO"
        );
        let mut json_cases: Vec<Value> = Vec::new();
        for (case, runs) in cases.iter().zip(&samples) {
            let med =
                |f: &dyn Fn(&Sample) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
            json_cases.push(json!({
                "type": case.0,
                "reads_per_sec": med(&|s| s.reads_per_sec),
                "writes_per_sec": med(&|s| s.writes_per_sec),
                "latency_ns": {
                    "p50": med(&|s| s.latency[0]),
                    "p90": med(&|s| s.more[0]),
                    "p99": med(&|s| s.latency[1]),
                    "p99.9": med(&|s| s.latency[2]),
                    "p99.99": med(&|s| s.more[1]),
                    "max": med(&|s| s.latency[3]),
                    "p99.9 CO": med(&|s| s.latency[4]),
                },
            }));
            println!(
                "{:<36} {:>12.0} {:>10.0} {:>9.0} {:>9.0} {:>9.0} {:>11.0} {:>11.0}",
                case.0,
                med(&|s| s.reads_per_sec),
                med(&|s| s.writes_per_sec),
                med(&|s| s.latency[0]),
                med(&|s| s.latency[1]),
                med(&|s| s.latency[2]),
                med(&|s| s.latency[3]),
                med(&|s| s.latency[4]),
            );
        }

        let mut json_ratios: Vec<Value> = Vec::new();
        let json_writer = |cases: Vec<Value>, ratios: Vec<Value>| {
            json!({
                "name": writer.name,
                "about": writer.about,
                "work_ns": work_ns,
                "cases": cases,
                "ratios": ratios,
            })
        };
        // Ratios of CowCell to each anchor, median over rounds.
        let Some(cow) = cases.iter().position(|c| c.0 == "arcow::CowCell") else {
            json_writers.push(json_writer(json_cases, json_ratios));
            continue;
        };
        println!(
            "{:<36} {:>9} {:>9} {:>9} {:>9}  target",
            "CowCell / anchor", "reads/s", "p99", "p99.9", "p99.9 CO"
        );
        for (i, case) in cases.iter().enumerate() {
            if i == cow {
                continue;
            }
            let ratio = |f: &dyn Fn(&Sample) -> f64| {
                median(
                    &mut samples[cow]
                        .iter()
                        .zip(&samples[i])
                        .map(|(c, a)| f(c) / f(a))
                        .collect::<Vec<_>>(),
                )
            };
            let reads = ratio(&|s| s.reads_per_sec);
            let p99 = ratio(&|s| s.latency[1]);
            let p999 = ratio(&|s| s.latency[2]);
            let p999_co = ratio(&|s| s.latency[4]);
            json_ratios.push(json!({
                "anchor": case.0,
                "reads": reads,
                "p99": p99,
                "p99.9": p999,
                "p99.9 CO": p999_co,
            }));
            let verdict = TARGETS
                .iter()
                .find(|t| t.writer == writer.name && t.anchor == case.0)
                .map_or_else(String::new, |t| {
                    let ok = |yes: bool| if yes { "met" } else { "NOT met" };
                    match t.max_p999 {
                        Some(m) => format!(
                            "reads >= {}x: {}; p99.9 <= {}x: {} per read, {} CO-corrected",
                            t.min_reads,
                            ok(reads >= t.min_reads),
                            m,
                            ok(p999 <= m),
                            ok(p999_co <= m)
                        ),
                        None => format!("reads >= {}x: {}", t.min_reads, ok(reads >= t.min_reads)),
                    }
                });
            println!(
                "{:<36} {:>8.2}x {:>8.3}x {:>8.3}x {:>8.3}x  {}",
                case.0, reads, p99, p999, p999_co, verdict
            );
        }
        json_writers.push(json_writer(json_cases, json_ratios));
    }

    let json_cheap = cheap_writer(secs, rounds, &selected);
    let json_sweep = reader_sweep(cores, secs, rounds, &selected);
    let load_end = load_average();
    println!("\nload average at end {load_end}");

    if let Ok(path) = std::env::var("ARCOW_CONTENTION_JSON") {
        let out = json!({
            "cores": cores,
            "secs": secs,
            "rounds": rounds,
            "timer_overhead_ns": overhead,
            "co_interval_ns": CO_INTERVAL_NS,
            "load_average_start": load_start,
            "load_average_end": load_end,
            "writers": json_writers,
            "cheap_writer": json_cheap,
            "sweep": json_sweep,
        });
        let text = serde_json::to_string_pretty(&out).expect("JSON of plain values");
        std::fs::write(&path, text + "\n")
            .unwrap_or_else(|e| panic!("ARCOW_CONTENTION_JSON={path:?}: {e}"));
        println!("wrote {path}");
    }
}

/// The reader sweep: 1 to `cores` reader threads, no writer, for each type
/// `selected` as `readers/<type>`; prints the table and returns it as JSON.
fn reader_sweep(
    cores: usize,
    secs: f64,
    rounds: usize,
    selected: &dyn Fn(&str, &str) -> bool,
) -> Value {
    let cases: Vec<&SweepCase> = SWEEP
        .iter()
        .filter(|(name, _)| selected("readers", name))
        .collect();
    let threads: Vec<usize> = (1..=cores.max(1)).collect();
    if cases.is_empty() {
        return Value::Null;
    }
    println!(
        "\nreader sweep: 1 to {} reader threads, no writer; total reads/s, median over rounds",
        threads.len()
    );
    // runs[case][threads index][round], reads/s; the least CPU share of a
    // reader per thread count, over all runs.
    let mut runs = vec![vec![Vec::new(); threads.len()]; cases.len()];
    let mut cpu_share = vec![f64::INFINITY; threads.len()];
    for _ in 0..rounds {
        for (t, &n) in threads.iter().enumerate() {
            for (case, out) in cases.iter().zip(&mut runs) {
                let run = (case.1)(n, secs);
                out[t].push(run.reads_per_sec);
                cpu_share[t] = cpu_share[t].min(run.cpu_share);
            }
        }
    }
    print!("{:<36}", "type");
    for n in &threads {
        print!(" {:>14}", format!("{n} reader(s)"));
    }
    println!();
    let mut json_cases = Vec::new();
    for (case, per_threads) in cases.iter().zip(&mut runs) {
        let medians: Vec<f64> = per_threads.iter_mut().map(|r| median(r)).collect();
        print!("{:<36}", case.0);
        for m in &medians {
            print!(" {m:>14.0}");
        }
        println!();
        json_cases.push(json!({ "type": case.0, "reads_per_sec": medians }));
    }
    print!("{:<36}", "least CPU share of a reader");
    for share in &cpu_share {
        print!(" {:>13.0}%", share * 100.0);
    }
    println!();
    // NaN (no schedstat) becomes JSON null.
    let shares: Vec<Option<f64>> = cpu_share
        .iter()
        .map(|s| s.is_finite().then_some(*s))
        .collect();
    json!({ "threads": threads, "cases": json_cases, "least_cpu_share": shares })
}

/// A value for the cheap-writer scenario: what the writer changes and what
/// the reader reads (checking that every published value is whole).
trait CheapValue: Clone + Send + Sync + 'static {
    const NAME: &'static str;
    fn new() -> Self;
    /// The writer's change: a few words.
    fn bump(&mut self);
    /// The reader's read.
    fn read(&self) -> u64;
}

/// Four words, all read.
#[derive(Clone)]
struct Quad([u64; 4]);

impl CheapValue for Quad {
    const NAME: &'static str = "4 x u64";
    fn new() -> Self {
        Quad([0; 4])
    }
    fn bump(&mut self) {
        for w in &mut self.0 {
            *w += 1;
        }
    }
    #[inline(always)]
    fn read(&self) -> u64 {
        let [a, b, c, d] = self.0;
        assert!(a == b && b == c && c == d, "torn read");
        a
    }
}

/// 4 KiB; the writer bumps words 0 to 2 and one more that moves along.
#[derive(Clone)]
struct Page<const ALL: bool>([u64; 512]);

impl<const ALL: bool> CheapValue for Page<ALL> {
    const NAME: &'static str = if ALL { "4 KiB, all" } else { "4 KiB, 3 words" };
    fn new() -> Self {
        Page([0; 512])
    }
    fn bump(&mut self) {
        let n = self.0[0] + 1;
        self.0[..3].fill(n);
        self.0[3 + (n as usize % 509)] += 1;
    }
    #[inline(always)]
    fn read(&self) -> u64 {
        let [a, b, c] = [self.0[0], self.0[1], self.0[2]];
        assert!(a == b && b == c, "torn read");
        if ALL {
            self.0.iter().fold(0u64, |s, &w| s.wrapping_add(w))
        } else {
            a
        }
    }
}

/// A contender in the cheap-writer scenario.
trait CheapCell<V: CheapValue>: Send + Sync {
    const NAME: &'static str;
    fn new(value: V) -> Self;
    fn read(&self) -> u64;
    fn update(&self);
}

impl<V: CheapValue> CheapCell<V> for CowCell<V> {
    const NAME: &'static str = "arcow::CowCell";
    fn new(value: V) -> Self {
        CowCell::new(value)
    }
    #[inline(always)]
    fn read(&self) -> u64 {
        self.load().read()
    }
    fn update(&self) {
        CowCell::update(self, V::bump);
    }
}

/// `CowCell` as it was before issue 14 (see the module docs).
struct CowCellBefore<V> {
    slot: arc_swap::ArcSwapAny<arcow::Cow<V>>,
    writer: Mutex<()>,
}

impl<V: CheapValue> CheapCell<V> for CowCellBefore<V> {
    const NAME: &'static str = "CowCell (before)";
    fn new(value: V) -> Self {
        CowCellBefore {
            slot: arc_swap::ArcSwapAny::new(arcow::Cow::new(value)),
            writer: Mutex::new(()),
        }
    }
    #[inline(always)]
    fn read(&self) -> u64 {
        self.slot.load().read()
    }
    fn update(&self) {
        let old = {
            let _serialized = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            let mut next = self.slot.load_full();
            arcow::Cow::make_mut(&mut next).bump();
            self.slot.swap(next)
        };
        drop(old);
    }
}

impl<V: CheapValue> CheapCell<V> for ArcSwap<V> {
    const NAME: &'static str = "arc_swap::ArcSwap (rcu)";
    fn new(value: V) -> Self {
        ArcSwap::from_pointee(value)
    }
    #[inline(always)]
    fn read(&self) -> u64 {
        self.load().read()
    }
    fn update(&self) {
        self.rcu(|old| {
            let mut next = V::clone(old);
            next.bump();
            next
        });
    }
}

/// One reader and one writer on a fresh `C` for `secs`: (reads/s,
/// writes/s). The writer updates back to back, or, with `PACED`, once per
/// `PACE` (spinning in between, so it keeps its core either way).
fn cheap_run<V: CheapValue, C: CheapCell<V>, const PACED: bool>(secs: f64) -> (f64, f64) {
    let shared = C::new(V::new());
    let go = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let reader = s.spawn(|| {
            while !go.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..64 {
                    black_box(shared.read());
                }
                reads += 64;
            }
            reads
        });
        let writer = s.spawn(|| {
            while !go.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            let mut writes = 0u64;
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                if PACED {
                    next += PACE;
                    while Instant::now() < next {
                        std::hint::spin_loop();
                    }
                }
                shared.update();
                writes += 1;
            }
            writes
        });
        let t0 = Instant::now();
        go.store(true, Ordering::Release);
        thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        let elapsed = t0.elapsed().as_secs_f64();
        let reads = reader.join().expect("reader panicked");
        let writes = writer.join().expect("writer panicked");
        (reads as f64 / elapsed, writes as f64 / elapsed)
    })
}

type CheapCase = (&'static str, fn(f64) -> (f64, f64));

/// The paced writer's period: 200k updates a second, below what every
/// contender's writer manages back to back on every value here, so all
/// publish at the same rate and the readers' difference is the cost of a
/// publish to them.
const PACE: Duration = Duration::from_micros(5);

fn cheap_cases<V: CheapValue, const PACED: bool>() -> [CheapCase; 3] {
    [
        (
            <CowCell<V> as CheapCell<V>>::NAME,
            cheap_run::<V, CowCell<V>, PACED>,
        ),
        (
            <CowCellBefore<V> as CheapCell<V>>::NAME,
            cheap_run::<V, CowCellBefore<V>, PACED>,
        ),
        (
            <ArcSwap<V> as CheapCell<V>>::NAME,
            cheap_run::<V, ArcSwap<V>, PACED>,
        ),
    ]
}

/// Minimum reads/s of `CowCell` over `ArcSwap (rcu)` (DESIGN.md, issue 14).
const CHEAP_MIN_READS: f64 = 0.9;

/// The cheap-writer scenario for each value (see the module docs); prints
/// the tables and returns them as JSON.
fn cheap_writer(secs: f64, rounds: usize, selected: &dyn Fn(&str, &str) -> bool) -> Value {
    let values: [(&str, bool, [CheapCase; 3]); 6] = [
        (Quad::NAME, false, cheap_cases::<Quad, false>()),
        (
            Page::<false>::NAME,
            false,
            cheap_cases::<Page<false>, false>(),
        ),
        (
            Page::<true>::NAME,
            false,
            cheap_cases::<Page<true>, false>(),
        ),
        (Quad::NAME, true, cheap_cases::<Quad, true>()),
        (
            Page::<false>::NAME,
            true,
            cheap_cases::<Page<false>, true>(),
        ),
        (Page::<true>::NAME, true, cheap_cases::<Page<true>, true>()),
    ];
    let mut json_values = Vec::new();
    for (value, paced, cases) in values {
        let pace = if paced { "paced" } else { "back-to-back" };
        let writer = format!("cheap/{value}/{pace}");
        let cases: Vec<&CheapCase> = cases.iter().filter(|c| selected(&writer, c.0)).collect();
        if cases.is_empty() {
            continue;
        }
        let how = if paced {
            format!("once every {} µs", PACE.as_secs_f64() * 1e6)
        } else {
            "back to back".into()
        };
        println!(
            "\ncheap writer, value `{value}`, {pace}: one reader, one writer updating {how} \
             (a few words changed per update)"
        );
        // runs[case][round] = (reads/s, writes/s)
        let mut runs: Vec<Vec<(f64, f64)>> = cases.iter().map(|_| Vec::new()).collect();
        for _ in 0..rounds {
            for (case, out) in cases.iter().zip(&mut runs) {
                out.push((case.1)(secs));
            }
        }
        println!("{:<36} {:>12} {:>10}", "type", "reads/s", "writes/s");
        let mut json_cases = Vec::new();
        for (case, r) in cases.iter().zip(&runs) {
            let reads = median(&mut r.iter().map(|x| x.0).collect::<Vec<_>>());
            let writes = median(&mut r.iter().map(|x| x.1).collect::<Vec<_>>());
            println!("{:<36} {reads:>12.0} {writes:>10.0}", case.0);
            json_cases
                .push(json!({ "type": case.0, "reads_per_sec": reads, "writes_per_sec": writes }));
        }
        let anchor = cases.iter().position(|c| c.0 == "arc_swap::ArcSwap (rcu)");
        let mut json_ratios = Vec::new();
        if let Some(anchor) = anchor {
            println!(
                "{:<36} {:>9} {:>15} {:>9}  target",
                "reads/s over ArcSwap (rcu)", "median", "min..max", "writes/s"
            );
            for (i, case) in cases.iter().enumerate() {
                if i == anchor {
                    continue;
                }
                let mut reads: Vec<f64> = runs[i]
                    .iter()
                    .zip(&runs[anchor])
                    .map(|(c, a)| c.0 / a.0)
                    .collect();
                let writes = median(
                    &mut runs[i]
                        .iter()
                        .zip(&runs[anchor])
                        .map(|(c, a)| c.1 / a.1)
                        .collect::<Vec<_>>(),
                );
                let (lo, hi) = (
                    reads.iter().copied().fold(f64::INFINITY, f64::min),
                    reads.iter().copied().fold(0.0, f64::max),
                );
                let med = median(&mut reads);
                let verdict = if case.0 == "arcow::CowCell" && !paced {
                    let met = if med >= CHEAP_MIN_READS {
                        "met"
                    } else {
                        "NOT met"
                    };
                    format!("reads >= {CHEAP_MIN_READS}x: {met}")
                } else {
                    String::new()
                };
                println!(
                    "{:<36} {med:>8.2}x {:>15} {writes:>8.2}x  {verdict}",
                    case.0,
                    format!("{lo:.2}..{hi:.2}")
                );
                json_ratios.push(json!({
                    "type": case.0, "reads": med, "reads_min": lo, "reads_max": hi, "writes": writes,
                }));
            }
        }
        json_values.push(json!({
            "value": value,
            "writer": pace,
            "cases": json_cases,
            "ratios": json_ratios,
        }));
    }
    Value::Array(json_values)
}
