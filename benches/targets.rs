//! The design's performance targets for `Cow`, `CowVec`, `PagedCowVec`,
//! `CowCell::load` and `CowStr`, interleaved (benches/interleave says how):
//! a plain binary, not criterion. benches/cow.rs, vec.rs, paged.rs, cell.rs
//! and string.rs keep the per-operation detail; this settles the ratios.
//!
//! The cases are the criterion benches' own work, with the ids the report's
//! targets name. Where criterion keeps part of an iteration off the clock
//! (the untimed clone of `first_write` and `make_mut_shared`, the drop of
//! the copy after the batch), here the whole unit is timed for every
//! contender alike, as a user's code pays it:
//!
//! | bench/group            | one unit                                                        |
//! |------------------------|-----------------------------------------------------------------|
//! | `cow/clone_drop`       | clone a handle, drop the clone                                  |
//! | `cow/make_mut_unique`  | `make_mut` on the only handle, write a word                     |
//! | `cow/make_mut_shared`  | clone a handle, `make_mut` (copies), write, drop the copy       |
//! | `vec/push`             | push 1k or 100k elements into a new vector, drop it             |
//! | `vec/clone`            | clone a 1M vector, drop the clone                               |
//! | `vec/iter_sum`         | sum a 1M vector                                                 |
//! | `vec/first_write`      | clone a 1M vector, write one element, drop the copy             |
//! | `vec/snapshot_10M`     | snapshot 10M, 10k random reads, (one write to the live vector)   |
//! | `paged/...`            | the same for `PagedCowVec`; `get_random`: 1k random reads of 1M  |
//! | `paged/seed`           | the seed's scenario: `snapshot_10M` with the write               |
//! | `cell/load_read`       | `load()` and read one word                                      |
//! | `string/...`           | clone+drop, 32 `push_str`s of 32 bytes, `==`, SipHash of a string |
//!
//! Run: `cargo bench --bench targets` (15 rounds, about two minutes).
//! `ARCOW_ROUNDS=N` sets the rounds; `ARCOW_TARGETS_JSON=path` also writes
//! the results as JSON (for `cargo xtask bench-report`); any argument that
//! does not start with `--` keeps only the groups whose `bench/group`
//! contains it (`cargo bench --bench targets -- vec/first_write`). Smoke run
//! (small inputs, one round): `cargo bench --bench targets -- --test`.

mod common;
mod cow_common;
mod interleave;
mod string_common;

use std::collections::hash_map::DefaultHasher;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::hint::black_box;
use std::sync::Arc as StdArc;
use std::time::Instant;

use arc_swap::ArcSwap;
use arcow::{Cow, CowCell, CowStr, CowVec, PagedCowVec};
use common::{data, random_indices, size_name, Vector};
use cow_common::{Page, Payload, Pointer};
use ecow::{EcoString, EcoVec};
use interleave::{load_average, Bar, Case, Comparison, Figure, Plan, Target};
use string_common::{text, Grow, PlainStr, Str, STR};
use triomphe::Arc as TriompheArc;

const COW: &str = "arcow::Cow";
const STD_ARC: &str = "std::Arc";
const TRIOMPHE: &str = "triomphe::Arc";
const COW_VEC: &str = "arcow::CowVec";
const PAGED: &str = "arcow::PagedCowVec";
const VEC: &str = "Vec";
const ECO: &str = "ecow::EcoVec";
const IMBL: &str = "imbl::Vector";
/// This bench's own contender: [`get_random_floor`].
const FLOOR: &str = "two-level Vec (floor)";
const CELL: &str = "arcow::CowCell";
const SWAP: &str = "arc_swap::ArcSwap";
const COW_STR: &str = "arcow::CowStr";

use Bar::AtMost;

