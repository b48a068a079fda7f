# Sesame: `make run` (local mode) and `make test` (every suite). See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := true

.PHONY: system-packages install run test lint typecheck unit integration compat infra bench synth deploy destroy clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local,cdk,dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/sesame local $(ARGS)

test: system-packages lint typecheck unit integration compat infra

# The integration and compat suites run the real daemons and tools from Debian's packages:
# SpamAssassin's spamd and ClamAV's clamd (verdicts), swaks (SMTP). Installed when missing.
SYSTEM_PACKAGES := spamassassin spamd clamav-daemon swaks libnet-ssleay-perl
system-packages:
	@if ! [ -x /usr/sbin/spamd ] || ! [ -x /usr/sbin/clamd ] || ! command -v swaks >/dev/null; then \
	  echo "installing $(SYSTEM_PACKAGES)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi

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
