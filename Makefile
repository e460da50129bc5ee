# Phantom Arbiter. Every target installs what is missing first, and is safe to run again.
PY ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced
NPM_STAMP := node_modules/.phantom-npm.stamp
ARGS ?=

export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: all install run test lint typecheck pytest bench compiled contracts clean

all: test

$(UV):
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv>=0.4"

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PY)
	@touch $(STAMP)

# anvil, the Uniswap V2 artifacts and solc-js for the EVM devnet
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

install: $(STAMP) $(NPM_STAMP)

contracts: $(NPM_STAMP)
	node scripts/compile_contracts.mjs

run: install
	$(VENV)/bin/phantom run $(ARGS)

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: install
	$(VENV)/bin/mypy

pytest: install
	$(VENV)/bin/pytest

test: lint typecheck pytest

# the other backtesters of the speed race live in bench-only environments (bench/.venvs/)
bench: install
	bash bench/backtesters/setup_envs.sh
	$(VENV)/bin/python -m bench.run_all

# the backtest hot path compiled by mypyc into build/compiled (needs a C compiler); use it with
# PYTHONPATH=build/compiled .venv/bin/phantom backtest ...  (make bench builds it too)
compiled: install
	$(VENV)/bin/python -m bench.compiled

clean:
	rm -rf $(VENV) $(TOOLS) node_modules build .mypy_cache .ruff_cache .pytest_cache
