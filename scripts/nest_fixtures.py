"""Reference traces of single neurons from NEST 3.10, for sim/tests/nest_models.rs.

For each model (iaf_psc_exp, iaf_psc_alpha, iaf_psc_delta, iaf_cond_exp,
aeif_cond_exp, izhikevich, parrot_neuron) this runs one neuron in NEST 3.10.0
through PyNEST (resolution 0.1 ms, 300 ms, NEST's defaults except the
parameters listed in MODELS, I_e included), driven by two spike_generators
over static_synapses of delay 1.0 ms, one of positive and one of negative
weight (both positive for parrot_neuron, which ignores weights). A multimeter
(interval 0.1 ms) records every dynamic state variable NEST offers for the
model, a spike_recorder its spikes; both go to
sim/tests/fixtures/nest/<model>.json with the setup, floats at full precision.
The numeric defaults of every model (GetDefaults) go to defaults.json.
NEST is used as a black box only: no NEST code is copied.

NEST delivers a multimeter's samples of the last min-delay interval only
during the next simulation call, so the kernel runs T_STOP + 1 ms and the
samples and spikes after T_STOP are dropped (later steps cannot change them).

Weights are sums of few powers of two (brainsim adds event weights in a
2^-k pA fixed point, exact for these). Each setup is checked when it is made:
3..15 spikes, coincident inputs, an input arriving while the neuron is
refractory (or, without refractoriness, within 1.5 ms after a spike).

Regenerates every fixture (needs the virtualenv of `scripts/setup.sh --bench`):

    .venv/bin/python scripts/nest_fixtures.py
"""

import json
from pathlib import Path

import nest

DT = 0.1
T_STOP = 300.0
DELAY = 1.0
OUT = Path(__file__).resolve().parent.parent / "sim" / "tests" / "fixtures" / "nest"

EXACT = {"kind": "exact", "abs": 1e-9}
ADAPTIVE = {
    "kind": "adaptive",
    "rel": 1e-6,
    "scale_floor": 1.0,
    "note": "NEST integrates with GSL RKF45, adaptive substeps within each step",
}

# Irregular input times (ms, on the grid); 12.0, 88.0 and 150.0 coincide.
EXC_TIMES = [5.3, 12.0, 12.1, 26.9, 40.2, 61.7, 88.0, 90.4, 123.3, 150.0,
             150.1, 177.5, 201.0, 233.3, 270.8]
INH_TIMES = [9.6, 12.0, 33.3, 47.5, 71.1, 88.0, 104.9, 150.0, 188.2, 219.6,
             250.5, 281.4]


def exc_times(probe):
    """EXC_TIMES and `probe`: a time whose spike arrives 0.5 ms after one of
    the neuron's spikes (found by a run without it: a later input cannot move
    an earlier spike), so that it meets a refractory neuron."""
    return sorted(EXC_TIMES + [probe])


# Per model: parameters set (the rest are NEST's defaults), the recorded
# variables, the two generators' (spike times, weight) and the tolerance kind.
# Weights: pA for psc models, nS for conductance models (NEST: w > 0 adds to
# g_ex, w < 0 adds |w| to g_in), mV for iaf_psc_delta and izhikevich (added
# to V_m).
MODELS = {
    "iaf_psc_exp": {
        "params": {"tau_syn_ex": 2.0, "tau_syn_in": 5.0, "I_e": 400.0},
        "record": ["V_m", "I_syn_ex", "I_syn_in"],
        "exc": (exc_times(124.9), 250.0),
        "inh": (INH_TIMES, -300.0),
        "tolerance": EXACT,
    },
    "iaf_psc_alpha": {
        "params": {"tau_syn_ex": 2.0, "tau_syn_in": 5.0, "I_e": 400.0},
        "record": ["V_m", "I_syn_ex", "I_syn_in"],
        "exc": (exc_times(128.3), 200.0),
        "inh": (INH_TIMES, -150.0),
        "tolerance": EXACT,
    },
    "iaf_psc_delta": {
        "params": {"I_e": 400.0},
        "record": ["V_m"],
        "exc": (exc_times(123.8), 1.5),
        "inh": (INH_TIMES, -2.25),
        "tolerance": EXACT,
    },
    "iaf_cond_exp": {
        "params": {"I_e": 270.0},
        "record": ["V_m", "g_ex", "g_in"],
        "exc": (exc_times(125.4), 25.0),
        "inh": (INH_TIMES, -12.5),
        "tolerance": ADAPTIVE,
    },
    "aeif_cond_exp": {
        # NEST's default t_ref is 0: 2 ms exercises the refractory clamp.
        "params": {"t_ref": 2.0, "I_e": 800.0},
        "record": ["V_m", "g_ex", "g_in", "w"],
        "exc": (exc_times(126.7), 25.0),
        "inh": (INH_TIMES, -12.5),
        "tolerance": ADAPTIVE,
    },
    "izhikevich": {
        # No refractoriness: the probe arrives 0.5 ms after a spike.
        "params": {"I_e": 10.0},
        "record": ["V_m", "U_m"],
        "exc": (exc_times(115.6), 4.0),
        "inh": (INH_TIMES, -3.5),
        "tolerance": EXACT,
    },
    "parrot_neuron": {
        # Two events on one step twice: 12.0 and 88.0 in both generators,
        # 61.7 twice in one (NEST repeats the spike per event).
        "params": {},
        "record": [],
        "exc": ([5.3, 12.0, 12.1, 26.9, 40.2, 61.7, 61.7, 88.0, 150.0, 233.3],
                1.0),
        "inh": ([9.6, 12.0, 33.3, 88.0, 104.9, 219.6, 281.4], 1.0),
        "tolerance": EXACT,
    },
}


