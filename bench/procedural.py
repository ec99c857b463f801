"""Procedural connectivity figures (part of `make bench`, called by bench.py):

- Brunel with pairwise_bernoulli (configs/brunel_procedural.toml, 1 s),
  procedural against the same network stored, in pairs: simulation time
  ratio (median; goal <= 2), build time, peak RSS, spikes equal.
- Spaun scale (configs/spaun_scale.toml, 6.6 M neurons, 2e10 procedural
  synapses) for `spaun_ms` of biological time: build time (goal <= 60 s),
  real-time factor, synaptic events per second per core (goal >= 100 M),
  peak RSS (goal <= 12 GiB).
- The largest network of Spaun's modules (32,768 neurons, 1.0e8 synapses
  each) that fits this machine, stored against procedural, from
  `brainsim check`'s estimate (slope and intercept from 1 and 2 modules).
"""
import json, re, statistics, subprocess, tempfile
from pathlib import Path


def _run(bin_, config, threads, extra=()):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([str(bin_), "run", str(config), "--out", d, "--threads", str(threads), "--quiet", *extra],
                       check=True, stdout=subprocess.DEVNULL)
        return json.loads((Path(d) / "metadata.json").read_text())


def _with_connectivity(root, config, mode, tmp, extra_subs=()):
    text = (root / config).read_text()
    text = re.sub(r'^connectivity = ".*"$', f'connectivity = "{mode}"', text, count=1, flags=re.M)
    for pat, rep in extra_subs:
        text = re.sub(pat, rep, text, count=1, flags=re.M)
    path = Path(tmp) / f"{Path(config).stem}_{mode}.toml"
    path.write_text(text)
    return path


def brunel(bin_, root, threads, pairs):
    with tempfile.TemporaryDirectory() as tmp:
        proc = _with_connectivity(root, "configs/brunel_procedural.toml", "procedural", tmp)
        stored = _with_connectivity(root, "configs/brunel_procedural.toml", "stored", tmp)
        ratios, metas = [], []
        for _ in range(pairs):
            p, s = _run(bin_, proc, threads), _run(bin_, stored, threads)
            assert p["spikes"] == s["spikes"], "procedural and stored must give the same spikes"
            ratios.append(p["simulate_seconds"] / s["simulate_seconds"])
            metas.append((p, s))
    med = lambda i, k: statistics.median(m[i][k] for m in metas)
    print(f"Procedural vs stored, Brunel with pairwise_bernoulli (configs/brunel_procedural.toml, 1 s), "
          f"{threads} thread(s), {pairs} pair(s)")
    print(f"  simulation time     procedural {med(0, 'simulate_seconds'):6.2f} s, stored {med(1, 'simulate_seconds'):6.2f} s: "
          f"median ratio {statistics.median(ratios):.2f} (pairs {[round(r, 2) for r in ratios]}; goal <= 2)")
    print(f"  build time          procedural {med(0, 'build_seconds'):6.2f} s, stored {med(1, 'build_seconds'):6.2f} s")
    print(f"  peak RSS            procedural {med(0, 'peak_rss_bytes') / 2**20:6.0f} MiB, "
          f"stored {med(1, 'peak_rss_bytes') / 2**20:6.0f} MiB")
    ev = lambda i: statistics.median(m[i]["synaptic_events"] / m[i]["simulate_seconds"] / threads for m in metas)
    print(f"  events/s/core       procedural {ev(0) / 1e6:6.1f} M, stored {ev(1) / 1e6:6.1f} M")


def spaun(bin_, root, threads, spaun_ms):
    m = _run(bin_, root / "configs/spaun_scale.toml", threads, ["--t-stop", str(spaun_ms)])
    ev = m["synaptic_events"] / m["simulate_seconds"] / threads
    print(f"Spaun scale (configs/spaun_scale.toml: 6.55 M neurons, 2.0e10 procedural synapses), "
          f"{spaun_ms} ms, {threads} thread(s)")
    print(f"  build time          {m['build_seconds']:8.2f} s (goal <= 60 s)")
    print(f"  real-time factor    {m['real_time_factor']:8.1f}")
    print(f"  events/s/core       {ev / 1e6:8.1f} M (goal >= 100 M)")
    print(f"  peak RSS            {m['peak_rss_bytes'] / 2**30:8.2f} GiB (goal <= 12 GiB)")
    print(f"  spikes              {m['spikes']}")


def _peak_mib(bin_, config):
    out = subprocess.run([str(bin_), "check", str(config)], check=True, capture_output=True, text=True).stdout
    return max(float(x) for x in re.findall(r"estimated peak ([0-9.]+) MiB", out))


def largest(bin_, root):
    avail = None
    with tempfile.TemporaryDirectory() as tmp:
        fits = {}
        for mode in ["stored", "procedural"]:
            peaks = []
            for n in [1, 2]:
                cfg = _with_connectivity(root, "configs/spaun_scale.toml", mode, tmp,
                                         [(r"^modules = \d+", f"modules = {n}")])
                peaks.append(_peak_mib(bin_, cfg))
                out = subprocess.run([str(bin_), "check", str(cfg)], check=True, capture_output=True,
                                     text=True).stdout
                got = re.search(r"of the ([0-9.]+) GiB available", out)
                avail = float(got.group(1)) * 1024 if got else avail
            per, base = peaks[1] - peaks[0], 2 * peaks[0] - peaks[1]
            fits[mode] = int((avail - base) // per)
    print(f"Largest network of Spaun modules (32,768 neurons, 1.0e8 synapses each) in {avail / 1024:.1f} GiB "
          f"(brainsim check estimate, 1 rank):")
    for mode, n in fits.items():
        print(f"  {mode:10s} {n:6d} modules: {n * 32768 / 1e6:7.2f} M neurons, {n * 1.0e8:.2e} synapses")
