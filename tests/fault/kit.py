"""Fault-suite kit: the ephemeral stack's processes, the public API, SQL, Kafka, order load, a
recovery monitor and the invariants every scenario ends with.

Everything runs inside `scripts/stack ephemeral -- ...`, whose environment names every address,
database and state folder. Python 3 standard library only; SQL through the psql CLI, Kafka through
kcat and meshctl. Processes are only ever signalled by the pids in the stack's own run folder, or, for
a relay's walsender, by the pid the stack's own PostgreSQL reports (checked to be a walsender child of
that postmaster).
"""
from __future__ import annotations

import calendar
import concurrent.futures
import http.client
import json
import os
import random
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

SERVICES = ["auth", "users", "products", "cart", "orders", "stock", "shipping", "notification"]
APPS = SERVICES + ["gateway"]
# Services with an outbox relay: each streams its database's slot shopmesh_outbox_<database>.
RELAYS = ["auth", "users", "products", "orders", "stock", "shipping", "notification"]
OUTBOX_PREFIX = "shopmesh.outbox"  # the prefix of the outbox's logical decoding messages
LIVE = ("CONFIRMED", "SHIPPED", "DELIVERED")          # orders holding a reservation
SETTLED = ("CONFIRMED", "REJECTED", "CANCELLED", "SHIPPED", "DELIVERED")
POLL = 0.25


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"fault: {name} is not set (run under scripts/stack ephemeral)")
    return value


def now() -> float:
    return time.monotonic()


def log(msg: str) -> None:
    print(f"[fault] {time.strftime('%H:%M:%S')} {msg}", flush=True)


def eventually(check, timeout: float, interval: float = POLL):
    """Polls `check` until it returns something truthy or the deadline passes; returns the last value."""
    deadline = now() + timeout
    while True:
        try:
            value = check()
        except Exception as e:  # a probe that fails while things restart counts as "not yet"
            value = None
            last_error = e
        if value or now() >= deadline:
            return value
        time.sleep(interval)


