#!/usr/bin/env python3
"""Fault scenarios on the real stack, each under order load, each ending with the invariants of
invariants.py. Run inside `scripts/stack ephemeral -- ...` (scripts/fault does):

  tests/fault/scenarios.py --out build/fault/scenarios.json [--only ID[,ID...]] [--list] [--topology cluster]

With --topology cluster the catalogue is tests/fault/cluster.py's (a KAFKA_NODES=3 REPLICAS=2 stack; scripts/fault
--topology cluster runs it); without it, the single-node catalogue below.

Scenarios (one stack for all; each starts from a healthy mesh and checks its own invariants):
  a-kafka-kill          Kafka killed -9 for 10 s in a 60 s load
  race-kafka-restart    100 buyers for 10 units while Kafka is killed -9 and restarted
  b-kill-<svc>          each consumer service (stock, shipping, notification, orders) killed -9 and restarted
  c-pg-restart-fast     PostgreSQL restarted (pg_ctl restart -m fast)
  c-pg-kill             PostgreSQL postmaster killed -9, then started
  d-kill-<app>          the gateway and the other services (auth, users, products, cart) killed -9 and restarted
  d-rolling-sigterm     every component stopped with SIGTERM and restarted, one after the other
  e-poison              poison messages injected into every topic of contracts/topics.json
  f-relay-kill          the orders service, then the stock service, killed -9 mid-burst while their relays
                        have events not yet confirmed to their slots (counted), restarted 4 s later
  f-pg-restart-streaming  PostgreSQL restarted (fast) mid-burst while every relay streams its slot; each must
                        stream again and confirm past the restart
  f-relay-down-60s      the orders relay stalled 60 s (its walsender SIGSTOPped) while orders keep being
                        accepted; the slot's retained WAL recorded (SQL, meshctl, /health), bounded by
                        max_slot_wal_keep_size, and the backlog drained after SIGCONT
Each scenario also states the fewest orders it must have accepted (`--list` shows them; see OFF_PATH ... ON_PATH
below): a scenario that accepted fewer fails, whatever its invariants say.
Exit code 0 when every scenario passed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from invariants import Scope, check_api, check_dlq, event_log, settle  # noqa: E402
from kit import RELAYS, SETTLED, Admin, Api, Bus, Intent, Load, Monitor, Slot, Stack, User, basket_for, \
    eventually, http_get_json, log, now, place, register_users, sql, uuid_array  # noqa: E402

BUYERS = int(os.environ.get("FAULT_BUYERS", "8"))
RATE = float(os.environ.get("FAULT_RATE_PER_BUYER", "2.5"))   # orders/s per buyer
RACERS = int(os.environ.get("FAULT_RACERS", "100"))
RACE_UNITS = int(os.environ.get("FAULT_RACE_UNITS", "10"))
RECOVERY_DEADLINE = float(os.environ.get("FAULT_RECOVERY_DEADLINE_S", "90"))
SETTLE_DEADLINE = float(os.environ.get("FAULT_SETTLE_DEADLINE_S", "90"))
BURST_THREADS = int(os.environ.get("FAULT_BURST_THREADS", "6"))   # buyers ordering back to back in a burst
BURST_BEFORE_FAULT = 10   # burst orders accepted before a relay fault hits, so that events are in flight

# The fewest accepted orders a scenario may end with: below it its invariants (nothing lost, nothing applied
# twice, stock conserved) would hold of too few orders to mean anything, and the scenario fails. Stated as a
# share of what the steady load asks for over the scenario (BUYERS × RATE × its duration; bursts come on top
# and are not counted on), so it follows FAULT_BUYERS and FAULT_RATE_PER_BUYER. Each share is about half or less of
# what the run of 2026-12-04 18:14 accepted (defaults; its share of the steady load after each), by where the
# fault hits the order path:
OFF_PATH = 0.5     # the order path (gateway → orders → products, PostgreSQL) stays up: the outbox is in the WAL,
                   # Kafka and the consumers catch up later (consumers, users, cart, poison, a relay stalled: 100 %)
BROKER_DOWN = 0.4  # Kafka killed: the gateway's revocation feed goes stale and every token is checked with
                   # auth meanwhile (a-kafka-kill: 100 %)
AUTH_DOWN = 0.35   # auth killed: a token expiring meanwhile cannot be renewed (d-kill-auth: 100 %)
SHORT_OUTAGE = 0.3  # PostgreSQL restarted fast, a second or two without a database (c-pg-restart-fast: 100 %)
ON_PATH = 0.25     # a process every order goes through killed -9 and restarted, or each stopped in turn:
                   # buyers wait in their retries (b-kill-orders 79 %, c-pg-kill 91 %, d-kill-gateway 86 %,
                   # d-kill-products 84 %, d-rolling-sigterm 80 %, f-relay-kill: orders killed up to 3 times)


def accepted_floor(duration: float, share: float) -> int:
    """A scenario's minimum of accepted orders: `share` of the steady load's orders over `duration`."""
    return int(share * BUYERS * RATE * duration)


def too_few_accepted(accepted: int, minimum: int) -> list[str]:
    """The failure of a scenario that accepted fewer orders than its minimum (none otherwise)."""
    if accepted >= minimum:
        return []
    return [f"{accepted} orders accepted, fewer than this scenario's minimum of {minimum}: its invariants"
            " held of too few orders to show anything"]


class Ctx:
    def __init__(self) -> None:
        self.stack = Stack()
        self.bus = Bus(self.stack)
        self.admin: Admin | None = None
        self.buyers = []
        self.racers = []
        self.events = event_log(self.bus)  # what Kafka holds, read incrementally over the whole run
        self.basket = None                 # the running scenario's basket (bursts order the same products)

    def setup(self, racers: int = RACERS) -> None:
        t = now()
        self.admin = Admin(self.stack.gateway_url)
        self.buyers = register_users(self.stack.gateway_url, BUYERS, "buyer")
        self.racers = register_users(self.stack.gateway_url, racers, "racer") if racers else []
        log(f"setup: admin + {BUYERS} buyers + {racers} racers registered in {now() - t:.1f}s")

    def ensure_healthy(self) -> None:
        """Every scenario starts from a healthy mesh (restarting anything a previous one left down)."""
        if eventually(self.stack.all_healthy, 20):
            return
        log(f"not healthy at scenario start ({self.stack.health()}): scripts/stack up")
        self.stack.up()
        if not eventually(self.stack.all_healthy, 60):
            raise RuntimeError(f"mesh not healthy before the scenario: {self.stack.health()}")


# ============================================================================ faults
class Fault:
    """What a fault did: when it hit, when its cause was removed (restart issued), notes, figures, and the
    orders it placed itself (checked with the load's)."""

    def __init__(self) -> None:
        self.t_fault = self.t_cleared = None
        self.t_back = None     # a broker fault: when the restarted broker first answered (recovery is counted from it)
        self.wall_fault = 0.0  # time.time() of the fault, for SQL timestamps
        self.notes: list[str] = []
        self.figures: dict = {}
        self.intents: list[Intent] = []

    def __call__(self, ctx: Ctx) -> None:
        raise NotImplementedError

    def check(self, intents: list[Intent], state: dict) -> dict[str, list[str]]:
        """What this fault itself requires once the mesh settled (beyond the invariants), by kind."""
        return {}


class KillRestart(Fault):
    """kill -<sig> one component from the stack's run dir, leave it down `down_s`, then `scripts/stack up`."""

    def __init__(self, name: str, down_s: float = 3.0, sig: int = signal.SIGKILL) -> None:
        super().__init__()
        self.name, self.down_s, self.sig = name, down_s, sig

    def __call__(self, ctx: Ctx) -> None:
        self.t_fault, self.wall_fault = now(), time.time()
        pid = ctx.stack.kill(self.name, self.sig)
        if not ctx.stack.wait_gone(pid, 30):
            self.notes.append(f"{self.name} (pid {pid}) still exists 30 s after signal {self.sig}")
        down = self.down_s - (now() - self.t_fault)
        if down > 0:
            time.sleep(down)
        self.t_cleared = now()
        watch = threading.Thread(target=self._watch_broker, args=(ctx,), daemon=True) \
            if self.name in ctx.stack.kafka_nodes else None
        if watch:
            watch.start()
        took = ctx.stack.up()
        if watch:
            watch.join(timeout=30)
        self.notes.append(f"{self.name} pid {pid} got signal {int(self.sig)}; restarted by scripts/stack up "
                          f"{self.t_cleared - self.t_fault:.1f}s later (up took {took:.1f}s)"
                          + (f"; the broker answered metadata again {self.t_back - self.t_fault:.1f}s after the kill"
                             if self.t_back is not None else ""))

    def _watch_broker(self, ctx: Ctx) -> None:
        """Polls the restarted broker until it names itself in metadata: the moment the pipeline may resume."""
        deadline = now() + 120
        while now() < deadline:
            if ctx.stack.broker_answers(self.name):
                self.t_back = now()
                return
            time.sleep(0.1)


def pg_restart_fast(ctx: Ctx) -> None:
    ctx.stack.pg_ctl("restart", "-m", "fast", "-w", "-t", "60", "-s",
                     "-l", os.path.join(ctx.stack.state, "log", "postgres.log"))


class PgRestartFast(Fault):
    def __call__(self, ctx: Ctx) -> None:
        self.t_fault = now()
        pg_restart_fast(ctx)
        self.t_cleared = now()
        self.notes.append(f"pg_ctl restart -m fast took {self.t_cleared - self.t_fault:.1f}s")


class PgKill(Fault):
    def __call__(self, ctx: Ctx) -> None:
        self.t_fault = now()
        pid = ctx.stack.kill("postgres")
        ctx.stack.wait_gone(pid, 30)  # a zombie postmaster still owns postmaster.pid
        reaped = now() - self.t_fault
        self.t_cleared = now()
        tries = 0
        while True:
            tries += 1
            try:
                ctx.stack.up()
                break
            except RuntimeError:
                if tries >= 5:
                    raise
                time.sleep(1)
        self.notes.append(f"postmaster pid {pid} killed -9 (reaped after {reaped:.1f}s); scripts/stack up"
                          f" started it ({tries} attempt{'s' if tries > 1 else ''})")


class Rolling(Fault):
    """Every component stopped with SIGTERM (graceful) and restarted, one after the other."""

    def __call__(self, ctx: Ctx) -> None:
        first = now()
        apps = ctx.stack.apps
        for name in ["gateway", *[a for a in apps if a != "gateway"]]:
            t = self.t_fault = now()  # recovery is counted from the last component's stop
            pid = ctx.stack.kill(name, signal.SIGTERM)
            if not ctx.stack.wait_gone(pid, 20):
                self.notes.append(f"{name} did not exit within 20 s of SIGTERM")
            ctx.stack.up()
            self.notes.append(f"{name}: stopped and back in {now() - t:.1f}s")
        self.t_cleared = now()
        self.notes.append(f"rolling restart of {len(apps)} components took {self.t_cleared - first:.1f}s;"
                          " recovery counted from the last one's SIGTERM")


POISON_KINDS = {
    # kind: expected dlq-error-class
    "garbage-bytes": "decode",
    "json-not-an-envelope": "decode",
    "contract-invalid-data": "invalid",
    "unknown-type": "unknown-type",
    "unknown-version": "unknown-version",
}
TOPIC_TYPE = {"identity.events": "USER_REGISTERED", "catalog.events": "PRODUCT_CREATED",
              "order.events": "ORDER_CREATED", "stock.events": "STOCK_RESERVED",
              "shipping.events": "SHIPMENT_CREATED", "notification.events": "NOTIFICATION_SENT"}


def poison_value(kind: str, topic: str, key: str) -> bytes:
    if kind == "garbage-bytes":
        return os.urandom(48) + b"\x00\xff{\"id\":"
    if kind == "json-not-an-envelope":
        return json.dumps({"hello": "world", "orderId": key, "items": [1, 2, 3]}).encode()
    envelope = {"id": str(uuid.uuid4()), "type": TOPIC_TYPE.get(topic, "ORDER_CREATED"), "version": 1,
                "occurredAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()), "producer": "fault-suite",
                "key": key, "correlationId": "fault-" + key, "causationId": None,
                "data": {"orderId": 42, "productId": None, "userId": "not-a-uuid", "items": "none"}}
    if kind == "unknown-type":
        envelope["type"], envelope["data"] = "FAULT_NOT_A_TYPE", {"orderId": key}
    if kind == "unknown-version":
        envelope["version"] = 99
    return json.dumps(envelope).encode()


class Poison(Fault):
    """Each poison kind into every topic of contracts/topics.json, tagged with a `fault-poison-id` header."""

    def __init__(self) -> None:
        super().__init__()
        self.expected: dict[str, dict[str, str]] = {}  # dlq -> {poison id: error class}
        self.injected = 0

    def __call__(self, ctx: Ctx) -> None:
        self.t_fault = now()
        for topic in ctx.bus.topics:
            for kind, error_class in POISON_KINDS.items():
                pid = f"{kind}-{uuid.uuid4().hex[:12]}"
                value = poison_value(kind, topic, pid)
                headers = {"fault-poison-id": pid, "content-type": "application/json"}
                if kind in ("unknown-type", "unknown-version", "contract-invalid-data"):
                    env = json.loads(value)
                    headers.update({"event-type": env["type"], "event-version": str(env["version"]),
                                    "event-id": env["id"]})
                ctx.bus.produce(topic, pid, value, headers)
                self.injected += 1
                for group in ctx.bus.groups_of(topic):
                    self.expected.setdefault(f"{topic}.{group}.dlq", {})[pid] = error_class
        self.t_cleared = now()
        silent = [t for t in ctx.bus.topics if not ctx.bus.groups_of(t)]
        self.notes.append(f"{self.injected} poison messages ({len(POISON_KINDS)} kinds x {len(ctx.bus.topics)} topics)"
                          f" in {self.t_cleared - self.t_fault:.1f}s; expected in {len(self.expected)} DLQs"
                          + (f"; {', '.join(silent)} has no consumer group (no DLQ expected)" if silent else ""))


# ============================================================================ relay faults
def mb(n: float | None) -> str:
    return "—" if n is None else f"{n / (1024 * 1024):.1f} MB"


def tally(values) -> str:
    return ", ".join(f"{k}×{n}" for k, n in Counter(values).items()) or "no sample"


class Burst:
    """Buyers ordering back to back beside the steady load (no pacing), so that the relays have events in
    flight when a fault hits; its orders are checked like the load's."""

    def __init__(self, ctx: Ctx, threads: int = BURST_THREADS) -> None:
        self.ctx = ctx
        self.intents: list[Intent] = []
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        seed = int(time.time())
        self.threads = [threading.Thread(target=self._buyer, daemon=True,
                                         args=(ctx.buyers[i % len(ctx.buyers)], random.Random(seed + i * 104729)))
                        for i in range(threads)]

    def start(self) -> "Burst":
        for t in self.threads:
            t.start()
        return self

    def accepted(self) -> int:
        with self.lock:
            return sum(1 for i in self.intents if i.accepted)

    def stop(self) -> list[Intent]:
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=60)
        return self.intents

    def _buyer(self, user: User, rng: random.Random) -> None:
        api = Api(self.ctx.stack.gateway_url)
        while not self.stop_flag.is_set():
            intent = Intent(str(uuid.uuid4()), user, self.ctx.basket(rng), now())
            with self.lock:
                self.intents.append(intent)
            place(api, intent, 25, self.stop_flag)
        api.close()


