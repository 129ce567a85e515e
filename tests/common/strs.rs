//! Shared by the `CowStr` tests (`str_api`, `str_quickcheck`, `str_alloc`):
//! running an edit that may panic the way `String`'s does, with its panic
//! message kept and not printed, and telling the two forms of a `CowStr`
//! apart from the outside.

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use arcow::CowStr;

/// The start of the panic message of `String`'s (and `CowStr`'s) char
/// boundary asserts: `truncate`'s ends `(new_len)`, `insert`'s `(idx)`.
pub(crate) const BOUNDARY_PANIC: &str = "assertion failed: self.is_char_boundary(";

thread_local! {
    /// Set while [`outcome`] runs: the hook then keeps quiet.
    static EXPECTING: Cell<bool> = const { Cell::new(false) };
}

/// Installs (once) a panic hook that prints nothing for the panics
/// [`outcome`] expects, and chains to the default hook for every other.
fn quiet_expected_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !EXPECTING.with(Cell::get) {
                default(info);
            }
        }));
    });
}

/// A panic's message: its `&str` or `String` payload.
pub(crate) fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<a panic without a string payload>".to_owned()
    }
}

/// Runs `f`: `Ok` with its result, or `Err` with its panic message. The
/// panic is not printed.
pub(crate) fn outcome<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    quiet_expected_panics();
    EXPECTING.with(|e| e.set(true));
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    EXPECTING.with(|e| e.set(false));
    r.map_err(|p| message(&*p))
}

/// Is `s` in the short form? Its text then lives inside the 16 bytes of the
/// handle itself (a long string's, even an empty one's, never does).
pub(crate) fn is_inline(s: &CowStr) -> bool {
    let base = std::ptr::from_ref(s).addr();
    let text = s.as_ptr().addr();
    (base..base + std::mem::size_of::<CowStr>()).contains(&text)
}

/// A long-form `CowStr` holding `t`, however short `t` is: made long (with
/// 16 more bytes) and truncated back, which keeps the buffer.
pub(crate) fn long_form(t: &str) -> CowStr {
    let mut s = CowStr::from(t);
    s.push_str("0123456789abcdef");
    s.truncate(t.len());
    assert!(!is_inline(&s), "a truncated long string keeps its buffer");
    s
}
