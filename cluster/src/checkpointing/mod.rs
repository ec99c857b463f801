//! Writing checkpoints during a run: at the first epoch boundary at or
//! after each multiple of `[checkpoint] every` (and at the end of the run,
//! and when a signal stops it), every rank captures its chunks
//! (`Network::capture`), the captures travel to rank 0 (`wire`, one
//! `gather_f64`; nothing travels with one rank), and rank 0 merges them and
//! writes `OUT/checkpoints/t<step>.h5` atomically (io's `checkpoint::write`),
//! then removes all but the newest `keep`.
//!
//! The file is written by a background thread while the simulation goes
//! on, at idle priority (`writer`): the run waits only for the capture (and
//! the gather). At most one write is under way: the next checkpoint, and
//! the end of the run (`wait`), first wait for it (at normal priority), and
//! report its error, if any. A crash
//! while it writes leaves the previous checkpoints as they were (io's
//! atomic write).
//!
//! Invariant: the caller has flushed every sink before `write`, so the spike
//! counts the checkpoint records (`spikes_written`, what resume truncates
//! the spike file back to) are on disk when the checkpoint names them; and
//! every rank calls `write` at the same steps (the boundaries and the stop
//! step are agreed), since it is collective.

mod wire;
mod wire_plastic;
mod writer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use brainsim_io::checkpoint::{self, CheckpointMeta, ChunkLabels, VarLabel};
use brainsim_io::config::CheckpointSpec;
use brainsim_sim::checkpoint::ChunkStates;
use brainsim_sim::comm::Comm;
use brainsim_sim::spec::NetworkSpec;
use brainsim_sim::{layout, model, Network};
use writer::Writer;

/// Where a run writes its checkpoints, and when.
pub struct Checkpointer {
    every_steps: u64,
    keep: usize,
    dir: PathBuf,
    /// The first step at or after which the next checkpoint is due.
    next_step: u64,
    /// The step of the last checkpoint written.
    last_step: Option<u64>,
    /// `config.effective.toml`'s text, saved in every checkpoint.
    config_text: String,
    /// Per chunk of the network (rank 0 only): its population and labels.
    labels: Vec<ChunkLabels>,
    /// Spikes in the spike file before this segment, per population (a
    /// resumed run's; zero for a fresh one).
    base_spikes: BTreeMap<String, u64>,
    /// The write under way (rank 0): its thread returns its wall seconds.
    writing: Option<Writer>,
    /// What the writes cost so far.
    pub cost: WriteCost,
}

/// Checkpoints written by this process and what they cost.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteCost {
    /// Checkpoints written.
    pub count: u64,
    /// Wall seconds the simulation waited for them (capture, gather, and
    /// waiting for a previous write still under way).
    pub seconds: f64,
    /// Wall seconds of the background writes (file, fsync, prune; rank 0).
    pub background_seconds: f64,
    /// State bytes of the last one (`ChunkStates::bytes`, rank 0).
    pub state_bytes: u64,
}

/// The checkpoint directory of the output directory `out`.
pub fn checkpoint_dir(out: &Path) -> PathBuf {
    out.join("checkpoints")
}

/// The labels of every chunk of `spec`: its population's name, and the
/// name, unit and `relative_to` of each state variable of its model.
fn chunk_labels(spec: &NetworkSpec) -> Vec<ChunkLabels> {
    layout::chunks(spec)
        .iter()
        .map(|c| {
            let pop = &spec.populations[c.population];
            let state = model::lookup(&pop.model).map_or(&[][..], |m| m.state);
            ChunkLabels {
                population: pop.name.clone(),
                variables: state
                    .iter()
                    .map(|v| VarLabel {
                        name: v.name.to_string(),
                        unit: v.unit.to_string(),
                        relative_to: v.relative_to.map(str::to_string),
                    })
                    .collect(),
            }
        })
        .collect()
}

