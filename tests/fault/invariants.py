"""The invariants every fault scenario ends with, checked through SQL (each service's own database), what
Kafka holds and the public API once the mesh has settled:

  * every order that got a 2xx exists and reached CONFIRMED/REJECTED (or later); the API agrees;
  * nothing lost on the way to Kafka: each order's ORDER_CREATED, its shipment's SHIPMENT_CREATED and the
    status change to where its shipment stands were published;
  * no order has more than one reservation, stock decision, shipment or notification of a kind
    (counted on the events each service published and on its tables). Delivery is at-least-once, so
    events are counted by distinct event id: the same id twice is a redelivery, two ids are two effects;
  * every settled order has all its effects (decision, shipment in the matching state, notifications);
  * stock is conserved per product (initial = available + reserved, reserved = the live orders' lines)
    and was never negative (every published STOCK_CHANGED level >= 0); the catalog's projection agrees;
  * each DLQ holds exactly the poison messages injected during the scenario (none otherwise);
  * every component answers /health with 200.
"""
from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from kit import LIVE, SETTLED, Admin, Api, Bus, Intent, Stack, TopicLog, now, sql, user_call, uuid_array

# The topics the invariants count events on; each has a single producing service.
ORDER_TOPIC, STOCK_TOPIC, SHIPPING_TOPIC = "order.events", "stock.events", "shipping.events"


class Scope:
    """What a scenario owns: its products (label -> (id, initial units)) and its order intents."""

    def __init__(self, products: dict[str, tuple[str, int]], intents: list[Intent], dlq_snapshot: dict[str, int],
                 poison: dict[str, dict[str, str]] | None = None) -> None:
        self.products = products
        self.intents = intents
        self.dlq_snapshot = dlq_snapshot
        self.poison = poison or {}  # dlq topic -> {poison id: expected dlq-error-class}

    @property
    def product_ids(self) -> list[str]:
        return [pid for pid, _ in self.products.values()]


@dataclass(frozen=True)
class Event:
    """One event as Kafka holds it: what the invariants count it by."""
    key: str                     # the message key (the aggregate id)
    id: str                      # the envelope's id: the same for every redelivery of the event
    type: str
    to: str = ""                 # SHIPMENT_STATUS_CHANGED: data.to
    available: int | None = None  # STOCK_CHANGED: data.available


def event_of(message: dict) -> Event | None:
    """The event a kcat message carries; None for what is not an envelope (poison)."""
    try:
        envelope = json.loads(message.get("payload") or "")
    except ValueError:
        return None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("id"), str):
        return None
    data = envelope.get("data") if isinstance(envelope.get("data"), dict) else {}
    available = data.get("available")
    return Event(message.get("key") or "", envelope["id"], str(envelope.get("type")),
                 data.get("to") if isinstance(data.get("to"), str) else "",
                 available if isinstance(available, int) and not isinstance(available, bool) else None)


def event_log(bus: Bus) -> TopicLog:
    """What was published on the counted topics; one for the whole run (each check reads only what is new)."""
    return TopicLog(bus, [ORDER_TOPIC, STOCK_TOPIC, SHIPPING_TOPIC], event_of)


def distinct_ids(events: list[Event], keys: set[str], by_to: bool = False) -> Counter:
    """Distinct event ids per (key, type), or per (key, type, data.to), among the events of `keys`."""
    ids: dict[tuple, set[str]] = defaultdict(set)
    for e in events:
        if e.key in keys:
            ids[(e.key, e.type, e.to) if by_to else (e.key, e.type)].add(e.id)
    return Counter({k: len(v) for k, v in ids.items()})


def redeliveries(events: list[Event], keys: set[str]) -> int:
    """Copies of an event beyond its first among the events of `keys` (at-least-once at work)."""
    ids = [e.id for e in events if e.key in keys]
    return len(ids) - len(set(ids))


def lowest_levels(events: list[Event], products: set[str]) -> dict[str, int]:
    """The lowest available level each product's STOCK_CHANGED events published."""
    out: dict[str, int] = {}
    for e in events:
        if e.type == "STOCK_CHANGED" and e.key in products and e.available is not None:
            out[e.key] = min(out.get(e.key, e.available), e.available)
    return out


