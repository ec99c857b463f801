"""Exports a Nengo 4 network, as Nengo builds it, to an HDF5 file that
brainsim runs (`brainsim_io::nengo_file::read`; format in README.md,
"Models from Nengo").

What is written is Nengo's *built* model, not its description: per ensemble
the encoders, scaled encoders, gains, biases and the neurons' state at t = 0
as `nengo.Simulator` holds them; per connection the built weight matrix
(`sim.data[conn].weights`, expanded to a matrix), its slices and its Lowpass
synapse with the very coefficients Nengo's filter step uses; per node its
output at each of Nengo's step times t = n dt (n = 1 .. n_steps), taken from
the simulator itself (so callables, arrays and processes all work); per
probe its target, attribute and synapse. Probes of decoded values are
connections into the probe in Nengo's build; they are exported as such
(post kind "probe"), and so is a probe of a node's output (Nengo filters the
node's signal itself: a connection of identity weights, the same numbers).

Passthrough nodes (`Node(size_in=d)` without an output: their output is the
sum of what their connections bring, as in `nengo.networks.EnsembleArray`'s
`input` and `output`) are exported as nodes of kind "passthrough" with their
size_in and no table; connections into them have post kind "node". brainsim
folds every path through them into direct connections when it reads the
file.

Refused, with a message naming the object: neuron types other than
nengo.LIF, ensemble noise, synapses other than Lowpass (or None), nodes with
both inputs and an output function, learning rules, solvers with
weights=True, functions on connections from nodes (Nengo evaluates them at
run time), connections from ensembles into ensembles or neurons without a
synapse, probes of other attributes, sample_every.

Usage as a module: `export(model, path, t_stop)` (returns the simulator
after its run of t_stop, whose probes hold Nengo's own results). As a
command: `python scripts/nengo_export.py MODEL.py OUT.h5 T_STOP [--dt DT]`,
where MODEL.py defines `model` (a nengo.Network). Needs nengo, numpy, h5py.
"""

import argparse
import os
import runpy
import sys

import h5py
import nengo
import numpy as np

FORMAT = "brainsim-nengo"
VERSION = 2
GZIP = dict(compression="gzip", compression_opts=9)


class ExportError(Exception):
    """A model this format cannot hold (the message says which part)."""


def _name(obj, kind, i):
    return obj.label if obj.label else f"{kind}{i}"


def _synapse(group, syn, dt, what):
    """Writes a synapse's attributes: kind none, or lowpass with tau (s) and
    the coefficients a, b of Nengo's step x <- a x + b u."""
    if syn is None:
        group.attrs["synapse"] = "none"
        return
    if type(syn) is not nengo.Lowpass:
        raise ExportError(f"{what}: synapse {syn!r}: only Lowpass or None is exported")
    A, B, C, D = syn._get_ss(dt)
    if A.size != 1 or np.any(D != 0):
        raise ExportError(f"{what}: Lowpass discretised to more than one state")
    group.attrs["synapse"] = "lowpass"
    group.attrs["tau"] = np.float64(syn.tau)
    group.attrs["a"] = np.float64(A.item())
    group.attrs["b"] = np.float64(C.item() * B.item())


def _indices(sl, size):
    """A Nengo slice (slice, list or array) as explicit indices."""
    return np.arange(size, dtype=np.int64)[sl]


def _weights(w, rows, cols):
    """`sim.data[conn].weights` as a rows x cols matrix: None (no transform)
    is the identity, a scalar times it, a vector its diagonal."""
    if w is None:
        w = np.float64(1.0)
    w = np.asarray(w, dtype=np.float64)
    if w.ndim == 0:
        return w * np.eye(rows, cols)
    if w.ndim == 1:
        return np.diag(w)
    return w


def _passthrough(node):
    """Whether `node` is a passthrough node (inputs summed, no function)."""
    return node.output is None and node.size_in > 0


def _check_network(model):
    for ens in model.all_ensembles:
        if type(ens.neuron_type) is not nengo.LIF:
            raise ExportError(f"ensemble {ens}: neuron type {ens.neuron_type!r} (only nengo.LIF)")
        if ens.noise is not None:
            raise ExportError(f"ensemble {ens}: noise is not exported")
    for node in model.all_nodes:
        if node.size_in > 0 and node.output is not None:
            raise ExportError(
                f"node {node}: a node with inputs (size_in {node.size_in}) and an output"
                " function is not exported (only passthrough nodes, output=None, take inputs)"
            )
    for conn in model.all_connections:
        if conn.learning_rule_type is not None:
            raise ExportError(f"connection {conn}: learning rules are not exported")
        if getattr(conn.solver, "weights", False):
            raise ExportError(f"connection {conn}: solvers with weights=True are not exported")
        if isinstance(conn.pre_obj, nengo.Node) and conn.function is not None:
            # Nengo evaluates it at run time; the built weights are only the
            # transform after it.
            raise ExportError(
                f"connection {conn}: a function on a connection from a node is not exported"
                " (compute it in the node)"
            )
    for p in model.all_probes:
        if p.sample_every is not None:
            raise ExportError(f"probe {p}: sample_every is not exported")


