//! The main job: the same read-mostly workload on `Arc<RwLock<T>>` and on
//! arcow, side by side, printing reads per second of each and the ratio.
//!
//! The workload is a routing table (`HashMap<u64, Route>`, 1,000 routes) read
//! by request-handling threads while one writer thread keeps rebuilding it,
//! each rebuild doing real work on every route (about 10 µs in all, like
//! recomputing a configuration). Each read looks up a route and uses two
//! fields that every update changes together, so a torn read would be caught.
//!
//! With `Arc<RwLock<T>>` a reader waits whenever the writer holds the lock
//! for the rebuild. With `arcow::CowCell` the writer clones the table,
//! changes the clone and publishes it with one atomic swap; readers never
//! wait.
//!
//! That difference only shows when the readers and the writer really run at
//! the same time, each on a core of its own. On a busy machine (more runnable
//! threads than cores) they take turns on the CPUs instead, a reader rarely
//! finds the writer running while it reads, and the lock costs next to
//! nothing, while copy-on-write still pays for its copies. So the example
//! also prints how much of the run each thread spent waiting for a CPU (from
//! Linux's `/proc/thread-self/schedstat`) and warns when that is large: the
//! ratio then measures the scheduler, not the lock.
//!
//! The second part is the job a big map does: a routing table of a million
//! routes, with one route changed per update. `Arc<RwLock<HashMap>>` changes
//! it in place under the write lock; `CowCell<HashMap>` has to copy all
//! million routes for every update; `CowCell<CowMap>` copies the one page
//! of about 4 KiB that holds the route (and a short directory path), so its
//! updates cost microseconds and its readers still never wait.
//!
//! Run: `cargo run --release --example read_mostly`
//! (optional arguments: seconds per run, reader threads, and updates per
//! second, 0 meaning back to back, the default. A real configuration is
//! rebuilt far less often than back to back: try 1000, and see the lock's
//! cost shrink to the time the readers wait during the rebuilds.)

use arcow::{CowCell, CowMap};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
struct Route {
    backend: u64,
    /// Always `backend * 2`: a reader that sees otherwise saw a torn write.
    check: u64,
}

type Table = HashMap<u64, Route>;

const ROUTES: usize = 1_000;

fn table() -> Table {
    (0..ROUTES)
        .map(|i| {
            (
                i as u64,
                Route {
                    backend: i as u64,
                    check: 2 * i as u64,
                },
            )
        })
        .collect()
}

/// What one update does to the table: recompute every route, as a rebuild
/// of a configuration does (tens of µs for the whole table; `main` prints
/// how long it takes alone).
fn rebuild(t: &mut Table, generation: u64) {
    for route in t.values_mut() {
        let mut b = route.backend ^ generation;
        for _ in 0..24 {
            b = b.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
        }
        route.backend = b;
        route.check = b.wrapping_mul(2);
    }
}

trait Shared: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn read(&self, key: u64) -> u64;
    fn update(&self, generation: u64);
}

/// The usual way: a lock around the table.
struct Locked(RwLock<Table>);

impl Shared for Locked {
    fn name(&self) -> &'static str {
        "Arc<RwLock<HashMap>>"
    }
    fn read(&self, key: u64) -> u64 {
        let t = self.0.read().unwrap();
        let r = &t[&key];
        assert_eq!(r.check, r.backend.wrapping_mul(2), "torn read");
        r.backend
    }
    fn update(&self, generation: u64) {
        let mut t = self.0.write().unwrap();
        rebuild(&mut t, generation);
    }
}

/// arcow: the table in a `CowCell`; readers take no lock.
struct CopyOnWrite(CowCell<Table>);

impl Shared for CopyOnWrite {
    fn name(&self) -> &'static str {
        "arcow::CowCell<HashMap>"
    }
    fn read(&self, key: u64) -> u64 {
        let t = self.0.load();
        let r = &t[&key];
        assert_eq!(r.check, r.backend.wrapping_mul(2), "torn read");
        r.backend
    }
    fn update(&self, generation: u64) {
        // Clones the table once, rebuilds the clone, publishes it.
        self.0.update(|t| rebuild(t, generation));
    }
}

/// Routes in the big table of the second part.
const BIG_ROUTES: u64 = 1_000_000;

/// A route of the big table for `key` at `generation`.
fn big_route(key: u64, generation: u64) -> Route {
    let backend = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ generation;
    Route {
        backend,
        check: backend.wrapping_mul(2),
    }
}

/// The key the update of `generation` changes: a different route each time.
fn big_key(generation: u64) -> u64 {
    generation.wrapping_mul(7919) % BIG_ROUTES
}

fn big_read(r: &Route) -> u64 {
    assert_eq!(r.check, r.backend.wrapping_mul(2), "torn read");
    r.backend
}

/// The big table under a lock: updates change one route in place.
struct BigLocked(RwLock<HashMap<u64, Route>>);

