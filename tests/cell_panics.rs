//! `CowCell` and panics: a panicking `f` (or `T::clone`) publishes nothing
//! and leaves the cell usable, with no poisoning and no leaked clone; a
//! re-entrant `update`/`store`/`replace` on the same cell panics with a clear
//! message instead of deadlocking (each such test runs the call on its own
//! thread under a watchdog, so a deadlock fails the test instead of hanging
//! it); and updating another cell from inside `f` works.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock, Weak};
use std::thread;
use std::time::Duration;

use arcow::{Cow, CowCell};

mod common;

use common::Tracker;

/// How long a test waits for a call that might deadlock.
const WATCHDOG: Duration = Duration::from_secs(10);

/// Runs `body` on a new thread and returns what it returns; panics with
/// "deadlock" if it has not finished within [`WATCHDOG`]. A panic in `body`
/// is passed on.
fn with_watchdog<R: Send + 'static>(body: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let out = catch_unwind(AssertUnwindSafe(body));
        // The receiver is gone only if the watchdog already fired.
        let _ = tx.send(out);
    });
    match rx.recv_timeout(WATCHDOG) {
        Ok(Ok(out)) => {
            handle.join().unwrap();
            out
        }
        Ok(Err(payload)) => {
            handle.join().unwrap();
            std::panic::resume_unwind(payload)
        }
        // The stuck thread is left behind; the test fails.
        Err(_) => panic!("deadlock: the call did not return within {WATCHDOG:?}"),
    }
}

/// The message of a panic payload.
fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// Asserts that `result` is a panic whose message says the call was made
/// from inside the cell's own update.
#[track_caller]
fn assert_reentrancy_panic<T: std::fmt::Debug>(result: thread::Result<T>) {
    let payload = result.expect_err("a re-entrant call did not panic");
    let msg = message(&*payload);
    assert!(
        msg.contains("inside its own update"),
        "the panic message does not explain re-entrancy: {msg:?}"
    );
}

#[test]
fn panicking_f_publishes_nothing_and_drops_its_clone() {
    let tracker = Tracker::new();
    let cell = CowCell::new(tracker.make(1));
    let before = cell.snapshot();

    let result = catch_unwind(AssertUnwindSafe(|| {
        cell.update(|v| {
            v.value = 666;
            panic!("f gives up");
        })
    }));
    assert_eq!(message(&*result.unwrap_err()), "f gives up");

    // Nothing was published: the very same value is still there.
    assert_eq!(cell.load().value, 1);
    assert!(Cow::ptr_eq(&before, &cell.snapshot()));
    // The clone made for the failed update (id 1) is gone again.
    assert_eq!(
        tracker.created(),
        2,
        "the failed update cloned other than once"
    );
    assert_eq!(tracker.live(), 1, "the failed update's clone leaked");
    assert_eq!(tracker.drops_of(1), 1);

    // No poisoning: the cell goes on working, for every kind of write.
    cell.update(|v| v.value += 1);
    assert_eq!(cell.load().value, 2);
    cell.store(tracker.make(10));
    assert_eq!(cell.replace(tracker.make(20)).value, 10);
    assert_eq!(cell.load().value, 20);
    assert_eq!(before.value, 1);

    drop(before);
    drop(cell);
    tracker.assert_all_dropped_once();
}

