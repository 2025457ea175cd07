# The two commands of the README: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
# pywb (the replay tests' WARC player) pins older cryptography and pyOpenSSL than Scrapy 2.19
# takes, so it gets a venv of its own beside the project's, from a lock of its own.
PYWB_LOCK := requirements-pywb.lock
PYWB   := $(VENV)/pywb/bin/wayback
# Only what the locks name, with their hashes: no resolving, no newer release slipping in.
PIP_LOCKED := pip install --quiet --require-hashes --no-deps

.PHONY: install lock test demo bench screenshots clean

install: $(STAMP) $(PYWB)

$(PYWB): $(PYWB_LOCK)
	$(PYTHON) -m venv $(VENV)/pywb
	$(VENV)/pywb/bin/$(PIP_LOCKED) -r $(PYWB_LOCK)
	touch $(PYWB)

# The project with every extra and the dev tools, at the exact versions of the lock; the
# project itself editable, built with the lock's setuptools.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/$(PIP_LOCKED) -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $(STAMP)

# Refresh the locks on purpose: the newest versions pyproject.toml's ranges (and
# requirements-pywb.in) allow, every extra included. Run the tests before committing them.
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --upgrade --all-extras --generate-hashes --strip-extras --allow-unsafe \
	    --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml
	$(BIN)/pip-compile --quiet --upgrade --generate-hashes --strip-extras --allow-unsafe \
	    --no-emit-index-url --no-emit-find-links --output-file $(PYWB_LOCK) requirements-pywb.in

# The import contracts of pyproject.toml first (half a second), then the tests, in TEST_WORKERS
# processes (pytest-xdist; a file's tests stay in one process, so its fixtures are made once),
# files handed out in collection order, which tests/conftest.py starts with the longest files
# (xdist's own order, by test count, left the few-test crawl files to one worker at the end):
# 8 min 15 s for the 5,773 tests of a clean clone's .ci/run on 2 cores (9 min 18 s with the install), 2026-12-06;
# 15 min 59 s for 5,797 on 2026-12-07, when the same machine ran a bare Scrapy spider at half its earlier CPU speed.
# 12 min 5 s for 5,797 on the same machine on the morning of 2026-12-07 (20 min 53 s of CPU); 10 min 48 s
# for 5,802 that afternoon, longest files first and a few crawls fewer (18 min 51 s of CPU), the machine otherwise idle;
# 8 min 14 s for 5,814 in a clean clone's .ci/run at 07:45 UTC on 2026-12-07 (9 min 36 s with the install).
# 9 min 26 s for 5,824 in a clean clone's .ci/run at 13:02 UTC on 2026-12-07 (10 min 52 s with the install).
# 9 min 9 s for 5,830 in a clean clone's .ci/run at 15:44 UTC on 2026-12-07 (10 min 37 s with the install).
# 9 min 36 s for 5,856 in a clean clone's .ci/run at 20:46 UTC on 2026-12-07 (11 min 20 s with the install).
TEST_WORKERS ?= 2
test: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=10

# make demo DEMO_ARGS=--sister: the sister site too, for stories carried by two sites.
DEMO_ARGS ?=
demo: $(STAMP)
	$(BIN)/bbn-archive demo $(DEMO_ARGS)

# The benchmarks of bench/README.md, printed as one table (about 8 minutes; 12 the first time,
# which builds a 100,000-article archive kept in bench/results/). make bench BENCH_ARGS=--quick
# checks that everything runs in about a minute.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The screenshots of README.md's Datasette section, into docs/: the reading room's browser tests
# (headless Chromium; `apt-get install chromium`) save them there.
screenshots: install
	mkdir -p docs
	BBN_SCREENSHOTS=$(CURDIR)/docs $(BIN)/python -m pytest -q -p no:cacheprovider tests/datasette/test_reading_browser.py \
	    tests/datasette/test_front_browser.py \
	    -k "test_article_page or test_articles_table or only_in_an_faq_answer or 1400px"
	ls docs/reading-*.png

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
