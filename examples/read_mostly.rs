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
//! Run: `cargo run --release --example read_mostly`
//! (optional arguments: seconds per run, reader threads)

use arcow::CowCell;
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
/// of a configuration does (about 10 µs for the whole table).
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

struct Outcome {
    reads_per_sec: f64,
    updates_per_sec: f64,
}

fn run(shared: Arc<dyn Shared>, readers: usize, secs: f64) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for r in 0..readers {
        let (shared, stop, reads) = (shared.clone(), stop.clone(), reads.clone());
        handles.push(thread::spawn(move || {
            let mut n = 0u64;
            let mut i = r * 7919;
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..64 {
                    i = (i + 7919) % ROUTES;
                    black_box(shared.read(i as u64));
                }
                n += 64;
            }
            reads.fetch_add(n, Ordering::Relaxed);
        }));
    }
    let writer = {
        let (shared, stop) = (shared.clone(), stop.clone());
        thread::spawn(move || {
            let mut generation = 0;
            while !stop.load(Ordering::Relaxed) {
                generation += 1;
                shared.update(generation);
            }
            generation
        })
    };
    let t0 = Instant::now();
    thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let updates = writer.join().unwrap();
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = t0.elapsed().as_secs_f64();
    Outcome {
        reads_per_sec: reads.load(Ordering::Relaxed) as f64 / elapsed,
        updates_per_sec: updates as f64 / elapsed,
    }
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
    println!("routing table of {ROUTES} routes, {readers} reader thread(s), 1 writer rebuilding the table back to back, {secs} s per run\n");

    let locked: Arc<dyn Shared> = Arc::new(Locked(RwLock::new(table())));
    let cow: Arc<dyn Shared> = Arc::new(CopyOnWrite(CowCell::new(table())));

    println!("{:<26} {:>16} {:>14}", "", "reads/s", "updates/s");
    let mut results = Vec::new();
    for shared in [locked, cow] {
        let name = shared.name();
        let o = run(shared, readers, secs);
        println!(
            "{:<26} {:>16.0} {:>14.0}",
            name, o.reads_per_sec, o.updates_per_sec
        );
        results.push(o);
    }
    println!(
        "\nCowCell / Arc<RwLock<T>> reader throughput: {:.2}x",
        results[1].reads_per_sec / results[0].reads_per_sec
    );
}
