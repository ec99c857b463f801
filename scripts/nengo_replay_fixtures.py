"""Fixtures of io/tests/nengo_replay.rs: six small Nengo 4.1 networks
exported with scripts/nengo_export.py, and what Nengo itself did with them.

Models (network seed 1, dt 1 ms, 2 s):
- channel: Node sin(2 pi t) -> A (50 LIF, 1-D) -> B (50, 1-D), default
  synapses (Lowpass 5 ms); probes: spikes of A and B, B decoded (10 ms).
- integrator: tau 0.1 s; Node piecewise {0: 0, 0.2: 1, 1.0: 0} -> A (100,
  1-D; transform tau, synapse tau); A -> A (synapse tau); probes: spikes of
  A, A decoded (10 ms).
- oscillator: 1 Hz, tau 0.1 s; kick Node piecewise {0: [1, 0], 0.1: [0, 0]}
  -> A (100, 2-D); A -> A with [[1, -w tau], [w tau, 1]] (synapse tau);
  probes: spikes of A, A decoded (10 ms).
- mixed (seed 3): what the reader must widen and wire: Node [sin(2 pi t),
  0.5] sliced into A (60, 2-D, radius 1.5): value 0 x 1.2 into dimension 1,
  value 1 into dimension 0; A -> B (40, 1-D) decoding x0 x1; A's neurons
  0-29 -> all of B's (weights -2e-4); probes: spikes of A and B,
  B decoded (10 ms), the node (5 ms), A's voltages, the neuron
  connection's output (5 ms).
- array (seed 2): passthrough nodes: Node [sin(2 pi t), cos(2 pi t),
  0.5 sin(4 pi t)] -> ea.input (default synapse) of an EnsembleArray(30
  neurons, 3 ensembles; its input and output are passthrough nodes,
  connected with synapse None) and ea.output -> B (50, 3-D; synapse 10 ms);
  probes: ea.output (10 ms), B decoded (10 ms), spikes of ea's ensemble 1
  and of B.
- paths (seed 5): transforms through passthrough nodes: Node sin(2 pi t)
  -> P (2-D; transform [0.7, 0.3], synapse None) -> A (80, 1-D; transform
  [1.3, 0.9], default synapse); A -> Q (1-D; transform 0.9, synapse None)
  -> B (80, 1-D; transform 1.1, synapse 5 ms); probes: spikes of A and B,
  B decoded (10 ms).

For each model NAME, writes to io/tests/fixtures/nengo_replay/:
- NAME.h5: the export (README.md, "Models from Nengo");
- NAME.ref.h5: Nengo's results of the same simulator run: per spike probe
  a dataset /spikes/<probe name> of (step, neuron) pairs (int32, steps
  counted from 1: step n ends at t = n dt), per other probe a dataset
  /probes/<probe name> (n_steps x size), the value Nengo recorded at each
  step (voltages: the first VOLTAGE_STEPS steps only); root attributes nengo_version, numpy_version, n_steps.

Usage: .venv/bin/python scripts/nengo_replay_fixtures.py [NAME ...] (a few
seconds; only the models named, all without a name).
"""

import pathlib
import sys

import h5py
import nengo
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from nengo_export import GZIP, export  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "io/tests/fixtures/nengo_replay"
T_STOP = 2.0
TAU = 0.1
# Voltages compress badly: only the first steps are kept.
VOLTAGE_STEPS = 100


def channel():
    with nengo.Network(seed=1) as model:
        u = nengo.Node(lambda t: np.sin(2 * np.pi * t), label="input")
        a = nengo.Ensemble(50, 1, label="A")
        b = nengo.Ensemble(50, 1, label="B")
        nengo.Connection(u, a)
        nengo.Connection(a, b)
        nengo.Probe(a.neurons, label="A_spikes")
        nengo.Probe(b.neurons, label="B_spikes")
        nengo.Probe(b, synapse=0.01, label="B")
    return model


def integrator():
    with nengo.Network(seed=1) as model:
        u = nengo.Node(nengo.processes.Piecewise({0: 0, 0.2: 1, 1.0: 0}), label="input")
        a = nengo.Ensemble(100, 1, label="A")
        nengo.Connection(u, a, transform=TAU, synapse=TAU)
        nengo.Connection(a, a, synapse=TAU)
        nengo.Probe(a.neurons, label="A_spikes")
        nengo.Probe(a, synapse=0.01, label="A")
    return model


