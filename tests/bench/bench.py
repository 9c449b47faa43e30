#!/usr/bin/env python3
"""make bench, inside `scripts/stack ephemeral`: every benchmark side by side in one run, on one
machine, written to --out as results.json, results.md and chart.png. Reported, never asserted.

0. Idle: first, the CPU each component of the stack uses a second while nothing is asked of it, over
   IDLE_SECONDS (30), after waiting for Kafka to settle.
1. Gateway: the same route (GET /api/products/{id}) behind each proxy, each proxy pinned to the
   same CPU (BENCH_PROXY_CPUS) while the backend, PostgreSQL and the load generator share the
   others (BENCH_LOAD_CPUS). wrk measures saturation (64 connections); oha, with latency
   correction (wrk2's method: latency counted from when a request was due, not when it was sent),
   measures latency at a fixed rate of half of nginx's peak. Two backends: an in-memory one (the
   proxy is what is measured) and the real products service on PostgreSQL; plus a cache-hit run.
   Every system of a route is sent the same request bytes: the same `Authorization: Bearer` token
   to nginx, straight to the backend and every gateway variant (the public route's too); the cache-hit
   runs send no token to either system, as the gateway serves its cache to anonymous requests only.
   Each system is measured BENCH_ROUNDS times (default 2), a fresh process each time, the rounds
   alternating in order (list order, then reversed): reported as the mean and the min–max. The first
   round waits (at most 3 min) for the stack's Kafka to settle: a fresh JVM's compiler threads share
   the load CPU.
2. Orders: pgbench's single-row INSERT tps at C clients on the stack's PostgreSQL (the limit),
   then C clients placing orders through the gateway for 30 s (accepted orders/s), then the
   sustained rate (the highest fixed rate stock, shipping and notification keep pace with, found by
   bisection), then half the sustained rate: order commit -> all three consumers done. Then the floor
   (floor.py): the nine transactions an order cannot do without, run by pgbench on the same server.
3. Outbox: commit -> consumed latency at a fixed rate, and relay throughput.
"""
import argparse
import datetime
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import floor
from cost import StackMeter, children, component, cpu_ms, postmaster_pid, run_measured, run_pids

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "support"))
import mesh_credential  # noqa: E402  (the stack's services answer only requests signed with MESH_KEY)

ENV = os.environ
REPO = pathlib.Path(ENV["SHOPMESH_REPO"])
BIN = pathlib.Path(ENV["SHOPMESH_BUILD_DIR"]) / "bin"
STATE = pathlib.Path(ENV["SHOPMESH_STATE_DIR"])
SECONDS = int(ENV.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(ENV.get("BENCH_CONNECTIONS", "64"))
ROUNDS = int(ENV.get("BENCH_ROUNDS", "2"))  # gateway: each system this many times, alternating order
CLIENTS = int(ENV.get("BENCH_CLIENTS", "8"))
ORDER_SECONDS = int(ENV.get("BENCH_ORDER_SECONDS", "30"))
PROBES = int(ENV.get("BENCH_PROBES", "4"))  # bisection steps for the sustained order rate
PROBE_SECONDS = int(ENV.get("BENCH_PROBE_SECONDS", "15"))
SPREAD = int(ENV.get("BENCH_SPREAD_PRODUCTS", "50"))  # the spread catalog's product count
SINGLE_RATE = int(ENV.get("BENCH_SINGLE_RATE", "10"))  # one client, one order at a time
FLOOR_ORDERS = int(ENV.get("BENCH_FLOOR_ORDERS", "2000"))  # orders per floor measurement (0: none)
PROXY_CPUS = ENV.get("BENCH_PROXY_CPUS", "1")
LOAD_CPUS = ENV.get("BENCH_LOAD_CPUS", "0")
ALL_CPUS = f"0-{os.cpu_count() - 1}"
OHA = ENV.get("OHA", "oha")


def log(*args):
    print("[bench]", *args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


def login(email, password):
    status, body = call("POST", ENV["GATEWAY_URL"] + "/api/auth/login", {"email": email, "password": password})
    if status != 200:
        raise SystemExit(f"login of {email} failed: HTTP {status}")
    return body["access_token"]


# ------------------------------------------------------------------ processes and CPU pinning
def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children(p)
    return out


def pin(pid, cpus):
    for p in descendants(pid):
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(p)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)


def stack_pids():
    pids = list(run_pids(STATE).values())
    pm = postmaster_pid(STATE)
    return pids + [pm] if pm else pids


def kafka_cpu_ms():
    """CPU time the stack's Kafka brokers have used so far, in ms: what they take of the load CPU
    during a round moves its figures (the JVM's compiler threads run for minutes on a fresh stack)."""
    return sum(cpu_ms(pid) or 0.0 for name, pid in run_pids(STATE).items() if component(name) == "kafka (JVM)")


KAFKA_SETTLED_MS_PER_S = 60.0


def settle_kafka(window_s=5.0, max_wait_s=180.0):
    """Waits until the stack's Kafka uses under KAFKA_SETTLED_MS_PER_S of CPU over a window, at most
    `max_wait_s`. A fresh JVM compiles and collects for minutes (an idle stack's Kafka: about 150 ms/s
    in its first 40 s, 40-55 ms/s after two minutes), on the CPU the load generator and the backend
    share; perf sched put its C2 compiler thread in the fixed-rate windows where oha fell behind,
    whichever proxy was being measured. Returns {"waitedS", "kafkaMsPerS"}: the wait and the last
    window's rate."""
    started = time.monotonic()
    while True:
        before = kafka_cpu_ms()
        time.sleep(window_s)
        rate = (kafka_cpu_ms() - before) / window_s
        waited = time.monotonic() - started
        if rate < KAFKA_SETTLED_MS_PER_S or waited >= max_wait_s:
            return {"waitedS": round(waited, 1), "kafkaMsPerS": round(rate)}


def pin_stack(cpus):
    for pid in stack_pids():
        pin(pid, cpus)


def rss_mib(pid):
    """Peak resident memory (VmHWM) of a process tree, in MiB."""
    total = 0
    for p in descendants(pid):
        try:
            m = re.search(r"VmHWM:\s+(\d+) kB", pathlib.Path(f"/proc/{p}/status").read_text())
            total += int(m.group(1)) if m else 0
        except OSError:
            pass
    return round(total / 1024, 1)


class Proc:
    """A process started for the bench (pinned from its first instruction), stopped on exit."""

    def __init__(self, name, argv, cpus, env=None, cwd=None):
        self.name = name
        self.log_path = OUT / "logs" / f"{name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_file = open(self.log_path, "wb")
        self.p = subprocess.Popen(["taskset", "-c", cpus, *argv], env={**ENV, **(env or {})}, cwd=cwd,
                                  stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, url, headers=None, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.p.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.p.returncode}; see {self.log_path}")
            req = urllib.request.Request(url, headers=headers or {})
            try:
                with urllib.request.urlopen(req, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise SystemExit(f"{self.name} not ready at {url} after {timeout}s; see {self.log_path}")

    def stop(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log_file.close()


# ------------------------------------------------------------------ load generators
def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, headers, seconds):
    argv = ["taskset", "-c", LOAD_CPUS, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    text = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    pct = {m.group(1): to_ms(m.group(2), m.group(3))
           for m in re.finditer(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)}
    total = int(re.search(r"(\d+) requests in", text).group(1))
    bad = sum(int(m.group(1)) for m in re.finditer(r"Non-2xx or 3xx responses: (\d+)", text))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)), "requests": total,
            "non2xx": bad, "socketErrors": sum(int(x) for x in errors.groups()) if errors else 0,
            "p50Ms": pct.get("50"), "p90Ms": pct.get("90"), "p99Ms": pct.get("99")}