const fn ratio(
    text: &'static str,
    bench: &'static str,
    group: &'static str,
    value: &'static str,
    subject: &'static str,
    anchor: &'static str,
    bar: f64,
) -> Target {
    Target {
        text,
        bench,
        group,
        value: Some(value),
        subject,
        anchor: Some(anchor),
        bar: AtMost(bar),
    }
}

/// The targets, with the ids and bars of xtask/src/targets.rs (which reads
/// the JSON by those ids), plus the ones issue 17 adds (`first_write`
/// against `EcoVec`).
const TARGETS: &[Target] = &[
    ratio(
        "clone+drop <= 1.05x Arc",
        "cow",
        "clone_drop",
        "u64",
        COW,
        STD_ARC,
        1.05,
    ),
    ratio(
        "clone+drop <= 1.05x triomphe",
        "cow",
        "clone_drop",
        "u64",
        COW,
        TRIOMPHE,
        1.05,
    ),
    ratio(
        "clone+drop <= 1.05x Arc",
        "cow",
        "clone_drop",
        "4KiB",
        COW,
        STD_ARC,
        1.05,
    ),
    ratio(
        "clone+drop <= 1.05x triomphe",
        "cow",
        "clone_drop",
        "4KiB",
        COW,
        TRIOMPHE,
        1.05,
    ),
    ratio(
        "make_mut unique <= 0.5x Arc",
        "cow",
        "make_mut_unique",
        "u64",
        COW,
        STD_ARC,
        0.5,
    ),
    ratio(
        "make_mut unique <= 0.5x Arc",
        "cow",
        "make_mut_unique",
        "4KiB",
        COW,
        STD_ARC,
        0.5,
    ),
    ratio(
        "make_mut shared <= 1.1x Arc",
        "cow",
        "make_mut_shared",
        "4KiB",
        COW,
        STD_ARC,
        1.1,
    ),
    ratio("push <= 1.1x Vec", "vec", "push", "1k", COW_VEC, VEC, 1.1),
    ratio("push <= 1.1x Vec", "vec", "push", "100k", COW_VEC, VEC, 1.1),
    ratio("push <= EcoVec", "vec", "push", "1k", COW_VEC, ECO, 1.0),
    ratio("push <= EcoVec", "vec", "push", "100k", COW_VEC, ECO, 1.0),
    ratio(
        "clone < 0.1% Vec::clone",
        "vec",
        "clone",
        "1M",
        COW_VEC,
        VEC,
        0.001,
    ),
    ratio(
        "iteration <= 1.05x Vec",
        "vec",
        "iter_sum",
        "1M",
        COW_VEC,
        VEC,
        1.05,
    ),
    ratio(
        "first write <= 1.1x Vec",
        "vec",
        "first_write",
        "1M",
        COW_VEC,
        VEC,
        1.1,
    ),
    ratio(
        "first write <= 1.05x EcoVec",
        "vec",
        "first_write",
        "1M",
        COW_VEC,
        ECO,
        1.05,
    ),
    ratio(
        "snapshot reads < 1% copy",
        "vec",
        "snapshot_10M",
        "reads",
        COW_VEC,
        VEC,
        0.01,
    ),
    ratio(
        "snapshot write <= 1.1x copy",
        "vec",
        "snapshot_10M",
        "reads+write",
        COW_VEC,
        VEC,
        1.1,
    ),
    ratio(
        "paged iteration <= 1.2x Vec",
        "paged",
        "iter_sum",
        "1M",
        PAGED,
        VEC,
        1.2,
    ),
    ratio(
        "paged iteration <= 0.25x imbl",
        "paged",
        "iter_sum",
        "1M",
        PAGED,
        IMBL,
        0.25,
    ),
    ratio(
        "paged get <= 2x Vec",
        "paged",
        "get_random",
        "1M",
        PAGED,
        VEC,
        2.0,
    ),
    ratio(
        "paged get <= 1.15x a bare two-level tree",
        "paged",
        "get_random",
        "1M",
        PAGED,
        FLOOR,
        1.15,
    ),
    ratio(
        "paged push <= 1.5x Vec",
        "paged",
        "push",
        "100k",
        PAGED,
        VEC,
        1.5,
    ),
    ratio(
        "paged first write <= 2x imbl",
        "paged",
        "first_write",
        "1M",
        PAGED,
        IMBL,
        2.0,
    ),
    ratio(
        "paged first write < 0.5% Vec",
        "paged",
        "first_write",
        "1M",
        PAGED,
        VEC,
        0.005,
    ),
    ratio(
        "seed < 0.5% deep copy",
        "paged",
        "seed",
        "10M",
        PAGED,
        VEC,
        0.005,
    ),
    ratio(
        "load+read <= 1.5x ArcSwap",
        "cell",
        "load_read",
        "u64",
        CELL,
        SWAP,
        1.5,
    ),
    ratio(
        "load+read <= 1.5x ArcSwap",
        "cell",
        "load_read",
        "4KiB",
        CELL,
        SWAP,
        1.5,
    ),
    ratio(
        "long clone+drop <= 1.05x Arc<str>",
        "string",
        "clone_drop",
        "long",
        COW_STR,
        "Arc<str>",
        1.05,
    ),
    ratio(
        "long clone+drop <= 1.05x EcoString",
        "string",
        "clone_drop",
        "long",
        COW_STR,
        "ecow::EcoString",
        1.05,
    ),
    Target {
        text: "push_str 1 KiB <= 1.2x String",
        bench: "string",
        group: "push_str_1k",
        value: None,
        subject: COW_STR,
        anchor: Some("String"),
        bar: AtMost(1.2),
    },
    ratio("eq <= 1.1x str", "string", "eq", "8", COW_STR, STR, 1.1),
    ratio("eq <= 1.1x str", "string", "eq", "64", COW_STR, STR, 1.1),
    ratio("hash <= 1.1x str", "string", "hash", "8", COW_STR, STR, 1.1),
    ratio(
        "hash <= 1.1x str",
        "string",
        "hash",
        "64",
        COW_STR,
        STR,
        1.1,
    ),
];

