//! A seeded xorshift generator for the unit tests' random inputs: the same
//! seed gives the same text on every run, so a failure can be replayed.

/// Marsaglia's xorshift64 (shifts 13, 7, 17); the state is the seed.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    /// The next number (the state after one step).
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