def oha(url, headers, rate, seconds):
    # One runtime thread, as wrk's -t1. oha otherwise starts one per CPU of the machine, and two on the
    # one load CPU cost 18.6 µs of CPU per request at 21,000/s against 15.7: CPU the backend and the
    # stack then lack, which lengthened the tail of whichever proxy was being measured.
    argv = ["taskset", "-c", LOAD_CPUS, OHA, "--no-tui", "--output-format", "json", "--latency-correction",
            "--worker-threads", "1", "-z", f"{seconds}s", "-c", str(CONNECTIONS), "-q", str(rate)]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    data = json.loads(subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout)
    lat = {k: v * 1000.0 for k, v in data["latencyPercentiles"].items() if v is not None}
    codes = data.get("statusCodeDistribution", {})
    ok = sum(n for c, n in codes.items() if c.startswith("2"))
    return {"rate": rate, "rps": data["summary"]["requestsPerSec"], "ok": ok,
            # Requests still in flight when the duration ends are "aborted due to deadline": not failures.
            "failed": sum(codes.values()) - ok + sum(n for e, n in data.get("errorDistribution", {}).items()
                                                     if "deadline" not in e),
            "p50Ms": lat.get("p50"), "p90Ms": lat.get("p90"), "p99Ms": lat.get("p99"),
            "p999Ms": lat.get("p99.9"), "maxMs": data["summary"]["slowest"] * 1000.0}


# ------------------------------------------------------------------ the systems under test
def routes_file(name, auth, cache):
    path = OUT / "config" / f"routes-{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"routes": [
        {"prefix": "/api/products", "methods": ["GET"], "service": "products", "auth": auth, "cache": cache}]}))
    return str(path)


def start_gateway(name, upstream, auth="user", cache=False, token_cache=True, binary=None):
    port = free_port()
    env = {"HTTP_PORT": str(port), "GATEWAY_ADMIN_PORT": "0", "HTTP_IO_THREADS": "1", "PRODUCTS_URL": upstream,
           "GATEWAY_ROUTES_FILE": routes_file(name, auth, cache), "RATE_LIMIT_DEFAULT": "off",
           "RATE_LIMIT_USER": "off", "GATEWAY_CONSUMER_GROUP": f"bench-{name}-{port}"}
    if not token_cache:
        env["GATEWAY_TOKEN_CACHE_SIZE"] = "0"
    return Proc(name, [binary or str(BIN / "shopmesh-gateway")], PROXY_CPUS, env), f"http://127.0.0.1:{port}"


NGINX_CONF = """worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log {dir}/access.log;
  client_body_temp_path {dir}/tmp/body;
  proxy_temp_path {dir}/tmp/proxy;
  fastcgi_temp_path {dir}/tmp/fastcgi;
  uwsgi_temp_path {dir}/tmp/uwsgi;
  scgi_temp_path {dir}/tmp/scgi;
  proxy_cache_path {dir}/cache keys_zone=products:10m;
  upstream backend {{ server {upstream}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      {cache}
    }}
  }}
}}
"""


def start_nginx(name, upstream, cache=False):
    port = free_port()
    d = OUT / "config" / name
    (d / "tmp").mkdir(parents=True, exist_ok=True)
    caching = "proxy_cache products; proxy_cache_valid 200 60s;" if cache else ""
    (d / "nginx.conf").write_text(NGINX_CONF.format(dir=d, port=port, upstream=upstream.split("//", 1)[1],
                                                    cache=caching))
    argv = ["nginx", "-p", str(d), "-c", str(d / "nginx.conf"), "-g", "daemon off; user root;"]
    return Proc(name, argv, PROXY_CPUS), f"http://127.0.0.1:{port}"


def start_express(name, upstream):
    port = free_port()
    env = {"PORT": str(port), "UPSTREAM": upstream, "AUTH": "on",
           "JWKS_URL": ENV["AUTH_URL"] + "/api/auth/jwks.json", "NODE_ENV": "production"}
    return (Proc(name, ["node", str(REPO / "tests/bench/express/gateway.js")], PROXY_CPUS, env),
            f"http://127.0.0.1:{port}")


SYSTEMS = [
    # (key, label, starter(upstream) -> (Proc|None, url))
    ("nginx", "nginx (keep-alive reverse proxy, no auth)", lambda u: start_nginx("nginx", u)),
    ("direct", "straight to the backend (the limit)", lambda u: (None, u)),
    ("gateway", "Shopmesh gateway, RS256", lambda u: start_gateway("gateway", u)),
    ("gateway-verify-all", "Shopmesh gateway, RS256, token cache off",
     lambda u: start_gateway("gateway-verify-all", u, token_cache=False)),
    ("gateway-noauth", "Shopmesh gateway, public route (the token is still verified)",
     lambda u: start_gateway("gateway-noauth", u, auth="public")),
    ("express", "Express gateway, RS256 (jsonwebtoken)", lambda u: start_express("express", u)),
]
# A change to the gateway, side by side with the build it started from: BENCH_GATEWAY_BASELINE names
# that build's shopmesh-gateway binary, measured in the same rounds as the current one.
if ENV.get("BENCH_GATEWAY_BASELINE"):
    SYSTEMS.insert(3, ("gateway-baseline", "Shopmesh gateway, RS256, baseline build (BENCH_GATEWAY_BASELINE)",
                       lambda u: start_gateway("gateway-baseline", u, binary=ENV["BENCH_GATEWAY_BASELINE"])))
# BENCH_SYSTEMS (comma-separated keys, e.g. "gateway-baseline,gateway"): only these, for a quick A/B.
if ENV.get("BENCH_SYSTEMS"):
    SYSTEMS = [s for s in SYSTEMS if s[0] in ENV["BENCH_SYSTEMS"].split(",")]
CACHE_SYSTEMS = [
    ("nginx-cache", "nginx, proxy_cache hit", lambda u: start_nginx("nginx-cache", u, cache=True)),
    ("gateway-cache", "Shopmesh gateway, response cache hit",
     lambda u: start_gateway("gateway-cache", u, auth="public", cache=True)),
]


