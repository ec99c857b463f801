//! Merging the per-rank spike files (`spikes.rank<R>.h5`) of a multi-rank run
//! into the run's one `spikes.h5`: a streaming k-way merge by (time, gid),
//! i.e. (time, population, node id), reading each (file, population) stream
//! in blocks. Memory holds one block per stream, never all spikes.
//!
//! Invariant: each part file is sorted by time within every population (the
//! SpikeWriter refuses anything else), and a neuron spikes in one rank's file
//! only, so the merged order is total and does not depend on the rank count.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

use brainsim_io::sonata_spikes::{IoError, SpikeWriter};
use brainsim_io::spike_reader::SpikeFile;

/// Spikes read from a stream at a time.
const BLOCK: u64 = 1 << 16;

/// One population of one part file, read block by block.
struct Stream<'f> {
    file: &'f SpikeFile,
    pop: String,
    first_gid: u32,
    len: u64,
    /// Index of the next block's first spike in the file.
    next: u64,
    buf: Vec<(f64, u32)>,
    pos: usize,
    /// Spikes read at a time.
    block: u64,
}

impl Stream<'_> {
    /// The next spike (time, gid), refilling the block when it is used up.
    fn next_spike(&mut self) -> Result<Option<(f64, u32)>, IoError> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if self.next >= self.len {
                return Ok(None);
            }
            let (lo, hi) = (self.next, (self.next + self.block).min(self.len));
            let first = self.first_gid;
            let buf = &mut self.buf;
            self.file
                .for_each_chunk_in(&self.pop, lo..hi, self.block as usize, |ts, ids| {
                    buf.extend(ts.iter().zip(ids).map(|(&t, &id)| (t, first + id as u32)));
                    Ok(())
                })?;
            self.next = hi;
            if self.buf.is_empty() {
                return Ok(None);
            }
        }
        self.pos += 1;
        Ok(Some(self.buf[self.pos - 1]))
    }
}

/// A part file and the window (t_after, t_until] of its spikes to take.
#[derive(Clone, Debug)]
pub struct PartWindow {
    /// The file.
    pub path: PathBuf,
    /// Spikes at or before this time (ms) are left out.
    pub after_ms: f64,
    /// Spikes after this time (ms) are left out.
    pub until_ms: f64,
}

impl PartWindow {
    /// Every valid spike of `path`.
    pub fn all(path: PathBuf) -> Self {
        PartWindow {
            path,
            after_ms: f64::NEG_INFINITY,
            until_ms: f64::INFINITY,
        }
    }
}

/// Merges `parts` into a new `out` (populations: (name, first_gid, size), the
/// recorded ones) and returns the number of spikes written. The parts are
/// left in place. `valid_until_ms`: every spike up to this time is in the
/// parts (recorded as the merged file's valid prefix).
pub fn merge_spike_files(
    parts: &[PathBuf],
    out: &Path,
    populations: &[(String, u32, u32)],
    valid_until_ms: f64,
) -> Result<u64, IoError> {
    let windows: Vec<PartWindow> = parts.iter().cloned().map(PartWindow::all).collect();
    merge_in_blocks(&windows, out, populations, BLOCK, valid_until_ms)
}

/// `merge_spike_files` taking from each part only the spikes of its window
/// (the parts' populations are sorted by time).
pub fn merge_spike_windows(
    parts: &[PartWindow],
    out: &Path,
    populations: &[(String, u32, u32)],
    valid_until_ms: f64,
) -> Result<u64, IoError> {
    merge_in_blocks(parts, out, populations, BLOCK, valid_until_ms)
}

