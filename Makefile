# Valley Atlas: `make run` starts the app, `make test` runs every test. Both create .venv when it is missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test test-fast bench dem clean-cache

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed since the last install.
$(VENV)/.installed-runtime: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .  # geo, layers, briefing, views importable anywhere
	$(BIN)/python -m geo.coverage.engine  # compile the engine's kernels once (~10 s), not at a planner's first query
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m geo.coverage.engine
	touch $(VENV)/.installed-runtime $@

run: $(VENV)/.installed-runtime
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.maxUploadSize $${VALLEY_ATLAS_MAX_UPLOAD_MB:-200}

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Unit tests only (no browser, no app server).
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m "not browser"

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/boundaries.py

# The national 30″ DEM of China (~20 MB, once; from the meteva wheel, never installed): terrain for any region beyond
# the four bundled seed clips. Offline: make dem DEM_ARGS="--wheel meteva-1.9.6.2-py3-none-any.whl"
dem: $(VENV)/.installed-runtime
	$(BIN)/python scripts/install_dem.py $(DEM_ARGS)

clean-cache:
	rm -rf $${VALLEY_ATLAS_CACHE:-$$HOME/.cache/valley-atlas}
