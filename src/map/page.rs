//! A map page: one allocation holding a small open-addressing hash table.
//!
//! ```text
//!   ptr (what a RawPage holds, 64-aligned)
//!   |
//!   [ Header | pad ][ chunk 0: 16 tags | 16 slots ][ chunk 1: 16 tags | 16 slots ] ...
//! ```
//!
//! The table is cut into chunks of [`WIDTH`] = 16 slots, each led by its 16
//! tag bytes (the layout of folly's F14, with hashbrown's tags and deletion
//! rule). A probe reads one chunk's tags with one group load and finds the
//! slot it wants a few bytes further on: tags and slot share a cache line or
//! two, and an OS page, so a lookup costs one miss and one TLB walk where a
//! table with a separate tag array costs two. Chunks are probed in
//! triangular order, whole chunks at a time.
//!
//! Invariants of a page (checked by `debug_check` in tests):
//! - `buckets` (`mask + 1`) is a power of two, at least [`MIN_BUCKETS`]
//!   (one chunk).
//! - Slot `i` holds an initialized `(K, V)` exactly when tag `i` is full.
//! - `len` is the number of full tags; `growth_left` is the number of full
//!   tags still allowed before the page counts as full:
//!   `capacity(buckets) - len - deleted tags`. So at least `buckets / 8`
//!   tags are always `EMPTY`, and every probe ends.
//! - A chunk that holds an `EMPTY` tag has never been full since the page
//!   was built (an erase in a full chunk writes `DELETED`), so no entry was
//!   ever pushed past it: every full entry lies in the first chunk of its
//!   probe sequence that had room when it was inserted, and a lookup may
//!   stop at the first chunk with an `EMPTY` tag.
//! - The count counts the directory nodes (and map handles) that refer to
//!   the page, each once, however many of a node's slots point at it.

use alloc::alloc::{alloc, dealloc, handle_alloc_error};
use core::alloc::Layout;
use core::borrow::Borrow;
use core::marker::PhantomData;
use core::mem;
use core::ptr::{self, NonNull};

use super::group::{self, Group, DELETED, EMPTY, WIDTH};
use crate::refcount::RefCount;

/// The fewest buckets a page has: one chunk.
pub(super) const MIN_BUCKETS: usize = 16;

/// The bytes of slots a page aims at: it splits, rather than grows, once
/// its slots fill this (see docs/design.md for the measurements).
pub(super) const PAGE_SLOT_BYTES: usize = 4096;

/// How much of a home chunk a lookup prefetches along with its tags.
const PREFETCH_BYTES: usize = 320;

/// Pages are aligned to at least this: a cache line, and six free low bits
/// in a pointer to the header.
pub(super) const PAGE_ALIGN: usize = 64;

/// The page header. `count` comes first, at offset 0, so that a pointer to
/// a page or to a directory node reaches its count the same way.
#[repr(C)]
pub(super) struct Header {
    pub(super) count: RefCount,
    /// Buckets - 1. Written only while the page is being built.
    mask: usize,
    /// Full slots. Written only while the count is 1.
    len: u32,
    /// Full slots still allowed (see the module's invariants). Written only
    /// while the count is 1.
    growth_left: u32,
    /// Hash bits that every key of this page shares with the page's place
    /// in the directory. Written only while the count is 1.
    depth: u32,
}

/// The full slots a table of `buckets` may hold: seven in eight.
#[inline]
pub(super) fn capacity(buckets: usize) -> usize {
    buckets - buckets / 8
}

/// The first chunk a key with this hash tries: the low bits of the hash's
/// upper half, which each slot keeps (so a split or a rebuild can place
/// the entry again without hashing its key). The directory reads the same
/// half from the top, so the two overlap only past depth 28, where only
/// keys whose hashes share 28 bits ever get.
#[inline(always)]
fn home_chunk(hash: u64, chunk_mask: usize) -> usize {
    (hash >> 32) as usize & chunk_mask
}

