"""The rehearsal's AWS emulator: moto's server on loopback, with the Aurora global-database behaviour that
moto 5.2.1 lacks and the failover orchestrator needs.

    python3 tests/rehearsal/moto_server.py PORT

Written against moto 5.2.1 (server extras). What it adds or corrects, every change in this file:
- FailoverGlobalCluster (AllowDataLoss = failover, else switchover) and SwitchoverGlobalCluster: moto 5.2.1
  answers "not implemented". The global cluster's Status and FailoverState pass through pending /
  failing-over or switching-over for the next TRANSITION_READS DescribeGlobalClusters calls, then the target
  member becomes the writer and the old writer a secondary (reader). A failover with data loss leaves the
  old primary "pending-resync" for as many reads before it is "connected" again.
- Refusals with AWS's fault names: GlobalClusterNotFoundFault, DBClusterNotFoundFault (no such target
  cluster), InvalidParameterValue "... is not found in global cluster ..." (a cluster that is not a member:
  AWS's own answer, which Terraform takes as "already removed"), InvalidGlobalClusterStateFault (a failover or switchover in progress, a secondary not in
  sync), InvalidDBClusterStateFault (target already the writer, or a cluster that must be available is not).
- DescribeGlobalClusters honours GlobalClusterIdentifier (moto returns every global cluster).
- Global clusters live in moto's us-east-1 backend whatever the region asked: removing a member (and
  deleting a member cluster) from another region was a silent no-op that left a ghost member.
- PutCompositeAlarm: moto 5.2.1 answers "not implemented" (Terraform then retries until its timeout), although
  its alarm model, DescribeAlarms (CompositeAlarms), SetAlarmState and DeleteAlarms already handle a rule:
  the action is routed to moto's own PutMetricAlarm, which reads AlarmRule for exactly this.
- S3 bucket policies on object requests: moto 5.2.1 answers DENIED for every policy statement with a Condition
  whose action matches (it has no condition values to compare, and checks them before the resource), so the
  stack's conditional denies (no TLS; `app/*` writes by anyone but the deploy role) refused every PutObject.
  Statements with a Condition are left out of that evaluation; the unconditional ones still apply.
"""

import json
import os
import sys
import threading

# Before moto reads its settings: AWS-managed IAM policies (AmazonSSMManagedInstanceCore, ...) exist only then.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

from moto import server  # noqa: E402
from moto.core.responses import ActionResult  # noqa: E402
from moto.rds.exceptions import (  # noqa: E402
    DBClusterNotFoundError,
    InvalidDBClusterStateFault,
    InvalidParameterCombination,
    InvalidParameterValue,
    RDSClientError,
)
from moto.rds.models import GlobalCluster, RDSBackend, rds_backends  # noqa: E402
from moto.rds.responses import RDSResponse  # noqa: E402
from moto.cloudwatch.responses import CloudWatchResponse  # noqa: E402
from moto.iam.access_control import IAMPolicy, PermissionResult  # noqa: E402
from moto.s3.models import FakeBucket  # noqa: E402

# DescribeGlobalClusters calls during which a failover or switchover shows as in progress.
TRANSITION_READS = int(os.environ.get("REHEARSAL_TRANSITION_READS", "2"))
# moto serves requests on threads: a check and the change it allows happen under one lock.
_LOCK = threading.RLock()


class GlobalClusterNotFoundFault(RDSClientError):
    def __init__(self, identifier: str):
        super().__init__("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found.")


class InvalidGlobalClusterStateFault(RDSClientError):
    def __init__(self, message: str):
        super().__init__("InvalidGlobalClusterStateFault", message)


def _store(account_id: str) -> RDSBackend:
    """moto keeps every global cluster in its us-east-1 backend (RDSResponse.global_backend)."""
    return rds_backends[account_id]["us-east-1"]


def _global_cluster(account_id: str, identifier: str) -> GlobalCluster:
    # AWS accepts the identifier or the ARN; moto stores identifiers in lower case.
    wanted = identifier.split(":")[-1].lower()
    found = _store(account_id).global_clusters.get(wanted)
    if found is None:
        raise GlobalClusterNotFoundFault(identifier)
    return found