/// `merge_spike_windows` reading `block` spikes of a stream at a time.
fn merge_in_blocks(
    parts: &[PartWindow],
    out: &Path,
    populations: &[(String, u32, u32)],
    block: u64,
    valid_until_ms: f64,
) -> Result<u64, IoError> {
    let files: Vec<SpikeFile> = parts
        .iter()
        .map(|p| SpikeFile::open(&p.path))
        .collect::<Result<_, _>>()?;
    let mut streams = Vec::new();
    for (f, w) in files.iter().zip(parts) {
        for (name, first_gid, _) in populations {
            let range = f.window(name, w.after_ms, w.until_ms)?;
            streams.push(Stream {
                file: f,
                pop: name.clone(),
                first_gid: *first_gid,
                len: range.end,
                next: range.start,
                buf: Vec::new(),
                pos: 0,
                block,
            });
        }
    }
    let mut writer = SpikeWriter::create(out, populations)?;
    writer.set_valid_until(valid_until_ms);
    // Times are finite and >= 0, so their bit patterns order like the values.
    let mut heap = BinaryHeap::new();
    for (i, s) in streams.iter_mut().enumerate() {
        if let Some((t, g)) = s.next_spike()? {
            heap.push(Reverse((t.to_bits(), g, i)));
        }
    }
    let mut batch: Vec<(f64, u32)> = Vec::with_capacity(block as usize);
    while let Some(Reverse((bits, g, i))) = heap.pop() {
        batch.push((f64::from_bits(bits), g));
        if batch.len() == block as usize {
            writer.append(&batch)?;
            batch.clear();
        }
        if let Some((t, g)) = streams[i].next_spike()? {
            heap.push(Reverse((t.to_bits(), g, i)));
        }
    }
    writer.append(&batch)?;
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small LCG: deterministic test data without a dependency.
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    /// Every spike of `path` as (population, gid, time bits), in file order.
    fn read_all(path: &Path, pops: &[(String, u32, u32)]) -> Vec<(String, u32, u64)> {
        let f = SpikeFile::open(path).unwrap();
        let mut all = Vec::new();
        for (name, first, _) in pops {
            f.for_each_chunk(name, 1000, |ts, ids| {
                all.extend(
                    ts.iter()
                        .zip(ids)
                        .map(|(t, &i)| (name.clone(), first + i as u32, t.to_bits())),
                );
                Ok(())
            })
            .unwrap();
        }
        all
    }

    /// Parts of 1..4 ranks with random spikes (neurons dealt to ranks at
    /// random, many equal times, blocks smaller than a part): the merge holds
    /// every spike once, by population then (time, gid).
    #[test]
    fn merge_is_the_sorted_union_of_the_parts() {
        let dir = std::env::temp_dir().join(format!("brainsim-merge-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let pops = vec![("A".to_string(), 0u32, 50u32), ("B".to_string(), 50, 30)];
        for (ranks, seed) in [(1usize, 1u64), (2, 2), (3, 3), (4, 4)] {
            let mut rng = Lcg(seed);
            let owner: Vec<usize> = (0..80).map(|_| rng.below(ranks as u64) as usize).collect();
            let mut want = Vec::new();
            let mut writers: Vec<SpikeWriter> = (0..ranks)
                .map(|r| SpikeWriter::create(&dir.join(format!("p{r}.h5")), &pops).unwrap())
                .collect();
            for step in 0..400u64 {
                let t = step as f64 * 0.25;
                let mut batch: Vec<Vec<(f64, u32)>> = vec![Vec::new(); ranks];
                for gid in 0..80u32 {
                    if rng.below(7) == 0 {
                        batch[owner[gid as usize]].push((t, gid));
                        let pop = if gid < 50 { "A" } else { "B" };
                        want.push((pop.to_string(), gid, t.to_bits()));
                    }
                }
                for (w, b) in writers.iter_mut().zip(&batch) {
                    w.append(b).unwrap();
                }
            }
            for w in writers {
                w.finish().unwrap();
            }
            let parts: Vec<PathBuf> = (0..ranks).map(|r| dir.join(format!("p{r}.h5"))).collect();
            let out = dir.join(format!("merged{ranks}.h5"));
            // Blocks of 97 spikes: every stream is refilled many times.
            let windows: Vec<PartWindow> = parts.iter().cloned().map(PartWindow::all).collect();
            let n = merge_in_blocks(&windows, &out, &pops, 97, 100.0).unwrap();
            assert_eq!(n as usize, want.len());
            // Within a population: time, then gid.
            want.sort_by_key(|(p, g, t)| (p.clone(), f64::from_bits(*t).to_bits(), *g));
            assert_eq!(read_all(&out, &pops), want, "{ranks} ranks");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
