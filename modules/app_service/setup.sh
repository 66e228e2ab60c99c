#!/bin/bash
# Once per instance (re-run at every boot until it completes, e.g. when a warm-pool stop interrupted it):
# the PostgreSQL client, the RDS CA bundle for verified TLS, and log shipping to the instance log group.
# Settings (LOG_GROUP, DB_SSLROOTCERT, ...) come from /etc/dr-app/settings.env through the systemd unit.
set -euo pipefail

retry() {
  local attempt
  for attempt in 1 2 3 4 5; do
    "$@" && return 0
    echo "attempt ${attempt} of: $* failed" >&2
    sleep $((attempt * 5))
  done
  return 1
}

retry dnf install -y --setopt=install_weak_deps=False postgresql16 amazon-cloudwatch-agent

# The RDS CAs of every region (the writer may sit in either after a failover), shipped with the stack and
# checked against the SHA-256 in the user data: nothing comes from the internet.
retry /opt/dr-app/install_rds_ca.sh

agent_config=/opt/aws/amazon-cloudwatch-agent/etc/dr-app.json
cat >"${agent_config}" <<EOF
{
  "logs": {
    "logs_collected": {
      "files": {
        "collect_list": [
          {"file_path": "/var/log/dr-app/*.log", "log_group_name": "${LOG_GROUP}", "log_stream_name": "{instance_id}/app"},
          {"file_path": "/var/log/cloud-init-output.log", "log_group_name": "${LOG_GROUP}", "log_stream_name": "{instance_id}/boot"}
        ]
      }
    }
  }
}
EOF
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:${agent_config}"

touch /var/lib/dr-app/setup-complete
