//! `CowCell` change notification (`version`, `changed`, `wait_changed`):
//! the version counts publishes and nothing else; a waiter never misses a
//! publish, also one that races its registration; a snapshot taken after a
//! wake-up is at least as new as the version it returned; a dropped pending
//! `Changed` leaves nothing registered and takes no wake-up from others; one
//! publish wakes every waiter; waiters never hold up the writer; the future
//! is `Send`, moves between threads and tasks, and is cancel-safe.
//!
//! The plain-thread tests drive `Changed` with `block_on` below (a thread
//! parker as the waker), so they also run under Miri; the tokio tests (a
//! multi-thread runtime) do not run under Miri. A test that would hang if a
//! wake-up were lost waits with a generous timeout ([`HANG`]) and fails
//! instead.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use arcow::{Changed, CowCell};
use static_assertions::{assert_impl_all, assert_not_impl_any};

mod common;

use common::alloc::{measure, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How long a wait may take before the test calls it a lost wake-up.
const HANG: Duration = Duration::from_secs(30);

/// Rounds of the publish-vs-registration races (2000 take well under a
/// second on an idle machine)...
const RACE_ROUNDS: u64 = if cfg!(miri) { 12 } else { 2000 };

/// ... but a race stops after this long, once it ran [`MIN_RACE_ROUNDS`]:
/// on a machine busy with other work every round waits for the scheduler.
const RACE_BUDGET: Duration = Duration::from_secs(3);
const MIN_RACE_ROUNDS: u64 = if cfg!(miri) { 12 } else { 400 };

/// What the waiter stores in the "ready" flag when the race is over.
const STOP: u64 = u64::MAX;

/// Publishes by the back-to-back writer of the "at least as new" tests.
const PUBLISHES: u64 = if cfg!(miri) { 12 } else { 5000 };

/// Waiters woken together by one publish.
const WAITERS: usize = if cfg!(miri) { 3 } else { 8 };

// `Changed` can be sent to another thread or task when the cell is `Sync`;
// not when `T` is not `Sync` (the future holds `&CowCell<T>`).
assert_impl_all!(Changed<'static, u64>: Send, Sync, Unpin);
assert_impl_all!(Changed<'static, Vec<String>>: Send, Sync);
assert_not_impl_any!(Changed<'static, std::cell::Cell<u64>>: Send, Sync);

// --- test executors -----------------------------------------------------

/// Wakes a thread parked in [`block_on_for`].
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `fut` on this thread, parking between polls, until it completes
/// (`Some`) or `timeout` passes (`None`).
fn block_on_for<F: Future>(fut: F, timeout: Duration) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + timeout;
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return Some(out);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        // A spurious unpark only costs one more poll.
        thread::park_timeout(deadline - now);
    }
}

/// [`block_on_for`] with [`HANG`]; a timeout fails the test.
fn block_on<F: Future>(fut: F) -> F::Output {
    block_on_for(fut, HANG).expect("lost wake-up: the future did not complete")
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    fn new() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker::default());
        (counter.clone(), Waker::from(counter))
    }
    fn wakes(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Polls `fut` once with `waker`.
fn poll_once<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// xorshift64: the random moments of the races, reproducible per seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// The writer's moment between seeing "ready" and publishing: mostly a
    /// short random spin (up to about 250 ns), now and then a yield (so a
    /// waiter that lost its core gets to run first).
    fn writer_pause(&mut self) {
        let r = self.next();
        if cfg!(miri) {
            // Miri's scheduler preempts at random anyway; and no
            // calibration there (100,000 interpreted spins).
            spin(r % 4);
        } else if r.is_multiple_of(16) {
            thread::yield_now();
        } else {
            spin((r >> 8) % (spins_per_us() / 4).max(1));
        }
    }
}

fn spin(spins: u64) {
    for _ in 0..spins {
        std::hint::spin_loop();
    }
}

/// Aims a waiter's registration at the writer's publish. The writer
/// publishes a while after it sees "ready" (how long depends on the machine,
/// the build and the load); the waiter spins `delay` (plus a random jitter of
/// about ±500 ns) after "ready" before it registers, and after each round
/// moves `delay` toward the point where half the publishes came before its
/// first check (`early`) and half after. The registration window (first
/// check, listen, mark, re-check) sits at that point, so the publish lands
/// before it, inside it and after it, round after round.
struct Aim {
    rng: Rng,
    /// In `spin_loop` iterations.
    delay: u64,
    /// Rounds whose publish came before / after the waiter's first check.
    early: u64,
    late: u64,
    start: Instant,
}

impl Aim {
    fn new(seed: u64) -> Aim {
        Aim {
            rng: Rng(seed),
            delay: 0,
            early: 0,
            late: 0,
            start: Instant::now(),
        }
    }

    /// Whether to run another round after `round` rounds.
    fn more(&self, round: u64) -> bool {
        round < RACE_ROUNDS && (round < MIN_RACE_ROUNDS || self.start.elapsed() < RACE_BUDGET)
    }

    fn pause(&mut self) {
        if cfg!(miri) {
            // Miri's scheduler preempts at random anyway.
            spin(self.rng.next() % 4);
            return;
        }
        let jitter = spins_per_us();
        spin((self.delay + self.rng.next() % jitter).saturating_sub(jitter / 2));
    }

    fn feedback(&mut self, early: bool) {
        let step = (self.delay / 32).max(1);
        if early {
            self.early += 1;
            self.delay = self.delay.saturating_sub(step);
        } else {
            self.late += 1;
            self.delay += step;
        }
    }

    /// Natively, checks that the race was run from both sides (the test
    /// was not vacuous).
    fn check(&self) {
        if !cfg!(miri) {
            assert!(
                self.early > 0 && self.late > 0,
                "the publish never raced the registration: {} early, {} late",
                self.early,
                self.late
            );
        }
    }
}

/// `spin_loop` iterations per microsecond on this machine, measured once.
fn spins_per_us() -> u64 {
    static SPINS: OnceLock<u64> = OnceLock::new();
    *SPINS.get_or_init(|| {
        let n = 100_000u64;
        let t0 = Instant::now();
        for _ in 0..n {
            std::hint::spin_loop();
        }
        let ns = (t0.elapsed().as_nanos() as u64).max(1);
        (n * 1000 / ns).max(1)
    })
}

/// Waits until `flag` holds `value` (true) or [`STOP`] (false): spins for
/// a few microseconds, then yields, then sleeps in short steps (on a busy
/// 2-core machine the other thread may need this core to get there).
fn wait_for(flag: &AtomicU64, value: u64) -> bool {
    let deadline = Instant::now() + HANG;
    let mut tries = 0u32;
    loop {
        match flag.load(Ordering::Acquire) {
            now if now == value => return true,
            STOP => return false,
            _ => {}
        }
        tries = tries.saturating_add(1);
        if cfg!(miri) || tries > 256 {
            assert!(
                Instant::now() < deadline,
                "the other thread never got to {value} (at {})",
                flag.load(Ordering::Acquire)
            );
            if tries > 512 {
                thread::sleep(Duration::from_micros(20));
            } else {
                thread::yield_now();
            }
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Held by the tests that spin (the races), so that they take turns
/// instead of spinning against each other on a 2-core machine.
fn spinning_alone() -> std::sync::MutexGuard<'static, ()> {
    static SPINNING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SPINNING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A value that carries the version it was published as (one writer, each
/// publish `+= 1`), so a reader can tell how new its snapshot is.
#[derive(Clone, Debug)]
struct Versioned {
    version: u64,
    /// Some payload, so a publish allocates and copies like a real one.
    payload: [u64; 4],
}

impl Versioned {
    fn new() -> Versioned {
        Versioned {
            version: 0,
            payload: [0; 4],
        }
    }
    fn bump(&mut self) {
        self.version += 1;
        self.payload = [self.version; 4];
    }
    fn check(&self) -> u64 {
        assert_eq!(self.payload, [self.version; 4], "torn value");
        self.version
    }
}

// --- version ------------------------------------------------------------

#[test]
fn version_starts_at_zero_and_counts_update_store_and_replace() {
    let cell = CowCell::new(0u64);
    assert_eq!(cell.version(), 0);
    assert_eq!(CowCell::<u64>::default().version(), 0);
    assert_eq!(CowCell::<i32>::from(arcow::Cow::new(5)).version(), 0);

    // Reads are not publishes.
    let _ = (*cell.load(), cell.snapshot());
    assert_eq!(cell.version(), 0);

    cell.update(|n| *n += 1);
    assert_eq!(cell.version(), 1);
    cell.store(10);
    assert_eq!(cell.version(), 2);
    let old = cell.replace(20);
    assert_eq!((*old, cell.version()), (10, 3));
    // An update that changes nothing still publishes a new value.
    cell.update(|_| ());
    assert_eq!(cell.version(), 4);
    assert_eq!(*cell.load(), 20);
}

#[test]
fn an_update_whose_closure_panics_is_not_counted() {
    let cell = CowCell::new(vec![1, 2]);
    cell.store(vec![3]);
    let r = catch_unwind(AssertUnwindSafe(|| {
        cell.update(|v| {
            v.push(4);
            panic!("boom");
        })
    }));
    assert!(r.is_err());
    assert_eq!(cell.version(), 1, "a panicked update published nothing");
    assert_eq!(*cell.load(), [3]);

    // And no waiter was woken by it: a `changed(1)` polled before is still
    // pending and its waker untouched.
    let (counter, waker) = CountingWaker::new();
    let mut fut = cell.changed(1);
    assert_eq!(poll_once(&mut fut, &waker), Poll::Pending);
    let _ = catch_unwind(AssertUnwindSafe(|| cell.update(|_| panic!("boom"))));
    assert_eq!(counter.wakes(), 0);
    assert_eq!(poll_once(&mut fut, &waker), Poll::Pending);

    // The next good update counts, and wakes it.
    cell.update(|v| v.push(5));
    assert_eq!(cell.version(), 2);
    assert_eq!(counter.wakes(), 1);
    assert_eq!(poll_once(&mut fut, &waker), Poll::Ready(2));
}

#[test]
fn an_update_whose_clone_panics_is_not_counted() {
    /// Panics in `clone` when told to.
    struct Fragile(Arc<AtomicBool>);
    impl Clone for Fragile {
        fn clone(&self) -> Fragile {
            assert!(!self.0.load(Ordering::SeqCst), "clone refused");
            Fragile(self.0.clone())
        }
    }
    let refuse = Arc::new(AtomicBool::new(false));
    let cell = CowCell::new(Fragile(refuse.clone()));
    cell.update(|_| ());
    refuse.store(true, Ordering::SeqCst);
    assert!(catch_unwind(AssertUnwindSafe(|| cell.update(|_| ()))).is_err());
    assert_eq!(cell.version(), 1);
    refuse.store(false, Ordering::SeqCst);
    cell.update(|_| ());
    assert_eq!(cell.version(), 2);
}

// --- changed: single-threaded and deterministic --------------------------

#[test]
fn changed_is_ready_at_once_when_the_version_is_already_past() {
    let cell = CowCell::new(0);
    cell.store(1);
    cell.store(2);
    cell.store(3);
    let (counter, waker) = CountingWaker::new();
    // It returns the current version, not `since + 1`.
    for since in 0..3 {
        assert_eq!(poll_once(&mut cell.changed(since), &waker), Poll::Ready(3));
    }
    assert_eq!(counter.wakes(), 0);
    // Not past: pending.
    assert_eq!(poll_once(&mut cell.changed(3), &waker), Poll::Pending);
    assert_eq!(poll_once(&mut cell.changed(100), &waker), Poll::Pending);
    // A completed future polled again stays complete.
    let mut fut = cell.changed(2);
    assert_eq!(poll_once(&mut fut, &waker), Poll::Ready(3));
    assert_eq!(poll_once(&mut fut, &waker), Poll::Ready(3));
}

#[test]
fn a_pending_changed_is_woken_by_the_next_publish_and_completes() {
    let cell = CowCell::new(String::from("a"));
    let v = cell.version();
    let (counter, waker) = CountingWaker::new();
    let mut fut = cell.changed(v);
    assert_eq!(poll_once(&mut fut, &waker), Poll::Pending);
    assert_eq!(
        poll_once(&mut fut, &waker),
        Poll::Pending,
        "a second poll too"
    );
    assert_eq!(counter.wakes(), 0);

    cell.store(String::from("b"));
    assert!(counter.wakes() >= 1, "the publish woke the waker");
    assert_eq!(poll_once(&mut fut, &waker), Poll::Ready(v + 1));
    assert_eq!(*cell.snapshot(), "b");
}

#[test]
fn waiting_for_a_later_version_keeps_waiting_through_earlier_publishes() {
    let cell = CowCell::new(0u64);
    let (counter, waker) = CountingWaker::new();
    // Wait for a version past 2: two publishes wake the future (spurious
    // for it), but it stays pending until the third.
    let mut fut = cell.changed(2);
    assert_eq!(poll_once(&mut fut, &waker), Poll::Pending);
    for n in 1..=2 {
        cell.store(n);
        assert_eq!(poll_once(&mut fut, &waker), Poll::Pending);
    }
    let before = counter.wakes();
    cell.store(3);
    assert!(counter.wakes() > before, "re-registered after each wake-up");
    assert_eq!(poll_once(&mut fut, &waker), Poll::Ready(3));
}

// --- changed with plain threads ------------------------------------------

#[test]
fn changed_completes_on_a_later_publish_from_another_thread() {
    let cell = CowCell::new(Versioned::new());
    let v = cell.version();
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            cell.update(Versioned::bump);
        });
        let now = block_on(cell.changed(v));
        assert_eq!(now, 1);
        assert_eq!(cell.snapshot().check(), 1);
    });
}

#[test]
fn the_watch_loop_ends_on_the_final_value() {
    // The loop of the contract: `use(snapshot); v = changed(v)`, against a
    // writer publishing back to back; it may see a value twice, never a
    // stale one at the end.
    let cell = CowCell::new(Versioned::new());
    let last = PUBLISHES;
    let started = AtomicU64::new(0);
    thread::scope(|s| {
        let watcher = s.spawn(|| {
            let mut v = cell.version();
            started.store(1, Ordering::Release);
            let mut seen = 0;
            let mut wakes = 0u64;
            loop {
                let snap = cell.snapshot();
                let now = snap.check();
                assert!(now >= v, "snapshot {now} older than version {v}");
                assert!(now >= seen, "went back from {seen} to {now}");
                seen = now;
                if now == last {
                    return wakes;
                }
                v = block_on(cell.changed(v));
                wakes += 1;
            }
        });
        assert!(wait_for(&started, 1));
        for i in 0..last {
            cell.update(Versioned::bump);
            if i.is_multiple_of(16) {
                thread::yield_now();
            }
        }
        // Possibly fewer wake-ups than publishes (they coalesce), never
        // more.
        let wakes = watcher.join().unwrap();
        assert!(wakes <= last, "{wakes} wake-ups");
    });
}

#[test]
fn a_changed_polled_on_one_thread_completes_on_another() {
    let cell = CowCell::new(0u64);
    let v = cell.version();
    let (counter_a, waker_a) = CountingWaker::new();
    let mut fut = cell.changed(v);
    assert_eq!(poll_once(&mut fut, &waker_a), Poll::Pending);
    let polled_there = &AtomicBool::new(false);
    thread::scope(|s| {
        let other = s.spawn(move || {
            // Moved here pending and registered: polled with this thread's
            // waker from now on.
            let (counter_b, waker_b) = CountingWaker::new();
            assert_eq!(poll_once(&mut fut, &waker_b), Poll::Pending);
            polled_there.store(true, Ordering::SeqCst);
            let now = block_on(fut);
            (now, counter_b.wakes())
        });
        while !polled_there.load(Ordering::SeqCst) {
            thread::yield_now();
        }
        cell.store(1);
        let (now, _) = other.join().unwrap();
        assert_eq!(now, 1);
    });
    // Whether the first thread's stale waker is woken too is up to the
    // waiter list; the future completed where it was last polled.
    let _ = counter_a.wakes();
}

// --- wait_changed --------------------------------------------------------

#[test]
fn wait_changed_returns_none_after_the_timeout() {
    let cell = CowCell::new(0u64);
    let v = cell.version();
    for ms in [10, 30] {
        let timeout = Duration::from_millis(ms);
        let t0 = Instant::now();
        assert_eq!(cell.wait_changed(v, timeout), None);
        assert!(t0.elapsed() >= timeout, "returned before the timeout");
    }
    assert_eq!(cell.wait_changed(v, Duration::ZERO), None);
    // Still usable after timing out.
    cell.store(1);
    assert_eq!(cell.wait_changed(v, Duration::ZERO), Some(1));
}

#[test]
fn wait_changed_returns_at_once_when_the_version_is_already_past() {
    let cell = CowCell::new(0u64);
    cell.store(1);
    cell.store(2);
    assert_eq!(cell.wait_changed(0, Duration::ZERO), Some(2));
    assert_eq!(cell.wait_changed(1, Duration::from_secs(3600)), Some(2));
    // A timeout too large to add to now means no limit, not a panic.
    assert_eq!(cell.wait_changed(0, Duration::MAX), Some(2));
}

#[test]
fn wait_changed_returns_the_version_another_thread_publishes() {
    let cell = CowCell::new(Versioned::new());
    let v = cell.version();
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            cell.update(Versioned::bump);
        });
        let now = cell.wait_changed(v, HANG);
        assert_eq!(now, Some(1));
        assert_eq!(cell.snapshot().check(), 1);
    });
    // No limit at all (`Duration::MAX`), on a thread of its own, so that a
    // lost wake-up fails the test instead of hanging it.
    let cell = Arc::new(cell);
    let v = cell.version();
    let (tx, rx) = mpsc::channel();
    thread::spawn({
        let cell = cell.clone();
        move || tx.send(cell.wait_changed(v, Duration::MAX)).unwrap()
    });
    thread::sleep(Duration::from_millis(5));
    cell.update(Versioned::bump);
    assert_eq!(rx.recv_timeout(HANG), Ok(Some(2)), "lost wake-up");
}