impl Checkpointer {
    /// Checkpoints of `spec` every `policy.every_steps` from `start_step`
    /// on, into `checkpoint_dir(out)` (created by rank 0).
    pub fn new(
        spec: &NetworkSpec,
        policy: &CheckpointSpec,
        out: &Path,
        config_text: String,
        start_step: u64,
        base_spikes: BTreeMap<String, u64>,
        rank: usize,
    ) -> Result<Self, String> {
        let dir = checkpoint_dir(out);
        if rank == 0 {
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let every = policy.every_steps.max(1);
        Ok(Checkpointer {
            every_steps: every,
            keep: policy.keep,
            dir,
            next_step: (start_step / every + 1) * every,
            last_step: Some(start_step).filter(|&s| s > 0),
            config_text,
            labels: if rank == 0 {
                chunk_labels(spec)
            } else {
                Vec::new()
            },
            base_spikes,
            writing: None,
            cost: WriteCost::default(),
        })
    }

    /// Is a checkpoint due at `step` (an epoch boundary)?
    pub fn due(&self, step: u64) -> bool {
        step >= self.next_step
    }

    /// Has a checkpoint of `step` been written (or resumed from)?
    pub fn has(&self, step: u64) -> bool {
        self.last_step == Some(step)
    }

    /// Collective: starts writing the checkpoint of `net` at its step (the
    /// capture delivers its pending spikes, `Network::capture`).
    /// `spikes_written`: this rank's spikes in the spike output so far per
    /// recorded population (name order the same on every rank). Returns the
    /// names of the checkpoints on disk once the previous write is complete
    /// (rank 0; empty on the others).
    pub fn write(
        &mut self,
        net: &mut Network,
        spikes_written: &[(String, u64)],
        comm: &dyn Comm,
    ) -> Result<Vec<String>, String> {
        let start = Instant::now();
        let mine = net.capture();
        let step = mine.step;
        self.last_step = Some(step);
        self.next_step = (step / self.every_steps + 1) * self.every_steps;
        let counts: Vec<f64> = spikes_written.iter().map(|(_, n)| *n as f64).collect();
        let (counts, states) = if comm.size() == 1 {
            (counts, mine)
        } else {
            let counts = comm.gather_f64(&counts);
            let words = comm.gather_f64(&wire::pack(&mine));
            let chunks = if comm.rank() == 0 {
                wire::unpack(&words)?
            } else {
                Vec::new()
            };
            (counts, ChunkStates { chunks, ..mine })
        };
        if comm.rank() != 0 {
            self.cost.seconds += start.elapsed().as_secs_f64();
            return Ok(Vec::new());
        }
        let states = ChunkStates::merge([states]).map_err(|e| e.to_string())?;
        self.cost.state_bytes = states.bytes() as u64;
        let meta = CheckpointMeta::new(
            self.config_text.clone(),
            self.spikes_written(spikes_written, &counts),
            self.labels.clone(),
        );
        let names = self.wait()?;
        let (dir, keep) = (self.dir.clone(), self.keep);
        self.writing = Some(Writer::spawn(move || {
            let start = Instant::now();
            checkpoint::write(&dir, &states, &meta).map_err(|e| e.to_string())?;
            checkpoint::prune(&dir, keep).map_err(|e| e.to_string())?;
            Ok(start.elapsed().as_secs_f64())
        }));
        self.cost.count += 1;
        self.cost.seconds += start.elapsed().as_secs_f64();
        Ok(names)
    }

    /// The spikes in the spike output per population: the segment's start
    /// plus every rank's `counts` (gathered: one per name, rank after rank).
    fn spikes_written(&self, names: &[(String, u64)], counts: &[f64]) -> BTreeMap<String, u64> {
        let mut written = self.base_spikes.clone();
        if names.is_empty() {
            return written;
        }
        for (i, c) in counts.iter().enumerate() {
            *written.entry(names[i % names.len()].0.clone()).or_default() += *c as u64;
        }
        written
    }

    /// Rank 0: waits for the write under way, if any, and returns the names
    /// of the checkpoints on disk, or the write's error.
    pub fn wait(&mut self) -> Result<Vec<String>, String> {
        if let Some(w) = self.writing.take() {
            self.cost.background_seconds += w.join()?;
        }
        Ok(self.on_disk())
    }

    /// Names (`checkpoints/t<step>.h5`) of the checkpoints on disk, oldest
    /// first.
    fn on_disk(&self) -> Vec<String> {
        let mut found: Vec<(u64, String)> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                checkpoint::parse_file_name(&name).map(|s| (s, format!("checkpoints/{name}")))
            })
            .collect();
        found.sort();
        found.into_iter().map(|(_, n)| n).collect()
    }
}
