# Ops and developer entry points. Terraform runs with the stock binary in the synthesized stack folder.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

DENO_VERSION := 2.5.6
TOOLS_DIR := $(CURDIR)/.tools
LOCAL_DENO := $(TOOLS_DIR)/bin/deno
DENO := $(or $(shell command -v deno 2>/dev/null),$(LOCAL_DENO))

# Deno's download and progress lines only on a terminal: redirected output (CI, logs) stays quiet.
DENO_QUIET := $(if $(shell [ -t 2 ] && echo tty),,--quiet)

# An explicitly empty suffix is an error (a CI variable that expanded to nothing), never the dev stack. The
# check is lazy: it stops the targets that use the stack folder, as main.ts stops synth (exit 2 both).
ifeq ($(origin ENVIRONMENT_SUFFIX),undefined)
ENVIRONMENT_SUFFIX := dev
endif
EMPTY_SUFFIX := ENVIRONMENT_SUFFIX="": is set but empty; unset it to use the default "dev", or give a value
SUFFIX = $(or $(strip $(ENVIRONMENT_SUFFIX)),$(error $(EMPTY_SUFFIX)))
STACK_DIR = cdktf.out/stacks/dr-$(SUFFIX)
# The default local Terraform state: outside cdktf.out/, never removed by synth, clean, distclean or tests.
STATE_DIR = state/dr-$(SUFFIX)
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

.PHONY: help deno synth validate plan apply destroy test fmt fmt-check lint check unit bench clean distclean \
  require-deploy docs

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(LOCAL_DENO):
	@echo "deno not on PATH: installing deno $(DENO_VERSION) into $(TOOLS_DIR)"
	npm install --prefix "$(TOOLS_DIR)/deno" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "deno@$(DENO_VERSION)"
	mkdir -p "$(TOOLS_DIR)/bin"
	ln -sf "$$(find "$(TOOLS_DIR)/deno/node_modules/@deno" -type f -name deno -perm -u+x | head -n 1)" "$@"
	"$@" --version

deno: $(if $(filter $(LOCAL_DENO),$(DENO)),$(LOCAL_DENO)) ## install deno when it is not on PATH

# tools/synth.ts runs main.ts from a cached one-file bundle: the same output, in about half the time.
synth: deno ## synthesize cdktf.out/stacks/dr-<suffix>/ (cdk.tf.json, assets, operator.json); no AWS account
	@"$(DENO)" run $(DENO_QUIET) $(RUN_PERMISSIONS) tools/synth.ts

validate: synth ## terraform init (no backend) + validate, offline
	cd "$(STACK_DIR)" && terraform init -backend=false $(TF_INIT_FLAGS) >/dev/null && terraform validate

# Every unmet prerequisite of plan, apply and destroy at once (as make drill does), before anything runs.
# The Aurora master password is an ephemeral variable: never written to the plan or the state, so apply and
# destroy need it again (TF_VAR_db_master_password; rotate with TF_VAR_db_master_password_version).
CREDENTIAL_VARIABLES := AWS_PROFILE AWS_ACCESS_KEY_ID AWS_WEB_IDENTITY_TOKEN_FILE \
  AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
