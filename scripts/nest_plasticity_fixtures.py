"""Reference weight traces of plastic synapses from NEST 3.10, for the
plastic synapse models of issue 13 (stdp_synapse, stdp_pl_synapse_hom,
stdp_nn_symm_synapse, tsodyks2_synapse).

Each case connects two parrot_neurons by one plastic synapse and fixes both
spike trains: spike_generator(pre times - 1 ms) -> parrot_pre and
spike_generator(post times - 1 ms) -> parrot_post, over static_synapses of
delay 1.0 ms (a parrot re-emits a spike in the step it arrives, so the parrots
fire exactly at the listed times). The plastic synapse parrot_pre ->
parrot_post uses receptor_type 1, on which a parrot_neuron ignores input: the
post train stays the one given. parrot_neuron is an ArchivingNode in NEST 3.10
(it keeps the spike history and tau_minus that STDP synapses read), so no
spiking neuron with forced spikes is needed; see SEMANTICS.md next to the
fixtures.

Resolution 0.1 ms. The synapse model is a CopyModel of the NEST model with a
weight_recorder attached: NEST records (spike time stamp, transmitted weight)
every time the synapse transmits a spike, i.e. once per presynaptic spike
(NEST delivers a spike repeated in one step once per copy), after the update
(for tsodyks2_synapse the transmitted weight is x*u*weight, the PSC
amplitude). Times are NEST's stamps in ms (tics * 0.001: 52.300000000000004,
not 52.3). The run is cut into pieces so that after
each presynaptic spike has been delivered (at the start of the min-delay
slice after the one it was emitted in) and before the next is delivered,
GetStatus of the connection (Kplus, or u and x) and of the post parrot
(post_trace: the K_minus value the last update used; archiver_length: spikes
kept in its history) are read; None where two presynaptic spikes share a
delivery slice.

Each fixture, sim/tests/fixtures/nest/plasticity/<case>.json, holds: the
model, the connection's parameters as GetStatus reports them after setup
(shared ones of stdp_pl_synapse_hom from GetDefaults of the copied model),
the post neuron's tau_minus, delay, resolution, min/max delay, stdp_eps, the
pre spike times as they reach the synapse (parrot_pre's output, with
repetitions for a repeated spike), the post spike times (parrot_post's
output), "weights": [[t, w], ...] from the weight_recorder, "state_after"
(per presynaptic spike, see above), "initial" and "final" (GetStatus of the
connection before and after the run). Floats are written with repr: full
precision, read back exactly.

Checks: every case changes its weight (and for tsodyks2_synapse shows both
facilitation and depression where intended); the cases marked so clip at
Wmax and at 0; and the rules written in SEMANTICS.md, re-implemented here
independently (replay), reproduce every fixture: bit for bit is reported,
1e-13 relative is required. NEST is used as a black box only: no NEST code is
copied.

Regenerates every fixture (needs the virtualenv of `scripts/setup.sh --bench`):

    .venv/bin/python scripts/nest_plasticity_fixtures.py
"""

import json
import math
from pathlib import Path

import nest

DT = 0.1
GEN_DELAY = 1.0  # spike_generator -> parrot
# NEST's tolerance for comparing spike times in STDP (ConnectionManager's
# default; the kernel status does not report it).
STDP_EPS = 1.0e-6
OUT = (Path(__file__).resolve().parent.parent
       / "sim" / "tests" / "fixtures" / "nest" / "plasticity")