// --- no waiter misses a publish ------------------------------------------

/// One waiter and one writer, `RACE_ROUNDS` rounds: in each, the waiter
/// reads the version `v`, tells the writer, and waits with `wait(cell, v)`;
/// the writer publishes exactly once at a random moment after that, racing
/// the waiter's registration. Every wait must return `v + 1`, and a
/// snapshot taken after it must hold at least `v + 1`.
fn publish_races_registration(seed: u64, wait: fn(&CowCell<Versioned>, u64) -> Option<u64>) {
    let _alone = spinning_alone();
    let cell = CowCell::new(Versioned::new());
    // The last round whose version the waiter has read.
    let ready = AtomicU64::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            let mut rng = Rng(seed);
            for round in 1.. {
                if !wait_for(&ready, round) {
                    break;
                }
                rng.writer_pause();
                cell.update(Versioned::bump);
            }
        });
        let mut aim = Aim::new(seed ^ 0x5555);
        let mut round = 0;
        while aim.more(round) {
            round += 1;
            let v = cell.version();
            assert_eq!(v, round - 1);
            ready.store(round, Ordering::Release);
            aim.pause();
            // Just before the wait's own first check: a good guess of which
            // side of it the publish fell on.
            let early = cell.version() > v;
            let now = wait(&cell, v);
            assert_eq!(now, Some(round), "round {round}: the publish was missed");
            assert!(cell.snapshot().check() >= round);
            aim.feedback(early);
        }
        ready.store(STOP, Ordering::Release);
        aim.check();
    });
}

