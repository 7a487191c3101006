# Bootstraps itself on a fresh Debian machine: `make dev` or `make test` is all you need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SITE_DIR := build/site
NODE_TOOLS := node_modules/.installed

.PHONY: dev test site lint system-deps venv clean

dev: venv site
	PORT=$(PORT) $(BIN)/python -m infra.local

test: venv system-deps $(NODE_TOOLS)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

site: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: venv
	$(BIN)/cfn-lint template.yaml

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml functions/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]'
	touch $@

# Debian packages the browser tests need (Chromium, CJK fonts, Node.js for npm); installed
# only when missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# JavaScript the tests inject into pages (axe-core), pinned in package-lock.json.
$(NODE_TOOLS): package.json package-lock.json | system-deps
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf build .pytest_cache
