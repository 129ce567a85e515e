//! Tag bytes and the group probe over them, after hashbrown.
//!
//! Each slot of a page has one tag byte: [`EMPTY`], [`DELETED`], or, for a
//! full slot, seven bits of the key's hash (high bit clear). A probe loads a
//! [`Group`] of [`WIDTH`] consecutive tags at once and turns a question
//! ("which of these tags equal `t`?", "which are empty?") into a bit mask.
//! With SSE2 a group is 16 tags and one compare; elsewhere (and under Miri)
//! it is the same 16 tags in a `u128`, compared a word at a time.

/// A slot that never held an entry since the page was built: a probe that
/// meets one stops.
pub(super) const EMPTY: u8 = 0xFF;
/// A slot whose entry was removed while a probe may run past it: a probe
/// continues, an insert may reuse it.
pub(super) const DELETED: u8 = 0x80;

/// The tag of a full slot: the hash's low seven bits (high bit clear). The
/// directory consumes the hash's top bits and a page's home slot the bits
/// above these seven, so the three are independent.
#[inline(always)]
pub(super) fn tag(hash: u64) -> u8 {
    (hash & 0x7F) as u8
}

/// Is this tag a full slot's?
#[inline(always)]
pub(super) fn is_full(tag: u8) -> bool {
    tag & 0x80 == 0
}