/// Input sizes: the design's, or small ones for `--test`.
struct Sizes {
    /// 1M: clone, iteration, first write, random reads.
    big: usize,
    /// 10M: the snapshot scenarios.
    huge: usize,
    /// Pushes: 1k and 100k.
    pushes: [usize; 2],
}

// ---- Cow ----------------------------------------------------------------

/// Runs per unit of the operations that take a few ns (see `Case::batched`).
const BATCH: u64 = 1000;

fn clone_drop<T: Payload, P: Pointer<T> + 'static>() -> Case<'static> {
    let handle = P::new(T::make());
    Case::batched(P::NAME, BATCH, move || {
        drop(black_box(P::clone(black_box(&handle))))
    })
}

fn make_mut_unique<T: Payload, P: Pointer<T> + 'static>() -> Case<'static> {
    let mut handle = P::new(T::make());
    let mut word = 0u64;
    Case::batched(P::NAME, BATCH, move || {
        word = word.wrapping_add(1);
        P::make_mut(black_box(&mut handle)).write(black_box(T::AT), word);
    })
}

fn make_mut_shared<T: Payload, P: Pointer<T> + 'static>() -> Case<'static> {
    let base = P::new(T::make());
    Case::each(P::NAME, move || {
        let mut shared = P::clone(black_box(&base));
        P::make_mut(&mut shared).write(black_box(T::AT), black_box(7));
        drop(black_box(shared));
    })
}

