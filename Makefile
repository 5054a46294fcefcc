# jitmaker: the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= jit-maker-config.yaml
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint soak soak-memory soak-sim venv clean check-config

venv: $(STAMP)

# Build the virtualenv from the hash-locked requirements; the package itself
# goes in editable, without touching the index (its build backend is locked too).
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml setup.py \
		src/jitmaker/accounts/_speedups.c
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes \
		-r requirements.lock -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps \
		--no-build-isolation -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/jitmaker --config-file=$(CONFIG)

check-config: $(STAMP)
	$(BIN)/jitmaker check-config --config-file=$(CONFIG)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run

# reliability soak: the bot under mixed faults against the simulator (figures in bench/README.md)
soak: $(STAMP)
	$(BIN)/python -m bench.soak

# hours of simulated flow with faults: memory and task count over time
soak-memory: $(STAMP)
	$(BIN)/python -m bench.soak --mode memory --hours 6

# the simulator alone: a day of 400 ms slots in accelerated time, memory measured
soak-sim: $(STAMP)
	$(BIN)/python -m bench.soak_sim

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

clean:
	rm -rf $(VENV) build dist src/*.egg-info src/jitmaker/accounts/_speedups.*.so
