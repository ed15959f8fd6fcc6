# lstmcast: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# torch is pinned here, and installed before the package, so that pip takes the
# local CPU build instead of pulling a multi-GB CUDA build for a bare `torch`.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: demo test test-pandas2 test-benchmarks docs lint bench bench-accuracy bench-longhorizon bench-streaming clean browser

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/lstmcast demo

test: $(STAMP) browser
	$(PY) -m ruff check src tests benchmarks examples
	$(VENV)/bin/lint-imports  # the architecture: dependencies point one way (docs/architecture.md)
	$(PY) -m pytest -q -m "not benchmark" -n auto --maxprocesses 4 --dist worksteal  # a worker per core (tests/conftest.py: one thread each)

# The same suite on pandas 2 (users have both; CI runs it after make test). Its venv holds pandas 2
# alone and reads every other package from the main venv through a .pth file: a second copy of
# torch and the rest (2 GB) ran a CI machine out of disk.
PANDAS2_VENV := .venv-pandas2
test-pandas2: $(STAMP) browser
	test -x $(PANDAS2_VENV)/bin/python || $(PYTHON) -m venv $(PANDAS2_VENV)
	$(PANDAS2_VENV)/bin/python -c "import sys, sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()['purelib'], \
	  'lstmcast-main-venv.pth').write_text('import site; site.addsitedir(%r)\n' % sys.argv[1])" \
	  "$$($(PY) -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")"
	$(PANDAS2_VENV)/bin/python -m pip install --quiet "pandas>=2.0,<3"
	$(PANDAS2_VENV)/bin/python -c "import pandas; assert pandas.__version__ < '3', pandas.__version__"
	$(PANDAS2_VENV)/bin/python -m pytest -q -m "not benchmark" -n auto --maxprocesses 4 --dist worksteal

# The benchmark scripts themselves, each run on tiny sizes (about 4 minutes; CI runs it too)
test-benchmarks: $(STAMP)
	$(PY) -m pytest -q -m benchmark

# The documentation site, offline, into docs/_build/html: the API from the docstrings, the
# guides and benchmark pages (Markdown), and the gallery (examples/plot_*.py, run at every build).
# Warnings are errors, and every local link of the built pages is followed (a few minutes).
$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	rm -rf docs/_build/html docs/_build/doctrees docs/api/generated docs/auto_examples
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

# The report test drives Debian's chromium (playwright uses it; it downloads no browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  >/dev/null) ; } || echo "chromium could not be installed: the browser test will be skipped"

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks examples

# lstmcast against a hand-written PyTorch loop and Keras 3 (TensorFlow, JAX, torch backends,
# each in its own environment from benchmarks/peers/setup.sh): writes docs/benchmarks.md (~30 min)
bench: $(STAMP)
	bash benchmarks/peers/setup.sh || echo "some peers could not be installed: they are skipped"
	$(PY) benchmarks/speed.py

# C-MAPSS FD001-FD004 x 5 seeds x 2 configs, airline and sunspots: writes docs/accuracy.md (hours)
bench-accuracy: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/cmapss.py

# ETTh2 at look-back 96, horizons 96-720, M and S, 3 seeds: writes docs/longhorizon.md (hours)
bench-longhorizon: $(STAMP)
	$(PY) benchmarks/longhorizon.py --speed

# Parquet sets of 1 and 4 GiB read in shards: peak memory, and throughput against memory
bench-streaming: $(STAMP)
	$(PY) benchmarks/streaming.py

clean:
	rm -rf $(VENV) $(PANDAS2_VENV) build dist src/*.egg-info .pytest_cache docs/_build docs/api/generated \
	  docs/auto_examples docs/sg_execution_times.rst
