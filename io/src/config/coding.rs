//! Validation of the `[[stimulus]]` devices of rate and temporal coding:
//! `inhomogeneous_poisson_generator` (`rate_times`, `rate_values`),
//! `step_current_generator` (`amplitude_times`, `amplitude_values`,
//! `delay`), `rate_encoder` and `latency_encoder` (a table: `times`,
//! `values`, optional `dimension` mapping), and the keys of a
//! `spike_generator` with `spikes_file` (the file itself is read by
//! `spike_file` once the whole config is valid).
//!
//! Change times follow NEST (allow_offgrid_times = true): finite, >= 0, on
//! the dt grid (to 1e-6 of a step) or else rounded up to the end of their
//! step, and strictly increasing after rounding. NEST requires t > 0; 0 is
//! accepted here (the value then holds from the start).

use brainsim_sim::spec::{InputTable, StimulusKind};
use brainsim_sim::stimulus::coding::encoder_rate_hz;

use super::inputs::{stimulus_delay, stimulus_owner, stimulus_weight, MAX_EVENTS_PER_STEP};
use super::raw::RawStimulus;
use super::validate::Ctx;
use super::values::{self, finite, invalid, join, non_negative, positive, required, Check};

/// Change times at `field` on the grid of `dt` (see the module docs).
fn change_times(field: &str, times: &[f64], dt: f64) -> Check<Vec<f64>> {
    if times.is_empty() {
        return invalid(field, "must not be empty");
    }
    let mut out: Vec<f64> = Vec::with_capacity(times.len());
    for (k, &t) in times.iter().enumerate() {
        let at = format!("{field}[{k}]");
        non_negative(&at, t)?;
        let on = if values::on_grid(t, dt) {
            t
        } else {
            (t / dt).ceil() * dt
        };
        if let Some(&prev) = out.last() {
            if (on / dt).round() <= (prev / dt).round() {
                return invalid(
                    at,
                    format!(
                        "{t} ms is not after the previous time ({}) on the dt = {dt} ms grid; \
                         times must be strictly increasing (off-grid times are rounded up to the end of their step)",
                        times[k - 1]
                    ),
                );
            }
        }
        out.push(on);
    }
    Ok(out)
}

/// `len` entries at `field` must match the `n` times of `times_key`.
fn same_length(field: &str, len: usize, times_key: &str, n: usize) -> Check<()> {
    if len == n {
        return Ok(());
    }
    invalid(
        field,
        format!("has {len} entries but `{times_key}` has {n} times (one value per time)"),
    )
}

/// A Poisson rate (Hz) at `field`: >= 0 and at most `MAX_EVENTS_PER_STEP`
/// events per step (as a poisson_generator's).
fn poisson_rate(ctx: &Ctx, field: &str, rate: f64) -> Check<f64> {
    non_negative(field, rate)?;
    let lambda = rate * ctx.sim.dt / 1000.0;
    if lambda > MAX_EVENTS_PER_STEP {
        return invalid(
            field,
            format!(
                "{rate} Hz is {lambda:.3e} events per target and step of {} ms; at most {MAX_EVENTS_PER_STEP}",
                ctx.sim.dt
            ),
        );
    }
    Ok(rate)
}

pub(crate) fn inhomogeneous_poisson_generator(
    ctx: &Ctx,
    at: &str,
    r: &RawStimulus,
) -> Check<StimulusKind> {
    let owner = stimulus_owner(r);
    let allowed = ["rate_times", "rate_values", "weight", "delay", "receptor"];
    values::only_keys(at, &r.present_keys(), &allowed, &owner)?;
    let tf = join(at, "rate_times");
    let rate_times = change_times(
        &tf,
        required(&tf, r.rate_times.as_deref(), &owner)?,
        ctx.sim.dt,
    )?;
    let vf = join(at, "rate_values");
    let rates = required(&vf, r.rate_values.as_deref(), &owner)?;
    same_length(&vf, rates.len(), "rate_times", rate_times.len())?;
    for (k, &rate) in rates.iter().enumerate() {
        poisson_rate(ctx, &format!("{vf}[{k}]"), rate)?;
    }
    Ok(StimulusKind::InhomogeneousPoissonGenerator {
        rate_times,
        rate_values: rates.to_vec(),
        weight: stimulus_weight(at, r, &owner)?,
        delay: stimulus_delay(ctx, at, r.delay)?,
    })
}

pub(crate) fn step_current_generator(ctx: &Ctx, at: &str, r: &RawStimulus) -> Check<StimulusKind> {
    let owner = stimulus_owner(r);
    let allowed = ["amplitude_times", "amplitude_values", "delay"];
    values::only_keys(at, &r.present_keys(), &allowed, &owner)?;
    let tf = join(at, "amplitude_times");
    let times = required(&tf, r.amplitude_times.as_deref(), &owner)?;
    let amplitude_times = change_times(&tf, times, ctx.sim.dt)?;
    let vf = join(at, "amplitude_values");
    let amps = required(&vf, r.amplitude_values.as_deref(), &owner)?;
    same_length(&vf, amps.len(), "amplitude_times", amplitude_times.len())?;
    for (k, &a) in amps.iter().enumerate() {
        finite(&format!("{vf}[{k}]"), a)?;
    }
    Ok(StimulusKind::StepCurrentGenerator {
        amplitude_times,
        amplitude_values: amps.to_vec(),
        delay: stimulus_delay(ctx, at, r.delay)?,
    })
}

