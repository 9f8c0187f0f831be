# Lärspår: `make demo` runs the product, `make test` runs the suite. Both need only Python >= 3.11:
# with no DATABASE_URL / REDIS_URL they start embedded PostgreSQL and Redis (deploy/devservices.py).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WITH_SERVICES = $(PY) -m deploy.devservices run

.PHONY: install demo test lint typecheck check-migrations pytest bench bench-onboarding bench-import bench-fairness bench-grid messages screenshots clean

$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements/constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

messages: $(STAMP)
	$(PY) -m deploy.compilemessages

demo: install messages
	$(WITH_SERVICES) --profile demo -- $(PY) -m deploy.demo

test: install messages
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(WITH_SERVICES) --profile test -- $(MAKE) --no-print-directory check-migrations pytest

check-migrations:
	$(PY) manage.py makemigrations --check --dry-run

pytest:
	$(PY) -m pytest -q

bench: bench-onboarding bench-import bench-fairness bench-grid

bench-onboarding: install
	$(WITH_SERVICES) --profile bench -- $(PY) -m pytest -q -s tests/benchmarks/test_onboarding.py -p no:randomly

bench-import: install
	$(WITH_SERVICES) --profile bench -- $(PY) -m pytest -q -s tests/benchmarks/test_import.py -p no:randomly

bench-fairness: install
	$(WITH_SERVICES) --profile bench -- $(PY) -m pytest -q -s tests/benchmarks/test_fairness.py -p no:randomly

bench-grid: install
	$(WITH_SERVICES) --profile bench -- $(PY) -m pytest -q -s tests/benchmarks/test_grid.py -p no:randomly

# Pictures of every page per role in docs/screenshots/, from the browser tests (Debian's Chromium).
screenshots: install messages
	$(WITH_SERVICES) --profile screenshots -- $(PY) -m deploy.screenshots

clean:
	rm -rf .state $(VENV)
