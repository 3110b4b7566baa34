# The two Quick-start commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install run test lint format lock worker beat security messages

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

# Embedded default: SQLite file in var/, eager tasks, console email, demo data. DEBUG=1 throughout:
# with DEBUG off, the embedded (published) SECRET_KEY is a system-check error.
run: install
	mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py demo
	@echo "Open http://127.0.0.1:8000/ and sign in with an address printed above."
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# pytest's exit code 5 (nothing collected) is a failure, not a pass.
test: install
	mkdir -p var/tmp
	TMPDIR=$(CURDIR)/var/tmp $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# Style, the floors (import-linter's contract) and dead code (vulture); both configured in
# pyproject.toml. Import cycles inside an app are tests/test_architecture.py, run by `make test`.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/vulture

# Security review of the code (bandit; what it reported and was reviewed is in
# .bandit-baseline.json, each finding explained in docs/security.md: only new findings fail) and of
# the pinned dependencies (pip-audit; skipped, saying why, where PyPI's API is unreachable).
security: install
	$(VENV)/bin/bandit -q -c pyproject.toml -r $(BANDIT_PATHS) -b .bandit-baseline.json
	VENV=$(VENV) .ci/pip-audit

BANDIT_PATHS := accounts seats billing invitations api scim ops seatmgr bench

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Re-pin every dependency after editing pyproject.toml.
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --universal -o requirements.lock

# The French catalogue: collect every marked string into locale/fr/LC_MESSAGES/django.po (new ones
# untranslated; msgmerge's fuzzy guesses are emptied, a wrong guess being worse than none), then compile the .mo files that are committed beside it
# (tests/i18n/test_catalogue.py fails when a msgid is untranslated or fuzzy, or a .mo is stale).
FR_PO := locale/fr/LC_MESSAGES/django.po
MESSAGE_IGNORES := --ignore=.venv --ignore=tests --ignore=bench --ignore=var --ignore=node_modules
messages: install
	DEBUG=1 $(PY) manage.py makemessages -l fr --add-location=file --no-obsolete $(MESSAGE_IGNORES)
	msgattrib --clear-fuzzy --empty --clear-previous -o $(FR_PO) $(FR_PO)
	DEBUG=1 $(PY) manage.py compilemessages -l fr $(MESSAGE_IGNORES)

worker: install
	$(VENV)/bin/celery -A seatmgr worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A seatmgr beat --loglevel=INFO --schedule var/celerybeat-schedule
