# Everyday tasks. `make test` installs the project (editable) into $(VENV) on first use.

VENV ?= .venv
PY = $(VENV)/bin/python
STAMP = $(VENV)/.installed

# MuJoCo offscreen rendering; override with MUJOCO_GL=osmesa on machines without EGL.
MUJOCO_GL ?= egl
export MUJOCO_GL
# Spinning OpenMP waits made torch ~15x slower on the 2-vCPU machine (see judge/__init__.py).
OMP_WAIT_POLICY ?= PASSIVE
export OMP_WAIT_POLICY

# A folder of real, plausible videos that the demo and the quality benchmark mix into training
# and test on (held out by video). This project's own machines have ../shared/real-footage;
# elsewhere: make demo REAL_FOOTAGE=/path/to/videos, or leave it empty for synthetic data only.
REAL_FOOTAGE ?= $(wildcard ../shared/real-footage)
REAL_ARG = $(if $(REAL_FOOTAGE),--real-footage $(REAL_FOOTAGE))

.PHONY: install browser test test-all lint synth demo bench-synth bench-loading bench-quality bench-scoring clean

install: $(STAMP)

# Re-installs whenever pyproject.toml changes (new dependencies, entry points).
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	touch $@

# Installs headless Chromium for the HTML report's browser test where it can; never fails.
browser:
	bash scripts/ensure_browser.sh

test: $(STAMP) browser
	$(PY) -m pytest -m "not slow" -q

test-all: $(STAMP) browser
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

synth: $(STAMP)
	$(VENV)/bin/judge-synth out=data/generated/synth num_scenes=200 seed=0

# End to end: render, train cpu_tiny, evaluate with report.html, rerank a candidate pool
# (about 18 minutes on 2 cores; outputs/demo/; rerun to resume). See judge/cli/demo.py.
demo: $(STAMP)
	$(PY) -m judge.cli.demo $(REAL_ARG)

bench-synth: $(STAMP)
	$(PY) scripts/bench_synth.py

bench-loading: $(STAMP)
	$(PY) scripts/bench_loading.py

# About 80 minutes on 2 cores: cpu_tiny (with the real footage) and the r3d_18 baseline,
# 15 minutes of training each, plus rendering (25 min for training, 5 for the 600 test scenes,
# 1.5 for the 200 flat2d scenes) and splicing; each run's served judge (calibrated on its
# validation split by judge-train) and its bare checkpoint are evaluated.
bench-quality: $(STAMP)
	$(PY) scripts/bench_quality.py $(REAL_ARG)

bench-scoring: $(STAMP)
	$(PY) scripts/bench_scoring.py

# Removes caches (the decoded-frame cache too) and build metadata; leaves $(VENV) and data/generated/ alone.
clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache data/cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
