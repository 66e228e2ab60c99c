#!/usr/bin/env python3
"""Front service of an application instance (Python 3.9+ stdlib only, as on Amazon Linux 2023).

GET /health        200 while this process serves (the ALB target-group check).
GET /health/deep   primary region: 200 only when the database writer answers through the global writer
                   endpoint over verified TLS and is not in recovery, and the region is not fenced (503
                   "fenced: writes moved to <region>" while the active-region parameter names another region).
                   Standby region (REGION_ROLE=secondary):
                   200 when its own regional cluster answers through the region's reader endpoint, i.e. the
                   region is ready to take over (the primary's writer is out of its reach by design).
                   503 with a JSON reason otherwise. Route 53 and the health-checker Lambdas probe this path.
anything else      proxied to the published application release on 127.0.0.1:UPSTREAM_PORT (with the
                   X-DR-Active-Region header once known), or 404 when no release is published.

The fence: a background thread reads ACTIVE_REGION_PARAMETER from this region's Parameter Store every
FENCE_POLL_SECONDS (the AWS CLI, each read killed after FENCE_READ_TIMEOUT_SECONDS) and keeps the last value
read; a failed read keeps it. Nothing read yet means not fenced: DNS is the other, independent layer.

Configuration comes from the environment (systemd EnvironmentFile written from Parameter Store at boot).
Reasons returned to callers are coarse categories: this port is public through the load balancer, so the
details (host names, server messages) go to the log only.
"""
import http.client
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time

SHALLOW_PATH = "/health"
DEEP_PATH = "/health/deep"
ACTIVE_REGION_HEADER = "X-DR-Active-Region"
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
WRITER_QUERY = "SELECT NOT pg_is_in_recovery()"
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade",
}


def setting(name, default=None):
    value = os.environ.get(name, "")
    return value if value != "" else default


def log(event, **fields):
    print(json.dumps(dict(event=event, time=round(time.time(), 3), **fields)), flush=True)


def positive_seconds(environ, name, default):
    value = environ.get(name) or default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if not seconds > 0:
        raise SystemExit("%s=%r: must be a number of seconds greater than 0" % (name, value))
    return seconds


def classify_failure(stderr):
    """Maps a psql error message to a reason that is safe to return to the internet."""
    text = stderr.lower()
    if "timeout" in text or "timed out" in text:
        return "database timeout"
    if "password authentication failed" in text or "authentication" in text or "no password" in text:
        return "database authentication failed"
    if "certificate" in text or "ssl" in text or "tls" in text:
        return "database TLS verification failed"
    if "does not exist" in text:
        return "database not found"
    if "could not connect" in text or "connection refused" in text or "could not translate" in text:
        return "database unreachable"
    return "database check failed"