#[test]
fn no_waiter_misses_a_publish_changed_on_plain_threads() {
    publish_races_registration(0x9E37_79B9_7F4A_7C15, |cell, v| {
        block_on_for(cell.changed(v), HANG)
    });
}

#[test]
fn no_waiter_misses_a_publish_wait_changed() {
    publish_races_registration(0xD6E8_FEB8_6659_FD93, |cell, v| cell.wait_changed(v, HANG));
}

/// As [`publish_races_registration`], with the future polled by hand and
/// woken through a counting waker: the publish must wake the waker it was
/// last polled with (not only complete on a later poll).
#[test]
fn no_waiter_misses_a_publish_and_its_waker_is_woken() {
    let _alone = spinning_alone();
    let cell = CowCell::new(0u64);
    let ready = AtomicU64::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            let mut rng = Rng(7);
            for round in 1.. {
                if !wait_for(&ready, round) {
                    break;
                }
                rng.writer_pause();
                cell.store(round);
            }
        });
        let mut aim = Aim::new(8);
        let mut round = 0;
        while aim.more(round) {
            round += 1;
            let v = cell.version();
            let (counter, waker) = CountingWaker::new();
            let mut fut = cell.changed(v);
            ready.store(round, Ordering::Release);
            aim.pause();
            let first = poll_once(&mut fut, &waker);
            // Ready: the publish came before the first check or inside the
            // registration (the re-check caught it).
            aim.feedback(first.is_ready());
            if first.is_pending() {
                // Registered before or after the publish: either way the
                // waker must be woken. A wake-up may also come early, from
                // the previous round's publish: its `notify` can run after
                // this round's waiter registered (that round's waiter had
                // not needed it), and Future's contract allows such a
                // spurious wake-up; the poll after it is then Pending and
                // registers again. What must hold is that a wake-up comes
                // after which the poll is Ready with this round's version.
                let deadline = Instant::now() + HANG;
                let mut seen = 0;
                loop {
                    while counter.wakes() == seen {
                        assert!(
                            Instant::now() < deadline,
                            "round {round}: waker never woken after {seen} wake-up(s) \
                             (version {}, {} published)",
                            cell.version(),
                            if cell.version() == round {
                                "was"
                            } else {
                                "not"
                            }
                        );
                        thread::yield_now();
                    }
                    seen = counter.wakes();
                    // Read before the poll: if this round's version is out
                    // already, the poll must see it.
                    let published = cell.version() >= round;
                    match poll_once(&mut fut, &waker) {
                        Poll::Ready(got) => {
                            assert_eq!(got, round);
                            break;
                        }
                        Poll::Pending => assert!(
                            !published,
                            "round {round}: pending after a wake-up, with the version published"
                        ),
                    }
                }
            }
            assert_eq!(*cell.snapshot(), round);
        }
        ready.store(STOP, Ordering::Release);
        aim.check();
    });
}

