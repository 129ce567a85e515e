//! A configuration file watched by a tokio task and served to worker tasks
//! through an `arcow::CowCell`, the way `tokio::sync::watch` is often used,
//! without its lock.
//!
//! - The watcher task polls the file (its modification time and length, and
//!   its contents now and then, since a time stamp can be coarse), parses it
//!   (`key = value` lines), and publishes the new `Config` with
//!   `CowCell::store` only when the parsed value changed: a comment-only edit
//!   or a file that does not parse publishes nothing.
//! - Worker tasks take an owned `snapshot()` and hold it across `.await`
//!   while they serve requests (a `watch::Ref` must not be; it holds a read
//!   lock that blocks the sender), then wait for the next reload with
//!   `config.changed(v).await`, which never misses a publish made after they
//!   read version `v`.
//! - `main` rewrites the file a few times itself (atomically: a temporary
//!   file and a rename), so the example runs unattended, then checks that
//!   every worker ended on the final configuration.
//!
//! Run: `cargo run --release --example config_watcher`

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arcow::{Cow, CowCell};

/// How often the watcher looks at the file's metadata.
const POLL: Duration = Duration::from_millis(10);

/// How often it reads the contents even if the metadata did not change.
const REREAD: Duration = Duration::from_millis(100);

/// How long `main` waits for the watcher to publish a change.
const RELOAD_WITHIN: Duration = Duration::from_secs(5);

#[derive(Clone, Debug, PartialEq)]
struct Config {
    revision: u64,
    greeting: String,
    max_connections: u32,
    features: Vec<String>,
}

/// Parses `key = value` lines; blank lines and `#` comments are skipped.
/// Every key is required and unknown keys are errors, so a half-written
/// file is refused rather than half applied.
fn parse(text: &str) -> Result<Config, String> {
    let (mut revision, mut greeting, mut max_connections, mut features) = (None, None, None, None);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: expected `key = value`", n + 1))?;
        let (key, value) = (key.trim(), value.trim());
        let bad = |e: &dyn std::fmt::Display| format!("line {}: {key}: {e}", n + 1);
        match key {
            "revision" => revision = Some(value.parse().map_err(|e| bad(&e))?),
            "greeting" => greeting = Some(value.to_string()),
            "max_connections" => max_connections = Some(value.parse().map_err(|e| bad(&e))?),
            "features" => {
                features = Some(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|f| !f.is_empty())
                        .map(String::from)
                        .collect(),
                )
            }
            _ => return Err(format!("line {}: unknown key `{key}`", n + 1)),
        }
    }
    let missing = |key: &str| format!("missing `{key}`");
    Ok(Config {
        revision: revision.ok_or_else(|| missing("revision"))?,
        greeting: greeting.ok_or_else(|| missing("greeting"))?,
        max_connections: max_connections.ok_or_else(|| missing("max_connections"))?,
        features: features.ok_or_else(|| missing("features"))?,
    })
}

/// Replaces the file's contents in one step: readers see the old file or
/// the new one, never a half-written one.
fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write the temporary file");
    std::fs::rename(&tmp, path).expect("rename it over the config file");
}

/// The watcher task: polls `path` and publishes each new configuration,
/// until `stop` is set. `text` is what the current configuration was
/// parsed from.
async fn watch_file(
    path: PathBuf,
    mut text: String,
    config: Arc<CowCell<Config>>,
    stop: Arc<CowCell<bool>>,
) {
    // What the file looked like when last read: (modified, length) and the
    // time of that read.
    let mut stamp: Option<(SystemTime, u64)> = None;
    let mut read_at = Instant::now();
    let mut ticker = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            biased;
            _ = stop.changed(0) => return,
            _ = ticker.tick() => {}
        }
        let Ok(meta) = tokio::fs::metadata(&path).await else {
            continue; // gone for a moment: keep the current config
        };
        let now_stamp = meta.modified().ok().map(|m| (m, meta.len()));
        if now_stamp.is_some() && now_stamp == stamp && read_at.elapsed() < REREAD {
            continue;
        }
        let Ok(new_text) = tokio::fs::read_to_string(&path).await else {
            continue;
        };
        (stamp, read_at) = (now_stamp, Instant::now());
        if new_text == text {
            continue;
        }
        text = new_text;
        match parse(&text) {
            // Only a real change is published (this task is the only
            // writer, so nothing changes between the comparison and the
            // store).
            Ok(parsed) if *config.load() != parsed => {
                println!("watcher: publishing revision {}", parsed.revision);
                config.store(parsed); // one atomic swap; readers never wait
            }
            Ok(_) => println!("watcher: file rewritten, same configuration: nothing published"),
            Err(e) => println!("watcher: {e}; keeping revision {}", config.load().revision),
        }
    }
}

