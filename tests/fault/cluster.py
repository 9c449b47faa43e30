"""The fault catalogue of the cluster topology (`make fault TOPOLOGY=cluster`, `scripts/fault --topology cluster`):
three KRaft nodes (replication factor 3, min.insync.replicas 2) and two instances of every service, under the same
order load and ending with the same invariants as the single-node scenarios of scenarios.py, whose runner it uses.

  k-leader-kill       the leader of order.events partition 0 killed -9, restarted 5 s later
  k-controller-kill   the active KRaft controller (from the nodes' quorum-state files) killed -9, restarted 5 s later
  s-kill-instances    one instance of each service killed -9 in turn (auth-1, users-2, ...), each restarted 3 s later
  s-relay-kill        the instance holding the active outbox relay of orders, then of stock, killed -9 mid-burst
  k-broker-stop-60s   one broker (not the active controller) stopped (SIGTERM, graceful) for 60 s while orders
                      flow: accepted and confirmed with 2 of 3 replicas in sync, confirmation latency measured
                      during the outage

For the broker faults the scenario also reports the pause the order pipeline saw (the longest time no order was
confirmed, and the slowest order from commit to confirmation) against what Kafka did meanwhile, sampled every
0.25 s: when the dead node left every in-sync replica set, when its partitions had new leaders, when a new KRaft
controller was elected, when the node was back and every replica in sync again.
"""
from __future__ import annotations

import os
import signal
import time
from collections import Counter

from kit import RELAYS, SERVICES, Sampler, Stack, eventually, log, now, relay_active, sql, uuid_array
from scenarios import BURST_BEFORE_FAULT, OFF_PATH, Burst, Ctx, Fault, accepted_floor, run_scenario

# A broker kill may stall the pipeline for the leader election (the controller fences the dead broker
# broker.session.timeout.ms after its last heartbeat, then moves its partitions' leadership); confirmations must
# resume within this much after the new leaders are in the metadata (the clients learn them from a metadata
# refresh, and a consumer whose group coordinator moved is recreated); when the dead node's group coordinators were
# away longer than the consumers' session timeout, so that they had to rejoin, that session timeout is allowed too
# (and the report says so).
STALL_SLACK = float(os.environ.get("FAULT_CLUSTER_STALL_SLACK_S", "5"))
# During the 60 s broker stop, an order accepted more than this before the broker returned must have been
# confirmed (or rejected) before it returned, for at least SETTLED_IN_OUTAGE of them.
OUTAGE_SETTLE_S = 10.0
SETTLED_IN_OUTAGE = 0.9
CONSUMER_SESSION_S = 10.0  # ConsumerOptions::session_timeout (events/include/shopmesh/events/consumer.hpp)


def require_cluster(stack: Stack) -> None:
    nodes, replicas = len(stack.kafka_nodes), min(len(v) for v in stack.instances.values())
    if nodes < 3 or replicas < 2:
        raise SystemExit(f"cluster faults: need KAFKA_NODES=3 REPLICAS=2, this stack has {nodes} Kafka node(s) and"
                         f" {replicas} instance(s) per service (run them with scripts/fault --topology cluster)")


def describe(stack: Stack) -> dict:
    return {"kafkaNodes": len(stack.kafka_nodes), "replicas": min(len(v) for v in stack.instances.values()),
            "replicationFactor": int(os.environ.get("KAFKA_REPLICATION_FACTOR", "0")),
            "minInsyncReplicas": int(os.environ.get("KAFKA_MIN_INSYNC_REPLICAS", "0")),
            "brokerSessionTimeoutMs": broker_setting(stack, "broker.session.timeout.ms")}


def broker_setting(stack: Stack, key: str) -> str | None:
    """A setting of the first Kafka node's server.properties (the nodes share them)."""
    path = os.path.join(stack.state, "kafka", "node-1" if stack.cluster else "", "server.properties")
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + "="):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


# ============================================================================ Kafka's view while a node is away
def replica_ids(p: dict, key: str) -> set[int]:
    return {r["id"] for r in p.get(key, [])}


