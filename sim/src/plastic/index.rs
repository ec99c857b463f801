//! A store's rows by source gid: the sorted sources, and, when they are
//! dense enough, a table from gid to row (one load instead of a binary
//! search's dozen dependent ones at each spike).
//!
//! Invariant: `sources` is strictly increasing; `table[g - first]` is the
//! row of source g, or `NONE`, for every g in `first..first + table.len()`.

/// No row for this gid in the table.
const NONE: u32 = u32::MAX;

/// At most this many table entries per source (else binary search).
const SPREAD: usize = 4;

/// Rows by source (see the module doc).
#[derive(Clone, Debug, Default)]
pub struct SourceIndex {
    sources: Vec<u32>,
    first: u32,
    table: Vec<u32>,
}

impl SourceIndex {
    /// The index of strictly increasing `sources`.
    pub fn new(sources: Vec<u32>) -> Self {
        debug_assert!(sources.windows(2).all(|w| w[0] < w[1]));
        let (first, last) = match (sources.first(), sources.last()) {
            (Some(&f), Some(&l)) => (f, l),
            _ => return SourceIndex::default(),
        };
        let span = (last - first) as usize + 1;
        let table = if span <= SPREAD * sources.len() + 1024 {
            let mut t = vec![NONE; span];
            for (r, &s) in sources.iter().enumerate() {
                t[(s - first) as usize] = r as u32;
            }
            t
        } else {
            Vec::new()
        };
        SourceIndex {
            sources,
            first,
            table,
        }
    }

    /// The sources, increasing.
    pub fn sources(&self) -> &[u32] {
        &self.sources
    }

    /// The row of source `gid`, if it has one.
    #[inline]
    pub fn row(&self, gid: u32) -> Option<usize> {
        if self.table.is_empty() {
            return self.sources.binary_search(&gid).ok();
        }
        let r = *self.table.get(gid.wrapping_sub(self.first) as usize)?;
        (r != NONE).then_some(r as usize)
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        4 * (self.sources.len() + self.table.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_is_binary_search() {
        for sources in [
            vec![],
            vec![7],
            vec![0, 1, 2, 5, 9, 4000],
            vec![3, 100_000_000, u32::MAX - 1],
        ] {
            let ix = SourceIndex::new(sources.clone());
            for g in (0..4100).chain([99_999_999, 100_000_000, u32::MAX - 1, u32::MAX]) {
                assert_eq!(ix.row(g), sources.binary_search(&g).ok(), "{g}");
            }
        }
    }
}
