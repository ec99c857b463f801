//! 64-bit FNV-1a, for the two hashes a checkpoint file carries: the config's
//! (`config_hash`, compared by resume) and the digest of the file's string
//! attributes (`Digest`). HDF5 keeps variable-length strings in its global
//! heap, the one part of a 1.10-format file without a checksum: the digest,
//! a number in a checksummed object header, stands in for it.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a (64-bit) of the config text's bytes: the `config_hash` of a
/// checkpoint.
pub fn config_hash(text: &str) -> u64 {
    let mut d = Digest::new();
    d.bytes(text.as_bytes());
    d.0
}

/// A running FNV-1a over a sequence of strings (each followed by a 0xff
/// byte, which UTF-8 never contains, so ("ab", "c") and ("a", "bc") differ).
#[derive(Clone, Copy, Debug)]
pub(super) struct Digest(u64);

impl Digest {
    /// The digest of no string.
    pub(super) fn new() -> Self {
        Self(OFFSET)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(PRIME);
        }
    }

    /// Adds one string.
    pub(super) fn add(&mut self, text: &str) {
        self.bytes(text.as_bytes());
        self.bytes(&[0xff]);
    }

    /// The digest so far.
    pub(super) fn value(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_of_known_strings() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(config_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(config_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(config_hash("foobar"), 0x8594_4171_f739_67e8);
        let digest = |parts: &[&str]| {
            let mut d = Digest::new();
            parts.iter().for_each(|p| d.add(p));
            d.value()
        };
        assert_ne!(digest(&["ab", "c"]), digest(&["a", "bc"]));
    }
}