class WriterCheck:
    """Runs the deep query with psql; at most one check in flight, the result reused for a short while."""

    def __init__(self, environ):
        self.timeout_seconds = float(environ.get("DEEP_CHECK_TIMEOUT_SECONDS") or 2)
        self.cache_seconds = float(environ.get("DEEP_CHECK_CACHE_SECONDS") or 0)
        self.standby = environ.get("REGION_ROLE") == "secondary"
        host = "DB_READER_HOST" if self.standby else "DB_HOST"
        required = {host: "PGHOST", "DB_PORT": "PGPORT", "DB_NAME": "PGDATABASE", "DB_USER": "PGUSER"}
        self.missing = sorted(name for name in required if not environ.get(name))
        self.psql_env = {
            "PATH": environ.get("PATH", "/usr/bin:/bin"),
            "PGSSLMODE": environ.get("DB_SSLMODE") or "verify-full",
            "PGSSLROOTCERT": environ.get("DB_SSLROOTCERT") or "",
            # libpq 16+: answer only the authentication Aurora's IAM login asks for (the token, over TLS).
            "PGREQUIREAUTH": environ.get("DB_REQUIRE_AUTH") or "password",
            # libpq waits at least 2 s for a connection, whatever smaller value is given.
            "PGCONNECT_TIMEOUT": str(max(2, int(self.timeout_seconds))),
            "PGOPTIONS": "-c statement_timeout=%d" % int(self.timeout_seconds * 1000),
            "PGAPPNAME": "dr-app-health",
        }
        for source, target in required.items():
            self.psql_env[target] = environ.get(source, "")
        self.token = IamToken(environ, self.psql_env)
        self.lock = threading.Lock()
        self.cached = None
        self.cached_at = 0.0

    def result(self):
        with self.lock:
            now = time.monotonic()
            if self.cached is None or now - self.cached_at >= self.cache_seconds:
                self.cached = self.run()
                self.cached_at = time.monotonic()
            return self.cached

    def run(self):
        if self.missing:
            return 503, {"status": "unhealthy", "reason": "configuration missing"}, "missing " + ",".join(
                self.missing)
        token, problem = self.token.value()
        if token is None:
            return 503, {"status": "unhealthy", "reason": "database authentication failed"}, problem
        started = time.monotonic()
        command = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", WRITER_QUERY]
        try:
            completed = subprocess.run(command, env=dict(self.psql_env, PGPASSWORD=token), capture_output=True, text=True,
                                       timeout=self.timeout_seconds + 1, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            return 503, {"status": "unhealthy", "reason": "database client not installed"}, "psql missing"
        except subprocess.TimeoutExpired:
            return 503, {"status": "unhealthy", "reason": "database timeout"}, "psql timed out"
        latency_ms = round((time.monotonic() - started) * 1000)
        if completed.returncode != 0:
            detail = completed.stderr.strip()
            return 503, {"status": "unhealthy", "reason": classify_failure(detail)}, detail
        answer = completed.stdout.strip()
        if self.standby and answer in ("t", "f"):
            return 200, {"status": "ok", "role": "standby", "writer": answer == "t", "latencyMs": latency_ms}, None
        if answer != "t":
            return 503, {"status": "unhealthy", "reason": "database is not the writer"}, "answer " + answer
        return 200, {"status": "ok", "writer": True, "latencyMs": latency_ms}, None


class IamToken:
    """The application role's IAM authentication token (aws rds generate-db-auth-token, a local signature),
    renewed every TOKEN_REFRESH_SECONDS: tokens are valid 15 minutes."""

    def __init__(self, environ, psql_env):
        self.command = (environ.get("AWS_CLI") or "aws").split() + [
            "rds", "generate-db-auth-token", "--region", environ.get("AWS_REGION") or "",
            "--hostname", psql_env.get("PGHOST", ""), "--port", psql_env.get("PGPORT", ""),
            "--username", psql_env.get("PGUSER", ""), "--output", "text",
        ]
        self.cli_env = {name: value for name, value in environ.items() if not name.startswith("DB_")}
        self.refresh_seconds = positive_seconds(environ, "TOKEN_REFRESH_SECONDS", 600)
        self.token = None
        self.made_at = 0.0

    def value(self):
        """(token, None) or (None, problem)."""
        if self.token is not None and time.monotonic() - self.made_at < self.refresh_seconds:
            return self.token, None
        try:
            completed = subprocess.run(self.command, env=self.cli_env, capture_output=True, text=True,
                                       timeout=10, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            return None, "token: %s" % error
        if completed.returncode != 0 or not completed.stdout.strip():
            return None, "token: " + (completed.stderr.strip()[:500] or "empty answer")
        self.token, self.made_at = completed.stdout.strip(), time.monotonic()
        return self.token, None


class ActiveRegionWatch:
    """The last value of the active-region parameter read from this region's Parameter Store."""

    def __init__(self, environ):
        self.region = environ.get("AWS_REGION") or ""
        self.parameter = environ.get("ACTIVE_REGION_PARAMETER") or ""
        self.missing = [name for name in ("AWS_REGION", "ACTIVE_REGION_PARAMETER") if not environ.get(name)]
        self.poll_seconds = positive_seconds(environ, "FENCE_POLL_SECONDS", 15)
        self.timeout_seconds = positive_seconds(environ, "FENCE_READ_TIMEOUT_SECONDS", 10)
        self.command = (environ.get("AWS_CLI") or "aws").split()
        # The CLI needs no database secret; one attempt per read, the next poll is the retry.
        self.cli_env = {name: value for name, value in environ.items() if not name.startswith("DB_")}
        self.cli_env["AWS_MAX_ATTEMPTS"] = "1"
        self.lock = threading.Lock()
        self.value = None
        self.failures = 0

    def read(self):
        """(value, None) or (None, problem). A third of the bound each for connecting and reading."""
        phase = str(max(1, int(self.timeout_seconds / 3)))
        command = self.command + [
            "ssm", "get-parameter", "--region", self.region, "--name", self.parameter,
            "--query", "Parameter.Value", "--output", "text",
            "--cli-connect-timeout", phase, "--cli-read-timeout", phase,
        ]
        try:
            completed = subprocess.run(command, env=self.cli_env, capture_output=True, text=True,
                                       timeout=self.timeout_seconds, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return None, "no answer within %g s" % self.timeout_seconds
        except OSError as error:
            return None, str(error)
        if completed.returncode != 0:
            return None, completed.stderr.strip()[:500] or "exit status %d" % completed.returncode
        value = completed.stdout.strip()
        if not REGION_NAME.match(value):
            return None, "not a region name: %r" % value[:64]
        return value, None

    def poll_once(self):
        value, problem = self.read()
        with self.lock:
            previous = self.value
            if value is None:
                self.failures += 1
                failures = self.failures
            else:
                self.value, self.failures = value, 0
        if value is None:
            log("active-region-read-failed", problem=problem, keeping=previous, failures=failures)
        elif value != previous:
            log("active-region", value=value, previous=previous, region=self.region,
                fenced=value != self.region)

    def run_forever(self):
        while True:
            time.sleep(self.poll_seconds)
            self.poll_once()

    def active_region(self):
        with self.lock:
            return self.value

    def moved_to(self):
        """The region writes moved to, when it is not this one; None when not fenced or nothing read yet."""
        active = self.active_region()
        return active if active is not None and active != self.region else None


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "dr-app-health"
    protocol_version = "HTTP/1.1"

    def send_json(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def handle_any(self):
        path = self.path.split("?", 1)[0]
        if path == SHALLOW_PATH and self.command in ("GET", "HEAD"):
            self.send_json(200, {"status": "ok"})
        elif path == DEEP_PATH and self.command in ("GET", "HEAD"):
            self.deep_health()
        else:
            self.proxy()

    def deep_health(self):
        writer_check = self.server.writer_check
        # The standby's answer means "ready to take over": the fence concerns only the demoted primary.
        moved_to = None if writer_check.standby else self.server.fence.moved_to()
        if moved_to is not None:
            # Logged when the watch reads the change, not per probe (Route 53 probes several times a second).
            self.send_json(503, {"status": "unhealthy", "reason": "fenced: writes moved to %s" % moved_to})
            return
        status, body, detail = writer_check.result()
        if status != 200:
            log("deep-health-failed", reason=body["reason"], detail=detail)
        self.send_json(status, body)

    def proxy(self):
        upstream_port = self.server.upstream_port
        release_run = os.path.join(self.server.release_dir or "", "run")
        if upstream_port is None or not os.path.exists(release_run):
            self.send_json(404, {"error": "no application release is published"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        # A client's own X-DR-Active-Region is dropped: only this service states the active region.
        headers = {name: value for name, value in self.headers.items()
                   if name.lower() not in HOP_BY_HOP and name.lower() != ACTIVE_REGION_HEADER.lower()}
        active_region = self.server.fence.active_region()
        if active_region is not None:
            headers[ACTIVE_REGION_HEADER] = active_region
        connection = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except OSError as error:
            log("proxy-failed", detail=str(error))
            self.send_json(502, {"error": "application release is not answering"})
            return
        finally:
            connection.close()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = handle_any

    def log_message(self, format, *args):
        # Health probes arrive several times a second; failures are logged where they are decided.
        pass


def main():
    fence = ActiveRegionWatch(os.environ)
    port = int(setting("APP_PORT", "8080"))
    server = http.server.ThreadingHTTPServer((setting("BIND_ADDRESS", "0.0.0.0"), port), Handler)
    server.daemon_threads = True
    server.writer_check = WriterCheck(os.environ)
    upstream = setting("UPSTREAM_PORT")
    server.upstream_port = int(upstream) if upstream else None
    server.release_dir = setting("RELEASE_DIR")
    server.fence = fence
    if fence.missing:
        log("fence-disabled", missing=fence.missing)
    else:
        # First read before serving (requests wait in the listen backlog): a restarted instance of a fenced
        # primary never answers healthy in between.
        fence.poll_once()
        threading.Thread(target=fence.run_forever, name="active-region", daemon=True).start()
    log("listening", port=server.server_address[1], missing=server.writer_check.missing)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
