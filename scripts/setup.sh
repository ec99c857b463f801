#!/usr/bin/env bash
# Installs what brainsim needs and is missing on Debian 12: the system packages
# (HDF5, MPI/clang for the cluster layer, Slurm and munge for the tests that
# submit jobs to a private single-node Slurm, scripts/slurm_local.sh), and a
# Python virtualenv in .venv (h5py, pandas and libsonata for the output checks, nengo
# 4.1.0 for scripts/nengo_fixtures.py; with --bench also NEST 3.10).
# Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential pkg-config libhdf5-dev hdf5-tools libclang-dev libopenmpi-dev openmpi-bin python3-venv time slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust >= 1.85 (https://rustup.rs) and run again" >&2
  exit 1
fi

python_pkgs=(numpy h5py pandas libsonata nengo==4.1.0)
[ "${1:-}" = "--bench" ] && python_pkgs+=(nest-simulator==3.10.0)
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
for p in "${python_pkgs[@]}"; do
  name=${p%%==*}
  .venv/bin/python -m pip show -q "$name" >/dev/null 2>&1 || need_pip=1
done
if [ "${need_pip:-0}" = 1 ]; then
  echo "setup: installing Python packages ${python_pkgs[*]} into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check "${python_pkgs[@]}"
fi
