#!/usr/bin/env python3
"""Static checks of the Docker Compose stack (no Docker engine needed).

usage: check_compose.py [REPO_ROOT]      (default: two levels above this script)

Checks compose/docker-compose.yml, compose/Dockerfile, compose/initdb/ and .dockerignore against
what the project expects: every service present and wired (image, build, command, environment,
healthcheck, depends_on, published ports), every ${VAR} known to compose/.env.example with the
same default, and a multi-stage Debian bookworm Dockerfile that ships every binary. The two
profiles are compared with the native stack's two modes as `scripts/stack topology` describes
them: `single` with `make up`, `cluster` with `make up KAFKA_NODES=3 REPLICAS=2` (Kafka nodes,
replication settings, every service's instances, their static membership ids, whom each calls,
the gateway's upstream lists).
Prints each failure and a closing `compose: N checks passed, M failed`; exits 1 on any failure.
Needs python3 and PyYAML (Debian: python3-yaml).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the machine
    print("compose: PyYAML is missing (Debian: apt-get install python3-yaml)")
    print("compose: 0 checks passed, 1 failed")
    sys.exit(1)

# name -> HTTP port inside its container (SPEC §2)
APP_SERVICES = {
    "gateway": 8080, "auth": 8081, "users": 8082, "products": 8083, "cart": 8084,
    "orders": 8085, "stock": 8086, "shipping": 8087, "notification": 8088,
}
DB_SERVICES = [s for s in APP_SERVICES if s != "gateway"]  # one database each, named after it
UPSTREAM_URLS = {f"{s.upper()}_URL": s for s in DB_SERVICES}
COMMON_ENV = ["KAFKA_BROKERS", "LOG_LEVEL", "ADMIN_EMAIL", "ADMIN_PASSWORD", "JWT_ISSUER",
              "JWT_AUDIENCE", "SMTP_URL", "MESH_KEY", *UPSTREAM_URLS]
BINARIES = [f"shopmesh-{s}" for s in APP_SERVICES] + ["meshctl"]
KAFKA_ENV = ["KAFKA_NODE_ID", "KAFKA_PROCESS_ROLES", "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS",
             "KAFKA_CONTROLLER_QUORUM_VOTERS", "KAFKA_CONTROLLER_LISTENER_NAMES",
             "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
             "CLUSTER_ID"]
DOCKERIGNORE_MUST = ["build", "var", ".git", "node_modules"]


# The native cluster mode the `cluster` profile mirrors (scripts/stack's variables).
CLUSTER_TOPOLOGY = {"KAFKA_NODES": "3", "REPLICAS": "2"}
# Broker settings that decide what a write survives: the native template's values must be the
# profile's (as the apache/kafka image's KAFKA_<SETTING> variables).
REPLICATION_SETTINGS = ["default.replication.factor", "min.insync.replicas", "unclean.leader.election.enable",
                        "offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                        "transaction.state.log.min.isr", "auto.create.topics.enable"]


class Checker:
    def __init__(self) -> None:
        self.passed = 0
        self.failures: list[str] = []

    def check(self, ok: bool, what: str) -> bool:
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
            print(f"FAIL: {what}")
        return ok


# ------------------------------------------------------------------------------ helpers
def env_map(service: dict) -> dict[str, str]:
    """A service's environment as {KEY: str(value)}, from either the map or the list form."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        out = {}
        for item in env:
            key, _, value = str(item).partition("=")
            out[key] = value
        return out
    return {str(k): "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in env.items()}


def depends_map(service: dict) -> dict[str, str]:
    """depends_on as {service: condition}; the list form means service_started."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {str(d): "service_started" for d in deps}
    return {str(k): (v or {}).get("condition", "service_started") for k, v in deps.items()}


def base_name(name: str) -> str:
    """The service a compose service runs: `orders-2` and `gateway-cluster` are orders and gateway."""
    return re.sub(r"-(\d+|cluster)$", "", name)


def profiles_of(service: dict) -> list[str]:
    return [str(p) for p in (service or {}).get("profiles") or []]


def command_argv(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def healthcheck_text(service: dict) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, list):
        return " ".join(str(t) for t in test)
    return str(test or "")


def builds_from(service: dict, compose_dir: Path, dockerfile: Path) -> bool:
    build = service.get("build")
    if build is None:
        return False
    if isinstance(build, str):
        build = {"context": build}
    context = (compose_dir / str(build.get("context", "."))).resolve()
    file = (context / str(build.get("dockerfile", "Dockerfile"))).resolve()
    return file == dockerfile.resolve()


def strip_yaml_comments(text: str) -> str:
    """Drops full-line comments: Compose interpolates values, never comments."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as Compose's --env-file reads them (quotes removed, # lines skipped)."""
    out = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    out, buf = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction are ignored by Docker
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    if buf:
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


# ------------------------------------------------------------------------------ checks
def check_compose(c: Checker, root: Path) -> None:
    compose_dir = root / "compose"
    compose_file = compose_dir / "docker-compose.yml"
    dockerfile = compose_dir / "Dockerfile"
    if not c.check(compose_file.is_file(), f"{compose_file} exists"):
        return
    text = compose_file.read_text(encoding="utf-8")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        c.check(False, f"docker-compose.yml is valid YAML: {exc}")
        return
    services = (doc or {}).get("services") if isinstance(doc, dict) else None
    if not c.check(isinstance(services, dict), "docker-compose.yml has a `services` mapping"):
        return

    for name in [*APP_SERVICES, "postgres", "kafka", "topics"]:
        c.check(name in services, f"service `{name}` is defined")

    # --- postgres
    pg = services.get("postgres") or {}
    c.check(str(pg.get("image", "")).startswith("postgres:15"),
            f"postgres image is postgres:15* (got {pg.get('image')!r})")
    c.check("pg_isready" in healthcheck_text(pg), "postgres healthcheck uses pg_isready")
    pg_env = env_map(pg)
    c.check(bool(pg_env.get("POSTGRES_USER")) and bool(pg_env.get("POSTGRES_PASSWORD")),
            "postgres sets POSTGRES_USER and POSTGRES_PASSWORD")
    init_dirs = []
    for vol in pg.get("volumes") or []:
        spec = vol if isinstance(vol, str) else f"{vol.get('source', '')}:{vol.get('target', '')}"
        parts = spec.split(":")
        if len(parts) >= 2 and parts[1].rstrip("/") == "/docker-entrypoint-initdb.d":
            init_dirs.append((compose_dir / parts[0]).resolve())
    if c.check(bool(init_dirs), "postgres mounts an init folder at /docker-entrypoint-initdb.d"):
        init_text = ""
        for d in init_dirs:
            files = sorted(d.glob("*")) if d.is_dir() else [d] if d.is_file() else []
            init_text += "\n".join(f.read_text(encoding="utf-8") for f in files
                                   if f.is_file() and f.suffix in (".sql", ".sh"))
        c.check(bool(init_text), f"init folder {init_dirs[0]} holds .sql/.sh scripts")
        for db in DB_SERVICES:
            c.check(re.search(rf"['\"\s]{db}['\"\s,;)]", init_text) is not None,
                    f"postgres init scripts create database `{db}`")

    # --- kafka
    kafka = services.get("kafka") or {}
    c.check(re.fullmatch(r"apache/kafka:3\.9\.[0-9][0-9A-Za-z.\-]*", str(kafka.get("image", "")))
            is not None, f"kafka image is apache/kafka:3.9.* (got {kafka.get('image')!r})")
    k_env = env_map(kafka)
    for key in KAFKA_ENV:
        c.check(bool(k_env.get(key)), f"kafka sets {key}")
    roles = {r.strip() for r in k_env.get("KAFKA_PROCESS_ROLES", "").split(",")}
    c.check(roles == {"broker", "controller"}, "kafka runs KRaft combined (broker,controller)")
    c.check(k_env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "").lower() == "false",
            "kafka has KAFKA_AUTO_CREATE_TOPICS_ENABLE=false")
    c.check(k_env.get("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR") == "1",
            "kafka offsets topic replication factor is 1 (single node)")
    c.check("kafka-broker-api-versions.sh" in healthcheck_text(kafka),
            "kafka healthcheck uses kafka-broker-api-versions.sh")

    # --- topics (one-shot meshctl)
    topics = services.get("topics") or {}
    argv = command_argv(topics.get("command"))
    joined = " ".join(argv)
    c.check(bool(argv) and Path(argv[0]).name == "meshctl" and "topics ensure" in joined
            and "contracts/topics.json" in joined,
            f"topics runs `meshctl ... topics ensure contracts/topics.json` (got {joined!r})")
    c.check(builds_from(topics, compose_dir, dockerfile), "topics builds from compose/Dockerfile")
    c.check(depends_map(topics).get("kafka") == "service_healthy",
            "topics depends on kafka: service_healthy")

    # --- application services
    for name, port in APP_SERVICES.items():
        svc = services.get(name)
        if not isinstance(svc, dict):
            continue
        c.check(builds_from(svc, compose_dir, dockerfile), f"{name} builds from compose/Dockerfile")
        argv = command_argv(svc.get("command"))
        c.check(bool(argv) and Path(argv[0]).name == f"shopmesh-{name}",
                f"{name} runs shopmesh-{name} (got {argv!r})")
        hc = svc.get("healthcheck") or {}
        c.check(bool(hc.get("test")) and not hc.get("disable"), f"{name} has a healthcheck")
        c.check(f":{port}/health" in healthcheck_text(svc),
                f"{name} healthcheck probes :{port}/health (got {healthcheck_text(svc)!r})")
        env = env_map(svc)
        c.check(env.get("SERVICE_NAME") == name, f"{name} sets SERVICE_NAME={name}")
        c.check(env.get("HTTP_PORT") == str(port), f"{name} sets HTTP_PORT={port}")
        c.check(env.get("HTTP_HOST") == "0.0.0.0", f"{name} listens on HTTP_HOST=0.0.0.0")
        for key in COMMON_ENV:
            c.check(key in env, f"{name} sets {key}")
        for key, target in UPSTREAM_URLS.items():
            if key in env:
                c.check(env[key] == f"http://{target}:{APP_SERVICES[target]}",
                        f"{name}: {key} is http://{target}:{APP_SERVICES[target]} (got {env[key]!r})")
        if name == "gateway":
            c.check("DATABASE_URL" not in env, "gateway has no DATABASE_URL")
        else:
            url = urlparse(env.get("DATABASE_URL", ""))
            c.check(url.scheme in ("postgresql", "postgres") and url.hostname == "postgres"
                    and url.path == f"/{name}",
                    f"{name} DATABASE_URL is postgresql://...@postgres:.../{name} "
                    f"(got {env.get('DATABASE_URL')!r})")
        deps = depends_map(svc)
        c.check(deps.get("postgres") == "service_healthy", f"{name} waits for postgres healthy")
        c.check(deps.get("kafka") == "service_healthy", f"{name} waits for kafka healthy")
        c.check(deps.get("topics") == "service_completed_successfully",
                f"{name} waits for topics to complete successfully")

    # --- published ports: the gateway, its 8080; Prometheus, its 9090 on the host's loopback only
    for name, svc in services.items():
        ports = (svc or {}).get("ports") or []
        if base_name(name) == "gateway":
            targets = [str(p.get("target")) if isinstance(p, dict) else str(p).split(":")[-1]
                       for p in ports]
            c.check(any(t.split("/")[0] == "8080" for t in targets),
                    f"gateway publishes its port 8080 (got {ports!r})")
        elif base_name(name) == "prometheus":
            c.check(len(ports) == 1 and str(ports[0]).startswith("127.0.0.1:") and str(ports[0]).endswith(":9090"),
                    f"{name} publishes its 9090 on 127.0.0.1 only (got {ports!r})")
        else:
            c.check(not ports, f"{name} publishes no port (got {ports!r})")

    # --- networks: everything on the internal `mesh`; only the gateway also reaches the host
    nets = doc.get("networks") or {}
    c.check((nets.get("mesh") or {}).get("internal") is True, "network mesh is internal (no route out)")
    for name, svc in services.items():
        joined = (svc or {}).get("networks") or []
        joined = list(joined) if isinstance(joined, (list, dict)) else []
        c.check("mesh" in joined, f"{name} joins the internal network mesh (got {joined!r})")
        outside = [n for n in joined if n != "mesh"]
        allowed = {"gateway": ["edge"], "notification": ["egress"], "prometheus": ["edge"]}.get(base_name(name), [])
        c.check(outside == allowed, f"{name} joins no other network than {allowed!r} (got {outside!r})")

    # --- ${VAR} references against compose/.env.example
    check_variables(c, root, strip_yaml_comments(text))

    # --- the two profiles against the native stack's two modes
    check_profiles(c, root, services)


