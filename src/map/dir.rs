//! The directory: a shallow trie of refcounted nodes over the pages, keyed
//! by the hash's top bits, and [`Table`], the map without its hasher.
//!
//! A node has [`FANOUT`] slots, indexed by the next [`NODE_BITS`] bits of
//! the hash (the root node by the top five, its children by the next five,
//! and so on). A slot is null, a node, or a page. A page at depth `d` holds
//! exactly the keys whose top `d` hash bits name its place; in a node of
//! level `L` (whose slots cover bits `(L-1)*5 .. L*5`) it fills an aligned
//! run of `2^(5L - d)` slots. So several slots of one node may point at one
//! page, as in extendible hashing, but never slots of two nodes: a page
//! lives in one node, and the node holds **one** count of it, however many
//! of its slots point there. That makes "is this page this map's alone?"
//! the plain question "is its count 1, and so is every node's above it?",
//! which the write walk answers top-down, copying what is shared.
//!
//! A page that fills splits in two by its next hash bit, within its run;
//! a page that fills a single slot first pushes a node down under itself.
//! When all of a full page's keys agree on the next bit, the page takes
//! half the run and leaves the other half null (no empty page is made).
//! At [`MAX_DEPTH`] bits, or while smaller than its nominal size, a page
//! grows instead. So the directory has at most one node per `FANOUT / 2`
//! entries' worth of splits along any path, and never doubles as a whole:
//! keys that share many hash bits cost a short chain of nodes, not a
//! directory of `2^bits` slots.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::marker::PhantomData;
use core::mem;
use core::ptr::{self, NonNull};

use super::page::{capacity, RawPage, MIN_BUCKETS, PAGE_ALIGN};
use crate::refcount::RefCount;

/// Hash bits per directory level (see docs/design.md for the measurement).
pub(super) const NODE_BITS: u32 = 5;
/// Slots per node.
pub(super) const FANOUT: usize = 1 << NODE_BITS;
/// Node levels below the map handle.
pub(super) const MAX_LEVELS: usize = 8;
/// The deepest a page goes: past this, a page that fills grows instead.
pub(super) const MAX_DEPTH: u32 = NODE_BITS * MAX_LEVELS as u32;

/// A directory slot: null, a page, or a node. A node's address has its low
/// bit set; a page's (aligned to `PAGE_ALIGN` = 64) keeps the log2 of the
/// page's bucket count in bits 1 to 5, so a read finds the page's mask in
/// the slot and never touches the page header. The pointer keeps its
/// provenance (`map_addr`), so Miri's strict mode accepts it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot(*mut u8);

/// What a [`Slot`] holds.
pub(super) enum Kind<K, V> {
    Null,
    /// A page, with its mask (buckets - 1).
    Page(RawPage<K, V>, usize),
    Node(NonNull<Node>),
}

/// The low bits of a page slot that are not address.
const PAGE_TAG_BITS: usize = PAGE_ALIGN - 1;

impl Slot {
    pub(super) const NULL: Slot = Slot(ptr::null_mut());

    /// A slot pointing at `page`, whose mask it reads once, here.
    fn page<K, V>(page: RawPage<K, V>) -> Slot {
        // SAFETY: callers pass live pages (just made, or reachable).
        let log2 = unsafe { page.mask() + 1 }.trailing_zeros() as usize;
        debug_assert!(log2 <= 31 && page.as_ptr().as_ptr().addr() & PAGE_TAG_BITS == 0);
        Slot(page.as_ptr().as_ptr().map_addr(|a| a | (log2 << 1)))
    }

    fn node(node: NonNull<Node>) -> Slot {
        // Nodes are at least 8-aligned: the low bit is free for the tag.
        Slot(node.as_ptr().cast::<u8>().map_addr(|a| a | 1))
    }

    pub(super) fn is_null(self) -> bool {
        self.0.is_null()
    }

    /// The target's address, without the tag bits.
    #[inline(always)]
    fn untagged(self) -> *mut u8 {
        self.0.map_addr(|a| {
            if a & 1 != 0 {
                a & !1
            } else {
                a & !PAGE_TAG_BITS
            }
        })
    }

