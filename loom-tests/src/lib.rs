//! loom model checks of arcow. The models live in `tests/` and only build
//! under `RUSTFLAGS="--cfg loom"`; run them with `scripts/loom`, and the
//! check that they catch weakened orderings with `scripts/loom-weaken`.
//!
//! This library holds what the models share: a payload whose every access is
//! visible to loom's race detector, and the model runner.

#[cfg(loom)]
pub use payload::{model, Payload};

#[cfg(loom)]
mod payload {
    use loom::cell::UnsafeCell;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::Arc;

    /// A value whose reads and writes go through `loom::cell::UnsafeCell`,
    /// and whose `Drop` writes too: a free or a write that is not ordered
    /// after another thread's read is reported by loom as a data race.
    pub struct Payload {
        cell: UnsafeCell<u64>,
        drops: Arc<AtomicUsize>,
    }

    impl Payload {
        /// A payload holding `v`; its drop increments `drops`.
        pub fn new(v: u64, drops: &Arc<AtomicUsize>) -> Payload {
            Payload {
                cell: UnsafeCell::new(v),
                drops: drops.clone(),
            }
        }

        /// Reads the value (a loom-tracked read).
        pub fn read(&self) -> u64 {
            // SAFETY: loom checks that no write races with this read.
            self.cell.with(|p| unsafe { *p })
        }

        /// Writes the value (a loom-tracked write).
        pub fn write(&mut self, v: u64) {
            self.cell.with_mut(|p| {
                // SAFETY: `&mut self`; loom checks the claim of exclusivity.
                unsafe { *p = v }
            })
        }
    }

    impl Clone for Payload {
        fn clone(&self) -> Payload {
            Payload {
                cell: UnsafeCell::new(self.read()),
                drops: self.drops.clone(),
            }
        }
    }

    impl Drop for Payload {
        fn drop(&mut self) {
            // Not while unwinding from a race loom already reported: a
            // second panic would abort the whole run.
            if !std::thread::panicking() {
                self.write(u64::MAX);
            }
            self.drops.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Runs `f` under loom with a preemption bound of 3, unless
    /// `LOOM_MAX_PREEMPTIONS` says otherwise, and prints how many
    /// interleavings loom explored (see it with `-- --nocapture`).
    pub fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(3);
        }
        let bound = builder.preemption_bound;
        // A std atomic, invisible to loom: it only counts the executions.
        let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = runs.clone();
        builder.check(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            f()
        });
        let name = std::thread::current().name().unwrap_or("model").to_owned();
        eprintln!(
            "loom: {name}: {} interleavings (preemption bound {bound:?})",
            runs.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
}
