# Set-up and checks for keras-hpn. `make run` and `make test` work on a fresh
# machine with Python >= 3.10: each creates .venv and installs what it needs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Backends the test suite runs on, one pytest run each.
BACKENDS ?= tensorflow jax torch
# The PyTorch CPU build kept on this project's machines; pip takes it offline.
TORCH ?= torch==2.13.0
PYTEST_ARGS ?=
# PyTorch trains several times slower on CPU: its pass leaves out slow tests.
TORCH_MARKS ?= not slow

.PHONY: run test install install-dev lint format

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e ".[plots,jax]"

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	$(if $(findstring torch,$(BACKENDS)),$(BIN)/pip install -q "$(TORCH)")

# The main job: HPN vs softmax cross-entropy on scikit-learn digits.
run: install
	TF_CPP_MIN_LOG_LEVEL=3 $(BIN)/keras-hpn

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install-dev lint
	@echo "== benchmark smoke run (bench/prototypes.py --quick)"
	TF_CPP_MIN_LOG_LEVEL=3 $(BIN)/python bench/prototypes.py --quick 2>/dev/null
	@set -e; for backend in $(BACKENDS); do \
		echo "== pytest on the $$backend backend"; \
		if [ "$$backend" = torch ]; then marks="$(TORCH_MARKS)"; else marks=""; fi; \
		KERAS_BACKEND=$$backend TF_CPP_MIN_LOG_LEVEL=3 \
			$(BIN)/python -m pytest -q -p no:cacheprovider $${marks:+-m "$$marks"} $(PYTEST_ARGS); \
	done
