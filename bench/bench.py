#!/usr/bin/env python3
"""brainsim benchmark: Brunel (1 s) and the full-scale microcircuit, medians of
several runs, NEST 3.10 on the same Brunel network in the same invocation, and
`brainsim partition configs/spaun_scale.toml --ranks 1024` (target: <= 10 s,
< 2 GiB; wall time and peak RSS from /usr/bin/time).

    bench/run.sh [--runs N] [--mc-runs M] [--threads T] [--skip-nest] [--skip-mc] [--skip-layouts]
                 [--skip-checkpoints] [--skip-procedural] [--skip-nef] [--spaun-ms MS] [--skip-plastic] [--plastic-ms MS]

NEF (bench/nef.py): a 512-D ensemble array (25,600 neurons) and a 64-D
circular convolution (26,400 neurons) built and run in
brainsim's NEF run-time against Nengo 4.1's reference simulator, in pairs.

Plastic Brunel against NEST 3.10 (bench/plastic.py): configs/plastic_brunel.toml
in brainsim and in NEST, alternated, 3 pairs of --plastic-ms (default 1000) ms:
simulation time ratio, build time, peak RSS, bytes per plastic synapse.

Procedural connectivity (bench/procedural.py): Brunel procedural vs stored
(paired, median ratio), the largest network of Spaun modules that fits
stored vs procedural (estimate), and the Spaun-scale run (build time, RTF,
events per second per core, peak RSS).

Checkpoints (full microcircuit): write time and file size against the state
that must be saved, load + rebuild against a fresh build, and the simulation
slowdown with --checkpoint-every 100 (paired runs, median ratio).

Figures per run come from the run's metadata.json (written by `brainsim run`):
build time, simulation time, real-time factor, synaptic events per second per
core, peak RSS, bytes per synapse.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plastic  # noqa: E402
import procedural  # noqa: E402
import nef  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "brainsim"
PY = ROOT / ".venv" / "bin" / "python"


MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def run_brainsim(config, threads, extra=(), ranks=None):
    """One run; with `ranks`, under mpirun (ranks x threads)."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [str(BIN), "run", str(ROOT / config), "--out", d, "--threads", str(threads), "--quiet", *extra]
        env = None
        if ranks is not None:
            cmd = ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", str(ranks), *cmd]
            env = {**os.environ, **MPI_ENV}
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        return json.loads((Path(d) / "metadata.json").read_text())


def layouts(name, config, runs, extra=()):
    """1x1, 1x2 and 2x1 (ranks x threads): wall time, timers, bytes exchanged."""
    print(f"{name}: ranks x threads, median of {runs} run(s)")
    sims = {}
    for ranks, threads in [(1, 1), (1, 2), (2, 1)]:
        metas = [run_brainsim(config, threads, extra, ranks=ranks) for _ in range(runs)]
        sim = statistics.median(m["simulate_seconds"] for m in metas)
        sims[(ranks, threads)] = sim
        m = metas[0]
        t = {k: statistics.median(x["timers"][k] for x in metas) for k in m["timers"]}
        sent = sum(m.get("bytes_sent_per_rank") or [0])
        print(f"  {ranks}x{threads}: build {statistics.median(x['build_seconds'] for x in metas):6.2f} s, "
              f"simulate {sim:6.2f} s, RTF {statistics.median(x['real_time_factor'] for x in metas):6.2f}, "
              f"bytes exchanged {sent / 2**20:8.1f} MiB")
        print("        " + ", ".join(f"{k[5:]}={v:.2f}" for k, v in t.items() if not k.startswith("time_construction")))
    eff = sims[(1, 1)] / (2 * sims[(2, 1)])
    print(f"  strong-scaling efficiency 1 -> 2 ranks: {eff * 100:.0f}%; 2x1 vs 1x2: {sims[(2, 1)] / sims[(1, 2)]:.2f}")


