"""The pipeline's floor: what the database work an order cannot do without costs, measured with
pgbench on the stack's PostgreSQL, beside pgbench's single-row INSERT and the orders themselves.

An order needs, in this design (a database per service, each effect applied exactly once with its
inbox row, each event written into the WAL with the effect that caused it), nine transactions in
five databases: the order placed and later confirmed (orders), the reservation (stock), the shipment
created and made ready (shipping), three notifications (notification), the catalog's stock figure
(products). TRANSACTIONS below are those transactions, one pgbench script per database, on databases
built from the services' own migrations (the same tables, indexes, triggers and reserve_orders
function), with the smallest statements that do the work: no idempotency look-up, no decoding, no
Kafka. Each database streams its events through a logical replication slot, as the relays do, to
pg_recvlogical (which discards them). The five pgbench runs go at once, one per database, the same
number of orders each; their cost is read with the same meter as every other run.

The consumers apply what is waiting in one transaction, so the floor depends on how many orders a
consumer transaction carries: it is measured for batches of 1 (one order at a time), 2, 8 and 64;
the placing transaction is one per order in every case.
"""
import os
import pathlib
import re
import signal
import subprocess
import time

from cost import run_measured

HERE = pathlib.Path(__file__).resolve().parent
DATABASES = ["orders", "stock", "shipping", "notification", "products"]
USER = "00000000-0000-7000-8000-00000000f100"
# An envelope of the size the relay really carries (what OutboxMessage::encode writes).
ENVELOPE = ("v1\norder.events\n0192f000-0000-7000-8000-000000000001\n0192f000-0000-7000-8000-000000000002\n"
            "ORDER_CREATED\n1\n00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n" +
            '{"id":"0192f000-0000-7000-8000-000000000002","type":"ORDER_CREATED","version":1,'
            '"occurredAt":"2026-12-04T10:00:00.000Z","correlationId":"0192f000-0000-7000-8000-000000000003",'
            '"causationId":null,"producer":"orders","data":{"orderId":"0192f000-0000-7000-8000-000000000001",'
            '"userId":"00000000-0000-7000-8000-00000000f100","status":"PENDING","totalCents":1999,"currency":"USD",'
            '"items":[{"productId":"00000000-0000-4000-8000-000000000001","name":"Floor product",'
            '"unitPriceCents":1999,"quantity":1,"subtotalCents":1999}],'
            '"shippingAddress":{"line1":"1 Main St","city":"Springfield","postalCode":"12345","country":"US"}}}')
SETUP = {
    "orders": "",
    "stock": "INSERT INTO levels (product_id, available) SELECT floor_product(i), 1000000000000"
             " FROM generate_series(1, {products}) AS i;",
    "shipping": "",
    "notification": f"INSERT INTO users (user_id, email, name) VALUES ('{USER}', 'floor@example.com', 'Floor Reader');",
    "products": "INSERT INTO products (id, sku, name, description, price_cents, category, stock)"
                " SELECT floor_product(i), 'FLOOR-' || i, 'Floor product ' || i,"
                " 'A product of the floor measurement, described as a catalog would.', 1999, 'Bench', 1000000000"
                " FROM generate_series(1, {products}) AS i;",
}
FUNCTION = ("CREATE FUNCTION floor_product(integer) RETURNS uuid IMMUTABLE LANGUAGE sql AS"
            " $$ SELECT ('00000000-0000-4000-8000-' || lpad(to_hex($1), 12, '0'))::uuid $$;"
            " CREATE FUNCTION floor_id(bigint) RETURNS uuid IMMUTABLE LANGUAGE sql AS"
            " $$ SELECT ('00000000-0000-7000-8000-' || lpad(to_hex($1), 12, '0'))::uuid $$;")
# The two ways a client can send a transaction's statements: a round trip per statement, as
# libpqxx does (BEGIN, each statement, COMMIT), or the whole transaction in one (a compound
# statement: what a stored procedure per handler or libpq's pipeline mode would give).
MODES = ("statement", "transaction")


