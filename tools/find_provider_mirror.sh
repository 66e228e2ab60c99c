#!/usr/bin/env bash
# Prints the root of a local filesystem mirror of hashicorp/aws (for `terraform init -plugin-dir`), or
# nothing when there is none (then terraform uses its registry). Looks in the usual places first.
# Mirror layout: <root>/<registry host>/hashicorp/aws/<version>/<os_arch>/terraform-provider-aws_v<version>_*
set -euo pipefail
version="${1:-5.100.0}"
for root in ${TF_PLUGIN_DIR:-} /opt/tf-plugins "${HOME:-/root}/.terraform.d/plugins" \
  "${HOME:-/root}/.local/share/terraform/plugins" /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
  for provider in "${root}"/*/hashicorp/aws/"${version}"; do
    if [ -d "${provider}" ]; then echo "${root}"; exit 0; fi
  done
done
binary=$(find / -xdev \( -path /proc -o -path /sys -o -path '*/node_modules' -o -path '*/.git' \) -prune -o \
  -type f -name "terraform-provider-aws_v${version}_*" -print -quit 2>/dev/null || true)
if [ -n "${binary}" ]; then
  # six levels up from the binary: <os_arch>, <version>, aws, hashicorp, <registry host>, then the root
  root="${binary}"
  for _ in 1 2 3 4 5 6; do root=$(dirname "${root}"); done
  echo "${root}"
fi
