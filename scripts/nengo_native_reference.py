"""Nengo 4's accuracy on the native NEF networks of sim/tests/nef_native.rs.

Runs the same five networks in nengo.Simulator (the reference simulator),
seeds 1-5, and writes sim/tests/fixtures/nengo/native_reference.json with
Nengo's figures per seed. The test runs brainsim's own build of each
network (its own random draws: the same distributions, not Nengo's numbers)
and checks its error against these. Measures, identical on both sides:

- channel_100, channel_1000: Node sin(2 pi t) -> A -> B (N neurons each,
  1-D, default synapses 5 ms), Probe(B, synapse=0.01), 2 s; RMSE against
  the ideal: sin through lowpass 5 ms, 5 ms, 10 ms, the later two stages
  one step behind (`ideal` below, `ideal_chain` in the test).
- product: Node [sin, cos] -> A (1000 neurons, 2-D, radius 1.5);
  connection A -> passthrough with x0 x1; Probe(conn, "output", 0.01); 2 s;
  RMSE against 0.5 sin(4 pi t) through the same chain.
- integrator: tau 0.1; Node piecewise {0: 0, 0.1: 2, 0.3: 0} -> A
  (transform tau, synapse tau), A -> A (synapse tau); 2.7 s;
  Probe(A, 0.01). held = mean over 100 steps around 0.65 s (ideal 0.4),
  drift = |mean around 2.65 s - held| / 2 s.
- oscillator: 1 Hz, tau 0.1; kick [1, 0] for 0.1 s; A (1000, 2-D) ->
  A with [[1, -w tau], [w tau, 1]]; 6 s; Probe(A, 0.01); frequency from
  upward zero crossings of x0 after 1 s, each after x0 went below -0.2.

Usage: .venv/bin/python scripts/nengo_native_reference.py
(needs nengo==4.1.0, installed by scripts/setup.sh; about 2 minutes).
"""

import json
import pathlib

import nengo
import numpy as np

DT = 0.001
SEEDS = [1, 2, 3, 4, 5]
OUT = pathlib.Path(__file__).resolve().parent.parent / "sim/tests/fixtures/nengo/native_reference.json"


def lowpass(x, tau):
    a = np.exp(-DT / tau)
    b = -np.expm1(-DT / tau)
    y, s = np.zeros_like(x), 0.0
    for i, u in enumerate(x):
        s = a * s + b * u
        y[i] = s
    return y


def ideal(signal, taus):
    x = signal
    for k, tau in enumerate(taus):
        if k > 0:
            x = np.concatenate([[x[0]], x[:-1]])
        x = lowpass(x, tau)
    return x


def rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


def simulate(net, seconds):
    with nengo.Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.run(seconds)
    return sim


def channel(n, seed):
    with nengo.Network(seed=seed) as net:
        inp = nengo.Node(lambda t: np.sin(2 * np.pi * t))
        a, b = nengo.Ensemble(n, 1), nengo.Ensemble(n, 1)
        nengo.Connection(inp, a)
        nengo.Connection(a, b)
        p = nengo.Probe(b, synapse=0.01)
    sim = simulate(net, 2.0)
    t = sim.trange()
    return rmse(sim.data[p][:, 0], ideal(np.sin(2 * np.pi * t), [0.005, 0.005, 0.01]))


def product(seed):
    with nengo.Network(seed=seed) as net:
        inp = nengo.Node(lambda t: [np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)])
        a = nengo.Ensemble(1000, 2, radius=1.5)
        nengo.Connection(inp, a)
        c = nengo.Connection(a, nengo.Node(size_in=1), function=lambda x: x[0] * x[1])
        p = nengo.Probe(c, "output", synapse=0.01)
    sim = simulate(net, 2.0)
    t = sim.trange()
    want = ideal(np.sin(2 * np.pi * t) * np.cos(2 * np.pi * t), [0.005, 0.005, 0.01])
    return rmse(sim.data[p][:, 0], want)


def integrator(seed):
    tau = 0.1
    with nengo.Network(seed=seed) as net:
        inp = nengo.Node(nengo.processes.Piecewise({0: 0, 0.1: 2.0, 0.3: 0}))
        a = nengo.Ensemble(1000, 1)
        nengo.Connection(inp, a, transform=tau, synapse=tau)
        nengo.Connection(a, a, synapse=tau)
        p = nengo.Probe(a, synapse=0.01)
    x = simulate(net, 2.7).data[p][:, 0]
    at = lambda t: float(np.mean(x[int(t / DT) - 50 : int(t / DT) + 50]))
    return {"held": at(0.65), "drift": abs(at(2.65) - at(0.65)) / 2.0}


def oscillator(seed):
    tau, w = 0.1, 2 * np.pi
    with nengo.Network(seed=seed) as net:
        kick = nengo.Node(nengo.processes.Piecewise({0: [1, 0], 0.1: [0, 0]}))
        a = nengo.Ensemble(1000, 2)
        nengo.Connection(kick, a)
        nengo.Connection(a, a, transform=[[1, -w * tau], [w * tau, 1]], synapse=tau)
        p = nengo.Probe(a, synapse=0.01)
    x = simulate(net, 6.0).data[p][:, 0]
    armed, ups = False, []
    for n in range(1000, len(x)):
        armed |= x[n] < -0.2
        if armed and x[n - 1] < 0 <= x[n]:
            ups.append((n - 1 - x[n - 1] / (x[n] - x[n - 1])) * DT)
            armed = False
    return float((len(ups) - 1) / (ups[-1] - ups[0]))


def main():
    out = {
        "nengo_version": nengo.__version__,
        "numpy_version": np.__version__,
        "seeds": SEEDS,
        "channel_100": [channel(100, s) for s in SEEDS],
        "channel_1000": [channel(1000, s) for s in SEEDS],
        "product": [product(s) for s in SEEDS],
        "integrator": [integrator(s) for s in SEEDS],
        "oscillator_hz": [oscillator(s) for s in SEEDS],
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    for k, v in out.items():
        print(k, v)


if __name__ == "__main__":
    main()