def _psql(url, *args, **kw):
    return subprocess.run(["psql", url, "-Xq", "-v", "ON_ERROR_STOP=1", *args], capture_output=True, text=True,
                          check=True, **kw)


def _migrations(service, repo):
    """The SQL a service's database is built from: the event bus's migrations, then its own."""
    files = sorted((repo / "events" / "migrations").glob("*.sql")) + \
        sorted((repo / "services" / service / "migrations").glob("*.sql"))
    return "\n".join(f.read_text() for f in files)


def prepare(superuser_url, repo, products):
    """Fresh floor_<service> databases with the services' schemas, seeded; returns {service: url}."""
    base = superuser_url.rpartition("/")[0]
    urls = {}
    for service in DATABASES:
        db = f"floor_{service}"
        _psql(superuser_url, "-c", f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                                   f" WHERE slot_name = '{db}'")
        _psql(superuser_url, "-c", f"DROP DATABASE IF EXISTS {db}", "-c", f"CREATE DATABASE {db}")
        url = f"{base}/{db}"
        _psql(url, input=_migrations(service, repo) + "\n" + FUNCTION + "\n" +
              SETUP[service].format(products=products) + "\nVACUUM ANALYZE;\n")
        _psql(url, "-c", f"SELECT pg_create_logical_replication_slot('{db}', 'pgoutput')")
        urls[service] = url
    return urls


def _replication_url(url):
    return url + ("&" if "?" in url else "?") + "replication=database"


# Each database's transactions for B orders, B the batch a consumer applies in one transaction:
# (per_order, statements). A per-order transaction is written B times (order k of the batch; the
# order is placed by its own request, never batched); a batched one applies all B at once, the way
# the consumer runner does (one inbox statement, one statement per effect, the events in the WAL).
# {k}: the order's number in the batch; {B}: the batch; :o, :p, :products, :user_id, :envelope
# are pgbench variables.
_EMIT = "SELECT count(pg_logical_emit_message(true, 'shopmesh.outbox', :envelope::text)) FROM generate_series(1, {n})"
_INBOX = ("INSERT INTO inbox (consumer_group, event_id, type, topic, partition, \"offset\")"
          " SELECT '{group}', gen_random_uuid(), '{type}', '{topic}', 0, i FROM generate_series(1, {B}) AS i")
_IDS = "SELECT floor_id(:o::bigint + i) FROM generate_series(1, {B}) AS i"
_NOTIFY = [_INBOX.replace("{group}", "notification").replace("{topic}", "order.events"),
           "SELECT name FROM users WHERE user_id = :user_id",
           "INSERT INTO notifications (id, event_id, user_id, type, channel, subject, body, order_id, correlation_id,"
           " delivered_at) SELECT gen_random_uuid(), gen_random_uuid(), :user_id, '{type}', 'IN_APP', 'About your order',"
           " 'Hello Floor Reader, this is about your order and what happens to it next.', floor_id(:o::bigint + i),"
           " 'c', clock_timestamp() FROM generate_series(1, {B}) AS i",
           _EMIT.replace("{n}", "{B}")]