class RelayKill(Fault):
    """Each relay's service killed -9 in the middle of a burst, so that the relay dies with events it had not
    confirmed to its slot (counted by peeking at the slot while no relay reads it), restarted `down_s` later.
    The slot streams them again to the restarted relay: published at least once, each effect once. A kill that
    caught nothing unconfirmed is tried again, up to `attempts` times."""

    def __init__(self, services: tuple[str, ...] = ("orders", "stock"), down_s: float = 4.0,
                 attempts: int = 3) -> None:
        super().__init__()
        self.services, self.down_s, self.attempts = services, down_s, attempts
        self.caught: dict[str, int] = {}  # service -> most unconfirmed outbox events one of its kills left

    def __call__(self, ctx: Ctx) -> None:
        for service in self.services:
            for attempt in range(1, self.attempts + 1):
                if not eventually(ctx.stack.all_healthy, 60):
                    self.notes.append(f"not healthy before killing {service}: {ctx.stack.health()}")
                unconfirmed = self._kill_mid_burst(ctx, service, attempt)
                self.caught[service] = max(self.caught.get(service, 0), unconfirmed or 0)
                if unconfirmed:
                    break
        self.figures["unconfirmedAtKill"] = dict(self.caught)
        self.notes.append("recovery counted from the last kill")

    def _kill_mid_burst(self, ctx: Ctx, service: str, attempt: int) -> int | None:
        burst = Burst(ctx).start()
        try:
            if not eventually(lambda: burst.accepted() >= BURST_BEFORE_FAULT, 30):
                self.notes.append(f"{service}: only {burst.accepted()} burst orders accepted after 30 s")
            in_burst = burst.accepted()
            self.t_fault, self.wall_fault = now(), time.time()
            pid = ctx.stack.kill(service)
            ctx.stack.wait_gone(pid, 30)
            unconfirmed, why = self._unconfirmed(ctx, service)
            down = self.down_s - (now() - self.t_fault)
            if down > 0:
                time.sleep(down)
            self.t_cleared = now()
            ctx.stack.up()
            streaming = eventually(lambda: ctx.stack.slots()[1][service].active, 30)
            self.notes.append(
                f"{service} (attempt {attempt}) pid {pid} killed -9 mid-burst ({in_burst} burst orders accepted): "
                + (f"its slot held {unconfirmed} outbox events the relay had not confirmed" if why == "" else
                   f"unconfirmed events not counted ({why})")
                + f"; restarted {self.t_cleared - self.t_fault:.1f}s later, its relay "
                + (f"streaming again {now() - self.t_cleared:.1f}s after" if streaming else "not streaming 30 s after"))
            return unconfirmed
        finally:
            self.intents += burst.stop()

    @staticmethod
    def _unconfirmed(ctx: Ctx, service: str) -> tuple[int | None, str]:
        """Outbox events of `service` not confirmed by its dead relay, once the walsender let go of the slot."""
        if not eventually(lambda: not ctx.stack.slots()[1][service].active, 10, 0.05):
            return None, "its slot stayed active"
        try:
            return ctx.stack.unconfirmed_outbox_messages(service), ""
        except RuntimeError as e:
            return None, f"could not peek at its slot: {str(e)[:160]}"

    def check(self, intents: list[Intent], state: dict) -> dict[str, list[str]]:
        return {"fault": [f"no kill of {s} in {self.attempts} caught its relay with unconfirmed events"
                          for s in self.services if not self.caught.get(s)]}


