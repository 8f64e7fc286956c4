# strongswan.vici: developer and CI entry points. `make test` is what CI runs (.ci/run).
# Every target works on a fresh Debian 12 machine as root: `setup` installs what is missing.
# Pass extra arguments to a stage's tool with ARGS, e.g. make sanity ARGS="--test pep8",
# make system ARGS="-k harness -x", make integration ARGS="harness_smoke".

SHELL := /bin/bash
VENV_PYTHON := .venv/bin/python
RUN := bash scripts/run.sh
ARGS ?=

.PHONY: help setup stage lint units sanity integration system eda test demo bench stress pictures clean distclean lab lab-down

help:
	@sed -n '1,4p' Makefile
	@echo "targets: setup lint units sanity integration system eda stress test demo bench pictures stage lab lab-down clean distclean"

setup:
	@bash scripts/bootstrap.sh

stage:
	@bash scripts/stage_collection.sh

lint: setup
	@$(RUN) lint $(ARGS)

units: setup
	@$(RUN) units $(ARGS)

sanity: setup
	@$(RUN) sanity $(ARGS)

integration: setup
	@$(RUN) integration $(ARGS)

system: setup
	@$(RUN) system $(ARGS)

# A real ansible-rulebook run (.venv-eda, Java from default-jre-headless) against two namespaced charons.
eda: setup
	@$(RUN) eda $(ARGS)

# The concurrency tests at scale (300 connections per writer, 40 rounds); not part of `test`.
stress: setup
	@$(RUN) stress $(ARGS)

# setup + lint + units + sanity + integration + system + eda + system6 + molecule; runs every stage, prints a summary, fails if any failed.
test:
	@$(RUN) all

demo: setup
	@bash demo/run.sh

bench: setup
	@$(VENV_PYTHON) benchmarks/codec.py

bench-bulk: setup
	@$(VENV_PYTHON) benchmarks/bulk.py $(ARGS)

# docs/*.dot -> docs/images/*.svg with Graphviz (commit both; tests/unit/test_pictures.py checks they match).
pictures: setup
	@$(VENV_PYTHON) scripts/render_pictures.py


# Lab machines (docs/machines.md): Debian with systemd, reached over ssh; prints the inventory.
# make lab LAB_SUITE=trixie for Debian 13; make lab-down removes every lab of this checkout.
LAB_SUITE ?= bookworm
lab: setup
	@bash scripts/machines/lab.sh up $(if $(filter trixie,$(LAB_SUITE)),13,12) $(LAB_SUITE)

lab-down:
	@bash scripts/machines/lab.sh down-all

clean: lab-down
	rm -rf .tmp tests/output

distclean: clean
	rm -rf .venv
