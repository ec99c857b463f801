//! The MPI implementation of sim's `Exchange`: targeted spike exchange.
//!
//! Setup (`MpiExchange::setup`, once after the build): every rank sends each
//! rank the source gids it needs that the other rank owns (one all-to-all of
//! counts, one all-to-all-v of gids). Each rank then knows, for each of its
//! own neurons, the other ranks that hold at least one of its targets (never
//! itself: the network delivers its own spikes every local interval).
//!
//! Per epoch: one all-to-all of counts, then one all-to-all-v of compact
//! packets (gid: u32, step offset within the epoch: u32), each spike sent
//! only to the ranks that need it. Received spikes are sorted by (step, gid).
//!
//! Invariant (from `Network::run_epoch`): `exchange` is called exactly once
//! per epoch on every rank, and epoch k starts at step k * D, D = the epoch
//! length given to `setup`. So the receiver rebuilds a spike's step as
//! k * D + offset without it being sent.

use mpi::collective::{CommunicatorCollectives, SystemOperation};
use mpi::datatype::{Partition, PartitionMut};

use brainsim_sim::{Exchange, Spike};

use crate::mpi_context::{displacements, MpiContext};

/// The ranks needing `gid` (see `MpiExchange::dest_start`).
fn dests<'d>(dest_start: &'d [u32], dest_ranks: &'d [u32], gid: u32) -> &'d [u32] {
    let g = gid as usize;
    match dest_start.get(g + 1) {
        Some(&end) => &dest_ranks[dest_start[g] as usize..end as usize],
        None => &[],
    }
}

/// u32 words per spike packet (gid, step offset).
const PACKET_WORDS: usize = 2;

pub struct MpiExchange<'a> {
    ctx: &'a MpiContext,
    /// Ranks needing gid g: `dest_ranks[dest_start[g]..dest_start[g + 1]]`
    /// (empty for gids this rank does not own).
    dest_start: Vec<u32>,
    dest_ranks: Vec<u32>,
    epoch_steps: u64,
    /// Index of the next epoch to be exchanged.
    epoch: u64,
    send: Vec<u32>,
    recv: Vec<u32>,
    send_counts: Vec<i32>,
    recv_counts: Vec<i32>,
    /// Spikes and bytes sent to other ranks (packets to self not counted).
    pub spikes_sent: u64,
    pub bytes_sent: u64,
}

impl<'a> MpiExchange<'a> {
    /// Usable for `all_min` / `all_max` (the build) before `setup`.
    pub fn new(ctx: &'a MpiContext) -> Self {
        let p = ctx.size();
        MpiExchange {
            ctx,
            dest_start: vec![0],
            dest_ranks: Vec::new(),
            epoch_steps: 1,
            epoch: 0,
            send: Vec::new(),
            recv: Vec::new(),
            send_counts: vec![0; p],
            recv_counts: vec![0; p],
            spikes_sent: 0,
            bytes_sent: 0,
        }
    }

    /// Collective. `needed`: the source gids this rank's synapses need;
    /// `owner(g)`: the rank holding neuron g; `n_gids`: neurons in the network;
    /// `epoch_steps`: the epoch length D of the loop.
    pub fn setup(
        &mut self,
        needed: &[u32],
        owner: &dyn Fn(u32) -> usize,
        n_gids: usize,
        epoch_steps: u64,
    ) {
        let (me, p) = (self.ctx.rank(), self.ctx.size());
        let mut by_owner: Vec<Vec<u32>> = vec![Vec::new(); p];
        for &g in needed {
            let o = owner(g);
            if o != me {
                by_owner[o].push(g);
            }
        }
        let counts: Vec<i32> = by_owner.iter().map(|v| v.len() as i32).collect();
        let send: Vec<u32> = by_owner.concat();
        let (recv, recv_counts) = self.all_to_all_v(&send, &counts);

        // recv holds, rank by rank, the gids (owned here) each rank needs.
        let mut dest_start = vec![0u32; n_gids + 1];
        for &g in &recv {
            dest_start[g as usize + 1] += 1;
        }
        for g in 0..n_gids {
            dest_start[g + 1] += dest_start[g];
        }
        let mut fill = dest_start[..n_gids].to_vec();
        let mut dest_ranks = vec![0u32; recv.len()];
        let mut i = 0;
        for (r, &c) in recv_counts.iter().enumerate() {
            for &g in &recv[i..i + c as usize] {
                dest_ranks[fill[g as usize] as usize] = r as u32;
                fill[g as usize] += 1;
            }
            i += c as usize;
        }
        self.dest_start = dest_start;
        self.dest_ranks = dest_ranks;
        self.epoch_steps = epoch_steps.max(1);
        self.epoch = 0;
    }