/// The full slots of one page in slot order, which is memory order (each
/// chunk's tags, then its slots, then the next chunk): what the map's
/// iterators step through. It keeps a pointer to the current chunk, so a
/// step is a bit scan and an add, as in hashbrown's `RawIter`.
///
/// Invariant: `chunk` is chunk `index / 16` of the page, `index < end =
/// buckets`; `bits` are that chunk's full slots not yet yielded. The page
/// is live while the cursor is used (its creator's promise).
pub(super) struct Slots<K, V> {
    page: RawPage<K, V>,
    chunk: *mut u8,
    index: usize,
    end: usize,
    bits: group::BitMask,
}

impl<K, V> Clone for Slots<K, V> {
    fn clone(&self) -> Self {
        Slots { ..*self }
    }
}

impl<K, V> Slots<K, V> {
    /// A cursor at the page's first slot.
    ///
    /// # Safety
    ///
    /// The page is live, and stays so, unwritten except through the
    /// slots this yields, while the cursor is used.
    #[inline]
    pub(super) unsafe fn new(page: RawPage<K, V>) -> Self {
        // SAFETY: live (the caller); a page has at least one chunk.
        unsafe {
            let chunk = page.chunk(0);
            Slots {
                page,
                chunk,
                index: 0,
                end: page.mask() + 1,
                bits: Group::load(chunk).match_full(),
            }
        }
    }

    /// The page.
    #[inline(always)]
    pub(super) fn page(&self) -> RawPage<K, V> {
        self.page
    }

    /// The full slots not yet yielded: the current chunk's bits and a
    /// count of each later chunk's tags (at most 63 group loads; for
    /// `size_hint`, so that `next` keeps no count of its own).
    pub(super) fn left(&self) -> usize {
        let mut left = self.bits.count();
        let mut chunk = self.chunk;
        let mut index = self.index + WIDTH;
        while index < self.end {
            // SAFETY: the invariant: `index < buckets`, so the chunk
            // `STRIDE` bytes on is in the live page, with 16 tags.
            unsafe {
                chunk = chunk.add(RawPage::<K, V>::STRIDE);
                left += Group::load(chunk).match_full().count();
            }
            index += WIDTH;
        }
        left
    }

    /// The next full slot: its index and its address. Fused.
    #[inline(always)]
    pub(super) fn next(&mut self) -> Option<(usize, *mut (K, V))> {
        loop {
            if let Some(lane) = self.bits.next() {
                // SAFETY: the invariant: `chunk` is a chunk of the live
                // page, whose slots start `TAGS` bytes in; `lane < 16`.
                let slot = unsafe {
                    self.chunk
                        .add(RawPage::<K, V>::TAGS)
                        .cast::<(K, V)>()
                        .add(lane)
                };
                return Some((self.index + lane, slot));
            }
            if self.index + WIDTH >= self.end {
                return None; // stays on the last chunk, with no bits: fused
            }
            self.index += WIDTH;
            // SAFETY: `index < buckets`: the next chunk is in the page,
            // `STRIDE` bytes on, and starts with 16 initialized tags.
            unsafe {
                self.chunk = self.chunk.add(RawPage::<K, V>::STRIDE);
                self.bits = Group::load(self.chunk).match_full();
            }
        }
    }
}

/// A pointer to a page of `(K, V)` entries: a handle without ownership.
/// Whoever holds one decides, by the directory's invariants, whether it
/// may read or write; the methods' `# Safety` sections say which.
pub(super) struct RawPage<K, V> {
    ptr: NonNull<Header>,
    _entries: PhantomData<(K, V)>,
}

impl<K, V> Clone for RawPage<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K, V> Copy for RawPage<K, V> {}

impl<K, V> PartialEq for RawPage<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }
}

impl<K, V> RawPage<K, V> {
    const ENTRY: usize = mem::size_of::<(K, V)>();
    /// Alignment of the allocation, and of the header's offset in it: at
    /// least [`PAGE_ALIGN`], so that a directory slot has six low bits to
    /// keep the page's bucket count in (see `dir::Slot`).
    const ALIGN: usize = {
        let a = mem::align_of::<(K, V)>();
        if a > PAGE_ALIGN {
            a
        } else {
            PAGE_ALIGN
        }
    };