def oscillator():
    w = 2 * np.pi
    with nengo.Network(seed=1) as model:
        kick = nengo.Node(nengo.processes.Piecewise({0: [1, 0], 0.1: [0, 0]}), label="kick")
        a = nengo.Ensemble(100, 2, label="A")
        nengo.Connection(kick, a)
        nengo.Connection(a, a, transform=[[1, -w * TAU], [w * TAU, 1]], synapse=TAU)
        nengo.Probe(a.neurons, label="A_spikes")
        nengo.Probe(a, synapse=0.01, label="A")
    return model


def mixed():
    with nengo.Network(seed=3) as model:
        u = nengo.Node(lambda t: [np.sin(2 * np.pi * t), 0.5], label="input")
        a = nengo.Ensemble(60, 2, radius=1.5, label="A")
        b = nengo.Ensemble(40, 1, label="B")
        nengo.Connection(u[0], a[1], transform=1.2)
        nengo.Connection(u[1], a[0])
        nengo.Connection(a, b, function=lambda x: x[0] * x[1])
        c = nengo.Connection(a.neurons[:30], b.neurons, transform=np.full((40, 30), -2e-4))
        nengo.Probe(a.neurons, label="A_spikes")
        nengo.Probe(b.neurons, label="B_spikes")
        nengo.Probe(b, synapse=0.01, label="B")
        nengo.Probe(u, synapse=0.005, label="input")
        nengo.Probe(a.neurons, "voltage", label="A_voltage")
        nengo.Probe(c, synapse=0.005, label="c_out")
    return model


def array():
    with nengo.Network(seed=2) as model:
        u = nengo.Node(
            lambda t: [np.sin(2 * np.pi * t), np.cos(2 * np.pi * t), 0.5 * np.sin(4 * np.pi * t)],
            label="input",
        )
        ea = nengo.networks.EnsembleArray(30, n_ensembles=3, label="ea")
        b = nengo.Ensemble(50, 3, label="B")
        nengo.Connection(u, ea.input)
        nengo.Connection(ea.output, b, synapse=0.01)
        nengo.Probe(ea.output, synapse=0.01, label="ea_out")
        nengo.Probe(b, synapse=0.01, label="B")
        nengo.Probe(ea.ea_ensembles[1].neurons, label="ea1_spikes")
        nengo.Probe(b.neurons, label="B_spikes")
    return model


def paths():
    with nengo.Network(seed=5) as model:
        u = nengo.Node(lambda t: np.sin(2 * np.pi * t), label="input")
        p = nengo.Node(size_in=2, label="P")
        q = nengo.Node(size_in=1, label="Q")
        a = nengo.Ensemble(80, 1, label="A")
        b = nengo.Ensemble(80, 1, label="B")
        nengo.Connection(u, p, transform=[[0.7], [0.3]], synapse=None)
        nengo.Connection(p, a, transform=[[1.3, 0.9]])
        nengo.Connection(a, q, transform=0.9, synapse=None)
        nengo.Connection(q, b, transform=1.1, synapse=0.005)
        nengo.Probe(a.neurons, label="A_spikes")
        nengo.Probe(b.neurons, label="B_spikes")
        nengo.Probe(b, synapse=0.01, label="B")
    return model


def write_reference(model, sim, path, n_steps):
    with h5py.File(path, "w") as f:
        f.attrs["nengo_version"] = nengo.__version__
        f.attrs["numpy_version"] = np.__version__
        f.attrs["n_steps"] = np.int64(n_steps)
        spikes, probes = f.create_group("spikes"), f.create_group("probes")
        for p in model.all_probes:
            data = np.asarray(sim.data[p])
            assert len(data) == n_steps, p
            if isinstance(p.target, nengo.ensemble.Neurons) and p.attr in ("output", "spikes"):
                step, neuron = np.nonzero(data)
                pairs = np.stack([step + 1, neuron], axis=1).astype(np.int32)
                spikes.create_dataset(p.label, data=pairs, **GZIP)
            else:
                if p.attr == "voltage":
                    data = data[:VOLTAGE_STEPS]
                probes.create_dataset(p.label, data=data.astype(np.float64), **GZIP)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    models = (channel, integrator, oscillator, mixed, array, paths)
    names = sys.argv[1:] or [m.__name__ for m in models]
    unknown = set(names) - {m.__name__ for m in models}
    if unknown:
        sys.exit(f"unknown models: {sorted(unknown)}")
    for make in (m for m in models if m.__name__ in names):
        model = make()
        with export(model, OUT / f"{make.__name__}.h5", T_STOP) as sim:
            n_steps = int(np.round(T_STOP / sim.dt))
            write_reference(model, sim, OUT / f"{make.__name__}.ref.h5", n_steps)
        print(make.__name__, "written")


if __name__ == "__main__":
    main()