class PgRestartStreaming(Fault):
    """PostgreSQL restarted (pg_ctl restart -m fast) in the middle of a burst while every relay streams its
    slot: the walsenders go with it, and each relay must stream again and confirm past the restart."""

    RESUME_S = 60.0

    def __init__(self) -> None:
        super().__init__()
        self.resumed: dict[str, float] = {}  # relay's service -> seconds from the restart to confirming past it

    def __call__(self, ctx: Ctx) -> None:
        _, before = ctx.stack.slots()
        idle = [r for r in RELAYS if not (r in before and before[r].active)]
        if idle:
            self.notes.append(f"not streaming before the restart: {', '.join(idle)}")
        burst = Burst(ctx).start()
        try:
            eventually(lambda: burst.accepted() >= BURST_BEFORE_FAULT, 30)
            in_burst = burst.accepted()
            self.t_fault = now()
            pg_restart_fast(ctx)
            self.t_cleared = now()
            lsn = eventually(lambda: ctx.stack.slots()[0], 30)
            if lsn:
                eventually(lambda: self._streaming_past(ctx, lsn), self.RESUME_S)
        finally:
            self.intents += burst.stop()
        self.notes.append(f"pg_ctl restart -m fast during a burst ({in_burst} burst orders accepted before it)"
                          f" took {self.t_cleared - self.t_fault:.1f}s")
        self.notes.append("relays streaming again and confirmed past the restart after: " + ", ".join(
            f"{r} {self.resumed[r]:.1f}s" if r in self.resumed else f"{r} never" for r in RELAYS))
        if self.resumed:
            self.figures["relaysResumedSeconds"] = round(max(self.resumed.values()), 1)

    def _streaming_past(self, ctx: Ctx, lsn: int) -> bool:
        _, slots = ctx.stack.slots()
        for r in RELAYS:
            if r not in self.resumed and r in slots and slots[r].active and slots[r].confirmed >= lsn:
                self.resumed[r] = now() - self.t_cleared
        return len(self.resumed) == len(RELAYS)

    def check(self, intents: list[Intent], state: dict) -> dict[str, list[str]]:
        return {"relay": [f"{r}: not streaming past the restart within {self.RESUME_S:.0f}s" for r in RELAYS
                          if r not in self.resumed]}