/// A worker: serves "requests" on an owned snapshot, then waits for the
/// next reload, until `stop` is set. Returns the revisions it worked on
/// and the last configuration it saw.
async fn worker(
    id: usize,
    config: Arc<CowCell<Config>>,
    stop: Arc<CowCell<bool>>,
) -> (Vec<u64>, Cow<Config>) {
    let mut seen = Vec::new();
    // The version first, then the snapshot: the snapshot is at least as
    // new as `v`, so nothing published after this line is missed.
    let mut v = config.version();
    loop {
        let cfg = config.snapshot(); // owned: kept across the awaits below
        seen.push(cfg.revision);
        let mut served = 0;
        for _ in 0..3 {
            // A request: it reads the config before and after an await,
            // and sees one consistent revision throughout.
            let limit = cfg.max_connections;
            tokio::time::sleep(Duration::from_millis(3 + id as u64)).await;
            assert_eq!(cfg.max_connections, limit);
            served += 1;
        }
        println!(
            "worker {id}: revision {} (greeting {:?}, max_connections {}, features {:?}), \
             {served} requests served",
            cfg.revision, cfg.greeting, cfg.max_connections, cfg.features
        );
        tokio::select! {
            // A reload first: a worker told to stop still takes a config
            // published before the stop.
            biased;
            now = config.changed(v) => v = now,
            _ = stop.changed(0) => return (seen, cfg),
        }
    }
}

/// Waits until the watcher has published `revision` (or a later one).
async fn published(config: &CowCell<Config>, revision: u64) {
    let wait = async {
        let mut v = config.version();
        while config.load().revision < revision {
            v = config.changed(v).await;
        }
    };
    tokio::time::timeout(RELOAD_WITHIN, wait)
        .await
        .unwrap_or_else(|_| panic!("revision {revision} was not published"));
}

#[tokio::main]
async fn main() {
    let path =
        std::env::temp_dir().join(format!("arcow-config-watcher-{}.conf", std::process::id()));
    let files = [
        "# first version\nrevision = 1\ngreeting = hello\nmax_connections = 100\nfeatures = search\n",
        "revision = 2\ngreeting = hi there\nmax_connections = 100\nfeatures = search\n",
        // Only a comment differs from revision 2: nothing to publish.
        "# tuned later\nrevision = 2\ngreeting = hi there\nmax_connections = 100\nfeatures = search\n",
        // Does not parse: the watcher keeps revision 2.
        "revision = 3\ngreeting = hi there\nmax_connections = lots\nfeatures = search\n",
        "revision = 3\ngreeting = hi there\nmax_connections = 250\nfeatures = search\n",
        "revision = 4\ngreeting = welcome\nmax_connections = 250\nfeatures = search, dark-mode\n",
    ];
    write_atomically(&path, files[0]);
    let text = std::fs::read_to_string(&path).unwrap();
    let config = Arc::new(CowCell::new(parse(&text).unwrap()));
    let stop = Arc::new(CowCell::new(false));

    let watcher = tokio::spawn(watch_file(path.clone(), text, config.clone(), stop.clone()));
    let workers: Vec<_> = (1..=3)
        .map(|id| tokio::spawn(worker(id, config.clone(), stop.clone())))
        .collect();

    tokio::time::sleep(Duration::from_millis(30)).await;
    for text in &files[1..] {
        let before = config.version();
        write_atomically(&path, text);
        match parse(text) {
            Ok(next) if next.revision > config.load().revision => {
                published(&config, next.revision).await
            }
            _ => {
                // Give the watcher time to look at it; it must not publish.
                tokio::time::sleep(REREAD * 2).await;
                assert_eq!(
                    config.version(),
                    before,
                    "a no-op or broken file was published"
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    stop.store(true);
    watcher.await.unwrap();
    let last = config.snapshot();
    let expected = parse(files.last().unwrap()).unwrap();
    assert_eq!(*last, expected);
    assert_eq!(config.version(), 3, "revisions 2, 3 and 4: three publishes");
    for (id, w) in (1..).zip(workers) {
        let (seen, final_cfg) = w.await.unwrap();
        println!("worker {id} worked on revisions {seen:?}");
        // Possibly one revision twice (a reload that came in between the
        // version and the snapshot), never an older one after a newer.
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "never an older one");
        assert_eq!(
            *final_cfg, expected,
            "worker {id} ended on the final config"
        );
    }
    std::fs::remove_file(&path).ok();
    println!(
        "final: revision {} ({:?}, max_connections {}, features {:?})",
        last.revision, last.greeting, last.max_connections, last.features
    );
}
