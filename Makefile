# Lạng Sơn MTQG giảm nghèo bền vững — pipeline front door. `make` alone lists the targets.
# Flow: data/raw -> (build) data/processed -> (validate, GX gate) -> (render) reports/<year>/
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SUFFIXES:

# Run lock: a second make in this checkout waits for the first, set-up and input hashing included. This outer
# make only re-runs make holding flock(1) on .make.lock through a file descriptor that make and its children
# inherit, so the OS releases it when they end, killed or not. LANGSON_MAKE_LOCKED names the locked checkout:
# recursive makes skip the lock, a make in another copy of the project takes that copy's. help and lab (a
# JupyterLab session lasts hours) take none.
ifneq ($(if $(filter-out help lab,$(or $(MAKECMDGOALS),help)),$(LANGSON_MAKE_LOCKED),$(CURDIR)),$(CURDIR))
.PHONY: $(MAKECMDGOALS) .locked-run
$(MAKECMDGOALS): .locked-run ; @:
.locked-run:
	@exec 9>>.make.lock; flock -n 9 || { echo "Một lệnh make khác đang chạy trong thư mục này; chờ nó xong… /" \
	  "another make is running in this checkout; waiting for it to finish…" >&2; flock 9; }; \
	LANGSON_MAKE_LOCKED='$(CURDIR)' exec $(MAKE) --no-print-directory $(MAKECMDGOALS)
else
YEAR ?=
DISTRICT ?=
# Report edition: vi (default, file names as ever) or en (files with ".en" before the extension). Not LANG or
# LANGUAGE: shells set those, and make would read them.
EDITION ?= vi
SCALE ?= 1
REPEAT ?=
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
LAB_VENV := .venv-lab

# Offline, quiet and deterministic runs.
export GX_ANALYTICS_ENABLED := False
export TQDM_DISABLE := 1
export PYTHONHASHSEED := 0
export TZ := UTC
export LC_ALL := C.UTF-8
export MPLBACKEND := Agg
# Python caches each module's bytecode the first time it is imported (in .venv and __pycache__/, both
# ignored by git): setup then installs without compiling ≈80 packages ahead, and later runs import fast.
unexport PYTHONDONTWRITEBYTECODE
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1640995200)
export SOURCE_DATE_EPOCH

# Content stamps (pipeline/stamp.py): targets depend on the hash of their inputs, not on mtimes, so a
# touch or a git checkout rebuilds nothing. Input stamps are refreshed at the start of every make run.
IN := .stamps
OUT := data/processed/.stamps
ifneq ($(filter-out help clean distclean,$(or $(MAKECMDGOALS),help)),)
$(shell $(PYTHON) -m pipeline.stamp inputs)
endif
REGISTERS := data/raw/registers
SAMPLE_DONE := $(REGISTERS)/.sample-data.done
BUILT := $(OUT)/processed.sha256
VALIDATED := $(OUT)/validated.sha256
EDITION_SUFFIX := $(if $(filter-out vi,$(strip $(EDITION))),.$(strip $(EDITION)))
REPORT_DONE := reports/$(YEAR)/.report-$(if $(DISTRICT),district-$(DISTRICT),province)$(EDITION_SUFFIX).done
REPORTS_DONE := reports/$(YEAR)/.reports-all$(EDITION_SUFFIX).done

.PHONY: help setup data validate report reports pdf verify sample-data bench test clean distclean lock lab

## help: list the targets (default)
help:
	@echo "Lạng Sơn poverty-programme reports. Usage: make <target> [YEAR=2022] [DISTRICT=181] [EDITION=en]"
	@grep -E '^## ' $(MAKEFILE_LIST) | sed -e 's/^## /  /'

## setup: create .venv from requirements.lock (first run only, ≈5 s with a warm package cache)
setup: $(VENV)/.installed

$(VENV)/.installed: $(IN)/lock.sha256
	@echo ">>> setup: virtual environment from requirements.lock"
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(PY) install --quiet --disable-pip-version-check uv==$(UV_VERSION) \
	  || { $(PY) -m ensurepip --default-pip && $(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); }
	$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements.lock
	touch $@