@dataclass
class StallSample:
    at: float                      # seconds into the outage
    slot: Slot | None              # the stalled slot per pg_replication_slots (None: not read)
    meshctl_retained: int | None   # its retainedBytes per `meshctl outbox status --json`
    health_outbox: str             # the "outbox" check of the service's /health ("no answer", "missing")
    gateway: str                   # /api/health's services.<service> ("no answer", "missing")


class RelayStall(Fault):
    """A relay stalled for `outage_s` while its service keeps accepting orders: the walsender streaming the
    service's slot is stopped (SIGSTOP), then continued (SIGCONT); the relay thread, inside the service, waits
    on a connection that says nothing. The slot stays active, its confirmed position stands still and the WAL it
    retains grows: sampled every second from pg_replication_slots, `meshctl outbox status` and the service's
    /health, whose "outbox" check turns red above 512 MB retained."""

    HEALTH_BOUND = 512 * 1024 * 1024  # RelayOptions::max_retained_wal_bytes
    HEALTH_MARGIN = 32 * 1024 * 1024  # samples this close to it are not judged (WAL moves between two reads)
    DRAIN_S = 90.0

    def __init__(self, service: str = "orders", outage_s: float = 60.0) -> None:
        super().__init__()
        self.service, self.outage_s = service, outage_s
        self.samples: list[StallSample] = []
        self.pid = self.resumed_pid = 0
        self.bound_text, self.bound = "", -1
        self.drained: float | None = None

    def __call__(self, ctx: Ctx) -> None:
        self.bound_text, self.bound = ctx.stack.slot_wal_bound()
        self.pid = eventually(lambda: ctx.stack.walsender_pid(self.service), 30) or 0
        if not self.pid:
            raise RuntimeError(f"no walsender streams the {self.service} slot (is its relay running?)")
        self.t_fault = now()
        ctx.stack.signal_walsender(self.pid, signal.SIGSTOP)
        try:
            end = self.t_fault + self.outage_s
            while now() < end:  # the outage itself: one sample a second
                t = now()
                self.samples.append(self._sample(ctx, t - self.t_fault))
                time.sleep(max(0.0, min(end, t + 1.0) - now()))
        finally:
            try:
                ctx.stack.signal_walsender(self.pid, signal.SIGCONT)
            except RuntimeError as e:
                self.notes.append(f"SIGCONT: {e}")
            self.t_cleared = now()
        lsn = eventually(lambda: ctx.stack.slots()[0], 30)
        if lsn and eventually(lambda: self._confirmed_past(ctx, lsn), self.DRAIN_S):
            self.drained = now() - self.t_cleared
        self._report()

    def _sample(self, ctx: Ctx, at: float) -> StallSample:
        try:
            slot = ctx.stack.slots()[1].get(self.service)
        except Exception:  # a sample that could not be read is recorded as such
            slot = None
        try:
            row = next((o for o in ctx.bus.meshctl("outbox", "status")
                        if o.get("database") == ctx.stack.dbname[self.service]), {})
            retained = row.get("retainedBytes")
        except Exception:
            retained = None
        code, health = http_get_json(ctx.stack.urls[self.service] + "/health")
        api_code, api = http_get_json(ctx.stack.gateway_url + "/api/health", timeout=5)
        return StallSample(at, slot, retained if isinstance(retained, int) else None,
                           str((health.get("checks") or {}).get("outbox", "missing")) if code else "no answer",
                           str((api.get("services") or {}).get(self.service, "missing")) if api_code else "no answer")

    def _confirmed_past(self, ctx: Ctx, lsn: int) -> bool:
        slot = ctx.stack.slots()[1].get(self.service)
        if slot is None or not slot.active or slot.confirmed < lsn:
            return False
        self.resumed_pid = slot.active_pid
        return True

    def _peak(self, value) -> int | None:
        values = [v for v in map(value, self.samples) if v is not None]
        return max(values) if values else None

    def _report(self) -> None:
        retained = self._peak(lambda x: x.slot.retained if x.slot else None)
        unconfirmed = self._peak(lambda x: x.slot.unconfirmed if x.slot else None)
        by_meshctl = self._peak(lambda x: x.meshctl_retained)
        self.figures.update({"peakRetainedBytes": retained, "peakRetainedBytesMeshctl": by_meshctl,
                             "peakUnconfirmedBytes": unconfirmed, "maxSlotWalKeepBytes": self.bound,
                             "backlogDrainSeconds": round(self.drained, 1) if self.drained is not None else None})
        self.notes.append(f"{self.service} relay stalled {self.outage_s:.0f}s: its walsender (pid {self.pid}) got"
                          f" SIGSTOP, then SIGCONT; {len(self.samples)} samples")
        self.notes.append(f"peak WAL retained by the {self.service} slot during the outage: {mb(retained)}"
                          f" (pg_replication_slots), {mb(by_meshctl)} (meshctl outbox status); unconfirmed"
                          f" {mb(unconfirmed)}; bound max_slot_wal_keep_size = {self.bound_text}")
        self.notes.append(f"{self.service} /health outbox check during the outage (red above 512 MB retained): "
                          f"{tally(x.health_outbox for x in self.samples)}; /api/health services.{self.service}: "
                          f"{tally(x.gateway for x in self.samples)}")
        if self.drained is None:
            self.notes.append(f"backlog not confirmed {self.DRAIN_S:.0f}s after SIGCONT")
        else:
            walsender = "same walsender" if self.resumed_pid == self.pid else f"new walsender pid {self.resumed_pid}"
            self.notes.append(f"backlog confirmed {self.drained:.1f}s after SIGCONT ({walsender})")

    def _health_expected(self, slot: Slot) -> str:
        """What the service's outbox check must say for this slot ("": too close to the bound to judge)."""
        if slot.wal_status == "lost" or slot.retained > self.HEALTH_BOUND + self.HEALTH_MARGIN:
            return "down"
        return "ok" if slot.retained < self.HEALTH_BOUND - self.HEALTH_MARGIN else ""

    def check(self, intents: list[Intent], state: dict) -> dict[str, list[str]]:
        if self.t_fault is None:  # never stopped: the injection's own error says why
            return {}
        out: dict[str, list[str]] = {"fault": [], "backlog": [], "health": []}
        end = self.t_cleared if self.t_cleared is not None else now()
        accepted = sum(1 for i in intents if i.accepted and self.t_fault <= i.done <= end)
        self.figures["acceptedDuringOutage"] = accepted
        self.notes.append(f"{accepted} orders accepted while the relay was stalled")
        if not accepted:
            out["fault"].append("no order was accepted while the relay was stalled")
        read = [x for x in self.samples if x.slot]
        if not read:
            out["fault"].append("the slot was never read during the outage")
        if any(x.slot.active_pid != self.pid for x in read) or len({x.slot.confirmed for x in read}) > 1:
            out["fault"].append("the slot moved or changed hands while its walsender was stopped (no stall)")
        peak = self._peak(lambda x: x.slot.retained if x.slot else None)
        if peak is not None and 0 <= self.bound <= peak:
            out["backlog"].append(f"retained {mb(peak)}, at the bound max_slot_wal_keep_size = {self.bound_text}")
        out["backlog"] += [f"+{x.at:.0f}s: slot {x.slot.wal_status}" for x in read
                           if x.slot.wal_status in ("unreserved", "lost")][:1]
        if self.drained is None:
            out["backlog"].append(f"the relay did not confirm the backlog within {self.DRAIN_S:.0f}s of SIGCONT")
        for x in read:
            want = self._health_expected(x.slot)
            if want and x.health_outbox != want:
                out["health"].append(f"+{x.at:.0f}s: {mb(x.slot.retained)} retained, {self.service} /health"
                                     f" outbox check {x.health_outbox}, expected {want}")
        return out


