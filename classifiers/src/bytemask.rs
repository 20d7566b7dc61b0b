//! Byte classes as bit masks: bit `i` of a class's mask is set when byte `i`
//! of a block of up to 64 falls in the class. Scanners that look for rare
//! shapes (digit runs, capitalised words) walk these masks a block at a
//! time instead of testing every byte (the example is the first test below).
//!
//! The only unsafe code of the workspace: SSE2, which every x86-64 CPU
//! has, and AVX2 where the CPU says it has it.
#![allow(unsafe_code)]

/// A byte class: inclusive ranges of printable ASCII (`0x20..=0x7e`).
pub type Class = &'static [(u8, u8)];

/// The bits below `n` (all 64 for `n` of 64).
pub fn below(n: u32) -> u64 {
    1u64.checked_shl(n).map_or(u64::MAX, |bit| bit - 1)
}

/// Up to eight byte classes as two nibble tables: byte `b` is in class `k`
/// when `low[b & 15] & high[b >> 4]` has a bit of `bits[k]`. That is the
/// shape `pshufb` looks up 32 bytes at a time, where testing each range of
/// each class took two compares and an OR per range (the base64 alphabet
/// alone has six ranges).
///
/// Built at compile time: each class's set of low nibbles under each high
/// nibble gets a bit of its own (sets that repeat share one), so a byte
/// matches a bit only where its class holds it.
pub struct Classes<const N: usize> {
    ranges: [Class; N],
    low: [u8; 16],
    high: [u8; 16],
    bits: [u8; N],
}

impl<const N: usize> Classes<N> {
    /// The tables of `ranges`; fails to compile when they need more than
    /// eight bits or leave printable ASCII.
    pub const fn new(ranges: [Class; N]) -> Self {
        let (mut low, mut high, mut bits) = ([0u8; 16], [0u8; 16], [0u8; N]);
        // The (class, low-nibble set) each bit stands for.
        let mut owners = [(usize::MAX, 0u16); 8];
        let mut used = 0;
        let mut k = 0;
        while k < N {
            let mut h = 0;
            while h < 16 {
                let mut set = 0u16;
                let mut r = 0;
                while r < ranges[k].len() {
                    let (lo, hi) = ranges[k][r];
                    assert!(lo >= 0x20 && lo <= hi && hi <= 0x7e, "printable ASCII only");
                    let mut b = lo as usize;
                    while b <= hi as usize {
                        if b >> 4 == h {
                            set |= 1 << (b & 15);
                        }
                        b += 1;
                    }
                    r += 1;
                }
                if set != 0 {
                    let mut bit = 0;
                    while bit < used && !(owners[bit].0 == k && owners[bit].1 == set) {
                        bit += 1;
                    }
                    if bit == used {
                        assert!(used < 8, "more than eight bits of nibble sets");
                        owners[used] = (k, set);
                        used += 1;
                        let mut l = 0;
                        while l < 16 {
                            if set >> l & 1 == 1 {
                                low[l] |= 1 << bit;
                            }
                            l += 1;
                        }
                        bits[k] |= 1 << bit;
                    }
                    high[h] |= 1 << bit;
                }
                h += 1;
            }
            k += 1;
        }
        Self {
            ranges,
            low,
            high,
            bits,
        }
    }

    /// Whether byte `b` is in class `k` (at compile time too: byte tables
    /// are made from the class, not written again).
    #[inline]
    pub const fn contains(&self, k: usize, b: u8) -> bool {
        self.low[(b & 15) as usize] & self.high[(b >> 4) as usize] & self.bits[k] != 0
    }
}

/// One mask per class over `bytes` (at most 64; bits past the end are 0).
#[inline(always)]
pub fn masks<const N: usize>(bytes: &[u8], classes: &Classes<N>) -> [u64; N] {
    debug_assert!(bytes.len() <= 64);
    #[cfg(target_arch = "x86_64")]
    if let Ok(block) = <&[u8; 64]>::try_from(bytes) {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, just checked (the answer is cached).
            return unsafe { masks_avx2(block, classes) };
        }
        // SAFETY: SSE2 is part of every x86-64 CPU (the target's baseline).
        return unsafe { masks_sse2(block, classes.ranges) };
    }
    let mut out = [0u64; N];
    for (i, &b) in bytes.iter().enumerate() {
        for (k, mask) in out.iter_mut().enumerate() {
            *mask |= u64::from(classes.contains(k, b)) << i;
        }
    }
    out
}

