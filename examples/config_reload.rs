//! A hot-reloaded configuration served to reader threads, as a service would
//! do it with `arcow::CowCell`.
//!
//! - Request threads read the configuration on every request with
//!   `CowCell::load` (wait-free, no lock) and never see a half-made one.
//! - A background reloader replaces the whole configuration now and then with
//!   `CowCell::store` (as if re-read from a file).
//! - An admin thread changes one field with `CowCell::update`: the config is
//!   made of `Cow`/`CowVec` fields, so that clone is shallow and only the
//!   field written is copied.
//! - A long-running job takes a `snapshot` and keeps working on a consistent
//!   configuration while the others change it.
//!
//! Run: `cargo run --release --example config_reload`

use arcow::{Cow, CowCell, CowVec};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
struct Config {
    /// Bumped by every reload and every admin change.
    version: u64,
    /// Large and rarely changed: shared between versions until written.
    allowed_clients: CowVec<u64>,
    /// Small and often changed.
    rate_limit: u32,
    /// Stays shared across admin updates that do not touch it.
    banner: Cow<String>,
}

fn load_from_disk(version: u64) -> Config {
    Config {
        version,
        allowed_clients: (0..100_000).collect(),
        rate_limit: 100,
        banner: Cow::new(format!("config v{version}")),
    }
}

fn main() {
    let config = Arc::new(CowCell::new(load_from_disk(1)));
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicU64::new(0));
    let versions_seen = Arc::new(AtomicU64::new(0));

    // Request threads.
    let mut threads = Vec::new();
    for worker in 0..2u64 {
        let (config, stop, served, seen) = (
            config.clone(),
            stop.clone(),
            served.clone(),
            versions_seen.clone(),
        );
        threads.push(thread::spawn(move || {
            let mut last = 0;
            let mut n = 0u64;
            let mut client = worker;
            while !stop.load(Ordering::Relaxed) {
                let cfg = config.load(); // wait-free
                assert!(cfg.version >= last, "versions only move forward");
                if cfg.version != last {
                    last = cfg.version;
                    seen.fetch_add(1, Ordering::Relaxed);
                }
                client = (client + 7919) % 100_000;
                let allowed = cfg.allowed_clients.binary_search(&client).is_ok();
                assert!(allowed && cfg.rate_limit >= 100);
                n += 1;
            }
            served.fetch_add(n, Ordering::Relaxed);
        }));
    }

    // A long-running job on one consistent snapshot.
    let snapshot = config.snapshot();

    // The reloader: a whole new configuration every 50 ms.
    let reloader = {
        let (config, stop) = (config.clone(), stop.clone());
        thread::spawn(move || {
            let mut reloads = 0;
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(50));
                let next_version = config.load().version + 1;
                config.store(load_from_disk(next_version)); // publish
                reloads += 1;
            }
            reloads
        })
    };

    // Admin changes: one small field. The clone inside `update` copies the
    // struct's handles, not the 100,000 clients.
    let t0 = Instant::now();
    let mut admin_updates = 0;
    while t0.elapsed() < Duration::from_secs(1) {
        config.update(|c| {
            c.version += 1;
            c.rate_limit += 1;
        });
        admin_updates += 1;
        thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    let reloads = reloader.join().unwrap();
    for t in threads {
        t.join().unwrap();
    }

    let now = config.load();
    println!(
        "requests served:           {}",
        served.load(Ordering::Relaxed)
    );
    println!("reloads / admin updates:   {reloads} / {admin_updates}");
    println!(
        "config versions observed:  {}",
        versions_seen.load(Ordering::Relaxed)
    );
    println!(
        "current config:            v{} ({}), rate limit {}",
        now.version, now.banner, now.rate_limit
    );
    println!(
        "snapshot kept by the job:  v{} ({}), rate limit {}",
        snapshot.version, snapshot.banner, snapshot.rate_limit
    );
    assert_eq!(snapshot.version, 1, "a snapshot never changes");
    assert_eq!(snapshot.allowed_clients.len(), 100_000);

    // Path copying: an update of one field leaves the others shared.
    drop(now);
    let before = config.snapshot();
    config.update(|c| c.rate_limit += 1);
    let after = config.snapshot();
    let copied = !before.allowed_clients.ptr_eq(&after.allowed_clients);
    println!("did the rate-limit update copy the 100,000 clients? {copied}");
    assert!(!copied && Cow::ptr_eq(&before.banner, &after.banner));
}
