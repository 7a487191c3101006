# Bootstraps itself on a fresh Debian machine: `make dev` or `make test` is all you need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SITE_DIR := build/site
NODE_TOOLS := node_modules/.installed
# AWS SAM CLI in its own environment: it pins boto3 and friends differently from the functions.
SAM_VENV := .venv-sam
SAM_CLI := $(SAM_VENV)/.installed
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
# checkov (tests/infra/test_checkov.py) in its own environment too: its pins clash with ours.
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/.installed
# Deployment: `make deploy STACK=cuihu REGION=ap-east-1 ALERT_EMAIL=duty@example.com`
STACK ?= butler
REGION ?= ap-east-1
ALERT_EMAIL ?=
# Optional: the site's own domain and its ACM certificate (us-east-1); viewers then need TLS 1.2+.
ALIAS_DOMAIN ?=
CERTIFICATE_ARN ?=
# Deploying without the WAF (no rate limits, no managed rules) needs ALLOW_NO_WAF=1.
ALLOW_NO_WAF ?=

.PHONY: dev test site lint validate deploy system-deps venv clean

dev: venv site
	PORT=$(PORT) $(BIN)/python -m infra.local

test: venv system-deps $(NODE_TOOLS) $(SAM_CLI) $(CHECKOV)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

site: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: venv
	$(BIN)/cfn-lint template.yaml infra/waf.yaml

# What `sam deploy` would refuse, found before it runs (also checked by `make test`).
validate: lint $(SAM_CLI)
	$(SAM) validate --lint --region $(REGION)
	$(SAM) validate --lint --template-file infra/waf.yaml --region us-east-1

# Step by step in README.md ("Deploying"). Needs AWS credentials in the environment.
# The edge stack (WAF, CloudFront's log bucket) first; infra.publish --edge-parameters refuses
# a main stack without a web ACL unless ALLOW_NO_WAF=1.
deploy: validate site
	$(SAM) deploy --template-file infra/waf.yaml --stack-name $(STACK)-waf --region us-east-1 \
		--no-fail-on-empty-changeset \
		--parameter-overrides CreateWebAcl=$(if $(filter 1,$(ALLOW_NO_WAF)),false,true)
	edge="$$(ALLOW_NO_WAF=$(ALLOW_NO_WAF) $(BIN)/python -m infra.publish --stack $(STACK)-waf --region us-east-1 \
		--edge-parameters)" && \
	$(SAM) build --template-file template.yaml && \
	$(SAM) deploy --stack-name $(STACK) --region $(REGION) --resolve-s3 --capabilities CAPABILITY_IAM \
		--no-fail-on-empty-changeset --parameter-overrides \
		AlertEmail="$(ALERT_EMAIL)" AliasDomain="$(ALIAS_DOMAIN)" CertificateArn="$(CERTIFICATE_ARN)" $$edge
	$(BIN)/python -m infra.publish --stack $(STACK) --region $(REGION)

$(CHECKOV):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -qq --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -qq checkov==3.3.30
	touch $@

$(SAM_CLI):
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -qq --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -qq aws-sam-cli==1.170.0
	touch $@

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
	rm -rf build .pytest_cache .aws-sam