// --- snapshots after a wake-up --------------------------------------------

/// A back-to-back writer and waiters that check every wake-up: the version
/// returned never goes back, and a snapshot taken after it is at least as
/// new; a snapshot taken after `version()` is too.
#[test]
fn a_snapshot_after_a_wake_up_is_at_least_as_new_as_its_version() {
    let cell = CowCell::new(Versioned::new());
    let last = PUBLISHES;
    thread::scope(|s| {
        let with_changed = s.spawn(|| {
            let mut v = 0;
            while v < last {
                let now = block_on(cell.changed(v));
                assert!(now > v);
                assert!(cell.snapshot().check() >= now, "snapshot older than {now}");
                v = now;
            }
        });
        let with_wait = s.spawn(|| {
            let mut v = 0;
            while v < last {
                let now = cell.wait_changed(v, HANG).expect("lost wake-up");
                assert!(now > v);
                assert!(cell.load().check() >= now, "load older than {now}");
                v = now;
            }
        });
        let with_version = s.spawn(|| loop {
            let v = cell.version();
            assert!(cell.snapshot().check() >= v, "snapshot older than {v}");
            if v == last {
                break;
            }
            thread::yield_now();
        });
        for _ in 0..last {
            cell.update(Versioned::bump);
        }
        for t in [with_changed, with_wait, with_version] {
            t.join().unwrap();
        }
    });
}

