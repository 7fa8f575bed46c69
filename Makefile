# Set-up and checks for keras-hpn. `make run` and `make test` work on a fresh
# machine with Python >= 3.10: each creates .venv and installs what it needs,
# and (as root, with apt-get) Debian's Fashion-MNIST package.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Backends the test suite runs on, one pytest run each; tests marked `once`
# (backend-independent) run in the first pass only.
BACKENDS ?= tensorflow jax torch
# The PyTorch CPU build kept on this project's machines; pip takes it offline.
TORCH ?= torch==2.13.0
PYTEST_ARGS ?=
# pytest-xdist workers per backend pass (one per core on the 2-core CI machine).
WORKERS ?= 2
# PyTorch trains several times slower on CPU: its pass leaves out slow tests.
TORCH_MARKS ?= not slow

# A fresh virtual environment, outside the repository, for the wheel's smoke test,
# and the folder the checked sdist and wheel are built into (not ./dist, which
# may hold a user's own builds).
WHEEL_VENV ?= /tmp/keras-hpn-wheel-check
WHEEL_DIST ?= /tmp/keras-hpn-wheel-dist

# Fashion-MNIST, the benchmark's headline data: Debian's package puts the four
# original files here; keras-hpn copies them into the Keras cache, offline.
FASHION_MNIST_DIR := /usr/share/datasets/fashion-mnist
FASHION_MNIST_PACKAGE := dataset-fashion-mnist
FASHION_MNIST_FILES := train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \
	t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz

.PHONY: run test install install-dev data lint format wheel-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e ".[plots,jax]"

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	$(if $(findstring torch,$(BACKENDS)),$(BIN)/pip install -q "$(TORCH)")

# Installs Fashion-MNIST with apt-get where it can (root, Debian/Ubuntu);
# elsewhere says what to do. It never fails: without the files the benchmark
# lets Keras download them, and CI's tests fail with the same advice.
data:
	@missing=""; for file in $(FASHION_MNIST_FILES); do \
		[ -f "$(FASHION_MNIST_DIR)/$$file" ] || missing="$$missing $$file"; \
	done; \
	if [ -z "$$missing" ]; then \
		echo "== Fashion-MNIST: $(FASHION_MNIST_DIR)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "== installing Fashion-MNIST: apt-get install $(FASHION_MNIST_PACKAGE)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq $(FASHION_MNIST_PACKAGE) >/dev/null 2>&1 \
		|| { apt-get update -qq >/dev/null 2>&1 \
			&& apt-get install -y -qq $(FASHION_MNIST_PACKAGE) >/dev/null 2>&1; } \
		|| echo "apt-get could not install $(FASHION_MNIST_PACKAGE): keras-hpn will" \
			"try to download Fashion-MNIST into ~/.keras/datasets/fashion-mnist"; \
	else \
		echo "Fashion-MNIST is not in $(FASHION_MNIST_DIR). Install it with" \
			"'sudo apt-get install $(FASHION_MNIST_PACKAGE)' (Debian/Ubuntu), or" \
			"copy$$missing into ~/.keras/datasets/fashion-mnist/; with a network," \
			"keras-hpn downloads them there on first use."; \
	fi

# The main job: the benchmark suite, headed by Fashion-MNIST.
run: install data
	TF_CPP_MIN_LOG_LEVEL=3 $(BIN)/keras-hpn benchmark

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install-dev lint data
	@echo "== benchmark smoke run (bench/prototypes.py --quick)"
	TF_CPP_MIN_LOG_LEVEL=3 $(BIN)/python bench/prototypes.py --quick 2>/dev/null
	@set -e; once=1; for backend in $(BACKENDS); do \
		echo "== pytest on the $$backend backend"; \
		if [ "$$backend" = torch ]; then marks="$(TORCH_MARKS)"; else marks=""; fi; \
		KERAS_BACKEND=$$backend KERAS_HPN_ONCE=$$once TF_CPP_MIN_LOG_LEVEL=3 \
			$(BIN)/python -m pytest -q -p no:cacheprovider -n $(WORKERS) $${marks:+-m "$$marks"} $(PYTEST_ARGS); \
		once=0; \
	done

# The release artefact: sdist and wheel built and checked, the wheel installed
# into a fresh virtual environment outside the repository and smoke-tested there
# (import, place, fit, save, load, `keras-hpn --version`), which proves it holds
# every file it needs.
wheel-check: install-dev
	rm -rf $(WHEEL_DIST) $(WHEEL_VENV)
	$(BIN)/python -m build --outdir $(WHEEL_DIST) . >/dev/null
	$(BIN)/twine check --strict $(WHEEL_DIST)/*
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install -q --upgrade pip
	$(WHEEL_VENV)/bin/pip install -q $(WHEEL_DIST)/*.whl
	cd $(WHEEL_VENV) && TF_CPP_MIN_LOG_LEVEL=3 bin/python $(CURDIR)/tests/scripts/wheel_smoke.py