def simulate(model, setup):
    """Runs one neuron of `model`; returns (times, {var: trace}, spikes)."""
    nest.ResetKernel()
    nest.resolution = DT
    neuron = nest.Create(model, params=setup["params"])
    for times, weight in (setup["exc"], setup["inh"]):
        gen = nest.Create("spike_generator", params={"spike_times": times})
        nest.Connect(gen, neuron, syn_spec={
            "synapse_model": "static_synapse", "weight": weight, "delay": DELAY})
    recorder = nest.Create("spike_recorder")
    nest.Connect(neuron, recorder)
    meter = None
    if setup["record"]:
        meter = nest.Create("multimeter", params={
            "interval": DT, "record_from": setup["record"]})
        nest.Connect(meter, neuron)
    nest.Simulate(T_STOP + DELAY)
    spikes = [float(t) for t in recorder.events["times"] if t <= T_STOP + 1e-9]
    if meter is None:
        return [], {}, spikes
    ev = meter.events
    keep = [i for i, t in enumerate(ev["times"]) if t <= T_STOP + 1e-9]
    times = [float(ev["times"][i]) for i in keep]
    traces = {v: [float(ev[v][i]) for i in keep] for v in setup["record"]}
    return times, traces, spikes


def check_setup(model, setup, times, spikes):
    """The properties the tests rely on (see the module docstring)."""
    if model != "parrot_neuron":
        assert 3 <= len(spikes) <= 15, f"{model}: {len(spikes)} spikes"
    if times:
        assert len(times) == round(T_STOP / DT), f"{model}: {len(times)} samples"
    exc, inh = setup["exc"][0], setup["inh"][0]
    assert set(exc) & set(inh), f"{model}: no coincident inputs"
    if model == "parrot_neuron":
        return
    t_ref = setup["params"].get("t_ref", nest.GetDefaults(model).get("t_ref", 0.0))
    window = t_ref if t_ref > 0 else 1.5
    arrivals = [t + DELAY for t in exc + inh]
    hit = [a for a in arrivals for s in spikes if s < a <= s + window + 1e-9]
    assert hit, f"{model}: no input within {window} ms after a spike {spikes}"


def fixture(model, setup):
    """The fixture of `model` as a JSON-ready dict."""
    times, traces, spikes = simulate(model, setup)
    check_setup(model, setup, times, spikes)
    (exc, w_exc), (inh, w_inh) = setup["exc"], setup["inh"]
    return {
        "model": model,
        "nest_version": nest.__version__,
        "dt": DT,
        "t_stop": T_STOP,
        "params": setup["params"],
        "exc": {"times": exc, "weight": w_exc, "delay": DELAY},
        "inh": {"times": inh, "weight": w_inh, "delay": DELAY},
        "tolerance": setup["tolerance"],
        "times": times,
        "traces": traces,
        "spikes": spikes,
    }


def defaults():
    """NEST's default of every finite numeric parameter of each model
    (GetDefaults), for the check that brainsim declares the same defaults."""
    out = {}
    for model in MODELS:
        d = nest.GetDefaults(model)
        out[model] = {
            k: float(v)
            for k, v in d.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) != float("inf")
        }
    return out


def main():
    nest.set_verbosity("M_ERROR")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "defaults.json"
    path.write_text(json.dumps(defaults(), separators=(",", ":"), sort_keys=True) + "\n")
    print(f"{path}: parameter defaults")
    for model, setup in MODELS.items():
        data = fixture(model, setup)
        path = OUT / f"{model}.json"
        # json writes floats with repr: full precision, read back exactly.
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(f"{path}: {len(data['spikes'])} spikes, {len(data['times'])} samples")


if __name__ == "__main__":
    main()