// --- dropping a pending Changed ------------------------------------------

#[test]
fn a_dropped_pending_changed_is_never_woken_and_the_cell_works_on() {
    let cell = CowCell::new(0u64);
    let (dropped, waker) = CountingWaker::new();
    let mut fut = cell.changed(0);
    assert_eq!(poll_once(&mut fut, &waker), Poll::Pending);
    drop(fut);

    cell.store(1);
    assert_eq!(dropped.wakes(), 0, "a dropped future's waker was woken");
    assert_eq!((cell.version(), *cell.load()), (1, 1));

    // Waiters after it are still woken, by this publish and by later ones.
    for n in 2..=3 {
        let (counter, waker) = CountingWaker::new();
        let mut fut = cell.changed(n - 1);
        assert_eq!(poll_once(&mut fut, &waker), Poll::Pending);
        cell.store(n);
        assert_eq!(counter.wakes(), 1);
        assert_eq!(poll_once(&mut fut, &waker), Poll::Ready(n));
    }
    assert_eq!(dropped.wakes(), 0);
}

#[test]
fn dropping_one_of_two_pending_waiters_leaves_the_other_registered() {
    let cell = CowCell::new(0u64);
    let (a_count, a_waker) = CountingWaker::new();
    let (b_count, b_waker) = CountingWaker::new();
    let mut a = cell.changed(0);
    let mut b = cell.changed(0);
    assert_eq!(poll_once(&mut a, &a_waker), Poll::Pending);
    assert_eq!(poll_once(&mut b, &b_waker), Poll::Pending);
    drop(a);
    cell.store(1);
    assert_eq!((a_count.wakes(), b_count.wakes()), (0, 1));
    assert_eq!(poll_once(&mut b, &b_waker), Poll::Ready(1));
}

