"""The plastic Brunel network (configs/plastic_brunel.toml: 5,000
iaf_psc_alpha neurons, 2.5 M synapses of which 1.6 M E -> E
stdp_pl_synapse_hom) in brainsim and in NEST 3.10 side by side (part of
`make bench`, called by bench.py; issue 13):

- pairs of runs, brainsim then NEST (scripts/nest_plastic_brunel.py, the
  same network read from the same TOML, `local_num_threads` = threads),
  each for `t_ms` of biological time; medians of the simulation times, of
  the per-pair ratio NEST / brainsim (goal >= 10) and of the build times
  (brainsim: build_seconds; NEST: create + connect + Prepare);
- bytes per plastic synapse. Ours from the runs' own figures: the synapse
  store's bytes (metadata.json `bytes_per_synapse` x synapses) of this
  network minus those of the same network with a static E -> E projection
  (a 10 ms run), divided by the E -> E synapses, plus the static network's
  bytes per synapse (what the plastic synapse replaced). NEST's measured:
  the growth of the process's resident memory (VmRSS) over the E -> E
  Connect call, divided by its synapses (the connection objects, their
  source-table entries and the containers' spare capacity); its static
  E -> I projection is given the same way for comparison.
"""
import json, re, statistics, subprocess, sys, tempfile
from pathlib import Path

CONFIG = "configs/plastic_brunel.toml"


def _brainsim(bin_, config, threads, t_ms):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([str(bin_), "run", str(config), "--out", d, "--threads", str(threads), "--quiet",
                        "--t-stop", str(t_ms)], check=True, stdout=subprocess.DEVNULL)
        return json.loads((Path(d) / "metadata.json").read_text())


def _nest(py, root, threads, t_ms):
    out = subprocess.run([str(py), str(root / "scripts" / "nest_plastic_brunel.py"), "--threads", str(threads),
                          "--t-stop", str(t_ms)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _store_bytes(meta):
    return meta["bytes_per_synapse"] * meta["synapses"]


def _ours_bytes_per_plastic(bin_, root, threads, plastic_meta, n_ee):
    """See the module doc: plastic store bytes against the static network's."""
    text = (root / CONFIG).read_text()
    static = re.sub(r'^synapse_model = "stdp_pl_synapse_hom"\n^synapse_params = .*\n', "", text, count=1,
                    flags=re.M)
    assert static != text, "the E -> E projection's synapse_model lines were not found"
    # A static projection's weights cannot be recorded: drop the weight recordings.
    static = re.sub(r'^\[\[record\]\]\ntype = "weights"\n(^[^\[\n].*\n)*', "", static, flags=re.M)
    static = static.replace("save_weights = true", "save_weights = false")
    with tempfile.TemporaryDirectory() as d:
        cfg = Path(d) / "static_brunel.toml"
        cfg.write_text(static)
        s = _brainsim(bin_, cfg, threads, 10.0)
    return (_store_bytes(plastic_meta) - _store_bytes(s)) / n_ee + s["bytes_per_synapse"]


def side_by_side(bin_, root, py, threads, pairs, t_ms):
    ours, nest, ratios = [], [], []
    for _ in range(pairs):
        ours.append(_brainsim(bin_, root / CONFIG, threads, t_ms))
        nest.append(_nest(py, root, threads, t_ms))
        ratios.append(nest[-1]["simulate_s"] / ours[-1]["simulate_seconds"])
    med = statistics.median
    n_ee = 4000 * 400  # E -> E: 4,000 targets x in-degree 400 (checked below against NEST's count)
    assert nest[0]["sizes"] == {"E": 4000, "I": 1000}, nest[0]["sizes"]
    ours_b = _ours_bytes_per_plastic(bin_, root, threads, ours[0], n_ee)
    rss = nest[0]["rss_bytes"]
    nest_b = (rss["after_projection_0"] - rss["after_create"]) / n_ee
    nest_static_b = (rss["after_projection_1"] - rss["after_projection_0"]) / (1000 * 400)
    print(f"Plastic Brunel ({CONFIG}: 5,000 neurons, 2.5 M synapses, 1.6 M E->E stdp_pl_synapse_hom), "
          f"{t_ms:.0f} ms, {threads} thread(s), {pairs} pair(s) brainsim / NEST 3.10 alternated; medians "
          f"(the cores are shared with other jobs: noisy)")
    print(f"  simulation time     brainsim {med(m['simulate_seconds'] for m in ours):7.2f} s, "
          f"NEST {med(r['simulate_s'] for r in nest):7.2f} s: NEST / brainsim median {med(ratios):.1f}x "
          f"(pairs {[round(r, 1) for r in ratios]}; goal >= 10x)")
    print(f"  build time          brainsim {med(m['build_seconds'] for m in ours):7.2f} s, "
          f"NEST {med(r['create_s'] + r['connect_s'] + r['prepare_s'] for r in nest):7.2f} s "
          f"(create + connect + Prepare)")
    print(f"  peak RSS            brainsim {med(m['peak_rss_bytes'] for m in ours) / 2**20:7.0f} MiB, "
          f"NEST {med(r['rss_bytes']['after_run'] for r in nest) / 2**20:7.0f} MiB (VmRSS after the run)")
    print(f"  bytes/plastic syn.  brainsim {ours_b:7.2f} (store bytes, plastic minus static run, goal <= 16), "
          f"NEST {nest_b:7.1f} (VmRSS growth over the E->E Connect; its static E->I: {nest_static_b:.1f})")
    print("  rates               " + ", ".join(
        f"{p['name']} brainsim {p['rate_hz']:.2f} / NEST {nest[0]['rates_hz'][p['name']]:.2f} Hz"
        for p in ours[0]["populations"]))


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    side_by_side(root / "target" / "release" / "brainsim", root, root / ".venv" / "bin" / "python",
                 int(sys.argv[1]) if len(sys.argv) > 1 else 2, int(sys.argv[2]) if len(sys.argv) > 2 else 3,
                 float(sys.argv[3]) if len(sys.argv) > 3 else 1000.0)
