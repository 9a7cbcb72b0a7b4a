# Stegvis: two commands do everything on a fresh machine with Python 3.11 and apt.
#   make run   install, migrate, load content, create a signing key, register the sandbox
#              LMS, and serve on http://127.0.0.1:5000 (gunicorn + the grade worker)
#   make test  install what the tests need (Debian's chromium, PostgreSQL, graphviz, nodejs if missing),
#              then ruff, mypy, the content checker and the whole pytest suite

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

export STEGVIS_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: install run serve test lint typecheck check system-deps bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Stegvis needs $(PYTHON) (Python 3.11)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	STEGVIS_SANDBOX=1 $(BIN)/stegvis db upgrade
	STEGVIS_SANDBOX=1 $(BIN)/stegvis content load
	STEGVIS_SANDBOX=1 $(BIN)/stegvis keys ensure
	STEGVIS_SANDBOX=1 $(BIN)/stegvis sandbox register
	@$(MAKE) --no-print-directory serve

# Serve with gunicorn and run the grade worker beside it; Ctrl-C stops both.
serve:
	@echo "Stegvis: $(STEGVIS_BASE_URL)/   sandbox LMS: $(STEGVIS_BASE_URL)/sandbox/"
	@export STEGVIS_SANDBOX=1; \
	$(BIN)/stegvis worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - \
	    'lti_app.wsgi:create_application()'

system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } \
	    || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    $(APT) update -q && $(APT) install -y -q --no-install-recommends $$missing; \
	fi

lint: install
	$(BIN)/ruff check lti_app scenarios scoring tests bench

typecheck: install
	$(BIN)/mypy

check: install
	$(BIN)/stegvis check content

test: install system-deps lint typecheck check
	$(BIN)/pytest

# Benchmarks: the content pipeline (check, score, parse) and launch throughput against the
# pylti1p3 example and a floor (bench/launch.py); writes docs/performance.md. Slow on
# purpose: it checks 1,000 generated case files on one core.
bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
