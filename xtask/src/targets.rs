//! The performance targets of the design, as checks on a run's numbers.

use crate::data::{Results, CHEAP_ANCHOR};

/// A target's figure in a run: a ratio (or, for `Check::Absolute`, a time in
/// ns), and, when it comes from interleaved rounds (benches/map_targets.rs,
/// the cheap writer of benches/cell_contention.rs), their spread.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    pub value: f64,
    /// `(least round, greatest round, rounds)`.
    pub interleaved: Option<(f64, f64, usize)>,
}

/// What a target compares.
pub enum Check {
    /// Criterion: median of `subject` / median of `anchor` in
    /// `bench`/`group` at `value` (lower is faster for `subject`).
    Time {
        bench: &'static str,
        group: &'static str,
        value: Option<&'static str>,
        subject: &'static str,
        anchor: &'static str,
    },
    /// benches/cell_contention.rs: `CowCell / anchor` under `writer`, for
    /// `metric` "reads" (throughput), "p99.9" or "p99.9 CO".
    Contention {
        writer: &'static str,
        metric: &'static str,
        anchor: &'static str,
    },
    /// benches/cell_contention.rs, the cheap writer: reads/s of
    /// `arcow::CowCell` / `arc_swap::ArcSwap (rcu)` on `value` under
    /// `writer` (`back-to-back` or `paced`); the bench runs the contenders
    /// in turn in each round, so the figure comes with its range.
    Cheap {
        value: &'static str,
        writer: &'static str,
    },
    /// benches/cell_watch.rs: `CowCell / tokio::sync::watch` in `part`
    /// (`reads` or `wake`) for `metric` (`reads`; `p50`, `p99`); the bench
    /// alternates the two each round, so the figure comes with its range.
    Watch {
        part: &'static str,
        metric: &'static str,
    },
    /// An absolute time in ns, not a ratio: `subject`'s median in
    /// `bench`/`group` at `value` (or its interleaved median, when the run
    /// has one).
    Absolute {
        bench: &'static str,
        group: &'static str,
        value: Option<&'static str>,
        subject: &'static str,
    },
}

/// The bar a ratio must clear.
#[derive(Clone, Copy)]
pub enum Bar {
    AtMost(f64),
    AtLeast(f64),
    /// No bar: the figure is reported for information (the design's target
    /// is checked elsewhere, e.g. by a test).
    Info,
}

impl Bar {
    /// Does `ratio` clear the bar? Always for `Info`, which has none.
    pub fn passes(self, ratio: f64) -> bool {
        match self {
            Bar::AtMost(max) => ratio <= max,
            Bar::AtLeast(min) => ratio >= min,
            Bar::Info => true,
        }
    }
}

pub struct Target {
    /// The target in words (the design's, shortened).
    pub text: &'static str,
    pub check: Check,
    pub bar: Bar,
}