def gather(stack: Stack, published: TopicLog, scope: Scope) -> dict:
    """One consistent-enough read of every table the invariants look at, then of what Kafka holds (read after
    the tables: an event of a state already read has had its chance to be published)."""
    products = uuid_array(scope.product_ids)
    orders = {}
    for oid, status, user, key in sql(stack.db["orders"], f"""
            SELECT o.id, o.status, o.user_id, coalesce(k.key, '')
            FROM orders o LEFT JOIN idempotency_keys k ON k.order_id = o.id
            WHERE o.id IN (SELECT order_id FROM order_items WHERE product_id = ANY({products}))"""):
        orders[oid] = {"status": status, "user": user, "key": key, "lines": {}}
    for oid in {i.order_id for i in scope.intents if i.accepted} - orders.keys():
        # an accepted order for our products that is not there (or, rarely, one whose lines are elsewhere)
        rows = sql(stack.db["orders"], f"SELECT status, user_id FROM orders WHERE id = '{oid}'")
        if rows:
            orders[oid] = {"status": rows[0][0], "user": rows[0][1], "key": "", "lines": {}}
    ids = list(orders)
    ids_sql = uuid_array(ids)
    for oid, pid, qty in sql(stack.db["orders"], f"SELECT order_id, product_id, sum(quantity) FROM order_items"
                                                  f" WHERE order_id = ANY({ids_sql}) GROUP BY 1, 2"):
        orders[oid]["lines"][pid] = int(qty)

    def counts(db: str, query: str) -> Counter:
        return Counter({tuple(r[:-1]): int(r[-1]) for r in sql(stack.db[db], query)})

    s = {"orders": orders}
    s["decisions"] = dict((r[0], r[1]) for r in sql(stack.db["stock"], "SELECT order_id, outcome FROM order_decisions"
                                                                      f" WHERE order_id = ANY({ids_sql})"))
    s["reservations"] = [(o, p, int(q), st) for o, p, q, st in sql(stack.db["stock"], f"""
            SELECT order_id, product_id, quantity, status FROM reservations WHERE product_id = ANY({products})""")]
    s["levels"] = {p: (int(a), int(r), act == "t") for p, a, r, act in sql(stack.db["stock"], f"""
            SELECT product_id, available, reserved, active FROM levels WHERE product_id = ANY({products})""")}
    s["shipments"] = {}
    for oid, status, n in sql(stack.db["shipping"], f"""
            SELECT order_id, min(status), count(*) FROM shipments WHERE order_id = ANY({ids_sql}) GROUP BY 1"""):
        s["shipments"][oid] = (status, int(n))
    s["notifications"] = counts("notification", f"""
            SELECT order_id, type, subject, count(*) FROM notifications WHERE order_id = ANY({ids_sql})
            GROUP BY 1, 2, 3""")
    s["projection"] = {p: int(st) for p, st in sql(stack.db["products"], f"""
            SELECT id, stock FROM products WHERE id = ANY({products})""")}

    events = published.refresh()
    keys, product_keys = set(ids), set(scope.product_ids)
    s["orders_events"] = distinct_ids(events[ORDER_TOPIC], keys)
    s["stock_events"] = distinct_ids(events[STOCK_TOPIC], keys)
    s["shipping_events"] = distinct_ids(events[SHIPPING_TOPIC], keys, by_to=True)
    s["min_level"] = lowest_levels(events[STOCK_TOPIC], product_keys)
    s["redelivered"] = sum(redeliveries(events[t], keys | product_keys) for t in events)
    return s


