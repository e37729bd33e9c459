# routes: the two commands a newcomer needs are `make demo` and `make test`.
# Both build what they need: a virtualenv, the package, the offline browser assets (npm registry),
# and for the tests Debian's chromium and poppler (apt-get, when missing and the machine allows).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
ASSETS := routes/assets/vendor/manifest.json

.PHONY: demo test lint bench assets system-deps clean

$(VENV)/.installed-base: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[pdf]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-base
	$(PIP) install -q -e '.[dev,notebooks,pdf]'
	touch $@

$(ASSETS): $(VENV)/.installed-base routes/_assets.py
	$(PY) -m routes._assets fetch

assets: $(ASSETS)

# Debian packages: chromium (browser tests, map screenshots, PDF briefs) and poppler-utils (pdftotext,
# pdftoppm in the brief tests). Installed only when missing; needs root and the Debian registry.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 \
	    || ! fc-list 2>/dev/null | grep -qi liberation; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian chromium and poppler-utils"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium poppler-utils fonts-liberation fonts-dejavu-core; \
	  else \
	    echo "chromium/poppler-utils missing and apt-get unavailable: browser and PDF tests will fail" >&2; \
	  fi; \
	fi

demo: $(VENV)/.installed-base $(ASSETS) system-deps
	$(VENV)/bin/routes demo --out maps

test: $(VENV)/.installed-dev $(ASSETS) system-deps
	$(VENV)/bin/ruff check routes tests benchmarks
	$(VENV)/bin/mypy
	# two xdist workers on two cores: one BLAS thread each, or they oversubscribe the machine
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -q -n 2 --dist loadfile

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check routes tests benchmarks
	$(VENV)/bin/mypy

bench: $(VENV)/.installed-dev $(ASSETS)
	$(PIP) install -q -e '.[bench]'
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) routes/assets/vendor .pytest_cache .mypy_cache test-artifacts
