"""NEF figures (part of `make bench`, called by bench.py; also runnable alone:
`.venv/bin/python bench/nef.py [--pairs 3] [--seconds 1]`):

- A 512-dimensional state as an ensemble array (512 ensembles of 50 LIF
  neurons, 25,600 neurons), fed by a 512-D sine node, every dimension probed
  through Lowpass(0.01): brainsim's NEF run (`sim/examples/nef_bench/main.rs`,
  rayon's default threads) against Nengo 4.1's reference simulator
  (`nengo.networks.EnsembleArray`, NumPy), alternated in pairs: build time
  and run time of `seconds` of simulated time, medians and ratios (goals:
  run >= 20x, build >= 10x faster).
- A 64-dimensional circular convolution (`nengo.networks.CircularConvolution
  (200, 64)`: 132 products, 264 ensembles of 100 neurons, 26,400 neurons) of
  two fixed random unit vectors fed through Lowpass(0.005), its output
  probed through Lowpass(0.01): brainsim (`nef_bench circconv`, the same
  network written with passthrough nodes, `sim/examples/nef_bench/
  circconv.rs`) against Nengo, the same pairs and figures, plus each side's
  RMSE of the last probed value against the exact convolution (each side
  draws its own vectors and neurons).
"""
import argparse, json, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NENGO = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np, nengo
d, n, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
phases = 2 * np.pi * np.arange(d) / d
with nengo.Network(seed=1) as net:
    inp = nengo.Node(lambda t: np.sin(2 * np.pi * t + phases))
    arr = nengo.networks.EnsembleArray(n, d)
    nengo.Connection(inp, arr.input)
    p = nengo.Probe(arr.output, synapse=0.01)
t0 = time.perf_counter()
sim = nengo.Simulator(net, progress_bar=False)
build = time.perf_counter() - t0
t1 = time.perf_counter()
sim.run(seconds)
run = time.perf_counter() - t1
print(json.dumps({"neurons": d * n, "build_seconds": build, "run_seconds": run, "nengo": nengo.__version__}))
"""


NENGO_CCONV = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np, nengo
d, n, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(1)
a, b = (v / np.linalg.norm(v) for v in rng.standard_normal((2, d)))
ideal = np.real(np.fft.ifft(np.fft.fft(a) * np.fft.fft(b)))
with nengo.Network(seed=1) as net:
    na, nb = nengo.Node(a), nengo.Node(b)
    cc = nengo.networks.CircularConvolution(n, d)
    nengo.Connection(na, cc.input_a)
    nengo.Connection(nb, cc.input_b)
    p = nengo.Probe(cc.output, synapse=0.01)
t0 = time.perf_counter()
sim = nengo.Simulator(net, progress_bar=False)
build = time.perf_counter() - t0
t1 = time.perf_counter()
sim.run(seconds)
run = time.perf_counter() - t1
rmse = float(np.sqrt(np.mean((sim.data[p][-1] - ideal) ** 2)))
neurons = sum(e.n_neurons for e in net.all_ensembles)
print(json.dumps({"neurons": neurons, "build_seconds": build, "run_seconds": run, "nengo": nengo.__version__,
                  "rmse": rmse}))
"""


def ours(kind, d, n, seconds):
    exe = ROOT / "target/release/examples/nef_bench"
    out = subprocess.run([str(exe), kind, str(d), str(n), str(seconds)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def nengo(kind, d, n, seconds):
    py = ROOT / ".venv/bin/python"
    script = NENGO if kind == "array" else NENGO_CCONV
    out = subprocess.run([str(py), "-c", script, str(d), str(n), str(seconds)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def array(pairs=3, seconds=1.0, d=512, n=50):
    side_by_side("array", pairs, seconds, d, n)


def circconv(pairs=3, seconds=1.0, d=64, n=200):
    side_by_side("circconv", pairs, seconds, d, n)


def side_by_side(kind, pairs, seconds, d, n):
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "brainsim-sim", "--example", "nef_bench"],
                   check=True, cwd=ROOT)
    runs = [(ours(kind, d, n, seconds), nengo(kind, d, n, seconds)) for _ in range(pairs)]
    med = lambda side, key: statistics.median(r[side][key] for r in runs)
    what = {"array": f"NEF ensemble array, {d} dimensions x {n} neurons",
            "circconv": f"NEF circular convolution, {d} dimensions, {n} neurons per product"}[kind]
    print(f"{what} ({runs[0][0]['neurons']} neurons), {seconds} s, {pairs} pairs "
          f"(brainsim on {runs[0][0]['threads']} threads; Nengo {runs[0][1]['nengo']}, reference simulator)")
    if kind == "circconv":
        print(f"  RMSE of the output vs the exact convolution: brainsim {med(0, 'rmse'):.4f}, "
              f"Nengo {med(1, 'rmse'):.4f}")
    for key, goal in [("build_seconds", 10), ("run_seconds", 20)]:
        ratios = [r[1][key] / r[0][key] for r in runs]
        print(f"  {key:14s} brainsim {med(0, key):7.2f} s   Nengo {med(1, key):7.2f} s   "
              f"Nengo/brainsim median {statistics.median(ratios):6.1f}x (pairs {[round(x, 1) for x in ratios]}; "
              f"goal >= {goal}x)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.0)
    a = ap.parse_args()
    array(a.pairs, a.seconds)
    circconv(a.pairs, a.seconds)
