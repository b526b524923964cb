# PlantMeter: `make demo` runs the whole product on embedded defaults; `make test` runs the suite.
# Both set everything up on a fresh machine: the virtual environment, the Python packages and,
# for tests, Debian's mosquitto, influxdb, mbpoll, socat, openssl, chromium and chromium-driver
# (installed with apt-get when root).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_STAMP := $(VENV)/.demo-stamp
# one pytest worker per core, a test file's tests kept on one worker (its module fixtures built once)
PYTEST_ARGS ?= -n auto --dist loadfile
DEMO_ARGS ?=

# binary:package pairs the test suite starts for real
SYSTEM_DEPS := mosquitto:mosquitto influxd:influxdb mbpoll:mbpoll socat:socat openssl:openssl \
               chromium:chromium chromedriver:chromium-driver pdftotext:poppler-utils

.PHONY: help setup system-deps test demo lint bench clean vendor i18n

help:
	@echo "make demo   - the whole product on the example dairy (history, live meters, alerts, dashboard), until Ctrl-C"
	@echo "make test   - install what is missing, then run the test suite against real servers"
	@echo "make lint   - ruff and mypy"
	@echo "make bench  - the benchmarks in bench/ (each prints its ratio to a reference)"
	@echo "make i18n   - extract the messages; update the es and pt_BR catalogues (then translate)"
	@echo "make vendor - reinstall the dashboard's pinned uPlot and htmx from the npm registry"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# the demo needs only the 'demo' extra (no test tools): a fresh machine is up sooner
$(DEMO_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[demo]'
	touch $(DEMO_STAMP)

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

# DEMO_ARGS, e.g. make demo DEMO_ARGS="--port 8080 --data-dir /tmp/pm-demo"
demo: $(DEMO_STAMP)
	$(BIN)/plantmeter demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: system-deps $(STAMP)
	$(BIN)/python -m bench.gateway
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.analytics
	$(BIN)/python -m bench.store

# Messages of every package and template -> plantmeter/locale/plantmeter.pot; each catalogue
# (plantmeter/locale/{es,pt_BR}/LC_MESSAGES/plantmeter.po) updated: new entries come untranslated
# and tests/test_catalogues.py fails until they are translated.
i18n: $(STAMP)
	$(BIN)/python -m tests.catalogues

# The dashboard's browser libraries, pinned in package.json / package-lock.json, copied with their
# licences into dashboard/static/vendor/ (committed: the app serves them, a plant LAN has no CDN).
VENDOR := dashboard/static/vendor
vendor:
	npm ci --ignore-scripts --no-audit --no-fund
	mkdir -p $(VENDOR)
	cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css $(VENDOR)/
	cp node_modules/uplot/LICENSE $(VENDOR)/uPlot.LICENSE
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/htmx.org/LICENSE $(VENDOR)/htmx.LICENSE
	node -e 'const l=require("./package-lock.json").packages;console.log(["uplot","htmx.org"].map(n=>n+" "+l["node_modules/"+n].version+" "+l["node_modules/"+n].license).join("\n"))' > $(VENDOR)/VERSIONS

clean:
	rm -rf $(VENV) .venv-eemeter var .pytest_cache
