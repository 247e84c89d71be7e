# The template's own tooling. Needs only python3 (3.11+) and make: uv is
# bootstrapped into .venv, then manages everything else from uv.lock.
PYTHON ?= python3
UV := .venv/bin/uv
# Both cores: bakes and generated test suites run in parallel.
WORKERS ?= 2
# The generated project is linted by the tests, after baking.
LINTED := hooks tests benchmarks local_extensions.py

.PHONY: test lint bake clean

$(UV):
	$(PYTHON) -m venv .venv
	.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked
	touch $@

test: .venv/.synced ## Run the template's test suite (bakes and runs generated services)
	$(UV) run --locked pytest -n $(WORKERS) --dist loadgroup --durations=15

lint: .venv/.synced ## Lint the template's own code
	$(UV) run --locked ruff check $(LINTED)
	$(UV) run --locked ruff format --check $(LINTED)
	$(UV) run --locked mypy

bake: .venv/.synced ## Bake the defaults into ./build
	$(UV) run --locked cookiecutter --no-input --overwrite-if-exists -o build .

clean:
	rm -rf .venv build .pytest_cache .ruff_cache .mypy_cache