def native_topology(root: Path, variables: dict[str, str]) -> dict | None:
    """What `scripts/stack topology` says the native stack runs with these variables (nothing is started)."""
    with tempfile.TemporaryDirectory() as state:
        env = {k: v for k, v in os.environ.items()
               if not re.fullmatch(r"(KAFKA_.*|REPLICAS|REPLICA_PORT_STEP|[A-Z]+_PORTS?|SHOPMESH_.*)", k)}
        env.update(variables, SHOPMESH_STATE_DIR=state)
        r = subprocess.run([str(root / "scripts" / "stack"), "topology"], env=env, capture_output=True, text=True,
                           timeout=60)
    if r.returncode != 0:
        print(f"scripts/stack topology failed: {r.stderr.strip()[-500:]}")
        return None
    return json.loads(r.stdout)


def native_broker_settings(root: Path, topology: dict) -> dict[str, str]:
    """The native template's settings with this topology's replication values."""
    text = (root / "scripts" / "kafka" / "server.properties.in").read_text(encoding="utf-8")
    text = text.replace("@KAFKA_REPLICATION_FACTOR@", str(topology["replicationFactor"]))
    text = text.replace("@KAFKA_MIN_INSYNC_REPLICAS@", str(topology["minInsyncReplicas"]))
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            out[key.strip()] = value.strip()
    return out


