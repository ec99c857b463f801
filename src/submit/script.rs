//! The batch script of `brainsim submit` (`OUT/job.sbatch`), as text: the
//! `#SBATCH` lines, the environment of the ranks, the launcher, the
//! forwarding of Slurm's time-limit signal to the ranks, the choice between
//! `brainsim run` and `brainsim resume`, and the requeue. Every block carries
//! a comment saying what it is for; the decisions behind them are in the
//! doc of `submit` (src/submit/mod.rs). A sweep's job array (`array`) is
//! the same script with `--array`, each task choosing its variant's config
//! and output directory by `SLURM_ARRAY_TASK_ID`.

use std::fmt::Write as _;

/// How the ranks are started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Launcher {
    /// `srun`, with `--mpi=<plugin>` when one was found.
    Srun(Option<&'static str>),
    /// `mpirun` (Open MPI reads the allocation from Slurm).
    Mpirun,
}

impl Launcher {
    /// How it is named in job.json and in messages.
    pub fn describe(&self) -> String {
        match self {
            Launcher::Srun(Some(p)) => format!("srun --mpi={p}"),
            Launcher::Srun(None) => "srun".into(),
            Launcher::Mpirun => "mpirun".into(),
        }
    }
}

/// Everything the script says.
#[derive(Clone, Debug)]
pub struct JobScript {
    /// `--job-name`.
    pub job_name: String,
    /// Nodes.
    pub nodes: u64,
    /// MPI ranks per node.
    pub ranks_per_node: u64,
    /// Threads (CPUs) per rank.
    pub threads: u64,
    /// `--time`.
    pub time: String,
    /// `--mem` and where its value came from (a comment).
    pub mem: Option<(String, String)>,
    /// `--partition`.
    pub partition: Option<String>,
    /// `--account`.
    pub account: Option<String>,
    /// Seconds before the time limit when Slurm signals the batch shell.
    pub signal_margin: u64,
    /// Checkpoint interval (ms): checkpoints, resume and requeue.
    pub checkpoint_every_ms: Option<f64>,
    /// The launcher.
    pub launcher: Launcher,
    /// Extra `#SBATCH` options, verbatim, after brainsim's own.
    pub sbatch_args: Vec<String>,
    /// The brainsim binary (absolute).
    pub brainsim: String,
    /// The config file (absolute).
    pub config: String,
    /// The output directory (absolute).
    pub out: String,
    /// `--partitioner` of the run.
    pub partitioner: String,
    /// The first start replaces an earlier run in OUT (`--overwrite`).
    pub overwrite: bool,
    /// Submitted by root: Open MPI must be told that is fine.
    pub as_root: bool,
    /// A job array of this many tasks (`brainsim sweep`): `out` is then the
    /// sweep directory and task i runs `out/i/config.toml` into `out/i/out`.
    pub array: Option<u64>,
}

