#!/usr/bin/env python3
"""schemathesis against the gateway, driven by contracts/openapi.yaml (tests/e2e/run-schemathesis).

Three runs over every operation of the contract, each with the checks not_a_server_error,
status_code_conformance, content_type_conformance, response_schema_conformance,
response_headers_conformance, unsupported_method and allow_header_conformance, and the phases
examples, coverage (which also sends every method a path does not declare, TRACE with the
operation's body and QUERY among them: 405 with Allow) and fuzzing:
  - user:    a fresh USER account's token;
  - admin:   a fresh account promoted to ADMIN by the stack's admin (whose own token only does
             that: the stack keeps its admin);
  - revoked: a token whose session was logged out, public routes included (fewer examples).
Logout and password change get throwaway sessions of their own (schemathesis.toml), so the run's
token stays valid throughout. Passes when no run found a failure.

Environment: GATEWAY_URL, ADMIN_EMAIL, ADMIN_PASSWORD, SCHEMATHESIS_EXAMPLES (default 15),
SCHEMATHESIS_SEED (default a fixed one, so that a failure reproduces; `random` for a new one each run),
SCHEMATHESIS_REPORTS (JUnit reports, one per run, and schemathesis's caches), SCHEMATHESIS_CONFIG (another
settings file than schemathesis.toml here). Arguments are passed on to every run.
"""
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SPEC = os.path.join(REPO, "contracts", "openapi.yaml")
CONFIG = os.environ.get("SCHEMATHESIS_CONFIG") or os.path.join(HERE, "schemathesis.toml")
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance,unsupported_method,allow_header_conformance")
PHASES = "examples,coverage,fuzzing"
# make test explores the same cases every time (a red run is reproducible); SCHEMATHESIS_SEED=random explores anew.
DEFAULT_SEED = "20261204"


def say(message):
    print(f"[schemathesis] {message}", flush=True)


def die(message):
    print(f"[schemathesis] ERROR: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


class Gateway:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def call(self, method, path, body=None, token=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=15) as answer:
                status, text, headers = answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as e:
            status, text, headers = e.code, e.read(), e.headers
        doc = json.loads(text) if text and "json" in headers.get("Content-Type", "") else None
        return status, doc, headers

    def expect(self, status, method, path, body=None, token=None):
        # A 429 (rate limit, or an account's password checks locked after failures) is waited out.
        deadline = time.monotonic() + 90
        while True:
            got, doc, headers = self.call(method, path, body, token)
            if got == 429 and time.monotonic() < deadline:
                time.sleep(min(float(headers.get("Retry-After") or 1), 10))
                continue
            if got != status:
                die(f"{method} {path}: expected {status}, got {got}: {doc}")
            return doc

    def register(self, label):
        email = f"fuzz-{label}-{secrets.token_hex(4)}@example.com"
        password = secrets.token_urlsafe(18)
        user = self.expect(201, "POST", "/api/auth/register",
                           {"email": email, "password": password, "name": f"Fuzz {label}"})
        return user["id"], email, password

    def login(self, email, password):
        return self.expect(200, "POST", "/api/auth/login", {"email": email, "password": password})["access_token"]


def junit_counts(path):
    """(operations tested, operations failed, distinct failures) from schemathesis's JUnit report."""
    if not os.path.exists(path):
        return None
    operations, failed, failures = 0, 0, 0
    for case in ET.parse(path).getroot().iter("testcase"):
        operations += 1
        bad = case.findall("failure") + case.findall("error")
        if bad:
            failed += 1
            failures += len(bad)
    return operations, failed, failures


def run(name, env, examples, seed, reports, extra):
    report = os.path.join(reports, f"{name}.xml")
    if os.path.exists(report):
        os.remove(report)
    cmd = [os.path.join(os.path.dirname(sys.executable), "schemathesis"), "--config-file", CONFIG, "run", SPEC,
           "--checks", CHECKS, "--phases", PHASES, "--max-examples", str(examples), "--no-color",
           "--suppress-health-check", "all", "--report", "junit", "--report-junit-path", report]
    if seed != "random":
        cmd += ["--seed", seed]
    cmd += extra
    say(f"run '{name}': {examples} examples per operation and phase, seed {seed}")
    started = time.monotonic()
    # In the reports folder: schemathesis and hypothesis keep their caches in the working directory.
    rc = subprocess.run(cmd, env=env, cwd=reports, check=False).returncode
    counted = junit_counts(report)
    say(f"run '{name}': exit code {rc}, " + (f"{counted[0]} operations, {counted[2]} failure(s)" if counted else
                                             "no report") + f", {time.monotonic() - started:.0f} s")
    return rc, counted


def main():
    base = os.environ.get("GATEWAY_URL") or die("GATEWAY_URL must be set")
    admin_email = os.environ.get("ADMIN_EMAIL") or die("ADMIN_EMAIL must be set")
    admin_password = os.environ.get("ADMIN_PASSWORD") or die("ADMIN_PASSWORD must be set")
    examples = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))
    seed = os.environ.get("SCHEMATHESIS_SEED") or DEFAULT_SEED
    reports = os.environ.get("SCHEMATHESIS_REPORTS") or os.path.join(REPO, "build", "dev", "schemathesis")
    reports = os.path.abspath(reports)
    os.makedirs(reports, exist_ok=True)
    gw = Gateway(base)

    stack_admin = gw.login(admin_email, admin_password)
    user_id, user_email, user_password = gw.register("user")
    admin_id, fuzz_admin_email, fuzz_admin_password = gw.register("admin")
    gw.expect(200, "PATCH", f"/api/auth/users/{admin_id}/role", {"role": "ADMIN"}, stack_admin)
    _, scratch_email, scratch_password = gw.register("password")
    revoked = gw.login(user_email, user_password)
    gw.expect(204, "POST", "/api/auth/logout", None, revoked)

    common = {**os.environ, "GATEWAY_URL": base.rstrip("/"), "FUZZ_PASSWORD_TOKEN": ""}
    runs = [
        ("user", {"FUZZ_TOKEN": gw.login(user_email, user_password),
                  "FUZZ_LOGOUT_TOKEN": gw.login(user_email, user_password)}, examples),
        ("admin", {"FUZZ_TOKEN": gw.login(fuzz_admin_email, fuzz_admin_password),
                   "FUZZ_LOGOUT_TOKEN": gw.login(fuzz_admin_email, fuzz_admin_password)}, examples),
        ("revoked", {"FUZZ_TOKEN": revoked, "FUZZ_LOGOUT_TOKEN": revoked}, max(1, examples // 3)),
    ]
    results = []
    for name, tokens, n in runs:
        # The password change's session is taken just before its run: the previous run may have changed it.
        password_token = revoked if name == "revoked" else gw.login(scratch_email, scratch_password)
        env = {**common, **tokens, "FUZZ_PASSWORD_TOKEN": password_token}
        results.append((name, *run(name, env, n, seed, reports, sys.argv[1:])))
    total = sum(counted[2] for _, _, counted in results if counted)
    broken = [name for name, rc, counted in results if rc != 0 or counted is None]
    say("failures by run: " + ", ".join(f"{name} {counted[2] if counted else '?'}" for name, _, counted in results)
        + f"; reports in {reports}")
    operations = sum(counted[0] for _, _, counted in results if counted)
    failed = sum(counted[1] for _, _, counted in results if counted)
    print(f"schemathesis: {operations - failed} passed, {failed} failed", flush=True)  # operations x runs
    if broken:
        die(f"{total} failure(s); runs not passed: {', '.join(broken)}")


if __name__ == "__main__":
    main()
