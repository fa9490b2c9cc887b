# The two commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements.txt

.PHONY: run test lint format bench bench-web prod-smoke demo-sheet venv clean

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) -m faceswap_site.devrun

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks print tables; each section is one script in tools/ (engine first). The gallery section is meant for
# PostgreSQL: DATABASE_URL=postgres://... make bench
bench: venv
	$(PY) -m tools.bench_engine
	$(PY) -m tools.bench_detect
	$(PY) -m tools.bench_gallery
	$(PY) -m tools.bench_uploads
	$(PY) -m tools.bench_swaps
	$(PY) -m tools.bench_fairness
	$(PY) -m tools.bench_crawl

# The production start end to end (DEBUG=False, collectstatic, gunicorn, a swap worker, PostgreSQL, Redis,
# a SeaweedFS S3 server started here), then everything stopped: needs DATABASE_URL and REDIS_URL.
prod-smoke: venv
	$(PY) -m tools.prod_smoke

# Requests per second and latency of the production start (gunicorn -w 2, PostgreSQL, S3), with the
# bytes-from-memory limit of this machine in the same run: needs DATABASE_URL and REDIS_URL.
bench-web: venv
	$(PY) -m tools.bench_web

# Before/after contact sheet of the shared test pairs, written to the ignored artifacts/ folder.
demo-sheet: venv
	$(PY) -m tools.demo_sheet --output artifacts/demo-sheet.png

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
