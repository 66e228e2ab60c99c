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

# Deno and npm trust the machine's certificate store (corporate TLS proxies); no update checks, no telemetry.
export DENO_TLS_CA_STORE ?= system
SYSTEM_CA_BUNDLE := $(wildcard /etc/ssl/certs/ca-certificates.crt)
ifneq ($(SYSTEM_CA_BUNDLE),)
export NODE_EXTRA_CA_CERTS ?= $(SYSTEM_CA_BUNDLE)
endif
export DENO_NO_UPDATE_CHECK := 1
export CHECKPOINT_DISABLE := 1
export TF_IN_AUTOMATION := 1
export TF_PLUGIN_DIR
export ENVIRONMENT_SUFFIX

RUN_PERMISSIONS := --allow-env --allow-read --allow-write --allow-run --allow-sys

.PHONY: help deno synth validate plan apply destroy test fmt fmt-check lint check unit bench clean require-aws require-password

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

# The Aurora master password is an ephemeral variable: never written to the plan or the state, so apply and
# destroy need it again (TF_VAR_db_master_password; rotate with TF_VAR_db_master_password_version).
require-password:
	@if [ -z "$${TF_VAR_db_master_password:-}" ]; then \
	  echo "refusing: TF_VAR_db_master_password is not set; export the Aurora master password (8-128 characters, no / @ \" or space) for plan, apply and destroy" >&2; exit 2; fi

plan: require-aws require-password synth ## terraform plan against the real account (needs credentials)
	cd "$(STACK_DIR)" && terraform init $(TF_INIT_FLAGS) && terraform plan -input=false -out=tfplan

apply: require-aws require-password ## terraform apply of the saved plan (run make plan first)
	cd "$(STACK_DIR)" && terraform apply -input=false tfplan

destroy: require-aws require-password synth ## terraform destroy (everything in the stack is destroyable)
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

# Operations hand-off: a reproducible bundle of the stack folder, its verification, the reviewer summary and
# the README's generated diagram. Each tool gets only the permissions it needs.
.PHONY: bundle verify-bundle review diagram
BUNDLE := dist/dr-$(ENVIRONMENT_SUFFIX)-bundle.tar.gz
FILE ?= $(BUNDLE)

bundle: synth ## reproducible dist/dr-<suffix>-bundle.tar.gz: JSON, assets, REVIEW.md, OPERATIONS.md, SHA256SUMS
	"$(DENO)" run --allow-read --allow-write --allow-env --allow-run=git tools/bundle.ts "$(STACK_DIR)" "$(BUNDLE)"

verify-bundle: deno ## check a bundle's SHA256SUMS and terraform-validate it offline (FILE=<bundle>)
	"$(DENO)" run --allow-read --allow-write --allow-env --allow-run=terraform tools/verify_bundle.ts "$(FILE)"

review: deno ## print the reviewer summary (REVIEW.md) of the synthesized stack
	@$(MAKE) --no-print-directory synth >&2 # synth first; stdout stays the bare Markdown (make review > REVIEW.md)
	@"$(DENO)" run --allow-read --allow-env tools/review.ts "$(STACK_DIR)/cdk.tf.json"

diagram: deno ## regenerate the README's architecture diagram (from the default configuration)
	"$(DENO)" run $(RUN_PERMISSIONS) tools/diagram.ts README.md

# ---------------------------------------------------------------------------------------------------
# Recovery objectives and operator actions against a deployed stack

.PHONY: rto rto-readme drill failback

rto: synth ## recovery-time budget of the synthesized stack vs the RTO (exit 1 when exceeded)
	"$(DENO)" run --allow-read --allow-env tools/rto.ts "$(STACK_DIR)/cdk.tf.json"

rto-readme: ## rewrite the README's budget table from the default configuration
	env -u ENVIRONMENT_SUFFIX "$(DENO)" run --allow-env --allow-read --allow-write --allow-run --allow-sys main.ts >/dev/null
	"$(DENO)" run --allow-read --allow-write --allow-env tools/rto.ts cdktf.out/stacks/dr-dev/cdk.tf.json --readme README.md

drill: synth ## run the failover orchestrator in dry-run mode (needs AWS credentials)
	"$(DENO)" run --allow-read --allow-env --allow-net --allow-sys tools/drill.ts "$(STACK_DIR)/cdk.tf.json"

failback: synth ## planned return to the primary: Aurora switchover, fence cleared (ARGS=--yes / --dry-run)
	"$(DENO)" run --allow-read --allow-env --allow-net --allow-sys tools/failback.ts "$(STACK_DIR)/cdk.tf.json" $(ARGS)

# ---------------------------------------------------------------------------------------------------
# Rehearsal on a local AWS emulator (moto): no AWS account, nothing leaves the machine's loopback

.PHONY: rehearse

rehearse: deno ## apply the default stack to a local AWS emulator, drill, destroy, check nothing is left
	"$(DENO)" run --allow-env --allow-read --allow-write --allow-run --allow-sys --allow-net=127.0.0.1 tools/rehearse.ts