def _member(account_id: str, global_cluster: GlobalCluster, identifier: str, must_exist: bool):
    """The member named by ARN (what AWS asks for) or by cluster identifier."""
    for cluster in global_cluster.members:
        if identifier in (cluster.db_cluster_arn, cluster.db_cluster_identifier):
            return cluster
    exists = any(
        identifier in (cluster.db_cluster_arn, cluster.db_cluster_identifier)
        for backend in rds_backends[account_id].values()
        for cluster in backend.clusters.values()
    )
    if must_exist and not exists:
        raise DBClusterNotFoundError(identifier)
    # AWS's answer for a cluster outside the global cluster (Terraform takes it as "already removed").
    raise InvalidParameterValue(
        f"The specified DB cluster {identifier} is not found in global cluster "
        f"{global_cluster.global_cluster_identifier}."
    )


def _cluster_status(cluster) -> str:
    # moto's `status` property flips "creating" to "available" when read: peek without that side effect.
    return getattr(cluster, "_status", "available")


def _sync_status(cluster) -> str:
    return getattr(cluster, "rehearsal_sync_status", "connected")


def _start_transition(account_id: str, identifier: str, target_id: str, data_loss: bool) -> GlobalCluster:
    with _LOCK:
        global_cluster = _global_cluster(account_id, identifier)
        if getattr(global_cluster, "failover_state", None) or global_cluster.status != "available":
            raise InvalidGlobalClusterStateFault(
                f"Global cluster {global_cluster.global_cluster_identifier} is {global_cluster.status}: "
                "another failover or switchover is in progress."
            )
        target = _member(account_id, global_cluster, target_id, must_exist=True)
        writer = next((m for m in global_cluster.members if m.is_writer), None)
        if target is writer:
            raise InvalidDBClusterStateFault(
                f"{target.db_cluster_arn} is already the primary cluster of "
                f"{global_cluster.global_cluster_identifier}."
            )
        if _cluster_status(target) != "available":
            raise InvalidDBClusterStateFault(
                f"Target cluster {target.db_cluster_arn} is {_cluster_status(target)}, not available."
            )
        if not data_loss:
            # A switchover needs a healthy topology: every member available and replicating.
            for member in global_cluster.members:
                if _cluster_status(member) != "available":
                    raise InvalidDBClusterStateFault(
                        f"Cluster {member.db_cluster_arn} is {_cluster_status(member)}: switchover needs "
                        "every member available; use FailoverGlobalCluster with AllowDataLoss."
                    )
                if _sync_status(member) != "connected":
                    raise InvalidGlobalClusterStateFault(
                        f"Cluster {member.db_cluster_arn} is {_sync_status(member)}, not in sync."
                    )
        global_cluster.status = "failing-over" if data_loss else "switching-over"
        global_cluster.failover_state = {
            "Status": "pending",
            "FromDbClusterArn": writer.db_cluster_arn if writer else None,
            "ToDbClusterArn": target.db_cluster_arn,
            "IsDataLossAllowed": data_loss,
        }
        global_cluster.rehearsal_reads_left = TRANSITION_READS
        return global_cluster


def _advance(global_cluster: GlobalCluster) -> None:
    """One DescribeGlobalClusters read of a cluster in transition: pending -> in progress -> settled."""
    for member in global_cluster.members:
        left = getattr(member, "rehearsal_resync_reads_left", 0)
        if left > 0:
            member.rehearsal_resync_reads_left = left - 1
        elif _sync_status(member) == "pending-resync":
            member.rehearsal_sync_status = "connected"
    state = getattr(global_cluster, "failover_state", None)
    if not state:
        return
    if global_cluster.rehearsal_reads_left > 0:
        global_cluster.rehearsal_reads_left -= 1
        state["Status"] = global_cluster.status  # failing-over / switching-over
        return
    for member in global_cluster.members:
        was_writer = member.is_writer
        member.is_writer = member.db_cluster_arn == state["ToDbClusterArn"]
        if was_writer and not member.is_writer and state["IsDataLossAllowed"]:
            member.rehearsal_sync_status = "pending-resync"
            member.rehearsal_resync_reads_left = TRANSITION_READS
    global_cluster.status = "available"
    global_cluster.failover_state = None


