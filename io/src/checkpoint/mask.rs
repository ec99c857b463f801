//! A ring's non-zero entries in the file: a bitmap of the positions (bit
//! `j` of byte `i` is position `8 i + j`, numpy's `bitorder="little"`) and
//! the values in position order. One bit per ring entry plus 4 bytes per
//! non-zero one: never more than 1/32 above the dense ring, 2 to 10 times
//! smaller than it on the full microcircuit (7 to 29 % of the entries
//! non-zero), and half the size of a 4-byte position per entry when more
//! than 1 in 32 are non-zero. The writer and the reader share these two
//! functions, so they cannot disagree.

/// The bitmap of `positions` (increasing, each below `len`) in a ring of
/// `len` entries: `len.div_ceil(8)` bytes.
pub(super) fn bitmap(positions: &[u32], len: u64) -> Vec<u8> {
    let mut mask = vec![0u8; len.div_ceil(8) as usize];
    for &p in positions {
        mask[p as usize / 8] |= 1 << (p % 8);
    }
    mask
}

/// The positions `mask` marks, increasing, or what is wrong with it for a
/// ring of `len` entries (its length, or a bit set past the ring's end).
pub(super) fn positions(mask: &[u8], len: u64) -> Result<Vec<u32>, String> {
    if mask.len() as u64 != len.div_ceil(8) {
        return Err(format!("{} bytes for {len} entries", mask.len()));
    }
    let mut out = Vec::new();
    for (i, &byte) in mask.iter().enumerate().filter(|(_, &b)| b != 0) {
        let mut bits = byte;
        while bits != 0 {
            let p = i as u64 * 8 + u64::from(bits.trailing_zeros());
            if p >= len {
                return Err(format!("bit {p} set, beyond the ring's {len} entries"));
            }
            out.push(p as u32);
            bits &= bits - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmaps_round_trip_and_bits_past_the_end_are_refused() {
        let at = [0, 3, 7, 8, 20];
        let mask = bitmap(&at, 21);
        assert_eq!(mask, [0b1000_1001, 0b0000_0001, 0b0001_0000]);
        assert_eq!(positions(&mask, 21).unwrap(), at);
        assert_eq!(positions(&bitmap(&[], 0), 0).unwrap(), [] as [u32; 0]);
        assert_eq!(
            positions(&mask, 20).unwrap_err(),
            "bit 20 set, beyond the ring's 20 entries"
        );
        assert_eq!(positions(&mask, 30).unwrap_err(), "3 bytes for 30 entries");
    }
}
