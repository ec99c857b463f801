"""Reference values from Nengo 4.x for brainsim's NEF foundations
(sim/tests/nengo_*.rs: the `nengo_lif` neuron model and `sim/src/nef/`).

Writes JSON files to sim/tests/fixtures/nengo/, floats at full precision
(Python's repr: they parse back to the same doubles):

- lif_dt1ms.json, lif_dt0.1ms.json: LIF neurons run in nengo.Simulator, each
  driven by a Node through a connection onto `ens.neurons` (synapse None,
  gain 1, so the neuron input is J = bias + u exactly, which is checked
  here). Per neuron: the input u of every step, its bias, initial voltage
  and Nengo's probed voltage and refractory_time after every step, and the
  steps at which it spiked (Nengo's output is amplitude / dt there, 0
  elsewhere; checked here). Inputs: piecewise constant (just above
  threshold, silent, saturating), ramps, sines and Gaussian noise (J below
  0 too, so the voltage floor acts), two parameter sets.
  NumPy computes expm1 and log1p of arrays with its own SIMD code where the
  CPU has AVX-512 (a few ulp from the C library's, which NumPy uses
  elsewhere and Rust always), so the same Nengo gives other last bits on
  another CPU. The traces are therefore made in a child process with
  NumPy's AVX-512 dispatch switched off (NPY_DISABLE_CPU_FEATURES): they
  are Nengo's results on any CPU without AVX-512 (and glibc's functions).
  The same runs with NumPy's default dispatch are compared with them here,
  and what differs is stored under "native": the CPU features NumPy used,
  every value that differs (group, neuron, step, variable, value) and the
  spike steps of each neuron when any differ.
- gain_bias.json: LIFRate.gain_bias for given max_rates and intercepts, and
  LIFRate.max_rates_intercepts of the result, for two parameter sets.
- rates.json: LIFRate.rates(J, gain 1, bias 0) for given J.
- decoders.json: small ensembles built by Nengo (seeded): the gains,
  biases, unit encoders, eval points, radius, Nengo's activity matrix A
  (nengo.builder.ensemble.get_activities) and the decoders Nengo's default
  solver (LstsqL2, reg 0.1) gives for the identity and the square, read from
  the built connections (sim.data[conn].weights, transposed to
  neurons x outputs). One ensemble has fewer eval points than neurons, so
  Nengo's Cholesky solver takes its transposed branch.
- representation.json: the RMSE of the identity decoders of Nengo's default
  ensembles on their eval points, 20 seeds each of three sizes (what our own
  ensembles are compared with, statistically).
These four are made with NumPy's default dispatch (their tests allow 1e-12
relative for rates, gains and biases, 1e-8 for decoders).

Nengo is used as a black box: no Nengo code is copied into brainsim.

Regenerate (after `scripts/setup.sh`, which installs nengo into .venv):

    .venv/bin/python scripts/nengo_fixtures.py
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import nengo
from nengo.builder.ensemble import get_activities

OUT = Path(__file__).resolve().parent.parent / "sim" / "tests" / "fixtures" / "nengo"


def lif_params(lif):
    """A LIF's parameters in Nengo's units (seconds)."""
    return {
        "tau_rc": lif.tau_rc,
        "tau_ref": lif.tau_ref,
        "min_voltage": lif.min_voltage,
        "amplitude": lif.amplitude,
    }


def run_lif_group(lif, dt, u, bias, v0):
    """Runs len(bias) neurons of type `lif` for u.shape[1] steps of `dt` s,
    neuron i driven by u[i, k] in step k; returns the group's record."""
    n, steps = u.shape
    lif = type(lif)(**lif_params(lif), initial_state={"voltage": np.array(v0)})
    with nengo.Network(seed=0) as net:
        ens = nengo.Ensemble(
            n, 1, neuron_type=lif, gain=np.ones(n), bias=np.array(bias)
        )
        drive = nengo.Node(lambda t: u[:, int(round(t / dt)) - 1], size_out=n)
        nengo.Connection(drive, ens.neurons, synapse=None)
        probes = {
            key: nengo.Probe(ens.neurons, key)
            for key in ("input", "output", "voltage", "refractory_time")
        }
    with nengo.Simulator(net, dt=dt, progress_bar=False, optimize=True) as sim:
        sim.run_steps(steps)
    data = {key: sim.data[p].T for key, p in probes.items()}
    # The neuron input is exactly bias + u (gain 1): what brainsim computes.
    assert np.array_equal(data["input"], np.array(bias)[:, None] + u)
    spike = lif.amplitude / dt
    assert np.all((data["output"] == 0) | (data["output"] == spike))
    neurons = []
    for i in range(n):
        spikes = np.flatnonzero(data["output"][i]).tolist()
        assert len(spikes) >= 3, f"neuron {i}: {len(spikes)} spikes"
        neurons.append(
            {
                "bias": bias[i],
                "v0": v0[i],
                "u": u[i].tolist(),
                "voltage": data["voltage"][i].tolist(),
                "refractory_time": data["refractory_time"][i].tolist(),
                "spikes": spikes,
            }
        )
    return {"params": lif_params(lif), "spike_output": spike, "neurons": neurons}


