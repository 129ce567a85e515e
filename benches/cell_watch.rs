//! `CowCell<T>` change notification against its anchor, `tokio::sync::watch`
//! (issue 14; ../shared/DESIGN.md, "CowCell change notification"). A plain
//! binary (`harness = false`) printing tables, like
//! benches/cell_contention.rs.
//!
//! Three parts, each a different question:
//!
//! | part        | what runs                                                           | measured |
//! |-------------|---------------------------------------------------------------------|----------|
//! | `reads`     | one reader thread and one writer thread; the writer changes a 1 KiB table for about 10 µs per update, back to back | the reader's reads per second |
//! | `wake`      | a task waiting for a change on a tokio multi-thread runtime (2 worker threads); a plain thread publishes, one change at a time, spaced so the task is parked each time | publish-to-wake latency, p50 and p99 |
//! | `blocking`  | as `wake`, the waiter a plain thread in `CowCell::wait_changed` (for information: `watch` has no blocking wait) | publish-to-wake latency |
//!
//! What each contender does:
//!
//! | type                 | reader                  | writer (`reads`)                   | waiter (`wake`)                | publisher (`wake`) |
//! |----------------------|-------------------------|------------------------------------|--------------------------------|--------------------|
//! | `arcow::CowCell`     | `cell.load()`, read     | `update`: clone, modify the clone for ~10 µs, publish | `v = cell.changed(v).await` | `update` (bump a counter) |
//! | `tokio::sync::watch` | `rx.borrow()`, read     | `send_modify`: modify in place for ~10 µs under the value's write lock | `rx.changed().await` | `send_modify` (bump a counter) |
//!
//! The value is the table of benches/cell_contention.rs: a counter and 64
//! rows of `{value, check}` (1032 bytes); every read loads the current value,
//! reads one row and checks `check == value * K` (a torn read panics). The
//! writer's update recomputes every row (a chain of multiplications, about
//! 10 µs; the bench prints what the work alone takes). `watch` keeps its
//! value under an `RwLock`: `send_modify` holds the write lock for the whole
//! update, and `borrow()` waits for it. `CowCell`'s writer works on a private
//! copy and readers never wait.
//!
//! Wake-up latency: the publisher records `Instant::now()` just before
//! `update` / `send_modify`, the waiting task records it as soon as its
//! `changed` completes and sends it back on a channel; the publisher waits
//! for it, sleeps for the spacing (so the task and the runtime's workers are
//! parked again) and publishes the next change. The first 20 wake-ups of a
//! run are warm-up, not counted. Each run starts a fresh runtime. Both waits
//! go through the same path in tokio (the waker's `wake`, a worker unparked,
//! the task polled), so the ratio shows what each notification mechanism
//! adds to it.
//!
//! Rounds: each part runs both contenders once per round, alternating which
//! goes first; ratios are the median over rounds of each round's ratio, with
//! the least and greatest round in brackets. Tables show the median over
//! rounds.
//!
//! Run: `cargo bench --bench cell_watch` (3 rounds; 1 s per `reads` run,
//! 1000 wake-ups spaced 300 µs per `wake` run).
//! Options: `ARCOW_WATCH_SECS=2` (seconds per `reads` run),
//! `ARCOW_WATCH_ROUNDS=5`, `ARCOW_WATCH_WAKES=2000` (wake-ups per run),
//! `ARCOW_WATCH_SPACING_US=500` (between publishes), `ARCOW_WATCH_VERBOSE=1`
//! (every round's numbers too); any argument that does not start with `--`
//! is a filter on `<part>/<type>` (e.g. `wake/` or `reads/tokio`).
//! Smoke run (50 ms per run, 60 wake-ups, 1 round):
//! `cargo bench --bench cell_watch -- --test`.
//! `ARCOW_WATCH_JSON=path` also writes every table and ratio as JSON to
//! `path`.
//!
//! On 2 cores, `reads` is exactly one reader beside the writer, and `wake`
//! has the publisher thread and two workers on two cores (they sleep most of
//! the time). The load average is printed at the start and the end: another
//! process on the machine shows up in the latencies first.

mod cell_common;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use arcow::CowCell;
use cell_common::{env_or, load_average, median, next_row, time_alone, Table};
use serde_json::{json, Value};
use tokio::sync::watch;

/// Wake-ups at the start of each latency run that are not counted.
const WARM_UP_WAKES: usize = 20;

impl Table {
    /// The `wake` publisher's change: bump the counter.
    fn bump(&mut self) {
        self.counter += 1;
    }
}

