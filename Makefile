# The two commands: `make demo` and `make test`. Both create .venv on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
DEMO_DIR := demo
DEMO_BUDGET ?= 30

.PHONY: demo test test-slow venv bench bench-scaling bench-continual clean

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

test-slow: $(STAMP)
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-postgresql.sh
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

bench: $(STAMP)
	$(PIP) install --quiet -c constraints.txt -e '.[dev,bench]'
	$(PY) benchmarks/run.py --budget 60 --out benchmarks/results --update-results-md

# Trials/min and best score with 1, 2 and 4 workers on one study (PostgreSQL); run on a quiet machine.
bench-scaling: $(STAMP)
	bash scripts/ensure-postgresql.sh
	$(PY) benchmarks/scaling.py --dataset phoneme --budget 120 --workers 1,2,4 --storage postgresql

# Update policies replayed on the time-ordered dev dataset (static, stateless, stateful, search, auto).
bench-continual: $(STAMP)
	$(PY) benchmarks/continual.py --window 2000 --initial-budget 60 --search-budget 20

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