def image_env_name(setting: str) -> str:
    """The apache/kafka image's variable for a broker setting: min.insync.replicas is KAFKA_MIN_INSYNC_REPLICAS."""
    return "KAFKA_" + setting.upper().replace(".", "_")


def check_profiles(c: Checker, root: Path, services: dict) -> None:
    env_example = parse_env_file(root / "compose" / ".env.example")
    c.check(env_example.get("COMPOSE_PROFILES") == "single",
            "compose/.env.example sets COMPOSE_PROFILES=single (a plain `up` runs the default topology)")
    for name, svc in services.items():
        profiles = profiles_of(svc)
        if name == "postgres":
            c.check(not profiles, f"postgres belongs to every profile (got {profiles!r})")
        else:
            c.check(profiles in (["single"], ["cluster"]),
                    f"{name} belongs to exactly one profile, single or cluster (got {profiles!r})")
    for profile, variables in (("single", {"KAFKA_NODES": "1", "REPLICAS": "1"}), ("cluster", CLUSTER_TOPOLOGY)):
        topology = native_topology(root, variables)
        if not c.check(topology is not None, f"scripts/stack topology describes the {profile} mode"):
            continue
        members = {n: s for n, s in services.items() if profile in profiles_of(s)}
        check_profile(c, root, profile, members, topology)


