# The two commands: `make demo` and `make test`. Both create .venv on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
DEMO_DIR := demo
DEMO_BUDGET ?= 30

.PHONY: demo test test-slow lint venv bench bench-300 bench-peers bench-scaling bench-continual clean

venv: $(STAMP)

# _versions.py defines the version the installed metadata must agree with.
$(STAMP): pyproject.toml constraints.txt automl/_core/_versions.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[dev,postgresql]'
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p $(DEMO_DIR)
	$(PY) examples/make_demo_data.py $(DEMO_DIR)/breast_cancer.csv
	$(VENV)/bin/automl search $(DEMO_DIR)/breast_cancer.csv --target diagnosis \
		--time-budget $(DEMO_BUDGET) --study demo --storage sqlite:///$(DEMO_DIR)/automl.db \
		--output $(DEMO_DIR)/runs --seed 0

# The default suite; tests needing PostgreSQL start a throwaway server (scripts/pg_test_server.py).
# Slow tests (real searches on every shared dataset) run with `make test-slow`.
test: $(STAMP)
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-postgresql.sh
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# Static checks: ruff (lint, then format check) on the whole tree, mypy strict on automl/ (pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test-slow: $(STAMP)
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-postgresql.sh
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

# The peers (AutoGluon) live in their own venv: they pin older pandas/numpy than automl.
# torch first, from constraints.txt (the CPU wheel; a bare torch pulls GBs of CUDA), then fastai
# without its torchvision dependency, then AutoGluon tabular and xgboost (benchmarks/peers/).
PEERS_VENV := benchmarks/.peers-venv
PEERS_PIP := $(PEERS_VENV)/bin/python -m pip
PEERS_STAMP := $(PEERS_VENV)/.installed

bench-peers: $(PEERS_STAMP)

$(PEERS_STAMP): benchmarks/peers/requirements.txt benchmarks/peers/fastai.txt constraints.txt
	test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_PIP) install --quiet --upgrade pip
	$(PEERS_PIP) install --quiet -c constraints.txt torch
	$(PEERS_PIP) install --quiet -c constraints.txt --no-deps -r benchmarks/peers/fastai.txt
	$(PEERS_PIP) install --quiet -c constraints.txt -r benchmarks/peers/requirements.txt
	$(PEERS_VENV)/bin/python -c "import autogluon.tabular, fastai.tabular.all, xgboost, torch; assert '+cpu' in torch.__version__"
	touch $(PEERS_STAMP)

BENCH_SEEDS ?= 0,1,2
BENCH_SYSTEMS ?= zero_rule,hgb_defaults,optuna_xgb,flaml,autogluon,automl

# The dev suite at 60 s, every system, three seeds (about 13 datasets x 6 systems x 3 seeds x ~70 s = 4.5 h).
bench: $(STAMP) $(PEERS_STAMP)
	$(PIP) install --quiet -c constraints.txt -e '.[dev,bench]'
	$(PY) benchmarks/run.py --budget 60 --seeds $(BENCH_SEEDS) --systems $(BENCH_SYSTEMS) \
		--out benchmarks/results --update-results-md

# 300 s on four datasets against AutoGluon best_quality (about 4 x 4 x 3 x 320 s = 4.3 h).
bench-300: $(STAMP) $(PEERS_STAMP)
	$(PIP) install --quiet -c constraints.txt -e '.[dev,bench]'
	$(PY) benchmarks/run.py --budget 300 --seeds $(BENCH_SEEDS) --datasets adult,satimage,houses,ames_housing \
		--systems zero_rule,autogluon_best,autogluon,automl --out benchmarks/results-300 \
		--baseline-results benchmarks/results/results.csv

# Trials/min and best score with 1, 2 and 4 workers on one study (PostgreSQL); run on a quiet machine.
bench-scaling: $(STAMP)
	bash scripts/ensure-postgresql.sh
	$(PY) benchmarks/scaling.py --dataset phoneme --budget 120 --workers 1,2,4 --storage postgresql

# Update policies replayed on the time-ordered dev dataset (static, stateless, stateful, search, auto).
bench-continual: $(STAMP)
	$(PY) benchmarks/continual.py --window 5000 --initial-budget 60 --search-budget 20

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