    /// Bytes of tags at the head of a chunk: 16, padded to the entries'
    /// alignment.
    const TAGS: usize = {
        let a = mem::align_of::<(K, V)>();
        if a > WIDTH {
            a
        } else {
            WIDTH
        }
    };
    /// Bytes from one chunk to the next (a multiple of the entries'
    /// alignment, and of 16).
    const STRIDE: usize = Self::TAGS + WIDTH * Self::ENTRY;
    /// Where chunk 0 starts: after the header, aligned for the entries.
    const CHUNKS: usize = {
        let h = mem::size_of::<Header>();
        let a = mem::align_of::<(K, V)>();
        h.div_ceil(a) * a
    };

    /// Buckets of a page that splits when full: the largest power of two
    /// whose slots fit in `PAGE_SLOT_BYTES`, at least `MIN_BUCKETS`.
    pub(super) const NOMINAL_BUCKETS: usize = {
        let fit = match PAGE_SLOT_BYTES.checked_div(Self::ENTRY) {
            Some(fit) => fit,
            None => PAGE_SLOT_BYTES, // zero-sized entries
        };
        let mut b = MIN_BUCKETS;
        while b * 2 <= fit && b < 1024 {
            b *= 2;
        }
        b
    };

    /// The allocation of a page with `buckets` buckets. Panics with a
    /// clear message past `isize::MAX` bytes.
    fn layout(buckets: usize) -> Layout {
        let overflow = || -> ! { panic!("CowMap: capacity overflow") };
        // The chunks, then one `u32` per slot (the stored hash halves).
        let size = (buckets / WIDTH)
            .checked_mul(Self::STRIDE)
            .and_then(|s| s.checked_add(Self::CHUNKS))
            .and_then(|s| s.checked_add(buckets * mem::size_of::<u32>()))
            .unwrap_or_else(|| overflow());
        match Layout::from_size_align(size, Self::ALIGN) {
            Ok(layout) => layout,
            Err(_) => overflow(),
        }
    }

    /// A new, empty, unique page (count 1) of `buckets` buckets (a power of
    /// two, at least `MIN_BUCKETS`) at directory depth `depth`.
    pub(super) fn allocate(buckets: usize, depth: u32) -> RawPage<K, V> {
        assert!(
            buckets.is_power_of_two() && buckets >= MIN_BUCKETS,
            "page buckets"
        );
        // The bucket count's log2 must fit the five bits a directory slot
        // keeps it in.
        if buckets > 1 << 31 {
            panic!("CowMap: too many entries with one hash");
        }
        let growth = capacity(buckets) as u32;
        let layout = Self::layout(buckets);
        // SAFETY: the layout holds at least the header: not zero-sized.
        let base = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(base.cast::<Header>()) else {
            handle_alloc_error(layout)
        };
        // SAFETY: `ptr` is a fresh allocation of `layout`, aligned for
        // `Header` (ALIGN >= 64), which starts with the header; every
        // chunk's 16 tag bytes lie within it.
        unsafe {
            ptr.as_ptr().write(Header {
                count: RefCount::one(),
                mask: buckets - 1,
                len: 0,
                growth_left: growth,
                depth,
            });
            let page = RawPage::<K, V> {
                ptr,
                _entries: PhantomData,
            };
            for c in 0..buckets / WIDTH {
                ptr::write_bytes(page.chunk(c), EMPTY, WIDTH);
            }
        }
        RawPage {
            ptr,
            _entries: PhantomData,
        }
    }

    /// The page a directory slot's pointer points at.
    ///
    /// # Safety
    ///
    /// `ptr` came from [`RawPage::as_ptr`] of a `RawPage<K, V>` (the same
    /// `K`, `V`).
    #[inline(always)]
    pub(super) unsafe fn from_ptr(ptr: NonNull<u8>) -> RawPage<K, V> {
        RawPage {
            ptr: ptr.cast(),
            _entries: PhantomData,
        }
    }

    /// The page's address, for a directory slot.
    #[inline(always)]
    pub(super) fn as_ptr(self) -> NonNull<u8> {
        self.ptr.cast()
    }

    /// The page's refcount.
    ///
    /// # Safety
    ///
    /// The page is live (some handle owns a count of it) for `'a`.
    #[inline(always)]
    pub(super) unsafe fn count<'a>(self) -> &'a RefCount {
        // Only the count is borrowed: other threads touch it, and the other
        // fields are written through the raw pointer.
        // SAFETY: the page is live (the caller's promise), and `count` is its
        // header's first field.
        unsafe { &(*self.ptr.as_ptr()).count }
    }

