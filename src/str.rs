//! [`CowStr`]: a 16-byte string that clones in O(1), inline up to 15 bytes.
//!
//! Layout (`#[repr(C)]`, 16 bytes, both forms):
//!
//! ```text
//! byte   0 .. 8          8 .. 15             15
//! short  text[0..8]      text[8..15]         0x80 | len        (len <= 15)
//! long   CowVec ptr      len, bytes 0..7 LE  len, byte 7 LE    (<= 0x7F: len <= isize::MAX)
//! ```
//!
//! The last byte tells the forms apart: a long string's length is at most
//! `isize::MAX`, so the top byte of its little-endian encoding is at most
//! `0x7F`, and a short string's tag is `0x80 | len`. That byte's type,
//! `Tag`, has a variant for each of `0x00..=0x8F` only, so the 112 other
//! values are a niche and `Option<CowStr>` is 16 bytes too. The long form is
//! the two words of a `CowVec<u8>` (`into_raw_parts`), so it shares the
//! vector's refcount core, its copy on write and its drop; every operation
//! on it takes the handle out, uses `CowVec`'s method, and puts it back.

use alloc::string::String;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::convert::Infallible;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::mem::{self, ManuallyDrop};
use core::ops::Deref;
use core::ptr::{self, NonNull};
use core::slice;
use core::str::{self, FromStr};

use crate::CowVec;

/// Bytes a short string holds inline.
const INLINE_CAP: usize = 15;

/// The tag bit of a short string's last byte.
const INLINE: u8 = 0x80;

/// The capacity a string gets when it first outgrows the inline form (or
/// more, if it needs more): twice the inline bytes, rounded up, as `String`
/// would have after a few doublings.
const FIRST_HEAP_CAP: usize = 32;

/// The last byte of a [`CowStr`]: `0x00..=0x7F` is the top byte of a long
/// string's length, `0x80..=0x8F` a short string's `0x80 | len`. No other
/// value is valid, which gives `Option<CowStr>` its niche.
#[rustfmt::skip]
#[allow(dead_code)] // made from bytes by `Tag::from_byte`, never by name but `I0`
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Tag {
    H00 = 0x00, H01 = 0x01, H02 = 0x02, H03 = 0x03, H04 = 0x04, H05 = 0x05, H06 = 0x06,
    H07 = 0x07, H08 = 0x08, H09 = 0x09, H0A = 0x0A, H0B = 0x0B, H0C = 0x0C, H0D = 0x0D,
    H0E = 0x0E, H0F = 0x0F, H10 = 0x10, H11 = 0x11, H12 = 0x12, H13 = 0x13, H14 = 0x14,
    H15 = 0x15, H16 = 0x16, H17 = 0x17, H18 = 0x18, H19 = 0x19, H1A = 0x1A, H1B = 0x1B,
    H1C = 0x1C, H1D = 0x1D, H1E = 0x1E, H1F = 0x1F, H20 = 0x20, H21 = 0x21, H22 = 0x22,
    H23 = 0x23, H24 = 0x24, H25 = 0x25, H26 = 0x26, H27 = 0x27, H28 = 0x28, H29 = 0x29,
    H2A = 0x2A, H2B = 0x2B, H2C = 0x2C, H2D = 0x2D, H2E = 0x2E, H2F = 0x2F, H30 = 0x30,
    H31 = 0x31, H32 = 0x32, H33 = 0x33, H34 = 0x34, H35 = 0x35, H36 = 0x36, H37 = 0x37,
    H38 = 0x38, H39 = 0x39, H3A = 0x3A, H3B = 0x3B, H3C = 0x3C, H3D = 0x3D, H3E = 0x3E,
    H3F = 0x3F, H40 = 0x40, H41 = 0x41, H42 = 0x42, H43 = 0x43, H44 = 0x44, H45 = 0x45,
    H46 = 0x46, H47 = 0x47, H48 = 0x48, H49 = 0x49, H4A = 0x4A, H4B = 0x4B, H4C = 0x4C,
    H4D = 0x4D, H4E = 0x4E, H4F = 0x4F, H50 = 0x50, H51 = 0x51, H52 = 0x52, H53 = 0x53,
    H54 = 0x54, H55 = 0x55, H56 = 0x56, H57 = 0x57, H58 = 0x58, H59 = 0x59, H5A = 0x5A,
    H5B = 0x5B, H5C = 0x5C, H5D = 0x5D, H5E = 0x5E, H5F = 0x5F, H60 = 0x60, H61 = 0x61,
    H62 = 0x62, H63 = 0x63, H64 = 0x64, H65 = 0x65, H66 = 0x66, H67 = 0x67, H68 = 0x68,
    H69 = 0x69, H6A = 0x6A, H6B = 0x6B, H6C = 0x6C, H6D = 0x6D, H6E = 0x6E, H6F = 0x6F,
    H70 = 0x70, H71 = 0x71, H72 = 0x72, H73 = 0x73, H74 = 0x74, H75 = 0x75, H76 = 0x76,
    H77 = 0x77, H78 = 0x78, H79 = 0x79, H7A = 0x7A, H7B = 0x7B, H7C = 0x7C, H7D = 0x7D,
    H7E = 0x7E, H7F = 0x7F, I0 = 0x80, I1 = 0x81, I2 = 0x82, I3 = 0x83, I4 = 0x84, I5 = 0x85,
    I6 = 0x86, I7 = 0x87, I8 = 0x88, I9 = 0x89, I10 = 0x8A, I11 = 0x8B, I12 = 0x8C, I13 = 0x8D,
    I14 = 0x8E, I15 = 0x8F,
}