impl Target {
    /// The measured ratio (a time in ns for `Check::Absolute`), if the run
    /// has the numbers: the interleaved rounds of benches/map_targets.rs
    /// when the run has them for this target, else criterion's medians;
    /// the cheap writer's median of per-round ratios and their range.
    pub fn measure(&self, r: &Results) -> Option<Measured> {
        let interleaved = |bench, group, value, subject, anchor| {
            let t = r.interleaved(bench, group, value, subject, anchor)?;
            t.median.is_finite().then_some(Measured {
                value: t.median,
                interleaved: Some((t.min, t.max, t.rounds)),
            })
        };
        let plain = |value: Option<f64>| {
            value.map(|value| Measured {
                value,
                interleaved: None,
            })
        };
        match self.check {
            Check::Time {
                bench,
                group,
                value,
                subject,
                anchor,
            } => interleaved(bench, group, value, subject, Some(anchor)).or_else(|| {
                let s = r.median(bench, group, subject, value)?;
                let a = r.median(bench, group, anchor, value)?;
                plain(Some(s / a))
            }),
            Check::Absolute {
                bench,
                group,
                value,
                subject,
            } => interleaved(bench, group, value, subject, None)
                .or_else(|| plain(r.median(bench, group, subject, value))),
            Check::Contention {
                writer,
                metric,
                anchor,
            } => {
                let c = r.contention.as_ref()?;
                let w = c.writers.iter().find(|w| w.name == writer)?;
                let ratio = w.ratios.iter().find(|x| x.anchor == anchor)?;
                let v = match metric {
                    "reads" => ratio.reads,
                    "p99.9" => ratio.p999,
                    "p99.9 CO" => ratio.p999_co,
                    _ => return None,
                };
                plain(v.is_finite().then_some(v))
            }
            Check::Watch { part, metric } => {
                let w = r.watch.as_ref()?;
                let spread = match (part, metric) {
                    ("reads", "reads") => w.reads.as_ref()?.reads,
                    ("wake", "p50") => w.wake.as_ref()?.p50,
                    ("wake", "p99") => w.wake.as_ref()?.p99,
                    _ => None,
                }?;
                spread.median.is_finite().then_some(Measured {
                    value: spread.median,
                    interleaved: Some((spread.min, spread.max, w.rounds)),
                })
            }
            Check::Cheap { value, writer } => {
                let c = r.contention.as_ref()?.cheap(value, writer)?;
                let x = c.ratios.iter().find(|x| x.name == CELL)?;
                let rounds = r.contention.as_ref().map_or(0, |c| c.rounds);
                x.reads.is_finite().then_some(Measured {
                    value: x.reads,
                    interleaved: Some((x.reads_min, x.reads_max, rounds)),
                })
            }
        }
    }

    /// Is the figure a time in ns rather than a ratio?
    pub fn is_absolute(&self) -> bool {
        matches!(self.check, Check::Absolute { .. })
    }

    /// Where the ratio comes from, e.g. `first_write/1M, PagedCowVec / imbl::Vector`.
    pub fn what(&self) -> String {
        match self.check {
            Check::Time {
                group,
                value,
                subject,
                anchor,
                ..
            } => {
                let at = value.map_or(String::new(), |v| format!("/{v}"));
                format!("`{group}{at}`: `{subject}` / `{anchor}`")
            }
            Check::Contention {
                writer,
                metric,
                anchor,
            } => format!("`{writer}` writer, {metric}: `CowCell` / `{anchor}`"),
            Check::Cheap { value, writer } => {
                format!("`{value}`, `{writer}` writer, reads: `CowCell` / `{CHEAP_ANCHOR}`")
            }
            Check::Watch { part, metric } => {
                format!("`{part}`, {metric}: `CowCell` / `{WATCH}`")
            }
            Check::Absolute {
                group,
                value,
                subject,
                ..
            } => {
                let at = value.map_or(String::new(), |v| format!("/{v}"));
                format!("`{group}{at}`: `{subject}`, time")
            }
        }
    }
}

const fn time(
    text: &'static str,
    bench: &'static str,
    group: &'static str,
    value: &'static str,
    subject: &'static str,
    anchor: &'static str,
    bar: Bar,
) -> Target {
    Target {
        text,
        check: Check::Time {
            bench,
            group,
            value: Some(value),
            subject,
            anchor,
        },
        bar,
    }
}

const fn contention(
    text: &'static str,
    writer: &'static str,
    metric: &'static str,
    anchor: &'static str,
    bar: Bar,
) -> Target {
    Target {
        text,
        check: Check::Contention {
            writer,
            metric,
            anchor,
        },
        bar,
    }
}

const fn cheap(value: &'static str) -> Target {
    Target {
        text: CHEAP,
        check: Check::Cheap {
            value,
            writer: "back-to-back",
        },
        bar: AtLeast(0.9),
    }
}

use Bar::{AtLeast, AtMost, Info};