/// What the bench needs from each contender; monomorphized, so the loops
/// inline each one's fast path.
trait Watched: Send + Sync + 'static {
    const NAME: &'static str;
    /// What a reader holds: a `watch::Receiver`, or nothing.
    type Reader: Send;
    /// What a waiting task holds.
    type Waiter: Send + 'static;
    fn new(value: Table) -> Arc<Self>;
    fn reader(self: &Arc<Self>) -> Self::Reader;
    /// Load the current value and read one row.
    fn read(&self, reader: &mut Self::Reader, at: usize) -> u64;
    /// Change the value with `f` and publish it.
    fn publish(&self, f: fn(&mut Table));
    fn waiter(self: &Arc<Self>) -> Self::Waiter;
    /// Wait for the next change.
    fn changed(waiter: &mut Self::Waiter) -> impl std::future::Future<Output = ()> + Send;
}

impl Watched for CowCell<Table> {
    const NAME: &'static str = "arcow::CowCell";
    type Reader = ();
    /// The cell and the last version seen.
    type Waiter = (Arc<CowCell<Table>>, u64);

    fn new(value: Table) -> Arc<Self> {
        Arc::new(CowCell::new(value))
    }
    fn reader(self: &Arc<Self>) {}
    #[inline(always)]
    fn read(&self, _: &mut (), at: usize) -> u64 {
        self.load().read(at)
    }
    #[inline(always)]
    fn publish(&self, f: fn(&mut Table)) {
        self.update(f);
    }
    fn waiter(self: &Arc<Self>) -> Self::Waiter {
        (self.clone(), self.version())
    }
    async fn changed(waiter: &mut Self::Waiter) {
        waiter.1 = waiter.0.changed(waiter.1).await;
    }
}

/// A `watch` channel: the sender (the writer's end) and a receiver to
/// subscribe readers and waiters from.
struct Watch {
    tx: watch::Sender<Table>,
}

impl Watched for Watch {
    const NAME: &'static str = "tokio::sync::watch";
    type Reader = watch::Receiver<Table>;
    type Waiter = watch::Receiver<Table>;

    fn new(value: Table) -> Arc<Self> {
        Arc::new(Watch {
            tx: watch::Sender::new(value),
        })
    }
    fn reader(self: &Arc<Self>) -> watch::Receiver<Table> {
        self.tx.subscribe()
    }
    #[inline(always)]
    fn read(&self, rx: &mut watch::Receiver<Table>, at: usize) -> u64 {
        rx.borrow().read(at)
    }
    #[inline(always)]
    fn publish(&self, f: fn(&mut Table)) {
        self.tx.send_modify(f);
    }
    fn waiter(self: &Arc<Self>) -> watch::Receiver<Table> {
        // Subscribed with the current value marked as seen.
        self.tx.subscribe()
    }
    async fn changed(rx: &mut watch::Receiver<Table>) {
        rx.changed()
            .await
            .expect("the sender lives as long as the run");
    }
}

// --- part `reads` -----------------------------------------------------------

/// One `reads` run.
struct ReadsRun {
    reads_per_sec: f64,
    writes_per_sec: f64,
}

/// One reader and one back-to-back writer on a fresh `W` for `secs`.
fn reads_run<W: Watched>(secs: f64) -> ReadsRun {
    let shared = W::new(Table::new());
    let go = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut rx = shared.reader();
            while !go.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            let (mut at, mut reads) = (0, 0u64);
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..64 {
                    at = next_row(at);
                    black_box(shared.read(&mut rx, black_box(at)));
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
            while !stop.load(Ordering::Relaxed) {
                shared.publish(Table::rebuild);
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
        ReadsRun {
            reads_per_sec: reads as f64 / elapsed,
            writes_per_sec: writes as f64 / elapsed,
        }
    })
}

// --- parts `wake` and `blocking` --------------------------------------------

/// What one latency run measured.
struct Latencies {
    /// From just before the publish to the waiter's wake-up, in ns.
    wake: Sorted,
    /// The publish call alone (from the same start to its return), in ns.
    call: Sorted,
}

impl Latencies {
    /// p50, p90, p99 and max of the wake-up latency, and the publish
    /// call's p50.
    fn summary(&self) -> [f64; 5] {
        [
            self.wake.quantile(0.50),
            self.wake.quantile(0.90),
            self.wake.quantile(0.99),
            self.wake.quantile(1.0),
            self.call.quantile(0.50),
        ]
    }
}

