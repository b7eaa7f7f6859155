"""make bench-idle: what the release daemon (`balcao serve`, its own process, fresh data directory, free loopback port)
costs when nothing happens: processor time and SQLite write transactions over a window of N seconds.

    python scripts/idle/idle.py --binary .build/release/balcao [--seconds 60] [--output bench-results/idle.json]

The daemon, the fakes of the Graph API and the LLM and their configuration are the browser tests'
(Tests/Browser/harness.py), except that it embeds with the local model (multilingual-e5-small, put in
balcao-data/models by `make setup`). Before measuring, an agent bound to the test phone number is created through
/api/v1 and given three short Portuguese texts and a PDF of the corpus (../shared/corpus), which are indexed.

Two windows, each after a settle time:
- idle: ready (/readyz 200, every document final, ingestion queue empty, the vector index snapshot ingestion left due
  saved) and nothing else;
- at rest between two webhooks: one customer message answered (reply received by the fake Graph API, its `delivered`
  status webhook sent back as Meta does), then the window; then a second message, which must be answered too.

Measured per window: processor time of the daemon and its child processes (/proc/<pid>/stat utime+stime+cutime+cstime
plus live descendants), SQLite write transactions (`balcao_database_write_transactions_total` from /metrics, read
just before and just after the window; binaries without it report null), and as witnesses the daemon's write
syscalls and storage writes (/proc/<pid>/io), context switches of its threads, the growth of the SQLite file and WAL,
the files of the data directory modified, and the bytes its log gained. Goals, in both windows: ≤ 0.5 % of one core
and 0 write transactions (not measured counts as not met).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
sys.path.insert(0, str(REPOSITORY / "Tests" / "Browser"))

import harness  # noqa: E402

MODEL_FILES = ("e5-small-q4.bin", "e5-small-enpt-q4.bin")  # E5ModelVariant.all, default first
WRITE_TRANSACTIONS = "balcao_database_write_transactions_total"
SQLITE_FILES = ("balcao.sqlite", "balcao.sqlite-wal")  # in the data directory
CPU_GOAL_PERCENT = 0.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
FINAL_STATUSES = ("indexed", "failed", "needs_ocr", "unreadable")
PDF = harness.SHARED / "corpus" / "pdf" / "ptlaw_01060115.pdf"
AGENT = "Loja Balcão"
CUSTOMER = "5511987650042"
QUESTION = "Qual o prazo para devolução de um produto?"
TEXTS = {
    "trocas-e-devolucoes.txt": "Política de trocas e devoluções: a devolução de produtos pode ser pedida em até 7 dias "
                               "após a entrega, com a nota fiscal. A troca por defeito vale por 90 dias.\n",
    "entregas.txt": "Entregas: entregamos de segunda a sábado, das 8h às 18h, em toda a região metropolitana. "
                    "O frete é grátis nas compras acima de R$ 200,00.\n",
    "pagamentos.txt": "Pagamentos: aceitamos Pix, boleto e cartão de crédito em até 10 vezes sem juros. "
                      "O boleto vence em 3 dias úteis e o pedido é separado após a confirmação.\n",
}


class TimedGraphAPI(harness.FakeGraphAPI):
    """The harness's fake Graph API, also noting when each text reply arrived and the id it was given."""

    def __init__(self):
        self.replies: list[tuple[str, float, str]] = []
        super().__init__()

    def accept(self, payload):
        status, answer = super().accept(payload)
        if status == 200 and isinstance(payload, dict) and "status" not in payload:
            with self.lock:
                self.replies.append((payload.get("to"), time.monotonic(), answer["messages"][0]["id"]))
        return status, answer


@dataclass
class LocalModelDaemon(harness.Daemon):
    """The harness's daemon, embedding with the local model file at `model_path`."""

    model_path: Path | None = None

    def write_config(self) -> None:
        super().write_config()
        text = self.config_path.read_text()
        local = f'provider = "local"\nmodel_path = "{self.model_path}"\n'
        self.config_path.write_text(text.replace('provider = "none"\n', local))


# -- the daemon's API --------------------------------------------------------------------------------------------------