# --- Spike trains (ms), times at the synapse: parrot output times. --------
# Pre: irregular (A), a pre burst then post-after-pre cycles (B), post
# bursts before pre (C), a 520 ms silent gap of the pre train (580..1100)
# while post fires, a 450 ms silent gap of the post train (1050.5..1502)
# while pre fires, irregular (F).
PRE = [
    15.0, 31.2, 47.9, 52.3, 80.0, 96.4, 121.7, 140.0, 158.8, 190.1, 222.5,
    250.0, 271.3,                                          # A
    300.0, 301.0, 302.0, 303.0, 304.0, 320.0, 335.0, 350.0, 365.0, 380.0,
    395.0,                                                 # B
    458.0, 476.0, 496.0, 516.0, 530.0, 560.0, 580.0,       # C
    1100.0, 1130.3, 1162.0, 1200.0, 1251.7, 1300.0, 1355.5, 1400.0,
    1452.0,                                                # E
    1505.0, 1520.4, 1533.3, 1560.0, 1600.1, 1650.0, 1700.0,  # F
]
# Post: 2.0 and 9.5 precede the first pre spike; 47.9, 222.5 and 1650.0
# coincide with pre spikes; 51.3 = 52.3 - 1, 249.0 = 250 - 1, 77.0 = 80 - 3,
# 247.0 = 250 - 3 (coincident at the synapse for delay 1 resp. 3); 95.9,
# 121.8, 138.0, 1649.9 within 3 ms of a pre spike; 336.5 is repeated (two
# spikes in one step); bursts of 5 (450..454) and 7 (1691..1697) post spikes.
POST = [
    2.0, 9.5, 28.0, 47.9, 51.3, 77.0, 95.9, 101.0, 121.8, 138.0, 160.0,
    175.5, 188.0, 222.5, 247.0, 249.0, 280.0,              # A
    305.5, 306.5, 307.5,
    320.5, 321.5, 322.5, 335.5, 336.5, 336.5, 337.5, 350.5, 351.5, 352.5,
    365.5, 366.5, 367.5, 380.5, 381.5, 382.5,              # B
    450.0, 451.0, 452.0, 453.0, 454.0, 470.0, 471.0, 472.0, 490.0, 491.0,
    492.0, 510.0, 511.0, 512.0,                            # C
    610.0, 655.5, 700.0, 742.1, 800.0, 861.3, 900.0, 955.0, 1010.0,
    1050.5,                                                # D (pre silent)
    1502.0, 1510.0, 1521.0, 1540.0, 1558.0, 1590.0, 1610.0, 1649.9, 1650.0,
    1691.0, 1692.0, 1693.0, 1694.0, 1695.0, 1696.0, 1697.0,  # F
]
# Short-term plasticity: a 200 Hz and a 500 Hz burst, pauses of 650 and
# 670 ms, single spikes.
PRE_TSODYKS = [
    20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0, 60.0, 65.0, 100.0,
    150.0, 800.0, 802.0, 804.0, 806.0, 808.0, 830.0, 1500.0, 1503.1,
]
# Pre spikes repeated in one step (parrot_pre sends one event of
# multiplicity 2; NEST unrolls it into two deliveries to the synapse).
PRE_MULT = sorted(PRE[:13] + [52.3, 140.0])

STDP_COMMON = {"tau_plus": 20.0, "Wmax": 80.0}


def stdp_case(name, mu, lam, alpha, delay, extra=None, clip=("max", "zero")):
    params = dict(STDP_COMMON, mu_plus=mu, mu_minus=mu, alpha=alpha, **{"lambda": lam})
    params.update(extra or {})
    return {
        "name": name, "model": "stdp_synapse", "weight": 35.0,
        "delay": delay, "params": params, "tau_minus": 30.0,
        "pre": PRE, "post": POST, "clip": clip,
    }


