//! Routing tables of the targeted spike exchange: for each neuron a rank
//! owns, the other ranks that hold at least one of its synapses' targets.
//!
//! Built once after the network (`Routes::build`, collective): every rank
//! sends each owner the source gids it needs from it (one all-to-all-v); the
//! owner turns the requests into a CSR over gids. Memory: one u32 per gid of
//! the network plus one per (gid, requesting rank) pair.
//!
//! Invariant: a rank never routes to itself — the network delivers its own
//! spikes every local interval — so `dests(g)` lists other ranks only.

use super::Comm;

/// For each gid, the ranks that need its spikes (empty for gids owned by
/// other ranks).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routes {
    /// Ranks needing gid g: `ranks[start[g]..start[g + 1]]`.
    start: Vec<u32>,
    ranks: Vec<u32>,
}

impl Routes {
    /// Collective. `needed`: the source gids this rank's synapses need;
    /// `owner(g)`: the rank holding neuron g; `n_gids`: neurons in the network.
    pub fn build(
        comm: &dyn Comm,
        needed: &[u32],
        owner: &dyn Fn(u32) -> usize,
        n_gids: usize,
    ) -> Routes {
        let (me, p) = (comm.rank(), comm.size());
        let mut by_owner: Vec<Vec<u32>> = vec![Vec::new(); p];
        for &g in needed {
            let o = owner(g);
            if o != me {
                by_owner[o].push(g);
            }
        }
        let counts: Vec<usize> = by_owner.iter().map(Vec::len).collect();
        let send: Vec<u32> = by_owner.concat();
        let (mut recv, mut recv_counts) = (Vec::new(), vec![0; p]);
        comm.all_to_all_v(&send, &counts, &mut recv, &mut recv_counts);
        Routes::from_requests(&recv, &recv_counts, n_gids)
    }

    /// The table from the requests received: `recv` holds, rank by rank
    /// (`recv_counts[r]` gids from rank r), the gids each rank needs.
    pub fn from_requests(recv: &[u32], recv_counts: &[usize], n_gids: usize) -> Routes {
        let mut start = vec![0u32; n_gids + 1];
        for &g in recv {
            start[g as usize + 1] += 1;
        }
        for g in 0..n_gids {
            start[g + 1] += start[g];
        }
        let mut fill = start[..n_gids].to_vec();
        let mut ranks = vec![0u32; recv.len()];
        let mut i = 0;
        for (r, &c) in recv_counts.iter().enumerate() {
            for &g in &recv[i..i + c] {
                ranks[fill[g as usize] as usize] = r as u32;
                fill[g as usize] += 1;
            }
            i += c;
        }
        Routes { start, ranks }
    }

    /// The ranks needing the spikes of `gid`, in increasing order.
    #[inline]
    pub fn dests(&self, gid: u32) -> &[u32] {
        let g = gid as usize;
        match self.start.get(g + 1) {
            Some(&end) => &self.ranks[self.start[g] as usize..end as usize],
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comm::local::run_ranks;

    #[test]
    fn each_owner_learns_exactly_who_needs_its_neurons() {
        // 4 ranks, 8 gids, gid g owned by rank g % 4; rank r needs every gid
        // whose value is a multiple of r + 1.
        for p in 1..=4usize {
            let tables = run_ranks(p, |comm| {
                let me = comm.rank();
                let needed: Vec<u32> = (0..8).filter(|g| g % (me as u32 + 1) == 0).collect();
                Routes::build(comm, &needed, &|g| g as usize % p, 8)
            });
            for (owner, routes) in tables.iter().enumerate() {
                for g in 0..8u32 {
                    let want: Vec<u32> = if g as usize % p == owner {
                        (0..p as u32)
                            .filter(|&r| r as usize != owner && g % (r + 1) == 0)
                            .collect()
                    } else {
                        Vec::new()
                    };
                    assert_eq!(routes.dests(g), &want[..], "p {p} owner {owner} gid {g}");
                }
            }
        }
    }

    #[test]
    fn gids_beyond_the_table_have_no_destination() {
        let routes = Routes::from_requests(&[], &[0], 2);
        assert!(routes.dests(1).is_empty());
        assert!(routes.dests(7).is_empty());
    }
}