TRANSACTIONS = {
    "orders": [
        (True, ["INSERT INTO orders (id, user_id, status, total_cents, ship_line1, ship_city, ship_postal_code,"
                " ship_country) VALUES (floor_id(:o::bigint + {k}), :user_id, 'PENDING', 1999, '1 Main St',"
                " 'Springfield', '12345', 'US')",
                "INSERT INTO order_items (order_id, line_no, product_id, product_name, unit_price_cents, quantity,"
                " subtotal_cents) VALUES (floor_id(:o::bigint + {k}), 1, floor_product(1 + (:p + {k}) % :products),"
                " 'Floor product', 1999, 1, 1999)",
                "SELECT pg_logical_emit_message(true, 'shopmesh.outbox', :envelope::text)"]),
        (False, [_INBOX.format(group="orders", type="STOCK_RESERVED", topic="stock.events", B="{B}"),
                 "UPDATE orders SET status = 'CONFIRMED', updated_at = now() WHERE id IN (" + _IDS + ")"
                 " AND status = 'PENDING'",
                 _EMIT.replace("{n}", "{B}")]),
    ],
    "stock": [
        (False, [_INBOX.format(group="stock", type="ORDER_CREATED", topic="order.events", B="{B}"),
                 "SELECT count(*) FROM reserve_orders((" + _IDS.replace("SELECT floor_id", "SELECT array_agg(floor_id")
                 .replace(" FROM generate", ") FROM generate") + "), array_fill(1, ARRAY[{B}]),"
                 " (SELECT array_agg(floor_product(1 + (:p + i) % :products)) FROM generate_series(1, {B}) AS i),"
                 " array_fill(1::bigint, ARRAY[{B}]), false)",
                 _EMIT.replace("{n}", "2 * {B}")]),
    ],
    "shipping": [
        (False, [_INBOX.format(group="shipping", type="ORDER_CREATED", topic="order.events", B="{B}"),
                 "INSERT INTO shipments (id, order_id, user_id, status, address, announced)"
                 " SELECT gen_random_uuid(), floor_id(:o::bigint + i), :user_id, 'PENDING',"
                 " '{\"line1\": \"1 Main St\", \"city\": \"Springfield\"}', true FROM generate_series(1, {B}) AS i",
                 _EMIT.replace("{n}", "{B}")]),
        (False, [_INBOX.format(group="shipping", type="STOCK_RESERVED", topic="stock.events", B="{B}"),
                 "UPDATE shipments SET status = 'READY', tracking_number = 'TRK' || replace(gen_random_uuid()::text,"
                 " '-', ''), updated_at = now() WHERE order_id IN (" + _IDS + ") AND status = 'PENDING'",
                 _EMIT.replace("{n}", "{B}")]),
    ],
    "notification": [(False, [t.replace("{type}", kind) for t in _NOTIFY])
                     for kind in ("ORDER_CREATED", "ORDER_CONFIRMED", "SHIPMENT_STATUS_CHANGED")],
    "products": [
        (False, [_INBOX.format(group="products", type="STOCK_CHANGED", topic="stock.events", B="{B}"),
                 "UPDATE products SET stock = greatest(stock - 1, 0), stock_changed_at = clock_timestamp()"
                 " WHERE id IN (SELECT floor_product(1 + (:p + i) % :products) FROM generate_series(1, {B}) AS i)"]),
    ],
}


