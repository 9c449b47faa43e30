#!/usr/bin/env python3
"""Prometheus' configuration as scripts/stack writes it, for both topologies (no server started).

usage: check_config.py [REPO_ROOT]

For `make up` and `make up KAFKA_NODES=3 REPLICAS=2` (and a metrics token), writes the
configuration with `scripts/stack prometheus-config` into a temp state dir, has
`promtool check config` accept it (with the rule files it loads), and compares its scrape targets
with `scripts/stack topology`: one job per service, one target per instance on its port labelled
with the launcher's name, the gateway on its admin port (with the token when one is set), nothing
else. Prints each failure and a closing `prometheus config: N passed, M failed`.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

CASES = [
    ("default", {"KAFKA_NODES": "1", "REPLICAS": "1"}),
    ("cluster", {"KAFKA_NODES": "3", "REPLICAS": "2"}),
    ("token", {"KAFKA_NODES": "1", "REPLICAS": "1", "METRICS_TOKEN": "s3cret-token", "GATEWAY_ADMIN_PORT": "9911",
               "GATEWAY_P99_ALERT_SECONDS": "0.25"}),
]


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[3]
    stack = str(root / "scripts" / "stack")
    passed, failures = 0, []

    def check(ok: bool, what: str) -> bool:
        nonlocal passed
        if ok:
            passed += 1
        else:
            failures.append(what)
            print(f"FAIL: {what}")
        return ok

    for case, variables in CASES:
        with tempfile.TemporaryDirectory() as state:
            env = {k: v for k, v in os.environ.items()
                   if not re.fullmatch(r"(KAFKA_.*|REPLICAS|REPLICA_PORT_STEP|[A-Z]+_PORTS?|SHOPMESH_.*|OBSERVE|"
                                       r"METRICS_TOKEN|GATEWAY_.*|PROMETHEUS_.*)", k)}
            env.update(variables, SHOPMESH_STATE_DIR=state)
            r = subprocess.run([stack, "prometheus-config"], env=env, capture_output=True, text=True, timeout=60)
            if not check(r.returncode == 0, f"{case}: scripts/stack prometheus-config ({r.stderr.strip()[-300:]})"):
                continue
            config = Path(r.stdout.strip())
            c = subprocess.run(["promtool", "check", "config", str(config)], capture_output=True, text=True, timeout=60)
            check(c.returncode == 0, f"{case}: promtool check config accepts it ({(c.stdout + c.stderr)[-500:]})")
            topology = json.loads(subprocess.run([stack, "topology"], env=env, capture_output=True, text=True,
                                                 check=True, timeout=60).stdout)
            doc = yaml.safe_load(config.read_text(encoding="utf-8"))
            jobs = {j["job_name"]: j for j in doc["scrape_configs"]}
            want_jobs = [*topology["services"], "gateway"]
            check(sorted(jobs) == sorted(want_jobs), f"{case}: one job per service and the gateway ({sorted(jobs)})")
            for service, instances in topology["services"].items():
                job = jobs.get(service, {})
                have = [(t, g.get("labels", {}).get("app"))
                        for g in job.get("static_configs", []) for t in g["targets"]]
                want = [(f"127.0.0.1:{i['port']}", i["name"]) for i in instances]
                check(have == want, f"{case}: {service} scrapes {want} (got {have})")
                check(job.get("metrics_path", "/metrics") == "/metrics" and "authorization" not in job,
                      f"{case}: {service} is scraped at /metrics without credentials")
            gateway = jobs.get("gateway", {})
            have = [t for g in gateway.get("static_configs", []) for t in g["targets"]]
            admin = topology["gateway"]["adminPort"]
            check(str(admin) == variables.get("GATEWAY_ADMIN_PORT", str(admin)), f"{case}: topology's admin port")
            check(have == [f"127.0.0.1:{admin}"], f"{case}: the gateway is scraped on its admin port {admin} ({have})")
            token = variables.get("METRICS_TOKEN")
            creds = (gateway.get("authorization") or {}).get("credentials_file")
            if token:
                path = config.parent / creds if creds else None
                check(path is not None and path.read_text() == token and (path.stat().st_mode & 0o077) == 0,
                      f"{case}: the gateway's scrape sends METRICS_TOKEN from a file only its owner reads")
                check(token not in config.read_text(), f"{case}: the token is not written into prometheus.yml")
            else:
                check(creds is None, f"{case}: no credentials for the gateway without METRICS_TOKEN")
            rules = [str(p) for p in doc.get("rule_files", [])]
            check(str(root / "compose" / "prometheus" / "alerts.yml") in rules,
                  f"{case}: the alert rules of compose/prometheus/alerts.yml are loaded ({rules})")
            bound = yaml.safe_load((config.parent / "settings.rules.yml").read_text())
            expr = bound["groups"][0]["rules"][0]["expr"]
            want_bound = variables.get("GATEWAY_P99_ALERT_SECONDS", "0.5")
            check(expr == f"vector({want_bound})", f"{case}: the p99 bound is GATEWAY_P99_ALERT_SECONDS ({expr})")

    # A bad setting stops the launcher, naming it.
    env = dict(os.environ, OBSERVE="yes")
    r = subprocess.run([stack, "prometheus-config"], env=env, capture_output=True, text=True, timeout=60)
    check(r.returncode != 0 and "OBSERVE='yes' must be 0 or 1" in r.stderr,
          f"OBSERVE=yes is refused ({r.stderr.strip()})")

    print(f"prometheus config: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