def problems(scope: Scope, s: dict) -> dict[str, list[str]]:
    """Every violated invariant, by kind (empty lists when all hold)."""
    out: dict[str, list[str]] = defaultdict(list)
    orders = s["orders"]
    by_key = {i.key: i for i in scope.intents}

    # --- accepted orders exist and settle; orders correspond to intents (no duplicate orders)
    for i in scope.intents:
        if i.accepted and i.order_id not in orders:
            out["lost"].append(f"accepted order {i.order_id} does not exist")
    per_key = Counter(o["key"] for o in orders.values())
    for oid, o in orders.items():
        if o["status"] not in SETTLED:
            out["unsettled"].append(f"order {oid} is {o['status']}")
        if not o["key"] or o["key"] not in by_key:
            out["duplicate"].append(f"order {oid} matches no intent (key {o['key']!r})")
        elif per_key[o["key"]] > 1:
            out["duplicate"].append(f"{per_key[o['key']]} orders for one Idempotency-Key {o['key']}")
        elif by_key[o["key"]].accepted and by_key[o["key"]].order_id != oid:
            out["duplicate"].append(f"intent {o['key']} accepted as {by_key[o['key']].order_id} but also made {oid}")

    # --- events emitted at most once per order (and ORDER_CREATED exactly once)
    oe, se, she = s["orders_events"], s["stock_events"], s["shipping_events"]
    for oid, o in orders.items():
        if oe[(oid, "ORDER_CREATED")] != 1:
            out["lost event" if oe[(oid, "ORDER_CREATED")] == 0 else "duplicate"].append(
                f"order {oid}: {oe[(oid, 'ORDER_CREATED')]} ORDER_CREATED on {ORDER_TOPIC}")
        for kinds in (("ORDER_CONFIRMED", "ORDER_REJECTED"), ("ORDER_CANCELLED",)):
            n = sum(oe[(oid, k)] for k in kinds)
            if n > 1:
                out["duplicate"].append(f"order {oid}: {n} {'/'.join(kinds)} events")
        n = se[(oid, "STOCK_RESERVED")] + se[(oid, "STOCK_REJECTED")]
        if n > 1:
            out["duplicate"].append(f"order {oid}: {n} STOCK_RESERVED/REJECTED events")
        if se[(oid, "STOCK_RELEASED")] > 1:
            out["duplicate"].append(f"order {oid}: {se[(oid, 'STOCK_RELEASED')]} STOCK_RELEASED events")
        if she[(oid, "SHIPMENT_CREATED", "")] > 1:
            out["duplicate"].append(f"order {oid}: {she[(oid, 'SHIPMENT_CREATED', '')]} SHIPMENT_CREATED events")
    for (oid, typ, to), n in she.items():
        if typ == "SHIPMENT_STATUS_CHANGED" and n > 1:
            out["duplicate"].append(f"order {oid}: {n} SHIPMENT_STATUS_CHANGED to {to}")
    for (oid, typ, subject), n in s["notifications"].items():
        if n > 1:
            out["duplicate"].append(f"order {oid}: {n} {typ} notifications ({subject})")
    if any(n > 1 for n in Counter((o, p) for o, p, _, _ in s["reservations"]).values()):
        out["duplicate"].append("more than one reservation row for an order and product")

    # --- every settled order has all its effects, in the state its status implies
    reserved_by_order = defaultdict(dict)
    for o, p, q, st in s["reservations"]:
        if st == "RESERVED":
            reserved_by_order[o][p] = q
    notes = Counter()
    for (oid, typ, _), n in s["notifications"].items():
        notes[(oid, typ)] += n
    for oid, o in orders.items():
        st = o["status"]
        if st not in SETTLED:
            continue
        live = st in LIVE
        if live and reserved_by_order.get(oid, {}) != o["lines"]:
            out["inconsistent"].append(f"{st} order {oid}: reserved {reserved_by_order.get(oid, {})} != lines")
        if not live and reserved_by_order.get(oid):
            out["inconsistent"].append(f"{st} order {oid} still holds {reserved_by_order[oid]}")
        want_decision = {"REJECTED": ("REJECTED",), "CANCELLED": ("CANCELLED", "REJECTED")}.get(st, ("RESERVED",))
        if s["decisions"].get(oid) not in want_decision:
            out["missing effect"].append(f"{st} order {oid}: stock decision {s['decisions'].get(oid)}")
        ship = s["shipments"].get(oid, (None, 0))[0]
        want_ship = ("READY", "SHIPPED", "DELIVERED") if live else ("CANCELLED",)
        if ship not in want_ship:
            out["missing effect"].append(f"{st} order {oid}: shipment {ship}")
        elif s["shipping_events"][(oid, "SHIPMENT_CREATED", "")] == 0:
            out["lost event"].append(f"{st} order {oid}: shipment {ship} but no SHIPMENT_CREATED on {SHIPPING_TOPIC}")
        elif s["shipping_events"][(oid, "SHIPMENT_STATUS_CHANGED", ship)] == 0:
            out["lost event"].append(f"{st} order {oid}: shipment {ship} but no SHIPMENT_STATUS_CHANGED to {ship}"
                                     f" on {SHIPPING_TOPIC}")
        for typ in ("ORDER_CREATED", {"REJECTED": "ORDER_REJECTED", "CANCELLED": "ORDER_CANCELLED"}.get(st, "ORDER_CONFIRMED")):
            if notes[(oid, typ)] != 1:
                out["missing effect" if notes[(oid, typ)] == 0 else "duplicate"].append(
                    f"{st} order {oid}: {notes[(oid, typ)]} {typ} notifications")

    # --- stock conserved and never negative, per product; the catalog's projection agrees
    for label, (pid, initial) in scope.products.items():
        if pid not in s["levels"]:
            out["stock"].append(f"{label}: no level")
            continue
        avail, reserved, _ = s["levels"][pid]
        held = sum(q for o, p, q, st in s["reservations"] if p == pid and st == "RESERVED")
        live_qty = sum(o["lines"].get(pid, 0) for o in orders.values() if o["status"] in LIVE)
        if avail < 0 or reserved < 0 or s["min_level"].get(pid, 0) < 0:
            out["stock"].append(f"{label}: negative (available {avail}, reserved {reserved}, "
                                f"lowest published {s['min_level'].get(pid)})")
        if avail + reserved != initial:
            out["stock"].append(f"{label}: available {avail} + reserved {reserved} != initial {initial}")
        if reserved != held:
            out["stock"].append(f"{label}: level reserved {reserved} != reservations {held}")
        if held != live_qty:
            out["stock"].append(f"{label}: reservations {held} != live orders' quantity {live_qty}")
        if s["projection"].get(pid) != avail:
            out["stock"].append(f"{label}: catalog shows {s['projection'].get(pid)}, stock has {avail}")
    return out