    /// What the slot holds.
    ///
    /// # Safety
    ///
    /// A page slot was made from a `RawPage<K, V>` of these `K`, `V`.
    #[inline(always)]
    pub(super) unsafe fn kind<K, V>(self) -> Kind<K, V> {
        let a = self.0.addr();
        if a & 1 != 0 {
            let p = self.0.map_addr(|a| a & !1).cast::<Node>();
            // SAFETY: a tagged slot came from a `NonNull<Node>`.
            Kind::Node(unsafe { NonNull::new_unchecked(p) })
        } else if a != 0 {
            let p = self.0.map_addr(|a| a & !PAGE_TAG_BITS);
            let mask = (1usize << ((a >> 1) & 31)) - 1;
            // SAFETY: an untagged non-null slot came from a `RawPage<K, V>`
            // (the caller's promise on `K`, `V`), whose address is `p`.
            Kind::Page(
                unsafe { RawPage::from_ptr(NonNull::new_unchecked(p)) },
                mask,
            )
        } else {
            Kind::Null
        }
    }

    /// The count of the page or node the slot points at.
    ///
    /// # Safety
    ///
    /// The slot is not null and its target is live for `'a`.
    #[inline(always)]
    unsafe fn count<'a>(self) -> &'a RefCount {
        let p = self.untagged().cast::<RefCount>();
        // SAFETY: pages (`Header`) and nodes are `repr(C)` with the count
        // first, so the untagged pointer is a pointer to the count; live
        // per the caller.
        unsafe { &*p }
    }
}

/// A directory node: a count and `FANOUT` slots.
///
/// Invariant: each distinct non-null child is counted once by this node;
/// a child node fills exactly one slot; a page fills the aligned run its
/// depth gives. Slots are written only while the count is 1.
#[repr(C)]
pub(super) struct Node {
    count: RefCount,
    slots: [Slot; FANOUT],
}

/// The slots of `node`, as a raw pointer: never a reference, so no borrow
/// covers the count that other threads touch.
#[inline(always)]
fn slots_of(node: NonNull<Node>) -> *mut Slot {
    let p = node.as_ptr();
    // SAFETY: `p` points at a live node (callers only pass live ones);
    // taking a field's address reads nothing.
    unsafe { ptr::addr_of_mut!((*p).slots) }.cast::<Slot>()
}

/// The slot of a level-`level` node (`level >= 1`) for `hash`.
#[inline(always)]
pub(super) fn index(hash: u64, level: u32) -> usize {
    (hash >> (64 - NODE_BITS * level)) as usize & (FANOUT - 1)
}

/// Hash bit `d`, counting from the top.
#[inline(always)]
fn bit(hash: u64, d: u32) -> bool {
    (hash >> (63 - d)) & 1 == 1
}

/// A place in the directory: slot `index` of a slot array at `level` (0:
/// the map's root slot, `index` 0; `L >= 1`: a node of level `L`).
#[derive(Clone, Copy)]
pub(super) struct Place {
    slots: *mut Slot,
    index: usize,
    level: u32,
}

impl Place {
    /// # Safety: the slot array is live.
    #[inline(always)]
    unsafe fn get(&self) -> Slot {
        // SAFETY: `index` is within the array (root: 0; node: masked).
        unsafe { *self.slots.add(self.index) }
    }

    /// The run of slots a page of depth `depth` fills around `index`.
    fn run(&self, depth: u32) -> (usize, usize) {
        let len = 1usize << (NODE_BITS * self.level - depth);
        (self.index & !(len - 1), len)
    }

    /// Points `start..start + len` at `slot`.
    ///
    /// # Safety
    ///
    /// The array is live and unique to the caller, and the range within it.
    unsafe fn fill(&self, start: usize, len: usize, slot: Slot) {
        for i in start..start + len {
            // SAFETY: in range and unique (the caller).
            unsafe { *self.slots.add(i) = slot };
        }
    }
}

/// Releases one count of whatever `slot` points at, freeing it if it was
/// the last.
///
/// # Safety
///
/// The caller owns that count and does not use it again; page slots are
/// `RawPage<K, V>`s.
pub(super) unsafe fn release<K, V>(slot: Slot) {
    // SAFETY: the caller owns the count it releases; the last one frees.
    unsafe {
        match slot.kind::<K, V>() {
            Kind::Null => {}
            Kind::Page(p, _) => {
                if p.count().release() {
                    p.drop_page();
                }
            }
            Kind::Node(n) => {
                if slot.count().release() {
                    drop_node::<K, V>(n);
                }
            }
        }
    }
}

/// Each distinct non-null slot of `node` with its first index (a page's
/// run shows once).
///
/// # Safety
///
/// The node is live and not written while the iterator lives.
unsafe fn children(node: NonNull<Node>) -> impl Iterator<Item = (usize, Slot)> {
    let slots = slots_of(node);
    // SAFETY: every index is below FANOUT, within the live node.
    (0..FANOUT).filter_map(move |i| unsafe {
        let s = *slots.add(i);
        let first = i == 0 || *slots.add(i - 1) != s;
        (first && !s.is_null()).then_some((i, s))
    })
}