# ============================================================================ scenario runner
def figures_of(intents: list[Intent], state: dict, found: dict) -> dict:
    orders = state.get("orders", {})
    accepted = [i for i in intents if i.accepted]
    statuses = Counter(o["status"] for o in orders.values())
    keys = {o["key"] for o in orders.values()}
    codes = Counter(c for i in intents for c in i.codes)
    return {
        "placed": len(intents),
        "accepted": len(accepted),
        "refused": sum(1 for i in intents if not i.accepted and i.codes and 400 <= i.codes[-1] < 500
                       and i.codes[-1] != 429),
        "unanswered": sum(1 for i in intents if not i.accepted and (not i.codes or i.codes[-1] == 0
                                                                   or i.codes[-1] >= 500 or i.codes[-1] == 429)),
        "createdWithout2xx": sum(1 for i in intents if not i.accepted and i.key in keys),
        "retriedAttempts": sum(len(i.codes) - 1 for i in intents),
        "httpCodes": {str(k): v for k, v in sorted(codes.items())},
        "confirmed": statuses["CONFIRMED"] + statuses["SHIPPED"] + statuses["DELIVERED"],
        "rejected": statuses["REJECTED"],
        "cancelled": statuses["CANCELLED"],
        "pending": statuses["PENDING"],
        # accepted (2xx) orders that do not exist or never settled
        "lost": sum(1 for i in accepted if orders.get(i.order_id, {}).get("status") not in SETTLED),
        # events committed with their state change that never reached Kafka
        "lostEvents": len(found.get("lost event", [])),
        "duplicated": len(found.get("duplicate", [])),
        # copies of an event already on Kafka (at-least-once: the same id, not a second effect)
        "redeliveredEvents": state.get("redelivered"),
        "missingEffects": len(found.get("missing effect", [])) + len(found.get("inconsistent", [])),
        "stockViolations": len(found.get("stock", [])),
    }