fn cow_comparisons() -> Vec<Comparison<'static>> {
    macro_rules! three {
        ($f:ident, $t:ty) => {
            vec![
                $f::<$t, Cow<$t>>(),
                $f::<$t, StdArc<$t>>(),
                $f::<$t, TriompheArc<$t>>(),
            ]
        };
    }
    let cmp = |group, value: &str, cases| Comparison {
        bench: "cow",
        group,
        value: value.into(),
        // `make_mut_shared` copies 4 KiB per run: a unit is one run.
        ops_per_unit: if group == "make_mut_shared" {
            1.0
        } else {
            BATCH as f64
        },
        cases,
    };
    vec![
        cmp("clone_drop", u64::NAME, three!(clone_drop, u64)),
        cmp("clone_drop", Page::NAME, three!(clone_drop, Page)),
        cmp(
            "make_mut_unique",
            u64::NAME,
            vec![
                make_mut_unique::<u64, Cow<u64>>(),
                make_mut_unique::<u64, StdArc<u64>>(),
            ],
        ),
        cmp(
            "make_mut_unique",
            Page::NAME,
            vec![
                make_mut_unique::<Page, Cow<Page>>(),
                make_mut_unique::<Page, StdArc<Page>>(),
            ],
        ),
        cmp(
            "make_mut_shared",
            Page::NAME,
            vec![
                make_mut_shared::<Page, Cow<Page>>(),
                make_mut_shared::<Page, StdArc<Page>>(),
            ],
        ),
    ]
}

// ---- CowVec and PagedCowVec ------------------------------------------------

fn push<V: Vector>(n: usize) -> Case<'static> {
    Case::each(V::NAME, move || common::push_unit::<V>(n))
}

fn clone<V: Vector + 'static>(n: usize) -> Case<'static> {
    Case::lazy(V::NAME, move || {
        let v = V::from_slice(&data(n));
        move || drop(black_box(V::clone(black_box(&v))))
    })
}

fn iter_sum<V: Vector + 'static>(n: usize) -> Case<'static> {
    Case::lazy(V::NAME, move || {
        let v = V::from_slice(&data(n));
        move || {
            black_box(black_box(&v).sum());
        }
    })
}

/// Clone, write one element of the clone, drop it: the whole copy for
/// `Vec` (in the clone) and `CowVec`/`EcoVec` (in the write), a page or a
/// path for the others.
fn first_write<V: Vector + 'static>(n: usize) -> Case<'static> {
    let at = n / 2 + 1;
    Case::lazy(V::NAME, move || {
        let base = V::from_slice(&data(n));
        move || {
            let mut v = black_box(&base).clone();
            v.write(black_box(at), black_box(7));
            drop(black_box(v));
        }
    })
}

fn get_random<V: Vector + 'static>(n: usize) -> Case<'static> {
    Case::lazy(V::NAME, move || {
        let v = V::from_slice(&data(n));
        let idx = random_indices(1_000, n, 0x6e75);
        move || {
            black_box(common::random_reads(&v, &idx));
        }
    })
}

/// The floor of a two-level page tree: `PagedCowVec`'s shape for 1M `u64`
/// (pages of 512, nodes of 64 pages) as plain nested `Vec`s, read as the
/// crate reads, with one bounds check against the length and none per
/// level, but with no height to tell apart and no tail page. A page tree
/// with ~4 KiB pages and nodes small enough for the contract's bound on a
/// first write (8 KiB) is at least this deep at 1M `u64`, so
/// `PagedCowVec / this` is what the implementation costs and
/// `this / Vec` what the structure costs.
fn get_random_floor(n: usize) -> Case<'static> {
    struct TwoLevel {
        len: usize,
        nodes: Vec<Vec<Vec<u64>>>,
    }
    impl TwoLevel {
        #[inline(always)]
        fn read(&self, i: usize) -> u64 {
            assert!(i < self.len, "index out of bounds");
            // SAFETY: built below with every node but the last holding 64
            // full pages of 512 and the last holding the rest, so `i < len`
            // puts node `i >> 15`, page `(i >> 9) & 63` and slot `i & 511`
            // in range.
            unsafe {
                *self
                    .nodes
                    .get_unchecked(i >> 15)
                    .get_unchecked((i >> 9) & 63)
                    .get_unchecked(i & 511)
            }
        }
    }
    Case::lazy(FLOOR, move || {
        let all = data(n);
        let mut nodes: Vec<Vec<Vec<u64>>> = Vec::new();
        for (p, page) in all.chunks(512).enumerate() {
            if p % 64 == 0 {
                nodes.push(Vec::with_capacity(64));
            }
            nodes.last_mut().expect("pushed").push(page.to_vec());
        }
        let v = TwoLevel { len: n, nodes };
        let idx = random_indices(1_000, n, 0x6e75);
        move || {
            let v = black_box(&v);
            let mut acc = 0u64;
            for &i in black_box(&idx[..]) {
                acc = acc.wrapping_add(v.read(i));
            }
            black_box(acc);
        }
    })
}