impl Tag {
    /// The tag for byte `b`.
    #[inline(always)]
    fn from_byte(b: u8) -> Tag {
        assert!(
            b <= INLINE | INLINE_CAP as u8,
            "arcow::CowStr: invalid tag byte"
        );
        // SAFETY: `Tag` is `repr(u8)` and has a variant for every value in
        // `0x00..=0x8F`, which the assert just checked (the optimizer drops
        // it where `b` is known to be in range, as at every call here).
        unsafe { mem::transmute::<u8, Tag>(b) }
    }
}

/// The first eight bytes: a long string's buffer pointer, or a short
/// string's first eight bytes of text.
#[derive(Clone, Copy)]
#[repr(C)]
union Head {
    /// Long form: the `CowVec<u8>`'s element pointer (never null).
    ptr: *const u8,
    /// Short form: `text[0..8]` (zero past the length).
    bytes: [u8; 8],
}

/// A string that clones in O(1): 16 bytes, up to 15 bytes inline with no
/// allocation, longer ones in a refcounted buffer shared by clones and
/// copied on the first write while shared.
///
/// It behaves like `str` for `==`, `<`, `Hash` and `Borrow<str>`, so a
/// `CowMap<CowStr, V>` or a `HashMap<CowStr, V>` is searched with a `&str`.
///
/// - A short string (at most 15 bytes) lives in the 16 bytes of the handle:
///   cloning it copies 16 bytes, with no atomic operation and no allocation.
/// - A longer one lives in a `CowVec<u8>` buffer: cloning it is one refcount
///   increment; the first write to a shared buffer copies it once.
/// - A long string that shrinks to 15 bytes or fewer (`truncate`, `pop`,
///   `clear`) keeps its buffer, as `String` keeps its capacity; a new
///   `CowStr` made from it (`CowStr::from(s.as_str())`) is short again.
///
/// # Examples
///
/// ```
/// use arcow::CowStr;
/// use std::collections::HashMap;
///
/// let short = CowStr::from("eu-west-1");          // inline: no allocation
/// let long = CowStr::from("a name longer than fifteen bytes");
/// let copy = long.clone();                        // one refcount increment
/// assert_eq!(copy, long);
///
/// let mut routes = HashMap::new();
/// routes.insert(short.clone(), 1);
/// assert_eq!(routes.get("eu-west-1"), Some(&1));  // looked up with a &str
///
/// let mut edited = long.clone();
/// edited.push_str("!");                           // shared: copied once, then in place
/// assert_eq!(long, "a name longer than fifteen bytes");
/// assert!(edited.ends_with('!'));
/// ```
#[repr(C)]
pub struct CowStr {
    /// Short: `text[0..8]`; long: the buffer pointer.
    head: Head,
    /// Short: `text[8..15]`; long: bytes 0 to 6 of the length, little-endian.
    tail: [u8; 7],
    /// Short: `0x80 | len`; long: byte 7 of the length (see `Tag`).
    last: Tag,
}

// Invariants:
// - Short form (`last >= 0x80`): `text[0..len]`, the first `len` bytes of
//   the struct, are UTF-8; `len = last & 0x0F <= 15`.
// - Long form (`last <= 0x7F`): `(head.ptr, len)` are `CowVec::into_raw_parts`
//   of a `CowVec<u8>` handle this string owns, holding UTF-8.

// SAFETY: the short form is plain bytes; the long form is a `CowVec<u8>`
// handle, which is `Send` and `Sync` (`u8` is both).
unsafe impl Send for CowStr {}
// SAFETY: as for `Send`: `&CowStr` gives `&str` and clones the handle.
unsafe impl Sync for CowStr {}

