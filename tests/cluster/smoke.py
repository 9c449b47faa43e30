#!/usr/bin/env python3
"""Cluster-mode smoke (`make test`, `make cluster-smoke`), inside
`KAFKA_NODES=3 REPLICAS=2 scripts/stack ephemeral -- python3 tests/cluster/smoke.py [--out FILE]`:

1. the topology is what cluster mode promises: three brokers in the metadata; every topic's partitions
   on three replicas, all in sync, with min.insync.replicas=2 and unclean leader election off; every
   consumer group's partitions spread over both instances of its service, each a static member under
   its own id; exactly one active outbox relay per service database;
2. one order end to end (register, log in, a product made by the admin, the order CONFIRMED);
3. an instance of products killed -9: every order is still accepted at its first attempt, through both
   instances of orders (the one that prefers the dead products instance falls back on the other); then
   started again;
4. a Kafka broker killed -9 (the leader of order.events partition 0): the next orders are still
   confirmed, `meshctl order` still shows an order's timeline (run within seconds of the kill, while its
   metadata may still name the dead leader), the dead broker leaves every in-sync replica set and leads
   no partition;
5. the instance of orders whose relay is active killed -9: the other instance's relay takes the slot
   over (never both active), and the next order is confirmed;
6. with --takeovers N (a measurement, not in `make test`): everything restarted, then the active relay of
   every service database killed -9 N times over, each takeover timed.

Prints one line per check and the figures (time to confirmation after each kill, relay takeover), writes
them as JSON to --out. Exit 0 only if every check holds. Python 3 standard library, kcat, meshctl, and
the Kafka jars' ConfigCommand (one JVM run for every topic's configuration).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))
import kit  # noqa: E402  (the fault suite's stack, API and Kafka helpers)

RELAYS = kit.RELAYS
CONFIRM_WITHIN = 90.0   # s: an order must be confirmed within this after it is accepted (a broker is
                        # fenced after 9 s, a killed static member's partitions wait for its 10 s session)


def log(msg: str) -> None:
    print(f"[cluster-smoke] {time.strftime('%H:%M:%S')} {msg}", flush=True)


class Checks:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.passed = 0

    def check(self, ok: bool, what: str) -> bool:
        if ok:
            self.passed += 1
            log(f"ok   {what}")
        else:
            self.failures.append(what)
            log(f"FAIL {what}")
        return ok


def instances(service: str) -> list[tuple[str, str]]:
    """(name, base URL) of each instance of a service, from the stack's <NAME>_URLS."""
    urls = kit.env(f"{service.upper()}_URLS").split(",")
    return [(f"{service}-{i}", url) for i, url in enumerate(urls, start=1)]


relay_active = kit.relay_active


def active_relays(service: str) -> dict[str, int | None]:
    return {name: relay_active(url) for name, url in instances(service)}