def checkpoints(threads, pairs):
    """Checkpoint figures of the full microcircuit (see the module doc)."""
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "mc"
        subprocess.run([str(BIN), "run", str(ROOT / "configs/microcircuit.toml"), "--out", str(out),
                        "--threads", str(threads), "--quiet", "--t-stop", "300", "--checkpoint-every", "100",
                        "--checkpoint-keep", "3"], check=True, stdout=subprocess.DEVNULL)
        seg = json.loads((out / "metadata.json").read_text())["segments"][0]
        size = (out / "checkpoints" / "t3000.h5").stat().st_size
        subprocess.run([str(BIN), "resume", str(out), "--threads", str(threads), "--quiet", "--t-stop", "400",
                        "--checkpoint", str(out / "checkpoints" / "t2000.h5")], check=True, stdout=subprocess.DEVNULL)
        res = json.loads((out / "metadata.json").read_text())["segments"][1]
    n = seg["checkpoints_written"]
    write, file = seg["checkpoint_write_seconds"] / n, seg["checkpoint_file_seconds"] / n
    state = seg["checkpoint_state_bytes"]
    reload = res["build_seconds"] + res["checkpoint_load_seconds"]
    print(f"Checkpoints, full microcircuit, {threads} thread(s)")
    print(f"  write {write + file:6.2f} s per checkpoint (goal <= 2 s): the run waits {write:.3f} s (capture), "
          f"the file takes {file:.2f} s in the background (HDF5, fsync, prune)")
    print(f"  file {size / 2**20:8.1f} MiB for {state / 2**20:.1f} MiB of state: {size / state:.3f}x (goal <= 1.5x)")
    print(f"  load + rebuild {reload:6.2f} s (read + restore {res['checkpoint_load_seconds']:.2f} s) vs fresh build "
          f"{seg['build_seconds']:.2f} s: {reload / seg['build_seconds']:.2f}x (goal <= 1.2x)")
    ratios = []
    for _ in range(pairs):
        plain = run_brainsim("configs/microcircuit.toml", threads)
        ckpt = run_brainsim("configs/microcircuit.toml", threads, ["--checkpoint-every", "100"])
        ratios.append(ckpt["simulate_seconds"] / plain["simulate_seconds"])
        n = ckpt["segments"][0]["checkpoints_written"]
    print(f"  simulation time with --checkpoint-every 100 ({n} checkpoints in 1.5 s) / without: "
          f"median {statistics.median(ratios):.3f} (pairs: {[round(r, 3) for r in ratios]}; goal <= 1.05)")


