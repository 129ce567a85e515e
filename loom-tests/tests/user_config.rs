//! A user's own loom model, written the way someone who moved
//! `Arc<RwLock<Config>>` to `CowCell<Config>` would check their code
//! (docs/loom.md says how to build arcow under `--cfg loom` in your crate).
//!
//! The config: a counter of reloads and the names of the backends, kept in
//! step by every writer (one name per reload). Under `cfg(loom)` arcow takes
//! its atomics, the writers' lock and its thread-locals from loom, and the
//! cell's arc-swap slot is a loom-visible stand-in, so loom explores the
//! interleavings of the user's code with the cell's own.
//!
//! - `load_then_store_loses_an_update`: the read-modify-write a user could
//!   write outside `update` (`load`, clone, change, `store`). Two threads
//!   doing it can both read the old value, and one reload is lost. loom must
//!   find that interleaving: the test runs the model under `catch_unwind`
//!   and fails if the model passes, or fails for any other reason than the
//!   lost update, as `scripts/loom-weaken` does for weakened orderings.
//! - `update_loses_nothing`: the same two writers with `update`: it passes.
//! - `snapshots_are_never_torn`: a reader's snapshots always show the two
//!   fields in step, and a later snapshot is never older.
//! - `watcher_sees_the_reload`: a watcher waiting with `changed` (under
//!   loom, driven by `loom::future::block_on`) never misses a reload.
#![cfg(loom)]

use arcow::{cow_vec, CowCell, CowVec};
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;
use loom_tests::model;

/// The user's config: `names` holds one entry per reload counted in
/// `counter`, which every writer keeps.
#[derive(Clone, Debug)]
struct Config {
    counter: u64,
    names: CowVec<String>,
}

impl Config {
    fn new() -> Config {
        Config {
            counter: 0,
            names: cow_vec![],
        }
    }

    /// One reload: counts it and records the backend's name.
    fn reload(&mut self, name: &str) {
        self.counter += 1;
        self.names.push(name.to_owned());
    }

    /// The fields are in step.
    fn check(&self) {
        assert_eq!(
            self.names.len() as u64,
            self.counter,
            "torn config: {self:?}"
        );
    }
}

/// The bug: read, modify and write back outside `update`. Another writer's
/// `store` between this thread's `load` and its `store` is overwritten.
fn reload_with_load_and_store(cell: &CowCell<Config>, name: &str) {
    let mut c = (*cell.load()).clone();
    c.reload(name);
    cell.store(c);
}

/// The fix: `update` runs the change on the current value under the
/// writers' lock, so no other writer can come in between.
fn reload_with_update(cell: &CowCell<Config>, name: &str) {
    cell.update(|c| c.reload(name));
}

/// Two threads reload once each, with `reload`; the final config must count
/// both.
fn two_reloads(reload: fn(&CowCell<Config>, &str)) {
    let cell = Arc::new(CowCell::new(Config::new()));
    let c2 = cell.clone();
    let t = thread::spawn(move || reload(&c2, "b"));
    reload(&cell, "a");
    t.join().unwrap();
    let end = cell.snapshot();
    end.check();
    assert_eq!(end.counter, 2, "lost update: {end:?}");
}

/// loom finds the lost update of load + store: some interleaving ends with
/// a counter of 1, and that assertion is what fails.
#[test]
fn load_then_store_loses_an_update() {
    // A std atomic, invisible to loom: counts the interleavings loom ran.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let result = std::panic::catch_unwind(|| {
        model(|| {
            RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            two_reloads(reload_with_load_and_store)
        })
    });
    let payload = match result {
        Ok(()) => panic!(
            "loom explored every interleaving of load + clone + store in two threads \
             and found no lost update: the model no longer checks anything"
        ),
        Err(payload) => payload,
    };
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("<a panic without a message>");
    assert!(
        message.contains("lost update") && message.contains("counter: 1"),
        "loom failed the buggy model, but not on the lost update: {message}"
    );
    eprintln!(
        "loom: load_then_store_loses_an_update: the lost update found at interleaving {} \
         (expected, as above)",
        RUNS.load(std::sync::atomic::Ordering::Relaxed)
    );
}

/// The same two writers with `update`: no interleaving loses a reload.
#[test]
fn update_loses_nothing() {
    model(|| two_reloads(reload_with_update));
}

/// A reader takes two snapshots while a writer reloads twice: each snapshot
/// has its fields in step (the writer's half-made value is never seen), and
/// the second is at least as new as the first.
#[test]
fn snapshots_are_never_torn() {
    model(|| {
        let cell = Arc::new(CowCell::new(Config::new()));
        let c2 = cell.clone();
        let reader = thread::spawn(move || {
            let first = c2.snapshot();
            first.check();
            let second = c2.snapshot();
            second.check();
            assert!(
                second.counter >= first.counter,
                "went back: {first:?}, then {second:?}"
            );
        });
        reload_with_update(&cell, "a");
        reload_with_update(&cell, "b");
        reader.join().unwrap();
        assert_eq!(cell.load().counter, 2);
    });
}

/// A watcher that read the version, then waits for a change, is woken by a
/// reload that races its wait, and its snapshot then shows the reload.
#[test]
fn watcher_sees_the_reload() {
    model(|| {
        let cell = Arc::new(CowCell::new(Config::new()));
        let c2 = cell.clone();
        let writer = thread::spawn(move || reload_with_update(&c2, "a"));
        let seen = cell.version();
        if seen == 0 {
            // loom's executor; `wait_changed(seen, Duration::MAX)` is the
            // blocking form (a finite timeout panics under loom).
            let now = block_on(cell.changed(seen));
            assert_eq!(now, 1);
        }
        let config = cell.snapshot();
        config.check();
        assert_eq!(config.counter, 1, "the watcher missed the reload");
        writer.join().unwrap();
    });
}