## data: raw -> processed parquet (plan: ingest, transcription check, reconciliation; household registers)
data: $(BUILT)

$(OUT)/build.done: $(IN)/raw.sha256 $(IN)/code.sha256 | $(VENV)/.installed
	@echo ">>> data: build data/processed from data/raw"
	$(PY) -m pipeline build
	$(PY) -m pipeline.stamp processed
	touch $@

# Household registers: the real ones a province puts in data/raw/registers/, or, when there are none, the
# SYNTHETIC ones that `make sample-data` generates on first use (marked by SYNTHETIC.json).
REAL_REGISTERS := $(if $(wildcard $(REGISTERS)/SYNTHETIC.json),,$(wildcard $(REGISTERS)/*/ho_*.csv $(REGISTERS)/*/ho_*.xlsx))
$(OUT)/registers.done: $(IN)/registers.sha256 $(IN)/pseudonym_key.sha256 $(IN)/code.sha256 $(if $(REAL_REGISTERS),,$(SAMPLE_DONE)) | $(VENV)/.installed
	@echo ">>> data: household registers -> pseudonymised tables, audit, district aggregates"
	$(PY) -m pipeline registers
	$(PYTHON) -m pipeline.stamp registers
	$(PY) -m pipeline.stamp processed
	touch $@

$(BUILT): $(OUT)/build.done $(OUT)/registers.done ;

## validate: Great Expectations gate on every processed table; its page in reports/gate/index.html
validate: $(VALIDATED)

$(OUT)/validate.done: $(BUILT) $(IN)/suites.sha256 $(IN)/code.sha256 | $(VENV)/.installed
	@echo ">>> validate: Great Expectations checkpoints (one suite per processed table)"
	$(PY) -m pipeline validate
	$(PY) -m pipeline.stamp validated
	touch $@
$(VALIDATED): $(OUT)/validate.done ;

## report: render the annual report, e.g. make report YEAR=2022 [DISTRICT=181 or huyen-binh-gia] [EDITION=en: English]
ifeq ($(strip $(YEAR)),)
report: $(VALIDATED)
	@$(PY) -m pipeline check-params --year ""
else
report: $(REPORT_DONE)
endif
# A wrong EDITION stops before any work (the editions of pipeline/report/edition.py EDITIONS).
ifneq ($(filter-out vi en,$(strip $(EDITION))),)
$(error EDITION=$(EDITION): không có ấn bản này; dùng vi hoặc en / unknown edition; use vi (default) or en)
endif

## reports: the province report, all 11 district reports and reports/<YEAR>/index.html, e.g. make reports YEAR=2022 [EDITION=en: English, index.en.html]
ifeq ($(strip $(YEAR)),)
reports: $(VALIDATED)
	@$(PY) -m pipeline check-params --year ""
else
reports: $(REPORTS_DONE)
endif

# Make wakes the render step when any processed table, the notebook, the code or the lock changed; the
# step renders every report of the scope again (in-process, about a second each), so what a report shows
# never depends on what an earlier run left behind.
REPORT_INPUTS := $(BUILT) $(VALIDATED) $(IN)/notebooks.sha256 $(IN)/code.sha256 $(IN)/lock.sha256

$(REPORTS_DONE): $(REPORT_INPUTS) | $(VENV)/.installed
	@echo ">>> reports: year $(YEAR), province + districts + index (2 workers)$(if $(EDITION_SUFFIX), edition $(EDITION))"
	$(PY) -m pipeline render-all --year '$(YEAR)' --jobs 2$(if $(EDITION_SUFFIX), --edition '$(EDITION)')
	touch $@

$(REPORT_DONE): $(REPORT_INPUTS) | $(VENV)/.installed
	@echo ">>> report: year $(YEAR)$(if $(DISTRICT), district $(DISTRICT))$(if $(EDITION_SUFFIX), edition $(EDITION))"
	$(PY) -m pipeline render --year '$(YEAR)' --district '$(DISTRICT)'$(if $(EDITION_SUFFIX), --edition '$(EDITION)')
	touch $@