/// The snapshot scenario of benches/common: snapshot the live vector, 10k
/// random reads on the snapshot, (one write to the live vector), drop the
/// snapshot.
fn snapshot<V: Vector + 'static>(n: usize, write: bool) -> Case<'static> {
    let at = n / 3;
    Case::lazy(V::NAME, move || {
        let mut live = V::from_slice(&data(n));
        let idx = random_indices(10_000, n, 0x5eed);
        move || {
            black_box(common::snapshot_unit(&mut live, &idx, at, write));
        }
    })
}

fn vec_comparisons(s: &Sizes) -> Vec<Comparison<'static>> {
    let cmp = |bench, group, value: String, ops, cases| Comparison {
        bench,
        group,
        value,
        ops_per_unit: ops as f64,
        cases,
    };
    let big = size_name(s.big);
    let mut out = Vec::new();
    for n in s.pushes {
        out.push(cmp(
            "vec",
            "push",
            size_name(n),
            n,
            vec![
                push::<CowVec<u64>>(n),
                push::<Vec<u64>>(n),
                push::<EcoVec<u64>>(n),
            ],
        ));
    }
    out.extend([
        cmp(
            "vec",
            "clone",
            big.clone(),
            1,
            vec![clone::<CowVec<u64>>(s.big), clone::<Vec<u64>>(s.big)],
        ),
        cmp(
            "vec",
            "iter_sum",
            big.clone(),
            s.big,
            vec![iter_sum::<CowVec<u64>>(s.big), iter_sum::<Vec<u64>>(s.big)],
        ),
        cmp(
            "vec",
            "first_write",
            big.clone(),
            1,
            vec![
                first_write::<CowVec<u64>>(s.big),
                first_write::<Vec<u64>>(s.big),
                first_write::<EcoVec<u64>>(s.big),
            ],
        ),
        cmp(
            "vec",
            "snapshot_10M",
            "reads".into(),
            1,
            vec![
                snapshot::<CowVec<u64>>(s.huge, false),
                snapshot::<Vec<u64>>(s.huge, false),
            ],
        ),
        cmp(
            "vec",
            "snapshot_10M",
            "reads+write".into(),
            1,
            vec![
                snapshot::<CowVec<u64>>(s.huge, true),
                snapshot::<Vec<u64>>(s.huge, true),
            ],
        ),
        cmp(
            "paged",
            "iter_sum",
            big.clone(),
            s.big,
            vec![
                iter_sum::<PagedCowVec<u64>>(s.big),
                iter_sum::<Vec<u64>>(s.big),
                iter_sum::<imbl::Vector<u64>>(s.big),
            ],
        ),
        cmp(
            "paged",
            "get_random",
            big.clone(),
            1_000,
            vec![
                get_random::<PagedCowVec<u64>>(s.big),
                get_random::<Vec<u64>>(s.big),
                get_random_floor(s.big),
            ],
        ),
        cmp(
            "paged",
            "push",
            size_name(s.pushes[1]),
            s.pushes[1],
            vec![
                push::<PagedCowVec<u64>>(s.pushes[1]),
                push::<Vec<u64>>(s.pushes[1]),
            ],
        ),
        cmp(
            "paged",
            "first_write",
            big,
            1,
            vec![
                first_write::<PagedCowVec<u64>>(s.big),
                first_write::<Vec<u64>>(s.big),
                first_write::<imbl::Vector<u64>>(s.big),
            ],
        ),
        cmp(
            "paged",
            "seed",
            size_name(s.huge),
            1,
            vec![
                snapshot::<PagedCowVec<u64>>(s.huge, true),
                snapshot::<Vec<u64>>(s.huge, true),
            ],
        ),
    ]);
    out
}