class ClusterWatch(Sampler):
    """Samples, every 0.25 s, the cluster's metadata (which brokers it names, each partition's leader and in-sync
    replicas, `__consumer_offsets` included) and the KRaft quorum's leader from the nodes' quorum-state files."""

    def __init__(self, stack: Stack, victim_id: int) -> None:
        self.stack, self.victim = stack, victim_id
        self.samples: list[tuple[float, dict]] = []
        super().__init__(0.25)

    def tick(self, t: float) -> None:
        self.samples.append((t, self.sample()))

    def sample(self) -> dict:
        s: dict = {"controller": self.stack.active_controller()}
        try:
            md = self.stack.metadata()
        except Exception as e:  # no broker answered in time: recorded as such
            s["error"] = str(e)[:200]
            return s
        parts = [p for t in md.get("topics", []) for p in t.get("partitions", [])]
        s["brokers"] = sorted(b["id"] for b in md.get("brokers", []))
        s["partitions"] = len(parts)
        s["led"] = sum(1 for p in parts if p.get("leader") == self.victim)
        s["leaderless"] = sum(1 for p in parts if p.get("leader", -1) < 0)
        s["inIsr"] = sum(1 for p in parts if self.victim in replica_ids(p, "isrs"))
        s["minIsr"] = min((len(replica_ids(p, "isrs")) for p in parts), default=0)
        s["underMinIsr"] = sum(1 for p in parts if len(replica_ids(p, "isrs")) < 2)
        s["fullIsr"] = sum(1 for p in parts if replica_ids(p, "isrs") == replica_ids(p, "replicas"))
        return s

    def first(self, pred, after: float) -> float | None:
        """The time of the first sample taken at or after `after` for which pred holds."""
        for t, s in list(self.samples):
            if t >= after and "error" not in s and pred(s):
                return t
        return None

    def first_controller(self, t: float | None) -> int:
        """The KRaft leader the sample taken at t saw."""
        return next((s["controller"][0] for ts, s in list(self.samples) if ts == t), -1)

    def during(self, t_from: float, t_to: float) -> list[dict]:
        return [s for t, s in list(self.samples) if t_from <= t <= t_to and "error" not in s]


def leader_of(stack: Stack, topic: str, partition: int) -> int:
    for t in stack.metadata(topic).get("topics", []):
        for p in t.get("partitions", []):
            if p["partition"] == partition and p.get("leader", -1) >= 0:
                return p["leader"]
    raise RuntimeError(f"{topic}[{partition}] has no leader")


def node_summary(stack: Stack, victim_id: int) -> str:
    md = stack.metadata()
    parts = [p for t in md.get("topics", []) for p in t.get("partitions", [])]
    led = sum(1 for p in parts if p.get("leader") == victim_id)
    return f"it led {led} of {len(parts)} partitions"


# ============================================================================ the order pipeline's view
def settle_times(ctx: Ctx, intents) -> list[tuple[float, float]]:
    """(committed, confirmed or rejected) wall-clock times of the accepted orders that were confirmed or rejected
    (cancelled ones are left out: their last change is the cancellation), from the orders database."""
    ids = [i.order_id for i in intents if i.accepted]
    if not ids:
        return []
    rows = sql(ctx.stack.db["orders"], f"""
        SELECT extract(epoch FROM created_at), extract(epoch FROM updated_at) FROM orders
        WHERE id = ANY({uuid_array(ids)}) AND status IN ('CONFIRMED', 'REJECTED')""", timeout=60)
    return sorted((float(c), float(u)) for c, u in rows)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def longest_pause(times: list[tuple[float, float]], wall_from: float, wall_to: float) -> tuple[float, float, float]:
    """(seconds, start, end) of the longest time without a confirmation among pauses that end after wall_from and
    start before wall_to."""
    settled = sorted(u for _, u in times)
    gaps = [(b - a, a, b) for a, b in zip(settled, settled[1:]) if b > wall_from and a < wall_to]
    return max(gaps, default=(0.0, wall_from, wall_from))


def pipeline_figures(times: list[tuple[float, float]], wall_fault: float, wall_to: float) -> dict:
    """The pause the pipeline saw around a fault at wall_fault, against the same figures over the 10 s before."""
    pause, start, end = longest_pause(times, wall_fault, wall_to)
    before_pause, _, _ = longest_pause(times, wall_fault - 10, wall_fault - 0.5) if \
        any(u < wall_fault for _, u in times) else (None, 0, 0)
    latency_before = [u - c for c, u in times if wall_fault - 10 <= c < wall_fault - 1 and u < wall_fault]
    around = [u - c for c, u in times if wall_fault - 5 <= c <= wall_to]
    return {"pauseSeconds": round(pause, 2), "pauseStart": start, "pauseEnd": end,
            "pauseBeforeSeconds": round(before_pause, 2) if before_pause is not None else None,
            "slowestOrderSeconds": round(max(around), 2) if around else None,
            "medianBeforeSeconds": round(pct(latency_before, 0.5), 3) if latency_before else None}


