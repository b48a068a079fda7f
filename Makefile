# Sesame: `make run` (local mode) and `make test` (every suite). See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := true

.PHONY: install run test lint typecheck unit integration compat infra bench synth deploy destroy clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local,cdk,dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/sesame local $(ARGS)

test: lint typecheck unit integration compat infra

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check sesame lambdas

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(PYTEST) tests/unit -q

integration: $(STAMP)
	$(PYTEST) tests/integration -q

compat: $(STAMP)
	$(PYTEST) tests/compat -q

infra: $(STAMP)
	$(PYTEST) tests/infra -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

synth: $(STAMP)
	CDK_OUTDIR=cdk.out $(BIN)/python app.py

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

deploy: $(STAMP) node_modules/.package-lock.json
	PATH="$(CURDIR)/$(BIN):$$PATH" npx cdk deploy --no-notices $(ARGS)

destroy: $(STAMP) node_modules/.package-lock.json
	PATH="$(CURDIR)/$(BIN):$$PATH" npx cdk destroy --no-notices $(ARGS)

clean:
	rm -rf cdk.out .mypy_cache .ruff_cache