/// [`masks`] of each 64-byte block of `buf` in turn (the last may be
/// shorter), into `out` (cleared first): for a scan that needs most blocks
/// of a buffer, one pass with the tables loaded once.
pub fn block_masks<const N: usize>(buf: &[u8], classes: &Classes<N>, out: &mut Vec<[u64; N]>) {
    out.clear();
    out.reserve(buf.len().div_ceil(64));
    let blocks = buf.chunks_exact(64);
    let tail = blocks.remainder();
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, just checked.
        unsafe { block_masks_avx2(blocks, classes, out) };
    } else {
        out.extend(blocks.map(|block| masks(block, classes)));
    }
    #[cfg(not(target_arch = "x86_64"))]
    out.extend(blocks.map(|block| masks(block, classes)));
    if !tail.is_empty() {
        out.push(masks(tail, classes));
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn block_masks_avx2<const N: usize>(
    blocks: std::slice::ChunksExact<'_, u8>,
    classes: &Classes<N>,
    out: &mut Vec<[u64; N]>,
) {
    out.extend(blocks.map(|block| {
        let Ok(block) = <&[u8; 64]>::try_from(block) else {
            unreachable!("exact chunks of 64")
        };
        masks_avx2(block, classes)
    }));
}

/// [`masks`] of a whole block by the nibble tables, 32 bytes per step.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn masks_avx2<const N: usize>(block: &[u8; 64], classes: &Classes<N>) -> [u64; N] {
    use std::arch::x86_64::{
        _mm_loadu_si128, _mm256_and_si256, _mm256_broadcastsi128_si256, _mm256_cmpeq_epi8,
        _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8, _mm256_setzero_si256,
        _mm256_shuffle_epi8, _mm256_srli_epi16,
    };
    // SAFETY: the load reads the sixteen bytes of the table, unaligned.
    let low = unsafe { _mm_loadu_si128(classes.low.as_ptr().cast()) };
    // SAFETY: likewise.
    let high = unsafe { _mm_loadu_si128(classes.high.as_ptr().cast()) };
    let (low, high) = (
        _mm256_broadcastsi128_si256(low),
        _mm256_broadcastsi128_si256(high),
    );
    let nibble = _mm256_set1_epi8(0x0f);
    let mut out = [0u64; N];
    for (half, thirty_two) in block.chunks_exact(32).enumerate() {
        // SAFETY: the load reads the 32 bytes of `thirty_two`, unaligned.
        let x = unsafe { _mm256_loadu_si256(thirty_two.as_ptr().cast()) };
        // `pshufb` reads an index's low four bits (and gives 0 for a set
        // top bit, which the masking clears): both nibbles are masked.
        let lows = _mm256_shuffle_epi8(low, _mm256_and_si256(x, nibble));
        let highs = _mm256_shuffle_epi8(high, _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble));
        let shared = _mm256_and_si256(lows, highs);
        for (mask, &bits) in out.iter_mut().zip(&classes.bits) {
            let outside = _mm256_cmpeq_epi8(
                _mm256_and_si256(shared, _mm256_set1_epi8(bits as i8)),
                _mm256_setzero_si256(),
            );
            *mask |= u64::from(!(_mm256_movemask_epi8(outside) as u32)) << (half * 32);
        }
    }
    out
}

/// [`masks`] of a whole block by the ranges, sixteen bytes per step, on a
/// CPU without AVX2.
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
        let [digits, upper] = masks(b"Ab3 Z9", &Classes::new([DIGIT, UPPER]));
        assert_eq!(digits, 0b100100);
        assert_eq!(upper, 0b010001);
    }

    #[test]
    fn whole_blocks_and_tails_agree_with_the_byte_test() {
        const RANGES: [Class; 4] = [
            &[(b'0', b'9')],
            // The widest range a class may have.
            &[(b' ', b'~')],
            &[(b' ', b' '), (b'(', b')'), (b'-', b'.'), (b'0', b'9')],
            &[(b'0', b'9'), (b'A', b'Z'), (b'a', b'z')],
        ];
        const CLASSES: Classes<4> = Classes::new(RANGES);
        // Punctuation: ranges that start and end inside a nibble's sixteen,
        // six of them under four high nibbles.
        const PUNCTUATION: Classes<1> = Classes::new([&[
            (b'!', b'!'),
            (b'#', b'&'),
            (b'*', b'+'),
            (b'<', b'@'),
            (b'[', b'`'),
            (b'{', b'~'),
        ]]);
        // Every byte value, at every position of a block and of a tail.
        let bytes: Vec<u8> = (0..=255u8).chain(0..=255).chain(0..=127).collect();
        for start in 0..bytes.len() - 64 {
            for len in [64, 63, 17, 1] {
                let block = &bytes[start..start + len];
                let got = masks(block, &CLASSES);
                let punctuation = masks(block, &PUNCTUATION)[0];
                for (i, &b) in block.iter().enumerate() {
                    let inside = b"!#$%&*+<=>?@[\\]^_`{|}~".contains(&b);
                    assert_eq!(
                        punctuation >> i & 1 == 1,
                        inside,
                        "byte {b:#x} at {i} of {len}"
                    );
                }
                for (class, mask) in RANGES.iter().zip(got) {
                    for (i, &b) in block.iter().enumerate() {
                        let inside = class.iter().any(|&(lo, hi)| (lo..=hi).contains(&b));
                        assert_eq!(mask >> i & 1 == 1, inside, "byte {b:#x} at {i} of {len}");
                    }
                    assert_eq!(mask & !below(len as u32), 0);
                }
                // The range compares of CPUs without AVX2 give the same.
                #[cfg(target_arch = "x86_64")]
                if let Ok(whole) = <&[u8; 64]>::try_from(block) {
                    // SAFETY: SSE2 is part of every x86-64 CPU.
                    assert_eq!(unsafe { masks_sse2(whole, RANGES) }, got);
                }
                let mut blocks = Vec::new();
                block_masks(block, &CLASSES, &mut blocks);
                assert_eq!(blocks, [got]);
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
