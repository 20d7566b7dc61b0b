//! Byte classes as bit masks: bit `i` of a class's mask is set when byte `i`
//! of a block of up to 64 falls in the class. Scanners that look for rare
//! shapes (digit runs, capitalised words) walk these masks a block at a
//! time instead of testing every byte (the example is the first test below).
//!
//! The only unsafe code of the workspace: SSE2 loads, which every x86-64
//! CPU has.
#![allow(unsafe_code)]

/// A byte class: inclusive ranges of printable ASCII (`0x20..=0x7e`).
pub type Class = &'static [(u8, u8)];

/// The bits below `n` (all 64 for `n` of 64).
pub fn below(n: u32) -> u64 {
    1u64.checked_shl(n).map_or(u64::MAX, |bit| bit - 1)
}

/// One mask per class over `bytes` (at most 64; bits past the end are 0).
/// Inlined, so the classes (constants at every call) unroll into straight
/// compares.
#[inline(always)]
pub fn masks<const N: usize>(bytes: &[u8], classes: [Class; N]) -> [u64; N] {
    debug_assert!(bytes.len() <= 64);
    debug_assert!(classes.iter().all(|c| {
        c.iter()
            .all(|&(lo, hi)| lo >= 0x20 && lo <= hi && hi <= 0x7e)
    }));
    #[cfg(target_arch = "x86_64")]
    if let Ok(block) = <&[u8; 64]>::try_from(bytes) {
        // SAFETY: SSE2 is part of every x86-64 CPU (the target's baseline).
        return unsafe { masks_sse2(block, classes) };
    }
    let mut out = [0u64; N];
    for (i, &b) in bytes.iter().enumerate() {
        for (mask, class) in out.iter_mut().zip(classes) {
            *mask |= u64::from(class.iter().any(|&(lo, hi)| (lo..=hi).contains(&b))) << i;
        }
    }
    out
}

/// [`masks`] of a whole block, sixteen bytes per step.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn masks_sse2<const N: usize>(block: &[u8; 64], classes: [Class; N]) -> [u64; N] {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8, _mm_setzero_si128,
    };
    let splat = |b: u8| _mm_set1_epi8(b as i8);
    // A range in two operations: `x - lo <= hi - lo`, unsigned, is a
    // signed compare once both sides are shifted by 0x80 (the add does
    // both at once). Exact for every byte: below `lo` wraps high, and
    // bytes from 0x80 up are past every range (all end by 0x7e).
    let within = |x: __m128i, (lo, hi): (u8, u8)| {
        if lo == hi {
            _mm_cmpeq_epi8(x, splat(lo))
        } else {
            let shifted = _mm_add_epi8(x, splat(0x80u8.wrapping_sub(lo)));
            _mm_cmplt_epi8(shifted, splat(0x80u8.wrapping_add(hi - lo + 1)))
        }
    };
    let mut out = [0u64; N];
    for (lane, sixteen) in block.chunks_exact(16).enumerate() {
        // SAFETY: the load reads the sixteen bytes of `sixteen`, unaligned.
        let x = unsafe { _mm_loadu_si128(sixteen.as_ptr().cast()) };
        for (mask, class) in out.iter_mut().zip(classes) {
            let hits = class.iter().fold(_mm_setzero_si128(), |acc, &range| {
                _mm_or_si128(acc, within(x, range))
            });
            // A move mask holds 16 bits.
            *mask |= u64::from(_mm_movemask_epi8(hits) as u16) << (lane * 16);
        }
    }
    out
}

/// Bit `i` set when byte `i` of `bytes` (at most 64) starts a character of
/// two or more bytes in UTF-8 (`0xC0..=0xFF`): where a word of non-ASCII
/// letters (`Élodie`, `Łukasz`) can begin.
#[inline]
pub fn utf8_leads(bytes: &[u8]) -> u64 {
    debug_assert!(bytes.len() <= 64);
    #[cfg(target_arch = "x86_64")]
    if let Ok(block) = <&[u8; 64]>::try_from(bytes) {
        // SAFETY: SSE2 is part of every x86-64 CPU (the target's baseline).
        return unsafe { utf8_leads_sse2(block) };
    }
    bytes
        .iter()
        .enumerate()
        .fold(0, |mask, (i, &b)| mask | u64::from(b >= 0xC0) << i)
}

/// [`utf8_leads`] of a whole block: a byte's top bit, and its next bit
/// moved up to the top by a 16-bit shift (which moves no bit across the
/// top of a byte).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn utf8_leads_sse2(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{_mm_loadu_si128, _mm_movemask_epi8, _mm_slli_epi16};
    let mut out = 0u64;
    for (lane, sixteen) in block.chunks_exact(16).enumerate() {
        // SAFETY: the load reads the sixteen bytes of `sixteen`, unaligned.
        let x = unsafe { _mm_loadu_si128(sixteen.as_ptr().cast()) };
        let top = _mm_movemask_epi8(x) as u16;
        let next = _mm_movemask_epi8(_mm_slli_epi16(x, 1)) as u16;
        out |= u64::from(top & next) << (lane * 16);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mask_per_class() {
        const DIGIT: Class = &[(b'0', b'9')];
        const UPPER: Class = &[(b'A', b'Z')];
        let [digits, upper] = masks(b"Ab3 Z9", [DIGIT, UPPER]);
        assert_eq!(digits, 0b100100);
        assert_eq!(upper, 0b010001);
    }

    #[test]
    fn whole_blocks_and_tails_agree_with_the_byte_test() {
        const CLASSES: [Class; 4] = [
            &[(b'0', b'9')],
            // The widest range a class may have.
            &[(b' ', b'~')],
            &[(b' ', b' '), (b'(', b')'), (b'-', b'.'), (b'0', b'9')],
            &[(b'0', b'9'), (b'A', b'Z'), (b'a', b'z')],
        ];
        // Every byte value, at every position of a block and of a tail.
        let bytes: Vec<u8> = (0..=255u8).chain(0..=255).chain(0..=127).collect();
        for start in 0..bytes.len() - 64 {
            for len in [64, 63, 17, 1] {
                let block = &bytes[start..start + len];
                let got = masks(block, CLASSES);
                for (class, mask) in CLASSES.iter().zip(got) {
                    for (i, &b) in block.iter().enumerate() {
                        let inside = class.iter().any(|&(lo, hi)| (lo..=hi).contains(&b));
                        assert_eq!(mask >> i & 1 == 1, inside, "byte {b:#x} at {i} of {len}");
                    }
                    assert_eq!(mask & !below(len as u32), 0);
                }
                let leads = utf8_leads(block);
                for (i, &b) in block.iter().enumerate() {
                    assert_eq!(
                        leads >> i & 1 == 1,
                        b >= 0xC0,
                        "byte {b:#x} at {i} of {len}"
                    );
                }
                assert_eq!(leads & !below(len as u32), 0);
            }
        }
    }
}