def run_scenario(ctx: Ctx, sid: str, title: str, fault: Fault | None, duration: float, fault_at: float,
                 min_accepted: int, b_units: int | None = None) -> dict:
    ctx.ensure_healthy()
    a = ctx.admin.product("A", 100_000)
    products = {"A": (a, 100_000)}
    if b_units is None:
        b_units = int(duration * 6)
    if b_units:
        products["B"] = (ctx.admin.product("B", b_units), b_units)
    snapshot = ctx.bus.dlq_snapshot()
    monitor = Monitor(ctx.stack, ctx.bus).start()
    ctx.basket = basket_for({k: v[0] for k, v in products.items()})
    load = Load(ctx.stack.gateway_url, ctx.buyers, ctx.basket, RATE).start()
    t0 = now()
    log(f"{sid}: load of {len(ctx.buyers)} buyers x {RATE}/s for {duration:.0f}s; fault at {fault_at:.0f}s")
    errors: list[str] = []

    def inject() -> None:
        try:
            time.sleep(max(0.0, t0 + fault_at - now()))
            fault(ctx)
        except Exception as e:
            errors.append(f"fault injection failed: {e}")
            traceback.print_exc()

    injector = threading.Thread(target=inject)  # the fault may take longer than the load: it runs beside it
    if fault:
        injector.start()
    time.sleep(max(0.0, t0 + duration - now()))
    intents = load.stop()
    if fault:
        injector.join()
        intents = intents + fault.intents
    error = errors[0] if errors else None
    log(f"{sid}: load stopped: {len(intents)} placed, {sum(i.accepted for i in intents)} accepted")
    return finish(ctx, sid, title, fault, monitor, intents, products, snapshot, error, min_accepted,
                  (lambda state: fault.check(intents, state)) if fault else None)


def broker_recovery(ctx: Ctx, fault: Fault, monitor: Monitor, recovery: float | None) -> dict:
    """Recovery counted from the moment the restarted broker answered, and what set it: the checks that stayed
    red after that moment (the last to clear set the time), and what the clients logged from the kill until the
    recovery (group sessions timed out, clients fenced or recreated, relays streaming again). Notes for the
    report, figures for report.json."""
    back = fault.t_back - fault.t_fault
    out = {"restartIssuedSeconds": round(fault.t_cleared - fault.t_fault, 1), "brokerBackSeconds": round(back, 1),
           "recoveryAfterBrokerSeconds": round(recovery - back, 1) if recovery is not None else None}
    end = fault.t_fault + recovery if recovery is not None else now()
    spans = monitor.spans_between(fault.t_back, end)
    if spans:
        last = max(spans, key=lambda x: x[2])
        out["recoverySetBy"] = last[0]
        fault.notes.append("after the broker was back: " + "; ".join(
            f"{why} (+{first - fault.t_back:.1f}…+{until - fault.t_back:.1f}s)" for why, first, until in spans))
    else:
        out["recoverySetBy"] = "nothing: every check was green at the first sample after the broker answered"
    out["longestSampleSeconds"] = round(monitor.longest_sample(fault.t_back - 5, end), 1)
    fault.notes.append(f"the monitor's samples took up to {out['longestSampleSeconds']:.1f}s from 5 s before the"
                       " broker answered to the recovery: the recovery is known to that resolution")
    wall = lambda t: fault.wall_fault + (t - fault.t_fault)  # noqa: E731
    events = ctx.stack.client_events(wall(fault.t_fault), wall(end))
    if events:
        shown = events[:12]
        fault.notes.append("clients, from the kill: " + "; ".join(
            f"+{t - fault.wall_fault:.1f}s {name}: {kind}" + (f" ({detail})" if detail else "")
            for t, name, kind, detail in shown)
            + (f"; ... {len(events) - len(shown)} more" if len(events) > len(shown) else ""))
    out["clientEvents"] = dict(Counter(kind for _, _, kind, _ in events))
    return out