/// Frees a node whose last count the caller released: releases each child
/// once, then the node. If a child's entry panics in `drop`, the other
/// children are still released and the node freed.
///
/// # Safety
///
/// The caller owned the node's last count.
unsafe fn drop_node<K, V>(node: NonNull<Node>) {
    /// Releases children from `next` on, then frees the node.
    struct Rest<K, V> {
        node: NonNull<Node>,
        next: usize,
        _kv: PhantomData<(K, V)>,
    }
    impl<K, V> Drop for Rest<K, V> {
        fn drop(&mut self) {
            // SAFETY: the node is ours (last count); slots from `next` on
            // have not been released; a run's later slots are skipped. If
            // a release panics (an entry's drop), the guard made just
            // before it takes over the rest and the free.
            unsafe {
                let slots = slots_of(self.node);
                while self.next < FANOUT {
                    let i = self.next;
                    self.next += 1;
                    let s = *slots.add(i);
                    if i == 0 || *slots.add(i - 1) != s {
                        let rest = Rest::<K, V> {
                            node: self.node,
                            next: self.next,
                            _kv: PhantomData,
                        };
                        release::<K, V>(s);
                        mem::forget(rest);
                    }
                }
                drop(Box::from_raw(self.node.as_ptr()));
            }
        }
    }
    drop(Rest::<K, V> {
        node,
        next: 0,
        _kv: PhantomData,
    });
}

/// A new node, count 1, with every slot `slot` (whose count it takes over).
fn new_node(slot: Slot) -> NonNull<Node> {
    let node = Box::new(Node {
        count: RefCount::one(),
        slots: [slot; FANOUT],
    });
    NonNull::from(Box::leak(node))
}

/// A unique copy of a shared node: the same slots, each child counted once
/// more. Cannot panic but on allocation failure (which aborts).
///
/// # Safety
///
/// The node is live and not written meanwhile.
unsafe fn copy_node(node: NonNull<Node>) -> NonNull<Node> {
    // SAFETY: live and not written (the caller): reading the slots and
    // incrementing the live children's counts is fine.
    unsafe {
        let copy = new_node(Slot::NULL);
        ptr::copy_nonoverlapping(slots_of(node), slots_of(copy), FANOUT);
        for (_, child) in children(node) {
            child.count().increment();
        }
        copy
    }
}

/// The map's entries without the hasher: the root slot and the length.
///
/// Invariants: `root` owns one count of what it points at; `len` is the
/// number of entries in the pages reachable from it.
pub(super) struct Table<K, V> {
    root: Slot,
    len: usize,
    _entries: PhantomData<(K, V)>,
}

// SAFETY: a `Table` owns counts of pages of `(K, V)` that other tables (on
// other threads) may share and read, as `Arc<(K, V)>` does: sending it or
// sharing it is sound when `K` and `V` are `Send + Sync`. The structure's
// writes happen only on unique nodes and pages, through `&mut Table`.
unsafe impl<K: Send + Sync, V: Send + Sync> Send for Table<K, V> {}
// SAFETY: as above; `&Table` only reads.
unsafe impl<K: Send + Sync, V: Send + Sync> Sync for Table<K, V> {}

