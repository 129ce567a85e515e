//! A quickcheck model test of `Cow<T>`.
//!
//! A random sequence of operations runs on a pool of real handles,
//! `Vec<Option<Cow<Dummy>>>`, and on a model where every handle is its own
//! deep copy of the value plus a group id: the handles of one group are the
//! ones that share an allocation. After every step, every live handle's value
//! must equal the model's, `strong_count` must equal the size of its group,
//! `is_unique` must say whether that size is 1, `ptr_eq` must say whether two
//! handles are in one group, the number of live payloads must equal the
//! number of groups (one value per allocation), and `T::clone` must have run
//! exactly as often as the model says a copy was needed. At the end every
//! payload ever made was dropped exactly once.

mod common;

use arcow::Cow;
use common::{Dummy, Tracker};
use quickcheck::{Arbitrary, Gen, QuickCheck};

/// The number of handle slots in the pool.
const POOL: usize = 6;

/// One step. Slots are taken modulo [`POOL`]; an operation on an empty slot
/// does nothing (except `New`, which fills it).
#[derive(Clone, Debug)]
enum Op {
    /// `pool[slot] = Cow::new(value)` (dropping what was there).
    New { slot: usize, value: u64 },
    /// `pool[to] = pool[from].clone()`.
    Clone { from: usize, to: usize },
    /// `pool[slot] = None`.
    Drop { slot: usize },
    /// `Cow::make_mut(&mut pool[slot]).value = value`.
    MakeMut { slot: usize, value: u64 },
    /// `Cow::get_mut(&mut pool[slot])`, writing `value` if it succeeds.
    GetMut { slot: usize, value: u64 },
    /// `Cow::try_unwrap(pool[slot])`, putting the handle back on `Err`.
    TryUnwrap { slot: usize },
    /// `Cow::into_inner(pool[slot])`.
    IntoInner { slot: usize },
    /// `Cow::unwrap_or_clone(pool[slot])`.
    UnwrapOrClone { slot: usize },
    /// `pool[slot] = Cow::from_raw(Cow::into_raw(pool[slot]))`.
    RawRoundTrip { slot: usize },
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Op {
        let slot = usize::arbitrary(g) % POOL;
        let other = usize::arbitrary(g) % POOL;
        // Small values, so that equal values in different groups happen too.
        let value = u64::from(u8::arbitrary(g) % 16);
        // Weighted: clones are common so that groups grow.
        let kinds: [u8; 13] = [0, 0, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8];
        match *g.choose(&kinds).unwrap() {
            0 => Op::New { slot, value },
            1 => Op::Clone {
                from: slot,
                to: other,
            },
            2 => Op::Drop { slot },
            3 => Op::MakeMut { slot, value },
            4 => Op::GetMut { slot, value },
            5 => Op::TryUnwrap { slot },
            6 => Op::IntoInner { slot },
            7 => Op::UnwrapOrClone { slot },
            _ => Op::RawRoundTrip { slot },
        }
    }
}

/// One model handle: its own copy of the value, and the id of the allocation
/// it would share with the other handles of its group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ModelHandle {
    group: u64,
    value: u64,
}

/// The real pool, the model and the tracker, stepped together.
struct Harness {
    real: Vec<Option<Cow<Dummy>>>,
    model: Vec<Option<ModelHandle>>,
    next_group: u64,
    /// How many times the model says `T::clone` must have run.
    expected_clones: usize,
    tracker: Tracker,
}

impl Harness {
    fn new() -> Harness {
        Harness {
            real: (0..POOL).map(|_| None).collect(),
            model: vec![None; POOL],
            next_group: 0,
            expected_clones: 0,
            tracker: Tracker::new(),
        }
    }

    fn fresh_group(&mut self) -> u64 {
        self.next_group += 1;
        self.next_group
    }

    fn group_size(&self, group: u64) -> usize {
        self.model
            .iter()
            .flatten()
            .filter(|h| h.group == group)
            .count()
    }

