# The two commands of the README: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pywb (the replay tests' WARC player) pins older cryptography and pyOpenSSL than Scrapy 2.19
# takes, so it gets a venv of its own beside the project's.
PYWB   := $(VENV)/pywb/bin/wayback

.PHONY: install test demo bench clean

install: $(STAMP) $(PYWB)

$(PYWB):
	$(PYTHON) -m venv $(VENV)/pywb
	$(VENV)/pywb/bin/pip install --quiet 'pywb>=2.9,<3'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The import contracts of pyproject.toml first (half a second), then the tests.
test: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/bbn-archive demo

# The benchmarks of bench/README.md, printed as one table (about 8 minutes; 12 the first time,
# which builds a 100,000-article archive kept in bench/results/). make bench BENCH_ARGS=--quick
# checks that everything runs in about a minute.
bench: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