const COW: &str = "arcow::Cow";
const STD_ARC: &str = "std::Arc";
const TRIOMPHE: &str = "triomphe::Arc";
const COW_VEC: &str = "arcow::CowVec";
const PAGED: &str = "arcow::PagedCowVec";
const VEC: &str = "Vec";
const ECO: &str = "ecow::EcoVec";
const IMBL: &str = "imbl::Vector";
/// benches/targets.rs's bare two-level `Vec` tree, for `get_random`.
const FLOOR: &str = "two-level Vec (floor)";
const CELL: &str = "arcow::CowCell";
const SWAP: &str = "arc_swap::ArcSwap";
const RWLOCK: &str = "std::RwLock";
const COW_MAP: &str = "arcow::CowMap";
const HASH_MAP: &str = "std::HashMap";
const IMBL_MAP: &str = "imbl::HashMap";
const PL_RWLOCK: &str = "parking_lot::RwLock";

const CLONE_DROP: &str =
    "`Cow` clone+drop no slower than `Arc` and `triomphe::Arc` (5% allowed for noise)";
const UNIQUE: &str = "`Cow::make_mut` when unique at least 2x faster than `Arc::make_mut`";
const SHARED: &str = "`Cow::make_mut` when shared (4 KiB value) within 1.1x of `Arc::make_mut`";
const PUSH: &str = "`CowVec::push` into a unique vector within 1.1x of `Vec::push`";
const PUSH_ECO: &str = "`CowVec::push` faster than `EcoVec::push`";
const LOAD: &str = "`CowCell::load` + read within 1.5x of `ArcSwap::load`";
const REBUILD_LOCK_READS: &str =
    "under a ~10 µs writer: reader throughput at least 5x `RwLock`'s (std and parking_lot)";
const REBUILD_LOCK_P999: &str =
    "under a ~10 µs writer: reader p99.9 at most 1/10 of `RwLock`'s (std and parking_lot)";
const CHEAP: &str =
    "cheap back-to-back writer: `CowCell` readers at least 0.9x raw `ArcSwap` (rcu)";
const REBUILD_LOCK_P999_CO: &str =
    "the same, p99.9 corrected for coordinated omission (a blocked reader issues no reads)";