def finish(ctx: Ctx, sid: str, title: str, fault: Fault | None, monitor: Monitor, intents: list[Intent],
           products: dict, snapshot: dict, error: str | None, min_accepted: int, extra_checks=None) -> dict:
    recovery = None
    if fault and fault.t_fault is not None:
        cleared = fault.t_cleared if fault.t_cleared is not None else fault.t_fault
        eventually(lambda: monitor.recovery(fault.t_fault, cleared) is not None,
                   max(0.0, cleared + RECOVERY_DEADLINE - now()), 0.5)
        recovery = monitor.recovery(fault.t_fault, cleared)
    monitor.stop()
    waited = monitor.reasons_between(fault.t_fault, fault.t_fault + (recovery or RECOVERY_DEADLINE)) \
        if fault and fault.t_fault is not None else []
    if waited:
        fault.notes.append("recovery waited on: " + "; ".join(waited))
    after_broker = broker_recovery(ctx, fault, monitor, recovery) if fault and fault.t_back is not None else {}
    scope = Scope(products, intents, snapshot, getattr(fault, "expected", None))
    state, found, settle_s, pending = settle(ctx.stack, ctx.events, scope, SETTLE_DEADLINE)
    if settle_s > 5 and fault:
        fault.notes.append(f"settling took {settle_s:.0f}s, waiting on: " + "; ".join(pending))
    failures = {k: v for k, v in found.items() if v}
    t_api = now()
    api = check_api(ctx.stack, ctx.admin, scope, state) if state else ["no state gathered"]
    if api:
        failures["api"] = api
    t_dlq = now()
    dlq_counts, dlq_problems = check_dlq(ctx.bus, scope)
    log(f"{sid}: checks: settle {settle_s:.1f}s, API {t_dlq - t_api:.1f}s, DLQ {now() - t_dlq:.1f}s")
    if dlq_problems:
        failures["dlq"] = dlq_problems
    health = ctx.stack.health()
    if any(c != 200 for c in health.values()):
        failures["down"] = [f"{n}: /health {c}" for n, c in health.items() if c != 200]
    if fault and fault.t_fault is not None and recovery is None:
        failures["recovery"] = [f"not healthy and drained within {RECOVERY_DEADLINE:.0f}s of the fault clearing"
                                f" (last: {monitor.last_reason()})"]
    if extra_checks:
        for kind, items in extra_checks(state).items():
            if items:
                failures[kind] = items
    if error:
        failures["harness"] = [error]
    few = too_few_accepted(sum(1 for i in intents if i.accepted), min_accepted)
    if few:
        failures["load"] = few
    figures = figures_of(intents, state, found)
    figures["minAccepted"] = min_accepted
    figures.update(fault.figures if fault else {})
    figures.update(after_broker)
    figures.update({
        "recoverySeconds": round(recovery, 1) if recovery is not None else None,
        "settleSeconds": round(settle_s, 1),
        "dlq": {k: v for k, v in dlq_counts.items() if v},
        "dlqTotal": sum(dlq_counts.values()),
        "stock": {label: {"initial": init, "available": state.get("levels", {}).get(pid, (None,))[0],
                          "reserved": state.get("levels", {}).get(pid, (None, None))[1],
                          "lowestPublished": state.get("min_level", {}).get(pid)}
                  for label, (pid, init) in products.items()},
    })
    result = {
        "id": sid, "title": title, "result": "fail" if failures else "pass",
        "figures": figures,
        "failures": {k: v[:15] + ([f"... and {len(v) - 15} more"] if len(v) > 15 else []) for k, v in failures.items()},
        "notes": (fault.notes if fault else []),
    }
    log(f"{sid}: {result['result'].upper()} placed {figures['placed']} accepted {figures['accepted']}"
        f" (minimum {min_accepted}) "
        f"lost {figures['lost']} duplicated {figures['duplicated']} recovery {figures['recoverySeconds']}s "
        f"dlq {figures['dlqTotal']}" + (f" failures {json.dumps(result['failures'])[:1500]}" if failures else ""))
    return result


def race(ctx: Ctx) -> dict:
    """100 buyers for 10 units; Kafka killed -9 just after the race starts and restarted during it."""
    sid, title = "race-kafka-restart", f"{RACERS} buyers for {RACE_UNITS} units while Kafka is killed -9 and restarted"
    ctx.ensure_healthy()
    pid = ctx.admin.product("R", RACE_UNITS)
    products = {"R": (pid, RACE_UNITS)}
    snapshot = ctx.bus.dlq_snapshot()
    monitor = Monitor(ctx.stack, ctx.bus).start()
    intents = [Intent(str(uuid.uuid4()), u, [{"productId": pid, "quantity": 1}], 0.0) for u in ctx.racers]
    apis = [Api(ctx.stack.gateway_url, timeout=30) for _ in intents]
    for api, i in zip(apis, intents):  # open every connection first, so the race is the orders, not connects
        api.call("GET", "/api/health")
    gate = threading.Barrier(len(intents) + 1)

    def buyer(api: Api, intent: Intent) -> None:
        gate.wait()
        intent.started = now()
        place(api, intent, retry_for=60)

    threads = [threading.Thread(target=buyer, args=(a, i)) for a, i in zip(apis, intents)]
    for t in threads:
        t.start()
    fault = KillRestart("kafka", down_s=3.0)
    log(f"{sid}: {len(intents)} buyers go; Kafka killed -9 as they do, restarted 3 s later")
    gate.wait()
    error = None
    try:
        time.sleep(0.02)
        fault(ctx)
    except Exception as e:
        error = f"fault injection failed: {e}"
    for t in threads:
        t.join()
    for a in apis:
        a.close()
    if fault.t_fault:
        answered = sum(1 for i in intents if i.accepted and i.done < fault.t_fault)
        ids = [i.order_id for i in intents if i.accepted]
        decided = eventually(lambda: sql(ctx.stack.db["stock"], f"""
            SELECT count(*) FILTER (WHERE decided_at < to_timestamp({fault.wall_fault})), count(*)
            FROM order_decisions WHERE order_id = ANY({uuid_array(ids)})"""), 30)
        fault.notes.append(f"before the kill: {answered} of {len(intents)} orders answered, "
                           f"{decided[0][0] if decided else '?'} decided by stock; the rest raced after the restart")

    def exact(state: dict) -> dict[str, list[str]]:
        st = Counter(o["status"] for o in state.get("orders", {}).values())
        lv = state.get("levels", {}).get(pid, (None, None, None))
        out = []
        if st["CONFIRMED"] != RACE_UNITS or st["REJECTED"] != len(intents) - RACE_UNITS or len(st) != 2:
            out.append(f"outcomes {dict(st)}, expected CONFIRMED {RACE_UNITS}, REJECTED {len(intents) - RACE_UNITS}")
        if lv[0] != 0 or lv[1] != RACE_UNITS:
            out.append(f"level available {lv[0]} reserved {lv[1]}, expected 0 and {RACE_UNITS}")
        return {"race": out}

    # every buyer's order must be accepted (retrying for 60 s across the restart): the race is about all of them
    return finish(ctx, sid, title, fault, monitor, intents, products, snapshot, error, len(intents), exact)


