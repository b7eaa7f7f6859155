#!/usr/bin/env python3
"""make bench-admin: server time of every admin page with a busy business's data in the database.

1. Starts the daemon once on a fresh data directory (it creates and migrates the database), stops it.
2. Seeds 10,000 conversations and 1,000 documents with chunks (scripts/admin/seed.py) straight into its SQLite schema.
3. Starts the daemon again (it indexes the seeded chunks with its own tokenizer), creates the owner through the
   first-run setup page, and requests every admin page `--requests` times after `--warmup` unmeasured requests,
   reading the server's own figure from `Server-Timing: app;dur=<ms>`.
4. Prints a table (page, p50, p95, max server ms; p50 wall-clock ms for reference) and writes the raw figures and the
   goals ("<page> renders in < 100 ms server time (p95)") to bench-results/admin.json.

Pages not served yet (404) are listed as missing: they have no figure and no goal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "Browser"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import seed  # noqa: E402

TARGET_MS = 100.0
OWNER, PASSWORD = "dona.rita", "bench password 2026"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = fraction * (len(ordered) - 1)
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def pages(ids: dict[str, int]) -> list[tuple[str, str]]:
    """(name, path) of every admin GET page, with ids of the busiest records."""
    return [
        ("dashboard", "/admin/dashboard"),
        ("documents", "/admin/documents"),
        ("documents status.json", "/admin/documents/status.json"),
        ("document detail", f"/admin/documents/{ids['document']}"),
        ("search", "/admin/search?q=prazo%20de%20devolu%C3%A7%C3%A3o"),
        ("agents", "/admin/agents"),
        ("agent new", "/admin/agents/new"),
        ("agent edit", f"/admin/agents/{ids['agent']}"),
        ("playground", f"/admin/agents/{ids['agent']}/playground"),
        ("conversations", "/admin/conversations"),
        ("conversation list version", "/admin/conversations/version.json"),
        ("conversations waiting", "/admin/conversations?filter=waiting"),
        ("conversations unanswered", "/admin/conversations?filter=unanswered"),
        ("conversations by date", f"/admin/conversations?from={ids['from']}&to={ids['to']}"),
        ("conversation thread", f"/admin/conversations/{ids['conversation']}"),
        ("unanswered", "/admin/unanswered"),
        ("credits", "/admin/credits"),
        ("credits.csv", "/admin/credits.csv"),
        ("settings", "/admin/settings"),
        ("users", "/admin/users"),
        ("audit", "/admin/audit"),
    ]


def busiest(database: Path) -> dict:
    with sqlite3.connect(database) as db:
        document = db.execute("SELECT id FROM document ORDER BY chunks DESC, id LIMIT 1").fetchone()[0]
        conversation = db.execute(
            "SELECT conversationId FROM message GROUP BY conversationId ORDER BY count(*) DESC, conversationId LIMIT 1").fetchone()[0]
        agent = db.execute("SELECT agentId FROM agentDocument GROUP BY agentId ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        first, last = db.execute("SELECT min(date(createdAt)), max(date(createdAt)) FROM conversation").fetchone()
    middle = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 15 * 86400))
    return {"document": document, "conversation": conversation, "agent": agent, "from": middle, "to": last or first}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="the balcao executable (release build)")
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=40, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests per page first")
    parser.add_argument("--output", default=str(ROOT / "bench-results" / "admin.json"))
    parser.add_argument("--keep", action="store_true", help="keep the data directory (its path is printed)")
    args = parser.parse_args()

    daemon = harness.Daemon(binary=Path(args.binary), log_level="notice")
    database = daemon.data_dir / "balcao.sqlite"
    try:
        print(f"== migrating a fresh data directory ({daemon.data_dir})", file=sys.stderr)
        daemon.start()
        daemon.stop()
        print(f"== seeding {args.conversations} conversations, {args.documents} documents", file=sys.stderr)
        seeded = json.loads(subprocess.run(
            [sys.executable, str(Path(__file__).with_name("seed.py")), str(database), "--conversations",
             str(args.conversations), "--documents", str(args.documents)],
            check=True, capture_output=True, text=True).stdout)
        print(f"   {seeded}", file=sys.stderr)
        ids = busiest(database)
        begun = time.monotonic()
        daemon.log_level = "info"  # the setup code is logged at info
        daemon.start(timeout=900)
        indexing_seconds = time.monotonic() - begun
        print(f"== daemon up again in {indexing_seconds:.1f} s (keyword index rebuilt over the seeded chunks)", file=sys.stderr)

        client = harness.AdminClient(daemon.base_url)
        status, headers, _, _ = client.get("/admin")
        signed_in = False
        if status != 404:
            code = daemon.setup_code()
            if not code:
                print("the daemon logged no 'admin setup code'", file=sys.stderr)
                return 1
            status = client.first_run(code, OWNER, PASSWORD)
            signed_in = status in (200, 302, 303) and "balcao_session" in client.cookies
            if not signed_in:
                print(f"first-run setup failed ({status}); cookies {list(client.cookies)}", file=sys.stderr)
                return 1

        results, missing = [], []
        for name, path in pages(ids):
            status, headers, body, _ = client.get(path)
            if status == 404:
                missing.append({"page": name, "path": path})
                continue
            for _ in range(args.warmup - 1):
                client.get(path)
            server, wall, statuses, bytes_ = [], [], set(), 0
            for _ in range(args.requests):
                status, headers, body, elapsed = client.get(path)
                statuses.add(status)
                wall.append(round(elapsed, 3))
                figure = harness.server_ms(headers)
                if figure is not None:
                    server.append(figure)
                bytes_ = len(body)
            entry = {"page": name, "path": path, "statuses": sorted(statuses), "bytes": bytes_,
                     "server_ms": server, "wall_ms": wall}
            if server:
                entry.update(p50=percentile(server, 0.5), p95=percentile(server, 0.95), max=max(server))
            entry["wall_p50"] = percentile(wall, 0.5)
            results.append(entry)
            print(f"   {name}: {entry.get('p95', 'no Server-Timing')}", file=sys.stderr)
    finally:
        daemon.stop()
        if args.keep:
            print(f"data directory kept: {daemon.data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(daemon.scratch, ignore_errors=True)

    goals = []
    for entry in results:
        measured = entry.get("p95")
        ok_status = entry["statuses"] == [200]
        goals.append({"goal": f"{entry['page']} renders in < {TARGET_MS:.0f} ms server time (p95)",
                      "measured": None if measured is None else round(measured, 2), "target": TARGET_MS,
                      "met": measured is not None and ok_status and measured < TARGET_MS})

    print()
    print(f"| page | path | status | p50 ms | p95 ms | max ms | wall p50 ms | KiB |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for entry in results:
        def cell(key):
            return f"{entry[key]:.1f}" if key in entry else "—"
        print(f"| {entry['page']} | `{entry['path']}` | {','.join(map(str, entry['statuses']))} | {cell('p50')} | "
              f"{cell('p95')} | {cell('max')} | {entry['wall_p50']:.1f} | {entry['bytes'] / 1024:.0f} |")
    for entry in missing:
        print(f"| {entry['page']} | `{entry['path']}` | 404 (not served yet) | — | — | — | — | — |")
    print()
    print(f"server time = Server-Timing app;dur; {args.requests} requests per page after {args.warmup} warm-up; "
          f"{seeded['conversations']} conversations, {seeded['messages']} messages, {seeded['documents']} documents, "
          f"{seeded['chunks']} chunks")
    unmet = [g["goal"] for g in goals if not g["met"]]
    print(f"goals met: {len(goals) - len(unmet)}/{len(goals)}" + (f"; not met: {unmet}" if unmet else ""))

    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "benchmark": "admin",
        "binary": str(args.binary),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "requests_per_page": args.requests, "warmup_per_page": args.warmup,
        "seeded": seeded, "restart_seconds": round(indexing_seconds, 2), "signed_in": signed_in,
        "pages": results, "missing": missing, "goals": goals,
    }, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