/// Every target of the design that a bench measures, in report order.
pub const TARGETS: &[Target] = &[
    time(CLONE_DROP, "cow", "clone_drop", "u64", COW, STD_ARC, AtMost(1.05)),
    time(CLONE_DROP, "cow", "clone_drop", "u64", COW, TRIOMPHE, AtMost(1.05)),
    time(CLONE_DROP, "cow", "clone_drop", "4KiB", COW, STD_ARC, AtMost(1.05)),
    time(CLONE_DROP, "cow", "clone_drop", "4KiB", COW, TRIOMPHE, AtMost(1.05)),
    time(UNIQUE, "cow", "make_mut_unique", "u64", COW, STD_ARC, AtMost(0.5)),
    time(UNIQUE, "cow", "make_mut_unique", "4KiB", COW, STD_ARC, AtMost(0.5)),
    time(SHARED, "cow", "make_mut_shared", "4KiB", COW, STD_ARC, AtMost(1.1)),
    time(PUSH, "vec", "push", "1k", COW_VEC, VEC, AtMost(1.1)),
    time(PUSH, "vec", "push", "100k", COW_VEC, VEC, AtMost(1.1)),
    time(PUSH_ECO, "vec", "push", "1k", COW_VEC, ECO, AtMost(1.0)),
    time(PUSH_ECO, "vec", "push", "100k", COW_VEC, ECO, AtMost(1.0)),
    time(
        "`CowVec` clone O(1), against `Vec`'s O(n): under 0.1% of `Vec::clone` at 1M",
        "vec",
        "clone",
        "1M",
        COW_VEC,
        VEC,
        AtMost(0.001),
    ),
    time(
        "`CowVec` iteration within 1.05x of `Vec`",
        "vec",
        "iter_sum",
        "1M",
        COW_VEC,
        VEC,
        AtMost(1.05),
    ),
    time(
        "first write after a snapshot of 1M `u64` within 1.1x of `Vec::clone` + write",
        "vec",
        "first_write",
        "1M",
        COW_VEC,
        VEC,
        AtMost(1.1),
    ),
    time(
        "10M elements, snapshot + 10k reads, no write: under 1% of a deep copy",
        "vec",
        "snapshot_10M",
        "reads",
        COW_VEC,
        VEC,
        AtMost(0.01),
    ),
    time(
        "the same with one write while the snapshot lives: whole-buffer COW can only match the deep copy (within 1.1x)",
        "vec",
        "snapshot_10M",
        "reads+write",
        COW_VEC,
        VEC,
        AtMost(1.1),
    ),
    time(
        "`PagedCowVec` iteration within 1.2x of `Vec`",
        "paged",
        "iter_sum",
        "1M",
        PAGED,
        VEC,
        AtMost(1.2),
    ),
    time(
        "`PagedCowVec` iteration at least 4x faster than `imbl::Vector`",
        "paged",
        "iter_sum",
        "1M",
        PAGED,
        IMBL,
        AtMost(0.25),
    ),
    time(
        "`PagedCowVec` random `get` within 2x of `Vec`",
        "paged",
        "get_random",
        "1M",
        PAGED,
        VEC,
        AtMost(2.0),
    ),
    time(
        "`PagedCowVec` random `get` within 1.15x of a bare two-level tree of the same \
         shape (the structure's floor; measured by benches/targets.rs only)",
        "paged",
        "get_random",
        "1M",
        PAGED,
        FLOOR,
        AtMost(1.15),
    ),
    time(
        "`PagedCowVec` push within 1.5x of `Vec`",
        "paged",
        "push",
        "100k",
        PAGED,
        VEC,
        AtMost(1.5),
    ),
    time(
        "`PagedCowVec` first write after a snapshot of 1M within 2x of `imbl::Vector`",
        "paged",
        "first_write",
        "1M",
        PAGED,
        IMBL,
        AtMost(2.0),
    ),
    time(
        "... and under 0.5% of `Vec::clone` (+ write)",
        "paged",
        "first_write",
        "1M",
        PAGED,
        VEC,
        AtMost(0.005),
    ),
    time(
        "the seed's scenario (10M, snapshot + 10k random reads + one write): `PagedCowVec` under 0.5% of the deep copy",
        "paged",
        "seed",
        "10M",
        PAGED,
        VEC,
        AtMost(0.005),
    ),
    time(LOAD, "cell", "load_read", "u64", CELL, SWAP, AtMost(1.5)),
    time(LOAD, "cell", "load_read", "4KiB", CELL, SWAP, AtMost(1.5)),
    contention(REBUILD_LOCK_READS, "rebuild", "reads", RWLOCK, AtLeast(5.0)),
    contention(REBUILD_LOCK_READS, "rebuild", "reads", PL_RWLOCK, AtLeast(5.0)),
    contention(REBUILD_LOCK_P999, "rebuild", "p99.9", RWLOCK, AtMost(0.1)),
    contention(REBUILD_LOCK_P999, "rebuild", "p99.9", PL_RWLOCK, AtMost(0.1)),
    contention(REBUILD_LOCK_P999_CO, "rebuild", "p99.9 CO", RWLOCK, AtMost(0.1)),
    contention(REBUILD_LOCK_P999_CO, "rebuild", "p99.9 CO", PL_RWLOCK, AtMost(0.1)),
    contention(
        "under a ~10 µs writer: reader throughput at least 0.9x raw `ArcSwap`'s",
        "rebuild",
        "reads",
        SWAP,
        AtLeast(0.9),
    ),
    contention(
        "under a ~10 µs writer: reader p99.9 at most 1.5x raw `ArcSwap`'s",
        "rebuild",
        "p99.9",
        SWAP,
        AtMost(1.5),
    ),
    contention(
        "with a fast back-to-back writer: reader throughput at least 0.8x raw `ArcSwap`'s (the writers' lock costs readers nothing)",
        "counter",
        "reads",
        SWAP,
        AtLeast(0.8),
    ),
    cheap("4 x u64"),
    cheap("4 KiB, 3 words"),
    cheap("4 KiB, all"),
];