/// `s` in single quotes for bash.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl JobScript {
    /// The whole script.
    pub fn render(&self) -> String {
        let mut s = String::new();
        self.header(&mut s);
        self.sbatch_lines(&mut s);
        self.environment(&mut s);
        self.launcher_lines(&mut s);
        s.push_str(SIGNALS);
        self.main_step(&mut s);
        self.ending(&mut s);
        s
    }

    fn header(&self, s: &mut String) {
        if let Some(n) = self.array {
            return self.array_header(s, n);
        }
        let _ = writeln!(s, "#!/bin/bash");
        let _ = writeln!(
            s,
            "# brainsim batch job, written by `brainsim submit` (brainsim {}).",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            s,
            "# Simulates {} on {} node(s) x {} MPI rank(s) x {} thread(s), outputs in {}.",
            self.config, self.nodes, self.ranks_per_node, self.threads, self.out
        );
        let _ = writeln!(
            s,
            "# Follow it with `brainsim status {}`; submit it again with `sbatch {}/job.sbatch`.",
            self.out, self.out
        );
        let _ = writeln!(s, "#");
    }

    fn array_header(&self, s: &mut String, n: u64) {
        let _ = writeln!(s, "#!/bin/bash");
        let _ = writeln!(
            s,
            "# brainsim parameter sweep, written by `brainsim sweep` (brainsim {}).",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            s,
            "# A job array of {n} task(s), the variants of {}: task i simulates {}/i/config.toml",
            self.config, self.out
        );
        let _ = writeln!(
            s,
            "# on {} node(s) x {} MPI rank(s) x {} thread(s), outputs in {}/i/out.",
            self.nodes, self.ranks_per_node, self.threads, self.out
        );
        let _ = writeln!(
            s,
            "# Follow it with `squeue`; summarise it with `brainsim analyze {}`.",
            self.out
        );
        let _ = writeln!(s, "#");
    }

    fn sbatch_lines(&self, s: &mut String) {
        let mut line = |comment: &str, option: String| {
            let _ = writeln!(s, "# {comment}\n#SBATCH {option}");
        };
        line(
            "Name shown by squeue.",
            format!("--job-name={}", self.job_name),
        );
        line("Nodes.", format!("--nodes={}", self.nodes));
        line(
            "MPI ranks per node.",
            format!("--ntasks-per-node={}", self.ranks_per_node),
        );
        line(
            "CPUs per rank: one per thread.",
            format!("--cpus-per-task={}", self.threads),
        );
        line("Wall-time limit.", format!("--time={}", self.time));
        if let Some((mem, why)) = &self.mem {
            line(&format!("Memory per node: {why}."), format!("--mem={mem}"));
        }
        if let Some(p) = &self.partition {
            line("Partition.", format!("--partition={p}"));
        }
        if let Some(a) = &self.account {
            line("Account charged.", format!("--account={a}"));
        }
        if let Some(n) = self.array {
            line(
                "One task per variant of the sweep (SLURM_ARRAY_TASK_ID = the variant's index).",
                format!("--array=0-{}", n.saturating_sub(1)),
            );
            line(
                "Log of each task and its ranks, in its variant's directory (%A: the array's job id, %a: the task).",
                format!("--output={}/%a/slurm-%A_%a.out", self.out),
            );
        } else {
            line(
                "Log of this script and of every rank (%j: the job id).",
                format!("--output={}/slurm-%j.out", self.out),
            );
        }
        line(
            &format!(
                "TERM to this shell only (B:) {} s before the time limit; the trap below passes it on to the ranks.",
                self.signal_margin
            ),
            format!("--signal=B:TERM@{}", self.signal_margin),
        );
        if self.checkpoint_every_ms.is_some() {
            line(
                "May be requeued: after a stop at a checkpoint the job requeues itself and resumes.",
                "--requeue".into(),
            );
            line(
                "A requeued job appends to its log.",
                "--open-mode=append".into(),
            );
        } else {
            line(
                "Never requeued: without checkpoints a restart would begin again at t = 0.",
                "--no-requeue".into(),
            );
        }
        for a in &self.sbatch_args {
            line("Given with --sbatch-arg.", a.clone());
        }
        s.push('\n');
    }

    fn environment(&self, s: &mut String) {
        let _ = writeln!(s, "# What runs, fixed at submission (absolute paths).");
        let _ = writeln!(s, "BRAINSIM={}", quote(&self.brainsim));
        if self.array.is_some() {
            let _ = writeln!(s, "SWEEP={}", quote(&self.out));
            let _ = writeln!(s, "# This task's variant: its config and output directory.");
            let _ = writeln!(s, "CONFIG=\"$SWEEP/$SLURM_ARRAY_TASK_ID/config.toml\"");
            let _ = writeln!(s, "OUT=\"$SWEEP/$SLURM_ARRAY_TASK_ID/out\"");
        } else {
            let _ = writeln!(s, "CONFIG={}", quote(&self.config));
            let _ = writeln!(s, "OUT={}", quote(&self.out));
        }
        let _ = writeln!(s, "\n# Threads per rank: brainsim's thread pool reads RAYON_NUM_THREADS (--threads below says the same).");
        let _ = writeln!(s, "export RAYON_NUM_THREADS={}", self.threads);
        let _ = writeln!(
            s,
            "# srun (Slurm >= 22.05) no longer passes the job's --cpus-per-task on to a step."
        );
        let _ = writeln!(s, "export SRUN_CPUS_PER_TASK=$SLURM_CPUS_PER_TASK");
        if self.as_root {
            let _ = writeln!(
                s,
                "# Submitted by root: Open MPI refuses to run as root unless told it is intended."
            );
            let _ = writeln!(
                s,
                "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
            );
        }
        s.push('\n');
    }

    fn launcher_lines(&self, s: &mut String) {
        match self.launcher {
            Launcher::Srun(plugin) => {
                let mpi = plugin.map(|p| format!(" --mpi={p}")).unwrap_or_default();
                let why = match plugin {
                    Some(p) => {
                        format!("with the {p} plugin (`srun --mpi=list` offered it at submission)")
                    }
                    None => "with the cluster's default MPI plugin".into(),
                };
                let _ = writeln!(s, "# The launcher: srun {why}, one task per rank.");
                let _ = writeln!(s, "LAUNCH=(srun{mpi} --cpus-per-task={})", self.threads);
            }
            Launcher::Mpirun => {
                let _ = writeln!(
                    s,
                    "# The launcher: mpirun (Open MPI takes the nodes from the allocation); --bind-to none lets"
                );
                let _ = writeln!(
                    s,
                    "# each rank's threads use all of its CPUs instead of one core."
                );
                let _ = writeln!(
                    s,
                    "LAUNCH=(mpirun -np \"$SLURM_NTASKS\" --map-by ppr:{}:node --bind-to none)",
                    self.ranks_per_node
                );
            }
        }
        s.push('\n');
    }

    fn main_step(&self, s: &mut String) {
        let (t, p) = (self.threads, &self.partitioner);
        let mut run = format!(
            "step \"$BRAINSIM\" run \"$CONFIG\" --out \"$OUT\" --threads {t} --partitioner {p}"
        );
        let Some(every) = self.checkpoint_every_ms else {
            if self.overwrite {
                run.push_str(" --overwrite");
            }
            let _ = writeln!(s, "# The simulation.\n{run}\nrc=$?\n");
            return;
        };
        let _ = write!(run, " --checkpoint-every {every} $fresh");
        let (fresh, resume_if) = if self.overwrite {
            (FRESH_OVERWRITE, RESUME_IF_REQUEUED)
        } else {
            (FRESH_AFTER_REQUEUE, RESUME_IF_CHECKPOINT)
        };
        let resume = format!("step \"$BRAINSIM\" resume \"$OUT\" --threads {t} --partitioner {p}");
        s.push_str(
            &RESUME_OR_RUN
                .replace("@FRESH@", fresh)
                .replace("@RESUME_IF@", resume_if)
                .replace("@RESUME@", &resume)
                .replace("@RUN@", &run),
        );
    }

    fn ending(&self, s: &mut String) {
        let stopped = if self.checkpoint_every_ms.is_some() {
            STOPPED_REQUEUE
        } else {
            STOPPED_PLAIN
        };
        let _ = write!(
            s,
            "case $rc in\n  0) echo \"brainsim job: the run finished\" >&2 ;;\n  3)\n{stopped}    ;;\n  *) echo \"brainsim job: brainsim ended with exit code $rc\" >&2 ;;\nesac\nexit \"$rc\"\n"
        );
    }
}