class _Index:
    """Numbers every exported object in the order the file lists it."""

    def __init__(self, model, probes):
        self.ens = {e: i for i, e in enumerate(model.all_ensembles)}
        self.nodes = {n: i for i, n in enumerate(model.all_nodes)}
        self.conns = {c: i for i, c in enumerate(model.all_connections)}
        self.probes = {p: i for i, p in enumerate(probes)}

    def end(self, obj, what):
        """(kind, index) of a connection's pre or post object."""
        if isinstance(obj, nengo.Ensemble):
            return "ensemble", self.ens[obj]
        if isinstance(obj, nengo.ensemble.Neurons):
            return "neurons", self.ens[obj.ensemble]
        if isinstance(obj, nengo.Node):
            return "node", self.nodes[obj]
        if isinstance(obj, nengo.Probe):
            return "probe", self.probes[obj]
        raise ExportError(f"{what}: cannot export an end of type {type(obj).__name__}")


def _write_ensembles(f, sim, index):
    root = f.create_group("ensembles")
    for ens, i in index.ens.items():
        g = root.create_group(str(i))
        data, lif = sim.data[ens], ens.neuron_type
        g.attrs["name"] = _name(ens, "ensemble", i)
        for key in ("tau_rc", "tau_ref", "amplitude", "min_voltage"):
            g.attrs[key] = np.float64(getattr(lif, key))
        g.attrs["radius"] = np.float64(ens.radius)
        for key in ("encoders", "scaled_encoders", "gain", "bias", "max_rates", "intercepts"):
            g.create_dataset(key, data=np.asarray(getattr(data, key), dtype=np.float64))
        for key in ("voltage", "refractory_time"):
            state = sim.signals[sim.model.sig[ens.neurons][key]]
            g.create_dataset(key, data=np.array(state, dtype=np.float64))


def _write_connection(g, conn, sim, index, dt):
    what = str(conn)
    pre_kind, pre = index.end(conn.pre_obj, what)
    post_kind, post = index.end(conn.post_obj, what)
    if pre_kind == "probe":
        raise ExportError(f"{what}: out of a probe")
    if post_kind == "node" and not _passthrough(conn.post_obj):
        raise ExportError(f"{what}: into a node that is not a passthrough node")
    if conn.synapse is None and pre_kind != "node" and post_kind not in ("probe", "node"):
        raise ExportError(f"{what}: from an ensemble into an ensemble needs a synapse")
    pre_size = conn.pre_obj.size_out
    post_size = conn.post_obj.size_in if post_kind != "probe" else conn.size_out
    pre_ix = _indices(conn.pre_slice, pre_size)
    post_ix = _indices(conn.post_slice, post_size)
    cols = conn.pre_obj.n_neurons if pre_kind == "ensemble" else len(pre_ix)
    w = _weights(sim.data[conn].weights, len(post_ix), cols)
    if w.shape != (len(post_ix), cols):
        raise ExportError(f"{what}: weights of shape {w.shape}, expected {(len(post_ix), cols)}")
    g.attrs["pre_kind"], g.attrs["pre"] = pre_kind, np.int64(pre)
    g.attrs["post_kind"], g.attrs["post"] = post_kind, np.int64(post)
    g.create_dataset("weights", data=w, **GZIP)
    g.create_dataset("pre_slice", data=pre_ix)
    g.create_dataset("post_slice", data=post_ix)
    _synapse(g, conn.synapse, dt, what)


