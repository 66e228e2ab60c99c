#!/usr/bin/env bash
# Prints the root of a local filesystem mirror of hashicorp/aws (for `terraform init -plugin-dir`), or
# nothing when there is none (then terraform uses its registry). Looks in the usual places first.
set -euo pipefail
version="${1:-5.100.0}"
layout="registry.terraform.io/hashicorp/aws/${version}"
for root in ${TF_PLUGIN_DIR:-} /opt/tf-plugins "${HOME:-/root}/.terraform.d/plugins" \
  "${HOME:-/root}/.local/share/terraform/plugins" /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
  if [ -d "${root}/${layout}" ]; then echo "${root}"; exit 0; fi
done
binary=$(find / -xdev \( -path /proc -o -path /sys -o -path '*/node_modules' -o -path '*/.git' \) -prune -o \
  -type f -name "terraform-provider-aws_v${version}_*" -print -quit 2>/dev/null || true)
if [ -n "${binary}" ]; then
  # <root>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/<binary>
  echo "${binary%/${layout}/*}"
fi