ACCESS_DURATION = re.compile(rb'"message":"access".*?"durationMs":([0-9.]+)')


def own_latency(log_path, offset):
    """The gateway's own view of a fixed-rate run: the durations its access log records (first
    bytes to answer written, upstream included) from `offset` on, as percentiles in ms. Next to
    oha's, it tells a tail in the gateway's handling from time spent before it reads a request or
    after it has written the answer. None when nothing was logged."""
    time.sleep(0.5)  # the log is flushed every 100 ms
    with open(log_path, "rb") as f:
        f.seek(offset)
        durations = sorted(float(m.group(1)) for m in ACCESS_DURATION.finditer(f.read()))
    if not durations:
        return None
    at = lambda q: durations[min(len(durations) - 1, int(q * len(durations)))]
    return {"p50Ms": at(0.50), "p99Ms": at(0.99), "maxMs": durations[-1], "requests": len(durations)}


def wait_revocations_loaded(base, timeout=30):
    """A gateway answers at once, but it is only ready once its Kafka consumer has joined its group and
    read the revocations of the last token lifetime (/api/health's "revocations": "ok"): until then it
    asks auth about each session, and the broker is busy with the group's join, both on the load CPU.
    A round measures the gateway as it runs, after that."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=5) as r:
                body = r.read()
        except urllib.error.HTTPError as e:  # 503 while degraded: the in-memory backend is no service
            body = e.read()
        except OSError:
            body = b"{}"
        try:
            if json.loads(body).get("revocations") in ("ok", "off"):
                return
        except ValueError:
            pass
        time.sleep(0.1)
    log(f"  the gateway at {base} had not loaded its revocations after {timeout} s")


def summarize(runs):
    """The rounds of one measurement as one dict: counts summed, the worst max, the rest averaged."""
    out = {}
    for k in runs[0]:
        v = [r[k] for r in runs if r[k] is not None]
        out[k] = (sum(v) if k in ("requests", "non2xx", "socketErrors", "ok", "failed") else
                  max(v) if k in ("rate", "maxMs") else sum(v) / len(v) if v else None)
    return out


def measure(route, upstream, path, systems, base_headers):
    """Every system ROUNDS times, a fresh process each time, in list order then reversed, so that
    a machine slowing down or speeding up part-way favours no system. nginx (first in the list)
    sets the fixed rate in its first round: one rate for the whole route."""
    log(f"gateway bench, {route} route: {upstream}{path}")
    rounds, rate = {key: [] for key, _, _ in systems}, None
    for n in range(ROUNDS):
        for key, _, start in systems if n % 2 == 0 else systems[::-1]:
            # What reaches the products service unsigned (straight, through nginx or Express) carries
            # a mesh credential, as from another service; the Shopmesh gateway signs its own.
            headers = mesh_credential.signed("GET", path, base_headers, lifetime=300)
            proc, base = start(upstream)
            try:
                if proc:
                    proc.wait_ready(base + path, headers)
                if key.startswith("gateway"):
                    wait_revocations_loaded(base)
                wrk(base + path, headers, 2 if n == 0 else 1)  # warm-up: connections, pools, caches
                # A process that joins Kafka (the gateway: a consumer group, its revocation replay)
                # or has just left it busies the broker for a few seconds, on the load CPU: steady
                # state is what a round measures.
                settled = settle_kafka(window_s=1.0, max_wait_s=8.0)
                kafka_from = kafka_cpu_ms()
                sat = wrk(base + path, headers, SECONDS)
                sat["kafkaCpuMs"] = round(kafka_cpu_ms() - kafka_from)
                sat["kafkaSettleS"] = settled["waitedS"]
                if rate is None:
                    rate = max(1, int(sat["rps"] / 2))
                own_from = proc.log_path.stat().st_size if key.startswith("gateway") else None
                fixed = oha(base + path, headers, rate, SECONDS)
                if own_from is not None:
                    own = own_latency(proc.log_path, own_from)
                    fixed["ownP99Ms"] = own["p99Ms"] if own else None
                rounds[key].append({"saturation": sat, "fixedRate": fixed})
                if proc:
                    rounds[key][-1]["peakRssMiB"] = rss_mib(proc.p.pid)
                own_note = (f" (its own log: p99 {fixed['ownP99Ms']:.2f} ms)"
                            if fixed.get("ownP99Ms") is not None else "")
                log(f"  {n + 1}/{ROUNDS} {key:20s} {sat['rps']:9.0f} req/s (non-2xx {sat['non2xx']}; Kafka's CPU "
                    f"{sat['kafkaCpuMs']} ms, settled in {settled['waitedS']} s) | at {rate}/s "
                    f"p50 {fixed['p50Ms']:.2f} ms p99 {fixed['p99Ms']:.2f} ms{own_note}")
            finally:
                if proc:
                    proc.stop()
    results = {}
    for key, label, _ in systems:
        rs = rounds[key]
        rps, p99 = [r["saturation"]["rps"] for r in rs], [r["fixedRate"]["p99Ms"] for r in rs]
        results[key] = {"label": label, "saturation": summarize([r["saturation"] for r in rs]),
                        "fixedRate": summarize([r["fixedRate"] for r in rs]),
                        "spread": {"saturationRps": [min(rps), max(rps)], "fixedRateP99Ms": [min(p99), max(p99)]},
                        "rounds": rs}
        if "peakRssMiB" in rs[0]:
            results[key]["peakRssMiB"] = max(r["peakRssMiB"] for r in rs)
    return {"route": route, "path": path, "fixedRate": rate, "rounds": ROUNDS, "systems": results}


def gateway_bench(token, admin_token):
    status, product = call("POST", ENV["GATEWAY_URL"] + "/api/products",
                           {"sku": f"BENCH-{int(time.time() * 1000)}", "name": "Bench mug",
                            "description": "A mug the benchmark reads over and over", "price": 12.5,
                            "category": "bench", "initialStock": 100}, admin_token)
    if status != 201:
        raise SystemExit(f"creating the bench product failed: HTTP {status}")
    path = f"/api/products/{product['id']}"
    with urllib.request.urlopen(urllib.request.Request(ENV["PRODUCTS_URL"] + path,
                                                       headers=mesh_credential.signed("GET", path))) as r:
        body = r.read()
    (OUT / "config").mkdir(parents=True, exist_ok=True)
    (OUT / "config" / "product.json").write_bytes(body)

    backend_port = free_port()
    backend = Proc("bench-backend", [str(BIN / "bench_backend")], LOAD_CPUS,
                   {"HTTP_PORT": str(backend_port), "BENCH_BODY_FILE": str(OUT / "config" / "product.json")})
    pin_stack(LOAD_CPUS)
    try:
        settled = settle_kafka()
        log(f"Kafka settled: {settled['kafkaMsPerS']} ms of CPU a second after {settled['waitedS']:.0f} s")
        memory_url = f"http://127.0.0.1:{backend_port}"
        backend.wait_ready(memory_url + path, mesh_credential.signed("GET", path))
        bearer = {"Authorization": f"Bearer {token}"}
        runs = [measure("in-memory backend", memory_url, path, SYSTEMS, bearer),
                measure("PostgreSQL-backed products service", ENV["PRODUCTS_URL"], path, SYSTEMS, bearer),
                # The gateway answers only anonymous requests from its cache (a token holder's may be personal).
                measure("cache hit (PostgreSQL-backed)", ENV["PRODUCTS_URL"], path, CACHE_SYSTEMS, {})]
    finally:
        backend.stop()
        pin_stack(ALL_CPUS)
    return {"bodyBytes": len(body), "tokenBytes": len(token), "connections": CONNECTIONS, "seconds": SECONDS,
            "rounds": ROUNDS, "proxyCpus": PROXY_CPUS, "loadCpus": LOAD_CPUS, "kafkaSettled": settled, "runs": runs}


# ------------------------------------------------------------------ idle
IDLE_SECONDS = 30


def idle_bench():
    """What the stack costs while nothing is asked of it: CPU ms a second by component, over IDLE_SECONDS
    once Kafka has settled (its compiler and collector run for minutes after a start)."""
    settled = settle_kafka()
    m = meter()
    before, t0 = m.cpu(), time.monotonic()
    time.sleep(IDLE_SECONDS)
    after, seconds = m.cpu(), time.monotonic() - t0
    by = {k: round((after.get(k, 0.0) - before.get(k, 0.0)) / seconds, 2) for k in after}
    by = dict(sorted(((k, v) for k, v in by.items() if v > 0), key=lambda kv: -kv[1]))
    log(f"idle stack: {sum(by.values()):.1f} ms of CPU a second over {seconds:.0f} s")
    return {"seconds": round(seconds, 1), "kafkaSettled": settled, "cpuMsPerS": by,
            "stackCpuMsPerS": round(sum(by.values()), 1)}


def idle_markdown(idle):
    by = idle["cpuMsPerS"]
    kafka = sum(v for k, v in by.items() if k.startswith("kafka"))
    postgres = sum(v for k, v in by.items() if k.startswith("postgres"))
    services = {k: v for k, v in by.items() if not k.startswith(("kafka", "postgres"))}
    rows = [f"| {k} | {v:.1f} |" for k, v in services.items()]
    return ["", "## Idle stack", "",
            f"CPU used while nothing is asked of the stack, over {idle['seconds']:.0f} s after the bench waited "
            f"{idle['kafkaSettled']['waitedS']:.0f} s for Kafka to settle: **{idle['stackCpuMsPerS']:.1f} ms a second** "
            f"in all, Kafka's JVM {kafka:.1f} (its compiler runs for minutes after a start), PostgreSQL {postgres:.1f}.",
            "",
            "| process | CPU ms/s |", "|---|---|", *rows, ""]


# ------------------------------------------------------------------ orders
def meter():
    services = ["auth", "users", "products", "cart", "orders", "stock", "shipping", "notification"]
    urls = lambda s: ENV.get(f"{s.upper()}_URLS") or ENV[f"{s.upper()}_URL"]  # every instance of the service
    return StackMeter(STATE, ENV["PG_SUPERUSER_URL"],
                      {s: urls(s).split(",") for s in services if f"{s.upper()}_URL" in ENV})


def pgbench(clients, stack):
    url = ENV["PG_SUPERUSER_URL"]
    base, _, _ = url.rpartition("/")
    subprocess.run(["psql", url, "-qc", "DROP DATABASE IF EXISTS bench", "-c", "CREATE DATABASE bench"], check=True,
                   capture_output=True)
    db = f"{base}/bench"
    subprocess.run(["psql", db, "-qc", "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, v int NOT NULL, "
                    "at timestamptz NOT NULL DEFAULT now())"], check=True, capture_output=True)
    script = OUT / "config" / "insert.sql"
    script.write_text("INSERT INTO bench_insert (v) VALUES (1);\n")
    argv = ["pgbench", "-n", "-c", str(clients), "-j", str(min(clients, os.cpu_count())),
            "-T", str(ORDER_SECONDS // 2), "-f", str(script), db]
    tx = lambda text: int(re.search(r"number of transactions actually processed: (\d+)", text).group(1))
    rc, text, spent = run_measured(stack, argv, tx)
    if rc != 0:
        raise SystemExit(f"pgbench failed with {rc}")
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", text).group(1))
    lat = re.search(r"latency average = ([\d.]+) ms", text)
    return {"clients": clients, "seconds": ORDER_SECONDS // 2, "tps": tps,
            "latencyAvgMs": float(lat.group(1)) if lat else None, "cost": spent}


def saga(rate, clients, seconds=None, products=1, stack=None):
    argv = [str(BIN / "bench_saga"), "--gateway", "--clients", str(clients), "--rate", str(rate),
            "--seconds", str(seconds or ORDER_SECONDS), "--products", str(products)]
    if stack is None:
        r = subprocess.run(argv, capture_output=True, text=True, check=False)
        sys.stderr.write(r.stderr)
        return json.loads(r.stdout)
    settled = lambda text: json.loads(text).get("all three", {}).get("n", 0)
    _, text, spent = run_measured(stack, argv, settled)
    return {**json.loads(text), "cost": spent}


def profile_during(seconds, name):
    """perf record, system-wide, in the background: where the CPU goes while orders are placed."""
    data = OUT / f"perf-{name}.data"
    return subprocess.Popen(["perf", "record", "-q", "-F", "499", "-a", "-g", "-o", str(data), "--",
                             "sleep", str(seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), data


def profile_report(perf, data, name):
    perf.wait()
    with open(OUT / f"profile-{name}.txt", "w") as f:
        for sort in ("comm", "comm,dso", "comm,sym"):
            f.write(f"==== perf report --sort {sort}\n")
            f.flush()
            subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "-g", "none",
                            "--percent-limit", "0.5", "--sort", sort], stdout=f, stderr=subprocess.DEVNULL,
                           check=False)
    log(f"  profile: {OUT / f'profile-{name}.txt'}")


def orders_run(shape, products, stack, pg):
    """One catalog shape: closed loop, the sustained rate (bisection), half of it, one at a time."""
    log(f"orders, {shape} ({products} product(s)): {CLIENTS} clients, closed loop, {ORDER_SECONDS} s")
    perf = ENV.get("BENCH_PROFILE") and profile_during(max(5, ORDER_SECONDS - 5), f"orders-{shape}")
    full = saga(0, CLIENTS, products=products, stack=stack)
    if perf:
        profile_report(*perf, f"orders-{shape}")
    # Sustained: the highest fixed rate the whole pipeline keeps pace with. The closed loop only
    # waits for each order's commit, so it accepts orders faster than stock, shipping and
    # notification settle them, and its backlog drains after the placing stops (with the machine to
    # itself): neither rate is one the system can keep up. Bisection between 0 and the closed
    # loop's settling rate, PROBE_SECONDS per probe; a probe keeps pace when every order is settled
    # within 2 s of the last one placed.
    lo, hi, probes = 0, int(min(full["achievedRate"], full["pipelineRate"] or full["achievedRate"])), []
    for _ in range(PROBES):
        rate = max(1, (lo + hi) // 2) if probes else max(1, hi // 2)
        run = saga(rate, CLIENTS, PROBE_SECONDS, products)
        kept = run.get("all three", {}).get("n") == run["orders"] and run["drainS"] <= 2.0
        probes.append({"rate": rate, "keptPace": kept, "drainS": run["drainS"]})
        log(f"  {rate}/s for {PROBE_SECONDS} s: {'kept pace' if kept else 'fell behind'} (drained {run['drainS']:.1f} s after)")
        lo, hi = (rate, hi) if kept else (lo, rate)
    sustained = lo
    half_rate = max(1, int(sustained / 2))
    log(f"orders, {shape}: sustained {sustained}/s; {half_rate}/s (half of it), {ORDER_SECONDS} s")
    half = saga(half_rate, CLIENTS, products=products, stack=stack)
    log(f"orders, {shape}: one at a time (1 client, {SINGLE_RATE}/s), {ORDER_SECONDS} s")
    single = saga(SINGLE_RATE, 1, products=products, stack=stack)
    for name, run in (("closed loop", full), ("half rate", half), ("one at a time", single)):
        c = run["cost"]["perUnit"]
        log(f"  {name}: {c['stackCpuMs']:.2f} CPU-ms per order = "
            f"{c['stackCpuMs'] / pg['cost']['perUnit']['stackCpuMs']:.1f} pgbench transactions")
    return {"products": products, "full": full, "probes": probes, "sustainedRate": sustained, "half": half,
            "single": single}


def orders_bench():
    stack = meter()
    # pgbench runs before and after the orders: its commits are bound by the disk's fsyncs, which
    # drift on a shared host; the ratios use the mean of the two, and both are reported.
    def baseline(when):
        log(f"pgbench ({when} the orders): single-row INSERT, {CLIENTS} clients")
        run = pgbench(CLIENTS, stack)
        log(f"  {run['tps']:.0f} tps, {run['cost']['perUnit']['stackCpuMs']:.3f} CPU-ms per transaction")
        return run
    first = baseline("before")
    shapes = {"hot": orders_run("hot product", 1, stack, first),
              "spread": orders_run("spread catalog", SPREAD, stack, first)}
    second = baseline("after")
    floors = {}
    if FLOOR_ORDERS:
        tx_ms = (first["cost"]["perUnit"]["stackCpuMs"] + second["cost"]["perUnit"]["stackCpuMs"]) / 2
        for shape, products in (("hot", 1), ("spread", SPREAD)):
            log(f"floor, {shape} ({products} product(s)): the nine transactions of {FLOOR_ORDERS} orders per plan")
            floors[shape] = floor.measure(stack, ENV["PG_SUPERUSER_URL"], REPO, products, tx_ms, OUT / "config",
                                          orders=FLOOR_ORDERS)
            for f in floors[shape]:
                log(f"  {f['mode']} round trips, batches of {f['batch']}: {f['floorCpuMs']:.2f} CPU-ms per order"
                    f" = {f['pgbenchTransactions']} pgbench transactions ({f['ordersPerSecond']} orders/s)")
    runs = [first, second]
    pg = json.loads(json.dumps(first))
    pg["tps"] = sum(r["tps"] for r in runs) / len(runs)
    pg["cost"]["perUnit"]["stackCpuMs"] = sum(r["cost"]["perUnit"]["stackCpuMs"] for r in runs) / len(runs)
    pg["runs"] = [{"tps": r["tps"], "stackCpuMs": r["cost"]["perUnit"]["stackCpuMs"]} for r in runs]
    return {"pgbench": pg, "shapes": shapes, "floor": floors, "durability": durability()}


def durability():
    out = subprocess.run(["psql", ENV["PG_SUPERUSER_URL"], "-XAtqc",
                          "SELECT name || '=' || setting FROM pg_settings WHERE name IN"
                          " ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level') ORDER BY 1"],
                         capture_output=True, text=True, check=True).stdout.split()
    return dict(kv.split("=", 1) for kv in out)


# ------------------------------------------------------------------ report
def fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def markdown(results):
    """The sections of whatever ran (make bench runs them all)."""
    m = results["machine"]
    lines = [f"# Shopmesh benchmarks", "",
             f"{results['date']} · {m['cpu']} · {m['cores']} cores · {m['kernel']} · release build", ""]
    if "idle" in results:
        lines += idle_markdown(results["idle"])
    if "gateway" in results:
        lines += gateway_markdown(results["gateway"])
    if "orders" in results:
        lines += orders_markdown(results["orders"])
    if "ordersCluster" in results:
        lines += cluster_markdown(results.get("orders"), results["ordersCluster"])
    if "outbox" in results:
        lines += outbox_markdown(results["outbox"])
    return "\n".join(lines)


def cluster_markdown(single, cluster):
    """The orders of the default topology beside the same runs in cluster mode (KAFKA_NODES=3 REPLICAS=2):
    what the replicated Kafka and the second instance of every service cost per order, by component."""
    topo = cluster.get("topology", {})
    lines = [f"## Orders in cluster mode ({topo.get('kafkaNodes', 3)} Kafka nodes, replication factor 3, "
             f"min.insync.replicas 2; {topo.get('replicas', 2)} instances of every service)", "",
             "The same order runs as above, on a stack started with `KAFKA_NODES=3 REPLICAS=2`, measured right "
             "after the default stack's in the same `make bench`. CPU-ms per settled order, summed over every "
             "process of the stack (a service's instances together, Kafka's three JVMs together).", ""]
    runs = [("default", single), ("cluster", cluster)] if single else [("cluster", cluster)]
    shapes = [k for k in cluster["shapes"] if all(k in o["shapes"] for _, o in runs)]
    cols = [(f"{shape}, {name}", o["shapes"][shape]) for shape in shapes for name, o in runs]
    lines += ["| | " + " | ".join(n for n, _ in cols) + " |", "|---|" + "---|" * len(cols)]
    row = lambda label, f: lines.append(f"| {label} | " + " | ".join(f(r) for _, r in cols) + " |")
    row("accepted orders/s, closed loop", lambda r: fmt(r["full"]["achievedRate"], 1))
    row("sustained orders/s", lambda r: fmt(r["sustainedRate"]))
    row("commit → all three done at half rate, p99 ms",
        lambda r: f"{fmt(r['half'].get('all three', {}).get('p99Ms'), 1)} at {r['half']['rate']}/s")
    row("commit → all three done one at a time, p50 / p99 ms",
        lambda r: f"{fmt(r['single'].get('all three', {}).get('p50Ms'), 1)} / "
                  f"{fmt(r['single'].get('all three', {}).get('p99Ms'), 1)}")
    per = lambda r: r["half"]["cost"]["perUnit"]
    row("CPU-ms per order, closed loop (the machine saturated)",
        lambda r: f"{r['full']['cost']['perUnit']['stackCpuMs']:.2f}")
    row("**CPU-ms per order at half rate, whole stack**", lambda r: f"**{per(r)['stackCpuMs']:.2f}**")
    components = sorted({k for _, r in cols for k in per(r)["cpuMs"]}, key=lambda k: -max(
        per(r)["cpuMs"].get(k, 0) for _, r in cols))
    for k in components:
        if max(per(r)["cpuMs"].get(k, 0) for _, r in cols) >= 0.01:
            row(f"… {k}", lambda r, k=k: f"{per(r)['cpuMs'].get(k, 0):.2f}")
    row("Kafka messages produced / consumed per order",
        lambda r: f"{fmt(per(r)['kafkaProduced'], 1)} / {fmt(per(r)['kafkaConsumed'], 1)}")
    if single:
        lines.append("")
        for shape in shapes:
            a, b = per(single["shapes"][shape]), per(cluster["shapes"][shape])
            kafka = lambda u: u["cpuMs"].get("kafka (JVM)", 0)
            full = lambda o: o["shapes"][shape]["full"]["cost"]["perUnit"]["stackCpuMs"]
            lines.append(f"- {shape}: at half rate cluster mode costs {b['stackCpuMs'] - a['stackCpuMs']:+.2f} CPU-ms "
                         f"per order ({b['stackCpuMs'] / a['stackCpuMs']:.2f}×), of which Kafka "
                         f"{kafka(b) - kafka(a):+.2f} ({kafka(a):.2f} → {kafka(b):.2f} ms); saturated (closed loop) "
                         f"{full(single):.2f} → {full(cluster):.2f} ms ({full(cluster) / full(single):.2f}×). Half "
                         "rate also spreads the idle work of twice the processes and three JVMs over fewer orders "
                         "per second.")
    lines.append("")
    return lines


def gateway_markdown(g):
    lines = []
    lines += [f"## Gateway: GET /api/products/{{id}}, {g['connections']} connections, {g['seconds']} s per run",
              "", f"Each proxy pinned to CPU {g['proxyCpus']}; backend, PostgreSQL and load generator on CPU "
              f"{g['loadCpus']}. Saturation: wrk. Latency: oha at a fixed rate of half nginx's peak, corrected "
              "for coordinated omission (nginx's first round sets the rate). Added p99 = p99 through the proxy − "
              "p99 straight to the backend at the same rate. The gateway's own log: the p99 of the durations its "
              "access log records for the fixed-rate run (first bytes to answer written, upstream included), "
              "against oha's; the difference is spent before the gateway reads a request or after it has written "
              "the answer (oha, the kernel's queues, the gateway's thread waiting to run). "
              f"Response body {g['bodyBytes']} bytes.",
              "", "Every system of a route is sent the same request bytes: nginx, straight to the backend and every "
              f"gateway (the public route's too) get the same `Authorization: Bearer` token ({g['tokenBytes']} bytes); "
              "the cache-hit runs send no token to either system, as the gateway serves its cache to anonymous "
              f"requests only. Each system is measured {g['rounds']} times, a fresh process each time, the rounds "
              "alternating in order (list order, then reversed): figures are means over the rounds, with the "
              "min–max in brackets; ratios are of the means, with the min–max of the same-round ratios.", ""]
    if g.get("kafkaSettled"):
        k = g["kafkaSettled"]
        lines += [f"Before the first round the bench waited {k['waitedS']} s for the stack's Kafka to settle (under "
                  f"60 ms of CPU a second; the last 5 s: {k['kafkaMsPerS']} ms/s): a fresh JVM compiles for minutes "
                  "on the CPU the load generator shares. Each round, after its warm-up, waits again (at most 8 s) "
                  "until Kafka is under that rate over a second: a gateway's start (its consumer group, the "
                  "revocation replay) and its stop busy the broker for a few seconds.", ""]

    def span(v, lo_hi, digits):
        return f"{fmt(v, digits)} ({fmt(lo_hi[0], digits)}–{fmt(lo_hi[1], digits)})"

    def ratio(e, ref):
        if ref is None or ref is e:
            return "–" if ref is None else "1"
        per = [a["saturation"]["rps"] / b["saturation"]["rps"] for a, b in zip(e["rounds"], ref["rounds"])]
        return span(e["saturation"]["rps"] / ref["saturation"]["rps"], (min(per), max(per)), 2)

    for run in g["runs"]:
        s = run["systems"]
        lines += [f"### {run['route']} (fixed rate {run['fixedRate']:,}/s)", "",
                  "| system | req/s at saturation | × nginx | × Express | p50 at fixed rate | p99 at fixed rate "
                  "| added p99 | p99 in the gateway's own log | peak RSS |", "|---|---|---|---|---|---|---|---|---|"]
        nginx = s.get("nginx", s.get("nginx-cache"))
        express = s.get("express")
        direct = s.get("direct")
        for key, e in s.items():
            sat, fixed, sp = e["saturation"], e["fixedRate"], e["spread"]
            added = fixed["p99Ms"] - direct["fixedRate"]["p99Ms"] if direct and key != "direct" else None
            flags = "" if sat["non2xx"] == 0 and fixed["failed"] == 0 else \
                f" ⚠ {sat['non2xx'] + fixed['failed']} failed"
            lines.append(
                f"| {e['label']}{flags} | {span(sat['rps'], sp['saturationRps'], 0)} | {ratio(e, nginx)} "
                f"| {ratio(e, express)} | {fmt(fixed['p50Ms'], 2)} ms "
                f"| {span(fixed['p99Ms'], sp['fixedRateP99Ms'], 2)} ms "
                f"| {fmt(added, 2) + ' ms' if added is not None else '–'} "
                f"| {fmt(fixed.get('ownP99Ms'), 2) + ' ms' if fixed.get('ownP99Ms') is not None else '–'} "
                f"| {fmt(e.get('peakRssMiB'), 1) + ' MiB' if e.get('peakRssMiB') else '–'} |")
        lines.append("")
    return lines


def outbox_markdown(ob):
    c, t = ob["commitToConsumedMs"], ob["relayThroughput"]
    return ["", "## Outbox", "", "| measurement | result |", "|---|---|",
            f"| commit → consumed from Kafka at {ob['rate']} events/s ({ob['events']} events) "
            f"| p50 {c['p50']:.2f} ms · p99 {c['p99']:.2f} ms · max {c['max']:.2f} ms |",
            f"| relay throughput: {t['events']:,} events committed while the relay was stopped, then published "
            f"| {t['eventsPerSecond']:,.0f} events/s |", ""]


def orders_markdown(o):
    pg, shapes = o["pgbench"], o["shapes"]
    tx_ms = pg["cost"]["perUnit"]["stackCpuMs"]
    d = o.get("durability", {})
    names = {"hot": "hot product", "spread": f"spread ({shapes['spread']['products']} products)"}

    def p99(run, key="all three"):
        return run.get(key, {}).get("p99Ms")

    def lat(v):
        return f"{fmt(v['p50Ms'], 1)} / {fmt(v['p99Ms'], 1)} / {fmt(v['maxMs'], 1)}" if v else "–"

    lines = [f"## Orders through the gateway: {pg['clients']} clients", "",
             f"PostgreSQL as `make up` runs it ({', '.join(f'{k}={v}' for k, v in d.items())}). pgbench: "
             f"single-row INSERT, {pg['clients']} clients, {pg['seconds']} s: {fmt(pg['tps'])} tps, "
             f"{tx_ms:.3f} CPU-ms per transaction summed over every process of the stack (pgbench itself "
             f"{fmt(pg['cost']['perUnit']['loadGeneratorCpuMs'], 3)} ms, not included)"
             + (" — the mean of a run before the orders and one after (" +
                ", ".join(f"{fmt(r['tps'])} tps and {r['stackCpuMs']:.3f} ms" for r in pg["runs"]) +
                "): the ratios below use the mean" if pg.get("runs") else "") + ".", "",
             "| target (bar) | " + " | ".join(names[k] for k in shapes) + " |",
             "|---|" + "---|" * len(shapes)]
    row = lambda label, f: lines.append(f"| {label} | " + " | ".join(f(r) for r in shapes.values()) + " |")
    row("accepted orders/s, closed loop", lambda r: f"{fmt(r['full']['achievedRate'], 1)} "
        f"({fmt(100 * r['full']['achievedRate'] / pg['tps'], 1)} %)")
    row("sustained orders/s, % of pgbench tps (≥ 10 %)", lambda r: f"{fmt(r['sustainedRate'])} "
        f"({fmt(100 * r['sustainedRate'] / pg['tps'], 1)} %; probes "
        + ", ".join(str(p['rate']) + ('✓' if p['keptPace'] else '✗') for p in r['probes']) + ")")
    row("CPU per order at half rate, in pgbench transactions (≤ 10)",
        lambda r: f"{r['half']['cost']['perUnit']['stackCpuMs'] / tx_ms:.1f} "
                  f"({r['half']['cost']['perUnit']['stackCpuMs']:.2f} ms)")
    row("… closed loop", lambda r: f"{r['full']['cost']['perUnit']['stackCpuMs'] / tx_ms:.1f} "
                                  f"({r['full']['cost']['perUnit']['stackCpuMs']:.2f} ms)")
    row("… one at a time", lambda r: f"{r['single']['cost']['perUnit']['stackCpuMs'] / tx_ms:.1f} "
                                    f"({r['single']['cost']['perUnit']['stackCpuMs']:.2f} ms)")
    row("commit → all three done at half rate, p99 (≤ 50 ms)",
        lambda r: f"{fmt(p99(r['half']), 1)} ms at {r['half']['rate']}/s")
    row("commit → all three done one at a time, p99 (≤ 20 ms)", lambda r: f"{fmt(p99(r['single']), 1)} ms")

    # Cost per settled order, by component, for each shape's half-rate run, beside pgbench's per transaction.
    runs = [("pgbench, per transaction", pg["cost"])] + \
           [(f"{names[k]}, half rate", r["half"]["cost"]) for k, r in shapes.items()] + \
           [(f"{names[k]}, closed loop", r["full"]["cost"]) for k, r in shapes.items()]
    lines += ["", "### What an order costs (per settled order; pgbench per transaction)", "",
              "| | " + " | ".join(n for n, _ in runs) + " |", "|---|" + "---|" * len(runs)]
    per = [c["perUnit"] for _, c in runs]
    crow = lambda label, f: lines.append(f"| {label} | " + " | ".join(f(u) for u in per) + " |")
    crow("**CPU-ms, whole stack**", lambda u: f"**{u['stackCpuMs']:.3f}**")
    crow("= pgbench transactions", lambda u: f"{u['stackCpuMs'] / tx_ms:.1f}")
    components = sorted({k for u in per for k in u["cpuMs"]}, key=lambda k: -max(u["cpuMs"].get(k, 0) for u in per))
    for k in components:
        if max(u["cpuMs"].get(k, 0) for u in per) >= 0.005:
            crow(f"… {k}", lambda u, k=k: f"{u['cpuMs'].get(k, 0):.3f}")
    crow("load generator (not included)", lambda u: fmt(u["loadGeneratorCpuMs"], 3))
    crow("SQL statements", lambda u: fmt(u["statements"], 1))
    for db in sorted({k for u in per for k in u["statementsByDatabase"]}):
        crow(f"… in {db}", lambda u, db=db: fmt(u["statementsByDatabase"].get(db), 1))
    crow("transactions (write transactions)", lambda u: f"{fmt(u['transactions'], 1)} ({fmt(u['writeTransactions'], 1)})")
    crow("WAL bytes", lambda u: fmt(u["walBytes"]))
    crow("Kafka messages produced (relays)", lambda u: fmt(u["kafkaProduced"], 1))
    crow("Kafka deliveries consumed", lambda u: fmt(u["kafkaConsumed"], 1))

    if o.get("floor"):
        lines += floor_markdown(o["floor"], shapes, names, tx_ms)

    stages = [("stage:onBroker", "(a) ORDER_CREATED handed to Kafka"), ("stage:stockDecided", "(b) stock decided"),
              ("stage:orderConfirmed", "(c) order CONFIRMED"), ("stage:shipmentReady", "(d) shipment READY"),
              ("stage:notificationRecorded", "(e) notification recorded"),
              ("all three", "stock, shipping and notification all done")]
    cols = [(f"{names[k]}, half rate ({r['half']['rate']}/s)", r["half"]) for k, r in shapes.items()] + \
           [(f"{names[k]}, one at a time", r["single"]) for k, r in shapes.items()]
    lines += ["", "### Order commit → each stage, p50 / p99 / max ms", "",
              "From the timestamps the system records: ORDER_CREATED's occurredAt is the commit; (a) is its Kafka "
              "message timestamp; (b)–(d) the occurredAt of STOCK_RESERVED/REJECTED, ORDER_CONFIRMED/REJECTED and "
              "SHIPMENT_STATUS_CHANGED to READY; (e) the notification row's created_at.", "",
              "| stage | " + " | ".join(n for n, _ in cols) + " |", "|---|" + "---|" * len(cols)]
    for key, label in stages:
        lines.append(f"| {label} | " + " | ".join(lat(r.get(key)) for _, r in cols) + " |")
    lines.append("")
    return lines


def floor_markdown(floors, shapes, names, tx_ms):
    """The floor (tests/bench/floor.py) per plan, beside what the pipeline's orders cost."""
    plans = [(f["mode"], f["batch"]) for f in next(iter(floors.values()))]
    trips = {"statement": "a round trip per statement", "transaction": "one round trip per transaction"}
    label = lambda mode, b: f"{b} order(s) per consumer transaction, {trips[mode]}"
    lines = ["", "### The floor: the database work an order cannot do without", "",
             "The nine transactions an order needs in five databases (placed, reserved, shipment created and "
             "made ready, three notifications, confirmed, the catalog's stock), with the services' own schemas, "
             "each event written into the WAL and streamed from a replication slot (pg_recvlogical stands in for "
             "the relay; Kafka, HTTP and decoding are not in it), run by pgbench on the same PostgreSQL, five "
             "databases at once, 2 clients each. CPU-ms per order: PostgreSQL's backends and walsenders plus the "
             "slot readers; in pgbench transactions of the runs above.", "",
             "| floor (CPU-ms per order = pgbench transactions; transactions per order) | "
             + " | ".join(names[k] for k in floors) + " |", "|---|" + "---|" * len(floors)]
    for i, (mode, b) in enumerate(plans):
        lines.append(f"| {label(mode, b)} | " + " | ".join(
            f"{fl[i]['floorCpuMs']:.2f} ms = {fl[i]['floorCpuMs'] / tx_ms:.1f} ({fl[i]['transactionsPerOrder']} tx)"
            for fl in floors.values()) + " |")
    def share(u):  # PostgreSQL's share of an order (the whole stack's; transactions per order)
        pg_ms = sum(v for k, v in u["cpuMs"].items() if k.startswith("postgres"))
        return f"{pg_ms:.2f} ms = {pg_ms / tx_ms:.1f} ({u['stackCpuMs'] / tx_ms:.1f}; {fmt(u['transactions'], 1)} tx)"

    for run, title in (("half", "half rate"), ("full", "closed loop"), ("single", "one at a time")):
        lines.append(f"| the pipeline, {title}: PostgreSQL's share (whole stack; transactions per order) | "
                     + " | ".join(share(shapes[k][run]["cost"]["perUnit"]) for k in floors) + " |")
    return lines