    /// All-to-all-v of u32 words: `send` is grouped by destination rank with
    /// `counts` words each. Returns the received words (grouped by source
    /// rank) and their counts.
    fn all_to_all_v(&self, send: &[u32], counts: &[i32]) -> (Vec<u32>, Vec<i32>) {
        let world = self.ctx.world();
        let mut recv_counts = vec![0i32; self.ctx.size()];
        world.all_to_all_into(counts, &mut recv_counts[..]);
        let mut recv = vec![0u32; recv_counts.iter().map(|&c| c as usize).sum()];
        let sd = displacements(counts);
        let rd = displacements(&recv_counts);
        let sp = Partition::new(send, counts, &sd[..]);
        let mut rp = PartitionMut::new(&mut recv[..], &recv_counts[..], &rd[..]);
        world.all_to_all_varcount_into(&sp, &mut rp);
        (recv, recv_counts)
    }
}

impl Exchange for MpiExchange<'_> {
    fn exchange(&mut self, local: &[Spike], received: &mut Vec<Spike>) {
        let base = self.epoch * self.epoch_steps;
        self.epoch += 1;
        let me = self.ctx.rank();
        self.send_counts.iter_mut().for_each(|c| *c = 0);
        for sp in local {
            for &r in dests(&self.dest_start, &self.dest_ranks, sp.gid) {
                self.send_counts[r as usize] += PACKET_WORDS as i32;
            }
        }
        let mut fill: Vec<usize> = displacements(&self.send_counts)
            .iter()
            .map(|&d| d as usize)
            .collect();
        let total: usize = self.send_counts.iter().map(|&c| c as usize).sum();
        let mut send = std::mem::take(&mut self.send);
        send.clear();
        send.resize(total, 0);
        for sp in local {
            debug_assert!(sp.step >= base && sp.step - base < self.epoch_steps);
            let offset = (sp.step - base) as u32;
            for &r in dests(&self.dest_start, &self.dest_ranks, sp.gid) {
                let f = &mut fill[r as usize];
                send[*f] = sp.gid;
                send[*f + 1] = offset;
                *f += PACKET_WORDS;
            }
        }
        debug_assert_eq!(self.send_counts[me], 0, "own spikes are never sent");
        let to_others = total;
        self.spikes_sent += (to_others / PACKET_WORDS) as u64;
        self.bytes_sent += (to_others * 4) as u64;

        let world = self.ctx.world();
        world.all_to_all_into(&self.send_counts[..], &mut self.recv_counts[..]);
        let n_recv: usize = self.recv_counts.iter().map(|&c| c as usize).sum();
        self.recv.clear();
        self.recv.resize(n_recv, 0);
        let sd = displacements(&self.send_counts);
        let rd = displacements(&self.recv_counts);
        {
            let sp = Partition::new(&send[..], &self.send_counts[..], &sd[..]);
            let mut rp = PartitionMut::new(&mut self.recv[..], &self.recv_counts[..], &rd[..]);
            world.all_to_all_varcount_into(&sp, &mut rp);
        }
        self.send = send;

        received.clear();
        received.extend(self.recv.chunks_exact(PACKET_WORDS).map(|w| Spike {
            step: base + u64::from(w[1]),
            gid: w[0],
        }));
        received.sort_unstable();
    }

    fn all_min(&mut self, value: u64) -> u64 {
        let mut out = 0u64;
        self.ctx
            .world()
            .all_reduce_into(&value, &mut out, SystemOperation::min());
        out
    }

    fn all_max(&mut self, value: u64) -> u64 {
        let mut out = 0u64;
        self.ctx
            .world()
            .all_reduce_into(&value, &mut out, SystemOperation::max());
        out
    }

    fn rank(&self) -> (usize, usize) {
        (self.ctx.rank(), self.ctx.size())
    }
}