impl Shared for BigLocked {
    fn name(&self) -> &'static str {
        "Arc<RwLock<HashMap>>"
    }
    fn read(&self, key: u64) -> u64 {
        big_read(&self.0.read().unwrap()[&key])
    }
    fn update(&self, generation: u64) {
        let key = big_key(generation);
        self.0
            .write()
            .unwrap()
            .insert(key, big_route(key, generation));
    }
}

/// The big table as a `HashMap` in a `CowCell`: every update copies it all.
struct BigCowHash(CowCell<HashMap<u64, Route>>);

impl Shared for BigCowHash {
    fn name(&self) -> &'static str {
        "arcow::CowCell<HashMap>"
    }
    fn read(&self, key: u64) -> u64 {
        big_read(&self.0.load()[&key])
    }
    fn update(&self, generation: u64) {
        let key = big_key(generation);
        // Clones the whole HashMap (a million routes), then changes one.
        self.0.update(|t| t.insert(key, big_route(key, generation)));
    }
}

/// The big table as a `CowMap` in a `CowCell`: an update copies one page.
struct BigCowMap(CowCell<CowMap<u64, Route>>);

impl Shared for BigCowMap {
    fn name(&self) -> &'static str {
        "arcow::CowCell<CowMap>"
    }
    fn read(&self, key: u64) -> u64 {
        big_read(&self.0.load()[&key])
    }
    fn update(&self, generation: u64) {
        let key = big_key(generation);
        // Clones the CowMap in O(1); the insert copies the route's page.
        self.0.update(|t| t.insert(key, big_route(key, generation)));
    }
}

/// The calling thread's time on a CPU and time spent runnable but waiting
/// for one, in ns (Linux only; `None` elsewhere).
fn cpu_times() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut fields = stat.split_whitespace().map(|f| f.parse::<u64>().ok());
    Some((fields.next()??, fields.next()??))
}

/// What a thread did during a run, in ns.
#[derive(Clone, Copy)]
struct Cpu {
    running: u64,
    waiting_for_cpu: u64,
}

/// Runs `f`, and returns its result with the calling thread's CPU times.
fn measured<R>(f: impl FnOnce() -> R) -> (R, Option<Cpu>) {
    let before = cpu_times();
    let out = f();
    let cpu = before.zip(cpu_times()).map(|(b, a)| Cpu {
        running: a.0 - b.0,
        waiting_for_cpu: a.1 - b.1,
    });
    (out, cpu)
}

struct Outcome {
    reads_per_sec: f64,
    updates_per_sec: f64,
    /// Shares of the run (on a CPU, waiting for a CPU), averaged over the
    /// reader threads; `None` off Linux.
    reader: Option<(f64, f64)>,
    /// The same for the writer.
    writer: Option<(f64, f64)>,
}

fn run(
    shared: Arc<dyn Shared>,
    keys: u64,
    readers: usize,
    secs: f64,
    updates_per_sec: f64,
) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for r in 0..readers {
        let (shared, stop, reads) = (shared.clone(), stop.clone(), reads.clone());
        handles.push(thread::spawn(move || {
            measured(|| {
                let mut n = 0u64;
                let mut i = r as u64 * 7919;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..64 {
                        i = (i + 7919) % keys;
                        black_box(shared.read(i));
                    }
                    n += 64;
                }
                reads.fetch_add(n, Ordering::Relaxed);
            })
            .1
        }));
    }
    let writer = {
        let (shared, stop) = (shared.clone(), stop.clone());
        thread::spawn(move || {
            measured(|| {
                let start = Instant::now();
                let mut generation = 0;
                while !stop.load(Ordering::Relaxed) {
                    generation += 1;
                    shared.update(generation);
                    if updates_per_sec > 0.0 {
                        // The next update is due at a fixed rate; sleep until then.
                        let due =
                            start + Duration::from_secs_f64(generation as f64 / updates_per_sec);
                        thread::sleep(due.saturating_duration_since(Instant::now()));
                    }
                }
                generation
            })
        })
    };
    let t0 = Instant::now();
    thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let (updates, writer_cpu) = writer.join().unwrap();
    let reader_cpu: Vec<Option<Cpu>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let elapsed = t0.elapsed().as_secs_f64();
    let share = |ns: u64| ns as f64 / 1e9 / elapsed;
    let reader = reader_cpu
        .iter()
        .copied()
        .collect::<Option<Vec<Cpu>>>()
        .map(|cpus| {
            let n = cpus.len() as f64;
            let running: u64 = cpus.iter().map(|c| c.running).sum();
            let waiting: u64 = cpus.iter().map(|c| c.waiting_for_cpu).sum();
            (share(running) / n, share(waiting) / n)
        });
    Outcome {
        reads_per_sec: reads.load(Ordering::Relaxed) as f64 / elapsed,
        updates_per_sec: updates as f64 / elapsed,
        reader,
        writer: writer_cpu.map(|c| (share(c.running), share(c.waiting_for_cpu))),
    }
}