impl CowStr {
    /// An empty string. Allocates nothing; usable in a `static`.
    ///
    /// # Examples
    ///
    /// ```
    /// use arcow::CowStr;
    ///
    /// static NONE: CowStr = CowStr::new();
    /// let mut s = CowStr::new();
    /// s.push_str("hi");
    /// assert_eq!((NONE.as_str(), s.as_str()), ("", "hi"));
    /// ```
    #[inline]
    pub const fn new() -> CowStr {
        CowStr {
            head: Head { bytes: [0; 8] },
            tail: [0; 7],
            last: Tag::I0,
        }
    }

    /// A short string holding `s` (`s.len() <= 15`).
    #[inline]
    fn inline(s: &str) -> CowStr {
        debug_assert!(s.len() <= INLINE_CAP);
        let mut out = CowStr::new();
        // SAFETY: `out` is short, and `s` fits its 15 bytes of text.
        unsafe { ptr::copy_nonoverlapping(s.as_ptr(), out.text_ptr(), s.len()) };
        out.last = Tag::from_byte(INLINE | s.len() as u8);
        out
    }

    /// A long string owning `vec`, whose bytes must be UTF-8 (the caller's
    /// promise; every caller here builds `vec` from `str`s).
    #[inline]
    fn from_vec(vec: CowVec<u8>) -> CowStr {
        let (ptr, len) = vec.into_raw_parts();
        let mut out = CowStr {
            head: Head { ptr: ptr.as_ptr() },
            tail: [0; 7],
            last: Tag::H00,
        };
        out.set_heap_len(len);
        out
    }

    /// Stores a long string's length in `tail` and `last`.
    #[inline(always)]
    fn set_heap_len(&mut self, len: usize) {
        // A `CowVec<u8>` holds at most `isize::MAX` bytes, so the top byte,
        // which lands in `last`, is at most 0x7F: a valid `Tag`.
        debug_assert!(len <= isize::MAX as usize);
        // SAFETY: bytes 8..16 of `self` are `tail` and `last`; the value
        // written leaves `last` a valid `Tag` (above); `write_unaligned`, as
        // `CowStr` is only pointer-aligned. One 8-byte store (see
        // `heap_len`).
        unsafe {
            ptr::write_unaligned(
                ptr::from_mut(self).cast::<u64>().add(1),
                (len as u64).to_le(),
            );
        }
    }

    /// The long form's buffer handle, borrowed: never dropped, so it does
    /// not count as a handle of its own.
    #[inline(always)]
    fn heap_view(&self) -> ManuallyDrop<CowVec<u8>> {
        debug_assert!(!self.is_inline());
        // SAFETY: long form: `(head.ptr, heap_len())` are the raw parts of
        // the handle `self` owns (the pointer is never null); the view is
        // `ManuallyDrop`, so the count is not given back twice.
        ManuallyDrop::new(unsafe {
            CowVec::from_raw_parts(
                NonNull::new_unchecked(self.head.ptr.cast_mut()),
                self.heap_len(),
            )
        })
    }

    /// `true` for the short form.
    #[inline(always)]
    fn is_inline(&self) -> bool {
        self.last as u8 & INLINE != 0
    }

    /// The start of the short form's text: the first byte of `self`.
    #[inline(always)]
    fn text_ptr(&mut self) -> *mut u8 {
        ptr::from_mut(self).cast::<u8>()
    }

    /// Bytes 8..16 (`tail` and the tag), as one number: the long form's
    /// length, or the short form's text from byte 8 and its tag.
    #[inline(always)]
    fn tail_word(&self) -> u64 {
        // SAFETY: bytes 8..16 of `self` (`tail` and `last`) are initialized
        // plain bytes in both forms; `read_unaligned`, as `CowStr` is only
        // pointer-aligned (4 bytes on 32-bit targets).
        unsafe { ptr::read_unaligned(ptr::from_ref(self).cast::<u64>().add(1)) }
    }

    /// The long form's length.
    #[inline(always)]
    fn heap_len(&self) -> usize {
        // One 8-byte load, not eight byte loads: `push_str` writes the
        // length with one 8-byte store, and a load that a store forwards
        // whole costs nothing (pieced together, it stalls).
        u64::from_le(self.tail_word()) as usize
    }

    /// The long form's buffer handle, moved out; `self` is left empty and
    /// short, so a panic before `put_vec` leaks nothing and drops nothing
    /// twice.
    #[inline]
    fn take_vec(&mut self) -> CowVec<u8> {
        debug_assert!(!self.is_inline());
        let len = self.heap_len();
        // SAFETY: long form: `head.ptr` is the (non-null) element pointer
        // of the handle this string owns.
        let ptr = unsafe { NonNull::new_unchecked(self.head.ptr.cast_mut()) };
        // `self` gives up the handle here: the assignment drops nothing (an
        // owning `CowStr` is not dropped by a raw write).
        // SAFETY: `self` is valid for writes; the old value is forgotten,
        // its handle moving into the `CowVec` below.
        unsafe { ptr::write(self, CowStr::new()) };
        // SAFETY: `(ptr, len)` are the raw parts of the handle the string
        // owned, made into a handle once, here.
        unsafe { CowVec::from_raw_parts(ptr, len) }
    }