def _write_connections(f, sim, index, dt):
    """The model's connections, then those Nengo built into the exported
    probes."""
    root = f.create_group("connections")
    conns = list(index.conns)
    conns += [
        c
        for c in sim.model.params
        if isinstance(c, nengo.Connection) and c not in index.conns and c.post_obj in index.probes
    ]
    for i, conn in enumerate(conns):
        _write_connection(root.create_group(str(i)), conn, sim, index, dt)
    # Nengo probes a node's output signal directly (through the probe's
    # synapse); here that is a connection of identity weights.
    for p, k in index.probes.items():
        if isinstance(p.target, nengo.Node):
            g = root.create_group(str(len(conns)))
            conns.append(p)
            d = p.target.size_out
            g.attrs["pre_kind"], g.attrs["pre"] = "node", np.int64(index.nodes[p.target])
            g.attrs["post_kind"], g.attrs["post"] = "probe", np.int64(k)
            g.create_dataset("weights", data=np.eye(d))
            g.create_dataset("pre_slice", data=np.arange(d, dtype=np.int64))
            g.create_dataset("post_slice", data=np.arange(d, dtype=np.int64))
            _synapse(g, p.synapse, dt, f"probe {p}")


PROBED = {
    nengo.Ensemble: ("ensemble", {"decoded_output"}),
    nengo.Node: ("node", {"output"}),
    nengo.ensemble.Neurons: ("neurons", {"output", "spikes", "voltage"}),
    nengo.Connection: ("connection", {"output"}),
}


def _write_probes(f, probes, index, dt):
    root = f.create_group("probes")
    for p, i in index.probes.items():
        kind, attrs = PROBED.get(type(p.target), (None, ()))
        if kind is None or p.attr not in attrs:
            raise ExportError(f"probe {p}: cannot export a probe of {p.attr!r} of {p.target}")
        target = {
            "ensemble": lambda: index.ens[p.target],
            "node": lambda: index.nodes[p.target],
            "neurons": lambda: index.ens[p.target.ensemble],
            "connection": lambda: index.conns[p.target],
        }[kind]()
        g = root.create_group(str(i))
        g.attrs["name"] = _name(p, "probe", i)
        g.attrs["target_kind"], g.attrs["target"] = kind, np.int64(target)
        # A neurons' "output" is their spikes (amplitude / dt in a spike's step).
        g.attrs["attribute"] = "spikes" if kind == "neurons" and p.attr == "output" else p.attr
        _synapse(g, p.synapse, dt, f"probe {p}")


def _write_nodes(f, sim, node_probes, index):
    root = f.create_group("nodes")
    for node, i in index.nodes.items():
        g = root.create_group(str(i))
        g.attrs["name"] = _name(node, "node", i)
        if _passthrough(node):
            g.attrs["kind"], g.attrs["size_in"] = "passthrough", np.int64(node.size_in)
            continue
        g.attrs["kind"] = "output"
        out = np.asarray(sim.data[node_probes[node]], dtype=np.float64)
        g.create_dataset("output", data=out.reshape(len(out), -1), **GZIP)


def export(model, path, t_stop, dt=0.001):
    """Builds `model` in nengo.Simulator, runs it for `t_stop` seconds (to
    sample its nodes) and writes the built model to `path`. Returns the
    simulator after the run."""
    _check_network(model)
    probes = list(model.all_probes)
    with model:
        node_probes = {
            n: nengo.Probe(n, synapse=None) for n in model.all_nodes if not _passthrough(n)
        }
    try:
        sim = nengo.Simulator(model, dt=dt, progress_bar=False)
    finally:
        for p in node_probes.values():
            model.probes.remove(p)
    index = _Index(model, probes)
    n_steps = int(np.round(float(t_stop) / sim.dt))
    tmp = f"{path}.tmp"
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"], f.attrs["version"] = FORMAT, np.int64(VERSION)
            f.attrs["dt"], f.attrs["t_stop"] = np.float64(sim.dt), np.float64(n_steps * sim.dt)
            f.attrs["n_steps"] = np.int64(n_steps)
            f.attrs["nengo_version"] = nengo.__version__
            _write_ensembles(f, sim, index)
            _write_connections(f, sim, index, sim.dt)
            _write_probes(f, probes, index, sim.dt)
            sim.run_steps(n_steps)
            _write_nodes(f, sim, node_probes, index)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return sim


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="a Python file that defines `model` (a nengo.Network)")
    ap.add_argument("out", help="the HDF5 file to write")
    ap.add_argument("t_stop", type=float, help="run length (s): nodes are sampled for it")
    ap.add_argument("--dt", type=float, default=0.001, help="step (s), default 0.001")
    args = ap.parse_args(argv)
    model = runpy.run_path(args.model).get("model")
    if not isinstance(model, nengo.Network):
        print(f"{args.model}: defines no `model` (a nengo.Network)", file=sys.stderr)
        return 2
    try:
        export(model, args.out, args.t_stop, args.dt).close()
    except ExportError as e:
        print(f"{args.model}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