/// With checkpoints: resume from the newest one, else run (the `@...@`
/// parts are filled in by `main_step`).
const RESUME_OR_RUN: &str = r#"# The newest checkpoint's step (empty when there is none).
newest_checkpoint() {
  ls "$OUT/checkpoints" 2>/dev/null | sed -n 's/^t\([0-9][0-9]*\)\.h5$/\1/p' | sort -n | tail -n 1
}

@FRESH@
# Resume from the newest checkpoint when there is one (a requeued job, or a run stopped
# before), else start the run.
before=$(newest_checkpoint)
if @RESUME_IF@; then
  echo "brainsim job: resuming from checkpoints/t$before.h5" >&2
  @RESUME@
else
  @RUN@
fi
rc=$?

"#;

/// Without `--overwrite`: only a requeued start replaces its own first one.
const FRESH_AFTER_REQUEUE: &str = r#"# A requeued job that stopped before its first checkpoint starts again over its own first start.
fresh=
if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then fresh=--overwrite; fi"#;

/// With `--overwrite`: every fresh start replaces what is in OUT.
const FRESH_OVERWRITE: &str = r#"# brainsim submit --overwrite: the first start replaces the earlier run in OUT (a requeued
# start resumes from this job's checkpoints, or replaces its own first start).
fresh=--overwrite"#;