#[test]
fn a_dropped_notified_changed_takes_no_wake_up_from_another_waiter() {
    let cell = CowCell::new(0u64);
    let (_, a_waker) = CountingWaker::new();
    let (b_count, b_waker) = CountingWaker::new();
    let mut a = cell.changed(0);
    let mut b = cell.changed(0);
    assert_eq!(poll_once(&mut a, &a_waker), Poll::Pending);
    assert_eq!(poll_once(&mut b, &b_waker), Poll::Pending);
    cell.store(1);
    // `a` was notified but never polled again: dropping it now (a
    // cancelled select! arm) must not cost `b` its wake-up.
    drop(a);
    assert_eq!(b_count.wakes(), 1);
    assert_eq!(poll_once(&mut b, &b_waker), Poll::Ready(1));
}

#[test]
fn a_dropped_pending_changed_frees_what_it_registered() {
    let cell = CowCell::new(0u64);
    let (_, waker) = CountingWaker::new();
    // The first registration makes the waiter list itself, kept by the cell.
    let _ = poll_once(&mut cell.changed(0), &waker);
    for _ in 0..3 {
        let (pending, stats) = measure(|| {
            let mut fut = cell.changed(0);
            let pending = poll_once(&mut fut, &waker).is_pending();
            drop(fut);
            pending
        });
        assert!(pending);
        assert!(
            stats.allocs >= 1,
            "registering allocates a listener: {stats:?}"
        );
        assert!(
            stats.balanced(),
            "a dropped Changed left memory behind: {stats:?}"
        );
    }
    // A publish after all that still works, and the one after it too.
    cell.store(1);
    cell.store(2);
    assert_eq!(cell.wait_changed(1, Duration::ZERO), Some(2));
}

// --- many waiters, and the writer ----------------------------------------

#[test]
fn one_publish_wakes_every_pending_future() {
    let cell = CowCell::new(0u64);
    let wakers: Vec<_> = (0..WAITERS).map(|_| CountingWaker::new()).collect();
    let mut futs: Vec<_> = (0..WAITERS).map(|_| cell.changed(0)).collect();
    for (fut, (_, waker)) in futs.iter_mut().zip(&wakers) {
        assert_eq!(poll_once(fut, waker), Poll::Pending);
    }
    cell.store(1);
    for (fut, (counter, waker)) in futs.iter_mut().zip(&wakers) {
        assert_eq!(counter.wakes(), 1);
        assert_eq!(poll_once(fut, waker), Poll::Ready(1));
    }
}

#[test]
fn one_publish_wakes_every_waiting_thread() {
    let cell = CowCell::new(0u64);
    thread::scope(|s| {
        let waiters: Vec<_> = (0..WAITERS)
            .map(|i| {
                let cell = &cell;
                s.spawn(move || {
                    if i.is_multiple_of(2) {
                        cell.wait_changed(0, HANG)
                    } else {
                        block_on_for(cell.changed(0), HANG)
                    }
                })
            })
            .collect();
        // Give them time to park (not needed for correctness: a late
        // waiter finds the version past and returns at once).
        thread::sleep(Duration::from_millis(20));
        cell.store(1);
        for w in waiters {
            assert_eq!(w.join().unwrap(), Some(1));
        }
    });
}

