# Two entry points for a fresh machine (see README): `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint unit bench clean pulumi-cli

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

bench: $(BIN)/.installed
	$(BIN)/python bench/plan_scale.py

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