    /// Buckets - 1. # Safety: the page is live.
    #[inline(always)]
    pub(super) unsafe fn mask(self) -> usize {
        // SAFETY: the page is live; `mask` is never written after building.
        unsafe { (*self.ptr.as_ptr()).mask }
    }

    /// Full slots. # Safety: the page is live.
    #[inline(always)]
    pub(super) unsafe fn len(self) -> usize {
        // SAFETY: the page is live; `len` is written only while unique, by
        // the one owner, which is not reading concurrently.
        unsafe { (*self.ptr.as_ptr()).len as usize }
    }

    /// Room left before the page is full. # Safety: the page is live.
    #[inline(always)]
    pub(super) unsafe fn growth_left(self) -> usize {
        // SAFETY: as for `len`.
        unsafe { (*self.ptr.as_ptr()).growth_left as usize }
    }

    /// The page's directory depth. # Safety: the page is live.
    #[inline(always)]
    pub(super) unsafe fn depth(self) -> u32 {
        // SAFETY: as for `len`.
        unsafe { (*self.ptr.as_ptr()).depth }
    }

    /// Sets the directory depth.
    ///
    /// # Safety
    ///
    /// The page is live and unique, and the caller holds the only access.
    pub(super) unsafe fn set_depth(self, depth: u32) {
        // SAFETY: unique (the caller's promise): nobody else reads it.
        unsafe { (*self.ptr.as_ptr()).depth = depth }
    }

    /// The start of chunk `c` (its 16 tags); for `c == buckets / 16`, the
    /// start of the stored hash halves. # Safety: the page is live and
    /// `c <= buckets / 16`.
    #[inline(always)]
    unsafe fn chunk(self, c: usize) -> *mut u8 {
        // SAFETY: chunk `c`, or the hash array after the last chunk, lies
        // within the allocation (`layout`).
        unsafe {
            self.ptr
                .as_ptr()
                .cast::<u8>()
                .add(Self::CHUNKS + c * Self::STRIDE)
        }
    }

    /// Tag `i`. # Safety: the page is live and `i < buckets`.
    #[inline(always)]
    pub(super) unsafe fn tag(self, i: usize) -> u8 {
        // SAFETY: `i < buckets`: its chunk exists; the tag is initialized.
        unsafe { *self.chunk(i / WIDTH).add(i % WIDTH) }
    }

    /// The tags of chunk `c`. # Safety: the page is live and
    /// `c < buckets / 16`.
    #[inline(always)]
    unsafe fn group(self, c: usize) -> Group {
        // SAFETY: a chunk starts with 16 initialized tag bytes.
        unsafe { Group::load(self.chunk(c)) }
    }

    /// Slot `i`. # Safety: the page is live and `i < buckets`.
    #[inline(always)]
    pub(super) unsafe fn slot(self, i: usize) -> *mut (K, V) {
        // SAFETY: slot `i % 16` of chunk `i / 16` lies `TAGS` bytes into
        // the chunk plus its index's entries, within the allocation (for a
        // zero-sized entry, right after the tags).
        unsafe {
            self.chunk(i / WIDTH)
                .add(Self::TAGS)
                .cast::<(K, V)>()
                .add(i % WIDTH)
        }
    }

    /// The stored upper half of slot `i`'s hash. # Safety: the page is
    /// live and `i < buckets`.
    #[inline(always)]
    unsafe fn hash_hi(self, i: usize) -> *mut u32 {
        // SAFETY: the `u32` array follows the last chunk, within the
        // allocation; its offset (CHUNKS + chunks * STRIDE) is a multiple
        // of 16, so it is aligned. Kept apart from the chunks, so that a
        // scan of tags and slots reads no hash.
        unsafe {
            let chunks = (self.mask() + 1) / WIDTH;
            self.chunk(chunks).cast::<u32>().add(i)
        }
    }

    /// What the page knows of full slot `i`'s hash without hashing the key:
    /// the upper 32 bits (stored) and the low 7 (the tag), the rest zero.
    /// It decides the directory bits up to depth 32, the home chunk and the
    /// tag exactly as the full hash would.
    ///
    /// # Safety
    ///
    /// The page is live, and slot `i < buckets` is full.
    #[inline]
    pub(super) unsafe fn stored_hash(self, i: usize) -> u64 {
        // SAFETY: a full slot's stored half was written by `insert_at`.
        unsafe { ((*self.hash_hi(i) as u64) << 32) | self.tag(i) as u64 }
    }

