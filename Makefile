# KRO — two commands on a fresh machine:
#   make run    set up everything and serve on http://127.0.0.1:8000 (SQLite, in-process worker, sandbox)
#   make test   set up everything and run ruff, mypy, import-linter and the whole pytest suite
SHELL := /bin/bash
PYTHON ?= python3
# Trust the machine's certificate store (registries behind a corporate CA work too).
export UV_SYSTEM_CERTS ?= 1
# uv from PATH, else the uv package run as a module (installed below if missing).
UV ?= $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

.PHONY: run test setup uv packages lint typecheck contracts pytest migrate demo bench wrk clean

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user uv \
		|| $(PYTHON) -m pip install --quiet uv \
		|| $(PYTHON) -m pip install --quiet --user --break-system-packages uv
	@$(UV) --version >/dev/null 2>&1 || { echo "uv could not be installed"; exit 1; }

# Bytecode is compiled here, once: every process then imports from .pyc files, also where
# PYTHONDONTWRITEBYTECODE is set (then each process would compile every module again, ~5 s of
# CPU per server start). Incremental: a second run takes a second or two.
setup: uv
	$(UV) sync --frozen --compile-bytecode
	@$(UV) run --no-sync python -m compileall -q -j 0 src migrations >/dev/null
	@mkdir -p var
	@$(UV) run kro web-vendor

run: setup
	$(UV) run kro serve

migrate: setup
	$(UV) run kro migrate

lint: setup
	$(UV) run ruff check src tests bench migrations
	$(UV) run ruff format --check src tests bench migrations

typecheck: setup
	$(UV) run mypy

contracts: setup
	$(UV) run lint-imports

# Debian packages the tests drive: Chromium (the browser journeys, through Playwright) and
# nginx (the proxy in front of several servers, tests/ops).
TEST_PACKAGES := chromium nginx
packages:
	@missing=""; for p in $(TEST_PACKAGES); do \
		command -v $$p >/dev/null 2>&1 || [ -x /usr/sbin/$$p ] || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing$$missing"; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing \
		>/dev/null; fi
	@command -v chromium >/dev/null 2>&1 || { echo "chromium could not be installed"; exit 1; }
	@[ -x /usr/sbin/nginx ] || { echo "nginx could not be installed"; exit 1; }

# The suite on two processes (pytest-xdist; PYTEST_WORKERS=0 runs it in one): each test has
# its own databases, Redis channel and ports (tests/conftest.py, tests/support/server.py).
PYTEST_WORKERS ?= 2
pytest: setup packages
	$(UV) run pytest -n $(PYTEST_WORKERS)

test: lint typecheck contracts pytest

demo: setup
	$(UV) run kro demo escrow

# The HTTP benchmarks drive the servers with Debian's wrk (a Python client was the bottleneck).
wrk:
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }

bench: setup wrk
	$(UV) run python bench/ledger.py --pg postgresql://postgres@127.0.0.1:5432/postgres
	$(UV) run python bench/payments_api.py --pg postgresql://postgres@127.0.0.1:5432/postgres
	$(UV) run python bench/webhook_intake.py --pg postgresql://postgres@127.0.0.1:5432/postgres

clean:
	rm -rf var .venv .pytest_cache .mypy_cache .ruff_cache
