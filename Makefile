# Alliance: the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# PostgreSQL for the test suite: every database test runs on SQLite and on this server,
# each run in databases of its own (created and dropped by tests/conftest.py).
ALLIANCE_TEST_POSTGRES_URL ?= postgresql+psycopg://root@127.0.0.1:5432/test
export ALLIANCE_TEST_POSTGRES_URL
# Two workers or more (pytest-xdist): each gets databases of its own (tests/conftest.py);
# worksteal hands a worker that is done tests queued for the other, so long tests at the
# end do not leave a core idle.
PYTEST_ARGS ?= -n auto --dist worksteal

# Debian packages the Python dependencies build against (vpdq needs FFmpeg's libraries);
# ffmpeg itself makes the benign test clips; WeasyPrint (the report as PDF) draws its text
# with Pango and the DejaVu fonts.
SYSTEM_PACKAGES := pkg-config g++ ffmpeg libavcodec-dev libavformat-dev libavutil-dev \
	libswscale-dev libavdevice-dev libavfilter-dev libswresample-dev \
	libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core


.PHONY: help install system run test lint format bench browser clean

help:
	@echo "make run    - set up, build the demo world, serve http://127.0.0.1:8000 (the hub)"
	@echo "             and the demo platform in member mode on http://127.0.0.1:8001"
	@echo "make test   - set up, run the whole test suite (SQLite + PostgreSQL + browser)"
	@echo "make lint   - ruff, mypy (--strict on src, looser on tests), import contracts"
	@echo "make bench  - benchmarks against the anchors, written to docs/benchmarks.md"

system:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) \
	    || { echo "could not install $$missing (need root and Debian's packages)"; exit 1; }; \
	fi

$(STAMP): pyproject.toml constraints.txt | system
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,ray]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/alliance demo
	$(BIN)/alliance serve

# Browser tests drive the system Chromium (Debian package `chromium`); Playwright's own
# browser download is not used.
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	    || { echo "could not install chromium (need root and Debian's packages)"; exit 1; }; }

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/alliance tests bench  # tests and bench: the looser profile in pyproject
	$(BIN)/lint-imports --no-cache --no-logo  # the layers of docs/architecture.md

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

# The match service's load generator is wrk (Debian's package): bench/service.py.
bench: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	@command -v wrk >/dev/null || { \
	  echo "installing Debian's wrk for the match service benchmark"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) \
	    || echo "could not install wrk: the service benchmark will say it was not measured"; }
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
