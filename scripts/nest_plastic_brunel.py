#!/usr/bin/env python3
"""The plastic Brunel network of configs/plastic_brunel.toml in NEST 3.10:
the reference for the E -> E weight distribution after 10 s (issue 13) and
the NEST side of the plastic benchmark (bench/plastic.py).

Everything about the network is read from the TOML (tomllib), so the two
cannot drift: [simulation] dt and seed, each population (model, size x
`--scale`, params including tau_minus, initial V_m), each projection
(fixed_indegree, allow_autapses/multapses, weight, delay, synapse_model and
its synapse_params), each poisson_generator stimulus. Anything the config
holds that this script does not translate is refused (an assertion), so a
config change cannot be silently ignored. `--scale` shrinks the population
sizes and keeps the in-degrees, as brainsim's `[simulation] scale`.

NEST objects: one model per population (nest.Create, params, V_m from
nest.random.uniform / normal or a constant), tau_minus set on the neurons
(NEST keeps it on the post-synaptic ArchivingNode, as brainsim does); a
plastic projection's model is a CopyModel of its synapse_model with the
shared parameters set by SetDefaults (stdp_pl_synapse_hom's are shared by
all its connections); static projections use static_synapse. A
poisson_generator connected to a population gives every target its own
independent train, as brainsim's stimulus does. One spike_recorder per
population counts spikes (rates over the whole run).

Outputs: a JSON line on stdout with the timings (create, connect, prepare,
simulate), the resident memory (VmRSS of this process) after create, after
each Connect and after Prepare, and the rates. With `--fixture PATH` it also
writes the weights of every plastic projection at the end: count, mean, sd,
min, max, percentiles and a subsample of `--subsample` weights drawn without
replacement by numpy's default_rng(`--subsample-seed`) (reproducible for the
same NEST run), the rates, the NEST version, the sha256 of the config file,
the scale, t_stop, threads and the command line.

    .venv/bin/python scripts/nest_plastic_brunel.py --scale 1.0 --t-stop 10000 --threads 2 \
        --fixture sim/tests/fixtures/nest/plastic_brunel_weights.json
"""

import argparse
import hashlib
import json
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import nest

ROOT = Path(__file__).resolve().parent.parent