# ============================================================================ broker faults
class NodeFault(Fault):
    """One Kafka node signalled (kill -9, or SIGTERM for a graceful stop), left down `down_s`, restarted with
    `scripts/stack up`; Kafka's view sampled by a ClusterWatch from before the signal until every replica is in
    sync again."""

    ROLE = ""

    def __init__(self, down_s: float, sig: int = signal.SIGKILL) -> None:
        super().__init__()
        self.down_s, self.sig = down_s, sig
        self.victim, self.victim_id = "", 0
        self.watch: ClusterWatch | None = None
        self.controller_before = (-1, -1)
        self._ctx: Ctx | None = None

    def pick(self, ctx: Ctx) -> int:
        raise NotImplementedError

    def during_outage(self, ctx: Ctx) -> None:
        """What to do while the node is down (default: wait)."""
        time.sleep(max(0.0, self.t_fault + self.down_s - now()))

    def __call__(self, ctx: Ctx) -> None:
        self._ctx = ctx
        self.victim_id = self.pick(ctx)
        self.victim = ctx.stack.node_name(self.victim_id)
        self.controller_before = ctx.stack.active_controller()
        also = " (also the active controller)" if self.controller_before[0] == self.victim_id and \
            not isinstance(self, ControllerKill) else ""
        self.notes.append(f"{self.victim}, {self.ROLE}{also}, got signal {int(self.sig)};"
                          f" {node_summary(ctx.stack, self.victim_id)}"
                          f"; the active controller was kafka-{self.controller_before[0]} (epoch"
                          f" {self.controller_before[1]})")
        self.watch = ClusterWatch(ctx.stack, self.victim_id).start()
        time.sleep(0.5)  # a sample or two of the healthy cluster
        try:
            self.t_fault, self.wall_fault = now(), time.time()
            pid = ctx.stack.kill(self.victim, self.sig)
            if not ctx.stack.wait_gone(pid, 60):
                self.notes.append(f"{self.victim} (pid {pid}) still exists 60 s after signal {int(self.sig)}")
            self.figures["exitedSeconds"] = round(now() - self.t_fault, 1)
            self.during_outage(ctx)
            self.t_cleared = now()
            took = ctx.stack.up()
            self.notes.append(f"restarted by scripts/stack up {self.t_cleared - self.t_fault:.1f}s after the signal"
                              f" (up took {took:.1f}s: it waits until the metadata names the broker again)")
            eventually(lambda: self.in_sync_again() is not None, 90, 0.5)
        finally:
            self.watch.stop()
        self.kafka_view(ctx)

    def in_sync_again(self) -> float | None:
        """When every replica was in sync again after the restart, once the node had left the in-sync sets (until
        the controller fences a killed node, the sets still name it)."""
        fenced = self.watch.first(lambda s: s["inIsr"] == 0, self.t_fault)
        if fenced is None:
            return None
        return self.watch.first(lambda s: s["fullIsr"] == s["partitions"], max(fenced, self.t_cleared))

    def kafka_view(self, ctx: Ctx) -> None:
        w, t0 = self.watch, self.t_fault
        rel = lambda t: round(t - t0, 1) if t is not None else None  # noqa: E731
        fenced = w.first(lambda s: s["inIsr"] == 0, t0)
        moved = w.first(lambda s: s["led"] == 0 and s["leaderless"] == 0, t0)
        # the node is named by the metadata until the controller fences it, and again once it registered anew
        absent = w.first(lambda s: self.victim_id not in s["brokers"], t0)
        back = w.first(lambda s: self.victim_id in s["brokers"], max(absent, self.t_cleared)) if absent else None
        in_sync = self.in_sync_again()
        epoch = self.controller_before[1]
        elected = w.first(lambda s: s["controller"][1] > epoch and s["controller"][0] not in (-1, self.victim_id), t0)
        self.figures.update({"victim": self.victim, "outOfIsrSeconds": rel(fenced), "leadersMovedSeconds": rel(moved),
                             "controllerElectedSeconds": rel(elected), "nodeBackSeconds": rel(back),
                             "inSyncAgainSeconds": rel(in_sync)})
        down = w.during(moved, back or in_sync or now()) if moved else []
        if down:
            self.figures["minIsrWhileDown"] = min(s["minIsr"] for s in down)
            self.figures["underMinIsrWhileDown"] = max(s["underMinIsr"] for s in down)
        self.notes.append(
            "Kafka, from the signal: " + ", ".join(x for x in (
                f"{self.victim} out of every in-sync replica set +{rel(fenced)}s" if fenced else
                f"{self.victim} still in an in-sync replica set",
                f"its partitions led by others +{rel(moved)}s" if moved else "its partitions never moved",
                f"a new KRaft controller kafka-{w.first_controller(elected)} +{rel(elected)}s" if elected else "",
                f"{self.victim} named by the metadata again +{rel(back)}s" if back else "",
                f"every replica in sync again +{rel(in_sync)}s" if in_sync else "not every replica in sync again")
                if x)
            + (f"; while it was down every partition kept {self.figures['minIsrWhileDown']}+ replicas in sync" if down
               else ""))

    def stall(self, ctx: Ctx, intents, state: dict) -> dict[str, list[str]]:
        """The pipeline's pause around the signal against the leader election; fails when confirmations resumed
        more than STALL_SLACK after the new leaders were in the metadata."""
        out: dict[str, list[str]] = {"stall": []}
        times = settle_times(ctx, intents)
        f = pipeline_figures(times, self.wall_fault, self.wall_fault + 30)
        start, end = f.pop("pauseStart"), f.pop("pauseEnd")
        self.figures.update(f)
        moved = self.figures.get("leadersMovedSeconds")
        resumed = end - self.wall_fault
        self.figures["confirmationsResumedSeconds"] = round(resumed, 1)
        session = broker_setting(ctx.stack, "broker.session.timeout.ms")
        if moved is None:
            self.figures["stallSetBy"] = "the dead node's partitions were never seen to move"
            out["stall"].append("the watch never saw the dead node's partitions led by others")
        elif self.sig == signal.SIGKILL:
            elected = self.figures.get("controllerElectedSeconds")
            self.figures["stallSetBy"] = (
                (f"the KRaft election: a new controller +{elected}s, which fenced {self.victim}"
                 f" {self.figures['outOfIsrSeconds'] - elected:.1f}s after its election; " if
                 elected is not None and self.figures.get("outOfIsrSeconds") is not None else "")
                + f"the leader election: {self.victim} left the in-sync sets +{self.figures['outOfIsrSeconds']}s"
                f" (broker.session.timeout.ms={session}: the controller fences it once its heartbeats stop, until"
                f" then no acks=all write completes), its partitions led by others +{moved}s; confirmations resumed"
                f" {resumed - moved:+.1f}s after that")
        else:
            self.figures["stallSetBy"] = (f"controlled shutdown: {self.victim}'s partitions led by others +{moved}s;"
                                          f" confirmations resumed {resumed - moved:+.1f}s after that")
        self.notes.append(f"pipeline: longest pause without a confirmation {f['pauseSeconds']:.1f}s"
                          f" (+{start - self.wall_fault:.1f}…+{resumed:.1f}s; before the fault at most"
                          f" {f['pauseBeforeSeconds']}s), slowest order {f['slowestOrderSeconds']}s from commit to"
                          f" confirmation (median before {f['medianBeforeSeconds']}s)")
        events = ctx.stack.client_events(self.wall_fault, end + 1)
        kinds = Counter(kind for _, _, kind, _ in events)
        self.figures["clientEvents"] = dict(kinds)
        # Group coordinators on the dead node unreachable for longer than the consumers' session: each consumer
        # gives its membership up and rejoins (librdkafka then fences the static member's old incarnation and
        # the runner recreates it), which the pipeline waits on beyond the election.
        rejoined = kinds.get("group session timed out", 0)
        allowed = STALL_SLACK + (CONSUMER_SESSION_S if rejoined else 0)
        if moved is not None and rejoined:
            recreated = kinds.get("consumer recreated after a fatal error", 0)
            self.figures["stallSetBy"] += (
                f"; {rejoined} consumer group session(s) timed out meanwhile (session.timeout.ms"
                f" {CONSUMER_SESSION_S * 1000:.0f}: their coordinator was unreachable longer than that) and"
                f" {recreated} consumer(s) were recreated after being fenced on rejoining: the time after the"
                " election")
        if moved is not None and resumed > moved + allowed:
            out["stall"].append(f"confirmations resumed {resumed:.1f}s after the signal, {resumed - moved:.1f}s after"
                                f" the new leaders (more than {allowed:.0f}s beyond the leader election"
                                + (", consumers' rejoining included)" if rejoined else ")"))
        if events:
            shown = events[:10]
            self.notes.append("clients, from the signal to the pipeline's resumption: " + "; ".join(
                f"+{t - self.wall_fault:.1f}s {name}: {kind}" + (f" ({detail})" if detail else "")
                for t, name, kind, detail in shown) + (f"; ... {len(events) - len(shown)} more"
                                                       if len(events) > len(shown) else ""))
        return out

    def check(self, intents, state: dict) -> dict[str, list[str]]:
        out = self.stall(self._ctx, intents, state) if self.t_fault is not None else {}
        if self.watch and self.figures.get("inSyncAgainSeconds") is None:
            out.setdefault("kafka", []).append(f"not every replica was in sync again after {self.victim} returned")
        return out


