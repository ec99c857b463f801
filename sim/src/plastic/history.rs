//! The post-synaptic spike history of one neuron (NEST's archiving node):
//! every spike's step stamp, its time in ms, and the trace K_minus just
//! after it (`K = K * exp((t_prev - t) * (1 / tau_minus)) + 1`). Plastic
//! synapses onto the neuron read it at their pre-synaptic spikes.
//!
//! Lookups compare integer step stamps, which is exactly NEST's comparison
//! of grid times with its 1e-6 ms tolerance: the window (lo, hi] is the
//! entries with lo < stamp <= hi, and "strictly before u" is stamp < u.
//!
//! Invariant: entries are appended in stamp order (a neuron's spikes come
//! out of its updates in step order; a spike of multiplicity m is m
//! entries). Trimming (`trim_before`) keeps the last entry before the
//! cut, so a lookup at or after the cut finds what it would have found.

/// One post-synaptic spike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    /// Its stamp in steps (the spike of step s has stamp s + 1).
    pub stamp: i64,
    /// The stamp in ms (NEST's double, `Clock::stamp_ms`).
    pub t: f64,
    /// K_minus just after this spike.
    pub k: f64,
}

/// One neuron's history (see the module doc).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    entries: Vec<Entry>,
}

impl History {
    /// Appends a spike stamped `stamp` (`t` ms); `inv_tau_minus` =
    /// 1 / tau_minus, as NEST precomputes it.
    pub fn push(&mut self, stamp: i64, t: f64, inv_tau_minus: f64) {
        let k = match self.entries.last() {
            Some(last) => last.k * ((last.t - t) * inv_tau_minus).exp() + 1.0,
            None => 1.0,
        };
        self.entries.push(Entry { stamp, t, k });
    }

    /// The entries with `lo < stamp <= hi`, oldest first.
    pub fn window(&self, lo: i64, hi: i64) -> &[Entry] {
        let a = self.entries.partition_point(|e| e.stamp <= lo);
        let b = self.entries.partition_point(|e| e.stamp <= hi);
        &self.entries[a..b.max(a)]
    }

    /// `window(lo, hi)` and `before(hi)` in one walk back from the newest
    /// entry (no binary search): a lookup's `hi` is at most a delay and an
    /// epoch behind the newest spike, and the window's entries are read
    /// anyway, so the walk is as long as what it returns.
    #[inline]
    pub fn lookup(&self, lo: i64, hi: i64) -> (&[Entry], Option<&Entry>) {
        let e = &self.entries;
        let mut b = e.len();
        while b > 0 && e[b - 1].stamp > hi {
            b -= 1;
        }
        let mut a = b;
        while a > 0 && e[a - 1].stamp > lo {
            a -= 1;
        }
        // Entries stamped hi are in the window but not before hi.
        let mut j = b;
        while j > 0 && e[j - 1].stamp >= hi {
            j -= 1;
        }
        (&e[a..b], j.checked_sub(1).map(|j| &e[j]))
    }

    /// The latest entry strictly before stamp `u`, if any.
    pub fn before(&self, u: i64) -> Option<&Entry> {
        let i = self.entries.partition_point(|e| e.stamp < u);
        i.checked_sub(1).map(|i| &self.entries[i])
    }

    /// K_minus at stamp `u` (`t_u` ms): the trace just before any spike at
    /// `u`, 0 without an earlier spike (NEST's `get_K_value`).
    pub fn k_minus(&self, u: i64, t_u: f64, inv_tau_minus: f64) -> f64 {
        self.before(u)
            .map_or(0.0, |e| e.k * ((e.t - t_u) * inv_tau_minus).exp())
    }

    /// The nearest-neighbour trace at stamp `u`: `exp((t_i - t_u) /
    /// tau_minus)` of the latest spike strictly before `u`, else 0.
    pub fn nearest(&self, u: i64, t_u: f64, inv_tau_minus: f64) -> f64 {
        self.before(u)
            .map_or(0.0, |e| ((e.t - t_u) * inv_tau_minus).exp())
    }

    /// Drops the entries no lookup at a stamp >= `cut` needs: all but the
    /// last one before `cut` among those at or before it.
    pub fn trim_before(&mut self, cut: i64) {
        let from = self.entries.len() - self.needed_from(cut).len();
        self.entries.drain(..from);
    }

    /// The entries `trim_before(cut)` keeps.
    pub fn needed_from(&self, cut: i64) -> &[Entry] {
        let i = self.entries.partition_point(|e| e.stamp < cut);
        &self.entries[i.saturating_sub(1)..]
    }

    /// Spikes held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No spike held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Replaces the entries (a checkpoint's), which must be in stamp order.
    pub fn set_entries(&mut self, entries: Vec<Entry>) {
        self.entries = entries;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_window_and_before() {
        let mut h = History::default();
        for s in [3, 5, 5, 9, 12, 12, 20] {
            h.push(s, s as f64 * 0.1, 1.0 / 30.0);
        }
        for lo in -2..24 {
            for hi in -2..24 {
                let (w, b) = h.lookup(lo, hi);
                assert_eq!(w, h.window(lo, hi), "window ({lo}, {hi}]");
                assert_eq!(b, h.before(hi), "before {hi}");
            }
        }
    }
}
