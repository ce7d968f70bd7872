# Masthead — two commands do everything: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL and Redis used by the second test pass when they are reachable.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/masthead
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: install demo serve test lint bench-pages bench-events bench-discovery bench-ingest bench-dashboard evaluate clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# Migrate, create an admin (printed once), generate the demo corpus if the site is empty, send
# a little synthetic reader traffic (so Ranking and counts are alive), then serve on http://$(HOST):$(PORT) with the task worker and the publishing scheduler alongside.
demo: install
	DEBUG=1 $(BIN)/masthead migrate --noinput -v0
	DEBUG=1 $(BIN)/masthead ensure_admin
	DEBUG=1 $(BIN)/masthead generate --articles 2000 --seed 1 --if-empty
	DEBUG=1 $(BIN)/masthead simulate --readers 200 --hours 24 --seed $$(date +%s)
	DEBUG=1 $(BIN)/masthead ensure_demo_source --base-url http://$(HOST):$(PORT)
	DEBUG=1 $(BIN)/masthead ingest-file masthead/demo/static/demo/demo-wire.xml --source "Demo wire"
	DEBUG=1 $(BIN)/masthead dashboard_rollup
	@echo "Masthead is at http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	trap 'kill 0' INT TERM EXIT; \
	DEBUG=1 $(BIN)/masthead db_worker >var/worker.log 2>&1 & \
	DEBUG=1 $(BIN)/masthead run_periodic >var/periodic.log 2>&1 & \
	DEBUG=1 $(BIN)/masthead runserver $(HOST):$(PORT)

# Production mode on this machine: DEBUG off, gunicorn with 2 workers, static files by whitenoise.
serve: install
	@mkdir -p var && test -s var/secret_key || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 $(BIN)/masthead migrate --noinput -v0
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 $(BIN)/masthead collectstatic --noinput -v0
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 $(BIN)/gunicorn masthead.wsgi \
		--bind $(HOST):$(PORT) --workers 2 --access-logfile - --timeout 30

test: install
	$(BIN)/python -m tests.browser_setup
	$(BIN)/pytest --create-db -q
	@if $(BIN)/python -m tests.services_up "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"; then \
		echo "== again on PostgreSQL + Redis =="; \
		DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
			$(BIN)/pytest --create-db -q -m "not browser and not sqlite_only"; \
	else echo "PostgreSQL/Redis not reachable: scale-configuration pass skipped."; fi

lint: install
	$(BIN)/ruff check masthead tests bench
	$(BIN)/ruff format --check masthead tests bench

bench-pages: install
	$(BIN)/python bench/pages.py

bench-events: install
	$(BIN)/python bench/events.py

bench-discovery: install
	$(BIN)/python bench/discovery.py

bench-ingest: install
	$(BIN)/python bench/ingest.py

bench-dashboard: install
	$(BIN)/python bench/dashboard.py

# Recommendation, story clusters and Related scored offline on MIND, simulated traffic, the site's
# own log and the labelled news sets in MASTHEAD_DATA_DIR (default ../shared/data).
evaluate: install
	DEBUG=1 $(BIN)/masthead evaluate --json var/evaluation.json

clean:
	rm -rf $(VENV) var test-output
