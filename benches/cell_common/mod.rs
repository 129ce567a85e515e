//! What benches/cell_contention.rs and benches/cell_watch.rs share: the
//! 1 KiB table their readers check and their writers rebuild, and the small
//! helpers of a bench binary that prints its own tables.

#![allow(dead_code)] // each bench uses a different part

/// Rows in the table.
pub const ROWS: usize = 64;

/// `check = value * CHECK` in every row of every published table.
pub const CHECK: u64 = 0x9E37_79B9_7F4A_7C15;

/// Multiply-rotate rounds per row in a `rebuild`: 64 rows x 160 rounds is
/// about 10 µs on the machine of docs/benchmarks.md (the rounds of one row
/// are a dependent chain of about 1 ns a round). The benches print what the
/// work alone takes.
pub const REBUILD_ROUNDS: u32 = 160;

#[derive(Clone, Copy)]
pub struct Row {
    pub value: u64,
    pub check: u64,
}

/// The shared value: 8 + 64 x 16 = 1032 bytes.
#[derive(Clone)]
pub struct Table {
    pub counter: u64,
    pub rows: [Row; ROWS],
}

impl Table {
    pub fn new() -> Table {
        Table {
            counter: 0,
            rows: std::array::from_fn(|i| Row {
                value: i as u64,
                check: (i as u64).wrapping_mul(CHECK),
            }),
        }
    }

    /// What a reader does with the table: read one row, check it.
    #[inline(always)]
    pub fn read(&self, at: usize) -> u64 {
        let row = self.rows[at];
        assert_eq!(row.check, row.value.wrapping_mul(CHECK), "torn read");
        row.value
    }

    /// The ~10 µs writer: recompute every row from its own value.
    pub fn rebuild(&mut self) {
        self.counter += 1;
        let salt = self.counter;
        for row in &mut self.rows {
            let mut v = row.value ^ salt;
            for _ in 0..REBUILD_ROUNDS {
                v = v.wrapping_mul(0xD6E8_FEB8_6659_FD93).rotate_left(23);
            }
            row.value = v;
            row.check = v.wrapping_mul(CHECK);
        }
    }
}

/// The next row a reader reads: walks all rows, a step the compiler cannot
/// turn into a constant.
#[inline(always)]
pub fn next_row(at: usize) -> usize {
    (at + 7) % ROWS
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// `/proc/loadavg`'s three averages, or "unknown".
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The environment variable `name` parsed, or `default` if it is unset;
/// panics on a value that does not parse.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("{name}={s:?} is not a valid value")),
        Err(_) => default,
    }
}

/// Median time of `f` alone over 2000 calls, in ns.
pub fn time_alone(mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..2000)
        .map(|_| {
            let t0 = std::time::Instant::now();
            f();
            t0.elapsed().as_nanos() as f64
        })
        .collect();
    median(&mut times)
}
