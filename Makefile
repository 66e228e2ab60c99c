# Ops and developer entry points. Terraform runs with the stock binary in the synthesized stack folder.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

DENO_VERSION := 2.5.6
TOOLS_DIR := $(CURDIR)/.tools
LOCAL_DENO := $(TOOLS_DIR)/bin/deno
DENO := $(or $(shell command -v deno 2>/dev/null),$(LOCAL_DENO))

ENVIRONMENT_SUFFIX ?= dev
STACK_DIR := cdktf.out/stacks/dr-$(ENVIRONMENT_SUFFIX)
# Root of a local provider mirror for air-gapped use (`terraform init -plugin-dir`); discovered when unset.
TF_PLUGIN_DIR ?= $(shell tools/find_provider_mirror.sh)
TF_INIT_FLAGS := -input=false $(if $(TF_PLUGIN_DIR),-plugin-dir=$(TF_PLUGIN_DIR))
PLACEHOLDER_ACCOUNT_ID := 123456789012

# Deno trusts the machine's certificate store (corporate TLS proxies); no update checks, no telemetry.
export DENO_TLS_CA_STORE ?= system
export DENO_NO_UPDATE_CHECK := 1
export CHECKPOINT_DISABLE := 1
export TF_IN_AUTOMATION := 1
export TF_PLUGIN_DIR
export ENVIRONMENT_SUFFIX

RUN_PERMISSIONS := --allow-env --allow-read --allow-write --allow-run --allow-sys

.PHONY: help deno synth validate plan apply destroy test fmt fmt-check lint check unit bench clean require-aws

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(LOCAL_DENO):
	@echo "deno not on PATH: installing deno $(DENO_VERSION) into $(TOOLS_DIR)"
	npm install --prefix "$(TOOLS_DIR)/deno" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "deno@$(DENO_VERSION)"
	mkdir -p "$(TOOLS_DIR)/bin"
	ln -sf "$$(find "$(TOOLS_DIR)/deno/node_modules/@deno" -type f -name deno -perm -u+x | head -n 1)" "$@"
	"$@" --version

deno: $(if $(filter $(LOCAL_DENO),$(DENO)),$(LOCAL_DENO)) ## install deno when it is not on PATH

synth: deno ## synthesize cdktf.out/stacks/dr-<suffix>/cdk.tf.json (embedded defaults, no AWS account)
	"$(DENO)" run $(RUN_PERMISSIONS) main.ts

validate: synth ## terraform init (no backend) + validate, offline
	cd "$(STACK_DIR)" && terraform init -backend=false $(TF_INIT_FLAGS) >/dev/null && terraform validate

require-aws:
	@if [ "$${AWS_ACCOUNT_ID:-$(PLACEHOLDER_ACCOUNT_ID)}" = "$(PLACEHOLDER_ACCOUNT_ID)" ]; then \
	  echo "refusing: AWS_ACCOUNT_ID is unset or the placeholder $(PLACEHOLDER_ACCOUNT_ID); set your account id" >&2; exit 2; fi
	@if [ -z "$${AWS_ACCESS_KEY_ID:-}$${AWS_PROFILE:-}$${AWS_WEB_IDENTITY_TOKEN_FILE:-}$${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}$${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}" ]; then \
	  echo "refusing: no AWS credentials in the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...)" >&2; exit 2; fi

plan: require-aws synth ## terraform plan against the real account (needs credentials)
	cd "$(STACK_DIR)" && terraform init $(TF_INIT_FLAGS) && terraform plan -input=false -out=tfplan

apply: require-aws ## terraform apply of the saved plan (run make plan first)
	cd "$(STACK_DIR)" && terraform apply -input=false tfplan

destroy: require-aws synth ## terraform destroy (everything in the stack is destroyable)
	cd "$(STACK_DIR)" && terraform init $(TF_INIT_FLAGS) && terraform destroy -input=false

fmt: deno ## format the sources
	"$(DENO)" fmt

fmt-check: deno
	"$(DENO)" fmt --check

lint: deno ## lint the sources
	"$(DENO)" lint

check: deno ## type-check everything
	"$(DENO)" check main.ts modules/ tests/ tools/ handlers/

unit: deno ## the test suite only (synth, terraform validate + offline plan, handlers)
	"$(DENO)" test --allow-all tests/

test: fmt-check lint check unit ## everything CI runs

bench: deno ## benchmarks: synth (cold and warm), checkers against local servers, handler bundling
	"$(DENO)" bench --allow-all tests/

clean: ## remove generated output
	rm -rf cdktf.out cdktf.out.* .build dist