def check_profile(c: Checker, root: Path, profile: str, members: dict, topology: dict) -> None:
    """One profile against the native mode: the same Kafka nodes, replication and service instances."""
    single = profile == "single"
    where = f"profile {profile}"
    # --- Kafka: as many nodes as natively, one quorum, the native replication settings
    nodes = {n: s for n, s in members.items() if str(s.get("image", "")).startswith("apache/kafka:")}
    want_nodes = ["kafka"] if single else [k["name"] for k in topology["kafka"]]
    c.check(sorted(nodes) == sorted(want_nodes),
            f"{where}: Kafka nodes {sorted(nodes)} are the native {want_nodes}")
    hosts = {n: f"{n}:9092" for n in nodes}
    settings = native_broker_settings(root, topology)
    voters = set()
    volumes = []
    for name, svc in nodes.items():
        env = env_map(svc)
        voters.add(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS", ""))
        c.check(env.get("KAFKA_ADVERTISED_LISTENERS") == f"PLAINTEXT://{name}:9092",
                f"{where}: {name} advertises PLAINTEXT://{name}:9092 (got {env.get('KAFKA_ADVERTISED_LISTENERS')!r})")
        volumes += [str(v).split(":")[0] for v in svc.get("volumes") or []]
        if single:
            continue  # the single node's settings are checked above, key by key
        for setting in REPLICATION_SETTINGS:
            got = env.get(image_env_name(setting), "")
            c.check(got.lower() == settings.get(setting, "?").lower(),
                    f"{where}: {name} has {setting}={settings.get(setting)} as a native cluster node "
                    f"({image_env_name(setting)}={got!r})")
    c.check(len(voters) == 1, f"{where}: the Kafka nodes share one quorum (got {sorted(voters)})")
    if voters and not single:
        want = ",".join(f"{k['nodeId']}@{k['name']}:9093" for k in topology["kafka"])
        c.check(voters == {want}, f"{where}: the quorum is every node, {want} (got {sorted(voters)})")
    ids = sorted(env_map(s).get("KAFKA_NODE_ID", "") for s in nodes.values())
    c.check(ids == sorted(str(k["nodeId"]) for k in topology["kafka"]) if not single else ids == ["1"],
            f"{where}: node ids {ids} are the native ones")
    c.check(len(volumes) == len(set(volumes)) == len(nodes), f"{where}: each Kafka node has its own data volume")

    # --- topics: created with the native replication factor and min.insync.replicas
    topics = [n for n, s in members.items() if "topics ensure" in " ".join(command_argv(s.get("command")))]
    if c.check(len(topics) == 1, f"{where}: one topics service (got {topics})") and not single:
        argv = command_argv(members[topics[0]].get("command"))
        for flag, value in (("--replication-factor", topology["replicationFactor"]),
                            ("--min-insync-replicas", topology["minInsyncReplicas"])):
            c.check(flag in argv and argv[argv.index(flag) + 1] == str(value),
                    f"{where}: {topics[0]} passes {flag} {value} (got {argv!r})")
        c.check(argv[argv.index("--brokers") + 1].split(",") == list(hosts.values()) if "--brokers" in argv else False,
                f"{where}: {topics[0]} bootstraps from every node")

    # --- the services' instances: names, membership ids, whom each calls
    native_name = {}  # native port -> instance name
    for instances in topology["services"].values():
        for inst in instances:
            native_name[inst["port"]] = inst["name"]

    def compose_url(url: str) -> str:
        """A native http://127.0.0.1:PORT as the profile names it: http://<instance>:<its container port>."""
        name = native_name.get(urlparse(url).port, "?")
        return f"http://{name}:{APP_SERVICES[base_name(name)]}"

    proms = {n: s for n, s in members.items() if str(s.get("image", "")).startswith("prom/prometheus:")}
    check_prometheus(c, root, where, proms, members, topology)
    apps = {n: s for n, s in members.items() if n not in nodes and n not in topics and n not in proms}
    for service, instances in topology["services"].items():
        have = sorted(n for n in apps if base_name(n) == service)
        want = sorted(i["name"] for i in instances)
        c.check(have == want, f"{where}: {service} runs as {want} as natively (got {have})")
        for inst in instances:
            svc = apps.get(inst["name"])
            if svc is None:
                continue
            env = env_map(svc)
            c.check(env.get("SERVICE_NAME") == service, f"{where}: {inst['name']} sets SERVICE_NAME={service}")
            c.check(env.get("KAFKA_GROUP_INSTANCE_ID", "") == inst["groupInstanceId"],
                    f"{where}: {inst['name']} has KAFKA_GROUP_INSTANCE_ID={inst['groupInstanceId']!r} "
                    f"(got {env.get('KAFKA_GROUP_INSTANCE_ID')!r})")
            c.check(sorted(env.get("KAFKA_BROKERS", "").split(",")) == sorted(hosts.values()),
                    f"{where}: {inst['name']} bootstraps from every Kafka node (got {env.get('KAFKA_BROKERS')!r})")
            if single:
                continue  # the single topology's URLs are checked above
            for key, urls in inst["peers"].items():
                want = ",".join(compose_url(u) for u in urls.split(","))
                c.check(env.get(key) == want, f"{where}: {inst['name']} calls {want} as {key}, as natively "
                                              f"(got {env.get(key)!r})")
    ids = [i for i in (env_map(s).get("KAFKA_GROUP_INSTANCE_ID") for s in apps.values()) if i]
    c.check(len(ids) == len(set(ids)), f"{where}: static membership ids are unique per instance")

    # --- the gateway: one, balancing over every instance
    gateways = [n for n in apps if base_name(n) == "gateway"]
    if c.check(len(gateways) == 1, f"{where}: one gateway (got {gateways})") and not single:
        env = env_map(apps[gateways[0]])
        for key, urls in topology["gateway"]["upstreams"].items():
            want = ",".join(compose_url(u) for u in urls.split(","))
            c.check(env.get(key) == want, f"{where}: the gateway's {key} is {want} (got {env.get(key)!r})")
    if not single:
        for name, svc in apps.items():
            deps = depends_map(svc)
            c.check(all(deps.get(n) == "service_healthy" for n in nodes) and deps.get("postgres") == "service_healthy",
                    f"{where}: {name} waits for postgres and every Kafka node healthy")
            c.check(all(deps.get(t) == "service_completed_successfully" for t in topics),
                    f"{where}: {name} waits for {topics} to complete")


def check_prometheus(c: Checker, root: Path, where: str, proms: dict, members: dict, topology: dict) -> None:
    """The profile's Prometheus: Debian's version, the stack's rules, and as targets every service instance
    of the profile (as the native launcher's configuration has them) and the gateway's admin listener."""
    if not c.check(len(proms) == 1, f"{where}: one prometheus (got {sorted(proms)})"):
        return
    name, svc = next(iter(proms.items()))
    c.check(str(svc.get("image")) == "prom/prometheus:v2.42.0",
            f"{where}: {name} runs Prometheus 2.42, Debian 12's (got {svc.get('image')!r})")
    mounts = {}
    for vol in svc.get("volumes") or []:
        source, _, rest = str(vol).partition(":")
        mounts[rest.split(":")[0]] = source
    c.check(mounts.get("/etc/prometheus/alerts.yml") == "./prometheus/alerts.yml",
            f"{where}: {name} loads compose/prometheus/alerts.yml (got {mounts.get('/etc/prometheus/alerts.yml')!r})")
    config_source = mounts.get("/etc/prometheus/prometheus.yml", "")
    config_file = root / "compose" / config_source
    if not c.check(bool(config_source) and config_file.is_file(), f"{where}: {name} mounts its configuration file"):
        return
    doc = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    c.check("/etc/prometheus/alerts.yml" in (doc.get("rule_files") or []), f"{where}: {config_source} loads the rules")
    have = {}
    for job in doc.get("scrape_configs") or []:
        for group in job.get("static_configs") or []:
            for target in group.get("targets") or []:
                have[target] = (job.get("job_name"), (group.get("labels") or {}).get("app"))
    want = {}
    for service, instances in topology["services"].items():
        for inst in instances:
            want[f"{inst['name']}:{APP_SERVICES[service]}"] = (service, inst["name"])
    gateways = [n for n in members if base_name(n) == "gateway"]
    for gateway in gateways:
        env = env_map(members[gateway])
        c.check(env.get("GATEWAY_ADMIN_HOST") == "0.0.0.0",
                f"{where}: {gateway}'s admin listener (/metrics) listens beyond its container for Prometheus")
        want[f"{gateway}:9901"] = ("gateway", "gateway")
    c.check(have == want, f"{where}: {config_source} scrapes every instance and the gateway as the native stack does "
            f"(missing {sorted(set(want) - set(have))}, unexpected {sorted(set(have) - set(want))}, "
            f"mislabelled {sorted(k for k in set(want) & set(have) if want[k] != have[k])})")


def check_variables(c: Checker, root: Path, text: str) -> None:
    text = text.replace("$$", "")  # `$$` is a literal dollar sign
    names = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    names |= set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", text))
    env_example = root / "compose" / ".env.example"
    if not env_example.is_file():
        print(f"note: {env_example} does not exist yet: skipped the ${{VAR}} checks "
              f"({len(names)} variables referenced)")
        return
    known = parse_env_file(env_example)
    for name in sorted(names):
        c.check(name in known, f"${{{name}}} used in docker-compose.yml is a key of compose/.env.example")
    # ${VAR:-default} / ${VAR-default} with a literal default: same value as the env file,
    # so `docker compose up` with or without --env-file runs the same stack.
    for name, default in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^${}]*)\}", text):
        if name in known:
            c.check(default == known[name],
                    f"default of ${{{name}}} is {known[name]!r} as in compose/.env.example "
                    f"(got {default!r})")


