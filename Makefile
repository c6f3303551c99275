# Frontline: `make run` serves the demo tenant, `make test` runs the test suite.
# Both create or update the environment first (uv, the locked dependencies, the model).

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(PYTHON) -m uv
endif
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
# Installed packages are compiled to bytecode once: with PYTHONDONTWRITEBYTECODE set (as in many
# containers) every process would otherwise recompile qdrant-client, fastembed and the rest at start.
export UV_COMPILE_BYTECODE := 1

.PHONY: run test setup env model browser lint bench

run: setup
	$(UV) run --frozen frontline serve

# Test modules run in parallel, each whole on one worker (its servers start once): TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= 2

test: setup browser
	$(UV) run --frozen pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

setup: env model

env:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen

model: env
	$(UV) run --frozen frontline setup

browser:
	@bash .ci/ensure-browser

lint: env
	$(UV) run --frozen ruff check app connectors knowledge guardrails tests bench

bench: setup
	$(UV) run --frozen python bench/chat_roundtrip.py
	$(UV) run --frozen python bench/crosslingual.py
	$(UV) run --frozen python bench/retrieval.py
	$(UV) run --frozen python bench/turn_latency.py
	$(UV) run --frozen python bench/demo_intents.py
	$(UV) run --frozen python bench/replicas.py
	$(UV) run --frozen python bench/guardrails.py
	$(UV) run --frozen python bench/loaders.py
	$(UV) run --frozen python bench/actions.py
	$(UV) run --frozen python bench/handoff.py
