# Readiness Portal: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask

.PHONY: run test lint install clean schema

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed  ## the portal and its dependencies, into .venv

run: $(VENV)/.installed  ## migrate, load the demo when empty, serve on http://127.0.0.1:5000
	$(FLASK) db upgrade
	$(FLASK) seed-demo --rebase-to-today --if-empty
	PORTAL_SCHEDULER=on $(FLASK) run --host 127.0.0.1 --port 5000

test: $(VENV)/.installed-test  ## every test this machine can run
	$(PY) -m pytest

lint: $(VENV)/.installed-test  ## ruff and bandit
	$(VENV)/bin/ruff check portal tests bench
	$(VENV)/bin/bandit -q -c pyproject.toml -r portal

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts

# While nothing is deployed the schema is one migration, regenerated from the models.
schema: $(VENV)/.installed  ## regenerate migrations/versions/0001_initial_schema.py
	rm -f migrations/versions/*.py
	tmp=$$(mktemp -d) && PORTAL_INSTANCE_PATH=$$tmp DATABASE_URL=sqlite:///$$tmp/schema.db \
	  $(FLASK) db migrate --rev-id 0001 -m "initial schema" && rm -rf $$tmp

# Performance at scale (issue 9): the main pages at 20,000 and 200 items under gunicorn,
# driven by wrk; BENCH_DATABASE_URL adds PostgreSQL. See bench/README.md.
.PHONY: bench
bench: $(VENV)/.installed-test  ## measure the main pages at scale, write bench/results/
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py