    /// Runs `f` on the long form's buffer handle and puts it back.
    #[inline]
    fn with_vec<R>(&mut self, f: impl FnOnce(&mut CowVec<u8>) -> R) -> R {
        let mut vec = self.take_vec();
        let out = f(&mut vec);
        // `self` is short and empty here: the assignment drops nothing.
        *self = CowStr::from_vec(vec);
        out
    }

    /// A short string's 16 bytes, as one number.
    #[inline(always)]
    fn short_bits(&self) -> u128 {
        debug_assert!(self.is_inline());
        // SAFETY: short form: all 16 bytes are initialized (text, zeros,
        // tag); `read_unaligned` as `CowStr` is only 8-aligned.
        unsafe { ptr::read_unaligned(ptr::from_ref(self).cast::<u128>()) }
    }

    /// The text, as bytes.
    #[inline]
    fn bytes(&self) -> &[u8] {
        if self.is_inline() {
            let len = usize::from(self.last as u8 & !INLINE);
            // SAFETY: short form: the first `len <= 15` bytes of `self` are
            // the text (`head.bytes` then `tail`, contiguous in `repr(C)`).
            unsafe { slice::from_raw_parts(ptr::from_ref(self).cast::<u8>(), len) }
        } else {
            // SAFETY: long form: `(head.ptr, heap_len())` are the raw parts
            // of a live `CowVec<u8>` handle owned by `self`: its first `len`
            // bytes are initialized, and borrowed as long as `self` is.
            unsafe { slice::from_raw_parts(self.head.ptr, self.heap_len()) }
        }
    }

    /// The string as a `&str`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = arcow::CowStr::from("abc");
    /// assert_eq!(s.as_str(), "abc");
    /// ```
    #[inline]
    pub fn as_str(&self) -> &str {
        // SAFETY: invariant: both forms hold UTF-8.
        unsafe { str::from_utf8_unchecked(self.bytes()) }
    }