CASES = [
    stdp_case("stdp_synapse_additive_d1", 0.0, 0.05, 0.8, 1.0),
    stdp_case("stdp_synapse_additive_d3", 0.0, 0.05, 0.8, 3.0),
    stdp_case("stdp_synapse_multiplicative_d1", 1.0, 0.4, 0.5, 1.0),
    stdp_case("stdp_synapse_multiplicative_d3", 1.0, 0.4, 0.5, 3.0),
    stdp_case("stdp_synapse_mu0.4_d1", 0.4, 0.1, 0.8, 1.0),
    # A nonzero initial Kplus: as if pre spikes had preceded t = 0.
    stdp_case("stdp_synapse_mu0.4_d3", 0.4, 0.1, 0.8, 3.0, extra={"Kplus": 0.75}),
    dict(stdp_case("stdp_synapse_multiplicity_d1", 0.0, 0.05, 0.8, 1.0, clip=()),
         pre=PRE_MULT, post=[t for t in POST if t < PRE_MULT[-1]]),
    {
        # The E->E synapses of NEST's hpc_benchmark example.
        "name": "stdp_pl_synapse_hom_hpc_d1.5", "model": "stdp_pl_synapse_hom",
        "weight": 32.29, "delay": 1.5, "params": {},
        "common": {"tau_plus": 15.0, "lambda": 0.1, "alpha": 0.0513, "mu": 0.4},
        "tau_minus": 30.0, "pre": PRE, "post": POST, "clip": (),
    },
    {
        "name": "stdp_pl_synapse_hom_d3", "model": "stdp_pl_synapse_hom",
        # Strong depression: clipped at 0 once, by the last burst.
        "weight": 1.0, "delay": 3.0, "params": {"Kplus": 0.5},
        "common": {"tau_plus": 20.0, "lambda": 0.1, "alpha": 1.9, "mu": 0.4},
        "tau_minus": 20.0, "pre": PRE, "post": POST, "clip": ("zero",),
    },
    {
        "name": "stdp_nn_symm_synapse_d1", "model": "stdp_nn_symm_synapse",
        "weight": 30.0, "delay": 1.0,
        "params": {"tau_plus": 15.0, "lambda": 0.5, "alpha": 1.1,
                   "mu_plus": 0.5, "mu_minus": 0.8, "Wmax": 60.0},
        "tau_minus": 25.0, "pre": PRE, "post": POST, "clip": ("max",),
    },
    {
        "name": "stdp_nn_symm_synapse_d3", "model": "stdp_nn_symm_synapse",
        "weight": 30.0, "delay": 3.0,
        "params": {"tau_plus": 15.0, "lambda": 0.4, "alpha": 1.5,
                   "mu_plus": 0.0, "mu_minus": 0.5, "Wmax": 60.0},
        "tau_minus": 25.0, "pre": PRE, "post": POST, "clip": ("max", "zero"),
    },
    {
        "name": "tsodyks2_synapse_facilitating", "model": "tsodyks2_synapse",
        "weight": 250.0, "delay": 1.0,
        "params": {"U": 0.1, "u": 0.1, "x": 1.0, "tau_rec": 120.0, "tau_fac": 300.0},
        "tau_minus": 20.0, "pre": PRE_TSODYKS, "post": [], "clip": (),
    },
    {
        # tau_fac = 0: no facilitation (u = U after the first spike); u and
        # x start away from U and 1.
        "name": "tsodyks2_synapse_depressing", "model": "tsodyks2_synapse",
        "weight": 250.0, "delay": 2.0,
        "params": {"U": 0.5, "u": 0.35, "x": 0.9, "tau_rec": 800.0, "tau_fac": 0.0},
        "tau_minus": 20.0, "pre": PRE_TSODYKS, "post": [], "clip": (),
    },
]

# Keys of a connection's GetStatus that are not parameters or state.
CONN_IDS = {"source", "target", "port", "receptor", "synapse_id", "synapse_model",
            "target_thread", "sizeof"}


def numeric(d, drop=()):
    return {k: float(v) for k, v in sorted(d.items())
            if k not in drop and isinstance(v, (int, float)) and not isinstance(v, bool)}


def gen_times(times):
    """spike_generator times that make a parrot fire at `times`."""
    return [round(t - GEN_DELAY, 1) for t in times]


