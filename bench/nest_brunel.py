#!/usr/bin/env python3
"""The Brunel (2000) network of configs/brunel.toml, in NEST 3.10, for the
benchmark's side-by-side comparison. Prints one JSON line with timings and
statistics.  Usage: nest_brunel.py THREADS T_STOP_MS
"""
import json, sys, time

import numpy as np
import nest

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
t_stop = float(sys.argv[2]) if len(sys.argv) > 2 else 1000.0

nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": threads, "rng_seed": 12345})

NE, NI, CE, CI = 10000, 2500, 1000, 250
J, g = 50.0, 5.0
params = {"E_L": 0.0, "C_m": 250.0, "tau_m": 20.0, "t_ref": 2.0, "V_th": 20.0, "V_reset": 10.0,
          "tau_syn_ex": 0.5, "tau_syn_in": 0.5, "I_e": 0.0}

t0 = time.perf_counter()
E = nest.Create("iaf_psc_exp", NE, params=params)
I = nest.Create("iaf_psc_exp", NI, params=params)
for pop in (E, I):
    pop.V_m = nest.random.uniform(0.0, 20.0)
noise = nest.Create("poisson_generator", params={"rate": 20000.0})
rec = nest.Create("spike_recorder")
t1 = time.perf_counter()
nest.Connect(noise, E + I, syn_spec={"weight": J, "delay": 1.5})
nest.Connect(E, E + I, {"rule": "fixed_indegree", "indegree": CE}, {"weight": J, "delay": 1.5})
nest.Connect(I, E + I, {"rule": "fixed_indegree", "indegree": CI}, {"weight": -g * J, "delay": 1.5})
nest.Connect(E + I, rec)
nest.Prepare()
t2 = time.perf_counter()
nest.Run(t_stop)
t3 = time.perf_counter()
nest.Cleanup()

ev = rec.get("events")
senders, times = np.asarray(ev["senders"]), np.asarray(ev["times"])
win = (times >= 100.0) & (times < min(600.0, t_stop))
rate = win.sum() / (NE + NI) / ((min(600.0, t_stop) - 100.0) / 1000.0)
cvs = []
e_ids = np.asarray(E.tolist())
for gid in e_ids:
    ts = np.sort(times[win & (senders == gid)])
    if len(ts) >= 3:
        isi = np.diff(ts)
        cvs.append(isi.std() / isi.mean())
print(json.dumps({
    "threads": threads, "t_stop_ms": t_stop,
    "create_s": t1 - t0, "connect_s": t2 - t1, "simulate_s": t3 - t2,
    "real_time_factor": (t3 - t2) / (t_stop / 1000.0),
    "rate_hz_100_600": float(rate), "cv_isi_100_600": float(np.mean(cvs)) if cvs else None,
}))
