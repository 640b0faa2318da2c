# poser: `make reproduce` rebuilds everything from scratch; `make test` runs the test suite.
# Only python3.11 with venv and pip is needed: no conda (environment.yml is for conda users).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# DVC stage commands call `python` and `papermill` by name: they must be the venv's.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONHASHSEED := 0
export TOKENIZERS_PARALLELISM := false

.DEFAULT_GOAL := help
.PHONY: help setup reproduce test smoke lab bench results clean-outputs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and alone: the CPU wheel, not a multi-GB CUDA build pulled in by another package.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv with pinned dependencies (once)

.dvc/config.local: | $(STAMP)
	@[ -d .dvc ] || $(BIN)/dvc init --quiet
	$(BIN)/dvc config core.analytics false
	mkdir -p .dvc-store
	$(BIN)/dvc remote add --local --force --default localstore $(CURDIR)/.dvc-store

reproduce: $(STAMP) .dvc/config.local ## Run the whole pipeline (dvc repro); a second run does nothing
	$(BIN)/dvc repro

test: $(STAMP) ## Run the test suite on every core (CPU, no network; includes the smoke pipeline)
	$(BIN)/python -m pytest -q -n auto --dist loadfile --durations=15

smoke: $(STAMP) ## Run the whole pipeline on the tiny smoke profile in a temporary folder
	$(BIN)/python -m poser_lib.smoke

bench: $(STAMP) ## Time each stage, training throughput vs a matrix-product peak, peak memory
	$(BIN)/python -m poser_lib.bench

results: $(STAMP) ## Write the README's results table (and docs/total.png) from the last run's metrics
	$(BIN)/python -m poser_lib.results

lab: $(STAMP) ## Start JupyterLab on the notebooks (works as root)
	$(BIN)/jupyter lab --allow-root --no-browser --notebook-dir=notebooks

clean-outputs: ## Delete pipeline outputs (data/, metrics/, runs/, figures/); DVC's cache keeps them
	rm -rf data/scenarios data/corpus data/tokenizer data/models data/behaviour data/benchmark data/checkpoints \
		data/strategies data/removal metrics runs figures/*.png figures/data supplement