def simulate(case):
    nest.ResetKernel()
    nest.resolution = DT
    pre_gen = nest.Create("spike_generator", params={"spike_times": gen_times(case["pre"])})
    post_gen = nest.Create("spike_generator", params={"spike_times": gen_times(case["post"])})
    pre = nest.Create("parrot_neuron")
    post = nest.Create("parrot_neuron", params={"tau_minus": case["tau_minus"]})
    nest.Connect(pre_gen, pre, syn_spec={"delay": GEN_DELAY})
    nest.Connect(post_gen, post, syn_spec={"delay": GEN_DELAY})

    wr = nest.Create("weight_recorder")
    model = case["model"] + "_rec"
    nest.CopyModel(case["model"], model, {"weight_recorder": wr})
    if "common" in case:
        nest.SetDefaults(model, case["common"])
    nest.Connect(pre, post, syn_spec=dict(
        case["params"], synapse_model=model, weight=case["weight"],
        delay=case["delay"], receptor_type=1))
    conn = nest.GetConnections(pre, post, synapse_model=model)
    assert len(conn) == 1
    pre_rec = nest.Create("spike_recorder")
    post_rec = nest.Create("spike_recorder")
    nest.Connect(pre, pre_rec)
    nest.Connect(post, post_rec)

    initial = numeric(conn.get(), CONN_IDS)
    common = {}
    if "common" in case:
        common = {k: float(nest.GetDefaults(model)[k]) for k in case["common"]}
    kernel = nest.GetKernelStatus()
    md_steps = round(kernel["min_delay"] / DT)

    # Pre spikes and the slice each is delivered in: a spike with stamp step
    # s was emitted in step s-1, the start of the next slice delivers it.
    steps = [round(t / DT) for t in case["pre"]]
    deliver = [(s - 1) // md_steps + 1 for s in steps]
    readings = []  # (slice, conn status, post status)
    done = 0
    for sl in sorted(set(deliver)):
        target = sl * md_steps + 1  # one step into the delivering slice
        nest.Simulate((target - done) * DT)
        done = target
        readings.append((sl, conn.get(), post.get()))
    t_end = max(case["pre"] + case["post"]) + max(case["delay"], GEN_DELAY) + 5.0
    nest.Simulate(round(t_end / DT) * DT - done * DT)
    final = numeric(conn.get(), CONN_IDS)

    state = []
    by_slice = {sl: (c, p) for sl, c, p in readings}
    for i, sl in enumerate(deliver):
        last_in_slice = i + 1 == len(deliver) or deliver[i + 1] != sl
        state.append(by_slice[sl] if last_in_slice else None)

    ev = wr.events
    weights = [[float(t), float(w)] for t, w in zip(ev["times"], ev["weights"])]
    pre_out = [float(t) for t in pre_rec.events["times"]]
    post_out = [float(t) for t in post_rec.events["times"]]
    for got, want in ((pre_out, case["pre"]), (post_out, case["post"])):
        assert len(got) == len(want) and all(abs(a - b) < 1e-9 for a, b in zip(got, want)), \
            (case["name"], got, want)
    assert len(weights) == len(steps), (case["name"], len(weights), len(steps))
    assert all(round(t / DT) == s for (t, _), s in zip(weights, steps))

    return {
        "kernel": {k: float(kernel[k]) for k in ("min_delay", "max_delay", "tics_per_ms",
                                                 "ms_per_tic")},
        "initial": initial, "common": common, "final": final,
        "weights": weights, "pre": pre_out, "post": post_out, "state": state,
        "post_status": numeric(post.get(), ()),
    }


def state_after(case, state):
    """Per presynaptic spike: the synapse's and post neuron's readable state."""
    if case["model"] == "tsodyks2_synapse":
        keys = {"u": lambda c, p: c["u"], "x": lambda c, p: c["x"]}
    elif case["model"] == "stdp_nn_symm_synapse":
        keys = {"archiver_length": lambda c, p: p["archiver_length"]}
    else:
        keys = {"Kplus": lambda c, p: c["Kplus"],
                "post_trace": lambda c, p: p["post_trace"],
                "archiver_length": lambda c, p: p["archiver_length"]}
    out = {}
    for k, f in keys.items():
        out[k] = [None if s is None else (int(f(*s)) if k == "archiver_length" else float(f(*s)))
                  for s in state]
    return out


# --- Independent re-implementation of SEMANTICS.md ------------------------

class History:
    """The post neuron's archive: (t, K_minus) per post spike, K_minus by the
    recursion of SEMANTICS.md section 2."""

    def __init__(self, post_times, tau_minus):
        self.inv = 1.0 / tau_minus
        self.entries = []
        k, last = 0.0, -1.0
        for t in post_times:
            k = k * math.exp((last - t) * self.inv) + 1.0
            last = t
            self.entries.append((t, k))

    def window(self, t1, t2, eps):
        return [e for e in self.entries if t1 + eps <= e[0] < t2 + eps]

    def before(self, t, eps):
        """Latest entry strictly (by more than eps) before t, or None."""
        for e in reversed(self.entries):
            if t - e[0] > eps:
                return e
        return None

    def k_value(self, t, eps):
        e = self.before(t, eps)
        return 0.0 if e is None else e[1] * math.exp((e[0] - t) * self.inv)

    def nn_value(self, t, eps):
        e = self.before(t, eps)
        return 0.0 if e is None else math.exp((e[0] - t) * self.inv)


def replay(case, fx):
    """Weights after each pre spike by SEMANTICS.md; also counts clippings."""
    p = dict(fx["params"], **fx["common"])
    d, eps = fx["delay"], fx["stdp_eps"]
    hist = History(fx["post_times"], fx["tau_minus"])
    model = case["model"]
    clips = {"max": 0, "zero": 0}
    w = fx["initial"]["weight"]
    out = []
    if model == "tsodyks2_synapse":
        u, x, t_last = fx["initial"]["u"], fx["initial"]["x"], -1.0
        U, tr, tf = p["U"], p["tau_rec"], p["tau_fac"]
        for t in fx["pre_times"]:
            if t_last >= 0.0:
                h = t - t_last
                xd = math.exp(-h / tr)
                ud = 0.0 if tf == 0 else math.exp(-h / tf)
                x = 1.0 + (x - x * u - 1.0) * xd
                u = U + u * (1.0 - U) * ud
            out.append(x * u * w)
            t_last = t
        return out, clips

    lam, alpha = p["lambda"], p["alpha"]

    def fac(w, k):
        if model == "stdp_pl_synapse_hom":
            return w + lam * math.pow(w, p["mu"]) * k
        n = w / p["Wmax"] + lam * math.pow(1.0 - w / p["Wmax"], p["mu_plus"]) * k
        if n < 1.0:
            return n * p["Wmax"]
        clips["max"] += 1
        return p["Wmax"]

    def dep(w, k):
        if model == "stdp_pl_synapse_hom":
            n = w - lam * alpha * w * k
            if n > 0.0:
                return n
            clips["zero"] += 1
            return 0.0
        n = w / p["Wmax"] - alpha * lam * math.pow(w / p["Wmax"], p["mu_minus"]) * k
        if n > 0.0:
            return n * p["Wmax"]
        clips["zero"] += 1
        return 0.0

    kplus = fx["initial"].get("Kplus", 0.0)
    t_last = 0.0
    for t in fx["pre_times"]:
        for tq, _ in hist.window(t_last - d, t - d, eps):
            minus_dt = t_last - (tq + d)
            if model == "stdp_synapse":
                w = fac(w, kplus * math.exp(minus_dt / p["tau_plus"]))
            elif model == "stdp_pl_synapse_hom":
                w = fac(w, kplus * math.exp(minus_dt * (1.0 / p["tau_plus"])))
            else:
                w = fac(w, math.exp(minus_dt / p["tau_plus"]))
        if model == "stdp_nn_symm_synapse":
            w = dep(w, hist.nn_value(t - d, eps))
        else:
            w = dep(w, hist.k_value(t - d, eps))
        out.append(w)
        if model == "stdp_synapse":
            kplus = kplus * math.exp((t_last - t) / p["tau_plus"]) + 1.0
        elif model == "stdp_pl_synapse_hom":
            kplus = kplus * math.exp((t_last - t) * (1.0 / p["tau_plus"])) + 1.0
        t_last = t
    return out, clips


def fixture(case):
    r = simulate(case)
    params = {k: v for k, v in r["initial"].items()
              if k not in ("weight", "Kplus", "u", "x", "delay")}
    init_state = {k: v for k, v in r["initial"].items()
                  if k in ("weight", "Kplus", "u", "x")}
    return {
        "case": case["name"],
        "model": case["model"],
        "nest_version": nest.__version__,
        "dt": DT,
        "tics_per_ms": r["kernel"]["tics_per_ms"],
        "min_delay": r["kernel"]["min_delay"],
        "max_delay": r["kernel"]["max_delay"],
        "ms_per_tic": r["kernel"]["ms_per_tic"],
        "stdp_eps": STDP_EPS,
        "delay": r["initial"]["delay"],
        "receptor_type": 1,
        "tau_minus": r["post_status"]["tau_minus"],
        "params": params,
        "common": r["common"],
        "initial": init_state,
        "pre_times": r["pre"],
        "post_times": r["post"],
        "weights": r["weights"],
        "state_after": state_after(case, r["state"]),
        "final": {k: v for k, v in r["final"].items() if k != "delay"},
        "tolerance": {"kind": "relative", "rel": 1e-12},
    }


def check(case, fx):
    """Sanity of the case; returns a one-line summary."""
    ws = [w for _, w in fx["weights"]]
    name, model = case["name"], case["model"]
    w0 = fx["initial"]["weight"]
    assert len(set(ws + [w0])) > len(ws) // 2, f"{name}: weights barely change"
    mine, clips = replay(case, fx)
    assert len(mine) == len(ws)
    rel = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(mine, ws))
    exact = all(a == b for a, b in zip(mine, ws))
    assert rel <= 1e-13, f"{name}: SEMANTICS.md replay differs by {rel:.3g} relative"
    extra = ""
    if model == "tsodyks2_synapse":
        steps = [b - a for a, b in zip(ws, ws[1:])]
        up, down = sum(s > 0 for s in steps), sum(s < 0 for s in steps)
        assert down > 0, f"{name}: no depression"
        if fx["params"]["tau_fac"] > 0:
            assert up > 0, f"{name}: no facilitation"
        else:
            u = [v for v in fx["state_after"]["u"][1:] if v is not None]
            assert all(v == fx["params"]["U"] for v in u), f"{name}: u != U"
        extra = f"amplitude up {up}x, down {down}x"
    else:
        for kind in case["clip"]:
            assert clips[kind] > 0, f"{name}: never clipped at {kind}"
        wmax = fx["params"].get("Wmax")
        extra = f"clipped at 0 {clips['zero']}x (recorded 0: {sum(w == 0.0 for w in ws)}x)"
        if wmax is not None:
            extra += (f", at Wmax {clips['max']}x (recorded Wmax: "
                      f"{sum(w == wmax for w in ws)}x)")
    return (f"{len(ws)} pre spikes, {len(fx['post_times'])} post spikes, w {w0:g} -> "
            f"{ws[-1]:.6g} (range {min(ws):.6g}..{max(ws):.6g}); {extra}; replay "
            f"{'bit-identical' if exact else f'max rel diff {rel:.2g}'}")


def main():
    nest.verbosity = nest.VerbosityLevel.ERROR
    OUT.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        fx = fixture(case)
        summary = check(case, fx)
        path = OUT / f"{case['name']}.json"
        path.write_text(json.dumps(fx, separators=(",", ":")) + "\n")
        print(f"{path.name}: {summary}")


if __name__ == "__main__":
    main()
