//! Remembered results of a pure function the plastic rules spend their
//! time in (libm `exp`; `stdp_pl_synapse_hom`'s arithmetic is
//! `plastic::pl_hom`'s and uses no memo), so that a repeated argument skips the
//! call. A memo answers only for exactly the argument bits it computed
//! the answer for, so the double that comes out is the one the call would
//! give: results are unchanged bit for bit.
//!
//! - `KMemo`: one target's last K_minus lookup `k * exp((t - t_u) *
//!   inv_tau_minus)`; the synapses onto a target from sources that spiked
//!   in the same step with the same delay ask for the same value.
//!
//! Invariant: a memo is used with one `inv_tau_minus` (its chunk's
//! population), which is not part of the key; `PlasticStore::deliver` resets its memos when
//! `inv_tau_minus` differs from the one they were made with.

/// `x.powf(y)` where the result is exact by IEEE 754 (C Annex F):
/// `pow(x, 0) = 1` and `pow(x, 1) = x` for every x, without the call.
#[inline]
pub fn pow_exact(x: f64, y: f64) -> f64 {
    if y == 1.0 {
        x
    } else if y == 0.0 {
        1.0
    } else {
        x.powf(y)
    }
}

/// One target's last K_minus (see the module doc).
#[derive(Clone, Copy, Debug)]
pub struct KMemo {
    t: u64,
    k: u64,
    t_u: u64,
    value: f64,
}

impl Default for KMemo {
    /// 0 * exp(0 * x) = 0 for every finite x: the empty memo is exact.
    fn default() -> Self {
        KMemo {
            t: 0,
            k: 0,
            t_u: 0,
            value: 0.0,
        }
    }
}

impl KMemo {
    /// `k * ((t - t_u) * inv_tau_minus).exp()` (the grouping of
    /// `History::k_minus`), from the memo when the arguments are the last.
    #[inline]
    pub fn k_minus(&mut self, k: f64, t: f64, t_u: f64, inv_tau_minus: f64) -> f64 {
        let key = (t.to_bits(), k.to_bits(), t_u.to_bits());
        if key != (self.t, self.k, self.t_u) {
            (self.t, self.k, self.t_u) = key;
            self.value = k * ((t - t_u) * inv_tau_minus).exp();
        }
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memos_give_the_calls_doubles() {
        for w in [0.3f64, 1.0, 0.0, -0.0] {
            assert_eq!(pow_exact(w, 1.0).to_bits(), w.powf(1.0).to_bits());
            assert_eq!(pow_exact(w, 0.0).to_bits(), w.powf(0.0).to_bits());
        }
        let mut m = KMemo::default();
        let inv: f64 = 1.0 / 30.0;
        for (k, t, t_u) in [
            (0.0, 0.0, 0.0),
            (1.5, 10.1, 12.3),
            (1.5, 10.1, 12.3),
            (1.5, 10.1, 12.4),
        ] {
            let want = k * ((t - t_u) * inv).exp();
            assert_eq!(m.k_minus(k, t, t_u, inv).to_bits(), want.to_bits());
        }
    }
}
