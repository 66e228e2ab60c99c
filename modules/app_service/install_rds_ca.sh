#!/bin/bash
# The RDS certificate authorities for verify-full TLS: the bundle the stack shipped into this region's
# artifact bucket (s3://CA_BUNDLE_BUCKET/CA_BUNDLE_KEY, through the S3 gateway endpoint), installed at
# DB_SSLROOTCERT only when its SHA-256 is CA_BUNDLE_SHA256 (from the user data). Any other content is refused
# (exit 1) and nothing is installed: the database then fails TLS verification instead of trusting a CA that
# is not ours. `AWS_CLI` overrides the command (tests).
set -euo pipefail

read -r -a aws_cli <<<"${AWS_CLI:-aws}"
download="$(mktemp "${DB_SSLROOTCERT}.XXXXXX")"
trap 'rm -f "${download}"' EXIT

"${aws_cli[@]}" s3 cp --only-show-errors --region "${AWS_REGION}" \
  "s3://${CA_BUNDLE_BUCKET}/${CA_BUNDLE_KEY}" "${download}"
actual="$(sha256sum "${download}" | cut -d ' ' -f 1)"
if [ "${actual}" != "${CA_BUNDLE_SHA256}" ]; then
  echo "refusing s3://${CA_BUNDLE_BUCKET}/${CA_BUNDLE_KEY}: SHA-256 ${actual}, expected ${CA_BUNDLE_SHA256}" >&2
  exit 1
fi
chmod 0644 "${download}"
mv -f "${download}" "${DB_SSLROOTCERT}"
