# Jamana: `make run` starts the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format messages setup bench clean

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $(STAMP)

setup: $(STAMP)
	$(PY) manage.py compile_translations
	mkdir -p var/static

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py trust_init
	@echo "Jamana on http://127.0.0.1:8000 — mobile-money simulator (the payer's phone) on"
	@echo "http://127.0.0.1:8765/_sim/ — Ctrl-C stops the web server, worker, poller and simulator."
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) -m jamana.payments.simulator --port 8765 & \
	$(PY) manage.py db_worker --interval 0.5 & \
	$(PY) manage.py poll_payments --every 15 & \
	$(PY) manage.py deliver_messages --every 5 & \
	$(PY) manage.py calls_jobs --every 30 & \
	$(PY) manage.py runserver --noreload 127.0.0.1:8000

test: setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy jamana
	$(PY) manage.py makemigrations --check --dry-run

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup
	$(PY) bench/request_status.py
	$(PY) bench/documents.py
	$(PY) bench/seal2d.py
	$(PY) bench/payments.py
	$(PY) bench/civil_import.py
	$(PY) bench/sms_smpp.py
	$(PY) bench/justice_b3.py
	$(PY) bench/ussd.py
	$(PY) bench/calls_rush.py
	$(PY) bench/assistant.py

clean:
	rm -rf $(VENV) var