/// Samples in ns, sorted.
struct Sorted(Vec<u64>);

impl Sorted {
    fn new(mut ns: Vec<u64>) -> Sorted {
        ns.sort_unstable();
        Sorted(ns)
    }
    /// The `q` quantile (nearest rank).
    fn quantile(&self, q: f64) -> f64 {
        let n = self.0.len();
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        self.0[rank - 1] as f64
    }
}

/// The publisher's side of a latency run: `wakes` (plus warm-up) times,
/// sleep `spacing`, note the time, publish, and wait for the waiter's
/// wake-up time on `woke`.
fn publish_and_time(
    wakes: usize,
    spacing: Duration,
    publish: impl Fn(),
    woke: &mpsc::Receiver<Instant>,
) -> Latencies {
    let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let (mut wake, mut call) = (Vec::with_capacity(wakes), Vec::with_capacity(wakes));
    for i in 0..WARM_UP_WAKES + wakes {
        thread::sleep(spacing);
        let t0 = Instant::now();
        publish();
        let returned = t0.elapsed();
        let t1 = woke
            .recv_timeout(Duration::from_secs(10))
            .expect("the waiter did not wake within 10 s");
        if i >= WARM_UP_WAKES {
            wake.push(ns(t1.saturating_duration_since(t0)));
            call.push(ns(returned));
        }
    }
    Latencies {
        wake: Sorted::new(wake),
        call: Sorted::new(call),
    }
}

/// A task waiting for changes on a fresh 2-worker tokio runtime, a plain
/// thread publishing them.
fn wake_run<W: Watched>(wakes: usize, spacing: Duration) -> Latencies {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a tokio runtime");
    let shared = W::new(Table::new());
    let (woke_tx, woke) = mpsc::channel();
    let mut waiter = shared.waiter();
    let task = runtime.spawn(async move {
        for _ in 0..WARM_UP_WAKES + wakes {
            W::changed(&mut waiter).await;
            let t = Instant::now();
            woke_tx
                .send(t)
                .expect("the publisher waits for every wake-up");
        }
    });
    let latencies = publish_and_time(wakes, spacing, || shared.publish(Table::bump), &woke);
    runtime.block_on(task).expect("the waiting task panicked");
    latencies
}

/// A plain thread blocked in `CowCell::wait_changed`, a plain thread
/// publishing.
fn blocking_run(wakes: usize, spacing: Duration) -> Latencies {
    let cell = &CowCell::new(Table::new());
    let (woke_tx, woke) = mpsc::channel();
    // Read before the waiter starts: a publish that came before the
    // waiter's first read would count as seen, and the publisher would
    // wait for a wake-up that never comes.
    let mut v = cell.version();
    thread::scope(|s| {
        s.spawn(move || {
            for _ in 0..WARM_UP_WAKES + wakes {
                v = cell
                    .wait_changed(v, Duration::from_secs(10))
                    .expect("a publish within 10 s");
                woke_tx.send(Instant::now()).expect("the publisher waits");
            }
        });
        publish_and_time(wakes, spacing, || cell.update(Table::bump), &woke)
    })
}

// --- the report -------------------------------------------------------------

/// The median, least and greatest of per-round ratios.
#[derive(Clone, Copy)]
struct Ratio {
    median: f64,
    min: f64,
    max: f64,
}

impl Ratio {
    fn of(mut per_round: Vec<f64>) -> Ratio {
        let min = per_round.iter().copied().fold(f64::INFINITY, f64::min);
        let max = per_round.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Ratio {
            median: median(&mut per_round),
            min,
            max,
        }
    }
    fn json(self) -> Value {
        json!({ "median": self.median, "min": self.min, "max": self.max })
    }
}

impl std::fmt::Display for Ratio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2}x ({:.2}x..{:.2}x)",
            self.median, self.min, self.max
        )
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

/// Median per-update time of the `reads` writer's work alone, in ns.
fn work_alone() -> f64 {
    let mut table = Table::new();
    time_alone(|| black_box(&mut table).rebuild())
}