fn print_row(name: &str, o: &Outcome) {
    println!(
        "{:<26} {:>14.0} {:>10.0}   {:>22}   {:>22}",
        name,
        o.reads_per_sec,
        o.updates_per_sec,
        cpu_note(o.reader),
        cpu_note(o.writer)
    );
}

/// "97% /   1%" (on a CPU / waiting for a CPU), or "n/a" off Linux.
fn cpu_note(cpu: Option<(f64, f64)>) -> String {
    cpu.map_or_else(
        || "n/a".to_string(),
        |(running, waiting)| format!("{:>3.0}% / {:>3.0}%", running * 100.0, waiting * 100.0),
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: f64 = args
        .next()
        .map_or(2.0, |s| s.parse().expect("seconds per run"));
    let readers: usize = args.next().map_or_else(
        || thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
        |s| s.parse().expect("reader threads"),
    );
    let updates_per_sec: f64 = args.next().map_or(0.0, |s| {
        s.parse().expect("updates per second (0: back to back)")
    });
    let pace = if updates_per_sec > 0.0 {
        format!("{updates_per_sec} times a second")
    } else {
        "back to back".to_string()
    };
    let mut scratch = table();
    let t0 = Instant::now();
    for generation in 0..200 {
        rebuild(black_box(&mut scratch), generation);
    }
    let rebuild_us = t0.elapsed().as_secs_f64() / 200.0 * 1e6;
    println!(
        "routing table of {ROUTES} routes, {readers} reader thread(s), 1 writer rebuilding the \
         table {pace} (one rebuild alone: {rebuild_us:.1} µs), {secs} s per run\n"
    );

    let locked: Arc<dyn Shared> = Arc::new(Locked(RwLock::new(table())));
    let cow: Arc<dyn Shared> = Arc::new(CopyOnWrite(CowCell::new(table())));

    println!(
        "{:<26} {:>14} {:>10}   {:>22}   {:>22}",
        "", "reads/s", "updates/s", "reader: on CPU / wait", "writer: on CPU / wait"
    );
    let mut results = Vec::new();
    for shared in [locked, cow] {
        let o = run(
            shared.clone(),
            ROUTES as u64,
            readers,
            secs,
            updates_per_sec,
        );
        print_row(shared.name(), &o);
        results.push(o);
    }
    println!(
        "\nCowCell / Arc<RwLock<T>> reader throughput: {:.2}x",
        results[1].reads_per_sec / results[0].reads_per_sec
    );

    println!(
        "\nbig routing table: {BIG_ROUTES} routes, one route changed per update ({pace}), \
         {readers} reader thread(s)\n"
    );
    let big: HashMap<u64, Route> = (0..BIG_ROUTES).map(|k| (k, big_route(k, 0))).collect();
    let big_cow: CowMap<u64, Route> = big.iter().map(|(&k, r)| (k, r.clone())).collect();
    let contenders: [Arc<dyn Shared>; 3] = [
        Arc::new(BigLocked(RwLock::new(big.clone()))),
        Arc::new(BigCowHash(CowCell::new(big))),
        Arc::new(BigCowMap(CowCell::new(big_cow))),
    ];
    println!(
        "{:<26} {:>14} {:>10}   {:>22}   {:>22}",
        "", "reads/s", "updates/s", "reader: on CPU / wait", "writer: on CPU / wait"
    );
    let mut big_results = Vec::new();
    for shared in contenders {
        let o = run(shared.clone(), BIG_ROUTES, readers, secs, updates_per_sec);
        print_row(shared.name(), &o);
        big_results.push(o);
    }
    println!(
        "\nCowCell<CowMap> / Arc<RwLock<HashMap>>: reader throughput {:.2}x, updates {:.2}x; \
         updates over CowCell<HashMap>'s: {:.0}x",
        big_results[2].reads_per_sec / big_results[0].reads_per_sec,
        big_results[2].updates_per_sec / big_results[0].updates_per_sec,
        big_results[2].updates_per_sec / big_results[1].updates_per_sec.max(1e-9),
    );
    results.extend(big_results);
    // "wait": runnable, but waiting for a CPU that another process had.
    let waited = results
        .iter()
        .flat_map(|o| [o.reader, o.writer])
        .flatten()
        .map(|(_, waiting)| waiting)
        .fold(0.0, f64::max);
    if waited > 0.1 {
        println!(
            "\nwarning: a thread spent {:.0}% of a run waiting for a CPU: the machine is busy, \
             so the readers and the writer took turns instead of running at once, and the \
             ratio above measures the scheduler more than the lock. Rerun on an idle machine.",
            waited * 100.0
        );
    }
}
