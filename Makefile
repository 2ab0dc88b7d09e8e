# Studyhall — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# axe-core for the accessibility browser test (package.json); npm ci, never committed.
NODE_STAMP := node_modules/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve demo demo-reset test unit lint format screenshots stack stack-stop bench overload evaluate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm is missing: the accessibility browser test will skip (apt-get install npm)"; fi

install: $(STAMP) $(NODE_STAMP)

## make run: set up everything, load the demo course and accounts (only when absent), serve http://127.0.0.1:8000
run: demo serve

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo

## make demo-reset: reload the demo course and reset the demo accounts on purpose (undoes admin edits to them)
demo-reset: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo --reset

serve: install
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: lint, type-check and run the whole suite
test: lint unit

unit: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make screenshots: retake the README screenshots (needs Debian's chromium)
screenshots: install
	$(BIN)/pytest tests/browser -m browser -q --screenshots=docs/screenshots

## make stack: the docker-compose topology as local processes (PostgreSQL, Redis, gunicorn, Celery worker + beat)
stack: install
	scripts/stack.sh start

stack-stop:
	scripts/stack.sh stop

## make bench: seed a large dataset, load-test with wrk on loopback, print ratios to a bare Django view
bench: install
	bench/run.sh

## make overload: 200 connections for 30 s against a running `make stack`: old config vs nginx in front (docs/deploy.md)
overload: install
	bench/overload.sh

## make evaluate: replay the real review log and the learner simulation through the learner model, print the tables
evaluate: install
	$(BIN)/python manage.py evaluate_learner_model $(EVALUATE_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .mypy_cache .ruff_cache
