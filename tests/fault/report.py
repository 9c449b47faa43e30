#!/usr/bin/env python3
"""Writes build/fault/report.{md,json} from the parts of `make fault`: scenarios.json (tests/fault/
scenarios.py), hostile.json (tests/fault/hostile.py) and fuzz.json (scripts/fuzz run), whichever ran.
Exit code 1 when a part failed or a part that ran left no result."""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys


def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release()}


def load(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def secs(v) -> str:
    """Seconds to a tenth, or to a hundredth below one second."""
    return "—" if v is None else f"{v:.2f} s" if v < 1 else f"{v:.1f} s"


def fmt(v, unit: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.1f}{unit}"
    return f"{v}{unit}"


CASE_LISTS = ("results", "cases", "checks", "targets", "tests", "scenarios", "items")


def cases_of(doc) -> list[dict]:
    """The per-case list of another part's JSON, whatever its exact shape."""
    if isinstance(doc, list):
        return [c for c in doc if isinstance(c, dict)]
    if isinstance(doc, dict):
        for k in CASE_LISTS:
            if isinstance(doc.get(k), list):
                return [c for c in doc[k] if isinstance(c, dict)]
            if isinstance(doc.get(k), dict):  # {name: {...}}
                return [{"name": n, **(v if isinstance(v, dict) else {"value": v})} for n, v in doc[k].items()]
    return []


def verdict_of(case: dict) -> str:
    for k in ("result", "status", "verdict", "outcome"):
        if isinstance(case.get(k), str):
            return case[k]
    for k in ("ok", "passed", "pass", "success"):
        if isinstance(case.get(k), bool):
            return "pass" if case[k] else "fail"
    return "?"


def name_of(case: dict) -> str:
    for k in ("name", "id", "target", "case", "check", "title"):
        if case.get(k):
            return str(case[k])
    return "?"


def figures_text(case: dict) -> str:
    """What a case observed: its own summary when it has one, else its scalar figures."""
    for k in ("observed", "summary", "detail"):
        if isinstance(case.get(k), str) and case[k]:
            return case[k][:300]
    skip = {"name", "id", "target", "case", "check", "title", "result", "status", "verdict", "outcome", "ok",
            "passed", "pass", "success", "expected"}
    parts = []
    flat = {**case, **(case.get("figures") if isinstance(case.get("figures"), dict) else {})}
    for k, v in flat.items():
        if k in skip or isinstance(v, (dict, list)) or v is None:
            continue
        parts.append(f"{k} {v}")
    return " · ".join(parts)[:300]


def part_section(title: str, doc, rc, ms) -> tuple[list[str], str]:
    """Markdown lines and a verdict for the hostile or fuzz part."""
    if rc == "":
        return [f"## {title}", "", "Not run (not present in this checkout, or skipped).", ""], "not run"
    verdict = "pass" if rc == "0" and doc is not None else "fail"
    lines = [f"## {title}", "", f"Exit code {rc}, {int(ms) / 1000:.0f} s." +
             ("" if doc is not None else " No JSON result was written."), ""]
    cases = cases_of(doc)
    if cases:
        lines += ["| case | result | observed |", "|---|---|---|"]
        for c in cases:
            text = figures_text(c).replace("|", "/").replace("\n", " ")
            lines.append(f"| {name_of(c)} | **{verdict_of(c).upper()}** | {text} |")
        lines.append("")
    elif doc is not None:
        lines += ["```json", json.dumps(doc, indent=2)[:3000], "```", ""]
    return lines, verdict


def cluster_tables(scen: dict) -> list[str]:
    """The cluster run's own figures: its topology, what Kafka did around each broker fault against the pause the
    order pipeline saw, the 60 s outage's confirmations, the relay takeovers and the instance kills."""
    rows = scen["scenarios"]
    md = [f"Topology: {scen.get('kafkaNodes')} KRaft nodes (broker + controller each; replication factor"
          f" {scen.get('replicationFactor')}, `min.insync.replicas` {scen.get('minInsyncReplicas')},"
          f" `broker.session.timeout.ms` {scen.get('brokerSessionTimeoutMs')}), {scen.get('replicas')} instances of"
          " every service behind one gateway. The hostile clients and the fuzzers do not depend on the topology"
          " and are not run in cluster mode (`make fault` runs them).", ""]
    broker = [s for s in rows if s.get("figures", {}).get("victim")]
    if broker:
        md += ["Broker faults: what Kafka did, sampled every 0.25 s from the signal (the node out of every in-sync"
               " replica set, its partitions led by others, a new KRaft controller, the node back in the metadata,"
               " every replica in sync again), against the pause the order pipeline saw: the longest time no order"
               " was confirmed (before the fault in brackets) and the slowest order from commit to confirmation"
               " (the median before the fault in brackets), from the orders database. `set by` says what the"
               " pause waited on.", "",
               "| scenario | node | out of ISR | leaders moved | new controller | pause (before) |"
               " slowest order (median before) | set by | back | in sync | clients |",
               "|---|---|---|---|---|---|---|---|---|---|---|"]
        for s in broker:
            f = s["figures"]
            clients = ", ".join(f"{k} ×{v}" for k, v in (f.get("clientEvents") or {}).items()) or "nothing logged"
            md.append(f"| `{s['id']}` | {f.get('victim')} | {fmt(f.get('outOfIsrSeconds'), ' s')} |"
                      f" {fmt(f.get('leadersMovedSeconds'), ' s')} | {fmt(f.get('controllerElectedSeconds'), ' s')} |"
                      f" **{secs(f.get('pauseSeconds'))}** ({secs(f.get('pauseBeforeSeconds'))}) |"
                      f" {secs(f.get('slowestOrderSeconds'))} ({secs(f.get('medianBeforeSeconds'))}) |"
                      f" {str(f.get('stallSetBy') or '—').replace('|', '/')} |"
                      f" {fmt(f.get('nodeBackSeconds'), ' s')} |"
                      f" {fmt(f.get('inSyncAgainSeconds'), ' s')} | {clients} |")
        md.append("")
    for s in rows:
        f = s.get("figures", {})
        if f.get("acceptedDuringOutage") is not None and f.get("victim"):
            md += [f"`{s['id']}`, while {f['victim']} was stopped: {f['acceptedDuringOutage']} orders accepted,"
                   f" {fmt(f.get('confirmedDuringOutage'))} committed and confirmed (or rejected) before it returned;"
                   f" commit to confirmation p50 {secs(f.get('outageLatencyP50Seconds'))}, p95"
                   f" {secs(f.get('outageLatencyP95Seconds'))}, max {secs(f.get('outageLatencyMaxSeconds'))};"
                   f" fewest replicas in sync of any partition {fmt(f.get('minIsrWhileDown'))}.", ""]
        if f.get("relayTakeoverSeconds"):
            md += [f"`{s['id']}`: the standby relay streamed the slot " + ", ".join(
                f"{k} {secs(v)}" for k, v in f["relayTakeoverSeconds"].items()) + " after the kill.", ""]
        if f.get("acceptedWhileDown"):
            md += [f"`{s['id']}`: orders accepted while each instance was down (the gateway sends to the other): "
                   + ", ".join(f"{k} {v}" for k, v in f["acceptedWhileDown"].items()) + ".", ""]
    return md


def scenario_section(title: str, log: str, scen, rc: str, cluster: bool = False) -> tuple[list[str], str]:
    """Markdown lines and a verdict for a part of fault scenarios (scenarios.json, or cluster.json with the
    cluster's own tables)."""
    if rc == "" and scen is None:
        return [f"## {title}", "", "Not run (see above).", ""], "not run"
    if scen is None:
        return [f"## {title}", "", f"No result (exit code {rc or 'none'}); see {log}.", ""], "fail"
    md: list[str] = []
    md += [f"## {title}", "",
           f"{scen.get('buyers')} buyers × {scen.get('ratePerBuyer')} orders/s each; {fmt(scen.get('seconds'))} s."
           " Stack settings: the defaults of compose/.env.example (rate limits included)"
           + ("" if not scen.get("stackOverrides") else ", except " + ", ".join(
               f"`{k}={v}`" for k, v in scen["stackOverrides"].items())
              + " (registering the buyers is not what is under test)") + ".", "",
           "`accepted (2xx) / minimum`: a scenario that accepted fewer orders than its stated minimum fails,"
           " however its invariants came out (they would hold of too few orders to show anything). The"
           " minimum is a share of what the steady load asks for over the scenario (buyers × rate ×"
           " duration), set per scenario by where its fault hits the order path (`tests/fault/scenarios.py`,"
           " about half or less of what runs accept); the race needs every buyer's order.", "",
           "| scenario | result | orders placed | accepted (2xx) / minimum | lost | duplicated effects | recovery |"
           " DLQ messages | stock (initial → available + reserved) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for s in scen["scenarios"]:
        f = s.get("figures", {})
        stock = "; ".join(f"{k} {v['initial']} → {v['available']} + {v['reserved']}"
                          for k, v in (f.get("stock") or {}).items())
        lost = fmt(f.get("lost")) + (f" (+{f['lostEvents']} events)" if f.get("lostEvents") else "")
        md.append(f"| `{s['id']}` {s['title']} | **{s['result'].upper()}** | {fmt(f.get('placed'))} | "
                  f"{fmt(f.get('accepted'))} / {fmt(f.get('minAccepted'))} | {lost} | {fmt(f.get('duplicated'))} | "
                  f"{fmt(f.get('recoverySeconds'), ' s')} | {fmt(f.get('dlqTotal'))} | {stock} |")
    md.append("")
    md += ["Orders: outcome of the accepted ones; `no 2xx` = attempts that never got a definite answer"
           " (the buyer gave up retrying); `made anyway` = of those, orders that exist all the same"
           " (they must settle like any other); `redelivered` = copies of the scenario's events that"
           " Kafka holds more than once (same event id: published again after a fault, applied once).", "",
           "| scenario | confirmed | rejected | cancelled | no 2xx | made anyway | retried attempts |"
           " redelivered | HTTP answers | settle |", "|---|---|---|---|---|---|---|---|---|---|"]
    for s in scen["scenarios"]:
        f = s.get("figures", {})
        codes = ", ".join(f"{k}×{v}" for k, v in (f.get("httpCodes") or {}).items())
        md.append(f"| `{s['id']}` | {fmt(f.get('confirmed'))} | {fmt(f.get('rejected'))} | "
                  f"{fmt(f.get('cancelled'))} | {fmt(f.get('unanswered'))} | {fmt(f.get('createdWithout2xx'))} |"
                  f" {fmt(f.get('retriedAttempts'))} | {fmt(f.get('redeliveredEvents'))} | {codes} |"
                  f" {fmt(f.get('settleSeconds'), ' s')} |")
    md.append("")
    md += cluster_tables(scen) if cluster else []
    broker = [s for s in scen["scenarios"] if s.get("figures", {}).get("brokerBackSeconds") is not None]
    if broker:
        md += ["Recovery from a broker restart, counted from the moment the restarted broker answered metadata"
               " again (JVM start and KRaft registration are Kafka's own time; what follows is the mesh's):"
               " `set by` is the check that stayed red longest after that moment, `clients` what the services'"
               " Kafka clients and relays logged from the kill to the recovery.", "",
               "| scenario | restart issued | broker answered | recovery after the kill |"
               " after the broker answered | set by | clients |", "|---|---|---|---|---|---|---|"]
        for s in broker:
            f = s["figures"]
            clients = ", ".join(f"{k} ×{v}" for k, v in (f.get("clientEvents") or {}).items())
            clients = clients or "nothing logged"
            md.append(f"| `{s['id']}` | {fmt(f.get('restartIssuedSeconds'), ' s')} |"
                      f" {fmt(f.get('brokerBackSeconds'), ' s')} | {fmt(f.get('recoverySeconds'), ' s')} |"
                      f" **{fmt(f.get('recoveryAfterBrokerSeconds'), ' s')}** |"
                      f" {str(f.get('recoverySetBy') or '—').replace('|', '/')} | {clients} |")
        md.append("")
    dlq_rows = [(s["id"], d, n) for s in scen["scenarios"] for d, n in (s.get("figures", {}).get("dlq") or {}).items()]
    if dlq_rows:
        md += ["Dead letters per consuming group (each checked by identity against what was injected):", "",
               "| scenario | DLQ topic | messages |", "|---|---|---|"]
        md += [f"| `{sid}` | `{d}` | {n} |" for sid, d, n in dlq_rows]
        md.append("")
    notes = [(s["id"], n) for s in scen["scenarios"] for n in s.get("notes", [])]
    if notes:
        md += ["Fault details:", ""] + [f"- `{sid}`: {n}" for sid, n in notes] + [""]
    failing = [s for s in scen["scenarios"] if s["result"] != "pass"]
    if failing:
        md += ["### Failures", ""]
        for s in failing:
            md.append(f"**`{s['id']}`**")
            md.append("")
            for kind, items in s.get("failures", {}).items():
                for it in items:
                    md.append(f"- {kind}: {it}")
            md.append("")
    return md, "pass" if rc == "0" and not failing else "fail"



def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--started", required=True)
    ap.add_argument("--total-ms", type=int, required=True)
    ap.add_argument("--build-dir", default="")
    ap.add_argument("--part", action="append", default=[], help="NAME=RC:MS (empty RC: not run)")
    args = ap.parse_args()
    parts = {}
    for p in args.part:
        name, rest = p.split("=", 1)
        rc, ms = rest.split(":", 1)
        parts[name] = (rc, ms or "0")

    out = args.dir
    scen = load(os.path.join(out, "scenarios.json"))
    hostile = load(os.path.join(out, "hostile.json"))
    fuzz = load(os.path.join(out, "fuzz.json"))
    m = machine()
    verdicts = {}

    md = ["# Shopmesh fault report", "",
          f"{args.started} · {m['cpu']} · {m['cores']} cores · Linux {m['kernel']} · "
          f"{args.total_ms / 60000:.1f} min in all", ""]
    md += ["Each scenario runs on the real stack (PostgreSQL 15, Kafka 3.9 KRaft, every service and the gateway"
           " as processes) under order load — buyers placing orders through the gateway at a steady rate,"
           " retrying a failed attempt with the same `Idempotency-Key` — and ends with invariants checked"
           " through SQL, what Kafka holds and the public API: every order that got a 2xx exists and settled"
           " (CONFIRMED/REJECTED/CANCELLED), its events reached Kafka (nothing lost between the commit and"
           " the broker), no order has two reservations, decisions, shipments or notifications of a kind"
           " (events counted by distinct event id: delivery is at-least-once, so a redelivered copy is not a"
           " second effect, two ids are), stock is conserved (initial = available + reserved = the live"
           " orders' lines) and never went negative, each DLQ holds exactly the injected poison, every"
           " component answers `/health`. Recovery = fault → every `/health` 200, every outbox relay"
           " streaming its replication slot and confirmed past what the WAL held 3 s earlier, no PENDING"
           " order older than 3 s and every consumer group caught up with what its topics held 3 s earlier."
           " The `f-` scenarios aim at the relays: killed with events not yet confirmed, PostgreSQL restarted"
           " under them, one stalled for 60 s (the WAL its slot retained meanwhile is in the fault details).", ""]

    rc, ms = parts.get("scenarios", ("", "0"))
    crc, _ = parts.get("cluster", ("", "0"))
    if crc == "" or rc != "":  # a cluster run reports only its own part
        lines, verdicts["scenarios"] = scenario_section("Fault scenarios", "scenarios.log", scen, rc)
        md += lines
    if crc != "":
        lines, verdicts["cluster"] = scenario_section(
            "Cluster fault scenarios (`make fault TOPOLOGY=cluster`)", "cluster.log",
            load(os.path.join(out, "cluster.json")), crc, cluster=True)
        md += lines

    for key, title, doc in (("hostile", "Hostile clients (tests/fault/hostile.py)", hostile),
                            ("fuzz", "Fuzzing (scripts/fuzz run)", fuzz)):
        rc, ms = parts.get(key, ("", "0"))
        lines, verdicts[key] = part_section(title, doc, rc, ms)
        md += lines

    overall = "fail" if "fail" in verdicts.values() else "pass"
    md[4:4] = [f"**Result: {overall.upper()}** — " + ", ".join(f"{k} {v}" for k, v in verdicts.items()), ""]
    report = {"date": args.started, "machine": m, "buildDir": args.build_dir, "totalSeconds": args.total_ms / 1000,
              "result": overall, "parts": verdicts, "scenarios": scen, "hostile": hostile, "fuzz": fuzz}
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    return 0 if overall == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
