//! Shared by the fuzz targets: an element type that counts its live
//! instances and can be told to panic on the n-th clone, and a wrapper that
//! runs one operation and tells injected panics from real failures.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Once;

/// The payload of every injected panic. Any other panic is a real failure:
/// the hook reports it and [`guarded`] aborts the process.
#[derive(Debug)]
pub struct Injected;

/// Constructions + clones − drops of [`E`].
static LIVE: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    /// 0: disarmed. n > 0: the n-th clone from now panics with [`Injected`].
    static COUNTDOWN: Cell<u32> = const { Cell::new(0) };
}

const ALIVE: u32 = 0xA11C_E5ED;
const DEAD: u32 = 0xDEAD_DEAD;

/// An element with a heap allocation (so AddressSanitizer sees a double drop
/// or a use after drop), a canary, and a global live count.
pub struct E {
    val: Box<u32>,
    canary: u32,
}

impl E {
    pub fn new(v: u32) -> E {
        LIVE.fetch_add(1, Ordering::Relaxed);
        E {
            val: Box::new(v),
            canary: ALIVE,
        }
    }

    pub fn get(&self) -> u32 {
        assert_eq!(self.canary, ALIVE, "read of a dropped element");
        *self.val
    }

    pub fn set(&mut self, v: u32) {
        assert_eq!(self.canary, ALIVE, "write to a dropped element");
        *self.val = v;
    }
}

impl Clone for E {
    fn clone(&self) -> E {
        let v = self.get();
        COUNTDOWN.with(|c| match c.get() {
            0 => {}
            1 => {
                c.set(0);
                panic::panic_any(Injected);
            }
            n => c.set(n - 1),
        });
        E::new(v)
    }
}

/// By value, so maps and sets of `E` compare as their models do.
impl PartialEq for E {
    fn eq(&self, other: &E) -> bool {
        self.get() == other.get()
    }
}

impl Drop for E {
    fn drop(&mut self) {
        assert_eq!(self.canary, ALIVE, "double drop");
        self.canary = DEAD;
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The values of a slice of elements.
pub fn vals(s: &[E]) -> Vec<u32> {
    s.iter().map(E::get).collect()
}

/// Do the elements hold exactly these values? (No allocation.)
pub fn same(s: &[E], m: &[u32]) -> bool {
    s.len() == m.len() && s.iter().zip(m).all(|(e, &x)| e.get() == x)
}

/// How many `E` are alive.
pub fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// The `n`-th clone from now panics; `arm(0)` disarms.
pub fn arm(n: u32) {
    COUNTDOWN.with(|c| c.set(n));
}

/// Starts a run: installs the quiet hook (once), disarms, and checks that
/// the previous run left no element alive.
pub fn start() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // Chain to the previous hook (libfuzzer-sys's, which prints and
        // aborts) for every panic but ours.
        let prev = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<Injected>() {
                prev(info);
            }
        }));
    });
    arm(0);
    assert_eq!(live(), 0, "elements alive at the start of a run");
}

/// Runs `f`. `Ok` if it returned; `Err(Injected)` if it panicked with
/// [`Injected`]; any other panic aborts the process.
pub fn guarded<R>(f: impl FnOnce() -> R) -> Result<R, Injected> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Ok(r),
        Err(p) if p.is::<Injected>() => Err(Injected),
        Err(_) => std::process::abort(),
    }
}