    /// Sets tag `i`.
    ///
    /// # Safety
    ///
    /// The page is live and unique (the caller writes it alone), `i <
    /// buckets`.
    #[inline(always)]
    unsafe fn set_tag(self, i: usize, tag: u8) {
        // SAFETY: `i < buckets`, within its chunk's tags; unique.
        unsafe { *self.chunk(i / WIDTH).add(i % WIDTH) = tag }
    }

    /// The slot holding `key`, if any.
    ///
    /// # Safety
    ///
    /// The page is live and nobody writes it meanwhile; `hash` is the hash
    /// of `key` (any value is safe, a wrong one just misses).
    #[inline]
    pub(super) unsafe fn find<Q>(self, hash: u64, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        // SAFETY: the page is live and unwritten (the caller), and `mask`
        // is its own.
        unsafe { self.find_in(self.mask(), hash, key) }
    }

    /// [`find`](RawPage::find), with the page's mask already known (from
    /// its directory slot), so that the header is not read: the probe's
    /// first two loads, the tags and the home slot, go out together.
    ///
    /// # Safety
    ///
    /// As for `find`, and `mask` is this page's.
    #[inline(always)]
    pub(super) unsafe fn find_in<Q>(self, mask: usize, hash: u64, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        // SAFETY: the page is live and not written (the caller); chunk
        // numbers are masked below `buckets / 16`; tags that match a full
        // tag are full, so their slots are initialized.
        unsafe {
            debug_assert_eq!(mask, self.mask());
            let tag = group::tag(hash);
            let chunk_mask = mask / WIDTH;
            let mut c = home_chunk(hash, chunk_mask);
            // Ask for the home chunk's slot lines now, so the hit's slot
            // arrives with the tags instead of after them.
            let home = self.chunk(c);
            let mut off = 64;
            while off < Self::STRIDE.min(PREFETCH_BYTES) {
                group::prefetch(home.add(off));
                off += 64;
            }
            let mut step = 0;
            loop {
                let g = self.group(c);
                for lane in g.match_tag(tag) {
                    let i = c * WIDTH + lane;
                    if (*self.slot(i)).0.borrow() == key {
                        return Some(i);
                    }
                }
                // Termination: at least buckets / 8 tags are EMPTY, and
                // triangular steps visit every chunk (a power of two).
                if g.match_empty().any() {
                    return None;
                }
                step += 1;
                c = (c + step) & chunk_mask;
            }
        }
    }

    /// The first slot on `hash`'s probe sequence that is not full.
    ///
    /// # Safety
    ///
    /// The page is live.
    #[inline]
    unsafe fn find_insert_slot(self, hash: u64) -> usize {
        // SAFETY: the page is live; chunks are masked below `buckets / 16`.
        unsafe {
            let chunk_mask = self.mask() / WIDTH;
            let mut c = home_chunk(hash, chunk_mask);
            let mut step = 0;
            loop {
                if let Some(lane) = self.group(c).match_empty_or_deleted().lowest() {
                    return c * WIDTH + lane;
                }
                step += 1;
                c = (c + step) & chunk_mask;
            }
        }
    }

    /// Where a new entry with `hash` would go, if the page has room for it
    /// without restructuring (an `EMPTY` slot needs `growth_left > 0`; a
    /// `DELETED` one is reused).
    ///
    /// # Safety
    ///
    /// The page is live.
    #[inline]
    pub(super) unsafe fn vacant_slot(self, hash: u64) -> Option<usize> {
        // SAFETY: the page is live; `find_insert_slot` returns `i < buckets`.
        unsafe {
            let i = self.find_insert_slot(hash);
            if self.growth_left() == 0 && self.tag(i) == EMPTY {
                None
            } else {
                Some(i)
            }
        }
    }

