//! The MPI context of a process: MPI is initialised once, with funneled
//! threading (rayon threads compute, only the main thread calls MPI), and
//! finalised when the context is dropped. A process started without `mpirun`
//! is an MPI singleton: one rank.
//!
//! Failure contract: an error on any rank must end every rank promptly.
//! `abort` prints the message prefixed with the rank and calls `MPI_Abort` on
//! the world communicator; `install_panic_hook` makes a panic do the same, so
//! no rank is left waiting in a collective for a peer that is gone.

use mpi::collective::CommunicatorCollectives;
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::Root;
use mpi::Threading;

/// MPI for this process (rank, size, world communicator).
pub struct MpiContext {
    /// Keeps MPI alive; dropping it calls `MPI_Finalize`.
    _universe: Universe,
    world: SimpleCommunicator,
    rank: usize,
    size: usize,
}

/// Open MPI refuses to start as root unless told it may; a singleton run
/// (no `mpirun`) as root should just work, so say so before `MPI_Init`.
fn allow_root_singleton() {
    let under_mpirun = std::env::var_os("OMPI_COMM_WORLD_SIZE").is_some()
        || std::env::var_os("PMIX_RANK").is_some()
        || std::env::var_os("PMI_RANK").is_some();
    if !under_mpirun {
        // Called before any other thread exists (first thing in `init`).
        std::env::set_var("OMPI_ALLOW_RUN_AS_ROOT", "1");
        std::env::set_var("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    }
}

impl MpiContext {
    /// Initialises MPI (funneled). Must be called once, from the main thread,
    /// before any other thread is started. Panics if MPI was already initialised.
    pub fn init() -> MpiContext {
        allow_root_singleton();
        let (universe, _provided) = mpi::initialize_with_threading(Threading::Funneled)
            .expect("MPI is initialised once per process");
        let world = universe.world();
        let rank = world.rank() as usize;
        let size = world.size() as usize;
        MpiContext {
            _universe: universe,
            world,
            rank,
            size,
        }
    }

    pub fn rank(&self) -> usize {
        self.rank
    }

    pub fn size(&self) -> usize {
        self.size
    }

    pub fn world(&self) -> &SimpleCommunicator {
        &self.world
    }

    /// Waits for every rank.
    pub fn barrier(&self) {
        self.world.barrier();
    }

    /// The minimum of `value` over all ranks.
    pub fn all_min_u64(&self, value: u64) -> u64 {
        let mut out = 0u64;
        self.world
            .all_reduce_into(&value, &mut out, mpi::collective::SystemOperation::min());
        out
    }

    /// Rank 0 receives every rank's `values` (each rank the same length),
    /// concatenated in rank order; the other ranks receive an empty vector.
    pub fn gather_f64(&self, values: &[f64]) -> Vec<f64> {
        let root = self.world.process_at_rank(0);
        if self.rank == 0 {
            let mut all = vec![0.0; values.len() * self.size];
            root.gather_into_root(values, &mut all[..]);
            all
        } else {
            root.gather_into(values);
            Vec::new()
        }
    }

    /// Rank 0 receives every rank's `values` (any lengths), concatenated in
    /// rank order; the other ranks receive an empty vector.
    pub fn gather_varcount_f64(&self, values: &[f64]) -> Vec<f64> {
        use mpi::datatype::PartitionMut;
        let root = self.world.process_at_rank(0);
        let n = values.len() as i32;
        if self.rank == 0 {
            let mut counts = vec![0i32; self.size];
            root.gather_into_root(&n, &mut counts[..]);
            let displs = displacements(&counts);
            let total = counts.iter().map(|&c| c as usize).sum();
            let mut all = vec![0.0; total];
            let mut part = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            root.gather_varcount_into_root(values, &mut part);
            all
        } else {
            root.gather_into(&n);
            root.gather_varcount_into(values);
            Vec::new()
        }
    }

    /// Ends every rank: prints `message` prefixed with this rank and aborts
    /// the world communicator with `code`. Never returns.
    pub fn abort(&self, message: &str, code: i32) -> ! {
        abort_world(self.rank, message, code)
    }
}

/// Prints `message` with the rank and calls `MPI_Abort(MPI_COMM_WORLD, code)`.
fn abort_world(rank: usize, message: &str, code: i32) -> ! {
    eprintln!("brainsim: rank {rank}: {message}");
    SimpleCommunicator::world().abort(code)
}

/// Makes a panic on any thread of this rank print its message (with the rank)
/// and abort every rank, instead of leaving the others blocked in MPI.
pub fn install_panic_hook(rank: usize) {
    std::panic::set_hook(Box::new(move |info| {
        abort_world(rank, &format!("panic: {info}"), 101);
    }));
}

/// Exclusive prefix sums of `counts` (MPI displacements).
pub fn displacements(counts: &[i32]) -> Vec<i32> {
    let mut d = Vec::with_capacity(counts.len());
    let mut acc = 0i32;
    for &c in counts {
        d.push(acc);
        acc += c;
    }
    d
}
