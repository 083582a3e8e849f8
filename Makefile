# bizpilot: `make demo` serves the demo workspace on http://127.0.0.1:8000; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SEED ?= 42

.PHONY: install browser demo serve test test-fast test-postgres bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[postgres,test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/bizpilot demo --seed $(SEED)

serve: install
	$(BIN)/bizpilot serve

# Browser tests drive Debian's chromium through Playwright (never a downloaded browser build).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "note: /usr/bin/chromium missing and not root: browser tests will be skipped"; fi; \
	fi

test: install browser
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not slow"

# Storage and import tests against a real PostgreSQL on 127.0.0.1 (installs/starts Debian's postgresql).
test-postgres: install
	BIZPILOT_DATABASE_URL="$$(bash .ci/postgres.sh)" $(BIN)/pytest -q -m storage

bench: install
	$(PY) bench/import_online_retail.py

clean:
	rm -rf $(VENV) bizpilot-data .pytest_cache test-artifacts
