# The course's commands (see README.md):
#   make lab     set up (first time: a few minutes), copy new exercises into work/, open JupyterLab
#   make test    set up with the test tools, run every test and notebook, then the unit tests
#                again against the oldest supported numpy
#   make update  bring the course up to date (git pull); a lesson you edited is kept in work/lessons/
# All delegate to tools/bootstrap.py (standard library only) and are fast when nothing changed.
# Another Python:  make lab PYTHON=/path/to/python3.12      Port:  JUPYTER_PORT=8890 make lab

# the first of these that is Python 3.10 or newer
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11 python3.10 python; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1 && { command -v $$p; break; }; \
	done)

.PHONY: lab test update setup help

lab: check-python
	@"$(PYTHON)" tools/bootstrap.py lab

test: check-python
	@"$(PYTHON)" tools/bootstrap.py test

update: check-python
	@"$(PYTHON)" tools/bootstrap.py update

setup: check-python
	@"$(PYTHON)" tools/bootstrap.py setup --test

help:
	@sed -n '1,8p' Makefile

# maintainers: layer and notebook benchmark (several minutes), writes results/bench/ (RESULTS.md,
# results.json, results.png); the programs are in tools/ (python -m tools.NAME, see results/README.md)
.PHONY: bench
# (it installs the test tools and torch first if `make lab` set .venv up without them)
bench: check-python
	@"$(PYTHON)" tools/bootstrap.py bench

.PHONY: check-python
check-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "rnncourse needs Python 3.10 or newer, and none was found on PATH."; \
		echo "Install one (https://www.python.org/downloads/), then: make lab PYTHON=/path/to/python3"; \
		exit 1; \
	fi

# instructors: a room of 8 learners on a real JupyterHub on this machine, timed; as root (it
# creates one system user per learner: sudo make hub-test); see instructors/jupyterhub.md.
# Needs node and npm (for configurable-http-proxy).
.PHONY: hub-test
hub-test: check-python
	@test -x .venv/bin/python || "$(PYTHON)" tools/bootstrap.py setup --test
	@.venv/bin/python -m tools.hub_load --learners 8 --repeats 10
