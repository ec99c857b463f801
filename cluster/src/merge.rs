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
            let (lo, hi) = (self.next, (self.next + BLOCK).min(self.len));
            let first = self.first_gid;
            let buf = &mut self.buf;
            self.file
                .for_each_chunk_in(&self.pop, lo..hi, BLOCK as usize, |ts, ids| {
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

/// Merges `parts` into a new `out` (populations: (name, first_gid, size), the
/// recorded ones) and returns the number of spikes written. The parts are
/// left in place.
pub fn merge_spike_files(
    parts: &[PathBuf],
    out: &Path,
    populations: &[(String, u32, u32)],
) -> Result<u64, IoError> {
    let files: Vec<SpikeFile> = parts
        .iter()
        .map(|p| SpikeFile::open(p))
        .collect::<Result<_, _>>()?;
    let mut streams = Vec::new();
    for f in &files {
        for (name, first_gid, _) in populations {
            streams.push(Stream {
                file: f,
                pop: name.clone(),
                first_gid: *first_gid,
                len: f.n_spikes(name),
                next: 0,
                buf: Vec::new(),
                pos: 0,
            });
        }
    }
    let mut writer = SpikeWriter::create(out, populations)?;
    // Times are finite and >= 0, so their bit patterns order like the values.
    let mut heap = BinaryHeap::new();
    for (i, s) in streams.iter_mut().enumerate() {
        if let Some((t, g)) = s.next_spike()? {
            heap.push(Reverse((t.to_bits(), g, i)));
        }
    }
    let mut batch: Vec<(f64, u32)> = Vec::with_capacity(BLOCK as usize);
    while let Some(Reverse((bits, g, i))) = heap.pop() {
        batch.push((f64::from_bits(bits), g));
        if batch.len() == BLOCK as usize {
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
