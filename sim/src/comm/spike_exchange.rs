//! The targeted spike exchange, written once over any `Comm` backend.
//!
//! Setup (`SpikeExchange::setup`, once after the build, collective): the
//! routing tables (`routes.rs`). Per epoch: one all-to-all-v of packets
//! (`packet.rs`), each spike sent only to the other ranks that need it;
//! received spikes sorted by (step, gid).
//!
//! Invariant (from `Network::run_epoch`): `exchange` is called exactly once
//! per epoch on every rank with the epoch's first step s0, the same on every
//! rank, and the epoch's spikes lie in [s0, s0 + D), D = the epoch length
//! given to `setup`; so the receiver rebuilds a spike's step as s0 + offset
//! without it being sent. s0 is passed, not counted, so that a network
//! restored from a checkpoint may start its epochs at any step.

use super::packet::{self, PACKET_WORDS};
use super::{Comm, Reduce, Routes};
use crate::exchange::{Exchange, Spike};

/// Spike exchange of one rank over `comm`.
pub struct SpikeExchange<'a> {
    comm: &'a dyn Comm,
    routes: Routes,
    epoch_steps: u64,
    send: Vec<u32>,
    recv: Vec<u32>,
    send_counts: Vec<usize>,
    recv_counts: Vec<usize>,
    /// Spikes (packets) sent to other ranks.
    pub spikes_sent: u64,
    /// Bytes sent to other ranks.
    pub bytes_sent: u64,
}

impl<'a> SpikeExchange<'a> {
    /// Usable for `all_min` / `all_max` (the build) before `setup`.
    pub fn new(comm: &'a dyn Comm) -> Self {
        let p = comm.size();
        SpikeExchange {
            comm,
            routes: Routes::default(),
            epoch_steps: 1,
            send: Vec::new(),
            recv: Vec::new(),
            send_counts: vec![0; p],
            recv_counts: vec![0; p],
            spikes_sent: 0,
            bytes_sent: 0,
        }
    }

    /// Collective. `needed`: the source gids this rank's synapses need;
    /// `owner(g)`: the rank holding neuron g; `n_gids`: neurons in the
    /// network; `epoch_steps`: the epoch length D of the loop.
    pub fn setup(
        &mut self,
        needed: &[u32],
        owner: &dyn Fn(u32) -> usize,
        n_gids: usize,
        epoch_steps: u64,
    ) {
        self.routes = Routes::build(self.comm, needed, owner, n_gids);
        self.epoch_steps = epoch_steps.max(1);
    }
}

impl Exchange for SpikeExchange<'_> {
    fn exchange(&mut self, first_step: u64, local: &[Spike], received: &mut Vec<Spike>) {
        let base = first_step;
        let packets = packet::encode(
            local,
            &self.routes,
            base,
            self.epoch_steps,
            &mut self.send_counts,
            &mut self.send,
        );
        debug_assert_eq!(self.send_counts[self.comm.rank()], 0, "never to self");
        self.spikes_sent += packets as u64;
        self.bytes_sent += (packets * PACKET_WORDS * 4) as u64;
        self.comm.all_to_all_v(
            &self.send,
            &self.send_counts,
            &mut self.recv,
            &mut self.recv_counts,
        );
        packet::decode(&self.recv, base, received);
    }

    fn all_min(&mut self, value: u64) -> u64 {
        self.comm.all_reduce(value, Reduce::Min)
    }

    fn all_max(&mut self, value: u64) -> u64 {
        self.comm.all_reduce(value, Reduce::Max)
    }

    fn rank(&self) -> (usize, usize) {
        (self.comm.rank(), self.comm.size())
    }
}