    fn step(&mut self, op: &Op) {
        match *op {
            Op::New { slot, value } => {
                self.real[slot] = Some(Cow::new(self.tracker.make(value)));
                let group = self.fresh_group();
                self.model[slot] = Some(ModelHandle { group, value });
            }
            Op::Clone { from, to } => {
                let copy = self.real[from].clone();
                assert_eq!(copy.is_some(), self.model[from].is_some());
                self.real[to] = copy;
                self.model[to] = self.model[from];
            }
            Op::Drop { slot } => {
                self.real[slot] = None;
                self.model[slot] = None;
            }
            Op::MakeMut { slot, value } => {
                let Some(m) = self.model[slot] else { return };
                let shared = self.group_size(m.group) > 1;
                let handle = self.real[slot].as_mut().unwrap();
                let before = Cow::as_ptr(handle);
                Cow::make_mut(handle).value = value;
                let moved = Cow::as_ptr(handle) != before;
                assert_eq!(moved, shared, "make_mut copied iff shared");
                if shared {
                    self.expected_clones += 1;
                    let group = self.fresh_group();
                    self.model[slot] = Some(ModelHandle { group, value });
                } else {
                    self.model[slot] = Some(ModelHandle { value, ..m });
                }
            }
            Op::GetMut { slot, value } => {
                let Some(m) = self.model[slot] else { return };
                let unique = self.group_size(m.group) == 1;
                let handle = self.real[slot].as_mut().unwrap();
                match Cow::get_mut(handle) {
                    Some(v) => {
                        assert!(unique, "get_mut gave &mut to a shared value");
                        v.value = value;
                        self.model[slot] = Some(ModelHandle { value, ..m });
                    }
                    None => assert!(!unique, "get_mut refused a unique handle"),
                }
            }
            Op::TryUnwrap { slot } => {
                let Some(m) = self.model[slot] else { return };
                let unique = self.group_size(m.group) == 1;
                let handle = self.real[slot].take().unwrap();
                match Cow::try_unwrap(handle) {
                    Ok(v) => {
                        assert!(unique, "try_unwrap took a shared value");
                        assert_eq!(v.value, m.value);
                        self.model[slot] = None;
                    }
                    Err(h) => {
                        assert!(!unique, "try_unwrap refused a unique handle");
                        self.real[slot] = Some(h);
                    }
                }
            }
            Op::IntoInner { slot } => {
                let Some(m) = self.model[slot] else { return };
                let unique = self.group_size(m.group) == 1;
                let handle = self.real[slot].take().unwrap();
                let got = Cow::into_inner(handle);
                assert_eq!(got.is_some(), unique, "into_inner: Some iff last");
                if let Some(v) = got {
                    assert_eq!(v.value, m.value);
                }
                self.model[slot] = None;
            }
            Op::UnwrapOrClone { slot } => {
                let Some(m) = self.model[slot] else { return };
                if self.group_size(m.group) > 1 {
                    self.expected_clones += 1;
                }
                let handle = self.real[slot].take().unwrap();
                let v = Cow::unwrap_or_clone(handle);
                assert_eq!(v.value, m.value);
                self.model[slot] = None;
            }
            Op::RawRoundTrip { slot } => {
                let Some(handle) = self.real[slot].take() else {
                    return;
                };
                let ptr = Cow::as_ptr(&handle);
                let raw = Cow::into_raw(handle);
                assert_eq!(raw, ptr);
                // SAFETY: `raw` came from `Cow::<Dummy>::into_raw` just above
                // and is given back exactly once.
                let back = unsafe { Cow::from_raw(raw) };
                assert_eq!(Cow::as_ptr(&back), ptr);
                self.real[slot] = Some(back);
            }
        }
    }

    /// Asserts that the real pool agrees with the model.
    fn check(&self) {
        for (i, (real, model)) in self.real.iter().zip(&self.model).enumerate() {
            match (real, model) {
                (None, None) => {}
                (Some(h), Some(m)) => {
                    let size = self.group_size(m.group);
                    assert_eq!(h.value, m.value, "slot {i}: value");
                    assert_eq!(Cow::strong_count(h), size, "slot {i}: strong_count");
                    assert_eq!(Cow::is_unique(h), size == 1, "slot {i}: is_unique");
                }
                _ => panic!("slot {i}: real {real:?} but model {model:?}"),
            }
        }
        for i in 0..POOL {
            for j in i + 1..POOL {
                if let (Some(a), Some(b), Some(ma), Some(mb)) =
                    (&self.real[i], &self.real[j], self.model[i], self.model[j])
                {
                    let same = ma.group == mb.group;
                    assert_eq!(Cow::ptr_eq(a, b), same, "slots {i}, {j}: ptr_eq");
                }
            }
        }
        let mut groups: Vec<u64> = self.model.iter().flatten().map(|m| m.group).collect();
        groups.sort_unstable();
        groups.dedup();
        assert_eq!(
            self.tracker.live(),
            groups.len(),
            "live payloads vs allocations in the model"
        );
        assert_eq!(
            self.tracker.clone_calls(),
            self.expected_clones,
            "T::clone calls"
        );
    }

    /// Runs `ops`, checking after each, then drops the pool and checks that
    /// every payload was dropped exactly once.
    fn run(ops: &[Op]) {
        let mut h = Harness::new();
        h.check();
        for (n, op) in ops.iter().enumerate() {
            h.step(op);
            // Name the failing step in the report.
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.check()));
            if let Err(e) = r {
                eprintln!("model check failed after step {n}: {op:?}");
                std::panic::resume_unwind(e);
            }
        }
        let tracker = h.tracker.clone();
        drop(h);
        assert_eq!(tracker.live(), 0, "payloads alive after every handle went");
        tracker.assert_all_dropped_once();
    }
}

#[test]
fn cow_behaves_like_a_deep_copying_model() {
    fn prop(ops: Vec<Op>) -> bool {
        Harness::run(&ops);
        true
    }
    let (tests, size) = if cfg!(miri) { (8, 40) } else { (500, 150) };
    QuickCheck::new()
        .tests(tests)
        .rng(Gen::new(size))
        .quickcheck(prop as fn(Vec<Op>) -> bool);
}

/// A fixed sequence through every operation, so that the harness itself is
/// exercised the same way on every run (and under Miri).
#[test]
fn the_model_agrees_on_a_fixed_sequence() {
    use Op::*;
    let ops = [
        New { slot: 0, value: 1 },
        Clone { from: 0, to: 1 },
        Clone { from: 1, to: 2 },
        GetMut { slot: 0, value: 9 },
        MakeMut { slot: 0, value: 2 },
        GetMut { slot: 0, value: 3 },
        TryUnwrap { slot: 1 },
        IntoInner { slot: 1 },
        RawRoundTrip { slot: 2 },
        UnwrapOrClone { slot: 2 },
        Clone { from: 0, to: 3 },
        UnwrapOrClone { slot: 0 },
        TryUnwrap { slot: 3 },
        New { slot: 4, value: 5 },
        Clone { from: 4, to: 4 },
        Clone { from: 4, to: 5 },
        IntoInner { slot: 4 },
        IntoInner { slot: 5 },
        New { slot: 0, value: 6 },
        Clone { from: 0, to: 1 },
        MakeMut { slot: 1, value: 7 },
        MakeMut { slot: 0, value: 8 },
        Drop { slot: 1 },
        Clone { from: 0, to: 2 },
        Drop { slot: 0 },
    ];
    Harness::run(&ops);
}
