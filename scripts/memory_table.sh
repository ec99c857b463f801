#!/usr/bin/env bash
# Memory estimate against measured peak RSS, per rank: the table in
# cluster/DESIGN.md. Runs each network at 1 rank (2 threads, no MPI) and at
# 2 ranks (mpirun, 1 thread each) and prints one row per (network, ranks,
# rank) from metadata.json (`memory_estimate_bytes_per_rank`,
# `peak_rss_bytes_per_rank`). Generated configs live in a temporary
# directory. Usage: scripts/memory_table.sh [NAME...] (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/brainsim
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# A network of E (4/5) and I (1/5) iaf_psc_exp neurons: N neurons, in-degree
# K (80 % from E), delays uniform in [0.5, DMAX] ms, Poisson drive.
gen() { # name N K DMAX CHUNK
    local n=$2 k=$3 dmax=$4 chunk=$5
    local ne=$((n * 4 / 5)) ni=$((n - n * 4 / 5)) ke=$((k * 4 / 5)) ki=$((k - k * 4 / 5))
    cat > "$TMP/$1.toml" <<TOML
[simulation]
dt = 0.1
t_stop = 10.0
seed = 7
chunk_size = $chunk

[[population]]
name = "E"
size = $ne
model = "iaf_psc_exp"
params = { E_L = 0.0, V_th = 20.0, V_reset = 10.0, tau_m = 20.0, tau_syn_ex = 0.5, tau_syn_in = 0.5 }
initial = { V_m = { distribution = "uniform", low = 0.0, high = 20.0 } }

[[population]]
name = "I"
size = $ni
model = "iaf_psc_exp"
params = { E_L = 0.0, V_th = 20.0, V_reset = 10.0, tau_m = 20.0, tau_syn_ex = 0.5, tau_syn_in = 0.5 }

[[projection]]
source = "E"
target = "E"
rule = "fixed_indegree"
indegree = $ke
weight = 50.0
delay = { distribution = "uniform", low = 0.5, high = $dmax }

[[projection]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = $ki
weight = -250.0
delay = { distribution = "uniform", low = 0.5, high = $dmax }

[[projection]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = $ke
weight = 50.0
delay = { distribution = "uniform", low = 0.5, high = $dmax }

[[projection]]
source = "I"
target = "I"
rule = "fixed_indegree"
indegree = $ki
weight = -250.0
delay = { distribution = "uniform", low = 0.5, high = $dmax }

[[stimulus]]
type = "poisson_generator"
target = "E"
rate = 20000.0
weight = 50.0
delay = 1.0

[[stimulus]]
type = "poisson_generator"
target = "I"
rate = 20000.0
weight = 50.0
delay = 1.0
TOML
}

gen tiny 10 2 1.0 512
gen long_delay 50000 100 200.0 1250
gen two_million 2000000 10 1.5 512
declare -A CONFIG=(
    [tiny]=$TMP/tiny.toml
    [brunel]=configs/brunel.toml
    [microcircuit]=configs/microcircuit.toml
    [areas]=configs/areas.toml
    [long_delay]=$TMP/long_delay.toml
    [two_million]=$TMP/two_million.toml
)
NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(tiny brunel microcircuit areas long_delay two_million)

row() { # name ranks dir
    python3 - "$1" "$2" "$3/metadata.json" <<'PY'
import json, sys
name, ranks, path = sys.argv[1:]
m = json.load(open(path))
for r, (est, peak) in enumerate(zip(m["memory_estimate_bytes_per_rank"], m["peak_rss_bytes_per_rank"])):
    print(f"| {name} | {ranks} | {r} | {m['synapses_per_rank'][r]:.3e} | {est/2**20:.0f} | {peak/2**20:.0f} | {100*(est/peak-1):+.0f} % |")
PY
}

echo "| network | ranks | rank | synapses | estimate MiB | peak RSS MiB | estimate - peak |"
echo "|---|---|---|---|---|---|---|"
for name in "${NAMES[@]}"; do
    cfg=${CONFIG[$name]}
    $BIN run "$cfg" --out "$TMP/out1" --threads 2 --t-stop 10 --quiet --overwrite > /dev/null
    row "$name" 1 "$TMP/out1"
    mpirun --oversubscribe --bind-to none -np 2 $BIN run "$cfg" --out "$TMP/out2" --threads 1 --t-stop 10 --quiet --overwrite > /dev/null
    row "$name" 2 "$TMP/out2"
done