    /// The length in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(arcow::CowStr::from("né").len(), 3);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        if self.is_inline() {
            usize::from(self.last as u8 & !INLINE)
        } else {
            self.heap_len()
        }
    }

    /// `true` if the string has no bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(arcow::CowStr::new().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `s`. A short string that outgrows 15 bytes moves to a
    /// buffer; a shared long one is copied once, with room for `s`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = arcow::CowStr::from("config");   // short
    /// s.push_str("/routes/eu-west-1");            // 24 bytes: moves to a buffer
    /// assert_eq!(s, "config/routes/eu-west-1");
    /// ```
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        if self.is_inline() {
            let len = self.len();
            if s.len() <= INLINE_CAP - len {
                // SAFETY: short form, and `len + s.len() <= 15`: the copy
                // stays inside the text bytes. `s` cannot alias `self`
                // (`&mut self`).
                unsafe { ptr::copy_nonoverlapping(s.as_ptr(), self.text_ptr().add(len), s.len()) };
                self.last = Tag::from_byte(INLINE | (len + s.len()) as u8);
                return;
            }
        } else {
            let len = self.heap_len();
            let view = self.heap_view();
            if view.is_unique() && view.capacity() - len >= s.len() {
                // The common case of a growing string, in place: what
                // `CowVec::extend_from_slice` does, without taking the
                // handle out and putting it back.
                // SAFETY: long form, unique (no other handle reads the
                // buffer; the Acquire load in `is_unique` ordered their
                // reads before this write), with room: bytes `[len, len +
                // s.len())` are the buffer's spare capacity, which `s` (a
                // `&str` borrowed while we hold `&mut self`) cannot overlap.
                unsafe {
                    ptr::copy_nonoverlapping(
                        s.as_ptr(),
                        self.head.ptr.cast_mut().add(len),
                        s.len(),
                    );
                }
                self.set_heap_len(len + s.len());
                return;
            }
        }
        self.push_str_slow(s);
    }

    /// `push_str` that moves a short string to a buffer, or grows or
    /// copies a long one: out of line, so the in-place paths inline.
    #[inline(never)]
    fn push_str_slow(&mut self, s: &str) {
        if self.is_inline() {
            let needed = self
                .len()
                .checked_add(s.len())
                .expect("arcow::CowStr: capacity overflow");
            let mut vec = CowVec::with_capacity(needed.max(FIRST_HEAP_CAP));
            vec.extend_from_slice(self.bytes());
            vec.extend_from_slice(s.as_bytes());
            // The short form owns nothing: the assignment drops nothing.
            *self = CowStr::from_vec(vec);
        } else {
            self.with_vec(|vec| vec.extend_from_slice(s.as_bytes()));
        }
    }

    /// Appends `ch`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = arcow::CowStr::from("caf");
    /// s.push('é');
    /// assert_eq!(s, "café");
    /// ```
    #[inline]
    pub fn push(&mut self, ch: char) {
        self.push_str(ch.encode_utf8(&mut [0; 4]));
    }

    /// Removes the last `char` and returns it; `None` if empty. A shared
    /// long string is copied once (what remains of it).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = arcow::CowStr::from("añ");
    /// assert_eq!(s.pop(), Some('ñ'));
    /// assert_eq!(s.pop(), Some('a'));
    /// assert_eq!(s.pop(), None);
    /// ```
    pub fn pop(&mut self) -> Option<char> {
        let ch = self.as_str().chars().next_back()?;
        self.truncate(self.len() - ch.len_utf8());
        Some(ch)
    }

    /// Shortens the string to `new_len` bytes; does nothing if it is not
    /// longer. A shared long string is copied once (the bytes it keeps).
    ///
    /// # Panics
    ///
    /// If `new_len` is not on a `char` boundary, as `String::truncate`; the
    /// string is unchanged then.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = arcow::CowStr::from("hello, world");
    /// s.truncate(5);
    /// assert_eq!(s, "hello");
    /// ```
    pub fn truncate(&mut self, new_len: usize) {
        if new_len >= self.len() {
            return;
        }
        assert!(self.is_char_boundary(new_len));
        if self.is_inline() {
            // Zero the dropped bytes: the short form keeps zeros past its
            // length, so equal short strings are equal byte for byte.
            let len = self.len();
            // SAFETY: short form, `new_len < len <= 15`: inside the text.
            unsafe { ptr::write_bytes(self.text_ptr().add(new_len), 0, len - new_len) };
            self.last = Tag::from_byte(INLINE | new_len as u8);
        } else {
            self.with_vec(|vec| vec.truncate(new_len));
        }
    }

    /// Empties the string. A unique long string keeps its buffer (as
    /// `String::clear` keeps the capacity); a shared one lets go of it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = arcow::CowStr::from("x".repeat(40));
    /// let t = s.clone();
    /// s.clear();
    /// assert!(s.is_empty());
    /// assert_eq!(t.len(), 40);
    /// ```
    pub fn clear(&mut self) {
        if self.is_inline() {
            *self = CowStr::new();
        } else {
            self.with_vec(CowVec::clear);
        }
    }

    /// Inserts `ch` at byte `idx`. A shared long string is copied once.
    ///
    /// # Panics
    ///
    /// If `idx` is past the end or not on a `char` boundary, as
    /// `String::insert`; the string is unchanged then.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = arcow::CowStr::from("ac");
    /// s.insert(1, 'b');
    /// assert_eq!(s, "abc");
    /// ```
    pub fn insert(&mut self, idx: usize, ch: char) {
        assert!(self.is_char_boundary(idx));
        self.insert_bytes(idx, ch.encode_utf8(&mut [0; 4]));
    }

    /// Inserts `s` at byte `idx`. A shared long string is copied once.
    ///
    /// # Panics
    ///
    /// If `idx` is past the end or not on a `char` boundary, as
    /// `String::insert_str`; the string is unchanged then.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = arcow::CowStr::from("/api/users");
    /// s.insert_str(4, "/v2");
    /// assert_eq!(s, "/api/v2/users");
    /// ```
    pub fn insert_str(&mut self, idx: usize, s: &str) {
        assert!(self.is_char_boundary(idx));
        self.insert_bytes(idx, s);
    }

    /// Appends `s`, then rotates it into place at `idx` (a char boundary).
    fn insert_bytes(&mut self, idx: usize, s: &str) {
        if s.is_empty() {
            // Nothing to insert: no copy even if shared (as `push_str("")`).
            return;
        }
        self.push_str(s);
        let bytes = self.bytes_mut();
        bytes[idx..].rotate_right(s.len());
    }

    /// The text as mutable bytes, the long form made unique first. The
    /// caller must leave them UTF-8.
    #[inline]
    fn bytes_mut(&mut self) -> &mut [u8] {
        if self.is_inline() {
            let len = self.len();
            // SAFETY: short form: the first `len <= 15` bytes of `self` are
            // the text, borrowed mutably as long as `self` is.
            unsafe { slice::from_raw_parts_mut(self.text_ptr(), len) }
        } else {
            self.with_vec(|vec| {
                vec.make_mut();
            });
            // SAFETY: long form, and the buffer is now unique to `self`:
            // `(head.ptr, heap_len())` are its live, initialized bytes, and
            // no other handle reads them while `self` is borrowed mutably.
            unsafe { slice::from_raw_parts_mut(self.head.ptr.cast_mut(), self.heap_len()) }
        }
    }

    /// A mutable `&mut str`: a shared long string is copied first, once.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut s = arcow::CowStr::from("a long string, shared by a clone");
    /// let t = s.clone();
    /// s.make_mut().make_ascii_uppercase();     // copies the buffer once
    /// assert_eq!(s, "A LONG STRING, SHARED BY A CLONE");
    /// assert_eq!(t, "a long string, shared by a clone");
    /// ```
    pub fn make_mut(&mut self) -> &mut str {
        // SAFETY: the bytes are UTF-8 (invariant), and `&mut str`'s own
        // methods keep them so.
        unsafe { str::from_utf8_unchecked_mut(self.bytes_mut()) }
    }

    /// The string as a `String`: moves the bytes out of a unique buffer
    /// (one copy into `String`'s own allocation, which has no header),
    /// clones them out of a shared one, copies a short one.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = arcow::CowStr::from("abc");
    /// let owned: String = s.into_string();
    /// assert_eq!(owned, "abc");
    /// ```
    pub fn into_string(mut self) -> String {
        if self.is_inline() {
            String::from(self.as_str())
        } else {
            let vec = self.take_vec().into_vec();
            // SAFETY: invariant: the buffer holds UTF-8.
            unsafe { String::from_utf8_unchecked(vec) }
        }
    }
}