    /// Writes a new entry into slot `i` (from [`vacant_slot`]).
    ///
    /// # Safety
    ///
    /// The page is live and unique, the caller has the only access, `i`
    /// came from `vacant_slot(hash)` with no write in between, and `hash`
    /// is the hash of `entry.0`.
    ///
    /// [`vacant_slot`]: RawPage::vacant_slot
    #[inline]
    pub(super) unsafe fn insert_at(self, i: usize, hash: u64, entry: (K, V)) -> *mut (K, V) {
        // SAFETY: slot `i` is not full (vacant_slot), so writing it
        // overwrites nothing; the page is unique, so the header fields and
        // tags are ours to write.
        unsafe {
            let h = self.ptr.as_ptr();
            if self.tag(i) == EMPTY {
                debug_assert!((*h).growth_left > 0);
                (*h).growth_left -= 1;
            }
            let slot = self.slot(i);
            slot.write(entry);
            *self.hash_hi(i) = (hash >> 32) as u32;
            self.set_tag(i, group::tag(hash));
            (*h).len += 1;
            slot
        }
    }

    /// Marks full slot `i` as no longer full, without dropping its entry:
    /// the caller has moved it out (or drops it next). `EMPTY` when no probe
    /// can have passed over the slot, else `DELETED`.
    ///
    /// # Safety
    ///
    /// The page is live and unique, the caller has the only access, and
    /// slot `i < buckets` is full.
    pub(super) unsafe fn erase(self, i: usize) {
        // SAFETY: unique, the caller's only access; `i < buckets`.
        unsafe {
            let h = self.ptr.as_ptr();
            // A chunk with an EMPTY tag has never been full, so no probe
            // ever went past it: EMPTY is safe. A full chunk may have sent
            // entries on: DELETED keeps the probes going.
            let tag = if self.group(i / WIDTH).match_empty().any() {
                (*h).growth_left += 1;
                EMPTY
            } else {
                DELETED
            };
            self.set_tag(i, tag);
            (*h).len -= 1;
        }
    }

    /// The full slots of chunk `c` (slots `16c..16c + 16`).
    ///
    /// # Safety
    ///
    /// The page is live; `c < buckets / 16`.
    #[inline(always)]
    pub(super) unsafe fn full_in_chunk(self, c: usize) -> group::BitMask {
        // SAFETY: `c` is a chunk of the live page.
        unsafe { self.group(c).match_full() }
    }

    /// Feeds every full slot to `f`, in memory order: the scan of a reading
    /// fold. One pointer walks the chunks, so a slot's address is that
    /// chunk's plus its lane.
    ///
    /// # Safety
    ///
    /// The page is live and not written while this runs (`f` may read the
    /// slots it is given).
    #[inline(always)]
    pub(super) unsafe fn fold_full<B>(self, init: B, f: &mut impl FnMut(B, *mut (K, V)) -> B) -> B {
        let mut acc = init;
        // SAFETY: the page is live (the caller); chunks `0..buckets / 16`
        // lie in its allocation, each `STRIDE` bytes after the last, with
        // its slots `TAGS` bytes in; the bits flag full, initialized slots.
        unsafe {
            let chunks = (self.mask() + 1) / WIDTH;
            let mut chunk = self.chunk(0);
            for _ in 0..chunks {
                let slots = chunk.add(Self::TAGS).cast::<(K, V)>();
                for lane in Group::load(chunk).match_full() {
                    acc = f(acc, slots.add(lane));
                }
                chunk = chunk.add(Self::STRIDE);
            }
        }
        acc
    }

    /// Reads one byte of each cache line of the stored hashes and throws it
    /// away. A fold that visits pages in address order calls this after a
    /// page's chunks, so that its reads run on into the next page without
    /// a gap: the hardware prefetcher follows a stream of lines but stops
    /// at a skipped kilobyte, and a scan that skipped the hashes ran at a
    /// third of the speed of one that read them (measured: docs/design.md).
    /// A software prefetch of those lines did not keep the stream going.
    ///
    /// # Safety
    ///
    /// The page is live.
    #[inline]
    pub(super) unsafe fn touch_hashes(self) {
        // SAFETY: the page is live (the caller); the hash array (`buckets`
        // `u32`s after the last chunk) lies in its allocation. The bytes
        // are read as `MaybeUninit<u8>`, which any byte is (an empty
        // slot's hash was never written); the value is dropped.
        unsafe {
            let start = self.chunk((self.mask() + 1) / WIDTH);
            let len = (self.mask() + 1) * mem::size_of::<u32>();
            let touch = |off: usize| {
                let _ = ptr::read_volatile(start.add(off).cast::<mem::MaybeUninit<u8>>());
            };
            // Every line the array covers: steps of 64 from its start, and
            // its last byte (for the line a step may jump past).
            let mut off = 0;
            while off < len {
                touch(off);
                off += 64;
            }
            touch(len - 1);
        }
    }