# ============================================================================ catalogue
def catalogue() -> list[tuple[str, str, int, object]]:
    """(id, title, minimum of accepted orders, runner) in run order."""
    def load(sid, title, fault_factory, share, duration=20.0, fault_at=6.0, b_units=None):
        minimum = accepted_floor(duration, share)
        return sid, title, minimum, lambda ctx: run_scenario(ctx, sid, title, fault_factory(), duration, fault_at,
                                                              minimum, b_units)

    out = [load("a-kafka-kill", "Kafka killed -9 for 10 s in a 60 s load", lambda: KillRestart("kafka", 10.0),
                BROKER_DOWN, 60.0, 20.0),
           ("race-kafka-restart", "100 buyers for 10 units while Kafka restarts", RACERS, race)]
    for svc in ("stock", "shipping", "notification", "orders"):
        out.append(load(f"b-kill-{svc}", f"consumer {svc} killed -9 mid-stream, restarted 3 s later",
                        lambda svc=svc: KillRestart(svc, 3.0), ON_PATH if svc == "orders" else OFF_PATH))
    out.append(load("c-pg-restart-fast", "PostgreSQL restarted (pg_ctl restart -m fast)", PgRestartFast,
                    SHORT_OUTAGE, 25.0, 8.0))
    out.append(load("c-pg-kill", "PostgreSQL postmaster killed -9, then started", PgKill, ON_PATH, 25.0, 8.0))
    for app, share in (("gateway", ON_PATH), ("auth", AUTH_DOWN), ("users", OFF_PATH), ("products", ON_PATH),
                       ("cart", OFF_PATH)):
        out.append(load(f"d-kill-{app}", f"{app} killed -9, restarted 3 s later", lambda app=app: KillRestart(app, 3.0),
                        share))
    out.append(load("d-rolling-sigterm", "every component stopped (SIGTERM) and restarted in turn", Rolling,
                    ON_PATH, 45.0, 5.0))
    out.append(load("e-poison", "poison messages (4 kinds + contract-invalid) into every topic", Poison,
                    OFF_PATH, 25.0, 6.0))
    out.append(load("f-relay-kill", "orders, then stock, killed -9 mid-burst with events unconfirmed by their relays",
                    RelayKill, ON_PATH, 40.0, 6.0))
    out.append(load("f-pg-restart-streaming", "PostgreSQL restarted (fast) mid-burst while every relay streams",
                    PgRestartStreaming, SHORT_OUTAGE, 25.0, 8.0))
    out.append(load("f-relay-down-60s", "the orders relay stalled 60 s (walsender SIGSTOP) while orders are accepted",
                    lambda: RelayStall("orders", 60.0), OFF_PATH, 80.0, 6.0))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="", help="comma-separated scenario ids (prefixes allowed)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--topology", choices=("default", "cluster"), default="default",
                    help="cluster: the cluster catalogue (tests/fault/cluster.py), on a KAFKA_NODES=3 REPLICAS=2 stack")
    args = ap.parse_args()
    if args.topology == "cluster":
        sys.modules.setdefault("scenarios", sys.modules[__name__])  # one copy of this module for cluster.py
        import cluster  # noqa: E402  the cluster catalogue builds on this module's scenario runner
        scenarios = cluster.catalogue()
    else:
        scenarios = catalogue()
    if args.list:
        for sid, title, minimum, _ in scenarios:
            print(f"{sid:24} {title} (minimum {minimum} accepted orders)")
        return 0
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        scenarios = [s for s in scenarios if any(s[0].startswith(w) for w in wanted)]
    os.environ.setdefault("FAULT_OUT", os.path.dirname(os.path.abspath(args.out)))
    ctx = Ctx()
    racers = RACERS if args.topology == "default" else 0  # the race is a single-node scenario
    if args.topology == "cluster":
        cluster.require_cluster(ctx.stack)
    ctx.setup(racers)
    settings = dict(kv.split("=", 1) for kv in os.environ.get("FAULT_STACK_OVERRIDES", "").split() if "=" in kv)
    doc = {"topology": args.topology, "buyers": BUYERS, "ratePerBuyer": RATE, "racers": racers,
           "stackOverrides": settings, "scenarios": []}
    if args.topology == "cluster":
        doc.update(cluster.describe(ctx.stack))
    started = now()
    for sid, title, minimum, runner in scenarios:
        t = now()
        try:
            r = runner(ctx)
        except Exception as e:
            traceback.print_exc()
            r = {"id": sid, "title": title, "result": "fail", "figures": {"minAccepted": minimum},
                 "failures": {"harness": [f"{type(e).__name__}: {e}"]}, "notes": []}
        r["seconds"] = round(now() - t, 1)
        doc["scenarios"].append(r)
        doc["seconds"] = round(now() - started, 1)
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=2)
    failed = [s["id"] for s in doc["scenarios"] if s["result"] != "pass"]
    log(f"{len(doc['scenarios']) - len(failed)}/{len(doc['scenarios'])} scenarios passed"
        + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