impl<K, V> Table<K, V> {
    pub(super) const fn new() -> Self {
        Table {
            root: Slot::NULL,
            len: 0,
            _entries: PhantomData,
        }
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The root slot (for iterators and `ptr_eq`).
    pub(super) fn root(&self) -> Slot {
        self.root
    }

    /// The root slot's address, for walks that only read through it.
    pub(super) fn root_ptr_shared(&self) -> *mut Slot {
        ptr::addr_of!(self.root).cast_mut()
    }

    /// The root slot's address, for the walkers.
    pub(super) fn root_ptr(&mut self) -> *mut Slot {
        &mut self.root
    }

    /// A table holding one empty page with room for `n` entries, or none.
    pub(super) fn with_capacity(n: usize) -> Self {
        let mut t = Table::new();
        if n > 0 {
            let cap = n.min(capacity(RawPage::<K, V>::NOMINAL_BUCKETS));
            t.root = Slot::page(RawPage::<K, V>::allocate(buckets_for(cap), 0));
        }
        t
    }

    /// The page that holds `hash`'s keys, if any, and its mask: one load
    /// per level, none of the page.
    #[inline]
    pub(super) fn page_for(&self, hash: u64) -> Option<(RawPage<K, V>, usize)> {
        let mut slot = self.root;
        let mut level = 0;
        // SAFETY: every slot reachable from `root` is live while `self` is
        // borrowed (the root owns counts down the trie), and nodes are not
        // written while shared or borrowed; levels stay within MAX_LEVELS
        // (the trie's depth invariant), so `index` shifts by less than 64.
        unsafe {
            loop {
                match slot.kind::<K, V>() {
                    Kind::Page(p, mask) => return Some((p, mask)),
                    Kind::Null => return None,
                    Kind::Node(n) => {
                        level += 1;
                        debug_assert!(level as usize <= MAX_LEVELS);
                        slot = *slots_of(n).add(index(hash, level));
                    }
                }
            }
        }
    }

    /// Gives up everything: an empty table.
    pub(super) fn clear(&mut self) {
        let root = mem::replace(&mut self.root, Slot::NULL);
        self.len = 0;
        // SAFETY: the root's count was ours, and is no longer reachable.
        unsafe { release::<K, V>(root) };
    }

    /// Takes the root slot (and its count) out, leaving an empty table.
    pub(super) fn take_root(&mut self) -> Slot {
        self.len = 0;
        mem::replace(&mut self.root, Slot::NULL)
    }

    /// Removes one entry from `page`'s slot `i`, which the caller made
    /// unique (by `unique_place`) and found full, and returns it.
    ///
    /// # Safety
    ///
    /// As said: the page is reachable from this table, unique, `i` full.
    pub(super) unsafe fn remove_at(&mut self, page: RawPage<K, V>, i: usize) -> (K, V) {
        // SAFETY: unique, full slot (the caller): read it out, then mark it
        // no longer full so nothing drops it again.
        unsafe {
            let entry = page.slot(i).read();
            page.erase(i);
            self.len -= 1;
            entry
        }
    }

    /// Walks to `hash`'s place, making every node on the way and the page
    /// there this table's alone (copying what is shared). Returns the place
    /// of the page (or of a null slot).
    ///
    /// If a `clone` panics while copying a page, the table is as it was
    /// but for nodes already copied on the way, which hold the same slots.
    pub(super) fn unique_place(&mut self, hash: u64) -> Place
    where
        K: Clone,
        V: Clone,
    {
        let mut place = Place {
            slots: &mut self.root,
            index: 0,
            level: 0,
        };
        // SAFETY: `place` is always a slot of this table that is unique to
        // it: the root is in `&mut self`, and each node is made unique
        // before the walk enters it.
        unsafe {
            loop {
                match place.get().kind::<K, V>() {
                    Kind::Null => return place,
                    Kind::Page(..) => {
                        unique_page_at::<K, V>(place);
                        return place;
                    }
                    Kind::Node(_) => {
                        let node = unique_node_at::<K, V>(place);
                        let level = place.level + 1;
                        place = Place {
                            slots: slots_of(node),
                            index: index(hash, level),
                            level,
                        };
                    }
                }
            }
        }
    }

    /// Inserts an entry whose key is not in the table, splitting or growing
    /// its page when full, and returns where it now lives. `hash_of` is the
    /// map's hash: a split rehashes the page's keys. If it panics, the
    /// table is unchanged (the rehash happens before anything moves) and
    /// `entry` is dropped.
    pub(super) fn insert_new(
        &mut self,
        hash: u64,
        entry: (K, V),
        hash_of: &dyn Fn(&K) -> u64,
    ) -> (RawPage<K, V>, usize)
    where
        K: Clone,
        V: Clone,
    {
        loop {
            let place = self.unique_place(hash);
            // SAFETY: `unique_place` made the place and its page (if any)
            // this table's alone, and `&mut self` keeps them so.
            unsafe {
                let page = match place.get().kind::<K, V>() {
                    Kind::Page(p, _) => p,
                    Kind::Null => new_page_at(place),
                    Kind::Node(_) => unreachable!("unique_place stops at a page or null"),
                };
                if let Some(i) = page.vacant_slot(hash) {
                    self.len += 1;
                    page.insert_at(i, hash, entry);
                    return (page, i);
                }
                restructure(place, page, hash, hash_of);
            }
        }
    }

    /// Checks the whole trie's invariants (tests only).
    #[cfg(test)]
    pub(super) fn debug_check(&self, hash_of: &dyn Fn(&K) -> u64) {
        // SAFETY: the trie is live and read-only here.
        unsafe fn check<K, V>(
            slot: Slot,
            level: u32,
            prefix: u64,
            hash_of: &dyn Fn(&K) -> u64,
        ) -> usize {
            // SAFETY: as the caller's.
            unsafe {
                match slot.kind::<K, V>() {
                    Kind::Null => 0,
                    Kind::Page(p, _) => {
                        p.debug_check();
                        let d = p.depth();
                        assert!(d <= NODE_BITS * level, "a page's depth fits its node");
                        assert!(level == 0 || d >= NODE_BITS * (level - 1));
                        for i in p.full_slots() {
                            let h = hash_of(&(*p.slot(i)).0);
                            if d > 0 {
                                assert_eq!(
                                    h >> (64 - d),
                                    prefix >> (64 - d),
                                    "key under its prefix"
                                );
                            }
                        }
                        p.len()
                    }
                    Kind::Node(n) => {
                        assert!((level as usize) < MAX_LEVELS);
                        let mut total = 0;
                        for (i, child) in children(n) {
                            let shift = 64 - NODE_BITS * (level + 1);
                            let prefix = prefix | ((i as u64) << shift);
                            if let Kind::Page(p, _) = child.kind::<K, V>() {
                                let place = Place {
                                    slots: slots_of(n),
                                    index: i,
                                    level: level + 1,
                                };
                                let (start, len) = place.run(p.depth());
                                assert_eq!(start, i, "a run starts aligned");
                                for j in start..start + len {
                                    assert!(*slots_of(n).add(j) == child, "a page fills its run");
                                }
                            }
                            total += check::<K, V>(child, level + 1, prefix, hash_of);
                        }
                        total
                    }
                }
            }
        }
        // SAFETY: the trie is live while `self` is borrowed.
        let n = unsafe { check::<K, V>(self.root, 0, 0, hash_of) };
        assert_eq!(n, self.len, "len counts the entries");
    }
}

impl<K, V> Clone for Table<K, V> {
    /// One count more on the root: O(1), allocation-free, no `K: Clone`.
    fn clone(&self) -> Self {
        if !self.root.is_null() {
            // SAFETY: the root is live while `self` holds its count.
            unsafe { self.root.count().increment() };
        }
        Table {
            root: self.root,
            len: self.len,
            _entries: PhantomData,
        }
    }
}

impl<K, V> Drop for Table<K, V> {
    fn drop(&mut self) {
        // SAFETY: the root's count is ours and is dropped with us.
        unsafe { release::<K, V>(self.root) };
    }
}

/// Makes the node at `place` unique to the table (copying it if shared)
/// and returns it.
///
/// # Safety
///
/// `place` is a unique slot of the table holding a node.
pub(super) unsafe fn unique_node_at<K, V>(place: Place) -> NonNull<Node> {
    // SAFETY: the slot is unique to us (the caller), so we may write it;
    // the node is live while the slot holds its count.
    unsafe {
        let slot = place.get();
        let Kind::Node(node) = slot.kind::<K, V>() else {
            unreachable!("a node slot")
        };
        if slot.count().is_unique() {
            return node;
        }
        let copy = copy_node(node);
        *place.slots.add(place.index) = Slot::node(copy);
        // The old node is shared, so this release rarely frees it; if the
        // other holders let go meanwhile, it frees the old node and its
        // children keep the counts the copy added.
        release::<K, V>(slot);
        copy
    }
}

/// Makes the page at `place` unique to the table (copying it if shared,
/// and pointing its whole run at the copy) and returns it.
///
/// # Safety
///
/// `place` is a unique slot of the table holding a page of `(K, V)`.
pub(super) unsafe fn unique_page_at<K: Clone, V: Clone>(place: Place) -> RawPage<K, V> {
    // SAFETY: as for `unique_node_at`; the page is live while the run
    // holds its count, and not written while shared.
    unsafe {
        let slot = place.get();
        let Kind::Page(page, _) = slot.kind::<K, V>() else {
            unreachable!("a page slot")
        };
        if page.count().is_unique() {
            return page;
        }
        let copy = page.clone_page();
        let (start, len) = place.run(page.depth());
        place.fill(start, len, Slot::page(copy));
        release::<K, V>(slot);
        copy
    }
}

/// The smallest bucket count with room for `n` entries.
pub(super) fn buckets_for(n: usize) -> usize {
    let mut b = MIN_BUCKETS;
    while capacity(b) < n {
        b = b.checked_mul(2).expect("CowMap: capacity overflow");
    }
    b
}

/// A new empty page in the null slot at `place`, filling the largest
/// aligned run of null slots around it (at most half a node, so that a
/// node always has room for its pages to split into).
///
/// # Safety
///
/// `place` is a unique slot of the table, and null.
unsafe fn new_page_at<K, V>(place: Place) -> RawPage<K, V> {
    // SAFETY: the slot array is unique (the caller) and every index below
    // is within it.
    unsafe {
        let (depth, start, len) = if place.level == 0 {
            (0, 0, 1)
        } else {
            let mut k = NODE_BITS - 1;
            loop {
                let len = 1usize << k;
                let start = place.index & !(len - 1);
                if k == 0 || (start..start + len).all(|i| (*place.slots.add(i)).is_null()) {
                    break (NODE_BITS * place.level - k, start, len);
                }
                k -= 1;
            }
        };
        let page = RawPage::<K, V>::allocate(MIN_BUCKETS, depth);
        place.fill(start, len, Slot::page(page));
        page
    }
}

/// Makes room in the full, unique page at `place` for a key with
/// `new_hash`: rebuilds it without tombstones, grows it, splits it by its
/// next hash bit, or narrows it to the half its keys share.
///
/// # Safety
///
/// `place` is a unique slot of the table holding `page`, which is unique.
unsafe fn restructure<K, V>(
    mut place: Place,
    page: RawPage<K, V>,
    new_hash: u64,
    hash_of: &dyn Fn(&K) -> u64,
) {
    // SAFETY: the page and the slot array are unique (the caller); user
    // code (`hash_of`, only past depth 32) runs before anything changes in
    // that step, and every step leaves a valid table.
    unsafe {
        let buckets = page.mask() + 1;
        let len = page.len();
        // The hashes the page keeps: enough for every decision up to depth
        // 32 and for placing entries, so no key is hashed again here.
        let mut hashes: Vec<(usize, u64)> = page
            .full_slots()
            .map(|i| (i, page.stored_hash(i)))
            .collect();
        let mut full_hashes = false;
        if len <= capacity(buckets) / 2 {
            // Mostly tombstones: the same size, cleaned.
            return rebuild(place, page, buckets, &hashes);
        }
        if buckets < RawPage::<K, V>::NOMINAL_BUCKETS {
            return rebuild(place, page, buckets * 2, &hashes);
        }
        loop {
            let d = page.depth();
            if d >= MAX_DEPTH {
                // The hash cannot tell these keys apart any further.
                return rebuild(place, page, buckets * 2, &hashes);
            }
            if d >= 32 && !full_hashes {
                // Past the stored half: only keys whose hashes share 32
                // bits get here (a hostile or broken hasher).
                for (i, h) in hashes.iter_mut() {
                    *h = hash_of(&(*page.slot(*i)).0);
                }
                full_hashes = true;
            }
            if place.run(d).1 == 1 {
                // The page fills one slot: a node goes in its place, all of
                // whose slots point at the page (the node takes over the
                // slot's count).
                let node = new_node(Slot::page(page));
                *place.slots.add(place.index) = Slot::node(node);
                let level = place.level + 1;
                place = Place {
                    slots: slots_of(node),
                    index: index(new_hash, level),
                    level,
                };
            }
            let (start, run) = place.run(d);
            let half = run / 2;
            let ones = hashes.iter().filter(|&&(_, h)| bit(h, d)).count();
            if ones != 0 && ones != len {
                let left = RawPage::<K, V>::allocate(
                    buckets_for(len - ones).max(RawPage::<K, V>::NOMINAL_BUCKETS),
                    d + 1,
                );
                let right = RawPage::<K, V>::allocate(
                    buckets_for(ones).max(RawPage::<K, V>::NOMINAL_BUCKETS),
                    d + 1,
                );
                page.move_into(&hashes, |h| if bit(h, d) { right } else { left });
                place.fill(start, half, Slot::page(left));
                place.fill(start + half, half, Slot::page(right));
                return;
            }
            // Every key has bit `d` = `side`: the page keeps that half.
            let side = ones != 0;
            let null_start = if side { start } else { start + half };
            place.fill(null_start, half, Slot::NULL);
            page.set_depth(d + 1);
            if bit(new_hash, d) != side {
                return; // the new key goes to the null half
            }
        }
    }
}

/// Moves the unique `page` at `place` into a new page of `buckets` at the
/// same depth, dropping its tombstones, and points its run at the new one.
///
/// # Safety
///
/// As for `restructure`; `hashes` as `RawPage::move_into` wants them, and
/// `buckets` has room for the page's entries.
unsafe fn rebuild<K, V>(
    place: Place,
    page: RawPage<K, V>,
    buckets: usize,
    hashes: &[(usize, u64)],
) {
    // SAFETY: as the caller's; the depth is read before `move_into` frees
    // the old page.
    unsafe {
        let depth = page.depth();
        let new = RawPage::<K, V>::allocate(buckets, depth);
        page.move_into(hashes, |_| new);
        let (start, run) = place.run(depth);
        place.fill(start, run, Slot::page(new));
    }
}

impl Place {
    /// The page at this place, if it holds one.
    ///
    /// # Safety
    ///
    /// The slot array is live; page slots are `RawPage<K, V>`s.
    pub(super) unsafe fn page<K, V>(&self) -> Option<RawPage<K, V>> {
        // SAFETY: live (the caller).
        match unsafe { self.get().kind::<K, V>() } {
            Kind::Page(p, _) => Some(p),
            _ => None,
        }
    }
}

impl<K, V> Table<K, V> {
    /// The page and slot holding `key`, made unique to this table (copying
    /// the page and the nodes above it where shared), or `None` (then
    /// nothing was copied).
    pub(super) fn find_mut<Q>(&mut self, hash: u64, key: &Q) -> Option<(RawPage<K, V>, usize)>
    where
        K: Clone + core::borrow::Borrow<Q>,
        V: Clone,
        Q: ?Sized + Eq,
    {
        let (page, mask, unique) = self.page_for_write(hash)?;
        // SAFETY: the page is live while `self` is borrowed, and its mask
        // came from its slot.
        let i = unsafe { page.find_in(mask, hash, key)? };
        if unique {
            return Some((page, i));
        }
        let place = self.unique_place(hash);
        // SAFETY: `unique_place` stops at the same page's place, now unique;
        // a copy keeps every entry at its slot, so `i` still holds `key`.
        let page = unsafe { place.page::<K, V>() }.expect("the key's page");
        Some((page, i))
    }