class LeaderKill(NodeFault):
    ROLE = "the leader of order.events partition 0"

    def pick(self, ctx: Ctx) -> int:
        return leader_of(ctx.stack, "order.events", 0)


class ControllerKill(NodeFault):
    ROLE = "the active KRaft controller"

    def pick(self, ctx: Ctx) -> int:
        # the quorum may be between two leaders (a starved node's fetches time out and it calls an election)
        if not eventually(lambda: ctx.stack.active_controller()[0] >= 0, 30):
            raise RuntimeError(f"no KRaft leader in the nodes' quorum-state files for 30 s"
                               f" ({ctx.stack.active_controller()})")
        return ctx.stack.active_controller()[0]


class BrokerStop(NodeFault):
    """A broker stopped gracefully (SIGTERM: a controlled shutdown moves its leadership first) for `down_s` while
    orders flow: accepted and confirmed meanwhile with 2 of 3 replicas in sync; the confirmation latency of the
    orders committed during the outage is measured."""

    ROLE = "a broker that is not the active controller, the leader of order.events[0] if it is not (graceful stop)"

    def __init__(self, down_s: float = 60.0) -> None:
        super().__init__(down_s, signal.SIGTERM)

    def pick(self, ctx: Ctx) -> int:
        """The leader of order.events[0], unless it is the active controller (whose loss is k-controller-kill's
        subject): then another node that is not."""
        leader, controller = leader_of(ctx.stack, "order.events", 0), ctx.stack.active_controller()[0]
        if leader != controller:
            return leader
        return next(ctx.stack.node_id(n) for n in ctx.stack.kafka_nodes if ctx.stack.node_id(n) != controller)

    def check(self, intents, state: dict) -> dict[str, list[str]]:
        out = super().check(intents, state)
        if self.t_fault is None or self.t_cleared is None:
            return out
        wall_back = self.wall_fault + (self.t_cleared - self.t_fault)
        times = settle_times(self._ctx, intents)
        during = [(c, u) for c, u in times if self.wall_fault <= c <= wall_back]
        latency = [u - c for c, u in during if u <= wall_back]
        accepted = [i for i in intents if i.accepted and self.t_fault <= i.done <= self.t_cleared]
        early = [(c, u) for c, u in during if c <= wall_back - OUTAGE_SETTLE_S]
        settled_early = sum(1 for _, u in early if u <= wall_back)
        self.figures.update({
            "acceptedDuringOutage": len(accepted), "confirmedDuringOutage": len(latency),
            "outageLatencyP50Seconds": round(pct(latency, 0.5), 3) if latency else None,
            "outageLatencyP95Seconds": round(pct(latency, 0.95), 3) if latency else None,
            "outageLatencyMaxSeconds": round(max(latency), 3) if latency else None})
        pause, _, _ = longest_pause(times, self.wall_fault + 15, wall_back)
        self.figures["outagePauseAfter15Seconds"] = round(pause, 2)
        self.notes.append(
            f"during the {self.t_cleared - self.t_fault:.0f}s outage: {len(accepted)} orders accepted, {len(latency)}"
            f" committed and confirmed (or rejected) before {self.victim} returned; commit to confirmation p50"
            f" {self.figures['outageLatencyP50Seconds']}s, p95 {self.figures['outageLatencyP95Seconds']}s, max"
            f" {self.figures['outageLatencyMaxSeconds']}s; from +15s on, the longest pause without a confirmation"
            f" {pause:.1f}s; of the {len(early)} committed more than {OUTAGE_SETTLE_S:.0f}s before it returned,"
            f" {settled_early} settled before it did")
        problems = []
        if not accepted:
            problems.append("no order was accepted during the outage")
        if not early or settled_early < SETTLED_IN_OUTAGE * len(early):
            problems.append(f"{settled_early} of {len(early)} orders committed during the outage settled before the"
                            f" broker returned (at least {SETTLED_IN_OUTAGE:.0%} must)")
        if self.figures.get("minIsrWhileDown", 0) < 2:
            problems.append(f"a partition had {self.figures.get('minIsrWhileDown')} replica(s) in sync while"
                            f" {self.victim} was down (min.insync.replicas 2)")
        out["outage"] = problems
        return out


