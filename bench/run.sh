#!/usr/bin/env bash
# The benchmark command (make bench). Arguments go to bench/bench.py.
# First the sim crate's kernel micro-benchmarks (sim/benches/kernels.rs),
# then the whole-network benchmarks of bench/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "sim kernels (cargo bench -p brainsim-sim --bench kernels); items/s counts"
echo "synaptic events (ring_deliver_*), neurons x 1 step (iaf_psc_exp_merged_step),"
echo "targets x 4 steps (poisson_refill_4_steps), plastic synaptic events"
echo "(plastic_pl_hom_interval); ns per item = 1000 / Mitem/s"
"${CARGO:-cargo}" bench -p brainsim-sim --bench kernels
exec .venv/bin/python bench/bench.py "$@"