    /// [`page_for`](Table::page_for), and whether every node on the way
    /// and the page have count 1 (then the page is this table's alone, and
    /// stays so while `&mut self` is held: no other handle exists to clone
    /// it).
    #[inline]
    fn page_for_write(&mut self, hash: u64) -> Option<(RawPage<K, V>, usize, bool)> {
        let mut slot = self.root;
        let mut level = 0;
        let mut unique = true;
        // SAFETY: as in `page_for`; each count read is of a live target.
        unsafe {
            loop {
                match slot.kind::<K, V>() {
                    Kind::Page(p, mask) => {
                        return Some((p, mask, unique && slot.count().is_unique()))
                    }
                    Kind::Null => return None,
                    Kind::Node(n) => {
                        unique &= slot.count().is_unique();
                        level += 1;
                        slot = *slots_of(n).add(index(hash, level));
                    }
                }
            }
        }
    }

    /// Inserts `value` for `key`: replaces the value of an existing key
    /// (returning the old one), or adds the entry. One walk, which makes
    /// the path unique (an insert writes either way).
    pub(super) fn insert(
        &mut self,
        hash: u64,
        key: K,
        value: V,
        hash_of: &dyn Fn(&K) -> u64,
    ) -> Option<V>
    where
        K: Clone + Eq,
        V: Clone,
    {
        let place = self.unique_place(hash);
        // SAFETY: the page at a unique place is this table's alone, and a
        // found slot is full.
        unsafe {
            if let Some(page) = place.page::<K, V>() {
                if let Some(i) = page.find(hash, &key) {
                    return Some(mem::replace(&mut (*page.slot(i)).1, value));
                }
                if let Some(i) = page.vacant_slot(hash) {
                    self.len += 1;
                    page.insert_at(i, hash, (key, value));
                    return None;
                }
            }
        }
        self.insert_new(hash, (key, value), hash_of);
        None
    }
}

/// How a [`Walk`] treats what it passes: reads it, or makes it unique.
pub(super) trait Mode<K, V> {
    /// May an iterator walk one page ahead (to prefetch it)? Only when
    /// visiting a page has no effect.
    const LOOK_AHEAD: bool;