    /// Asks the memory system for the page's chunks (tags and slots; not
    /// the stored hashes, which a scan does not read) at once, so that a
    /// scan of it is one round of misses, not one per line.
    ///
    /// # Safety
    ///
    /// The page is live.
    #[inline]
    pub(super) unsafe fn prefetch_all(self) {
        // SAFETY: live (the caller); every address prefetched lies in the
        // page's allocation (a prefetch cannot fault anyway).
        unsafe {
            let size = Self::CHUNKS + (self.mask() + 1) / WIDTH * Self::STRIDE;
            let start = self.ptr.as_ptr().cast::<u8>();
            let mut off = 0;
            while off < size {
                group::prefetch(start.add(off));
                off += 64;
            }
        }
    }

    /// Every full slot's index, in slot order (for building and checks;
    /// the iterators scan groups themselves).
    ///
    /// # Safety
    ///
    /// The page is live and not written while the iterator lives.
    pub(super) unsafe fn full_slots(self) -> impl Iterator<Item = usize> {
        // SAFETY: the page is live (caller).
        let buckets = unsafe { self.mask() } + 1;
        (0..buckets / WIDTH)
            // SAFETY: `c` is a chunk of the page; live (caller).
            .flat_map(move |c| unsafe { self.full_in_chunk(c) }.map(move |b| c * WIDTH + b))
    }

    /// A unique copy of this page: same buckets, depth, tags and positions
    /// (so a slot index found in the original holds the same key in the
    /// copy), every entry cloned. If a `clone` panics, what was cloned so
    /// far is dropped, the copy freed, and this page is untouched.
    ///
    /// # Safety
    ///
    /// The page is live and nobody writes it meanwhile.
    pub(super) unsafe fn clone_page(self) -> RawPage<K, V>
    where
        K: Clone,
        V: Clone,
    {
        /// Drops the first `done` slots' full entries of a half-made copy
        /// and frees it, unless forgotten.
        struct Partial<K, V> {
            page: RawPage<K, V>,
            done: usize,
        }
        impl<K, V> Drop for Partial<K, V> {
            fn drop(&mut self) {
                // SAFETY: the copy is unique and ours; of the slots below
                // `done`, those with full tags (copied from the original)
                // were cloned into; nothing at or past `done` was written,
                // so only those are dropped before the copy is freed.
                unsafe {
                    for i in 0..self.done {
                        if group::is_full(self.page.tag(i)) {
                            ptr::drop_in_place(self.page.slot(i));
                        }
                    }
                    self.page.free();
                }
            }
        }
        // SAFETY: the page is live and unread-only for us (the caller).
        unsafe {
            let buckets = self.mask() + 1;
            let copy = RawPage::<K, V>::allocate(buckets, self.depth());
            for c in 0..buckets / WIDTH {
                ptr::copy_nonoverlapping(self.chunk(c), copy.chunk(c), WIDTH);
            }
            // (An untyped copy: the halves of slots not full are uninit.)
            ptr::copy_nonoverlapping(
                self.hash_hi(0).cast::<u8>(),
                copy.hash_hi(0).cast::<u8>(),
                buckets * mem::size_of::<u32>(),
            );
            (*copy.ptr.as_ptr()).len = (*self.ptr.as_ptr()).len;
            (*copy.ptr.as_ptr()).growth_left = (*self.ptr.as_ptr()).growth_left;
            let mut guard = Partial {
                page: copy,
                done: 0,
            };
            for start in (0..buckets).step_by(WIDTH) {
                for bit in self.full_in_chunk(start / WIDTH) {
                    let i = start + bit;
                    guard.done = i;
                    let (k, v) = &*self.slot(i);
                    let entry = (k.clone(), v.clone());
                    copy.slot(i).write(entry);
                }
                guard.done = start + WIDTH;
            }
            mem::forget(guard);
            copy
        }
    }

