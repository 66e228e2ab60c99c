"""What the AWS emulator holds, as one JSON document, read through the AWS APIs with boto3 (moto's own
dependency, so present wherever the emulator is):

    python3 tests/rehearsal/inventory.py ENDPOINT REGION [REGION ...]

Names and the state a failover changes (writer, statuses, capacities, parameter values, alarm states), in a
stable order, so that two inventories compare with a deep equality. Used for "a drill changes nothing"
and "destroy leaves nothing behind". Only loopback endpoints are accepted.
"""

import json
import sys
from urllib.parse import urlparse

import boto3
from botocore.config import Config

CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)


def client(endpoint, service, region):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="rehearsal",
        aws_secret_access_key="rehearsal",
        config=CONFIG,
    )


def pages(api, operation, key, **kwargs):
    items = []
    for page in api.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def global_clusters(rds):
    return [
        {
            "id": cluster["GlobalClusterIdentifier"],
            "status": cluster.get("Status"),
            "failoverState": cluster.get("FailoverState"),
            "members": sorted(
                (
                    {
                        "arn": member["DBClusterArn"],
                        "isWriter": member["IsWriter"],
                        "sync": member.get("SynchronizationStatus"),
                    }
                    for member in cluster.get("GlobalClusterMembers", [])
                ),
                key=lambda member: member["arn"],
            ),
        }
        for cluster in rds.describe_global_clusters().get("GlobalClusters", [])
    ]


def regional(endpoint, region):
    ec2 = client(endpoint, "ec2", region)
    rds = client(endpoint, "rds", region)
    kms = client(endpoint, "kms", region)
    ssm = client(endpoint, "ssm", region)
    cloudwatch = client(endpoint, "cloudwatch", region)
    autoscaling = client(endpoint, "autoscaling", region)
    live_instances = [
        instance["InstanceId"]
        for reservation in pages(ec2, "describe_instances", "Reservations")
        for instance in reservation["Instances"]
        if instance["State"]["Name"] not in ("terminated", "shutting-down")
    ]
    # AWS-managed keys (alias/aws/<service>) are created by services on first use and cannot be deleted.
    aws_managed = {
        alias["TargetKeyId"]
        for alias in pages(kms, "list_aliases", "Aliases")
        if alias["AliasName"].startswith("alias/aws/") and "TargetKeyId" in alias
    }
    keys = [
        key["KeyId"]
        for key in pages(kms, "list_keys", "Keys")
        # A key scheduled for deletion is gone as far as the stack is concerned (AWS keeps it 7-30 days).
        if key["KeyId"] not in aws_managed
        and kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"
    ]
    return {
        "vpcs": [vpc["VpcId"] for vpc in pages(ec2, "describe_vpcs", "Vpcs") if not vpc.get("IsDefault")],
        "instances": live_instances,
        "natGateways": [
            gateway["NatGatewayId"]
            for gateway in pages(ec2, "describe_nat_gateways", "NatGateways")
            if gateway["State"] not in ("deleted", "deleting")
        ],
        "elasticIps": [address["AllocationId"] for address in ec2.describe_addresses()["Addresses"]],
        "launchTemplates": [t["LaunchTemplateName"] for t in pages(ec2, "describe_launch_templates", "LaunchTemplates")],
        "dbClusters": [
            {"id": c["DBClusterIdentifier"], "status": c["Status"]}
            for c in pages(rds, "describe_db_clusters", "DBClusters")
        ],
        "dbInstances": [i["DBInstanceIdentifier"] for i in pages(rds, "describe_db_instances", "DBInstances")],
        "kmsKeys": keys,
        "parameters": [
            {
                "name": p["Name"],
                "type": p["Type"],
                "version": p["Version"],
                # Values only of plain String parameters: SecureString values stay out of any output.
                **({"value": ssm.get_parameter(Name=p["Name"])["Parameter"]["Value"]} if p["Type"] == "String" else {}),
            }
            for p in pages(ssm, "describe_parameters", "Parameters")
        ],
        "alarms": [
            {"name": a["AlarmName"], "state": a["StateValue"], "actionsEnabled": a["ActionsEnabled"]}
            for a in pages(cloudwatch, "describe_alarms", "MetricAlarms")
        ],
        "compositeAlarms": [
            {"name": a["AlarmName"], "state": a["StateValue"], "rule": a["AlarmRule"]}
            for a in pages(cloudwatch, "describe_alarms", "CompositeAlarms", AlarmTypes=["CompositeAlarm"])
        ],
        "autoScalingGroups": [
            {"name": g["AutoScalingGroupName"], "min": g["MinSize"], "max": g["MaxSize"], "desired": g["DesiredCapacity"]}
            for g in pages(autoscaling, "describe_auto_scaling_groups", "AutoScalingGroups")
        ],
        "functions": [f["FunctionName"] for f in pages(client(endpoint, "lambda", region), "list_functions", "Functions")],
        "topics": [t["TopicArn"] for t in pages(client(endpoint, "sns", region), "list_topics", "Topics")],
        "tables": pages(client(endpoint, "dynamodb", region), "list_tables", "TableNames"),
        "logGroups": [g["logGroupName"] for g in pages(client(endpoint, "logs", region), "describe_log_groups", "logGroups")],
        "loadBalancers": [
            lb["LoadBalancerName"] for lb in pages(client(endpoint, "elbv2", region), "describe_load_balancers", "LoadBalancers")
        ],
        "eventRules": [r["Name"] for r in client(endpoint, "events", region).list_rules()["Rules"]],
    }


def inventory(endpoint, regions):
    iam = client(endpoint, "iam", "us-east-1")
    route53 = client(endpoint, "route53", "us-east-1")
    return {
        # Global services and the global-cluster store, read once.
        "global": {
            "globalClusters": global_clusters(client(endpoint, "rds", regions[0])),
            "buckets": [b["Name"] for b in client(endpoint, "s3", "us-east-1").list_buckets().get("Buckets", [])],
            "roles": [role["RoleName"] for role in pages(iam, "list_roles", "Roles")],
            "hostedZones": [zone["Name"] for zone in pages(route53, "list_hosted_zones", "HostedZones")],
            "healthChecks": [check["Id"] for check in pages(route53, "list_health_checks", "HealthChecks")],
        },
        **{region: regional(endpoint, region) for region in regions},
    }


def sort_lists(value):
    """Lists in a stable order, whatever order moto returns them in."""
    if isinstance(value, dict):
        return {key: sort_lists(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [sort_lists(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: inventory.py ENDPOINT REGION [REGION ...]")
    endpoint = sys.argv[1]
    if urlparse(endpoint).hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"refusing {endpoint}: the inventory reads only a loopback emulator")
    json.dump(sort_lists(inventory(endpoint, sys.argv[2:])), sys.stdout, indent=1, sort_keys=True, default=str)