def api(daemon, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"):
    headers = {"Authorization": f"Bearer {harness.API_TOKEN}"}
    if body is not None:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(f"{daemon.base_url}/api/v1{path}", data=body, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def upload(daemon, filename: str, content: bytes, content_type: str) -> dict:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"agent\"\r\n\r\n{AGENT}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return api(daemon, "POST", "/documents", body, f"multipart/form-data; boundary={boundary}")


def seed_agent(daemon, timeout: float) -> list[dict]:
    """The agent answering the test phone number, with its documents, every one of them in a final status."""
    api(daemon, "POST", "/agents", json.dumps({
        "name": AGENT, "persona": "Você é a assistente da loja: cordial, direta e sempre em português.",
        "instructions": "Responda só com base nos documentos.", "language": "pt-BR",
        "phone_number_ids": [harness.PHONE_NUMBER_ID], "handoff_keywords": ["atendente", "humano"],
    }).encode())
    documents = [upload(daemon, name, text.encode(), "text/plain") for name, text in TEXTS.items()]
    if PDF.is_file():
        documents.append(upload(daemon, PDF.name, PDF.read_bytes(), "application/pdf"))
    else:
        print(f"  {PDF} is missing (../shared beside the checkout): texts only", flush=True)
    deadline = time.monotonic() + timeout
    while any(d["status"] not in FINAL_STATUSES for d in documents):
        if time.monotonic() > deadline:
            raise SystemExit(f"documents not final after {timeout:.0f} s: {[(d['filename'], d['status']) for d in documents]}")
        time.sleep(0.5)
        documents = [api(daemon, "GET", f"/documents/{d['id']}") for d in documents]
    return documents


def get(daemon, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{daemon.base_url}{path}", timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric(text: str, name: str) -> float | None:
    """The sum of every sample of `name` (any labels) in a Prometheus text exposition, or None when absent."""
    values = [float(line.rsplit(None, 1)[1]) for line in text.splitlines()
              if line.startswith(name) and line[len(name):len(name) + 1] in (" ", "{")]
    return sum(values) if values else None


def wait_ready(daemon, timeout: float) -> dict:
    """/readyz's checks once it answers 200 and the ingestion queue is empty. /readyz probes a database write: it is
    called only here, before any window."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = get(daemon, "/readyz")
        if status == 200 and metric(get(daemon, "/metrics")[1], "balcao_ingestion_queue_depth") == 0:
            return json.loads(body)["checks"]
        if time.monotonic() > deadline:
            raise SystemExit(f"the daemon is not ready after {timeout:.0f} s: /readyz {status} {body}")
        time.sleep(0.5)


def wait_index_snapshot(daemon, documents: list[dict], timeout: float) -> float | None:
    """Seconds until the vector index snapshot (saved every 30 s while it changed) is newer than the last document's
    final status, or None if none came within `timeout`: the save that ingestion leaves due is not idle work."""
    indexed = max(datetime.fromisoformat(d["updated_at"]).timestamp() for d in documents)
    snapshot_file = Path(daemon.data_dir) / "index" / "chunks.hnsw"
    begin = time.monotonic()
    while time.monotonic() - begin < timeout:
        if file_state(snapshot_file)[1] / 1e9 > indexed:
            return time.monotonic() - begin
        time.sleep(0.5)
    return None


# -- measurements ------------------------------------------------------------------------------------------------------

def process_ticks(pid: int) -> tuple[int, int, int]:
    """(parent pid, own utime+stime, reaped children's cutime+cstime) in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def cpu_ticks(pid: int) -> int:
    """The daemon's processor time and its children's: its own, its reaped children's, and its live descendants' (so a
    child reaped during the window moves from the last term to the second and is counted once)."""
    parents: dict[int, int] = {}
    own: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)], own[int(entry.name)], _ = process_ticks(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    _, daemon_own, reaped = process_ticks(pid)
    descendants, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier and child not in descendants}
        descendants |= frontier
    return daemon_own + reaped + sum(own.get(child, 0) for child in descendants)


def io_counters(pid: int) -> dict[str, int]:
    counters = {}
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        key, _, value = line.partition(":")
        counters[key] = int(value)
    return counters


def context_switches(pid: int) -> dict[str, int]:
    """Context switches so far of each live thread of the process, by thread id."""
    counts: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                    counts[task.name] = counts.get(task.name, 0) + int(line.split()[1])
        except FileNotFoundError:
            continue
    return counts


def context_switches_between(start: dict[str, int], end: dict[str, int]) -> int:
    """Switches of the threads alive at the end since the start (a thread born meanwhile counts from 0; one that ended
    meanwhile took its count with it, so this is a lower bound — a plain total of the two moments could go negative)."""
    return sum(count - start.get(tid, 0) for tid, count in end.items())


def file_state(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
        return stat.st_size, stat.st_mtime_ns
    except FileNotFoundError:
        return 0, 0


def snapshot(daemon) -> dict:
    pid = daemon.process.pid
    io = io_counters(pid)
    files = {str(path.relative_to(daemon.data_dir)): file_state(path)
             for path in Path(daemon.data_dir).rglob("*") if path.is_file()}
    return {"t": time.monotonic(), "ticks": cpu_ticks(pid), "syscw": io["syscw"], "write_bytes": io["write_bytes"],
            "context_switches": context_switches(pid), "files": files, "log_bytes": file_state(daemon.log_path)[0]}


def measure(daemon, seconds: float, phase: str) -> dict:
    """One window: /metrics just before and just after, /proc and the data directory at its edges, /proc every second
    between."""
    before = metric(get(daemon, "/metrics")[1], WRITE_TRANSACTIONS)
    start = snapshot(daemon)
    per_second = []
    previous = start
    while (elapsed := time.monotonic() - start["t"]) < seconds:
        time.sleep(min(1.0, seconds - elapsed))
        current = snapshot(daemon)
        per_second.append({"t": round(current["t"] - start["t"], 2),
                           "cpu_ms": (current["ticks"] - previous["ticks"]) * 1000 / CLOCK_TICKS,
                           "syscw": current["syscw"] - previous["syscw"]})
        previous = current
    end = previous
    after = metric(get(daemon, "/metrics")[1], WRITE_TRANSACTIONS)
    wall = end["t"] - start["t"]
    cpu = (end["ticks"] - start["ticks"]) / CLOCK_TICKS
    return {
        "phase": phase, "seconds": round(wall, 2), "cpu_seconds": cpu, "cpu_percent_of_one_core": cpu / wall * 100,
        "write_transactions": None if before is None or after is None else after - before,
        "write_syscalls": end["syscw"] - start["syscw"], "storage_write_bytes": end["write_bytes"] - start["write_bytes"],
        "context_switches_per_second": context_switches_between(start["context_switches"], end["context_switches"]) / wall,
        "db_wal_growth_bytes": sum(end["files"].get(name, (0, 0))[0] - start["files"].get(name, (0, 0))[0]
                                   for name in SQLITE_FILES),
        "files_modified": sorted(name for name in start["files"].keys() | end["files"].keys()
                                 if start["files"].get(name) != end["files"].get(name)),
        "log_bytes": end["log_bytes"] - start["log_bytes"],
        "max_cpu_ms_in_one_second": max((s["cpu_ms"] for s in per_second), default=0.0), "per_second": per_second,
    }


def ask(daemon, graph: TimedGraphAPI, question: str, timeout: float) -> dict:
    """One signed customer message; waits for the reply at the fake Graph API and returns the message→reply latency."""
    with graph.lock:
        seen = len(graph.replies)
    begin = time.monotonic()
    status = daemon.post_webhook(harness.text_webhook(question, CUSTOMER, "Cliente"))
    if status != 200:
        raise SystemExit(f"the signed webhook was refused with {status}")
    deadline = begin + timeout
    while time.monotonic() < deadline:
        with graph.lock:
            fresh = [reply for reply in graph.replies[seen:] if reply[0] == CUSTOMER]
        if fresh:
            _, at, message_id = fresh[0]
            return {"latency_ms": (at - begin) * 1000, "message_id": message_id, "text": graph.sent_texts(CUSTOMER)[-1]}
        time.sleep(0.02)
    raise SystemExit(f"no reply within {timeout:.0f} s:\n{daemon.log()[-3000:]}")


def delivered(daemon, message_id: str) -> int:
    """The `delivered` status webhook Meta sends for a reply, which settles the reply's outbox entry."""
    body = json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": harness.DISPLAY_PHONE_NUMBER, "phone_number_id": harness.PHONE_NUMBER_ID},
            "statuses": [{"id": message_id, "status": "delivered", "timestamp": str(int(time.time())),
                          "recipient_id": CUSTOMER, "conversation": {"id": "idle", "origin": {"type": "service"}},
                          "pricing": {"billable": True, "pricing_model": "PMP", "category": "service"}}]}}]}],
    }).encode()
    return daemon.post_webhook(body)