def settle(stack: Stack, published: TopicLog, scope: Scope,
           timeout: float = 90) -> tuple[dict, dict, float, list[str]]:  # noqa: C901
    """Waits until every invariant holds (effects arrive asynchronously) or the deadline passes; also returns
    what it waited on (the kinds of problem seen, with an example each)."""
    t0 = now()
    state, found = {}, {"probe": ["no read yet"]}
    waited: dict[str, str] = {}
    while True:
        try:
            state = gather(stack, published, scope)
            found = problems(scope, state)
        except Exception as e:  # a database still restarting
            found = {"probe": [str(e)[:300]]}
        for kind, items in found.items():
            if items:
                waited.setdefault(kind, f"{kind} ({items[0][:140]})")
        if not any(found.values()) or now() - t0 > timeout:
            return state, found, now() - t0, list(waited.values())
        time.sleep(0.5)


def check_api(stack: Stack, admin: Admin, scope: Scope, state: dict) -> list[str]:
    """The same facts through the public API: each accepted order as its owner sees it, the stock levels as
    the admin sees them, and a sample of shipments."""
    out = []
    api = Api(stack.gateway_url)
    accepted = [i for i in scope.intents if i.accepted]
    for i in accepted:
        code, body = user_call(api, i.user, "GET", f"/api/orders/{i.order_id}")
        want = state["orders"].get(i.order_id, {}).get("status")
        if code != 200 or body.get("status") != want or body.get("status") not in SETTLED:
            out.append(f"GET /api/orders/{i.order_id}: {code} {body.get('status') if code == 200 else body}"
                       f" (database: {want})")
    for label, (pid, _) in scope.products.items():
        level = admin.level(pid)
        a, r, _ = state["levels"].get(pid, (None, None, None))
        if not level or (level.get("available"), level.get("reserved")) != (a, r):
            out.append(f"GET /api/stock/{pid} ({label}): {level} (database: available {a}, reserved {r})")
    for i in random.Random(7).sample(accepted, min(20, len(accepted))):
        code, body = user_call(api, i.user, "GET", f"/api/shipments?orderId={i.order_id}")
        got = body.get("status") if code == 200 and isinstance(body, dict) else body
        want = state["shipments"].get(i.order_id, (None, 0))[0]
        if code != 200 or got != want:
            out.append(f"GET /api/shipments?orderId={i.order_id}: {code} {got} (database: {want})")
    api.close()
    return out


def check_dlq(bus: Bus, scope: Scope) -> tuple[dict[str, int], list[str]]:
    """New dead letters since the scenario started must be exactly the injected poison, once each."""
    got = bus.dlq_since(scope.dlq_snapshot)
    counts, out = {}, []
    for dlq, messages in got.items():
        counts[dlq] = len(messages)
        expected = scope.poison.get(dlq, {})
        seen = Counter(m["headers"].get("fault-poison-id", "") for m in messages)
        for m in messages:
            pid = m["headers"].get("fault-poison-id", "")
            if pid not in expected:
                out.append(f"{dlq}: unexpected dead letter at {m['headers'].get('dlq-original-topic')}"
                           f"[{m['headers'].get('dlq-original-partition')}]@{m['headers'].get('dlq-original-offset')}"
                           f" type {m['headers'].get('event-type')} ({m['headers'].get('dlq-error-class')}:"
                           f" {m['headers'].get('dlq-error-message', '')[:120]})")
            elif m["headers"].get("dlq-error-class") != expected[pid]:
                out.append(f"{dlq}: poison {pid} classified {m['headers'].get('dlq-error-class')}, "
                           f"expected {expected[pid]}")
            elif m.get("key") != pid or not dlq.startswith(m["headers"].get("dlq-original-topic", "?") + "."):
                out.append(f"{dlq}: poison {pid} came back with key {m.get('key')!r} from "
                           f"{m['headers'].get('dlq-original-topic')}")
        for pid in expected:
            if seen[pid] != 1:
                out.append(f"{dlq}: poison {pid} dead-lettered {seen[pid]} times (expected once)")
    return counts, out

