# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make demo   - install, generate the synthetic dataset, train, evaluate, export, try on
#   make test   - the test suite (what .ci/run calls)
#   make web    - the try-on page for the make demo export, served on 127.0.0.1
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: venv test test-all demo lint clean web web-deps

$(BIN)/activate: setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

venv: $(BIN)/activate

# --dist loadgroup keeps each xdist_group on one worker (tests/web shares one
# export, one page build and one Chromium); other tests are spread as usual.
test: venv web-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not large" -q

test-all: venv web-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: venv
	$(BIN)/ruff check sievenet_tf training export tests web_demo

demo: venv
	$(BIN)/python training/demo.py --out runs/demo

# The web page: LiteRT.js from the pinned package-lock.json (npm ci), built for
# an export (default: the one make demo writes) and served on 127.0.0.1.
WEB_EXPORT ?= runs/demo/export
WEB_PORT ?= 8000

web_demo/node_modules/.package-lock.json: web_demo/package-lock.json
	cd web_demo && npm ci --no-audit --no-fund

# Without npm the browser tests skip (and fail in CI, which installs it).
web-deps:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory web_demo/node_modules/.package-lock.json; \
	else echo "npm not found: the browser tests (tests/web) cannot build the page"; fi

web: venv web_demo/node_modules/.package-lock.json
	@test -f $(WEB_EXPORT)/model_contract.json || { echo "make web: no export in $(WEB_EXPORT): run make demo first, or make web WEB_EXPORT=DIR"; exit 2; }
	$(BIN)/python web_demo/tools/build.py --export $(WEB_EXPORT) --out web_demo/dist
	$(BIN)/python web_demo/tools/serve.py web_demo/dist --port $(WEB_PORT)

clean:
	rm -rf runs build dist *.egg-info web_demo/dist