# ============================================================================ stack processes
class Stack:
    """The ephemeral stack's components: pids from $SHOPMESH_STATE_DIR/run, kill, restart, health."""

    def __init__(self) -> None:
        self.repo = env("SHOPMESH_REPO")
        self.state = env("SHOPMESH_STATE_DIR")
        self.run_dir = os.path.join(self.state, "run")
        self.pgdata = os.path.join(self.state, "pg", "data")
        self.gateway_url = env("GATEWAY_URL")
        self.urls = {s: env(f"{s.upper()}_URL") for s in SERVICES}  # each service's first instance
        # Every instance of each service, named as the stack names them: the service itself when it runs once,
        # orders-1, orders-2, ... with several (cluster mode; <NAME>_URLS lists them in that order).
        self.instances: dict[str, list[tuple[str, str]]] = {}
        for s in SERVICES:
            urls = [u for u in (os.environ.get(f"{s.upper()}_URLS") or self.urls[s]).split(",") if u]
            self.instances[s] = [(s, urls[0])] if len(urls) == 1 else \
                [(f"{s}-{i}", u) for i, u in enumerate(urls, start=1)]
        self.apps = [name for s in SERVICES for name, _ in self.instances[s]] + ["gateway"]
        nodes = int(os.environ.get("KAFKA_NODES") or "1")
        self.kafka_nodes = ["kafka"] if nodes == 1 else [f"kafka-{n}" for n in range(1, nodes + 1)]
        self.cluster = nodes > 1 or any(len(v) > 1 for v in self.instances.values())
        self.db = {s: env(f"DATABASE_URL_{s.upper()}") for s in SERVICES}
        self.dbname = {s: urllib.parse.urlsplit(url).path.lstrip("/") or s for s, url in self.db.items()}
        self.pg_admin = os.environ.get("PG_SUPERUSER_URL") or self.db["orders"]  # cluster-wide views
        self.brokers = env("KAFKA_BROKERS")
        self.meshctl = os.path.join(env("SHOPMESH_BUILD_DIR"), "bin", "meshctl")
        self.log_path = os.path.join(os.environ.get("FAULT_OUT") or os.path.join(self.state, "log"),
                                     "stack-restarts.log")

    # -- pids, always checked against the command line so a reused pid is never signalled
    def _token(self, name: str) -> str:
        if name == "kafka":
            return os.path.join(self.state, "kafka", "server.properties")
        if re.fullmatch(r"kafka-\d+", name):  # a node of a cluster (KAFKA_NODES > 1)
            return os.path.join(self.state, "kafka", f"node-{name[6:]}", "server.properties")
        if name == "postgres":
            return "postgres"
        return f"bin/shopmesh-{re.sub(r'-[0-9]+$', '', name)}"  # orders, or orders-2 of several instances

    @staticmethod
    def _cmdline(pid: int) -> str:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""

    @staticmethod
    def exists(pid: int) -> bool:
        """The process exists, even as a zombie not yet reaped."""
        return os.path.exists(f"/proc/{pid}")

    def pid(self, name: str) -> int | None:
        path = os.path.join(self.pgdata, "postmaster.pid") if name == "postgres" else \
            os.path.join(self.run_dir, f"{name}.pid")
        try:
            with open(path) as f:
                pid = int(f.readline().strip())
        except (OSError, ValueError):
            return None
        return pid if self._token(name) in self._cmdline(pid) else None

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        pid = self.pid(name)
        if pid is None:
            raise RuntimeError(f"{name} is not running")
        os.kill(pid, sig)
        return pid

    def wait_gone(self, pid: int, timeout: float = 30) -> bool:
        """Waits until the process has exited and been reaped (a zombie postmaster still holds its lock file)."""
        return bool(eventually(lambda: not self.exists(pid), timeout, 0.05))

    def up(self) -> float:
        """`scripts/stack up` in this stack's environment: starts only what is down; returns its duration."""
        t = now()
        with open(self.log_path, "a") as out:
            out.write(f"---- {time.strftime('%H:%M:%S')} scripts/stack up\n")
            out.flush()
            rc = subprocess.run([os.path.join(self.repo, "scripts", "stack"), "up"], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
        if rc != 0:
            raise RuntimeError(f"scripts/stack up failed with {rc} (see {self.log_path})")
        return now() - t

    def broker_answers(self, node: str | None = None) -> bool:
        """Kafka answers a metadata request naming a broker (what `scripts/stack up` waits for); with a node of a
        cluster (kafka-2), one naming that node's broker: a node the controller has not (again) registered and
        unfenced is not in the metadata, whichever broker answers (but one killed -9 is, until it is fenced)."""
        try:
            r = subprocess.run(["kcat", "-b", self.brokers, "-L", "-m", "1"], capture_output=True, text=True,
                               timeout=3)
        except subprocess.TimeoutExpired:
            return False
        broker = r"\d+" if node is None or node == "kafka" else node.removeprefix("kafka-")
        return r.returncode == 0 and re.search(rf" broker {broker} at ", r.stdout) is not None

    def node_id(self, node: str) -> int:
        """The KRaft node id of a Kafka node name (kafka: 1, kafka-3: 3)."""
        return 1 if node == "kafka" else int(node.removeprefix("kafka-"))

    def node_name(self, node_id: int) -> str:
        return "kafka" if self.kafka_nodes == ["kafka"] else f"kafka-{node_id}"

    def quorum_state(self, node: str) -> dict:
        """What a KRaft node last wrote about its quorum (leaderId, leaderEpoch, votedId): Kafka persists it in
        its metadata log folder on every election, so reading it needs neither a JVM nor JMX."""
        folder = os.path.join(self.state, "kafka") if node == "kafka" else \
            os.path.join(self.state, "kafka", f"node-{self.node_id(node)}")
        try:
            with open(os.path.join(folder, "data", "__cluster_metadata-0", "quorum-state")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def active_controller(self, nodes: list[str] | None = None) -> tuple[int, int]:
        """(leader id, epoch) of the KRaft quorum as the newest epoch among the given (default: every) nodes'
        quorum-state files; (-1, epoch) while an election is under way."""
        best = (-1, -1)
        for node in nodes or self.kafka_nodes:
            q = self.quorum_state(node)
            if q and (int(q.get("leaderEpoch", -1)), int(q.get("leaderId", -1))) > (best[1], best[0]):
                best = (int(q.get("leaderId", -1)), int(q.get("leaderEpoch", -1)))
        return best

    def metadata(self, topic: str | None = None) -> dict:
        """kcat's JSON metadata (brokers, and every topic's or one topic's partitions with leader and ISR)."""
        r = subprocess.run(["kcat", "-b", self.brokers, "-L", "-J", *(["-t", topic] if topic else [])],
                           capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            raise RuntimeError(f"kcat -L: {r.stderr.strip()[:300]}")
        return json.loads(r.stdout)

    def client_events(self, wall_from: float, wall_to: float) -> list[tuple[float, str, str, str]]:
        """What the services' Kafka clients and relays logged between two wall-clock times, as (time, component,
        kind, detail): the events that decide how long a broker outage lasts for them (a group session timed out, a
        client fenced or recreated, a relay streaming again). From the components' own logs."""
        out = []
        for name in self.apps:
            try:
                with open(os.path.join(self.state, "log", f"{name}.log"), errors="replace") as f:
                    lines = f.readlines()
            except OSError:
                continue
            for line in lines:
                event = client_event(line)
                if event and wall_from <= event[0] <= wall_to:
                    out.append((event[0], name, *event[1:]))
        return sorted(out)

    def pg_ctl(self, *args: str) -> None:
        cmd = ["/usr/lib/postgresql/15/bin/pg_ctl", *args, "-D", self.pgdata]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        with open(self.log_path, "a") as out:
            out.write(f"---- {time.strftime('%H:%M:%S')} {' '.join(cmd)}\n")
            out.flush()
            subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=True)

    # -- the outbox relays' replication slots
    def slots(self) -> tuple[int, dict[str, "Slot"]]:
        """The current WAL position and every outbox slot by service, read at one instant."""
        by_db = {d: s for s, d in self.dbname.items()}
        rows = sql(self.pg_admin, SLOTS_SQL, timeout=5)
        slots = {by_db.get(r[0], r[0]): Slot(r[0], int(r[1]), r[2], int(r[3]), int(r[4]), int(r[5])) for r in rows
                 if r[0]}
        return int(rows[0][-1]), slots

    def slot_wal_bound(self) -> tuple[str, int]:
        """max_slot_wal_keep_size as configured and in bytes (-1: unbounded)."""
        text, size = sql(self.pg_admin, "SELECT current_setting('max_slot_wal_keep_size'),"
                                        " pg_size_bytes(current_setting('max_slot_wal_keep_size'))")[0]
        return text, int(size)

    def walsender_pid(self, service: str) -> int:
        """The walsender streaming `service`'s outbox slot to its relay."""
        rows = sql(self.db[service], """
            SELECT r.pid FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid
            WHERE s.database = current_database() AND s.slot_name LIKE 'shopmesh_outbox_%'
              AND r.application_name = 'outbox-relay'""")
        if len(rows) != 1:
            raise RuntimeError(f"{service}: {len(rows)} walsenders stream its outbox slot (expected 1)")
        return int(rows[0][0])

    def signal_walsender(self, pid: int, sig: int) -> None:
        """Signals a walsender of this stack's PostgreSQL, after checking that it is one."""
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            raise RuntimeError(f"walsender pid {pid} is gone") from None
        if ppid != self.pid("postgres") or "walsender" not in self._cmdline(pid):
            raise RuntimeError(f"pid {pid} is not a walsender of this stack's PostgreSQL")
        os.kill(pid, sig)

    def unconfirmed_outbox_messages(self, service: str) -> int:
        """Outbox messages committed in `service`'s database that its relay has not confirmed: what the slot
        streams again to the next relay. Peeks at the slot, so it must be inactive (no relay reading it)."""
        return int(sql(self.db[service], f"""
            SELECT count(*) FILTER (WHERE get_byte(data, 0) = 77  -- 'M': a logical decoding message
                                      AND substring(data FROM 11 FOR {len(OUTBOX_PREFIX) + 1})
                                          = convert_to('{OUTBOX_PREFIX}', 'UTF8') || '\\x00'::bytea)
            FROM pg_logical_slot_peek_binary_changes(
                (SELECT slot_name FROM pg_replication_slots
                 WHERE database = current_database() AND slot_name LIKE 'shopmesh_outbox_%'),
                NULL, NULL, 'proto_version', '1', 'publication_names', 'shopmesh_outbox', 'messages', 'true')""",
                       timeout=30)[0][0])

    # -- health
    def health(self) -> dict[str, int]:
        """HTTP status of every service instance's /health and of the gateway's /api/health (0: no answer), by
        instance name (orders, or orders-1 and orders-2 in cluster mode)."""
        out = {name: http_get_status(url + "/health") for s in SERVICES for name, url in self.instances[s]}
        out["gateway"] = http_get_status(self.gateway_url + "/api/health")
        return out

    def all_healthy(self) -> bool:
        return all(code == 200 for code in self.health().values())


# The log lines that say where a broker outage's time goes on the clients' side: librdkafka's own (written to
# stderr as "%LEVEL|EPOCH|FACILITY|CLIENT| [thread]: text") and the mesh's JSON lines about recreating a
# client or restarting a relay.
RDKAFKA_LINE = re.compile(r"^%\d\|(\d+\.\d+)\|([A-Z_]+)\|([^|]+)\|\s*(?:\[[^\]]*\]:\s*)?(.*)$")
CLIENT_MESSAGES = {
    "kafka consumer fatal error: recreating it": "consumer recreated after a fatal error",
    "kafka producer fatal error: recreating it": "producer recreated after a fatal error",
    "outbox relay: streaming again after an error": "relay streams again",
    "outbox relay took over the slot": "relay took over the slot",
}


def client_event(line: str) -> tuple[float, str, str] | None:
    """(wall-clock time, kind, detail) of a log line that matters to broker recovery, else None."""
    m = RDKAFKA_LINE.match(line)
    if m:
        epoch, facility, client, text = float(m.group(1)), m.group(2), m.group(3), m.group(4)
        if facility == "SESSTMOUT":
            return epoch, "group session timed out", f"{client.split('#')[0]}, rejoining"
        if facility in ("FATAL", "FENCED"):
            return epoch, f"client {facility.lower()}", f"{client.split('#')[0]}: {text[:160]}"
        return None
    if not line.startswith("{"):
        return None
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    what = CLIENT_MESSAGES.get(doc.get("message", ""))
    if what is None:
        return None
    detail = doc.get("error") or doc.get("group") or doc.get("slot") or ""
    if doc.get("backoffMs") is not None:
        detail += f" (after {doc['backoffMs']} ms)"
    elif doc.get("afterMs") is not None:
        detail += f" (after {doc['afterMs']} ms)"
    try:
        wall = calendar.timegm(time.strptime(doc["ts"][:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + doc["ts"][19:-1])
    except (KeyError, ValueError):
        return None
    return wall, what, detail[:160]


def http_get(url: str, timeout: float = 2) -> tuple[int, bytes]:
    """Status and body of a GET on a fresh connection (0 and b"": no answer)."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request("GET", u.path or "/")
        r = c.getresponse()
        return r.status, r.read()
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        c.close()


def relay_active(url: str) -> int | None:
    """A service instance's outbox_relay_active gauge: 1 when its relay streams the database's slot, 0 when it
    stands by (None: no answer)."""
    code, body = http_get(url + "/metrics")
    if code != 200:
        return None
    for line in body.decode(errors="replace").splitlines():
        if line.startswith("outbox_relay_active "):
            return 1 if float(line.split()[1]) >= 1 else 0
    return None


def http_get_status(url: str, timeout: float = 2) -> int:
    return http_get(url, timeout)[0]


def http_get_json(url: str, timeout: float = 2) -> tuple[int, dict]:
    """Status and JSON object of a GET ({} when the body is not one)."""
    code, body = http_get(url, timeout)
    try:
        doc = json.loads(body) if body else {}
    except ValueError:
        doc = {}
    return code, doc if isinstance(doc, dict) else {}


# ============================================================================ HTTP API
class Api:
    """One keep-alive connection to the gateway (one per thread). Transport errors give status 0."""

    def __init__(self, base: str, timeout: float = 10) -> None:
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body=None, token: str | None = None,
             headers: dict | None = None) -> tuple[int, object, dict]:
        h = {"Accept": "application/json"}
        if token:
            h["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        for attempt in (1, 2):  # a pooled connection the server closed meanwhile: reconnect once
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                raw = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                try:
                    payload = json.loads(raw) if raw else None
                except ValueError:
                    payload = raw.decode(errors="replace")
                return r.status, payload, dict(r.getheaders())
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self.close()
                # A broken pipe: the request could not be written on a connection the server had
                # closed, so it never arrived and may be sent again, whatever its method.
                if attempt == 2 or (method not in ("GET", "HEAD") and not isinstance(e, BrokenPipeError)):
                    return 0, str(e), {}
            except (OSError, http.client.HTTPException) as e:
                self.close()
                return 0, str(e), {}
        return 0, "unreachable", {}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class User:
    email: str
    password: str
    id: str = ""
    token: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def login(self, api: Api) -> None:
        deadline = now() + 60
        while True:
            code, body, hdr = api.call("POST", "/api/auth/login", {"email": self.email, "password": self.password})
            if code == 200:
                self.token = body["access_token"]
                self.id = self.id or body.get("user", {}).get("id", "") or jwt_sub(self.token)
                return
            if now() > deadline:
                raise RuntimeError(f"login {self.email}: {code} {body}")
            time.sleep(float(hdr.get("Retry-After", "0.3") or 0.3))


def jwt_sub(token: str) -> str:
    import base64
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))["sub"]


def register_users(base: str, n: int, prefix: str, threads: int = 2) -> list[User]:
    """Registers and logs in n buyers (a few at a time: Argon2 is deliberately slow)."""
    users = [User(f"{prefix}-{i}-{uuid.uuid4().hex[:8]}@fault.example.com", "fault-buyer-password-1") for i in range(n)]
    todo = list(users)
    lock = threading.Lock()
    errors: list[str] = []

    def worker():
        api = Api(base)
        while True:
            with lock:
                if not todo:
                    return
                u = todo.pop()
            deadline = now() + 60
            while True:
                code, body, hdr = api.call("POST", "/api/auth/register",
                                           {"email": u.email, "password": u.password, "name": "Fault Buyer"})
                if code == 201:
                    u.id = body["id"]
                    break
                if code not in (0, 429, 503) or now() > deadline:
                    errors.append(f"register {u.email}: {code} {body}")
                    return
                time.sleep(float(hdr.get("Retry-After", "0.3") or 0.3))
            u.login(api)

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise RuntimeError("; ".join(errors[:3]))
    return users


class Admin:
    """The seeded admin: products and stock set up through the public API."""

    def __init__(self, base: str) -> None:
        self.api = Api(base)
        # The stack exports the admin's credentials (generated into its state dir when not set).
        self.user = User(os.environ.get("ADMIN_EMAIL", "admin@shopmesh.local"), os.environ["ADMIN_PASSWORD"])
        self.user.login(self.api)

    def call(self, method: str, path: str, body=None):
        code, payload, hdr = self.api.call(method, path, body, self.user.token)
        if code == 401:
            self.user.login(self.api)
            code, payload, hdr = self.api.call(method, path, body, self.user.token)
        return code, payload

    def product(self, label: str, units: int, price: float = 7.5) -> str:
        """A new product with `units` in stock; returns its id once the stock service has its level."""
        sku = f"FAULT-{label}-{uuid.uuid4().hex[:10]}".upper()
        code, body = self.call("POST", "/api/products", {"sku": sku, "name": f"Fault {label} {sku[-6:]}",
                                                           "description": "fault suite", "price": price,
                                                           "category": "fault", "initialStock": units})
        if code != 201:
            raise RuntimeError(f"create product: {code} {body}")
        pid = body["id"]
        if not eventually(lambda: self.call("GET", f"/api/stock/{pid}")[0] == 200, 30):
            raise RuntimeError(f"stock never opened a level for {pid}")
        return pid

    def level(self, product_id: str) -> dict | None:
        code, body = self.call("GET", f"/api/stock/{product_id}")
        return body if code == 200 else None


# ============================================================================ SQL (psql CLI)
SEP = "\x1f"


def sql(url: str, query: str, timeout: float = 15) -> list[list[str]]:
    """Rows of a query on one service database, each a list of text columns (NULL is '')."""
    # The query on stdin: with thousands of ids it is longer than an argument may be.
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", SEP, "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"],
                       input=query, capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "PGCONNECT_TIMEOUT": "3"})
    if r.returncode != 0:
        raise RuntimeError(f"psql: {r.stderr.strip()[:300]}")
    return [line.split(SEP) for line in r.stdout.splitlines() if line != ""]


def uuid_array(ids) -> str:
    ids = [i for i in ids if i]
    return "'{" + ",".join(ids) + "}'::uuid[]"


def text_array(ids) -> str:
    return "'{" + ",".join(ids) + "}'::text[]"


@dataclass(frozen=True)
class Slot:
    """One outbox slot as pg_replication_slots shows it; WAL positions and distances in bytes."""
    database: str
    active_pid: int     # the walsender streaming it to a relay (0: no relay reads it)
    wal_status: str     # reserved, extended, unreserved, lost
    retained: int       # WAL kept for it: current position - restart position
    unconfirmed: int    # current position - what its relay confirmed
    confirmed: int      # the position its relay confirmed (the restart point of the next relay)

    @property
    def active(self) -> bool:
        return self.active_pid > 0


# The current WAL position on every row (and on the one row there is when no slot exists).
SLOTS_SQL = """
    SELECT coalesce(s.database, ''), coalesce(s.active_pid, 0), coalesce(s.wal_status, ''),
           coalesce(pg_wal_lsn_diff(w.lsn, s.restart_lsn), 0)::bigint,
           coalesce(pg_wal_lsn_diff(w.lsn, s.confirmed_flush_lsn), 0)::bigint,
           coalesce(pg_wal_lsn_diff(s.confirmed_flush_lsn, '0/0'), 0)::bigint,
           pg_wal_lsn_diff(w.lsn, '0/0')::bigint
    FROM (SELECT pg_current_wal_lsn() AS lsn) w
    LEFT JOIN pg_replication_slots s ON s.slot_name LIKE 'shopmesh_outbox_%'"""


# ============================================================================ Kafka
class Bus:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        with open(os.path.join(stack.repo, "contracts", "topics.json")) as f:
            self.contract = json.load(f)
        self.topics = [t["name"] for t in self.contract["topics"]]
        self.groups = {c["group"]: c["topics"] for c in self.contract["consumers"]}

    def dlq_topics(self) -> list[tuple[str, str, str]]:
        """(dlq topic, source topic, group) for every consuming group of contracts/topics.json."""
        return [(f"{t}.{g}.dlq", t, g) for g, topics in self.groups.items() for t in topics]

    def groups_of(self, topic: str) -> list[str]:
        return [g for g, topics in self.groups.items() if topic in topics]

    def meshctl(self, *args: str, timeout: float = 15) -> list[dict]:
        r = subprocess.run([self.stack.meshctl, "--timeout-ms", "2000", *args, "--json"], capture_output=True,
                           text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"meshctl {' '.join(args)}: {r.stderr.strip()[:300]}")
        return [json.loads(line) for line in r.stdout.split("\n") if line.strip()]  # see read()

    def end_offsets(self) -> dict[str, int]:
        """Messages ever written to each topic (sum of partition high watermarks)."""
        return {t["topic"]: sum(p["high"] for p in t["partitionOffsets"]) for t in self.meshctl("topics")}

    def partition_offsets(self) -> dict[tuple[str, int], tuple[int, int]]:
        """(low, high) watermarks of every partition of every topic."""
        return {(t["topic"], p["partition"]): (p.get("low", 0), p["high"])
                for t in self.meshctl("topics") for p in t["partitionOffsets"]}

    def read(self, topic: str, start: dict[int, int] | None = None, timeout: float = 20) -> list[dict]:
        """Every message of a topic from the given per-partition offsets (default: the beginning)."""
        out = []
        parts = [(p, o) for p, o in (start or {0: 0}).items()]
        for partition, offset in parts:
            r = subprocess.run(["kcat", "-b", self.stack.brokers, "-C", "-t", topic, "-p", str(partition),
                                "-o", str(offset), "-e", "-J", "-q"], capture_output=True, timeout=timeout)
            if r.returncode != 0:
                raise RuntimeError(f"kcat {topic}: {r.stderr.decode(errors='replace').strip()[:300]}")
            # Poison payloads are not UTF-8. One JSON document a line, split at "\n" only: splitlines() also
            # splits at U+0085 and U+2028, which a random payload can hold raw inside a JSON string.
            for line in r.stdout.decode(errors="replace").split("\n"):
                if not line:
                    continue
                m = json.loads(line)
                h = m.get("headers") or []
                m["headers"] = dict(zip(h[0::2], h[1::2]))
                out.append(m)
        return out

    def produce(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        with tempfile.NamedTemporaryFile(prefix="poison-", delete=False) as f:
            f.write(value)
            path = f.name
        try:
            cmd = ["kcat", "-b", self.stack.brokers, "-P", "-t", topic, "-k", key]
            for k, v in headers.items():
                cmd += ["-H", f"{k}={v}"]
            subprocess.run(cmd + [path], check=True, capture_output=True, timeout=30)
        finally:
            os.unlink(path)

    def dlq_snapshot(self) -> dict[str, int]:
        """End offset of each DLQ topic (single partition), to read what a scenario added."""
        ends = self.end_offsets()
        return {d: ends.get(d, 0) for d, _, _ in self.dlq_topics()}

    def dlq_since(self, snapshot: dict[str, int]) -> dict[str, list[dict]]:
        topics = [d for d, _, _ in self.dlq_topics()]
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(topics)) as pool:
            read = pool.map(lambda d: self.read(d, {0: snapshot.get(d, 0)}), topics)
            return dict(zip(topics, read))


class TopicLog:
    """Everything published on some topics, read incrementally: each refresh() reads, from every partition,
    only what was added since the previous one, and keeps what `keep` makes of each message (None: nothing),
    so reading whole topics once per check stays cheap over a long run."""

    def __init__(self, bus: Bus, topics, keep) -> None:
        self.bus, self.keep = bus, keep
        self.records: dict[str, list] = {t: [] for t in topics}
        self.next: dict[tuple[str, int], int] = {}  # (topic, partition) -> next offset to read
        self.lock = threading.Lock()

    def refresh(self) -> dict[str, list]:
        with self.lock:
            todo = []
            for (topic, partition), (low, high) in self.bus.partition_offsets().items():
                start = max(self.next.get((topic, partition), 0), low)
                if topic in self.records and high > start:
                    todo.append((topic, partition, start))
            with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(8, len(todo)))) as pool:
                read = pool.map(lambda j: self.bus.read(j[0], {j[1]: j[2]}), todo)
                for (topic, partition, _), messages in zip(todo, read):
                    for m in messages:
                        self.next[(topic, partition)] = int(m["offset"]) + 1
                        record = self.keep(m)
                        if record is not None:
                            self.records[topic].append(record)
            return self.records


# ============================================================================ order load
ADDRESS = {"line1": "1 Fault Street", "line2": None, "city": "Crashville", "postalCode": "40400", "country": "US"}


@dataclass
class Intent:
    """One order a buyer wants placed (one Idempotency-Key), with every attempt's answer."""
    key: str
    user: User
    items: list[dict]
    started: float
    codes: list[int] = field(default_factory=list)
    order_id: str = ""
    accepted: bool = False
    cancel: bool = False
    cancel_code: int | None = None
    done: float = 0.0


class Load:
    """Buyers placing orders through the gateway at a steady rate, each retrying a failed attempt with the
    same Idempotency-Key (a careful client), a fraction cancelling right after acceptance."""

    def __init__(self, base: str, users: list[User], basket, rate_per_buyer: float = 2.5,
                 cancel_ratio: float = 0.08, retry_for: float = 25) -> None:
        self.base, self.users, self.basket = base, users, basket
        self.interval = 1.0 / rate_per_buyer
        self.cancel_ratio, self.retry_for = cancel_ratio, retry_for
        self.intents: list[Intent] = []
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.threads: list[threading.Thread] = []
        self.started = self.stopped = 0.0

    def start(self) -> "Load":
        self.started = now()
        for i, u in enumerate(self.users):
            t = threading.Thread(target=self._buyer, args=(u, random.Random(i * 7919 + int(time.time()))),
                                 daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self) -> list[Intent]:
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=self.retry_for + 30)
        self.stopped = now()
        return self.intents

    def _buyer(self, user: User, rng: random.Random) -> None:
        api = Api(self.base)
        next_at = now() + rng.random() * self.interval
        while not self.stop_flag.is_set():
            delay = next_at - now()
            if delay > 0 and self.stop_flag.wait(delay):
                break
            next_at = max(next_at + self.interval, now())  # steady: never bursts to catch up
            intent = Intent(str(uuid.uuid4()), user, self.basket(rng), now(), cancel=rng.random() < self.cancel_ratio)
            with self.lock:
                self.intents.append(intent)
            place(api, intent, self.retry_for, self.stop_flag)
            if intent.accepted and intent.cancel:
                code, _ = user_call(api, user, "POST", f"/api/orders/{intent.order_id}/cancel")
                intent.cancel_code = code
        api.close()


def user_call(api: Api, user: User, method: str, path: str, body=None, headers=None):
    code, payload, hdr = api.call(method, path, body, user.token, headers)
    if code == 401:  # access token expired during a long run
        try:
            with user.lock:
                user.login(api)
        except RuntimeError as e:  # auth down for longer than login() waits: the caller sees the 401
            return code, str(e)
        code, payload, hdr = api.call(method, path, body, user.token, headers)
    # A client told to slow down waits and asks again, as the buyers do: checking thousands of orders
    # through the API may run into the per-user rate limit.
    deadline = now() + 30
    while code == 429 and now() < deadline:
        time.sleep(float(hdr.get("Retry-After", "1") or 1))
        code, payload, hdr = api.call(method, path, body, user.token, headers)
    return code, payload


def place(api: Api, intent: Intent, retry_for: float, stop: threading.Event | None = None) -> None:
    """POST /api/orders with the intent's Idempotency-Key until a definite answer or `retry_for` passes."""
    backoff = 0.2
    while True:
        code, body = user_call(api, intent.user, "POST", "/api/orders",
                               {"items": intent.items, "shippingAddress": ADDRESS},
                               {"Idempotency-Key": intent.key})
        intent.codes.append(code)
        if code in (200, 201):
            intent.accepted, intent.order_id = True, body["id"]
            break
        retryable = code == 0 or code == 429 or code >= 500
        if not retryable or now() - intent.started > retry_for:
            break
        time.sleep(backoff)
        backoff = min(backoff * 2, 2.0)
    intent.done = now()


def basket_for(products: dict[str, str]):
    """A random basket over a plentiful product A and a scarce product B (one product when only A)."""
    a, b = products["A"], products.get("B")

    def basket(rng: random.Random) -> list[dict]:
        r = rng.random()
        if b is None or r < 0.5:
            return [{"productId": a, "quantity": rng.randint(1, 3)}]
        if r < 0.75:
            return [{"productId": b, "quantity": rng.randint(1, 2)}]
        return [{"productId": a, "quantity": 1}, {"productId": b, "quantity": 1}]
    return basket


# ============================================================================ recovery monitor
class Sampler:
    """A thread calling tick(t) every `interval` seconds (t: when the tick began) from start() to stop()."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def tick(self, t: float) -> None:
        raise NotImplementedError

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_flag.set()
        self.thread.join()

    def _run(self) -> None:
        while not self.stop_flag.is_set():
            t = now()
            self.tick(t)
            self.stop_flag.wait(max(0.0, self.interval - (now() - t)))


class Monitor(Sampler):
    """Samples, every half second, whether the mesh is healthy and has no backlog:
    every /health is 200; every relay streams its outbox slot and has confirmed (`meshctl outbox status`)
    everything the WAL held LAG_S ago, so no event committed more than LAG_S ago waits for Kafka; no order
    has been PENDING more than LAG_S; and every consumer group of contracts/topics.json has committed at
    least what its topics held LAG_S ago. Recovery time = from the fault to the first sample, after the
    fault was cleared, that starts a run of good samples lasting LAG_S."""

    LAG_S = 3.0
    # A relay confirms what it published at most every 100 ms, and an idle one the position of the last
    # keepalive: one WAL page of slack, so that an idle slot a few bytes short of the current position is
    # not a backlog (under load, LAG_S of WAL is megabytes).
    SLOT_SLACK_BYTES = 8192

    def __init__(self, stack: Stack, bus: Bus) -> None:
        self.stack, self.bus = stack, bus
        self.samples: list[tuple[float, bool, str]] = []
        self.highs: list[tuple[float, dict]] = []
        self.wal: list[tuple[float, int]] = []  # (time, current WAL position)
        self.took: list[tuple[float, float]] = []  # (time, how long the sample took): the monitor's resolution
        super().__init__(0.5)

    def tick(self, t: float) -> None:
        try:
            ok, why = self.sample(t)
        except Exception as e:
            ok, why = False, f"probe: {e}"[:200]
        self.samples.append((t, ok, why))
        self.took.append((t, now() - t))

    def _then(self, history: list, t: float):
        """The newest value of a history sampled at least LAG_S before t (None: not that old yet)."""
        then = None
        for ts, value in history:
            if ts <= t - self.LAG_S:
                then = value
        return then

    def sample(self, t: float) -> tuple[bool, str]:
        bad = [n for n, c in self.stack.health().items() if c != 200]
        if bad:
            return False, "unhealthy: " + ",".join(bad)
        topics = self.bus.meshctl("topics")
        highs = {(x["topic"], p["partition"]): p["high"] for x in topics for p in x["partitionOffsets"]}
        self.highs.append((t, highs))
        # The WAL position read before meshctl reads the slots: a slot is judged a little strictly, never leniently.
        lsn, age = sql(self.stack.db["orders"], "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,"
                                                " coalesce(max(extract(epoch from now() - created_at)), 0)"
                                                " FROM orders WHERE status = 'PENDING'", timeout=5)[0]
        self.wal.append((t, int(lsn)))
        then = self._then(self.highs, t)
        if then is None:
            return False, "warming up"
        for x in topics:
            for g in x["groups"]:
                if g["group"] not in self.bus.groups or x["topic"] not in self.bus.groups[g["group"]]:
                    continue
                for p in g["partitions"]:
                    if (p["committed"] or 0) < then.get((x["topic"], p["partition"]), 0):
                        return False, f"lag: {g['group']} on {x['topic']}[{p['partition']}]"
        behind = self.outbox_backlog(int(lsn), self._then(self.wal, t))
        if behind:
            return False, behind
        if float(age) > self.LAG_S:
            return False, f"orders PENDING for {float(age):.1f}s"
        return True, "ok"

    def outbox_backlog(self, lsn: int, lsn_then: int | None) -> str:
        """Why some relay has events waiting (empty: none): its slot is missing, lost or not streamed, or
        it has not confirmed the WAL position of LAG_S ago (`lsn_then`; `lsn` was read just before)."""
        rows = {o.get("database"): o for o in self.bus.meshctl("outbox", "status")}
        for service in RELAYS:
            o = rows.get(self.stack.dbname[service])
            if o is None or o.get("skipped"):
                return f"outbox {service}: not inspected ({o.get('skipped') if o else 'no row'})"
            if "unconfirmedBytes" not in o or "active" not in o:
                raise RuntimeError(f"meshctl outbox status --json has no active/unconfirmedBytes for {service}: {o}")
            if o.get("exists") is False or o.get("walStatus") in ("lost", "unreserved"):
                return f"outbox {service}: slot {'missing' if o.get('exists') is False else o.get('walStatus')}"
            if not o["active"]:
                return f"outbox {service}: no relay streams the slot"
            if lsn_then is None:
                return "warming up"
            if o["unconfirmedBytes"] > lsn - lsn_then + self.SLOT_SLACK_BYTES:
                behind = o["unconfirmedBytes"] / (1024 * 1024)
                return f"outbox {service}: relay behind, {behind:.1f} MB of WAL unconfirmed"
        return ""

    def recovery(self, t_fault: float, t_cleared: float) -> float | None:
        """Seconds from the fault to the start of the first good streak (after the fault was cleared) that
        lasted LAG_S: one good sample is not enough, a backlog can take that long to show."""
        start = None
        for t, ok, _ in list(self.samples):
            if t < t_cleared or not ok:
                start = None
                continue
            if start is None:
                start = t
            if t - start >= self.LAG_S:
                return start - t_fault
        return None

    def reasons_between(self, t_from: float, t_to: float) -> list[str]:
        """Why samples in [t_from, t_to] were not good, each distinct kind once, in order of appearance."""
        out: dict[str, str] = {}
        for t, ok, why in self.samples:
            if t_from <= t <= t_to and not ok:
                out.setdefault(re.sub(r"\[\d+\]|\d+(\.\d+)? ?(s|MB)\b", "", why), why)
        return list(out.values())[:8]

    def spans_between(self, t_from: float, t_to: float) -> list[tuple[str, float, float]]:
        """Each kind of bad sample in [t_from, t_to): (an example reason, first and last time seen), in order of
        first appearance; the last one to clear is what the recovery waited on longest."""
        out: dict[str, list] = {}
        for t, ok, why in list(self.samples):
            if t_from <= t < t_to and not ok:
                kind = re.sub(r"\[\d+\]|\d+(\.\d+)? ?(s|MB)\b", "", why)
                if kind in out:
                    out[kind][2] = t
                else:
                    out[kind] = [why, t, t]
        return [tuple(v) for v in out.values()]

    def longest_sample(self, t_from: float, t_to: float) -> float:
        """The longest a sample started in [t_from, t_to] took: a recovery is known no finer than this."""
        return max((d for t, d in list(self.took) if t_from <= t <= t_to), default=0.0)

    def last_reason(self) -> str:
        return self.samples[-1][2] if self.samples else "no sample"