/// Resume whenever there is a checkpoint.
const RESUME_IF_CHECKPOINT: &str = r#"[ -n "$before" ]"#;

/// With `--overwrite`, checkpoints count only from a requeued start (the
/// first start replaces the earlier run, whatever it left).
const RESUME_IF_REQUEUED: &str = r#"[ -n "$before" ] && [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]"#;

/// Exit 3 with checkpoints: requeue when this segment got further.
const STOPPED_REQUEUE: &str = r#"    # Stopped at a checkpoint before the end: requeue (Slurm starts this script again, and
    # it resumes). Only when this segment got further, so a run that cannot make progress
    # within the time limit is not requeued for ever; `Incomplete` leaves alone a job that
    # was cancelled or timed out meanwhile.
    after=$(newest_checkpoint)
    if [ -n "$after" ] && [ "$after" != "$before" ]; then
      echo "brainsim job: stopped at checkpoints/t$after.h5 before the end; requeueing job $SLURM_JOB_ID" >&2
      scontrol requeue Incomplete "$SLURM_JOB_ID" && exit 0
    else
      echo "brainsim job: stopped without a new checkpoint; not requeued (more --time or a larger --signal-margin)" >&2
    fi
"#;

/// Exit 3 without checkpoints: the run is over, interrupted.
const STOPPED_PLAIN: &str = r#"    echo "brainsim job: stopped by a signal; outputs closed and marked interrupted (no checkpoints: not requeued)" >&2
"#;

/// The signal forwarding and the `step` function (the same in every script).
const SIGNALS: &str = r#"# Signals. Slurm sends TERM to this shell before the time limit (and on scancel). A shell
# runs a trap only between commands, so the step runs in the background and the script
# waits for it. The trap passes the request on as USR1: srun would turn a TERM into KILL
# for the ranks and mpirun kills them a second after a TERM, but both forward USR1 to every
# rank unchanged, and brainsim takes USR1 like TERM: all ranks stop at the same epoch,
# close their outputs (writing a checkpoint when checkpoints are on) and exit with 3.
signals=0
step_pid=
on_signal() {
  signals=$((signals + 1))
  echo "brainsim job: signal received; asking the ranks to stop (USR1)" >&2
  if [ -n "$step_pid" ]; then kill -USR1 "$step_pid" 2>/dev/null; fi
}
trap on_signal TERM INT USR1

# step ARGS...: runs ARGS under the launcher and returns its exit code.
step() {
  if [ "$signals" -gt 0 ]; then return 3; fi  # stopped before it began
  "${LAUNCH[@]}" "$@" &
  step_pid=$!
  local rc=0 last=0 rounds=0 seen
  while :; do
    seen=$signals last=$rc rounds=$((rounds + 1))
    wait "$step_pid"
    rc=$?
    # A trapped signal ends `wait` early (rc > 128) while the step goes on: wait again.
    [ "$seen" = "$signals" ] && break
  done
  # bash < 5.1 answers 127 to a second wait for a status it has already returned.
  if [ "$rc" = 127 ] && [ "$rounds" -gt 1 ]; then rc=$last; fi
  step_pid=
  return "$rc"
}

"#;
