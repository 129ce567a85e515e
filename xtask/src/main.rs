//! `cargo xtask bench-report`: runs arcow's benches and writes
//! docs/benchmarks.md and its figures (docs/img/*.svg) from the results.

mod data;
mod notes;
mod plot;
mod render;
mod targets;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use data::RunInfo;

const USAGE: &str = "\
usage: cargo xtask bench-report [options]

Runs the criterion benches (cow, vec, paged, cell, map, string),
cell_contention, cell_watch and map_targets (CowMap's targets, interleaved),
then writes docs/benchmarks.md and docs/img/*.svg from their results. A full
run takes about 30 minutes on 2 cores.

options:
  --quick                 a smoke pass (very short measurements; numbers are not results)
  --from-existing         run nothing: regenerate from target/criterion (baselines
  --no-run                report-<bench>) and target/bench-report/ of an earlier run
  --warm-up-time S        criterion warm-up per bench, seconds (default 1; quick 0.1)
  --measurement-time S    criterion measurement per bench, seconds (default 3; quick 0.2)
  --sample-size N         criterion samples per bench (default criterion's 100; quick 10)
  --contention-secs S     cell_contention and cell_watch seconds per run (default 1; quick 0.1)
  --contention-rounds N   cell_contention and cell_watch rounds (default 3; quick 1)
  --watch-wakes N         cell_watch wake-ups per latency run (default 1000; quick 100)
  --map-rounds N          map_targets rounds (default 15; quick 1)
  --out DIR               write DIR/benchmarks.md and DIR/img/ instead of docs/";

/// The criterion benches, in report order.
const BENCHES: [&str; 6] = ["cow", "vec", "paged", "cell", "map", "string"];

struct Options {
    quick: bool,
    from_existing: bool,
    warm_up: String,
    measurement: String,
    sample_size: Option<String>,
    contention_secs: String,
    contention_rounds: String,
    watch_wakes: String,
    map_rounds: String,
    out: Option<PathBuf>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut o = Options {
            quick,
            from_existing: false,
            warm_up: if quick { "0.1" } else { "1" }.into(),
            measurement: if quick { "0.2" } else { "3" }.into(),
            sample_size: quick.then(|| "10".into()),
            contention_secs: if quick { "0.1" } else { "1" }.into(),
            contention_rounds: if quick { "1" } else { "3" }.into(),
            watch_wakes: if quick { "100" } else { "1000" }.into(),
            map_rounds: if quick { "1" } else { "15" }.into(),
            out: None,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = |check: fn(&str) -> bool| {
                it.next()
                    .filter(|v| check(v))
                    .cloned()
                    .ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"))
            };
            let secs = |v: &str| v.parse::<f64>().is_ok_and(|x| x > 0.0);
            let count = |v: &str| v.parse::<u32>().is_ok_and(|x| x > 0);
            match arg.as_str() {
                "--quick" => {}
                "--from-existing" | "--no-run" => o.from_existing = true,
                "--warm-up-time" => o.warm_up = value(secs)?,
                "--measurement-time" => o.measurement = value(secs)?,
                "--sample-size" => o.sample_size = Some(value(count)?),
                "--contention-secs" => o.contention_secs = value(secs)?,
                "--contention-rounds" => o.contention_rounds = value(count)?,
                "--watch-wakes" => o.watch_wakes = value(count)?,
                "--map-rounds" => o.map_rounds = value(count)?,
                "--out" => o.out = Some(PathBuf::from(value(|_| true)?)),
                "-h" | "--help" => return Err(USAGE.into()),
                other => return Err(format!("unknown option {other}\n\n{USAGE}")),
            }
        }
        Ok(o)
    }

    /// What follows `--` for criterion.
    fn criterion_args(&self, bench: &str) -> Vec<String> {
        let mut a = vec![
            "--save-baseline".to_string(),
            data::baseline(bench),
            "--noplot".into(),
            "--warm-up-time".into(),
            self.warm_up.clone(),
            "--measurement-time".into(),
            self.measurement.clone(),
        ];
        if let Some(n) = &self.sample_size {
            a.extend(["--sample-size".into(), n.clone()]);
        }
        if self.quick {
            a.extend(["--nresamples".into(), "1000".into()]);
        }
        a
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bench-report") => bench_report(&args[1..]),
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Where things are: the workspace, criterion's results, the report's own files.
struct Paths {
    root: PathBuf,
    criterion: PathBuf,
    report: PathBuf,
}

impl Paths {
    fn find() -> Paths {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask/ is inside the workspace")
            .to_path_buf();
        // As cargo and criterion decide: CARGO_TARGET_DIR (relative to the
        // current directory), else target/ of the workspace; CRITERION_HOME
        // overrides criterion's folder.
        let cwd = std::env::current_dir().unwrap_or_else(|_| root.clone());
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| root.join("target"), |t| cwd.join(t));
        let criterion = std::env::var_os("CRITERION_HOME")
            .map_or_else(|| target.join("criterion"), |c| cwd.join(c));
        Paths {
            root,
            criterion,
            report: target.join("bench-report"),
        }
    }
}

fn bench_report(args: &[String]) -> Result<(), String> {
    let opts = Options::parse(args)?;
    let paths = Paths::find();
    if !opts.from_existing {
        run(&opts, args, &paths)?;
    }
    let results = data::load(&paths.criterion, &paths.report, &BENCHES)?;
    if results.criterion.iter().all(|(_, e)| e.is_empty())
        && results.contention.is_none()
        && results.map_targets.is_none()
        && results.targets.is_none()
        && results.watch.is_none()
    {
        return Err(format!(
            "no results to report: no report-<bench> baselines under {} and no {}; \
             run `cargo xtask bench-report` (or `--quick`) first",
            paths.criterion.display(),
            paths.report.join("contention.json").display()
        ));
    }
    let out = opts.out.clone().unwrap_or_else(|| paths.root.join("docs"));
    let written = write_report(&results, &out)?;
    println!("wrote {written}");
    Ok(())
}

/// Writes `out/benchmarks.md` and its figures in `out/img/`; returns the
/// document's path.
fn write_report(results: &data::Results, out: &Path) -> Result<String, String> {
    let img = out.join("img");
    fs::create_dir_all(&img).map_err(|e| format!("{}: {e}", img.display()))?;
    let mut figures = render::Figures::default();
    let save = |name: &str, svg: Option<String>| -> Result<Option<String>, String> {
        let Some(svg) = svg else { return Ok(None) };
        let path = img.join(name);
        fs::write(&path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Some(format!("img/{name}")))
    };
    let lines = plot::first_write_lines(results);
    let first_write = if lines.is_empty() {
        None
    } else {
        Some(plot::first_write_svg(&lines)?)
    };
    figures.first_write = save("first_write.svg", first_write)?;
    let lines = plot::map_first_write_lines(results);
    let map_first_write = if lines.is_empty() {
        None
    } else {
        Some(plot::map_first_write_svg(&lines)?)
    };
    figures.map_first_write = save("map_first_write.svg", map_first_write)?;
    if let Some(c) = &results.contention {
        figures.latency = save("reader_latency.svg", plot::latency_svg(c)?)?;
        figures.sweep = save("reader_sweep.svg", plot::sweep_svg(c)?)?;
    }
    let doc = out.join("benchmarks.md");
    fs::write(&doc, render::render(results, &figures))
        .map_err(|e| format!("{}: {e}", doc.display()))?;
    Ok(doc.display().to_string())
}

/// Runs every bench and records the run in `report/run.json`.
fn run(opts: &Options, args: &[String], paths: &Paths) -> Result<(), String> {
    let started = Instant::now();
    fs::create_dir_all(&paths.report).map_err(|e| format!("{}: {e}", paths.report.display()))?;
    let run_json = paths.report.join("run.json");
    let contention_json = paths.report.join("contention.json");
    let map_json = paths.report.join("map_targets.json");
    let targets_json = paths.report.join(data::TARGETS_JSON);
    let watch_json = paths.report.join(data::WATCH_JSON);
    for stale in [
        &run_json,
        &contention_json,
        &map_json,
        &targets_json,
        &watch_json,
    ] {
        let _ = fs::remove_file(stale);
    }
    let mut info = RunInfo {
        command: format!("cargo xtask bench-report {}", args.join(" "))
            .trim_end()
            .to_string(),
        cpu: cpu_model(),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        rustc: output("rustc", &["-V"]),
        libc: output("getconf", &["GNU_LIBC_VERSION"]),
        kernel: read_trimmed("/proc/sys/kernel/osrelease"),
        commit: commit(&paths.root),
        load_start: load_average(),
        started: utc(SystemTime::now()),
        quick: opts.quick,
        ..RunInfo::default()
    };

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cargo_run = |args: Vec<String>, env: &[(&str, String)]| -> Result<(), String> {
        let shown: Vec<String> = env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .chain(std::iter::once("cargo".into()))
            .chain(args.iter().cloned())
            .collect();
        let shown = shown.join(" ");
        eprintln!("\n==> {shown}");
        let status = Command::new(&cargo)
            .args(&args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(&paths.root)
            .status()
            .map_err(|e| format!("{shown}: {e}"))?;
        if !status.success() {
            return Err(format!("{shown}: {status}"));
        }
        info.commands.push(shown);
        Ok(())
    };
    let strings = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    // Relative to the workspace, where cargo runs the bench, so the command
    // in the report names no machine's folders.
    let relative = |path: &Path| {
        path.strip_prefix(&paths.root)
            .unwrap_or(path)
            .display()
            .to_string()
    };

    cargo_run(
        strings(&["bench", "-p", "arcow", "--benches", "--no-run"]),
        &[],
    )?;
    for bench in BENCHES {
        data::remove_baseline(&paths.criterion, bench)?;
        let mut a = strings(&["bench", "-p", "arcow", "--bench", bench, "--"]);
        a.extend(opts.criterion_args(bench));
        cargo_run(a, &[])?;
    }
    cargo_run(
        strings(&["bench", "-p", "arcow", "--bench", "cell_contention"]),
        &[
            ("ARCOW_CONTENTION_JSON", relative(&contention_json)),
            ("ARCOW_CONTENTION_SECS", opts.contention_secs.clone()),
            ("ARCOW_CONTENTION_ROUNDS", opts.contention_rounds.clone()),
        ],
    )?;
    cargo_run(
        strings(&["bench", "-p", "arcow", "--bench", "cell_watch"]),
        &[
            ("ARCOW_WATCH_JSON", relative(&watch_json)),
            ("ARCOW_WATCH_SECS", opts.contention_secs.clone()),
            ("ARCOW_WATCH_ROUNDS", opts.contention_rounds.clone()),
            ("ARCOW_WATCH_WAKES", opts.watch_wakes.clone()),
        ],
    )?;
    cargo_run(
        strings(&["bench", "-p", "arcow", "--bench", "map_targets"]),
        &[
            ("ARCOW_MAP_TARGETS_JSON", relative(&map_json)),
            ("ARCOW_ROUNDS", opts.map_rounds.clone()),
        ],
    )?;
    // The other targets, interleaved: the target table's figures.
    cargo_run(
        strings(&["bench", "-p", "arcow", "--bench", "targets"]),
        &[
            ("ARCOW_TARGETS_JSON", relative(&targets_json)),
            ("ARCOW_ROUNDS", opts.map_rounds.clone()),
        ],
    )?;

    info.load_end = load_average();
    info.seconds = started.elapsed().as_secs_f64();
    let text = serde_json::to_string_pretty(&info.to_json()).map_err(|e| e.to_string())?;
    fs::write(&run_json, text + "\n").map_err(|e| format!("{}: {e}", run_json.display()))?;
    Ok(())
}

fn read_trimmed(path: &str) -> String {
    fs::read_to_string(path).map_or_else(|_| "unknown".into(), |s| s.trim().to_string())
}

/// A command's first line of output, or "unknown".
fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The CPU model from /proc/cpuinfo, noting a virtual machine.
fn cpu_model() -> String {
    let info = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let model = field("model name").unwrap_or_else(|| "unknown CPU".into());
    let vm = field("flags").is_some_and(|f| f.split_whitespace().any(|x| x == "hypervisor"));
    if vm {
        format!("{model} (virtual machine)")
    } else {
        model
    }
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// `git rev-parse --short HEAD`, noting uncommitted changes to tracked files.
fn commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(head) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(s) if !s.is_empty() => format!("{head} (with uncommitted changes)"),
        _ => head,
    }
}

/// `YYYY-MM-DD HH:MM` in UTC.
fn utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests;