def lif_fixture_1ms():
    rng = np.random.RandomState(1)
    dt, steps = 0.001, 2000
    t = np.arange(steps) * dt
    # Piecewise constant: above threshold, just above (long integration),
    # silent, saturating (refractory periods ending mid-step).
    pieces = np.repeat([1.5, 1.02, 0.0, 8.0], steps // 4)
    default = [
        (pieces, 0.0, 0.0),
        (np.linspace(-1.0, 6.0, steps), 0.0, 0.5),
        (rng.normal(0.5, 2.0, steps), 1.2, 0.9),  # J < 0 often: the floor
        (30.0 + rng.normal(0.0, 5.0, steps), 0.0, 0.25),
    ]
    other = [
        (2.0 + 3.0 * np.sin(2 * np.pi * 3.0 * t), -0.2, 0.1),
        (rng.normal(1.5, 4.0, steps), 0.3, -0.4),
    ]
    groups = []
    for lif, rows in [
        (nengo.LIF(), default),
        (nengo.LIF(tau_rc=0.05, tau_ref=0.0025, min_voltage=-0.5, amplitude=0.3), other),
    ]:
        u = np.array([r[0] for r in rows])
        groups.append(run_lif_group(lif, dt, u, [r[1] for r in rows], [r[2] for r in rows]))
    return {"dt": dt, "steps": steps, "groups": groups}


def lif_fixture_01ms():
    rng = np.random.RandomState(2)
    dt, steps = 0.0001, 2000
    u = np.array([np.full(steps, 10.0), rng.normal(6.0, 4.0, steps)])
    group = run_lif_group(nengo.LIF(tau_ref=0.00125), dt, u, [0.0, 0.5], [0.0, 0.7])
    return {"dt": dt, "steps": steps, "groups": [group]}


LIF_FIXTURES = {"lif_dt1ms.json": lif_fixture_1ms, "lif_dt0.1ms.json": lif_fixture_01ms}


def avx512_targets():
    """NumPy's dispatch targets that use AVX-512 on this CPU."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    return [
        t for t in __cpu_dispatch__
        if ("AVX512" in t or t == "X86_V4") and __cpu_features__.get(t)
    ]


def lif_without_avx512():
    """The LIF fixtures as a child process makes them with NumPy's AVX-512
    code switched off (C library expm1 and log1p)."""
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=" ".join(avx512_targets()))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lif.json"
        subprocess.run([sys.executable, __file__, "--lif", str(out)], env=env, check=True)
        return json.loads(out.read_text())


def native_differences(plain, native):
    """What NumPy's default dispatch changes in the LIF fixture `plain`."""
    values, spikes, max_abs = [], {}, 0.0
    for gi, (g, h) in enumerate(zip(plain["groups"], native["groups"])):
        for ni, (a, b) in enumerate(zip(g["neurons"], h["neurons"])):
            assert a["u"] == b["u"]
            for var in ("voltage", "refractory_time"):
                for k, (x, y) in enumerate(zip(a[var], b[var])):
                    if x != y:
                        values.append([gi, ni, k, var, y])
                        max_abs = max(max_abs, abs(x - y))
            if a["spikes"] != b["spikes"]:
                spikes[f"{gi}/{ni}"] = b["spikes"]
    return {
        "numpy_avx512": avx512_targets(),
        "max_abs": max_abs,
        "values": values,
        "spikes": spikes,
    }


def gain_bias_fixture(rng):
    cases = []
    for rate_type in [nengo.LIFRate(), nengo.LIFRate(tau_rc=0.05, tau_ref=0.0025)]:
        top = 1.0 / rate_type.tau_ref
        max_rates = np.concatenate(
            [rng.uniform(200, 400, 20) * (top / 500), [5.0, 10.0, 0.99 * top]]
        )
        intercepts = np.concatenate([rng.uniform(-1.0, 0.9, 20), [-0.999, 0.0, 0.95]])
        gain, bias = rate_type.gain_bias(max_rates, intercepts)
        back_rates, back_intercepts = rate_type.max_rates_intercepts(gain, bias)
        cases.append(
            {
                "params": {"tau_rc": rate_type.tau_rc, "tau_ref": rate_type.tau_ref},
                "max_rates": max_rates.tolist(),
                "intercepts": intercepts.tolist(),
                "gain": gain.tolist(),
                "bias": bias.tolist(),
                "back_max_rates": back_rates.tolist(),
                "back_intercepts": back_intercepts.tolist(),
            }
        )
    return {"cases": cases}


def rates_fixture(rng):
    fixed = [-5.0, -1.0, 0.0, 0.5, 1.0, 1.0 + 1e-12, 1.0 + 1e-9, 1.001, 1.5, 2.0,
             5.0, 10.0, 100.0, 1e4, 1e8]
    j = np.concatenate([fixed, rng.uniform(0.0, 20.0, 40), rng.uniform(1.0, 1.1, 10)])
    cases = []
    for rate_type in [nengo.LIFRate(), nengo.LIFRate(tau_rc=0.05, tau_ref=0.0025, amplitude=0.3)]:
        rates = rate_type.rates(j, np.ones(1), np.zeros(1))[:, 0]
        cases.append(
            {
                "params": {
                    "tau_rc": rate_type.tau_rc,
                    "tau_ref": rate_type.tau_ref,
                    "amplitude": rate_type.amplitude,
                },
                "j": j.tolist(),
                "rates": rates.tolist(),
            }
        )
    return {"cases": cases}


def decoder_case(name, n, d, seed, radius=1.0, n_eval_points=None):
    """One seeded ensemble with Nengo's defaults and its decoders."""
    functions = {"identity": None, "square": lambda x: x**2}
    with nengo.Network(seed=seed) as net:
        ens = nengo.Ensemble(n, d, radius=radius, n_eval_points=n_eval_points)
        conns = {}
        for fname, f in functions.items():
            out = nengo.Node(size_in=d)
            conns[fname] = nengo.Connection(ens, out, function=f)
    assert all(isinstance(c.solver, nengo.solvers.LstsqL2) for c in conns.values())
    assert all(c.solver.reg == 0.1 for c in conns.values())
    with nengo.Simulator(net, progress_bar=False) as sim:
        built = sim.data[ens]
        activities = get_activities(built, ens, built.eval_points)
        decoders = {fname: sim.data[c].weights.T.tolist() for fname, c in conns.items()}
    return {
        "name": name,
        "n_neurons": n,
        "dimensions": d,
        "radius": radius,
        "gain": built.gain.tolist(),
        "bias": built.bias.tolist(),
        "encoders": built.encoders.tolist(),
        "eval_points": built.eval_points.tolist(),
        "activities": activities.tolist(),
        "decoders": decoders,
    }


def decoders_fixture():
    try:
        import scipy  # noqa: F401

        cholesky = "scipy.linalg.cho_factor/cho_solve"
    except ImportError:
        cholesky = "numpy.linalg.cholesky and inv"
    return {
        "solver": "LstsqL2(reg=0.1), Cholesky",
        "cholesky": cholesky,
        "ensembles": [
            decoder_case("d1", 30, 1, seed=1),
            decoder_case("d2", 25, 2, seed=2, radius=1.5, n_eval_points=300),
            decoder_case("fat", 60, 1, seed=3, n_eval_points=40),
        ],
    }


def representation_fixture():
    """How well Nengo's default ensembles represent their value: the RMSE of
    the identity decoders on the eval points (solver_info["rmses"], averaged
    over dimensions), for 20 seeds of each size."""
    sizes = []
    for n, d in [(30, 1), (50, 2), (100, 3)]:
        rmses = []
        for seed in range(20):
            with nengo.Network(seed=seed) as net:
                ens = nengo.Ensemble(n, d)
                conn = nengo.Connection(ens, nengo.Node(size_in=d))
            with nengo.Simulator(net, progress_bar=False) as sim:
                rmses.append(float(np.mean(sim.data[conn].solver_info["rmses"])))
        sizes.append({"n_neurons": n, "dimensions": d, "rmses": rmses})
    return {"sizes": sizes}


def write(name, data):
    data = {"nengo_version": nengo.__version__, "numpy_version": np.__version__, **data}
    path = OUT / name
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"{path}: {path.stat().st_size} bytes")


def main():
    if sys.argv[1:2] == ["--lif"]:
        # The child of `lif_without_avx512`.
        lif = {name: make() for name, make in LIF_FIXTURES.items()}
        Path(sys.argv[2]).write_text(json.dumps(lif))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    plain = lif_without_avx512()
    for name, make in LIF_FIXTURES.items():
        fx = plain[name]
        fx["native"] = native_differences(fx, make())
        print(f"{name}: {len(fx['native']['values'])} values differ under NumPy's "
              f"default dispatch (max {fx['native']['max_abs']:.3g})")
        write(name, fx)
    rng = np.random.RandomState(15)
    write("gain_bias.json", gain_bias_fixture(rng))
    write("rates.json", rates_fixture(rng))
    write("decoders.json", decoders_fixture())
    write("representation.json", representation_fixture())


if __name__ == "__main__":
    main()