    /// The node at `place`, as the walk will enter it.
    ///
    /// # Safety
    ///
    /// `place` holds a live node (and, for a writing mode, is unique).
    unsafe fn node(place: Place) -> NonNull<Node>;

    /// The page at `place`, as the walk will yield it.
    ///
    /// # Safety
    ///
    /// As for `node`, with a page.
    unsafe fn page(place: Place) -> RawPage<K, V>;
}

/// Reads: shared nodes and pages are visited as they are.
pub(super) struct Read;

impl<K, V> Mode<K, V> for Read {
    const LOOK_AHEAD: bool = true;

    #[inline]
    unsafe fn node(place: Place) -> NonNull<Node> {
        // SAFETY: the place holds a live node (the caller).
        match unsafe { place.get().kind::<K, V>() } {
            Kind::Node(n) => n,
            _ => unreachable!("a node slot"),
        }
    }

    #[inline]
    unsafe fn page(place: Place) -> RawPage<K, V> {
        // SAFETY: the place holds a live page (the caller).
        unsafe { place.page() }.expect("a page slot")
    }
}

/// Writes: every node and page is made unique as the walk reaches it.
pub(super) struct Write;

impl<K: Clone, V: Clone> Mode<K, V> for Write {
    /// No: reaching a page copies it, so the walk stays with the cursor.
    const LOOK_AHEAD: bool = false;