#[test]
fn waiters_never_block_the_writer() {
    let updates: u64 = if cfg!(miri) { 20 } else { 20_000 };
    let cell = CowCell::new(Versioned::new());
    // A future polled once and then never again (its registration stays,
    // notified and never consumed), and one never polled at all.
    let (_, waker) = CountingWaker::new();
    let mut stale = cell.changed(0);
    assert_eq!(poll_once(&mut stale, &waker), Poll::Pending);
    let never_polled = cell.changed(0);

    let (done_tx, done_rx) = mpsc::channel();
    thread::scope(|s| {
        // Waiters that stay pending until the last update, woken (mostly
        // for nothing) by every publish on the way.
        let waiters: Vec<_> = (0..WAITERS)
            .map(|i| {
                let cell = &cell;
                s.spawn(move || {
                    if i.is_multiple_of(2) {
                        cell.wait_changed(updates - 1, HANG)
                    } else {
                        block_on_for(cell.changed(updates - 1), HANG)
                    }
                })
            })
            .collect();
        s.spawn(|| {
            let t0 = Instant::now();
            for _ in 0..updates {
                cell.update(Versioned::bump);
            }
            done_tx.send(t0.elapsed()).unwrap();
        });
        // A writer blocked by a waiter would never get here; fail instead
        // of hanging.
        let _took = done_rx
            .recv_timeout(HANG)
            .expect("the writer did not finish its updates");
        assert_eq!(cell.version(), updates);
        assert_eq!(cell.load().check(), updates);
        for w in waiters {
            assert_eq!(w.join().unwrap(), Some(updates));
        }
    });
    assert_eq!(poll_once(&mut stale, &waker), Poll::Ready(updates));
    assert_eq!(block_on(never_polled), updates);
}

// --- tokio: a multi-thread runtime ----------------------------------------

#[cfg(not(miri))]
mod with_tokio {
    use super::*;
    use tokio::sync::oneshot;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn changed_completes_on_a_later_publish_in_a_task() {
        let cell = Arc::new(CowCell::new(Versioned::new()));
        runtime().block_on(async {
            let v = cell.version();
            let waiter = tokio::spawn({
                let cell = cell.clone();
                async move {
                    let now = cell.changed(v).await;
                    (now, cell.snapshot().check())
                }
            });
            tokio::time::sleep(Duration::from_millis(5)).await;
            cell.update(Versioned::bump);
            let (now, seen) = tokio::time::timeout(HANG, waiter)
                .await
                .expect("lost wake-up")
                .unwrap();
            assert_eq!((now, seen), (1, 1));
        });
    }

    #[test]
    fn no_waiter_misses_a_publish_from_a_plain_thread() {
        let _alone = spinning_alone();
        let cell = Arc::new(CowCell::new(Versioned::new()));
        let ready = Arc::new(AtomicU64::new(0));
        let writer = thread::spawn({
            let (cell, ready) = (cell.clone(), ready.clone());
            move || {
                let mut rng = Rng(11);
                for round in 1.. {
                    if !wait_for(&ready, round) {
                        break;
                    }
                    rng.writer_pause();
                    cell.update(Versioned::bump);
                }
            }
        });
        runtime().block_on(async {
            tokio::spawn(async move {
                let mut aim = Aim::new(12);
                let mut round = 0;
                while aim.more(round) {
                    round += 1;
                    let v = cell.version();
                    ready.store(round, Ordering::Release);
                    aim.pause();
                    let early = cell.version() > v;
                    let now = tokio::time::timeout(HANG, cell.changed(v))
                        .await
                        .unwrap_or_else(|_| panic!("round {round}: the publish was missed"));
                    assert_eq!(now, round);
                    assert!(cell.snapshot().check() >= round);
                    aim.feedback(early);
                }
                ready.store(STOP, Ordering::Release);
                aim.check();
            })
            .await
            .unwrap();
        });
        writer.join().unwrap();
    }

    #[test]
    fn snapshot_held_across_await_and_the_watch_loop_ends_on_the_final_value() {
        let cell = Arc::new(CowCell::new(Versioned::new()));
        let last = 2000;
        runtime().block_on(async {
            let watchers: Vec<_> = (0..4)
                .map(|_| {
                    let cell = cell.clone();
                    tokio::spawn(async move {
                        let mut v = cell.version();
                        loop {
                            let snap = cell.snapshot();
                            let now = snap.check();
                            assert!(now >= v);
                            if now == last {
                                return;
                            }
                            // The snapshot is held across the wait: it
                            // blocks no writer and does not change.
                            v = cell.changed(v).await;
                            assert_eq!(snap.check(), now);
                        }
                    })
                })
                .collect();
            let writer = tokio::spawn({
                let cell = cell.clone();
                async move {
                    for i in 0..last {
                        cell.update(Versioned::bump);
                        if i.is_multiple_of(64) {
                            tokio::task::yield_now().await;
                        }
                    }
                }
            });
            writer.await.unwrap();
            for w in watchers {
                tokio::time::timeout(HANG, w)
                    .await
                    .expect("a watcher missed the last publish")
                    .unwrap();
            }
        });
    }

