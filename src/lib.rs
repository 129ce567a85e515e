//! Object-level copy-on-write for Rust.
//!
//! Values are shared by reference count until somebody writes; a write copies
//! only when the value is still shared, and only inside `make_mut`. Readers
//! never take a lock.
//!
//! | type | what it is | replaces |
//! |---|---|---|
//! | [`Cow<T>`] | one-word pointer to `{count, value}`; `clone` is one atomic increment; [`Cow::make_mut`] clones `T` only when shared | `Arc<T>` + `Arc::make_mut`, `triomphe::Arc<T>` |
//! | [`CowVec<T>`] | two-word handle `(ptr, len)` to `{count, capacity, [T]}`; `clone` is O(1); the first write while shared copies the buffer once | `Vec<T>` behind an `Arc`, `Arc<[T]>`, `ecow::EcoVec<T>` |
//! | `CowCell<T>` (feature `std`) | a `Cow<T>` in an `arc_swap::ArcSwapAny`: wait-free `load`, owned `snapshot`, serialized clone-modify-publish `update`, change notification (`version`, `changed`, `wait_changed`) | `Arc<RwLock<T>>`, `Arc<Mutex<T>>` for read-mostly data; `tokio::sync::watch` |
//! | [`PagedCowVec<T>`] | refcounted ~4 KiB pages under a shallow refcounted tree; a write to a snapshot copies one page and its path | `imbl::Vector`, a `Vec` snapshotted often and written a little |
//! | [`CowMap<K, V, S>`] / [`CowSet<T, S>`] | hash map (set) in refcounted ~4 KiB pages found by the hash's top bits; `clone` is O(1); a write after it copies one page | `Arc<RwLock<HashMap>>` (as `CowCell<CowMap>`), `imbl::HashMap` |
//! | [`CowStr`] | 16-byte string: up to 15 bytes inline (a clone copies 16 bytes, no atomic operation), longer ones in a shared buffer copied on the first write while shared; `Eq`, `Ord`, `Hash`, `Borrow<str>` exactly as `str` | `String` keys that get cloned, `Arc<str>`, `ecow::EcoString` |
//!
//! # Why not `Arc<RwLock<T>>`?
//!
//! | | `Arc<RwLock<T>>` | `CowCell<T>` |
//! |---|---|---|
//! | a read | takes the lock; waits while a writer holds it | wait-free; never waits |
//! | a long read (across `.await`) | blocks writers, guard not `Send` | `snapshot()`: an owned `Cow<T>`, `Send + Sync` |
//! | a write | in place, no copy | clones `T` once (shallow if `T` is built of `Cow`/`CowVec`) |
//! | a panicking writer | poisons the lock | publishes nothing; no poisoning |
//! | best for | write-heavy data, big in-place updates | read-mostly data |
//!
//! `arcow::Cow` is not [`std::borrow::Cow`](alloc::borrow::Cow): that one is
//! an enum of a borrowed or an owned value; this one is a shared owned value
//! with an atomic reference count.
//!
//! # What is not here
//!
//! - No `Cow<str>`, `Cow<[T]>` or `Cow<dyn Trait>`: `Cow<T>` needs `T: Sized`.
//!   Making a `Cow<[T]>` from a `Cow<[T; N]>` is an unsized coercion, which
//!   takes the unstable `CoerceUnsized`. The copy-on-write forms of `[T]`
//!   and `str` are [`CowVec<T>`] and [`CowStr`], with the length in the
//!   handle. For a trait object, `Arc<dyn Trait>` (or a `Cow<Box<dyn
//!   Trait>>`, one more indirection).
//! - No `Weak`: a copy-on-write value has no identity worth observing, and
//!   a weak count would cost `make_mut` a compare-exchange on its unique
//!   path (and the header a second word). With one strong count, a unique
//!   `Cow::make_mut` is one Acquire load.
//!
//! # Example
//!
//! ```
//! use arcow::Cow;
//!
//! let config = Cow::new(vec!["a".to_string(), "b".to_string()]);
//! let snapshot = config.clone();            // one atomic increment, no copy
//!
//! let mut config = config;
//! Cow::make_mut(&mut config).push("c".into()); // shared: clones the Vec once
//! Cow::make_mut(&mut config).push("d".into()); // unique now: no clone
//!
//! assert_eq!(snapshot.len(), 2);
//! assert_eq!(config.len(), 4);
//! ```
//!
//! # Features
//!
//! - `std` (default): `CowCell`, `io::Write` for `CowVec<u8>`, the
//!   `arc_swap::RefCnt` implementation for `Cow<T>`, and std's `RandomState`
//!   as the maps' default hasher. Without it the crate is `#![no_std]` and
//!   needs only `alloc` (the maps then take a hasher you name).
//! - `serde`: `Serialize` and `Deserialize` for [`Cow`], [`CowVec`], [`CowMap`]
//!   and [`CowSet`], by value.
//!
//! # Guarantees
//!
//! - `size_of::<Cow<T>>() == size_of::<usize>()`, and the same for
//!   `Option<Cow<T>>`; the header in front of the value is one `usize`.
//! - `size_of::<CowVec<T>>() == 2 * size_of::<usize>()`, and the same for
//!   `Option<CowVec<T>>`; an empty `CowVec` owns no allocation.
//! - No weak references: a unique handle is one Acquire load away from
//!   `&mut T`, with no compare-exchange.
//! - Every ordering and every `unsafe` block is argued in `docs/safety.md`
//!   and next to the code, and model-checked with `loom`.

#![cfg_attr(not(feature = "std"), no_std)]
// docs.rs (`--cfg docsrs`, nightly): every item behind a feature says which
// one it needs (`doc_cfg` shows the items' `cfg`s).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_debug_implementations)]
#![warn(unreachable_pub)]
#![deny(clippy::missing_safety_doc)]

extern crate alloc;

#[cfg(feature = "std")]
mod cell;
mod cow;
pub mod map;
mod paged;
mod refcount;
mod str;
mod sync;
pub mod vec;

#[cfg(feature = "std")]
pub use cell::{Changed, CowCell, Guard};
pub use cow::Cow;
pub use map::{CowMap, CowSet};
pub use paged::{Iter as PagedIter, PagedCowVec, Pages};
pub use str::CowStr;
pub use vec::{CowVec, Drain, IntoIter, Splice};

/// The README's examples, compiled and run as doc tests so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
