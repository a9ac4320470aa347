# Passage: `make run` serves a demo on 127.0.0.1:5000; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PASSAGE_INSTANCE_PATH ?= $(CURDIR)/instance

LOCK := requirements.lock
LOCK_TOOLS := .venv-lock
# Semgrep's in-repo rules (.semgrep/, docs/security.md R54) run over the application, as the
# house rules do: tests and bench are left out (tests/fixtures/semgrep/ plants an offender
# for each rule, which tests/test_semgrep.py scans). No metrics and no version check: nothing
# leaves the machine.
SEMGREP_TARGETS := core access screening referral reporting wsgi.py templates

.PHONY: install run test test-fast lint bench bench-reporting translations catalogues demo-code clean lock sbom audit-deps

# Every dependency, pip and the build backend included, is installed at the exact version
# and from a file with the hash that requirements.lock names: pip refuses anything unpinned
# or altered (docs/security.md, R55). The project itself goes in last, with nothing more.
$(STAMP): setup.cfg pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d translations 2>&1 | grep -v '^compiling' || true

# Re-extract every user-facing string and merge it into the French and Spanish catalogues.
catalogues: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_ngettext:1,2 -o translations/messages.pot --no-location \
		--omit-header --sort-output --ignore-dirs='.* tests' .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap \
		--ignore-obsolete

$(PASSAGE_INSTANCE_PATH)/config.py:
	mkdir -p -m 700 $(PASSAGE_INSTANCE_PATH)
	printf '# Development settings written by `make run`; never commit this folder.\nSECRET_KEY = "%s"\n' \
		"$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))')" > $@
	chmod 600 $@

run: install $(PASSAGE_INSTANCE_PATH)/config.py
	PASSAGE_ENV=development $(BIN)/flask --app wsgi init-db
	PASSAGE_ENV=development $(BIN)/flask --app wsgi demo
	@echo "Serving on http://127.0.0.1:5000 (stop with Ctrl-C)."
	PASSAGE_ENV=development $(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

demo-code: $(STAMP)
	@PASSAGE_ENV=development $(BIN)/flask --app wsgi demo code $(EMAIL)

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/semgrep scan --metrics off --disable-version-check --error --config .semgrep/ $(SEMGREP_TARGETS)
	$(BIN)/pytest $(PYTEST_ARGS)

# The everyday loop: everything but browser, fuzzing, concurrency and timing tests.
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/semgrep scan --metrics off --disable-version-check --error --config .semgrep/ $(SEMGREP_TARGETS)
	$(BIN)/pytest -m "not browser and not fuzz and not concurrency and not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/semgrep scan --metrics off --disable-version-check --error --config .semgrep/ $(SEMGREP_TARGETS)

# Every benchmark, one JSON document of figures and goals (bench/README.md); set
# BENCH_DATABASE_URL=postgresql+psycopg://… to measure PostgreSQL too, BENCH_ONLY=a,b for some.
bench: $(STAMP)
	$(BIN)/python -m bench.run_all

# The report catalogue at 10,000 and 1,000,000 facts on PostgreSQL (about a minute; a
# throwaway database on the local server, or pass BENCH_ARGS="--database-url URL").
bench-reporting: $(STAMP)
	$(BIN)/python -m bench.reporting_scale $(BENCH_ARGS)

# Resolve setup.cfg's ranges again into requirements.lock, with hashes (after changing a
# dependency; needs the package index). The resolver has a virtual environment of its own.
lock:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/pip install --quiet pip-tools==7.7.0
	$(LOCK_TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --all-build-deps \
		--extra dev --no-strip-extras --no-emit-index-url --no-emit-find-links -o $(LOCK) setup.cfg

# The software bill of materials (CycloneDX JSON) of what requirements.lock installs.
sbom: $(STAMP)
	$(BIN)/cyclonedx-py requirements --of JSON --output-reproducible -o sbom.cdx.json $(LOCK)

# Known vulnerabilities in the locked dependencies: one fails, an unreachable service warns.
audit-deps: $(STAMP)
	$(BIN)/python .ci/audit_deps.py $(LOCK)

clean:
	rm -rf $(VENV) $(LOCK_TOOLS) .pytest_cache .ruff_cache .mypy_cache
	find . -name '__pycache__' -type d -prune -exec rm -rf {} +