    /// Moves every entry of this page into `dest`, at the place
    /// `hashes` says, and frees this page's memory (its entries now live
    /// in `dest`). Cannot panic: no user code runs.
    ///
    /// # Safety
    ///
    /// Both pages are live and unique, owned by the caller; `hashes` holds
    /// `(slot, hash)` for every full slot of this page, with its full hash
    /// or its [`stored_hash`](RawPage::stored_hash);
    /// `pick(hash)` chooses the destination page, which must have room for
    /// all the entries it is given.
    pub(super) unsafe fn move_into(
        self,
        hashes: &[(usize, u64)],
        mut pick: impl FnMut(u64) -> RawPage<K, V>,
    ) {
        // SAFETY: each full slot is read once and written into a vacant
        // slot of its unique destination, which has room (the caller);
        // then this page holds no live entry and is freed.
        unsafe {
            for &(i, hash) in hashes {
                let dest = pick(hash);
                let j = dest.find_insert_slot(hash);
                dest.insert_at(j, hash, self.slot(i).read());
            }
            self.free();
        }
    }

    /// Drops every entry and frees the page. If an entry's `drop` panics,
    /// the rest are still dropped and the page freed (a second panic
    /// aborts, as in std's slices).
    ///
    /// # Safety
    ///
    /// The caller owns the page's last count, and nothing uses it after.
    pub(super) unsafe fn drop_page(self) {
        /// Drops the full entries from slot `from` on and frees the page.
        struct Rest<K, V> {
            page: RawPage<K, V>,
            from: usize,
        }
        impl<K, V> Drop for Rest<K, V> {
            fn drop(&mut self) {
                // SAFETY: the page is ours (the last count); slots from
                // `from` on have not been dropped. If a drop panics, the
                // guard made just before it takes over the slots after it
                // (and the free); this one then stops.
                unsafe {
                    let buckets = self.page.mask() + 1;
                    while self.from < buckets {
                        let i = self.from;
                        self.from += 1;
                        if group::is_full(self.page.tag(i)) {
                            let rest = Rest {
                                page: self.page,
                                from: self.from,
                            };
                            ptr::drop_in_place(self.page.slot(i));
                            mem::forget(rest);
                        }
                    }
                    self.page.free();
                }
            }
        }
        if mem::needs_drop::<(K, V)>() {
            drop(Rest {
                page: self,
                from: 0,
            });
        } else {
            // SAFETY: the entries need no drop; the page is ours.
            unsafe { self.free() };
        }
    }

    /// Frees the memory, dropping nothing.
    ///
    /// # Safety
    ///
    /// The caller owns the page, and no slot holds a live entry any more
    /// (they were moved or dropped).
    pub(super) unsafe fn free(self) {
        // SAFETY: the page is live, and its allocation, at `ptr`, was made
        // with this layout (same bucket count).
        unsafe {
            dealloc(
                self.ptr.as_ptr().cast::<u8>(),
                Self::layout(self.mask() + 1),
            )
        }
    }

    /// Checks the page's invariants (tests only): `len` and `growth_left`
    /// agree with the tags, and enough tags are `EMPTY`.
    ///
    /// # Safety
    ///
    /// The page is live and not written meanwhile.
    #[cfg(test)]
    pub(super) unsafe fn debug_check(self) {
        // SAFETY: live, read-only (caller); every index is in bounds.
        unsafe {
            let buckets = self.mask() + 1;
            let full = (0..buckets)
                .filter(|&i| group::is_full(self.tag(i)))
                .count();
            let deleted = (0..buckets).filter(|&i| self.tag(i) == DELETED).count();
            assert_eq!(full, self.len(), "len counts the full tags");
            assert_eq!(
                capacity(buckets) - full - deleted,
                self.growth_left(),
                "growth_left"
            );
            for c in 0..buckets / WIDTH {
                // A chunk with an EMPTY tag never pushed an entry on: every
                // full entry sits in the first chunk of its sequence that
                // has an EMPTY tag, or earlier (checked by the lookups of
                // the tests that call this).
                let _ = c;
            }
            assert!(buckets - full - deleted >= buckets / 8, "room for EMPTY");
        }
    }
}
