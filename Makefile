# Two entry points for a fresh machine (see README): `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint unit bench bench-all clean pulumi-cli

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

test: lint pulumi-cli unit

# Benchmarks (bench/RESULTS.md). `bench`: every benchmark at a small size, a few
# minutes in all, to check they run; its figures are not the ones RESULTS.md
# quotes. `bench-all`: the runs RESULTS.md reports, about an hour on 2 cores
# (the 100k plans are paced at 2 requests/s). Each prints one JSON document.
bench: $(BIN)/.installed
	$(BIN)/python bench/plan_scale.py --quick
	$(BIN)/python bench/plan_calls.py --quick
	$(BIN)/python bench/numbers_load.py --numbers 10000 --runs 1
	$(BIN)/python bench/s3_ledger.py --sizes 0,10000 --repeats 5 --writers 4 --each 5
	$(BIN)/python bench/apply_rate.py --quick
	$(BIN)/python bench/crash_soak.py --trials 10

bench-all: $(BIN)/.installed
	$(BIN)/python bench/plan_scale.py
	$(BIN)/python bench/plan_calls.py
	$(BIN)/python bench/numbers_load.py --runs 3
	$(BIN)/python bench/s3_ledger.py --sizes 0,10000,100000 --repeats 20 --writers 8
	$(BIN)/python bench/apply_rate.py
	$(BIN)/python bench/apply_rate.py --limits raised --only product --repeats 10
	$(BIN)/python bench/crash_soak.py --trials 100
	$(BIN)/python bench/crash_soak.py --trials 100 --release-latency 0.05

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis .tools

# The real Pulumi engine for tests/pulumi/test_engine.py, built from Go modules
# (tools/pulumi/go.mod pins the version; README "Pulumi"). Go's module and build
# caches make a second run take seconds; each binary is rebuilt only when its
# inputs change. `nice`: the build uses every core.
PULUMI_BIN := .tools/pulumi/bin
PULUMI_VERSION = $(shell sed -n 's|.*github.com/pulumi/pulumi/pkg/v3 \(v[0-9.]*\).*|\1|p' tools/pulumi/go.mod)
GO_INSTALL = cd tools/pulumi && GOFLAGS=-buildvcs=false GOBIN=$(CURDIR)/$(PULUMI_BIN) nice go install

pulumi-cli: $(PULUMI_BIN)/pulumi $(PULUMI_BIN)/pulumi-language-python \
	$(PULUMI_BIN)/pulumi-language-python-exec $(PULUMI_BIN)/pulumi-resource-pulumi-python

$(PULUMI_BIN)/pulumi: tools/pulumi/go.mod tools/pulumi/go.sum
	$(GO_INSTALL) -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$(PULUMI_VERSION)" \
		github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	touch $@

$(PULUMI_BIN)/pulumi-language-python: tools/pulumi/go.mod tools/pulumi/go.sum \
		tools/pulumi/cmd/pulumi-language-python/main.go
	$(GO_INSTALL) ./cmd/pulumi-language-python
	touch $@

$(PULUMI_BIN)/%: tools/pulumi/bin/%
	install -D -m 0755 $< $@
