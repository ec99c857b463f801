# brainsim — the two set-up commands of the README are `make run` and `make test`.
CARGO ?= cargo
export BRAINSIM_PYTHON := $(CURDIR)/.venv/bin/python

.PHONY: run test bench setup build lint

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build --release

# Install what is missing, build, run the default example (Brunel 2000, 1 s;
# it replaces its own earlier run in out/brunel) and analyse it.
run: build
	target/release/brainsim run configs/brunel.toml --out out/brunel --overwrite
	target/release/brainsim analyze out/brunel --t-start 100

# The whole test suite: unit tests of every crate, whole-program tests, lints.
# Property tests draw their cases from a fixed seed here, so a CI run is
# reproducible; `cargo test` alone explores new cases each time.
test: export PROPTEST_RNG_SEED ?= 20261130
test: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --all-targets -- -D warnings
	$(CARGO) clippy --release -p brainsim -p brainsim-cluster --no-default-features -- -D warnings
	$(CARGO) test --release --workspace

# Speed and memory figures (medians of several runs), with NEST 3.10 side by side.
bench:
	@scripts/setup.sh --bench
	$(CARGO) build --release
	CARGO=$(CARGO) bench/run.sh