# ============================================================================ service instance faults
class InstanceKills(Fault):
    """One instance of each service killed -9 in turn, the instance number alternating (auth-1, users-2, ...),
    each restarted `down_s` later with `scripts/stack up` before the next; recovery is counted from the last kill.
    The orders accepted while each instance was down are counted: the gateway's pool sends requests to the
    other instance."""

    def __init__(self, down_s: float = 3.0) -> None:
        super().__init__()
        self.down_s = down_s
        self.windows: list[tuple[str, float, float]] = []  # (instance, killed, healthy again)

    def __call__(self, ctx: Ctx) -> None:
        for k, service in enumerate(SERVICES):
            names = [n for n, _ in ctx.stack.instances[service]]
            name = names[k % len(names)]
            if not eventually(ctx.stack.all_healthy, 60):
                self.notes.append(f"not healthy before killing {name}: {ctx.stack.health()}")
            self.t_fault, self.wall_fault = now(), time.time()
            pid = ctx.stack.kill(name)
            ctx.stack.wait_gone(pid, 30)
            time.sleep(max(0.0, self.t_fault + self.down_s - now()))
            self.t_cleared = now()
            took = ctx.stack.up()
            healthy = eventually(ctx.stack.all_healthy, 60)
            self.windows.append((name, self.t_fault, now()))
            self.notes.append(f"{name} pid {pid} killed -9, restarted {self.t_cleared - self.t_fault:.1f}s later"
                              f" (up {took:.1f}s), every instance healthy "
                              + (f"{now() - self.t_fault:.1f}s after the kill" if healthy else "not within 60 s"))
        self.notes.append("recovery counted from the last kill")

    def check(self, intents, state: dict) -> dict[str, list[str]]:
        during = {}
        for name, t_from, t_to in self.windows:
            during[name] = sum(1 for i in intents if i.accepted and t_from <= i.done <= t_to)
        self.figures["acceptedWhileDown"] = during
        self.notes.append("orders accepted while each instance was down: "
                          + ", ".join(f"{n} {c}" for n, c in during.items()))
        return {"fault": [f"{len(self.windows)} of {len(SERVICES)} instances killed"]
                if len(self.windows) != len(SERVICES) else []}


