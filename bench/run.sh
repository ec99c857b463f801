#!/usr/bin/env bash
# The benchmark command (make bench). Arguments go to bench/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python bench/bench.py "$@"