impl Drop for CowStr {
    #[inline]
    fn drop(&mut self) {
        if !self.is_inline() {
            // The owned handle, given back once: `self` is gone after this.
            drop(ManuallyDrop::into_inner(self.heap_view()));
        }
    }
}

impl Clone for CowStr {
    /// A short string: a copy of 16 bytes, no atomic operation. A long one:
    /// one refcount increment.
    ///
    /// ```
    /// let a = arcow::CowStr::from("short");
    /// let b = a.clone();
    /// assert_eq!(a, b);
    /// ```
    #[inline]
    fn clone(&self) -> CowStr {
        if !self.is_inline() {
            // One more handle to the buffer, whose raw parts are the copy
            // of `self` below: the new handle is that copy.
            mem::forget(CowVec::clone(&self.heap_view()));
        }
        CowStr {
            head: self.head,
            tail: self.tail,
            last: self.last,
        }
    }
}

impl Default for CowStr {
    /// `CowStr::new()`.
    ///
    /// ```
    /// assert!(arcow::CowStr::default().is_empty());
    /// ```
    #[inline]
    fn default() -> CowStr {
        CowStr::new()
    }
}

impl Deref for CowStr {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for CowStr {
    #[inline]
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for CowStr {
    #[inline]
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for CowStr {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.bytes()
    }
}

impl fmt::Debug for CowStr {
    /// As `str`'s: quoted and escaped.
    ///
    /// ```
    /// assert_eq!(format!("{:?}", arcow::CowStr::from("a\n")), r#""a\n""#);
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for CowStr {
    /// As `str`'s, padding and precision included.
    ///
    /// ```
    /// assert_eq!(format!("[{:>5}]", arcow::CowStr::from("ab")), "[   ab]");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl PartialEq for CowStr {
    #[inline]
    fn eq(&self, other: &CowStr) -> bool {
        // Bytes 8..16 first, as `str` compares lengths first: for two long
        // strings they are the length (its top byte is the tag, below
        // `INLINE`), for two short ones text and tag (the tag holds the
        // length). Equal, and the tag says which: short strings are equal
        // when their first 8 bytes are too (the padding is zero), long ones
        // when their bytes are. Not equal, in the same form: not equal.
        if self.tail_word() == other.tail_word() {
            if self.is_inline() {
                return self.short_bits() == other.short_bits();
            }
            let len = self.heap_len();
            // SAFETY: both long (the same tag byte, below `INLINE`), of the
            // same length: `(head.ptr, heap_len())` are the raw parts of live
            // `CowVec<u8>` handles owned by `self` and `other`, whose first
            // `len` bytes are initialized.
            let (a, b) = unsafe {
                (
                    slice::from_raw_parts(self.head.ptr, len),
                    slice::from_raw_parts(other.head.ptr, len),
                )
            };
            return a == b;
        }
        if self.is_inline() == other.is_inline() {
            return false;
        }
        // One short, one long (a long string that shrank keeps its buffer).
        self.as_str() == other.as_str()
    }
}

impl Eq for CowStr {}

impl PartialOrd for CowStr {
    #[inline]
    fn partial_cmp(&self, other: &CowStr) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CowStr {
    /// As `str`: byte-wise.
    ///
    /// ```
    /// use arcow::CowStr;
    /// assert!(CowStr::from("a") < CowStr::from("b"));
    /// ```
    #[inline]
    fn cmp(&self, other: &CowStr) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for CowStr {
    /// Exactly as `str` hashes, so `Borrow<str>` lookups work.
    ///
    /// ```
    /// use std::hash::BuildHasher;
    /// let h = std::collections::hash_map::RandomState::new();
    /// assert_eq!(h.hash_one(arcow::CowStr::from("k")), h.hash_one("k"));
    /// ```
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// `==` between a `CowStr` and a string type, both ways round.
macro_rules! eq_str {
    ($($other:ty),*) => {$(
        impl PartialEq<$other> for CowStr {
            #[inline]
            fn eq(&self, other: &$other) -> bool {
                self.as_str() == &other[..]
            }
        }

        impl PartialEq<CowStr> for $other {
            #[inline]
            fn eq(&self, other: &CowStr) -> bool {
                &self[..] == other.as_str()
            }
        }
    )*};
}

eq_str!(str, &str, String);

impl From<&str> for CowStr {
    /// Short strings inline, longer ones in a buffer of their exact length.
    ///
    /// ```
    /// assert_eq!(arcow::CowStr::from("abc"), "abc");
    /// ```
    #[inline]
    fn from(s: &str) -> CowStr {
        if s.len() <= INLINE_CAP {
            CowStr::inline(s)
        } else {
            let mut vec = CowVec::with_capacity(s.len());
            vec.extend_from_slice(s.as_bytes());
            CowStr::from_vec(vec)
        }
    }
}

impl From<&String> for CowStr {
    /// `CowStr::from(s.as_str())`.
    ///
    /// ```
    /// let s = String::from("abc");
    /// assert_eq!(arcow::CowStr::from(&s), "abc");
    /// ```
    #[inline]
    fn from(s: &String) -> CowStr {
        CowStr::from(s.as_str())
    }
}

impl From<String> for CowStr {
    /// Copies the bytes (a `CowStr` buffer has a refcount header in front,
    /// which `String`'s has no room for) and frees the `String`.
    ///
    /// ```
    /// assert_eq!(arcow::CowStr::from(String::from("abc")), "abc");
    /// ```
    #[inline]
    fn from(s: String) -> CowStr {
        CowStr::from(s.as_str())
    }
}

impl From<char> for CowStr {
    /// A one-`char` string (inline).
    ///
    /// ```
    /// assert_eq!(arcow::CowStr::from('é'), "é");
    /// ```
    #[inline]
    fn from(ch: char) -> CowStr {
        CowStr::inline(ch.encode_utf8(&mut [0; 4]))
    }
}

impl From<CowStr> for String {
    /// `CowStr::into_string`.
    ///
    /// ```
    /// let s: String = arcow::CowStr::from("abc").into();
    /// assert_eq!(s, "abc");
    /// ```
    #[inline]
    fn from(s: CowStr) -> String {
        s.into_string()
    }
}

impl FromStr for CowStr {
    type Err = Infallible;

    /// Never fails.
    ///
    /// ```
    /// let s: arcow::CowStr = "abc".parse().unwrap();
    /// assert_eq!(s, "abc");
    /// ```
    #[inline]
    fn from_str(s: &str) -> Result<CowStr, Infallible> {
        Ok(CowStr::from(s))
    }
}

impl Extend<char> for CowStr {
    /// Appends each `char`.
    ///
    /// ```
    /// let mut s = arcow::CowStr::from("a");
    /// s.extend(['b', 'c']);
    /// assert_eq!(s, "abc");
    /// ```
    fn extend<I: IntoIterator<Item = char>>(&mut self, iter: I) {
        for ch in iter {
            self.push(ch);
        }
    }
}

impl<'a> Extend<&'a str> for CowStr {
    /// Appends each string.
    ///
    /// ```
    /// let mut s = arcow::CowStr::new();
    /// s.extend(["ab", "cd"]);
    /// assert_eq!(s, "abcd");
    /// ```
    fn extend<I: IntoIterator<Item = &'a str>>(&mut self, iter: I) {
        for s in iter {
            self.push_str(s);
        }
    }
}

impl FromIterator<char> for CowStr {
    /// ```
    /// let s: arcow::CowStr = "abc".chars().rev().collect();
    /// assert_eq!(s, "cba");
    /// ```
    fn from_iter<I: IntoIterator<Item = char>>(iter: I) -> CowStr {
        let mut s = CowStr::new();
        s.extend(iter);
        s
    }
}

impl<'a> FromIterator<&'a str> for CowStr {
    /// ```
    /// let s: arcow::CowStr = ["a", "b", "c"].into_iter().collect();
    /// assert_eq!(s, "abc");
    /// ```
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> CowStr {
        let mut s = CowStr::new();
        s.extend(iter);
        s
    }
}

impl fmt::Write for CowStr {
    /// `push_str`; never fails.
    ///
    /// ```
    /// use std::fmt::Write;
    /// let mut s = arcow::CowStr::new();
    /// write!(s, "{}-{}", 1, 2).unwrap();
    /// assert_eq!(s, "1-2");
    /// ```
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }

    #[inline]
    fn write_char(&mut self, ch: char) -> fmt::Result {
        self.push(ch);
        Ok(())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for CowStr {
    /// As a string.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for CowStr {
    /// From a string; short ones inline, with no allocation.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<CowStr, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = CowStr;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<CowStr, E> {
                Ok(CowStr::from(s))
            }

            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<CowStr, E> {
                str::from_utf8(b)
                    .map(CowStr::from)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(b), &self))
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn layout_is_sixteen_bytes_with_a_niche() {
        assert_eq!(mem::size_of::<CowStr>(), 16);
        assert_eq!(mem::size_of::<Option<CowStr>>(), 16);
    }

    #[test]
    fn the_forms_switch_at_fifteen_bytes() {
        let mut s = CowStr::from("a".repeat(15).as_str());
        assert!(s.is_inline());
        s.push('b');
        assert!(!s.is_inline());
        assert_eq!(s.len(), 16);
        s.pop();
        assert!(!s.is_inline(), "a long string keeps its buffer");
        assert!(CowStr::from(s.as_str()).is_inline());
    }

    #[test]
    fn a_long_length_round_trips_through_the_tag() {
        // Lengths whose little-endian bytes reach the tag byte cannot be
        // allocated; check the encoding on the raw parts instead.
        for len in [16usize, 255, 256, 65_536, 1 << 40, isize::MAX as usize] {
            let bytes = (len as u64).to_le_bytes();
            assert!(bytes[7] <= 0x7F);
            let mut tail = [0; 7];
            tail.copy_from_slice(&bytes[..7]);
            let s = ManuallyDrop::new(CowStr {
                head: Head { bytes: [0; 8] },
                tail,
                last: Tag::from_byte(bytes[7]),
            });
            assert!(!s.is_inline());
            assert_eq!(s.heap_len(), len);
        }
    }

    #[test]
    fn truncate_zeroes_the_dropped_inline_bytes() {
        let mut s = CowStr::from("abcdef");
        s.truncate(2);
        s.push_str("zz");
        assert_eq!(s.bytes(), b"abzz");
        // SAFETY: short form: the first 15 bytes of `s` are its text area.
        let area = unsafe { slice::from_raw_parts(ptr::from_ref(&s).cast::<u8>(), 15) };
        assert_eq!(area, b"abzz\0\0\0\0\0\0\0\0\0\0\0");
    }

    #[test]
    fn short_strings_made_any_way_compare_by_their_sixteen_bytes() {
        let plain = CowStr::from("abc");
        let mut pushed = CowStr::new();
        pushed.extend(['a', 'b', 'c']);
        let mut truncated = CowStr::from("abcdefghijklmno");
        truncated.truncate(3);
        let mut popped = CowStr::from("abcé");
        popped.pop();
        let mut inserted = CowStr::from("ac");
        inserted.insert(1, 'b');
        let mut edited = CowStr::from("ABC");
        edited.make_mut().make_ascii_lowercase();
        let mut cleared = CowStr::from("xyz");
        cleared.clear();
        cleared.push_str("abc");
        for s in [&pushed, &truncated, &popped, &inserted, &edited, &cleared] {
            assert!(s.is_inline());
            assert_eq!(s.short_bits(), plain.short_bits(), "{s:?}");
            assert_eq!(*s, plain);
        }
        assert_ne!(CowStr::from("abd"), plain);
        assert_ne!(CowStr::from("ab"), plain);
        // A long string holding the same text compares by its text.
        let mut long = CowStr::from("abc and then some more");
        long.truncate(3);
        assert!(!long.is_inline());
        assert_eq!(long, plain);
        assert_eq!(plain, long);
    }

    #[test]
    fn a_vec_of_strings_owns_its_bytes() {
        let v: Vec<CowStr> = (0..40)
            .map(|i| CowStr::from("x".repeat(i).as_str()))
            .collect();
        let w = v.clone();
        for (i, s) in w.iter().enumerate() {
            assert_eq!(s.len(), i);
        }
    }
}
