#!/usr/bin/env python3
"""Static checks of the Docker Compose stack (no Docker engine needed).

usage: check_compose.py [REPO_ROOT]      (default: two levels above this script)

Checks compose/docker-compose.yml, compose/Dockerfile, compose/initdb/ and .dockerignore against
what the project expects: every service present and wired (image, build, command, environment,
healthcheck, depends_on, published ports), every ${VAR} known to compose/.env.example with the
same default, and a multi-stage Debian bookworm Dockerfile that ships every binary.
Prints each failure and a closing `compose: N checks passed, M failed`; exits 1 on any failure.
Needs python3 and PyYAML (Debian: python3-yaml).
"""
from __future__ import annotations

import re
import shlex
import sys
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

    # --- published ports: the gateway only, its 8080
    for name, svc in services.items():
        ports = (svc or {}).get("ports") or []
        if name == "gateway":
            targets = [str(p.get("target")) if isinstance(p, dict) else str(p).split(":")[-1]
                       for p in ports]
            c.check(any(t.split("/")[0] == "8080" for t in targets),
                    f"gateway publishes its port 8080 (got {ports!r})")
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
        allowed = {"gateway": ["edge"], "notification": ["egress"]}.get(name, [])
        c.check(outside == allowed, f"{name} joins no other network than {allowed!r} (got {outside!r})")

    # --- ${VAR} references against compose/.env.example
    check_variables(c, root, strip_yaml_comments(text))


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
