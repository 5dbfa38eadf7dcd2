# The one way in: `make run` serves the site locally, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast seed lint format migrate check messages bench bench-tools bench-smoke load cluster cluster-tools clean fonts

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

migrate: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput

run: migrate fonts
	$(BIN)/python manage.py load_seed --if-empty
	$(BIN)/python manage.py create_demo_users --address $(HOST):$(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The Chinese font the estates' cover cards are drawn with (Debian's fonts-noto-cjk, found by
# the SHOWCASE_COVER_FONT setting): installed when missing and this runs as root, else how to
# install it is printed. Without it the site runs, with its plain share image for every card.
COVER_FONT ?= $(or $(SHOWCASE_COVER_FONT),/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc)
fonts:
	@if [ -f "$(COVER_FONT)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing fonts-noto-cjk for the estates' cover cards"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null \
			|| echo "fonts-noto-cjk could not be installed: the cover cards show the site's share image"; \
	else \
		echo "封面卡片需要中文字体 $(COVER_FONT)：请运行 sudo apt-get install fonts-noto-cjk，"; \
		echo "或把 SHOWCASE_COVER_FONT 设为含简体中文的字体文件。未安装时各小区显示网站的通用分享图。"; \
	fi

# Reload the seed data over the local database (overwrites edits to the seed rows).
seed: migrate
	$(BIN)/python manage.py load_seed

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Everything but the browser journeys and the fuzz sweeps, one worker per core: the quick
# check while working.
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n auto -m "not browser and not fuzz" $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: $(VENV)/.installed-test
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# Refresh the English catalogue after changing texts (needs GNU gettext), then translate
# the new entries in locale/en/LC_MESSAGES/django.po and run this again to compile it.
messages: $(VENV)/.installed-test
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=tests
	msgfmt --check -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po

# Benchmarks: writes BENCHMARKS.md and bench/results.json (SQLite, and PostgreSQL when it answers).
bench: $(VENV)/.installed-test bench-tools
	$(BIN)/python bench/run.py

# What the benchmarks drive beside Python: wrk (Debian's package) for the throughput figures, and
# the local PostgreSQL server, started if it is installed but not running.
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { echo "Installing wrk for the throughput figures"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } \
		|| echo "wrk could not be installed: throughput is not measured"
	@if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1; then \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -n 1) main start; \
		for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done; fi

# The load test: gunicorn under wrk (64 connections, 30 s) while the admin saves edits;
# fails on any error, lost view or lost save. Writes bench/load.md (needs wrk).
load: $(VENV)/.installed-test bench-tools
	$(BIN)/python bench/load.py

# The cluster test: nginx in front of two gunicorn app servers sharing PostgreSQL, a Redis of
# its own (the page cache) and moto as S3 (the media), all started here and stopped at the end;
# the load test through nginx, a photo uploaded on one server shown by the other, an edit saved
# on one seen on the other within a second. Writes bench/cluster.md; CLUSTER_ARGS="--seconds 12"
# for a short run.
cluster: $(VENV)/.installed-test bench-tools cluster-tools
	$(BIN)/python bench/cluster.py $(CLUSTER_ARGS)

# Debian's nginx and redis-server (only their programs are used, with configurations of the
# test's own), installed when missing.
cluster-tools:
	@command -v nginx >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1 || { \
		echo "Installing nginx and redis-server for the cluster test"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		apt-get install -y -qq nginx redis-server >/dev/null; }

bench-smoke: $(VENV)/.installed-test
	$(BIN)/python bench/run.py --smoke

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