/// Runs both contenders of one part, the cell first in even rounds and
/// `watch` first in odd ones; returns `[cell, watch]`.
fn alternate<R>(round: usize, cell: impl FnOnce() -> R, watch: impl FnOnce() -> R) -> [R; 2] {
    if round.is_multiple_of(2) {
        let c = cell();
        [c, watch()]
    } else {
        let w = watch();
        [cell(), w]
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = args.iter().any(|a| a == "--test");
    let filters: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let (secs, rounds, wakes, spacing_us) = if smoke {
        (0.05, 1, 60, 100)
    } else {
        (
            env_or("ARCOW_WATCH_SECS", 1.0),
            env_or("ARCOW_WATCH_ROUNDS", 3usize).max(1),
            env_or("ARCOW_WATCH_WAKES", 1000usize).max(1),
            env_or("ARCOW_WATCH_SPACING_US", 300u64),
        )
    };
    let spacing = Duration::from_micros(spacing_us);
    let verbose = env_or("ARCOW_WATCH_VERBOSE", 0u8) != 0;
    let selected = |part: &str| {
        let ids = [
            format!("{part}/{}", <CowCell<Table> as Watched>::NAME),
            format!("{part}/{}", Watch::NAME),
        ];
        filters.is_empty() || filters.iter().any(|f| ids.iter().any(|id| id.contains(f)))
    };

    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let load_start = load_average();
    println!(
        "cell_watch: arcow::CowCell change notification against tokio::sync::watch; \
         {cores} cores, {rounds} round(s), load average at start {load_start}"
    );
    let mut json_parts = serde_json::Map::new();
    let cell_name = <CowCell<Table> as Watched>::NAME;

    if selected("reads") {
        let work_ns = work_alone();
        println!(
            "\nreads: 1 reader + 1 writer thread, {secs} s per run; the writer changes the 1 KiB \
             value for {:.2} µs per update (the work alone), back to back",
            work_ns / 1000.0
        );
        let mut runs: [Vec<ReadsRun>; 2] = [Vec::new(), Vec::new()];
        for round in 0..rounds {
            let [c, w] = alternate(
                round,
                || reads_run::<CowCell<Table>>(secs),
                || reads_run::<Watch>(secs),
            );
            if verbose {
                println!(
                    "  round {round}: {cell_name} {:.0} reads/s {:.0} writes/s; {} {:.0} reads/s {:.0} writes/s",
                    c.reads_per_sec, c.writes_per_sec, Watch::NAME, w.reads_per_sec, w.writes_per_sec
                );
            }
            runs[0].push(c);
            runs[1].push(w);
        }
        println!(
            "{:<24} {:<42} {:>14} {:>10}",
            "type", "reader / writer", "reads/s", "writes/s"
        );
        let how = ["load() / update()", "rx.borrow() / send_modify()"];
        let mut json_types = Vec::new();
        for ((name, how), runs) in [cell_name, Watch::NAME].iter().zip(how).zip(&runs) {
            let reads = median(&mut runs.iter().map(|r| r.reads_per_sec).collect::<Vec<_>>());
            let writes = median(&mut runs.iter().map(|r| r.writes_per_sec).collect::<Vec<_>>());
            println!("{name:<24} {how:<42} {reads:>14.0} {writes:>10.0}");
            json_types
                .push(json!({ "type": name, "reads_per_sec": reads, "writes_per_sec": writes }));
        }
        let reads = Ratio::of(
            runs[0]
                .iter()
                .zip(&runs[1])
                .map(|(c, w)| c.reads_per_sec / w.reads_per_sec)
                .collect(),
        );
        let writes = Ratio::of(
            runs[0]
                .iter()
                .zip(&runs[1])
                .map(|(c, w)| c.writes_per_sec / w.writes_per_sec)
                .collect(),
        );
        println!(
            "CowCell / watch: reads/s {reads}, target >= 5x: {}; writes/s {writes} (for information)",
            verdict(reads.median >= 5.0)
        );
        json_parts.insert(
            "reads".into(),
            json!({
                "secs": secs,
                "work_ns": work_ns,
                "types": json_types,
                "ratio_reads": reads.json(),
                "ratio_writes": writes.json(),
                "target_min_reads": 5.0,
            }),
        );
    }

    if selected("wake") {
        println!(
            "\nwake: publish to a waiting task woken, tokio multi-thread runtime (2 workers), \
             a plain thread publishing; {wakes} publishes per run, {spacing_us} µs apart"
        );
        let mut runs: [Vec<[f64; 5]>; 2] = [Vec::new(), Vec::new()];
        for round in 0..rounds {
            let [c, w] = alternate(
                round,
                || wake_run::<CowCell<Table>>(wakes, spacing).summary(),
                || wake_run::<Watch>(wakes, spacing).summary(),
            );
            if verbose {
                println!(
                    "  round {round}: {cell_name} p50 {:.1} p99 {:.1} µs; {} p50 {:.1} p99 {:.1} µs",
                    c[0] / 1000.0,
                    c[2] / 1000.0,
                    Watch::NAME,
                    w[0] / 1000.0,
                    w[2] / 1000.0
                );
            }
            runs[0].push(c);
            runs[1].push(w);
        }
        println!(
            "{:<24} {:<42} {:>8} {:>8} {:>8} {:>9} {:>10}",
            "type", "waiter / publisher", "p50 µs", "p90 µs", "p99 µs", "max µs", "publish µs"
        );
        let how = [
            "cell.changed(v).await / update()",
            "rx.changed().await / send_modify()",
        ];
        let mut json_types = Vec::new();
        for ((name, how), runs) in [cell_name, Watch::NAME].iter().zip(how).zip(&runs) {
            let q: Vec<f64> = (0..5)
                .map(|i| median(&mut runs.iter().map(|r| r[i]).collect::<Vec<_>>()))
                .collect();
            println!(
                "{name:<24} {how:<42} {:>8.1} {:>8.1} {:>8.1} {:>9.1} {:>10.2}",
                q[0] / 1000.0,
                q[1] / 1000.0,
                q[2] / 1000.0,
                q[3] / 1000.0,
                q[4] / 1000.0
            );
            json_types.push(json!({
                "type": name,
                "latency_ns": { "p50": q[0], "p90": q[1], "p99": q[2], "max": q[3] },
                "publish_call_p50_ns": q[4],
            }));
        }
        let ratio = |i: usize| {
            Ratio::of(
                runs[0]
                    .iter()
                    .zip(&runs[1])
                    .map(|(c, w)| c[i] / w[i])
                    .collect(),
            )
        };
        let (p50, p90, p99) = (ratio(0), ratio(1), ratio(2));
        println!(
            "CowCell / watch: p50 {p50}, p99 {p99}; target <= 1.2x: p50 {}, p99 {}; \
             p90 {p90} (for information)",
            verdict(p50.median <= 1.2),
            verdict(p99.median <= 1.2)
        );
        json_parts.insert(
            "wake".into(),
            json!({
                "wakes": wakes,
                "spacing_us": spacing_us,
                "types": json_types,
                "ratio_p50": p50.json(),
                "ratio_p90": p90.json(),
                "ratio_p99": p99.json(),
                "target_max": 1.2,
            }),
        );
    }

    if filters.is_empty()
        || filters
            .iter()
            .any(|f| "blocking/arcow::CowCell".contains(f))
    {
        println!(
            "\nblocking (for information): publish to a plain thread woken from \
             CowCell::wait_changed; {wakes} publishes per run, {spacing_us} µs apart"
        );
        let runs: Vec<[f64; 5]> = (0..rounds)
            .map(|_| blocking_run(wakes, spacing).summary())
            .collect();
        let q: Vec<f64> = (0..5)
            .map(|i| median(&mut runs.iter().map(|r| r[i]).collect::<Vec<_>>()))
            .collect();
        println!(
            "{:<24} {:<42} {:>8} {:>8} {:>8} {:>9} {:>10}",
            "type", "waiter / publisher", "p50 µs", "p90 µs", "p99 µs", "max µs", "publish µs"
        );
        println!(
            "{:<24} {:<42} {:>8.1} {:>8.1} {:>8.1} {:>9.1} {:>10.2}",
            cell_name,
            "wait_changed(v, timeout) / update()",
            q[0] / 1000.0,
            q[1] / 1000.0,
            q[2] / 1000.0,
            q[3] / 1000.0,
            q[4] / 1000.0
        );
        json_parts.insert(
            "blocking".into(),
            json!({
                "wakes": wakes,
                "spacing_us": spacing_us,
                "latency_ns": { "p50": q[0], "p90": q[1], "p99": q[2], "max": q[3] },
                "publish_call_p50_ns": q[4],
            }),
        );
    }

    let load_end = load_average();
    println!("\nload average at end {load_end}");

    if let Ok(path) = std::env::var("ARCOW_WATCH_JSON") {
        let out = json!({
            "cores": cores,
            "rounds": rounds,
            "load_average_start": load_start,
            "load_average_end": load_end,
            "parts": Value::Object(json_parts),
        });
        let text = serde_json::to_string_pretty(&out).expect("JSON of plain values");
        std::fs::write(&path, text + "\n")
            .unwrap_or_else(|e| panic!("ARCOW_WATCH_JSON={path:?}: {e}"));
        println!("wrote {path}");
    }
}
