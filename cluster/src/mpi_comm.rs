//! The MPI backend of sim's `Comm` (only with the cargo feature `mpi`): MPI
//! is initialised once per process with funneled threading (rayon threads
//! compute, only the main thread calls MPI) and finalised when the `MpiComm`
//! is dropped.
//!
//! Failure contract: an error on any rank must end every rank promptly.
//! `abort` prints the message prefixed with the rank and calls `MPI_Abort` on
//! the world communicator; `install_panic_hook` makes a panic do the same, so
//! no rank is left waiting in a collective for a peer that is gone.

use mpi::collective::{CommunicatorCollectives, SystemOperation};
use mpi::datatype::{Partition, PartitionMut};
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::Root;
use mpi::Threading;

use brainsim_sim::comm::{Comm, Reduce};

/// MPI for this process (rank, size, world communicator).
pub struct MpiComm {
    /// Keeps MPI alive; dropping it calls `MPI_Finalize`.
    _universe: Universe,
    world: SimpleCommunicator,
    rank: usize,
    size: usize,
}

impl MpiComm {
    /// Initialises MPI (funneled). Must be called once, from the main thread,
    /// before any other thread is started. Panics if MPI was already initialised.
    pub fn init() -> MpiComm {
        let (universe, _provided) = mpi::initialize_with_threading(Threading::Funneled)
            .expect("MPI is initialised once per process");
        let world = universe.world();
        let rank = world.rank() as usize;
        let size = world.size() as usize;
        MpiComm {
            _universe: universe,
            world,
            rank,
            size,
        }
    }

    /// Ends every rank: prints `message` prefixed with this rank and aborts
    /// the world communicator with `code`. Never returns.
    pub fn abort(&self, message: &str, code: i32) -> ! {
        abort_world(self.rank, message, code)
    }
}

fn counts_i32(counts: &[usize]) -> Vec<i32> {
    counts
        .iter()
        .map(|&c| i32::try_from(c).expect("an MPI message holds < 2^31 words"))
        .collect()
}

impl Comm for MpiComm {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn barrier(&self) {
        self.world.barrier();
    }

    fn all_to_all_v(
        &self,
        send: &[u32],
        send_counts: &[usize],
        recv: &mut Vec<u32>,
        recv_counts: &mut [usize],
    ) {
        let sc = counts_i32(send_counts);
        let mut rc = vec![0i32; self.size];
        self.world.all_to_all_into(&sc[..], &mut rc[..]);
        recv.clear();
        recv.resize(rc.iter().map(|&c| c as usize).sum(), 0);
        let (sd, rd) = (displacements(&sc), displacements(&rc));
        let sp = Partition::new(send, &sc[..], &sd[..]);
        let mut rp = PartitionMut::new(&mut recv[..], &rc[..], &rd[..]);
        self.world.all_to_all_varcount_into(&sp, &mut rp);
        for (out, &c) in recv_counts.iter_mut().zip(&rc) {
            *out = c as usize;
        }
    }

    fn all_reduce(&self, value: u64, op: Reduce) -> u64 {
        let op = match op {
            Reduce::Min => SystemOperation::min(),
            Reduce::Max => SystemOperation::max(),
            Reduce::Sum => SystemOperation::sum(),
        };
        let mut out = 0u64;
        self.world.all_reduce_into(&value, &mut out, op);
        out
    }

    fn gather_f64(&self, values: &[f64]) -> Vec<f64> {
        let root = self.world.process_at_rank(0);
        let n = values.len() as i32;
        if self.rank == 0 {
            let mut counts = vec![0i32; self.size];
            root.gather_into_root(&n, &mut counts[..]);
            let displs = displacements(&counts);
            let mut all = vec![0.0; counts.iter().map(|&c| c as usize).sum()];
            let mut part = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            root.gather_varcount_into_root(values, &mut part);
            all
        } else {
            root.gather_into(&n);
            root.gather_varcount_into(values);
            Vec::new()
        }
    }

    fn all_gather_f64(&self, values: &[f64], counts: &[usize], out: &mut Vec<f64>) {
        let counts = counts_i32(counts);
        out.clear();
        out.resize(counts.iter().map(|&c| c as usize).sum(), 0.0);
        let displs = displacements(&counts);
        let mut part = PartitionMut::new(&mut out[..], &counts[..], &displs[..]);
        self.world.all_gather_varcount_into(values, &mut part);
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
fn displacements(counts: &[i32]) -> Vec<i32> {
    let mut d = Vec::with_capacity(counts.len());
    let mut acc = 0i32;
    for &c in counts {
        d.push(acc);
        acc += c;
    }
    d
}