NOTHING :=
# `${AWS_PROFILE:-}${AWS_ACCESS_KEY_ID:-}...`: empty exactly when no credential source is set.
ANY_CREDENTIAL := $(subst $(NOTHING) $(NOTHING),,$(foreach variable,$(CREDENTIAL_VARIABLES),$${$(variable):-}))
require-deploy:
	@problems=(); suffix="$(strip $(ENVIRONMENT_SUFFIX))"; \
	if [ "$${AWS_ACCOUNT_ID:-$(PLACEHOLDER_ACCOUNT_ID)}" = "$(PLACEHOLDER_ACCOUNT_ID)" ]; then \
	  problems+=("AWS_ACCOUNT_ID is unset, empty or the placeholder $(PLACEHOLDER_ACCOUNT_ID): export your 12-digit account id"); fi; \
	if [ -z "$(ANY_CREDENTIAL)" ]; then \
	  problems+=("no AWS credentials in the environment: export AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"); fi; \
	if [ -z "$${TF_VAR_db_master_password:-}" ]; then \
	  problems+=("TF_VAR_db_master_password is not set: read -rs TF_VAR_db_master_password && export TF_VAR_db_master_password (the Aurora master password: 8-128 characters, no / @ \" or space; plan, apply and destroy each need it)"); fi; \
	if [ -z "$$suffix" ]; then \
	  problems+=('$(EMPTY_SUFFIX)'); \
	elif [ "$(NEEDS_PLAN)" = 1 ] && [ ! -f "cdktf.out/stacks/dr-$$suffix/tfplan" ]; then \
	  problems+=("no saved plan cdktf.out/stacks/dr-$$suffix/tfplan: run make plan first"); fi; \
	if [ $${#problems[@]} -gt 0 ]; then \
	  { echo "refusing to $(ACTION):"; printf '  %s\n' "$${problems[@]}"; } >&2; exit 2; fi

plan: ACTION := plan
plan: require-deploy synth ## terraform plan against the real account (needs account, credentials, password)
	@mkdir -p "$(STATE_DIR)" && chmod 700 state "$(STATE_DIR)"
	cd "$(STACK_DIR)" && terraform init $(TF_INIT_FLAGS) && terraform plan -input=false -out=tfplan

apply: ACTION := apply
apply: NEEDS_PLAN := 1
apply: require-deploy ## terraform apply of the saved plan (run make plan first)
	cd "$(STACK_DIR)" && terraform apply -input=false tfplan

destroy: ACTION := destroy
destroy: require-deploy synth ## terraform destroy (everything in the stack is destroyable)
	cd "$(STACK_DIR)" && terraform init $(TF_INIT_FLAGS) && terraform destroy -input=false

fmt: deno ## format the sources
	"$(DENO)" fmt

fmt-check: deno
	"$(DENO)" fmt $(DENO_QUIET) --check

lint: deno ## lint the sources
	"$(DENO)" lint $(DENO_QUIET)

check: deno ## type-check everything
	"$(DENO)" check $(DENO_QUIET) main.ts modules/ tests/ tools/ handlers/

# A test run must leave Terraform state alone: its digest before and after must match.
STATE_DIGEST = { [ ! -d state ] || find state -type f -print0 | sort -z | xargs -0r sha256sum; } | sha256sum
unit: deno ## the test suite only (synth, terraform validate + offline plan, handlers)
	@before="$$($(STATE_DIGEST))"; \
	"$(DENO)" test $(DENO_QUIET) --allow-all tests/; \
	if [ "$$before" != "$$($(STATE_DIGEST))" ]; then echo "the test run changed state/: a test must never touch Terraform state" >&2; exit 1; fi

test: fmt-check lint check unit ## everything CI runs

bench: deno ## benchmarks: synth (cold and warm), checkers against local servers, handler bundling
	"$(DENO)" bench --allow-all tests/

# What synth writes into each stack folder (terraform adds tfplan). Anything else there stays: `.terraform/`
# until distclean, and a terraform.tfstate left by an older version of this project always.
GENERATED_STACK_FILES := cdk.tf.json operator.json assets tfplan
define remove_in_stacks
for dir in cdktf.out/stacks/*/; do \
  [ -d "$$dir" ] || continue; \
  for item in $(1); do rm -rf "$$dir$$item"; done; \
  rmdir "$$dir" 2>/dev/null || true; \
done; \
rm -rf cdktf.out/.staging-* cdktf.out/manifest.json; \
rmdir cdktf.out/stacks cdktf.out 2>/dev/null || true
endef

clean: ## remove generated files (stack JSON and assets, handler builds, bundles); never Terraform state
	@$(call remove_in_stacks,$(GENERATED_STACK_FILES))
	rm -rf .build dist

distclean: clean ## also remove installed things: .terraform/ folders, node_modules/, .tools/ (never state/)
	@$(call remove_in_stacks,.terraform .terraform.lock.hcl)
	rm -rf node_modules .tools

# Operations hand-off: a reproducible bundle of the stack folder, its verification, the reviewer summary and
# the README's generated diagram. Each tool gets only the permissions it needs.
.PHONY: bundle verify-bundle review diagram
BUNDLE = dist/dr-$(SUFFIX)-bundle.tar.gz
FILE ?= $(BUNDLE)

bundle: synth ## reproducible dist/dr-<suffix>-bundle.tar.gz: JSON, assets, REVIEW.md, OPERATIONS.md, SHA256SUMS
	"$(DENO)" run $(DENO_QUIET) --allow-read --allow-write --allow-env --allow-run=git tools/bundle.ts "$(STACK_DIR)" "$(BUNDLE)"

verify-bundle: deno ## check a bundle's SHA256SUMS and terraform-validate it offline (FILE=<bundle>)
	"$(DENO)" run $(DENO_QUIET) --allow-read --allow-write --allow-env --allow-run=terraform tools/verify_bundle.ts "$(FILE)"

review: deno ## print the reviewer summary (REVIEW.md) of the synthesized stack
	@$(MAKE) --no-print-directory synth >&2 # synth first; stdout stays the bare Markdown (make review > REVIEW.md)
	@"$(DENO)" run $(DENO_QUIET) --allow-read --allow-env tools/review.ts "$(STACK_DIR)/cdk.tf.json"

diagram: deno ## regenerate the README's architecture diagram (from the default configuration)
	"$(DENO)" run $(DENO_QUIET) $(RUN_PERMISSIONS) tools/diagram.ts README.md

docs: diagram rto-docs deno ## regenerate every generated block: diagram, configuration table, recovery budget
	"$(DENO)" run $(DENO_QUIET) --allow-read --allow-write tools/config_table.ts docs/configuration.md
	"$(DENO)" fmt $(DENO_QUIET) README.md docs/

# ---------------------------------------------------------------------------------------------------
# Recovery objectives and operator actions against a deployed stack

.PHONY: rto rto-docs drill failback readiness db-bootstrap release

# Make reports every failed recipe as its own exit status 2; the tool's code is in make's "Error N" line:
# 3 = budget exceeded, 2 = no stack or invalid settings (docs/recovery.md).
rto: synth ## recovery budget: time to decision and to first write vs their targets (make: Error 3 when exceeded)
	@"$(DENO)" run $(DENO_QUIET) --allow-read --allow-env tools/rto.ts "$(STACK_DIR)/cdk.tf.json"

# The documented budget is the default configuration's, whatever settings this shell holds.
DEFAULTS_ENV := env -i HOME="$$HOME" PATH="$$PATH" $(if $(DENO_DIR),DENO_DIR="$(DENO_DIR)") \
  DENO_TLS_CA_STORE="$(DENO_TLS_CA_STORE)" DENO_NO_UPDATE_CHECK=1
rto-docs: deno ## rewrite the budget table in docs/recovery.md from the default configuration
	@$(DEFAULTS_ENV) "$(DENO)" run $(DENO_QUIET) $(RUN_PERMISSIONS) main.ts >/dev/null
	@"$(DENO)" run $(DENO_QUIET) --allow-read --allow-write --allow-env tools/rto.ts cdktf.out/stacks/dr-dev/cdk.tf.json --readme docs/recovery.md >/dev/null || [ $$? -eq 3 ]

drill: synth ## run the failover orchestrator in dry-run mode (needs AWS credentials)
	@"$(DENO)" run $(DENO_QUIET) --allow-read --allow-env --allow-net --allow-sys tools/drill.ts "$(STACK_DIR)/operator.json"

failback: synth ## planned return to the primary: Aurora switchover, fence cleared (ARGS=--yes / --dry-run)
	@"$(DENO)" run $(DENO_QUIET) --allow-read --allow-env --allow-net --allow-sys tools/failback.ts "$(STACK_DIR)/operator.json" $(ARGS)

# Once after the first apply (and whenever wanted: idempotent). Needs the master password and a route to the
# writer (inside the VPC, or a Session Manager port forward: DB_BOOTSTRAP_ADDRESS / DB_BOOTSTRAP_PORT).
db-bootstrap: deno ## create the application and checker database roles (IAM authentication); see docs/operations.md
	@"$(DENO)" run $(DENO_QUIET) --allow-read --allow-env --allow-net --allow-sys tools/db_bootstrap.ts

# The stack's deploy role is the only writer of app/* in the artifact buckets (bucket policy); the tool assumes it.
release: synth ## publish an application release to both regions: ARCHIVE=<app.tar.gz> (digest pinned; see docs/operations.md)
	@"$(DENO)" run $(DENO_QUIET) --allow-read --allow-env --allow-net --allow-sys tools/release.ts "$(STACK_DIR)/operator.json" "$(ARCHIVE)"

readiness: synth ## would a failover succeed now? each readiness check with its evidence (exit 0 ready, 1 not, 2 cannot evaluate)
	@"$(DENO)" run $(DENO_QUIET) --allow-read --allow-env --allow-net --allow-sys tools/readiness.ts "$(STACK_DIR)/operator.json"

# ---------------------------------------------------------------------------------------------------
# Rehearsal on a local AWS emulator (moto): no AWS account, nothing leaves the machine's loopback

.PHONY: rehearse

rehearse: deno ## apply the default stack to a local AWS emulator, drill, destroy, check nothing is left
	@"$(DENO)" run $(DENO_QUIET) --allow-env --allow-read --allow-write --allow-run --allow-sys --allow-net=127.0.0.1 tools/rehearse.ts