/// Hints that the cache line at `p` will be read soon. A no-op where there
/// is no stable prefetch instruction, and under Miri.
#[inline(always)]
pub(super) fn prefetch(p: *const u8) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse", not(miri)))]
    // SAFETY: a prefetch is only a hint: it never faults and reads nothing
    // the program sees, whatever the address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse", not(miri))))]
    let _ = p;
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2", not(miri)))]
mod imp {
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };

    /// Sixteen tags.
    #[derive(Clone, Copy)]
    pub(in crate::map) struct Group(__m128i);

    /// One bit per tag of a group, bit `i` for tag `i`.
    #[derive(Clone, Copy)]
    pub(in crate::map) struct BitMask(pub(in crate::map) u32);

    /// Bits of a `BitMask` per tag (log2).
    pub(in crate::map) const STRIDE_SHIFT: u32 = 0;

    impl Group {
        /// Loads the 16 tags starting at `ptr`.
        ///
        /// # Safety
        ///
        /// `ptr..ptr + 16` is readable and initialized.
        #[inline(always)]
        pub(in crate::map) unsafe fn load(ptr: *const u8) -> Group {
            // SAFETY: the caller guarantees 16 readable bytes; `loadu` has
            // no alignment requirement.
            Group(unsafe { _mm_loadu_si128(ptr.cast()) })
        }

        /// The tags equal to `tag`.
        #[inline(always)]
        pub(in crate::map) fn match_tag(self, tag: u8) -> BitMask {
            // SAFETY: SSE2 is enabled for this target (the module's cfg).
            unsafe {
                let cmp = _mm_cmpeq_epi8(self.0, _mm_set1_epi8(tag as i8));
                BitMask(_mm_movemask_epi8(cmp) as u32)
            }
        }

        /// The `EMPTY` tags.
        #[inline(always)]
        pub(in crate::map) fn match_empty(self) -> BitMask {
            self.match_tag(super::EMPTY)
        }

        /// The tags of slots that are not full (`EMPTY` or `DELETED`): the
        /// high bit is set.
        #[inline(always)]
        pub(in crate::map) fn match_empty_or_deleted(self) -> BitMask {
            // SAFETY: SSE2 is enabled for this target (the module's cfg).
            BitMask(unsafe { _mm_movemask_epi8(self.0) } as u32)
        }

        /// The tags of full slots.
        #[inline(always)]
        pub(in crate::map) fn match_full(self) -> BitMask {
            BitMask(self.match_empty_or_deleted().0 ^ 0xFFFF)
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2", not(miri))))]
mod imp {
    const LSB: u128 = 0x0101_0101_0101_0101_0101_0101_0101_0101;
    const MSB: u128 = 0x8080_8080_8080_8080_8080_8080_8080_8080;

    /// Sixteen tags in a `u128`, tag `i` in byte `i` (little-endian order
    /// on every target), compared a word at a time.
    #[derive(Clone, Copy)]
    pub(in crate::map) struct Group(u128);

    /// The high bit of byte `i` for tag `i`.
    #[derive(Clone, Copy)]
    pub(in crate::map) struct BitMask(pub(in crate::map) u128);

    /// Bits of a `BitMask` per tag (log2): 8.
    pub(in crate::map) const STRIDE_SHIFT: u32 = 3;

    impl Group {
        /// Loads the 16 tags starting at `ptr`.
        ///
        /// # Safety
        ///
        /// `ptr..ptr + 16` is readable and initialized.
        #[inline(always)]
        pub(in crate::map) unsafe fn load(ptr: *const u8) -> Group {
            // SAFETY: the caller guarantees 16 readable bytes;
            // `read_unaligned` has no alignment requirement.
            Group(u128::from_le(unsafe {
                ptr.cast::<u128>().read_unaligned()
            }))
        }

        /// The tags equal to `tag` (a full slot's tag, high bit clear).
        ///
        /// May also flag a byte just above a true match (the borrow of the
        /// subtraction), never a byte with its high bit set: callers compare
        /// keys anyway, and never look at a slot that is not full.
        #[inline(always)]
        pub(in crate::map) fn match_tag(self, tag: u8) -> BitMask {
            let cmp = self.0 ^ (LSB * tag as u128);
            BitMask(cmp.wrapping_sub(LSB) & !cmp & MSB)
        }

        /// The `EMPTY` tags (0xFF: the only tag with its two top bits set).
        #[inline(always)]
        pub(in crate::map) fn match_empty(self) -> BitMask {
            BitMask(self.0 & (self.0 << 1) & MSB)
        }

        /// The tags of slots that are not full (high bit set).
        #[inline(always)]
        pub(in crate::map) fn match_empty_or_deleted(self) -> BitMask {
            BitMask(self.0 & MSB)
        }

        /// The tags of full slots.
        #[inline(always)]
        pub(in crate::map) fn match_full(self) -> BitMask {
            BitMask(!self.0 & MSB)
        }
    }
}

use imp::STRIDE_SHIFT;
pub(super) use imp::{BitMask, Group};

/// Tags per group, and slots per chunk of a page.
pub(super) const WIDTH: usize = 16;

impl BitMask {
    /// Any tag flagged?
    #[inline(always)]
    pub(super) fn any(self) -> bool {
        self.0 != 0
    }

    /// How many tags are flagged (one bit each in either form).
    #[inline(always)]
    pub(super) fn count(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The lowest flagged tag's position in the group.
    #[inline(always)]
    pub(super) fn lowest(self) -> Option<usize> {
        if self.0 == 0 {
            None
        } else {
            Some((self.0.trailing_zeros() >> STRIDE_SHIFT) as usize)
        }
    }
}

impl Iterator for BitMask {
    type Item = usize;

    /// The flagged positions, lowest first.
    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        let bit = self.lowest()?;
        self.0 &= self.0 - 1;
        Some(bit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(tags: &[u8]) -> Group {
        assert_eq!(tags.len(), WIDTH);
        // SAFETY: `tags` holds WIDTH initialized bytes.
        unsafe { Group::load(tags.as_ptr()) }
    }

    #[test]
    fn matches_find_exactly_the_right_tags() {
        let mut tags = [EMPTY; WIDTH];
        tags[1] = 5;
        tags[2] = DELETED;
        tags[3] = 5;
        tags[WIDTH - 1] = 0x7F;
        let g = group(&tags);
        let hits: alloc::vec::Vec<usize> = g.match_tag(5).collect();
        // The SWAR form may flag a byte right after a true match, never a
        // non-full one: tag 2 is DELETED, so only 1 and 3 are possible.
        assert_eq!(hits, [1, 3]);
        assert_eq!(
            g.match_tag(0x7F).collect::<alloc::vec::Vec<_>>(),
            [WIDTH - 1]
        );
        let empties: alloc::vec::Vec<usize> = g.match_empty().collect();
        let expected: alloc::vec::Vec<usize> = (0..WIDTH).filter(|&i| tags[i] == EMPTY).collect();
        assert_eq!(empties, expected);
        let not_full: alloc::vec::Vec<usize> = g.match_empty_or_deleted().collect();
        let expected: alloc::vec::Vec<usize> = (0..WIDTH).filter(|&i| !is_full(tags[i])).collect();
        assert_eq!(not_full, expected);
        let full: alloc::vec::Vec<usize> = g.match_full().collect();
        assert_eq!(full, [1, 3, WIDTH - 1]);
        assert_eq!(g.match_empty().lowest(), Some(0));
        assert_eq!(g.match_full().lowest(), Some(1));
        assert!(!group(&[0; WIDTH]).match_empty().any());
        assert_eq!(group(&[0; WIDTH]).match_full().count(), WIDTH);
    }
}