def goal(name: str, window: dict, key: str, target: float) -> dict:
    measured = window[key]
    if measured is None:
        return {"goal": name, "measured": None, "target": target, "met": False,
                "note": f"not measured: {WRITE_TRANSACTIONS} is not exposed by this binary's /metrics"}
    return {"goal": name, "measured": round(measured, 4), "target": target, "met": bool(measured <= target)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=float, default=60, help="length of each measured window")
    parser.add_argument("--settle", type=float, default=5, help="seconds of nothing before each window")
    parser.add_argument("--model-dir", default=os.environ.get("BALCAO_MODEL_DIR") or str(REPOSITORY / "balcao-data" / "models"))
    parser.add_argument("--output", default="bench-results/idle.json")
    args = parser.parse_args()

    model = next((Path(args.model_dir) / name for name in MODEL_FILES if (Path(args.model_dir) / name).is_file()), None)
    if model is None:
        print(f"bench-idle: the local embedding model is not in {args.model_dir} ({' or '.join(MODEL_FILES)}): run `make setup`",
              file=sys.stderr)
        return 1
    llm, graph = harness.FakeLLM(), TimedGraphAPI()
    daemon = LocalModelDaemon(binary=Path(args.binary).resolve(), llm=llm, graph=graph, model_path=model.resolve())
    daemon.start()
    try:
        print(f"bench-idle: daemon pid {daemon.process.pid} on {daemon.base_url}, model {model.name}, windows of {args.seconds:g} s "
              f"after {args.settle:g} s settles; {args.binary}", flush=True)
        started = time.monotonic()
        documents = seed_agent(daemon, timeout=900)
        checks = wait_ready(daemon, timeout=300)
        seeded = ", ".join(f"{d['filename']} {d['status']} ({d['chunks']} chunks)" for d in documents)
        print(f"  ready after {time.monotonic() - started:.1f} s: {seeded}; "
              f"embedding {checks.get('embedding')}, vector index {checks.get('vector_index')}", flush=True)
        if not checks.get("embedding", "").startswith("ok"):
            raise SystemExit(f"the daemon does not embed with the local model: {checks}")
        snapshot_wait = wait_index_snapshot(daemon, documents, timeout=60)
        print("  vector index snapshot " + ("not saved within 60 s" if snapshot_wait is None
                                              else f"saved {snapshot_wait:.1f} s after ready"), flush=True)

        time.sleep(args.settle)
        idle = measure(daemon, args.seconds, "idle")
        print(f"  idle: {idle['cpu_percent_of_one_core']:.2f} % of one core", flush=True)

        first = ask(daemon, graph, QUESTION, timeout=60)
        status_code = delivered(daemon, first["message_id"])
        print(f"  first message answered in {first['latency_ms']:.0f} ms ({first['text'][:80]!r}); "
              f"delivered status webhook {status_code}", flush=True)
        time.sleep(0.3 + args.settle)  # the harness's quiet period, then the settle time
        rest = measure(daemon, args.seconds, "at rest between two webhooks")
        print(f"  at rest: {rest['cpu_percent_of_one_core']:.2f} % of one core", flush=True)
        second = ask(daemon, graph, "E para trocar um produto com defeito?", timeout=60)
        print(f"  second message answered in {second['latency_ms']:.0f} ms", flush=True)
    finally:
        exit_status = daemon.stop()
        llm.stop()
        graph.stop()

    windows = [idle, rest]
    print()
    print(f"bench-idle: {args.binary}, local model {model.name}, {len(documents)} documents, settle {args.settle:g} s, "
          f"message→reply {first['latency_ms']:.0f} ms and {second['latency_ms']:.0f} ms, daemon exit status {exit_status}")
    print("| phase | seconds | CPU s | % of one core | write transactions | write syscalls | storage write bytes | "
          "db+WAL growth bytes | files modified | context switches/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for w in windows:
        transactions = "metric not exposed by this binary" if w["write_transactions"] is None else f"{w['write_transactions']:.0f}"
        print(f"| {w['phase']} | {w['seconds']:.1f} | {w['cpu_seconds']:.2f} | {w['cpu_percent_of_one_core']:.2f} | "
              f"{transactions} | {w['write_syscalls']} | {w['storage_write_bytes']} | {w['db_wal_growth_bytes']} | "
              f"{', '.join(w['files_modified']) or 'none'} | {w['context_switches_per_second']:.0f} |")

    goals = []
    for w, label in ((idle, "idle"), (rest, "at rest between two webhooks")):
        goals.append(goal(f"{label}: CPU ≤ {CPU_GOAL_PERCENT} % of one core", w, "cpu_percent_of_one_core", CPU_GOAL_PERCENT))
        goals.append(goal(f"{label}: 0 SQLite write transactions", w, "write_transactions", 0))
    report = {
        "binary": args.binary, "model": model.name, "seconds": args.seconds, "settle_seconds": args.settle,
        "clock_ticks_per_second": CLOCK_TICKS, "documents": [{k: d[k] for k in ("filename", "status", "chunks")} for d in documents],
        "readiness": checks, "index_snapshot_wait_seconds": snapshot_wait, "first_reply_ms": first["latency_ms"], "second_reply_ms": second["latency_ms"],
        "daemon_exit_status": exit_status, "windows": windows, "goals": goals,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {output}")
    for g in goals:
        print(f"  {'met' if g['met'] else 'NOT MET'}: {g['goal']}: {g['measured']} (target {g['target']})"
              + (f": {g['note']}" if "note" in g else ""))
    shutil.rmtree(daemon.scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
