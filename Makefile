# The two entry points a newcomer needs: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint fmt dev bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $@

$(VENV)/.dev: $(VENV)/.installed
	$(PIP) -e '.[dev]'
	touch $@

## demo: create .venv, install the auditor, run the embedded demo
demo: $(VENV)/.installed
	$(VENV)/bin/auditor demo

## dev: install with the development tools
dev: $(VENV)/.dev

## lint: ruff (check + format check), mypy --strict, import-linter contracts
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check auditor tests benchmarks migrations
	$(VENV)/bin/ruff format --check auditor tests benchmarks migrations
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## test: lint, then the whole test suite on SQLite and PostgreSQL, with branch coverage
test: lint
	$(VENV)/bin/pytest --cov --cov-report=term

fmt: $(VENV)/.dev
	$(VENV)/bin/ruff format auditor tests benchmarks migrations
	$(VENV)/bin/ruff check --fix auditor tests benchmarks migrations

## bench: the benchmarks (print figures; not part of `make test`)
bench: $(VENV)/.dev
	for b in benchmarks/bench_*.py; do $(PY) $$b; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