/// `CowMap / anchor` in benches/map.rs (and benches/map_targets.rs).
const fn map(
    text: &'static str,
    group: &'static str,
    value: &'static str,
    anchor: &'static str,
    bar: f64,
) -> Target {
    time(text, "map", group, value, COW_MAP, anchor, AtMost(bar))
}

const MAP_GET: &str = "`CowMap::get` hits no slower than `HashMap`'s";
const MAP_GET_IMBL: &str = "`CowMap::get` (hits and misses) at most 0.5x `imbl::HashMap`'s";
const MAP_INSERT: &str =
    "building a map by insert within 1.3x of `HashMap` and at most 0.5x `imbl`";
const MAP_ITER: &str = "iteration within 1.5x of `HashMap` per entry and at most 0.1x `imbl`";
const MAP_FIRST_WRITE: &str = "first write after a snapshot of 1M (clone, overwrite one key, drop the clone) at most `imbl::HashMap`'s and under 0.1% of `HashMap::clone` + insert";

/// The targets of `CowMap` (issue 13), in the order of benches/map.rs.
pub const MAP_TARGETS: &[Target] = &[
    map(MAP_GET, "get_hit", "1M", HASH_MAP, 1.0),
    map(MAP_GET_IMBL, "get_hit", "1M", IMBL_MAP, 0.5),
    map(
        "`CowMap::get` misses within 1.3x of `HashMap`'s",
        "get_miss",
        "1M",
        HASH_MAP,
        1.3,
    ),
    map(MAP_GET_IMBL, "get_miss", "1M", IMBL_MAP, 0.5),
    map(MAP_INSERT, "insert", "100k", HASH_MAP, 1.3),
    map(MAP_INSERT, "insert", "100k", IMBL_MAP, 0.5),
    map(MAP_ITER, "iterate", "1M", HASH_MAP, 1.5),
    map(MAP_ITER, "iterate", "1M", IMBL_MAP, 0.1),
    map(
        "`remove` within 1.5x of `HashMap`",
        "remove",
        "1M",
        HASH_MAP,
        1.5,
    ),
    map(MAP_FIRST_WRITE, "first_write", "1M", IMBL_MAP, 1.0),
    map(MAP_FIRST_WRITE, "first_write", "1M", HASH_MAP, 0.001),
    map(
        "heap bytes of a 1M-entry map at most 1.3x `HashMap`'s",
        "heap",
        "1M",
        HASH_MAP,
        1.3,
    ),
    map(
        "`String` keys (100k, 8 to 32 bytes): `get` within 1.1x of `HashMap`",
        "string_get",
        "100k",
        HASH_MAP,
        1.1,
    ),
    Target {
        text: "`CowCell<CowMap<u64, u64>>` with 1M entries updates one key in under 5 µs",
        check: Check::Absolute {
            bench: "map",
            group: "cell_update",
            value: Some("1M"),
            subject: "arcow::CowCell<CowMap>",
        },
        bar: AtMost(5000.0),
    },
];

const COW_STR: &str = "arcow::CowStr";

/// `CowStr / anchor` in benches/string.rs.
const fn string(
    text: &'static str,
    group: &'static str,
    value: Option<&'static str>,
    anchor: &'static str,
    bar: Bar,
) -> Target {
    Target {
        text,
        check: Check::Time {
            bench: "string",
            group,
            value,
            subject: COW_STR,
            anchor,
        },
        bar,
    }
}

const STR_CLONE_DROP: &str =
    "`CowStr` clone+drop of a long string no slower than `Arc<str>` and `EcoString` (5% allowed for noise)";
