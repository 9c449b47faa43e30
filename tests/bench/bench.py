#!/usr/bin/env python3
"""make bench, inside `scripts/stack ephemeral`: every benchmark side by side in one run, on one
machine, written to --out as results.json, results.md and chart.png. Reported, never asserted.

1. Gateway: the same route (GET /api/products/{id}) behind each proxy, each proxy pinned to the
   same CPU (BENCH_PROXY_CPUS) while the backend, PostgreSQL and the load generator share the
   others (BENCH_LOAD_CPUS). wrk measures saturation (64 connections); oha, with latency
   correction (wrk2's method: latency counted from when a request was due, not when it was sent),
   measures latency at a fixed rate of half of nginx's peak. Two backends: an in-memory one (the
   proxy is what is measured) and the real products service on PostgreSQL; plus a cache-hit run.
2. Orders: pgbench's single-row INSERT tps at C clients on the stack's PostgreSQL (the limit),
   then C clients placing orders through the gateway for 30 s (accepted orders/s), then the
   sustained rate (the highest fixed rate stock, shipping and notification keep pace with, found by
   bisection), then half the sustained rate: order commit -> all three consumers done.
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

ENV = os.environ
REPO = pathlib.Path(ENV["SHOPMESH_REPO"])
BIN = pathlib.Path(ENV["SHOPMESH_BUILD_DIR"]) / "bin"
STATE = pathlib.Path(ENV["SHOPMESH_STATE_DIR"])
SECONDS = int(ENV.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(ENV.get("BENCH_CONNECTIONS", "64"))
CLIENTS = int(ENV.get("BENCH_CLIENTS", "8"))
ORDER_SECONDS = int(ENV.get("BENCH_ORDER_SECONDS", "30"))
PROBES = int(ENV.get("BENCH_PROBES", "4"))  # bisection steps for the sustained order rate
PROBE_SECONDS = int(ENV.get("BENCH_PROBE_SECONDS", "15"))
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
        for task in pathlib.Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def pin(pid, cpus):
    for p in descendants(pid):
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(p)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)


def stack_pids():
    pids = []
    for f in (STATE / "run").glob("*.pid"):
        try:
            pids.append(int(f.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            pass
    pm = STATE / "pg" / "data" / "postmaster.pid"
    if pm.exists():
        pids.append(int(pm.read_text().split()[0]))
    return pids


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
    argv = ["taskset", "-c", LOAD_CPUS, OHA, "--no-tui", "--output-format", "json", "--latency-correction",
            "-z", f"{seconds}s", "-c", str(CONNECTIONS), "-q", str(rate)]
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


def start_gateway(name, upstream, auth="user", cache=False, token_cache=True):
    port = free_port()
    env = {"HTTP_PORT": str(port), "HTTP_IO_THREADS": "1", "PRODUCTS_URL": upstream,
           "GATEWAY_ROUTES_FILE": routes_file(name, auth, cache), "RATE_LIMIT_DEFAULT": "off",
           "RATE_LIMIT_USER": "off", "GATEWAY_CONSUMER_GROUP": f"bench-{name}-{port}"}
    if not token_cache:
        env["GATEWAY_TOKEN_CACHE_SIZE"] = "0"
    return Proc(name, [str(BIN / "shopmesh-gateway")], PROXY_CPUS, env), f"http://127.0.0.1:{port}"


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
    # (key, label, starter(upstream) -> (Proc|None, url), sends a token)
    ("nginx", "nginx (keep-alive reverse proxy, no auth)", lambda u: start_nginx("nginx", u), False),
    ("direct", "straight to the backend (the limit)", lambda u: (None, u), False),
    ("gateway", "Shopmesh gateway, RS256", lambda u: start_gateway("gateway", u), True),
    ("gateway-verify-all", "Shopmesh gateway, RS256, token cache off",
     lambda u: start_gateway("gateway-verify-all", u, token_cache=False), True),
    ("gateway-noauth", "Shopmesh gateway, auth off", lambda u: start_gateway("gateway-noauth", u, auth="public"),
     False),
    ("express", "Express gateway, RS256 (jsonwebtoken)", lambda u: start_express("express", u), True),
]
CACHE_SYSTEMS = [
    ("nginx-cache", "nginx, proxy_cache hit", lambda u: start_nginx("nginx-cache", u, cache=True), False),
    ("gateway-cache", "Shopmesh gateway, response cache hit",
     lambda u: start_gateway("gateway-cache", u, auth="public", cache=True), False),
]


def measure(route, upstream, path, systems, token):
    log(f"gateway bench, {route} route: {upstream}{path}")
    results, rate = {}, None
    for key, label, start, with_token in systems:
        proc, base = start(upstream)
        headers = {"Authorization": f"Bearer {token}"} if with_token else {}
        try:
            if proc:
                proc.wait_ready(base + path, headers)
            wrk(base + path, headers, 2)  # warm-up: connections, pools, caches
            sat = wrk(base + path, headers, SECONDS)
            if rate is None:  # the first system is nginx: half its peak is everyone's fixed rate
                rate = max(1, int(sat["rps"] / 2))
            fixed = oha(base + path, headers, rate, SECONDS)
            entry = {"label": label, "saturation": sat, "fixedRate": fixed}
            if proc:
                entry["peakRssMiB"] = rss_mib(proc.p.pid)
            results[key] = entry
            log(f"  {key:20s} {sat['rps']:9.0f} req/s (non-2xx {sat['non2xx']}) | at {rate}/s "
                f"p50 {fixed['p50Ms']:.2f} ms p99 {fixed['p99Ms']:.2f} ms")
        finally:
            if proc:
                proc.stop()
    return {"route": route, "path": path, "fixedRate": rate, "systems": results}


def gateway_bench(token, admin_token):
    status, product = call("POST", ENV["GATEWAY_URL"] + "/api/products",
                           {"sku": f"BENCH-{int(time.time() * 1000)}", "name": "Bench mug",
                            "description": "A mug the benchmark reads over and over", "price": 12.5,
                            "category": "bench", "initialStock": 100}, admin_token)
    if status != 201:
        raise SystemExit(f"creating the bench product failed: HTTP {status}")
    path = f"/api/products/{product['id']}"
    with urllib.request.urlopen(ENV["PRODUCTS_URL"] + path) as r:
        body = r.read()
    (OUT / "config").mkdir(parents=True, exist_ok=True)
    (OUT / "config" / "product.json").write_bytes(body)

    backend_port = free_port()
    backend = Proc("bench-backend", [str(BIN / "bench_backend")], LOAD_CPUS,
                   {"HTTP_PORT": str(backend_port), "BENCH_BODY_FILE": str(OUT / "config" / "product.json")})
    pin_stack(LOAD_CPUS)
    try:
        memory_url = f"http://127.0.0.1:{backend_port}"
        backend.wait_ready(memory_url + path)
        runs = [measure("in-memory backend", memory_url, path, SYSTEMS, token),
                measure("PostgreSQL-backed products service", ENV["PRODUCTS_URL"], path, SYSTEMS, token),
                measure("cache hit (PostgreSQL-backed)", ENV["PRODUCTS_URL"], path, CACHE_SYSTEMS, token)]
    finally:
        backend.stop()
        pin_stack(ALL_CPUS)
    return {"bodyBytes": len(body), "connections": CONNECTIONS, "seconds": SECONDS, "proxyCpus": PROXY_CPUS,
            "loadCpus": LOAD_CPUS, "runs": runs}


# ------------------------------------------------------------------ orders
def pgbench(clients):
    url = ENV["PG_SUPERUSER_URL"]
    base, _, _ = url.rpartition("/")
    subprocess.run(["psql", url, "-qc", "DROP DATABASE IF EXISTS bench", "-c", "CREATE DATABASE bench"], check=True,
                   capture_output=True)
    db = f"{base}/bench"
    subprocess.run(["psql", db, "-qc", "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, v int NOT NULL, "
                    "at timestamptz NOT NULL DEFAULT now())"], check=True, capture_output=True)
    script = OUT / "config" / "insert.sql"
    script.write_text("INSERT INTO bench_insert (v) VALUES (1);\n")
    text = subprocess.run(["pgbench", "-n", "-c", str(clients), "-j", str(min(clients, os.cpu_count())),
                           "-T", str(ORDER_SECONDS // 2), "-f", str(script), db],
                          capture_output=True, text=True, check=True).stdout
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", text).group(1))
    lat = re.search(r"latency average = ([\d.]+) ms", text)
    return {"clients": clients, "seconds": ORDER_SECONDS // 2, "tps": tps,
            "latencyAvgMs": float(lat.group(1)) if lat else None}


def saga(rate, clients, seconds=None):
    argv = [str(BIN / "bench_saga"), "--gateway", "--clients", str(clients), "--rate", str(rate),
            "--seconds", str(seconds or ORDER_SECONDS)]
    r = subprocess.run(argv, capture_output=True, text=True, check=False)
    sys.stderr.write(r.stderr)
    return json.loads(r.stdout)


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


def orders_bench():
    log(f"pgbench: single-row INSERT, {CLIENTS} clients")
    pg = pgbench(CLIENTS)
    log(f"  {pg['tps']:.0f} tps")
    log(f"orders: {CLIENTS} clients, closed loop, {ORDER_SECONDS} s, through the gateway")
    perf = ENV.get("BENCH_PROFILE") and profile_during(max(5, ORDER_SECONDS - 5), "orders")
    full = saga(0, CLIENTS)
    if perf:
        profile_report(*perf, "orders")
    # Sustained: the highest fixed rate the whole pipeline keeps pace with. The closed loop only
    # waits for each order's commit, so it accepts orders faster than stock, shipping and
    # notification settle them, and its backlog drains after the placing stops (with the machine to
    # itself): neither rate is one the system can keep up. Bisection between 0 and the closed
    # loop's settling rate, PROBE_SECONDS per probe; a probe keeps pace when every order is settled
    # within 2 s of the last one placed.
    lo, hi, probes = 0, int(min(full["achievedRate"], full["pipelineRate"] or full["achievedRate"])), []
    for _ in range(PROBES):
        rate = max(1, (lo + hi) // 2) if probes else max(1, hi // 2)
        run = saga(rate, CLIENTS, PROBE_SECONDS)
        kept = run.get("all three", {}).get("n") == run["orders"] and run["drainS"] <= 2.0
        probes.append({"rate": rate, "keptPace": kept, "drainS": run["drainS"]})
        log(f"  {rate}/s for {PROBE_SECONDS} s: {'kept pace' if kept else 'fell behind'} (drained {run['drainS']:.1f} s after)")
        lo, hi = (rate, hi) if kept else (lo, rate)
    sustained = lo
    half_rate = max(1, int(sustained / 2))
    log(f"orders: sustained {sustained}/s; {half_rate}/s (half of it), {ORDER_SECONDS} s")
    half = saga(half_rate, CLIENTS)
    return {"pgbench": pg, "full": full, "probes": probes, "sustainedRate": sustained, "half": half}


# ------------------------------------------------------------------ report
def fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def markdown(results):
    m = results["machine"]
    lines = [f"# Shopmesh benchmarks", "",
             f"{results['date']} · {m['cpu']} · {m['cores']} cores · {m['kernel']} · release build", ""]
    g = results["gateway"]
    lines += [f"## Gateway: GET /api/products/{{id}}, {g['connections']} connections, {g['seconds']} s per run",
              "", f"Each proxy pinned to CPU {g['proxyCpus']}; backend, PostgreSQL and load generator on CPU "
              f"{g['loadCpus']}. Saturation: wrk. Latency: oha at a fixed rate of half nginx's peak, corrected "
              "for coordinated omission. Added p99 = p99 through the proxy − p99 straight to the backend "
              f"at the same rate. Response body {g['bodyBytes']} bytes.", ""]
    for run in g["runs"]:
        s = run["systems"]
        lines += [f"### {run['route']} (fixed rate {run['fixedRate']:,}/s)", "",
                  "| system | req/s at saturation | × nginx | × Express | p50 at fixed rate | p99 at fixed rate "
                  "| added p99 | peak RSS |", "|---|---|---|---|---|---|---|---|"]
        nginx = s.get("nginx", s.get("nginx-cache"))
        express = s.get("express")
        direct = s.get("direct")
        for key, e in s.items():
            sat, fixed = e["saturation"], e["fixedRate"]
            added = fixed["p99Ms"] - direct["fixedRate"]["p99Ms"] if direct and key != "direct" else None
            flags = "" if sat["non2xx"] == 0 and fixed["failed"] == 0 else \
                f" ⚠ {sat['non2xx'] + fixed['failed']} failed"
            lines.append(
                f"| {e['label']}{flags} | {fmt(sat['rps'])} | {fmt(sat['rps'] / nginx['saturation']['rps'], 2)} "
                f"| {fmt(sat['rps'] / express['saturation']['rps'], 2) if express else '–'} "
                f"| {fmt(fixed['p50Ms'], 2)} ms | {fmt(fixed['p99Ms'], 2)} ms "
                f"| {fmt(added, 2) + ' ms' if added is not None else '–'} "
                f"| {fmt(e.get('peakRssMiB'), 1) + ' MiB' if e.get('peakRssMiB') else '–'} |")
        lines.append("")
    o = results["orders"]
    pg, full, half = o["pgbench"], o["full"], o["half"]

    def lat(run, key="all three"):
        v = run.get(key)
        return f"p50 {fmt(v['p50Ms'], 1)} ms · p99 {fmt(v['p99Ms'], 1)} ms · max {fmt(v['maxMs'], 1)} ms" if v else "–"

    lines += [f"## Orders: {pg['clients']} clients", "",
              "| measurement | result |", "|---|---|",
              f"| pgbench single-row INSERT ({pg['clients']} clients, {pg['seconds']} s): the limit "
              f"| {fmt(pg['tps'])} tps |",
              f"| orders placed through the gateway, closed loop ({full['seconds']:.0f} s) "
              f"| {fmt(full['achievedRate'], 1)} accepted orders/s = {fmt(100 * full['achievedRate'] / pg['tps'], 1)}"
              f" % of pgbench |",
              f"| … settled by stock, shipping and notification in that run, first commit → last done "
              f"| {fmt(full['pipelineRate'], 1)} orders/s; the last {fmt(full['drainS'], 1)} s after the last was "
              f"accepted |",
              f"| sustained: the highest fixed rate all three consumers kept pace with "
              f"({', '.join(str(p['rate']) + ('/s ✓' if p['keptPace'] else '/s ✗') for p in o['probes'])}) "
              f"| {fmt(o['sustainedRate'])} orders/s = {fmt(100 * o['sustainedRate'] / pg['tps'], 1)} % of pgbench |",
              f"| order commit → stock, shipping, notification all done, closed loop | {lat(full)} |",
              f"| the same at half the sustained rate ({half['rate']}/s, {half['orders']} orders) | {lat(half)} |"]
    for c in ("stock", "shipping", "notification"):
        lines.append(f"| … {c} alone, at half rate | {lat(half, c)} |")
    ob = results["outbox"]
    lines += ["", "## Outbox", "", "| measurement | result |", "|---|---|",
              f"| commit → consumed from Kafka at {ob['rate']} events/s ({ob['events']} events) "
              f"| p50 {ob['commitToConsumedMs']['p50']:.2f} ms · p99 {ob['commitToConsumedMs']['p99']:.2f} ms · "
              f"max {ob['commitToConsumedMs']['max']:.2f} ms |",
              f"| relay throughput (backlog of {ob['relayThroughput']['events']}) "
              f"| {ob['relayThroughput']['eventsPerSecond']:,.0f} events/s |", ""]
    return "\n".join(lines)


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
    ap.add_argument("--only", choices=["gateway", "orders", "outbox"], action="append")
    args = ap.parse_args()
    OUT = args.out.resolve()
    (OUT / "config").mkdir(parents=True, exist_ok=True)
    only = set(args.only or ["gateway", "orders", "outbox"])
    results = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "machine": {"cpu": re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1),
                           "cores": os.cpu_count(), "kernel": os.uname().release,
                           "loadAverageAtStart": os.getloadavg()[0]}}
    email = f"bench-{int(time.time())}@example.com"
    call("POST", ENV["GATEWAY_URL"] + "/api/auth/register",
         {"email": email, "password": "bench-password-123", "name": "Bench Reader"})
    token = login(email, "bench-password-123")
    admin = login(ENV.get("ADMIN_EMAIL", "admin@shopmesh.local"), ENV.get("ADMIN_PASSWORD", "change-me-admin-123"))
    if "gateway" in only:
        results["gateway"] = gateway_bench(token, admin)
    if "orders" in only:
        results["orders"] = orders_bench()
    if "outbox" in only:
        log("outbox")
        r = subprocess.run([str(BIN / "bench_outbox"), "200", "2000", "20000"], capture_output=True, text=True,
                           check=True)
        results["outbox"] = json.loads(r.stdout)["outbox"]
    results["machine"]["loadAverageAtEnd"] = os.getloadavg()[0]
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    if only == {"gateway", "orders", "outbox"}:
        (OUT / "results.md").write_text(markdown(results))
        chart(results)
        print((OUT / "results.md").read_text())


if __name__ == "__main__":
    main()
