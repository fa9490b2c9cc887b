# The two commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements.txt

.PHONY: run test test-fast lint format bench bench-web bench-pages bench-scale bench-click bench-worker prod-smoke demo-sheet messages venv clean

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) -m faceswap_site.devrun

# Tests run on both cores (pytest-xdist; PYTEST_WORKERS=0 for one process), each worker with its own test
# database and Redis (testing/plugin.py); the longest tests start first, one share per worker, and worksteal
# evens out the rest.
PYTEST_WORKERS ?= 2
PYTEST_XDIST := -n $(PYTEST_WORKERS) --dist worksteal

# Everything; with DATABASE_URL, REDIS_URL and CI=true (as .ci/run does) nothing may skip.
test: venv
	$(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

# The inner loop: everything that needs no browser and no external server (no Chromium, PostgreSQL, Redis,
# SeaweedFS, gunicorn, runserver or RQ worker process), on SQLite and an in-process fakeredis whatever the
# environment says. Markers: pytest.ini and testing/plugin.py.
test-fast: venv
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest $(PYTEST_XDIST) -m "not browser and not server" $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks print tables; each section is one script in tools/ (engine first). The gallery section is meant for
# PostgreSQL: DATABASE_URL=postgres://... make bench. BEFORE=<checkout of an earlier commit> adds that engine's
# row to the look table and that site's rows to the flood table, measured in the same run.
bench: venv
	$(PY) -m tools.bench_engine
	$(PY) -m tools.bench_look $(if $(BEFORE),--before $(BEFORE))
	$(PY) -m tools.bench_detect
	$(PY) -m tools.bench_gallery
	$(PY) -m tools.bench_uploads
	$(PY) -m tools.bench_flood --no-limits $(if $(BEFORE),--before $(BEFORE))
	$(PY) -m tools.bench_content
	$(PY) -m tools.bench_swaps
	$(PY) -m tools.bench_fairness
	$(PY) -m tools.bench_crawl
	$(PY) -m tools.bench_provenance
	$(PY) -m tools.bench_consent

# The production start end to end (DEBUG=False, collectstatic, gunicorn, a swap worker, PostgreSQL, Redis,
# a SeaweedFS S3 server started here), then everything stopped: needs DATABASE_URL and REDIS_URL.
prod-smoke: venv
	$(PY) -m tools.prod_smoke

# Requests per second and latency of the production start (gunicorn -w 2, PostgreSQL, S3), with the
# bytes-from-memory limit of this machine in the same run: needs DATABASE_URL and REDIS_URL.
bench-web: venv
	$(PY) -m tools.bench_web

# The server time (median, p95, CPU) and SQL queries of each signed-in page, called in one process as a
# gunicorn worker would, against the anonymous gallery's cache hit: needs DATABASE_URL and REDIS_URL.
bench-pages: venv
	$(PY) -m tools.bench_pages

# The gallery's queries (time and plan) and cache-miss pages at 100,000 templates and 1,000,000 swaps, against
# 200 templates, on a throwaway PostgreSQL database: DATABASE_URL=postgres://... make bench-scale
bench-scale: venv
	$(PY) -m tools.bench_scale

# Click -> finished picture in Chromium (median of 5) against the worker's processing time, the site served by
# the push process and by gunicorn alone, in one run: needs DATABASE_URL and REDIS_URL.
bench-click: venv
	$(PY) -m tools.bench_click

# Where a swap job's time goes outside the engine, and swaps/s for 1, 2 and 4 swap workers.
bench-worker: venv
	$(PY) -m tools.bench_worker

# Before/after contact sheets of the shared test pairs, written to the ignored artifacts/ folder
# (BEFORE=<checkout of an earlier commit> adds that engine's results: make demo-sheet BEFORE=/tmp/old).
demo-sheet: venv
	$(PY) -m tools.demo_sheet --output artifacts/demo-sheet.png $(if $(BEFORE),--before $(BEFORE))

venv: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

# --no-deps: requirements.txt is the complete pinned set, and it leaves out insightface's GUI
# opencv-python, which would overwrite opencv-python-headless's cv2/ folder.
$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.txt
	cp requirements.txt $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts

# Translations (locale/, README "Languages"): gather every marked string into the Chinese and Japanese catalogues,
# then compile them (the .mo files are committed, so `make run` and production need no gettext tools).
MESSAGES_IGNORE := --ignore='staticfiles/*' --ignore='artifacts/*' --ignore='media/*' --ignore='var/*' \
	--ignore='tools/*' --ignore='testing/*' --ignore='*/tests/*' --ignore='faceengine/*' --ignore='conftest.py'
messages: venv
	$(PY) manage.py makemessages -l zh_Hans -l ja --no-location --no-obsolete $(MESSAGES_IGNORE)
	$(PY) manage.py makemessages -d djangojs -l zh_Hans -l ja --no-location --no-obsolete $(MESSAGES_IGNORE)
	$(PY) manage.py compilemessages --ignore='.venv'