const STR_EQ: &str = "`CowStr` comparison within 1.1x of `str`'s";
const STR_HASH: &str = "`CowStr` hashing within 1.1x of `str`'s";

/// The targets of `CowStr` (the design's section "CowStr"), in the order
/// of benches/string.rs.
pub const STRING_TARGETS: &[Target] = &[
    string(STR_CLONE_DROP, "clone_drop", Some("long"), "Arc<str>", AtMost(1.05)),
    string(STR_CLONE_DROP, "clone_drop", Some("long"), "ecow::EcoString", AtMost(1.05)),
    string(
        "`CowStr::push_str` building a 1 KiB string within 1.2x of `String`",
        "push_str_1k",
        None,
        "String",
        AtMost(1.2),
    ),
    string(STR_EQ, "eq", Some("8"), "str", AtMost(1.1)),
    string(STR_EQ, "eq", Some("64"), "str", AtMost(1.1)),
    string(STR_HASH, "hash", Some("8"), "str", AtMost(1.1)),
    string(STR_HASH, "hash", Some("64"), "str", AtMost(1.1)),
    string(
        "`CowMap<CowStr, u64>` first write after a snapshot, against `String` keys (no bar: the design's, no allocation per key, is tests/str_alloc.rs's)",
        "map_first_write",
        Some("100k"),
        "String",
        Info,
    ),
];

const WATCH: &str = "tokio::sync::watch";

const fn watch(text: &'static str, part: &'static str, metric: &'static str, bar: Bar) -> Target {
    Target {
        text,
        check: Check::Watch { part, metric },
        bar,
    }
}

const WAKE: &str =
    "wake-up latency of a task waiting for a change (tokio, 2 workers): p50 and p99 at most 1.2x `watch`'s";

/// The targets of `CowCell`'s change notification (issue 14), against
/// `tokio::sync::watch`, in the order of benches/cell_watch.rs.
pub const WATCH_TARGETS: &[Target] = &[
    watch(
        "under a ~10 µs writer (`watch`: in place, under its lock): reader throughput at least 5x `watch`'s",
        "reads",
        "reads",
        AtLeast(5.0),
    ),
    watch(WAKE, "wake", "p50", AtMost(1.2)),
    watch(WAKE, "wake", "p99", AtMost(1.2)),
];

/// Every target: the design's list above, then the map's, the string's and
/// change notification's.
pub fn all() -> impl Iterator<Item = &'static Target> {
    TARGETS
        .iter()
        .chain(MAP_TARGETS)
        .chain(STRING_TARGETS)
        .chain(WATCH_TARGETS)
}

/// The targets measured in `bench`/`group`.
pub fn for_group<'a>(bench: &'a str, group: &'a str) -> impl Iterator<Item = &'static Target> + 'a {
    all().filter(move |t| {
        matches!(t.check,
            Check::Time { bench: b, group: g, .. } | Check::Absolute { bench: b, group: g, .. }
            if b == bench && g == group)
    })
}

/// The contention targets under `writer`.
pub fn for_writer(writer: &str) -> impl Iterator<Item = &'static Target> + '_ {
    TARGETS
        .iter()
        .filter(move |t| matches!(t.check, Check::Contention { writer: w, .. } if w == writer))
}

/// The change-notification targets of `part` of benches/cell_watch.rs.
pub fn for_watch(part: &str) -> impl Iterator<Item = &'static Target> + '_ {
    WATCH_TARGETS
        .iter()
        .filter(move |t| matches!(t.check, Check::Watch { part: p, .. } if p == part))
}

/// The cheap-writer targets under `writer` (`back-to-back` or `paced`).
pub fn for_cheap(writer: &str) -> impl Iterator<Item = &'static Target> + '_ {
    TARGETS
        .iter()
        .filter(move |t| matches!(t.check, Check::Cheap { writer: w, .. } if w == writer))
}
