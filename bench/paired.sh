#!/usr/bin/env bash
# Paired timing of two brainsim binaries on one config: runs them alternately
# (the order flips every pair, so a drift of the machine hits both alike),
# prints each real-time factor and the medians, and checks the two produced
# identical spikes. Used for "no slower than before" checks against a build
# of an earlier commit.
#
# usage: bench/paired.sh BASE_BIN NEW_BIN CONFIG T_STOP_MS PAIRS [run args...]
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1 new=$2 cfg=$3 t=$4 n=$5
shift 5
extra=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # label binary
  rm -rf "$tmp/$1"
  "$2" run "$cfg" --t-stop "$t" --threads 2 --quiet --out "$tmp/$1" ${extra[@]+"${extra[@]}"} \
    | awk '/real-time factor/ {print $3}'
}
declare -a rb rn
for i in $(seq "$n"); do
  if (( i % 2 )); then rb+=("$(run base "$base")"); rn+=("$(run new "$new")")
  else rn+=("$(run new "$new")"); rb+=("$(run base "$base")"); fi
  echo "pair $i: base ${rb[-1]}  new ${rn[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median RTF: base $(median "${rb[@]}")  new $(median "${rn[@]}")"
.venv/bin/python - "$tmp/base/spikes.h5" "$tmp/new/spikes.h5" <<'PY'
import sys, h5py
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
assert sorted(a["spikes"]) == sorted(b["spikes"]), "populations differ"
for p in a["spikes"]:
    for k in ("timestamps", "node_ids"):
        x, y = a["spikes"][p][k][:], b["spikes"][p][k][:]
        assert x.shape == y.shape and (x == y).all(), f"{p}/{k} differ"
print("spikes identical:", sum(len(a["spikes"][p]["node_ids"]) for p in a["spikes"]))
PY
