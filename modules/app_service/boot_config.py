#!/usr/bin/env python3
"""Runs at every boot before the front service (also after a warm-pool start, which skips user data).

1. Reads this region's parameters from Parameter Store (no secret: the application role logs in with IAM
   tokens, DB_USER comes with the instance settings; the master password is never read) into the
   service environment file (mode 0600), retrying while they are not readable yet. Adds the name of the
   active-region parameter, which the front service follows itself (it changes on failover, not at boot).
2. Pulls the application release s3://<artifact bucket>/<ARTIFACT_KEY> (a .tar.gz with an executable
   `run` at its root) into RELEASE_DIR when one is published: only when the SHA-256 of the downloaded bytes
   equals the digest pinned in Parameter Store (app/release-sha256, written by `make release`). A mismatch, a
   malformed digest, a missing object or an unreachable S3 keep the installed release and unpack nothing;
   the digest `none` means nothing is published (a stale release is removed).

Uses the AWS CLI of Amazon Linux 2023 (`AWS_CLI` overrides the command, for tests).
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

# Parameter key (under PARAMETER_PREFIX, see handlers/lib/contract.ts) -> environment variable.
PARAMETERS = {
    "database/writer-endpoint": "DB_HOST",
    "database/reader-endpoint": "DB_READER_HOST",
    "region/role": "REGION_ROLE",
    "database/port": "DB_PORT",
    "database/name": "DB_NAME",
    "storage/artifact-bucket": "ARTIFACT_BUCKET",
    "app/release-sha256": "RELEASE_SHA256",
}
# Written by the failover orchestrator and by failback (contract.ts PARAMETER_KEYS.activeRegion).
ACTIVE_REGION_KEY = "failover/active-region"
# contract.ts RELEASE_UNPUBLISHED: the pinned digest while nothing is published.
UNPUBLISHED = "none"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def log(event, **fields):
    print(json.dumps(dict(event=event, **fields)), flush=True)


def aws(*args):
    command = os.environ.get("AWS_CLI", "aws").split() + list(args)
    return subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


def read_parameters(region, prefix, attempts, delay_seconds):
    names = ["%s/%s" % (prefix, key) for key in PARAMETERS]
    problem = ""
    for attempt in range(1, attempts + 1):
        result = aws("ssm", "get-parameters", "--region", region, "--with-decryption", "--output", "json",
                     "--names", *names)
        if result.returncode == 0:
            answer = json.loads(result.stdout)
            values = {parameter["Name"]: parameter["Value"] for parameter in answer.get("Parameters", [])}
            missing = [name for name in names if name not in values]
            if not missing:
                return {PARAMETERS[name[len(prefix) + 1:]]: values[name] for name in names}
            problem = "missing parameters: " + ", ".join(missing)
        else:
            problem = result.stderr.strip()[:500]
        log("parameters-not-ready", attempt=attempt, problem=problem)
        if attempt < attempts:
            time.sleep(delay_seconds)
    raise SystemExit("parameters unreadable after %d attempts: %s" % (attempts, problem))


def quote(value):
    """A double-quoted value for a systemd EnvironmentFile (backslash and quote escaped, one line)."""
    if "\n" in value or "\r" in value:
        raise SystemExit("a parameter value spans lines; refusing to write it")
    return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')


def write_environment(path, values):
    directory = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".app-env-")
    with os.fdopen(handle, "w") as file:
        for name in sorted(values):
            file.write("%s=%s\n" % (name, quote(values[name])))
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


class ReleaseRejected(Exception):
    pass


def release_listed(bucket, key):
    """Whether the release object exists; raises when S3 cannot be asked."""
    # A listing restricted to the exact key: the instance role may list nothing else (s3:prefix condition).
    listing = aws("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", key, "--output", "json")
    if listing.returncode != 0:
        raise OSError(listing.stderr.strip()[:500])
    contents = json.loads(listing.stdout or "{}").get("Contents") or []
    return any(item.get("Key") == key for item in contents)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unpack(archive, unpacked):
    """Unpacks a verified archive into `unpacked`; raises ReleaseRejected for an unsafe member or no `run`."""
    with tarfile.open(archive) as release:
        for member in release.getmembers():
            target = os.path.realpath(os.path.join(unpacked, member.name))
            if os.path.commonpath([target, os.path.realpath(unpacked)]) != os.path.realpath(unpacked):
                raise ReleaseRejected("member escapes the archive folder: %s" % member.name)
            if not (member.isfile() or member.isdir()):
                raise ReleaseRejected("member is not a file or folder: %s" % member.name)
        release.extractall(unpacked)
    if not os.access(os.path.join(unpacked, "run"), os.X_OK):
        raise ReleaseRejected("no executable run at the archive root")
    # Readable by the service's dynamic user; executables stay executable.
    for root, _directories, files in os.walk(unpacked):
        os.chmod(root, 0o755)
        for name in files:
            path = os.path.join(root, name)
            os.chmod(path, 0o755 if os.access(path, os.X_OK) else 0o644)


def pull_release(bucket, key, release_dir, pinned):
    if pinned == UNPUBLISHED:
        if os.path.isdir(release_dir):
            shutil.rmtree(release_dir)
        log("no-release-published", bucket=bucket, key=key)
        return
    if not SHA256_HEX.fullmatch(pinned):
        # Nothing can match a digest that is not one: keep the installed release (if any), unpack nothing.
        log("release-rejected", reason="pinned digest is not 64 lowercase hex characters", pinned=pinned[:100])
        return
    try:
        listed = release_listed(bucket, key)
    except OSError as error:
        # Keep whatever release is installed: an S3 hiccup must not take the application down.
        log("release-check-failed", detail=str(error))
        return
    if not listed:
        # A deleted object must not take the application down either.
        log("release-missing", bucket=bucket, key=key, pinned=pinned)
        return
    staging = tempfile.mkdtemp(prefix=".release-", dir=os.path.dirname(release_dir) or ".")
    try:
        archive = os.path.join(staging, "release.tar.gz")
        copy = aws("s3", "cp", "--only-show-errors", "s3://%s/%s" % (bucket, key), archive)
        if copy.returncode != 0:
            log("release-download-failed", detail=copy.stderr.strip()[:500])
            return
        downloaded = sha256_of(archive)
        if downloaded != pinned:
            raise ReleaseRejected("digest mismatch: pinned %s, downloaded %s" % (pinned, downloaded))
        unpacked = os.path.join(staging, "release")
        unpack(archive, unpacked)
        if os.path.isdir(release_dir):
            shutil.rmtree(release_dir)
        os.replace(unpacked, release_dir)
        log("release-installed", bucket=bucket, key=key, sha256=downloaded)
    except (ReleaseRejected, tarfile.TarError) as error:
        # A broken or unverified release leaves the installed one (if any) in place; the front service starts.
        log("release-rejected", reason=str(error))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main():
    environ = os.environ
    values = read_parameters(
        environ["AWS_REGION"],
        environ["PARAMETER_PREFIX"],
        int(environ.get("PARAMETER_ATTEMPTS") or 20),
        float(environ.get("PARAMETER_RETRY_SECONDS") or 3),
    )
    # The release's own business, not the service environment's.
    pinned = values.pop("RELEASE_SHA256")
    values["ACTIVE_REGION_PARAMETER"] = "%s/%s" % (environ["PARAMETER_PREFIX"], ACTIVE_REGION_KEY)
    write_environment(environ["APP_ENV_FILE"], values)
    log("configuration-written", path=environ["APP_ENV_FILE"], keys=sorted(values))
    pull_release(values["ARTIFACT_BUCKET"], environ["ARTIFACT_KEY"], environ["RELEASE_DIR"], pinned)
    return 0


if __name__ == "__main__":
    sys.exit(main())
