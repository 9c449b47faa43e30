"""What a run costs the whole stack: CPU time read from /proc for every process of the stack (by
component), and PostgreSQL's and Kafka's work counters (statements by service, transactions, WAL
bytes, messages produced and deliveries consumed). Take a snapshot before and after a run; the
difference, divided by what the run did (orders settled, pgbench transactions), is its cost.

PostgreSQL's CPU is split by what its processes serve: each backend is charged to its database
(one per service) and, for the outbox relay's connections (application_name 'outbox-relay…'), to
that service's relay; the checkpointer, WAL writer, autovacuum and other auxiliaries are
'postgres (background)'. Backends that exited during the run are counted through the
postmaster's reaped-children time, as 'postgres (exited backends)'.
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def cpu_ms(pid, children=False):
    """utime+stime of a process (all its threads), in ms; with children, also its reaped children's."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields after the command: state is [0], utime [11], stime [12], cutime [13], cstime [14].
    own = (int(fields[11]) + int(fields[12])) * TICK_MS
    return own + ((int(fields[13]) + int(fields[14])) * TICK_MS if children else 0.0)


def children(pid):
    """The pids a process's threads have forked."""
    out = []
    for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _psql(url, sql):
    return subprocess.run(["psql", url, "-XAtqF", "\t", "-c", sql], capture_output=True, text=True,
                          check=True).stdout