// ---- CowCell and CowStr -------------------------------------------------------

fn cell_comparisons() -> Vec<Comparison<'static>> {
    let u64_cell = CowCell::new(0x0123_4567_89ab_cdefu64);
    let u64_swap = ArcSwap::from_pointee(0x0123_4567_89ab_cdefu64);
    let page_cell = CowCell::new([7u64; 512]);
    let page_swap = ArcSwap::from_pointee([7u64; 512]);
    let cmp = |value: &str, cases| Comparison {
        bench: "cell",
        group: "load_read",
        value: value.into(),
        ops_per_unit: BATCH as f64,
        cases,
    };
    vec![
        cmp(
            "u64",
            vec![
                Case::batched(CELL, BATCH, move || {
                    black_box(*black_box(&u64_cell).load());
                }),
                Case::batched(SWAP, BATCH, move || {
                    black_box(**black_box(&u64_swap).load());
                }),
            ],
        ),
        cmp(
            "4KiB",
            vec![
                Case::batched(CELL, BATCH, move || {
                    black_box(black_box(&page_cell).load()[100]);
                }),
                Case::batched(SWAP, BATCH, move || {
                    black_box(black_box(&page_swap).load()[100]);
                }),
            ],
        ),
    ]
}

fn str_clone_drop<S: Str + 'static>() -> Case<'static> {
    let s = S::from_str(&text(64));
    Case::batched(S::NAME, BATCH, move || {
        drop(black_box(S::clone(black_box(&s))))
    })
}

fn str_push<S: Grow + 'static>() -> Case<'static> {
    let chunk = text(32);
    Case::each(S::NAME, move || {
        let mut s = S::empty();
        for _ in 0..32 {
            s.push_str(black_box(&chunk));
        }
        drop(black_box(s));
    })
}

/// Strings per `eq` and `hash` case: where a 64-byte text sits relative to
/// cache lines moves one compare by 20% (`eq/64` measured 1.01x and 1.25x
/// `str`'s in two runs that differed only in what else was on the heap),
/// so each case cycles through this many, allocated at different offsets.
const SPREAD: usize = 8;

/// `SPREAD` copies of `text`, each allocated after a spacer of its own size
/// class (freed later), so their offsets within cache lines differ.
fn spread<S: Str>(text: &str) -> Vec<S> {
    let mut spacers = Vec::new();
    (0..SPREAD)
        .map(|i| {
            spacers.push(vec![0u8; 8 + 16 * i]);
            S::from_str(text)
        })
        .collect()
}

fn str_eq<S: Str + 'static>(len: usize) -> Case<'static> {
    let (a, b) = (spread::<S>(&text(len)), spread::<S>(&text(len)));
    let mut i = 0;
    Case::batched(S::NAME, BATCH, move || {
        i = (i + 1) % SPREAD;
        black_box(black_box(&a[i]) == black_box(&b[i]));
    })
}

fn str_hash<S: Str + 'static>(len: usize) -> Case<'static> {
    let hasher = BuildHasherDefault::<DefaultHasher>::default();
    let s = spread::<S>(&text(len));
    let mut i = 0;
    Case::batched(S::NAME, BATCH, move || {
        i = (i + 1) % SPREAD;
        black_box(hasher.hash_one(black_box(&s[i])));
    })
}