def metadata(brokers: str) -> dict:
    r = subprocess.run(["kcat", "-b", brokers, "-L", "-J"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"kcat -L: {r.stderr.strip()[:300]}")
    return json.loads(r.stdout)


def partitions(md: dict, topic: str) -> list[dict]:
    for t in md.get("topics", []):
        if t["topic"] == topic:
            return t.get("partitions", [])
    return []


def replica_ids(p: dict, key: str) -> list[int]:
    return sorted(r["id"] for r in p.get(key, []))


def topic_configs(brokers: str) -> dict[str, dict[str, str]]:
    """Every topic's effective configuration, as Kafka's own ConfigCommand describes it."""
    libs = os.path.join(kit.env("SHOPMESH_CACHE_DIR"), "kafka-3.9.1", "libs", "*")
    r = subprocess.run(["java", "-Xmx256m", "-Dlog4j.configuration=file:/dev/null", "-cp", libs,
                        "kafka.admin.ConfigCommand", "--bootstrap-server", brokers, "--entity-type", "topics",
                        "--describe", "--all"], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"ConfigCommand: {r.stderr.strip()[-300:]}")
    out: dict[str, dict[str, str]] = {}
    topic = None
    for line in r.stdout.splitlines():
        if line.startswith("All configs for topic "):
            topic = line[len("All configs for topic "):].removesuffix(" are:")
            out[topic] = {}
        elif topic and line.startswith("  ") and "=" in line:
            key, _, rest = line.strip().partition("=")
            out[topic][key] = rest.split(" ", 1)[0]
    return out


def check_topology(c: Checks, stack: kit.Stack, bus: kit.Bus, nodes: int, replicas: int) -> None:
    md = metadata(stack.brokers)
    c.check(sorted(b["id"] for b in md.get("brokers", [])) == list(range(1, nodes + 1)),
            f"the metadata names brokers 1..{nodes}")
    expected = bus.topics + [d for d, _, _ in bus.dlq_topics()]
    bad = []
    for topic in expected:
        ps = partitions(md, topic)
        if not ps:
            bad.append(f"{topic}: missing")
        for p in ps:
            if len(p.get("replicas", [])) != 3 or replica_ids(p, "isrs") != replica_ids(p, "replicas"):
                bad.append(f"{topic}[{p['partition']}] replicas {replica_ids(p, 'replicas')} "
                           f"in sync {replica_ids(p, 'isrs')}")
    c.check(not bad, f"{len(expected)} topics: every partition on 3 replicas, all in sync {bad[:3]}")
    configs = topic_configs(stack.brokers)
    bad = [t for t in expected if configs.get(t, {}).get("min.insync.replicas") != "2"
           or configs.get(t, {}).get("unclean.leader.election.enable") != "false"]
    c.check(not bad, f"every topic has min.insync.replicas=2 and unclean.leader.election.enable=false {bad[:3]}")

    # Each group's partitions spread over its service's instances, each a static member (worker 0 of
    # instance r is "<service>-<r>-0").
    def spread() -> list[str]:
        problems = []
        listed = {t["topic"]: t for t in bus.meshctl("topics")}
        for group, topics in bus.groups.items():
            want = {f"{group}-{r}-0" for r in range(1, replicas + 1)}
            for topic in topics:
                t = listed.get(topic, {"groups": [], "partitions": 0})
                g = next((g for g in t["groups"] if g["group"] == group), None)
                if g is None:
                    problems.append(f"{group} does not consume {topic}")
                    continue
                members = {a["member"]: a for a in g.get("assignment", [])}
                owned = sorted(p for a in members.values() for p in a["partitions"])
                if set(members) != want or not all(a["static"] for a in members.values()):
                    problems.append(f"{group} on {topic}: members {sorted(members)}")
                elif owned != list(range(t["partitions"])):
                    problems.append(f"{group} on {topic}: partitions {owned}")
                elif t["partitions"] >= replicas and any(not a["partitions"] for a in members.values()):
                    problems.append(f"{group} on {topic}: an instance without partitions")
        return problems
    kit.eventually(lambda: not spread(), 60)  # a group is balanced a moment after its members join
    problems = spread()
    c.check(not problems, f"every consumer group spreads its partitions over its {replicas} instances, "
                          f"each a static member {problems[:3]}")

    # One active relay per database, sampled a few times (once each has had its first look at its slot).
    kit.eventually(lambda: all(sum(x or 0 for x in active_relays(s).values()) == 1 for s in RELAYS), 30)
    samples = []
    for _ in range(5):
        samples.append({s: active_relays(s) for s in RELAYS})
        time.sleep(0.2)
    bad = sorted({f"{s}: {v}" for sample in samples for s, v in sample.items()
                  if sum(x or 0 for x in v.values()) != 1})
    c.check(not bad, f"exactly one outbox relay active per database in 5 samples {bad[:3]}")


def wait_confirmed(api: kit.Api, user: kit.User, order_id: str, timeout: float) -> str:
    def status():
        code, body = kit.user_call(api, user, "GET", f"/api/orders/{order_id}")
        s = body.get("status") if code == 200 and isinstance(body, dict) else None
        return s if s in kit.SETTLED else None
    return kit.eventually(status, timeout, 0.1) or "PENDING"


def order(api: kit.Api, user: kit.User, product: str, retry_for: float = 30,
          timeline: Checks | None = None) -> tuple[str, float]:
    """Places one order (retrying a failed attempt with the same Idempotency-Key); (status, seconds from the
    first attempt to the order settled). With `timeline`, prints the order's events across topics and who
    applied each when (`meshctl order`): where the time went; and checks that meshctl answered."""
    intent = kit.Intent(str(uuid.uuid4()), user, [{"productId": product, "quantity": 1}], kit.now())
    kit.place(api, intent, retry_for)
    if not intent.accepted:
        return f"not accepted {intent.codes}", kit.now() - intent.started
    status = wait_confirmed(api, user, intent.order_id, CONFIRM_WITHIN)
    took = kit.now() - intent.started
    if timeline:
        t = kit.now()
        try:
            r = subprocess.run([os.path.join(kit.env("SHOPMESH_BUILD_DIR"), "bin", "meshctl"), "--color", "never",
                                "order", intent.order_id], capture_output=True, text=True, timeout=60)
            for line in (r.stdout or r.stderr).splitlines():
                log(f"     | {line}")
            answered = r.returncode == 0
        except subprocess.TimeoutExpired:
            answered = False
        timeline.check(answered, f"meshctl order shows the order's timeline ({kit.now() - t:.1f} s)")
    return status, took


def measure_takeovers(c: Checks, stack: kit.Stack, rounds: int, figures: dict) -> None:
    """Kills -9 the instance holding each database's relay, `rounds` times over, and times until the other
    instance's relay has the slot; the killed instance is started again (standing by) after each kill."""
    log(f"6. relay takeovers, {rounds} round(s) over {len(RELAYS)} databases")
    t = kit.now()
    stack.up()  # what the smoke killed comes back
    figures["restartSeconds"] = round(kit.now() - t, 1)
    times: dict[str, list[float]] = {s: [] for s in RELAYS}
    for _ in range(rounds):
        for service in RELAYS:
            kit.eventually(lambda: sum(x or 0 for x in active_relays(service).values()) == 1, 30)
            relays = active_relays(service)
            active = [n for n, v in relays.items() if v == 1]
            if not c.check(len(active) == 1, f"{service}: one relay active before the kill ({relays})"):
                continue
            pid = stack.kill(active[0], signal.SIGKILL)
            t_kill = kit.now()
            survivor = [u for n, u in instances(service) if n != active[0]][0]
            took_over = kit.eventually(lambda: relay_active(survivor) == 1, 30, 0.02)
            elapsed = kit.now() - t_kill
            c.check(bool(took_over), f"{service}: taken over {elapsed:.2f} s after {active[0]} was killed -9")
            times[service].append(round(elapsed, 3))
            stack.wait_gone(pid)
            stack.up()
    flat = sorted(x for v in times.values() for x in v)
    figures["takeoverSeconds"] = times
    if flat:
        figures["takeoverSummary"] = {"n": len(flat), "min": flat[0], "median": flat[len(flat) // 2],
                                      "max": flat[-1]}
        log(f"relay takeover over {len(flat)} kills: min {flat[0]:.2f} s, median {flat[len(flat) // 2]:.2f} s, "
            f"max {flat[-1]:.2f} s")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="write the figures here as JSON")
    ap.add_argument("--takeovers", type=int, default=0, metavar="N",
                    help="then kill -9 the active relay of every service database N times and time each takeover")
    args = ap.parse_args()
    nodes, replicas = int(os.environ.get("KAFKA_NODES", "1")), int(os.environ.get("REPLICAS", "1"))
    if nodes < 3 or replicas < 2:
        raise SystemExit("cluster smoke: needs KAFKA_NODES=3 REPLICAS=2 (run it with `make cluster-smoke`)")
    c = Checks()
    stack, figures = kit.Stack(), {"kafkaNodes": nodes, "replicas": replicas}
    if os.environ.get("SHOPMESH_STACK_UP_MS"):
        figures["stackUpSeconds"] = round(int(os.environ["SHOPMESH_STACK_UP_MS"]) / 1000, 1)
    bus = kit.Bus(stack)
    t0 = kit.now()

    log("1. topology")
    check_topology(c, stack, bus, nodes, replicas)

    log("2. one order end to end")
    admin = kit.Admin(stack.gateway_url)
    product = admin.product("cluster", 1000)
    user = kit.register_users(stack.gateway_url, 1, "cluster", threads=1)[0]
    api = kit.Api(stack.gateway_url)
    status, took = order(api, user, product)
    figures["firstOrderSeconds"] = round(took, 3)
    c.check(status == "CONFIRMED", f"an order is CONFIRMED ({status} after {took:.2f} s)")

    log("3. an instance of products killed -9: its callers fall back on the other instance")
    victim = instances("products")[0][0]
    pid = stack.kill(victim, signal.SIGKILL)
    stack.wait_gone(pid)
    intents = [kit.Intent(str(uuid.uuid4()), user, [{"productId": product, "quantity": 1}], kit.now())
               for _ in range(2 * replicas)]  # the gateway's round robin sends some to each orders instance
    for intent in intents:
        kit.place(api, intent, retry_for=0)
    c.check(all(i.codes == [201] for i in intents),
            f"with {victim} down, every order is accepted at its first attempt through every orders instance "
            f"(answers {[i.codes for i in intents]})")
    t = kit.now()
    stack.up()
    c.check(kit.eventually(stack.all_healthy, 60), f"{victim} started again and healthy ({kit.now() - t:.1f} s)")

    log("4. a broker killed -9")
    md = metadata(stack.brokers)
    victim_id = next(p["leader"] for p in partitions(md, "order.events") if p["partition"] == 0)
    victim = f"kafka-{victim_id}"
    pid = stack.kill(victim, signal.SIGKILL)
    stack.wait_gone(pid)
    figures["brokerKilled"] = victim
    log(f"{victim} (pid {pid}, leader of order.events[0]) killed -9")
    times = []
    for i in range(3):
        status, took = order(api, user, product, retry_for=60, timeline=c if i == 0 else None)
        times.append(round(took, 3))
        c.check(status == "CONFIRMED",
                f"order {i + 1} after the broker kill is CONFIRMED ({status} after {took:.2f} s)")
    figures["ordersAfterBrokerKillSeconds"] = times

    def victim_gone():
        m = metadata(stack.brokers)
        left = [f"{t['topic']}[{p['partition']}]" for t in m.get("topics", []) if not t["topic"].startswith("__")
                for p in t.get("partitions", []) if p.get("leader") == victim_id
                or victim_id in replica_ids(p, "isrs")]
        return None if left else m
    c.check(kit.eventually(victim_gone, 30) is not None,
            f"{victim} leads no partition and is in no in-sync replica set (2 of 3 in sync)")

    log("5. the active orders relay killed -9")
    relays = active_relays("orders")
    active = [n for n, v in relays.items() if v == 1]
    if c.check(len(active) == 1, f"one orders relay is active ({relays})"):
        pid = stack.kill(active[0], signal.SIGKILL)
        t_kill = kit.now()
        stack.wait_gone(pid)
        survivor = [(n, u) for n, u in instances("orders") if n != active[0]][0]
        took_over = kit.eventually(lambda: relay_active(survivor[1]) == 1, 30, 0.05)
        takeover = kit.now() - t_kill
        figures["relayTakeoverSeconds"] = round(takeover, 3)
        c.check(bool(took_over), f"{survivor[0]}'s relay took the slot over {takeover:.2f} s after {active[0]} "
                                 f"was killed -9")
        status, took = order(api, user, product, retry_for=60, timeline=c)
        figures["orderAfterRelayKillSeconds"] = round(took, 3)
        c.check(status == "CONFIRMED", f"the next order is CONFIRMED ({status} after {took:.2f} s)")
        others = {s: active_relays(s) for s in RELAYS if s != "orders"}
        bad = [s for s, v in others.items() if sum(x or 0 for x in v.values()) != 1]
        c.check(not bad, f"the other databases still have exactly one active relay each {bad}")

    api.close()

    if args.takeovers:
        measure_takeovers(c, stack, args.takeovers, figures)

    figures["seconds"] = round(kit.now() - t0, 1)
    figures["passed"], figures["failed"] = c.passed, c.failures
    log(f"figures: {json.dumps(figures)}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(figures, f, indent=2)
    log(f"{c.passed} checks passed, {len(c.failures)} failed in {figures['seconds']} s")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
