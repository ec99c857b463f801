//! Exact-integration propagators for linear subthreshold dynamics (Rotter &
//! Diesmann 1999), shared by the LIF family.

/// Coefficient of the synaptic current in the membrane update over one step h:
/// the exact contribution of an exponentially decaying current (tau_syn) to a
/// leaky membrane (tau_m, C_m). Falls back to the degenerate-case limit when the
/// two time constants (nearly) coincide.
pub fn p21(tau_syn: f64, tau_m: f64, c_m: f64, h: f64) -> f64 {
    let beta = tau_syn * tau_m / (tau_m - tau_syn);
    let gamma = beta / c_m;
    let inv_beta = (tau_m - tau_syn) / (tau_syn * tau_m);
    // exp(-h/tau_m) - exp(-h/tau_syn) = exp(-h/tau_m) * (1 - exp(h/tau_m - h/tau_syn))
    let value = gamma * (-h / tau_m).exp() * -(-h * inv_beta).exp_m1();
    let degenerate = h / c_m * (-h / tau_m).exp();
    if value.is_finite()
        && value.abs() > f64::EPSILON * degenerate.abs()
        && (tau_m - tau_syn).abs() > 1e-12 * tau_m
    {
        value
    } else {
        degenerate
    }
}
