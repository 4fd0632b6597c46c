# One entry point for set-up, checks and tests. Everything it needs it installs itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := $(HOME)/.cache/hourbank/sam-cli-1.170.0
SAM := $(SAM_VENV)/bin/sam
# checkov pins its own boto3 and pydantic: it lives in a venv of its own too (issue 16).
CHECKOV_VENV := $(HOME)/.cache/hourbank/checkov-3.3.30
CHECKOV := $(CHECKOV_VENV)/bin/checkov

.PHONY: setup paths dev test lint build build-check unit integration e2e bench dynamodb-local clean web-build web-deps

$(VENV)/.installed: requirements-dev.txt layers/deps/requirements.txt layers/payments/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# SAM CLI pins its own pydantic, so it lives in a venv of its own, cached outside the repo.
$(SAM):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q aws-sam-cli==1.170.0

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q checkov==3.3.30

setup: $(VENV)/.installed paths $(SAM) $(CHECKOV) dynamodb-local

# The import roots, listed once (pyproject.toml, [tool.pytest.ini_options] pythonpath), written into the venv
# as a .pth file: `python -m devstack`, `python -m ops.month_end` and the benchmarks then import hourbank, the
# local stack and the functions by name, and no file edits sys.path. The Lambda workers of the local stack run
# with -I -S, so they never see these roots, only their function's code and layers.
paths: $(VENV)/.installed
	$(PY) -c 'import pathlib, sysconfig, tomllib; \
	roots = tomllib.loads(pathlib.Path("pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["pythonpath"]; \
	pth = pathlib.Path(sysconfig.get_path("purelib"), "hourbank-roots.pth"); \
	pth.write_text("".join(f"{pathlib.Path(r).resolve()}\n" for r in roots))'

dynamodb-local: $(VENV)/.installed paths
	$(PY) -m devstack dynamodb fetch

# The web app (web/: TypeScript + Preact, bundled by Vite into web/dist/, which the local gateway serves and
# scripts/ops/publish_site.py uploads): `npm ci` when node_modules is older than the lock file, then the build
# when a source changed (scripts/buildtools/web_build.py; the browser tests' fixture calls the same).
web-deps: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web-build: web-deps
	$(PYTHON) scripts/buildtools/web_build.py

# The run command of README.md: the whole template on this machine (API on :3000, streams, schedules,
# DynamoDB Local with data kept in .local/). ARGS="--fresh" starts clean, ARGS="--in-memory" keeps nothing.
dev: $(VENV)/.installed paths dynamodb-local web-build
	$(PY) -m devstack up --seed $(ARGS)

lint: setup web-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	cd web && npm run typecheck
	$(VENV)/bin/cfn-lint template.yaml
	# AWS's serverless rules and checkov: 0 findings; each skip sits in template.yaml with its reason.
	$(VENV)/bin/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules
	$(CHECKOV) -f template.yaml --framework cloudformation --quiet --compact --skip-download
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 $(SAM) validate --lint -t template.yaml

# The deploy artifact (.aws-sam/build): sam build with the template's runtime Python first on PATH (found, or
# installed from Debian's packages, by scripts/buildtools/runtime_python.py; the machine's default python3 is
# older, and this step runs before the venv's own python).
build: setup
	RUNTIME_PY=$$($(PYTHON) scripts/buildtools/runtime_python.py) && \
	PATH="$$(dirname $$RUNTIME_PY):$$PATH" SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 $(SAM) build

# Every built function imports and answers one typical event with only its own code, layers and variables.
build-check: build
	$(PY) -m buildtools.build_check

unit: setup
	$(VENV)/bin/pytest -m unit

integration: setup
	$(VENV)/bin/pytest -m integration

e2e: setup web-build
	$(VENV)/bin/pytest -m e2e

# The test command of README.md: lint, template checks, then every test (DynamoDB Local included), spread over
# TEST_WORKERS processes by file (pytest-xdist; each worker has its own DynamoDB Local and local stack). In-process
# tests run before the local stack's in each process (tests/conftest.py), so they run first, then the stack's; the
# least-privilege check reads what every worker recorded, so it runs last (tests/support/least_privilege.py), after
# the timed tests (marked alone), which run by themselves.
TEST_WORKERS ?= 3
IAM_RECORDS := .pytest_cache/iam-records
PYTEST_SPREAD := HOURBANK_IAM_RECORDS=$(IAM_RECORDS) $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile
test: lint build-check web-build
	rm -rf $(IAM_RECORDS) && mkdir -p $(IAM_RECORDS)
	$(PYTEST_SPREAD) tests/unit tests/integration
	$(PYTEST_SPREAD) tests/e2e -m "not after_all_tests and not alone"
	HOURBANK_IAM_RECORDS=$(IAM_RECORDS) $(VENV)/bin/pytest -m "alone or after_all_tests"

bench: setup
	$(PY) -m bench.operations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache web/node_modules web/dist