    #[test]
    fn a_changed_polled_in_one_task_completes_in_another() {
        let cell = Arc::new(CowCell::new(0u64));
        runtime().block_on(async {
            let v = cell.version();
            // The future (an async block owning the cell and awaiting its
            // `changed`) is polled once in one task, then sent pending to
            // another task and awaited there.
            let (tx, rx) = oneshot::channel();
            let fut = {
                let cell = cell.clone();
                async move { cell.changed(v).await }
            };
            tokio::spawn(async move {
                let mut fut = Box::pin(fut);
                let first = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
                assert!(first.is_pending());
                tx.send(fut).ok().unwrap();
            })
            .await
            .unwrap();
            let fut = rx.await.unwrap();
            let finisher = tokio::spawn(fut);
            tokio::time::sleep(Duration::from_millis(5)).await;
            cell.store(1);
            let now = tokio::time::timeout(HANG, finisher)
                .await
                .expect("lost wake-up after the move")
                .unwrap();
            assert_eq!(now, 1);
        });
    }

    #[test]
    fn one_publish_wakes_every_task() {
        let cell = Arc::new(CowCell::new(0u64));
        runtime().block_on(async {
            let tasks: Vec<_> = (0..64)
                .map(|_| {
                    let cell = cell.clone();
                    tokio::spawn(async move { cell.changed(0).await })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(10)).await;
            cell.store(1);
            for t in tasks {
                let now = tokio::time::timeout(HANG, t)
                    .await
                    .expect("a task was not woken")
                    .unwrap();
                assert_eq!(now, 1);
            }
        });
    }

    #[test]
    fn changed_cancelled_by_select_loses_nothing() {
        let cell = Arc::new(CowCell::new(Versioned::new()));
        runtime().block_on(async {
            // Nothing published: the timer wins, the `changed` arm is
            // dropped while registered.
            let v = cell.version();
            tokio::select! {
                _ = cell.changed(v) => panic!("nothing was published"),
                _ = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
            // A publish now: the same `changed(v)`, made again, sees it at
            // once; nothing was consumed by the cancelled one.
            cell.update(Versioned::bump);
            tokio::select! {
                now = cell.changed(v) => assert_eq!(now, 1),
                _ = tokio::time::sleep(HANG) => panic!("the publish was lost"),
            }

            // A loop that cancels its wait every millisecond while a writer
            // publishes at random moments: it still ends on the last value.
            let last = 200;
            let end = cell.version() + last;
            let writer = thread::spawn({
                let cell = cell.clone();
                move || {
                    let mut rng = Rng(3);
                    for _ in 0..last {
                        if rng.next().is_multiple_of(4) {
                            thread::sleep(Duration::from_micros(rng.next() % 1500));
                        }
                        cell.update(Versioned::bump);
                    }
                }
            });
            let mut v = cell.version();
            let (mut cancelled, deadline) = (0u32, Instant::now() + HANG);
            while cell.snapshot().check() < end {
                assert!(Instant::now() < deadline, "never saw the last value");
                tokio::select! {
                    now = cell.changed(v) => {
                        assert!(now > v);
                        assert!(cell.snapshot().check() >= now);
                        v = now;
                    }
                    _ = tokio::time::sleep(Duration::from_millis(1)) => cancelled += 1,
                }
            }
            writer.join().unwrap();
            let _ = cancelled;
        });
    }

    #[test]
    fn changed_cancelled_by_timeout_loses_nothing_and_wakes_others() {
        let cell = Arc::new(CowCell::new(0u64));
        runtime().block_on(async {
            let v = cell.version();
            // Another task waits the whole time.
            let patient = tokio::spawn({
                let cell = cell.clone();
                async move { cell.changed(v).await }
            });
            for _ in 0..3 {
                let r = tokio::time::timeout(Duration::from_millis(5), cell.changed(v)).await;
                assert!(r.is_err(), "nothing was published");
            }
            cell.store(1);
            let now = tokio::time::timeout(HANG, cell.changed(v)).await;
            assert_eq!(now, Ok(1));
            let now = tokio::time::timeout(HANG, patient)
                .await
                .expect("lost wake-up");
            assert_eq!(now.unwrap(), 1);
        });
    }

    #[test]
    fn wait_changed_in_spawn_blocking_and_changed_in_a_task_see_the_same_publish() {
        let cell = Arc::new(CowCell::new(0u64));
        runtime().block_on(async {
            let blocking = tokio::task::spawn_blocking({
                let cell = cell.clone();
                move || cell.wait_changed(0, HANG)
            });
            let task = tokio::spawn({
                let cell = cell.clone();
                async move { cell.changed(0).await }
            });
            tokio::time::sleep(Duration::from_millis(5)).await;
            cell.store(1);
            assert_eq!(blocking.await.unwrap(), Some(1));
            assert_eq!(tokio::time::timeout(HANG, task).await.unwrap().unwrap(), 1);
        });
    }
}
