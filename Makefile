# Readiness Portal: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask

.PHONY: run test lint install clean migration

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
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts tests/oidc_provider/node_modules tests/axe/node_modules

# A new migration from the models' changes, numbered after the last one; read and tidy it.
migration: $(VENV)/.installed  ## make migration m="what changed": autogenerate the next migration
	@test -n "$(m)" || { echo 'usage: make migration m="what changed"'; exit 2; }
	rev=$$(printf %04d $$(( $$(ls migrations/versions/[0-9]*.py | wc -l) + 1 ))) && \
	tmp=$$(mktemp -d) && PORTAL_INSTANCE_PATH=$$tmp DATABASE_URL=sqlite:///$$tmp/schema.db \
	  sh -c '$(FLASK) db upgrade && $(FLASK) db migrate --rev-id '$$rev' -m "$(m)"'; \
	status=$$?; rm -rf $$tmp; exit $$status

# Performance at scale (issue 9): the main pages at 20,000 and 200 items under gunicorn,
# driven by wrk; BENCH_DATABASE_URL adds PostgreSQL. See bench/README.md. The data comes
# from bench/scale.py (`flask --app bench.scale dev seed-scale`), not from the portal.
.PHONY: bench
bench: $(VENV)/.installed-test  ## measure the main pages at scale, write bench/results/
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py