def run_pids(state):
    """{name: pid} of the stack's processes, from its state dir's run/*.pid files."""
    pids = {}
    for f in (pathlib.Path(state) / "run").glob("*.pid"):
        try:
            pids[f.stem] = int(f.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return pids


def postmaster_pid(state):
    """The stack's PostgreSQL postmaster, from its data dir; None when it is not running."""
    try:
        return int((pathlib.Path(state) / "pg" / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def component(name):
    """The component a run/*.pid file names: a service's instance counts as the service (orders-2 ->
    orders) and a Kafka node as Kafka (kafka-3 -> kafka (JVM))."""
    name = re.sub(r"-\d+$", "", name)
    return "kafka (JVM)" if name == "kafka" else name


class StackMeter:
    """Snapshots of what the stack has done so far. `state` is the stack's state dir (run/*.pid,
    pg/data/postmaster.pid); `pg_url` a superuser URL; `metrics_urls` {service: [base URL of each
    instance]}."""

    def __init__(self, state, pg_url, metrics_urls):
        self.state = pathlib.Path(state)
        self.pg_url = pg_url
        self.metrics_urls = metrics_urls
        self.statements = self._enable_statements()

    def _enable_statements(self):
        try:
            _psql(self.pg_url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            _psql(self.pg_url, "SELECT count(*) FROM pg_stat_statements")
            return True
        except subprocess.CalledProcessError:
            return False  # not in shared_preload_libraries: statements are not counted

    # ---------------------------------------------------------------- CPU by component
    def _backends(self):
        """pid -> component for PostgreSQL's processes, from pg_stat_activity."""
        out = {}
        for line in _psql(self.pg_url, "SELECT pid, coalesce(datname, ''), coalesce(application_name, ''),"
                                       " backend_type FROM pg_stat_activity").splitlines():
            pid, db, app, kind = line.split("\t")
            if kind in ("client backend", "walsender") and db:
                if app.startswith("outbox-relay") or kind == "walsender":
                    out[int(pid)] = f"postgres: {db} relay"
                elif app.startswith("psql") or app.startswith("pgbench") or db == "bench":
                    out[int(pid)] = "postgres: bench client" if db != "bench" else "postgres: pgbench"
                else:
                    out[int(pid)] = f"postgres: {db}"
            else:
                out[int(pid)] = "postgres (background)"
        return out

    def cpu(self):
        """component -> CPU ms so far. PostgreSQL's live processes by component, plus its exited ones."""
        by = {}

        def add(name, ms):
            if ms is not None:
                by[name] = by.get(name, 0.0) + ms

        for name, pid in run_pids(self.state).items():
            # A service's process tree (the JVM for kafka) in one figure, its instances and Kafka's
            # nodes summed (orders-1 and orders-2 are "orders", kafka-1..3 "kafka (JVM)").
            add(component(name), cpu_ms(pid))
        pm = postmaster_pid(self.state)
        if pm:
            kinds = self._backends()
            add("postgres (postmaster)", cpu_ms(pm))
            # Reaped children: backends that ended (their CPU is no longer in /proc/<pid>).
            reaped = cpu_ms(pm, children=True)
            add("postgres (exited backends)", None if reaped is None else reaped - cpu_ms(pm))
            for child in children(pm):
                add(kinds.get(child, "postgres (background)"), cpu_ms(child))
        return by

    # ---------------------------------------------------------------- PostgreSQL and Kafka counters
    def counters(self):
        wal, xid = _psql(self.pg_url, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn,"
                                      " pg_snapshot_xmax(pg_current_snapshot())").split()
        c = {"walBytes": int(wal.split(".")[0]), "xids": int(xid)}
        c["transactions"] = {}
        for line in _psql(self.pg_url, "SELECT datname, xact_commit + xact_rollback FROM pg_stat_database"
                                       " WHERE datname IS NOT NULL").splitlines():
            db, n = line.split("\t")
            c["transactions"][db] = int(n)
        if self.statements:
            c["statements"] = {}
            for line in _psql(self.pg_url, "SELECT d.datname, sum(s.calls) FROM pg_stat_statements s"
                                           " JOIN pg_database d ON d.oid = s.dbid GROUP BY 1").splitlines():
                db, n = line.split("\t")
                c["statements"][db] = int(n)
        produced, consumed = {}, {}
        for service, urls in self.metrics_urls.items():
            for url in urls:  # every instance of the service
                try:
                    with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
                        text = r.read().decode()
                except OSError:
                    continue
                produced[service] = produced.get(service, 0.0) + sum(
                    float(m.group(1)) for m in
                    re.finditer(r"^outbox_published_total(?:\{[^}]*\})? ([\d.e+]+)$", text, re.M))
                consumed[service] = consumed.get(service, 0.0) + sum(
                    float(m.group(1)) for m in
                    re.finditer(r'^events_consumed_total\{[^}]*outcome="(?:applied|duplicate|ignored)"'
                                r'[^}]*\} ([\d.e+]+)$', text, re.M))
        c["kafkaProduced"], c["kafkaConsumed"] = produced, consumed
        return c

    def snapshot(self, settle=False):
        """CPU now; counters after PostgreSQL's backends have flushed their statistics (an idle
        backend reports its last transactions up to 10 s late) when `settle`."""
        at, cpu = time.monotonic(), self.cpu()
        if settle:
            time.sleep(11)
        return {"at": at, "cpu": cpu, "counters": self.counters()}


def _diff(a, b):
    return {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b) if b.get(k, 0) - a.get(k, 0) != 0}


def cost(before, after, units, load_cpu_ms=None):
    """What happened between two snapshots, in total and per unit (order settled, transaction)."""
    cpu = _diff(before["cpu"], after["cpu"])
    cb, ca = before["counters"], after["counters"]
    tx, st = _diff(cb["transactions"], ca["transactions"]), _diff(cb.get("statements", {}), ca.get("statements", {}))
    produced, consumed = _diff(cb["kafkaProduced"], ca["kafkaProduced"]), _diff(cb["kafkaConsumed"], ca["kafkaConsumed"])
    stack_ms = sum(cpu.values())
    per = max(units, 1)
    out = {
        "units": units, "seconds": round(after["at"] - before["at"], 2),
        "cpuMs": {k: round(v, 1) for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])},
        "stackCpuMs": round(stack_ms, 1), "loadGeneratorCpuMs": load_cpu_ms,
        "perUnit": {
            "stackCpuMs": round(stack_ms / per, 3),
            "postgresCpuMs": round(sum(v for k, v in cpu.items() if k.startswith("postgres")) / per, 3),
            "cpuMs": {k: round(v / per, 3) for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])},
            "loadGeneratorCpuMs": None if load_cpu_ms is None else round(load_cpu_ms / per, 3),
            "walBytes": round((ca["walBytes"] - cb["walBytes"]) / per, 1),
            "transactions": round(sum(tx.values()) / per, 2),
            "writeTransactions": round((ca["xids"] - cb["xids"]) / per, 2),
            "transactionsByDatabase": {k: round(v / per, 2) for k, v in sorted(tx.items())},
            "statements": round(sum(st.values()) / per, 2) if "statements" in ca else None,
            "statementsByDatabase": {k: round(v / per, 2) for k, v in sorted(st.items())},
            "kafkaProduced": round(sum(produced.values()) / per, 2),
            "kafkaProducedByService": {k: round(v / per, 2) for k, v in sorted(produced.items())},
            "kafkaConsumed": round(sum(consumed.values()) / per, 2),
            "kafkaConsumedByService": {k: round(v / per, 2) for k, v in sorted(consumed.items())},
        },
    }
    return out


def run_measured(meter, argv, units_of):
    """Runs argv (a load generator) between two snapshots; returns (exit code, stdout, cost).
    units_of(stdout) says how many units (orders settled, transactions) the run did. The load
    generator's own CPU comes from its rusage."""
    before = meter.snapshot()
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen(argv, stdout=out, stderr=sys.stderr, text=True)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        after = meter.snapshot(settle=True)
        out.seek(0)
        text = out.read()
    load_ms = (usage.ru_utime + usage.ru_stime) * 1000.0
    return p.returncode, text, cost(before, after, units_of(text), round(load_ms, 1))