def summarise(name, metas, threads):
    med = lambda key: statistics.median(m[key] for m in metas)
    ev_core = statistics.median(m["synaptic_events"] / m["simulate_seconds"] / threads for m in metas)
    rtfs = sorted(round(m["real_time_factor"], 3) for m in metas)
    print(f"{name}: {len(metas)} run(s), {threads} thread(s)")
    print(f"  build time            {med('build_seconds'):8.2f} s")
    print(f"  simulation time       {med('simulate_seconds'):8.2f} s for {metas[0]['t_stop_ms']:.0f} ms")
    print(f"  real-time factor      {med('real_time_factor'):8.3f}   (runs: {rtfs})")
    print(f"  synaptic events/s/core{ev_core / 1e6:8.1f} M")
    print(f"  peak RSS              {med('peak_rss_bytes') / 2**30:8.3f} GiB")
    print(f"  bytes per synapse     {med('bytes_per_synapse'):8.2f}")
    timers = {k: statistics.median(m["timers"][k] for m in metas) for k in metas[0]["timers"]}
    print("  timers (median, s)    " + ", ".join(f"{k}={v:.2f}" for k, v in timers.items()))
    return med("real_time_factor")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mc-runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-nest", action="store_true")
    ap.add_argument("--skip-mc", action="store_true")
    ap.add_argument("--skip-layouts", action="store_true", help="skip the 1x1/1x2/2x1 MPI comparison")
    ap.add_argument("--skip-checkpoints", action="store_true")
    ap.add_argument("--skip-procedural", action="store_true")
    ap.add_argument("--skip-nef", action="store_true", help="skip the NEF ensemble array and circular convolution against Nengo")
    ap.add_argument("--spaun-ms", type=float, default=20.0, help="biological time of the Spaun-scale run")
    ap.add_argument("--skip-plastic", action="store_true", help="skip the plastic Brunel vs NEST pairs")
    ap.add_argument("--plastic-ms", type=float, default=1000.0, help="biological time of each plastic run")
    a = ap.parse_args()

    brunel = [run_brainsim("configs/brunel.toml", a.threads) for _ in range(a.runs)]
    rtf = summarise("Brunel 2000 (configs/brunel.toml, 1 s)", brunel, a.threads)
    rates = [p["rate_hz"] for p in brunel[0]["populations"]]
    print(f"  rates (0-1000 ms)     {', '.join(f'{r:.2f}' for r in rates)} Hz")

    if not a.skip_nest:
        nest_runs = []
        for _ in range(max(1, min(a.runs, 3))):
            out = subprocess.run([str(PY), str(ROOT / "bench" / "nest_brunel.py"), str(a.threads), "1000"],
                                 check=True, capture_output=True, text=True).stdout
            nest_runs.append(json.loads(out.strip().splitlines()[-1]))
        nest_rtf = statistics.median(r["real_time_factor"] for r in nest_runs)
        print(f"NEST 3.10, same Brunel network, {a.threads} thread(s): {len(nest_runs)} run(s)")
        print(f"  connect + prepare     {statistics.median(r['connect_s'] for r in nest_runs):8.2f} s")
        print(f"  real-time factor      {nest_rtf:8.3f}")
        print(f"  rate / CV [100,600)   {nest_runs[0]['rate_hz_100_600']:.2f} Hz / {nest_runs[0]['cv_isi_100_600']:.3f}")
        print(f"  speed ratio NEST/brainsim (RTF): {nest_rtf / rtf:.1f}x")

    if not a.skip_mc:
        mc = [run_brainsim("configs/microcircuit.toml", a.threads) for _ in range(a.mc_runs)]
        summarise("Potjans & Diesmann 2014 microcircuit, full scale (1.5 s)", mc, a.threads)
        print("  rates (0-1500 ms)     " + ", ".join(f"{p['name']} {p['rate_hz']:.2f}" for p in mc[0]["populations"]) + " Hz")
        print("  (the test suite checks the [500, 1500) ms rates against the published values)")

    if not a.skip_mc and not a.skip_checkpoints:
        checkpoints(a.threads, a.mc_runs)

    # /usr/bin/time (Debian package `time`): wall seconds and peak RSS (KiB) of this one child.
    out = subprocess.run(["/usr/bin/time", "-f", "%e %M", str(BIN), "partition",
                          str(ROOT / "configs/spaun_scale.toml"), "--ranks", "1024"],
                         check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    secs, kib = out.stderr.split()[-2:]
    secs, gib = float(secs), float(kib) / 2**20
    ok = "ok" if secs <= 10 and gib < 2 else "OVER TARGET"
    print(f"partition spaun_scale (6.6M neurons, 2e10 synapses) onto 1024 ranks: {secs:.2f} s, "
          f"peak RSS {gib:.3f} GiB (target <= 10 s, < 2 GiB: {ok})")

    if not a.skip_nef:
        nef.array(max(1, min(a.runs, 3)))
        nef.circconv(max(1, min(a.runs, 3)))
    if not a.skip_procedural:
        procedural.brunel(BIN, ROOT, a.threads, max(1, min(a.runs, 3)))
        procedural.largest(BIN, ROOT)
        procedural.spaun(BIN, ROOT, a.threads, a.spaun_ms)

    if not a.skip_plastic and not a.skip_nest:
        plastic.side_by_side(BIN, ROOT, PY, a.threads, 3, a.plastic_ms)

    if not a.skip_layouts:
        print("areas.toml (modular network), 2 ranks x 1 thread, 1 s: metis vs round_robin")
        walls = {}
        for part in ["metis", "round_robin"]:
            metas = [run_brainsim("configs/areas.toml", 1, ["--partitioner", part, "--t-stop", "1000"], ranks=2)
                     for _ in range(max(1, min(a.runs, 3)))]
            walls[part] = statistics.median(m["simulate_seconds"] for m in metas)
            m = metas[0]
            print(f"  {part:12s} simulate {walls[part]:6.2f} s, spikes sent {sum(m['spikes_sent_per_rank'])}, "
                  f"epoch {m.get('epoch_steps')} steps")
        print(f"  round_robin / metis wall time: {walls['round_robin'] / walls['metis']:.2f}")
        layouts("Brunel, 1 s", "configs/brunel.toml", max(1, min(a.runs, 3)))
        if not a.skip_mc:
            layouts("Microcircuit, full scale, 1.5 s", "configs/microcircuit.toml", 1)


if __name__ == "__main__":
    sys.exit(main())