def chart(results):
    data = OUT / "chart.dat"
    rows = []
    for run in results["gateway"]["runs"]:
        for key, e in run["systems"].items():
            rows.append(f'"{key}\\n{run["route"].split(" (")[0]}" {e["saturation"]["rps"]:.0f} '
                        f'{e["fixedRate"]["p99Ms"]:.3f}')
    data.write_text("\n".join(rows) + "\n")
    m = results["machine"]
    script = f"""
set terminal pngcairo size 1400,900 font ",10"
set output "{OUT / 'chart.png'}"
set multiplot layout 2,1 title "Shopmesh gateway bench · {results['date']} · {m['cpu']} · {m['cores']} cores"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics
set xtics rotate by -30 font ",8"
set ylabel "requests/s at saturation (wrk, {results['gateway']['connections']} conns)"
plot "{data}" using 2:xtic(1) notitle lc rgb "#3b7dd8"
set ylabel "p99 ms at half nginx's peak (oha)"
set logscale y
plot "{data}" using 3:xtic(1) notitle lc rgb "#d8703b"
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    global OUT
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, type=pathlib.Path)
    ap.add_argument("--only", choices=["idle", "gateway", "orders", "outbox"], action="append")
    args = ap.parse_args()
    # In cluster mode (the stack started with KAFKA_NODES/REPLICAS, see scripts/stack) only the orders are
    # measured, into their own section beside the default topology's.
    topology = {"kafkaNodes": int(ENV.get("KAFKA_NODES") or 1), "replicas": int(ENV.get("REPLICAS") or 1)}
    cluster = topology != {"kafkaNodes": 1, "replicas": 1}
    if cluster and set(args.only or []) != {"orders"}:
        raise SystemExit("bench: a cluster-mode stack measures the orders only (--only orders)")
    OUT = args.out.resolve()
    (OUT / "config").mkdir(parents=True, exist_ok=True)
    only = set(args.only or ["idle", "gateway", "orders", "outbox"])
    results = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "machine": {"cpu": re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1),
                           "cores": os.cpu_count(), "kernel": os.uname().release,
                           "loadAverageAtStart": os.getloadavg()[0]}}
    email = f"bench-{int(time.time())}@example.com"
    call("POST", ENV["GATEWAY_URL"] + "/api/auth/register",
         {"email": email, "password": "bench-password-123", "name": "Bench Reader"})
    token = login(email, "bench-password-123")
    admin = login(ENV.get("ADMIN_EMAIL", "admin@shopmesh.local"), ENV["ADMIN_PASSWORD"])
    if "idle" in only:
        results["idle"] = idle_bench()
    if "gateway" in only:
        results["gateway"] = gateway_bench(token, admin)
    if "orders" in only:
        results["ordersCluster" if cluster else "orders"] = {**orders_bench(), "topology": topology}
    if "outbox" in only:
        log("outbox")
        r = subprocess.run([str(BIN / "bench_outbox"), "200", "2000", "20000"], capture_output=True, text=True,
                           check=True)
        results["outbox"] = json.loads(r.stdout)["outbox"]
    results["machine"]["loadAverageAtEnd"] = os.getloadavg()[0]
    # A run of some sections keeps the others from the previous results, each with the date it ran.
    sections = ("idle", "gateway", "orders", "ordersCluster", "outbox")
    ran = [k for k in sections if k in results]
    previous = OUT / "results.json"
    if (cluster or only != {"idle", "gateway", "orders", "outbox"}) and previous.exists():
        old = json.loads(previous.read_text())
        kept = [k for k in sections if k in old and k not in results]
        for k in kept:
            results[k] = old[k]
        if kept:
            old_date = old.get("sectionDates", {})
            results["sectionDates"] = {**{k: old_date.get(k, old["date"]) for k in kept},
                                       **{k: results["date"] for k in ran}}
            by_date = {}
            for k, d in results["sectionDates"].items():
                by_date.setdefault(d, []).append(k)
            results["date"] = "; ".join(f"{d} ({', '.join(ks)})" for d, ks in sorted(by_date.items()))
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / "results.md").write_text(markdown(results))
    if "gateway" in results:
        chart(results)
    print((OUT / "results.md").read_text())


if __name__ == "__main__":
    main()