#[test]
fn cell_stays_usable_from_other_threads_after_a_panicking_f() {
    let cell = CowCell::new(0u64);
    thread::scope(|s| {
        s.spawn(|| {
            let r = catch_unwind(AssertUnwindSafe(|| cell.update(|_| panic!("boom"))));
            assert!(r.is_err());
        })
        .join()
        .unwrap();
        let writers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..5 {
                        cell.update(|v| *v += 1);
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
    });
    assert_eq!(*cell.load(), 10);
}

#[test]
fn panicking_clone_publishes_nothing_and_leaks_nothing() {
    let tracker = Tracker::new();
    let cell = CowCell::new(tracker.make(5));
    let before = cell.snapshot();
    // The next clone (it would make id 1) is the update's: make it panic.
    tracker.panic_on_clone(1);
    let result = catch_unwind(AssertUnwindSafe(|| {
        cell.update(|_| unreachable!("f must not run when the clone panicked"))
    }));
    assert_eq!(
        message(&*result.unwrap_err()),
        "Dummy::clone panics on command (call 1)"
    );

    assert!(Cow::ptr_eq(&before, &cell.snapshot()));
    assert_eq!(tracker.created(), 1);
    assert_eq!(tracker.live(), 1);

    cell.update(|v| v.value = 6);
    assert_eq!((before.value, cell.load().value), (5, 6));
    drop(before);
    drop(cell);
    tracker.assert_all_dropped_once();
}

#[test]
fn reentrant_update_panics_instead_of_deadlocking() {
    let cell = Arc::new(CowCell::new(1u64));
    let c = Arc::clone(&cell);
    let result = with_watchdog(move || {
        catch_unwind(AssertUnwindSafe(|| {
            c.update(|v| {
                *v = 100;
                c.update(|v| *v += 1);
            })
        }))
        .map_err(|p| message(&*p))
    });
    assert_reentrancy_panic(result.map_err(|m| Box::new(m) as Box<dyn Any + Send>));
    // The outer update panicked too (the inner panic went through it): nothing
    // was published.
    assert_eq!(*cell.load(), 1);
}

#[test]
fn reentrant_store_panics_instead_of_deadlocking() {
    let cell = Arc::new(CowCell::new(1u64));
    let c = Arc::clone(&cell);
    let result = with_watchdog(move || {
        catch_unwind(AssertUnwindSafe(|| {
            c.update(|v| {
                *v = 100;
                c.store(7);
            })
        }))
        .map_err(|p| message(&*p))
    });
    assert_reentrancy_panic(result.map_err(|m| Box::new(m) as Box<dyn Any + Send>));
    assert_eq!(*cell.load(), 1);
}

#[test]
fn reentrant_replace_panics_instead_of_deadlocking() {
    let cell = Arc::new(CowCell::new(1u64));
    let c = Arc::clone(&cell);
    let result = with_watchdog(move || {
        catch_unwind(AssertUnwindSafe(|| {
            c.update(|v| {
                *v = 100;
                let _ = c.replace(7);
            })
        }))
        .map_err(|p| message(&*p))
    });
    assert_reentrancy_panic(result.map_err(|m| Box::new(m) as Box<dyn Any + Send>));
    assert_eq!(*cell.load(), 1);
}

/// A value whose `clone` writes to the cell holding it (found through a
/// weak link, so there is no reference cycle).
struct Evil {
    home: Arc<OnceLock<Weak<CowCell<Evil>>>>,
}

impl Clone for Evil {
    fn clone(&self) -> Evil {
        let cell = self.home.get().unwrap().upgrade().unwrap();
        cell.store(Evil {
            home: Arc::clone(&self.home),
        });
        unreachable!("the store above must panic");
    }
}

#[test]
fn reentrant_store_from_t_clone_panics_instead_of_deadlocking() {
    // `T::clone` runs inside `update`, under the writer lock, too.
    let home = Arc::new(OnceLock::new());
    let cell = Arc::new(CowCell::new(Evil {
        home: Arc::clone(&home),
    }));
    home.set(Arc::downgrade(&cell)).ok().unwrap();
    let before = cell.snapshot();
    let c = Arc::clone(&cell);
    let result = with_watchdog(move || {
        catch_unwind(AssertUnwindSafe(|| c.update(|_| ()))).map_err(|p| message(&*p))
    });
    assert_reentrancy_panic(result.map_err(|m| Box::new(m) as Box<dyn Any + Send>));
    assert!(Cow::ptr_eq(&before, &cell.snapshot()));
}

#[test]
fn cell_is_usable_from_the_same_thread_after_a_reentrancy_panic() {
    let cell = Arc::new(CowCell::new(1u64));
    let c = Arc::clone(&cell);
    let after = with_watchdog(move || {
        let r = catch_unwind(AssertUnwindSafe(|| c.update(|_| c.update(|v| *v += 1))));
        assert!(r.is_err());
        let r = catch_unwind(AssertUnwindSafe(|| c.update(|_| c.store(5))));
        assert!(r.is_err());
        // The mark is gone: the same thread can write again, in every way,
        // and a new re-entrant call is still caught.
        c.update(|v| *v += 1);
        c.store(10);
        let old = c.replace(20);
        let r = catch_unwind(AssertUnwindSafe(|| c.update(|_| c.update(|v| *v += 1))));
        assert!(r.is_err());
        c.update(|v| *v += 1);
        (*old, *c.load())
    });
    assert_eq!(after, (10, 21));
    assert_eq!(*cell.load(), 21);
}

#[test]
fn a_caught_reentrancy_panic_inside_f_leaves_the_outer_update_intact() {
    let cell = Arc::new(CowCell::new(1u64));
    let c = Arc::clone(&cell);
    let out = with_watchdog(move || {
        let r = c.update(|v| {
            let inner = catch_unwind(AssertUnwindSafe(|| c.update(|v| *v += 1)));
            assert_reentrancy_panic(inner);
            // Still inside our own update: a second attempt is caught too.
            let inner = catch_unwind(AssertUnwindSafe(|| c.store(3)));
            assert_reentrancy_panic(inner);
            *v += 10;
            "done"
        });
        (r, *c.load())
    });
    assert_eq!(out, ("done", 11));
    assert_eq!(*cell.load(), 11);
}

#[test]
fn updating_another_cell_inside_f_works() {
    let a = Arc::new(CowCell::new(1u64));
    let b = Arc::new(CowCell::new(String::from("b")));
    let c = Arc::new(CowCell::new(vec![0u8]));
    let (a2, b2, c2) = (Arc::clone(&a), Arc::clone(&b), Arc::clone(&c));
    let r = with_watchdog(move || {
        a2.update(|x| {
            *x += 1;
            b2.update(|s| {
                s.push('!');
                c2.update(|v| v.push(1));
                c2.store(vec![2]);
                let old = c2.replace(vec![3]);
                assert_eq!(*old, [2]);
            });
            // `a`'s mark survives the nested update of `b` and `c`: going
            // back into `a` is still caught.
            let inner = catch_unwind(AssertUnwindSafe(|| a2.update(|x| *x += 1)));
            assert_reentrancy_panic(inner);
            // And `b` is free again.
            b2.store(String::from("b2"));
            *x * 10
        })
    });
    assert_eq!(r, 20);
    assert_eq!(*a.load(), 2);
    assert_eq!(*b.load(), "b2");
    assert_eq!(*c.load(), [3]);
}

#[test]
fn reentering_the_outer_cell_from_a_nested_update_panics() {
    let a = Arc::new(CowCell::new(1u64));
    let b = Arc::new(CowCell::new(1u64));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    let result = with_watchdog(move || {
        catch_unwind(AssertUnwindSafe(|| {
            a2.update(|x| {
                *x = 50;
                b2.update(|y| {
                    *y = 50;
                    a2.update(|x| *x += 1);
                });
            })
        }))
        .map_err(|p| message(&*p))
    });
    assert_reentrancy_panic(result.map_err(|m| Box::new(m) as Box<dyn Any + Send>));
    // Both updates were unwound: neither published.
    assert_eq!((*a.load(), *b.load()), (1, 1));
    // Both are usable again.
    a.update(|x| *x += 1);
    b.update(|y| *y += 1);
    assert_eq!((*a.load(), *b.load()), (2, 2));
}

#[test]
fn loads_and_snapshots_inside_f_are_fine_and_see_the_published_value() {
    let cell = CowCell::new(1u64);
    cell.update(|v| {
        *v = 2;
        // `f` works on a private copy: the cell still shows the old value.
        assert_eq!(*cell.load(), 1);
        assert_eq!(*cell.snapshot(), 1);
        assert_eq!(format!("{cell:?}"), "CowCell(1)");
    });
    assert_eq!(*cell.load(), 2);
}

/// What a thread-local's destructor did to a cell, op by op: `Ok(value
/// seen)` or `Err(panic message)`.
type ExitLog = Vec<(&'static str, Result<u64, String>)>;

/// Writes to a cell when its thread exits, from a thread-local destructor,
/// and reports what happened.
struct WriteOnThreadExit {
    cell: Arc<CowCell<u64>>,
    report: mpsc::Sender<ExitLog>,
}

impl Drop for WriteOnThreadExit {
    fn drop(&mut self) {
        let cell = &*self.cell;
        let attempt = |op: &'static str, f: &dyn Fn() -> u64| {
            (
                op,
                catch_unwind(AssertUnwindSafe(f)).map_err(|p| message(&*p)),
            )
        };
        let log = vec![
            attempt("load", &|| *cell.load()),
            attempt("update", &|| {
                cell.update(|v| {
                    *v += 1;
                    *v
                })
            }),
            attempt("store", &|| {
                cell.store(10);
                10
            }),
            attempt("replace", &|| *cell.replace(20)),
            attempt("final load", &|| *cell.load()),
        ];
        let _ = self.report.send(log);
    }
}

thread_local! {
    static ON_EXIT: std::cell::RefCell<Option<WriteOnThreadExit>> =
        const { std::cell::RefCell::new(None) };
}

/// `Arc<RwLock<T>>` can be written from a thread-local destructor (say, a
/// per-thread stats buffer flushed into a shared value when its thread
/// exits); so must its drop-in. Thread-locals are destroyed in reverse order
/// of first use, so this thread's `ON_EXIT` (used first) is destroyed after
/// whatever thread-locals the cell's own writes used.
#[test]
fn writes_from_a_thread_local_destructor_work() {
    let cell = Arc::new(CowCell::new(0u64));
    let (tx, rx) = mpsc::channel();
    let c = Arc::clone(&cell);
    let log = with_watchdog(move || {
        thread::spawn(move || {
            ON_EXIT.with(|slot| {
                *slot.borrow_mut() = Some(WriteOnThreadExit {
                    cell: Arc::clone(&c),
                    report: tx,
                });
            });
            // An ordinary write on this thread, before it exits.
            c.update(|v| *v += 1);
        })
        .join()
        .unwrap();
        rx.recv_timeout(WATCHDOG)
            .expect("the destructor sent no report")
    });
    let expected: ExitLog = vec![
        ("load", Ok(1)),
        ("update", Ok(2)),
        ("store", Ok(10)),
        ("replace", Ok(10)),
        ("final load", Ok(20)),
    ];
    assert_eq!(log, expected);
    assert_eq!(*cell.load(), 20);
}

thread_local! {
    /// Where the last panic on this thread was raised, as `file:line`.
    static LAST_PANIC_AT: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

/// Installs (once) a panic hook that records each panic's location in the
/// panicking thread's `LAST_PANIC_AT`, then runs the previous hook. Other
/// tests' panics only touch their own threads' records.
fn record_panic_locations() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            let _ = LAST_PANIC_AT.try_with(|last| *last.borrow_mut() = at);
            previous(info);
        }));
    });
}

/// `update`, `store`, `replace` and the check they share are all marked
/// `#[track_caller]`: a re-entrancy panic should point at the offending call
/// in the user's code, not somewhere inside arcow.
#[test]
fn reentrancy_panic_points_at_the_callers_line() {
    record_panic_locations();
    let cell = CowCell::new(0u8);
    let mut expected = String::new();
    let r = catch_unwind(AssertUnwindSafe(|| {
        cell.update(|_| {
            expected = format!("{}:{}", file!(), line!() + 1);
            cell.store(1);
        })
    }));
    assert_reentrancy_panic(r);
    let at = LAST_PANIC_AT.with(|last| last.borrow().clone());
    assert_eq!(at.as_deref(), Some(&*expected), "the panic's location");
}
