//! Writing checkpoints during a run: at the first epoch boundary at or
//! after each multiple of `[checkpoint] every` (and at the end of the run,
//! and when a signal stops it), every rank captures its chunks
//! (`Network::capture`), the captures travel to rank 0 (`wire`, one
//! `gather_f64`), and rank 0 merges them and writes
//! `OUT/checkpoints/t<step>.h5` atomically (io's `checkpoint::write`), then
//! removes all but the newest `keep`.
//!
//! Invariant: the caller has flushed every sink before `write`, so the spike
//! counts the checkpoint records (`spikes_written`, what resume truncates
//! the spike file back to) are on disk when the checkpoint names them; and
//! every rank calls `write` at the same steps (the boundaries and the stop
//! step are agreed), since it is collective.

mod wire;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use brainsim_io::checkpoint::{self, CheckpointMeta, ChunkLabels, VarLabel};
use brainsim_io::config::CheckpointSpec;
use brainsim_sim::checkpoint::ChunkStates;
use brainsim_sim::comm::Comm;
use brainsim_sim::spec::NetworkSpec;
use brainsim_sim::{layout, model, Network};

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

    /// Collective: writes the checkpoint of `net` at its step.
    /// `spikes_written`: this rank's spikes in the spike output so far per
    /// recorded population (name order the same on every rank). Returns the
    /// names of the checkpoints on disk afterwards (rank 0; empty on the
    /// others).
    pub fn write(
        &mut self,
        net: &Network,
        spikes_written: &[(String, u64)],
        comm: &dyn Comm,
    ) -> Result<Vec<String>, String> {
        let mine = net.capture();
        let counts: Vec<f64> = spikes_written.iter().map(|(_, n)| *n as f64).collect();
        let counts = comm.gather_f64(&counts);
        let words = comm.gather_f64(&wire::pack(&mine));
        let step = mine.step;
        self.last_step = Some(step);
        self.next_step = (step / self.every_steps + 1) * self.every_steps;
        if comm.rank() != 0 {
            return Ok(Vec::new());
        }
        let states = ChunkStates {
            step,
            network: mine.network,
            chunks: wire::unpack(&words)?,
        };
        let states = ChunkStates::merge([states]).map_err(|e| e.to_string())?;
        let mut written = self.base_spikes.clone();
        let n = spikes_written.len().max(1);
        for (i, c) in counts.iter().enumerate() {
            if let Some((name, _)) = spikes_written.get(i % n) {
                *written.entry(name.clone()).or_default() += *c as u64;
            }
        }
        let meta = CheckpointMeta::new(self.config_text.clone(), written, self.labels.clone());
        checkpoint::write(&self.dir, &states, &meta).map_err(|e| e.to_string())?;
        checkpoint::prune(&self.dir, self.keep).map_err(|e| e.to_string())?;
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