fn string_comparisons() -> Vec<Comparison<'static>> {
    let cmp = |group, value: &str, cases| Comparison {
        bench: "string",
        group,
        value: value.into(),
        // `push_str_1k` builds a whole string per unit.
        ops_per_unit: if group == "push_str_1k" {
            1.0
        } else {
            BATCH as f64
        },
        cases,
    };
    let mut out = vec![
        cmp(
            "clone_drop",
            "long",
            vec![
                str_clone_drop::<CowStr>(),
                str_clone_drop::<StdArc<str>>(),
                str_clone_drop::<EcoString>(),
            ],
        ),
        // No parameter: the criterion id is `push_str_1k/<type>`.
        cmp(
            "push_str_1k",
            "",
            vec![str_push::<CowStr>(), str_push::<String>()],
        ),
    ];
    for len in [8, 64] {
        out.push(cmp(
            "eq",
            &len.to_string(),
            vec![str_eq::<CowStr>(len), str_eq::<PlainStr>(len)],
        ));
        out.push(cmp(
            "hash",
            &len.to_string(),
            vec![str_hash::<CowStr>(len), str_hash::<PlainStr>(len)],
        ));
    }
    out
}

fn main() {
    let plan = Plan::from_env(15);
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let sizes = if plan.smoke {
        Sizes {
            big: 10_000,
            huge: 100_000,
            pushes: [1_000, 10_000],
        }
    } else {
        Sizes {
            big: 1_000_000,
            huge: 10_000_000,
            pushes: [1_000, 100_000],
        }
    };
    let load_start = load_average();
    let started = Instant::now();

    let keep = |bench: &str, group: &str| {
        let id = format!("{bench}/{group}");
        filters.is_empty() || filters.iter().any(|f| id.contains(f.as_str()))
    };
    // Only the benches a filter can match are built (the vectors alone are
    // hundreds of MB).
    let wants = |bench: &str| {
        let prefix = format!("{bench}/");
        filters.is_empty()
            || filters
                .iter()
                .any(|f| prefix.contains(f.as_str()) || f.starts_with(&prefix) || !f.contains('/'))
    };
    let mut comparisons: Vec<Comparison<'static>> = Vec::new();
    if wants("cow") {
        comparisons.extend(cow_comparisons());
    }
    if wants("vec") || wants("paged") {
        comparisons.extend(vec_comparisons(&sizes));
    }
    if wants("cell") {
        comparisons.extend(cell_comparisons());
    }
    if wants("string") {
        comparisons.extend(string_comparisons());
    }
    comparisons.retain(|c| keep(c.bench, c.group));

    interleave::run(&mut comparisons, plan);
    let seconds = started.elapsed().as_secs_f64();
    let load_end = load_average();

    // A smoke run's sizes are not the ids' (1M, 10M, 100k): map them.
    let smoke_value = |v: &'static str| -> &'static str {
        match v {
            "1M" => size_name(sizes.big).leak(),
            "10M" => size_name(sizes.huge).leak(),
            "100k" => size_name(sizes.pushes[1]).leak(),
            v => v,
        }
    };
    let targets: Vec<(Target, Figure)> = TARGETS
        .iter()
        .filter(|t| keep(t.bench, t.group))
        .map(|t| {
            let mut t = *t;
            if plan.smoke {
                t.value = t.value.map(smoke_value);
            }
            let f = Figure::of(&t, &comparisons);
            (t, f)
        })
        .collect();
    let title = format!(
        "targets, interleaved: {} round(s){}, {seconds:.0} s; load average at the start {load_start}, at the end {load_end}",
        plan.rounds,
        if plan.smoke { " (smoke run: small inputs, numbers are not results)" } else { "" }
    );
    let (cases, targets) = interleave::report(&title, &comparisons, &targets);
    interleave::write_json(
        "ARCOW_TARGETS_JSON",
        &interleave::run_json(
            plan,
            seconds,
            (&load_start, &load_end),
            serde_json::json!({ "cases": cases, "targets": targets }),
        ),
    );
}
