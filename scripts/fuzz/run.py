"""make fuzz: the real daemon (a fresh data directory on a free loopback port, fake Graph API and LLM) under the webhook
fuzzer (webhooks.py), the Instagram and widget fuzzers (channels.py) and then schemathesis against its own
/api/v1/openapi.json. Prints a table; exits 1 on any finding.

    python scripts/fuzz/run.py [--bounded] [--seed N] [--webhooks N] [--api-seconds S] [--api-examples N]

The daemon, its fakes and its configuration come from Tests/Browser/harness.py (the browser tests' harness), so
the fuzzers drive exactly the process the browser tests do.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
sys.path.insert(0, str(REPOSITORY / "Tests" / "Browser"))
sys.path.insert(0, str(HERE))

import channels  # noqa: E402
import harness  # noqa: E402
import webhooks  # noqa: E402

INSTAGRAM_SECRET = "fuzz-instagram-secret"
WIDGET_ORIGIN = "http://shop.fuzz.test"

MAX_BODY_BYTES = 1024 * 1024  # [whatsapp] max_body_bytes: the daemon's default, which the harness leaves alone
# Every schemathesis check (no 5xx, only documented status codes, content types and bodies matching their schemas, the
# bearer token enforced, invalid input refused, valid input accepted, a deleted resource really gone), with the
# per-operation exceptions of schemathesis.toml, each with its reason.
CONFIG = HERE / "schemathesis.toml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bounded", action="store_true", help="the short run of make test (about 1-2 minutes)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--webhooks", type=int, default=None, help="mutated webhook deliveries")
    parser.add_argument("--api-seconds", type=int, default=None, help="schemathesis' time budget")
    parser.add_argument("--api-examples", type=int, default=None, help="schemathesis' examples per operation")
    parser.add_argument("--only", choices=["webhooks", "channels", "api"], default=None)
    parser.add_argument("--binary", default=os.environ.get("BALCAO_BIN", str(REPOSITORY / ".build" / "debug" / "balcao")))
    parser.add_argument("--keep", action="store_true", help="keep the daemon's data directory and log")
    args = parser.parse_args()

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    webhook_count = args.webhooks if args.webhooks is not None else (1500 if args.bounded else 20000)
    api_seconds = args.api_seconds if args.api_seconds is not None else (45 if args.bounded else 300)
    api_examples = args.api_examples if args.api_examples is not None else (30 if args.bounded else 300)
    binary = Path(args.binary)
    if not binary.is_file():
        print(f"{binary} is missing: run `swift build` first", file=sys.stderr)
        return 2

    print(f"fuzz: seed {seed} (replay with --seed {seed}), {'bounded' if args.bounded else 'long'} run, daemon {binary}")
    llm, graph = harness.FakeLLM(), harness.FakeGraphAPI()
    # Instagram on (signed with its own secret, replies to the fake Graph API), and the widget without its limits: the
    # fuzzer is one visitor on one address sending hundreds of posts.
    daemon = harness.Daemon(binary=binary, llm=llm, graph=graph, log_level="notice", extra_config=(
        f'[instagram]\napp_secret = "{INSTAGRAM_SECRET}"\naccess_token = "{graph.access_token}"\ngraph_base_url = "{graph.base_url}"\n'
        "[widget]\nvisitor_messages_per_minute = 0\naddress_messages_per_minute = 0\n"))
    results: dict[str, dict] = {}
    findings: list[str] = []
    try:
        daemon.start()
        print(f"daemon on {daemon.base_url}, data in {daemon.data_dir}")
        seed_document(daemon)
        if args.only in (None, "webhooks"):
            counts = webhooks.run(
                daemon=daemon, graph=graph, seed=seed, count=webhook_count, app_secret=harness.APP_SECRET,
                phone_number_id=harness.PHONE_NUMBER_ID,
                fixtures_dir=harness.SHARED / "whatsapp" / "fixtures", max_body_bytes=MAX_BODY_BYTES)
            results["webhooks"] = {
                "inputs": counts.inputs + counts.canaries, "server_errors": counts.server_errors,
                "crashes": counts.crashes, "violations": counts.wrong_status,
                "lost": counts.lost, "duplicated": counts.duplicated,
            }
            findings += [f"webhooks: {f}" for f in counts.findings]
        if args.only in (None, "channels") and daemon.process.poll() is None:
            agent = allow_widget_origin(daemon, WIDGET_ORIGIN)
            channel_counts = channels.run(
                daemon=daemon, seed=seed, count=max(100, webhook_count // 3), instagram_secret=INSTAGRAM_SECRET,
                fixtures_dir=REPOSITORY / "Tests" / "InstagramTests" / "Fixtures", max_body_bytes=MAX_BODY_BYTES,
                widget_agent=agent, widget_origin=WIDGET_ORIGIN)
            for name, counts in channel_counts.items():
                results[name] = {"inputs": counts.inputs, "server_errors": counts.server_errors, "crashes": counts.crashes,
                                 "violations": counts.wrong_status}
                findings += [f"{name}: {f}" for f in counts.findings]
        if args.only in (None, "api") and daemon.process.poll() is None:
            api = run_schemathesis(daemon, seed, api_seconds, api_examples)
            results["api"] = api
            findings += [f"api: {f}" for f in api.pop("findings")]
            if not healthy(daemon):
                results["api"]["crashes"] += 1
                findings.append("api: the daemon stopped answering /healthz during the schemathesis run")
    finally:
        status = daemon.stop()
        llm.stop()
        graph.stop()
    if status not in (0, None):
        findings.append(f"the daemon did not stop cleanly on SIGTERM (status {status})")
        results.setdefault("webhooks", {})["crashes"] = results.get("webhooks", {}).get("crashes", 0) + 1
    log = daemon.log()
    for marker in ("Fatal error", "Stack dump", "Segmentation fault", "SIGSEGV", "SIGILL", "SIGABRT"):
        if marker in log:
            findings.append(f"the daemon's log has {marker!r}")

    print()
    print("| fuzzer | inputs fuzzed | 5xx found | crashes | schema/status violations | lost replies | duplicated replies |")
    print("|---|---|---|---|---|---|---|")
    for name, row in results.items():
        print(f"| {name} | {row.get('inputs', 0)} | {row.get('server_errors', 0)} | {row.get('crashes', 0)} | "
              f"{row.get('violations', 0)} | {row.get('lost', '-')} | {row.get('duplicated', '-')} |")
    print(f"seed {seed}")
    keep = args.keep or bool(findings)
    if findings:
        print(f"\n{len(findings)} finding(s):")
        for finding in findings:
            print(f"- {finding}")
        print(f"daemon log and saved inputs: {daemon.scratch}")
    if not keep:
        shutil.rmtree(daemon.scratch, ignore_errors=True)
    elif not findings:
        print(f"kept: {daemon.scratch}")
    return 1 if findings else 0


def healthy(daemon) -> bool:
    if daemon.process.poll() is not None:
        return False
    try:
        with urllib.request.urlopen(f"{daemon.base_url}/healthz", timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


def allow_widget_origin(daemon, origin: str) -> str:
    """An agent whose widget `origin`'s pages may use (the agent page's setting, written in the database): its name."""
    import sqlite3

    name = "loja"
    request = urllib.request.Request(f"{daemon.base_url}/api/v1/agents", data=json.dumps({"name": name}).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {harness.API_TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30):
        pass
    with sqlite3.connect(daemon.data_dir / "balcao.sqlite", timeout=30) as db:
        db.execute("UPDATE agent SET widgetOrigins = ? WHERE name = ?", (json.dumps([origin]), name))
    return name


def seed_document(daemon) -> None:
    """One small text document for the default agent, indexed before fuzzing, so canaries get real answers."""
    boundary = uuid.uuid4().hex
    text = ("Política de trocas: a devolução de produtos pode ser pedida em até 7 dias após a entrega. "
            "Entregamos de segunda a sábado, das 8h às 18h.\n").encode()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"politica.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + text + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{daemon.base_url}/api/v1/documents", data=body, method="POST", headers={
        "Authorization": f"Bearer {harness.API_TOKEN}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        document = json.load(response)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and document["status"] not in ("indexed", "failed", "needs_ocr", "unreadable"):
        time.sleep(0.2)
        request = urllib.request.Request(f"{daemon.base_url}/api/v1/documents/{document['id']}",
                                         headers={"Authorization": f"Bearer {harness.API_TOKEN}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            document = json.load(response)
    if document["status"] != "indexed":
        raise SystemExit(f"the seed document ended {document['status']}: {document.get('reason')}")


def run_schemathesis(daemon, seed: int, seconds: int, examples: int) -> dict:
    """schemathesis against the daemon's own OpenAPI document; returns the counts and the failures it reported."""
    report_dir = Path(daemon.scratch) / "schemathesis"
    report_dir.mkdir(parents=True, exist_ok=True)
    ndjson = report_dir / "events.ndjson"
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "--no-color", "--config-file", str(CONFIG), "run",
        f"{daemon.base_url}/api/v1/openapi.json", "-H", f"Authorization: Bearer {harness.API_TOKEN}",
        "--seed", str(seed % (2**32)),
        "--max-examples", str(examples),
        "--max-time", str(seconds),
        "--workers", "1",
        "--request-timeout", "30",
        "--continue-on-failure",
        "--generation-database", "none",
        "--suppress-health-check", "all",
        "--report", "ndjson,junit", "--report-dir", str(report_dir), "--report-ndjson-path", str(ndjson),
        "--output-truncate", "true",
    ]
    print(f"\nschemathesis: {seconds} s budget, up to {examples} examples per operation, every check ({CONFIG.name})")
    started = time.monotonic()
    environment = dict(os.environ, SCHEMATHESIS_HOOKS="")
    completed = subprocess.run(command, cwd=report_dir, env=environment, capture_output=True, text=True)
    output = completed.stdout + completed.stderr
    (report_dir / "output.txt").write_text(output)
    print(f"  schemathesis exited {completed.returncode} after {time.monotonic() - started:.0f} s")
    cases, failures = summarize(ndjson)
    server_errors = sum(1 for f in failures if f["check"] == "not_a_server_error")
    violations = len(failures) - server_errors
    findings = [f"{f['check']} on {f['operation']}: {f['message']}" for f in failures]
    if completed.returncode != 0 and not failures:
        findings.append(f"schemathesis exited {completed.returncode} (errors, see {report_dir / 'output.txt'})")
        print(output[-6000:])
    elif failures:
        print(output[-12000:])
    return {"inputs": cases, "server_errors": server_errors, "crashes": 0, "violations": violations,
            "findings": findings, "exit": completed.returncode}


def summarize(ndjson: Path) -> tuple[int, list[dict]]:
    """Test cases sent and the distinct failed checks, from schemathesis' NDJSON event stream."""
    cases = 0
    failures: dict[tuple, dict] = {}
    if not ndjson.exists():
        return 0, []
    for line in ndjson.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        for kind, payload in event.items():
            if kind != "ScenarioFinished" or not isinstance(payload, dict):
                continue
            recorder = payload.get("recorder") or {}
            cases += len(recorder.get("cases") or {})
            label = recorder.get("label") or "?"
            for check_list in (recorder.get("checks") or {}).values():
                for check in check_list:
                    if str(check.get("status")).lower() == "failure":
                        failure = (check.get("failure_info") or {}).get("failure") or {}
                        title = f"{failure.get('code', '?')} {failure.get('title') or check.get('name')}"
                        detail = (failure.get("message") or "").split("\n")[0]
                        key = (check.get("name"), label, title)
                        failures.setdefault(key, {"check": check.get("name"), "operation": label,
                                                  "message": f"{title}: {detail}" if detail else title})
    return cases, list(failures.values())


if __name__ == "__main__":
    sys.exit(main())
