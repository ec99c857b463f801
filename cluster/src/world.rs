//! The ranks of this process's run, chosen once at start: MPI when the
//! process was started by an MPI launcher (`mpirun`, `srun`) and brainsim was
//! built with the cargo feature `mpi` (the default); otherwise one in-process
//! rank, with no MPI initialised at all.
//!
//! Decision: a launcher is recognised by the variables it sets for its ranks
//! (Open MPI's `OMPI_COMM_WORLD_SIZE`, PMIx's `PMIX_RANK`, PMI's `PMI_RANK`
//! / `PMI_SIZE`). A build without `mpi` started as one of several ranks
//! refuses (bad input, exit 2) instead of running P independent copies.

#[cfg(feature = "mpi")]
use crate::mpi_comm::{install_panic_hook, MpiComm};
use brainsim_sim::comm::{Comm, LocalComm};

/// This process's ranks.
pub enum World {
    /// One rank, no MPI.
    Local(LocalComm),
    /// One of the ranks of an MPI job.
    #[cfg(feature = "mpi")]
    Mpi(MpiComm),
}

/// The number of ranks an MPI launcher started, if one did.
fn launched_ranks() -> Option<usize> {
    let var = |n: &str| std::env::var(n).ok();
    if let Some(n) = var("OMPI_COMM_WORLD_SIZE").or_else(|| var("PMI_SIZE")) {
        return n.trim().parse().ok().or(Some(1));
    }
    (var("PMIX_RANK").is_some() || var("PMI_RANK").is_some()).then_some(1)
}

impl World {
    /// Starts the run's ranks (call once, first, from the main thread).
    /// With > 1 MPI rank, a panic on any thread then aborts every rank.
    pub fn start() -> Result<World, String> {
        let Some(_ranks) = launched_ranks() else {
            return Ok(World::Local(LocalComm::single()));
        };
        #[cfg(feature = "mpi")]
        {
            let mpi = MpiComm::init();
            if mpi.size() > 1 {
                install_panic_hook(mpi.rank());
            }
            Ok(World::Mpi(mpi))
        }
        #[cfg(not(feature = "mpi"))]
        if _ranks > 1 {
            Err(format!(
                "brainsim: started as one of {_ranks} MPI ranks, but built without MPI (cargo feature `mpi`)"
            ))
        } else {
            Ok(World::Local(LocalComm::single()))
        }
    }

    /// The collectives of this run.
    pub fn comm(&self) -> &dyn Comm {
        match self {
            World::Local(c) => c,
            #[cfg(feature = "mpi")]
            World::Mpi(c) => c,
        }
    }

    /// Ends the run after a failure on this rank: alone, prints `message`
    /// and returns exit code 1; with other ranks, ends them all (MPI abort,
    /// the message prefixed with the rank).
    pub fn fail(&self, message: &str) -> std::process::ExitCode {
        #[cfg(feature = "mpi")]
        if let World::Mpi(mpi) = self {
            if mpi.size() > 1 {
                mpi.abort(message, 1);
            }
        }
        eprintln!("brainsim: {message}");
        std::process::ExitCode::from(1)
    }
}