def check_dockerfile(c: Checker, root: Path) -> None:
    dockerfile = root / "compose" / "Dockerfile"
    if not c.check(dockerfile.is_file(), f"{dockerfile} exists"):
        return
    text = dockerfile.read_text(encoding="utf-8")
    instrs = dockerfile_instructions(text)
    stages, stage_names = [], set()
    for word, args in instrs:
        if word != "FROM":
            continue
        tokens = [t for t in args.split() if not t.startswith("--")]
        image = tokens[0] if tokens else ""
        stages.append(image)
        if len(tokens) >= 3 and tokens[1].upper() == "AS":
            stage_names.add(tokens[2].lower())
    c.check(len(stages) >= 2, f"Dockerfile is multi-stage (found {len(stages)} FROM)")
    for image in stages:
        if image.lower() in stage_names:
            continue
        c.check(re.fullmatch(r"(docker\.io/)?(library/)?debian:bookworm(-slim)?(@\S+)?", image)
                is not None, f"Dockerfile stage FROM {image} is Debian bookworm")
    # Only what RUN and COPY do counts (a LABEL or ENV naming a binary ships nothing).
    body = " ".join(args for word, args in instrs if word in ("RUN", "COPY"))
    c.check("cmake --preset release" in body and "cmake --build --preset release" in body,
            "Dockerfile builds the release preset")
    copies_bin_dir = any(word == "COPY" and re.search(r"build/release/bin/?(\s|$)", args)
                         for word, args in instrs)
    for binary in BINARIES:
        c.check(copies_bin_dir or re.search(rf"(?<![\w-]){binary}(?![\w-])", body) is not None,
                f"Dockerfile ships {binary}")
    c.check(any(w == "COPY" and "contracts" in a for w, a in instrs),
            "Dockerfile copies contracts/ into the image")
    # The runtime stage (after the last FROM) must drop root.
    last_from = max(i for i, (w, _) in enumerate(instrs) if w == "FROM") if stages else 0
    users = [a.split(":")[0] for w, a in instrs[last_from:] if w == "USER"]
    c.check(bool(users) and users[-1] not in ("root", "0"),
            f"runtime stage runs as a non-root USER (got {users[-1] if users else None!r})")


def check_dockerignore(c: Checker, root: Path) -> None:
    path = root / ".dockerignore"
    if not c.check(path.is_file(), ".dockerignore exists"):
        return
    patterns = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and not line.startswith("!"):
            patterns.add(line.strip("/").removeprefix("**/"))
    for must in DOCKERIGNORE_MUST:
        c.check(must in patterns, f".dockerignore excludes {must}")


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2]
    c = Checker()
    check_compose(c, root)
    check_dockerfile(c, root)
    check_dockerignore(c, root)
    print(f"compose: {c.passed} checks passed, {len(c.failures)} failed")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
