# The two commands of the README: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pywb (the replay tests' WARC player) pins older cryptography and pyOpenSSL than Scrapy 2.19
# takes, so it gets a venv of its own beside the project's.
PYWB   := $(VENV)/pywb/bin/wayback

.PHONY: install test demo bench screenshots clean

install: $(STAMP) $(PYWB)

$(PYWB):
	$(PYTHON) -m venv $(VENV)/pywb
	$(VENV)/pywb/bin/pip install --quiet 'pywb>=2.9,<3'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The import contracts of pyproject.toml first (half a second), then the tests, in TEST_WORKERS
# processes (pytest-xdist; a file's tests stay in one process, so its fixtures are made once):
# 7 to 9 minutes for the 3,687 tests of a clean clone's .ci/run on 2 cores, 14 in one process.
TEST_WORKERS ?= 2
test: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=10

demo: $(STAMP)
	$(BIN)/bbn-archive demo

# The benchmarks of bench/README.md, printed as one table (about 8 minutes; 12 the first time,
# which builds a 100,000-article archive kept in bench/results/). make bench BENCH_ARGS=--quick
# checks that everything runs in about a minute.
bench: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The three screenshots of README.md's Datasette section, into docs/: the reading room's browser
# tests (headless Chromium; `apt-get install chromium`) save them there.
screenshots: install
	mkdir -p docs
	BBN_SCREENSHOTS=$(CURDIR)/docs $(BIN)/python -m pytest -q -p no:cacheprovider tests/datasette/test_reading_browser.py \
	    -k "test_article_page or test_articles_table or only_in_an_faq_answer"
	ls docs/reading-*.png

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