def rss_bytes():
    """VmRSS of this process (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def initial_value(spec):
    """A constant or a NEST random parameter for a brainsim `initial` entry."""
    if isinstance(spec, (int, float)):
        return float(spec)
    kind = spec["distribution"]
    if kind == "uniform":
        return nest.random.uniform(min=spec["low"], max=spec["high"])
    if kind == "normal":
        return nest.random.normal(mean=spec["mean"], std=spec["std"])
    raise AssertionError(f"initial distribution {kind!r} not translated")


def create_populations(cfg, scale):
    pops = {}
    for p in cfg["population"]:
        assert set(p) <= {"name", "size", "model", "expected_rate", "params", "initial"}, p.keys()
        size = max(1, round(p["size"] * scale))
        params = dict(p.get("params", {}))
        nodes = nest.Create(p["model"], size, params=params)
        for var, spec in p.get("initial", {}).items():
            nodes.set({var: initial_value(spec)})
        pops[p["name"]] = nodes
    return pops


def synapse_spec(i, proj):
    """syn_spec for a projection: a CopyModel per plastic projection."""
    model = proj.get("synapse_model", "static_synapse")
    spec = {"weight": float(proj["weight"]), "delay": float(proj.get("delay", 1.0))}
    assert isinstance(proj["weight"], (int, float)), "only constant weights are translated"
    assert isinstance(proj.get("delay", 1.0), (int, float)), "only constant delays are translated"
    if model == "static_synapse":
        assert "synapse_params" not in proj
        spec["synapse_model"] = "static_synapse"
        return spec, None
    params = dict(proj.get("synapse_params", {}))
    name = f"{model}_projection_{i}"
    nest.CopyModel(model, name)
    shared = {k: v for k, v in params.items() if k != "Kplus"}
    nest.SetDefaults(name, shared)
    if "Kplus" in params:
        spec["Kplus"] = params["Kplus"]
    spec["synapse_model"] = name
    return spec, name


def connect(cfg, pops, rss):
    plastic = []
    for i, proj in enumerate(cfg.get("projection", [])):
        known = {"source", "target", "rule", "indegree", "weight", "delay", "synapse_model",
                 "synapse_params", "allow_autapses", "allow_multapses"}
        assert set(proj) <= known, proj.keys()
        assert proj["rule"] == "fixed_indegree", "only fixed_indegree is translated"
        conn = {"rule": "fixed_indegree", "indegree": int(proj["indegree"]),
                "allow_autapses": proj.get("allow_autapses", True),
                "allow_multapses": proj.get("allow_multapses", True)}
        syn, name = synapse_spec(i, proj)
        src, tgt = pops[proj["source"]], pops[proj["target"]]
        nest.Connect(src, tgt, conn, syn)
        rss[f"after_projection_{i}"] = rss_bytes()
        if name is not None:
            plastic.append((i, proj, name))
    for j, stim in enumerate(cfg.get("stimulus", [])):
        assert stim["type"] == "poisson_generator", stim["type"]
        assert set(stim) <= {"type", "target", "rate", "weight", "delay"}, stim.keys()
        gen = nest.Create("poisson_generator", params={"rate": float(stim["rate"])})
        nest.Connect(gen, pops[stim["target"]],
                     syn_spec={"weight": float(stim["weight"]), "delay": float(stim.get("delay", 1.0))})
    rss["after_stimuli"] = rss_bytes()
    return plastic


def weight_summary(i, proj, name, pops, n_sub, seed):
    conns = nest.GetConnections(pops[proj["source"]], pops[proj["target"]], synapse_model=name)
    w = np.asarray(conns.get("weight"), dtype=float)
    rng = np.random.default_rng(seed)
    sub = rng.choice(w.size, size=min(n_sub, w.size), replace=False)
    return {
        "projection": i, "source": proj["source"], "target": proj["target"],
        "synapse_model": proj["synapse_model"], "count": int(w.size),
        "initial_weight": float(proj["weight"]),
        "mean": float(w.mean()), "sd": float(w.std()), "min": float(w.min()), "max": float(w.max()),
        "percentiles": {str(q): float(np.percentile(w, q)) for q in (1, 5, 25, 50, 75, 95, 99)},
        "subsample_seed": seed, "subsample": [float(x) for x in w[np.sort(sub)]],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "configs" / "plastic_brunel.toml"))
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--t-stop", type=float, default=10000.0, help="ms of biological time")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rng-seed", type=int, default=None, help="NEST rng_seed (default: the config's seed)")
    ap.add_argument("--fixture", default=None, help="write the weight fixture (JSON) here")
    ap.add_argument("--subsample", type=int, default=2000)
    ap.add_argument("--subsample-seed", type=int, default=13)
    a = ap.parse_args()

    cfg_path = Path(a.config)
    raw = cfg_path.read_bytes()
    cfg = tomllib.loads(raw.decode())
    sim = cfg["simulation"]
    assert sim.get("scale", 1.0) == 1.0, "give the scale with --scale"
    seed = a.rng_seed if a.rng_seed is not None else int(sim.get("seed", 1))

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": float(sim["dt"]), "local_num_threads": a.threads,
                          "rng_seed": seed})
    rss = {"start": rss_bytes()}
    t0 = time.perf_counter()
    pops = create_populations(cfg, a.scale)
    recs = {}
    for name, nodes in pops.items():
        recs[name] = nest.Create("spike_recorder")
        nest.Connect(nodes, recs[name])
    rss["after_create"] = rss_bytes()
    t1 = time.perf_counter()
    plastic = connect(cfg, pops, rss)
    t2 = time.perf_counter()
    nest.Prepare()
    rss["after_prepare"] = rss_bytes()
    t3 = time.perf_counter()
    nest.Run(a.t_stop)
    t4 = time.perf_counter()
    nest.Cleanup()
    rss["after_run"] = rss_bytes()

    secs = a.t_stop / 1000.0
    rates = {name: recs[name].get("n_events") / len(nodes) / secs for name, nodes in pops.items()}
    result = {
        "nest_version": nest.__version__, "threads": a.threads, "t_stop_ms": a.t_stop, "scale": a.scale,
        "sizes": {name: len(nodes) for name, nodes in pops.items()},
        "num_connections": int(nest.GetKernelStatus("num_connections")),
        "create_s": t1 - t0, "connect_s": t2 - t1, "prepare_s": t3 - t2, "simulate_s": t4 - t3,
        "rates_hz": rates, "rss_bytes": rss,
    }
    if a.fixture:
        weights = [weight_summary(i, proj, name, pops, a.subsample, a.subsample_seed)
                   for i, proj, name in plastic]
        fixture = {
            "what": "NEST 3.10 reference for the plastic Brunel network (scripts/nest_plastic_brunel.py)",
            "command": " ".join([".venv/bin/python", "scripts/nest_plastic_brunel.py", *sys.argv[1:]]),
            "config": str(cfg_path.resolve().relative_to(ROOT)),
            "config_sha256": hashlib.sha256(raw).hexdigest(),
            "config_toml": cfg,
            "nest_version": nest.__version__, "rng_seed": seed, "scale": a.scale, "t_stop_ms": a.t_stop,
            "threads": a.threads, "sizes": result["sizes"], "rates_hz": rates, "weights": weights,
        }
        Path(a.fixture).write_text(json.dumps(fixture, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