    #[inline]
    unsafe fn node(place: Place) -> NonNull<Node> {
        // SAFETY: a unique place holding a node (the caller).
        unsafe { unique_node_at::<K, V>(place) }
    }

    #[inline]
    unsafe fn page(place: Place) -> RawPage<K, V> {
        // SAFETY: a unique place holding a page (the caller).
        unsafe { unique_page_at::<K, V>(place) }
    }
}

/// A depth-first walk over a table's pages, each page once, in slot order.
///
/// Invariant: `stack[..depth]` are the nodes on the path to the current
/// place, each with the next slot to look at; they are live while the
/// table they came from is borrowed (for `Write`, mutably: then each was
/// made unique before it was pushed).
pub(super) struct Walk {
    root: *mut Slot,
    started: bool,
    stack: [(*mut Slot, usize); MAX_LEVELS],
    depth: usize,
}

impl Clone for Walk {
    fn clone(&self) -> Self {
        Walk { ..*self }
    }
}

impl Walk {
    /// A walk from the root slot at `root`.
    ///
    /// # Safety
    ///
    /// `root` is a table's root slot, live, and borrowed (shared for
    /// `Read`, unique for `Write`) for as long as the walk is used.
    pub(super) unsafe fn new(root: *mut Slot) -> Walk {
        Walk {
            root,
            started: false,
            stack: [(ptr::null_mut(), 0); MAX_LEVELS],
            depth: 0,
        }
    }

