# chatcrm — two commands: `make run` and `make test`. Both are idempotent; the second run only
# checks stamps. Everything the project needs comes from Debian's and PyPI's registries.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMPS := .stamps
MODEL_DIR ?= models
WHISPER_CHECKPOINT := $(MODEL_DIR)/whisper-base.pt

# Debian packages: ffmpeg decodes voice notes, tesseract reads cards (the alternative engine), libgl1 and
# libglib2.0-0 are what opencv-python (under rapidocr, the default card reader) links against, the fonts
# render test cards and charts, PostgreSQL backs the storage suite.
SYSTEM_PACKAGES := ffmpeg tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra tesseract-ocr-eng \
	tesseract-ocr-osd libgl1 libglib2.0-0 fonts-noto-cjk fonts-wqy-zenhei fonts-dejavu-core
TEST_SYSTEM_PACKAGES := postgresql espeak-ng sox libopencore-amrnb0

.PHONY: run test setup system system-test lint typecheck contracts pytest bench eval migrate clean distclean

run: setup
	$(VENV)/bin/chatcrm migrate
	$(VENV)/bin/chatcrm run

setup: system $(STAMPS)/venv $(WHISPER_CHECKPOINT)

test: setup system-test lint typecheck contracts pytest

system:
	@scripts/ensure-debian-packages $(SYSTEM_PACKAGES)

system-test:
	@scripts/ensure-debian-packages $(TEST_SYSTEM_PACKAGES)

# torch first, pinned: the CPU wheel of 2.13.0 is what pip finds; an unpinned torch pulls CUDA builds.
$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	@touch $@

$(WHISPER_CHECKPOINT): $(STAMPS)/venv speech/convert.py
	@mkdir -p $(MODEL_DIR)
	$(PY) -m speech.convert --output $@

lint: $(STAMPS)/venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMPS)/venv
	$(VENV)/bin/mypy

contracts: $(STAMPS)/venv
	$(VENV)/bin/lint-imports

pytest: $(STAMPS)/venv
	source scripts/test-postgres && $(VENV)/bin/pytest -q

bench: setup system-test
	$(PIP) install -q -e '.[dev,bench]'
	source scripts/test-postgres && $(PY) -m bench

# Accuracy on the real development set (../shared/devset, or CHATCRM_DEVSET) and the project's own
# corpora, real and synthetic reported apart; writes docs/accuracy.md.
eval: setup system-test
	$(PY) -m evals

migrate: setup
	$(VENV)/bin/chatcrm migrate

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache

distclean: clean
	rm -rf $(VENV) $(STAMPS) $(MODEL_DIR)