def _script(service, mode, batch, folder):
    """A pgbench script for one batch of orders in a service's database. mode "statement": a round
    trip per statement, as libpqxx sends them; "transaction": each transaction in one request."""
    lines = ["\\set o random(1, 140737488355327)", "\\set p random(0, 1000000)"]
    for per_order, statements in TRANSACTIONS[service]:
        for k in range(1, batch + 1) if per_order else [None]:
            sql = ["BEGIN"] + [st.replace("{k}", str(k)).replace("{B}", str(batch)) for st in statements] + ["COMMIT"]
            lines += [st + ";" for st in sql] if mode == "statement" else [" \\; ".join(sql) + ";"]
    path = folder / f"floor-{service}-{mode}-{batch}.sql"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(meter, urls, products, mode, batch, clients, batches_per_client, pgbench_tx_ms, folder):
    """One floor measurement: `clients` concurrent clients per database, each applying
    `batches_per_client` batches of `batch` orders; all five databases at once."""
    readers = [subprocess.Popen(["pg_recvlogical", "-d", _replication_url(url), "--slot", f"floor_{s}", "--start",
                                 "-o", "proto_version=1", "-o", "publication_names=shopmesh_outbox",
                                 "-o", "messages=true", "-s", "1", "-f", "/dev/null"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for s, url in urls.items()]
    time.sleep(1)
    # Prepared statements take parameters; a compound statement goes as text, its values quoted.
    values = f"-M prepared -D user_id={USER} -D envelope={_quote(ENVELOPE)}" if mode == "statement" else \
        f"-M simple -D user_id={_quote(_literal(USER))} -D envelope={_quote(_literal(ENVELOPE))}"
    logs = {s: folder / f"floor-{s}.log" for s in urls}
    # The five pgbench runs as one load generator: a shell that starts them together and waits. Two
    # clients' batched catalog updates can deadlock (the same products, locked in another order); the
    # loser is retried, as a consumer's transaction would be, and its work counted.
    runs = " & ".join(
        f"pgbench -n {values} -c {clients} -j 1 -t {batches_per_client} --max-tries 20 -D products={products}"
        f" -f {_script(s, mode, batch, folder)} {_quote(url)} > {_quote(str(logs[s]))} 2>&1"
        for s, url in urls.items())
    script = f"{runs} & wait; grep -h 'number of transactions actually processed' " + \
        " ".join(_quote(str(f)) for f in logs.values())
    orders = clients * batches_per_client * batch

    def done(text):
        counts = [int(n) for n in re.findall(r"processed: (\d+)", text)]
        return min(counts) * batch if len(counts) == len(urls) else 0

    rc, text, spent = run_measured(meter, ["bash", "-c", script], done)
    seconds = spent["seconds"]
    reader_ms = 0.0
    for r in readers:
        r.send_signal(signal.SIGINT)
    for r in readers:
        _, _, usage = os.wait4(r.pid, 0)
        reader_ms += (usage.ru_utime + usage.ru_stime) * 1000.0
    if rc != 0 or done(text) != orders:
        raise RuntimeError(f"floor: pgbench failed ({rc}): " + " | ".join(f.read_text()[-300:] for f in logs.values()))
    per = spent["perUnit"]
    # The stack's own walsenders of these five services are woken by every floor commit; their floor
    # counterparts do the streaming here, so only theirs count (the stack has 7 slots, as the floor).
    postgres_ms = sum(v for k, v in per["cpuMs"].items()
                      if k.startswith("postgres") and k not in {f"postgres: {s} relay" for s in DATABASES})
    floor_ms = postgres_ms + reader_ms / orders
    return {"mode": mode, "batch": batch, "clients": clients, "orders": orders, "seconds": seconds,
            "ordersPerSecond": round(orders / seconds, 1),
            "transactionsPerOrder": round(sum(batch if per_order else 1 for t in TRANSACTIONS.values()
                                              for per_order, _ in t) / batch, 2),
            "postgresCpuMs": round(postgres_ms, 3), "readersCpuMs": round(reader_ms / orders, 3),
            "floorCpuMs": round(floor_ms, 3), "pgbenchTransactions": round(floor_ms / pgbench_tx_ms, 1),
            "cost": spent}


# What make bench measures: a round trip per statement as the services send them, unbatched (one
# order at a time) and in batches of 2, 8 and 64; and unbatched with one round trip per transaction.
PLAN = [("statement", 1), ("transaction", 1), ("statement", 2), ("statement", 8), ("statement", 64)]


def measure(meter, superuser_url, repo, products, pgbench_tx_ms, folder, clients=2, orders=2000, plan=PLAN):
    """The floor for a catalog of `products`, for each (mode, batch) of the plan."""
    urls = prepare(superuser_url, repo, products)
    try:
        return [run(meter, urls, products, mode, batch, clients, max(1, orders // (clients * batch)), pgbench_tx_ms, folder)
                for mode, batch in plan]
    finally:
        for s in urls:
            _psql(superuser_url, "-c", f"SELECT pg_drop_replication_slot('floor_{s}')")


def _literal(s):
    return "'" + s.replace("'", "''") + "'"


def _quote(s):
    return "'" + s.replace("'", "'\\''") + "'"