    /// The next page, or `None` when every page was visited.
    ///
    /// # Safety
    ///
    /// `M` is the mode the walk was made for (see `new`), every call with
    /// the same mode.
    pub(super) unsafe fn next<K, V, M: Mode<K, V>>(&mut self) -> Option<RawPage<K, V>> {
        // SAFETY: every place visited is a slot of a live node on the path
        // (the invariant) or the root; indices are below FANOUT.
        unsafe {
            loop {
                let place = if !self.started {
                    self.started = true;
                    Place {
                        slots: self.root,
                        index: 0,
                        level: 0,
                    }
                } else {
                    let (slots, next) = self.stack[self.depth.checked_sub(1)?];
                    if next == FANOUT {
                        self.depth -= 1;
                        continue;
                    }
                    self.stack[self.depth - 1].1 += 1;
                    let s = *slots.add(next);
                    if s.is_null() || (next > 0 && *slots.add(next - 1) == s) {
                        continue; // empty, or the rest of a page's run
                    }
                    Place {
                        slots,
                        index: next,
                        level: self.depth as u32,
                    }
                };
                match place.get().kind::<K, V>() {
                    Kind::Null => {}
                    Kind::Page(..) => return Some(M::page(place)),
                    Kind::Node(_) => {
                        let node = M::node(place);
                        self.stack[self.depth] = (slots_of(node), 0);
                        self.depth += 1;
                    }
                }
            }
        }
    }
}

/// Hands each page of the trie under `root` to `out` with one count owned
/// by the receiver, and gives up the nodes: a unique node is taken apart
/// (its counts of its children pass on), a shared one counts its children
/// once more and is released. So a page that reaches `out` with count 1 is
/// the receiver's alone.
///
/// # Safety
///
/// The caller owns `root`'s count and gives it up.
pub(super) unsafe fn take_pages<K, V>(root: Slot, out: &mut Vec<RawPage<K, V>>) {
    // SAFETY: we own the count of `root` (the caller); each child count we
    // pass on is owned: either taken from a node we free, or added.
    unsafe {
        match root.kind::<K, V>() {
            Kind::Null => {}
            Kind::Page(p, _) => out.push(p),
            Kind::Node(n) => {
                let unique = root.count().is_unique();
                let kids: Vec<Slot> = children(n).map(|(_, s)| s).collect();
                if unique {
                    drop(Box::from_raw(n.as_ptr()));
                } else {
                    for s in &kids {
                        s.count().increment();
                    }
                    release::<K, V>(root);
                }
                for s in kids {
                    take_pages(s, out);
                }
            }
        }
    }
}
