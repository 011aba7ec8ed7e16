# Two entry points for a fresh machine (see README): `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint unit bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	VENV=$(VENV) bash examples/demo.sh

lint: $(BIN)/.installed  # import-linter runs inside pytest (tests/test_architecture.py)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check reconciler
	$(BIN)/mypy

unit: $(BIN)/.installed
	$(BIN)/python -m pytest -q

test: lint unit

bench: $(BIN)/.installed
	$(BIN)/python bench/plan_scale.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