def active_relays(ctx: Ctx, service: str) -> dict[str, int | None]:
    return {name: relay_active(url) for name, url in ctx.stack.instances[service]}


class ActiveRelayKill(Fault):
    """For each service, the instance whose outbox relay streams the database's slot (its outbox_relay_active
    gauge) killed -9 in the middle of a burst, so that events are in flight; the other instance's relay must take
    the slot over (timed), the killed one is restarted `down_s` later and must stand by: one active relay per
    database before and after, never two."""

    TAKEOVER_S = 15.0

    def __init__(self, services: tuple[str, ...] = ("orders", "stock"), down_s: float = 4.0) -> None:
        super().__init__()
        self.services, self.down_s = services, down_s
        self.takeover: dict[str, float | None] = {}
        self.problems: list[str] = []

    def __call__(self, ctx: Ctx) -> None:
        for service in self.services:
            if not eventually(lambda: sum(x or 0 for x in active_relays(ctx, service).values()) == 1, 30):
                self.problems.append(f"{service}: not exactly one active relay before the kill "
                                     f"({active_relays(ctx, service)})")
                continue
            relays = active_relays(ctx, service)
            victim = next(n for n, v in relays.items() if v == 1)
            survivor = next(u for n, u in ctx.stack.instances[service] if n != victim)
            burst = Burst(ctx).start()
            try:
                eventually(lambda: burst.accepted() >= BURST_BEFORE_FAULT, 30)
                in_burst = burst.accepted()
                self.t_fault, self.wall_fault = now(), time.time()
                pid = ctx.stack.kill(victim)
                took = eventually(lambda: relay_active(survivor) == 1, self.TAKEOVER_S, 0.02)
                self.takeover[service] = round(now() - self.t_fault, 2) if took else None
                ctx.stack.wait_gone(pid, 30)
                time.sleep(max(0.0, self.t_fault + self.down_s - now()))
                self.t_cleared = now()
                ctx.stack.up()
            finally:
                self.intents += burst.stop()
            after = eventually(lambda: active_relays(ctx, service) if sum(
                x or 0 for x in active_relays(ctx, service).values()) == 1 else None, 30)
            if not took:
                self.problems.append(f"{service}: the standby relay had not taken over {self.TAKEOVER_S:.0f}s after"
                                     f" {victim} was killed")
            if not after:
                self.problems.append(f"{service}: not exactly one active relay after {victim} restarted"
                                     f" ({active_relays(ctx, service)})")
            self.notes.append(
                f"{service}: {victim} (pid {pid}) held the active relay, killed -9 mid-burst ({in_burst} burst orders"
                f" accepted); the other instance's relay streamed the slot "
                + (f"{self.takeover[service]:.2f}s after the kill" if took else "never")
                + f"; {victim} restarted {self.t_cleared - self.t_fault:.1f}s after the kill"
                + (f", then one relay active per instance: {after}" if after else ""))
        self.figures["relayTakeoverSeconds"] = dict(self.takeover)
        others = {s: active_relays(ctx, s) for s in RELAYS}
        bad = [f"{s}: {v}" for s, v in others.items() if sum(x or 0 for x in v.values()) != 1]
        if bad:
            self.problems.append("databases without exactly one active relay at the end: " + "; ".join(bad))
        self.notes.append("recovery counted from the last kill")

    def check(self, intents, state: dict) -> dict[str, list[str]]:
        return {"relay": self.problems}