def _flag(value) -> bool:
    return str(value).lower() == "true"


def failover_global_cluster(self: RDSResponse) -> ActionResult:
    params = self.params
    if "AllowDataLoss" in params and "Switchover" in params:
        raise InvalidParameterCombination("Specify AllowDataLoss or Switchover, not both.")
    # Without AllowDataLoss the operation is a switchover (the API's default).
    data_loss = _flag(params.get("AllowDataLoss", False))
    global_cluster = _start_transition(
        self.current_account,
        params["GlobalClusterIdentifier"],
        params["TargetDbClusterIdentifier"],
        data_loss,
    )
    return ActionResult({"GlobalCluster": global_cluster})


def switchover_global_cluster(self: RDSResponse) -> ActionResult:
    params = self.params
    global_cluster = _start_transition(
        self.current_account,
        params["GlobalClusterIdentifier"],
        params["TargetDbClusterIdentifier"],
        False,
    )
    return ActionResult({"GlobalCluster": global_cluster})


def describe_global_clusters(self: RDSResponse) -> ActionResult:
    identifier = self.params.get("GlobalClusterIdentifier")
    with _LOCK:
        if identifier:
            clusters = [_global_cluster(self.current_account, identifier)]
        else:
            clusters = list(_store(self.current_account).global_clusters.values())
        for global_cluster in clusters:
            _advance(global_cluster)
        return ActionResult({"GlobalClusters": clusters})


def remove_from_global_cluster(self: RDSResponse) -> ActionResult:
    params = self.params
    with _LOCK:
        global_cluster = _global_cluster(self.current_account, params["GlobalClusterIdentifier"])
        cluster = _member(self.current_account, global_cluster, params["DbClusterIdentifier"], must_exist=False)
        global_cluster.members.remove(cluster)
        # Detached: a standalone cluster that takes writes.
        cluster.global_cluster_identifier = None
        cluster.is_writer = True
        return ActionResult({"GlobalCluster": global_cluster})


_moto_delete_db_cluster = RDSBackend.delete_db_cluster


def delete_db_cluster(self: RDSBackend, cluster_identifier: str, snapshot_name: str | None = None):
    cluster = self.clusters.get(cluster_identifier)
    with _LOCK:
        for global_cluster in _store(self.account_id).global_clusters.values():
            if cluster is not None and cluster in global_cluster.members:
                global_cluster.members.remove(cluster)
    return _moto_delete_db_cluster(self, cluster_identifier, snapshot_name)


def _member_view(self: GlobalCluster):
    """moto's member list plus SynchronizationStatus, which AWS reports for every member."""
    members = _moto_members.fget(self)
    by_arn = {cluster.db_cluster_arn: cluster for cluster in self.members}
    for member in members:
        member["SynchronizationStatus"] = _sync_status(by_arn[member["DBClusterArn"]])
    return members


_moto_members = GlobalCluster.global_cluster_members


def bucket_permission_without_conditions(self: FakeBucket, action: str, resource: str):
    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy)
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    unconditional = [statement for statement in statements if "Condition" not in statement]
    if not unconditional:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**document, "Statement": unconditional})).is_action_permitted(action, resource)


def install() -> None:
    RDSResponse.failover_global_cluster = failover_global_cluster
    RDSResponse.switchover_global_cluster = switchover_global_cluster
    RDSResponse.describe_global_clusters = describe_global_clusters
    RDSResponse.remove_from_global_cluster = remove_from_global_cluster
    RDSBackend.delete_db_cluster = delete_db_cluster
    GlobalCluster.global_cluster_members = property(_member_view)
    CloudWatchResponse.put_composite_alarm = CloudWatchResponse.put_metric_alarm
    FakeBucket.get_permission = bucket_permission_without_conditions


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: moto_server.py PORT")
    install()
    # Loopback only: the emulator is never reachable from another machine.
    server.main(["-H", "127.0.0.1", "-p", sys.argv[1]])
