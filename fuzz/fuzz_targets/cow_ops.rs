//! Sequences of `Cow<E>` operations over a small pool of handles, against a
//! deep-copying model: every slot owns its own value, and a group id per
//! slot says which handles share one allocation.
//!
//! After every operation: each handle reads its model value;
//! `strong_count`, `is_unique` and `ptr_eq` agree with the groups; and as
//! many elements are alive as there are groups. At the end: none alive.
//! `make_mut` and `unwrap_or_clone` on a shared handle clone, and those
//! clones panic on demand.

#![no_main]

use arbitrary::Arbitrary;
use arcow::Cow;
use arcow_fuzz::{arm, guarded, live, start, Injected, E};
use libfuzzer_sys::fuzz_target;

const SLOTS: usize = 8;

#[derive(Arbitrary, Debug)]
enum Op {
    New(u8, u16),
    Clone(u8, u8),
    Drop(u8),
    MakeMutWrite(u8, u16),
    GetMutWrite(u8, u16),
    /// `try_unwrap`; a value unwrapped goes back into the slot in a new `Cow`.
    TryUnwrap(u8),
    IntoInner(u8),
    /// `unwrap_or_clone`; the value goes back into the slot in a new `Cow`.
    UnwrapOrClone(u8),
    /// `into_raw` then `from_raw`, into the same slot or another one.
    RawMove(u8, u8),
    /// The n-th clone from now panics (0 disarms).
    ArmPanic(u8),
}

struct Slot {
    cow: Cow<E>,
    val: u32,
    group: u32,
}

struct State {
    slots: [Option<Slot>; SLOTS],
    next_group: u32,
}

fn ix(i: u8) -> usize {
    usize::from(i) % SLOTS
}

impl State {
    fn group_size(&self, group: u32) -> usize {
        self.slots
            .iter()
            .flatten()
            .filter(|s| s.group == group)
            .count()
    }

    fn fresh(&mut self, cow: Cow<E>, val: u32) -> Slot {
        self.next_group += 1;
        Slot {
            cow,
            val,
            group: self.next_group,
        }
    }

    fn check(&self) {
        let mut groups = Vec::new();
        for (i, a) in self.slots.iter().enumerate() {
            let Some(a) = a else { continue };
            assert_eq!(a.cow.get(), a.val, "slot {i}: wrong value");
            let n = self.group_size(a.group);
            assert_eq!(Cow::strong_count(&a.cow), n, "slot {i}: strong_count");
            assert_eq!(Cow::is_unique(&a.cow), n == 1, "slot {i}: is_unique");
            for b in self.slots.iter().flatten() {
                assert_eq!(Cow::ptr_eq(&a.cow, &b.cow), a.group == b.group, "ptr_eq");
                if a.group == b.group {
                    assert_eq!(a.val, b.val, "model: one group, two values");
                }
            }
            groups.push(a.group);
        }
        groups.sort();
        groups.dedup();
        assert_eq!(live(), groups.len() as isize, "live values != allocations");
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::New(s, x) => {
                let slot = self.fresh(Cow::new(E::new(x.into())), x.into());
                self.slots[ix(s)] = Some(slot);
            }
            Op::Clone(a, b) => {
                if let Some(a) = &self.slots[ix(a)] {
                    let c = Slot {
                        cow: a.cow.clone(),
                        val: a.val,
                        group: a.group,
                    };
                    self.slots[ix(b)] = Some(c);
                }
            }
            Op::Drop(s) => self.slots[ix(s)] = None,
            Op::MakeMutWrite(s, x) => {
                let s = ix(s);
                let Some(group) = self.slots[s].as_ref().map(|s| s.group) else {
                    return;
                };
                let shared = self.group_size(group) > 1;
                let slot = self.slots[s].as_mut().unwrap();
                match guarded(|| Cow::make_mut(&mut slot.cow).set(x.into())) {
                    Ok(()) => {
                        slot.val = x.into();
                        assert!(Cow::is_unique(&slot.cow));
                        if shared {
                            self.next_group += 1;
                            slot.group = self.next_group;
                        }
                    }
                    // Unchanged: `check` verifies value, count and group.
                    Err(Injected) => assert!(shared, "make_mut cloned a unique value"),
                }
            }
            Op::GetMutWrite(s, x) => {
                let s = ix(s);
                let Some(group) = self.slots[s].as_ref().map(|s| s.group) else {
                    return;
                };
                let unique = self.group_size(group) == 1;
                let slot = self.slots[s].as_mut().unwrap();
                match Cow::get_mut(&mut slot.cow) {
                    Some(e) => {
                        assert!(unique, "get_mut on a shared value");
                        e.set(x.into());
                        slot.val = x.into();
                    }
                    None => assert!(!unique, "get_mut refused a unique value"),
                }
            }
            Op::TryUnwrap(s) => {
                let s = ix(s);
                let Some(slot) = self.slots[s].take() else {
                    return;
                };
                let unique = self.group_size(slot.group) == 0;
                match Cow::try_unwrap(slot.cow) {
                    Ok(e) => {
                        assert!(unique, "try_unwrap of a shared value");
                        assert_eq!(e.get(), slot.val);
                        let fresh = self.fresh(Cow::new(e), slot.val);
                        self.slots[s] = Some(fresh);
                    }
                    Err(cow) => {
                        assert!(!unique, "try_unwrap refused a unique value");
                        self.slots[s] = Some(Slot { cow, ..slot });
                    }
                }
            }
            Op::IntoInner(s) => {
                let Some(slot) = self.slots[ix(s)].take() else {
                    return;
                };
                let last = self.group_size(slot.group) == 0;
                match Cow::into_inner(slot.cow) {
                    Some(e) => {
                        assert!(last, "into_inner returned a shared value");
                        assert_eq!(e.get(), slot.val);
                    }
                    None => assert!(!last, "into_inner of the last handle returned None"),
                }
            }
            Op::UnwrapOrClone(s) => {
                let s = ix(s);
                let Some(slot) = self.slots[s].take() else {
                    return;
                };
                let shared = self.group_size(slot.group) > 0;
                let cow = slot.cow;
                match guarded(move || Cow::unwrap_or_clone(cow)) {
                    Ok(e) => {
                        assert_eq!(e.get(), slot.val);
                        let fresh = self.fresh(Cow::new(e), slot.val);
                        self.slots[s] = Some(fresh);
                    }
                    // The handle was consumed (dropped while unwinding).
                    Err(Injected) => assert!(shared, "unwrap_or_clone cloned a unique value"),
                }
            }
            Op::RawMove(a, b) => {
                let Some(slot) = self.slots[ix(a)].take() else {
                    return;
                };
                let p = Cow::into_raw(slot.cow);
                // SAFETY: `p` came from `into_raw` and its handle is not
                // dropped until `from_raw` takes it back, just below.
                assert_eq!(unsafe { &*p }.get(), slot.val);
                // SAFETY: `p` came from `Cow::into_raw` and is used once.
                let cow = unsafe { Cow::from_raw(p) };
                self.slots[ix(b)] = Some(Slot { cow, ..slot });
            }
            Op::ArmPanic(n) => arm(u32::from(n % 5)),
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    start();
    {
        let mut st = State {
            slots: Default::default(),
            next_group: 0,
        };
        for op in ops {
            st.apply(op);
            st.check();
        }
        arm(0);
    }
    assert_eq!(live(), 0, "leak or double drop");
});