# ============================================================================ catalogue
def catalogue() -> list[tuple[str, str, int, object]]:
    """(id, title, minimum of accepted orders, runner) in run order. The minimums use scenarios.py's shares: the
    order path stays up in every one of these faults (the outbox is in the WAL, so Kafka is off the path, and the
    gateway sends to a service's other instance), so each is OFF_PATH, about half of what the run of 2026-12-05
    01:34 UTC accepted (98–100 % of the steady load; the relay kill's bursts come on top)."""
    def load(sid, title, fault_factory, share, duration, fault_at):
        minimum = accepted_floor(duration, share)
        return sid, title, minimum, lambda ctx: run_scenario(ctx, sid, title, fault_factory(), duration, fault_at,
                                                              minimum)

    return [
        load("k-leader-kill", "the leader of order.events[0] killed -9, restarted 5 s later",
             lambda: LeaderKill(5.0), OFF_PATH, 40.0, 10.0),
        load("k-controller-kill", "the active KRaft controller killed -9, restarted 5 s later",
             lambda: ControllerKill(5.0), OFF_PATH, 40.0, 10.0),
        load("s-kill-instances", "one instance of each service killed -9 in turn, each restarted 3 s later",
             InstanceKills, OFF_PATH, 100.0, 6.0),
        load("s-relay-kill", "the instance holding the active orders relay, then stock's, killed -9 mid-burst",
             ActiveRelayKill, OFF_PATH, 40.0, 6.0),
        load("k-broker-stop-60s", "one broker stopped (SIGTERM) for 60 s while orders flow, 2 of 3 in sync",
             BrokerStop, OFF_PATH, 85.0, 10.0),
    ]
