# PlantMeter: `make demo` runs the whole chain on embedded defaults; `make test` runs the suite.
# Both set everything up on a fresh machine: the virtual environment, the Python packages and,
# for tests, Debian's mosquitto, influxdb, mbpoll, socat and openssl (installed with apt-get when root).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

# binary:package pairs the test suite starts for real
SYSTEM_DEPS := mosquitto:mosquitto influxd:influxdb mbpoll:mbpoll socat:socat openssl:openssl

.PHONY: help setup system-deps test demo lint bench clean

help:
	@echo "make demo   - simulator + gateway + embedded broker + ingest into SQLite, until Ctrl-C"
	@echo "make test   - install what is missing, then run the test suite against real servers"
	@echo "make lint   - ruff and mypy"
	@echo "make bench  - the benchmarks in bench/ (each prints its ratio to a reference)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

system-deps:
	@missing=""; \
	for pair in $(SYSTEM_DEPS); do \
	  bin=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$bin >/dev/null 2>&1 || [ -x /usr/sbin/$$bin ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing Debian packages:$$missing -- run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi

test: system-deps $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/plantmeter demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: system-deps $(STAMP)
	$(BIN)/python -m bench.gateway
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.analytics
	$(BIN)/python -m bench.store

clean:
	rm -rf $(VENV) .venv-eemeter var .pytest_cache