## pdf: an A4 PDF beside every report of the year (not the index), printed by Debian's Chromium; renders the reports first, e.g. make pdf YEAR=2022
ifeq ($(strip $(YEAR)),)
pdf: $(VALIDATED)
	@$(PY) -m pipeline check-params --year ""
else
pdf: reports/$(YEAR)/.pdf.done
endif

# Printed again whenever any report of the year was rendered again, in either edition (its stamp is newer): the
# Vietnamese batch is rendered first when missing; English reports present are printed too.
reports/$(YEAR)/.pdf.done: reports/$(YEAR)/.reports-all.done $(wildcard reports/$(YEAR)/.report*.done) | $(VENV)/.installed
	@echo ">>> pdf: year $(YEAR), every report to A4 PDF (headless Chromium, one browser)"
	$(PY) -m pipeline pdf --year '$(YEAR)'
	touch $@

## sample-data: SYNTHETIC household registers 2021–2024 (44 CSV, ≈130 MB, ≈3 s) in data/raw/registers
sample-data: $(SAMPLE_DONE)

$(SAMPLE_DONE): $(IN)/generator.sha256 | $(VENV)/.installed
	@echo ">>> sample-data: synthetic registers (district figures are synthetic, not official)"
	$(PY) -m pipeline.tools.synthetic_registers --out $(REGISTERS)
	touch $@

## verify: rebuild YEAR from raw data in a temporary copy and compare with reports/<YEAR>/MANIFEST.sha256
verify: | $(VENV)/.installed
	$(PY) -m pipeline.tools.verify --year '$(YEAR)'

## bench: time and peak memory of each stage beside the plain way (register stage vs a plain DuckDB script, gate vs importing GX) in a temporary copy; SCALE=1 (households × K; 34 ≈ 27 M rows) [REPEAT=3 at K=1, else 1] [BENCH_JSON=file]
bench: | $(VENV)/.installed
	$(PY) -m pipeline.tools.bench --scale '$(SCALE)' $(if $(REPEAT),--repeat '$(REPEAT)') $(if $(BENCH_JSON),--json '$(BENCH_JSON)')

## test: both test tiers (tests/conftest.py): fast, and end-to-end on one project built in a temporary copy [TEST_JOBS=2]
TEST_JOBS ?= 2
test: | $(VENV)/.installed
	$(PY) -m pytest -q -n '$(TEST_JOBS)' --dist worksteal

## test-fast: the fast tier only: in-process tests on small hand-made data; needs no build
.PHONY: test-fast
test-fast: | $(VENV)/.installed
	$(PY) -m pytest -q -n '$(TEST_JOBS)' --dist worksteal -m "not e2e"

## clean: delete everything generated (processed data, reports); raw data is never touched
clean:
	find data/processed reports -mindepth 1 ! -name README.md -delete 2>/dev/null || true

## distclean: clean, and remove the virtual environments and input stamps
distclean: clean
	rm -rf $(VENV) $(LAB_VENV) $(IN)

## lock: re-resolve requirements.in into requirements.lock (needs the network)
lock: | $(VENV)/.installed
	$(VENV)/bin/uv pip compile requirements.in --python $(PY) --no-header -o requirements.lock
	$(VENV)/bin/uv pip compile requirements-lab.in --python $(PY) --no-header -o requirements-lab.lock

## lab: JupyterLab in its own .venv-lab (kept out of the pipeline env); its python3 kernel is the pipeline .venv
lab: $(LAB_VENV)/.installed
	$(LAB_VENV)/bin/jupyter lab notebooks/

$(LAB_VENV)/.installed: requirements-lab.lock | $(VENV)/.installed
	$(PYTHON) -m venv $(LAB_VENV)
	$(VENV)/bin/uv pip sync --quiet --python $(LAB_VENV)/bin/python requirements-lab.lock
	$(PY) -m ipykernel install --prefix $(abspath $(LAB_VENV)) --name python3 --display-name "Python 3 (Lạng Sơn pipeline .venv)"
	touch $@
endif