/// An encoder's table: `times`, `values` (one vector per time, all of one
/// length) and the optional `dimension` mapping (each entry a component;
/// its length is checked against the targets by `check_targets`).
fn table(ctx: &Ctx, at: &str, r: &RawStimulus, owner: &str) -> Check<InputTable> {
    let tf = join(at, "times");
    let times = change_times(&tf, required(&tf, r.times.as_deref(), owner)?, ctx.sim.dt)?;
    let vf = join(at, "values");
    let values = required(&vf, r.values.as_deref(), owner)?;
    same_length(&vf, values.len(), "times", times.len())?;
    let dim = values[0].len();
    for (j, v) in values.iter().enumerate() {
        if dim == 0 {
            return invalid(format!("{vf}[0]"), "a vector needs at least one component");
        }
        if v.len() != dim {
            let message = format!("has {} components but values[0] has {dim}", v.len());
            return invalid(format!("{vf}[{j}]"), message);
        }
        for (c, &x) in v.iter().enumerate() {
            finite(&format!("{vf}[{j}][{c}]"), x)?;
        }
    }
    let components = match &r.dimension {
        None => None,
        Some(d) => Some(components(&join(at, "dimension"), d, dim)?),
    };
    Ok(InputTable {
        times,
        values: values.to_vec(),
        components,
    })
}

/// The `dimension` mapping: one component (0..dim) per target.
fn components(field: &str, d: &[i64], dim: usize) -> Check<Vec<u32>> {
    d.iter()
        .enumerate()
        .map(|(k, &c)| {
            if (0..dim as i64).contains(&c) {
                Ok(c as u32)
            } else {
                invalid(
                    format!("{field}[{k}]"),
                    format!(
                        "component {c} is out of range: the vectors have {dim} components (0..={})",
                        dim - 1
                    ),
                )
            }
        })
        .collect()
}

pub(crate) fn rate_encoder(ctx: &Ctx, at: &str, r: &RawStimulus) -> Check<StimulusKind> {
    let owner = stimulus_owner(r);
    let allowed = [
        "times",
        "values",
        "dimension",
        "gain",
        "offset",
        "weight",
        "delay",
        "receptor",
    ];
    values::only_keys(at, &r.present_keys(), &allowed, &owner)?;
    let table = table(ctx, at, r, &owner)?;
    let gf = join(at, "gain");
    let gain = finite(&gf, required(&gf, r.gain, &owner)?)?;
    let offset = finite(&join(at, "offset"), r.offset.unwrap_or(0.0))?;
    for (j, v) in table.values.iter().enumerate() {
        for (c, &x) in v.iter().enumerate() {
            let rate = encoder_rate_hz(gain, offset, x);
            poisson_rate(ctx, &format!("{at}.values[{j}][{c}]"), rate).map_err(|mut e| {
                e.message = format!("gain * x + offset: {}", e.message);
                e
            })?;
        }
    }
    Ok(StimulusKind::RateEncoder {
        table,
        gain,
        offset,
        weight: stimulus_weight(at, r, &owner)?,
        delay: stimulus_delay(ctx, at, r.delay)?,
    })
}

pub(crate) fn latency_encoder(ctx: &Ctx, at: &str, r: &RawStimulus) -> Check<StimulusKind> {
    let owner = stimulus_owner(r);
    let allowed = [
        "times",
        "values",
        "dimension",
        "tau",
        "threshold",
        "weight",
        "delay",
        "receptor",
    ];
    values::only_keys(at, &r.present_keys(), &allowed, &owner)?;
    let table = table(ctx, at, r, &owner)?;
    let tf = join(at, "tau");
    let tau = positive(&tf, required(&tf, r.tau, &owner)?)?;
    let hf = join(at, "threshold");
    let threshold = non_negative(&hf, required(&hf, r.threshold, &owner)?)?;
    Ok(StimulusKind::LatencyEncoder {
        table,
        tau,
        threshold,
        weight: stimulus_weight(at, r, &owner)?,
        delay: stimulus_delay(ctx, at, r.delay)?,
    })
}

/// A spike_generator replaying a spikes file: its keys only (the trains
/// are read by `spike_file::load_spike_files`). The file's node ids choose
/// the targets, so `node_ids` does not apply.
pub(crate) fn spike_file_generator(ctx: &Ctx, at: &str, r: &RawStimulus) -> Check<StimulusKind> {
    let owner = "a spike_generator with spikes_file";
    let allowed = ["spikes_file", "population", "weight", "delay", "receptor"];
    values::only_keys(at, &r.present_keys(), &allowed, owner)?;
    if r.node_ids.is_some() {
        return invalid(
            join(at, "node_ids"),
            "`node_ids` does not apply to a spike_generator with spikes_file (the file's node ids are the targets)",
        );
    }
    let file = r.spikes_file.clone().unwrap_or_default();
    if file.is_empty() {
        return invalid(join(at, "spikes_file"), "must not be empty");
    }
    if r.population.as_deref() == Some("") {
        return invalid(join(at, "population"), "must not be empty");
    }
    Ok(StimulusKind::SpikeTrains {
        file,
        population: r.population.clone().unwrap_or_default(),
        trains: Vec::new(),
        weight: stimulus_weight(at, r, owner)?,
        delay: stimulus_delay(ctx, at, r.delay)?,
    })
}

/// Checks that need the stimulus's targets (`n_targets` of them): an
/// encoder's `dimension` mapping has one entry per target.
pub(crate) fn check_targets(at: &str, kind: &StimulusKind, n_targets: usize) -> Check<()> {
    let table = match kind {
        StimulusKind::RateEncoder { table, .. } | StimulusKind::LatencyEncoder { table, .. } => {
            table
        }
        _ => return Ok(()),
    };
    match &table.components {
        Some(c) if c.len() != n_targets => invalid(
            join(at, "dimension"),
            format!(
                "has {} entries but the stimulus has {n_targets} targets (one component per target, in ascending node id order)",
                c.len()
            ),
        ),
        _ => Ok(()),
    }
}
