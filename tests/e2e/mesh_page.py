#!/usr/bin/python3
"""The gateway's mesh page in a real headless Chromium, on a live stack (issue #22).

    scripts/stack ephemeral -- tests/e2e/mesh_page.py [--screenshot build/mesh-page.png]

Checks, each failing the run when it does not hold:
  1. /mesh.json (admin listener) validates against contracts/mesh.schema.json (Debian's
     python3-jsonschema) and names every upstream pool, topic and group it should;
  2. the page (GET / on the admin listener), driven over the DevTools protocol in Debian's
     chromium-headless-shell, draws every service, instance, topic of contracts/topics.json, group and
     DLQ, with no script error;
  3. a poison message produced with kcat into order.events (as tests/fault/scenarios.py's Poison
     does) shows on the page, in the same tab, refreshing by itself: the DLQ counts of every group
     consuming order.events go up and the newest error (class and message) is drawn;
  4. `meshctl top --once` prints the figures of the /mesh.json of the same scrape round.
A screenshot of the page is written (default build/mesh-page.png). Python standard library only,
plus jsonschema; the DevTools client is a minimal WebSocket (RFC 6455) client below.
"""
import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

import jsonschema

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASH = "—"


def fail(msg: str) -> None:
    print(f"[mesh-page] FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def log(msg: str) -> None:
    print(f"[mesh-page] {msg}", flush=True)


def get_json(url: str, token: str | None = None) -> tuple[int, dict | None]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, None


class DevTools:
    """One page target of a Chromium, over the DevTools protocol's WebSocket."""

    def __init__(self, ws_url: str) -> None:
        m = re.match(r"ws://([^/:]+):(\d+)(/.*)", ws_url)
        if not m:
            raise RuntimeError(f"unexpected DevTools URL {ws_url}")
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {m.group(3)} HTTP/1.1\r\nHost: {m.group(1)}:{m.group(2)}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("DevTools closed the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"DevTools refused the WebSocket: {head[:200]!r}")
        self.buf = head.split(b"\r\n\r\n", 1)[1]
        self.next_id = 0
        self.events: list[dict] = []

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("DevTools connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else
                                bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _receive(self) -> dict:
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            data = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise RuntimeError("DevTools closed the WebSocket")
            if opcode in (0x0, 0x1, 0x2):
                message += data
                if b0 & 0x80:
                    return json.loads(message)

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            m = self._receive()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def eval(self, expression: str):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"page script failed: {r['exceptionDetails']}")
        return r["result"].get("value")


def chromium_binary() -> str:
    for name in ("chromium-headless-shell", "chromium"):
        path = shutil.which(name)
        if path:
            return path
    fail("no chromium-headless-shell or chromium on PATH (scripts/bootstrap installs chromium-headless-shell)")
    return ""


def start_chromium(profile: str) -> tuple[subprocess.Popen, str]:
    binary = chromium_binary()
    args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
            f"--user-data-dir={profile}", "--window-size=1500,1200", "--hide-scrollbars", "about:blank"]
    # Its own process group: Debian's chromium-headless-shell is a shell script that runs the browser
    # as a child, so stopping the script alone left the browser and its helpers running.
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            fail(f"{binary} exited with {proc.returncode} before DevTools listened")
        m = re.search(r"DevTools listening on (ws://\S+)", line)
        if m:
            port = re.match(r"ws://[^:]+:(\d+)/", m.group(1)).group(1)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                pages = [t for t in json.load(r) if t["type"] == "page"]
            return proc, pages[0]["webSocketDebuggerUrl"]
    stop_chromium(proc)
    fail("Chromium's DevTools did not come up within 30 s")
    return proc, ""


def stop_chromium(proc: subprocess.Popen) -> None:
    """The browser's whole process group: the wrapper script, the browser and its helpers."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + wait  # the script is gone; its children may take a moment
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def expected_structure() -> tuple[dict[str, list[str]], list[str], list[tuple[str, str]]]:
    """The pools the stack gave the gateway (<SERVICE>_URLS) and contracts/topics.json."""
    services = {}
    for name in ("auth", "users", "products", "cart", "orders", "stock", "shipping", "notification"):
        urls = os.environ.get(f"{name.upper()}_URLS") or os.environ.get(f"{name.upper()}_URL")
        if urls:
            services[name] = [u.split("://", 1)[1].rstrip("/") for u in urls.split(",")]
    with open(os.path.join(REPO, "contracts", "topics.json")) as f:
        catalogue = json.load(f)
    topics = [t["name"] for t in catalogue["topics"]]
    groups = [(g["group"], t) for g in catalogue["consumers"] for t in g["topics"]]
    return services, topics, groups


# `meshctl top`'s and the page's formats (gateway/assets/mesh.html `fmt`), for comparing.
def fmt_count(v):
    return DASH if v is None else str(round(v))


def fmt_rate(v):
    return DASH if v is None else (f"{v:.1f}" if v < 10 else str(round(v))) + "/s"


def check_meshctl_agrees(admin: str, token: str | None, meshctl: str) -> None:
    for attempt in range(10):
        _, before = get_json(f"{admin}/mesh.json", token)
        out = subprocess.run([meshctl, "top", "--once", "--admin", admin], capture_output=True, text=True,
                             timeout=30)
        _, after = get_json(f"{admin}/mesh.json", token)
        if out.returncode != 0:
            fail(f"meshctl top --once exited {out.returncode}: {out.stderr}")
        if before["at"] != after["at"]:
            continue  # a new round landed in between: ask again
        mesh, text = before, out.stdout
        if "\x1b[" in text:
            fail("meshctl top printed escape codes to a pipe")
        if f"({mesh['at']})" not in text:
            fail(f"meshctl top printed another round than /mesh.json's {mesh['at']}:\n{text}")
        lines = text.splitlines()
        for s in mesh["services"]:
            for i in s["instances"]:
                if not any(line.startswith("  " + i["instance"]) for line in lines):
                    fail(f"meshctl top does not list instance {i['instance']} of {s['name']}")
        checked = 0
        groups_from = next(k for k, line in enumerate(lines) if line.startswith("GROUP / TOPIC"))
        for g in mesh["groups"]:
            at = next(k for k, line in enumerate(lines) if k > groups_from and line.startswith(g["group"] + " "))
            if fmt_rate(g["appliedPerSecond"]) not in lines[at]:
                fail(f"group {g['group']}: meshctl shows {lines[at]!r}, /mesh.json applied {g['appliedPerSecond']}")
            for k, t in enumerate(g["topics"]):
                row = lines[at + 1 + k]
                cells = row.split()
                if cells[0] != t["topic"]:
                    fail(f"group {g['group']}: expected topic row {t['topic']}, got {row!r}")
                if fmt_count(t["dlq"]["messages"]) != re.split(r"\s{2,}", row.strip())[5]:
                    fail(f"{t['dlq']['topic']}: meshctl shows {row!r}, /mesh.json has {t['dlq']['messages']}")
                checked += 1
        log(f"meshctl top --once agrees with /mesh.json at {mesh['at']} ({checked} group/topic rows, "
            f"{sum(len(s['instances']) for s in mesh['services'])} instances)")
        return
    fail("could not catch meshctl top and /mesh.json in the same round in 10 tries")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--screenshot", default=os.path.join(REPO, "build", "mesh-page.png"))
    ap.add_argument("--meshctl", default=os.path.join(os.environ.get("SHOPMESH_BUILD_DIR", "build/dev"), "bin",
                                                      "meshctl"))
    args = ap.parse_args()
    admin = os.environ.get("GATEWAY_ADMIN_URL") or fail("GATEWAY_ADMIN_URL is not set (run under scripts/stack)")
    brokers = os.environ.get("KAFKA_BROKERS") or fail("KAFKA_BROKERS is not set")
    token = os.environ.get("METRICS_TOKEN") or None
    services, topics, groups = expected_structure()
    with open(os.path.join(REPO, "contracts", "mesh.schema.json")) as f:
        validator = jsonschema.Draft202012Validator(json.load(f))

    # 1. /mesh.json, once a second round gave it rates.
    deadline = time.monotonic() + 30
    mesh = None
    while time.monotonic() < deadline:
        status, mesh = get_json(f"{admin}/mesh.json", token)
        if status == 200 and mesh["intervalSeconds"] is not None:
            break
        time.sleep(0.5)
    else:
        fail(f"/mesh.json did not give a second round within 30 s (last status {status})")
    errors = sorted(validator.iter_errors(mesh), key=lambda e: list(e.path))
    if errors:
        fail(f"/mesh.json does not match contracts/mesh.schema.json: {errors[0].message} at {list(errors[0].path)}")
    got = {s["name"]: [i["instance"] for i in s["instances"]] for s in mesh["services"]}
    if got != services:
        fail(f"/mesh.json services {got} != the stack's pools {services}")
    if [t["name"] for t in mesh["topics"]] != topics:
        fail(f"/mesh.json topics {[t['name'] for t in mesh['topics']]} != contracts/topics.json {topics}")
    if [(g["group"], t["topic"]) for g in mesh["groups"] for t in g["topics"]] != groups:
        fail("/mesh.json groups differ from contracts/topics.json")
    unscraped = [i["instance"] for s in mesh["services"] for i in s["instances"] if not i["scraped"]]
    if unscraped:
        fail(f"instances whose /metrics the gateway could not read: {unscraped}")
    log(f"/mesh.json valid: {len(services)} services, {sum(map(len, services.values()))} instances, "
        f"{len(topics)} topics, {len(groups)} group/topic pairs; Kafka reachable={mesh['kafka']['reachable']}")

    # 2. The page, in Chromium.
    profile = tempfile.mkdtemp(prefix="mesh-page-chromium-")
    proc, ws = start_chromium(profile)
    try:
        page = DevTools(ws)
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.call("Emulation.setDeviceMetricsOverride", width=1500, height=1200, deviceScaleFactor=1, mobile=False)
        page.call("Page.navigate", url=f"{admin}/" + (f"#token={token}" if token else ""))
        drawn = "document.querySelectorAll('[data-service]').length"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not page.eval(drawn):
            time.sleep(0.2)
        if not page.eval(drawn):
            status_text = page.eval("document.getElementById('status').textContent")
            fail(f"the page drew nothing in 20 s; status: {status_text}")
        shown = page.eval("""({
            services: [...document.querySelectorAll('[data-service]')].map(e => e.dataset.service),
            instances: [...document.querySelectorAll('[data-instance]')].map(e => e.dataset.instance),
            topics: [...document.querySelectorAll('[data-topic]')].map(e => e.dataset.topic),
            groups: [...document.querySelectorAll('[data-group]')].map(e => e.dataset.group),
            dlqs: Object.fromEntries([...document.querySelectorAll('[data-dlq]')]
                                     .map(e => [e.dataset.dlq, e.dataset.count])),
            status: document.getElementById('status').textContent,
            text: document.body.innerText })""")
        for s, instances in services.items():
            if s not in shown["services"]:
                fail(f"the page does not show service {s}")
            for i in instances:
                if i not in shown["instances"]:
                    fail(f"the page does not show instance {i} of {s}")
        for t in topics:
            if t not in shown["topics"]:
                fail(f"the page does not show topic {t}")
        for g, t in groups:
            if g not in shown["groups"]:
                fail(f"the page does not show group {g}")
            if f"{t}.{g}.dlq" not in shown["dlqs"]:
                fail(f"the page does not show DLQ {t}.{g}.dlq")
        if token and page.eval("location.hash"):
            fail("the page left the token in the address bar")
        exceptions = [e for e in page.events if e.get("method") == "Runtime.exceptionThrown"]
        if exceptions:
            fail(f"the page threw: {exceptions[0]['params']['exceptionDetails']}")
        log(f"page shows {len(shown['services'])} services, {len(shown['instances'])} instances, "
            f"{len(shown['topics'])} topics, {len(set(shown['groups']))} groups, {len(shown['dlqs'])} DLQs "
            f"({shown['status']})")

        # 3. A dead letter, injected now, appears on the open page.
        watched = [f"order.events.{g}.dlq" for g, t in groups if t == "order.events"]
        before = {d: int(shown["dlqs"][d] or 0) for d in watched}
        poison_id = f"mesh-page-{uuid.uuid4()}"
        with tempfile.NamedTemporaryFile(prefix="poison-", delete=False) as f:
            f.write(b'{"not an envelope": ' + poison_id.encode())
        try:
            subprocess.run(["kcat", "-b", brokers, "-P", "-t", "order.events", "-k", poison_id,
                            "-H", f"fault-poison-id={poison_id}", "-H", "content-type=application/json", f.name],
                           check=True, capture_output=True, timeout=30)
        finally:
            os.unlink(f.name)
        injected = time.monotonic()
        log(f"poison {poison_id} produced into order.events; watching {', '.join(watched)}")
        counts = {}
        while time.monotonic() < injected + 30:
            counts = page.eval("Object.fromEntries([...document.querySelectorAll('[data-dlq]')]"
                               ".map(e => [e.dataset.dlq, e.dataset.count]))")
            if all(int(counts.get(d) or 0) > before[d] for d in watched):
                break
            time.sleep(0.25)
        else:
            fail(f"the dead letters did not show within 30 s: before {before}, now "
                 f"{ {d: counts.get(d) for d in watched} }")
        seen_after = time.monotonic() - injected
        _, mesh = get_json(f"{admin}/mesh.json", token)
        newest = next(t["dlq"]["newest"] for g in mesh["groups"] for t in g["topics"]
                      if t["dlq"]["topic"] == watched[0])
        if not newest or not newest["errorClass"]:
            fail(f"/mesh.json has no error for the newest dead letter of {watched[0]}: {newest}")
        row = page.eval(f"""[...document.querySelectorAll('#dlqs tbody tr')]
                           .map(r => r.innerText).find(t => t.startsWith({json.dumps(watched[0])}))""") or ""
        if newest["errorClass"] not in row:
            fail(f"the page's DLQ row for {watched[0]} does not show the error class {newest['errorClass']!r}: {row!r}")
        svg_text = page.eval(f"document.querySelector('[data-dlq=\"{watched[0]}\"]').textContent")
        if newest["errorClass"] not in svg_text:
            fail(f"the topology's DLQ box of {watched[0]} does not show the error: {svg_text!r}")
        log(f"dead letters shown {seen_after:.1f} s after the poison: "
            f"{ {d: f'{before[d]}->{counts[d]}' for d in watched} }; newest error {newest['errorClass']}: "
            f"{newest['errorMessage'][:80]}")

        # Traffic through the gateway while the screenshot is taken, so that it shows edges at work
        # (distinct pages: the gateway's response cache would answer repeats itself).
        gateway = os.environ.get("GATEWAY_URL")
        stop_traffic = threading.Event()

        def traffic() -> None:
            k = 0
            while gateway and not stop_traffic.is_set():
                k += 1
                for path in (f"/api/products?limit=5&page={k}", f"/api/products?q=mesh{k}", "/api/health"):
                    try:
                        urllib.request.urlopen(f"{gateway}{path}", timeout=5).read()
                    except urllib.error.URLError:
                        pass
                time.sleep(0.02)

        load = threading.Thread(target=traffic, daemon=True)
        load.start()
        time.sleep(4.5)  # two rounds: the latest interval is all traffic

        # The screenshot, of the whole page.
        height = page.eval("Math.ceil(document.documentElement.scrollHeight)")
        page.call("Emulation.setDeviceMetricsOverride", width=1500, height=height, deviceScaleFactor=1, mobile=False)
        time.sleep(0.3)
        shot = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
        with open(args.screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        stop_traffic.set()
        load.join()
        log(f"screenshot: {args.screenshot} (1500x{height})")
    finally:
        stop_chromium(proc)
        shutil.rmtree(profile, ignore_errors=True)

    # 4. meshctl top agrees with /mesh.json.
    check_meshctl_agrees(admin, token, args.meshctl)
    log("PASS")


if __name__ == "__main__":
    main()
